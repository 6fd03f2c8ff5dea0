/* How long a 429 from the read APIs asks to wait when it carries no
 * Retry-After: the Public API's data.msBeforeNext, or its
 * X-RateLimit-Reset, an RFC 5322 date (protocol spec §5). */
#ifndef SBI_API_RATELIMIT_H
#define SBI_API_RATELIMIT_H

#include <stdint.h>

#include "transport/transport.h"

/* Milliseconds from @now_ms (epoch) until the RFC 5322 date-time @value:
 * "[Day, ]D[D] Mon YYYY HH:MM[:SS] zone", zone +HHMM, -HHMM, GMT, UT,
 * UTC or Z. 1 and *@wait_ms (0 for a date in the past), or 0 when @value
 * is not such a date. */
int sbi_rfc5322_wait(const char *value, int64_t now_ms, int64_t *wait_ms);

/* The wait @resp asks for besides Retry-After: data.msBeforeNext, else an
 * X-RateLimit-Reset date. 1 and *@wait_ms, or 0 when it names none. */
int sbi_api_server_wait(const sbi_http_response *resp, int64_t now_ms,
                        int64_t *wait_ms);

#endif
