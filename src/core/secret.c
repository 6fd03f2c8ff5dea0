#include "secret.h"

#include <stdlib.h>
#include <string.h>

/* Calling memset through a volatile pointer keeps the compiler from proving
 * the store dead and removing it before free(). */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void sbi_secret_wipe(void *p, size_t n) {
  if (p != NULL && n > 0)
    wipe_memset(p, 0, n);
}

void sbi_secret_free(char *s) {
  if (s == NULL)
    return;
  sbi_secret_wipe(s, strlen(s));
  free(s);
}

int sbi_secret_equal(const void *a, size_t a_len, const void *b,
                     size_t b_len) {
  const volatile unsigned char *x = a;
  const volatile unsigned char *y = b;
  /* Compare over the longer length, so a length mismatch costs the same as
   * a content mismatch; reading past the shorter side wraps into itself. */
  size_t n = a_len > b_len ? a_len : b_len;
  unsigned diff = a_len != b_len;
  size_t i;

  if (n == 0)
    return 1;
  if (a_len == 0 || b_len == 0)
    return 0;
  for (i = 0; i < n; i++)
    diff |= (unsigned)(x[i % a_len] ^ y[i % b_len]);
  return diff == 0;
}
