#include "base64.h"

#include <stdint.h>

#include <segbridge/error.h>

#include "secret.h"

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

/* The value of each base64 character, 64 for everything else. */
static unsigned char sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return (unsigned char)(c - 'A');
  if (c >= 'a' && c <= 'z')
    return (unsigned char)(c - 'a' + 26);
  if (c >= '0' && c <= '9')
    return (unsigned char)(c - '0' + 52);
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return 64;
}

static int decode(const unsigned char *in, size_t len, unsigned char *o,
                  size_t *written) {
  uint32_t acc = 0;
  size_t i, n = 0;
  unsigned bits = 0;

  for (i = 0; i < len; i++) {
    unsigned char v = sextet(in[i]);

    if (v == 64)
      return SEGB_ERR_INVALID_BASE64;
    acc = acc << 6 | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o[n++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  /* A lone trailing character holds no whole byte, and the bits left over
   * must be zero or two encodings would mean the same bytes. */
  if (bits >= 6 || acc != 0)
    return SEGB_ERR_INVALID_BASE64;
  *written = n;
  return SEGB_OK;
}

int sbi_base64_decode(const char *in, size_t len, sbi_buf *out) {
  const unsigned char *p = (const unsigned char *)in;
  size_t pad = 0, body, written = 0;
  int rc;

  while (pad < 2 && pad < len && p[len - 1 - pad] == '=')
    pad++;
  body = len - pad;
  if (pad > 0 && len % 4 != 0)
    return SEGB_ERR_INVALID_BASE64;
  rc = sbi_buf_reserve(out, body / 4 * 3 + 2);
  if (rc != SEGB_OK)
    return rc;
  rc = decode(p, body, (unsigned char *)out->data + out->len, &written);
  if (rc != SEGB_OK) {
    sbi_secret_wipe(out->data + out->len, body / 4 * 3 + 2);
    out->data[out->len] = '\0';
    return rc;
  }
  out->len += written;
  out->data[out->len] = '\0';
  return SEGB_OK;
}
