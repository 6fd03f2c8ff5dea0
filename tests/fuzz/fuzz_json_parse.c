/*
 * libFuzzer target for the JSON parser and writer. Whatever the parser
 * accepts must write back as valid UTF-8 that parses again and writes back
 * to the very same bytes; whatever it refuses must leave no tree behind and
 * a NUL-terminated reason.
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
  write_or_abort(&first, one);
  if (!sbi_utf8_is_valid(first.data, first.len))
    abort();
  if (sbi_json_parse(first.data, first.len, NULL, 0, FUZZ_MAX_DEPTH, &two,
                     NULL, 0) != SEGB_OK)
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
