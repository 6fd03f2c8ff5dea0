/*
 * A small JSON tree used to build messages, with a strict parser and a
 * compact writer. Strings are stored unescaped (validated UTF-8, may hold
 * NUL); numbers are stored as their JSON text, so a parsed number is written
 * back byte-for-byte.
 *
 * Each node is one allocation holding its key and scalar text. A node owns
 * its children; freeing a node frees its subtree, never its siblings.
 */
#ifndef SBI_CORE_JSON_H
#define SBI_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum sbi_json_type {
  SBI_JSON_NULL,
  SBI_JSON_FALSE,
  SBI_JSON_TRUE,
  SBI_JSON_NUMBER,
  SBI_JSON_STRING,
  SBI_JSON_ARRAY,
  SBI_JSON_OBJECT
} sbi_json_type;

typedef struct sbi_json sbi_json;
struct sbi_json {
  sbi_json *next;  /* next sibling inside the parent */
  const char *key; /* member name inside an object, else NULL */
  size_t key_len;
  sbi_json_type type;
  const char *str; /* STRING: the bytes; NUMBER: the JSON number text */
  size_t str_len;
  sbi_json *head; /* ARRAY/OBJECT: first child */
  sbi_json *tail; /* ARRAY/OBJECT: last child */
  size_t count;   /* ARRAY/OBJECT: number of children */
};

/* Constructors. @key may be NULL (array element, root). Key and text are
 * copied. They return NULL only when out of memory; callers validate UTF-8
 * and number syntax before calling. */
sbi_json *sbi_json_new(sbi_json_type type, const char *key, size_t key_len);
sbi_json *sbi_json_new_string(const char *key, size_t key_len, const char *s,
                              size_t len);
sbi_json *sbi_json_new_number_text(const char *key, size_t key_len,
                                   const char *text, size_t len);
sbi_json *sbi_json_new_int64(const char *key, size_t key_len, int64_t v);
/* @v must be finite: NaN and infinities have no JSON form. */
sbi_json *sbi_json_new_double(const char *key, size_t key_len, double v);

/* Free @node and its subtree. Accepts NULL. */
void sbi_json_free(sbi_json *node);

/* The same, zeroing every key and text first: for trees that may hold
 * secrets (token answers, webhook settings). */
void sbi_json_free_secret(sbi_json *node);

/* A copy of @node and its subtree, keyed @key (NULL: none), or NULL when
 * out of memory. Recursive: for trees whose depth a parse bounded. */
sbi_json *sbi_json_clone(const sbi_json *node, const char *key, size_t key_len);

/* Last member of object @obj named @key, or NULL. */
sbi_json *sbi_json_get(const sbi_json *obj, const char *key, size_t key_len);

/* Append @child to array or object @parent (takes ownership). */
void sbi_json_append(sbi_json *parent, sbi_json *child);

/* Put @child into object @obj: replaces (and frees) the member with the same
 * key, keeping its position, or appends. Takes ownership of @child. */
void sbi_json_put(sbi_json *obj, sbi_json *child);

/* Parse @len bytes of JSON text into a new tree whose root gets @key.
 * Strict RFC 8259: one value, optional surrounding whitespace, no trailing
 * bytes, no comments, no NaN, no leading zeros, strings checked as UTF-8,
 * \u escapes checked for paired surrogates. Nesting deeper than @max_depth
 * (arrays and objects count one level each) is refused.
 * Returns SEGB_OK, SEGB_ERR_INVALID_JSON, SEGB_ERR_INVALID_UTF8,
 * SEGB_ERR_TOO_DEEP or SEGB_ERR_NOMEM. On error *@out is NULL and, when
 * @why is not NULL, a short reason with the byte offset is written to it,
 * e.g. "expected ':' at byte 12". It does not touch the thread's error. */
int sbi_json_parse(const char *text, size_t len, const char *key,
                   size_t key_len, unsigned max_depth, sbi_json **out,
                   char *why, size_t why_size);

/* Flags of sbi_json_opts. */
enum {
  /* Refuse an object with two members of the same key (after unescaping):
   * SEGB_ERR_DUPLICATE_KEY, the reason naming the key. Without it twins
   * are kept and sbi_json_get() finds the last. */
  SBI_JSON_UNIQUE_KEYS = 1u << 0
};

/* Where a parsed value lies in the text: @len bytes from byte @at. */
typedef struct sbi_json_span {
  size_t at;
  size_t len;
} sbi_json_span;

/* What sbi_json_parse_opts() accepts, for text from a party that may be
 * hostile: each limit is checked as a node is made, so the parse stops
 * before a tree grows past it. */
typedef struct sbi_json_opts {
  unsigned max_depth; /* as for sbi_json_parse() */
  unsigned flags;     /* SBI_JSON_* */
  /* Most values in the tree, the root included; one more fails with
   * SEGB_ERR_TOO_LARGE. 0: no cap. */
  size_t max_nodes;
  /* When not NULL, called twice for each value inside an array or
   * object @parent, nested @depth levels deep (1: the root), while that
   * value is parent->tail: as it is added, with @span NULL (a limit can
   * stop the parse before the value's contents are read), and once its
   * last byte is read, with @span its exact bytes in the text, which is
   * how a caller finds the raw text of a value it also gets as a tree. A
   * return other than SEGB_OK stops the parse with that code. */
  int (*on_item)(void *opaque, const sbi_json *parent, size_t depth,
                 const sbi_json_span *span);
  void *opaque;
} sbi_json_opts;

/* sbi_json_parse() with the options @opts (their max_depth replaces the
 * argument of that name). */
int sbi_json_parse_opts(const char *text, size_t len, const char *key,
                        size_t key_len, const sbi_json_opts *opts,
                        sbi_json **out, char *why, size_t why_size);

/* Append the compact JSON of @node's value (its key is not written).
 * SEGB_OK or SEGB_ERR_NOMEM. */
int sbi_json_write(sbi_buf *out, const sbi_json *node);

/* Append the members of object @obj as "k":v pairs joined by commas, without
 * braces, so a caller can add members of its own. */
int sbi_json_write_members(sbi_buf *out, const sbi_json *obj);

/* Append @s as a quoted, escaped JSON string. */
int sbi_json_write_string(sbi_buf *out, const char *s, size_t len);

/* 1 when the JSON number text @s (@len bytes, valid number grammar) is
 * beyond the range of a double, so that a reader converting it gets an
 * infinity ("1e400", "-1e400", 400 digits); 0 otherwise, also for numbers
 * that only lose precision or underflow to zero. Independent of the
 * locale. */
int sbi_json_number_overflows(const char *s, size_t len);

/* Shortest text that reads back as @v (finite only); returns its length.
 * @out must hold at least SBI_JSON_NUMBER_MAX bytes; it is NUL-terminated. */
#define SBI_JSON_NUMBER_MAX 32
size_t sbi_json_format_double(char *out, double v);
size_t sbi_json_format_int64(char *out, int64_t v);

#endif
