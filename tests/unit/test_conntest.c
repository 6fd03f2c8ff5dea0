/* Test Connection's advice: one table keyed by (API, error), the first row
 * naming both giving the guide's troubleshooting text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <segbridge/error.h>

#include "conntest/conntest.h"

typedef struct advice_case {
  sbi_api api;
  int err;
  const char *part; /* in the advice; "" for none */
} advice_case;

static const advice_case cases[] = {
    {SBI_API_TRACKING, SEGB_ERR_AUTH, "Write key rejected"},
    {SBI_API_TRACKING, SEGB_ERR_NO_CREDENTIALS, "writeKey required"},
    {SBI_API_TRACKING, SEGB_ERR_CONNECT, "events.eu1.segmentapis.com"},
    {SBI_API_TRACKING, SEGB_ERR_RETRIES_EXHAUSTED, "network access"},
    {SBI_API_TRACKING, SEGB_ERR_CLOSED, "network access"},
    {SBI_API_TRACKING, SEGB_ERR_RATE_LIMITED, "Rate limiting (429)"},
    {SBI_API_TRACKING, SEGB_ERR_INVALID_VALUE, ""},
    {SBI_API_TRACKING, SEGB_ERR_NOT_FOUND, ""},
    /* OAuth: the network, rate and missing-key rows come first, every
     * other failure is OAuth's */
    {SBI_API_OAUTH, SEGB_ERR_AUTH, "OAuth needs a Business tier plan"},
    {SBI_API_OAUTH, SEGB_ERR_INVALID_VALUE, "RS256 key"},
    {SBI_API_OAUTH, SEGB_ERR_TLS, "events.eu1.segmentapis.com"},
    {SBI_API_OAUTH, SEGB_ERR_RATE_LIMITED, "Rate limiting (429)"},
    {SBI_API_OAUTH, SEGB_ERR_NO_CREDENTIALS, "writeKey required"},
    {SBI_API_PUBLIC, SEGB_ERR_AUTH, "not a Config API token"},
    {SBI_API_PUBLIC, SEGB_ERR_NOT_FOUND, "public_api.endpoint"},
    {SBI_API_PUBLIC, SEGB_ERR_INVALID_VALUE, "fix the setting"},
    {SBI_API_PUBLIC, SEGB_ERR_DNS, "the API host and the region setting"},
    {SBI_API_PUBLIC, SEGB_ERR_RATE_LIMITED, "Rate limiting (429)"},
    {SBI_API_PUBLIC, SEGB_ERR_CLOSED, ""},
    {SBI_API_PUBLIC, SEGB_ERR_NO_CREDENTIALS, ""},
    {SBI_API_PROFILE, SEGB_ERR_AUTH, "profiles.euw1.segment.com"},
    {SBI_API_PROFILE, SEGB_ERR_TIMED_OUT, "the API host"},
    {SBI_API_PROFILE, SEGB_ERR_INVALID_VALUE, "fix the setting"},
    {SBI_API_PROFILE, SEGB_ERR_SERVER, ""},
};

static void test_advice_table(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = sbi_conntest_advice(cases[i].api, cases[i].err);
    int ok = cases[i].part[0] == '\0' ? got[0] == '\0'
                                      : strstr(got, cases[i].part) != NULL;
    if (!ok)
      fail_msg("api %d, %s: \"%s\", wanted \"%s\"", (int)cases[i].api,
               segb_err_name(cases[i].err), got, cases[i].part);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_advice_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
