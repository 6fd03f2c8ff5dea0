/* Base64 in core/: the encoders (both alphabets) and the decoder, with RFC
 * 4648 vectors, padding rules, strictness, and that a failed decode leaves
 * the buffer as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/base64.h"
#include "core/buf.h"
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
    assert_int_equal(sbi_base64url_append(&url, c->in, strlen(c->in)), SEGB_OK);
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

/* What the encoder writes, the decoder reads back, padded or not. */
static void test_encode_decode(void **state) {
  unsigned char in[64];
  size_t len, i;
  (void)state;

  for (len = 0; len < sizeof in; len++) {
    sbi_buf b = SBI_BUF_INIT, back = SBI_BUF_INIT;
    for (i = 0; i < len; i++)
      in[i] = (unsigned char)sbi_rand64();
    assert_int_equal(sbi_base64_append(&b, in, len), SEGB_OK);
    assert_int_equal(sbi_base64_decode(b.data, b.len, &back), SEGB_OK);
    while (b.len > 0 && b.data[b.len - 1] == '=')
      b.len--;
    assert_int_equal(sbi_base64_decode(b.data, b.len, &back), SEGB_OK);
    assert_int_equal(back.len, 2 * len);
    if (len > 0) {
      assert_memory_equal(back.data, in, len);
      assert_memory_equal(back.data + len, in, len);
    }
    sbi_buf_free(&b);
    sbi_buf_free(&back);
  }
}

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
      cmocka_unit_test(test_base64_vectors),
      cmocka_unit_test(test_base64_alphabets),
      cmocka_unit_test(test_base64_appends),
      cmocka_unit_test(test_base64_round_trip),
      cmocka_unit_test(test_encode_decode),
      cmocka_unit_test(test_decode_vectors),
      cmocka_unit_test(test_decode_all_bytes),
      cmocka_unit_test(test_decode_refuses),
      cmocka_unit_test(test_decode_appends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
