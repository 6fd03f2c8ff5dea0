/* The multi-request transport: the libcurl multi against real loopback
 * servers (a libmicrohttpd server that can hold requests until enough run
 * at once, or forever; the raw server for cut responses), and the serial
 * multi over the capture transport. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include <segbridge/error.h>

#include "core/clock.h"
#include "http_server.h"
#include "raw_server.h"
#include "tls_cert.h"
#include "transport/transport.h"

/* For every limit that is not what a test is about: only a hang reaches
 * it, even under valgrind on a busy machine. */
#define GENEROUS_MS 60000
/* How long the server holds a request waiting for company, and how long a
 * test waits for the server to see something, before giving up. */
#define HANG_GUARD_MS 30000

/* ---- the loopback server ------------------------------------------------ */

/* Answers "/<status>/<anything>" with <status> and the path as the body,
 * holding each request as the test says. */
typedef struct server {
  segb_http_server *http;
  const char *base; /* the http server's */
  pthread_mutex_t lock;
  pthread_cond_t changed;
  /* Set by the test, under lock. */
  int gate;   /* hold requests until this many are held at once */
  int silent; /* hold every request until this is cleared */
  int stopping;
  /* Seen, under lock. */
  int requests;
  int held;      /* requests held now */
  int most_held; /* the most held at once */
} server;

/* Hold the request as the test says; the status to answer. */
static unsigned hold(server *s, const char *url) {
  int64_t until_ms = sbi_clock_mono_ms() + HANG_GUARD_MS;
  struct timespec until;
  unsigned status = (unsigned)atoi(url + 1);

  until.tv_sec = (time_t)(until_ms / 1000);
  until.tv_nsec = (long)(until_ms % 1000) * 1000000L;
  pthread_mutex_lock(&s->lock);
  s->held++;
  if (s->held > s->most_held)
    s->most_held = s->held;
  pthread_cond_broadcast(&s->changed);
  while (!s->stopping && (s->silent || s->most_held < s->gate)) {
    if (s->silent) {
      pthread_cond_wait(&s->changed, &s->lock);
    } else if (pthread_cond_timedwait(&s->changed, &s->lock, &until) ==
               ETIMEDOUT) {
      status = 504; /* the gate never filled: the test fails on this */
      break;
    }
  }
  s->held--;
  pthread_mutex_unlock(&s->lock);
  return status;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  static int started;
  server *s = cls;
  struct MHD_Response *r;
  enum MHD_Result ret;
  unsigned status;
  char body[128];
  (void)method;
  (void)version;
  (void)upload_data;

  if (*req_cls == NULL) {
    *req_cls = &started;
    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  status = hold(s, url);
  snprintf(body, sizeof body, "%s", url);
  r = MHD_create_response_from_buffer(strlen(body), body,
                                      MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "X-Served", "yes");
  ret = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* A server on 127.0.0.1 and an ephemeral port answering with on_request();
 * TLS when @cert_pem is given. */
static server *server_start(const char *cert_pem, const char *key_pem) {
  server *s = calloc(1, sizeof *s);
  pthread_condattr_t attr;

  assert_non_null(s);
  pthread_mutex_init(&s->lock, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&s->changed, &attr);
  pthread_condattr_destroy(&attr);
  s->http = segb_http_start(on_request, s, cert_pem, key_pem);
  assert_non_null(s->http);
  s->base = segb_http_base(s->http);
  return s;
}

static void server_set(server *s, int *field, int value) {
  pthread_mutex_lock(&s->lock);
  *field = value;
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

static int server_get(server *s, const int *field) {
  int v;

  pthread_mutex_lock(&s->lock);
  v = *field;
  pthread_mutex_unlock(&s->lock);
  return v;
}

static void server_stop(server *s) {
  server_set(s, &s->stopping, 1);
  segb_http_stop(s->http);
  pthread_cond_destroy(&s->changed);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

static int setup_server(void **state) {
  *state = server_start(NULL, NULL);
  return 0;
}

static int teardown_server(void **state) {
  server_stop(*state);
  return 0;
}

/* ---- requests ----------------------------------------------------------- */

/* @ca_file: the CA to trust, NULL for the system's. */
static sbi_transport *new_curl_trusting(const char *ca_file) {
  sbi_transport_options o;
  sbi_transport *t;

  memset(&o, 0, sizeof o);
  o.ca_file = ca_file;
  o.connect_timeout_ms = GENEROUS_MS;
  o.timeout_ms = GENEROUS_MS;
  o.proxy = ""; /* no proxy, whatever the environment says */
  t = sbi_curl_transport_new(&o);
  assert_non_null(t);
  return t;
}

static sbi_transport *new_curl(void) { return new_curl_trusting(NULL); }

/* One request of a test, its response, and how often its tag came back. */
typedef struct call {
  char url[128];
  sbi_http_request req;
  sbi_http_response resp;
  int done;
} call;

static void call_init(call *c, const char *base, int status, int i) {
  memset(c, 0, sizeof *c);
  snprintf(c->url, sizeof c->url, "%s/%d/%d", base, status, i);
  c->req.method = "POST";
  c->req.url = c->url;
  c->req.headers[c->req.header_count++] = "Content-Type: application/json";
  c->req.body = "{\"batch\":[]}";
  c->req.body_len = strlen(c->req.body);
}

static void start(sbi_multi *m, call *c) {
  assert_int_equal(m->start(m, &c->req, &c->resp, c), SEGB_OK);
}

/* Wait and collect until @n tags came back; every tag must be one of
 * @calls. The transport's timeout ends any request that hangs. */
static void collect(sbi_multi *m, call *calls, int n) {
  int got = 0;

  while (got < n) {
    call *c;

    m->wait(m, -1);
    while ((c = m->done(m)) != NULL) {
      assert_true(c >= calls && c < calls + n);
      c->done++;
      got++;
    }
  }
}

/* Move @m along until the server holds @n requests. */
static void await_held(sbi_multi *m, server *s, int n) {
  int64_t until_ms = sbi_clock_mono_ms() + HANG_GUARD_MS;

  while (server_get(s, &s->held) < n) {
    assert_true(sbi_clock_mono_ms() < until_ms);
    m->wait(m, 50);
    assert_null(m->done(m));
  }
}

static void free_calls(call *calls, int n) {
  int i;

  for (i = 0; i < n; i++)
    sbi_http_response_free(&calls[i].resp);
}

/* ---- the libcurl multi -------------------------------------------------- */

static void test_all_complete(void **state) {
  enum { N = 8 };
  static const int statuses[N] = {200, 201, 202, 204, 400, 413, 429, 503};
  server *s = *state;
  sbi_transport *t = new_curl();
  sbi_multi *m = sbi_multi_new(t, N);
  call calls[N];
  char path[64];
  int i;

  assert_non_null(m);
  for (i = 0; i < N; i++) {
    call_init(&calls[i], s->base, statuses[i], i);
    start(m, &calls[i]);
  }
  collect(m, calls, N);
  for (i = 0; i < N; i++) {
    char served[8];

    assert_int_equal(calls[i].done, 1);
    assert_int_equal(calls[i].resp.error, SEGB_OK);
    assert_int_equal(calls[i].resp.status, statuses[i]);
    assert_true(calls[i].resp.header_end);
    assert_int_equal(
        sbi_http_header(&calls[i].resp, "X-Served", served, sizeof served), 1);
    assert_true(calls[i].resp.elapsed_us > 0);
    if (statuses[i] != 204) {
      snprintf(path, sizeof path, "/%d/%d", statuses[i], i);
      assert_int_equal(calls[i].resp.body.len, strlen(path));
      assert_memory_equal(calls[i].resp.body.data, path, strlen(path));
    }
  }
  assert_null(m->done(m));
  free_calls(calls, N);
  m->destroy(m);
  t->destroy(t);
}

/* The server holds every request until it holds K at once: only requests
 * that really run side by side get their answers. */
static void assert_overlap(server *s, sbi_transport *t) {
  enum { K = 4 };
  sbi_multi *m = sbi_multi_new(t, K);
  call calls[K];
  int i;

  assert_non_null(m);
  server_set(s, &s->gate, K);
  for (i = 0; i < K; i++) {
    call_init(&calls[i], s->base, 200, i);
    start(m, &calls[i]);
  }
  collect(m, calls, K);
  for (i = 0; i < K; i++) {
    assert_int_equal(calls[i].done, 1);
    assert_int_equal(calls[i].resp.error, SEGB_OK);
    assert_int_equal(calls[i].resp.status, 200);
  }
  assert_int_equal(server_get(s, &s->most_held), K);
  free_calls(calls, K);
  m->destroy(m);
}

static void test_requests_overlap(void **state) {
  sbi_transport *t = new_curl();

  assert_overlap(*state, t);
  t->destroy(t);
}

/* Over https the multi waits for a new connection's ALPN before opening
 * more; an HTTP/1.1 server must still get them all at once. */
static void test_requests_overlap_tls(void **state) {
  char *cert, *key, *path;
  sbi_transport *t;
  server *s;
  (void)state;

  if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
    skip();
  assert_int_equal(segb_test_make_cert(&cert, &key), 0);
  s = server_start(cert, key);
  path = segb_test_temp_file(cert);
  assert_non_null(path);
  t = new_curl_trusting(path);
  assert_overlap(s, t);
  t->destroy(t);
  server_stop(s);
  unlink(path);
  free(path);
  free(cert);
  free(key);
}

static void test_room_is_bounded(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl();
  sbi_multi *m = sbi_multi_new(t, 2);
  call calls[3];
  int i;

  assert_non_null(m);
  for (i = 0; i < 3; i++)
    call_init(&calls[i], s->base, 200, i);
  start(m, &calls[0]);
  start(m, &calls[1]);
  assert_int_equal(m->start(m, &calls[2].req, &calls[2].resp, &calls[2]),
                   SEGB_ERR_INVALID_ARG);
  collect(m, calls, 2);
  /* Collected: room again. */
  start(m, &calls[2]);
  collect(m, &calls[2], 1);
  for (i = 0; i < 3; i++)
    assert_int_equal(calls[i].done, 1);
  assert_int_equal(server_get(s, &s->requests), 3);

  assert_null(sbi_multi_new(t, 0));
  free_calls(calls, 3);
  m->destroy(m);
  t->destroy(t);
}

/* Connections stay open between rounds of requests, in the multi's cache,
 * and no more than max_parallel are ever opened. */
static void test_connections_are_reused(void **state) {
  enum { N = 4, ROUNDS = 3 };
  server *s = *state;
  sbi_transport *t = new_curl();
  sbi_multi *m = sbi_multi_new(t, N);
  call calls[N];
  int round, i;

  assert_non_null(m);
  for (round = 0; round < ROUNDS; round++) {
    for (i = 0; i < N; i++) {
      call_init(&calls[i], s->base, 200, round * N + i);
      start(m, &calls[i]);
    }
    collect(m, calls, N);
    for (i = 0; i < N; i++)
      assert_int_equal(calls[i].resp.status, 200);
    free_calls(calls, N);
  }
  assert_int_equal(server_get(s, &s->requests), N * ROUNDS);
  assert_true(segb_http_connections(s->http) <= N);
  m->destroy(m);
  t->destroy(t);
}

typedef struct waker {
  sbi_multi *m;
  pthread_t thread;
} waker;

static void *wake_soon(void *arg) {
  waker *w = arg;

  sbi_sleep_ms(100);
  w->m->wakeup(w->m);
  return NULL;
}

/* A wakeup() from another thread ends a wait(-1), with requests running
 * (their sockets in the poll) or none. A wakeup before the wait counts for
 * it too. */
static void wake_waits(sbi_multi *m) {
  waker w = {m, 0};

  alarm(HANG_GUARD_MS / 1000); /* a wait that never returns fails the test */
  assert_int_equal(pthread_create(&w.thread, NULL, wake_soon, &w), 0);
  m->wait(m, -1);
  assert_int_equal(pthread_join(w.thread, NULL), 0);
  assert_null(m->done(m));
  m->wakeup(m);
  m->wait(m, -1);
  alarm(0);
}

static void test_wakeup(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl();
  sbi_multi *m = sbi_multi_new(t, 2);
  call calls[2];
  int i;

  assert_non_null(m);
  wake_waits(m);

  server_set(s, &s->silent, 1);
  for (i = 0; i < 2; i++) {
    call_init(&calls[i], s->base, 200, i);
    start(m, &calls[i]);
  }
  await_held(m, s, 2);
  wake_waits(m);
  assert_int_equal(calls[0].done + calls[1].done, 0);

  server_set(s, &s->silent, 0);
  collect(m, calls, 2);
  assert_int_equal(calls[0].resp.status, 200);
  assert_int_equal(calls[1].resp.status, 200);
  free_calls(calls, 2);
  m->destroy(m);
  t->destroy(t);
}

/* Requests a silent server never answers: abort_all() forgets their tags,
 * and the multi runs new requests after it; destroy() aborts what runs. */
static void test_abort_all(void **state) {
  enum { N = 4 };
  server *s = *state;
  sbi_transport *t = new_curl();
  sbi_multi *m = sbi_multi_new(t, N);
  call calls[N], again[N];
  int i;

  assert_non_null(m);
  server_set(s, &s->silent, 1);
  for (i = 0; i < N; i++) {
    call_init(&calls[i], s->base, 200, i);
    start(m, &calls[i]);
  }
  await_held(m, s, N);
  m->abort_all(m);
  assert_null(m->done(m));
  m->wait(m, 0);
  assert_null(m->done(m));

  server_set(s, &s->silent, 0);
  for (i = 0; i < N; i++) {
    call_init(&again[i], s->base, 201, i);
    start(m, &again[i]);
  }
  collect(m, again, N);
  for (i = 0; i < N; i++) {
    assert_int_equal(calls[i].done, 0);
    assert_int_equal(again[i].done, 1);
    assert_int_equal(again[i].resp.status, 201);
  }

  /* Destroyed with requests still held by the server. */
  server_set(s, &s->silent, 1);
  for (i = 0; i < 2; i++)
    start(m, &calls[i]);
  await_held(m, s, 2);
  m->destroy(m);
  free_calls(calls, N);
  free_calls(again, N);
  t->destroy(t);
}

/* A request's own timeout_ms ends it as it ends a send(). */
static void test_request_timeout(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl();
  sbi_multi *m = sbi_multi_new(t, 2);
  call calls[2];
  call *c;

  assert_non_null(m);
  server_set(s, &s->silent, 1);
  call_init(&calls[0], s->base, 200, 0);
  calls[0].req.timeout_ms = 200;
  call_init(&calls[1], s->base, 200, 1);
  start(m, &calls[0]);
  start(m, &calls[1]);
  while ((c = m->done(m)) == NULL)
    m->wait(m, -1);
  assert_ptr_equal(c, &calls[0]);
  assert_null(m->done(m));
  assert_int_equal(calls[0].resp.error, SEGB_ERR_TIMED_OUT);
  assert_int_equal(calls[0].resp.timed_out_by, SBI_LIMIT_CALLER);
  assert_int_equal(calls[0].resp.status, 0);
  assert_non_null(strstr(calls[0].resp.error_text, "127.0.0.1"));
  m->abort_all(m);
  free_calls(calls, 2);
  m->destroy(m);
  t->destroy(t);
}

/* The length of an error text before libcurl's " after <n> ms", which
 * differs from one try to the next. */
static size_t reason_len(const char *text) {
  const char *after = strstr(text, " after ");

  return after != NULL ? (size_t)(after - text) : strlen(text);
}

/* Each request alone through the multi, and through send(): the responses
 * must be the same. */
static void assert_same_as_send(sbi_transport *t, const sbi_http_request *req) {
  sbi_multi *m = sbi_multi_new(t, 1);
  sbi_http_response sent = {0};
  sbi_http_response multi = {0};
  int tag;

  assert_non_null(m);
  t->send(t, req, &sent);
  assert_int_equal(m->start(m, req, &multi, &tag), SEGB_OK);
  while (m->done(m) != &tag)
    m->wait(m, -1);
  assert_int_equal(multi.status, sent.status);
  assert_int_equal(multi.error, sent.error);
  assert_int_equal(multi.timed_out_by, sent.timed_out_by);
  assert_int_equal(reason_len(multi.error_text), reason_len(sent.error_text));
  assert_memory_equal(multi.error_text, sent.error_text,
                      reason_len(sent.error_text));
  assert_int_equal(multi.header_end, sent.header_end);
  assert_int_equal(multi.body.len, sent.body.len);
  if (sent.body.len > 0)
    assert_memory_equal(multi.body.data, sent.body.data, sent.body.len);
  /* The Date header may differ by a second. */
  assert_int_equal(multi.headers.len > 0, sent.headers.len > 0);
  sbi_http_response_free(&sent);
  sbi_http_response_free(&multi);
  m->destroy(m);
}

static void test_failures_as_send(void **state) {
  static const segb_raw_step cut = {
      SEGB_RAW_REPLY, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"};
  server *s = *state;
  sbi_transport *t = new_curl();
  segb_raw_server *raw;
  call c;
  char url[64];
  unsigned port;

  call_init(&c, s->base, 202, 0);
  assert_same_as_send(t, &c.req);

  /* A response cut inside its header block. */
  raw = segb_raw_start(&cut, 1, 0);
  assert_non_null(raw);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", segb_raw_port(raw));
  c.req.url = url;
  assert_same_as_send(t, &c.req);
  port = segb_raw_port(raw);
  segb_raw_stop(raw);

  /* Nothing listens on the raw server's port now. */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  assert_same_as_send(t, &c.req);

  /* Refused before it begins: its tag comes back from done(). */
  c.req.header_count = SBI_HTTP_MAX_HEADERS + 1;
  c.req.url = s->base;
  assert_same_as_send(t, &c.req);
  assert_int_equal(server_get(s, &s->requests), 2);
  t->destroy(t);
}

/* ---- the serial multi --------------------------------------------------- */

static void test_serial_capture(void **state) {
  sbi_transport *t = sbi_capture_transport_new(200, "{\"success\":true}");
  sbi_multi *m;
  call calls[4];
  int i;
  (void)state;

  assert_non_null(t);
  assert_null(sbi_multi_new(t, 0));
  m = sbi_multi_new(t, 3);
  assert_non_null(m);
  for (i = 0; i < 4; i++)
    call_init(&calls[i], "https://api.segment.io", 200, i);
  for (i = 0; i < 3; i++)
    start(m, &calls[i]);
  assert_int_equal(m->start(m, &calls[3].req, &calls[3].resp, &calls[3]),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(sbi_capture_count(t), 3);
  /* Ended requests wait: no wait at all. */
  m->wait(m, -1);
  for (i = 0; i < 3; i++) {
    assert_ptr_equal(m->done(m), &calls[i]);
    assert_int_equal(calls[i].resp.status, 200);
    assert_string_equal(calls[i].resp.body.data, "{\"success\":true}");
    assert_string_equal(sbi_capture_at(t, (size_t)i)->url, calls[i].url);
  }
  assert_null(m->done(m));

  m->wait(m, 10);
  assert_null(m->done(m));
  wake_waits(m);

  start(m, &calls[3]);
  m->abort_all(m);
  assert_null(m->done(m));
  start(m, &calls[0]);
  assert_ptr_equal(m->done(m), &calls[0]);
  assert_int_equal(sbi_capture_count(t), 5);
  free_calls(calls, 4);
  m->destroy(m);
  t->destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serial_capture),
      cmocka_unit_test_setup_teardown(test_all_complete, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_requests_overlap, setup_server,
                                      teardown_server),
      cmocka_unit_test(test_requests_overlap_tls),
      cmocka_unit_test_setup_teardown(test_room_is_bounded, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_connections_are_reused, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_wakeup, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_abort_all, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_request_timeout, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_failures_as_send, setup_server,
                                      teardown_server),
  };
  int rc;

  sbi_global_init();
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  sbi_global_cleanup();
  return rc;
}
