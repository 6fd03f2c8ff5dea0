/* Input helpers shared by the fuzz targets that read header lines first. */
#ifndef SEGB_FUZZ_LINES_H
#define SEGB_FUZZ_LINES_H

#include <stdlib.h>
#include <string.h>

/* The next line of the input as a NUL-terminated copy (free it), NULL for
 * a line that is just "-" (the header is absent). */
static inline char *fuzz_line(const char **p, const char *end) {
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  size_t len = (size_t)((nl != NULL ? nl : end) - *p);
  char *s = malloc(len + 1);

  if (s == NULL)
    abort();
  memcpy(s, *p, len);
  s[len] = '\0';
  *p += len + (nl != NULL);
  if (strcmp(s, "-") == 0) {
    free(s);
    return NULL;
  }
  return s;
}

#endif
