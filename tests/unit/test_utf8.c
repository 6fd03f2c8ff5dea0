/* Unit tests for core/utf8: strict RFC 3629 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

/* A byte string with an explicit length (literals may hold NUL). */
#define S(lit) lit, sizeof(lit) - 1

typedef struct utf8_case {
  const char *s;
  size_t len;
  size_t prefix; /* expected valid prefix */
} utf8_case;

/* Copy into an exact-size allocation so the sanitizers catch any read past
 * the end. */
static size_t prefix_of(const char *s, size_t len) {
  char *copy = malloc(len > 0 ? len : 1);
  size_t n;

  assert_non_null(copy);
  if (len > 0)
    memcpy(copy, s, len);
  n = sbi_utf8_valid_prefix(copy, len);
  free(copy);
  return n;
}

static void check_table(const utf8_case *t, size_t count) {
  size_t i;

  for (i = 0; i < count; i++) {
    size_t got = prefix_of(t[i].s, t[i].len);

    if (got != t[i].prefix) {
      print_error("case %zu: prefix %zu, expected %zu\n", i, got, t[i].prefix);
      fail();
    }
  }
}

static void test_valid(void **state) {
  static const utf8_case t[] = {
      {S(""), 0},
      {S("a"), 1},
      {S("a\0b"), 3}, /* NUL is valid UTF-8 */
      {S("\x7F"), 1},
      {S("\xC2\x80"), 2},         /* U+0080 */
      {S("\xC3\xA9"), 2},         /* U+00E9 */
      {S("\xDF\xBF"), 2},         /* U+07FF */
      {S("\xE0\xA0\x80"), 3},     /* U+0800 */
      {S("\xE2\x82\xAC"), 3},     /* U+20AC */
      {S("\xED\x9F\xBF"), 3},     /* U+D7FF, just below surrogates */
      {S("\xEE\x80\x80"), 3},     /* U+E000, just above them */
      {S("\xEF\xBF\xBF"), 3},     /* U+FFFF */
      {S("\xF0\x90\x80\x80"), 4}, /* U+10000 */
      {S("\xF0\x9F\x98\x80"), 4}, /* U+1F600 */
      {S("\xF3\xBF\xBF\xBF"), 4}, /* U+FFFFF */
      {S("\xF4\x8F\xBF\xBF"), 4}, /* U+10FFFF, the last one */
      {S("x\xC3\xA9y\xE2\x82\xAC\xF0\x9F\x98\x80z"), 12},
  };
  (void)state;
  check_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_invalid(void **state) {
  static const utf8_case t[] = {
      /* overlong forms */
      {S("\xC0\x80"), 0},
      {S("\xC0\xAF"), 0},
      {S("\xC1\xBF"), 0},
      {S("\xE0\x80\x80"), 0},
      {S("\xE0\x9F\xBF"), 0},
      {S("\xF0\x80\x80\x80"), 0},
      {S("\xF0\x8F\xBF\xBF"), 0},
      /* UTF-16 surrogates */
      {S("\xED\xA0\x80"), 0},
      {S("\xED\xAD\xBF"), 0},
      {S("\xED\xB0\x80"), 0},
      {S("\xED\xBF\xBF"), 0},
      /* above U+10FFFF, and bytes that never occur */
      {S("\xF4\x90\x80\x80"), 0},
      {S("\xF4\xBF\xBF\xBF"), 0},
      {S("\xF5\x80\x80\x80"), 0},
      {S("\xF7\xBF\xBF\xBF"), 0},
      {S("\xF8\x88\x80\x80\x80"), 0},
      {S("\xFC\x84\x80\x80\x80\x80"), 0},
      {S("\xFE"), 0},
      {S("\xFF"), 0},
      /* stray continuation bytes */
      {S("\x80"), 0},
      {S("\xBF"), 0},
      {S("a\x80"), 1},
      {S("\xC3\xA9\xA9"), 2},
      /* truncated at the end */
      {S("\xC3"), 0},
      {S("\xE2\x82"), 0},
      {S("\xE2"), 0},
      {S("\xF0\x9F\x98"), 0},
      {S("\xF0\x9F"), 0},
      {S("\xF0"), 0},
      {S("ab\xC3"), 2},
      {S("ab\xF4\x8F\xBF"), 2},
      /* a continuation byte is missing before the next character */
      {S("\xC3"
         "A"),
       0},
      {S("\xE2\x28\xA1"), 0},
      {S("\xE2\x82\x28"), 0},
      {S("\xF0\x9F\x98"
         "A"),
       0},
      {S("\xC3\xC3\xA9"), 0},
      /* valid text followed by an invalid sequence */
      {S("\xC3\xA9\xC0\x80"), 2},
      {S("abc\xE2\x82\xAC\xED\xA0\x80"), 6},
  };
  (void)state;
  check_table(t, sizeof(t) / sizeof(t[0]));
}

static size_t encode(uint32_t cp, unsigned char *u) {
  if (cp < 0x80) {
    u[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    u[0] = (unsigned char)(0xC0 | (cp >> 6));
    u[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    u[0] = (unsigned char)(0xE0 | (cp >> 12));
    u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  u[0] = (unsigned char)(0xF0 | (cp >> 18));
  u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  u[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Every scalar value is accepted; every surrogate, encoded the way CESU or
 * a careless encoder would, is refused. */
static void test_every_code_point(void **state) {
  unsigned char u[4];
  uint32_t cp;
  (void)state;

  for (cp = 0; cp <= 0x10FFFF; cp++) {
    size_t n = encode(cp, u);
    size_t want = cp >= 0xD800 && cp <= 0xDFFF ? 0 : n;

    if (sbi_utf8_valid_prefix((const char *)u, n) != want) {
      print_error("U+%04X\n", (unsigned)cp);
      fail();
    }
  }
}

/* All two- and three-byte inputs against a decoder written from the
 * definition: a sequence is valid when its bits form a code point that
 * needs exactly that many bytes and is not a surrogate. */
static size_t reference_prefix(const unsigned char *b, size_t len) {
  size_t i = 0;

  while (i < len) {
    unsigned c = b[i];
    size_t n, k;
    uint32_t cp, min;

    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return i;
    }
    if (len - i < n)
      return i;
    for (k = 1; k < n; k++) {
      if ((b[i + k] & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (b[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += n;
  }
  return i;
}

static void test_exhaustive_short(void **state) {
  unsigned char b[3];
  unsigned x, y, z;
  (void)state;

  for (x = 0; x < 256; x++) {
    for (y = 0; y < 256; y++) {
      b[0] = (unsigned char)x;
      b[1] = (unsigned char)y;
      assert_int_equal(sbi_utf8_valid_prefix((const char *)b, 2),
                       reference_prefix(b, 2));
      if (x < 0xE0 || x > 0xF4)
        continue;
      for (z = 0; z < 256; z++) {
        b[2] = (unsigned char)z;
        if (sbi_utf8_valid_prefix((const char *)b, 3) !=
            reference_prefix(b, 3)) {
          print_error("%02X %02X %02X\n", x, y, z);
          fail();
        }
      }
    }
  }
}

/* A bad byte at every offset of an ASCII run, so that it lands in each lane
 * of the eight-byte fast path and in the byte-wise tail. */
static void test_ascii_runs(void **state) {
  static const char *const bad[] = {"\x80", "\xFF", "\xC0", "\xED"};
  char s[64];
  size_t len, pos, k;
  (void)state;

  for (len = 0; len <= 48; len++) {
    memset(s, 'a', len);
    assert_int_equal(prefix_of(s, len), len);
  }
  for (pos = 0; pos <= 40; pos++) {
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
      memset(s, 'a', sizeof(s));
      s[pos] = bad[k][0];
      assert_int_equal(prefix_of(s, sizeof(s)), pos);
      assert_int_equal(prefix_of(s, pos + 1), pos);
    }
    /* a valid character at the same place does not stop the scan */
    memset(s, 'a', sizeof(s));
    memcpy(s + pos, "\xF0\x9F\x98\x80", 4);
    assert_int_equal(prefix_of(s, sizeof(s)), sizeof(s));
    /* and one cut short by the end of the input does */
    assert_int_equal(prefix_of(s, pos + 3), pos);
  }
}

static void test_is_valid(void **state) {
  (void)state;
  assert_true(sbi_utf8_is_valid(S("h\xC3\xA9llo")));
  assert_true(sbi_utf8_is_valid(NULL, 0));
  assert_false(sbi_utf8_is_valid(S("h\xC3llo")));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_every_code_point),
      cmocka_unit_test(test_exhaustive_short),
      cmocka_unit_test(test_ascii_runs),
      cmocka_unit_test(test_is_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
