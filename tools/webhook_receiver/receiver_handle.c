/* One webhook request, from headers and body to an answer: verify and
 * parse, decode X-Segment-Settings when sent, print the good events. */
#include "receiver.h"

#include <segbridge/segbridge.h>

#include <stdio.h>
#include <string.h>

/* @s as the inside of a JSON string, cut to fit @size. The library's
 * messages are ASCII, but nothing here relies on it. */
static void json_escape(char *out, size_t size, const char *s) {
  size_t n = 0;

  for (; *s != '\0' && n + 7 < size; s++) {
    unsigned char c = (unsigned char)*s;

    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20 || c >= 0x7f) {
      n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n] = '\0';
}

/* Status @status with {"code":..., "message":...}. */
static void refuse(receiver_reply *r, unsigned status, int err,
                   const char *message, FILE *log) {
  char msg[200];

  json_escape(msg, sizeof msg, message);
  r->status = status;
  snprintf(r->body, sizeof r->body, "{\"code\":\"%s\",\"message\":\"%s\"}",
           segb_err_name(err), msg);
  fprintf(log, "refused %u: %s: %s\n", status, segb_err_name(err), message);
}

/* The status for a request segb_webhook_receive() refused: 401 when it
 * does not verify, 413 over a limit, 400 for a body that is not a webhook
 * body. */
static unsigned receive_status(int err) {
  switch (err) {
  case SEGB_ERR_WEBHOOK_NO_AUTH:
  case SEGB_ERR_WEBHOOK_NOT_BASIC:
  case SEGB_ERR_INVALID_BASE64:
  case SEGB_ERR_WEBHOOK_PASSWORD:
  case SEGB_ERR_WEBHOOK_WRONG_KEY:
  case SEGB_ERR_WEBHOOK_NO_SIGNATURE:
  case SEGB_ERR_WEBHOOK_BAD_SIGNATURE:
  case SEGB_ERR_WEBHOOK_WRONG_SIGNATURE:
  case SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS:
    return 401;
  case SEGB_ERR_BODY_TOO_LARGE:
  case SEGB_ERR_TOO_MANY_EVENTS:
    return 413;
  case SEGB_ERR_NOMEM:
  case SEGB_ERR_INVALID_ARG:
    return 500;
  default:
    return 400;
  }
}

/* Print the good events; refuse the request only when none is good. An
 * event the X-Signature does not cover (one appended after a batch's
 * signed first event) is printed too, but counted as "unsigned" in the
 * answer and, when the request was signed at all, named on the log. */
static void deliver(const segb_webhook_batch_t *b, FILE *out, FILE *log,
                    receiver_reply *r) {
  size_t n = segb_webhook_batch_count(b), i, printed = 0, uncovered = 0;
  size_t first_bad = n;
  int signed_request = segb_webhook_event_signed(b, 0);

  for (i = 0; i < n; i++) {
    char *line;

    if (segb_webhook_event_err(b, i) != SEGB_OK) {
      fprintf(log, "event %zu skipped: %s\n", i,
              segb_webhook_event_errstr(b, i));
      if (first_bad == n)
        first_bad = i;
      continue;
    }
    line = segb_json_text(segb_webhook_event(b, i), NULL);
    if (line == NULL) {
      refuse(r, 500, SEGB_ERR_NOMEM, "out of memory", log);
      return;
    }
    fprintf(out, "%s\n", line);
    segb_free(line);
    printed++;
    if (!segb_webhook_event_signed(b, i)) {
      uncovered++;
      if (signed_request)
        fprintf(log, "event %zu unsigned: X-Signature covers event 0 only\n",
                i);
    }
  }
  fflush(out);
  if (n > 0 && printed == 0) {
    refuse(r, 400, segb_webhook_event_err(b, first_bad),
           segb_webhook_event_errstr(b, first_bad), log);
    return;
  }
  r->status = 200;
  snprintf(r->body, sizeof r->body,
           "{\"accepted\":%zu,\"rejected\":%zu,\"unsigned\":%zu}", printed,
           n - printed, uncovered);
}

void segb_receiver_handle(const segb_webhook_t *wh, const char *authorization,
                          const char *signature, const char *settings,
                          const char *body, size_t len, FILE *out, FILE *log,
                          receiver_reply *r) {
  segb_webhook_settings_t *decoded = NULL;
  segb_webhook_batch_t *batch = NULL;
  int rc;

  rc = segb_webhook_receive(wh, authorization, signature, body, len, &batch);
  if (rc != SEGB_OK) {
    refuse(r, receive_status(rc), rc, segb_last_error_message(), log);
    return;
  }
  if (settings != NULL) {
    rc = segb_webhook_settings_decode(wh, settings, strlen(settings), &decoded);
    segb_webhook_settings_destroy(decoded);
    if (rc != SEGB_OK) {
      refuse(r, rc == SEGB_ERR_NOMEM ? 500 : 400, rc, segb_last_error_message(),
             log);
      segb_webhook_batch_destroy(batch);
      return;
    }
  }
  deliver(batch, out, log, r);
  segb_webhook_batch_destroy(batch);
}
