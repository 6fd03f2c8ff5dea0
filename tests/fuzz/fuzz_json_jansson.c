/*
 * libFuzzer target: the JSON parser against jansson, an independent strict
 * parser. Whatever one refuses the other must refuse, and where both accept
 * they must read the same values: types, strings byte for byte, numbers as
 * numbers, arrays in order, and for each key the last twin of the parser
 * equal to jansson's member (jansson keeps one per key, the last). A second
 * pass compares SBI_JSON_UNIQUE_KEYS with JSON_REJECT_DUPLICATES.
 *
 * jansson runs with JSON_DECODE_ANY (a scalar is a whole document, as in
 * RFC 8259) and JSON_ALLOW_NUL (\u0000 inside a string value), and the
 * parser with jansson's depth limit. What is left are the differences by
 * design, each masked only when the parser's tree has it and jansson's
 * error code names it; a tree that has one must be refused by jansson, so
 * a mask that no longer matches jansson fails too:
 *
 * - An integer past int64 (12345678901234567890): jansson reads integers
 *   into json_int_t and refuses the rest; the parser keeps a number as its
 *   text. json_error_numeric_overflow.
 * - A number past the double range (1e400): jansson refuses what strtod
 *   reads as infinite (underflow is accepted by both); the parser keeps
 *   the text. json_error_numeric_overflow.
 * - \u0000 in a key: jansson refuses it in any mode; the parser keeps keys
 *   with their length. json_error_null_byte_in_key.
 * - Depth: jansson counts every value, scalars too, and refuses one deeper
 *   than JSON_PARSER_MAX_DEPTH; the parser counts arrays and objects. With
 *   the same limit they differ on a scalar inside exactly that many arrays
 *   and objects. json_error_stack_overflow.
 *
 * - A NUL byte right after a number or a literal ([1\0]): jansson 2.14
 *   drops it, as its one-byte lookahead takes NUL for "nothing buffered"
 *   (akheron/jansson#331, JSONTestSuite n_multidigit_number_then_00); the
 *   parser refuses it. What jansson accepts so must read, by the parser,
 *   as the text without those bytes.
 *
 * Duplicate keys need no mask: both accept them by default, both refuse
 * them in the second pass.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <segbridge/error.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      abort();                                                                 \
  } while (0)

#define MASK(code) (1u << (code))

static int is_integer(const sbi_json *n) {
  return strpbrk(n->str, ".eE") == NULL;
}

/* Whether jansson refuses number @n as too big: the test its lexer makes. */
static int overflows(const sbi_json *n) {
  double d;

  errno = 0;
  if (is_integer(n)) {
    (void)strtoll(n->str, NULL, 10);
    return errno == ERANGE;
  }
  d = strtod(n->str, NULL);
  return (d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE;
}

/* MASK() of every jansson error the tree under @n (a value nested @depth
 * values deep as jansson counts, the root being 1) is known to cause. */
static unsigned masked(const sbi_json *n, size_t depth) {
  unsigned m = 0;
  const sbi_json *c;

  if (depth > JSON_PARSER_MAX_DEPTH)
    m |= MASK(json_error_stack_overflow);
  if (n->key != NULL && memchr(n->key, '\0', n->key_len) != NULL)
    m |= MASK(json_error_null_byte_in_key);
  if (n->type == SBI_JSON_NUMBER && overflows(n))
    m |= MASK(json_error_numeric_overflow);
  for (c = n->head; c != NULL; c = c->next)
    m |= masked(c, depth + 1);
  return m;
}

static void check_same(const sbi_json *n, const json_t *j) {
  const sbi_json *c;
  size_t i = 0, keys = 0;

  CHECK(j != NULL);
  switch (n->type) {
  case SBI_JSON_NULL:
    CHECK(json_is_null(j));
    break;
  case SBI_JSON_FALSE:
    CHECK(json_is_false(j));
    break;
  case SBI_JSON_TRUE:
    CHECK(json_is_true(j));
    break;
  case SBI_JSON_NUMBER:
    if (is_integer(n))
      CHECK(json_is_integer(j) &&
            json_integer_value(j) == strtoll(n->str, NULL, 10));
    else
      CHECK(json_is_real(j) && json_real_value(j) == strtod(n->str, NULL));
    break;
  case SBI_JSON_STRING:
    CHECK(json_is_string(j) && json_string_length(j) == n->str_len &&
          memcmp(json_string_value(j), n->str, n->str_len) == 0);
    break;
  case SBI_JSON_ARRAY:
    CHECK(json_is_array(j) && json_array_size(j) == n->count);
    for (c = n->head; c != NULL; c = c->next)
      check_same(c, json_array_get(j, i++));
    break;
  case SBI_JSON_OBJECT:
    CHECK(json_is_object(j));
    for (c = n->head; c != NULL; c = c->next)
      if (sbi_json_get(n, c->key, c->key_len) == c) {
        keys++;
        check_same(c, json_object_getn(j, c->key, c->key_len));
      }
    CHECK(json_object_size(j) == keys);
    break;
  }
}

static int is_alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

/* jansson accepted the text the parser refused: that must be the NUL bytes
 * it drops after a number or literal. Without them the parser must accept
 * the text and read what jansson read. */
static void check_dropped_nul(const uint8_t *data, size_t size,
                              const sbi_json_opts *opts, const json_t *j) {
  char *kept = malloc(size);
  sbi_json *tree = NULL;
  size_t i, n = 0;

  CHECK(kept != NULL);
  for (i = 0; i < size; i++)
    if (data[i] != '\0' || i == 0 || !is_alnum(data[i - 1]))
      kept[n++] = (char)data[i];
  CHECK(n < size);
  CHECK(sbi_json_parse_opts(kept, n, NULL, 0, opts, &tree, NULL, 0) == SEGB_OK);
  check_same(tree, j);
  sbi_json_free(tree);
  free(kept);
}

/* One pass: the parser with @flags against jansson with @jflags. */
static void compare(const uint8_t *data, size_t size, unsigned flags,
                    size_t jflags) {
  sbi_json_opts opts = {JSON_PARSER_MAX_DEPTH, flags, 0, NULL, NULL};
  sbi_json *tree = NULL;
  json_error_t err;
  json_t *j;
  int rc;

  rc = sbi_json_parse_opts((const char *)data, size, NULL, 0, &opts, &tree,
                           NULL, 0);
  if (rc == SEGB_ERR_NOMEM)
    return;
  j = json_loadb((const char *)data, size,
                 JSON_DECODE_ANY | JSON_ALLOW_NUL | jflags, &err);
  if (rc != SEGB_OK) {
    if (j != NULL)
      check_dropped_nul(data, size, &opts, j);
  } else {
    unsigned m = masked(tree, 1);

    if (m == 0)
      check_same(tree, j);
    else
      CHECK(j == NULL && (m & MASK(json_error_code(&err))) != 0);
  }
  json_decref(j);
  sbi_json_free(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  compare(data, size, 0, 0);
  compare(data, size, SBI_JSON_UNIQUE_KEYS, JSON_REJECT_DUPLICATES);
  return 0;
}
