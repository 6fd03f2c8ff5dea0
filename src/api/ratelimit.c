/* RFC 5322 reset dates and msBeforeNext. The date is rewritten as an
 * IMF-fixdate in GMT and handed to the Retry-After parser, which owns the
 * calendar arithmetic; a zone offset shifts "now" instead. */
#include "ratelimit.h"

#include <stdio.h>
#include <string.h>

#include "api/errbody.h"
#include "transport/retry.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void skip_space(const char **s) {
  while (**s == ' ' || **s == '\t')
    (*s)++;
}

/* Up to @max digits (at least @min) into *@v. */
static int take_num(const char **s, int min, int max, int *v) {
  int n = 0;

  *v = 0;
  while (n < max && is_digit((*s)[n])) {
    *v = *v * 10 + ((*s)[n] - '0');
    n++;
  }
  *s += n;
  return n >= min;
}

/* The zone's offset east of GMT in minutes. */
static int take_zone(const char **s, int *minutes) {
  static const char *const gmt[] = {"GMT", "UTC", "UT", "Z"};
  const char *p = *s;
  size_t i;
  int hhmm;

  if (*p == '+' || *p == '-') {
    const char *digits = p + 1;
    if (!take_num(&digits, 4, 4, &hhmm) || hhmm % 100 > 59)
      return 0;
    *minutes = (*p == '-' ? -1 : 1) * (hhmm / 100 * 60 + hhmm % 100);
    *s = digits;
    return 1;
  }
  for (i = 0; i < sizeof gmt / sizeof gmt[0]; i++) {
    size_t n = strlen(gmt[i]);
    if (strncmp(p, gmt[i], n) == 0 && !is_alpha(p[n])) {
      *minutes = 0;
      *s = p + n;
      return 1;
    }
  }
  return 0;
}

int sbi_rfc5322_wait(const char *value, int64_t now_ms, int64_t *wait_ms) {
  const char *s = value;
  int day, year, hour, min, sec = 0, zone;
  char month[4], fixdate[40];

  skip_space(&s);
  /* The day name is optional and, as in HTTP-dates, not checked. */
  if (is_alpha(s[0]) && is_alpha(s[1]) && is_alpha(s[2]) && s[3] == ',') {
    s += 4;
    skip_space(&s);
  }
  if (!take_num(&s, 1, 2, &day))
    return 0;
  skip_space(&s);
  if (!is_alpha(s[0]) || !is_alpha(s[1]) || !is_alpha(s[2]) || is_alpha(s[3]))
    return 0;
  memcpy(month, s, 3);
  month[3] = '\0';
  s += 3;
  skip_space(&s);
  if (!take_num(&s, 4, 4, &year))
    return 0;
  skip_space(&s);
  if (!take_num(&s, 2, 2, &hour) || *s++ != ':' || !take_num(&s, 2, 2, &min))
    return 0;
  if (*s == ':') {
    s++;
    if (!take_num(&s, 2, 2, &sec))
      return 0;
  }
  skip_space(&s);
  if (!take_zone(&s, &zone))
    return 0;
  skip_space(&s);
  if (*s != '\0')
    return 0;
  /* The month name, ranges and the date itself are checked by the
   * Retry-After parser; "Mon" stands in for the day name it wants. */
  snprintf(fixdate, sizeof fixdate, "Mon, %02d %s %04d %02d:%02d:%02d GMT",
           day, month, year, hour, min, sec);
  /* The text is the zone's local time read as GMT: the instant is @zone
   * minutes earlier, so the wait is measured from now + zone. */
  return sbi_retry_after_parse(fixdate, now_ms + (int64_t)zone * 60000,
                               wait_ms);
}

int sbi_api_server_wait(const sbi_http_response *resp, int64_t now_ms,
                        int64_t *wait_ms) {
  char value[64];

  if (sbi_api_ms_before_next(resp->body.data, resp->body.len, wait_ms))
    return 1;
  return sbi_http_header(resp, "X-RateLimit-Reset", value, sizeof value) &&
         sbi_rfc5322_wait(value, now_ms, wait_ms);
}
