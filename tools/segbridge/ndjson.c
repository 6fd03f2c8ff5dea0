/* The capped NDJSON line reader (see ndjson.h). */
#include "ndjson.h"

#include <stdlib.h>
#include <string.h>

int cli_lines_init(cli_lines *r, size_t max_line, cli_read_fn *read,
                   void *ctx) {
  memset(r, 0, sizeof *r);
  r->read = read;
  r->ctx = ctx;
  r->max_line = max_line;
  r->buf = malloc(max_line + 2);
  return r->buf != NULL ? 0 : -1;
}

void cli_lines_free(cli_lines *r) {
  free(r->buf);
  r->buf = NULL;
}

/* Read more after buf[end], which holds at most max_line + 1 bytes of
 * input (the last byte stays free for a NUL). */
static int fill(cli_lines *r) {
  size_t got = 0;

  if (r->read(r->ctx, r->buf + r->end, r->max_line + 1 - r->end, &got) != 0)
    return -1;
  if (got == 0)
    r->eof = 1;
  r->end += got;
  r->offset += got;
  return 0;
}

/* The line being read has passed the cap with @seen bytes: read on to its
 * '\n' (or the end), keeping nothing. */
static int skip_line(cli_lines *r, uint64_t seen) {
  for (;;) {
    const char *nl;

    r->start = r->end = 0;
    if (r->eof)
      break;
    if (fill(r) != 0)
      return CLI_LINE_ERROR;
    nl = memchr(r->buf, '\n', r->end);
    if (nl != NULL) {
      r->start = (size_t)(nl - r->buf) + 1;
      seen += (uint64_t)(nl - r->buf);
      break;
    }
    seen += r->end;
  }
  r->skipped = seen;
  return CLI_LINE_TOO_LONG;
}

int cli_lines_next(cli_lines *r, char **line, size_t *len) {
  size_t scanned = 0; /* bytes after start known to hold no '\n' */

  for (;;) {
    char *at = r->buf + r->start, *nl;
    size_t avail = r->end - r->start;

    nl = memchr(at + scanned, '\n', avail - scanned);
    if (nl != NULL || (r->eof && avail > 0 && avail <= r->max_line)) {
      size_t n = nl != NULL ? (size_t)(nl - at) : avail;

      r->start += n + (nl != NULL);
      r->lineno++;
      if (n > 0 && at[n - 1] == '\r')
        n--;
      at[n] = '\0';
      *line = at;
      *len = n;
      return CLI_LINE_OK;
    }
    if (avail > r->max_line) {
      r->lineno++;
      return skip_line(r, avail);
    }
    if (r->eof)
      return CLI_LINE_EOF;
    scanned = avail;
    /* Move the partial line to the front; it is at most max_line bytes. */
    if (r->start > 0) {
      memmove(r->buf, at, avail);
      r->start = 0;
      r->end = avail;
    }
    if (fill(r) != 0)
      return CLI_LINE_ERROR;
  }
}
