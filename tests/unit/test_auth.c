/* Auth providers: base64, the write key (Basic and body) and the static
 * Bearer token. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/rand.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct b64_case {
  const char *in;
  const char *std; /* RFC 4648 §10 */
  const char *url; /* the same without padding */
} b64_case;

static const b64_case b64_cases[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_base64_vectors(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(b64_cases); i++) {
    sbi_buf std = SBI_BUF_INIT, url = SBI_BUF_INIT;
    const b64_case *c = &b64_cases[i];

    assert_int_equal(sbi_base64_append(&std, c->in, strlen(c->in)), SEGB_OK);
    assert_int_equal(sbi_base64url_append(&url, c->in, strlen(c->in)),
                     SEGB_OK);
    assert_non_null(std.data);
    assert_string_equal(std.data, c->std);
    assert_int_equal(std.len, strlen(c->std));
    assert_string_equal(url.data, c->url);
    assert_int_equal(url.len, strlen(c->url));
    sbi_buf_free(&std);
    sbi_buf_free(&url);
  }
}

/* The two alphabets differ only in the last two letters. */
static void test_base64_alphabets(void **state) {
  static const unsigned char high[] = {0xFB, 0xEF, 0xFF, 0xFF};
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_base64_append(&b, high, sizeof high), SEGB_OK);
  assert_string_equal(b.data, "++///w==");
  sbi_buf_clear(&b);
  assert_int_equal(sbi_base64url_append(&b, high, sizeof high), SEGB_OK);
  assert_string_equal(b.data, "--___w");
  sbi_buf_free(&b);
}

/* Appending keeps what is in the buffer. */
static void test_base64_appends(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_buf_puts(&b, "x="), SEGB_OK);
  assert_int_equal(sbi_base64_append(&b, "foob", 4), SEGB_OK);
  assert_int_equal(sbi_base64url_append(&b, "fo", 2), SEGB_OK);
  assert_string_equal(b.data, "x=Zm9vYg==Zm8");
  sbi_buf_free(&b);
}

static int b64_value(char c) {
  static const char std[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *p = strchr(std, c);
  return c != '\0' && p != NULL ? (int)(p - std) : -1;
}

/* An independent decoder for the round trip below. */
static size_t b64_decode(const char *s, size_t len, unsigned char *out) {
  size_t i, n = 0;
  uint32_t acc = 0;
  int bits = 0;

  for (i = 0; i < len && s[i] != '='; i++) {
    int v = b64_value(s[i]);
    assert_true(v >= 0);
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (unsigned char)(acc >> bits);
    }
  }
  return n;
}

/* Random data of every length up to 200 decodes back to itself. */
static void test_base64_round_trip(void **state) {
  unsigned char in[200], back[200];
  size_t len, i;
  (void)state;

  for (len = 0; len < sizeof in; len++) {
    sbi_buf b = SBI_BUF_INIT;
    for (i = 0; i < len; i++)
      in[i] = (unsigned char)sbi_rand64();
    assert_int_equal(sbi_base64_append(&b, in, len), SEGB_OK);
    assert_int_equal(b.len, (len + 2) / 3 * 4);
    assert_int_equal(b64_decode(b.data, b.len, back), len);
    assert_memory_equal(back, in, len);
    sbi_buf_free(&b);
  }
}

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

/* The example of the protocol spec §1.2. */
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
  assert_string_equal(s,
                      "{\"batch\":[],\"writeKey\":\"a\\\"b\\\\c\\u0001\"");
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
      "secret\r\nX-Evil: 1", "secret\n", "secret\r", "sec\tret",
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
      cmocka_unit_test(test_base64_vectors),
      cmocka_unit_test(test_base64_alphabets),
      cmocka_unit_test(test_base64_appends),
      cmocka_unit_test(test_base64_round_trip),
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
