/* Auth providers: the write key (Basic and body) and the static Bearer
 * token. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "auth/auth.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/err.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *header_of(sbi_auth *a) {
  sbi_buf b = SBI_BUF_INIT;
  assert_int_equal(a->header(a, -1, &b), SEGB_OK);
  assert_non_null(b.data);
  return b.data;
}

static char *members_of(sbi_auth *a) {
  sbi_buf b = SBI_BUF_INIT;
  assert_int_equal(sbi_buf_puts(&b, "{\"batch\":[]"), SEGB_OK);
  assert_int_equal(a->body_members(a, &b), SEGB_OK);
  return b.data;
}

/* The example of Segment's HTTP Tracking API docs page, Authentication. */
static void test_write_key_basic(void **state) {
  sbi_auth *a = sbi_write_key_auth_new("abc123", 0);
  char *s;
  (void)state;

  assert_non_null(a);
  s = header_of(a);
  assert_string_equal(s, "Authorization: Basic YWJjMTIzOg==");
  free(s);
  /* Not in the body unless asked for. */
  s = members_of(a);
  assert_string_equal(s, "{\"batch\":[]");
  free(s);
  /* Nothing to refresh; the header stays the same. */
  a->unauthorized(a);
  s = header_of(a);
  assert_string_equal(s, "Authorization: Basic YWJjMTIzOg==");
  free(s);
  a->destroy(a);
}

static void test_write_key_in_body(void **state) {
  sbi_auth *a = sbi_write_key_auth_new("abc123", 1);
  char *s;
  (void)state;

  assert_non_null(a);
  s = members_of(a);
  assert_string_equal(s, "{\"batch\":[],\"writeKey\":\"abc123\"");
  free(s);
  s = header_of(a);
  assert_string_equal(s, "Authorization: Basic YWJjMTIzOg==");
  free(s);
  a->destroy(a);

  /* A quote, a backslash and a control byte are escaped. */
  a = sbi_write_key_auth_new("a\"b\\c\x01", 1);
  assert_non_null(a);
  s = members_of(a);
  assert_string_equal(s, "{\"batch\":[],\"writeKey\":\"a\\\"b\\\\c\\u0001\"");
  free(s);
  s = header_of(a);
  /* base64("a\"b\\c\x01:") */
  assert_string_equal(s, "Authorization: Basic YSJiXGMBOg==");
  free(s);
  a->destroy(a);
}

/* A long key: the prebuilt forms do not depend on buffer growth. */
static void test_write_key_long(void **state) {
  char key[1025];
  sbi_buf want = SBI_BUF_INIT;
  sbi_auth *a;
  char *s;
  (void)state;

  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 1] = '\0';
  key[500] = ':';
  a = sbi_write_key_auth_new(key, 1);
  assert_non_null(a);
  assert_int_equal(sbi_buf_puts(&want, "Authorization: Basic "), SEGB_OK);
  key[sizeof key - 1] = ':';
  assert_int_equal(sbi_base64_append(&want, key, sizeof key), SEGB_OK);
  key[sizeof key - 1] = '\0';
  s = header_of(a);
  assert_string_equal(s, want.data);
  free(s);
  s = members_of(a);
  assert_int_equal(strlen(s), strlen("{\"batch\":[],\"writeKey\":\"\"") + 1024);
  free(s);
  sbi_buf_free(&want);
  a->destroy(a);
}

static void test_write_key_missing(void **state) {
  (void)state;

  assert_null(sbi_write_key_auth_new(NULL, 0));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
  sbi_error(SEGB_ERR_INVALID_ARG, "something else");
  assert_null(sbi_write_key_auth_new("", 1));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
}

static void test_token_bearer(void **state) {
  sbi_auth *a = sbi_token_auth_new("tok.en-_~+/=");
  char *s;
  (void)state;

  assert_non_null(a);
  s = header_of(a);
  assert_string_equal(s, "Authorization: Bearer tok.en-_~+/=");
  free(s);
  s = members_of(a);
  assert_string_equal(s, "{\"batch\":[]");
  free(s);
  a->unauthorized(a);
  a->destroy(a);
}

/* CR/LF would inject headers; every control character is refused, and the
 * token never shows in the error. */
static void test_token_refuses_controls(void **state) {
  static const char *const bad[] = {
      "secret\r\nX-Evil: 1", "secret\n",   "secret\r", "sec\tret",
      "secret\x7f",          "\x1bsecret",
  };
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(bad); i++) {
    sbi_error(SEGB_OK, "none");
    assert_null(sbi_token_auth_new(bad[i]));
    assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
    assert_null(strstr(segb_last_error_message(), "secret"));
    assert_null(strstr(segb_last_error_message(), "sec"));
  }
  assert_null(sbi_token_auth_new(NULL));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
  sbi_error(SEGB_ERR_INVALID_ARG, "something else");
  assert_null(sbi_token_auth_new(""));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
}

/* The header is written into whatever the caller's buffer holds. */
static void test_header_into_used_buffer(void **state) {
  sbi_auth *a = sbi_token_auth_new("t");
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_non_null(a);
  assert_int_equal(sbi_buf_puts(&b, "old header that was cleared"), SEGB_OK);
  sbi_buf_clear(&b);
  assert_int_equal(a->header(a, -1, &b), SEGB_OK);
  assert_string_equal(b.data, "Authorization: Bearer t");
  assert_int_equal(b.len, strlen("Authorization: Bearer t"));
  sbi_buf_free(&b);
  a->destroy(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_key_basic),
      cmocka_unit_test(test_write_key_in_body),
      cmocka_unit_test(test_write_key_long),
      cmocka_unit_test(test_write_key_missing),
      cmocka_unit_test(test_token_bearer),
      cmocka_unit_test(test_token_refuses_controls),
      cmocka_unit_test(test_header_into_used_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
