/* The retry budget, Retry-After and HTTP-dates, full-jitter backoff. */
#include "retry.h"

#include <stddef.h>
#include <string.h>

#include <curl/curl.h>

#include "core/rand.h"

/* Longest wait a Retry-After yields, about 31 years: far past any
 * configured cap, and small enough to add to a clock reading safely. */
#define SBI_RETRY_AFTER_CAP_S INT64_C(1000000000)

/* Longest HTTP-date taken: RFC 850's longest is 33 characters. */
#define SBI_HTTP_DATE_MAX 40
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define SBI_DATE_MIN_S INT64_C(-62167219200)
#define SBI_DATE_MAX_S INT64_C(253402300799)

/* Waits the server asks for are not counted as retries; this bounds how
 * many a batch or call may take anyway, so a server that always asks to
 * wait cannot hold one forever. */
#define SBI_RETRY_EXTRA_WAITS 20

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* [*@b, *@e) of @s without surrounding blanks. */
static void trim(const char *s, const char **b, const char **e) {
  *b = s;
  *e = s + strlen(s);
  while (*b < *e && is_ows(**b))
    (*b)++;
  while (*e > *b && is_ows((*e)[-1]))
    (*e)--;
}

void sbi_retry_budget_init(sbi_retry_budget *b,
                           const sbi_retry_limits *limits) {
  b->limits = limits;
  b->counted = 0;
  b->requests = 0;
  b->first_failure_ms = -1;
}

sbi_retry_step sbi_retry_next(sbi_retry_budget *b, sbi_verdict verdict,
                              int64_t now_ms, int64_t deadline_ms,
                              int64_t *wait_ms) {
  const sbi_retry_limits *l = b->limits;

  b->requests++;
  if (b->first_failure_ms < 0)
    b->first_failure_ms = now_ms;
  if (verdict == SBI_VERDICT_RETRY)
    *wait_ms =
        sbi_backoff_ms(++b->counted, l->backoff_initial_ms, l->backoff_max_ms);
  if (b->counted > l->max_retries ||
      b->requests > l->max_retries + SBI_RETRY_EXTRA_WAITS ||
      now_ms + *wait_ms - b->first_failure_ms > l->total_timeout_ms)
    return SBI_RETRY_GIVE_UP;
  if (deadline_ms >= 0 && now_ms + *wait_ms >= deadline_ms)
    return SBI_RETRY_OUT_OF_TIME;
  return SBI_RETRY_WAIT;
}

int sbi_http_date(const char *s, int64_t *epoch_ms) {
  char date[SBI_HTTP_DATE_MAX + 1];
  const char *b, *e, *p;
  time_t t;

  trim(s, &b, &e);
  for (p = b; p < e && is_digit(*p); p++)
    ;
  if (p == e || (size_t)(e - b) > SBI_HTTP_DATE_MAX)
    return 0;
  memcpy(date, b, (size_t)(e - b));
  date[e - b] = '\0';
  /* -1 is curl's failure; it gives 0 for the instant 1969-12-31T23:59:59Z
   * itself, so that second is read one later. */
  t = curl_getdate(date, NULL);
  if (t == -1 || (int64_t)t < SBI_DATE_MIN_S || (int64_t)t > SBI_DATE_MAX_S)
    return 0;
  *epoch_ms = (int64_t)t * 1000;
  return 1;
}

int sbi_http_date_wait(const char *value, int64_t now_ms, int64_t *wait_ms) {
  int64_t at;

  if (!sbi_http_date(value, &at))
    return 0;
  /* Compared before subtracting: @now_ms may be anything. */
  if (at <= now_ms)
    *wait_ms = 0;
  else if (now_ms <= at - SBI_RETRY_AFTER_CAP_S * 1000)
    *wait_ms = SBI_RETRY_AFTER_CAP_S * 1000;
  else
    *wait_ms = at - now_ms;
  return 1;
}

int sbi_retry_after_parse(const char *value, int64_t now_ms, int64_t *wait_ms) {
  const char *b, *e, *p;
  int64_t secs = 0;

  trim(value, &b, &e);
  if (b == e)
    return 0;
  for (p = b; p < e && is_digit(*p); p++)
    if (secs < SBI_RETRY_AFTER_CAP_S)
      secs = secs * 10 + (*p - '0');
  if (p == e) {
    *wait_ms =
        (secs < SBI_RETRY_AFTER_CAP_S ? secs : SBI_RETRY_AFTER_CAP_S) * 1000;
    return 1;
  }
  return sbi_http_date_wait(value, now_ms, wait_ms);
}

int64_t sbi_retry_after_bound(int64_t asked_ms, int64_t max_wait_ms) {
  int64_t wait =
      asked_ms > SBI_RETRY_AFTER_FLOOR_MS ? asked_ms : SBI_RETRY_AFTER_FLOOR_MS;

  if (max_wait_ms < 0)
    max_wait_ms = 0;
  return wait < max_wait_ms ? wait : max_wait_ms;
}

int64_t sbi_backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms) {
  int shift = attempt > 1 ? attempt - 1 : 0;
  int64_t cap;

  if (initial_ms <= 0 || max_ms <= 0)
    return 0;
  /* initial * 2^shift > max exactly when initial > max >> shift, which
   * needs no multiplication that could overflow. */
  if (shift >= 63 || initial_ms > max_ms >> shift)
    cap = max_ms;
  else
    cap = initial_ms << shift;
  /* The modulo bias is at most (cap + 1) / 2^64: immaterial here. */
  return (int64_t)(sbi_rand64() % ((uint64_t)cap + 1));
}
