/* OAuth end to end: real libcurl against the mock's /token and Tracking
 * routes on loopback. Tokens are fetched once and shared, refreshed when
 * they near expiry or are refused, the token server's waits are honoured,
 * and each configuration mistake ends in its own error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segbridge/segbridge.h>

#include "auth/jwt.h"
#include "auth/oauth.h"
#include "client_int.h"
#include "core/clock.h"
#include "setup.h"
#include "client_fixture.h"
#include "mock.h"
#include "test_keys.h"
#include "tls_cert.h"

#define WRITE_KEY "wk-oauth"
#define CLIENT_ID "app-42"
#define KEY_ID "key-1"

static segb_test_keypair keys, other_keys;

typedef fx_client fixture;
#define set fx_set
#define open_client fx_open
#define finish fx_close
#define stats fx_stats

/* A mock serving OAuth for CLIENT_ID/KEY_ID with @mo's extras, and a
 * config pointed at it; more settings as name, value pairs up to NULL. */
static void start(fixture *f, sbm_options mo, ...) {
  va_list ap;

  mo.write_key = WRITE_KEY;
  mo.oauth_public_key_pem = keys.public_pem;
  mo.oauth_key_id = KEY_ID;
  mo.oauth_client_id = CLIENT_ID;
  fx_start(f, mo, WRITE_KEY);
  /* The caller's deadline bounds token requests made on its thread: these
   * tests measure it, so the client sends inline. */
  set(f->conf, "dispatch.mode", "inline");
  set(f->conf, "oauth.server", sbm_url(f->mock));
  set(f->conf, "oauth.client_id", CLIENT_ID);
  set(f->conf, "oauth.key_id", KEY_ID);
  set(f->conf, "oauth.private_key", keys.pkcs8);
  va_start(ap, mo);
  fx_finish_config(f, ap);
  va_end(ap);
}

/* After revoke_after deliveries, revoke every token the mock issued. */
static int revoke_after;
static void revoke_tokens(fx_outcomes *o) {
  if (o->delivered == revoke_after)
    sbm_oauth_revoke(o->ctx);
}

static void track_n(fixture *f, int n) {
  char props[64];
  int i;
  for (i = 0; i < n; i++) {
    snprintf(props, sizeof props, "{\"i\":%d}", i);
    assert_int_equal(segb_track(f->client, "u-1", NULL, "Imported", props),
                     SEGB_OK);
  }
}

static sbm_oauth_stats oauth_stats(fixture *f) {
  sbm_oauth_stats st;
  sbm_get_oauth_stats(f->mock, &st);
  return st;
}

static const sbm_options no_extras;

static int setup(void **state) {
  (void)state;
  return segb_test_make_keypair(2048, &keys) ||
         segb_test_make_keypair(2048, &other_keys);
}

static int teardown(void **state) {
  (void)state;
  segb_test_keypair_free(&keys);
  segb_test_keypair_free(&other_keys);
  return 0;
}

/* ---- tokens issued, used and shared -------------------------------------- */

static void test_token_issued_and_used(void **state) {
  fixture f;
  char *path, *auth, *body;
  (void)state;

  start(&f, no_extras, NULL);
  open_client(&f);
  track_n(&f, 3);
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(f.out.delivered, 3);
  assert_int_equal(oauth_stats(&f).tokens_issued, 1);
  path = sbm_request_path(f.mock, 0);
  assert_string_equal(path, "/token");
  free(path);
  path = sbm_request_path(f.mock, 1);
  assert_string_equal(path, "/v1/batch");
  free(path);
  /* Bearer on the Tracking API, the write key still in the body */
  auth = sbm_request_header(f.mock, 1, "Authorization");
  assert_non_null(auth);
  assert_memory_equal(auth, "Bearer mock-", 12);
  free(auth);
  body = sbm_request_body(f.mock, 1);
  assert_non_null(strstr(body, "\"writeKey\":\"" WRITE_KEY "\""));
  free(body);
  finish(&f);
}

/* The key can come from a file too. */
static void test_key_file(void **state) {
  char *file = segb_test_temp_file(keys.pkcs1);
  fixture f;
  (void)state;

  start(&f, no_extras, "oauth.private_key", "", "oauth.private_key_file", file,
        NULL);
  open_client(&f);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(f.out.delivered, 1);
  finish(&f);
  unlink(file);
  free(file);
}

static void test_twenty_batches_one_token(void **state) {
  fixture f;
  (void)state;

  start(&f, no_extras, "batch.max_events", "5", NULL);
  open_client(&f);
  track_n(&f, 100);
  assert_int_equal(segb_client_flush(f.client, 10000), SEGB_OK);
  assert_int_equal(f.out.delivered, 100);
  assert_int_equal(stats(&f).requests, 21);
  assert_int_equal(oauth_stats(&f).token_requests, 1);
  finish(&f);
}

#define THREADS 8

typedef struct racer {
  sbi_auth *auth;
  pthread_barrier_t *start;
  int rc;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  sbi_buf b = SBI_BUF_INIT;
  pthread_barrier_wait(r->start);
  r->rc = r->auth->header(r->auth, -1, &b);
  sbi_buf_free(&b);
  return NULL;
}

/* The provider on its own libcurl handle, needed by several threads while
 * the mock takes its time over the one token request. */
static void test_threads_share_one_request(void **state) {
  sbi_transport_options to = {0};
  pthread_barrier_t start_line;
  pthread_t t[THREADS];
  racer r[THREADS];
  fixture f;
  sbi_auth *auth;
  int i;
  (void)state;

  start(&f, no_extras, NULL);
  to.timeout_ms = 5000;
  auth = sbi_oauth_from_conf(f.conf, sbi_curl_transport_new(&to), 1);
  assert_non_null(auth);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, 300);
  pthread_barrier_init(&start_line, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    r[i].auth = auth;
    r[i].start = &start_line;
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(r[i].rc, SEGB_OK);
  }
  assert_int_equal(oauth_stats(&f).token_requests, 1);
  pthread_barrier_destroy(&start_line);
  auth->destroy(auth);
  segb_config_destroy(f.conf);
  sbm_stop(f.mock);
}

/* ---- tokens that run out ----------------------------------------------------
 */

/* Two-second tokens over an import of several seconds: refreshed ahead of
 * expiry, nothing lost, nothing sent twice. */
static void test_expiry_during_import(void **state) {
  sbm_options mo = no_extras;
  fixture f;
  (void)state;

  mo.oauth_token_lifetime_s = 2;
  start(&f, mo, "batch.max_events", "10", NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 40, 100);
  track_n(&f, 300);
  assert_int_equal(segb_client_flush(f.client, 20000), SEGB_OK);
  assert_int_equal(f.out.delivered, 300);
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(stats(&f).messages, 300);
  assert_int_equal(stats(&f).duplicates, 0);
  assert_true(oauth_stats(&f).tokens_issued >= 3);
  finish(&f);
}

/* A token revoked mid-import: the 401 brings a new token and the same
 * batch goes again. */
static void test_revoked_mid_import(void **state) {
  fixture f;
  (void)state;

  start(&f, no_extras, "batch.max_events", "10", NULL);
  f.out.after_delivery = revoke_tokens;
  f.out.ctx = f.mock;
  revoke_after = 10;
  open_client(&f);
  track_n(&f, 100);
  assert_int_equal(segb_client_flush(f.client, 10000), SEGB_OK);
  assert_int_equal(f.out.delivered, 100);
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(stats(&f).messages, 100);
  assert_int_equal(stats(&f).duplicates, 0);
  assert_int_equal(oauth_stats(&f).bearer_refused, 1);
  assert_int_equal(oauth_stats(&f).tokens_issued, 2);
  finish(&f);
}

/* Refused again with the fresh token: dropped as an auth failure. */
static void test_refused_twice(void **state) {
  fixture f;
  (void)state;

  start(&f, no_extras, NULL);
  open_client(&f);
  /* the token request, then the batch twice */
  sbm_script(f.mock, SBM_FAULT_NONE, 1, 0);
  sbm_script(f.mock, SBM_FAULT_401, 1, 0);
  sbm_script(f.mock, SBM_FAULT_NONE, 1, 0);
  sbm_script(f.mock, SBM_FAULT_401, 1, 0);
  track_n(&f, 2);
  segb_client_flush(f.client, 5000);
  assert_int_equal(f.out.dropped, 2);
  assert_int_equal(f.out.last_err, SEGB_ERR_AUTH);
  assert_int_equal(oauth_stats(&f).tokens_issued, 2);
  finish(&f);
}

/* ---- the token server's waits
 * ------------------------------------------------ */

static void test_token_rate_limited(void **state) {
  fixture f;
  int64_t started;
  int status;
  char *path;
  (void)state;

  start(&f, no_extras, NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_429, 1, 1);
  track_n(&f, 2);
  started = sbi_clock_mono_ms();
  assert_int_equal(segb_client_flush(f.client, 10000), SEGB_OK);
  assert_true(sbi_clock_mono_ms() - started >= 950);
  assert_int_equal(f.out.delivered, 2);
  path = sbm_request_path(f.mock, 0);
  status = sbm_request_status(f.mock, 0);
  assert_string_equal(path, "/token");
  assert_int_equal(status, 429);
  free(path);
  path = sbm_request_path(f.mock, 1);
  assert_string_equal(path, "/token");
  free(path);
  assert_int_equal(stats(&f).requests, 3);
  finish(&f);
}

static void test_token_server_failing(void **state) {
  fixture f;
  (void)state;

  start(&f, no_extras, NULL);
  open_client(&f);
  sbm_script(f.mock, SBM_FAULT_503, 1, 0);
  sbm_script(f.mock, SBM_FAULT_500, 1, 0);
  sbm_script(f.mock, SBM_FAULT_RESET, 2, 0); /* libcurl retries a reset once */
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, 10000), SEGB_OK);
  assert_int_equal(f.out.delivered, 1);
  finish(&f);
}

static void test_token_server_down(void **state) {
  fixture f;
  (void)state;

  start(&f, no_extras, "oauth.server", "http://127.0.0.1:9",
        "retry.max_attempts", "2", NULL);
  open_client(&f);
  track_n(&f, 1);
  segb_client_flush(f.client, 5000);
  assert_int_equal(f.out.dropped, 1);
  assert_int_equal(f.out.last_err, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_non_null(strstr(f.out.last_errstr, "token request"));
  assert_int_equal(stats(&f).requests, 0);
  finish(&f);
}

/* ---- a token server on a raw socket ------------------------------------- */

/* For answers the mock does not give. Each request gets the next scripted
 * reply (the last one repeats); with none scripted, it is read, counted
 * and never answered, its connection held open. */
#define RAW_REPLIES 8
#define RAW_HELD 32
/* A reply body that echoes the request's own from its client assertion
 * on, as a careless server quoting what it refused might. */
#define RAW_ECHO NULL

typedef struct raw_reply {
  const char *status;  /* "200 OK" */
  const char *headers; /* extra lines, each ending "\r\n" */
  const char *body;    /* or RAW_ECHO */
} raw_reply;

typedef struct raw_server {
  int fd;
  pthread_t thread;
  pthread_mutex_t lock;
  raw_reply replies[RAW_REPLIES];
  size_t n_replies;
  int requests, stop;
  int held[RAW_HELD];
  size_t n_held;
  char url[64];
} raw_server;

#define RAW_TOKEN                                                              \
  "{\"access_token\":\"raw-token\",\"token_type\":\"Bearer\","                 \
  "\"expires_in\":3600}"

static void raw_script(raw_server *s, const char *status, const char *headers,
                       const char *body) {
  assert_true(s->n_replies < RAW_REPLIES);
  s->replies[s->n_replies].status = status;
  s->replies[s->n_replies].headers = headers;
  s->replies[s->n_replies].body = body;
  s->n_replies++;
}

/* Read one request from @c into @buf: its head and, after it, as much of
 * the body as Content-Length says. The body's length, or -1. */
static long raw_read(int c, char *buf, size_t size, const char **body) {
  size_t got = 0, want = 0;
  char *end = NULL;

  while (end == NULL || got < want) {
    ssize_t n = read(c, buf + got, size - 1 - got);
    if (n <= 0)
      return -1;
    got += (size_t)n;
    buf[got] = '\0';
    if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
      char *p;
      for (p = buf; p < end; p++)
        *p = (char)tolower((unsigned char)*p);
      p = strstr(buf, "content-length:");
      want = (size_t)(end + 4 - buf) +
             (p != NULL && p < end ? strtoul(p + 15, NULL, 10) : 0);
      if (want >= size)
        return -1;
    }
  }
  *body = end + 4;
  return (long)(got - (size_t)(end + 4 - buf));
}

static void raw_answer(raw_server *s, int c) {
  static char buf[65536], out[70000];
  const raw_reply *r = NULL;
  const char *body = NULL;
  long body_len = raw_read(c, buf, sizeof buf, &body);
  int n;

  pthread_mutex_lock(&s->lock);
  if (body_len >= 0 && s->n_replies > 0)
    r = &s->replies[(size_t)s->requests < s->n_replies ? (size_t)s->requests
                                                       : s->n_replies - 1];
  s->requests += body_len >= 0;
  if (r == NULL && body_len >= 0 && s->n_held < RAW_HELD) {
    s->held[s->n_held++] = c;
    c = -1;
  }
  pthread_mutex_unlock(&s->lock);
  if (r != NULL) {
    const char *from;

    if (r->body != RAW_ECHO) {
      body = r->body;
      body_len = (long)strlen(body);
    } else if ((from = strstr(body, "client_assertion=")) != NULL) {
      body_len -= from - body;
      body = from;
    }
    n = snprintf(out, sizeof out,
                 "HTTP/1.1 %s\r\n%sContent-Length: %ld\r\nConnection: "
                 "close\r\n\r\n%.*s",
                 r->status, r->headers, body_len, (int)body_len, body);
    if (write(c, out, (size_t)n) != n)
      perror("raw server write");
  }
  if (c >= 0)
    close(c);
}

static void *raw_serve(void *arg) {
  raw_server *s = arg;

  for (;;) {
    struct pollfd p;
    int stop, c;

    pthread_mutex_lock(&s->lock);
    stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    if (stop)
      return NULL;
    p.fd = s->fd;
    p.events = POLLIN;
    if (poll(&p, 1, 50) <= 0 || (c = accept(s->fd, NULL, NULL)) < 0)
      continue;
    raw_answer(s, c);
  }
}

/* Start @s on a loopback port with the replies scripted so far. */
static void raw_start(raw_server *s) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(s->fd >= 0);
  assert_int_equal(bind(s->fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(listen(s->fd, 16), 0);
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
  snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", ntohs(addr.sin_port));
  pthread_mutex_init(&s->lock, NULL);
  assert_int_equal(pthread_create(&s->thread, NULL, raw_serve, s), 0);
}

static int raw_requests(raw_server *s) {
  int n;
  pthread_mutex_lock(&s->lock);
  n = s->requests;
  pthread_mutex_unlock(&s->lock);
  return n;
}

static void raw_stop(raw_server *s) {
  size_t i;

  pthread_mutex_lock(&s->lock);
  s->stop = 1;
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  for (i = 0; i < s->n_held; i++)
    close(s->held[i]);
  close(s->fd);
  pthread_mutex_destroy(&s->lock);
}

/* A mock without OAuth as the Tracking API (it takes any Bearer token with
 * the write key in the body) and @srv as the token server; more settings
 * as name, value pairs up to NULL. */
static void start_raw(fixture *f, raw_server *srv, ...) {
  va_list ap;

  fx_start(f, no_extras, WRITE_KEY);
  set(f->conf, "dispatch.mode", "inline"); /* as in start() */
  set(f->conf, "oauth.server", srv->url);
  set(f->conf, "oauth.client_id", CLIENT_ID);
  set(f->conf, "oauth.key_id", KEY_ID);
  set(f->conf, "oauth.private_key", keys.pkcs8);
  va_start(ap, srv);
  fx_finish_config(f, ap);
  va_end(ap);
}

/* The token server was asked (its thread may still be reading), then
 * close(1000) against it returns, reporting the three events closed. The
 * time bound only catches a hang. */
static void close_against_silent_token_server(fixture *f, raw_server *srv) {
  int64_t started;
  int i;

  for (i = 0; i < 600 && raw_requests(srv) == 0; i++)
    sbi_sleep_ms(100);
  assert_true(raw_requests(srv) >= 1);
  started = sbi_clock_mono_ms();
  assert_int_equal(segb_client_close(f->client, 1000), SEGB_ERR_TIMED_OUT);
  assert_true(sbi_clock_mono_ms() - started < 60000);
  assert_int_equal(f->out.dropped, 3);
  assert_int_equal(f->out.last_err, SEGB_ERR_CLOSED);
  assert_int_equal(stats(f).requests, 0);
  raw_stop(srv);
  sbm_stop(f->mock);
}

/* A token server that takes the request and never answers: flush and close
 * end at their deadlines (once each took the transport's whole timeout,
 * here ten minutes), nothing is lost on the way and close reports what it
 * could not send. */
static void test_token_server_silent(void **state) {
  raw_server srv = {0};
  fixture f;
  int64_t started;
  (void)state;

  raw_start(&srv);
  start_raw(&f, &srv, "http.timeout_ms", "600000", NULL);
  open_client(&f);
  track_n(&f, 3);
  started = sbi_clock_mono_ms();
  assert_int_equal(segb_client_flush(f.client, 2000), SEGB_ERR_TIMED_OUT);
  assert_true(sbi_clock_mono_ms() - started < 60000);
  assert_int_equal(segb_client_outq_len(f.client), 3);
  assert_int_equal(f.out.delivered + f.out.dropped, 0);
  close_against_silent_token_server(&f, &srv);
  assert_non_null(strstr(f.out.last_errstr, "token request"));
}

/* On the dispatcher thread, a token request to a server that never
 * answers is interrupted by close: close is bounded by its own timeout,
 * not by http.timeout_ms (10 minutes here). */
static void test_token_server_silent_thread_mode(void **state) {
  raw_server srv = {0};
  fixture f;
  (void)state;

  raw_start(&srv);
  start_raw(&f, &srv, "http.timeout_ms", "600000", "dispatch.mode", "thread",
            NULL);
  open_client(&f);
  track_n(&f, 3);
  /* wakes the dispatcher, which asks the token server */
  assert_int_equal(segb_client_flush(f.client, 0), SEGB_ERR_TIMED_OUT);
  close_against_silent_token_server(&f, &srv);
}

/* A 429 asking for 11 days is honoured for retry.after_max_ms only; then
 * the token server is asked again and the batch goes. */
static void test_token_retry_after_capped(void **state) {
  raw_server srv = {0};
  fixture f;
  (void)state;

  raw_script(&srv, "429 Too Many Requests", "Retry-After: 999999\r\n", "");
  raw_script(&srv, "200 OK", "Content-Type: application/json\r\n", RAW_TOKEN);
  raw_start(&srv);
  start_raw(&f, &srv, "retry.after_max_ms", "1000", NULL);
  open_client(&f);
  track_n(&f, 2);
  assert_int_equal(segb_client_flush(f.client, 60000), SEGB_OK);
  assert_int_equal(f.out.delivered, 2);
  assert_int_equal(raw_requests(&srv), 2);
  assert_int_equal(stats(&f).requests, 1);
  raw_stop(&srv);
  finish(&f);
}

/* What stands in for a token server may answer anything for a while: a
 * proxy's login page with 200, a 404 while the server is deployed, a 403.
 * None is a setup error: asked again until a token comes. */
static void test_token_server_passing_answers(void **state) {
  raw_server srv = {0};
  fixture f;
  (void)state;

  raw_script(&srv, "200 OK", "Content-Type: text/html\r\n",
             "<html><body>Sign in to the proxy</body></html>");
  raw_script(&srv, "200 OK", "Content-Type: application/json\r\n",
             "{\"expires_in\":3600}");
  raw_script(&srv, "404 Not Found", "", "not found");
  raw_script(&srv, "403 Forbidden", "Content-Type: application/json\r\n",
             "{\"error\":\"access_denied\"}");
  raw_script(&srv, "200 OK", "Content-Type: application/json\r\n", RAW_TOKEN);
  raw_start(&srv);
  start_raw(&f, &srv, NULL);
  open_client(&f);
  track_n(&f, 1);
  assert_int_equal(segb_client_flush(f.client, 60000), SEGB_OK);
  assert_int_equal(f.out.delivered, 1);
  assert_int_equal(raw_requests(&srv), 5);
  raw_stop(&srv);
  finish(&f);
}

/* 415 (like 400 and 401, see below) is final: every batch dropped on one
 * token request. A server that echoes the request puts the client
 * assertion in its answer; it never reaches the report. */
static void test_token_server_final_answers(void **state) {
  static const char *const statuses[] = {"415 Unsupported Media Type",
                                         "400 Bad Request"};
  size_t i;
  (void)state;

  for (i = 0; i < 2; i++) {
    raw_server srv = {0};
    fixture f;

    raw_script(&srv, statuses[i], "Content-Type: text/plain\r\n", RAW_ECHO);
    raw_start(&srv);
    start_raw(&f, &srv, "batch.max_events", "1", NULL);
    open_client(&f);
    track_n(&f, 3);
    assert_int_equal(segb_client_flush(f.client, 10000), SEGB_OK);
    assert_int_equal(f.out.dropped, 3);
    assert_int_equal(f.out.last_err, SEGB_ERR_REJECTED);
    assert_non_null(strstr(f.out.last_errstr, "client_assertion="));
    assert_non_null(strstr(f.out.last_errstr, "[redacted]"));
    assert_null(strstr(f.out.last_errstr, "eyJ"));
    assert_int_equal(raw_requests(&srv), 1);
    assert_int_equal(stats(&f).requests, 0);
    raw_stop(&srv);
    finish(&f);
  }
}

/* ---- configuration mistakes, each with its own error --------------------- */

/* Send 3 batches under @setting = @value; all dropped with @code, one token
 * request made, and no credential in the explanation. */
static void check_refused(const char *setting, const char *value, int code,
                          const char *says) {
  fixture f;

  start(&f, no_extras, "batch.max_events", "1", setting, value, NULL);
  open_client(&f);
  track_n(&f, 3);
  segb_client_flush(f.client, 5000);
  assert_int_equal(f.out.dropped, 3);
  assert_int_equal(f.out.last_err, code);
  if (strstr(f.out.last_errstr, says) == NULL)
    fail_msg("\"%s\" does not say \"%s\"", f.out.last_errstr, says);
  assert_null(strstr(f.out.last_errstr, "eyJ"));
  assert_null(strstr(f.out.last_errstr, "PRIVATE"));
  assert_int_equal(oauth_stats(&f).token_requests, 1);
  assert_int_equal(stats(&f).requests, 1);
  finish(&f);
}

static void test_configuration_errors(void **state) {
  (void)state;
  check_refused("oauth.key_id", "key-2", SEGB_ERR_OAUTH_INVALID_CLIENT, "kid");
  check_refused("oauth.private_key", other_keys.pkcs8,
                SEGB_ERR_OAUTH_INVALID_CLIENT, "signature");
  check_refused("oauth.client_id", "app-43", SEGB_ERR_OAUTH_INVALID_CLIENT,
                "client ID");
  check_refused("oauth.scope", "functions:write", SEGB_ERR_OAUTH_INVALID_SCOPE,
                "scope");
}

/* Settings that cannot work stop the client from being made at all. */
static void test_client_refused(void **state) {
  struct {
    const char *name, *value;
    int code;
  } cases[] = {
      {"oauth.private_key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n",
       SEGB_ERR_KEY_UNREADABLE},
      {"oauth.private_key", keys.public_pem, SEGB_ERR_KEY_NOT_PRIVATE},
      {"oauth.private_key_file", "/nonexistent.pem", SEGB_ERR_KEY_UNREADABLE},
      {"oauth.client_id", "", SEGB_ERR_INVALID_VALUE},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[SEGB_ERRSTR_SIZE];
    fixture f;

    /* a key file replaces the key text the fixture sets */
    start(&f, no_extras, "oauth.private_key",
          strcmp(cases[i].name, "oauth.private_key_file") == 0 ? ""
                                                               : keys.pkcs8,
          cases[i].name, cases[i].value, NULL);
    assert_null(segb_client_new(f.conf, err, sizeof err));
    if (segb_last_error() != cases[i].code)
      fail_msg("case %zu: %s: %s", i, segb_err_name(segb_last_error()), err);
    segb_config_destroy(f.conf);
    sbm_stop(f.mock);
  }
}

/* segb_oauth_fetch_token: one token request outside any client, the
 * server's answer handed back whole; the errors of a client's first send
 * otherwise. */
static void test_fetch_token(void **state) {
  static char unset[] = "unset"; /* each call sets *json */
  char *json = unset;
  size_t len = 1;
  fixture f;
  (void)state;

  start(&f, no_extras, NULL);
  assert_int_equal(segb_oauth_fetch_token(f.conf, &json, &len), SEGB_OK);
  assert_non_null(strstr(json, "\"access_token\":\"mock-"));
  assert_non_null(strstr(json, "\"expires_in\":3600"));
  assert_int_equal(strlen(json), len);
  segb_free(json);
  assert_int_equal(oauth_stats(&f).tokens_issued, 1);
  assert_int_equal(stats(&f).messages, 0); /* nothing sent */
  assert_int_equal(stats(&f).requests, 1); /* only POST /token */
  set(f.conf, "oauth.key_id", "key-2");
  assert_int_equal(segb_oauth_fetch_token(f.conf, &json, NULL),
                   SEGB_ERR_OAUTH_INVALID_CLIENT);
  assert_null(json);
  assert_null(strstr(segb_last_error_message(), "PRIVATE"));
  assert_int_equal(oauth_stats(&f).token_requests, 2);
  set(f.conf, "oauth.private_key", keys.public_pem);
  assert_int_equal(segb_oauth_fetch_token(f.conf, &json, NULL),
                   SEGB_ERR_KEY_NOT_PRIVATE);
  assert_int_equal(oauth_stats(&f).token_requests, 2);
  assert_int_equal(segb_oauth_fetch_token(NULL, &json, NULL),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_oauth_fetch_token(f.conf, NULL, NULL),
                   SEGB_ERR_INVALID_ARG);
  segb_config_destroy(f.conf);
  sbm_stop(f.mock);
}

/* A FIFO named as the key file once blocked segb_client_new for good,
 * waiting in open() for a writer. */
static void test_key_file_fifo(void **state) {
  char dir[] = "/tmp/segb-oauth-XXXXXX", fifo[64], err[SEGB_ERRSTR_SIZE];
  fixture f;
  (void)state;

  assert_non_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/key.pem", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  start(&f, no_extras, "oauth.private_key", "", "oauth.private_key_file", fifo,
        NULL);
  assert_null(segb_client_new(f.conf, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_KEY_UNREADABLE);
  assert_non_null(strstr(err, "FIFO"));
  segb_config_destroy(f.conf);
  sbm_stop(f.mock);
  unlink(fifo);
  rmdir(dir);
}

/* ---- regions and clocks
 * ------------------------------------------------------ */

static void test_eu_region(void **state) {
  sbi_transport *capture = sbi_capture_transport_new(
      200, "{\"success\":true,\"access_token\":\"tok-eu\",\"expires_in\":60}");
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  const sbi_http_request *r;
  segb_client_t *c;
  size_t i;
  int bearer = 0;
  (void)state;

  set(conf, "write_key", WRITE_KEY);
  set(conf, "region", "eu");
  set(conf, "oauth.client_id", CLIENT_ID);
  set(conf, "oauth.key_id", KEY_ID);
  set(conf, "oauth.private_key", keys.pkcs8);
  c = sbi_client_new(conf, capture, err, sizeof err);
  assert_non_null(c);
  assert_int_equal(segb_track(c, "u", NULL, "E", NULL), SEGB_OK);
  assert_int_equal(segb_client_flush(c, 5000), SEGB_OK);
  assert_int_equal(sbi_capture_count(capture), 2);
  assert_string_equal(sbi_capture_at(capture, 0)->url,
                      "https://oauth2.eu1.segmentapis.com/token");
  r = sbi_capture_at(capture, 1);
  assert_string_equal(r->url, "https://events.eu1.segmentapis.com/v1/batch");
  for (i = 0; i < r->header_count; i++)
    bearer |= strcmp(r->headers[i], "Authorization: Bearer tok-eu") == 0;
  assert_true(bearer);
  assert_int_equal(segb_client_close(c, 1000), SEGB_OK);
}

/* The mock's clock is off by @offset_s: its first answer refuses the
 * assertion and its Date corrects the next. */
static void check_skew(int offset_s) {
  sbm_options mo = no_extras;
  fixture f;

  mo.clock_offset_s = offset_s;
  start(&f, mo, NULL);
  open_client(&f);
  track_n(&f, 2);
  assert_int_equal(segb_client_flush(f.client, 5000), SEGB_OK);
  assert_int_equal(f.out.delivered, 2);
  assert_int_equal(oauth_stats(&f).token_requests, 2);
  assert_int_equal(oauth_stats(&f).tokens_issued, 1);
  finish(&f);
}

static void test_clock_skew(void **state) {
  (void)state;
  check_skew(300);
  check_skew(-300);
}

/* ---- the mock's own checks -------------------------------------------------
 */

/* POST @body to the mock's @path with @type; the status. */
static int post(sbi_transport *t, fixture *f, const char *path,
                const char *type, const char *auth, const char *body) {
  sbi_http_response resp;
  sbi_http_request req;
  char url[128];
  int status;

  snprintf(url, sizeof url, "%s%s", sbm_url(f->mock), path);
  memset(&req, 0, sizeof req);
  memset(&resp, 0, sizeof resp);
  req.method = "POST";
  req.url = url;
  req.headers[req.header_count++] = type;
  if (auth != NULL)
    req.headers[req.header_count++] = auth;
  req.body = body;
  req.body_len = strlen(body);
  t->send(t, &req, &resp);
  status = resp.status;
  sbi_http_response_free(&resp);
  return status;
}

/* An assertion signed with our key, @lifetime_s long, for @aud. */
static void assertion_form(sbi_buf *form, const char *aud, int64_t lifetime_s,
                           const char *scope) {
  sbi_jwt_claims c = {KEY_ID, CLIENT_ID, aud, 0, lifetime_s};
  sbi_buf jwt = SBI_BUF_INIT;
  EVP_PKEY *key = NULL;

  c.iat = sbi_clock_now_ms() / 1000 - 5;
  assert_int_equal(sbi_rsa_key_load(keys.pkcs8, "key", &key), SEGB_OK);
  assert_int_equal(sbi_jwt_sign(&jwt, key, &c), SEGB_OK);
  sbi_buf_clear(form);
  assert_int_equal(sbi_token_form(form, jwt.data, scope), SEGB_OK);
  EVP_PKEY_free(key);
  sbi_buf_free(&jwt);
}

static void test_mock_checks(void **state) {
  static const char form_type[] =
      "Content-Type: application/x-www-form-urlencoded";
  static const char json_type[] = "Content-Type: application/json";
  static const char batch[] =
      "{\"writeKey\":\"" WRITE_KEY "\",\"batch\":[{\"type\":\"track\","
      "\"userId\":\"u\",\"event\":\"E\"}]}";
  sbi_transport_options to = {0};
  sbi_transport *t;
  sbi_buf form = SBI_BUF_INIT;
  fixture f;
  (void)state;

  start(&f, no_extras, NULL);
  to.timeout_ms = 5000;
  t = sbi_curl_transport_new(&to);
  assertion_form(&form, sbm_url(f.mock), 55, "tracking_api:write");
  assert_int_equal(post(t, &f, "/token", form_type, NULL, form.data), 200);
  /* the same jti again */
  assert_int_equal(post(t, &f, "/token", form_type, NULL, form.data), 400);
  assertion_form(&form, sbm_url(f.mock), 120, "tracking_api:write");
  assert_int_equal(post(t, &f, "/token", form_type, NULL, form.data), 400);
  assertion_form(&form, "https://oauth2.segment.io", 55, "tracking_api:write");
  assert_int_equal(post(t, &f, "/token", form_type, NULL, form.data), 401);
  assertion_form(&form, sbm_url(f.mock), 55, "tracking_api:write");
  assert_int_equal(post(t, &f, "/token", json_type, NULL, form.data), 400);
  assert_int_equal(post(t, &f, "/token", form_type, NULL,
                        "grant_type=password&username=a&password=b"),
                   400);
  assert_int_equal(oauth_stats(&f).tokens_issued, 1);
  /* only tokens the mock issued open the Tracking API */
  assert_int_equal(post(t, &f, "/v1/batch", json_type,
                        "Authorization: Bearer made-up", batch),
                   401);
  assert_int_equal(oauth_stats(&f).bearer_refused, 1);
  assert_int_equal(post(t, &f, "/v1/batch", json_type,
                        "Authorization: Basic d2stb2F1dGg6",
                        /* "wk-oauth:" */ batch),
                   200);
  sbi_buf_free(&form);
  t->destroy(t);
  segb_config_destroy(f.conf);
  sbm_stop(f.mock);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_issued_and_used),
      cmocka_unit_test(test_key_file),
      cmocka_unit_test(test_twenty_batches_one_token),
      cmocka_unit_test(test_threads_share_one_request),
      cmocka_unit_test(test_expiry_during_import),
      cmocka_unit_test(test_revoked_mid_import),
      cmocka_unit_test(test_refused_twice),
      cmocka_unit_test(test_token_rate_limited),
      cmocka_unit_test(test_token_server_failing),
      cmocka_unit_test(test_token_server_down),
      cmocka_unit_test(test_token_server_silent),
      cmocka_unit_test(test_token_server_silent_thread_mode),
      cmocka_unit_test(test_token_retry_after_capped),
      cmocka_unit_test(test_token_server_passing_answers),
      cmocka_unit_test(test_token_server_final_answers),
      cmocka_unit_test(test_configuration_errors),
      cmocka_unit_test(test_client_refused),
      cmocka_unit_test(test_key_file_fifo),
      cmocka_unit_test(test_fetch_token),
      cmocka_unit_test(test_eu_region),
      cmocka_unit_test(test_clock_skew),
      cmocka_unit_test(test_mock_checks),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
