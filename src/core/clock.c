#include "clock.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static int64_t (*clock_override)(void);

void sbi_clock_set_override(int64_t (*fn)(void)) { clock_override = fn; }

int64_t sbi_clock_now_ms(void) {
  struct timespec ts;

  if (clock_override != NULL)
    return clock_override();
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sbi_clock_mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sbi_sleep_ms(int64_t ms) {
  struct timespec left;

  if (ms <= 0)
    return;
  left.tv_sec = (time_t)(ms / 1000);
  left.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&left, &left) != 0 && errno == EINTR)
    ;
}

/* Formatting the date and time of day costs more than everything else in a
 * message, and consecutive messages almost always share the second: keep the
 * last second's text per thread and only rewrite the milliseconds. */
static _Thread_local int64_t cached_sec = INT64_MIN;
static _Thread_local char cached_text[SBI_ISO_MS_LEN + 1] =
    "0000-00-00T00:00:00.000Z";

/* Write @v as exactly @n decimal digits. */
static void put_digits(char *out, int n, int v) {
  while (n-- > 0) {
    out[n] = (char)('0' + v % 10);
    v /= 10;
  }
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void sbi_time_format_iso_ms(char *out, int64_t epoch_ms) {
  /* 0000-01-01 and 9999-12-31T23:59:59.999 in Unix milliseconds */
  const int64_t lo = -62167219200000LL, hi = 253402300799999LL;
  int64_t ms = epoch_ms < lo ? lo : epoch_ms > hi ? hi : epoch_ms;
  int64_t sec = floor_div(ms, 1000);
  int milli = (int)(ms - sec * 1000);

  if (sec != cached_sec) {
    time_t t = (time_t)sec;
    struct tm tm;

    gmtime_r(&t, &tm);
    put_digits(cached_text, 4, tm.tm_year + 1900);
    put_digits(cached_text + 5, 2, tm.tm_mon + 1);
    put_digits(cached_text + 8, 2, tm.tm_mday);
    put_digits(cached_text + 11, 2, tm.tm_hour);
    put_digits(cached_text + 14, 2, tm.tm_min);
    put_digits(cached_text + 17, 2, tm.tm_sec);
    cached_sec = sec;
  }
  memcpy(out, cached_text, sizeof cached_text);
  put_digits(out + 20, 3, milli);
}

/* Read @n digits at @s into *@v; 0 when any is not a digit. */
static int digits(const char *s, int n, int *v) {
  int i, x = 0;

  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return 1;
}

static int days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

  return month == 2 && leap ? 29 : days[month - 1];
}

int sbi_time_is_iso8601(const char *s, size_t len) {
  int year, month, day, hour, minute, second, oh, om;
  size_t i = 19;

  if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':')
    return 0;
  if (!digits(s, 4, &year) || !digits(s + 5, 2, &month) ||
      !digits(s + 8, 2, &day) || !digits(s + 11, 2, &hour) ||
      !digits(s + 14, 2, &minute) || !digits(s + 17, 2, &second))
    return 0;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 60)
    return 0;
  if (s[i] == '.') {
    size_t start = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == start || i - start > 9)
      return 0;
  }
  if (i < len && s[i] == 'Z')
    return i + 1 == len;
  if (i + 6 != len || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
    return 0;
  return digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om) && oh <= 23 &&
         om <= 59;
}
