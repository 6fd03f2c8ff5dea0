/* Percent-encoding (RFC 3986) of URL path segments and query values, and
 * the Profile API's "type:value" identifiers. */
#ifndef SBI_API_PCT_H
#define SBI_API_PCT_H

#include <stddef.h>

#include "core/buf.h"

/* Append @len bytes of @s with every byte but the unreserved characters
 * (letters, digits, '-', '.', '_', '~') written as %XX: safe alike in a
 * path segment and in a query value. SEGB_OK or SEGB_ERR_NOMEM. */
int sbi_pct_append(sbi_buf *out, const char *s, size_t len);

/* 1 when @s is "." or "..": encoded or not, such a path segment is a step
 * in the path (libcurl removes it, and RFC 3986 lets any hop decode %2E),
 * so it can never name a resource. */
int sbi_dot_segment(const char *s);

/* Append "?name=value", or "&name=value" when @url already has a query,
 * with @value encoded. @name is appended as is. */
int sbi_query_append(sbi_buf *url, const char *name, const char *value);

/* Check the Profile API identifier @id ("type:value") and append it as one
 * path segment: the type as is, ':', the value encoded. The type must be a
 * token of letters, digits, '_', '.' and '-'; the value non-empty UTF-8.
 * SEGB_ERR_INVALID_ARG or SEGB_ERR_INVALID_UTF8 (with the thread's detail)
 * when it is not. */
int sbi_profile_id_append(sbi_buf *out, const char *id);

/* The collection holding @id: "accounts" for group_id, "users" else. */
const char *sbi_profile_collection(const char *id);

#endif
