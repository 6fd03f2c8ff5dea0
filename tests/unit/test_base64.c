/* The base64 decoder of core/: RFC 4648 vectors, padding rules, strictness,
 * and that a failure leaves the buffer as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <segbridge/error.h>

#include "core/base64.h"
#include "core/buf.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct dec_case {
  const char *in;
  const char *out;
} dec_case;

/* RFC 4648 §10, padded and unpadded. */
static const dec_case good[] = {
    {"", ""},
    {"Zg==", "f"},
    {"Zm8=", "fo"},
    {"Zm9v", "foo"},
    {"Zm9vYg==", "foob"},
    {"Zm9vYmE=", "fooba"},
    {"Zm9vYmFy", "foobar"},
    {"Zg", "f"},
    {"Zm8", "fo"},
    {"Zm9vYmE", "fooba"},
    {"YWJjMTIzOg==", "abc123:"},
};

static void test_decode_vectors(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(good); i++) {
    sbi_buf out = SBI_BUF_INIT;

    assert_int_equal(sbi_base64_decode(good[i].in, strlen(good[i].in), &out),
                     SEGB_OK);
    assert_int_equal(out.len, strlen(good[i].out));
    if (out.len > 0)
      assert_memory_equal(out.data, good[i].out, out.len);
    sbi_buf_free(&out);
  }
}

static void test_decode_all_bytes(void **state) {
  /* "+/" and the bytes 0x00 and 0xFF: the whole alphabet's edges. */
  static const unsigned char bytes[] = {0xFB, 0xEF, 0xFF, 0x00, 0x10, 0x83};
  sbi_buf out = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_base64_decode("++//ABCD", 8, &out), SEGB_OK);
  assert_int_equal(out.len, 6);
  assert_memory_equal(out.data, bytes, 6);
  sbi_buf_free(&out);
}

static void test_decode_refuses(void **state) {
  static const char *const bad[] = {
      "Z",        /* one character holds no byte */
      "Zm9vY",    /* nor does a fifth */
      "Zh==",     /* unused bits set */
      "Zm9=",     /* unused bits set */
      "Zg=",      /* padding incomplete */
      "Zg===",    /* too much padding */
      "Z===",     /* padding where data belongs */
      "====",     /* padding only */
      "Zg==Zg==", /* padding in the middle */
      "Zm 9v",    /* space */
      "Zm9v\n",   /* line break */
      "Zm-_",     /* URL-safe alphabet */
      "Zm9v*",    /* not base64 at all */
  };
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(bad); i++) {
    sbi_buf out = SBI_BUF_INIT;

    assert_int_equal(sbi_base64_decode(bad[i], strlen(bad[i]), &out),
                     SEGB_ERR_INVALID_BASE64);
    assert_int_equal(out.len, 0);
    sbi_buf_free(&out);
  }
}

/* Decoding appends; a failure wipes what it wrote and keeps the rest. */
static void test_decode_appends(void **state) {
  sbi_buf out = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_buf_puts(&out, "pre:"), SEGB_OK);
  assert_int_equal(sbi_base64_decode("Zm9v", 4, &out), SEGB_OK);
  assert_string_equal(out.data, "pre:foo");
  assert_int_equal(sbi_base64_decode("Zm9vYmF!", 8, &out),
                   SEGB_ERR_INVALID_BASE64);
  assert_int_equal(out.len, 7);
  assert_string_equal(out.data, "pre:foo");
  /* the bytes it had decoded, "foob", are zeros now */
  assert_int_equal(out.data[8] | out.data[9] | out.data[10], 0);
  sbi_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_vectors),
      cmocka_unit_test(test_decode_all_bytes),
      cmocka_unit_test(test_decode_refuses),
      cmocka_unit_test(test_decode_appends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
