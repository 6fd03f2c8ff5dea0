/*
 * libFuzzer target for the NDJSON line reader of `segbridge import`
 * (tools/segbridge/ndjson.c). The first input byte picks the line cap (1..64,
 * so caps are crossed often), the second how the source splits its reads;
 * the rest is the input. Every line must come back exactly as a plain split
 * at '\n' gives it (one "\r" before the '\n' removed), NUL-terminated; every
 * line over the cap must be reported with its number and length instead;
 * then the end, for good.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct source {
  const char *p;
  size_t left;
  unsigned step, reads;
} source;

/* Reads of 1 to 23 bytes, in a pattern the input chooses. */
static int read_chunks(void *ctx, char *buf, size_t cap, size_t *got) {
  source *s = ctx;
  size_t n = 1 + (s->step * ++s->reads) % 23;

  if (cap == 0)
    abort(); /* the reader never asks for nothing */
  if (n > cap)
    n = cap;
  if (n > s->left)
    n = s->left;
  memcpy(buf, s->p, n);
  s->p += n;
  s->left -= n;
  *got = n;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text, *at, *end;
  source src;
  cli_lines r;
  uint64_t lineno = 0;
  char *line;
  size_t len, max_line;

  if (size < 2)
    return 0;
  max_line = 1 + data[0] % 64;
  src.p = text = (const char *)data + 2;
  src.left = size - 2;
  src.step = data[1];
  src.reads = 0;
  if (cli_lines_init(&r, max_line, read_chunks, &src) != 0)
    return 0;
  end = text + (size - 2);
  for (at = text; at < end;) {
    const char *nl = memchr(at, '\n', (size_t)(end - at));
    size_t n = (size_t)((nl != NULL ? nl : end) - at);
    int kind = cli_lines_next(&r, &line, &len);

    lineno++;
    if (r.lineno != lineno)
      abort();
    if (n > max_line) {
      if (kind != CLI_LINE_TOO_LONG || r.skipped != n)
        abort();
    } else {
      size_t want = n > 0 && at[n - 1] == '\r' ? n - 1 : n;
      if (kind != CLI_LINE_OK || len != want || memcmp(line, at, want) != 0 ||
          line[len] != '\0')
        abort();
    }
    at += n + (nl != NULL);
  }
  if (cli_lines_next(&r, &line, &len) != CLI_LINE_EOF ||
      cli_lines_next(&r, &line, &len) != CLI_LINE_EOF || r.offset != size - 2 ||
      r.lineno != lineno)
    abort();
  cli_lines_free(&r);
  return 0;
}
