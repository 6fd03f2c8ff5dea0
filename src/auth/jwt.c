/* The RS256 client assertion: JSON header and claims, base64url, and an
 * RSA-SHA256 signature over "header.claims". */
#include "jwt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include <segbridge/error.h>

#include "core/base64.h"
#include "core/err.h"
#include "core/json.h"
#include "core/rand.h"
#include "core/secret.h"
#include "core/uuid.h"

/* base64url length (no padding) of @n bytes, rounded up to whole groups. */
#define B64_MAX(n) (((n) + 2) / 3 * 4)

static int put_string_member(sbi_buf *b, const char *name, const char *value) {
  int rc = sbi_buf_puts(b, name);
  return rc ? rc : sbi_json_write_string(b, value, strlen(value));
}

static int put_int_member(sbi_buf *b, const char *name, int64_t value) {
  char num[SBI_JSON_NUMBER_MAX];
  int rc = sbi_buf_puts(b, name);

  sbi_json_format_int64(num, value);
  return rc ? rc : sbi_buf_puts(b, num);
}

static int header_json(sbi_buf *b, const char *kid) {
  int rc = sbi_buf_puts(b, "{\"alg\":\"RS256\",\"typ\":\"JWT\"");

  rc = rc ? rc : put_string_member(b, ",\"kid\":", kid);
  return rc ? rc : sbi_buf_putc(b, '}');
}

static int claims_json(sbi_buf *b, const sbi_jwt_claims *c, const char *jti) {
  int rc = put_string_member(b, "{\"iss\":", c->client_id);

  rc = rc ? rc : put_string_member(b, ",\"sub\":", c->client_id);
  rc = rc ? rc : put_string_member(b, ",\"aud\":", c->audience);
  rc = rc ? rc : put_int_member(b, ",\"iat\":", c->iat);
  rc = rc ? rc : put_int_member(b, ",\"exp\":", c->iat + c->lifetime_s);
  rc = rc ? rc : put_string_member(b, ",\"jti\":", jti);
  return rc ? rc : sbi_buf_putc(b, '}');
}

/* Sign out[start, len) - "header.claims" - with RSA-SHA256 and append
 * "." and the base64url signature. */
static int sign(sbi_buf *out, EVP_PKEY *key, size_t start) {
  const unsigned char *input = (const unsigned char *)out->data + start;
  size_t input_len = out->len - start, sig_len = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char *sig = NULL;
  int rc;

  /* RSA keys sign with PKCS#1 v1.5 padding unless told otherwise: RS256. */
  if (ctx == NULL)
    rc = SEGB_ERR_NOMEM;
  else if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
           EVP_DigestSign(ctx, NULL, &sig_len, input, input_len) != 1)
    rc = SEGB_ERR_SYSTEM;
  else if ((sig = malloc(sig_len)) == NULL)
    rc = SEGB_ERR_NOMEM;
  else if (EVP_DigestSign(ctx, sig, &sig_len, input, input_len) != 1)
    rc = SEGB_ERR_SYSTEM;
  else
    rc = SEGB_OK;
  rc = rc ? rc : sbi_buf_putc(out, '.');
  rc = rc ? rc : sbi_base64url_append(out, sig, sig_len);
  EVP_MD_CTX_free(ctx);
  free(sig);
  ERR_clear_error();
  return rc;
}

int sbi_jwt_sign(sbi_buf *out, EVP_PKEY *key, const sbi_jwt_claims *c) {
  sbi_buf header = SBI_BUF_INIT, claims = SBI_BUF_INIT;
  char jti[SBI_UUID_LEN + 1];
  size_t start = out->len, sig_size = (size_t)EVP_PKEY_get_size(key);
  int rc = sbi_uuid4_secure(jti);

  rc = rc ? rc : header_json(&header, c->kid);
  rc = rc ? rc : claims_json(&claims, c, jti);
  /* Reserved whole, so the buffer never moves with a signed JWT in it. */
  rc = rc ? rc
          : sbi_buf_reserve(out, B64_MAX(header.len) + B64_MAX(claims.len) +
                                     B64_MAX(sig_size) + 2);
  rc = rc ? rc : sbi_base64url_append(out, header.data, header.len);
  rc = rc ? rc : sbi_buf_putc(out, '.');
  rc = rc ? rc : sbi_base64url_append(out, claims.data, claims.len);
  rc = rc ? rc : sign(out, key, start);
  sbi_buf_free(&header);
  sbi_buf_free(&claims);
  if (rc == SEGB_OK)
    return SEGB_OK;
  if (out->data != NULL) { /* no half-made assertion stays behind */
    sbi_secret_wipe(out->data + start, out->len - start);
    out->len = start;
    out->data[start] = '\0';
  }
  return sbi_error(rc, "could not sign the OAuth client assertion%s",
                   rc == SEGB_ERR_NOMEM ? ": out of memory" : "");
}
