/* The retry matrix, Retry-After parsing and full-jitter backoff. */
#include "retry.h"

#include <stddef.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/rand.h"

/* Longest wait a Retry-After yields, about 31 years: far past any
 * configured cap, and small enough to add to a clock reading safely. */
#define SBI_RETRY_AFTER_CAP_S INT64_C(1000000000)
#define SBI_MS_PER_DAY INT64_C(86400000)

/* Longest HTTP-date in any of the three forms, with room to spare. */
#define SBI_HTTP_DATE_MAX 40

enum { SBI_DATE_NONE, SBI_DATE_IMF, SBI_DATE_RFC850, SBI_DATE_ASCTIME };

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* Days from 1970-01-01 to @y-@m-@d, proleptic Gregorian. Counting from
 * March puts the leap day last in the year, and each 400-year era has the
 * same number of days, so one era's arithmetic serves every year. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;                                    /* 0..399 */
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* 0..146096 */
  return era * 146097 + doe - 719468;
}

/* The year holding day @days since 1970-01-01: days_from_civil inverted. */
static int64_t year_from_days(int64_t days) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);

  /* Day-of-year 306 and later (counted from March) is January or February
   * of the next calendar year. */
  return era * 400 + yoe + (doy >= 306);
}

static int days_in_month(int64_t y, int m) {
  static const unsigned char days[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return days[m - 1] + (m == 2 && leap);
}

/* Cursor helpers: each consumes its token from *@s and returns 1, or
 * returns 0 and leaves *@s alone. None reads past a NUL. */
static int take(const char **s, const char *lit) {
  size_t n = strlen(lit);

  if (strncmp(*s, lit, n) != 0)
    return 0;
  *s += n;
  return 1;
}

static int take_digits(const char **s, int n, int *v) {
  int i;

  *v = 0;
  for (i = 0; i < n; i++) {
    if (!is_digit((*s)[i]))
      return 0;
    *v = *v * 10 + ((*s)[i] - '0');
  }
  *s += n;
  return 1;
}

static int take_month(const char **s, int *m) {
  static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int i;

  for (i = 0; i < 12; i++) {
    if (strncmp(*s, names + 3 * i, 3) == 0) {
      *m = i + 1;
      *s += 3;
      return 1;
    }
  }
  return 0;
}

/* hh:mm:ss; a leap second (60) is allowed. */
static int take_time(const char **s, int *secs) {
  int h, m, sec;

  if (!take_digits(s, 2, &h) || !take(s, ":") || !take_digits(s, 2, &m) ||
      !take(s, ":") || !take_digits(s, 2, &sec))
    return 0;
  if (h > 23 || m > 59 || sec > 60)
    return 0;
  *secs = (h * 60 + m) * 60 + sec;
  return 1;
}

/* Consume the day name and tell the form by it (RFC 9110 §5.6.7): "Sun,"
 * starts an IMF-fixdate, "Sunday," an RFC 850 date, "Sun " an asctime
 * date. Whether the day name matches the date is not checked. */
static int take_day_name(const char **s) {
  static const char *const names[] = {"Monday",   "Tuesday", "Wednesday",
                                      "Thursday", "Friday",  "Saturday",
                                      "Sunday"};
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (take(s, names[i]))
      return (*s)[0] == ',' ? SBI_DATE_RFC850 : SBI_DATE_NONE;
    if (strncmp(*s, names[i], 3) == 0) {
      *s += 3;
      return (*s)[0] == ',' ? SBI_DATE_IMF
             : (*s)[0] == ' ' ? SBI_DATE_ASCTIME
                              : SBI_DATE_NONE;
    }
  }
  return SBI_DATE_NONE;
}

/* A two-digit RFC 850 year: the one within 50 years of now, a later one
 * being taken as the past century's (RFC 9110 §5.6.7). */
static int64_t full_year(int yy, int64_t now_ms) {
  int64_t days = now_ms / SBI_MS_PER_DAY - (now_ms % SBI_MS_PER_DAY < 0);
  int64_t now_year = year_from_days(days);
  int64_t y = now_year - (now_year % 100 + 100) % 100 + yy;

  if (y > now_year + 50)
    y -= 100;
  else if (y <= now_year - 50)
    y += 100;
  return y;
}

int sbi_http_date_parse(const char *s, int64_t now_ms, int64_t *epoch_ms) {
  int form = take_day_name(&s);
  int day = 0, mon = 0, year = 0, secs = 0, ok = 0;
  int64_t y;

  switch (form) {
  case SBI_DATE_IMF: /* Sun, 06 Nov 1994 08:49:37 GMT */
    ok = take(&s, ", ") && take_digits(&s, 2, &day) && take(&s, " ") &&
         take_month(&s, &mon) && take(&s, " ") &&
         take_digits(&s, 4, &year) && take(&s, " ") && take_time(&s, &secs) &&
         take(&s, " GMT");
    y = year;
    break;
  case SBI_DATE_RFC850: /* Sunday, 06-Nov-94 08:49:37 GMT */
    ok = take(&s, ", ") && take_digits(&s, 2, &day) && take(&s, "-") &&
         take_month(&s, &mon) && take(&s, "-") &&
         take_digits(&s, 2, &year) && take(&s, " ") && take_time(&s, &secs) &&
         take(&s, " GMT");
    /* Only a clock millions of years off puts it outside the years the
     * other forms can write, and the instant outside an int64_t. */
    y = full_year(year, now_ms);
    if (y < 0 || y > 9999)
      return 0;
    break;
  case SBI_DATE_ASCTIME: /* Sun Nov  6 08:49:37 1994 */
    ok = take(&s, " ") && take_month(&s, &mon) && take(&s, " ") &&
         (take(&s, " ") ? take_digits(&s, 1, &day)
                        : take_digits(&s, 2, &day)) &&
         take(&s, " ") && take_time(&s, &secs) && take(&s, " ") &&
         take_digits(&s, 4, &year);
    y = year;
    break;
  default:
    return 0;
  }
  if (!ok || *s != '\0' || day < 1 || day > days_in_month(y, mon))
    return 0;
  *epoch_ms = (days_from_civil(y, mon, day) * 86400 + secs) * 1000;
  return 1;
}

int sbi_retry_after_parse(const char *value, int64_t now_ms,
                          int64_t *wait_ms) {
  const char *b = value, *e = value + strlen(value), *p;
  char date[SBI_HTTP_DATE_MAX];
  int64_t secs = 0, at;

  while (b < e && is_ows(*b))
    b++;
  while (e > b && is_ows(e[-1]))
    e--;
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
  if ((size_t)(e - b) >= sizeof date)
    return 0;
  memcpy(date, b, (size_t)(e - b));
  date[e - b] = '\0';
  if (!sbi_http_date_parse(date, now_ms, &at))
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

int sbi_retry_status(int status) {
  return status == 408 || status == 410 || status == 429 || status == 460 ||
         (status >= 500 && status <= 599 && status != 501 && status != 505);
}

int64_t sbi_retry_after_bound(int64_t asked_ms, int64_t max_wait_ms) {
  int64_t wait = asked_ms > SBI_RETRY_AFTER_FLOOR_MS ? asked_ms
                                                     : SBI_RETRY_AFTER_FLOOR_MS;

  if (max_wait_ms < 0)
    max_wait_ms = 0;
  return wait < max_wait_ms ? wait : max_wait_ms;
}

sbi_verdict sbi_retry_classify(const sbi_http_response *resp, int64_t now_ms,
                               int64_t max_wait_ms, int64_t *wait_ms) {
  char value[128];
  int status = resp->status;
  int64_t wait;

  /* A certificate or TLS setup problem does not go away by itself;
   * retrying it would only delay the report that the setup is wrong. */
  if (resp->error == SEGB_ERR_TLS)
    return SBI_VERDICT_REJECTED;
  if (resp->error != SEGB_OK)
    return SBI_VERDICT_RETRY;
  if (status >= 200 && status <= 299)
    return SBI_VERDICT_DELIVERED;
  if (status == 401 || status == 403)
    return SBI_VERDICT_AUTH;
  if (!sbi_retry_status(status))
    return SBI_VERDICT_REJECTED;
  if ((status == 429 || status == 503) &&
      sbi_http_header(resp, "Retry-After", value, sizeof value) &&
      sbi_retry_after_parse(value, now_ms, &wait)) {
    *wait_ms = sbi_retry_after_bound(wait, max_wait_ms);
    return SBI_VERDICT_RETRY_AFTER;
  }
  return SBI_VERDICT_RETRY;
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
