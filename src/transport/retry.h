/* Retrying: the budget of one batch or call, backoff, Retry-After and the
 * HTTP-dates it and other headers carry. What a response means is the
 * outcome policy's (policy.h). */
#ifndef SBI_TRANSPORT_RETRY_H
#define SBI_TRANSPORT_RETRY_H

#include <stdint.h>

#include "policy.h"

/* The shortest wait a Retry-After yields, as analytics-next has it: "0"
 * (or a date just past) would otherwise make a tight loop of requests. */
#define SBI_RETRY_AFTER_FLOOR_MS 1000

typedef struct sbi_retry_limits {
  int max_retries; /* counted retries after the first request */
  int64_t backoff_initial_ms;
  int64_t backoff_max_ms;
  int64_t total_timeout_ms; /* from the first failure */
  int64_t after_max_ms;     /* cap on one wait the server asks for */
} sbi_retry_limits;

/* What one batch or call has spent of its limits. */
typedef struct sbi_retry_budget {
  const sbi_retry_limits *limits; /* borrowed */
  int counted;                    /* retries after a backoff */
  int requests;                   /* attempts that failed, waits included */
  int64_t first_failure_ms;       /* monotonic; -1 before the first */
} sbi_retry_budget;

typedef enum sbi_retry_step {
  SBI_RETRY_WAIT,       /* wait the time given, then try again */
  SBI_RETRY_GIVE_UP,    /* the retries, attempts or total time are spent */
  SBI_RETRY_OUT_OF_TIME /* the wait would end past the caller's deadline */
} sbi_retry_step;

void sbi_retry_budget_init(sbi_retry_budget *b, const sbi_retry_limits *limits);

/* Charge an attempt that ended in @verdict, SBI_VERDICT_RETRY (backoff)
 * or SBI_VERDICT_RETRY_AFTER with the bounded wait the server asked for in
 * *@wait_ms (not counted as a retry), at monotonic @now_ms. *@wait_ms gets
 * the wait before the next attempt; the step says whether to take it:
 * past the limits, give up; when it would end at or past the monotonic
 * @deadline_ms (-1: none), it cannot help the caller. */
sbi_retry_step sbi_retry_next(sbi_retry_budget *b, sbi_verdict verdict,
                              int64_t now_ms, int64_t deadline_ms,
                              int64_t *wait_ms);

/* A server-requested wait of @asked_ms (< 0 taken as 0) raised to
 * SBI_RETRY_AFTER_FLOOR_MS, then cut to @max_wait_ms (< 0 taken as 0). */
int64_t sbi_retry_after_bound(int64_t asked_ms, int64_t max_wait_ms);

/* Epoch milliseconds of the HTTP-date @s, surrounding blanks allowed, read
 * by curl_getdate(). That takes RFC 9110's three forms and more: RFC 5322
 * dates with a zone offset or a zone name, no zone (GMT), one-digit days,
 * any letter case, words it knows in any order, and two-digit (also
 * "0000") years with 70 as the pivot (00-70 are 20xx, 71-99 19xx) rather
 * than RFC 9110's "within 50 years of now"; a day past the month's end
 * (31 Nov) rolls over. A bare number is refused (curl reads eight digits
 * as YYYYMMDD; no server means that), as are a value over 40 characters
 * and an instant outside years 0..9999, so the milliseconds stay far from
 * int64_t's ends. 1 on success, else 0. */
int sbi_http_date(const char *s, int64_t *epoch_ms);

/* Milliseconds from @now_ms (epoch) until the HTTP-date @value
 * (sbi_http_date()), 0 for a date in the past, at most about 31 years.
 * 1 and *@wait_ms on success, 0 when @value is not a date. */
int sbi_http_date_wait(const char *value, int64_t now_ms, int64_t *wait_ms);

/* Parse a Retry-After value: delay-seconds or an HTTP-date (RFC 9110
 * §10.2.3). 1 and *@wait_ms (>= 0) on success, 0 when it is neither. */
int sbi_retry_after_parse(const char *value, int64_t now_ms, int64_t *wait_ms);

/* Full-jitter exponential backoff for counted retry @attempt (1, 2, ...):
 * a uniform draw in [0, min(@max_ms, @initial_ms * 2^(attempt-1))]. */
int64_t sbi_backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms);

#endif
