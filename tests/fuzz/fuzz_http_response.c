/*
 * libFuzzer target for response handling without a socket: the input is a
 * response as it comes off the wire. Its lines go through the header-line
 * logic libcurl's header callback runs (sbi_http_take_header_line), the
 * rest is the body, and the response is then read as the sender reads it:
 * header lookup, the retry matrix and the advice.
 *
 * Checked: only header lines of the last block are kept, each whole with
 * its CRLF, within the cap; a block counts as ended exactly when a blank
 * line followed its status line; lookups are NUL-terminated, agree across
 * buffer sizes and truncate to a prefix; a response whose header block did
 * not end is retried, never delivered; a Retry-After wait stays within the
 * floor and the cap; the advice is printable ASCII, never holds the
 * credential of the request (whatever the server echoes), and what it
 * says of retrying (the server's words aside) is what the matrix does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/buf.h"
#include "transport/policy.h"
#include "transport/retry.h"
#include "transport/transport.h"

#define MAX_WAIT_MS 300000
#define URL "https://api.segment.io/v1/batch"
/* The request's credential: "Basic " + base64("fuzzkey0:"); a seed body
 * echoes it, as a hostile server may. */
#define AUTH_SECRET "ZnV6emtleTA6"
#define AUTH_LINE "Authorization: Basic " AUTH_SECRET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "HTTP/<version> <3 digits>" gives its status, anything else 0. */
static int status_of(const char *line, size_t len) {
  const char *sp = memchr(line, ' ', len);
  size_t at;

  if (sp == NULL)
    return 0;
  at = (size_t)(sp - line) + 1;
  if (len < at + 3 || line[at] < '1' || line[at] > '9' || line[at + 1] < '0' ||
      line[at + 1] > '9' || line[at + 2] < '0' || line[at + 2] > '9')
    return 0;
  return (line[at] - '0') * 100 + (line[at + 1] - '0') * 10 +
         (line[at + 2] - '0');
}

static int is_status_line(const char *line, size_t len) {
  return len >= 5 && memcmp(line, "HTTP/", 5) == 0;
}

static int is_blank_line(const char *line, size_t len) {
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
    len--;
  return len == 0;
}

static void check_kept_lines(const sbi_buf *h) {
  size_t at = 0;

  if (h->len > SBI_HTTP_MAX_HEADER_BYTES)
    abort();
  while (at < h->len) {
    const char *p = h->data + at;
    const char *nl = memchr(p, '\n', h->len - at);
    size_t len;

    if (nl == NULL)
      abort();
    len = (size_t)(nl - p) + 1;
    if (len < 3 || p[len - 2] != '\r' || is_status_line(p, len - 2))
      abort();
    at += len;
  }
}

static void check_lookup(const sbi_http_response *resp, const char *name) {
  static const size_t sizes[] = {1, 2, 7, 64, 512};
  char out[sizeof sizes / sizeof sizes[0]][512];
  int found[sizeof sizes / sizeof sizes[0]];
  size_t i;

  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    found[i] = sbi_http_header(resp, name, out[i], sizes[i]);
    if (memchr(out[i], '\0', sizes[i]) == NULL || found[i] != found[0] ||
        (!found[i] && out[i][0] != '\0'))
      abort();
    /* A smaller buffer holds a prefix of what a larger one holds. */
    if (i > 0 && strncmp(out[i - 1], out[i], strlen(out[i - 1])) != 0)
      abort();
  }
}

static void check_verdict(const sbi_http_response *resp) {
  sbi_http_response bare;
  char advice[640];
  sbi_outcome o = sbi_http_outcome(resp, SBI_PEER_TRACKING, 0, MAX_WAIT_MS);
  sbi_verdict v = o.verdict;
  int64_t wait = o.wait_ms;
  int retried = v == SBI_VERDICT_RETRY || v == SBI_VERDICT_RETRY_AFTER;
  size_t i;

  if (v == SBI_VERDICT_RETRY_AFTER &&
      (wait < SBI_RETRY_AFTER_FLOOR_MS || wait > MAX_WAIT_MS))
    abort();
  if (!resp->header_end && v != SBI_VERDICT_RETRY)
    abort();
  /* The read APIs read the same table. */
  if (sbi_http_outcome(resp, SBI_PEER_READ, 0, MAX_WAIT_MS).verdict != v)
    abort();
  sbi_advice(advice, sizeof advice, resp, URL, NULL, AUTH_LINE);
  if (strstr(advice, AUTH_SECRET) != NULL || strstr(advice, "fuzzkey0") != NULL)
    abort();
  for (i = 0; advice[i] != '\0'; i++)
    if ((unsigned char)advice[i] < 0x20 || (unsigned char)advice[i] >= 0x7F)
      abort();
  /* Without the server's own words, which may say anything: whether it is
   * retried depends on the status (or the transport's error) alone. */
  memset(&bare, 0, sizeof bare);
  bare.status = resp->status;
  bare.error = resp->error;
  sbi_advice(advice, sizeof advice, &bare, URL, NULL, NULL);
  if (strstr(advice, retried ? "not retried" : "it is retried") != NULL)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;
  sbi_http_response resp;
  int status = 0, interim = 0, ended = 0;
  char name[64];

  memset(&resp, 0, sizeof resp);
  name[0] = '\0';
  /* Header blocks, line by line as libcurl hands them over, until a blank
   * line ends a block that is not an interim (1xx) answer's. */
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);

    if (sbi_http_take_header_line(&resp, p, len) != SEGB_OK)
      abort();
    if (is_status_line(p, len)) {
      status = status_of(p, len);
      interim = status >= 100 && status < 200;
      ended = 0;
    } else if (is_blank_line(p, len)) {
      ended = 1;
    } else if (name[0] == '\0') {
      const char *colon = memchr(p, ':', len);
      size_t n = colon != NULL ? (size_t)(colon - p) : 0;

      if (n < sizeof name) {
        memcpy(name, p, n);
        name[n] = '\0';
      }
    }
    if (resp.header_end != ended)
      abort();
    p += len;
    if (ended && !interim)
      break;
  }
  check_kept_lines(&resp.headers);
  if (sbi_buf_append(&resp.body, p, (size_t)(end - p)) != SEGB_OK)
    abort();
  /* As the transport has it: a header block that never ended is no
   * response. */
  if (resp.header_end)
    resp.status = status;
  else
    resp.error = SEGB_ERR_NETWORK;

  check_lookup(&resp, "Retry-After");
  check_lookup(&resp, "Content-Type");
  check_lookup(&resp, name);
  check_verdict(&resp);
  sbi_http_response_free(&resp);
  return 0;
}
