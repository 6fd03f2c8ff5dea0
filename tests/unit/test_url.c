/* Endpoint normalization (core/url): every spelling of a base gives one
 * URL, bad ones are refused with a reason that never quotes them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/url.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct norm_case {
  const char *in, *want;
} norm_case;

static const norm_case accepted[] = {
    /* Every spelling of the US Tracking API host. */
    {"api.segment.io", "https://api.segment.io"},
    {"api.segment.io/", "https://api.segment.io"},
    {"api.segment.io/v1", "https://api.segment.io"},
    {"api.segment.io/v1/", "https://api.segment.io"},
    {"https://api.segment.io", "https://api.segment.io"},
    {"https://api.segment.io/", "https://api.segment.io"},
    {"https://api.segment.io/v1", "https://api.segment.io"},
    {"https://api.segment.io/v1/", "https://api.segment.io"},
    {"https://api.segment.io//", "https://api.segment.io"},
    {"https://api.segment.io:443", "https://api.segment.io"},
    {"https://api.segment.io:443/v1", "https://api.segment.io"},
    {"HTTPS://API.Segment.IO/v1", "https://api.segment.io"},
    {"Https://api.SEGMENT.io", "https://api.segment.io"},
    /* A local mock, with and without scheme (https is the default). */
    {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
    {"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
    {"http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080"},
    {"127.0.0.1:8080/v1", "https://127.0.0.1:8080"},
    {"127.0.0.1:8080", "https://127.0.0.1:8080"},
    {"localhost:08080", "https://localhost:8080"},
    {"http://localhost:80/", "http://localhost"},
    {"http://localhost:443", "http://localhost:443"},
    {"https://localhost:80", "https://localhost:80"},
    {"http://h:1", "http://h:1"},
    {"http://h:65535", "http://h:65535"},
    {"http://[::1]:8080/v1", "http://[::1]:8080"},
    {"[FE80::1]", "https://[fe80::1]"},
    {"my_host.internal", "https://my_host.internal"},
    /* A proxy path is kept, its case too; only a last /v1 goes. */
    {"https://proxy.example/segment", "https://proxy.example/segment"},
    {"https://proxy.example/segment/", "https://proxy.example/segment"},
    {"https://proxy.example/segment/v1", "https://proxy.example/segment"},
    {"https://proxy.example/segment/v1/", "https://proxy.example/segment"},
    {"proxy.example/A/b%2Fc", "https://proxy.example/A/b%2Fc"},
    {"proxy.example/v1/v1", "https://proxy.example/v1"},
    {"proxy.example/v10", "https://proxy.example/v10"},
    {"proxy.example/V1", "https://proxy.example/V1"},
    {"proxy.example/x/v1//", "https://proxy.example/x"},
    {"proxy.example/a@b:c", "https://proxy.example/a@b:c"},
    {"events.eu1.segmentapis.com", "https://events.eu1.segmentapis.com"},
};

static void test_normalize_accepts(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(accepted); i++) {
    sbi_buf b = SBI_BUF_INIT;
    int rc = sbi_endpoint_normalize(accepted[i].in, &b);
    if (rc != SEGB_OK || strcmp(b.data, accepted[i].want) != 0) {
      print_error("'%s': rc %d, got '%s', want '%s' (%s)\n", accepted[i].in, rc,
                  b.data != NULL ? b.data : "(null)", accepted[i].want,
                  segb_last_error_message());
      fail();
    }
    assert_int_equal(b.len, strlen(accepted[i].want));
    sbi_buf_free(&b);
  }
}

/* Normalizing twice changes nothing, except for a prefix that itself ends
 * in /v1: that one cannot be spelled without a /v1 after it. */
static void test_normalize_idempotent(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(accepted); i++) {
    size_t n = strlen(accepted[i].want);
    sbi_buf b = SBI_BUF_INIT;
    if (strcmp(accepted[i].want + n - 3, "/v1") == 0)
      continue;
    assert_int_equal(sbi_endpoint_normalize(accepted[i].want, &b), SEGB_OK);
    assert_string_equal(b.data, accepted[i].want);
    sbi_buf_free(&b);
  }
}

static const char *const rejected[] = {
    "",
    " api.segment.io",
    "api.segment.io ",
    "api.segment .io",
    "https://api.segment.io/v1\n",
    "api.segment.io\t",
    "api.segment.io\r\nX: y",
    "api.segment.io\x7f",
    "api.s\xc3\xa9gment.io",
    "ftp://api.segment.io",
    "socks5://proxy:1080",
    "file:///etc/passwd",
    "javascript://x",
    "httpx://api.segment.io",
    "://api.segment.io",
    "https://user:hunter2@api.segment.io",
    "https://user@api.segment.io",
    "user:hunter2@api.segment.io",
    "https://@api.segment.io",
    "https://api.segment.io?x=1",
    "https://api.segment.io/?x=1",
    "https://api.segment.io/v1#frag",
    "https://api.segment.io#",
    "https://",
    "https:///v1",
    "//api.segment.io",
    "/v1",
    ":8080",
    "https://:8080",
    "https://api.segment.io:",
    "https://api.segment.io:http",
    "https://api.segment.io:80a",
    "https://api.segment.io:-1",
    "https://api.segment.io:+80",
    "https://api.segment.io:0",
    "https://api.segment.io:65536",
    "https://api.segment.io:99999999999999999999",
    "https://api.segment.io:8080:9090",
    "https://api!.segment.io",
    "https://api.segment.io/a\"b",
    "https://api.segment.io/a<b>",
    "https://api.segment.io/a\\b",
    "https://api.segment.io/a%zz",
    "https://api.segment.io/a%2",
    "https://[::1",
    "https://[]",
    "https://[::g]",
    "https://[::1]x",
    "mailto:someone",
};

static void test_normalize_rejects(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(rejected); i++) {
    sbi_buf b = SBI_BUF_INIT;
    int rc;

    assert_int_equal(sbi_buf_puts(&b, "keep"), SEGB_OK);
    rc = sbi_endpoint_normalize(rejected[i], &b);
    if (rc != SEGB_ERR_INVALID_VALUE) {
      print_error("'%s': rc %d, got '%s'\n", rejected[i], rc, b.data);
      fail();
    }
    assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
    /* The message says what is wrong and never carries a password. */
    assert_true(strlen(segb_last_error_message()) > 4);
    assert_null(strstr(segb_last_error_message(), "hunter2"));
    /* Nothing is appended on failure. */
    assert_string_equal(b.data, "keep");
    assert_int_equal(b.len, 4);
    sbi_buf_free(&b);
  }
  assert_int_equal(sbi_endpoint_normalize(NULL, &(sbi_buf)SBI_BUF_INIT),
                   SEGB_ERR_INVALID_VALUE);
}

/* A few messages, to keep them saying what is wrong. */
static void test_normalize_messages(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  sbi_endpoint_normalize("ftp://x", &b);
  assert_non_null(strstr(segb_last_error_message(), "http or https"));
  sbi_endpoint_normalize("https://u:p@x", &b);
  assert_non_null(strstr(segb_last_error_message(), "user:password@"));
  sbi_endpoint_normalize("https://x:99999", &b);
  assert_non_null(strstr(segb_last_error_message(), "port"));
  sbi_endpoint_normalize("https://x/?q", &b);
  assert_non_null(strstr(segb_last_error_message(), "query"));
  assert_null(b.data);
}

/* Normalization appends after what the buffer holds. */
static void test_normalize_appends(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_buf_puts(&b, "url="), SEGB_OK);
  assert_int_equal(sbi_endpoint_normalize("Example.COM/v1/", &b), SEGB_OK);
  assert_string_equal(b.data, "url=https://example.com");
  sbi_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalize_accepts),
      cmocka_unit_test(test_normalize_idempotent),
      cmocka_unit_test(test_normalize_rejects),
      cmocka_unit_test(test_normalize_messages),
      cmocka_unit_test(test_normalize_appends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
