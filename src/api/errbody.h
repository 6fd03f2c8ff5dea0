/* What Segment's read APIs say in an error answer: the Public API's
 * {"errors":[{"type","message","data"}]} envelope and the Profile API's
 * {"error":{"code","message"}}, and how long a 429 asks to wait when it
 * carries no Retry-After: the Public API's data.msBeforeNext, or its
 * X-RateLimit-Reset, an RFC 5322 date. */
#ifndef SBI_API_ERRBODY_H
#define SBI_API_ERRBODY_H

#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"

/* The first error of either envelope as "type: message" (or just one of
 * the two), printable and cut to fit @out at a UTF-8 boundary. 1 when
 * @body is such an envelope, else 0 with @out = "". */
int sbi_api_error_text(const char *body, size_t len, char *out, size_t size);

/* data.msBeforeNext of the first error of a Public API envelope, as a 429
 * carries it: 1 and *@ms (>= 0) when present, else 0. */
int sbi_api_ms_before_next(const char *body, size_t len, int64_t *ms);

/* The wait @resp asks for besides Retry-After: data.msBeforeNext, else an
 * X-RateLimit-Reset date (read by sbi_http_date_wait(), as of the epoch
 * @now_ms). 1 and *@wait_ms, or 0 when it names none. */
int sbi_api_server_wait(const sbi_http_response *resp, int64_t now_ms,
                        int64_t *wait_ms);

#endif
