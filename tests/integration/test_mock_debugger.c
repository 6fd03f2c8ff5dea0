/*
 * The mock's Debugger page (sbm_options.debugger) over real libcurl: the
 * JSON endpoints and the Server-Sent Events stream the page reads, with
 * events sent through the library and requests the mock refuses; the ring
 * bound, resuming and skipping, redaction, and sbm_stop with streams open
 * (one reading, one stalled).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <segbridge/segbridge.h>

#include "client_fixture.h"
#include "mock.h"

#define KEY "dbg-s3cret-write-key"
#define WRONG_KEY "n0t-the-key-at-all"
/* base64("dbg-s3cret-write-key:") */
#define KEY_B64 "ZGJnLXMzY3JldC13cml0ZS1rZXk6"
#define WRONG_KEY_B64 "bjB0LXRoZS1rZXktYXQtYWxsOg=="
/* Only a hang reaches these. */
#define GENEROUS_MS 60000
#define HANG_GUARD_S 60

/* ---- HTTP ------------------------------------------------------------- */

typedef struct body {
  pthread_mutex_t lock; /* the stream's thread appends, the test reads */
  char *s;
  size_t len;
  int stop; /* set: the next write ends the transfer */
} body;

static size_t on_data(char *data, size_t size, size_t n, void *cls) {
  body *b = cls;
  size_t len = size * n;
  pthread_mutex_lock(&b->lock);
  char *grown = b->stop ? NULL : realloc(b->s, b->len + len + 1);
  if (grown) {
    memcpy(grown + b->len, data, len);
    b->len += len;
    grown[b->len] = '\0';
    b->s = grown;
  }
  pthread_mutex_unlock(&b->lock);
  return grown ? len : 0;
}

/* Ends an idle transfer too (curl calls it about once a second). */
static int on_progress(void *cls, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  body *b = cls;
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  pthread_mutex_lock(&b->lock);
  int stop = b->stop;
  pthread_mutex_unlock(&b->lock);
  return stop;
}

/* @path of @m with the header lines @list (freed here) and, when @json is
 * set, that body POSTed; the status, the answer in @out. */
static long request(sbm_mock *m, const char *path, struct curl_slist *list,
                    const char *json, body *out) {
  char url[256];
  CURL *h = curl_easy_init();
  long status = 0;

  assert_non_null(h);
  snprintf(url, sizeof url, "%s%s", sbm_url(m), path);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  if (json != NULL)
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)HANG_GUARD_S);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, out);
  curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return status;
}

/* GET @path of @m (with an optional extra header line); the status, the
 * body in @out (freed by the caller). */
static long get(sbm_mock *m, const char *path, const char *header, body *out) {
  return request(m, path, header ? curl_slist_append(NULL, header) : NULL, NULL,
                 out);
}

static body *body_new(void) {
  body *b = calloc(1, sizeof *b);
  assert_non_null(b);
  pthread_mutex_init(&b->lock, NULL);
  return b;
}

static void body_free(body *b) {
  pthread_mutex_destroy(&b->lock);
  free(b->s);
  free(b);
}

/* GET @path as JSON (200 expected); the caller deletes it. */
static cJSON *get_json(sbm_mock *m, const char *path) {
  body *b = body_new();
  assert_int_equal(get(m, path, NULL, b), 200);
  cJSON *j = cJSON_Parse(b->s);
  if (!j)
    fail_msg("%s: not JSON: %s", path, b->s ? b->s : "(empty)");
  body_free(b);
  return j;
}

/* POST @json to @path with the extra header lines up to NULL; the status. */
static long post(sbm_mock *m, const char *path, const char *json, ...) {
  struct curl_slist *list =
      curl_slist_append(NULL, "Content-Type: application/json");
  body *b = body_new();
  long status;
  va_list ap;

  va_start(ap, json);
  for (const char *line; (line = va_arg(ap, const char *)) != NULL;)
    list = curl_slist_append(list, line);
  va_end(ap);
  status = request(m, path, list, json, b);
  body_free(b);
  return status;
}

/* ---- the stream, in a thread -------------------------------------------- */

typedef struct stream {
  sbm_mock *m;
  const char *header; /* e.g. a Last-Event-ID line */
  body *b;
  long status;
  pthread_t thread;
} stream;

static void *read_stream(void *cls) {
  stream *s = cls;
  s->status = get(s->m, "/debugger/stream", s->header, s->b);
  return NULL;
}

static void stream_open(stream *s, sbm_mock *m, const char *header) {
  *s = (stream){.m = m, .header = header, .b = body_new()};
  assert_int_equal(pthread_create(&s->thread, NULL, read_stream, s), 0);
}

/* Stop reading and join. */
static void stream_close(stream *s) {
  pthread_mutex_lock(&s->b->lock);
  s->b->stop = 1;
  pthread_mutex_unlock(&s->b->lock);
  pthread_join(s->thread, NULL);
  body_free(s->b);
}

/* The messages received so far, as one JSON array of their data, each with
 * its "id" added. */
static cJSON *stream_messages(stream *s) {
  cJSON *all = cJSON_CreateArray();
  pthread_mutex_lock(&s->b->lock);
  const char *p = s->b->s ? s->b->s : "";
  const char *end;
  while ((end = strstr(p, "\n\n")) != NULL) {
    const char *id = strstr(p, "id: ");
    const char *data = strstr(p, "data: ");
    if (id && data && data < end) {
      cJSON *msg = cJSON_ParseWithLength(data + 6, (size_t)(end - data - 6));
      assert_non_null(msg);
      cJSON_AddNumberToObject(msg, "id", strtod(id + 4, NULL));
      cJSON_AddItemToArray(all, msg);
    }
    p = end + 2;
  }
  pthread_mutex_unlock(&s->b->lock);
  return all;
}

/* Rows of every message so far, in order, as one array. */
static cJSON *stream_rows(stream *s, uint64_t *missed) {
  cJSON *msgs = stream_messages(s), *rows = cJSON_CreateArray(), *msg;
  *missed = 0;
  cJSON_ArrayForEach(msg, msgs) {
    cJSON *row;
    *missed += (uint64_t)cJSON_GetNumberValue(
        cJSON_GetObjectItemCaseSensitive(msg, "missed"));
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(msg, "rows"))
        cJSON_AddItemToArray(rows, cJSON_Duplicate(row, 1));
  }
  cJSON_Delete(msgs);
  return rows;
}

static void pause_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Wait until the stream has delivered @n rows; a hang guard, not a
 * timing. */
static cJSON *stream_wait_rows(stream *s, int n) {
  for (int waited = 0; waited < HANG_GUARD_S * 100; waited++) {
    uint64_t missed;
    cJSON *rows = stream_rows(s, &missed);
    if (cJSON_GetArraySize(rows) >= n)
      return rows;
    cJSON_Delete(rows);
    pause_ms(10);
  }
  fail_msg("the stream never delivered %d rows", n);
  return NULL;
}

/* ---- fixtures ------------------------------------------------------------ */

static sbm_mock *start_mock(size_t keep) {
  sbm_options mo = {0};
  char err[256];
  mo.write_key = KEY;
  mo.quiet = 1;
  mo.debugger = 1;
  mo.debugger_keep = keep;
  sbm_mock *m = sbm_start(&mo, err, sizeof err);
  if (!m)
    fail_msg("mock: %s", err);
  return m;
}

/* A mock with the page keeping @keep rows, and a client for it. */
static void start_client(fx_client *f, size_t keep, ...) {
  sbm_options mo = {0};
  va_list ap;
  mo.write_key = KEY;
  mo.debugger = 1;
  mo.debugger_keep = keep;
  fx_start(f, mo, KEY);
  va_start(ap, keep);
  fx_finish_config(f, ap);
  va_end(ap);
  fx_open(f);
}

static void send_every_type(fx_client *f) {
  assert_int_equal(
      segb_identify(f->client, "u-1", NULL, "{\"email\":\"j@example.com\"}"),
      SEGB_OK);
  assert_int_equal(segb_track(f->client, NULL, "a-1", "Signed Up", NULL),
                   SEGB_OK);
  assert_int_equal(segb_page(f->client, "u-1", NULL, "Home", NULL), SEGB_OK);
  assert_int_equal(segb_screen(f->client, "u-1", NULL, "Settings", NULL),
                   SEGB_OK);
  assert_int_equal(segb_group(f->client, "u-1", NULL, "g-1", NULL), SEGB_OK);
  assert_int_equal(segb_alias(f->client, "u-1", "a-1"), SEGB_OK);
  assert_int_equal(segb_client_flush(f->client, GENEROUS_MS), SEGB_OK);
}

static const char *str(const cJSON *o, const char *name) {
  const char *s =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
  return s ? s : "";
}

static double num(const cJSON *o, const char *name) {
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static const cJSON *counters(const cJSON *msg) {
  return cJSON_GetObjectItemCaseSensitive(msg, "counters");
}

static double refused_for(const cJSON *msg, const char *reason) {
  const cJSON *by = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(msg, "counters"), "refused_by_reason");
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(by, reason);
  return n ? cJSON_GetNumberValue(n) : 0;
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_page_and_routes(void **state) {
  (void)state;
  sbm_options off = {.quiet = 1};
  char err[256];
  sbm_mock *plain = sbm_start(&off, err, sizeof err);
  assert_non_null(plain);
  body *b = body_new();
  assert_int_equal(get(plain, "/debugger", NULL, b), 404); /* off by default */
  body_free(b);
  sbm_stop(plain);

  sbm_mock *m = start_mock(0);
  b = body_new();
  assert_int_equal(get(m, "/debugger", NULL, b), 200);
  assert_non_null(strstr(b->s, "<title>Debugger"));
  assert_non_null(strstr(b->s, "new EventSource(\"/debugger/stream\")"));
  body_free(b);
  b = body_new();
  assert_int_equal(get(m, "/debugger/nothing", NULL, b), 404);
  body_free(b);
  /* the page's requests are not the Tracking API's */
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.requests, 0);
  cJSON *s = get_json(m, "/debugger/state");
  assert_int_equal(num(s, "keep"), 1000);
  assert_int_equal(num(s, "kept"), 0);
  assert_int_equal(num(counters(s), "requests"), 0);
  assert_string_equal(
      str(cJSON_GetObjectItemCaseSensitive(s, "faults"), "write_key"),
      "required");
  cJSON_Delete(s);
  sbm_stop(m);
}

static void test_rows_of_every_type(void **state) {
  static const char *const types[] = {"identify", "track", "page",
                                      "screen",   "group", "alias"};
  static const char *const names[] = {"j@example.com", "Signed Up", "Home",
                                      "Settings",      "g-1",       "a-1"};
  fx_client f;
  (void)state;

  start_client(&f, 0, NULL);
  send_every_type(&f);
  cJSON *e = get_json(f.mock, "/debugger/events");
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(e, "rows");
  assert_int_equal(cJSON_GetArraySize(rows), 6);
  for (int i = 0; i < 6; i++) {
    const cJSON *row = cJSON_GetArrayItem(rows, i);
    assert_string_equal(str(row, "type"), types[i]);
    assert_string_equal(str(row, "name"), names[i]);
    assert_string_equal(str(row, "outcome"), "accepted");
    assert_string_equal(str(row, "auth"), "Basic");
    assert_string_equal(str(row, "path"), "/v1/batch");
    assert_int_equal(num(row, "status"), 200);
    assert_int_equal(num(row, "request"), 0); /* one batch */
    assert_string_equal(str(row, i == 1 ? "anonymousId" : "userId"),
                        i == 1 ? "a-1" : "u-1");
    /* the JSON as the mock recorded it */
    char *recorded = sbm_message(f.mock, (size_t)i);
    assert_string_equal(str(row, "json"), recorded);
    free(recorded);
  }
  assert_int_equal(num(e, "missed"), 0);
  assert_int_equal(num(e, "last"), 6);
  assert_int_equal(num(counters(e), "events"), 6);
  assert_int_equal(num(counters(e), "requests"), 1);
  cJSON_Delete(e);
  /* after=S: only the rows after sequence number S */
  e = get_json(f.mock, "/debugger/events?after=4");
  rows = cJSON_GetObjectItemCaseSensitive(e, "rows");
  assert_int_equal(cJSON_GetArraySize(rows), 2);
  assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "type"), "group");
  cJSON_Delete(e);
  /* a duplicate messageId is marked and counted */
  segb_client_close(f.client, GENEROUS_MS);
  f.client = NULL;
  const char *dup = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                    "\"event\":\"E\",\"messageId\":\"m-1\"}]}";
  assert_int_equal(
      post(f.mock, "/v1/batch", dup, "Authorization: Basic " KEY_B64, NULL),
      200);
  assert_int_equal(
      post(f.mock, "/v1/batch", dup, "Authorization: Basic " KEY_B64, NULL),
      200);
  e = get_json(f.mock, "/debugger/events?after=6");
  rows = cJSON_GetObjectItemCaseSensitive(e, "rows");
  assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "outcome"), "accepted");
  assert_string_equal(str(cJSON_GetArrayItem(rows, 1), "outcome"), "duplicate");
  assert_int_equal(num(cJSON_GetArrayItem(rows, 1), "request"), 2);
  assert_int_equal(num(counters(e), "duplicates"), 1);
  cJSON_Delete(e);
  sbm_stop(f.mock);
}

static void test_refusals_with_reasons(void **state) {
  (void)state;
  sbm_options mo = {0};
  char err[256];
  mo.write_key = KEY;
  mo.quiet = 1;
  mo.debugger = 1;
  mo.max_body = 2000;
  sbm_mock *m = sbm_start(&mo, err, sizeof err);
  assert_non_null(m);

  /* through the library, with the wrong key: 401 */
  segb_config_t *conf = segb_config_new();
  fx_set(conf, "write_key", WRONG_KEY);
  fx_set(conf, "endpoint", sbm_url(m));
  fx_set(conf, "http.timeout_ms", "60000");
  segb_client_t *c = segb_client_new(conf, err, sizeof err);
  assert_non_null(c);
  assert_int_equal(segb_track(c, "u-1", NULL, "Bought", NULL), SEGB_OK);
  segb_client_flush(c, GENEROUS_MS);
  segb_client_close(c, GENEROUS_MS);
  /* an event without its name: 400 naming the field */
  assert_int_equal(post(m, "/v1/batch",
                        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u-2\"}]}",
                        "Authorization: Basic " KEY_B64, NULL),
                   400);
  /* over max_body: 413 */
  char big[3000];
  snprintf(big, sizeof big,
           "{\"type\":\"track\",\"userId\":\"u-3\",\"event\":\"Big\","
           "\"properties\":{\"pad\":\"%02400d\"}}",
           0);
  assert_int_equal(
      post(m, "/v1/track", big, "Authorization: Basic " KEY_B64, NULL), 413);
  /* an injected fault */
  sbm_script(m, SBM_FAULT_503, 1, 0);
  assert_int_equal(post(m, "/v1/batch",
                        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u-4\","
                        "\"event\":\"Faulted\"}]}",
                        "Authorization: Basic " KEY_B64, NULL),
                   503);

  cJSON *e = get_json(m, "/debugger/events");
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(e, "rows");
  assert_int_equal(cJSON_GetArraySize(rows), 4);
  const cJSON *r401 = cJSON_GetArrayItem(rows, 0),
              *r400 = cJSON_GetArrayItem(rows, 1),
              *r413 = cJSON_GetArrayItem(rows, 2),
              *r503 = cJSON_GetArrayItem(rows, 3);
  assert_int_equal(num(r401, "status"), 401);
  assert_string_equal(str(r401, "outcome"), "refused");
  assert_string_equal(str(r401, "reason"), "invalid writeKey");
  assert_string_equal(str(r401, "name"), "Bought"); /* its first event */
  assert_int_equal(num(r400, "status"), 400);
  assert_non_null(strstr(str(r400, "reason"), "batch[0]: track: 'event'"));
  assert_string_equal(str(r400, "userId"), "u-2");
  assert_int_equal(num(r413, "status"), 413);
  assert_non_null(strstr(str(r413, "reason"), "Payload Too Large"));
  assert_string_equal(str(r413, "type"), "track");
  assert_int_equal(num(r503, "status"), 503);
  assert_string_equal(str(r503, "outcome"), "fault");
  assert_string_equal(str(r503, "reason"),
                      "injected fault: service unavailable");
  for (int i = 0; i < 4; i++)
    assert_int_equal(num(cJSON_GetArrayItem(rows, i), "request"), i);
  assert_int_equal(num(counters(e), "refused"), 4);
  assert_int_equal(num(counters(e), "events"), 0);
  assert_int_equal(refused_for(e, "401"), 1);
  assert_int_equal(refused_for(e, "400"), 1);
  assert_int_equal(refused_for(e, "413"), 1);
  assert_int_equal(refused_for(e, "fault 503"), 1);
  cJSON_Delete(e);
  /* the fault settings the page shows */
  sbm_script(m, SBM_FAULT_500, 3, 0);
  cJSON *s = get_json(m, "/debugger/state");
  const cJSON *faults = cJSON_GetObjectItemCaseSensitive(s, "faults");
  assert_int_equal(num(faults, "scripted"), 3);
  assert_int_equal(num(faults, "max_body"), 2000);
  cJSON_Delete(s);
  sbm_stop(m);
}

/* Neither key, nor its Basic form, anywhere the page reads. */
static void assert_no_key(const char *text) {
  assert_null(strstr(text, KEY));
  assert_null(strstr(text, WRONG_KEY));
  assert_null(strstr(text, KEY_B64));
  assert_null(strstr(text, WRONG_KEY_B64));
}

static void test_credentials_redacted(void **state) {
  (void)state;
  sbm_mock *m = start_mock(0);
  stream s;
  stream_open(&s, m, NULL);
  /* Basic; a body writeKey on a single-event route (recorded whole); a
   * Bearer token with the body writeKey; the key itself in a property; a
   * wrong key in both places (401). */
  assert_int_equal(
      post(m, "/v1/track",
           "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"writeKey\":"
           "\"" KEY "\"}",
           NULL),
      200);
  assert_int_equal(post(m, "/v1/batch",
                        "{\"writeKey\" : \"" KEY
                        "\",\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                        "\"event\":\"E\",\"properties\":{\"k\":\"" KEY "\"}}]}",
                        "Authorization: Bearer some-token", NULL),
                   200);
  assert_int_equal(post(m, "/v1/batch",
                        "{\"writeKey\":\"" WRONG_KEY
                        "\",\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                        "\"event\":\"E\"}]}",
                        NULL),
                   401);
  assert_int_equal(post(m, "/v1/batch",
                        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                        "\"event\":\"E\"}]}",
                        "Authorization: Basic " WRONG_KEY_B64, NULL),
                   401);
  cJSON_Delete(stream_wait_rows(&s, 4));

  cJSON *e = get_json(m, "/debugger/events");
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(e, "rows");
  assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "auth"),
                      "body writeKey");
  assert_non_null(strstr(str(cJSON_GetArrayItem(rows, 0), "json"),
                         "\"writeKey\":\"[redacted]\""));
  assert_string_equal(str(cJSON_GetArrayItem(rows, 1), "auth"),
                      "Bearer, body writeKey");
  assert_non_null(
      strstr(str(cJSON_GetArrayItem(rows, 1), "json"), "\"k\":\"[redacted]\""));
  assert_string_equal(str(cJSON_GetArrayItem(rows, 2), "auth"),
                      "body writeKey");
  assert_string_equal(str(cJSON_GetArrayItem(rows, 3), "auth"), "Basic");
  cJSON_Delete(e);
  static const char *const paths[] = {"/debugger", "/debugger/state",
                                      "/debugger/events"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    body *b = body_new();
    assert_int_equal(get(m, paths[i], NULL, b), 200);
    assert_no_key(b->s);
    body_free(b);
  }
  pthread_mutex_lock(&s.b->lock);
  assert_no_key(s.b->s);
  pthread_mutex_unlock(&s.b->lock);
  stream_close(&s);
  sbm_stop(m);
}

static void test_ring_keeps_the_last_n(void **state) {
  fx_client f;
  char name[32];
  (void)state;

  start_client(&f, 5, "batch.max_events", "1", NULL);
  for (int i = 0; i < 12; i++) {
    snprintf(name, sizeof name, "E%d", i);
    assert_int_equal(segb_track(f.client, "u-1", NULL, name, NULL), SEGB_OK);
  }
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  cJSON *e = get_json(f.mock, "/debugger/events?after=0");
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(e, "rows");
  assert_int_equal(cJSON_GetArraySize(rows), 5);
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof name, "E%d", 7 + i);
    assert_string_equal(str(cJSON_GetArrayItem(rows, i), "name"), name);
  }
  /* from the start: the 7 dropped are missed; the counters are exact */
  assert_int_equal(num(e, "missed"), 7);
  assert_int_equal(num(counters(e), "events"), 12);
  cJSON_Delete(e);
  cJSON *s = get_json(f.mock, "/debugger/state");
  assert_int_equal(num(s, "keep"), 5);
  assert_int_equal(num(s, "kept"), 5);
  assert_int_equal(num(s, "last"), 12);
  cJSON_Delete(s);
  /* a stream that starts behind skips to what is kept, and says so */
  stream st;
  stream_open(&st, f.mock, "Last-Event-ID: 2");
  uint64_t missed;
  cJSON_Delete(stream_wait_rows(&st, 5));
  cJSON *got = stream_rows(&st, &missed);
  assert_int_equal(missed, 5); /* 3..7 */
  assert_string_equal(str(cJSON_GetArrayItem(got, 0), "name"), "E7");
  cJSON_Delete(got);
  stream_close(&st);
  fx_close(&f);
}

static void test_stream_live_and_resumed(void **state) {
  fx_client f;
  (void)state;

  start_client(&f, 0, NULL);
  stream s;
  stream_open(&s, f.mock, NULL);
  send_every_type(&f);
  assert_int_equal(segb_track(f.client, "u-9", NULL, "Later", NULL), SEGB_OK);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  cJSON *rows = stream_wait_rows(&s, 7);
  assert_int_equal(cJSON_GetArraySize(rows), 7);
  assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "type"), "identify");
  assert_string_equal(str(cJSON_GetArrayItem(rows, 6), "name"), "Later");
  assert_int_equal(num(cJSON_GetArrayItem(rows, 6), "request"), 1);
  cJSON_Delete(rows);
  /* the ids are the last sequence number sent; the counters come along */
  cJSON *msgs = stream_messages(&s);
  const cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
  assert_int_equal(num(last, "id"), 7);
  assert_int_equal(num(counters(last), "events"), 7);
  assert_int_equal(num(counters(last), "requests"), 2);
  cJSON_Delete(msgs);
  stream_close(&s);
  /* a reconnecting EventSource sends Last-Event-ID: it resumes there */
  stream_open(&s, f.mock, "Last-Event-ID: 6");
  rows = stream_wait_rows(&s, 1);
  assert_int_equal(cJSON_GetArraySize(rows), 1);
  assert_string_equal(str(cJSON_GetArrayItem(rows, 0), "name"), "Later");
  cJSON_Delete(rows);
  stream_close(&s);
  fx_close(&f);
}

/* A connection that asks for the stream and never reads. */
static int stalled_stream(sbm_mock *m) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons(sbm_port(m)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  static const char req[] = "GET /debugger/stream HTTP/1.1\r\n"
                            "Host: 127.0.0.1\r\n\r\n";
  int small = 4096;
  assert_true(fd >= 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
  return fd;
}

static void test_stalled_page_and_stop(void **state) {
  fx_client f;
  char props[1100];
  (void)state;

  start_client(&f, 50, NULL);
  int stalled = stalled_stream(f.mock);
  stream reading;
  stream_open(&reading, f.mock, NULL);
  /* a stalled page holds up neither the Tracking API nor its memory */
  snprintf(props, sizeof props, "{\"pad\":\"%01000d\"}", 0);
  for (int i = 0; i < 2000; i++)
    assert_int_equal(segb_track(f.client, "u-1", NULL, "Bulk", props), SEGB_OK);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 2000);
  assert_int_equal(fx_stats(&f).messages, 2000);
  cJSON *s = get_json(f.mock, "/debugger/state");
  assert_int_equal(num(counters(s), "events"), 2000);
  assert_int_equal(num(s, "kept"), 50);
  cJSON_Delete(s);
  cJSON_Delete(stream_wait_rows(&reading, 50));
  /* stop with both streams open: it returns, and the reading one ends */
  assert_int_equal(segb_client_close(f.client, GENEROUS_MS), SEGB_OK);
  sbm_stop(f.mock);
  pthread_join(reading.thread, NULL);
  assert_int_equal(reading.status, 200);
  body_free(reading.b);
  close(stalled);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_page_and_routes),
      cmocka_unit_test(test_rows_of_every_type),
      cmocka_unit_test(test_refusals_with_reasons),
      cmocka_unit_test(test_credentials_redacted),
      cmocka_unit_test(test_ring_keeps_the_last_n),
      cmocka_unit_test(test_stream_live_and_resumed),
      cmocka_unit_test(test_stalled_page_and_stop),
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
