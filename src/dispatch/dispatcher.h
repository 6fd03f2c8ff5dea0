/*
 * The dispatcher: the bounded queue of accepted messages, the triggers that
 * make batches of them, the jobs that carry batches to the Tracking API
 * side by side over a multi (keeping each user's order when asked), and
 * the reports of every message's fate. A dispatcher thread drives it
 * (thread mode), or the callers of flush, poll and close do (inline); both
 * run the same rounds. Every function here may be called from any thread.
 */
#ifndef SBI_DISPATCH_DISPATCHER_H
#define SBI_DISPATCH_DISPATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch/sender.h"
#include "dispatch/spool.h"
#include "message/message.h"

typedef enum sbi_ordering {
  SBI_ORDER_PER_USER, /* a user's messages in one request at a time */
  SBI_ORDER_FIFO,     /* one request at a time */
  SBI_ORDER_NONE
} sbi_ordering;

typedef enum sbi_overflow {
  SBI_OVERFLOW_NEWEST, /* refuse the new message */
  SBI_OVERFLOW_OLDEST, /* drop the oldest queued one for it */
  SBI_OVERFLOW_WAIT    /* wait for room */
} sbi_overflow;

typedef struct sbi_dispatch_options {
  int thread;        /* a dispatcher thread of its own */
  int max_in_flight; /* requests at once */
  sbi_ordering ordering;
  int realtime;      /* send as soon as a request slot is free */
  int64_t linger_ms; /* else: longest wait of the oldest queued message */
  size_t max_events, max_bytes; /* held: queued and in flight */
  sbi_overflow overflow;
  int64_t block_timeout_ms;  /* SBI_OVERFLOW_WAIT */
  int poll_reports;          /* reports wait for sbi_dispatch_poll() */
  int64_t stats_interval_ms; /* 0: no statistics calls */
  int discard; /* send=false: accept, report SEGB_ERR_SEND_DISABLED, send
                  nothing */
  /* A disk spool when spool.path is set (not empty): every accepted
   * message is kept there until it has a fate. */
  sbi_spool_options spool;
} sbi_dispatch_options;

/* Hands the host one message's fate (msg->err, ->errstr, ->attempts,
 * ->http_status); the dispatcher frees the message after. Called with no
 * lock held. */
typedef void sbi_report_fn(void *ctx, segb_message_t *msg);
/* Time for the statistics callback; no lock held. */
typedef void sbi_stats_fn(void *ctx);

typedef struct sbi_dispatch sbi_dispatch;

/* The counters a snapshot reads, taken together under the lock. */
typedef struct sbi_dispatch_counts {
  int64_t enqueued, delivered, dropped, queued, in_flight, held_bytes;
  int64_t recovered; /* of enqueued: taken over from the spool */
} sbi_dispatch_counts;

/* A dispatcher sending with @s (borrowed, its outcome taken over; its
 * transport gives the multi). With a spool, the events an earlier client
 * left in it are queued first, as accepted. NULL with the thread's error
 * set (SEGB_ERR_SPOOL_LOCKED when another client holds the spool). */
sbi_dispatch *sbi_dispatch_new(const sbi_dispatch_options *o, sbi_sender *s,
                               sbi_report_fn *report, sbi_stats_fn *stats,
                               void *ctx);

/* In a child forked from the process that made @d, the first call resets
 * it to a fresh client (the parent's messages are left to the parent,
 * unreported here) and calls @forked(ctx) under the lock, for the owner's
 * counters to start over too. Set before the first fork. */
void sbi_dispatch_on_fork(sbi_dispatch *d, sbi_stats_fn *forked);

/* Start the dispatcher thread (thread mode; nothing inline), once the
 * callbacks' @ctx is ready for it to call. SEGB_OK or the error; a
 * dispatcher that did not start is freed by sbi_dispatch_close() as an
 * inline one. */
int sbi_dispatch_start(sbi_dispatch *d);

/* Accept the sealed @msg (owned from here on, also when refused: then it
 * is freed): SEGB_OK, SEGB_ERR_CLOSED, SEGB_ERR_QUEUE_FULL (the queue or
 * the spool full), SEGB_ERR_SPOOL_IO (the spool could not keep it). */
int sbi_dispatch_enqueue(sbi_dispatch *d, segb_message_t *msg);

/* Wait until every message accepted before the call is reported (in poll
 * mode: its report waits for poll), or the monotonic @deadline (-1: none):
 * SEGB_OK or SEGB_ERR_TIMED_OUT. Inline, the caller sends meanwhile. */
int sbi_dispatch_flush(sbi_dispatch *d, int64_t deadline);

/* Serve waiting reports on the calling thread (see segb_client_poll()):
 * how many were served. */
int sbi_dispatch_poll(sbi_dispatch *d, int64_t deadline);

/* Report every queued message dropped with SEGB_ERR_PURGED; how many. */
int sbi_dispatch_purge(sbi_dispatch *d);

/* Refuse new messages, flush until @deadline, then abort what is in
 * flight, report everything undelivered dropped with SEGB_ERR_CLOSED, or
 * SEGB_ERR_SPOOLED when the spool keeps it for the next client, stop the
 * thread and free. How many were dropped so. */
size_t sbi_dispatch_close(sbi_dispatch *d, int64_t deadline);

void sbi_dispatch_counts_get(sbi_dispatch *d, sbi_dispatch_counts *out);

/* The read end of the pipe that is readable while reports wait (poll
 * mode), else -1. */
int sbi_dispatch_report_fd(sbi_dispatch *d);

/* 1 when the calling thread is inside a report or statistics call of
 * @d. */
int sbi_dispatch_in_callback(const sbi_dispatch *d);

#endif
