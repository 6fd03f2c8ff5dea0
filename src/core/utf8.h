/* Strict UTF-8 validation (RFC 3629). */
#ifndef SBI_CORE_UTF8_H
#define SBI_CORE_UTF8_H

#include <stddef.h>

/* Length of the longest valid UTF-8 prefix of @s: equal to @len when the
 * whole string is valid. Rejects overlong forms, UTF-16 surrogates
 * (U+D800..U+DFFF), code points above U+10FFFF and truncated sequences.
 * NUL bytes are valid UTF-8; callers that forbid them check separately. */
size_t sbi_utf8_valid_prefix(const char *s, size_t len);

static inline int sbi_utf8_is_valid(const char *s, size_t len) {
  return sbi_utf8_valid_prefix(s, len) == len;
}

#endif
