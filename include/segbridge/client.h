/**
 * @file
 * libsegbridge - the Tracking API client.
 *
 * A client takes sealed messages, queues them, and sends them to Segment in
 * /v1/batch requests, retrying what can be retried. Every message the client
 * accepts ends in exactly one delivery report: delivered, or dropped with a
 * reason. docs/DELIVERY.md says what is retried, how Retry-After and the
 * caller's deadline bound each wait, and which code each fate reports.
 *
 *     char err[SEGB_ERRSTR_SIZE];
 *     segb_config_t *conf = segb_config_new();
 *     segb_config_set(conf, "write_key", key, err, sizeof err);
 *     segb_client_t *c = segb_client_new(conf, err, sizeof err);
 *     segb_track(c, "u-42", NULL, "Signed Up", "{\"plan\":\"pro\"}");
 *     segb_client_close(c, 5000);
 *
 * Threading: with dispatch.mode=thread (the default) each client has a
 * dispatcher thread of its own, "segb-dispatch", that batches, sends,
 * retries and reports in the background; enqueue only queues. With
 * dispatch.mode=inline there is no thread: nothing is sent until
 * segb_client_flush(), segb_client_poll() or segb_client_close() sends on
 * the caller's thread. In both modes every client function may be called
 * from any number of threads at once. Enqueue and the convenience calls
 * racing segb_client_close() are refused with SEGB_ERR_CLOSED, so that
 * producers learn to stop; but close is the last call: a call still running
 * when close returns, or made after, is a use after free. The delivery and
 * statistics callbacks never run with a library lock held. docs/DISPATCH.md
 * describes the dispatcher; docs/FORK.md what a client does across fork().
 *
 * Ownership: segb_client_new() takes the config only when it succeeds;
 * segb_client_enqueue() always takes the message, also when it refuses it;
 * segb_client_close() frees the client. Strings passed to the convenience
 * calls are copied. Reports are borrowed for the callback's duration; text
 * handed out as char * (segb_oauth_fetch_token(), segb_spool_status()) is
 * the caller's, freed with segb_free(). docs/FFI.md has the whole table.
 *
 * Errors: SEGB_OK or a negative segb_err_t, with the detail for the calling
 * thread in segb_last_error_message(); an event refused by enqueue gets no
 * report, an accepted one exactly one.
 */
#ifndef SEGBRIDGE_CLIENT_H
#define SEGBRIDGE_CLIENT_H

#include <segbridge/export.h>
#include <segbridge/config.h>
#include <segbridge/message.h>

#include <stddef.h>
#include <stdint.h>

/** A Tracking API client: segb_client_new(), freed by segb_client_close(). */
typedef struct segb_client_s segb_client_t;
/** One message's delivery report, borrowed for the delivery callback. */
typedef struct segb_report_s segb_report_t;

/** The client's counters, in the order segb_client_stats() fills them.
 *  Append-only: a value keeps its number and meaning, new counters come
 *  before SEGB_STAT__COUNT, which grows with them. At every snapshot,
 *  ENQUEUED == DELIVERED + DROPPED + QUEUED + IN_FLIGHT. @since 0.2 */
typedef enum segb_stat_t {
  SEGB_STAT_ENQUEUED,  /**< messages accepted by enqueue */
  SEGB_STAT_DELIVERED, /**< reported delivered */
  SEGB_STAT_DROPPED,   /**< reported dropped, with any error */
  SEGB_STAT_QUEUED,    /**< accepted, waiting for a batch */
  /** Accepted, in a batch under way and not yet reported: in a request,
   *  or waiting for its retry. An inline client's batches move only inside
   *  flush, poll and close; one whose time ran out stays in flight until
   *  the next of them. In poll mode a message leaves it when its fate is
   *  known, before its report waits for segb_client_poll(). */
  SEGB_STAT_IN_FLIGHT,
  /** Serialized bytes of the messages queued and in flight: what
   *  queue.max_bytes bounds. */
  SEGB_STAT_QUEUED_BYTES,
  /** Enqueue and convenience calls refused (invalid message,
   *  SEGB_ERR_DIRECTION, queue full, closing); no report follows them. */
  SEGB_STAT_REFUSED,
  /** Enqueue and convenience calls refused with SEGB_ERR_FILTERED: their
   *  type is not among event_types. Counted here, not in REFUSED; no report
   *  follows them. */
  SEGB_STAT_FILTERED,
  SEGB_STAT_RETRIES,     /**< requests that resent a batch */
  SEGB_STAT_REQUESTS,    /**< /v1/batch requests sent, retries included */
  SEGB_STAT_LAST_STATUS, /**< last HTTP status answered, 0 before any */
  /** Of ENQUEUED: events an earlier client left in spool.path, queued by
   *  this one when it started. */
  SEGB_STAT_RECOVERED,
  SEGB_STAT__COUNT /**< counters this header knows; grows with releases */
} segb_stat_t;

/** Called once for every message the client accepted, when its fate is
 *  known, with no library lock held; @p report is borrowed for the
 *  duration of the call. It runs on the dispatcher thread, or for an
 *  inline client on the thread calling segb_client_flush(),
 *  segb_client_poll(), segb_client_close() or segb_client_purge(). With
 *  report.mode=poll it runs on the thread calling segb_client_poll(), and
 *  for the reports still waiting when the client closes, on the thread
 *  calling segb_client_close(). It never runs on two threads at once for
 *  one client.
 *
 *  Inside the callback, segb_client_enqueue() and the convenience calls
 *  work: the message joins the end of the queue (with queue.overflow=block
 *  it does not wait for room), or, once segb_client_close() has begun, is
 *  refused with SEGB_ERR_CLOSED. segb_client_outq_len(),
 *  segb_client_stats() and segb_client_opaque() work too.
 *  segb_client_flush(), segb_client_close(), segb_client_purge() and
 *  segb_client_poll() on the same client fail with SEGB_ERR_IN_CALLBACK and
 *  change nothing: they would wait for the report being made. A flush
 *  waits only for what was enqueued before it, so a callback that enqueues
 *  on every report does not keep a flush going. */
typedef void segb_delivery_cb(segb_client_t *client,
                              const segb_report_t *report, void *opaque);

/** Receives the client's counters every statistics.interval_ms, as one
 *  JSON object {"enqueued":N,...} keyed by segb_stat_name(), @p len bytes,
 *  NUL-terminated, borrowed for the call. Called on the dispatcher thread
 *  with no library lock held; what the delivery callback may call, it may
 *  call. An inline client has no thread: it calls it from the rounds flush,
 *  poll and close run while they have work, at most once an interval (the
 *  first round starts the clock), and never while idle. @since 0.2 */
typedef void segb_stats_cb(segb_client_t *client, const char *json, size_t len,
                           void *opaque);

SEGB_BEGIN_DECLS

/** Set the statistics callback on @p conf (NULL removes it); it runs only
 *  while statistics.interval_ms is not 0. @since 0.2 */
SEGB_API void segb_config_set_stats_cb(segb_config_t *conf, segb_stats_cb *cb);

/** Global setup of the libraries the client uses (libcurl). Reference
 *  counted and thread-safe; segb_client_new() calls it implicitly, so
 *  calling it is only needed to do the work early. Returns the new count,
 *  or SEGB_ERR_NOMEM or SEGB_ERR_SYSTEM when libcurl cannot be set up.
 *  @since 0.1 */
SEGB_API int segb_global_init(void);

/** Undo one segb_global_init(); thread-safe. Returns the remaining count.
 *  @since 0.1 */
SEGB_API int segb_global_cleanup(void);

/** Set the delivery report callback on @p conf. NULL removes it. The
 *  function must stay callable until segb_client_close() of every client
 *  made from @p conf returns: close makes the last reports. @since 0.1 */
SEGB_API void segb_config_set_delivery_cb(segb_config_t *conf,
                                          segb_delivery_cb *cb);

/** Set the opaque pointer passed to callbacks. Kept, never freed: what it
 *  points at must outlive every client made from @p conf. @since 0.1 */
SEGB_API void segb_config_set_opaque(segb_config_t *conf, void *opaque);

/** New client. Takes ownership of @p conf only when it returns non-NULL; on
 *  failure the caller keeps @p conf and @p errstr says why (which setting,
 *  which host); segb_last_error() has the code: SEGB_ERR_INVALID_ARG,
 *  SEGB_ERR_INVALID_VALUE (a contradictory setting, an endpoint of the
 *  other region), SEGB_ERR_NO_CREDENTIALS, the key errors
 *  (SEGB_ERR_KEY_UNREADABLE, ...), SEGB_ERR_SPOOL_LOCKED, SEGB_ERR_SPOOL_IO,
 *  SEGB_ERR_NOMEM, SEGB_ERR_SYSTEM. Thread-safe; with
 *  dispatch.mode=thread it starts the client's dispatcher thread.
 *  @since 0.1 */
SEGB_API segb_client_t *segb_client_new(segb_config_t *conf, char *errstr,
                                        size_t errstr_size);

/** Queue @p msg for sending; seals it first if needed. Always takes
 *  ownership of @p msg: on error it is destroyed and no report follows.
 *  It does no I/O, and waits only with queue.overflow=block, for at most
 *  queue.block_timeout_ms.
 *  @returns SEGB_OK; SEGB_ERR_INVALID_ARG; SEGB_ERR_DIRECTION when the
 *  client's direction is receive; SEGB_ERR_FILTERED when the message's
 *  type is not among event_types; the seal's error for an invalid message;
 *  SEGB_ERR_QUEUE_FULL when the queue is full (queue.max_events,
 *  queue.max_bytes, in flight included) and queue.overflow is drop_newest,
 *  or block and no room came in time, or drop_oldest and nothing queued is
 *  left to drop (every message held is in flight); SEGB_ERR_CLOSED once
 *  segb_client_close() has begun. @since 0.1 */
SEGB_API int segb_client_enqueue(segb_client_t *client, segb_message_t *msg);

/** Send everything enqueued before the call without waiting for
 *  batch.linger_ms, and wait until each of those messages is reported
 *  (retries included), for at most @p timeout_ms (-1: no limit). What is
 *  enqueued during the flush is not waited for. In thread mode the
 *  dispatcher sends and flush only waits; an inline client sends on the
 *  calling thread. With report.mode=poll flush waits until the reports wait
 *  for segb_client_poll(), and serves none. Any number of threads may flush
 *  at once. The client stays usable.
 *  @returns SEGB_OK when every message enqueued before the call was
 *  delivered or dropped (see the reports); SEGB_ERR_TIMED_OUT when time ran
 *  out first (what is left stays queued or in flight; in thread mode the
 *  dispatcher goes on with it); SEGB_ERR_INVALID_ARG for NULL;
 *  SEGB_ERR_IN_CALLBACK from a callback. @since 0.1 */
SEGB_API int segb_client_flush(segb_client_t *client, int timeout_ms);

/** Close and free the client: refuse new messages (SEGB_ERR_CLOSED), flush
 *  everything held for at most @p timeout_ms (-1: no limit), then abort the
 *  requests still in flight and report every message not delivered as
 *  dropped with SEGB_ERR_CLOSED; the dispatcher thread is stopped and
 *  joined. Close is bounded by @p timeout_ms even against a dead or silent
 *  server; an OAuth token request the dispatcher thread has under way is
 *  interrupted too (libcurl notices within about a second). Accepts NULL.
 *  It must be the last call on the client (see Threading above).
 *  @returns SEGB_OK when nothing was left undelivered; SEGB_ERR_TIMED_OUT
 *  when some messages were reported SEGB_ERR_CLOSED. From a callback it
 *  fails with SEGB_ERR_IN_CALLBACK and the client is left as it was, still
 *  to be closed. @since 0.1 */
SEGB_API int segb_client_close(segb_client_t *client, int timeout_ms);

/** Messages held and not yet reported: queued and in flight
 *  (SEGB_STAT_QUEUED + SEGB_STAT_IN_FLIGHT; in poll mode a report waiting
 *  for segb_client_poll() no longer counts). 0 for NULL. @since 0.1 */
SEGB_API size_t segb_client_outq_len(const segb_client_t *client);

/** Drop every message queued now, reporting each as dropped with
 *  SEGB_ERR_PURGED; the client stays usable. Only the queue is dropped:
 *  batches in flight or waiting for a retry go on to their own fate.
 *  Messages enqueued meanwhile (by the callback too) stay queued. An
 *  inline client reports on the calling thread before purge returns.
 *  @returns how many were dropped; SEGB_ERR_INVALID_ARG for NULL;
 *  SEGB_ERR_IN_CALLBACK from a callback. @since 0.2 */
SEGB_API int segb_client_purge(segb_client_t *client);

/** One consistent snapshot of the counters: fills @p values[0 .. @p count)
 *  in segb_stat_t order. ENQUEUED, DELIVERED, DROPPED, QUEUED, IN_FLIGHT
 *  and QUEUED_BYTES are read together, so the invariant holds in every
 *  snapshot; REFUSED and FILTERED count the calls turned away, which are
 *  never ENQUEUED. A @p count larger than this library knows fills only the
 *  known ones. Works from any thread and from the callbacks.
 *  @returns how many values were filled; with @p count 0 (@p values may be
 *  NULL, and @p client too), nothing is filled and the number of counters
 *  this library knows is returned, so a binding can size its array;
 *  SEGB_ERR_INVALID_ARG for a NULL @p client or @p values otherwise.
 *  @since 0.2 */
SEGB_API int segb_client_stats(const segb_client_t *client, int64_t *values,
                               size_t count);

/** Stable lowercase name of a counter ("enqueued", "queued_bytes", ...),
 *  static storage; NULL for a value that is no segb_stat_t of this
 *  library. @since 0.2 */
SEGB_API const char *segb_stat_name(int stat);

/** Serve waiting delivery reports on the calling thread: with
 *  report.mode=poll, each waiting report goes to the delivery callback
 *  here. Waits up to @p timeout_ms (0: not at all, -1: no limit) for a
 *  first report when none waits. An inline client also sends here what
 *  the batch triggers make due (unlike flush, it waits for
 *  batch.linger_ms) and collects answers, for up to @p timeout_ms; in
 *  callback mode until nothing is held. In callback mode a thread-mode
 *  client has nothing to serve and returns 0 at once.
 *  @returns the number of reports served; SEGB_ERR_INVALID_ARG for NULL;
 *  SEGB_ERR_IN_CALLBACK from a callback. @since 0.2 */
SEGB_API int segb_client_poll(segb_client_t *client, int timeout_ms);

/** A file descriptor that is readable while reports wait for
 *  segb_client_poll() (report.mode=poll), for an event loop; only read
 *  readiness is meaningful and the client owns it (never read, write or
 *  close it). -1 when not in poll mode, and for NULL. @since 0.2 */
SEGB_API int segb_client_report_fd(const segb_client_t *client);

/** The opaque pointer set on the config; NULL for NULL. Any thread, and
 *  inside the callbacks. @since 0.1 */
SEGB_API void *segb_client_opaque(const segb_client_t *client);

/* Convenience calls: build, seal and enqueue one message. NULL leaves an
 * optional field out; *_json arguments are NUL-terminated JSON object text.
 * At least one of user_id and anonymous_id is needed. The strings are
 * copied. Each returns what segb_client_enqueue() returns, or the error of
 * the field that is wrong (SEGB_ERR_INVALID_JSON, SEGB_ERR_JSON_TYPE,
 * SEGB_ERR_MISSING_FIELD, SEGB_ERR_INVALID_UTF8, ...; see
 * segb_message_set_json()), with nothing queued and no report. */

/** Identify a user, with @p traits_json (or NULL); returns as the other
 *  convenience calls. @since 0.1 */
SEGB_API int segb_identify(segb_client_t *client, const char *user_id,
                           const char *anonymous_id, const char *traits_json);
/** Track @p event (required), with @p properties_json (or NULL).
 *  @since 0.1 */
SEGB_API int segb_track(segb_client_t *client, const char *user_id,
                        const char *anonymous_id, const char *event,
                        const char *properties_json);
/** A page view named @p name (or NULL), with @p properties_json (or NULL).
 *  @since 0.1 */
SEGB_API int segb_page(segb_client_t *client, const char *user_id,
                       const char *anonymous_id, const char *name,
                       const char *properties_json);
/** A screen view named @p name (or NULL), with @p properties_json (or
 *  NULL). @since 0.1 */
SEGB_API int segb_screen(segb_client_t *client, const char *user_id,
                         const char *anonymous_id, const char *name,
                         const char *properties_json);
/** Put the user in group @p group_id (required), with @p traits_json (or
 *  NULL). @since 0.1 */
SEGB_API int segb_group(segb_client_t *client, const char *user_id,
                        const char *anonymous_id, const char *group_id,
                        const char *traits_json);
/** Merge @p previous_id (required) into @p user_id (required).
 *  @since 0.1 */
SEGB_API int segb_alias(segb_client_t *client, const char *user_id,
                        const char *previous_id);

/* Delivery reports: borrowed, read inside the callback on the thread it
 * runs on; copy what is needed later. Each accessor accepts NULL and then
 * returns the value it names below. */

/** SEGB_OK when delivered, else why it was dropped; SEGB_ERR_INVALID_ARG
 *  for NULL. @since 0.1 */
SEGB_API int segb_report_err(const segb_report_t *report);
/** Detail of a drop (host, status, advice); "" when delivered and for
 *  NULL. @since 0.1 */
SEGB_API const char *segb_report_errstr(const segb_report_t *report);
/** The message's messageId; NULL for NULL. @since 0.1 */
SEGB_API const char *segb_report_message_id(const segb_report_t *report);
/** Last HTTP status seen for the message, 0 if none and for NULL.
 *  @since 0.1 */
SEGB_API int segb_report_http_status(const segb_report_t *report);
/** Requests made for the message; 0 for NULL. @since 0.1 */
SEGB_API int segb_report_attempts(const segb_report_t *report);

/** Make one OAuth token request with the oauth.* settings of @p conf (its
 *  region and http.* too), as a client does before it sends, and hand back
 *  the authorization server's answer: a JSON object (access_token,
 *  token_type, expires_in, scope), NUL-terminated, in *@p json, *@p len
 *  bytes (@p len may be NULL). For checking an OAuth setup: the text holds
 *  a live token, so clear it before freeing it with segb_free(). The
 *  request is bounded by http.timeout_ms; nothing is cached or retried.
 *  @returns SEGB_OK; SEGB_ERR_INVALID_ARG; SEGB_ERR_INVALID_VALUE for a
 *  missing or contradictory oauth.* setting; the key errors; the OAuth,
 *  HTTP and network errors of a send (SEGB_ERR_OAUTH_INVALID_CLIENT, ...).
 *  @since 0.2 */
SEGB_API int segb_oauth_fetch_token(const segb_config_t *conf, char **json,
                                    size_t *len);

/** What the spool directory @p dir holds, read without taking it (a live
 *  client may hold it): a JSON object, NUL-terminated, in *@p json, *@p len
 *  bytes (@p len may be NULL), freed with segb_free(). Its members:
 *  "records" and "bytes" (events kept, not yet delivered, and their
 *  serialized bytes), "file_bytes" and "segments" (the spool's files),
 *  "oldest" (the timestamp of the oldest event kept, "" when none),
 *  "damaged" and "damaged_bytes" (torn or garbage records a client would
 *  cut off), "holder_pid" (the process of the live client holding it, 0
 *  when none). No event's contents are shown.
 *  @returns SEGB_OK; SEGB_ERR_INVALID_ARG; SEGB_ERR_NOT_FOUND when @p dir
 *  holds no spool; SEGB_ERR_SPOOL_IO; SEGB_ERR_NOMEM. @since 0.2 */
SEGB_API int segb_spool_status(const char *dir, char **json, size_t *len);

SEGB_END_DECLS

#endif /* SEGBRIDGE_CLIENT_H */
