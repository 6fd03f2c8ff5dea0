#include "secret.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <segbridge/error.h>

#include "core/base64.h"
#include "core/buf.h"

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

int sbi_secret_equal(const void *a, size_t a_len, const void *b, size_t b_len) {
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

/* A start of a secret shorter than this at the end of a text is left: it
 * tells too little to be worth the false matches. */
#define SBI_REDACT_TAIL_MIN 4

void sbi_secret_redact(char *text, size_t size, const char *secret,
                       size_t len) {
  const size_t mark = sizeof SBI_REDACTED - 1;
  size_t tlen, i = 0;

  if (text == NULL || size == 0 || secret == NULL || len == 0)
    return;
  tlen = strlen(text);
  while (i < tlen) {
    size_t n = tlen - i < len ? tlen - i : len; /* bytes that can match */
    size_t room = size - 1 - i, m, rest;

    if ((n < len && n < SBI_REDACT_TAIL_MIN) ||
        memcmp(text + i, secret, n) != 0) {
      i++;
      continue;
    }
    /* Swap text[i, i + n) for the mark, cutting what no longer fits. */
    m = mark < room ? mark : room;
    rest = tlen - i - n;
    if (rest > room - m)
      rest = room - m;
    memmove(text + i + m, text + i + n, rest);
    memcpy(text + i, SBI_REDACTED, m);
    tlen = i + m + rest;
    text[tlen] = '\0';
    i += m;
  }
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

void sbi_secret_redact_auth(char *text, size_t size, const char *auth) {
  static const char prefix[] = "Authorization:";
  const char *scheme, *cred;
  size_t scheme_len, cred_len;
  sbi_buf plain = SBI_BUF_INIT;

  if (auth == NULL || text == NULL)
    return;
  if (strncasecmp(auth, prefix, sizeof prefix - 1) == 0)
    auth += sizeof prefix - 1;
  for (scheme = auth; is_space(*scheme); scheme++)
    ;
  scheme_len = strcspn(scheme, " \t");
  for (cred = scheme + scheme_len; is_space(*cred); cred++)
    ;
  cred_len = strcspn(cred, " \t\r\n");
  if (cred_len == 0)
    return;
  sbi_secret_redact(text, size, cred, cred_len);
  if (scheme_len == 5 && strncasecmp(scheme, "Basic", 5) == 0 &&
      sbi_base64_decode(cred, cred_len, &plain) == SEGB_OK && plain.len > 0) {
    const char *colon = memchr(plain.data, ':', plain.len);
    size_t user = colon != NULL ? (size_t)(colon - plain.data) : plain.len;

    /* The whole before its parts: a part redacted first would leave the
     * rest of the whole behind. */
    sbi_secret_redact(text, size, plain.data, plain.len);
    sbi_secret_redact(text, size, plain.data, user);
    if (colon != NULL)
      sbi_secret_redact(text, size, colon + 1, plain.len - user - 1);
  }
  sbi_secret_wipe(plain.data, plain.len);
  sbi_buf_free(&plain);
}
