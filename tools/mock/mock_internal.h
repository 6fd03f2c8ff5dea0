/*
 * Internals of the mock Tracking API server, shared by its source files:
 *   mock.c          public API: start, stop, script, getters
 *   mock_http.c     libmicrohttpd plumbing and the per-request flow
 *   mock_inflate.c  gzip request bodies
 *   mock_validate.c routes, auth and the Segment spec checks
 *   mock_json.c     compact copies and byte spans of JSON text
 *   mock_store.c    request log, recorded messages, duplicates, stats
 *   mock_fault.c    scripted and seeded random faults
 *   mock_api.c      the Public API, and what the read APIs share
 *   mock_profile.c  the Profile API
 *   mock_token.c    OAuth: POST /token and the Bearer tokens it issues
 *   mock_debugger.c the Debugger page: its rows, counters and event stream
 */
#ifndef SEGB_MOCK_INTERNAL_H
#define SEGB_MOCK_INTERNAL_H

#include "mock.h"

#include <pthread.h>
#include <stdio.h>

/* Tracking API limits as the mock enforces them (KB = 1024 bytes). */
#define SBM_MAX_EVENT_BYTES (32u * 1024u)
#define SBM_MAX_BODY_BYTES (500u * 1024u)
#define SBM_MAX_BATCH_EVENTS 2500u
#define SBM_MAX_MESSAGE_ID_CHARS 100u

/* Guards against runaway uploads; both answer 413. */
#define SBM_MAX_RAW_BYTES (4u << 20)
#define SBM_MAX_INFLATED_BYTES (8u << 20)

/* Retention of the request log and of recorded messages: the oldest go
 * first once either bound is passed. */
#define SBM_KEEP_REQUESTS 100000u
#define SBM_KEEP_REQUEST_BYTES (256u << 20)
#define SBM_KEEP_MESSAGES 1000000u
#define SBM_KEEP_MESSAGE_BYTES (256u << 20)

/* ---- mock_json.c ---------------------------------------------------- */

/* Copy of the JSON text @s (@n bytes, already known to be valid JSON)
 * without the whitespace outside strings; NUL-terminated, length in
 * @out_len. NULL when out of memory. */
char *sbm_json_minify(const char *s, size_t n, size_t *out_len);

typedef struct sbm_span {
  size_t start, end; /* byte offsets, end exclusive */
} sbm_span;

/* In the minified object text @s, the spans of the elements of the first
 * top-level member named @key, which must be an array. 0 on success (an
 * allocated array in @out, possibly empty), -1 when there is no such array
 * or out of memory. */
int sbm_json_array_spans(const char *s, size_t n, const char *key,
                         sbm_span **out, size_t *count);

/* ---- mock_inflate.c ------------------------------------------------- */

typedef enum sbm_inflate_rc {
  SBM_INFLATE_OK,
  SBM_INFLATE_MALFORMED,
  SBM_INFLATE_TOO_BIG,
  SBM_INFLATE_NOMEM
} sbm_inflate_rc;

/* Decode a complete gzip stream into a NUL-terminated buffer of at most
 * @limit bytes. */
sbm_inflate_rc sbm_gunzip(const char *in, size_t in_len, size_t limit,
                          char **out, size_t *out_len);

/* ---- mock_validate.c ------------------------------------------------ */

/* One message to record: compact JSON and its messageId (NULL if none). */
typedef struct sbm_event {
  char *json;
  size_t len;
  char *message_id;
} sbm_event;

typedef enum sbm_outcome {
  SBM_OUT_ACCEPTED, /* 200, messages recorded */
  SBM_OUT_DROPPED,  /* 200, but the batch was refused (over 2,500 events) */
  SBM_OUT_REJECTED, /* 4xx from routing, auth or validation */
  SBM_OUT_FAULT     /* answer replaced by an injected fault */
} sbm_outcome;

typedef struct sbm_verdict {
  unsigned status; /* HTTP status; 0 for a connection reset */
  sbm_outcome outcome;
  char error[384]; /* the reason, for every status but 200 */
  int retry_after; /* >= 0: send Retry-After with this many seconds */
  char *reply;     /* set by the other APIs' routes: the whole JSON body to
                      answer with, instead of the Tracking API's envelope */
  sbm_event *events;
  size_t n_events;
} sbm_verdict;

typedef struct sbm_vinput {
  const char *method;
  const char *path;
  const char *authorization; /* header values, NULL when absent */
  const char *content_type;
  const char *body; /* decoded, NUL-terminated */
  size_t body_len;
  const char *write_key; /* NULL: any non-empty key */
  sbm_mock *mock;        /* for the other APIs' state */
  void *connection;      /* the MHD connection, for sbm_query_arg() */
  const char *target;    /* the request target as sent (%-encoded, query
                            included); NULL if unknown */
  int refuse_poison;     /* sbm_options' */
  size_t max_body;
} sbm_vinput;

/* The decoded value of query argument @name of the request, or NULL. */
const char *sbm_query_arg(const sbm_vinput *in, const char *name);

/* Value of hex digit @c (either case), or -1. */
static inline int sbm_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* ---- mock_routes.c: Segment's APIs beside the Tracking API ---------- */

/* Answer @in when it is a route of another API (OAuth /token, Public API,
 * Profile API) and return 1; 0 leaves it to the Tracking API. */
int sbm_route_other(const sbm_vinput *in, sbm_verdict *v);

/* Whether @path is a Tracking API route (/v1/batch, /v1/track, ...). */
int sbm_is_tracking_path(const char *path);

/* Route, authenticate and check one request; fills @out (events owned by
 * it until handed to the store). */
void sbm_validate(const sbm_vinput *in, sbm_verdict *out);

/* Set @v to an error answer with a printf-style reason. */
void sbm_verdict_fail(sbm_verdict *v, unsigned status, sbm_outcome outcome,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void sbm_verdict_free(sbm_verdict *v);

/* ---- mock_store.c --------------------------------------------------- */

typedef struct sbm_header {
  char *name;
  char *value;
} sbm_header;

/* One request as the log keeps it. */
typedef struct sbm_request {
  char *path;
  sbm_header *headers;
  size_t n_headers, cap_headers;
  char *body; /* decoded when decoding succeeded, else as received */
  size_t body_len;
  int status;
} sbm_request;

/* A FIFO that keeps absolute indices: item k stays item k after older
 * items have been dropped. */
typedef struct sbm_ring {
  void **slot;
  size_t cap, head, len;
  size_t first; /* absolute index of slot[head] */
} sbm_ring;

typedef struct sbm_idslot {
  char *id; /* NULL: free */
  uint64_t hash;
  size_t count;
} sbm_idslot;

/* messageIds of the kept messages, with how often each occurs. */
typedef struct sbm_idset {
  sbm_idslot *slot;
  size_t cap, used;
} sbm_idset;

typedef struct sbm_store {
  pthread_mutex_t lock;
  sbm_ring requests, messages;
  size_t request_bytes, message_bytes;
  sbm_idset ids;
  sbm_stats stats;
  FILE *record; /* NDJSON copy of accepted messages, or NULL */
  int record_failed;
  size_t keep_requests, keep_messages; /* retention counts */
} sbm_store;

/* @keep: sbm_options.keep (0: the SBM_KEEP_* defaults). */
void sbm_store_init(sbm_store *s, FILE *record, size_t keep);
void sbm_store_free(sbm_store *s);

/* Add a header copy to @r; -1 when out of memory. */
int sbm_request_add_header(sbm_request *r, const char *name, const char *value);
void sbm_request_free(sbm_request *r);

/* Log @req (taken over) with @v's status, record @v's events (taken over)
 * and count the outcome; returns the request's index in the log. With
 * @duplicate (v->n_events flags), flags the events whose messageId was
 * seen. */
size_t sbm_store_commit(sbm_store *s, sbm_request *req, sbm_verdict *v,
                        unsigned char *duplicate);

void sbm_store_stats(sbm_store *s, sbm_stats *out);
char *sbm_store_message(sbm_store *s, size_t i);
char *sbm_store_header(sbm_store *s, size_t i, const char *name);
char *sbm_store_body(sbm_store *s, size_t i);
char *sbm_store_path(sbm_store *s, size_t i);
int sbm_store_status(sbm_store *s, size_t i);

/* ---- mock_fault.c --------------------------------------------------- */

typedef struct sbm_script_step {
  sbm_fault fault;
  int left;
  int arg;
} sbm_script_step;

typedef struct sbm_faults {
  pthread_mutex_t lock;
  sbm_script_step *steps; /* FIFO: steps[head .. len) are pending */
  size_t head, len, cap;
  uint64_t rng;
  double rate;
} sbm_faults;

void sbm_faults_init(sbm_faults *f, uint64_t seed, double rate);
void sbm_faults_free(sbm_faults *f);
/* Append @count requests' worth of @fault; -1 when out of memory. */
int sbm_faults_add(sbm_faults *f, sbm_fault fault, int count, int arg);
/* The fault for the next request, with its argument in @arg. */
sbm_fault sbm_faults_next(sbm_faults *f, int *arg);
/* How many requests the script still covers; the random rate in @rate. */
size_t sbm_faults_pending(sbm_faults *f, double *rate);

/* ---- mock_token.c --------------------------------------------------- */

typedef struct sbm_oauth sbm_oauth;

/* The OAuth state for @opts into *@out (NULL when OAuth is off). -1 with
 * @errstr filled when the public key does not load or out of memory. */
int sbm_oauth_new(const sbm_options *opts, sbm_oauth **out, char *errstr,
                  size_t errstr_size);
void sbm_oauth_free(sbm_oauth *oa);

/* POST /token. */
void sbm_route_token(const sbm_vinput *in, sbm_verdict *v);

/* Why the Tracking API refuses Bearer @token, or NULL when it is fine (or
 * OAuth is off: then any token is). */
const char *sbm_oauth_bearer_problem(sbm_mock *m, const char *token);

/* ---- mock_api.c, mock_profile.c: the Public and Profile APIs -------- */

struct cJSON;

/* The read APIs' data set and throttle, from the options. */
typedef struct sbm_api {
  char *api_token;     /* NULL: any Bearer token */
  char *profile_token; /* NULL: any Basic "<token>:" */
  char *space_id;
  int sources;          /* src_001 .. */
  int events;           /* per profile */
  pthread_mutex_t lock; /* guards the throttle */
  int throttle_left, throttle_ms;
} sbm_api;

/* NULL when out of memory. */
sbm_api *sbm_api_new(const sbm_options *opts);
void sbm_api_free(sbm_api *a);

/* Routes: GET /sources[/id], GET / (answers 404 for any other GET path),
 * GET /v1/spaces/... */
void sbm_public_sources(const sbm_vinput *in, sbm_verdict *v);
void sbm_public_root(const sbm_vinput *in, sbm_verdict *v);
void sbm_profile_route(const sbm_vinput *in, sbm_verdict *v);

/* Shared by the two: the msBeforeNext of a pending throttle (taking it),
 * or -1; an answer with @body (taken over, may be NULL); base64; cursors
 * for an offset (0, or -1 when @cursor is not one); a count argument
 * within 1..@max (-1 when malformed); one raw path segment decoded
 * strictly (NULL when a byte should have been %-encoded); the raw path
 * without its query. */
int sbm_api_throttle_take(sbm_mock *m);
void sbm_api_answer(sbm_verdict *v, unsigned status, struct cJSON *body);
char *sbm_b64_encode(const unsigned char *in, size_t n);
char *sbm_b64_decode(const char *in, size_t *len);
char *sbm_cursor_make(size_t offset);
int sbm_cursor_read(const char *cursor, size_t *offset);
int sbm_count_arg(const sbm_vinput *in, const char *name, int def, int max,
                  int *out);
char *sbm_segment_decode(const char *s, size_t n);
const char *sbm_raw_path(const sbm_vinput *in, size_t *len);

/* ---- mock_debugger.c: the Debugger page ------------------------------ */

/* Rows kept for the page by default (sbm_options.debugger_keep). */
#define SBM_DEBUGGER_KEEP 1000u

typedef struct sbm_debugger sbm_debugger;

/* NULL when out of memory. @keep: 0 gives SBM_DEBUGGER_KEEP. */
sbm_debugger *sbm_debugger_new(size_t keep);
/* End the event streams (before the daemon stops, which joins them). */
void sbm_debugger_stop(sbm_debugger *d);
void sbm_debugger_free(sbm_debugger *d);

/* The page's rows from one request, made before the store takes the
 * request and its events over, and published after with the request's
 * index in the log. */
typedef struct sbm_feed {
  struct cJSON *rows;       /* NULL: no rows (only counted) */
  size_t n_events;          /* the accepted events: the first rows */
  unsigned char *duplicate; /* per event, for sbm_store_commit */
  char reason[24];          /* a refusal's counter key, or "" */
  size_t bytes;             /* the body as received */
} sbm_feed;

void sbm_feed_init(sbm_feed *f, sbm_mock *m, const sbm_request *req,
                   const sbm_verdict *v, size_t bytes);
/* Publish and count @f's rows, emptying @f. */
void sbm_feed_publish(sbm_debugger *d, sbm_feed *f, size_t request);

struct MHD_Connection;

/* Whether @method @url is the page's (with the page on). */
int sbm_debugger_path(const sbm_mock *m, const char *method, const char *url);
/* Answer one of the page's URLs; an MHD_Result. */
int sbm_debugger_answer(sbm_mock *m, struct MHD_Connection *c, const char *url);

/* ---- mock.c / mock_http.c ------------------------------------------- */

struct MHD_Daemon;

/* The mock's wall clock in ms: the machine's plus the clock offset. */
int64_t sbm_clock_ms(const sbm_mock *m);

struct sbm_mock {
  char *write_key;
  char *tls_cert, *tls_key; /* the daemon reads these while it runs */
  int quiet;
  struct MHD_Daemon *daemon;
  uint16_t port;
  char url[40];
  sbm_store store;
  sbm_faults faults;
  sbm_api *api;           /* the Public and Profile APIs */
  sbm_oauth *oauth;       /* NULL: no OAuth */
  sbm_debugger *debugger; /* NULL: no Debugger page */
  int clock_offset_s;
  int refuse_poison;
  size_t max_body;
  int latency_ms;
  /* Wakes handlers sleeping for a DELAY fault or the latency when the mock
   * stops. */
  pthread_mutex_t stop_lock;
  pthread_cond_t stop_cond;
  int stopping;
};

/* Start the daemon on 127.0.0.1:@port; fills m->daemon and m->port. */
int sbm_http_start(sbm_mock *m, uint16_t port, char *errstr,
                   size_t errstr_size);
void sbm_http_stop(sbm_mock *m);

#endif
