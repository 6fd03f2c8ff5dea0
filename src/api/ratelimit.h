/* How long a 429 from the read APIs asks to wait when it carries no
 * Retry-After: the Public API's data.msBeforeNext, or its
 * X-RateLimit-Reset, an RFC 5322 date. */
#ifndef SBI_API_RATELIMIT_H
#define SBI_API_RATELIMIT_H

#include <stdint.h>

#include "transport/transport.h"

/* The wait @resp asks for besides Retry-After: data.msBeforeNext, else an
 * X-RateLimit-Reset date (read by sbi_http_date_wait(), as of the epoch
 * @now_ms). 1 and *@wait_ms, or 0 when it names none. */
int sbi_api_server_wait(const sbi_http_response *resp, int64_t now_ms,
                        int64_t *wait_ms);

#endif
