/* The Tracking API client end to end: real libcurl against the mock server
 * on loopback, through the public API only (plus the mock's own API). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <segbridge/segbridge.h>
#include <segbridge/client.h>

#include "client_fixture.h"
#include "mock.h"
#include "raw_server.h"
#include "tls_cert.h"

#define WRITE_KEY "abc123"
/* A deadline that only a hang reaches (a flush that must end by itself). */
#define GENEROUS_MS 60000
/* base64("abc123:"), Segment's documented example */
#define BASIC "Basic YWJjMTIzOg=="

typedef fx_client fixture;
#define set fx_set
#define open_client fx_open
#define finish fx_close

/* A mock requiring WRITE_KEY (with @mo's extras) and a config pointed at
 * it, with fast retries; then the name, value pairs in @extras. */
static void start_va(fixture *f, sbm_options mo, va_list extras) {
  mo.write_key = WRITE_KEY;
  fx_start(f, mo, WRITE_KEY);
  fx_finish_config(f, extras);
}

/* As start_va; extra settings come as name, value pairs ending in NULL. */
static void start(fixture *f, ...) {
  sbm_options mo;
  va_list ap;

  memset(&mo, 0, sizeof mo);
  va_start(ap, f);
  start_va(f, mo, ap);
  va_end(ap);
}

/* start() with the mock serving HTTPS with @cert and @key. */
static void start_tls(fixture *f, char *cert, char *key, ...) {
  sbm_options mo;
  va_list ap;

  memset(&mo, 0, sizeof mo);
  mo.tls_cert_pem = cert;
  mo.tls_key_pem = key;
  va_start(ap, key);
  start_va(f, mo, ap);
  va_end(ap);
}

static uint64_t mock_messages(fixture *f) { return fx_stats(f).messages; }

static uint64_t mock_requests(fixture *f) { return fx_stats(f).requests; }

static void track_n(fixture *f, int n) {
  char props[320];
  int i;
  for (i = 0; i < n; i++) {
    snprintf(props, sizeof props, "{\"i\":%d,\"pad\":\"%0200d\"}", i, 0);
    assert_int_equal(segb_track(f->client, "u-1", NULL, "Tested", props),
                     SEGB_OK);
  }
}

static void test_every_type(void **state) {
  static const char *const types[] = {"identify", "track", "page",
                                      "screen",   "group", "alias"};
  fixture f;
  size_t i;
  (void)state;

  start(&f, NULL);
  open_client(&f);
  assert_int_equal(segb_identify(f.client, "u-1", NULL, "{\"plan\":\"pro\"}"),
                   SEGB_OK);
  assert_int_equal(segb_track(f.client, NULL, "a-1", "Signed Up", NULL),
                   SEGB_OK);
  assert_int_equal(segb_page(f.client, "u-1", NULL, "Home", "{\"x\":1}"),
                   SEGB_OK);
  assert_int_equal(segb_screen(f.client, "u-1", NULL, "Settings", NULL),
                   SEGB_OK);
  assert_int_equal(segb_group(f.client, "u-1", NULL, "g-1", "{\"n\":2}"),
                   SEGB_OK);
  assert_int_equal(segb_alias(f.client, "u-1", "a-1"), SEGB_OK);
  assert_int_equal(segb_client_outq_len(f.client), 6);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  assert_int_equal(f.out.delivered, 6);
  assert_int_equal(mock_messages(&f), 6);
  for (i = 0; i < 6; i++) {
    char *m = sbm_message(f.mock, i), want[32];
    snprintf(want, sizeof want, "\"type\":\"%s\"", types[i]);
    assert_non_null(m);
    assert_non_null(strstr(m, want));
    assert_non_null(strstr(m, "\"library\":{\"name\":\"libsegbridge\""));
    free(m);
  }
  /* one request, Basic auth exactly as Segment documents it */
  assert_int_equal(mock_requests(&f), 1);
  {
    char *auth = sbm_request_header(f.mock, 0, "authorization");
    char *ua = sbm_request_header(f.mock, 0, "User-Agent");
    char *path = sbm_request_path(f.mock, 0);
    char *body = sbm_request_body(f.mock, 0);
    assert_string_equal(auth, BASIC);
    assert_string_equal(ua, "libsegbridge/" SEGB_VERSION_STR);
    assert_string_equal(path, "/v1/batch");
    assert_null(strstr(body, "writeKey"));
    assert_non_null(strstr(body, "\"sentAt\":\""));
    free(auth);
    free(ua);
    free(path);
    free(body);
  }
  /* invalid input is refused at once and never queued */
  assert_int_equal(segb_track(f.client, NULL, NULL, "E", NULL),
                   SEGB_ERR_MISSING_FIELD);
  assert_int_equal(segb_track(f.client, "u", NULL, "E", "[1]"),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  finish(&f);
}

/* message.default_context: every event's context gets its members, the
 * event's own winning and the library's member kept; an imported event's
 * context merges too; a sealed message is sent as sealed. */
static void test_default_context(void **state) {
  fixture f;
  segb_message_t *m;
  char *sent;
  (void)state;

  start(&f, "message.default_context",
        "{\"app\": {\"name\": \"shop\", \"version\": \"2.1\"},\n"
        " \"locale\": \"fr-FR\"}",
        NULL);
  open_client(&f);
  assert_int_equal(segb_track(f.client, "u-1", NULL, "Plain", NULL), SEGB_OK);
  m = segb_message_new(SEGB_MSG_TRACK);
  assert_non_null(m);
  assert_int_equal(segb_message_set_string(m, "userId", "u-2"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "Own"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "context.locale", "de-DE"),
                   SEGB_OK);
  assert_int_equal(segb_client_enqueue(f.client, m), SEGB_OK);
  m = segb_message_new(SEGB_MSG_TRACK);
  assert_non_null(m);
  assert_int_equal(segb_message_set_string(m, "userId", "u-3"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "Sealed"), SEGB_OK);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  assert_int_equal(segb_client_enqueue(f.client, m), SEGB_OK);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 3);

  sent = sbm_message(f.mock, 0);
  assert_non_null(strstr(sent, "\"app\":{\"name\":\"shop\",\"version\":"
                               "\"2.1\"}"));
  assert_non_null(strstr(sent, "\"locale\":\"fr-FR\""));
  assert_non_null(strstr(sent, "\"library\":{\"name\":\"libsegbridge\""));
  free(sent);
  sent = sbm_message(f.mock, 1);
  assert_non_null(strstr(sent, "\"locale\":\"de-DE\""));
  assert_null(strstr(sent, "fr-FR"));
  assert_non_null(strstr(sent, "\"app\":{"));
  free(sent);
  sent = sbm_message(f.mock, 2);
  assert_null(strstr(sent, "\"app\""));
  free(sent);
  finish(&f);
}

/* send=false: events are checked and accepted as usual, none is sent, each
 * is reported at once with SEGB_ERR_SEND_DISABLED (thread and inline
 * mode); invalid ones are still refused; a spool is refused with it. */
static void test_send_disabled(void **state) {
  static const char *const modes[] = {"thread", "inline"};
  char err[SEGB_ERRSTR_SIZE];
  int64_t v[SEGB_STAT__COUNT];
  size_t i;
  (void)state;

  for (i = 0; i < 2; i++) {
    fixture f;

    start(&f, "send", "false", "dispatch.mode", modes[i], NULL);
    open_client(&f);
    track_n(&f, 5);
    assert_int_equal(segb_track(f.client, NULL, NULL, "E", NULL),
                     SEGB_ERR_MISSING_FIELD);
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    assert_int_equal(f.out.delivered, 0);
    assert_int_equal(f.out.dropped, 5);
    assert_int_equal(f.out.last_err, SEGB_ERR_SEND_DISABLED);
    assert_int_equal(segb_client_stats(f.client, v, SEGB_STAT__COUNT),
                     SEGB_STAT__COUNT);
    assert_int_equal(v[SEGB_STAT_ENQUEUED], 5);
    assert_int_equal(v[SEGB_STAT_DROPPED], 5);
    assert_int_equal(v[SEGB_STAT_REQUESTS], 0);
    assert_int_equal(mock_requests(&f), 0);
    finish(&f);
  }
  {
    segb_config_t *conf = segb_config_new();

    assert_non_null(conf);
    set(conf, "write_key", WRITE_KEY);
    set(conf, "send", "false");
    set(conf, "spool.path", "/tmp/segb-never-made");
    assert_null(segb_client_new(conf, err, sizeof err));
    assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
    assert_non_null(strstr(err, "send=false"));
    segb_config_destroy(conf);
  }
}

static void test_write_key_in_body(void **state) {
  fixture f;
  char *body;
  (void)state;

  start(&f, "write_key.in_body", "true", NULL);
  open_client(&f);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  body = sbm_request_body(f.mock, 0);
  assert_non_null(strstr(body, ",\"writeKey\":\"" WRITE_KEY "\"}"));
  free(body);
  assert_int_equal(f.out.delivered, 1);
  finish(&f);
}

static void test_gzip(void **state) {
  fixture f;
  char *enc, *body;
  (void)state;

  start(&f, "compression", "gzip", NULL);
  open_client(&f);
  track_n(&f, 20);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  enc = sbm_request_header(f.mock, 0, "Content-Encoding");
  assert_string_equal(enc, "gzip");
  body = sbm_request_body(f.mock, 0); /* as the mock inflated it */
  assert_non_null(strstr(body, "{\"batch\":[{\"type\":\"track\""));
  free(enc);
  free(body);
  assert_int_equal(mock_messages(&f), 20);
  assert_int_equal(f.out.delivered, 20);
  finish(&f);
}

static void test_batching_by_count_and_bytes(void **state) {
  fixture f;
  size_t i;
  (void)state;

  start(&f, "batch.max_events", "10", NULL);
  open_client(&f);
  track_n(&f, 25);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(mock_requests(&f), 3);
  assert_int_equal(mock_messages(&f), 25);
  finish(&f);

  /* each event is about 420 bytes: 2000-byte bodies hold 4 */
  start(&f, "batch.max_bytes", "2000", NULL);
  open_client(&f);
  track_n(&f, 10);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(mock_messages(&f), 10);
  assert_true(mock_requests(&f) >= 3);
  for (i = 0; i < mock_requests(&f); i++) {
    char *body = sbm_request_body(f.mock, i);
    assert_true(strlen(body) <= 2000);
    free(body);
  }
  assert_int_equal(f.out.delivered, 10);
  finish(&f);
}

/* Scripted faults that a retry cures: each ends delivered, with the retry
 * counted in X-Retry-Count. */
static void test_retried_faults(void **state) {
  static const sbm_fault faults[] = {SBM_FAULT_500, SBM_FAULT_503,
                                     SBM_FAULT_RESET};
  size_t i;
  (void)state;

  for (i = 0; i < sizeof faults / sizeof faults[0]; i++) {
    fixture f;
    char *retry;

    start(&f, NULL);
    open_client(&f);
    sbm_script(f.mock, faults[i], 2, 0);
    track_n(&f, 3);
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    assert_int_equal(f.out.delivered, 3);
    assert_int_equal(f.out.dropped, 0);
    assert_int_equal(mock_requests(&f), 3);
    assert_int_equal(mock_messages(&f), 3);
    retry = sbm_request_header(f.mock, 2, "X-Retry-Count");
    assert_string_equal(retry, "2");
    free(retry);
    finish(&f);
  }
}

/* A slow answer past http.timeout_ms is a timeout, and is retried. The
 * timeout leaves the retry ample time even on a slow machine; the delay
 * is longer still, and sbm_stop() cuts it short. */
static void test_timeout_retried(void **state) {
  fixture f;
  (void)state;

  start(&f, "http.timeout_ms", "2000", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, GENEROUS_MS);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 1);
  /* Had the slow request been answered, it would have landed too:
   * at-least-once, and the duplicate carries the same messageId, so
   * Segment can drop it (test_retry_keeps_message_id). */
  finish(&f);
}

static uint64_t mock_duplicates(fixture *f) { return fx_stats(f).duplicates; }

static void test_retry_keeps_message_id(void **state) {
  fixture f;
  char *first, *second;
  (void)state;

  start(&f, "http.timeout_ms", "2000", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, 4000);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  /* wait for the delayed copy to be recorded too */
  for (int i = 0; i < 3000 && mock_messages(&f) < 2; i++)
    nanosleep(&(struct timespec){0, 20000000}, NULL);
  assert_int_equal(mock_messages(&f), 2);
  assert_int_equal(mock_duplicates(&f), 1);
  first = sbm_message(f.mock, 0);
  second = sbm_message(f.mock, 1);
  assert_string_equal(first, second); /* byte for byte, timestamp included */
  free(first);
  free(second);
  finish(&f);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Retry-After is waited for and not charged to the retry budget. */
static void test_retry_after(void **state) {
  fixture f;
  double t0, waited;
  (void)state;

  start(&f, "retry.max_attempts", "0", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_429, 1, 1);
  track_n(&f, 1);
  t0 = now_s();
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  waited = now_s() - t0;
  assert_true(waited >= 0.95);
  assert_int_equal(f.out.delivered, 1);
  assert_int_equal(mock_requests(&f), 2);
  finish(&f);
}

static void test_rejections_not_retried(void **state) {
  /* A 400 refusing all 4 is split down to single events, each refused
   * (poison isolation): 1 + 2 + 4 requests, none of them a retry. */
  static const struct {
    sbm_fault fault;
    int count;
    int err;
    const char *words;
  } cases[] = {
      {SBM_FAULT_400, 7, SEGB_ERR_REJECTED, "HTTP 400"},
      {SBM_FAULT_401, 1, SEGB_ERR_AUTH, "write key was refused"},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fixture f;

    start(&f, NULL);
    open_client(&f);
    sbm_script(f.mock, cases[i].fault, cases[i].count, 0);
    track_n(&f, 4);
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    assert_int_equal(f.out.dropped, 4);
    assert_int_equal(f.out.last_err, cases[i].err);
    assert_non_null(strstr(f.out.last_errstr, cases[i].words));
    assert_non_null(strstr(f.out.last_errstr, "127.0.0.1"));
    assert_null(strstr(f.out.last_errstr, WRITE_KEY));
    assert_null(strstr(f.out.last_errstr, "YWJjMTIzOg"));
    assert_int_equal(mock_requests(&f), (uint64_t)cases[i].count);
    finish(&f);
  }
}

/* start() with the mock refusing events marked "poison": true (400) and
 * bodies over @max_body bytes (413; 0: no such limit). */
static void start_refusing(fixture *f, size_t max_body, ...) {
  sbm_options mo;
  va_list ap;

  memset(&mo, 0, sizeof mo);
  mo.refuse_poison = 1;
  mo.max_body = max_body;
  va_start(ap, max_body);
  start_va(f, mo, ap);
  va_end(ap);
}

/* One track per character of @pattern, numbered in "i": 'x' is marked
 * poison, 'L' is large (20 KB), anything else is an ordinary event. */
static void track_pattern(fixture *f, const char *pattern) {
  static char props[21000];
  int i;

  for (i = 0; pattern[i] != '\0'; i++) {
    if (pattern[i] == 'x')
      snprintf(props, sizeof props, "{\"i\":%d,\"poison\":true}", i);
    else
      snprintf(props, sizeof props, "{\"i\":%d,\"pad\":\"%0*d\"}", i,
               pattern[i] == 'L' ? 20000 : 200, 0);
    assert_int_equal(segb_track(f->client, "u-1", NULL, "Tested", props),
                     SEGB_OK);
  }
}

/* The mock accepted exactly the events @pattern has as '.', in order. */
static void assert_accepted(fixture *f, const char *pattern) {
  size_t at = 0;
  int i, got;

  for (i = 0; pattern[i] != '\0'; i++) {
    char *m, *p;

    if (pattern[i] != '.')
      continue;
    m = sbm_message(f->mock, at++);
    assert_non_null(m);
    p = strstr(m, "\"properties\":{\"i\":");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "\"properties\":{\"i\":%d", &got), 1);
    assert_int_equal(got, i);
    free(m);
  }
  assert_int_equal(mock_messages(f), (uint64_t)at);
}

/* One event the server refuses among 100: the other 99 are delivered, in
 * order, and the refused one is reported with the status and the reason. */
static void test_poison_isolated(void **state) {
  char pattern[101];
  fixture f;
  (void)state;

  memset(pattern, '.', 100);
  pattern[100] = '\0';
  pattern[37] = 'x';
  start_refusing(&f, 0, NULL);
  open_client(&f);
  track_pattern(&f, pattern);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  assert_int_equal(f.out.delivered, 99);
  assert_int_equal(f.out.dropped, 1);
  assert_int_equal(f.out.last_err, SEGB_ERR_REJECTED);
  assert_non_null(strstr(f.out.last_errstr, "HTTP 400"));
  assert_non_null(strstr(f.out.last_errstr, "'properties.poison' is refused"));
  assert_null(strstr(f.out.last_errstr, WRITE_KEY));
  assert_null(strstr(f.out.last_errstr, "YWJjMTIzOg"));
  assert_accepted(&f, pattern);
  /* 50 refused; 25 (0-24) delivered; 25 refused; 12 delivered; 13
   * refused; 6 refused; 3 refused; 1 (37) refused; 2, 3, 7 delivered;
   * then the second batch of 50: 12 requests, within 2 + 2 * log2(50). */
  assert_int_equal(mock_requests(&f), 12);
  /* a half is a batch of its own, not a retry of the refused one */
  for (size_t i = 0; i < 12; i++)
    assert_null(sbm_request_header(f.mock, i, "X-Retry-Count"));
  finish(&f);
}

/* Two refused events in one batch, then a batch of nothing but refused
 * ones: the worst case, 2n - 1 requests, each event reported. */
static void test_poison_several(void **state) {
  fixture f;
  (void)state;

  start_refusing(&f, 0, NULL);
  open_client(&f);
  track_pattern(&f, "..x....x..");
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 8);
  assert_int_equal(f.out.dropped, 2);
  assert_non_null(strstr(f.out.last_errstr, "'properties.poison' is refused"));
  assert_accepted(&f, "..x....x..");

  f.out.delivered = f.out.dropped = 0;
  {
    uint64_t before = mock_requests(&f);

    track_pattern(&f, "xxxxxxxx");
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    assert_int_equal(f.out.delivered, 0);
    assert_int_equal(f.out.dropped, 8);
    assert_int_equal(f.out.last_err, SEGB_ERR_REJECTED);
    assert_int_equal(mock_requests(&f) - before, 15);
  }
  assert_int_equal(mock_messages(&f), 8);
  finish(&f);
}

/* Each half goes out in the form of the refused batch: compressed, with
 * the write key in its body. */
static void test_poison_split_keeps_form(void **state) {
  fixture f;
  size_t i;
  (void)state;

  start_refusing(&f, 0, "write_key.in_body", "true", "compression", "gzip",
                 NULL);
  open_client(&f);
  track_pattern(&f, "...x");
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 3);
  assert_int_equal(f.out.dropped, 1);
  assert_accepted(&f, "...x");
  /* 4 refused; 2 delivered; 2 refused; 1 delivered; 1 refused */
  assert_int_equal(mock_requests(&f), 5);
  for (i = 0; i < 5; i++) {
    char *body = sbm_request_body(f.mock, i);
    char *enc = sbm_request_header(f.mock, i, "Content-Encoding");

    assert_non_null(strstr(body, ",\"writeKey\":\"" WRITE_KEY "\"}"));
    assert_string_equal(enc, "gzip");
    free(body);
    free(enc);
  }
  assert_null(strstr(f.out.last_errstr, WRITE_KEY));
  finish(&f);
}

/* A 413 for the body: halving isolates the one event too large alone. */
static void test_oversize_isolated(void **state) {
  fixture f;
  (void)state;

  start_refusing(&f, 16000, NULL);
  open_client(&f);
  track_pattern(&f, "....L.....");
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 9);
  assert_int_equal(f.out.dropped, 1);
  assert_int_equal(f.out.last_err, SEGB_ERR_REJECTED);
  assert_non_null(strstr(f.out.last_errstr, "HTTP 413"));
  assert_non_null(strstr(f.out.last_errstr, "Payload Too Large"));
  assert_accepted(&f, "....L.....");
  finish(&f);
}

/* The caller's deadline bounds a split too: the half in flight when it
 * passes is cut, flush returns SEGB_ERR_TIMED_OUT with every message still
 * queued and unreported, and close sends them. */
static void test_poison_split_timed_out(void **state) {
  fixture f;
  (void)state;

  /* inline: the late answer is cut by the flush's deadline, not waited
   * for in the background */
  start_refusing(&f, 0, "dispatch.mode", "inline", NULL);
  open_client(&f);
  /* the whole batch is refused; its first half is answered too late */
  sbm_script(f.mock, SBM_FAULT_NONE, 1, 0);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, GENEROUS_MS);
  track_pattern(&f, ".......x");
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_ERR_TIMED_OUT);
  assert_int_equal(segb_client_outq_len(f.client), 8);
  assert_int_equal(f.out.delivered + f.out.dropped, 0);
  assert_int_equal(mock_requests(&f), 1);
  finish(&f);
  assert_int_equal(f.out.delivered, 7);
  assert_int_equal(f.out.dropped, 1);
  assert_non_null(strstr(f.out.last_errstr, "'properties.poison' is refused"));
}

static void test_wrong_key_rejected_by_mock(void **state) {
  fixture f;
  (void)state;

  start(&f, "write_key", "not-the-key", NULL);
  open_client(&f);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.last_err, SEGB_ERR_AUTH);
  assert_null(strstr(f.out.last_errstr, "not-the-key"));
  finish(&f);
}

static void test_retries_exhausted(void **state) {
  fixture f;
  (void)state;

  start(&f, "retry.max_attempts", "2", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_500, 10, 0);
  track_n(&f, 2);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.dropped, 2);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "gave up after 3 requests"));
  assert_non_null(strstr(f.out.last_errstr, "HTTP 500"));
  assert_int_equal(mock_requests(&f), 3);
  finish(&f);
}

/* close() is bounded in time and reports what it could not deliver. The
 * answer would come after 60 s and http.timeout_ms would end the request
 * only after 120 s, so a close that returns in 30 s was bounded by its
 * own deadline; a slow machine needs far less than that. In @mode, each
 * report's detail says why: "not delivered before the client closed", with
 * the request's own failure when it ended first (@ended_by). */
static void check_close_bounded(const char *mode, const char *ended_by) {
  fixture f;
  double t0, took;

  start(&f, "http.timeout_ms", "120000", "dispatch.mode", mode, NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 5, GENEROUS_MS);
  track_n(&f, 5);
  t0 = now_s();
  assert_int_equal(segb_client_close(f.client, 500), SEGB_ERR_TIMED_OUT);
  took = now_s() - t0;
  assert_true(took < 30.0);
  assert_int_equal(f.out.dropped, 5);
  assert_int_equal(f.out.last_err, SEGB_ERR_CLOSED);
  assert_int_equal(f.out.delivered, 0);
  assert_non_null(
      strstr(f.out.last_errstr, "not delivered before the client closed"));
  if (ended_by != NULL && strstr(f.out.last_errstr, "last failure") != NULL)
    assert_non_null(strstr(f.out.last_errstr, ended_by));
  assert_null(strstr(f.out.last_errstr, "raise http.timeout_ms"));
  sbm_stop(f.mock);
}

/* Inline, the request carries close's deadline as its own limit: when
 * libcurl ended it before close aborted it, the report says that deadline
 * cut it. */
static void test_close_is_bounded(void **state) {
  (void)state;
  check_close_bounded("inline", "caller's deadline");
}

/* On the thread, close aborts the requests in flight at its deadline. */
static void test_close_is_bounded_in_thread_mode(void **state) {
  (void)state;
  check_close_bounded("thread", NULL);
}

/* When http.timeout_ms is what ended the request, the advice says so. */
static void test_request_timeout_advice(void **state) {
  fixture f;
  (void)state;

  start(&f, "http.timeout_ms", "1000", "retry.max_attempts", "0", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, GENEROUS_MS);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.dropped, 1);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "raise http.timeout_ms"));
  assert_null(strstr(f.out.last_errstr, "deadline"));
  finish(&f);
}

static void test_network_errors(void **state) {
  fixture f;
  (void)state;

  /* nothing listens on the port of a stopped mock */
  start(&f, "retry.max_attempts", "1", NULL);
  sbm_stop(f.mock);
  open_client(&f);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "127.0.0.1"));
  assert_non_null(strstr(f.out.last_errstr, "http.proxy"));
  assert_int_equal(segb_client_close(f.client, GENEROUS_MS), SEGB_OK);

  /* .invalid never resolves */
  start(&f, "endpoint", "http://segment.invalid", "retry.max_attempts", "0",
        NULL);
  open_client(&f);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "segment.invalid"));
  assert_non_null(strstr(f.out.last_errstr, "DNS"));
  finish(&f);
}

/* HTTPS to a self-signed loopback server: refused by default (and not
 * retried: a certificate does not fix itself), accepted with ca_file. */
static void test_tls(void **state) {
  char *cert, *key, *ca;
  fixture f;
  int i;
  (void)state;

  assert_int_equal(segb_test_make_cert(&cert, &key), 0);
  ca = segb_test_temp_file(cert);
  assert_non_null(ca);
  for (i = 0; i < 2; i++) {
    if (i == 0)
      start_tls(&f, cert, key, NULL);
    else
      start_tls(&f, cert, key, "http.ca_file", ca, NULL);
    assert_true(strncmp(sbm_url(f.mock), "https://127.0.0.1:", 18) == 0);
    open_client(&f);
    track_n(&f, 2);
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    if (i == 0) {
      assert_int_equal(f.out.dropped, 2);
      assert_int_equal(f.out.last_err, SEGB_ERR_TLS);
      assert_non_null(strstr(f.out.last_errstr, "http.ca_file"));
      assert_int_equal(mock_messages(&f), 0);
    } else {
      assert_int_equal(f.out.delivered, 2);
      assert_int_equal(mock_messages(&f), 2);
    }
    finish(&f);
  }
  unlink(ca);
  free(ca);
  free(cert);
  free(key);
}

/* A client whose endpoint is a raw server doing @steps in front of the
 * mock (started with @mo); name, value pairs of settings follow. */
static segb_raw_server *start_raw(fixture *f, sbm_options mo,
                                  const segb_raw_step *steps, size_t n, ...) {
  segb_raw_server *r;
  char url[64];
  va_list ap;

  mo.write_key = WRITE_KEY;
  fx_start(f, mo, WRITE_KEY);
  r = segb_raw_start(steps, n, sbm_port(f->mock));
  assert_non_null(r);
  snprintf(url, sizeof url, "%s://127.0.0.1:%u",
           mo.tls_cert_pem != NULL ? "https" : "http", segb_raw_port(r));
  set(f->conf, "endpoint", url);
  va_start(ap, n);
  fx_finish_config(f, ap);
  va_end(ap);
  open_client(f);
  return r;
}

/* Production is HTTPS: a handshake that was reset or closed half-way is a
 * network failure, retried like any other; only a certificate that does
 * not verify is final. The relay hands later connections to the mock. */
static void test_tls_handshake_retried(void **state) {
  static const segb_raw_step flaky[] = {
      {SEGB_RAW_RESET, NULL}, {SEGB_RAW_CLOSE, NULL}, {SEGB_RAW_RELAY, NULL}};
  static const segb_raw_step broken[] = {{SEGB_RAW_RESET, NULL}};
  static const segb_raw_step relay[] = {{SEGB_RAW_RELAY, NULL}};
  sbm_options mo;
  segb_raw_server *r;
  char *cert, *key, *ca;
  fixture f;
  (void)state;

  assert_int_equal(segb_test_make_cert(&cert, &key), 0);
  ca = segb_test_temp_file(cert);
  assert_non_null(ca);
  memset(&mo, 0, sizeof mo);
  mo.tls_cert_pem = cert;
  mo.tls_key_pem = key;

  r = start_raw(&f, mo, flaky, 3, "http.ca_file", ca, NULL);
  track_n(&f, 2);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 2);
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(segb_raw_connections(r), 3);
  assert_int_equal(mock_requests(&f), 1);
  finish(&f);
  segb_raw_stop(r);

  /* Always broken: retried to the end of the budget, and not blamed on
   * the certificate. */
  r = start_raw(&f, mo, broken, 1, "http.ca_file", ca, "retry.max_attempts",
                "2", NULL);
  track_n(&f, 2);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.dropped, 2);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "gave up after 3 requests"));
  assert_non_null(strstr(f.out.last_errstr, "it is retried"));
  assert_null(strstr(f.out.last_errstr, "certificate"));
  assert_int_equal(segb_raw_connections(r), 3);
  finish(&f);
  segb_raw_stop(r);

  /* An untrusted certificate: one attempt, final, with the CA advice. */
  r = start_raw(&f, mo, relay, 1, NULL);
  track_n(&f, 2);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.dropped, 2);
  assert_int_equal(f.out.last_err, SEGB_ERR_TLS);
  assert_non_null(strstr(f.out.last_errstr, "certificate"));
  assert_non_null(strstr(f.out.last_errstr, "http.ca_file"));
  assert_int_equal(segb_raw_connections(r), 1);
  assert_int_equal(mock_requests(&f), 0);
  finish(&f);
  segb_raw_stop(r);

  unlink(ca);
  free(ca);
  free(cert);
  free(key);
}

#define SUCCESS_REPLY                                                          \
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"                      \
  "Content-Length: 16\r\n\r\n{\"success\":true}"

/* An answer cut inside its header block, or short of its Content-Length,
 * is not a delivery: it is retried, and dropped once retries run out. */
static void test_cut_response_retried(void **state) {
  static const char *const cuts[] = {
      "HTTP/1.1 200 OK\r\nContent-Len",
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"success\":",
  };
  sbm_options mo;
  size_t i;
  (void)state;

  memset(&mo, 0, sizeof mo);
  for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    const segb_raw_step cut_then_whole[] = {{SEGB_RAW_REPLY, cuts[i]},
                                            {SEGB_RAW_REPLY, SUCCESS_REPLY}};
    segb_raw_server *r;
    fixture f;

    r = start_raw(&f, mo, cut_then_whole, 2, NULL);
    track_n(&f, 3);
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    assert_int_equal(f.out.delivered, 3);
    assert_int_equal(segb_raw_connections(r), 2);
    finish(&f);
    segb_raw_stop(r);

    r = start_raw(&f, mo, cut_then_whole, 1, "retry.max_attempts", "1", NULL);
    track_n(&f, 3);
    assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
    assert_int_equal(f.out.delivered, 0);
    assert_int_equal(f.out.dropped, 3);
    assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
    assert_non_null(strstr(f.out.last_errstr, "gave up after 2 requests"));
    assert_int_equal(segb_raw_connections(r), 2);
    finish(&f);
    segb_raw_stop(r);
  }
}

/* "Retry-After: 0" is waited as 1 s: every request after the first needs
 * a second of waiting before it, so a flush with a 2.5 s deadline makes at
 * most 3, however fast the machine, and the batch stays queued (it used to
 * make 31 requests in 1.3 s and drop the batch). */
static void test_retry_after_floor(void **state) {
  fixture f;
  (void)state;

  start(&f, NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_429, 1000, 0);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, 2500), SEGB_ERR_TIMED_OUT);
  assert_true(mock_requests(&f) >= 1);
  assert_true(mock_requests(&f) <= 3);
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(segb_client_outq_len(f.client), 1);
  assert_int_equal(segb_client_close(f.client, 0), SEGB_ERR_TIMED_OUT);
  assert_int_equal(f.out.last_err, SEGB_ERR_CLOSED);
  assert_non_null(strstr(f.out.last_errstr, "Retry-After: 0"));
  sbm_stop(f.mock);
}

/* A Retry-After longer than the flush's deadline holds for the next flush
 * too: it sends nothing before the time the server named (the first two
 * flushes end long before it, even on a slow machine), and the third,
 * with time enough, sends once it has passed. */
static void test_retry_after_outlives_flush(void **state) {
  fixture f;
  double t0;
  (void)state;

  start(&f, NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_429, 1, 8);
  track_n(&f, 1);
  t0 = now_s();
  assert_int_equal(segb_client_flush(f.client, 3000), SEGB_ERR_TIMED_OUT);
  assert_int_equal(mock_requests(&f), 1);
  assert_int_equal(segb_client_flush(f.client, 3000), SEGB_ERR_TIMED_OUT);
  assert_int_equal(mock_requests(&f), 1);
  assert_non_null(strstr(segb_last_error_message(), "Retry-After"));
  assert_int_equal(segb_client_outq_len(f.client), 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_true(now_s() - t0 >= 7.9);
  assert_int_equal(mock_requests(&f), 2);
  assert_int_equal(f.out.delivered, 1);
  finish(&f);
}

/* A 429 that outlasts the budget ends as exhausted, naming the wait. */
static void test_rate_limit_advice(void **state) {
  fixture f;
  (void)state;

  start(&f, "retry.max_attempts", "0", "retry.total_timeout_ms", "1", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_429, 5, 7);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "HTTP 429"));
  assert_non_null(strstr(f.out.last_errstr, "Retry-After: 7"));
  assert_non_null(strstr(f.out.last_errstr, "rate limited"));
  finish(&f);
}

static void test_configuration_errors(void **state) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  (void)state;

  assert_null(segb_client_new(conf, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
  assert_non_null(strstr(err, "write_key"));
  assert_non_null(strstr(err, "writeKey required"));
  set(conf, "write_key", WRITE_KEY);
  set(conf, "region", "eu");
  set(conf, "endpoint", "api.segment.io/v1");
  assert_null(segb_client_new(conf, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
  assert_non_null(strstr(err, "region is eu"));
  assert_null(strstr(err, WRITE_KEY));
  segb_config_destroy(conf); /* still the caller's after a failure */
  assert_null(segb_client_new(NULL, err, sizeof err));
  assert_int_equal(segb_client_close(NULL, 0), SEGB_OK);
  assert_int_equal(segb_client_enqueue(NULL, NULL), SEGB_ERR_INVALID_ARG);
}

/* Issue 9: JSON text with a key twice reached the wire with both twins.
 * The convenience calls refuse it now, naming the key, and queue nothing. */
static void test_duplicate_keys_never_sent(void **state) {
  fixture f;
  (void)state;

  start(&f, NULL);
  open_client(&f);
  assert_int_equal(
      segb_track(f.client, "u-1", NULL, "E", "{\"plan\":\"a\",\"plan\":\"b\"}"),
      SEGB_ERR_DUPLICATE_KEY);
  assert_non_null(strstr(segb_last_error_message(), "\"plan\""));
  assert_int_equal(
      segb_identify(f.client, "u-1", NULL, "{\"o\":{\"k\":1,\"k\":1}}"),
      SEGB_ERR_DUPLICATE_KEY);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(mock_requests(&f), 0);
  finish(&f);
}

/* ---- misuse: calls from the callback, calls from other threads -------- */

/* What a delivery callback that calls back into its client saw. */
typedef struct reentry {
  int reports, delivered, no_id;
  int flush_refused, close_refused, detail_ok;
  int follow_ups; /* messages the callback still enqueues */
  int enqueued, enqueue_closed, enqueue_other;
  size_t outq_seen;
} reentry;

static void on_reentry(segb_client_t *c, const segb_report_t *r, void *opaque) {
  reentry *st = opaque;

  st->reports++;
  st->delivered += segb_report_err(r) == SEGB_OK;
  st->no_id += segb_report_message_id(r) == NULL;
  if (st->follow_ups > 0) {
    int rc;
    st->follow_ups--;
    rc = segb_track(c, "u-2", NULL, "Follow-up", NULL);
    if (rc == SEGB_OK)
      st->enqueued++;
    else if (rc == SEGB_ERR_CLOSED)
      st->enqueue_closed++;
    else
      st->enqueue_other++;
    st->outq_seen = segb_client_outq_len(c);
    return;
  }
  if (segb_client_flush(c, 1000) == SEGB_ERR_IN_CALLBACK) {
    st->flush_refused++;
    st->detail_ok += strstr(segb_last_error_message(),
                            "segb_client_flush called from the client's "
                            "delivery callback") != NULL;
  }
  if (segb_client_close(c, 0) == SEGB_ERR_IN_CALLBACK)
    st->close_refused++;
}

/* A mock and a client whose reports go to on_reentry with @st. */
static void start_reentry(fixture *f, reentry *st, const char *mode) {
  sbm_options mo;

  memset(&mo, 0, sizeof mo);
  memset(st, 0, sizeof *st);
  mo.write_key = WRITE_KEY;
  fx_start(f, mo, WRITE_KEY);
  fx_set(f->conf, "dispatch.mode", mode);
  segb_config_set_delivery_cb(f->conf, on_reentry);
  segb_config_set_opaque(f->conf, st);
  open_client(f);
}

/* Issue 9: flush inside the callback gave 9 reports for 6 messages and one
 * for no message; close inside it freed the client under the running
 * flush. Both are refused now, and each message is reported once. */
static void test_flush_and_close_in_callback_refused(void **state) {
  fixture f;
  reentry st;
  (void)state;

  start_reentry(&f, &st, "thread");
  track_n(&f, 6);
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(st.reports, 6);
  assert_int_equal(st.delivered, 6);
  assert_int_equal(st.no_id, 0);
  assert_int_equal(st.flush_refused, 6);
  assert_int_equal(st.detail_ok, 6);
  assert_int_equal(st.close_refused, 6);
  assert_int_equal(mock_messages(&f), 6);
  assert_int_equal(fx_stats(&f).duplicates, 0);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  /* the client is still whole: it sends and closes as usual */
  track_n(&f, 2);
  finish(&f);
  assert_int_equal(st.reports, 8);
  assert_int_equal(st.close_refused, 8);
}

/* Enqueueing from the callback is allowed: the running flush sends it.
 * During close it is refused with SEGB_ERR_CLOSED, so close ends. */
static void test_enqueue_in_callback(void **state) {
  fixture f;
  reentry st;
  sbm_stats stats;
  (void)state;

  start_reentry(&f, &st, "thread");
  st.follow_ups = 3;
  track_n(&f, 3);
  /* a flush waits for what was queued before it: the follow-ups need a
   * second one */
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(st.enqueued, 3);
  assert_int_equal(st.enqueue_other, 0);
  assert_true(st.outq_seen >= 1);
  assert_int_equal(st.reports, 6);
  assert_int_equal(st.delivered, 6);
  assert_int_equal(mock_messages(&f), 6);
  assert_int_equal(segb_client_outq_len(f.client), 0);

  /* during close: one refusal per report, and close still returns */
  st.follow_ups = 1000;
  track_n(&f, 2);
  assert_int_equal(segb_client_close(f.client, 5000), SEGB_OK);
  assert_int_equal(st.enqueue_closed, 2);
  assert_int_equal(st.enqueued, 3);
  assert_int_equal(st.reports, 8);
  assert_int_equal(st.delivered, 8);
  sbm_get_stats(f.mock, &stats);
  assert_int_equal(stats.messages, 8);
  sbm_stop(f.mock);
}

/* Threads that end by calling crew_done(); crew_wait() fails the test when
 * they have not all ended within its bound (a hang), instead of joining
 * forever. */
typedef struct crew {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int running;
} crew;

static void crew_init(crew *c, int running) {
  assert_int_equal(pthread_mutex_init(&c->mu, NULL), 0);
  assert_int_equal(pthread_cond_init(&c->cv, NULL), 0);
  c->running = running;
}

static void crew_done(crew *c) {
  pthread_mutex_lock(&c->mu);
  c->running--;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

/* Wait until @pred(@arg) holds under @c's lock, at most @seconds. */
static int crew_wait_for(crew *c, int (*pred)(crew *, void *), void *arg,
                         int seconds) {
  struct timespec until;
  int ok = 1;

  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += seconds;
  pthread_mutex_lock(&c->mu);
  while (!pred(c, arg) && ok)
    ok = pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT ||
         pred(c, arg);
  pthread_mutex_unlock(&c->mu);
  return ok;
}

static int crew_all_done(crew *c, void *arg) {
  (void)arg;
  return c->running == 0;
}

static int crew_one_left(crew *c, void *arg) {
  (void)arg;
  return c->running == 1;
}

static void crew_wait(crew *c, int seconds) {
  if (!crew_wait_for(c, crew_all_done, NULL, seconds))
    fail_msg("%d threads still running after %d s: a client call hangs",
             c->running, seconds);
}

/* The flushing thread parks in the callback until the test lets it go. */
typedef struct gate {
  crew crew; /* the flusher and the intruders */
  int inside, go, reports;
  segb_client_t *client;
  int flush_rc;
} gate;

static void on_gate(segb_client_t *c, const segb_report_t *r, void *opaque) {
  gate *g = opaque;
  (void)c;
  (void)r;
  pthread_mutex_lock(&g->crew.mu);
  g->reports++;
  g->inside = 1;
  pthread_cond_broadcast(&g->crew.cv);
  while (!g->go)
    pthread_cond_wait(&g->crew.cv, &g->crew.mu);
  pthread_mutex_unlock(&g->crew.mu);
}

static void *gate_flusher(void *arg) {
  gate *g = arg;
  g->flush_rc = segb_client_flush(g->client, -1);
  crew_done(&g->crew);
  return NULL;
}

static int gate_inside(crew *c, void *arg) {
  (void)c;
  return ((gate *)arg)->inside;
}

/* Every call another thread makes while the client is busy. */
typedef struct intruder {
  gate *g;
  int track_rc, enqueue_rc, flush_rc, poll_rc, stats_rc;
  size_t outq;
} intruder;

static void *intrude(void *arg) {
  intruder *in = arg;
  segb_client_t *c = in->g->client;
  segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);

  if (m != NULL) {
    segb_message_set_string(m, "userId", "u-3");
    segb_message_set_string(m, "event", "Intruded");
  }
  in->track_rc = segb_track(c, "u-3", NULL, "Intruded", NULL);
  in->enqueue_rc = segb_client_enqueue(c, m);
  in->flush_rc = segb_client_flush(c, 1000);
  in->poll_rc = segb_client_poll(c, 0);
  in->outq = segb_client_outq_len(c);
  {
    int64_t v[SEGB_STAT__COUNT];
    in->stats_rc = segb_client_stats(c, v, SEGB_STAT__COUNT);
  }
  crew_done(&in->g->crew);
  return NULL;
}

/* While the dispatcher thread is parked in the delivery callback, calls
 * from other threads work and none hangs: their messages are accepted,
 * their flush runs out of time (the report being made is part of what it
 * waits for), and everything is delivered once the callback returns. */
static void test_concurrent_use_refused(void **state) {
  enum { INTRUDERS = 4 };
  fixture f;
  gate g;
  intruder in[INTRUDERS];
  pthread_t flusher, th[INTRUDERS];
  int i;
  (void)state;

  memset(&g, 0, sizeof g);
  memset(in, 0, sizeof in);
  start(&f, NULL);
  segb_config_set_delivery_cb(f.conf, on_gate);
  segb_config_set_opaque(f.conf, &g);
  open_client(&f);
  g.client = f.client;
  track_n(&f, 1);

  crew_init(&g.crew, 1 + INTRUDERS);
  assert_int_equal(pthread_create(&flusher, NULL, gate_flusher, &g), 0);
  if (!crew_wait_for(&g.crew, gate_inside, &g, 60))
    fail_msg("the flush never reached its callback");
  for (i = 0; i < INTRUDERS; i++) {
    in[i].g = &g;
    assert_int_equal(pthread_create(&th[i], NULL, intrude, &in[i]), 0);
  }
  /* wait for the intruders alone: the flusher is parked */
  if (!crew_wait_for(&g.crew, crew_one_left, NULL, 60))
    fail_msg("a call from another thread hangs");
  for (i = 0; i < INTRUDERS; i++) {
    assert_int_equal(in[i].track_rc, SEGB_OK);
    assert_int_equal(in[i].enqueue_rc, SEGB_OK);
    assert_int_equal(in[i].flush_rc, SEGB_ERR_TIMED_OUT);
    assert_int_equal(in[i].poll_rc, 0); /* callback mode: nothing to serve */
    assert_true(in[i].outq >= 1);
    assert_int_equal(in[i].stats_rc, SEGB_STAT__COUNT);
  }
  pthread_mutex_lock(&g.crew.mu);
  g.go = 1;
  pthread_cond_broadcast(&g.crew.cv);
  pthread_mutex_unlock(&g.crew.mu);
  crew_wait(&g.crew, 60);
  assert_int_equal(pthread_join(flusher, NULL), 0);
  for (i = 0; i < INTRUDERS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_int_equal(g.flush_rc, SEGB_OK);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  /* the first message and the intruders' two each, each sent once */
  assert_int_equal(g.reports, 1 + 2 * INTRUDERS);
  assert_int_equal(mock_messages(&f), 1 + 2 * INTRUDERS);
  assert_int_equal(fx_stats(&f).duplicates, 0);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  {
    int64_t v[SEGB_STAT__COUNT];
    assert_int_equal(segb_client_stats(f.client, v, SEGB_STAT__COUNT),
                     SEGB_STAT__COUNT);
    assert_int_equal(v[SEGB_STAT_REFUSED], 0);
    assert_int_equal(v[SEGB_STAT_ENQUEUED], 1 + 2 * INTRUDERS);
  }
  finish(&f);
}

/* Issue 9: four enqueuing threads and a flushing one on one client hung.
 * Now each call succeeds or is refused, nothing hangs, and every accepted
 * message is delivered exactly once. */
typedef struct stress {
  crew crew;
  segb_client_t *client;
  atomic_int enqueuers_left;
  atomic_int accepted, refused, other, flushes;
} stress;

static void *stress_enqueue(void *arg) {
  stress *st = arg;
  int i;

  for (i = 0; i < 100; i++) {
    int rc = segb_track(st->client, "u-4", NULL, "Stressed", "{\"n\":1}");
    if (rc == SEGB_OK)
      atomic_fetch_add(&st->accepted, 1);
    else if (rc == SEGB_ERR_CONCURRENT_USE)
      atomic_fetch_add(&st->refused, 1);
    else
      atomic_fetch_add(&st->other, 1);
  }
  atomic_fetch_sub(&st->enqueuers_left, 1);
  crew_done(&st->crew);
  return NULL;
}

static void *stress_flush(void *arg) {
  stress *st = arg;

  while (atomic_load(&st->enqueuers_left) > 0) {
    int rc = segb_client_flush(st->client, 30000);
    if (rc == SEGB_OK)
      atomic_fetch_add(&st->flushes, 1);
    else if (rc != SEGB_ERR_CONCURRENT_USE)
      atomic_fetch_add(&st->other, 1);
  }
  crew_done(&st->crew);
  return NULL;
}

static void test_concurrent_use_never_hangs(void **state) {
  enum { ENQUEUERS = 4 };
  fixture f;
  stress st;
  pthread_t th[ENQUEUERS + 1];
  int i;
  (void)state;

  memset(&st, 0, sizeof st);
  start(&f, NULL);
  open_client(&f);
  st.client = f.client;
  atomic_init(&st.enqueuers_left, ENQUEUERS);
  crew_init(&st.crew, ENQUEUERS + 1);
  for (i = 0; i < ENQUEUERS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, stress_enqueue, &st), 0);
  assert_int_equal(pthread_create(&th[ENQUEUERS], NULL, stress_flush, &st), 0);
  crew_wait(&st.crew, 100);
  for (i = 0; i <= ENQUEUERS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_int_equal(atomic_load(&st.other), 0);
  assert_int_equal(atomic_load(&st.accepted) + atomic_load(&st.refused),
                   ENQUEUERS * 100);
  assert_int_equal(segb_client_flush(f.client, 30000), SEGB_OK);
  assert_int_equal(f.out.delivered, atomic_load(&st.accepted));
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(mock_messages(&f), (uint64_t)atomic_load(&st.accepted));
  assert_int_equal(fx_stats(&f).duplicates, 0);
  finish(&f);
}

/* Every report accessor takes NULL and gives its documented neutral value
 * (before, each one dereferenced it). */
static void test_report_accessors_accept_null(void **state) {
  (void)state;
  assert_int_equal(segb_report_err(NULL), SEGB_ERR_INVALID_ARG);
  assert_string_equal(segb_report_errstr(NULL), "");
  assert_null(segb_report_message_id(NULL));
  assert_int_equal(segb_report_http_status(NULL), 0);
  assert_int_equal(segb_report_attempts(NULL), 0);
}

/* ---- stats and purge ------------------------------------------------- */

static void stats_of(segb_client_t *c, int64_t *v) {
  assert_int_equal(segb_client_stats(c, v, SEGB_STAT__COUNT), SEGB_STAT__COUNT);
}

/* No counter below 0, and every accepted message in exactly one state. */
static void assert_balanced(const int64_t *v) {
  int i;

  for (i = 0; i < SEGB_STAT__COUNT; i++)
    assert_true(v[i] >= 0);
  assert_int_equal(v[SEGB_STAT_ENQUEUED],
                   v[SEGB_STAT_DELIVERED] + v[SEGB_STAT_DROPPED] +
                       v[SEGB_STAT_QUEUED] + v[SEGB_STAT_IN_FLIGHT]);
}

/* What a delivery callback that takes a snapshot on each report saw. */
typedef struct tally {
  int reports, delivered, dropped, purged, purge_refused;
  int64_t attempts;
  char *ids[512];
} tally;

static void on_tally(segb_client_t *c, const segb_report_t *r, void *opaque) {
  tally *t = opaque;
  int64_t v[SEGB_STAT__COUNT];
  int err = segb_report_err(r);

  assert_true(t->reports < (int)(sizeof t->ids / sizeof t->ids[0]));
  t->ids[t->reports++] = strdup(segb_report_message_id(r));
  t->delivered += err == SEGB_OK;
  t->dropped += err != SEGB_OK;
  t->purged += err == SEGB_ERR_PURGED;
  t->attempts += segb_report_attempts(r);
  stats_of(c, v);
  assert_balanced(v);
  /* this report is counted already (and the rest of its batch may be) */
  assert_true(v[SEGB_STAT_DELIVERED] >= t->delivered);
  assert_true(v[SEGB_STAT_DROPPED] >= t->dropped);
  if (segb_report_http_status(r) != 0)
    assert_int_equal(v[SEGB_STAT_LAST_STATUS], segb_report_http_status(r));
  /* a flush or purge below is using the queue */
  t->purge_refused += segb_client_purge(c) == SEGB_ERR_IN_CALLBACK;
}

static int by_text(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every report had its own messageId; frees them. */
static void assert_ids_unique(tally *t) {
  int i;

  qsort(t->ids, (size_t)t->reports, sizeof t->ids[0], by_text);
  for (i = 1; i < t->reports; i++)
    assert_string_not_equal(t->ids[i - 1], t->ids[i]);
  for (i = 0; i < t->reports; i++)
    free(t->ids[i]);
}

/* start() with @extras, reports going to on_tally with @t. */
static void start_tally(fixture *f, tally *t, sbm_options mo, ...) {
  va_list ap;

  memset(t, 0, sizeof *t);
  va_start(ap, mo);
  start_va(f, mo, ap);
  va_end(ap);
  segb_config_set_delivery_cb(f->conf, on_tally);
  segb_config_set_opaque(f->conf, t);
  open_client(f);
}

static sbm_options no_options(void) {
  sbm_options mo;
  memset(&mo, 0, sizeof mo);
  return mo;
}

static void test_stat_names(void **state) {
  static const char *const names[] = {"enqueued", "delivered",  "dropped",
                                      "queued",   "in_flight",  "queued_bytes",
                                      "refused",  "filtered",   "retries",
                                      "requests", "last_status"};
  int i, j;
  (void)state;

  /* every value has a name, lowercase and its own */
  for (i = 0; i < SEGB_STAT__COUNT; i++) {
    const char *n = segb_stat_name(i);
    assert_non_null(n);
    assert_true(n[0] != '\0');
    for (j = 0; n[j] != '\0'; j++)
      assert_true((n[j] >= 'a' && n[j] <= 'z') || n[j] == '_');
    for (j = 0; j < i; j++)
      assert_string_not_equal(n, segb_stat_name(j));
  }
  /* the names, at the positions */
  assert_true(SEGB_STAT__COUNT >= (int)(sizeof names / sizeof names[0]));
  for (i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
    assert_string_equal(segb_stat_name(i), names[i]);
  assert_int_equal(SEGB_STAT_LAST_STATUS, 10);
  assert_null(segb_stat_name(-1));
  assert_null(segb_stat_name(SEGB_STAT__COUNT));
  assert_null(segb_stat_name(1000));
}

/* count 0 sizes the array, fewer fills a prefix, more fills what is
 * known; nothing past it is written. */
static void test_stats_count(void **state) {
  int64_t v[SEGB_STAT__COUNT + 4];
  fixture f;
  size_t i;
  (void)state;

  start(&f, NULL);
  open_client(&f);
  track_n(&f, 2);
  assert_int_equal(segb_client_stats(NULL, NULL, 0), SEGB_STAT__COUNT);
  assert_int_equal(segb_client_stats(f.client, NULL, 0), SEGB_STAT__COUNT);
  assert_int_equal(segb_client_stats(f.client, NULL, 1), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_client_stats(NULL, v, 1), SEGB_ERR_INVALID_ARG);
  assert_non_null(strstr(segb_last_error_message(), "client is NULL"));

  for (i = 0; i < sizeof v / sizeof v[0]; i++)
    v[i] = -7;
  assert_int_equal(segb_client_stats(f.client, v, 2), 2);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 2);
  assert_int_equal(v[SEGB_STAT_DELIVERED], 0);
  assert_int_equal(v[2], -7);

  assert_int_equal(segb_client_stats(f.client, v, sizeof v / sizeof v[0]),
                   SEGB_STAT__COUNT);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_QUEUED], 2);
  for (i = SEGB_STAT__COUNT; i < sizeof v / sizeof v[0]; i++)
    assert_int_equal(v[i], -7);
  finish(&f);
}

/* Scripted faults over four batches: a retried 500, a batch whose every
 * event is refused with 400 (split down to single events: 2n - 1 = 9
 * requests for its 5), a 429 then a 503, and a clean one. The counters
 * balance before, inside every report and after, and agree with the
 * reports exactly. */
static void test_stats_under_faults(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  fixture f;
  tally t;
  (void)state;

  start_tally(&f, &t, no_options(), "batch.max_events", "5", "queue.max_events",
              "20", "dispatch.mode", "inline", NULL);
  sbm_script(f.mock, SBM_FAULT_500, 1, 0);
  sbm_script(f.mock, SBM_FAULT_NONE, 1, 0);
  sbm_script(f.mock, SBM_FAULT_400, 9, 0);
  sbm_script(f.mock, SBM_FAULT_429, 1, 1);
  sbm_script(f.mock, SBM_FAULT_503, 1, 0);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 0);
  assert_int_equal(v[SEGB_STAT_QUEUED_BYTES], 0);

  track_n(&f, 20);
  /* refusals: invalid twice, queue full, no message */
  assert_int_equal(segb_track(f.client, NULL, NULL, "E", NULL),
                   SEGB_ERR_MISSING_FIELD);
  assert_int_equal(segb_track(f.client, "u", NULL, "E", "[1]"),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_track(f.client, "u", NULL, "E", NULL),
                   SEGB_ERR_QUEUE_FULL);
  assert_int_equal(segb_client_enqueue(f.client, NULL), SEGB_ERR_INVALID_ARG);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 20);
  assert_int_equal(v[SEGB_STAT_QUEUED], 20);
  assert_int_equal(v[SEGB_STAT_IN_FLIGHT], 0);
  assert_true(v[SEGB_STAT_QUEUED_BYTES] > 20 * 200);
  assert_int_equal(v[SEGB_STAT_REFUSED], 4);
  assert_int_equal(v[SEGB_STAT_REQUESTS], 0);
  assert_int_equal(v[SEGB_STAT_LAST_STATUS], 0);

  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(t.reports, 20);
  assert_int_equal(t.delivered, 15);
  assert_int_equal(t.dropped, 5);
  assert_int_equal(t.purge_refused, 20);
  /* Each message counts the requests it rode in: 2 each in the first
   * batch; in the refused one, split 2 + 3 then down to ones, 3 for each of
   * the first two, 3 for the third and 4 for the last two; 3 each in the
   * third batch and 1 in the last: 10 + 17 + 15 + 5. */
  assert_int_equal(t.attempts, 47);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 20);
  assert_int_equal(v[SEGB_STAT_DELIVERED], 15);
  assert_int_equal(v[SEGB_STAT_DROPPED], 5);
  assert_int_equal(v[SEGB_STAT_QUEUED], 0);
  assert_int_equal(v[SEGB_STAT_IN_FLIGHT], 0);
  assert_int_equal(v[SEGB_STAT_QUEUED_BYTES], 0);
  assert_int_equal(v[SEGB_STAT_REFUSED], 4);
  assert_int_equal(v[SEGB_STAT_FILTERED], 0);
  /* requests 2 + 9 + 3 + 1; a split is a new batch, not a retry */
  assert_int_equal(v[SEGB_STAT_REQUESTS], 15);
  assert_int_equal(v[SEGB_STAT_RETRIES], 3);
  assert_int_equal(v[SEGB_STAT_LAST_STATUS], 200);
  assert_int_equal(mock_requests(&f), 15);
  assert_int_equal(mock_messages(&f), 15);
  assert_int_equal(segb_client_close(f.client, GENEROUS_MS), SEGB_OK);
  sbm_stop(f.mock);
  assert_ids_unique(&t);
}

/* Seeded random faults (500, 503, 429, reset) with a small retry budget,
 * so that some batches are dropped: one report per messageId, and the
 * counters agree with the reports at every snapshot. */
static void test_stats_random_faults(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  sbm_options mo = no_options();
  fixture f;
  tally t;
  (void)state;

  mo.seed = 11;
  mo.fail_rate = 0.3;
  start_tally(&f, &t, mo, "batch.max_events", "10", "retry.max_attempts", "1",
              NULL);
  track_n(&f, 200);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(t.reports, 200);
  assert_int_equal(v[SEGB_STAT_DELIVERED], t.delivered);
  assert_int_equal(v[SEGB_STAT_DROPPED], t.dropped);
  assert_int_equal(v[SEGB_STAT_QUEUED], 0);
  assert_int_equal(v[SEGB_STAT_IN_FLIGHT], 0);
  assert_int_equal(mock_messages(&f), (uint64_t)t.delivered);
  /* twenty full batches: each request is one attempt of ten messages */
  assert_int_equal(v[SEGB_STAT_REQUESTS] * 10, t.attempts);
  assert_int_equal(v[SEGB_STAT_RETRIES], v[SEGB_STAT_REQUESTS] - 20);
  assert_true(v[SEGB_STAT_RETRIES] > 0);
  assert_int_equal(t.purge_refused, 200);
  assert_int_equal(segb_client_close(f.client, GENEROUS_MS), SEGB_OK);
  sbm_stop(f.mock);
  assert_ids_unique(&t);
}

/* A flush that runs out of time leaves its batch in flight, waiting for
 * the server's Retry-After: a purge leaves it (it drops only what is
 * queued), and close reports it dropped. */
static void test_stats_after_timed_out_flush(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  fixture f;
  tally t;
  (void)state;

  start_tally(&f, &t, no_options(), "dispatch.mode", "inline", NULL);
  /* a wait (cut to retry.after_max_ms, 300 s) past the flush's
   * deadline: the flush gives up at once, the 429 in hand */
  sbm_script(f.mock, SBM_FAULT_429, 1, 600);
  track_n(&f, 3);
  assert_int_equal(segb_client_flush(f.client, 30000), SEGB_ERR_TIMED_OUT);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_QUEUED], 0);
  assert_int_equal(v[SEGB_STAT_IN_FLIGHT], 3);
  assert_int_equal(v[SEGB_STAT_REQUESTS], 1);
  assert_int_equal(v[SEGB_STAT_RETRIES], 0);
  assert_int_equal(v[SEGB_STAT_LAST_STATUS], 429);
  assert_int_equal(t.reports, 0);

  assert_int_equal(segb_client_purge(f.client), 0);
  assert_int_equal(t.purged, 0);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_IN_FLIGHT], 3);
  assert_int_equal(segb_client_close(f.client, 0), SEGB_ERR_TIMED_OUT);
  assert_int_equal(t.reports, 3);
  assert_int_equal(t.dropped, 3);
  assert_int_equal(mock_messages(&f), 0);
  sbm_stop(f.mock);
  assert_ids_unique(&t);
}

/* purge reports each queued message once with SEGB_ERR_PURGED, sends
 * nothing, and leaves the client usable. */
static void test_purge(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  fixture f;
  tally t;
  int i;
  (void)state;

  assert_int_equal(segb_client_purge(NULL), SEGB_ERR_INVALID_ARG);
  /* inline: nothing is sent before the flush, and purge reports at once */
  start_tally(&f, &t, no_options(), "dispatch.mode", "inline", NULL);
  assert_int_equal(segb_client_purge(f.client), 0);
  track_n(&f, 7);
  assert_int_equal(segb_client_purge(f.client), 7);
  assert_int_equal(t.reports, 7);
  assert_int_equal(t.purged, 7);
  assert_int_equal(t.purge_refused, 7);
  assert_int_equal(segb_client_outq_len(f.client), 0);
  assert_int_equal(segb_client_purge(f.client), 0);
  assert_int_equal(t.reports, 7);
  assert_int_equal(mock_requests(&f), 0);
  stats_of(f.client, v);
  assert_balanced(v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 7);
  assert_int_equal(v[SEGB_STAT_DROPPED], 7);
  assert_int_equal(v[SEGB_STAT_QUEUED], 0);
  assert_int_equal(v[SEGB_STAT_QUEUED_BYTES], 0);
  assert_int_equal(v[SEGB_STAT_REQUESTS], 0);

  track_n(&f, 3);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(t.delivered, 3);
  assert_int_equal(mock_messages(&f), 3);
  assert_int_equal(segb_client_close(f.client, GENEROUS_MS), SEGB_OK);
  sbm_stop(f.mock);
  for (i = 0; i < 7; i++)
    assert_non_null(t.ids[i]);
  assert_ids_unique(&t);
}

/* Messages the callback enqueues during a purge stay queued: a callback
 * that enqueues on every report cannot keep a purge going. */
static void test_purge_spares_callback_enqueues(void **state) {
  fixture f;
  reentry st;
  (void)state;

  start_reentry(&f, &st, "inline"); /* purge reports at once */
  track_n(&f, 3);
  st.follow_ups = 1000;
  assert_int_equal(segb_client_purge(f.client), 3);
  assert_int_equal(st.reports, 3);
  assert_int_equal(st.enqueued, 3);
  assert_int_equal(segb_client_outq_len(f.client), 3);
  st.follow_ups = 0;
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(st.delivered, 3);
  assert_int_equal(mock_messages(&f), 3);
  finish(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_type),
      cmocka_unit_test(test_default_context),
      cmocka_unit_test(test_send_disabled),
      cmocka_unit_test(test_write_key_in_body),
      cmocka_unit_test(test_gzip),
      cmocka_unit_test(test_batching_by_count_and_bytes),
      cmocka_unit_test(test_retried_faults),
      cmocka_unit_test(test_timeout_retried),
      cmocka_unit_test(test_retry_keeps_message_id),
      cmocka_unit_test(test_retry_after),
      cmocka_unit_test(test_rejections_not_retried),
      cmocka_unit_test(test_poison_isolated),
      cmocka_unit_test(test_poison_several),
      cmocka_unit_test(test_poison_split_keeps_form),
      cmocka_unit_test(test_oversize_isolated),
      cmocka_unit_test(test_poison_split_timed_out),
      cmocka_unit_test(test_wrong_key_rejected_by_mock),
      cmocka_unit_test(test_retries_exhausted),
      cmocka_unit_test(test_close_is_bounded),
      cmocka_unit_test(test_close_is_bounded_in_thread_mode),
      cmocka_unit_test(test_request_timeout_advice),
      cmocka_unit_test(test_network_errors),
      cmocka_unit_test(test_tls),
      cmocka_unit_test(test_tls_handshake_retried),
      cmocka_unit_test(test_cut_response_retried),
      cmocka_unit_test(test_retry_after_floor),
      cmocka_unit_test(test_retry_after_outlives_flush),
      cmocka_unit_test(test_rate_limit_advice),
      cmocka_unit_test(test_configuration_errors),
      cmocka_unit_test(test_duplicate_keys_never_sent),
      cmocka_unit_test(test_flush_and_close_in_callback_refused),
      cmocka_unit_test(test_enqueue_in_callback),
      cmocka_unit_test(test_concurrent_use_refused),
      cmocka_unit_test(test_concurrent_use_never_hangs),
      cmocka_unit_test(test_report_accessors_accept_null),
      cmocka_unit_test(test_stat_names),
      cmocka_unit_test(test_stats_count),
      cmocka_unit_test(test_stats_under_faults),
      cmocka_unit_test(test_stats_random_faults),
      cmocka_unit_test(test_stats_after_timed_out_flush),
      cmocka_unit_test(test_purge),
      cmocka_unit_test(test_purge_spares_callback_enqueues),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
