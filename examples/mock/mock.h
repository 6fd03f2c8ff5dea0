/*
 * A local Segment-compatible Tracking API server (libmicrohttpd) for
 * development and tests: `segbridge mock`, the demo and the integration
 * tests all run this one implementation. It listens on 127.0.0.1 only.
 *
 * It serves POST /v1/batch (and /v1/import) and the single-event routes
 * /v1/identify, /v1/track, /v1/page, /v1/screen, /v1/group, /v1/alias;
 * checks auth (Basic "<key>:" or a body writeKey) and the spec (type,
 * identity, per-type required fields, messageId <= 100 chars, timestamps,
 * 32 KB per event, 500 KB per request); accepts gzip bodies; records
 * accepted messages (optionally to an NDJSON file); counts duplicate
 * messageIds; and injects faults, scripted or at a seeded random rate.
 *
 * Stricter than Segment, on purpose: where the Tracking API answers 200 and
 * silently drops an invalid event, the mock fails the whole request with
 * 400 and {"success":false,"error":"batch[3]: track: 'event' is required
 * ..."} naming the event and the field, and records nothing from it. It also
 * wants Content-Type: application/json (415 otherwise). As with Segment, a
 * batch of more than 2,500 events gets 200 and is dropped whole (counted in
 * `rejected`, nothing recorded). Limits: 32 KB = 32,768 bytes per event,
 * 500 KB = 512,000 bytes per body after gzip decoding, both "Exceed payload
 * limit" 400s; uploads over 4 MB, or gzip inflating past 8 MB, get 413.
 * Other answers: 401 for auth, 404 unknown path, 405 not POST, 415 other
 * Content-Encoding; success is 200 {"success":true}.
 *
 * Recorded messages are the bytes the client sent for each event (the whole
 * body on single-event routes) minus insignificant whitespace: numbers and
 * escapes are kept as sent. The NDJSON file is opened for appending.
 * Memory is bounded: the log keeps the last 100,000 requests (256 MB at
 * most), the recorder the last 1,000,000 messages (256 MB at most); indices
 * stay absolute, so a dropped entry reads as NULL. Duplicates are counted
 * among the kept messages.
 */
#ifndef SEGB_MOCK_H
#define SEGB_MOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbm_mock sbm_mock;

typedef enum sbm_fault {
  SBM_FAULT_NONE,
  SBM_FAULT_500,          /* 500 Internal Server Error */
  SBM_FAULT_503,          /* 503 Service Unavailable */
  SBM_FAULT_429,          /* 429 with Retry-After: arg seconds */
  SBM_FAULT_RESET,        /* close the connection without a response;
                             libcurl retries a request once by itself when
                             a reused connection dies like this, and that
                             retry takes the next script entry */
  SBM_FAULT_DELAY,        /* answer normally after arg milliseconds (cut
                             short by sbm_stop) */
  SBM_FAULT_400,          /* 400 as for an oversized or invalid request */
  SBM_FAULT_401           /* 401 as for a rejected write key */
} sbm_fault;

typedef struct sbm_options {
  uint16_t port;          /* 0: any free port */
  const char *write_key;  /* NULL: accept any credentials, but require some */
  const char *record_path;/* NULL: keep messages in memory only */
  uint64_t seed;          /* random faults are reproducible from it */
  double fail_rate;       /* 0..1: share of requests answered with a random
                             fault (500, 503, 429 with Retry-After: 1, reset) */
  const char *tls_cert_pem; /* both set: serve HTTPS with this certificate */
  const char *tls_key_pem;
  int quiet;              /* no per-request log on stderr */
} sbm_options;

/* Start serving in background threads. NULL with @errstr filled on
 * failure (port in use, bad certificate). */
sbm_mock *sbm_start(const sbm_options *opts, char *errstr, size_t errstr_size);

/* Stop serving and free everything. Accepts NULL. */
void sbm_stop(sbm_mock *m);

uint16_t sbm_port(const sbm_mock *m);
/* "http://127.0.0.1:<port>" (https with TLS). */
const char *sbm_url(const sbm_mock *m);

/* Answer the next @count requests with @fault (@arg as the fault says),
 * before any random faults. Calls append to the script. SBM_FAULT_NONE
 * answers normally, without a random fault. Faults apply before auth and
 * validation. Random faults are drawn only for unscripted requests. */
void sbm_script(sbm_mock *m, sbm_fault fault, int count, int arg);

/* What the mock saw. Thread-safe snapshots. */
typedef struct sbm_stats {
  uint64_t requests;         /* every request received */
  uint64_t accepted_requests;/* answered 200 */
  uint64_t messages;         /* accepted messages */
  uint64_t duplicates;       /* accepted messages whose messageId was seen */
  uint64_t rejected;         /* answered 4xx by validation or auth, or a
                                batch of over 2,500 events dropped (200) */
  uint64_t faults;           /* answered by an injected fault (a DELAY
                                only delays the normal answer: not here) */
} sbm_stats;
void sbm_get_stats(sbm_mock *m, sbm_stats *out);

/* The @i-th accepted message as compact JSON (a copy the caller frees), in
 * arrival order; NULL past the end. */
char *sbm_message(sbm_mock *m, size_t i);

/* Headers and body of the @i-th request received (copies; NULL past the
 * end). The body is after gzip decoding. @name is case-insensitive. */
char *sbm_request_header(sbm_mock *m, size_t i, const char *name);
char *sbm_request_body(sbm_mock *m, size_t i);
/* The path and the status the mock answered for request @i: 0 for a
 * RESET, -1 past the end. A request enters the log once answered. */
char *sbm_request_path(sbm_mock *m, size_t i);
int sbm_request_status(sbm_mock *m, size_t i);

#endif
