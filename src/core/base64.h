/* Base64 (RFC 4648): the standard alphabet with padding for HTTP Basic and
 * webhook headers, the URL-safe one without padding for JWTs. */
#ifndef SBI_CORE_BASE64_H
#define SBI_CORE_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Standard base64 (RFC 4648 §4, with padding) of @len bytes onto @out. */
int sbi_base64_append(sbi_buf *out, const void *data, size_t len);

/* URL-safe base64 (RFC 4648 §5, no padding), as JWTs use it. */
int sbi_base64url_append(sbi_buf *out, const void *data, size_t len);

/* Append the bytes @in (@len characters of base64) decodes to onto @out.
 * Strict: only the standard alphabet, no spaces or line breaks, unused bits
 * of the last character zero; the '=' padding may be left out but, when
 * present, must be complete. The whole output is reserved before anything
 * is written, so a secret is never left behind in a reallocated block; on
 * error whatever was written is wiped and @out is as it was.
 * SEGB_OK, SEGB_ERR_INVALID_BASE64 or SEGB_ERR_NOMEM. */
int sbi_base64_decode(const char *in, size_t len, sbi_buf *out);

#endif
