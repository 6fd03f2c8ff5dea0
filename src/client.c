/* The client facade: config -> region -> auth -> transport -> sender ->
 * dispatcher. It checks what enqueue is given and hands the rest to the
 * dispatcher, which any number of threads may call at once. */
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
#include "dispatch/dispatcher.h"
#include "dispatch/sender.h"
#include "message/message.h"
#include "setup.h"
#include "stats.h"

struct segb_client_s {
  segb_config_t *conf;
  segb_delivery_cb *delivery_cb;
  segb_stats_cb *stats_cb;
  void *opaque;
  sbi_transport *transport;
  sbi_auth *auth;
  sbi_sender sender;
  sbi_dispatch *dispatch;
  size_t max_message_bytes;  /* message.max_bytes */
  int sends;                 /* direction includes sending */
  unsigned event_types;      /* bit (type - 1) for each type sent */
  sbi_json *default_context; /* message.default_context, NULL for none */
  /* Refused and filtered calls: no report follows them, so the
   * dispatcher never counts them. */
  atomic_int_least64_t refused, filtered;
};

struct segb_report_s {
  const segb_message_t *msg;
};

static void report(void *ctx, segb_message_t *msg) {
  segb_client_t *c = ctx;
  segb_report_t r = {msg};

  if (c->delivery_cb != NULL)
    c->delivery_cb(c, &r, c->opaque);
}

static void snapshot(const segb_client_t *c, int64_t *all);

/* statistics.interval_ms came round: the counters as JSON. */
static void stats_due(void *ctx) {
  segb_client_t *c = ctx;
  int64_t all[SEGB_STAT__COUNT];
  sbi_buf json = SBI_BUF_INIT;

  snapshot(c, all);
  if (sbi_stats_json(all, &json) == SEGB_OK)
    c->stats_cb(c, json.data, json.len, c->opaque);
  sbi_buf_free(&json);
}

/* In a forked child the client starts over: its own counters too. */
static void forked(void *ctx) {
  segb_client_t *c = ctx;

  atomic_store(&c->refused, 0);
  atomic_store(&c->filtered, 0);
}

/* Free what segb_client_new built; the config goes back to the caller
 * unless @conf_too. */
static void teardown(segb_client_t *c, int conf_too) {
  sbi_sender_free(&c->sender);
  sbi_json_free(c->default_context);
  if (c->auth != NULL)
    c->auth->destroy(c->auth);
  if (c->transport != NULL)
    c->transport->destroy(c->transport);
  if (conf_too)
    segb_config_destroy(c->conf);
  free(c);
  sbi_global_cleanup();
}

/* message.default_context as a tree, NULL when empty (the config checked
 * it is an object). */
static int default_context(const segb_config_t *conf, sbi_json **out) {
  const char *text = sbi_conf_str(conf, SBI_PROP_MESSAGE_DEFAULT_CONTEXT);

  *out = NULL;
  if (text == NULL || text[0] == '\0')
    return SEGB_OK;
  if (sbi_json_parse(text, strlen(text), NULL, 0, SBI_CONF_JSON_DEPTH, out,
                     NULL, 0) != SEGB_OK)
    return sbi_error(SEGB_ERR_NOMEM,
                     "out of memory reading message.default_context");
  return SEGB_OK;
}

/* The transport from http.* unless one was handed in (tests), the Tracking
 * API's credentials (token requests share a handed-in transport), the
 * sender, then the dispatcher, whose thread starts last. */
static int build(void *obj, segb_config_t *conf, sbi_transport *transport) {
  segb_client_t *c = obj;
  sbi_sender *s = &c->sender;
  sbi_dispatch_options o;
  int rc;

  atomic_init(&c->refused, 0);
  atomic_init(&c->filtered, 0);
  c->conf = conf;
  c->transport = transport;
  c->delivery_cb = sbi_conf_delivery_cb(conf);
  c->stats_cb = sbi_conf_stats_cb(conf);
  c->opaque = sbi_conf_opaque(conf);
  c->max_message_bytes = (size_t)sbi_conf_int(conf, SBI_PROP_MESSAGE_MAX_BYTES);
  c->sends = sbi_conf_int(conf, SBI_PROP_DIRECTION) != SBI_DIRECTION_RECEIVE;
  c->event_types = (unsigned)sbi_conf_int(conf, SBI_PROP_EVENT_TYPES);
  rc = default_context(conf, &c->default_context);
  if (rc != SEGB_OK)
    return rc;
  if (c->transport == NULL &&
      (c->transport = sbi_setup_transport(conf, SBI_API_TRACKING)) == NULL)
    return segb_last_error();
  c->auth = sbi_setup_tracking_auth(conf, transport);
  if (c->auth == NULL)
    return segb_last_error();
  s->transport = c->transport;
  s->auth = c->auth;
  sbi_conf_logger(conf, &s->log);
  rc = sbi_setup_sender(conf, s);
  if (rc != SEGB_OK)
    return rc;
  sbi_setup_dispatch(conf, &o);
  c->dispatch = sbi_dispatch_new(&o, s, report,
                                 c->stats_cb != NULL ? stats_due : NULL, c);
  if (c->dispatch == NULL)
    return segb_last_error();
  sbi_dispatch_on_fork(c->dispatch, forked);
  /* the thread may call back into the client at once: c->dispatch is set */
  return sbi_dispatch_start(c->dispatch);
}

static void abandon(void *obj) {
  segb_client_t *c = obj;

  if (c->dispatch != NULL)
    sbi_dispatch_close(c->dispatch, 0);
  teardown(c, 0);
}

segb_client_t *segb_client_new(segb_config_t *conf, char *errstr,
                               size_t errstr_size) {
  return sbi_client_new(conf, NULL, errstr, errstr_size);
}

segb_client_t *sbi_client_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size) {
  return sbi_setup_new(conf, transport, sizeof(segb_client_t), "client", build,
                       abandon, errstr, errstr_size);
}

void sbi_client_refused(segb_client_t *c) {
  atomic_fetch_add_explicit(&c->refused, 1, memory_order_relaxed);
}

/* What the direction and event_types settings refuse before anything
 * else is looked at. */
static int sendable(segb_client_t *c, const segb_message_t *msg) {
  if (!c->sends) {
    sbi_client_refused(c);
    return sbi_error(SEGB_ERR_DIRECTION,
                     "the client's direction is receive: it sends nothing "
                     "(set direction=send or both)");
  }
  if (msg->type >= 1 && ((c->event_types >> (msg->type - 1)) & 1u) == 0) {
    atomic_fetch_add_explicit(&c->filtered, 1, memory_order_relaxed);
    return sbi_error(SEGB_ERR_FILTERED,
                     "%s events are not among the client's event_types",
                     segb_message_type_name(msg->type));
  }
  return SEGB_OK;
}

int segb_client_enqueue(segb_client_t *c, segb_message_t *msg) {
  int rc;

  if (c == NULL || msg == NULL) {
    if (c != NULL)
      sbi_client_refused(c);
    segb_message_destroy(msg);
    return sbi_error(SEGB_ERR_INVALID_ARG, "%s is NULL",
                     c == NULL ? "client" : "message");
  }
  rc = sendable(c, msg);
  if (rc != SEGB_OK) {
    segb_message_destroy(msg);
    return rc;
  }
  rc = c->default_context != NULL
           ? sbi_message_default_context(msg, c->default_context)
           : SEGB_OK;
  rc = rc ? rc : sbi_message_seal(msg, c->max_message_bytes);
  if (rc != SEGB_OK) {
    segb_message_destroy(msg);
  } else {
    rc = sbi_dispatch_enqueue(c->dispatch, msg);
  }
  if (rc != SEGB_OK)
    sbi_client_refused(c);
  return rc;
}

static int64_t deadline_after(int timeout_ms) {
  return timeout_ms < 0 ? -1 : sbi_clock_mono_ms() + timeout_ms;
}

/* NULL and calls from the client's own callbacks are refused: a flush
 * there would wait for the report being made. */
static int check_call(const segb_client_t *c, const char *what) {
  if (c == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "client is NULL");
  if (sbi_dispatch_in_callback(c->dispatch))
    return sbi_error(SEGB_ERR_IN_CALLBACK,
                     "%s called from the client's delivery callback (or "
                     "its statistics callback); call it after the callback "
                     "has returned",
                     what);
  return SEGB_OK;
}

int segb_client_flush(segb_client_t *c, int timeout_ms) {
  int rc = check_call(c, "segb_client_flush");

  if (rc != SEGB_OK)
    return rc;
  rc = sbi_dispatch_flush(c->dispatch, deadline_after(timeout_ms));
  if (rc == SEGB_ERR_TIMED_OUT) {
    int64_t wait = c->sender.not_before_ms - sbi_clock_mono_ms();
    sbi_dispatch_counts n;

    sbi_dispatch_counts_get(c->dispatch, &n);
    return sbi_error(rc,
                     "flush timed out after %d ms with %" PRId64
                     " messages queued and %" PRId64 " in flight%s",
                     timeout_ms, n.queued, n.in_flight,
                     wait > 0 ? "; the server asked (Retry-After) for a "
                                "pause in requests"
                              : "");
  }
  return rc;
}

int segb_client_poll(segb_client_t *c, int timeout_ms) {
  int rc = check_call(c, "segb_client_poll");

  if (rc != SEGB_OK)
    return rc;
  return sbi_dispatch_poll(c->dispatch, deadline_after(timeout_ms));
}

int segb_client_report_fd(const segb_client_t *c) {
  return c != NULL ? sbi_dispatch_report_fd(c->dispatch) : -1;
}

int segb_client_purge(segb_client_t *c) {
  int rc = check_call(c, "segb_client_purge");

  return rc != SEGB_OK ? rc : sbi_dispatch_purge(c->dispatch);
}

/* Calls racing the close are refused with SEGB_ERR_CLOSED until the
 * dispatcher is gone; a call after close returned is a use after free. */
int segb_client_close(segb_client_t *c, int timeout_ms) {
  size_t left;
  int rc;

  if (c == NULL)
    return SEGB_OK;
  rc = check_call(c, "segb_client_close");
  if (rc != SEGB_OK)
    return rc;
  left = sbi_dispatch_close(c->dispatch, deadline_after(timeout_ms));
  teardown(c, 1);
  if (left > 0)
    return sbi_error(SEGB_ERR_TIMED_OUT,
                     "close: %zu messages could not be delivered in %d ms",
                     left, timeout_ms);
  return SEGB_OK;
}

size_t segb_client_outq_len(const segb_client_t *c) {
  sbi_dispatch_counts n;

  if (c == NULL)
    return 0;
  sbi_dispatch_counts_get(c->dispatch, &n);
  return (size_t)(n.queued + n.in_flight);
}

/* Every counter: those of the dispatcher in one snapshot, beside the
 * client's own and the sender's. */
static void snapshot(const segb_client_t *c, int64_t *all) {
  const sbi_sender *s = &c->sender;
  sbi_dispatch_counts n;

  sbi_dispatch_counts_get(c->dispatch, &n);
  all[SEGB_STAT_ENQUEUED] = n.enqueued;
  all[SEGB_STAT_DELIVERED] = n.delivered;
  all[SEGB_STAT_DROPPED] = n.dropped;
  all[SEGB_STAT_QUEUED] = n.queued;
  all[SEGB_STAT_IN_FLIGHT] = n.in_flight;
  all[SEGB_STAT_QUEUED_BYTES] = n.held_bytes;
  all[SEGB_STAT_REFUSED] =
      atomic_load_explicit(&c->refused, memory_order_relaxed);
  all[SEGB_STAT_FILTERED] =
      atomic_load_explicit(&c->filtered, memory_order_relaxed);
  all[SEGB_STAT_RECOVERED] = n.recovered;
  all[SEGB_STAT_RETRIES] =
      atomic_load_explicit(&s->retries, memory_order_relaxed);
  all[SEGB_STAT_REQUESTS] =
      atomic_load_explicit(&s->requests, memory_order_relaxed);
  all[SEGB_STAT_LAST_STATUS] =
      atomic_load_explicit(&s->last_status, memory_order_relaxed);
}

int segb_client_stats(const segb_client_t *c, int64_t *values, size_t count) {
  int64_t all[SEGB_STAT__COUNT];

  if (count == 0)
    return SEGB_STAT__COUNT;
  if (c == NULL || values == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "%s is NULL",
                     c == NULL ? "client" : "values");
  snapshot(c, all);
  if (count > SEGB_STAT__COUNT)
    count = SEGB_STAT__COUNT;
  memcpy(values, all, count * sizeof *values);
  return (int)count;
}

void *segb_client_opaque(const segb_client_t *c) {
  return c != NULL ? c->opaque : NULL;
}

int segb_report_err(const segb_report_t *r) {
  return r != NULL ? r->msg->err : SEGB_ERR_INVALID_ARG;
}

const char *segb_report_errstr(const segb_report_t *r) {
  return r != NULL && r->msg->errstr != NULL ? r->msg->errstr : "";
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
