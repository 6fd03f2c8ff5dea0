/*
 * libFuzzer target for the waits a read API's 429 asks for
 * (api/errbody.c): X-RateLimit-Reset dates (RFC 5322, read by
 * sbi_http_date_wait()) and the msBeforeNext of a body. A wait is never
 * negative; whether a date is one does not depend on the time it is read at;
 * read a second later, its wait is at most a second shorter and never longer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "api/errbody.h"
#include "transport/retry.h"
#include "transport/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tue, 21 Apr 2026 10:00:00 GMT */
#define NOW_MS INT64_C(1776765600000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char value[128];
  size_t len = size < sizeof value - 1 ? size : sizeof value - 1;
  int64_t w = -1, later = -1;
  sbi_http_response resp;
  int a, b;

  memcpy(value, data, len);
  value[len] = '\0';
  a = sbi_http_date_wait(value, NOW_MS, &w);
  b = sbi_http_date_wait(value, NOW_MS + 1000, &later);
  if (a != b || (a && (w < 0 || later < 0 || later > w || w - later > 1000)))
    abort();

  /* the same bytes as a header value (up to a line break) and a body */
  memset(&resp, 0, sizeof resp);
  resp.status = 429;
  value[strcspn(value, "\r\n")] = '\0';
  if (sbi_buf_puts(&resp.headers, "X-RateLimit-Reset: ") == SEGB_OK &&
      sbi_buf_puts(&resp.headers, value) == SEGB_OK &&
      sbi_buf_puts(&resp.headers, "\r\n") == SEGB_OK &&
      (size == 0 || sbi_buf_append(&resp.body, data, size) == SEGB_OK)) {
    w = -1;
    if (sbi_api_server_wait(&resp, NOW_MS, &w) && w < 0)
      abort();
  }
  sbi_http_response_free(&resp);
  return 0;
}
