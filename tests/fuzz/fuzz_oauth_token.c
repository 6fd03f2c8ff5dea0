/*
 * libFuzzer target for what a token server answers: the JSON of a token
 * reply or an OAuth error, the status, Retry-After, and the Date header the
 * clock-skew correction reads. The input is "<status>\n<header lines>\n\n
 * <body>", each header line "Name: value". Checked for every answer:
 * a token only from a 200 and only one a header line can carry, a
 * believable lifetime, the final/transient split the provider relies on
 * (only 400, 401, 415 and redirects are final), no JWT in the detail (a
 * server echoing our assertion), and a skew of under a day.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "auth/oauth.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define URL "https://oauth2.segment.io/token"
#define BEARER "Authorization: Bearer "
/* 2023-11-14T22:13:20Z: the seeds' Date headers are near it. */
#define LOCAL_MS INT64_C(1700000000000)
#define DAY_MS (86400 * INT64_C(1000))

static int is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Every "eyJ" in the detail is inside a word, never the start of a JWT. */
static void check_no_jwt(const char *msg) {
  const char *p = msg;

  while ((p = strstr(p, "eyJ")) != NULL) {
    if (p == msg || !is_base64url(p[-1]))
      abort();
    p++;
  }
}

static void check_token(const sbi_token_reply *r) {
  size_t i, prefix = sizeof BEARER - 1;

  if (r->header.len <= prefix || memcmp(r->header.data, BEARER, prefix) != 0)
    abort();
  for (i = prefix; i < r->header.len; i++)
    if ((unsigned char)r->header.data[i] <= 0x20 ||
        (unsigned char)r->header.data[i] >= 0x7F)
      abort();
  if (r->expires_in_ms < 1000 || r->expires_in_ms > 366 * DAY_MS)
    abort();
}

/* Which codes an answer with @status may give. */
static void check_code(int status, int rc) {
  if (status == 200) {
    if (rc != SEGB_OK && rc != SEGB_ERR_OAUTH_RESPONSE && rc != SEGB_ERR_NOMEM)
      abort();
  } else if (status == 400 || status == 401 || status == 415 ||
             (status >= 300 && status < 400)) {
    if (sbi_auth_transient(rc))
      abort();
  } else if (!sbi_auth_transient(rc)) {
    abort();
  }
}

static void check_skew(const sbi_http_response *resp, int64_t local_ms) {
  int64_t skew = 12345;

  if (sbi_token_skew(resp, local_ms, &skew)) {
    if (skew <= -DAY_MS || skew >= DAY_MS)
      abort();
  } else if (skew != 12345) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size, *nl;
  sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
  sbi_http_response resp;
  int status = 0, rc;

  memset(&resp, 0, sizeof resp);
  /* A real answer always has header lines (the status line at least);
   * sbi_http_header() computes NULL + 0 on a buffer never allocated. */
  if (sbi_buf_reserve(&resp.headers, 1) != SEGB_OK)
    abort();
  for (; p < end && *p >= '0' && *p <= '9' && status < 1000; p++)
    status = status * 10 + (*p - '0');
  resp.status = status % 1000;
  p = (nl = memchr(p, '\n', (size_t)(end - p))) != NULL ? nl + 1 : end;
  /* header lines up to an empty one */
  while (p < end && *p != '\n') {
    size_t len;

    nl = memchr(p, '\n', (size_t)(end - p));
    len = (size_t)((nl != NULL ? nl : end) - p);
    if (sbi_buf_append(&resp.headers, p, len) != SEGB_OK ||
        sbi_buf_puts(&resp.headers, "\r\n") != SEGB_OK)
      abort();
    p += len + (nl != NULL);
  }
  if (p < end)
    p++;
  if (sbi_buf_append(&resp.body, p, (size_t)(end - p)) != SEGB_OK)
    abort();

  rc = sbi_token_read(&resp, URL, &reply);
  if (rc == SEGB_OK) {
    if (resp.status != 200 || reply.retry_after_ms != -1 || reply.clock_refused)
      abort();
    check_token(&reply);
  } else {
    const char *msg = segb_last_error_message();

    if (reply.header.len != 0 || strlen(msg) >= SBI_ERR_DETAIL_MAX)
      abort();
    check_no_jwt(msg);
  }
  check_code(resp.status, rc);
  if (reply.retry_after_ms != -1 &&
      (rc != SEGB_ERR_RATE_LIMITED || reply.retry_after_ms < 0))
    abort();
  if (reply.clock_refused && rc != SEGB_ERR_REJECTED)
    abort();

  check_skew(&resp, LOCAL_MS);
  check_skew(&resp, sbi_clock_now_ms());
  sbi_token_reply_free(&reply);
  sbi_http_response_free(&resp);
  return 0;
}
