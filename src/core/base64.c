#include "base64.h"

#include <stdint.h>

#include <segbridge/error.h>

#include "secret.h"

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
