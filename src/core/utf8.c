#include "utf8.h"

#include <stdint.h>
#include <string.h>

#define SBI_HIGH_BITS UINT64_C(0x8080808080808080)

size_t sbi_utf8_valid_prefix(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;

  while (i < len) {
    unsigned c = p[i];
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    size_t n, k;

    if (c < 0x80) {
      uint64_t w;

      /* Skip ASCII eight bytes at a time; memcpy keeps the load legal at
       * any alignment and compiles to a single move. */
      i++;
      while (len - i >= 8) {
        memcpy(&w, p + i, 8);
        if ((w & SBI_HIGH_BITS) != 0)
          break;
        i += 8;
      }
      continue;
    }

    /* Lead bytes and second-byte ranges per RFC 3629 section 4: the narrowed
     * ranges exclude overlong forms, surrogates and values past U+10FFFF. */
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    } else {
      return i; /* continuation byte, C0, C1 or F5..FF */
    }
    if (len - i < n || p[i + 1] < lo || p[i + 1] > hi)
      return i;
    for (k = 2; k < n; k++)
      if ((p[i + k] & 0xC0) != 0x80)
        return i;
    i += n;
  }
  return i;
}
