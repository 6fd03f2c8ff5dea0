/*
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
 * Threading: in this release every client runs inline (dispatch.mode
 * takes no other value yet): nothing happens in the background, and
 * segb_client_flush() and segb_client_close() send on the caller's thread.
 * A client may be used by one thread at a time. A call made while another
 * thread is inside a call on the same client is refused with
 * SEGB_ERR_CONCURRENT_USE (nothing changes; the call may be made again
 * later), so concurrent use fails instead of corrupting the queue. The
 * check cannot catch a call on a client that another thread has closed.
 */
#ifndef SEGBRIDGE_CLIENT_H
#define SEGBRIDGE_CLIENT_H

#include <segbridge/export.h>
#include <segbridge/config.h>
#include <segbridge/message.h>

#include <stddef.h>
#include <stdint.h>

typedef struct segb_client_s segb_client_t;
typedef struct segb_report_s segb_report_t;

/** The client's counters, in the order segb_client_stats() fills them.
 *  Append-only: a value keeps its number and meaning, new counters come
 *  before SEGB_STAT__COUNT, which grows with them. At every snapshot,
 *  ENQUEUED == DELIVERED + DROPPED + QUEUED + IN_FLIGHT. @since 0.2 */
typedef enum segb_stat_t {
  SEGB_STAT_ENQUEUED,  /**< messages accepted by enqueue */
  SEGB_STAT_DELIVERED, /**< reported delivered */
  SEGB_STAT_DROPPED,   /**< reported dropped, with any error */
  SEGB_STAT_QUEUED,    /**< accepted, waiting for a request */
  /** Accepted, in the request being sent and not yet reported. An inline
   *  client has them only while a flush or close sends a batch (in its
   *  delivery callback, the rest of that batch); 0 otherwise. */
  SEGB_STAT_IN_FLIGHT,
  /** Serialized bytes of the messages queued and in flight: what
   *  queue.max_bytes bounds. */
  SEGB_STAT_QUEUED_BYTES,
  /** Enqueue and convenience calls refused (invalid message, queue full,
   *  closing, in use by another thread); no report follows them. */
  SEGB_STAT_REFUSED,
  /** Refused for their type by event_types; 0 until that setting exists. */
  SEGB_STAT_FILTERED,
  SEGB_STAT_RETRIES,     /**< requests that resent a batch */
  SEGB_STAT_REQUESTS,    /**< /v1/batch requests sent, retries included */
  SEGB_STAT_LAST_STATUS, /**< last HTTP status answered, 0 before any */
  SEGB_STAT__COUNT       /**< counters this header knows; grows with releases */
} segb_stat_t;

/** Called once for every message the client accepted, when its fate is
 *  known, on the thread that called segb_client_flush() or
 *  segb_client_close(). @p report is borrowed for the duration of the call.
 *
 *  Inside the callback, segb_client_flush() and segb_client_close() on the
 *  same client fail with SEGB_ERR_IN_CALLBACK and change nothing.
 *  segb_client_enqueue() and the convenience calls work: the message joins
 *  the end of the queue and is sent by the flush that is running (so a
 *  callback that enqueues on every report keeps a flush without a timeout
 *  going), or, during segb_client_close(), is refused with SEGB_ERR_CLOSED.
 *  segb_client_outq_len(), segb_client_stats() and segb_client_opaque()
 *  work too; segb_client_purge() fails with SEGB_ERR_IN_CALLBACK. */
typedef void segb_delivery_cb(segb_client_t *client,
                              const segb_report_t *report, void *opaque);

/** Receives the client's counters every statistics.interval_ms, as one
 *  JSON object {"enqueued":N,...} keyed by segb_stat_name(), @p len bytes,
 *  NUL-terminated, borrowed for the call. Called on the dispatcher thread
 *  (for an inline client, from flush and poll), with no library lock held.
 *  @since 0.2 */
typedef void segb_stats_cb(segb_client_t *client, const char *json, size_t len,
                           void *opaque);

SEGB_BEGIN_DECLS

/** Set the statistics callback on @p conf (NULL removes it); it runs only
 *  while statistics.interval_ms is not 0. @since 0.2 */
SEGB_API void segb_config_set_stats_cb(segb_config_t *conf, segb_stats_cb *cb);

/** Global setup of the libraries the client uses (libcurl). Reference
 *  counted and thread-safe; segb_client_new() calls it implicitly, so
 *  calling it is only needed to do the work early. Returns the new count,
 *  or a negative segb_err_t. @since 0.1 */
SEGB_API int segb_global_init(void);

/** Undo one segb_global_init(). Returns the remaining count. @since 0.1 */
SEGB_API int segb_global_cleanup(void);

/** Set the delivery report callback on @p conf. NULL removes it.
 *  @since 0.1 */
SEGB_API void segb_config_set_delivery_cb(segb_config_t *conf,
                                          segb_delivery_cb *cb);

/** Set the opaque pointer passed to callbacks. @since 0.1 */
SEGB_API void segb_config_set_opaque(segb_config_t *conf, void *opaque);

/** New client. Takes ownership of @p conf only when it returns non-NULL; on
 *  failure the caller keeps @p conf and @p errstr says why (which setting,
 *  which host). @since 0.1 */
SEGB_API segb_client_t *segb_client_new(segb_config_t *conf, char *errstr,
                                        size_t errstr_size);

/** Queue @p msg for sending; seals it first if needed. Always takes
 *  ownership of @p msg: on error it is destroyed and no report follows.
 *  @returns SEGB_OK; the seal's error for an invalid message;
 *  SEGB_ERR_INVALID_ARG; SEGB_ERR_QUEUE_FULL; SEGB_ERR_CLOSED from a
 *  callback during close; SEGB_ERR_CONCURRENT_USE while another thread
 *  uses the client. @since 0.1 */
SEGB_API int segb_client_enqueue(segb_client_t *client, segb_message_t *msg);

/** Send everything queued, waiting for retries, for at most @p timeout_ms
 *  (-1: no limit). The client stays usable.
 *  @returns SEGB_OK when everything queued before the call was delivered or
 *  dropped (see the reports); SEGB_ERR_TIMED_OUT when time ran out with
 *  messages still queued; SEGB_ERR_IN_CALLBACK from the delivery callback;
 *  SEGB_ERR_CONCURRENT_USE while another thread uses the client.
 *  @since 0.1 */
SEGB_API int segb_client_flush(segb_client_t *client, int timeout_ms);

/** Flush for at most @p timeout_ms, report what is left as dropped
 *  (SEGB_ERR_CLOSED), and free the client. Accepts NULL.
 *  @returns SEGB_OK when nothing was left undelivered. From the delivery
 *  callback it fails with SEGB_ERR_IN_CALLBACK, and while another thread
 *  uses the client with SEGB_ERR_CONCURRENT_USE; in both cases the client
 *  is left as it was, still to be closed. @since 0.1 */
SEGB_API int segb_client_close(segb_client_t *client, int timeout_ms);

/** Messages queued and not yet reported. 0 for NULL, and 0 with
 *  segb_last_error() set to SEGB_ERR_CONCURRENT_USE while another thread
 *  uses the client. @since 0.1 */
SEGB_API size_t segb_client_outq_len(const segb_client_t *client);

/** Drop every message queued now, reporting each as dropped with
 *  SEGB_ERR_PURGED; the client stays usable. Messages the callback
 *  enqueues during the purge stay queued.
 *  @returns how many were dropped; SEGB_ERR_INVALID_ARG for NULL;
 *  SEGB_ERR_IN_CALLBACK from the delivery callback (a flush may be
 *  sending from the queue); SEGB_ERR_CONCURRENT_USE while another thread
 *  uses the client. @since 0.2 */
SEGB_API int segb_client_purge(segb_client_t *client);

/** One consistent snapshot of the counters: fills @p values[0 .. @p count)
 *  in segb_stat_t order. A @p count larger than this library knows fills
 *  only the known ones. Works from the delivery callback.
 *  @returns how many values were filled; with @p count 0 (@p values may be
 *  NULL, and @p client too), nothing is filled and the number of counters
 *  this library knows is returned, so a binding can size its array;
 *  SEGB_ERR_INVALID_ARG for a NULL @p client or @p values otherwise;
 *  SEGB_ERR_CONCURRENT_USE while another thread uses the client.
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
 *  first report when none waits. An inline client also sends here, as
 *  flush does, for up to @p timeout_ms. In callback mode a thread-mode
 *  client has nothing to serve and returns 0 at once.
 *  @returns the number of reports served; SEGB_ERR_INVALID_ARG for NULL;
 *  SEGB_ERR_IN_CALLBACK from a callback. @since 0.2 */
SEGB_API int segb_client_poll(segb_client_t *client, int timeout_ms);

/** A file descriptor that is readable while reports wait for
 *  segb_client_poll() (report.mode=poll), for an event loop; only read
 *  readiness is meaningful and the client owns it (never read, write or
 *  close it). -1 when not in poll mode, and for NULL. @since 0.2 */
SEGB_API int segb_client_report_fd(const segb_client_t *client);

/** The opaque pointer set on the config. @since 0.1 */
SEGB_API void *segb_client_opaque(const segb_client_t *client);

/* Convenience calls: build, seal and enqueue one message. NULL leaves an
 * optional field out; *_json arguments are JSON object text. At least one
 * of user_id and anonymous_id is needed. */

/** @since 0.1 */
SEGB_API int segb_identify(segb_client_t *client, const char *user_id,
                           const char *anonymous_id, const char *traits_json);
/** @since 0.1 */
SEGB_API int segb_track(segb_client_t *client, const char *user_id,
                        const char *anonymous_id, const char *event,
                        const char *properties_json);
/** @since 0.1 */
SEGB_API int segb_page(segb_client_t *client, const char *user_id,
                       const char *anonymous_id, const char *name,
                       const char *properties_json);
/** @since 0.1 */
SEGB_API int segb_screen(segb_client_t *client, const char *user_id,
                         const char *anonymous_id, const char *name,
                         const char *properties_json);
/** @since 0.1 */
SEGB_API int segb_group(segb_client_t *client, const char *user_id,
                        const char *anonymous_id, const char *group_id,
                        const char *traits_json);
/** @since 0.1 */
SEGB_API int segb_alias(segb_client_t *client, const char *user_id,
                        const char *previous_id);

/* Delivery reports: borrowed, read inside the callback. Each accessor
 * accepts NULL and then returns the value it names below. */

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

SEGB_END_DECLS

#endif /* SEGBRIDGE_CLIENT_H */
