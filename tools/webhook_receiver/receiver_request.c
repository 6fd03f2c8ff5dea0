/* One request through the receiver's HTTP layer, socket-free: the method,
 * the body's length and the body itself against the limit, then
 * segb_receiver_handle(). */
#include "receiver.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int too_large(receiver_reply *r, size_t max) {
  r->status = 413;
  snprintf(r->body, sizeof r->body,
           "{\"code\":\"SEGB_ERR_BODY_TOO_LARGE\",\"message\":"
           "\"the body is over %zu bytes\"}",
           max);
  return RECEIVER_TOO_LARGE;
}

/* Whether @s, all digits, is a number over @max. libmicrohttpd has refused
 * a malformed Content-Length already; anything else is left to the count
 * of the bytes that come. */
static int length_over(const char *s, size_t max) {
  size_t n = 0;

  if (*s == '\0')
    return 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    size_t digit = (size_t)(*s - '0');

    if (digit > max || n > (max - digit) / 10)
      return s[strspn(s, "0123456789")] == '\0';
    n = n * 10 + digit;
  }
  return 0;
}

int segb_receiver_request_begin(receiver_request *q, size_t max_body,
                                const char *method, const char *content_length,
                                receiver_reply *reply) {
  q->max_body = max_body;
  q->post = strcmp(method, "POST") == 0;
  if (content_length != NULL && length_over(content_length, max_body))
    return too_large(reply, max_body);
  return 0;
}

int segb_receiver_request_body(receiver_request *q, const char *data, size_t n,
                               receiver_reply *reply) {
  if (n > q->max_body - q->len)
    return too_large(reply, q->max_body);
  if (!q->post) { /* only counted */
    q->len += n;
    return 0;
  }
  if (q->len + n > q->cap) {
    size_t cap = q->cap > 0 ? q->cap : 4096;
    char *grown;

    while (cap < q->len + n)
      cap = cap <= SIZE_MAX / 2 ? cap * 2 : q->len + n;
    grown = realloc(q->data, cap);
    if (grown == NULL)
      return -1;
    q->data = grown;
    q->cap = cap;
  }
  memcpy(q->data + q->len, data, n);
  q->len += n;
  return 0;
}

void segb_receiver_request_end(receiver_request *q, const segb_webhook_t *wh,
                               const char *authorization, const char *signature,
                               const char *settings, FILE *out, FILE *log,
                               receiver_reply *reply) {
  if (!q->post) {
    reply->status = 405;
    snprintf(reply->body, sizeof reply->body,
             "{\"code\":\"method\",\"message\":\"use POST\"}");
    fprintf(log, "refused 405: not a POST\n");
    return;
  }
  segb_receiver_handle(wh, authorization, signature, settings,
                       q->data != NULL ? q->data : "", q->len, out, log, reply);
}

void segb_receiver_request_free(receiver_request *q) {
  free(q->data);
  memset(q, 0, sizeof *q);
}
