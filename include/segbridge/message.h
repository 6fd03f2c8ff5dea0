/**
 * @file
 * libsegbridge - message builders for identify, track, page, screen, group
 * and alias.
 *
 * A message is created with its type, gets a fresh UUID v4 messageId and a
 * UTC millisecond timestamp, and is then filled through dotted-path setters:
 *
 *     segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);
 *     segb_message_set_string(m, "userId", "u-42");
 *     segb_message_set_string(m, "event", "Order Completed");
 *     segb_message_set_double(m, "properties.revenue", 19.99);
 *     segb_message_set_json(m, "context", "{\"ip\":\"203.0.113.9\"}");
 *
 * Paths: the first segment is a top-level field (userId, anonymousId, event,
 * name, category, groupId, previousId, messageId, timestamp, properties,
 * traits, context, integrations) allowed for the message's type; further
 * segments are object keys, created as needed. Write "\." for a dot and "\\"
 * for a backslash inside a key. context.library belongs to the library.
 * Setting a path that exists replaces its value, in place.
 *
 * Every setter validates before it changes anything: on error the message is
 * exactly as it was, and segb_last_error_message() names the field.
 *
 * segb_message_seal() checks the required fields, serializes the message
 * once into compact UTF-8 JSON and makes it read-only; a client sends those
 * bytes unchanged, on every retry.
 *
 * Ownership: the caller owns a message until segb_client_enqueue() takes
 * it, which it always does, also when it refuses it; a message never
 * enqueued is freed with segb_message_destroy(). Paths and values are
 * copied; strings read from a message are borrowed from it.
 *
 * Threading: a message may be used by one thread at a time.
 *
 * Errors: the setters return SEGB_OK or SEGB_ERR_INVALID_ARG (a NULL
 * message, path or value), SEGB_ERR_INVALID_FIELD (a path the type does
 * not have, or context.library), SEGB_ERR_JSON_TYPE (a value of the wrong
 * type for its field, or a path through a non-object), SEGB_ERR_EMPTY_FIELD,
 * SEGB_ERR_INVALID_UTF8, SEGB_ERR_MESSAGE_ID_TOO_LONG,
 * SEGB_ERR_INVALID_TIMESTAMP, SEGB_ERR_SEALED, SEGB_ERR_NOMEM, and for JSON
 * text also its parse errors; the detail in segb_last_error_message().
 */
#ifndef SEGBRIDGE_MESSAGE_H
#define SEGBRIDGE_MESSAGE_H

#include <segbridge/export.h>

#include <stddef.h>
#include <stdint.h>

/** Message types; the values are part of the ABI. */
#define SEGB_MSG_IDENTIFY 1
#define SEGB_MSG_TRACK 2  /**< track: an event a user did */
#define SEGB_MSG_PAGE 3   /**< page: a web page viewed */
#define SEGB_MSG_SCREEN 4 /**< screen: an app screen viewed */
#define SEGB_MSG_GROUP 5  /**< group: a user joins an account */
#define SEGB_MSG_ALIAS 6  /**< alias: merge a previous identity */

/** Largest serialized message Segment accepts (32 KB), in bytes. */
#define SEGB_MESSAGE_MAX_BYTES 32768
/** Longest messageId Segment accepts, in characters (UTF-16 units, as
 *  Segment counts them). */
#define SEGB_MESSAGE_ID_MAX 100

/** One message being built, then sealed: segb_message_new(), freed with
 *  segb_message_destroy() unless segb_client_enqueue() took it. */
typedef struct segb_message_s segb_message_t;

SEGB_BEGIN_DECLS

/** New empty message of @p type (SEGB_MSG_*), with a UUID v4 messageId and
 *  the current time as timestamp. NULL on an unknown type
 *  (SEGB_ERR_INVALID_ARG) or out of memory. @since 0.1 */
SEGB_API segb_message_t *segb_message_new(int type);

/** A message from one JSON object with a "type" member, as found in a
 *  Segment batch or an NDJSON import file. Each member goes through the same
 *  checks as the setters; messageId and timestamp are kept when present.
 *  An event exported from Segment replays as it was first sent: its
 *  context.library, channel and _metadata are kept, the server's fields
 *  dropped, nulls taken as absent, whole-number IDs turned into strings
 *  (docs/IMPORT.md has the table). Numbers a double cannot hold are
 *  refused as by segb_message_set_json().
 *  NULL on error, with the reason in segb_last_error_message(). @since 0.1 */
SEGB_API segb_message_t *segb_message_new_from_json(const char *json,
                                                    size_t len);

/** Free @p msg. Accepts NULL. @since 0.1 */
SEGB_API void segb_message_destroy(segb_message_t *msg);

/** SEGB_MSG_* of @p msg, or 0 for NULL. @since 0.1 */
SEGB_API int segb_message_type(const segb_message_t *msg);

/** "track", "identify", ... for a SEGB_MSG_* value; NULL when unknown.
 *  @since 0.1 */
SEGB_API const char *segb_message_type_name(int type);

/** Set a NUL-terminated UTF-8 string. @since 0.1 */
SEGB_API int segb_message_set_string(segb_message_t *msg, const char *path,
                                     const char *value);

/** Set a string of @p len bytes; it may contain NUL. @since 0.1 */
SEGB_API int segb_message_set_string_len(segb_message_t *msg, const char *path,
                                         const char *value, size_t len);

/** Set an integer. @since 0.1 */
SEGB_API int segb_message_set_int64(segb_message_t *msg, const char *path,
                                    int64_t value);

/** Set a finite double (SEGB_ERR_INVALID_NUMBER for NaN and infinities).
 *  @since 0.1 */
SEGB_API int segb_message_set_double(segb_message_t *msg, const char *path,
                                     double value);

/** Set true (@p value != 0) or false. @since 0.1 */
SEGB_API int segb_message_set_bool(segb_message_t *msg, const char *path,
                                   int value);

/** Set JSON null. @since 0.1 */
SEGB_API int segb_message_set_null(segb_message_t *msg, const char *path);

/** Set a value parsed from NUL-terminated JSON text, e.g. a whole
 *  "properties" object. Strict RFC 8259, UTF-8 checked, nesting at most
 *  64 deep; an object with the same key twice is refused with
 *  SEGB_ERR_DUPLICATE_KEY, naming the key, and a number beyond the range
 *  of a double (1e400) with SEGB_ERR_INVALID_NUMBER, naming its path.
 *  Other numbers are sent as written. @since 0.1 */
SEGB_API int segb_message_set_json(segb_message_t *msg, const char *path,
                                   const char *json);

/** As segb_message_set_json() for @p len bytes of JSON text. @since 0.1 */
SEGB_API int segb_message_set_json_len(segb_message_t *msg, const char *path,
                                       const char *json, size_t len);

/** Check required fields, serialize, and make @p msg read-only. Calling it
 *  again on a sealed message returns SEGB_OK. Setters on a sealed message
 *  fail with SEGB_ERR_SEALED.
 *  @returns SEGB_OK; SEGB_ERR_MISSING_FIELD (no userId nor anonymousId, or
 *  a field the type needs: event, groupId, previousId); SEGB_ERR_TOO_LARGE
 *  (over SEGB_MESSAGE_MAX_BYTES); SEGB_ERR_INVALID_ARG; SEGB_ERR_NOMEM.
 *  @since 0.1 */
SEGB_API int segb_message_seal(segb_message_t *msg);

/** The serialized JSON of a sealed message, followed by a NUL that *@p len
 *  (when not NULL) does not count. NULL when @p msg is NULL or not sealed.
 *  Borrowed: valid until the message is destroyed. @since 0.1 */
SEGB_API const char *segb_message_json(const segb_message_t *msg, size_t *len);

/** The messageId, NUL-terminated. Borrowed. @since 0.1 */
SEGB_API const char *segb_message_id(const segb_message_t *msg);

/** The timestamp, NUL-terminated. Borrowed. @since 0.1 */
SEGB_API const char *segb_message_timestamp(const segb_message_t *msg);

SEGB_END_DECLS

#endif /* SEGBRIDGE_MESSAGE_H */
