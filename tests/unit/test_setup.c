/* The config adapters of setup.c: the one region check, the sender's URL,
 * advice and limits, the Tracking API's credentials, and the constructor
 * the client and the reader share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>

#include "api/reader.h"
#include "client_int.h"
#include "setup.h"

static void set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK)
    fail_msg("%s: %s", name, err);
}

static int says(const char *part) {
  if (strstr(segb_last_error_message(), part) != NULL)
    return 1;
  print_error("\"%s\" does not say \"%s\"\n", segb_last_error_message(), part);
  return 0;
}

/* One check for every API whose host is region-bound, naming the setting. */
static void test_region_check(void **state) {
  segb_config_t *conf = segb_config_new();
  (void)state;

  set(conf, "region", "eu");
  assert_int_equal(
      sbi_region_check(conf, SBI_API_TRACKING, "https://api.segment.io"),
      SEGB_ERR_INVALID_VALUE);
  assert_true(says("endpoint https://api.segment.io is Segment's US server"));
  assert_true(says("region is eu"));
  assert_true(says("https://events.eu1.segmentapis.com"));
  assert_int_equal(
      sbi_region_check(conf, SBI_API_OAUTH, "https://oauth2.segment.io"),
      SEGB_ERR_INVALID_VALUE);
  assert_true(says("oauth.server https://oauth2.segment.io"));
  assert_int_equal(sbi_region_check(conf, SBI_API_TRACKING,
                                    "https://events.eu1.segmentapis.com"),
                   SEGB_OK);
  assert_int_equal(sbi_region_check(conf, SBI_API_TRACKING, "http://x:9"),
                   SEGB_OK);
  set(conf, "region", "us");
  assert_int_equal(sbi_region_check(conf, SBI_API_OAUTH,
                                    "https://oauth2.eu1.segmentapis.com"),
                   SEGB_ERR_INVALID_VALUE);
  assert_true(says("EU server but region is us: set region=eu"));
  assert_int_equal(
      sbi_region_check(conf, SBI_API_TRACKING, "https://api.segment.io"),
      SEGB_OK);
  segb_config_destroy(conf);
}

static void test_sender_from_config(void **state) {
  segb_config_t *conf = segb_config_new();
  sbi_sender s;
  (void)state;

  set(conf, "endpoint", "http://127.0.0.1:9/v1/");
  set(conf, "batch.max_events", "7");
  set(conf, "batch.max_bytes", "4096");
  set(conf, "retry.max_attempts", "3");
  set(conf, "retry.backoff_initial_ms", "11");
  set(conf, "retry.backoff_max_ms", "222");
  set(conf, "retry.total_timeout_ms", "3333");
  set(conf, "retry.after_max_ms", "4444");
  memset(&s, 0, sizeof s);
  assert_int_equal(sbi_setup_sender(conf, &s), SEGB_OK);
  assert_string_equal(s.url, "http://127.0.0.1:9/v1/batch");
  assert_non_null(strstr(s.auth_hint, "an EU workspace needs region=eu"));
  assert_int_equal(s.limits.max_events, 7);
  assert_int_equal(s.limits.max_bytes, 4096);
  assert_int_equal(s.limits.retry.max_retries, 3);
  assert_int_equal(s.limits.retry.backoff_initial_ms, 11);
  assert_int_equal(s.limits.retry.backoff_max_ms, 222);
  assert_int_equal(s.limits.retry.total_timeout_ms, 3333);
  assert_int_equal(s.limits.retry.after_max_ms, 4444);
  sbi_sender_free(&s);

  /* OAuth credentials change what a refusal means */
  set(conf, "oauth.key_id", "kid");
  memset(&s, 0, sizeof s);
  assert_int_equal(sbi_setup_sender(conf, &s), SEGB_OK);
  assert_non_null(strstr(s.auth_hint, "OAuth token was refused"));
  sbi_sender_free(&s);

  /* the other region's host is refused, and nothing is kept */
  set(conf, "region", "eu");
  set(conf, "endpoint", "api.segment.io/v1");
  memset(&s, 0, sizeof s);
  assert_int_equal(sbi_setup_sender(conf, &s), SEGB_ERR_INVALID_VALUE);
  assert_true(says("region is eu"));
  assert_null(s.url);
  segb_config_destroy(conf);
}

static void test_tracking_auth(void **state) {
  segb_config_t *conf = segb_config_new();
  sbi_transport *shared = sbi_capture_transport_new(200, "");
  sbi_buf b = SBI_BUF_INIT;
  sbi_auth *a;
  (void)state;

  assert_null(sbi_setup_tracking_auth(conf, shared));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
  assert_true(says("set write_key"));
  /* OAuth still needs the write key: it goes into every body */
  set(conf, "oauth.client_id", "app");
  assert_null(sbi_setup_tracking_auth(conf, shared));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);

  set(conf, "write_key", "k");
  set(conf, "write_key.in_body", "true");
  /* incomplete OAuth settings are named; the shared transport is only
   * borrowed, so it outlives the failure */
  assert_null(sbi_setup_tracking_auth(conf, shared));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
  assert_true(says("oauth.key_id"));
  assert_int_equal(sbi_capture_count(shared), 0);

  set(conf, "oauth.client_id", NULL);
  a = sbi_setup_tracking_auth(conf, shared);
  assert_non_null(a);
  assert_null(a->refresh); /* the write key, not OAuth */
  assert_int_equal(a->header(a, -1, &b), SEGB_OK);
  assert_string_equal(b.data, "Authorization: Basic azo="); /* "k:" */
  sbi_buf_clear(&b);
  assert_int_equal(a->body_members(a, &b), SEGB_OK);
  assert_string_equal(b.data, ",\"writeKey\":\"k\"");
  a->destroy(a);
  sbi_buf_free(&b);
  shared->destroy(shared);
  segb_config_destroy(conf);
}

/* The shared constructor: a transport handed in is the handle's from the
 * start, so every failure frees it; the config stays the caller's; the
 * reason reaches both errstr and the thread's error. */
static void test_constructor_failures(void **state) {
  segb_config_t *conf = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];
  segb_reader_t *r;
  (void)state;

  assert_null(sbi_client_new(NULL, sbi_capture_transport_new(200, ""), err,
                             sizeof err));
  assert_string_equal(err, "configuration is NULL");
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_ARG);
  assert_null(sbi_reader_new(NULL, sbi_capture_transport_new(200, ""), err,
                             sizeof err));
  assert_string_equal(err, "configuration is NULL");

  assert_null(sbi_reader_new(conf, sbi_capture_transport_new(200, ""), err,
                             sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
  assert_non_null(strstr(err, "public_api.token"));
  assert_string_equal(err, segb_last_error_message());

  set(conf, "write_key", "k");
  set(conf, "region", "eu");
  set(conf, "endpoint", "https://api.segment.io");
  assert_null(sbi_client_new(conf, sbi_capture_transport_new(200, ""), err,
                             sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
  assert_non_null(strstr(err, "region is eu"));

  /* the same config, now complete, makes a reader with its limits */
  set(conf, "public_api.token", "t");
  set(conf, "api.timeout_ms", "1234");
  r = sbi_reader_new(conf, sbi_capture_transport_new(200, ""), err, sizeof err);
  assert_non_null(r);
  assert_int_equal(r->http.limits.call_timeout_ms, 1234);
  assert_string_equal(r->public_base, "https://eu1.api.segmentapis.com");
  segb_reader_destroy(r); /* and the config with it */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_region_check),
      cmocka_unit_test(test_sender_from_config),
      cmocka_unit_test(test_tracking_auth),
      cmocka_unit_test(test_constructor_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
