/*
 * libFuzzer target for Retry-After values and HTTP dates, seen from a few
 * clocks, extreme ones included. A value is delay-seconds exactly when it
 * is digits between blanks, and then means just those seconds (capped);
 * an accepted date (curl_getdate() behind sbi_http_date()) lies within
 * years 0..9999 and formats back (IMF-fixdate, by the C library) to text
 * that parses to the same instant; a wait is never negative nor past the
 * cap; and the outcome of a 429 or 503 that carries the value bounds the
 * wait by the floor and the caller's cap.
 */
/* gmtime_r */
#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <segbridge/error.h>

#include "core/buf.h"
#include "transport/policy.h"
#include "transport/retry.h"
#include "transport/transport.h"

/* The longest wait a Retry-After yields, in ms (about 31 years). */
#define CAP_MS INT64_C(1000000000000)
#define MAX_INPUT 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t clocks[] = {
    0,
    INT64_C(784111777000),    /* Sun, 06 Nov 1994 08:49:37 GMT */
    INT64_C(1767225600000),   /* 2026-01-01 */
    INT64_C(-62167219200000), /* 0000-01-01 */
    INT64_C(253402300799000), /* 9999-12-31 23:59:59 */
    INT64_MIN,
    INT64_MAX,
};

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The value as delay-seconds by a plain reading: 1 and the capped wait when
 * it is digits between blanks. */
static int plain_seconds(const char *s, int64_t *wait) {
  const char *b = s, *e = s + strlen(s);
  int64_t secs = 0;

  while (b < e && is_blank(*b))
    b++;
  while (e > b && is_blank(e[-1]))
    e--;
  if (b == e)
    return 0;
  for (; b < e; b++) {
    if (*b < '0' || *b > '9')
      return 0;
    if (secs <= CAP_MS / 1000)
      secs = secs * 10 + (*b - '0');
  }
  *wait = secs >= CAP_MS / 1000 ? CAP_MS : secs * 1000;
  return 1;
}

/* Format @epoch_ms (whole seconds) as an IMF-fixdate, the calendar done
 * by the C library; 0 when the year is outside the form's four digits. */
static int imf_fixdate(int64_t epoch_ms, char *out, size_t size) {
  static const char days[] = "SunMonTueWedThuFriSat";
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  time_t t = (time_t)(epoch_ms / 1000);
  struct tm tm;

  if (epoch_ms % 1000 != 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
      tm.tm_year > 9999 - 1900)
    return 0;
  snprintf(out, size, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
           days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon,
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return 1;
}

/* 0000-01-01 and 9999-12-31T23:59:59Z, in ms */
#define DATE_MIN_MS INT64_C(-62167219200000)
#define DATE_MAX_MS INT64_C(253402300799000)

static void check_date(const char *s) {
  char again[64];
  int64_t at = 0, back = 0;

  if (!sbi_http_date(s, &at))
    return;
  if (at < DATE_MIN_MS || at > DATE_MAX_MS || at % 1000 != 0)
    abort();
  if (imf_fixdate(at, again, sizeof again) &&
      (!sbi_http_date(again, &back) || back != at))
    abort();
}

static void check_classify(const char *value, int64_t now) {
  static const int statuses[] = {429, 503, 500, 410};
  static const int64_t caps[] = {-1, 0, 400, 1000, 300000};
  sbi_http_response resp;
  size_t i, j;

  memset(&resp, 0, sizeof resp);
  if (sbi_buf_puts(&resp.headers, "Retry-After: ") != SEGB_OK ||
      sbi_buf_puts(&resp.headers, value) != SEGB_OK ||
      sbi_buf_puts(&resp.headers, "\r\n") != SEGB_OK)
    abort();
  for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    resp.status = statuses[i];
    for (j = 0; j < sizeof caps / sizeof caps[0]; j++) {
      int64_t cap = caps[j] > 0 ? caps[j] : 0, wait = -1;
      sbi_outcome o = sbi_http_outcome(&resp, SBI_PEER_TRACKING, now, caps[j]);
      sbi_verdict v = o.verdict;

      wait = o.wait_ms;

      if (v != SBI_VERDICT_RETRY && v != SBI_VERDICT_RETRY_AFTER)
        abort();
      if (v == SBI_VERDICT_RETRY_AFTER &&
          (resp.status == 500 || resp.status == 410 || wait > cap ||
           wait < (cap < SBI_RETRY_AFTER_FLOOR_MS ? cap
                                                  : SBI_RETRY_AFTER_FLOOR_MS)))
        abort();
    }
  }
  sbi_http_response_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char value[MAX_INPUT + 1];
  size_t i, n = size < MAX_INPUT ? size : MAX_INPUT;

  /* A header value ends at the line's end; a NUL ends a C string. */
  for (i = 0; i < n && data[i] != '\0' && data[i] != '\r' && data[i] != '\n';
       i++)
    value[i] = (char)data[i];
  value[i] = '\0';

  check_date(value);
  for (i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    int64_t wait = -1, plain = -1, again = -1;
    int ok = sbi_retry_after_parse(value, clocks[i], &wait);
    int seconds = plain_seconds(value, &plain);

    if (ok && (wait < 0 || wait > CAP_MS))
      abort();
    if (seconds && (!ok || wait != plain))
      abort();
    if (ok != sbi_retry_after_parse(value, clocks[i], &again) ||
        (ok && again != wait))
      abort();
    check_classify(value, clocks[i]);
  }
  return 0;
}
