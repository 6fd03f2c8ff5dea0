/* The NDJSON line reader of `segbridge import`: one line at a time from any
 * byte source, with a cap on line length. An over-long line is skipped as it
 * is read, never held whole, so memory stays at the cap whatever the input.
 * Standard C only, so the fuzz target links it as it is. */
#ifndef SEGB_CLI_NDJSON_H
#define SEGB_CLI_NDJSON_H

#include <stddef.h>
#include <stdint.h>

/* The longest line kept, in bytes before its '\n': twice Segment's 32 KB
 * event limit, so an event exported with server fields (which an import
 * drops) and some whitespace still fits. */
#define CLI_LINE_MAX 65536

/* Read up to @cap bytes into @buf and set *@got; 0 bytes means the end of
 * the input. Returns 0, or -1 on a read error (errno set). */
typedef int cli_read_fn(void *ctx, char *buf, size_t cap, size_t *got);

/* What cli_lines_next() found. */
enum {
  CLI_LINE_ERROR = -1, /* the source failed */
  CLI_LINE_EOF = 0,
  CLI_LINE_OK = 1,      /* a line */
  CLI_LINE_TOO_LONG = 2 /* a line over the cap, skipped */
};

typedef struct cli_lines {
  cli_read_fn *read;
  void *ctx;
  char *buf; /* max_line + 2 bytes: a line, its '\n', a NUL */
  size_t max_line;
  size_t start, end; /* the unread bytes are buf[start, end) */
  int eof;
  uint64_t lineno;  /* number of the line last returned, from 1 */
  uint64_t skipped; /* CLI_LINE_TOO_LONG: the line's length */
  uint64_t offset;  /* bytes read from the source so far */
} cli_lines;

/* Start reading lines of at most @max_line bytes from @read. 0, or -1 when
 * out of memory. */
int cli_lines_init(cli_lines *r, size_t max_line, cli_read_fn *read, void *ctx);

/* The next line, without its "\n" or "\r\n", NUL-terminated in the
 * reader's buffer (valid until the next call): CLI_LINE_OK with *@line and
 * *@len set. A last line without a '\n' counts. CLI_LINE_TOO_LONG when the
 * line had more than max_line bytes before its '\n' (its length in
 * r->skipped): it was read to its end and dropped. */
int cli_lines_next(cli_lines *r, char **line, size_t *len);

/* Bytes of the source taken care of: up to the end of the line last
 * returned (what was read ahead of it excluded). */
static inline uint64_t cli_lines_consumed(const cli_lines *r) {
  return r->offset - (r->end - r->start);
}

void cli_lines_free(cli_lines *r);

#endif
