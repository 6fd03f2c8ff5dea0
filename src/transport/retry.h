/* What to do with a response: the retry matrix, backoff and Retry-After. */
#ifndef SBI_TRANSPORT_RETRY_H
#define SBI_TRANSPORT_RETRY_H

#include <stdint.h>

#include "transport.h"

typedef enum sbi_verdict {
  SBI_VERDICT_DELIVERED,   /* 2xx */
  SBI_VERDICT_RETRY,       /* a network error (a broken TLS handshake
                              included), a retried status without a usable
                              Retry-After: backoff */
  SBI_VERDICT_RETRY_AFTER, /* 429 or 503 with Retry-After: wait, uncounted */
  SBI_VERDICT_AUTH,        /* 401, 403: the credentials were refused */
  SBI_VERDICT_REJECTED     /* a certificate or TLS setup failure, or any
                              other status: sending the same again cannot
                              succeed */
} sbi_verdict;

/* The shortest wait a Retry-After yields, as analytics-next has it: "0"
 * (or a date just past) would otherwise make a tight loop of requests. */
#define SBI_RETRY_AFTER_FLOOR_MS 1000

/* Classify @resp. When the verdict is SBI_VERDICT_RETRY_AFTER, *@wait_ms
 * gets the wait the server asked for, bounded by sbi_retry_after_bound(). */
sbi_verdict sbi_retry_classify(const sbi_http_response *resp, int64_t now_ms,
                               int64_t max_wait_ms, int64_t *wait_ms);

/* 1 when a response with HTTP @status is sent again (after a backoff or a
 * Retry-After wait): 408, 410, 429, 460, and 5xx but 501 and 505. */
int sbi_retry_status(int status);

/* A server-requested wait of @asked_ms (< 0 taken as 0) raised to
 * SBI_RETRY_AFTER_FLOOR_MS, then cut to @max_wait_ms (< 0 taken as 0). */
int64_t sbi_retry_after_bound(int64_t asked_ms, int64_t max_wait_ms);

/* Epoch milliseconds of an HTTP-date (RFC 9110 §5.6.7) in any of its three
 * forms; @now_ms places two-digit RFC 850 years (a year outside 0..9999
 * is refused). 1 on success, else 0. */
int sbi_http_date_parse(const char *s, int64_t now_ms, int64_t *epoch_ms);

/* Parse a Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate,
 * RFC 9110 §10.2.3). 1 and *@wait_ms (>= 0) on success, 0 when it is
 * neither. A date in the past gives 0. */
int sbi_retry_after_parse(const char *value, int64_t now_ms, int64_t *wait_ms);

/* Full-jitter exponential backoff for counted retry @attempt (1, 2, ...):
 * a uniform draw in [0, min(@max_ms, @initial_ms * 2^(attempt-1))]. */
int64_t sbi_backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms);

#endif
