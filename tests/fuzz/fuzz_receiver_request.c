/*
 * libFuzzer target for the webhook receiver's request handling, the part
 * of tools/webhook_receiver/ that sees a sender's bytes once
 * libmicrohttpd has split them into a method, headers and body pieces:
 * the same begin / body / end calls the server makes, without a socket.
 *
 * Input: a flags byte (bit 0: POST, else PUT; the rest: the size of the
 * body's pieces), then one line each for Content-Length, Authorization,
 * X-Signature and X-Segment-Settings ("-": absent), then the body.
 *
 * Checked: the 413 comes exactly when the declared or the received length
 * is over the limit; the answer is one of the statuses the receiver
 * documents, with a JSON object for its body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/webhook.h>

#include "core/json.h"
#include "receiver.h"
#include "fuzz_lines.h"

#define MAX_BODY 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static segb_webhook_t *verifier(void) {
  static segb_webhook_t *wh;

  if (wh == NULL) {
    wh = segb_webhook_new();
    if (wh == NULL || segb_webhook_add_api_key(wh, "abc123") != SEGB_OK ||
        segb_webhook_add_secret(wh, "s3cr3t") != SEGB_OK ||
        segb_webhook_set_option(wh, SEGB_WEBHOOK_MAX_BODY_BYTES, MAX_BODY) !=
            SEGB_OK)
      abort();
  }
  return wh;
}

static FILE *devnull(void) {
  static FILE *f;

  if (f == NULL && (f = fopen("/dev/null", "w")) == NULL)
    abort();
  return f;
}

/* Whether @s is all digits (at least one) and a number over MAX_BODY. */
static int declared_over(const char *s) {
  size_t digits = strspn(s, "0123456789");

  if (digits == 0 || s[digits] != '\0')
    return 0;
  s += strspn(s, "0"); /* leading zeros say nothing */
  return strlen(s) > 9 || strtoul(s, NULL, 10) > MAX_BODY;
}

static void check_reply(const receiver_reply *r) {
  sbi_json *o = NULL;

  switch (r->status) {
  case 200:
  case 400:
  case 401:
  case 405:
  case 413:
  case 500:
    break;
  default:
    abort();
  }
  if (memchr(r->body, '\0', sizeof r->body) == NULL ||
      sbi_json_parse(r->body, strlen(r->body), NULL, 0, 4, &o, NULL, 0) !=
          SEGB_OK ||
      o->type != SBI_JSON_OBJECT)
    abort();
  sbi_json_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data + (size > 0),
             *end = (const char *)data + size;
  unsigned flags = size > 0 ? data[0] : 0;
  size_t piece = 1 + (flags >> 1) * 37, sent = 0;
  char *length, *auth, *sig, *settings;
  receiver_request q = {0};
  receiver_reply r;
  int rc;

  length = fuzz_line(&p, end);
  auth = fuzz_line(&p, end);
  sig = fuzz_line(&p, end);
  settings = fuzz_line(&p, end);
  rc = segb_receiver_request_begin(&q, MAX_BODY, (flags & 1) ? "POST" : "PUT",
                                   length, &r);
  if ((rc == RECEIVER_TOO_LARGE) != (length != NULL && declared_over(length)))
    abort();
  while (rc == 0 && p < end) {
    size_t n = (size_t)(end - p) < piece ? (size_t)(end - p) : piece;

    rc = segb_receiver_request_body(&q, p, n, &r);
    if (rc == -1)
      abort(); /* a few KiB cannot run out */
    sent += n;
    p += n;
    if ((rc == RECEIVER_TOO_LARGE) != (sent > MAX_BODY))
      abort();
  }
  if (rc == 0) {
    segb_receiver_request_end(&q, verifier(), auth, sig, settings, devnull(),
                              devnull(), &r);
    if ((flags & 1) == 0 && r.status != 405)
      abort();
  } else if (r.status != 413) {
    abort();
  }
  check_reply(&r);
  segb_receiver_request_free(&q);
  free(length);
  free(auth);
  free(sig);
  free(settings);
  return 0;
}
