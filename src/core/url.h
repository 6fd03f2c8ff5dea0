/* Endpoint URLs as settings give them: any spelling of one base becomes the
 * same "scheme://host[:port][/prefix]". */
#ifndef SBI_CORE_URL_H
#define SBI_CORE_URL_H

#include "core/buf.h"

/* Normalize an endpoint override: add https:// when no scheme is given,
 * drop a trailing "/" and a trailing "/v1" (or "/v1/"). Appends
 * "scheme://host[:port][/prefix]" to @out. SEGB_ERR_INVALID_VALUE for an
 * empty host, whitespace, or a scheme other than http/https; the message
 * never quotes the URL, which may hold a credential. */
int sbi_endpoint_normalize(const char *in, sbi_buf *out);

#endif
