/*
 * libFuzzer target for the JSON parser and writer. Whatever the parser
 * accepts must write back as valid UTF-8 that parses again and writes back
 * to the very same bytes; whatever it refuses must leave no tree behind and
 * a NUL-terminated reason. With SBI_JSON_UNIQUE_KEYS it must refuse exactly
 * the texts that have a key twice in one object.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/utf8.h"

/* Deep enough to reach the depth limit often, shallow enough that the
 * recursive writer stays well inside the stack. */
#define FUZZ_MAX_DEPTH 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_or_abort(sbi_buf *out, const sbi_json *root) {
  if (sbi_json_write(out, root) != SEGB_OK)
    abort();
}

/* 1 when some object under @n has two members of the same key. */
static int has_twin(const sbi_json *n) {
  const sbi_json *a, *b;

  for (a = n->head; a != NULL; a = a->next) {
    if (has_twin(a))
      return 1;
    for (b = a->next; n->type == SBI_JSON_OBJECT && b != NULL; b = b->next)
      if (a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0)
        return 1;
  }
  return 0;
}

/* SBI_JSON_UNIQUE_KEYS refuses exactly the texts with twins, as
 * SEGB_ERR_DUPLICATE_KEY, and otherwise parses as without it. */
static void check_unique_keys(const uint8_t *data, size_t size,
                              const sbi_json *tree) {
  sbi_json *u = NULL;
  sbi_json_opts unique = {FUZZ_MAX_DEPTH, SBI_JSON_UNIQUE_KEYS, 0, NULL, NULL};
  int rc = sbi_json_parse_opts((const char *)data, size, NULL, 0, &unique, &u,
                               NULL, 0);

  if (has_twin(tree) ? rc != SEGB_ERR_DUPLICATE_KEY || u != NULL
                     : rc != SEGB_OK || u->count != tree->count)
    abort();
  sbi_json_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sbi_json *one = NULL, *two = NULL;
  sbi_buf first = SBI_BUF_INIT, second = SBI_BUF_INIT;
  char why[64];
  int rc;

  memset(why, 'x', sizeof(why));
  rc = sbi_json_parse((const char *)data, size, NULL, 0, FUZZ_MAX_DEPTH, &one,
                      why, sizeof(why));
  if (rc != SEGB_OK) {
    if (one != NULL || memchr(why, '\0', sizeof(why)) == NULL)
      abort();
    if (rc != SEGB_ERR_INVALID_JSON && rc != SEGB_ERR_INVALID_UTF8 &&
        rc != SEGB_ERR_TOO_DEEP && rc != SEGB_ERR_NOMEM)
      abort();
    return 0;
  }
  check_unique_keys(data, size, one);
  write_or_abort(&first, one);
  if (!sbi_utf8_is_valid(first.data, first.len))
    abort();
  if (sbi_json_parse(first.data, first.len, NULL, 0, FUZZ_MAX_DEPTH, &two, NULL,
                     0) != SEGB_OK)
    abort();
  write_or_abort(&second, two);
  if (second.len != first.len ||
      memcmp(second.data, first.data, first.len) != 0)
    abort();
  sbi_json_free(one);
  sbi_json_free(two);
  sbi_buf_free(&first);
  sbi_buf_free(&second);
  return 0;
}
