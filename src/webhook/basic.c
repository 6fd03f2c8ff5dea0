/* The Authorization check: Basic base64("<api key>:"), the form Segment
 * sends to partner destinations (Segment docs: "Build a Direct
 * Destination", src/partners/direct-destination.md). */
#include "webhook_int.h"

#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/secret.h"

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The credentials after "Basic " in @h (scheme name case-insensitive, RFC
 * 7617), spaces trimmed; NULL when the scheme is not Basic. */
static const char *basic_token(const char *h, size_t len, size_t *token_len) {
  static const char scheme[] = "basic";
  size_t i;

  if (len < 5)
    return NULL;
  for (i = 0; i < 5; i++)
    if (ascii_lower(h[i]) != scheme[i])
      return NULL;
  if (len > 5 && !is_space(h[5]))
    return NULL;
  for (i = 5; i < len && is_space(h[i]); i++)
    ;
  *token_len = len - i;
  return h + i;
}

/* Whether @user matches one of @keys. Every key is compared, in constant
 * time, so the time taken says nothing about which key came close. */
static int key_matches(const sbi_credential *keys, size_t n_keys,
                       const char *user, size_t user_len) {
  int match = 0;
  size_t i;

  for (i = 0; i < n_keys; i++)
    match |= sbi_secret_equal(user, user_len, keys[i].bytes, keys[i].len);
  return match;
}

/* Decoded "<user>:<password>" in @cred: the key check proper. */
static int check_credentials(const sbi_credential *keys, size_t n_keys,
                             const sbi_buf *cred) {
  const char *colon = cred->len > 0 ? memchr(cred->data, ':', cred->len) : NULL;
  size_t user_len;

  if (colon == NULL)
    return sbi_error(SEGB_ERR_WEBHOOK_PASSWORD,
                     "Authorization: the credentials have no ':'");
  user_len = (size_t)(colon - cred->data);
  if (user_len + 1 != cred->len)
    return sbi_error(SEGB_ERR_WEBHOOK_PASSWORD,
                     "Authorization: the password must be empty");
  if (!key_matches(keys, n_keys, cred->data, user_len))
    return sbi_error(SEGB_ERR_WEBHOOK_WRONG_KEY,
                     "Authorization: the API key is not an expected one");
  return SEGB_OK;
}

int sbi_webhook_check_basic(const sbi_credential *keys, size_t n_keys,
                            const char *header) {
  sbi_buf cred = SBI_BUF_INIT;
  const char *token;
  size_t len, token_len = 0;
  int rc;

  if (header == NULL)
    return sbi_error(SEGB_ERR_WEBHOOK_NO_AUTH, "no Authorization header");
  while (is_space(*header))
    header++;
  len = strlen(header);
  while (len > 0 && is_space(header[len - 1]))
    len--;
  if (len == 0)
    return sbi_error(SEGB_ERR_WEBHOOK_NO_AUTH, "Authorization is empty");
  token = basic_token(header, len, &token_len);
  if (token == NULL)
    return sbi_error(SEGB_ERR_WEBHOOK_NOT_BASIC,
                     "Authorization: the scheme is not Basic");
  rc = sbi_base64_decode(token, token_len, &cred);
  if (rc == SEGB_ERR_INVALID_BASE64)
    rc = sbi_error(rc, "Authorization: the credentials are not base64");
  else if (rc != SEGB_OK)
    rc = sbi_error(rc, "out of memory");
  else
    rc = check_credentials(keys, n_keys, &cred);
  sbi_secret_wipe(cred.data, cred.len);
  sbi_buf_free(&cred);
  return rc;
}
