/* Write key auth: HTTP Basic with the key as user name and an empty
 * password, optionally writeKey in the body too. Both forms are built once;
 * the provider then holds no other copy of the key. */
#include "auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/base64.h"
#include "core/err.h"
#include "core/json.h"
#include "core/secret.h"

#define SBI_BASIC_PREFIX "Authorization: Basic "
#define SBI_WRITE_KEY_MEMBER ",\"writeKey\":"

typedef struct sbi_write_key_auth {
  sbi_auth base;   /* first, so an sbi_auth * is the whole struct */
  sbi_buf header;  /* Authorization: Basic base64("<key>:") */
  sbi_buf members; /* ,"writeKey":"<key>" or empty */
} sbi_write_key_auth;

/* Built at creation: no wait, no deadline to mind. */
static int wk_header(sbi_auth *a, int64_t deadline_ms, sbi_buf *out) {
  const sbi_write_key_auth *w = (const sbi_write_key_auth *)a;

  (void)deadline_ms;
  return sbi_buf_append(out, w->header.data, w->header.len);
}

static int wk_body_members(sbi_auth *a, sbi_buf *out) {
  const sbi_write_key_auth *w = (const sbi_write_key_auth *)a;
  if (w->members.len == 0)
    return SEGB_OK;
  return sbi_buf_append(out, w->members.data, w->members.len);
}

/* A write key cannot be refreshed: the caller reports the 401. */
static void wk_unauthorized(sbi_auth *a) { (void)a; }

static void wk_destroy(sbi_auth *a) {
  sbi_write_key_auth *w = (sbi_write_key_auth *)a;

  sbi_secret_wipe(w->header.data, w->header.cap);
  sbi_buf_free(&w->header);
  sbi_secret_wipe(w->members.data, w->members.cap);
  sbi_buf_free(&w->members);
  free(w);
}

/* base64 of "<key>:" after the prefix. The "<key>:" copy is wiped at once. */
static int build_header(sbi_buf *out, const char *key, size_t len) {
  char *cred = malloc(len + 1);
  int rc;

  if (cred == NULL)
    return SEGB_ERR_NOMEM;
  memcpy(cred, key, len);
  cred[len] = ':';
  rc = sbi_buf_puts(out, SBI_BASIC_PREFIX);
  if (rc == SEGB_OK)
    rc = sbi_base64_append(out, cred, len + 1);
  sbi_secret_wipe(cred, len + 1);
  free(cred);
  return rc;
}

static int build_members(sbi_buf *out, const char *key, size_t len) {
  const size_t fixed = sizeof SBI_WRITE_KEY_MEMBER - 1 + 2;
  int rc;

  /* Worst case every byte becomes \u00XX: reserving that up front keeps the
   * buffer from moving (and leaving a copy behind) while the key goes in. */
  if (len > (SIZE_MAX - fixed) / 6)
    return SEGB_ERR_NOMEM;
  rc = sbi_buf_reserve(out, fixed + 6 * len);
  if (rc == SEGB_OK)
    rc = sbi_buf_puts(out, SBI_WRITE_KEY_MEMBER);
  if (rc == SEGB_OK)
    rc = sbi_json_write_string(out, key, len);
  return rc;
}

sbi_auth *sbi_write_key_auth_new(const char *write_key, int in_body) {
  sbi_write_key_auth *w;
  size_t len;
  int rc;

  if (write_key == NULL || write_key[0] == '\0') {
    sbi_error(SEGB_ERR_NO_CREDENTIALS, "no write key is configured");
    return NULL;
  }
  w = calloc(1, sizeof *w);
  if (w == NULL) {
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating the write key auth");
    return NULL;
  }
  w->base.header = wk_header;
  w->base.body_members = wk_body_members;
  w->base.unauthorized = wk_unauthorized;
  w->base.destroy = wk_destroy;
  len = strlen(write_key);
  rc = build_header(&w->header, write_key, len);
  if (rc == SEGB_OK && in_body)
    rc = build_members(&w->members, write_key, len);
  if (rc != SEGB_OK) {
    wk_destroy(&w->base);
    sbi_error(rc, "out of memory creating the write key auth");
    return NULL;
  }
  return &w->base;
}
