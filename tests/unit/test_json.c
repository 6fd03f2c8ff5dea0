/* Unit tests for core/json: tree, strict parser, compact writer, number
 * formatting. cJSON serves as an independent reader of what we write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/utf8.h"

/* A byte string with an explicit length (literals may hold NUL). */
#define S(lit) lit, sizeof(lit) - 1
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DEPTH 64

/* Parse from an exact-size copy, so any read past @len trips the
 * sanitizers, and free the copy before the tree is used, so the tree cannot
 * point into the input. */
static int parse(const char *s, size_t len, unsigned depth, sbi_json **out,
                 char *why, size_t why_size) {
  char *copy = malloc(len > 0 ? len : 1);
  int rc;

  assert_non_null(copy);
  if (len > 0)
    memcpy(copy, s, len);
  rc = sbi_json_parse(copy, len, NULL, 0, depth, out, why, why_size);
  free(copy);
  return rc;
}

/* Compact JSON of @n as a NUL-terminated heap string. */
static char *write_json(const sbi_json *n, size_t *len) {
  sbi_buf b = SBI_BUF_INIT;

  assert_int_equal(sbi_json_write(&b, n), SEGB_OK);
  assert_non_null(b.data);
  assert_int_equal(b.data[b.len], '\0');
  if (len != NULL)
    *len = b.len;
  return b.data;
}

/* Parse @in, write it back and compare with @want (both with lengths). */
static void check_round_trip(size_t i, const char *in, size_t in_len,
                             const char *want, size_t want_len) {
  sbi_json *root = NULL;
  char why[128];
  size_t len;
  char *got;
  int rc = parse(in, in_len, DEPTH, &root, why, sizeof(why));

  if (rc != SEGB_OK) {
    print_error("accept case %zu: rc %d (%s)\n", i, rc, why);
    fail();
  }
  got = write_json(root, &len);
  if (len != want_len || memcmp(got, want, len) != 0) {
    print_error("accept case %zu: wrote %s\n", i, got);
    fail();
  }
  free(got);
  sbi_json_free(root);
}

typedef struct accept_case {
  const char *in;
  size_t in_len;
  const char *out;
  size_t out_len;
} accept_case;

static void test_parse_accept(void **state) {
  static const accept_case t[] = {
      {S("null"), S("null")},
      {S("true"), S("true")},
      {S("false"), S("false")},
      {S("0"), S("0")},
      {S("-0"), S("-0")},
      {S("7"), S("7")},
      {S("-12"), S("-12")},
      {S("1.5"), S("1.5")},
      {S("-0.0"), S("-0.0")},
      {S("1.50"), S("1.50")},
      {S("1e5"), S("1e5")},
      {S("1E+5"), S("1E+5")},
      {S("2.5e-3"), S("2.5e-3")},
      {S("0e0"), S("0e0")},
      {S("12345678901234567890"), S("12345678901234567890")},
      {S("1E+400"), S("1E+400")},
      {S("-1e-400"), S("-1e-400")},
      {S("0.100000000000000000000000001"), S("0.100000000000000000000000001")},
      {S("\"\""), S("\"\"")},
      {S("\"abc\""), S("\"abc\"")},
      {S("[]"), S("[]")},
      {S("{}"), S("{}")},
      {S(" \t\r\n[ 1 ,\t2 ,\n3 ]\r\n "), S("[1,2,3]")},
      {S("{ \"a\" : 1 , \"b\" : [ true , false , null ] }"),
       S("{\"a\":1,\"b\":[true,false,null]}")},
      {S("[[],{},[[]],{\"\":{}}]"), S("[[],{},[[]],{\"\":{}}]")},
      {S("{\"a\":1,\"a\":2}"), S("{\"a\":1,\"a\":2}")},
      {S("[1.0,2.50,-0.0,1e-7]"), S("[1.0,2.50,-0.0,1e-7]")},
      /* escapes are decoded, then written in canonical form */
      {S("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), S("\"\\\"\\\\/\\b\\f\\n\\r\\t\"")},
      {S("\"\\u0041\\u00e9\\u00E9\""), S("\"A\xC3\xA9\xC3\xA9\"")},
      {S("\"\\u20ac\""), S("\"\xE2\x82\xAC\"")},
      {S("\"\\ud83d\\ude00\""), S("\"\xF0\x9F\x98\x80\"")},
      {S("\"\\uDBFF\\uDFFF\""), S("\"\xF4\x8F\xBF\xBF\"")},
      {S("\"\\u0000\""), S("\"\\u0000\"")},
      {S("\"\\u001f\\u007f\""), S("\"\\u001f\x7F\"")},
      {S("\"\\uFFFF\""), S("\"\xEF\xBF\xBF\"")},
      /* raw UTF-8 passes through */
      {S("\"h\xC3\xA9llo \xF0\x9F\x98\x80\""),
       S("\"h\xC3\xA9llo \xF0\x9F\x98\x80\"")},
      {S("{\"k\\u00e9y\":\"v\"}"), S("{\"k\xC3\xA9y\":\"v\"}")},
      {S("\"a\\nb\xC3\xA9\\t\""), S("\"a\\nb\xC3\xA9\\t\"")},
  };
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(t); i++)
    check_round_trip(i, t[i].in, t[i].in_len, t[i].out, t[i].out_len);
}

typedef struct reject_case {
  const char *in;
  size_t in_len;
  int code;
} reject_case;

static void test_parse_reject(void **state) {
  static const reject_case t[] = {
      {S(""), SEGB_ERR_INVALID_JSON},
      {S(" \t\r\n"), SEGB_ERR_INVALID_JSON},
      /* numbers */
      {S("01"), SEGB_ERR_INVALID_JSON},
      {S("-01"), SEGB_ERR_INVALID_JSON},
      {S("00"), SEGB_ERR_INVALID_JSON},
      {S("-"), SEGB_ERR_INVALID_JSON},
      {S("+1"), SEGB_ERR_INVALID_JSON},
      {S("1."), SEGB_ERR_INVALID_JSON},
      {S("1.e5"), SEGB_ERR_INVALID_JSON},
      {S(".5"), SEGB_ERR_INVALID_JSON},
      {S("-.5"), SEGB_ERR_INVALID_JSON},
      {S("1e"), SEGB_ERR_INVALID_JSON},
      {S("1e+"), SEGB_ERR_INVALID_JSON},
      {S("1E-"), SEGB_ERR_INVALID_JSON},
      {S("1.5.2"), SEGB_ERR_INVALID_JSON},
      {S("0x10"), SEGB_ERR_INVALID_JSON},
      {S("1_000"), SEGB_ERR_INVALID_JSON},
      {S("NaN"), SEGB_ERR_INVALID_JSON},
      {S("Infinity"), SEGB_ERR_INVALID_JSON},
      {S("-Infinity"), SEGB_ERR_INVALID_JSON},
      {S("[1,-]"), SEGB_ERR_INVALID_JSON},
      /* literals */
      {S("nul"), SEGB_ERR_INVALID_JSON},
      {S("tru"), SEGB_ERR_INVALID_JSON},
      {S("True"), SEGB_ERR_INVALID_JSON},
      {S("nulll"), SEGB_ERR_INVALID_JSON},
      {S("undefined"), SEGB_ERR_INVALID_JSON},
      /* structure */
      {S("["), SEGB_ERR_INVALID_JSON},
      {S("]"), SEGB_ERR_INVALID_JSON},
      {S("{"), SEGB_ERR_INVALID_JSON},
      {S("[1"), SEGB_ERR_INVALID_JSON},
      {S("[1,"), SEGB_ERR_INVALID_JSON},
      {S("[1,]"), SEGB_ERR_INVALID_JSON},
      {S("[,1]"), SEGB_ERR_INVALID_JSON},
      {S("[1 2]"), SEGB_ERR_INVALID_JSON},
      {S("[1}"), SEGB_ERR_INVALID_JSON},
      {S("{\"a\":1]"), SEGB_ERR_INVALID_JSON},
      {S("{\"a\":1,}"), SEGB_ERR_INVALID_JSON},
      {S("{,}"), SEGB_ERR_INVALID_JSON},
      {S("{\"a\" 1}"), SEGB_ERR_INVALID_JSON},
      {S("{\"a\":}"), SEGB_ERR_INVALID_JSON},
      {S("{\"a\"}"), SEGB_ERR_INVALID_JSON},
      {S("{\"a\""), SEGB_ERR_INVALID_JSON},
      {S("{\"a\":"), SEGB_ERR_INVALID_JSON},
      {S("{a:1}"), SEGB_ERR_INVALID_JSON},
      {S("{1:2}"), SEGB_ERR_INVALID_JSON},
      {S("{'a':1}"), SEGB_ERR_INVALID_JSON},
      {S("'a'"), SEGB_ERR_INVALID_JSON},
      /* trailing bytes, comments, odd whitespace */
      {S("1 2"), SEGB_ERR_INVALID_JSON},
      {S("[1] x"), SEGB_ERR_INVALID_JSON},
      {S("{}}"), SEGB_ERR_INVALID_JSON},
      {S("[]]"), SEGB_ERR_INVALID_JSON},
      {S("1\0"), SEGB_ERR_INVALID_JSON},
      {S("/* c */ 1"), SEGB_ERR_INVALID_JSON},
      {S("1 // c"), SEGB_ERR_INVALID_JSON},
      {S("# c\n1"), SEGB_ERR_INVALID_JSON},
      {S("\f1"), SEGB_ERR_INVALID_JSON},
      {S("\v1"), SEGB_ERR_INVALID_JSON},
      {S("\xC2\xA0"
         "1"),
       SEGB_ERR_INVALID_JSON},
      {S("\xEF\xBB\xBF{}"), SEGB_ERR_INVALID_JSON},
      {S("\x80"), SEGB_ERR_INVALID_JSON},
      /* strings */
      {S("\"abc"), SEGB_ERR_INVALID_JSON},
      {S("\"abc\\"), SEGB_ERR_INVALID_JSON},
      {S("\"abc\\\""), SEGB_ERR_INVALID_JSON},
      {S("\"\t\""), SEGB_ERR_INVALID_JSON},
      {S("\"\n\""), SEGB_ERR_INVALID_JSON},
      {S("\"\x01\""), SEGB_ERR_INVALID_JSON},
      {S("\"\x1F\""), SEGB_ERR_INVALID_JSON},
      {S("\"a\0b\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\x41\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\a\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\'\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\U0041\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\u12\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\u12G4\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\u-123\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\u"), SEGB_ERR_INVALID_JSON},
      /* lone and misordered surrogate escapes */
      {S("\"\\ud83d\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ude00\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ud83dx\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ud83d\\n\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ud83d\\u0041\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ud83d\\ud83d\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ude00\\ud83d\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ud83d\\ude0\""), SEGB_ERR_INVALID_JSON},
      {S("\"\\ud83d"), SEGB_ERR_INVALID_JSON},
      /* raw bytes that are not UTF-8 */
      {S("\"\xC3\""), SEGB_ERR_INVALID_UTF8},
      {S("\"\xC0\x80\""), SEGB_ERR_INVALID_UTF8},
      {S("\"\xE0\x80\xAF\""), SEGB_ERR_INVALID_UTF8},
      {S("\"\xED\xA0\x80\""), SEGB_ERR_INVALID_UTF8},
      {S("\"\xF4\x90\x80\x80\""), SEGB_ERR_INVALID_UTF8},
      {S("\"\xFF\""), SEGB_ERR_INVALID_UTF8},
      {S("\"\x80\""), SEGB_ERR_INVALID_UTF8},
      {S("\"abc\xF0\x9F\x98\""), SEGB_ERR_INVALID_UTF8},
      {S("{\"\xC3\x28\":1}"), SEGB_ERR_INVALID_UTF8},
  };
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(t); i++) {
    static sbi_json dummy;
    sbi_json *root = &dummy; /* must come back NULL */
    char why[128] = "";
    int rc = parse(t[i].in, t[i].in_len, DEPTH, &root, why, sizeof(why));

    if (rc != t[i].code || root != NULL || strstr(why, " at byte ") == NULL) {
      print_error("reject case %zu: rc %d, why \"%s\"\n", i, rc, why);
      sbi_json_free(rc == SEGB_OK ? root : NULL);
      fail();
    }
  }
}

static void test_parse_why(void **state) {
  static const struct {
    const char *in;
    size_t len;
    const char *why;
  } t[] = {
      {S("{\"a\" 1}"), "expected ':' at byte 5"},
      {S(""), "unexpected end of input at byte 0"},
      {S("[1,2"), "unexpected end of input at byte 4"},
      {S("[1 2]"), "expected ',' or ']' at byte 3"},
      {S("{\"a\":1 2}"), "expected ',' or '}' at byte 7"},
      {S("{3:1}"), "expected a string key at byte 1"},
      {S("[1] x"), "unexpected data after the value at byte 4"},
      {S("\"ab\x01\""), "control character in string at byte 3"},
      {S("\"ab\\q\""), "invalid escape at byte 3"},
      {S("\"\\ud800\""), "unpaired surrogate escape at byte 1"},
      {S("\"ab\xC3\xA9\xFF\""), "invalid UTF-8 at byte 5"},
      {S("01"), "unexpected data after the value at byte 1"},
      {S("1.x"), "invalid number at byte 2"},
      {S("[[[]]]"), "nesting too deep at byte 2"},
  };
  char why[128];
  sbi_json *root;
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(t); i++) {
    assert_int_not_equal(parse(t[i].in, t[i].len, 2, &root, why, sizeof(why)),
                         SEGB_OK);
    assert_string_equal(why, t[i].why);
  }
  /* the reason never quotes the input, which may be a secret */
  assert_int_equal(
      parse(S("{\"token\":\"hunter2\x01\"}"), DEPTH, &root, why, sizeof(why)),
      SEGB_ERR_INVALID_JSON);
  assert_null(strstr(why, "hunter2"));
  assert_null(strstr(why, "token"));
  /* a short buffer truncates, a NULL one is never touched */
  assert_int_equal(parse(S("[1,"), DEPTH, &root, why, 5),
                   SEGB_ERR_INVALID_JSON);
  assert_string_equal(why, "unex");
  assert_int_equal(parse(S("[1,"), DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_null(root);
}

static char *nested(size_t levels, const char *open, const char *close) {
  size_t o = strlen(open), c = strlen(close), i;
  char *s = malloc(levels * (o + c) + 2);

  assert_non_null(s);
  for (i = 0; i < levels; i++)
    memcpy(s + i * o, open, o);
  s[levels * o] = '1';
  for (i = 0; i < levels; i++)
    memcpy(s + levels * o + 1 + i * c, close, c);
  s[levels * (o + c) + 1] = '\0';
  return s;
}

static void test_parse_depth(void **state) {
  sbi_json *root;
  char *s;
  (void)state;

  /* exactly at the limit is fine, one more level is refused */
  assert_int_equal(parse(S("[[[1]]]"), 3, &root, NULL, 0), SEGB_OK);
  sbi_json_free(root);
  assert_int_equal(parse(S("[[[[1]]]]"), 3, &root, NULL, 0), SEGB_ERR_TOO_DEEP);
  assert_null(root);
  assert_int_equal(parse(S("{\"a\":[{\"b\":1}]}"), 3, &root, NULL, 0), SEGB_OK);
  sbi_json_free(root);
  assert_int_equal(parse(S("{\"a\":[{\"b\":{}}]}"), 3, &root, NULL, 0),
                   SEGB_ERR_TOO_DEEP);
  /* siblings do not add up */
  assert_int_equal(parse(S("[[1],[2],[[3]]]"), 3, &root, NULL, 0), SEGB_OK);
  sbi_json_free(root);
  /* depth 0 allows scalars only */
  assert_int_equal(parse(S("\"x\""), 0, &root, NULL, 0), SEGB_OK);
  sbi_json_free(root);
  assert_int_equal(parse(S("[]"), 0, &root, NULL, 0), SEGB_ERR_TOO_DEEP);

  /* the parser and sbi_json_free() do not recurse: very deep trees work
   * when the caller allows them */
  s = nested(200000, "[", "]");
  assert_int_equal(parse(s, strlen(s), 200000, &root, NULL, 0), SEGB_OK);
  sbi_json_free(root);
  assert_int_equal(parse(s, strlen(s), 199999, &root, NULL, 0),
                   SEGB_ERR_TOO_DEEP);
  free(s);
  s = nested(100000, "{\"k\":", "}");
  assert_int_equal(parse(s, strlen(s), 100000, &root, NULL, 0), SEGB_OK);
  sbi_json_free(root);
  free(s);
  /* a deep failure frees the partial tree (checked by the sanitizers) */
  s = nested(5000, "[", "]");
  s[strlen(s) - 1] = '}';
  assert_int_equal(parse(s, strlen(s), 10000, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  free(s);
}

/* The parser stops at @len: the bytes after it are never looked at. */
static void test_parse_prefix(void **state) {
  static const char text[] = "[1,2]xyz";
  sbi_json *root;
  char *got;
  (void)state;

  assert_int_equal(parse(text, 5, DEPTH, &root, NULL, 0), SEGB_OK);
  got = write_json(root, NULL);
  assert_string_equal(got, "[1,2]");
  free(got);
  sbi_json_free(root);

  assert_int_equal(parse("12345", 2, DEPTH, &root, NULL, 0), SEGB_OK);
  assert_int_equal(root->str_len, 2);
  assert_string_equal(root->str, "12");
  sbi_json_free(root);

  assert_int_equal(parse("-1.5e+7", 6, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(parse("-1.5e+7", 4, DEPTH, &root, NULL, 0), SEGB_OK);
  assert_string_equal(root->str, "-1.5");
  sbi_json_free(root);
  assert_int_equal(parse("true", 3, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(parse("\"ab\"", 3, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(parse("\"\\u0041\"", 6, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(parse("\"\\ud83d\\ude00\"", 12, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(parse("\"\xF0\x9F\x98\x80\"", 4, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_UTF8);
  assert_int_equal(parse("{\"a\":1}", 6, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(sbi_json_parse(NULL, 0, NULL, 0, DEPTH, &root, NULL, 0),
                   SEGB_ERR_INVALID_JSON);
}

static void test_parse_tree(void **state) {
  static const char text[] =
      "{\"a\":\"x\\u0000y\",\"k\\u0000\":[1,\"s\",null],\"a\":{},\"\":true}";
  sbi_json *root, *n, *c;
  (void)state;

  assert_int_equal(
      sbi_json_parse(text, sizeof(text) - 1, "props", 5, DEPTH, &root, NULL, 0),
      SEGB_OK);
  assert_int_equal(root->type, SBI_JSON_OBJECT);
  assert_string_equal(root->key, "props");
  assert_int_equal(root->key_len, 5);
  assert_int_equal(root->count, 4);

  /* the first "a" holds a NUL; its length carries it */
  n = root->head;
  assert_int_equal(n->type, SBI_JSON_STRING);
  assert_int_equal(n->str_len, 3);
  assert_memory_equal(n->str, "x\0y", 4);

  /* duplicate keys stay; lookup finds the last */
  n = sbi_json_get(root, "a", 1);
  assert_non_null(n);
  assert_int_equal(n->type, SBI_JSON_OBJECT);
  assert_int_equal(n->count, 0);
  assert_null(n->head);
  assert_null(sbi_json_get(root, "b", 1));
  assert_null(sbi_json_get(root, "k", 1));

  n = sbi_json_get(root, "k\0", 2);
  assert_non_null(n);
  assert_int_equal(n->type, SBI_JSON_ARRAY);
  assert_int_equal(n->count, 3);
  c = n->head;
  assert_null(c->key);
  assert_int_equal(c->type, SBI_JSON_NUMBER);
  assert_string_equal(c->str, "1");
  assert_int_equal(c->next->type, SBI_JSON_STRING);
  assert_ptr_equal(c->next->next, n->tail);
  assert_int_equal(n->tail->type, SBI_JSON_NULL);
  assert_null(n->tail->next);

  n = sbi_json_get(root, "", 0);
  assert_non_null(n);
  assert_int_equal(n->type, SBI_JSON_TRUE);
  assert_ptr_equal(n, root->tail);
  sbi_json_free(root);

  /* without a key the root has none */
  assert_int_equal(parse(S("[]"), DEPTH, &root, NULL, 0), SEGB_OK);
  assert_null(root->key);
  sbi_json_free(root);
}

/* Check that cJSON reads @text as one string equal to @want. */
static void check_with_cjson(const char *text, size_t len, const char *want) {
  cJSON *j = cJSON_ParseWithLength(text, len);

  assert_non_null(j);
  assert_true(cJSON_IsString(j));
  assert_string_equal(j->valuestring, want);
  cJSON_Delete(j);
}

static char *write_string(const char *s, size_t len, size_t *out_len) {
  sbi_buf b = SBI_BUF_INIT;

  assert_int_equal(sbi_json_write_string(&b, s, len), SEGB_OK);
  *out_len = b.len;
  return b.data;
}

static void test_write_escapes(void **state) {
  char all[128];
  char *out;
  size_t len, i;
  (void)state;

  out = write_string(S("\"\\/\b\f\n\r\t\x01\x1f\x7f"), &len);
  assert_string_equal(out, "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
  free(out);

  out = write_string(S("a\0b"), &len);
  assert_int_equal(len, 10);
  assert_string_equal(out, "\"a\\u0000b\"");
  free(out);

  out = write_string(NULL, 0, &len);
  assert_string_equal(out, "\"\"");
  free(out);

  /* every ASCII character but NUL, then some UTF-8: cJSON must read back
   * the same bytes, and no raw control character may remain */
  for (i = 1; i < 128; i++)
    all[i - 1] = (char)i;
  all[127] = '\0';
  out = write_string(all, 127, &len);
  for (i = 0; i < len; i++)
    assert_true((unsigned char)out[i] >= 0x20);
  check_with_cjson(out, len, all);
  free(out);

  out = write_string(S("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), &len);
  assert_string_equal(out, "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  check_with_cjson(out, len, "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  free(out);
}

/* One character that needs escaping at every offset of a long run, so it
 * falls in each lane of the eight-byte scan and in the byte-wise tail. */
static void test_write_escape_positions(void **state) {
  static const char special[] = {'"', '\\', '\n', '\x01', '\x1f'};
  static const char *const escaped[] = {"\\\"", "\\\\", "\\n", "\\u0001",
                                        "\\u001f"};
  char s[48], z[49], want[64];
  char *out;
  size_t pos, k, len;
  (void)state;

  for (pos = 0; pos <= 40; pos++) {
    for (k = 0; k < COUNT(special); k++) {
      memset(s, 'x', sizeof(s));
      s[sizeof(s) - 1] = '\xA9'; /* high bytes are copied as they are */
      s[sizeof(s) - 2] = '\xC3';
      s[pos] = special[k];
      snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", (int)pos, s, escaped[k],
               (int)(sizeof(s) - pos - 1), s + pos + 1);
      out = write_string(s, sizeof(s), &len);
      assert_string_equal(out, want);
      memcpy(z, s, sizeof(s));
      z[sizeof(s)] = '\0';
      check_with_cjson(out, len, z);
      free(out);
    }
  }
}

/* A tree built with the setters, checked through cJSON. */
static void test_write_tree(void **state) {
  sbi_json *root = sbi_json_new(SBI_JSON_OBJECT, NULL, 0);
  sbi_json *arr = sbi_json_new(SBI_JSON_ARRAY, S("list"));
  sbi_buf b = SBI_BUF_INIT;
  cJSON *j, *x;
  (void)state;

  assert_non_null(root);
  assert_non_null(arr);
  sbi_json_append(root, sbi_json_new_string(S("name"), S("Ann \"A\"\n")));
  sbi_json_append(root, sbi_json_new_int64(S("n"), INT64_MIN));
  sbi_json_append(root, sbi_json_new_double(S("d"), 0.1));
  sbi_json_append(root, sbi_json_new(SBI_JSON_NULL, S("nil")));
  sbi_json_append(arr, sbi_json_new(SBI_JSON_TRUE, NULL, 0));
  sbi_json_append(arr, sbi_json_new(SBI_JSON_FALSE, NULL, 0));
  sbi_json_append(arr, sbi_json_new(SBI_JSON_OBJECT, NULL, 0));
  sbi_json_append(arr, sbi_json_new_double(NULL, 0, -2.5e-300));
  sbi_json_append(root, arr);
  sbi_json_append(root, sbi_json_new_string(S("k\"\\"), S("")));

  assert_int_equal(sbi_json_write(&b, root), SEGB_OK);
  assert_string_equal(
      b.data, "{\"name\":\"Ann \\\"A\\\"\\n\",\"n\":-9223372036854775808,"
              "\"d\":0.1,\"nil\":null,\"list\":[true,false,{},-2.5e-300],"
              "\"k\\\"\\\\\":\"\"}");
  j = cJSON_ParseWithLength(b.data, b.len);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "name")->valuestring,
                      "Ann \"A\"\n");
  assert_true(cJSON_GetObjectItemCaseSensitive(j, "d")->valuedouble == 0.1);
  x = cJSON_GetObjectItemCaseSensitive(j, "list");
  assert_int_equal(cJSON_GetArraySize(x), 4);
  assert_true(cJSON_GetArrayItem(x, 3)->valuedouble == -2.5e-300);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "nil")));
  assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "k\"\\"));
  cJSON_Delete(j);

  /* members only, for callers that add their own */
  sbi_buf_clear(&b);
  assert_int_equal(sbi_json_write_members(&b, arr->head->next->next), SEGB_OK);
  assert_int_equal(b.len, 0);
  assert_int_equal(sbi_buf_puts(&b, "{\"x\":1,"), SEGB_OK);
  assert_int_equal(sbi_json_write_members(&b, root), SEGB_OK);
  assert_int_equal(sbi_buf_putc(&b, '}'), SEGB_OK);
  j = cJSON_ParseWithLength(b.data, b.len);
  assert_non_null(j);
  assert_int_equal(cJSON_GetArraySize(j), 7);
  cJSON_Delete(j);

  sbi_buf_free(&b);
  assert_null(b.data);
  sbi_json_free(root);
}

/* Numbers keep their exact text through parse and write. */
static void test_number_text(void **state) {
  static const char *const t[] = {
      "12345678901234567890",
      "-0",
      "1E+400",
      "-1e-400",
      "0.1000000000000000000001",
      "1.0",
      "100e-2",
      "-9223372036854775809",
      "5e-324",
      "2.4703282292062328e-324",
  };
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(t); i++) {
    size_t n = strlen(t[i]);

    check_round_trip(i, t[i], n, t[i], n);
  }
}

/* 2^1024 - 2^970, halfway between DBL_MAX and 2^1024: the smallest number
 * that rounds to infinity (the tie goes to the even 2^1024). */
static const char overflow_edge[] =
    "1797693134862315807937289714053034150799341327100378269361737789"
    "8044496829276475094664901797758720709633028641669288791094655554"
    "7851940402630657488671505820681908902000708383676273854845817711"
    "5317644757302700698555713669596228429148198608349364752927190741"
    "68444365510704342711559699508093042880177904174497792";

/* @n copies of @c after @head and before @tail; the caller frees it. */
static char *spell(const char *head, char c, size_t n, const char *tail) {
  size_t h = strlen(head), t = strlen(tail);
  char *s = malloc(h + n + t + 1);

  assert_non_null(s);
  memcpy(s, head, h);
  memset(s + h, c, n);
  memcpy(s + h + n, tail, t + 1);
  return s;
}

/* Which number texts a double cannot hold. strtod in the C locale is the
 * oracle: each answer is checked against it too. */
static void test_number_overflows(void **state) {
  static const struct {
    const char *text;
    int want;
  } cases[] = {
      {"1e400", 1},
      {"-1e400", 1},
      {"1E+309", 1},
      {"1e308", 0},
      {"-1e308", 0},
      {"1.7976931348623157e308", 0}, /* DBL_MAX */
      {"1.7976931348623158e308", 0}, /* still rounds down to it */
      {"1.7976931348623159e308", 1},
      {"17976931348623159e292", 1},
      {"0.017976931348623157e310", 0},
      {"10e307", 0},
      {"100e307", 1},
      {"18e307", 1},
      {"0.01e311", 1},
      {"0.001e311", 0},
      {"1e-400", 0},
      {"-1e-400", 0},
      {"5e-324", 0},
      {"0", 0},
      {"-0", 0},
      {"0.0", 0},
      {"0e999999999999999999999", 0},
      {"0.000e400", 0},
      {"1e999999999999999999999", 1},
      {"1e-999999999999999999999", 0},
      {"1e000000000000000000000000000308", 0},
      {"1e000000000000000000000000000309", 1},
      {"12345678901234567890", 0},
      {"-9223372036854775809", 0},
      {"123.456", 0},
  };
  char *s;
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(cases); i++) {
    const char *t = cases[i].text;
    if (sbi_json_number_overflows(t, strlen(t)) != cases[i].want)
      fail_msg("case %zu: %s", i, t);
    assert_int_equal(isinf(strtod(t, NULL)) != 0, cases[i].want);
  }
  /* the exact edge, one below it, and just above it */
  assert_int_equal(
      sbi_json_number_overflows(overflow_edge, strlen(overflow_edge)), 1);
  s = spell(overflow_edge, '0', 0, ".00000000000000000000000000000000001");
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 1);
  free(s);
  /* one below the edge, also with any fraction: rounds down */
  s = spell(overflow_edge, '9', 1000, "");
  s[strlen(overflow_edge) - 1]--; /* ...791 */
  s[strlen(overflow_edge)] = '.';
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 0);
  assert_false(isinf(strtod(s, NULL)));
  s[strlen(overflow_edge)] = '\0';
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 0);
  assert_false(isinf(strtod(s, NULL)));
  free(s);
  /* long mantissas: 309 digits hold 1e308, 310 digits do not */
  s = spell("1", '0', 308, "");
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 0);
  free(s);
  s = spell("-1", '0', 309, "");
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 1);
  free(s);
  /* leading zeros in the fraction lower the exponent */
  s = spell("0.", '0', 500, "1e500");
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 0);
  free(s);
  s = spell("0.", '0', 500, "1e810");
  assert_int_equal(sbi_json_number_overflows(s, strlen(s)), 1);
  free(s);
}

/* xorshift64: a fixed sequence, so failures reproduce. */
static void next_random(uint64_t *r) {
  *r ^= *r << 13;
  *r ^= *r >> 7;
  *r ^= *r << 17;
}

static void test_format_int64(void **state) {
  static const int64_t fixed[] = {
      0,
      1,
      -1,
      9,
      10,
      -10,
      99,
      100,
      101,
      999,
      1000,
      -1000,
      65535,
      INT64_MAX,
      INT64_MIN,
      INT64_MAX - 1,
      INT64_MIN + 1,
      INT32_MAX,
      INT32_MIN,
      (int64_t)UINT32_MAX + 1,
  };
  char got[SBI_JSON_NUMBER_MAX], want[SBI_JSON_NUMBER_MAX];
  int64_t p;
  uint64_t r = 88172645463325252u;
  size_t i;
  (void)state;

  assert_int_equal(sbi_json_format_int64(got, INT64_MIN), 20);
  assert_string_equal(got, "-9223372036854775808");
  assert_int_equal(sbi_json_format_int64(got, INT64_MAX), 19);
  assert_string_equal(got, "9223372036854775807");
  assert_int_equal(sbi_json_format_int64(got, 0), 1);
  assert_string_equal(got, "0");

  for (i = 0; i < COUNT(fixed); i++) {
    snprintf(want, sizeof(want), "%" PRId64, fixed[i]);
    assert_int_equal(sbi_json_format_int64(got, fixed[i]), strlen(want));
    assert_string_equal(got, want);
  }
  /* powers of ten and their neighbours, where digit counts change */
  for (p = 1;; p *= 10) {
    int64_t v[6] = {p - 1, p, p + 1, -p + 1, -p, -p - 1};
    size_t j;

    for (j = 0; j < 6; j++) {
      snprintf(want, sizeof(want), "%" PRId64, v[j]);
      sbi_json_format_int64(got, v[j]);
      assert_string_equal(got, want);
    }
    if (p > INT64_MAX / 10)
      break;
  }
  for (i = 0; i < 100000; i++) {
    int64_t v;

    next_random(&r);
    /* spread the values over all magnitudes */
    v = (int64_t)(r >> (r % 64));
    if (r & 1)
      v = -v;
    snprintf(want, sizeof(want), "%" PRId64, v);
    sbi_json_format_int64(got, v);
    assert_string_equal(got, want);
  }
}

/* The text is a valid JSON number (checked by our own parser) and reads
 * back as @v. */
static void check_double(double v) {
  char out[SBI_JSON_NUMBER_MAX];
  size_t len = sbi_json_format_double(out, v);
  sbi_json *n;

  assert_int_equal(len, strlen(out));
  if (sbi_json_parse(out, len, NULL, 0, 0, &n, NULL, 0) != SEGB_OK ||
      n->type != SBI_JSON_NUMBER) {
    print_error("%.17g gave \"%s\"\n", v, out);
    fail();
  }
  sbi_json_free(n);
  if (strtod(out, NULL) != v || !signbit(strtod(out, NULL)) != !signbit(v)) {
    print_error("%.17g gave \"%s\"\n", v, out);
    fail();
  }
}

static void test_format_double(void **state) {
  static const struct {
    double v;
    const char *text;
  } t[] = {
      {0.1, "0.1"},
      {1e21, "1e+21"},
      {-0.0, "-0"},
      {0.0, "0"},
      {3.0, "3"},
      {-42.0, "-42"},
      {1.5, "1.5"},
      {0.30000000000000004, "0.30000000000000004"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {123456789012345.0, "123456789012345"},
      {9007199254740993.0, "9007199254740992"},
      /* the few-decimals fast path */
      {19.99, "19.99"},
      {-0.5, "-0.5"},
      {0.001, "0.001"},
      {1e-7, "0.0000001"},
      {123456.789, "123456.789"},
      {-1234567.000001, "-1234567.000001"},
      {1e15, "1000000000000000"},
      {1e-10, "1e-10"},
  };
  static const double more[] = {
      5e-324,
      2.2250738585072014e-308,
      2.2250738585072009e-308,
      1.7976931348623157e308,
      -1.7976931348623157e308,
      1.0 / 3.0,
      2.0 / 3.0,
      1e-7,
      1e22,
      1e23,
      123456.789,
      0.1 + 0.2,
      100.0,
      1e15,
      1e16,
      1e17,
      4.35,
      0.000001,
      6.02214076e23,
      -5e-324,
  };
  char out[SBI_JSON_NUMBER_MAX];
  uint64_t r = 0x9E3779B97F4A7C15u;
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(t); i++) {
    sbi_json_format_double(out, t[i].v);
    assert_string_equal(out, t[i].text);
    check_double(t[i].v);
  }
  for (i = 0; i < COUNT(more); i++)
    check_double(more[i]);
  /* values with a few decimals, as prices and measures have */
  for (i = 0; i < 200000; i++) {
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e9, 1e12};
    next_random(&r);
    check_double((double)(int64_t)(r >> 20) / scale[r % COUNT(scale)] *
                 ((r & 0x100) ? -1 : 1));
  }
  /* random bit patterns cover every exponent */
  for (i = 0; i < 200000; i++) {
    double v;

    next_random(&r);
    memcpy(&v, &r, sizeof(v));
    if (isfinite(v))
      check_double(v);
  }
}

/* A locale whose decimal separator is not '.' must not leak into JSON. */
static void test_format_double_locale(void **state) {
  static const char *const names[] = {
      "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
      "ps_AF.UTF-8", "ps_AF.utf8", "ru_RU.UTF-8", "ru_RU.utf8",
  };
  char out[SBI_JSON_NUMBER_MAX];
  size_t i, tried = 0;
  (void)state;

  for (i = 0; i < COUNT(names); i++) {
    if (setlocale(LC_NUMERIC, names[i]) == NULL)
      continue;
    tried++;
    assert_int_equal(sbi_json_format_double(out, 1.5), 3);
    assert_string_equal(out, "1.5");
    sbi_json_format_double(out, -0.30000000000000004);
    assert_string_equal(out, "-0.30000000000000004");
    sbi_json_format_double(out, 2.5e-300);
    assert_string_equal(out, "2.5e-300");
    setlocale(LC_NUMERIC, "C");
  }
  if (tried == 0)
    skip();
}

static void test_put(void **state) {
  sbi_json *obj = sbi_json_new(SBI_JSON_OBJECT, NULL, 0);
  sbi_json *last;
  char *out;
  (void)state;

  sbi_json_put(obj, sbi_json_new_int64(S("a"), 1));
  sbi_json_put(obj, sbi_json_new_int64(S("b"), 2));
  sbi_json_put(obj, sbi_json_new_int64(S("c"), 3));
  assert_int_equal(obj->count, 3);

  /* replacing keeps the position and the count */
  sbi_json_put(obj, sbi_json_new_string(S("b"), S("x")));
  assert_int_equal(obj->count, 3);
  out = write_json(obj, NULL);
  assert_string_equal(out, "{\"a\":1,\"b\":\"x\",\"c\":3}");
  free(out);

  /* first and last positions keep head and tail right */
  sbi_json_put(obj, sbi_json_new(SBI_JSON_NULL, S("a")));
  last = sbi_json_new(SBI_JSON_ARRAY, S("c"));
  sbi_json_put(obj, last);
  assert_ptr_equal(obj->tail, last);
  assert_null(last->next);
  sbi_json_put(obj, sbi_json_new(SBI_JSON_TRUE, S("d")));
  assert_int_equal(obj->count, 4);
  out = write_json(obj, NULL);
  assert_string_equal(out, "{\"a\":null,\"b\":\"x\",\"c\":[],\"d\":true}");
  free(out);
  sbi_json_free(obj);

  /* with duplicates from parsing, the member sbi_json_get() sees is the one
   * replaced */
  assert_int_equal(parse(S("{\"a\":1,\"b\":2,\"a\":3}"), DEPTH, &obj, NULL, 0),
                   SEGB_OK);
  sbi_json_put(obj, sbi_json_new_int64(S("a"), 4));
  assert_string_equal(sbi_json_get(obj, S("a"))->str, "4");
  out = write_json(obj, NULL);
  assert_string_equal(out, "{\"a\":1,\"b\":2,\"a\":4}");
  free(out);
  sbi_json_free(obj);

  /* keys are compared as bytes, with their length */
  obj = sbi_json_new(SBI_JSON_OBJECT, NULL, 0);
  sbi_json_put(obj, sbi_json_new_int64(S("k\0a"), 1));
  sbi_json_put(obj, sbi_json_new_int64(S("k\0b"), 2));
  sbi_json_put(obj, sbi_json_new_int64(S("k"), 3));
  sbi_json_put(obj, sbi_json_new_int64(S("k\0a"), 5));
  assert_int_equal(obj->count, 3);
  assert_string_equal(obj->head->str, "5");
  sbi_json_free(obj);
}

static void test_constructors(void **state) {
  sbi_json *n;
  (void)state;

  /* one allocation: the key and the text follow the struct */
  n = sbi_json_new_string(S("key"), S("v\0al"));
  assert_non_null(n);
  assert_ptr_equal(n->key, (const char *)(n + 1));
  assert_ptr_equal(n->str, n->key + 4);
  assert_memory_equal(n->key, "key", 4);
  assert_int_equal(n->str_len, 4);
  assert_memory_equal(n->str, "v\0al", 5);
  assert_null(n->head);
  assert_null(n->next);
  sbi_json_free(n);

  n = sbi_json_new_string(NULL, 0, S(""));
  assert_null(n->key);
  assert_int_equal(n->key_len, 0);
  assert_string_equal(n->str, "");
  sbi_json_free(n);

  /* an empty key is a key */
  n = sbi_json_new(SBI_JSON_OBJECT, "", 0);
  assert_non_null(n->key);
  assert_null(n->str);
  assert_int_equal(n->count, 0);
  sbi_json_free(n);

  n = sbi_json_new_number_text(S("n"), S("-1.5e3"));
  assert_int_equal(n->type, SBI_JSON_NUMBER);
  assert_string_equal(n->str, "-1.5e3");
  sbi_json_free(n);

  /* a number made without text still writes as a number */
  n = sbi_json_new(SBI_JSON_NUMBER, NULL, 0);
  assert_string_equal(n->str, "0");
  sbi_json_free(n);

  n = sbi_json_new_double(NULL, 0, 3.0);
  assert_string_equal(n->str, "3");
  sbi_json_free(n);
  n = sbi_json_new_int64(NULL, 0, -7);
  assert_string_equal(n->str, "-7");
  assert_int_equal(n->str_len, 2);
  sbi_json_free(n);

  sbi_json_free(NULL);
}

/* Freeing a node leaves its siblings alone; trees built by hand can be far
 * deeper than any parse limit. */
static void test_free_subtree(void **state) {
  sbi_json *arr = sbi_json_new(SBI_JSON_ARRAY, NULL, 0);
  sbi_json *a = sbi_json_new(SBI_JSON_ARRAY, NULL, 0);
  sbi_json *b = sbi_json_new_int64(NULL, 0, 2);
  sbi_json *cur;
  int i;
  (void)state;

  sbi_json_append(a, sbi_json_new_int64(NULL, 0, 1));
  sbi_json_append(arr, a);
  sbi_json_append(arr, b);
  sbi_json_free(a);
  assert_string_equal(b->str, "2");
  sbi_json_free(b);
  free(arr); /* its children are gone already */

  arr = sbi_json_new(SBI_JSON_ARRAY, NULL, 0);
  for (cur = arr, i = 0; i < 300000; i++) {
    sbi_json *next = sbi_json_new(i % 2 ? SBI_JSON_ARRAY : SBI_JSON_OBJECT,
                                  i % 2 ? NULL : "k", i % 2 ? 0 : 1);

    assert_non_null(next);
    sbi_json_append(cur, sbi_json_new_int64(NULL, 0, i));
    sbi_json_append(cur, next);
    cur = next;
  }
  sbi_json_free(arr);
}

static void test_buf(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  size_t i;
  (void)state;

  assert_int_equal(sbi_buf_grow(&b, 0), SEGB_OK);
  assert_non_null(b.data);
  assert_int_equal(b.data[0], '\0');
  for (i = 0; i < 10000; i++) {
    assert_int_equal(sbi_buf_putc(&b, (char)('a' + i % 26)), SEGB_OK);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
  }
  assert_int_equal(b.len, 10000);
  assert_int_equal(b.data[9999], 'a' + 9999 % 26);
  /* sizes that cannot be represented fail cleanly */
  assert_int_equal(sbi_buf_grow(&b, SIZE_MAX), SEGB_ERR_NOMEM);
  assert_int_equal(sbi_buf_grow(&b, SIZE_MAX - b.len), SEGB_ERR_NOMEM);
  assert_int_equal(b.len, 10000);
  sbi_buf_clear(&b);
  assert_int_equal(b.len, 0);
  assert_string_equal(b.data, "");
  sbi_buf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.cap, 0);
  sbi_buf_free(&b);
}

/* Whatever the parser accepts, the writer gives back as valid UTF-8 that
 * parses to the same output again. */
static void test_write_is_stable(void **state) {
  static const char text[] =
      " { \"a\" : [ 1 , -0.0 , 1E+400 , \"\\u00e9\\ud83d\\ude00\\u0000\" ] ,"
      " \"\\t\" : { \"\" : \"\\\"\\\\\\/\" } , \"z\" : true } ";
  sbi_json *one, *two;
  char *a, *b;
  size_t alen, blen;
  (void)state;

  assert_int_equal(parse(S(text), DEPTH, &one, NULL, 0), SEGB_OK);
  a = write_json(one, &alen);
  assert_true(sbi_utf8_is_valid(a, alen));
  assert_int_equal(parse(a, alen, DEPTH, &two, NULL, 0), SEGB_OK);
  b = write_json(two, &blen);
  assert_int_equal(alen, blen);
  assert_memory_equal(a, b, alen);
  assert_string_equal(a, "{\"a\":[1,-0.0,1E+400,\"\xC3\xA9\xF0\x9F\x98\x80"
                         "\\u0000\"],\"\\t\":{\"\":\"\\\"\\\\/\"},\"z\":true}");
  free(a);
  free(b);
  sbi_json_free(one);
  sbi_json_free(two);
}

/* SBI_JSON_UNIQUE_KEYS: a key twice in one object is refused, naming the
 * key; the same key in different objects is fine. */
static int parse_unique(const char *s, size_t len, sbi_json **out, char *why,
                        size_t why_size) {
  sbi_json_opts unique = {DEPTH, SBI_JSON_UNIQUE_KEYS, 0, NULL, NULL};

  return sbi_json_parse_opts(s, len, NULL, 0, &unique, out, why, why_size);
}

static void test_parse_unique_keys(void **state) {
  static const struct {
    const char *text;
    const char *why;
  } twins[] = {
      {"{\"a\":1,\"a\":2}",
       "duplicate key \"a\" in the object ending at byte 12"},
      {"{\"a\":1,\"b\":2,\"a\":1}", "duplicate key \"a\""},
      {"{\"x\":{\"k\":[],\"k\":{}}}",
       "duplicate key \"k\" in the object ending at byte 19"},
      {"[{},{\"z\":null,\"z\":null}]", "duplicate key \"z\""},
      /* the same key after unescaping */
      {"{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\""},
      {"{\"\\n\\\"\":1,\"\\n\\\"\":2}", "duplicate key \"\\x0a\\x22\""},
      {"{\"\":1,\"\":2}", "duplicate key \"\""},
      {"{\"\\u0000\":1,\"\\u0000\":2}", "duplicate key \"\\x00\""},
      {"{\"\xc3\xa9\":1,\"\\u00e9\":2}", "duplicate key \"\xc3\xa9\""},
      /* long keys are cut on a character boundary */
      {"{\"0123456789012345678901234567890\xc3\xa9xyz\":1,"
       "\"0123456789012345678901234567890\xc3\xa9xyz\":2}",
       "duplicate key \"0123456789012345678901234567890...\""},
  };
  static const char *const fine[] = {
      "{\"a\":1,\"A\":2,\"a.b\":3,\"ab\":4,\"\":5,\"\\u0000\":6}",
      "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}",
      "[{\"a\":1},{\"a\":1}]",
      "{\"a\\u0000\":1,\"a\":2}",
      "{}",
      "[1,1]",
  };
  char why[256];
  sbi_json *root;
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(twins); i++) {
    const char *t = twins[i].text;
    root = (sbi_json *)&root;
    assert_int_equal(parse_unique(t, strlen(t), &root, why, sizeof why),
                     SEGB_ERR_DUPLICATE_KEY);
    assert_null(root);
    if (strstr(why, twins[i].why) == NULL)
      fail_msg("case %zu: \"%s\" does not hold \"%s\"", i, why, twins[i].why);
    /* without the flag twins are kept, as before */
    assert_int_equal(parse(t, strlen(t), DEPTH, &root, NULL, 0), SEGB_OK);
    sbi_json_free(root);
  }
  for (i = 0; i < COUNT(fine); i++) {
    assert_int_equal(
        parse_unique(fine[i], strlen(fine[i]), &root, why, sizeof why),
        SEGB_OK);
    sbi_json_free(root);
  }
  /* a large object is checked in one sort, its twin found at the end */
  {
    sbi_buf b = SBI_BUF_INIT;
    int k;
    assert_int_equal(sbi_buf_putc(&b, '{'), SEGB_OK);
    for (k = 0; k < 20000; k++) {
      char member[32];
      snprintf(member, sizeof member, "\"k%d\":%d,", k, k);
      assert_int_equal(sbi_buf_puts(&b, member), SEGB_OK);
    }
    assert_int_equal(sbi_buf_puts(&b, "\"k7\":0}"), SEGB_OK);
    assert_int_equal(parse_unique(b.data, b.len, &root, why, sizeof why),
                     SEGB_ERR_DUPLICATE_KEY);
    assert_non_null(strstr(why, "\"k7\""));
    b.data[b.len - 5] = '8'; /* "k8" collides too */
    b.data[b.len - 6] = 'k';
    assert_int_equal(parse_unique(b.data, b.len, &root, why, sizeof why),
                     SEGB_ERR_DUPLICATE_KEY);
    memcpy(b.data + b.len - 7, "\"x\":0}", 6);
    b.len--;
    assert_int_equal(parse_unique(b.data, b.len, &root, why, sizeof why),
                     SEGB_OK);
    assert_int_equal(root->count, 20001);
    sbi_json_free(root);
    sbi_buf_free(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_accept),
      cmocka_unit_test(test_parse_reject),
      cmocka_unit_test(test_parse_why),
      cmocka_unit_test(test_parse_depth),
      cmocka_unit_test(test_parse_prefix),
      cmocka_unit_test(test_parse_tree),
      cmocka_unit_test(test_write_escapes),
      cmocka_unit_test(test_write_escape_positions),
      cmocka_unit_test(test_write_tree),
      cmocka_unit_test(test_write_is_stable),
      cmocka_unit_test(test_number_text),
      cmocka_unit_test(test_number_overflows),
      cmocka_unit_test(test_format_int64),
      cmocka_unit_test(test_format_double),
      cmocka_unit_test(test_format_double_locale),
      cmocka_unit_test(test_put),
      cmocka_unit_test(test_constructors),
      cmocka_unit_test(test_free_subtree),
      cmocka_unit_test(test_buf),
      cmocka_unit_test(test_parse_unique_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
