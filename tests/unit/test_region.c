/* Region hosts, per-API overrides and the region check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/config.h>
#include <segbridge/error.h>

#include "config/props.h"
#include "config/region.h"
#include "core/buf.h"
#include "core/err.h"

static void test_region_table(void **state) {
  (void)state;

  assert_string_equal(sbi_region_base(SBI_REGION_US, SBI_API_TRACKING),
                      "https://api.segment.io");
  assert_string_equal(sbi_region_base(SBI_REGION_EU, SBI_API_TRACKING),
                      "https://events.eu1.segmentapis.com");
  assert_string_equal(sbi_region_base(SBI_REGION_US, SBI_API_OAUTH),
                      "https://oauth2.segment.io");
  assert_string_equal(sbi_region_base(SBI_REGION_EU, SBI_API_OAUTH),
                      "https://oauth2.eu1.segmentapis.com");
  assert_string_equal(sbi_region_base(SBI_REGION_US, SBI_API_PUBLIC),
                      "https://api.segmentapis.com");
  assert_string_equal(sbi_region_base(SBI_REGION_EU, SBI_API_PUBLIC),
                      "https://eu1.api.segmentapis.com");
  assert_string_equal(sbi_region_base(SBI_REGION_US, SBI_API_PROFILE),
                      "https://profiles.segment.com");
  assert_string_equal(sbi_region_base(SBI_REGION_EU, SBI_API_PROFILE),
                      "https://profiles.euw1.segment.com");
  assert_null(sbi_region_base(-1, SBI_API_TRACKING));
  assert_null(sbi_region_base(2, SBI_API_TRACKING));
  assert_null(sbi_region_base(SBI_REGION_US, (sbi_api)4));
}

static void set(segb_config_t *conf, const char *name, const char *value) {
  char errstr[SEGB_ERRSTR_SIZE];
  int rc = segb_config_set(conf, name, value, errstr, sizeof errstr);
  if (rc != SEGB_OK) {
    print_error("%s=%s: %s\n", name, value != NULL ? value : "(default)",
                errstr);
    fail();
  }
}

/* sbi_api_base into a fresh buffer; the caller frees the result. */
static char *base(const segb_config_t *conf, sbi_api api) {
  sbi_buf b = SBI_BUF_INIT;
  assert_int_equal(sbi_api_base(conf, api, &b), SEGB_OK);
  assert_non_null(b.data);
  return b.data;
}

static void expect_base(const segb_config_t *conf, sbi_api api,
                        const char *want) {
  char *got = base(conf, api);
  assert_string_equal(got, want);
  free(got);
}

static void test_api_base_regions(void **state) {
  segb_config_t *conf = segb_config_new();
  (void)state;

  assert_non_null(conf);
  expect_base(conf, SBI_API_TRACKING, "https://api.segment.io");
  expect_base(conf, SBI_API_OAUTH, "https://oauth2.segment.io");
  expect_base(conf, SBI_API_PUBLIC, "https://api.segmentapis.com");
  expect_base(conf, SBI_API_PROFILE, "https://profiles.segment.com");
  set(conf, "region", "eu");
  expect_base(conf, SBI_API_TRACKING, "https://events.eu1.segmentapis.com");
  expect_base(conf, SBI_API_OAUTH, "https://oauth2.eu1.segmentapis.com");
  expect_base(conf, SBI_API_PUBLIC, "https://eu1.api.segmentapis.com");
  expect_base(conf, SBI_API_PROFILE, "https://profiles.euw1.segment.com");
  segb_config_destroy(conf);
}

/* Each override replaces its own API's host only, whatever the region. */
static void test_api_base_overrides(void **state) {
  segb_config_t *conf = segb_config_new();
  (void)state;

  assert_non_null(conf);
  set(conf, "region", "eu");
  set(conf, "endpoint", "http://127.0.0.1:8080/v1/");
  expect_base(conf, SBI_API_TRACKING, "http://127.0.0.1:8080");
  expect_base(conf, SBI_API_OAUTH, "https://oauth2.eu1.segmentapis.com");
  set(conf, "oauth.server", "https://oauth2.eu1.segmentapis.com/");
  expect_base(conf, SBI_API_OAUTH, "https://oauth2.eu1.segmentapis.com");
  set(conf, "oauth.server", "Auth.Example:9000");
  expect_base(conf, SBI_API_OAUTH, "https://auth.example:9000");
  set(conf, "public_api.endpoint", "proxy.example/public");
  expect_base(conf, SBI_API_PUBLIC, "https://proxy.example/public");
  set(conf, "profile_api.endpoint", "http://localhost:9999/profiles/v1");
  expect_base(conf, SBI_API_PROFILE, "http://localhost:9999/profiles");
  expect_base(conf, SBI_API_TRACKING, "http://127.0.0.1:8080");
  /* Back to the default: the region's host again. */
  set(conf, "endpoint", NULL);
  set(conf, "profile_api.endpoint", "");
  expect_base(conf, SBI_API_TRACKING, "https://events.eu1.segmentapis.com");
  expect_base(conf, SBI_API_PROFILE, "https://profiles.euw1.segment.com");
  segb_config_destroy(conf);
}

/* A bad override is refused when it is set, with the property's name and
 * normalization's reason, and the previous value stays in force. */
static void test_bad_override_refused_at_set(void **state) {
  char errstr[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_non_null(conf);
  set(conf, "endpoint", "http://127.0.0.1:8080");
  assert_int_equal(segb_config_set(conf, "endpoint",
                                   "https://api.segment.io/v1?x=1", errstr,
                                   sizeof errstr),
                   SEGB_ERR_INVALID_VALUE);
  assert_string_equal(errstr,
                      "endpoint: URL must not have a query or fragment");
  assert_int_equal(segb_config_set(conf, "oauth.server", "oauth.example:port",
                                   errstr, sizeof errstr),
                   SEGB_ERR_INVALID_VALUE);
  assert_string_equal(errstr, "oauth.server: URL port is not a number");
  expect_base(conf, SBI_API_TRACKING, "http://127.0.0.1:8080");
  expect_base(conf, SBI_API_OAUTH, "https://oauth2.segment.io");
  assert_int_equal(sbi_api_base(NULL, SBI_API_OAUTH, &b), SEGB_ERR_INVALID_ARG);
  assert_int_equal(sbi_api_base(conf, (sbi_api)9, &b), SEGB_ERR_INVALID_ARG);
  assert_int_equal(b.len, 0);
  sbi_buf_free(&b);
  segb_config_destroy(conf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_region_table),
      cmocka_unit_test(test_api_base_regions),
      cmocka_unit_test(test_api_base_overrides),
      cmocka_unit_test(test_bad_override_refused_at_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
