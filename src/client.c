/* The client facade: config -> region -> auth -> transport -> sender. In
 * this release the client runs inline: flush and close send on the caller's
 * thread, and nothing runs in the background. */
#include <segbridge/client.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "config/props.h"
#include "core/clock.h"
#include "core/err.h"
#include "dispatch/queue.h"
#include "dispatch/sender.h"
#include "message/message.h"
#include "setup.h"

struct segb_client_s {
  segb_config_t *conf;
  segb_delivery_cb *delivery_cb;
  void *opaque;
  sbi_transport *transport;
  sbi_auth *auth;
  sbi_sender sender;
  sbi_queue queue;
  size_t max_queued_events, max_queued_bytes;
  size_t max_message_bytes; /* message.max_bytes */
  /* The thread inside a public call (its thread_tag's address), 0 for
   * none: a 0.1 client serves one thread at a time, and this catches the
   * others instead of letting them corrupt the queue. */
  atomic_uintptr_t owner;
  int closing; /* close has begun: enqueue is refused */
  /* The counters of segb_client_stats() the sender does not keep. A
   * refusal may come from a thread the guard turned away, hence atomic. */
  int64_t enqueued, delivered, dropped;
  atomic_int_least64_t refused;
};

/* The guard a public call takes. The same thread finding itself the owner
 * means the call came from the delivery callback (the only way the
 * library calls out while it holds the client). */
typedef enum guard { GUARD_TAKEN, GUARD_NESTED } guard;

/* One per thread; its address tells threads apart. */
static _Thread_local char thread_tag;

/* Take @c for the calling thread, for the call @what; NULL is
 * SEGB_ERR_INVALID_ARG. Another thread inside the client is
 * SEGB_ERR_CONCURRENT_USE; the calling thread itself (from the callback) is
 * GUARD_NESTED, which only the calls that are safe there (@nested_ok) accept,
 * the others get SEGB_ERR_IN_CALLBACK. */
static int enter(segb_client_t *c, const char *what, int nested_ok, guard *g) {
  uintptr_t me = (uintptr_t)&thread_tag, seen = 0;

  *g = GUARD_NESTED;
  if (c == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "client is NULL");
  if (atomic_compare_exchange_strong_explicit(
          &c->owner, &seen, me, memory_order_acquire, memory_order_relaxed)) {
    *g = GUARD_TAKEN;
    return SEGB_OK;
  }
  if (seen != me)
    return sbi_error(SEGB_ERR_CONCURRENT_USE,
                     "%s: the client is in use by another thread; a client "
                     "serves one thread at a time",
                     what);
  if (!nested_ok)
    return sbi_error(SEGB_ERR_IN_CALLBACK,
                     "%s called from the client's delivery callback; call it "
                     "after the callback has returned",
                     what);
  return SEGB_OK;
}

static void leave(segb_client_t *c, guard g) {
  if (g == GUARD_TAKEN)
    atomic_store_explicit(&c->owner, 0, memory_order_release);
}

struct segb_report_s {
  const segb_message_t *msg;
  int err;
  const char *errstr;
};

static void report(void *ctx, segb_message_t *msg, int err,
                   const char *errstr) {
  segb_client_t *c = ctx;
  segb_report_t r = {msg, err, errstr};

  /* counted before the callback, so that its snapshot adds up */
  if (err == SEGB_OK)
    c->delivered++;
  else
    c->dropped++;
  if (c->delivery_cb != NULL)
    c->delivery_cb(c, &r, c->opaque);
  segb_message_destroy(msg);
}

/* Free what segb_client_new built; the config goes back to the caller
 * unless @conf_too. */
static void teardown(segb_client_t *c, int conf_too) {
  sbi_sender_free(&c->sender);
  if (c->auth != NULL)
    c->auth->destroy(c->auth);
  if (c->transport != NULL)
    c->transport->destroy(c->transport);
  if (conf_too)
    segb_config_destroy(c->conf);
  free(c);
  sbi_global_cleanup();
}

/* The transport from http.* unless one was handed in (tests), the Tracking
 * API's credentials (token requests share a handed-in transport), then the
 * sender. */
static int build(void *obj, segb_config_t *conf, sbi_transport *transport) {
  segb_client_t *c = obj;
  sbi_sender *s = &c->sender;

  atomic_init(&c->owner, 0);
  atomic_init(&c->refused, 0);
  c->conf = conf;
  c->transport = transport;
  c->delivery_cb = sbi_conf_delivery_cb(conf);
  c->opaque = sbi_conf_opaque(conf);
  c->max_queued_events = (size_t)sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_EVENTS);
  c->max_queued_bytes = (size_t)sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_BYTES);
  c->max_message_bytes = (size_t)sbi_conf_int(conf, SBI_PROP_MESSAGE_MAX_BYTES);
  if (c->transport == NULL &&
      (c->transport = sbi_setup_transport(conf, SBI_API_TRACKING)) == NULL)
    return segb_last_error();
  c->auth = sbi_setup_tracking_auth(conf, transport);
  if (c->auth == NULL)
    return segb_last_error();
  s->transport = c->transport;
  s->auth = c->auth;
  s->outcome = report;
  s->outcome_ctx = c;
  return sbi_setup_sender(conf, s);
}

static void abandon(void *c) { teardown(c, 0); }

segb_client_t *segb_client_new(segb_config_t *conf, char *errstr,
                               size_t errstr_size) {
  return sbi_client_new(conf, NULL, errstr, errstr_size);
}

segb_client_t *sbi_client_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size) {
  return sbi_setup_new(conf, transport, sizeof(segb_client_t), "client", build,
                       abandon, errstr, errstr_size);
}

/* Queue the sealed @msg. From the callback this is safe: the sender pops a
 * batch from the head of the queue and a new message goes to its tail. */
static int enqueue(segb_client_t *c, segb_message_t *msg) {
  if (c->closing)
    return sbi_error(SEGB_ERR_CLOSED,
                     "the client is closing: message %s not queued",
                     msg->message_id);
  if (c->queue.count >= c->max_queued_events ||
      c->queue.bytes + msg->json.len > c->max_queued_bytes)
    return sbi_error(SEGB_ERR_QUEUE_FULL,
                     "queue holds %zu messages and %zu bytes, its limits "
                     "(queue.max_events, queue.max_bytes): flush first",
                     c->queue.count, c->queue.bytes);
  sbi_queue_push(&c->queue, msg);
  c->enqueued++;
  return SEGB_OK;
}

void sbi_client_refused(segb_client_t *c) {
  atomic_fetch_add_explicit(&c->refused, 1, memory_order_relaxed);
}

int segb_client_enqueue(segb_client_t *c, segb_message_t *msg) {
  guard g;
  int rc;

  if (c == NULL || msg == NULL) {
    if (c != NULL)
      sbi_client_refused(c);
    segb_message_destroy(msg);
    return sbi_error(SEGB_ERR_INVALID_ARG, "%s is NULL",
                     c == NULL ? "client" : "message");
  }
  /* Sealing needs only the message and a limit set when the client was
   * made: it is done before taking the client. */
  rc = sbi_message_seal(msg, c->max_message_bytes);
  if (rc == SEGB_OK)
    rc = enter(c, "segb_client_enqueue", 1, &g);
  if (rc == SEGB_OK) {
    rc = enqueue(c, msg);
    leave(c, g);
  }
  if (rc != SEGB_OK) {
    sbi_client_refused(c);
    segb_message_destroy(msg);
  }
  return rc;
}

static int64_t deadline_after(int timeout_ms) {
  return timeout_ms < 0 ? -1 : sbi_clock_mono_ms() + timeout_ms;
}

static int flush(segb_client_t *c, int timeout_ms) {
  int rc = sbi_sender_drain(&c->sender, &c->queue, deadline_after(timeout_ms));

  if (rc == SEGB_ERR_TIMED_OUT) {
    int64_t wait = c->sender.not_before_ms - sbi_clock_mono_ms();

    if (wait > 0)
      return sbi_error(rc,
                       "flush timed out after %d ms with %zu messages "
                       "still queued: the server asked (Retry-After) "
                       "for no request in the next %" PRId64 " ms",
                       timeout_ms, c->queue.count, wait);
    return sbi_error(rc,
                     "flush timed out after %d ms with %zu messages "
                     "still queued",
                     timeout_ms, c->queue.count);
  }
  return rc;
}

int segb_client_flush(segb_client_t *c, int timeout_ms) {
  guard g;
  int rc;

  rc = enter(c, "segb_client_flush", 0, &g);
  if (rc != SEGB_OK)
    return rc;
  rc = flush(c, timeout_ms);
  leave(c, g);
  return rc;
}

/* Report the first @n queued messages as dropped with @err. */
static void drop_queued(segb_client_t *c, size_t n, int err, const char *why) {
  while (n-- > 0)
    report(c, sbi_queue_pop(&c->queue), err, why);
}

/* Refused from the callback: a flush running below it sends from the
 * queue's head, which a purge would free. Only what is queued at the call
 * goes, so a callback that enqueues on each report cannot keep it going. */
int segb_client_purge(segb_client_t *c) {
  size_t n;
  guard g;
  int rc;

  rc = enter(c, "segb_client_purge", 0, &g);
  if (rc != SEGB_OK)
    return rc;
  n = c->queue.count; /* at most queue.max_events, an int */
  drop_queued(c, n, SEGB_ERR_PURGED, "purged by segb_client_purge()");
  leave(c, g);
  return (int)n;
}

/* The guard is never given back: the client is gone when close returns. */
int segb_client_close(segb_client_t *c, int timeout_ms) {
  char why[SBI_ERR_DETAIL_MAX];
  size_t left;
  guard g;
  int rc;

  if (c == NULL)
    return SEGB_OK;
  rc = enter(c, "segb_client_close", 0, &g);
  if (rc != SEGB_OK)
    return rc;
  c->closing = 1;
  rc = flush(c, timeout_ms);
  left = c->queue.count;
  snprintf(why, sizeof why, "not delivered before the client closed%s%.400s",
           c->sender.last_failure[0] ? "; last failure: " : "",
           c->sender.last_failure);
  drop_queued(c, left, SEGB_ERR_CLOSED, why);
  teardown(c, 1);
  if (left > 0)
    return sbi_error(SEGB_ERR_TIMED_OUT,
                     "close: %zu messages could not be delivered in %d ms",
                     left, timeout_ms);
  return rc;
}

size_t segb_client_outq_len(const segb_client_t *c) {
  /* Only the guard writes, to the owner flag; the client is a heap object
   * the caller merely sees as const. */
  segb_client_t *w = (segb_client_t *)(uintptr_t)c;
  size_t n;
  guard g;

  if (c == NULL || enter(w, "segb_client_outq_len", 1, &g) != SEGB_OK)
    return 0;
  n = c->queue.count;
  leave(w, g);
  return n;
}

/* Every counter, read under the guard. The batch in flight is still at the
 * queue's head; nothing is filtered before event_types exists. */
static void snapshot(const segb_client_t *c, int64_t *all) {
  const sbi_sender *s = &c->sender;

  all[SEGB_STAT_ENQUEUED] = c->enqueued;
  all[SEGB_STAT_DELIVERED] = c->delivered;
  all[SEGB_STAT_DROPPED] = c->dropped;
  all[SEGB_STAT_QUEUED] = (int64_t)(c->queue.count - s->in_flight);
  all[SEGB_STAT_IN_FLIGHT] = (int64_t)s->in_flight;
  all[SEGB_STAT_QUEUED_BYTES] = (int64_t)c->queue.bytes;
  all[SEGB_STAT_REFUSED] =
      atomic_load_explicit(&c->refused, memory_order_relaxed);
  all[SEGB_STAT_FILTERED] = 0;
  all[SEGB_STAT_RETRIES] = s->retries;
  all[SEGB_STAT_REQUESTS] = s->requests;
  all[SEGB_STAT_LAST_STATUS] = s->last_status;
}

int segb_client_stats(const segb_client_t *c, int64_t *values, size_t count) {
  segb_client_t *w = (segb_client_t *)(uintptr_t)c; /* as in outq_len */
  int64_t all[SEGB_STAT__COUNT];
  guard g;
  int rc;

  if (count == 0)
    return SEGB_STAT__COUNT;
  if (values == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "values is NULL");
  rc = enter(w, "segb_client_stats", 1, &g);
  if (rc != SEGB_OK)
    return rc;
  snapshot(c, all);
  leave(w, g);
  if (count > SEGB_STAT__COUNT)
    count = SEGB_STAT__COUNT;
  memcpy(values, all, count * sizeof *values);
  return (int)count;
}

void *segb_client_opaque(const segb_client_t *c) {
  return c != NULL ? c->opaque : NULL;
}

int segb_report_err(const segb_report_t *r) {
  return r != NULL ? r->err : SEGB_ERR_INVALID_ARG;
}

const char *segb_report_errstr(const segb_report_t *r) {
  return r != NULL ? r->errstr : "";
}

const char *segb_report_message_id(const segb_report_t *r) {
  return r != NULL ? r->msg->message_id : NULL;
}

int segb_report_http_status(const segb_report_t *r) {
  return r != NULL ? r->msg->http_status : 0;
}

int segb_report_attempts(const segb_report_t *r) {
  return r != NULL ? r->msg->attempts : 0;
}
