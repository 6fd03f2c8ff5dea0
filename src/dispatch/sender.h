/*
 * The sender turns messages into /v1/batch requests and sees each batch
 * through to its end: delivered, or dropped with a reason, retrying in
 * between as the retry policy says. A job is one batch on its way; many
 * jobs may be under way at once, each a small state machine that says
 * what to do next (send this request, wait until then, done). The
 * dispatcher drives jobs over a multi; sbi_sender_send() drives one with
 * blocking requests (Test Connection's probe).
 *
 * Jobs and the sender are driven by one thread at a time; the counters
 * are atomics so that other threads may read them.
 */
#ifndef SBI_DISPATCH_SENDER_H
#define SBI_DISPATCH_SENDER_H

#include <stdatomic.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/log.h"
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
  sbi_logger log;
  sbi_outcome_fn *outcome;
  void *outcome_ctx;
  size_t members_len;     /* bytes the auth members add to a body, +1 */
  char last_failure[640]; /* advice for the last failed request, or "" */
  /* Monotonic ms before which no request goes out: the server asked to
   * wait (Retry-After) until then. It holds for every job, and across
   * flushes. 0: none. */
  int64_t not_before_ms;
  int answered_status; /* status of the last answer, 0 when none came */
  /* requests that went out; those that resent a batch; the last HTTP
   * status answered, 0 before any */
  atomic_int_least64_t requests, retries, last_status;
} sbi_sender;

/* The largest split a job keeps track of: halving batch.max_events (at
 * most 2 500) gives at most 12 levels. */
#define SBI_JOB_MAX_PARTS 16

/* One batch on its way. The messages are a list in the order they were
 * queued; the first parts[top] of them are the part being sent (a batch
 * refused for what it holds is split in halves, the first half first). */
typedef struct sbi_job {
  sbi_queue msgs;
  size_t parts[SBI_JOB_MAX_PARTS];
  int top;               /* parts[top - 1] is the current part; 0: done */
  int begun;             /* the current part's body is built */
  int sent, refreshed;   /* of the current part */
  int64_t not_before_ms; /* its next attempt, monotonic */
  int64_t sent_ms;       /* when its last request left, monotonic */
  sbi_retry_budget budget;
  size_t sent_at_at; /* offset of the sentAt value in the body */
  sbi_buf body, members, auth_header;
  sbi_http_request req;
  char retry_header[48];
  sbi_http_response resp;
  /* Sorted distinct user keys of all its messages: the users it holds
   * while under way (dispatch.ordering=per_user). */
  uint64_t *keys;
  size_t key_count, key_room;
  void *link; /* the driver's */
} sbi_job;

typedef enum sbi_job_step {
  SBI_JOB_SEND,     /* send j->req, fill j->resp, call sbi_job_answered() */
  SBI_JOB_WAIT,     /* call sbi_job_next() again at j->not_before_ms */
  SBI_JOB_DONE,     /* every message has gone to the outcome */
  SBI_JOB_TIMED_OUT /* the next step lies past the deadline: call again */
} sbi_job_step;

/* Make room in @j (zeroed before its first use) for batches of up to
 * @events messages, so that starting one allocates nothing. SEGB_OK or
 * SEGB_ERR_NOMEM. */
int sbi_job_reserve(sbi_job *j, size_t events);

/* Start @j on the messages of @msgs (moved into it; at most what
 * sbi_job_reserve() made room for; none for a probe that only
 * authenticates). Its buffers are reused from job to job. */
void sbi_job_init(sbi_job *j, sbi_queue *msgs);

/* What @j needs next at monotonic @now (also when it was told to wait):
 * build its body, take credentials (bounded by @deadline, -1: none),
 * report a part the credentials failed for. */
sbi_job_step sbi_job_next(sbi_sender *s, sbi_job *j, int64_t now,
                          int64_t deadline);

/* The request of @j came back with j->resp: deliver, retry, split or drop.
 * Then call sbi_job_next(), unless this is SBI_JOB_DONE. */
sbi_job_step sbi_job_answered(sbi_sender *s, sbi_job *j, int64_t deadline);

/* Free @j's buffers; its messages, if any are left, stay in j->msgs for
 * the caller. */
void sbi_job_free(sbi_job *j);

/* The size of a batch being gathered. */
typedef struct sbi_batch_size {
  size_t count, bytes;
} sbi_batch_size;

/* An empty batch of @s's: its frame and the auth members (SEGB_OK, or the
 * auth provider's error). */
int sbi_sender_batch_start(sbi_sender *s, sbi_batch_size *b);

/* 1 when a message of @len bytes joins @b (counted in), 0 when it would
 * make the request too large or too long. The first always joins: a
 * message was size-checked when sealed. */
int sbi_sender_batch_take(const sbi_sender *s, sbi_batch_size *b, size_t len);

/* One batch from the head of @q (or with @q empty, a batch of no events
 * that only authenticates: Test Connection's probe), seen through with
 * blocking requests until its end or the monotonic @deadline_ms (-1:
 * none): SEGB_OK, or SEGB_ERR_TIMED_OUT with what is left back at the head
 * of @q. */
int sbi_sender_send(sbi_sender *s, sbi_queue *q, int64_t deadline_ms);

void sbi_sender_free(sbi_sender *s);

#endif
