/* The X-Signature check: hex HMAC-SHA1 of the raw body keyed by a shared
 * secret (Segment docs: the Webhooks and Webhooks (Actions) destination
 * pages). For a batch Segment signs only the first event, so the raw bytes
 * of the first element are a candidate besides the whole body
 * (docs/WEBHOOKS.md): re-serializing would not reproduce the bytes signed.
 * Those bytes are the parser's own record of where it read event 0, so
 * what is signed is exactly the event the batch then hands out first. */
#include "webhook_int.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/err.h"
#include "core/secret.h"

#define SHA1_LEN 20

static int is_space(char c) { return c == ' ' || c == '\t'; }

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* 40 hex digits, either case, spaces around them allowed: 1 with the
 * digest in @out, else 0. */
static int parse_hex(const char *h, unsigned char out[SHA1_LEN]) {
  size_t len, i;

  while (is_space(*h))
    h++;
  len = strlen(h);
  while (len > 0 && is_space(h[len - 1]))
    len--;
  if (len != 2 * SHA1_LEN)
    return 0;
  for (i = 0; i < SHA1_LEN; i++) {
    int hi = hex_value(h[2 * i]), lo = hex_value(h[2 * i + 1]);

    if (hi < 0 || lo < 0)
      return 0;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return 1;
}

/* Whether any secret signs @len bytes at @data as @want. Every secret is
 * tried whatever the outcome, and digests are compared in constant time. */
static int signed_by_any(const sbi_credential *secrets, size_t n_secrets,
                         const char *data, size_t len,
                         const unsigned char want[SHA1_LEN], int *match) {
  unsigned char got[EVP_MAX_MD_SIZE];
  unsigned int got_len = 0;
  size_t i;

  for (i = 0; i < n_secrets; i++) {
    if (HMAC(EVP_sha1(), secrets[i].bytes, (int)secrets[i].len,
             (const unsigned char *)data, len, got, &got_len) == NULL) {
      sbi_secret_wipe(got, sizeof got);
      return sbi_error(SEGB_ERR_NOMEM, "HMAC-SHA1 failed");
    }
    *match |= sbi_secret_equal(got, got_len, want, SHA1_LEN);
  }
  /* The digest of a body the sender chose is a signature it must not see. */
  sbi_secret_wipe(got, sizeof got);
  return SEGB_OK;
}

/* Whether [@p, @p + @len) is @want once JSON whitespace is left out. */
static int is_only(const char *p, size_t len, const char *want) {
  size_t i;

  for (i = 0; i < len; i++) {
    if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
      continue;
    if (*want++ != p[i])
      return 0;
  }
  return *want == '\0';
}

/* Whether the body around its signed first event is nothing but the list
 * holding it, `[...]` or `{"batch":[...]}`: only then does a signature over
 * a batch of one event vouch for all the body says. Anything else there (a
 * batch-wide "context", say) is unsigned. */
static int only_the_list(const char *body, size_t len, sbi_json_span first) {
  const char *after = body + first.at + first.len;
  size_t after_len = len - first.at - first.len;

  return (is_only(body, first.at, "[") && is_only(after, after_len, "]")) ||
         (is_only(body, first.at, "{\"batch\":[") &&
          is_only(after, after_len, "]}"));
}

int sbi_webhook_check_signature(const segb_webhook_t *wh, const char *header,
                                const char *body, size_t len,
                                segb_webhook_batch_t **parsed,
                                sbi_webhook_coverage *covers) {
  unsigned char want[SHA1_LEN];
  sbi_json_span first;
  int whole = 0, first_only = 0, rc;

  *covers = SBI_COVERS_NONE;
  *parsed = NULL;
  if (header == NULL || header[strspn(header, " \t")] == '\0')
    return sbi_error(SEGB_ERR_WEBHOOK_NO_SIGNATURE, "no X-Signature header");
  if (!parse_hex(header, want))
    return sbi_error(SEGB_ERR_WEBHOOK_BAD_SIGNATURE,
                     "X-Signature is not 40 hexadecimal digits");
  rc = signed_by_any(wh->secrets, wh->n_secrets, body, len, want, &whole);
  /* Which candidate matched is no secret (the sender chose the body), so
   * the body is parsed only when the whole body is not it. A refusal of
   * the parse waits: a body the limits refuse still has its first event
   * signed or not, and the caller reports the limit after the signature. */
  if (rc == SEGB_OK && !whole && wh->limits.signed_first_event) {
    if (sbi_webhook_parse(&wh->limits, body, len, parsed, &first) ==
        SEGB_ERR_NOMEM)
      return SEGB_ERR_NOMEM;
    if (first.len > 0)
      rc = signed_by_any(wh->secrets, wh->n_secrets, body + first.at, first.len,
                         want, &first_only);
  }
  if (rc == SEGB_OK && !whole && !first_only)
    rc = sbi_error(SEGB_ERR_WEBHOOK_WRONG_SIGNATURE,
                   "X-Signature does not match the body");
  if (rc != SEGB_OK) {
    segb_webhook_batch_destroy(*parsed);
    *parsed = NULL;
    return rc;
  }
  /* A body the limits stopped after its first event holds more. */
  *covers = whole || (*parsed != NULL && (*parsed)->count == 1 &&
                      only_the_list(body, len, first))
                ? SBI_COVERS_ALL
                : SBI_COVERS_FIRST;
  return SEGB_OK;
}
