/**
 * @file
 * libsegbridge - verification and parsing of the webhooks Segment sends.
 *
 * A host server (a C web server, an nginx or libmicrohttpd handler, an FFI
 * binding) hands each inbound request to a verifier, then parses the body
 * into read-only event views. Nothing here needs a client or the network.
 *
 *     segb_webhook_t *wh = segb_webhook_new();
 *     segb_webhook_add_secret(wh, "shared-secret");
 *     ...for each request...
 *     segb_webhook_batch_t *b = NULL;
 *     int rc = segb_webhook_receive(wh, authorization, x_signature, body,
 *                                   len, &b);
 *     if (rc != SEGB_OK) answer 401, 400 or 413 (see docs/WEBHOOKS.md);
 *     for (size_t i = 0; i < segb_webhook_batch_count(b); i++)
 *       if (segb_webhook_event_err(b, i) == SEGB_OK)
 *         handle(segb_webhook_event_type(b, i), segb_webhook_event(b, i),
 *                segb_webhook_event_signed(b, i));
 *     segb_webhook_batch_destroy(b);
 *
 * (segb_webhook_verify() and segb_webhook_parse() do the two halves apart.)
 *
 * Checks (docs/WEBHOOKS.md has the details):
 * - Authorization: Basic base64("<api key>:"), when API keys are set;
 * - X-Signature: hex HMAC-SHA1 of the raw body keyed by a shared secret,
 *   when secrets are set. For a batch (a JSON array, or {"batch": [...]})
 *   Segment signs only the first event: the whole body is tried, then the
 *   bytes of the first event exactly as the parser read them. The
 *   events after the first are then not covered by the signature: anyone
 *   holding one signed event can append events of their own. See
 *   segb_webhook_event_signed(), SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED and
 *   SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT.
 * Several keys and secrets may be active at once, for rotation. Every
 * comparison takes constant time; secrets are wiped when the verifier is
 * destroyed and never appear in error messages.
 *
 * Threading: configure a verifier on one thread, then verify and parse from
 * any number of threads at once. A parsed batch or decoded settings object
 * may be read from several threads; destroy it once.
 */
#ifndef SEGBRIDGE_WEBHOOK_H
#define SEGBRIDGE_WEBHOOK_H

#include <segbridge/export.h>
#include <segbridge/json.h>

#include <stddef.h>

/* Options of a verifier, for segb_webhook_set_option(); the values are part
 * of the ABI. */
/** Largest body accepted, in bytes (default 4 MiB). @since 0.2 */
#define SEGB_WEBHOOK_OPT_MAX_BODY_BYTES 1
/** Deepest JSON nesting accepted, 1..256 (default 64). @since 0.2 */
#define SEGB_WEBHOOK_OPT_MAX_DEPTH 2
/** Most events in one body (default 4000, Segment's largest batch). The
 *  parser stops as soon as a body passes it. @since 0.2 */
#define SEGB_WEBHOOK_OPT_MAX_EVENTS 3
/** 1 (default): a batch's X-Signature may cover its first event only, as
 *  Segment signs batches; 0: it must cover the whole body. @since 0.2 */
#define SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT 4
/** 0 (default): a batch whose X-Signature covers its first event only
 *  passes, and segb_webhook_event_signed() tells the covered event from
 *  the others; 1: it fails with SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS unless
 *  the body is that one event in a bare list, `[event]` or
 *  `{"batch":[event]}`, with nothing else beside it (needs a secret).
 *  @since 0.2 */
#define SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED 5

/** @{ */
/** Deprecated: the option names of 0.1, before the SEGB_WEBHOOK_OPT_
 *  prefix set options apart from the other SEGB_WEBHOOK_ constants. They
 *  stay as aliases of the same values; new code uses the names above.
 *  @deprecated use the SEGB_WEBHOOK_OPT_ name. */
#define SEGB_WEBHOOK_MAX_BODY_BYTES SEGB_WEBHOOK_OPT_MAX_BODY_BYTES
#define SEGB_WEBHOOK_MAX_DEPTH SEGB_WEBHOOK_OPT_MAX_DEPTH
#define SEGB_WEBHOOK_MAX_EVENTS SEGB_WEBHOOK_OPT_MAX_EVENTS
#define SEGB_WEBHOOK_SIGNED_FIRST_EVENT SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT
#define SEGB_WEBHOOK_REFUSE_UNSIGNED SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED
/** @} */

/** Most API keys, and separately most secrets, one verifier holds. */
#define SEGB_WEBHOOK_MAX_CREDENTIALS 16

/** A verifier: the keys, secrets and limits requests are checked against. */
typedef struct segb_webhook_s segb_webhook_t;
/** The events of one parsed body; freed with segb_webhook_batch_destroy(). */
typedef struct segb_webhook_batch_s segb_webhook_batch_t;
/** A decoded X-Segment-Settings header; freed with
 *  segb_webhook_settings_destroy(). */
typedef struct segb_webhook_settings_s segb_webhook_settings_t;

SEGB_BEGIN_DECLS

/* ---- verifier ---------------------------------------------------------- */

/** A verifier with no key, no secret and the default limits. NULL when out
 *  of memory. Free it with segb_webhook_destroy(). @since 0.1 */
SEGB_API segb_webhook_t *segb_webhook_new(void);

/** Wipe the keys and secrets of @p wh and free it. Accepts NULL.
 *  @since 0.1 */
SEGB_API void segb_webhook_destroy(segb_webhook_t *wh);

/** Expect requests to carry Authorization: Basic base64("@p api_key:").
 *  Once a key is added, a request without a matching one fails. Add the new
 *  key before removing the old one from Segment to rotate without a gap.
 *  The key is copied. SEGB_OK; SEGB_ERR_INVALID_ARG for NULL, an empty key,
 *  one over 4096 bytes, a key with a ':' or more than
 *  SEGB_WEBHOOK_MAX_CREDENTIALS keys; SEGB_ERR_NOMEM. @since 0.1 */
SEGB_API int segb_webhook_add_api_key(segb_webhook_t *wh, const char *api_key);

/** Expect requests to carry an X-Signature made with @p secret, the shared
 *  secret set on the Segment destination. Once a secret is added, a request
 *  without a matching signature fails. The secret is copied. SEGB_OK;
 *  SEGB_ERR_INVALID_ARG for NULL, an empty secret, one over 4096 bytes or
 *  more than SEGB_WEBHOOK_MAX_CREDENTIALS secrets; SEGB_ERR_NOMEM.
 *  @since 0.1 */
SEGB_API int segb_webhook_add_secret(segb_webhook_t *wh, const char *secret);

/** Set option @p option (SEGB_WEBHOOK_OPT_MAX_BODY_BYTES ...) to @p value.
 *  SEGB_OK, SEGB_ERR_UNKNOWN_OPTION, or SEGB_ERR_INVALID_VALUE for a value
 *  out of the option's range (0 is out of range for every limit).
 *  @since 0.1 */
SEGB_API int segb_webhook_set_option(segb_webhook_t *wh, int option,
                                     size_t value);

/** Current value of @p option; the default when @p wh is NULL; 0 for an
 *  unknown option. @since 0.1 */
SEGB_API size_t segb_webhook_option(const segb_webhook_t *wh, int option);

/** Check one request. @p authorization and @p x_signature are the header
 *  values, or NULL when the request has none. The Authorization check runs
 *  when API keys are set, the signature check when secrets are set.
 *  @returns SEGB_OK, or the first failure:
 *  SEGB_ERR_BODY_TOO_LARGE (over SEGB_WEBHOOK_OPT_MAX_BODY_BYTES),
 *  SEGB_ERR_WEBHOOK_NO_AUTH, SEGB_ERR_WEBHOOK_NOT_BASIC,
 *  SEGB_ERR_INVALID_BASE64, SEGB_ERR_WEBHOOK_PASSWORD (credentials are not
 *  "key:"), SEGB_ERR_WEBHOOK_WRONG_KEY, SEGB_ERR_WEBHOOK_NO_SIGNATURE,
 *  SEGB_ERR_WEBHOOK_BAD_SIGNATURE (not 40 hex digits),
 *  SEGB_ERR_WEBHOOK_WRONG_SIGNATURE, SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS
 *  (with SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED: the signature covers the first of
 *  several events only); SEGB_ERR_INVALID_ARG when @p wh is NULL, has
 *  neither key nor secret, has SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED set and no
 *  secret, or @p body is NULL with a length; SEGB_ERR_NOMEM.
 *  segb_last_error_message() says more, never quoting a credential.
 *  @since 0.1 */
SEGB_API int segb_webhook_verify(const segb_webhook_t *wh,
                                 const char *authorization,
                                 const char *x_signature, const char *body,
                                 size_t body_len);

/** segb_webhook_verify(), then, when it passes, segb_webhook_parse() with
 *  the limits of @p wh; the batch remembers which of its events the
 *  signature covers (segb_webhook_event_signed()). On SEGB_OK *@p out is a
 *  new batch; otherwise it is NULL and the code is one of verify's or, for
 *  a request that verifies, one of parse's. @since 0.2 */
SEGB_API int segb_webhook_receive(const segb_webhook_t *wh,
                                  const char *authorization,
                                  const char *x_signature, const char *body,
                                  size_t body_len, segb_webhook_batch_t **out);

/* ---- parsed bodies ----------------------------------------------------- */

/** Parse a webhook body: one event object, a JSON array of events, or an
 *  object {"batch": [...]} (an object with a "batch" member and no "type").
 *  @p wh gives the limits; NULL means the defaults. On SEGB_OK *@p out is a
 *  new batch, even when some of its events are bad: each event has its own
 *  status (segb_webhook_event_err()). Otherwise *@p out is NULL and the code
 *  says why the body as a whole was refused: SEGB_ERR_BODY_TOO_LARGE,
 *  SEGB_ERR_INVALID_JSON, SEGB_ERR_INVALID_UTF8, SEGB_ERR_TOO_DEEP,
 *  SEGB_ERR_JSON_TYPE (neither an object nor an array, or "batch" is not an
 *  array), SEGB_ERR_TOO_MANY_EVENTS (also for an object whose "batch" array
 *  is over the limit, batch or not), SEGB_ERR_INVALID_ARG, SEGB_ERR_NOMEM.
 *  SEGB_ERR_BODY_TOO_LARGE also stands for a body of more JSON values than
 *  one per 8 bytes of SEGB_WEBHOOK_OPT_MAX_BODY_BYTES (at least 64), which
 *  bounds the memory of any parse to about 13 times that limit. Both limits
 *  stop the parser as it goes: a hostile body costs no more than one at
 *  the limits. @since 0.1 */
SEGB_API int segb_webhook_parse(const segb_webhook_t *wh, const char *body,
                                size_t len, segb_webhook_batch_t **out);

/** Free a parsed batch and every view borrowed from it. Accepts NULL.
 *  @since 0.1 */
SEGB_API void segb_webhook_batch_destroy(segb_webhook_batch_t *batch);

/** Number of events in @p batch (0 for NULL). @since 0.1 */
SEGB_API size_t segb_webhook_batch_count(const segb_webhook_batch_t *batch);

/** Number of events whose status is not SEGB_OK. @since 0.1 */
SEGB_API size_t segb_webhook_batch_errors(const segb_webhook_batch_t *batch);

/** The whole body as parsed, e.g. to read a batch's own "context".
 *  Borrowed from @p batch. When the X-Signature covers the first event
 *  only, nothing outside that event is signed: a batch-wide member like
 *  "context" may have been added by anyone (SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED
 *  refuses such a body). @since 0.1 */
SEGB_API const segb_json_t *
segb_webhook_batch_root(const segb_webhook_batch_t *batch);

/** Event @p i, whatever its status; NULL past the end. Read any field with
 *  segb_json_get() and friends ("properties.plan", "context.ip"), and the
 *  JSON text of a sub-object with segb_json_text(). Borrowed from @p batch.
 *  @since 0.1 */
SEGB_API const segb_json_t *
segb_webhook_event(const segb_webhook_batch_t *batch, size_t i);

/** Status of event @p i: SEGB_OK; SEGB_ERR_JSON_TYPE (not an object, or
 *  type/userId/anonymousId not a string); SEGB_ERR_MISSING_FIELD (no
 *  "type"); SEGB_ERR_UNKNOWN_TYPE; SEGB_ERR_MISSING_IDENTITY (neither a
 *  userId nor an anonymousId); SEGB_ERR_INVALID_ARG past the end.
 *  @since 0.1 */
SEGB_API int segb_webhook_event_err(const segb_webhook_batch_t *batch,
                                    size_t i);

/** Why event @p i is bad, in English; "" for a good event or past the end.
 *  Static storage, never NULL. @since 0.1 */
SEGB_API const char *
segb_webhook_event_errstr(const segb_webhook_batch_t *batch, size_t i);

/** "track", "identify", "page", "screen", "group", "alias" or "delete" (the
 *  deletion notice of the Webhooks destination); NULL when event @p i has no
 *  string "type". Borrowed. @since 0.1 */
SEGB_API const char *segb_webhook_event_type(const segb_webhook_batch_t *batch,
                                             size_t i);

/** 1 when the X-Signature segb_webhook_receive() checked covers event
 *  @p i: every event when it signs the whole body (or a batch of one), the
 *  first only when it signs a batch's first event. 0 for the events after
 *  that first one, for every event when the verifier has no secret, for a
 *  batch from segb_webhook_parse() (which sees no signature), and past the
 *  end. @since 0.2 */
SEGB_API int segb_webhook_event_signed(const segb_webhook_batch_t *batch,
                                       size_t i);

/** The string "userId" of event @p i, or NULL. Borrowed. @since 0.1 */
SEGB_API const char *
segb_webhook_event_user_id(const segb_webhook_batch_t *batch, size_t i);

/** The string "anonymousId" of event @p i, or NULL. Borrowed. @since 0.1 */
SEGB_API const char *
segb_webhook_event_anonymous_id(const segb_webhook_batch_t *batch, size_t i);

/** The string "event" of event @p i (a track's name), else its string
 *  "name" (a page's or screen's), else NULL. Borrowed. @since 0.1 */
SEGB_API const char *segb_webhook_event_name(const segb_webhook_batch_t *batch,
                                             size_t i);

/** The string "messageId" of event @p i, or NULL. Segment may deliver an
 *  event more than once: deduplicate by it. Borrowed. @since 0.1 */
SEGB_API const char *
segb_webhook_event_message_id(const segb_webhook_batch_t *batch, size_t i);

/** The string "timestamp" of event @p i as sent (ISO-8601), or NULL.
 *  Borrowed. @since 0.1 */
SEGB_API const char *
segb_webhook_event_timestamp(const segb_webhook_batch_t *batch, size_t i);

/* ---- X-Segment-Settings ------------------------------------------------ */

/** Decode the value of an X-Segment-Settings header (@p len bytes of
 *  base64 of a JSON object; spaces around it are ignored). @p wh gives the
 *  size, depth and value limits (NULL: the defaults). On SEGB_OK *@p out is
 *  a new settings object; otherwise it is NULL and the code is
 *  SEGB_ERR_INVALID_BASE64, SEGB_ERR_BODY_TOO_LARGE (the value too long, or
 *  holding more JSON values than a body may), SEGB_ERR_INVALID_JSON,
 *  SEGB_ERR_INVALID_UTF8, SEGB_ERR_TOO_DEEP, SEGB_ERR_JSON_TYPE (not an
 *  object), SEGB_ERR_INVALID_ARG or SEGB_ERR_NOMEM. @since 0.1 */
SEGB_API int segb_webhook_settings_decode(const segb_webhook_t *wh,
                                          const char *value, size_t len,
                                          segb_webhook_settings_t **out);

/** The decoded settings object. Borrowed from @p settings. @since 0.1 */
SEGB_API const segb_json_t *
segb_webhook_settings_json(const segb_webhook_settings_t *settings);

/** Free decoded settings. Accepts NULL. @since 0.1 */
SEGB_API void segb_webhook_settings_destroy(segb_webhook_settings_t *settings);

SEGB_END_DECLS

#endif /* SEGBRIDGE_WEBHOOK_H */
