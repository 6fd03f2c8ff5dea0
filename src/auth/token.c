/* Static token auth: Authorization: Bearer <token>, built once. */
#include "auth.h"

#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/err.h"
#include "core/secret.h"

#define SBI_BEARER_PREFIX "Authorization: Bearer "

typedef struct sbi_token_auth {
  sbi_auth base; /* first, so an sbi_auth * is the whole struct */
  sbi_buf header;
} sbi_token_auth;

/* Built at creation: no wait, no deadline to mind. */
static int tok_header(sbi_auth *a, int64_t deadline_ms, sbi_buf *out) {
  const sbi_token_auth *t = (const sbi_token_auth *)a;

  (void)deadline_ms;
  return sbi_buf_append(out, t->header.data, t->header.len);
}

static int tok_body_members(sbi_auth *a, sbi_buf *out) {
  (void)a;
  (void)out;
  return SEGB_OK;
}

/* A static token cannot be refreshed: the caller reports the 401. */
static void tok_unauthorized(sbi_auth *a) { (void)a; }

static void tok_destroy(sbi_auth *a) {
  sbi_token_auth *t = (sbi_token_auth *)a;

  sbi_secret_wipe(t->header.data, t->header.cap);
  sbi_buf_free(&t->header);
  free(t);
}

sbi_auth *sbi_token_auth_new(const char *token) {
  const size_t prefix = sizeof SBI_BEARER_PREFIX - 1;
  sbi_token_auth *t;
  size_t len, i;
  int rc;

  if (token == NULL || token[0] == '\0') {
    sbi_error(SEGB_ERR_NO_CREDENTIALS, "no token is configured");
    return NULL;
  }
  len = strlen(token);
  /* CR or LF would end the header line and let the token inject headers of
   * its own; no other control character belongs in a token either. */
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)token[i];
    if (c < 0x20 || c == 0x7F) {
      sbi_error(SEGB_ERR_INVALID_VALUE,
                "token has a control character at byte %zu", i);
      return NULL;
    }
  }
  t = calloc(1, sizeof *t);
  if (t == NULL) {
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating the token auth");
    return NULL;
  }
  t->base.header = tok_header;
  t->base.body_members = tok_body_members;
  t->base.unauthorized = tok_unauthorized;
  t->base.destroy = tok_destroy;
  /* Reserved whole first, so the buffer never moves with the token in it. */
  rc = sbi_buf_reserve(&t->header, prefix + len);
  if (rc == SEGB_OK)
    rc = sbi_buf_append(&t->header, SBI_BEARER_PREFIX, prefix);
  if (rc == SEGB_OK)
    rc = sbi_buf_append(&t->header, token, len);
  if (rc != SEGB_OK) {
    tok_destroy(&t->base);
    sbi_error(rc, "out of memory creating the token auth");
    return NULL;
  }
  return &t->base;
}
