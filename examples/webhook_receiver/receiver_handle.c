/* One webhook request, from headers and body to an answer: verify, decode
 * X-Segment-Settings when sent, parse, print the good events. */
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

static unsigned verify_status(int err) {
  switch (err) {
  case SEGB_ERR_BODY_TOO_LARGE:
    return 413;
  case SEGB_ERR_NOMEM:
  case SEGB_ERR_INVALID_ARG:
    return 500;
  default:
    return 401;
  }
}

static unsigned parse_status(int err) {
  switch (err) {
  case SEGB_ERR_BODY_TOO_LARGE:
  case SEGB_ERR_TOO_MANY_EVENTS:
    return 413;
  case SEGB_ERR_NOMEM:
    return 500;
  default:
    return 400;
  }
}

/* Print the good events; refuse the request only when none is good. */
static void deliver(const segb_webhook_batch_t *b, FILE *out, FILE *log,
                    receiver_reply *r) {
  size_t n = segb_webhook_batch_count(b), i, printed = 0;
  size_t first_bad = n;

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
  }
  fflush(out);
  if (n > 0 && printed == 0) {
    refuse(r, 400, segb_webhook_event_err(b, first_bad),
           segb_webhook_event_errstr(b, first_bad), log);
    return;
  }
  r->status = 200;
  snprintf(r->body, sizeof r->body, "{\"accepted\":%zu,\"rejected\":%zu}",
           printed, n - printed);
}

void segb_receiver_handle(const segb_webhook_t *wh, const char *authorization,
                          const char *signature, const char *settings,
                          const char *body, size_t len, FILE *out, FILE *log,
                          receiver_reply *r) {
  segb_webhook_settings_t *decoded = NULL;
  segb_webhook_batch_t *batch = NULL;
  int rc;

  rc = segb_webhook_verify(wh, authorization, signature, body, len);
  if (rc != SEGB_OK) {
    refuse(r, verify_status(rc), rc, segb_last_error_message(), log);
    return;
  }
  if (settings != NULL) {
    rc = segb_webhook_settings_decode(wh, settings, strlen(settings), &decoded);
    segb_webhook_settings_destroy(decoded);
    if (rc != SEGB_OK) {
      refuse(r, rc == SEGB_ERR_NOMEM ? 500 : 400, rc, segb_last_error_message(),
             log);
      return;
    }
  }
  rc = segb_webhook_parse(wh, body, len, &batch);
  if (rc != SEGB_OK) {
    refuse(r, parse_status(rc), rc, segb_last_error_message(), log);
    return;
  }
  deliver(batch, out, log, r);
  segb_webhook_batch_destroy(batch);
}
