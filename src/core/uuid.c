#include "uuid.h"

#include <segbridge/error.h>

#include <stdint.h>

#include "rand.h"

/* Stamp version 4 and the RFC variant on 16 random bytes and write them in
 * 8-4-4-4-12 form. */
static void format_v4(unsigned char b[16], char *out) {
  static const char hex[] = "0123456789abcdef";
  int i, o = 0;

  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC variant */
  for (i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out[o++] = '-';
    out[o++] = hex[b[i] >> 4];
    out[o++] = hex[b[i] & 0x0F];
  }
  out[o] = '\0';
}

void sbi_uuid4(char *out) {
  uint64_t hi = sbi_rand64(), lo = sbi_rand64();
  unsigned char b[16];
  int i;

  for (i = 0; i < 8; i++) {
    b[i] = (unsigned char)(hi >> (56 - 8 * i));
    b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
  }
  format_v4(b, out);
}

int sbi_uuid4_secure(char *out) {
  unsigned char b[16];
  int rc = sbi_random_bytes(b, sizeof b);

  if (rc == SEGB_OK)
    format_v4(b, out);
  return rc;
}
