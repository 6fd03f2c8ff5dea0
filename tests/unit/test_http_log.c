/* The debug=http line of an exchange: method, host[:port] and path, the
 * status or the error, never userinfo, query or fragment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>

#include "transport/transport.h"

static char last[1024];
static int lines;

static void record(int level, const char *context, const char *line,
                   void *opaque) {
  (void)opaque;
  assert_int_equal(level, 7);
  assert_string_equal(context, "http");
  snprintf(last, sizeof last, "%s", line);
  lines++;
}

static const sbi_logger http_debug = {record, NULL, 6, SBI_LOG_HTTP};

/* The line for @url answered @status (0: failed with @error). */
static const char *line_for(const char *url, int status, int error) {
  sbi_http_request req;
  sbi_http_response resp;

  memset(&req, 0, sizeof req);
  memset(&resp, 0, sizeof resp);
  req.method = "POST";
  req.url = url;
  resp.status = status;
  resp.error = error;
  resp.elapsed_us = 23456;
  if (error != SEGB_OK)
    snprintf(resp.error_text, sizeof resp.error_text,
             "request to host failed: Connection refused");
  last[0] = '\0';
  sbi_http_log(&http_debug, &req, 1234, &resp);
  return last;
}

static void test_line(void **state) {
  (void)state;

  assert_string_equal(
      line_for("https://events.eu1.segmentapis.com/v1/batch", 200, SEGB_OK),
      "POST events.eu1.segmentapis.com/v1/batch -> 200 in 23 ms, 1234 bytes");
  assert_string_equal(
      line_for("http://127.0.0.1:8080/token", 0, SEGB_ERR_CONNECT),
      "POST 127.0.0.1:8080/token -> SEGB_ERR_CONNECT in 23 "
      "ms, 1234 bytes: request to host failed: Connection "
      "refused");
}

/* Userinfo, query and fragment may hold credentials: they are cut. */
static void test_url_parts_cut(void **state) {
  (void)state;

  assert_string_equal(
      line_for("https://user:p@ss@host.example:443/v1/x?token=t0k#frag", 200,
               SEGB_OK),
      "POST host.example:443/v1/x -> 200 in 23 ms, 1234 bytes");
  assert_string_equal(line_for("https://host.example?key=k3y", 401, SEGB_OK),
                      "POST host.example -> 401 in 23 ms, 1234 bytes");
  assert_string_equal(line_for("host.example/p#f@x", 200, SEGB_OK),
                      "POST host.example/p -> 200 in 23 ms, 1234 bytes");
}

/* Without debug=http nothing is logged, whatever log.level says. */
static void test_only_with_debug_http(void **state) {
  sbi_logger quiet = http_debug;
  sbi_http_request req;
  sbi_http_response resp;
  (void)state;

  memset(&req, 0, sizeof req);
  memset(&resp, 0, sizeof resp);
  req.method = "GET";
  req.url = "https://host.example/";
  quiet.level = 7;
  quiet.debug = SBI_LOG_AUTH | SBI_LOG_BATCH;
  lines = 0;
  sbi_http_log(&quiet, &req, 0, &resp);
  sbi_http_log(NULL, &req, 0, &resp);
  assert_int_equal(lines, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line),
      cmocka_unit_test(test_url_parts_cut),
      cmocka_unit_test(test_only_with_debug_http),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
