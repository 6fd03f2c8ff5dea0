/* Percent-encoding of URL parts and Profile API identifiers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <segbridge/error.h>

#include "api/pct.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_pct_unreserved_kept(void **state) {
  const char *s = "AZaz09-._~";
  sbi_buf b = SBI_BUF_INIT;
  (void)state;
  assert_int_equal(sbi_pct_append(&b, s, strlen(s)), SEGB_OK);
  assert_string_equal(b.data, s);
  sbi_buf_free(&b);
}

static void test_pct_everything_else(void **state) {
  static const struct {
    const char *in, *want;
  } cases[] = {
      {"a b", "a%20b"},
      {"a/b", "a%2Fb"},
      {"+1555", "%2B1555"},
      {"x@y.z", "x%40y.z"},
      {"a:b", "a%3Ab"},
      {"?&=#%", "%3F%26%3D%23%25"},
      {"\xc3\xbc", "%C3%BC"},               /* u-umlaut: its UTF-8 bytes */
      {"\xf0\x9f\x98\x80", "%F0%9F%98%80"}, /* an emoji, four bytes */
      {"\x01\x7f", "%01%7F"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(cases); i++) {
    sbi_buf b = SBI_BUF_INIT;
    assert_int_equal(sbi_pct_append(&b, cases[i].in, strlen(cases[i].in)),
                     SEGB_OK);
    assert_string_equal(b.data, cases[i].want);
    sbi_buf_free(&b);
  }
}

static void test_pct_nul_inside(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;
  assert_int_equal(sbi_pct_append(&b, "a\0b", 3), SEGB_OK);
  assert_string_equal(b.data, "a%00b");
  sbi_buf_free(&b);
}

static void test_query_append(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;
  assert_int_equal(sbi_buf_puts(&b, "https://h/sources"), SEGB_OK);
  assert_int_equal(sbi_query_append(&b, "pagination.count", "5"), SEGB_OK);
  assert_int_equal(sbi_query_append(&b, "pagination.cursor", "+/8y=="),
                   SEGB_OK);
  assert_string_equal(
      b.data, "https://h/sources?pagination.count=5&pagination.cursor=%2B%2F"
              "8y%3D%3D");
  sbi_buf_free(&b);
}

static void test_profile_id_encoded(void **state) {
  static const struct {
    const char *in, *want;
  } cases[] = {
      {"user_id:u-1", "user_id:u-1"},
      {"email:jane+test@example.com", "email:jane%2Btest%40example.com"},
      {"phone_number:+15555550123", "phone_number:%2B15555550123"},
      {"user_id:jane doe/\xc3\xbc+1", "user_id:jane%20doe%2F%C3%BC%2B1"},
      /* only the first ':' separates: the rest is value */
      {"user_id:a:b", "user_id:a%3Ab"},
      {"ios.idfa:AB-12", "ios.idfa:AB-12"},
      {"ga_client_id:1.2", "ga_client_id:1.2"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(cases); i++) {
    sbi_buf b = SBI_BUF_INIT;
    assert_int_equal(sbi_profile_id_append(&b, cases[i].in), SEGB_OK);
    assert_string_equal(b.data, cases[i].want);
    sbi_buf_free(&b);
  }
}

static void test_profile_id_refused(void **state) {
  static const struct {
    const char *in;
    int err;
  } cases[] = {
      {"u-1", SEGB_ERR_INVALID_ARG},           /* no type */
      {":u-1", SEGB_ERR_INVALID_ARG},          /* empty type */
      {"user_id:", SEGB_ERR_INVALID_ARG},      /* empty value */
      {"user id:u-1", SEGB_ERR_INVALID_ARG},   /* space in the type */
      {"user/id:u-1", SEGB_ERR_INVALID_ARG},   /* slash in the type */
      {"us%65r_id:u", SEGB_ERR_INVALID_ARG},   /* escapes in the type */
      {"\xc3\xbc:u", SEGB_ERR_INVALID_ARG},    /* non-ASCII type */
      {"user_id:\xc3", SEGB_ERR_INVALID_UTF8}, /* cut UTF-8 value */
      {"user_id:\xff", SEGB_ERR_INVALID_UTF8},
  };
  size_t i;
  (void)state;
  for (i = 0; i < COUNT(cases); i++) {
    sbi_buf b = SBI_BUF_INIT;
    assert_int_equal(sbi_profile_id_append(&b, cases[i].in), cases[i].err);
    assert_int_equal(segb_last_error(), cases[i].err);
    assert_true(segb_last_error_message()[0] != '\0');
    assert_int_equal(b.len, 0);
    sbi_buf_free(&b);
  }
  assert_int_equal(sbi_profile_id_append(&(sbi_buf)SBI_BUF_INIT, NULL),
                   SEGB_ERR_INVALID_ARG);
}

static void test_collection(void **state) {
  (void)state;
  assert_string_equal(sbi_profile_collection("group_id:g-1"), "accounts");
  assert_string_equal(sbi_profile_collection("user_id:g-1"), "users");
  assert_string_equal(sbi_profile_collection("group_idx:g"), "users");
  assert_string_equal(sbi_profile_collection("email:group_id:x"), "users");
}

static void test_dot_segment(void **state) {
  (void)state;
  assert_true(sbi_dot_segment("."));
  assert_true(sbi_dot_segment(".."));
  assert_false(sbi_dot_segment("..."));
  assert_false(sbi_dot_segment("..x"));
  assert_false(sbi_dot_segment("user_id:.."));
  assert_false(sbi_dot_segment(""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pct_unreserved_kept),
      cmocka_unit_test(test_pct_everything_else),
      cmocka_unit_test(test_pct_nul_inside),
      cmocka_unit_test(test_query_append),
      cmocka_unit_test(test_profile_id_encoded),
      cmocka_unit_test(test_profile_id_refused),
      cmocka_unit_test(test_collection),
      cmocka_unit_test(test_dot_segment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
