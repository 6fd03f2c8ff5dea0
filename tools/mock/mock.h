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
 * Content-Encoding; success is 200 {"success":true}. With OAuth options it
 * also serves POST /token (see sbm_options).
 *
 * Recorded messages are the bytes the client sent for each event (the whole
 * body on single-event routes) minus insignificant whitespace: numbers and
 * escapes are kept as sent. The NDJSON file is opened for appending.
 * Memory is bounded: the log keeps the last 100,000 requests (256 MB at
 * most), the recorder the last 1,000,000 messages (256 MB at most), or
 * fewer (sbm_options.keep); indices stay absolute, so a dropped entry reads
 * as NULL. Duplicates are counted among the kept messages.
 */
#ifndef SEGB_MOCK_H
#define SEGB_MOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbm_mock sbm_mock;

typedef enum sbm_fault {
  SBM_FAULT_NONE,
  SBM_FAULT_500,   /* 500 Internal Server Error */
  SBM_FAULT_503,   /* 503 Service Unavailable */
  SBM_FAULT_429,   /* 429 with Retry-After: arg seconds */
  SBM_FAULT_RESET, /* close the connection without a response;
                      libcurl retries a request once by itself when
                      a reused connection dies like this, and that
                      retry takes the next script entry */
  SBM_FAULT_DELAY, /* answer normally after arg milliseconds (cut
                      short by sbm_stop) */
  SBM_FAULT_400,   /* 400 as for an oversized or invalid request */
  SBM_FAULT_401    /* 401 as for a rejected write key */
} sbm_fault;

typedef struct sbm_options {
  uint16_t port;            /* 0: any free port */
  const char *write_key;    /* NULL: accept any credentials, but require some */
  const char *record_path;  /* NULL: keep messages in memory only */
  uint64_t seed;            /* random faults are reproducible from it */
  double fail_rate;         /* 0..1: share of requests answered with a random
                               fault (500, 503, 429 with Retry-After: 1, reset) */
  const char *tls_cert_pem; /* both set: serve HTTPS with this certificate */
  const char *tls_key_pem;
  int quiet;   /* no per-request log on stderr */
  size_t keep; /* keep only the last @keep requests and messages
                  (within the byte bounds still); 0: the
                  defaults above. */
  /* OAuth: with a public key the mock serves POST /token, checking RS256
   * client assertions (signature, kid, iss = sub = client ID, aud = its own
   * URL, a lifetime of at most 60 s, iat/exp against its clock, no jti
   * twice) and issuing opaque tokens; its Tracking routes then take a
   * Bearer token only if it issued it and it has not expired or been
   * revoked (the body writeKey is still checked). Basic stays accepted. */
  const char *oauth_public_key_pem;
  const char *oauth_key_id;    /* the kid accepted; NULL: any */
  const char *oauth_client_id; /* the iss/sub accepted; NULL: any */
  const char *oauth_scope;     /* the one scope granted; NULL:
                                  tracking_api:write */
  int oauth_token_lifetime_s;  /* expires_in of tokens; 0: 3600 */
  /* The mock's clock runs this many seconds ahead of the machine's
   * (negative: behind): its Date headers and its token times. */
  int clock_offset_s;
  /* Public API and Profile API (mock_api.c, mock_profile.c). Public API:
   * GET / (the workspace), GET /sources (pages of pagination.count, 1..1000,
   * default 200, opaque pagination.cursor; data.pagination.next) and GET
   * /sources/{id} (src_001 ..; "src_truncated" and "src_malformed" answer
   * 200 with a cut and a non-JSON body), with Bearer auth and
   * {"errors":[...]} envelopes. Profile API: GET /v1/spaces/<space>/
   * collections/<users|accounts>/profiles/<type:value>/<traits|events|
   * external_ids|metadata>, with Basic "<token>:" auth, `limit` (traits
   * 1..200, others 1..100, default 10), `include`, cursor pages (`next`;
   * cursor.has_more/next) and 404 {"error":{"code":"not_found",...}} for
   * unknown profiles. Its profiles: user_id:u-1 (also
   * email:jane@example.com, anonymous_id:a-1; 12 traits), "user_id:jane
   * doe/\xc3\xbc+1" (a space, a slash, a u-umlaut, a plus; also
   * email:jane+test@example.com, phone_number:+15555550123) and, in
   * accounts, group_id:g-1. Identifier segments are decoded strictly from
   * the request as sent: a space, non-ASCII byte or raw '+' in one gets a
   * 400. Cursors start with "+/". */
  const char *api_token;     /* Public API Bearer token; NULL: any */
  const char *profile_token; /* Profile API access token; NULL: any */
  const char *space_id;      /* the one space served; NULL: "spa_mock" */
  int api_sources;           /* sources in the workspace: 0 gives 5,
                                negative none */
  int profile_events;        /* events of each profile: 0 gives 30 (at
                                most 10,000, newest first) */
  /* Refusals a real Segment (or a proxy in front of it) may give, for the
   * client's poison isolation: with refuse_poison, an event whose
   * properties or traits hold "poison": true fails its request with 400
   * "batch[i]: track: 'properties.poison' is refused (a poisoned event)";
   * with max_body, a body (after gzip decoding) over @max_body bytes gets
   * 413 "Payload Too Large". 0: off. */
  int refuse_poison;
  size_t max_body;
  /* A round trip of about @latency_ms to simulate a distant server: each
   * Tracking API request (the /v1/ routes above) is answered latency_ms
   * after it arrived (its headers were in), plus a DELAY fault's wait; the
   * other APIs answer at once. Connections wait independently, each in its
   * own thread, and sbm_stop cuts the waits short. A request is logged and
   * counted in sbm_stats before its wait. 0: answer at once. */
  int latency_ms;
  /* The Debugger page (`segbridge mock --ui`, docs/DEBUGGER.md): with
   * @debugger, GET /debugger serves a page that shows each accepted event
   * and each refused request (with the mock's reason) live, and the
   * counters; GET /debugger/stream is its Server-Sent Events stream,
   * /debugger/events and /debugger/state its JSON. Credentials never
   * reach it: Authorization shows as its kind, writeKey values and the
   * write key itself as [redacted]. The page's requests are not the
   * Tracking API's: no faults, not logged, not counted. Its counters are
   * exact; its rows are the last @debugger_keep (0: 1,000), each one
   * event (32 KB at most) or the first 16 KB of a refused body, JSON-
   * escaped, and a page that reads slowly skips rows, never holds the
   * mock up. sbm_stop ends the streams. */
  int debugger;
  size_t debugger_keep;
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

/* Answer the next @count Public API and Profile API requests with their
 * API's own 429, before auth: the Public API's carries data.msBeforeNext =
 * @ms_before_next and no Retry-After, the Profile API's only
 * {"error":{"code":"rate_limit_error"}}. Counted as faults. (sbm_script
 * faults apply to these routes too, with a Tracking API body.) */
void sbm_api_throttle(sbm_mock *m, int count, int ms_before_next);

/* What the mock saw. Thread-safe snapshots. */
typedef struct sbm_stats {
  uint64_t requests;          /* every request received */
  uint64_t accepted_requests; /* answered 200 */
  uint64_t messages;          /* accepted messages */
  uint64_t duplicates;        /* accepted messages whose messageId was seen */
  uint64_t rejected;          /* answered 4xx by validation or auth, or a
                                 batch of over 2,500 events dropped (200) */
  uint64_t faults;            /* answered by an injected fault (a DELAY
                                 only delays the normal answer: not here) */
} sbm_stats;
void sbm_get_stats(sbm_mock *m, sbm_stats *out);

/* What the OAuth routes saw. Thread-safe snapshot. */
typedef struct sbm_oauth_stats {
  uint64_t token_requests; /* POST /token handled (faults answer before) */
  uint64_t tokens_issued;
  uint64_t bearer_refused; /* Tracking requests refused for their token */
} sbm_oauth_stats;
void sbm_get_oauth_stats(sbm_mock *m, sbm_oauth_stats *out);

/* Revoke every token issued so far: their next use gets a 401. */
void sbm_oauth_revoke(sbm_mock *m);

/* The @i-th accepted message as compact JSON (a copy the caller frees), in
 * arrival order; NULL past the end. */
char *sbm_message(sbm_mock *m, size_t i);

/* Headers and body of the @i-th request received (copies; NULL past the
 * end). The body is after gzip decoding. @name is case-insensitive. */
char *sbm_request_header(sbm_mock *m, size_t i, const char *name);
char *sbm_request_body(sbm_mock *m, size_t i);
/* The path and the status the mock answered for request @i: 0 for a
 * RESET, -1 past the end. A request enters the log once its answer is
 * decided (before the latency, if any). */
char *sbm_request_path(sbm_mock *m, size_t i);
int sbm_request_status(sbm_mock *m, size_t i);

#endif
