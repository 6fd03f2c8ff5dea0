/* Logging: the filter in front of the host's segb_log_cb, and the cleaning
 * of a line before it goes out. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Longest line passed on, in bytes. */
#define SBI_LOG_LINE_MAX 1000

/* The debug bit of a context name, 0 for a context that has none. */
static unsigned debug_bit(const char *context) {
  static const struct {
    const char *name;
    unsigned bit;
  } contexts[] = {
      {"http", SBI_LOG_HTTP}, {"batch", SBI_LOG_BATCH}, {"auth", SBI_LOG_AUTH}};
  size_t i;

  for (i = 0; context != NULL && i < sizeof contexts / sizeof contexts[0]; i++)
    if (strcmp(context, contexts[i].name) == 0)
      return contexts[i].bit;
  return 0;
}

/* A debug context's level-7 lines are as many as its requests or batches:
 * they pass when the context is named in debug, and log.level 7 alone does
 * not bring them. */
int sbi_log_enabled(const sbi_logger *l, int level, unsigned debug_bit) {
  if (l == NULL || l->cb == NULL)
    return 0;
  if (debug_bit != 0 && level >= 7)
    return (debug_bit & l->debug) != 0;
  return level <= l->level;
}

void sbi_log(const sbi_logger *l, int level, const char *context,
             const char *fmt, ...) {
  /* One byte past the limit shows whether the cut splits a character. */
  char line[SBI_LOG_LINE_MAX + 2];
  va_list ap;
  size_t len, i;
  int n;

  if (!sbi_log_enabled(l, level, debug_bit(context)))
    return;
  va_start(ap, fmt);
  n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  len = (size_t)n;
  if (len > SBI_LOG_LINE_MAX) {
    len = SBI_LOG_LINE_MAX;
    /* Back off to the start of a UTF-8 sequence the cut went through. */
    while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
      len--;
  }
  line[len] = '\0';
  for (i = 0; i < len; i++)
    if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
      line[i] = ' ';
  l->cb(level, context, line, l->opaque);
}
