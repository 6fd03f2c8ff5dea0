/*
 * The sender turns queued messages into /v1/batch requests and sees each
 * batch through to its end: delivered, or dropped with a reason, retrying
 * in between as the retry policy says. It runs on whichever thread calls
 * it; the inline client calls it from flush and close.
 */
#ifndef SBI_DISPATCH_SENDER_H
#define SBI_DISPATCH_SENDER_H

#include <stdint.h>

#include "auth/auth.h"
#include "dispatch/queue.h"
#include "transport/retry.h"
#include "transport/transport.h"

/* Called once per message with its fate; takes ownership of @msg. An
 * empty batch has one call with a NULL @msg. */
typedef void sbi_outcome_fn(void *ctx, segb_message_t *msg, int err,
                            const char *errstr);

typedef struct sbi_sender_limits {
  size_t max_events;      /* per request */
  size_t max_bytes;       /* per request body, before compression */
  sbi_retry_limits retry; /* per batch */
} sbi_sender_limits;

typedef struct sbi_sender {
  sbi_transport *transport; /* borrowed */
  sbi_auth *auth;           /* borrowed */
  char *url;                /* ".../v1/batch" */
  const char *auth_hint;    /* what to check when credentials are refused */
  sbi_sender_limits limits;
  sbi_outcome_fn *outcome;
  void *outcome_ctx;
  /* reused from request to request */
  sbi_buf body, auth_header, members;
  sbi_http_response resp;
  char last_failure[640]; /* advice for the last failed request, or "" */
  /* Monotonic ms before which no request goes out: the server asked to
   * wait (Retry-After) until then. It outlives the drain call that heard
   * it, so the next flush waits too. 0: none. */
  int64_t not_before_ms;
  /* What the client's stats read. The batch being sent stays at the head
   * of the queue until each message is reported: in_flight counts those
   * not reported yet, 0 between batches. */
  size_t in_flight;
  int64_t requests, retries; /* requests that went out; those resent */
  int last_status;           /* last HTTP status answered, 0 before any */
} sbi_sender;

/* Send from @q until it is empty (SEGB_OK) or the monotonic @deadline_ms
 * (-1: none) would pass before the next step (SEGB_ERR_TIMED_OUT; what is
 * left stays queued). */
int sbi_sender_drain(sbi_sender *s, sbi_queue *q, int64_t deadline_ms);

/* One batch from the head of @q, seen through to its end as the drain
 * does; with @q empty, a batch of no events that only authenticates (Test
 * Connection's probe). */
int sbi_sender_send(sbi_sender *s, sbi_queue *q, int64_t deadline_ms);

void sbi_sender_free(sbi_sender *s);

#endif
