#include "uuid.h"

#include <stdint.h>

#include "rand.h"

void sbi_uuid4(char *out) {
  static const char hex[] = "0123456789abcdef";
  uint64_t hi = sbi_rand64(), lo = sbi_rand64();
  unsigned char b[16];
  int i, o = 0;

  for (i = 0; i < 8; i++) {
    b[i] = (unsigned char)(hi >> (56 - 8 * i));
    b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
  }
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
