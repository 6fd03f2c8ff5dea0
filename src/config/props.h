/* The configuration property table: one X-macro list drives the property
 * ids, validation, defaults and the generated docs/CONFIGURATION.md. */
#ifndef SBI_CONFIG_PROPS_H
#define SBI_CONFIG_PROPS_H

#include <segbridge/client.h>
#include <segbridge/config.h>

#include "core/log.h"

#include <stddef.h>
#include <stdint.h>

typedef enum sbi_prop_type {
  SBI_PT_STRING,   /* free UTF-8 text, one line; min/max bound the length */
  SBI_PT_SECRET,   /* like STRING, but never echoed or read back */
  SBI_PT_PEM,      /* a secret PEM block: several lines, starts -----BEGIN */
  SBI_PT_URL,      /* http://, https:// or a bare host[:port][/path] */
  SBI_PT_ENDPOINT, /* a Segment API base URL: as URL, without credentials,
                      query or fragment; /v1 optional */
  SBI_PT_PATH,     /* a file or directory name */
  SBI_PT_JSON,     /* a JSON object (lines allowed); min/max bound its text */
  SBI_PT_INT,      /* int64 within min..max */
  SBI_PT_DURATION, /* milliseconds within min..max; the name ends in _ms */
  SBI_PT_BOOL,     /* true/false, 1/0, yes/no, on/off; value 0 or 1 */
  SBI_PT_ENUM,     /* one of choices "a|b|c"; value is the choice index */
  SBI_PT_LIST      /* comma list of choices, or none/all; value is a bit set
                      with bit i for choice i */
} sbi_prop_type;

/* Whether this version acts on a property. A key published for a coming
 * release is "not yet": segb_config_set() refuses it rather than accept a
 * setting that does nothing, except for the one value that is what the
 * library does anyway. The release that implements a key flips its row to
 * SBI_LIVE. */
typedef enum sbi_prop_status {
  SBI_LIVE,            /* read: every valid value takes effect */
  SBI_NOT_YET_DEFAULT, /* not read; only the default is accepted, which
                          is what the library does today */
  SBI_NOT_YET          /* not read, and no value is what the library does
                          today: every value is refused */
} sbi_prop_status;

/* Nesting a JSON setting may have (message.default_context). */
#define SBI_CONF_JSON_DEPTH 32

/* Choices of the enum and list properties. The constants are the values
 * sbi_conf_int() returns, so each set must list its choices in that order. */
#define SBI_REGION_CHOICES "us|eu"
enum { SBI_REGION_US, SBI_REGION_EU };

#define SBI_FRESHNESS_CHOICES "realtime|batch"
enum { SBI_FRESHNESS_REALTIME, SBI_FRESHNESS_BATCH };

#define SBI_OVERFLOW_CHOICES "drop_newest|drop_oldest|block"
enum { SBI_OVERFLOW_DROP_NEWEST, SBI_OVERFLOW_DROP_OLDEST, SBI_OVERFLOW_BLOCK };

#define SBI_DISPATCH_CHOICES "thread|inline"
enum { SBI_DISPATCH_THREAD, SBI_DISPATCH_INLINE };

#define SBI_ORDERING_CHOICES "per_user|fifo|none"
enum { SBI_ORDERING_PER_USER, SBI_ORDERING_FIFO, SBI_ORDERING_NONE };

#define SBI_DIRECTION_CHOICES "send|receive|both"
enum { SBI_DIRECTION_SEND, SBI_DIRECTION_RECEIVE, SBI_DIRECTION_BOTH };

/* In the order of SEGB_MSG_*: bit (1 << (type - 1)) is the type's. */
#define SBI_EVENT_TYPE_CHOICES "identify|track|page|screen|group|alias"

#define SBI_REPORT_CHOICES "callback|poll"
enum { SBI_REPORT_CALLBACK, SBI_REPORT_POLL };

#define SBI_SPOOL_FSYNC_CHOICES "never|interval|always"
enum { SBI_FSYNC_NEVER, SBI_FSYNC_INTERVAL, SBI_FSYNC_ALWAYS };

#define SBI_COMPRESSION_CHOICES "none|gzip"
enum { SBI_COMPRESSION_NONE, SBI_COMPRESSION_GZIP };

#define SBI_DEBUG_CHOICES "http|batch|auth"
enum {
  SBI_DEBUG_HTTP = 1 << 0,
  SBI_DEBUG_BATCH = 1 << 1,
  SBI_DEBUG_AUTH = 1 << 2
};

/* X(ID, "name", type, min, max, "default", "choices", "since", status,
 *   "description")
 *
 * For the text types min/max bound the length in bytes (min 1 = must not be
 * empty); enum and list rows take their bounds from the choices. A default
 * is written in canonical form (as segb_config_get() shows it). Names
 * without a '.' document under "general", the others under the part before
 * the first '.'. Append rows freely; a name, once shipped, never changes. */
/* clang-format off */
#define SBI_PROPS(X)                                                          \
  /* general */                                                               \
  X(REGION, "region", SBI_PT_ENUM, 0, 0, "us", SBI_REGION_CHOICES, "0.1",     \
    SBI_LIVE,                                                                 \
    "Segment region. Chooses the Tracking API, OAuth, Public API and "        \
    "Profile API hosts together; endpoint, oauth.server, "                    \
    "public_api.endpoint and profile_api.endpoint override single hosts.")    \
  X(ENDPOINT, "endpoint", SBI_PT_ENDPOINT, 0, 2048, "", "", "0.1", SBI_LIVE,  \
    "Tracking API base URL, with or without scheme and /v1 "                  \
    "(e.g. events.eu1.segmentapis.com). Empty: the region's host.")           \
  X(WRITE_KEY, "write_key", SBI_PT_SECRET, 0, 1024, "", "", "0.1", SBI_LIVE,  \
    "Write key of the Segment source. Sent as HTTP Basic auth unless OAuth "  \
    "is configured.")                                                         \
  X(FRESHNESS, "freshness", SBI_PT_ENUM, 0, 0, "batch",                       \
    SBI_FRESHNESS_CHOICES, "0.1", SBI_LIVE,                                   \
    "realtime: send as soon as a request slot is free, coalescing whatever "  \
    "is queued; batch: wait for batch.max_events, batch.max_bytes or "        \
    "batch.linger_ms (an inline client sends only in segb_client_flush(), "   \
    "segb_client_poll() and segb_client_close()).")                           \
  X(DIRECTION, "direction", SBI_PT_ENUM, 0, 0, "both", SBI_DIRECTION_CHOICES, \
    "0.2", SBI_LIVE,                                                          \
    "Sync direction: send (to Segment), receive (webhooks from Segment) or "  \
    "both. A client whose direction is receive refuses enqueue with "         \
    "SEGB_ERR_DIRECTION; Test Connection checks only the directions set.")    \
  X(EVENT_TYPES, "event_types", SBI_PT_LIST, 0, 0, "all",                     \
    SBI_EVENT_TYPE_CHOICES, "0.2", SBI_LIVE,                                  \
    "Event types the client sends, comma separated (or all). Enqueue "        \
    "refuses the others with SEGB_ERR_FILTERED and counts them as "           \
    "filtered.")                                                              \
  X(COMPRESSION, "compression", SBI_PT_ENUM, 0, 0, "none",                    \
    SBI_COMPRESSION_CHOICES, "0.1", SBI_LIVE,                                 \
    "Content-Encoding of request bodies. Size limits apply before "           \
    "compression.")                                                           \
  X(DEBUG, "debug", SBI_PT_LIST, 0, 0, "none", SBI_DEBUG_CHOICES, "0.1",      \
    SBI_LIVE,                                                                 \
    "Debug log contexts to enable, comma separated: their lines are logged "  \
    "at level 7 whatever log.level says. Secrets and payloads are never "     \
    "logged.")                                                                \
  /* write key */                                                             \
  X(WRITE_KEY_IN_BODY, "write_key.in_body", SBI_PT_BOOL, 0, 1, "false", "",   \
    "0.1", SBI_LIVE,                                                          \
    "Also send the write key as writeKey in every batch body. OAuth "         \
    "requests always carry it.")                                              \
  /* OAuth */                                                                 \
  X(OAUTH_CLIENT_ID, "oauth.client_id", SBI_PT_STRING, 0, 256, "", "",        \
    "0.1", SBI_LIVE,                                                          \
    "OAuth app ID. Setting it, oauth.key_id and a private key switches the "  \
    "Tracking API to OAuth bearer tokens.")                                   \
  X(OAUTH_KEY_ID, "oauth.key_id", SBI_PT_STRING, 0, 256, "", "", "0.1",       \
    SBI_LIVE,                                                                 \
    "ID of the public key uploaded to the OAuth app (JWT header kid).")       \
  X(OAUTH_PRIVATE_KEY, "oauth.private_key", SBI_PT_PEM, 0, 65536, "", "",     \
    "0.1", SBI_LIVE,                                                          \
    "RSA private key as PEM text, signing the RS256 client assertion. "       \
    "Exclusive with oauth.private_key_file.")                                 \
  X(OAUTH_PRIVATE_KEY_FILE, "oauth.private_key_file", SBI_PT_PATH, 0, 4096,   \
    "", "", "0.1", SBI_LIVE,                                                  \
    "File holding the PEM private key, read when the client is created.")     \
  X(OAUTH_SCOPE, "oauth.scope", SBI_PT_STRING, 1, 1024, "tracking_api:write", \
    "", "0.1", SBI_LIVE, "Scope requested with each access token.")           \
  X(OAUTH_SERVER, "oauth.server", SBI_PT_ENDPOINT, 0, 2048, "", "", "0.1",    \
    SBI_LIVE,                                                                 \
    "OAuth authorization server, with or without scheme. Empty: the "         \
    "region's server.")                                                       \
  /* Public API */                                                            \
  X(PUBLIC_API_TOKEN, "public_api.token", SBI_PT_SECRET, 0, 4096, "", "",     \
    "0.1", SBI_LIVE,                                                          \
    "Public API token (Bearer), for the Public API readers.")                 \
  X(PUBLIC_API_ENDPOINT, "public_api.endpoint", SBI_PT_ENDPOINT, 0, 2048, "", \
    "", "0.1", SBI_LIVE, "Public API base URL. Empty: the region's host.")    \
  /* Profile API */                                                           \
  X(PROFILE_API_TOKEN, "profile_api.token", SBI_PT_SECRET, 0, 4096, "", "",   \
    "0.1", SBI_LIVE, "Profile API access token of the Unify space.")          \
  X(PROFILE_API_SPACE_ID, "profile_api.space_id", SBI_PT_STRING, 0, 256, "",  \
    "", "0.1", SBI_LIVE, "Unify space ID the Profile API reads from.")        \
  X(PROFILE_API_ENDPOINT, "profile_api.endpoint", SBI_PT_ENDPOINT, 0, 2048,   \
    "", "", "0.1", SBI_LIVE,                                                  \
    "Profile API base URL. Empty: the region's host.")                        \
  /* reads from both APIs */                                                  \
  X(API_TIMEOUT_MS, "api.timeout_ms", SBI_PT_DURATION, 1, 86400000, "60000",  \
    "", "0.2", SBI_LIVE,                                                      \
    "Longest time one Public API or Profile API call may take, its "          \
    "retries and waits included; past it the call fails with "                \
    "SEGB_ERR_TIMED_OUT.")                                                    \
  /* batching */                                                              \
  X(BATCH_MAX_EVENTS, "batch.max_events", SBI_PT_INT, 1, 2500, "50", "",      \
    "0.1", SBI_LIVE,                                                          \
    "Most events in one request; a full batch is sent at once.")              \
  X(BATCH_MAX_BYTES, "batch.max_bytes", SBI_PT_INT, 1024, 16777216, "500000", \
    "", "0.1", SBI_LIVE,                                                      \
    "Largest request body in bytes, before compression. Raise it only for "   \
    "a proxy that accepts more than Segment.")                                \
  X(BATCH_LINGER_MS, "batch.linger_ms", SBI_PT_DURATION, 0, 600000, "1000",   \
    "", "0.1", SBI_LIVE,                                                   \
    "Longest time the oldest queued event waits before its batch is sent "    \
    "(freshness=batch, thread mode).")                                        \
  X(MESSAGE_MAX_BYTES, "message.max_bytes", SBI_PT_INT, 1024,                 \
    SEGB_MESSAGE_MAX_BYTES, "32768", "", "0.1", SBI_LIVE,                     \
    "Largest serialized event in bytes, at most Segment's limit; "            \
    "segb_client_enqueue() refuses a larger one with SEGB_ERR_TOO_LARGE.")    \
  X(SEND, "send", SBI_PT_BOOL, 0, 1, "true", "", "0.2", SBI_LIVE,             \
    "false: for tests and development, the client checks and accepts "      \
    "events as usual but sends none; each is reported dropped with "          \
    "SEGB_ERR_SEND_DISABLED at once. Test Connection skips its send check.") \
  X(MESSAGE_DEFAULT_CONTEXT, "message.default_context", SBI_PT_JSON, 0,      \
    65536, "", "", "0.2", SBI_LIVE,                                           \
    "A JSON object merged into the context of every event the client "       \
    "seals: a member the event's own context has wins. context.library is "   \
    "the library's and refused here. Empty: none.")                           \
  /* queue */                                                                 \
  X(QUEUE_MAX_EVENTS, "queue.max_events", SBI_PT_INT, 1, 100000000,           \
    "10000", "", "0.1", SBI_LIVE,                                             \
    "Most events held in memory, in flight included.")                        \
  X(QUEUE_MAX_BYTES, "queue.max_bytes", SBI_PT_INT, 1024, 68719476736,        \
    "67108864", "", "0.1", SBI_LIVE,                                          \
    "Most serialized event bytes held in memory, in flight included.")        \
  X(QUEUE_OVERFLOW, "queue.overflow", SBI_PT_ENUM, 0, 0, "drop_newest",       \
    SBI_OVERFLOW_CHOICES, "0.1", SBI_LIVE,                                    \
    "What enqueue does when the queue is full: refuse the new event "         \
    "(SEGB_ERR_QUEUE_FULL), drop the oldest event not yet in flight (it is "  \
    "reported dropped with SEGB_ERR_QUEUE_FULL), or wait up to "              \
    "queue.block_timeout_ms for room.")                                       \
  X(QUEUE_BLOCK_TIMEOUT_MS, "queue.block_timeout_ms", SBI_PT_DURATION, 0,     \
    600000, "50", "", "0.1", SBI_LIVE,                                        \
    "Longest wait for room in the queue when queue.overflow is block.")       \
  /* dispatch */                                                              \
  X(DISPATCH_MODE, "dispatch.mode", SBI_PT_ENUM, 0, 0, "thread",              \
    SBI_DISPATCH_CHOICES, "0.1", SBI_LIVE,                                    \
    "thread: a dispatcher thread of the client batches and sends in the "     \
    "background; inline: no thread, segb_client_flush(), "                    \
    "segb_client_poll() and segb_client_close() send on the caller's "        \
    "thread.")                                                                \
  X(DISPATCH_MAX_IN_FLIGHT, "dispatch.max_in_flight", SBI_PT_INT, 1, 64,      \
    "20", "", "0.1", SBI_LIVE,                                                \
    "Most requests in flight at once, over kept-alive connections (HTTP/2 "   \
    "multiplexing where the server offers it).")                              \
  X(DISPATCH_ORDERING, "dispatch.ordering", SBI_PT_ENUM, 0, 0, "per_user",    \
    SBI_ORDERING_CHOICES, "0.2", SBI_LIVE,                                    \
    "per_user: events of one user (userId, else anonymousId) never ride in "  \
    "two requests at once, so each user's events arrive in the order "        \
    "enqueued; fifo: one request at a time, everything in order; none: no "   \
    "ordering.")                                                              \
  /* retries */                                                               \
  X(RETRY_MAX_ATTEMPTS, "retry.max_attempts", SBI_PT_INT, 0, 1000, "10", "",  \
    "0.1", SBI_LIVE,                                                          \
    "Most retries of a failed request, after its first attempt; 0 never "     \
    "retries. Waits asked for by Retry-After do not count.")                  \
  X(RETRY_BACKOFF_INITIAL_MS, "retry.backoff_initial_ms", SBI_PT_DURATION, 1, \
    600000, "500", "", "0.1", SBI_LIVE,                                       \
    "Backoff before the first retry; it doubles per retry, with full "        \
    "jitter.")                                                                \
  X(RETRY_BACKOFF_MAX_MS, "retry.backoff_max_ms", SBI_PT_DURATION, 1,         \
    3600000, "60000", "", "0.1", SBI_LIVE,                                    \
    "Longest backoff between two retries.")                                   \
  X(RETRY_TOTAL_TIMEOUT_MS, "retry.total_timeout_ms", SBI_PT_DURATION, 0,     \
    604800000, "43200000", "", "0.1", SBI_LIVE,                               \
    "Time budget for retrying a batch, from its first failure; past it the "  \
    "batch is dropped.")                                                      \
  X(RETRY_AFTER_MAX_MS, "retry.after_max_ms", SBI_PT_DURATION, 1000,          \
    3600000, "300000", "", "0.1", SBI_LIVE,                                   \
    "Longest Retry-After wait honoured; longer values are cut to it.")        \
  /* HTTP */                                                                  \
  X(HTTP_CONNECT_TIMEOUT_MS, "http.connect_timeout_ms", SBI_PT_DURATION, 1,   \
    300000, "10000", "", "0.1", SBI_LIVE,                                     \
    "Timeout for connecting, TLS included.")                                  \
  X(HTTP_TIMEOUT_MS, "http.timeout_ms", SBI_PT_DURATION, 1, 3600000, "15000", \
    "", "0.1", SBI_LIVE,                                                      \
    "Timeout for a whole request, connecting included.")                      \
  X(HTTP_CA_FILE, "http.ca_file", SBI_PT_PATH, 0, 4096, "", "", "0.1",        \
    SBI_LIVE,                                                                 \
    "PEM bundle of CA certificates to trust. Empty: the system's.")           \
  X(HTTP_CA_PATH, "http.ca_path", SBI_PT_PATH, 0, 4096, "", "", "0.1",        \
    SBI_LIVE,                                                                 \
    "Directory of hashed CA certificates to trust. Empty: the system's.")     \
  X(HTTP_PROXY, "http.proxy", SBI_PT_URL, 0, 2048, "", "", "0.1", SBI_LIVE,   \
    "Proxy for every request, e.g. http://proxy:3128 or "                     \
    "http://user:password@proxy:3128. Its password reads back as "            \
    "[redacted]. Empty: the usual proxy environment variables apply.")        \
  /* delivery reports */                                                      \
  X(REPORT_MODE, "report.mode", SBI_PT_ENUM, 0, 0, "callback",                \
    SBI_REPORT_CHOICES, "0.1", SBI_LIVE,                                      \
    "callback: each delivery report goes to the callback set with "           \
    "segb_config_set_delivery_cb(), on the thread that sends (the "           \
    "dispatcher thread, or for an inline client the caller of flush, poll "   \
    "or close); poll: reports wait until segb_client_poll() serves them on "  \
    "the caller's thread, and segb_client_report_fd() is readable "           \
    "meanwhile.")                                                             \
  /* logging and statistics */                                                \
  X(LOG_LEVEL, "log.level", SBI_PT_INT, 0, 7, "6", "", "0.1", SBI_LIVE,       \
    "Most verbose syslog level passed to the log callback "                   \
    "(segb_config_set_log_cb()): 0 emergency .. 7 debug.")                    \
  X(STATISTICS_INTERVAL_MS, "statistics.interval_ms", SBI_PT_DURATION, 0,     \
    86400000, "0", "", "0.1", SBI_LIVE,                                       \
    "Interval of the statistics callback (segb_config_set_stats_cb()), "      \
    "which gets the counters as JSON text; 0 turns it off.")               \
  /* spool */                                                                 \
  X(SPOOL_PATH, "spool.path", SBI_PT_PATH, 0, 4096, "", "", "0.2", SBI_LIVE,  \
    "Directory of the disk spool: every accepted event is kept there until "  \
    "it has a fate, so that a client started after a crash or a kill sends "  \
    "it (docs/DURABILITY.md). Created when missing; one live client per "     \
    "directory. Empty: memory only.")                                         \
  X(SPOOL_MAX_BYTES, "spool.max_bytes", SBI_PT_INT, 65536, 68719476736,       \
    "268435456", "", "0.2", SBI_LIVE,                                         \
    "Most bytes of the spool's files; when they are full, queue.overflow "    \
    "applies as for a full queue.")                                           \
  X(SPOOL_FSYNC, "spool.fsync", SBI_PT_ENUM, 0, 0, "never",                   \
    SBI_SPOOL_FSYNC_CHOICES, "0.2", SBI_LIVE,                                 \
    "never: the spool survives the process being killed, not a power cut; "   \
    "interval: it is synced to disk every spool.fsync_interval_ms; always: "  \
    "enqueue returns once the event is on disk.")                             \
  X(SPOOL_FSYNC_INTERVAL_MS, "spool.fsync_interval_ms", SBI_PT_DURATION, 1,   \
    3600000, "1000", "", "0.2", SBI_LIVE,                                     \
    "Interval of the syncs with spool.fsync=interval.")
/* clang-format on */

typedef enum sbi_prop_id {
#define SBI__PROP_ID(id, name, type, min, max, def, choices, since, status,    \
                     desc)                                                     \
  SBI_PROP_##id,
  SBI_PROPS(SBI__PROP_ID)
#undef SBI__PROP_ID
      SBI_PROP__COUNT
} sbi_prop_id;

/* One row of the table. */
typedef struct sbi_prop {
  const char *name;
  sbi_prop_type type;
  int64_t min, max;
  const char *def;     /* default as text; "" for none */
  const char *choices; /* "a|b|c" for enum and list rows, "" otherwise */
  const char *since;
  sbi_prop_status status;
  const char *desc;
} sbi_prop;

/* Row @i (< sbi_prop_count()); row i describes sbi_prop_id i. */
const sbi_prop *sbi_prop_at(size_t i);
size_t sbi_prop_count(void);

/* Id of the property called @name, or -1 when there is none. */
int sbi_prop_find(const char *name);

/* Parse @v as a value of @p, checking its type and range but not the
 * row's status (segb_config_set() does that next): the value goes to *@val
 * and, when @text is not NULL, its canonical text (what segb_config_get()
 * shows; the caller frees it) to *@text. On failure nothing is written and
 * @errstr, when not NULL, says why. */
int sbi_prop_parse(const sbi_prop *p, const char *v, int64_t *val, char **text,
                   char *errstr, size_t errstr_size);

/* Lower-case name of a type as the docs and error messages show it. */
const char *sbi_prop_type_name(sbi_prop_type type);

/* 1 for the types whose value is never shown. */
static inline int sbi_prop_is_secret(const sbi_prop *p) {
  return p->type == SBI_PT_SECRET || p->type == SBI_PT_PEM;
}

/* Current text of a property: the canonical text of its value (choice name
 * for enums, "true"/"false" for bools). NULL when the value is empty. Secrets
 * come back in clear: this is for the library's own use only. */
const char *sbi_conf_str(const segb_config_t *conf, sbi_prop_id id);

/* Current value of an int or duration property; 0/1 for a bool, the choice
 * index for an enum, the bit set for a list. */
int64_t sbi_conf_int(const segb_config_t *conf, sbi_prop_id id);

/* The callbacks and opaque set through the typed setters in client.h and
 * config.h. */
segb_delivery_cb *sbi_conf_delivery_cb(const segb_config_t *conf);
segb_stats_cb *sbi_conf_stats_cb(const segb_config_t *conf);
void *sbi_conf_opaque(const segb_config_t *conf);

/* The logger of @conf: its log callback and opaque, log.level, and the
 * debug contexts (SBI_DEBUG_* are the SBI_LOG_* bits). */
void sbi_conf_logger(const segb_config_t *conf, sbi_logger *out);

#endif
