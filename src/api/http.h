/* One call to a Segment API from the readers (and Test Connection): the
 * request, its retries and waits, and the error it ends in, explained. */
#ifndef SBI_API_HTTP_H
#define SBI_API_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "config/region.h"
#include "transport/retry.h"
#include "transport/transport.h"

typedef struct sbi_api_limits {
  sbi_retry_limits retry;  /* per call */
  int64_t call_timeout_ms; /* the whole call: requests, retries, waits */
} sbi_api_limits;

typedef struct sbi_api_http {
  sbi_transport *transport; /* borrowed */
  sbi_api_limits limits;
  sbi_buf auth_header;    /* kept for redacting the call's error text,
                             wiped when the call ends */
  sbi_http_response resp; /* the last answer */
} sbi_api_http;

typedef struct sbi_api_call {
  sbi_api api;        /* whose credentials a 401 blames */
  sbi_auth *auth;     /* borrowed */
  const char *method; /* "GET" or "POST" */
  const char *url;
  const char *body; /* JSON, or NULL for none */
  size_t body_len;
  const char *missing; /* what a 404 means: "no profile ... in space ..." */
} sbi_api_call;

/* Perform @call until it gets a 2xx (SEGB_OK; h->resp holds the answer)
 * or an answer retrying cannot change, or the limits run out: then the
 * error code, with the host, status, the server's message (the credential
 * redacted) and what to do in the thread's detail. 404 is
 * SEGB_ERR_NOT_FOUND. Every request and wait fits in what is left of
 * limits.call_timeout_ms; when that runs out, SEGB_ERR_TIMED_OUT. */
int sbi_api_perform(sbi_api_http *h, const sbi_api_call *call);

void sbi_api_http_free(sbi_api_http *h);

#endif
