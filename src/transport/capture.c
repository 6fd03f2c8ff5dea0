/* The capture transport: records requests instead of sending them, for
 * --dry-run and tests. Not thread-safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/err.h"
#include "core/secret.h"
#include "transport.h"

/* One recorded request; req points into the owned copies beside it. */
typedef struct sbi_capture_entry {
  sbi_http_request req;
  char *method;
  char *url;
  char *headers[SBI_HTTP_MAX_HEADERS];
  char *body;
} sbi_capture_entry;

typedef struct sbi_capture {
  sbi_transport base; /* first, so the transport pointer is the capture */
  int status;
  char *reply;
  /* Separate allocations keep sbi_capture_at() pointers stable. */
  sbi_capture_entry **entries;
  size_t count;
  size_t cap;
} sbi_capture;

static char *dup_bytes(const char *s, size_t n) {
  char *d = malloc(n + 1);

  if (d != NULL) {
    if (n > 0)
      memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static void entry_free(sbi_capture_entry *e) {
  size_t i;

  if (e == NULL)
    return;
  free(e->method);
  free(e->url);
  /* Headers may carry credentials (Authorization). */
  for (i = 0; i < SBI_HTTP_MAX_HEADERS; i++)
    sbi_secret_free(e->headers[i]);
  free(e->body);
  free(e);
}

static sbi_capture_entry *entry_new(const sbi_http_request *req) {
  sbi_capture_entry *e = calloc(1, sizeof *e);
  size_t i;

  if (e == NULL)
    return NULL;
  e->method = dup_bytes(req->method, strlen(req->method));
  e->url = dup_bytes(req->url, strlen(req->url));
  if (e->method == NULL || e->url == NULL)
    goto fail;
  e->req.method = e->method;
  e->req.url = e->url;
  for (i = 0; i < req->header_count; i++) {
    e->headers[i] = dup_bytes(req->headers[i], strlen(req->headers[i]));
    if (e->headers[i] == NULL)
      goto fail;
    e->req.headers[i] = e->headers[i];
  }
  e->req.header_count = req->header_count;
  e->req.timeout_ms = req->timeout_ms;
  if (req->body != NULL) {
    e->body = dup_bytes(req->body, req->body_len);
    if (e->body == NULL)
      goto fail;
    e->req.body = e->body;
    e->req.body_len = req->body_len;
  }
  return e;
fail:
  entry_free(e);
  return NULL;
}

static int capture_send(sbi_transport *t, const sbi_http_request *req,
                        sbi_http_response *resp) {
  sbi_capture *c = (sbi_capture *)t;
  sbi_capture_entry *e;

  sbi_http_response_reset(resp);
  if (req->header_count > SBI_HTTP_MAX_HEADERS) {
    snprintf(resp->error_text, sizeof resp->error_text,
             "more than %d request headers", SBI_HTTP_MAX_HEADERS);
    return resp->error = SEGB_ERR_INVALID_ARG;
  }
  if (c->count == c->cap) {
    size_t cap = c->cap == 0 ? 8 : c->cap * 2;
    sbi_capture_entry **p = realloc(c->entries, cap * sizeof *p);

    if (p == NULL)
      goto nomem;
    c->entries = p;
    c->cap = cap;
  }
  e = entry_new(req);
  if (e == NULL ||
      sbi_buf_append(&resp->body, c->reply, strlen(c->reply)) != SEGB_OK) {
    entry_free(e);
    goto nomem;
  }
  c->entries[c->count++] = e;
  resp->status = c->status;
  return SEGB_OK;
nomem:
  snprintf(resp->error_text, sizeof resp->error_text,
           "out of memory recording a request");
  return resp->error = SEGB_ERR_NOMEM;
}

static void capture_destroy(sbi_transport *t) {
  sbi_capture *c = (sbi_capture *)t;
  size_t i;

  for (i = 0; i < c->count; i++)
    entry_free(c->entries[i]);
  free(c->entries);
  free(c->reply);
  free(c);
}

sbi_transport *sbi_capture_transport_new(int status, const char *reply) {
  sbi_capture *c = calloc(1, sizeof *c);

  if (reply == NULL)
    reply = "";
  if (c == NULL || (c->reply = dup_bytes(reply, strlen(reply))) == NULL) {
    free(c);
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a capture transport");
    return NULL;
  }
  c->base.send = capture_send;
  c->base.destroy = capture_destroy;
  c->status = status;
  return &c->base;
}

size_t sbi_capture_count(const sbi_transport *t) {
  return ((const sbi_capture *)t)->count;
}

const sbi_http_request *sbi_capture_at(const sbi_transport *t, size_t i) {
  const sbi_capture *c = (const sbi_capture *)t;

  return i < c->count ? &c->entries[i]->req : NULL;
}
