/* What the read APIs' error bodies and rate-limit hints say. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <segbridge/error.h>

#include "api/errbody.h"
#include "transport/retry.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define EXAMPLE_MS INT64_C(784111777000)

static int text_of(const char *body, char *out, size_t size) {
  return sbi_api_error_text(body, strlen(body), out, size);
}

static void test_error_envelopes(void **state) {
  static const struct {
    const char *body, *want;
  } cases[] = {
      /* Public API */
      {"{\"errors\":[{\"type\":\"unauthorized\",\"message\":\"bad token\"}]}",
       "unauthorized: bad token"},
      {"{\"errors\":[{\"type\":\"validation\",\"message\":\"count\","
       "\"field\":\"pagination.count\"},{\"type\":\"x\",\"message\":\"y\"}]}",
       "validation: count"},
      {"{\"errors\":[{\"message\":\"only a message\"}]}", "only a message"},
      {"{\"errors\":[{\"type\":\"NotFoundError\"}]}", "NotFoundError"},
      /* Profile API */
      {"{\"error\":{\"code\":\"not_found\",\"message\":\"Profile was not "
       "found.\"}}",
       "not_found: Profile was not found."},
      /* control characters become spaces, UTF-8 stays */
      {"{\"error\":{\"code\":\"a\",\"message\":\"l1\\nl2 \\u00fc\"}}",
       "a: l1 l2 \xc3\xbc"},
  };
  char out[128];
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(cases); i++) {
    assert_int_equal(text_of(cases[i].body, out, sizeof out), 1);
    assert_string_equal(out, cases[i].want);
  }
}

static void test_error_not_envelopes(void **state) {
  static const char *const bodies[] = {
      "",
      "Internal Server Error",
      "{\"success\":false,\"error\":\"injected fault\"}", /* Tracking API */
      "{\"errors\":[]}",
      "{\"errors\":[\"text\"]}",
      "{\"error\":\"a string\"}",
      "[1,2]",
      "{\"errors\":[{\"type\":\"cut",
  };
  char out[64] = "untouched";
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(bodies); i++) {
    assert_int_equal(text_of(bodies[i], out, sizeof out), 0);
    assert_string_equal(out, "");
  }
  assert_int_equal(sbi_api_error_text(NULL, 0, out, sizeof out), 0);
}

static void test_error_cut_at_character(void **state) {
  /* "ab" then u-umlaut (2 bytes): a 4-byte buffer keeps "ab" only. */
  const char *body = "{\"errors\":[{\"message\":\"ab\\u00fcc\"}]}";
  char out[4];
  (void)state;
  assert_int_equal(text_of(body, out, sizeof out), 1);
  assert_string_equal(out, "ab");
}

static void test_ms_before_next(void **state) {
  static const struct {
    const char *body;
    int found;
    int64_t ms;
  } cases[] = {
      {"{\"errors\":[{\"type\":\"RequestError\",\"message\":\"Too many "
       "requests\",\"data\":{\"remainingPoints\":0,\"msBeforeNext\":1234,"
       "\"consumedPoints\":100}}]}",
       1, 1234},
      {"{\"errors\":[{\"data\":{\"msBeforeNext\":0}}]}", 1, 0},
      {"{\"errors\":[{\"data\":{\"msBeforeNext\":12.2}}]}", 1, 13},
      {"{\"errors\":[{\"data\":{\"msBeforeNext\":-5}}]}", 0, 0},
      {"{\"errors\":[{\"data\":{\"msBeforeNext\":\"5\"}}]}", 0, 0},
      {"{\"errors\":[{\"data\":{\"msBeforeNext\":1e300}}]}", 0, 0},
      {"{\"errors\":[{\"type\":\"RequestError\"}]}", 0, 0},
      {"{\"success\":false}", 0, 0},
      {"not json", 0, 0},
  };
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(cases); i++) {
    int64_t ms = -1;
    assert_int_equal(
        sbi_api_ms_before_next(cases[i].body, strlen(cases[i].body), &ms),
        cases[i].found);
    if (cases[i].found)
      assert_int_equal(ms, cases[i].ms);
  }
}

static void test_rfc5322_dates(void **state) {
  static const struct {
    const char *value;
    int64_t wait; /* from EXAMPLE_MS */
  } cases[] = {
      {"Sun, 06 Nov 1994 08:49:40 GMT", 3000},
      {"Sun, 06 Nov 1994 08:49:40 +0000", 3000},
      {"Sun, 6 Nov 1994 08:49:40 UT", 3000},
      {"06 Nov 1994 08:49:40 Z", 3000},          /* no day name */
      {"Sun, 06 Nov 1994 08:50 GMT", 23000},     /* no seconds */
      {"Sun, 06 Nov 1994 09:49:40 +0100", 3000}, /* an hour east */
      {"Sun, 06 Nov 1994 03:19:40 -0530", 3000}, /* 5:30 west */
      {"  Sun, 06 Nov 1994 08:49:40 UTC  ", 3000},
      {"Sun, 06 Nov 1994 08:49:30 GMT", 0}, /* in the past */
      {"Mon, 07 Nov 1994 08:49:37 GMT", 86400000},
      /* curl_getdate() reads these too; the own RFC 5322 parser did not. */
      {"Sun, 06 Nov 1994 08:49:40", 3000},          /* no zone: GMT */
      {"Sun, 06 Nov 1994 09:49:40 CET", 3000},      /* a zone name */
      {"Sun, 06 Nov 1994 10:49:40 +0160", 3000},    /* 60 minutes: 2 h */
      {"Sun, 06 Nov 94 08:49:40 GMT", 3000},        /* two-digit year */
      {"Sun, 06 Nov 1994 08:49:40 GMT junk", 3000}, /* a word after */
      {"Sun, 31 Oct 1994 08:49:40 GMT", 0},         /* in the past */
      {"Thu, 31 Nov 1994 08:49:40 GMT", 25 * INT64_C(86400000) + 3000},
  };
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(cases); i++) {
    int64_t wait = -1;
    assert_int_equal(sbi_http_date_wait(cases[i].value, EXAMPLE_MS, &wait), 1);
    assert_int_equal(wait, cases[i].wait);
  }
}

static void test_rfc5322_refused(void **state) {
  static const char *const values[] = {
      "",
      "3",                             /* seconds are not a date here */
      "1700000000",                    /* nor is an epoch */
      "Sun, 06 Nov 1994 08:49:40 +01", /* short offset */
      "Sun, 06 Foo 1994 08:49:40 GMT", /* no such month */
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 32 Nov 1994 08:49:40 GMT", /* no such day in any month */
  };
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(values); i++) {
    int64_t wait = -1;
    assert_int_equal(sbi_http_date_wait(values[i], EXAMPLE_MS, &wait), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_envelopes),
      cmocka_unit_test(test_error_not_envelopes),
      cmocka_unit_test(test_error_cut_at_character),
      cmocka_unit_test(test_ms_before_next),
      cmocka_unit_test(test_rfc5322_dates),
      cmocka_unit_test(test_rfc5322_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
