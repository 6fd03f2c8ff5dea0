/* Base64 encoders (RFC 4648): the standard alphabet with padding for HTTP
 * Basic, the URL-safe one without padding for JWTs. */
#include "auth.h"

#include <stdint.h>

#include <segbridge/error.h>

static const char sbi_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char sbi_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The whole output is reserved before the first byte is written: the input
 * is often a secret, and a buffer that grew halfway would leave part of its
 * encoding behind in the freed block. */
static int encode(sbi_buf *out, const unsigned char *in, size_t len,
                  const char *alphabet, int pad) {
  size_t full = len / 3, rest = len % 3, size, i;
  char *o;
  int rc;

  if (full > (SIZE_MAX - 4) / 4)
    return SEGB_ERR_NOMEM;
  size = full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  rc = sbi_buf_reserve(out, size);
  if (rc != SEGB_OK)
    return rc;
  o = out->data + out->len;
  for (i = 0; i < full; i++, in += 3) {
    uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[v >> 12 & 0x3F];
    *o++ = alphabet[v >> 6 & 0x3F];
    *o++ = alphabet[v & 0x3F];
  }
  if (rest > 0) {
    uint32_t v = (uint32_t)in[0] << 16 | (rest == 2 ? (uint32_t)in[1] << 8 : 0);
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[v >> 12 & 0x3F];
    if (rest == 2)
      *o++ = alphabet[v >> 6 & 0x3F];
    else if (pad)
      *o++ = '=';
    if (pad)
      *o++ = '=';
  }
  out->len += size;
  out->data[out->len] = '\0';
  return SEGB_OK;
}

int sbi_base64_append(sbi_buf *out, const void *data, size_t len) {
  return encode(out, data, len, sbi_b64_std, 1);
}

int sbi_base64url_append(sbi_buf *out, const void *data, size_t len) {
  return encode(out, data, len, sbi_b64_url, 0);
}
