/**
 * @file
 * libsegbridge - error codes.
 *
 * Every call that can fail returns an int: SEGB_OK (0) or a negative
 * segb_err_t. The thread-local segb_last_error_message() adds the detail:
 * which field, which value, which host. Secrets never appear in it.
 * Every function here may be called from any thread and cannot fail.
 *
 * The list below is append-only. A code is never renumbered or reused; a
 * retired code keeps its number under an SEGB_ERR_OBSOLETEnn name.
 */
#ifndef SEGBRIDGE_ERROR_H
#define SEGBRIDGE_ERROR_H

#include <segbridge/export.h>

/** Every error code as X(NAME, value, description), one line per code:
 *  the only list there is. segb_err_t, segb_err_name() and segb_err_str()
 *  are made from it; a binding may expand it to make its own table. */
/* clang-format off */
#define SEGB_ERROR_LIST(X)                                                   \
  X(OK,                    0, "success")                                     \
  X(ERR_INVALID_ARG,      -1, "invalid argument")                           \
  X(ERR_NOMEM,            -2, "out of memory")                              \
  X(ERR_UNKNOWN_OPTION,   -3, "unknown configuration property")             \
  X(ERR_INVALID_VALUE,    -4, "invalid configuration value")                \
  X(ERR_BUFFER_TOO_SMALL, -5, "destination buffer too small")               \
  X(ERR_INVALID_UTF8,     -6, "string is not valid UTF-8")                  \
  X(ERR_INVALID_NUMBER,   -7, "number is NaN or infinite")                  \
  X(ERR_INVALID_JSON,     -8, "text is not valid JSON")                     \
  X(ERR_JSON_TYPE,        -9, "JSON value has the wrong type for its field") \
  X(ERR_MISSING_FIELD,   -10, "required field is missing")                  \
  X(ERR_INVALID_FIELD,   -11, "field is not allowed here")                  \
  X(ERR_EMPTY_FIELD,     -12, "field must not be empty")                    \
  X(ERR_TOO_LARGE,       -13, "message is larger than the size limit")      \
  X(ERR_MESSAGE_ID_TOO_LONG, -14, "messageId is longer than 100 characters") \
  X(ERR_INVALID_TIMESTAMP, -15, "timestamp is not an ISO-8601 date-time")   \
  X(ERR_TOO_DEEP,        -16, "JSON nesting is too deep")                   \
  X(ERR_SEALED,          -17, "message is sealed and can no longer change") \
  X(ERR_SYSTEM,          -18, "an operating system call failed")        \
  X(ERR_CLOSED,          -19, "the client is closed")                       \
  X(ERR_TIMED_OUT,       -20, "the operation timed out")                    \
  X(ERR_DNS,             -21, "the host name could not be resolved")        \
  X(ERR_CONNECT,         -22, "could not connect to the host")              \
  X(ERR_TLS,             -23, "TLS certificate or setup refused (not retried)") \
  X(ERR_NETWORK,         -24, "the connection failed during the request")   \
  X(ERR_AUTH,            -25, "credentials rejected (HTTP 401/403)")        \
  X(ERR_RATE_LIMITED,    -26, "rate limited (HTTP 429)")                    \
  X(ERR_REJECTED,        -27, "request rejected by the server (HTTP 4xx)")  \
  X(ERR_SERVER,          -28, "server error (HTTP 5xx)")                    \
  X(ERR_RETRIES_EXHAUSTED, -29, "gave up after the configured retries")     \
  X(ERR_NO_CREDENTIALS,  -30, "no write key or token is configured")      \
  X(ERR_QUEUE_FULL,      -31, "the client's queue is full")                 \
  X(ERR_INVALID_BASE64,  -32, "text is not valid base64")                   \
  X(ERR_WEBHOOK_NO_AUTH, -33, "Authorization header is missing")            \
  X(ERR_WEBHOOK_NOT_BASIC, -34, "Authorization is not HTTP Basic")          \
  X(ERR_WEBHOOK_PASSWORD, -35, "Basic credentials are not \"key:\"")         \
  X(ERR_WEBHOOK_WRONG_KEY, -36, "API key is not one the verifier expects")  \
  X(ERR_WEBHOOK_NO_SIGNATURE, -37, "X-Signature header is missing")         \
  X(ERR_WEBHOOK_BAD_SIGNATURE, -38, "X-Signature is not 40 hex digits")     \
  X(ERR_WEBHOOK_WRONG_SIGNATURE, -39, "X-Signature does not match the body") \
  X(ERR_BODY_TOO_LARGE,  -40, "request body is larger than the limit")      \
  X(ERR_TOO_MANY_EVENTS, -41, "body holds more events than the limit")      \
  X(ERR_UNKNOWN_TYPE,    -42, "event type is not one Segment sends")        \
  X(ERR_MISSING_IDENTITY, -43, "event has neither userId nor anonymousId") \
  X(ERR_KEY_UNREADABLE,  -44, "private key cannot be read (file or PEM)")  \
  X(ERR_KEY_NOT_PRIVATE, -45, "a public key was given, a private key is needed") \
  X(ERR_KEY_NOT_RSA,     -46, "the private key is not an RSA key")         \
  X(ERR_KEY_TOO_SMALL,   -47, "the RSA key is shorter than 2048 bits")     \
  X(ERR_OAUTH_INVALID_CLIENT, -48, "OAuth app, key ID or key refused (invalid_client)") \
  X(ERR_OAUTH_INVALID_SCOPE, -49, "OAuth scope refused (invalid_scope)")   \
  X(ERR_OAUTH_RESPONSE,  -50, "OAuth token response is malformed")     \
  X(ERR_NOT_FOUND,       -51, "no such profile or resource (HTTP 404)") \
  X(ERR_BAD_RESPONSE,    -52, "response is truncated, not JSON, or of the wrong shape") \
  /* added in 0.2 */                                                     \
  X(ERR_DUPLICATE_KEY,   -53, "JSON object has the same key twice")        \
  X(ERR_IN_CALLBACK,     -54, "call not allowed inside the client's callback") \
  /* ERR_CONCURRENT_USE: 0.2 no longer returns it (any number of threads  \
   * may call a client at once); the code stays, for the ABI */          \
  X(ERR_CONCURRENT_USE,  -55, "the client is in use by another thread") \
  X(ERR_WEBHOOK_UNSIGNED_EVENTS, -56, "X-Signature does not cover every event of the batch") \
  X(ERR_PURGED,          -57, "dropped from the queue by segb_client_purge()") \
  X(ERR_DIRECTION,       -58, "the client's direction setting excludes sending") \
  X(ERR_FILTERED,        -59, "event type is not among the client's event_types") \
  X(ERR_SPOOL_LOCKED,    -60, "spool.path is held by another live client") \
  X(ERR_SPOOL_IO,        -61, "the spool could not be written or read (disk full, I/O error)") \
  X(ERR_SPOOLED,         -62, "not delivered before close; kept in the spool for the next client") \
  X(ERR_SEND_DISABLED,   -63, "not sent: sending is disabled (send=false)")
/* clang-format on */

/** The codes of SEGB_ERROR_LIST as an enum: SEGB_OK (0) and SEGB_ERR_NAME
 *  for each negative code. Functions return them as int. */
typedef enum segb_err_t {
#define SEGB__ERR_ENUM(name, value, desc) SEGB_##name = value,
  SEGB_ERROR_LIST(SEGB__ERR_ENUM)
#undef SEGB__ERR_ENUM
} segb_err_t;

SEGB_BEGIN_DECLS

/** Symbolic name of a code, e.g. "SEGB_ERR_NOMEM"; "SEGB_ERR_UNKNOWN" for a
 *  value not in the table. Static storage, never NULL. @since 0.1 */
SEGB_API const char *segb_err_name(int err);

/** One-line English description of a code. Static storage, never NULL.
 *  @since 0.1 */
SEGB_API const char *segb_err_str(int err);

/** Lowest code in this build: codes run without gaps from 0 down to it, so a
 *  binding can build its own table with segb_err_name()/segb_err_str().
 *  @since 0.1 */
SEGB_API int segb_err_min(void);

/** Detail of the last error raised on the calling thread: which field, which
 *  value, which host. Read it on the thread that got the error, right after
 *  the failed call; successful calls do not clear it. Never NULL ("" when no
 *  error happened yet on this thread). Thread-local storage, valid until the
 *  next failing call on the same thread. @since 0.1 */
SEGB_API const char *segb_last_error_message(void);

/** Code of the last error raised on the calling thread (SEGB_OK if none).
 *  @since 0.1 */
SEGB_API int segb_last_error(void);

SEGB_END_DECLS

#endif /* SEGBRIDGE_ERROR_H */
