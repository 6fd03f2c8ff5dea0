/* The OAuth provider against a scripted transport: what it asks the token
 * endpoint, caching and refresh at half-life, single flight across threads,
 * backoff, clock skew, configuration errors, and the oauth.* settings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <segbridge/config.h>
#include <segbridge/error.h>

#include "auth/oauth.h"
#include "core/clock.h"
#include "core/secret.h"
#include "setup.h"
#include "test_keys.h"

static segb_test_keypair keys, small_keys;

/* ---- a transport answering from a script --------------------------------- */

typedef struct step {
  int status;
  const char *body;
  const char *retry_after; /* Retry-After value, or NULL */
  int date;                /* 1: send Date, date_offset_s from now */
  int date_offset_s;
} step;

#define MAX_REQUESTS 32

typedef struct fake {
  sbi_transport base;
  pthread_mutex_t lock;
  pthread_cond_t opened;
  const step *steps;
  size_t n_steps;
  int delay_ms;
  int closed; /* requests wait in send() until fake_open() */
  size_t requests;
  char *urls[MAX_REQUESTS], *bodies[MAX_REQUESTS], *types[MAX_REQUESTS];
  int64_t timeouts[MAX_REQUESTS];
} fake;

static void http_date(time_t t, char *out, size_t size) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int fake_send(sbi_transport *t, const sbi_http_request *req,
                     sbi_http_response *resp) {
  fake *f = (fake *)t;
  const step *s;
  char line[128];
  size_t n;

  sbi_http_response_reset(resp);
  sbi_sleep_ms(f->delay_ms);
  pthread_mutex_lock(&f->lock);
  n = f->requests++;
  /* past the script, its last step answers */
  s = &f->steps[n < f->n_steps ? n : f->n_steps - 1];
  if (n < MAX_REQUESTS) {
    f->urls[n] = strdup(req->url);
    f->bodies[n] = strndup(req->body, req->body_len);
    f->types[n] = strdup(req->headers[0]);
    f->timeouts[n] = req->timeout_ms;
  }
  while (f->closed)
    pthread_cond_wait(&f->opened, &f->lock);
  pthread_mutex_unlock(&f->lock);
  resp->status = s->status;
  sbi_buf_puts(&resp->body, s->body != NULL ? s->body : "");
  if (s->retry_after != NULL) {
    snprintf(line, sizeof line, "Retry-After: %s\r\n", s->retry_after);
    sbi_buf_puts(&resp->headers, line);
  }
  if (s->date) {
    char date[64];
    http_date(time(NULL) + s->date_offset_s, date, sizeof date);
    snprintf(line, sizeof line, "Date: %s\r\n", date);
    sbi_buf_puts(&resp->headers, line);
  }
  return SEGB_OK;
}

static void fake_destroy(sbi_transport *t) {
  fake *f = (fake *)t;
  size_t i;

  for (i = 0; i < MAX_REQUESTS; i++) {
    free(f->urls[i]);
    free(f->bodies[i]);
    free(f->types[i]);
  }
  pthread_cond_destroy(&f->opened);
  pthread_mutex_destroy(&f->lock);
  free(f);
}

/* Let the requests waiting in a closed fake go on. */
static void fake_open(fake *f) {
  pthread_mutex_lock(&f->lock);
  f->closed = 0;
  pthread_cond_broadcast(&f->opened);
  pthread_mutex_unlock(&f->lock);
}

static fake *fake_new(const step *steps, size_t n) {
  fake *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->base.send = fake_send;
  f->base.destroy = fake_destroy;
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->opened, NULL);
  f->steps = steps;
  f->n_steps = n;
  return f;
}

#define FAKE(steps) fake_new(steps, sizeof steps / sizeof steps[0])

static size_t requests(fake *f) {
  size_t n;
  pthread_mutex_lock(&f->lock);
  n = f->requests;
  pthread_mutex_unlock(&f->lock);
  return n;
}

/* The provider against @f, honouring a Retry-After for @after_max_ms at
 * most. */
static sbi_auth *provider_capped(fake *f, int64_t after_max_ms) {
  sbi_oauth_options o;
  sbi_auth *a;

  memset(&o, 0, sizeof o);
  o.client_id = "app-1";
  o.key_id = "kid-1";
  o.private_key_pem = keys.pkcs8;
  o.scope = "tracking_api:write";
  o.server = "https://auth.example";
  o.write_key = "wk";
  o.after_max_ms = after_max_ms;
  o.transport = &f->base;
  a = sbi_oauth_auth_new(&o);
  if (a == NULL)
    fail_msg("provider: %s", segb_last_error_message());
  return a;
}

static sbi_auth *provider(fake *f) { return provider_capped(f, 300000); }

/* header() with monotonic @deadline_ms into a fresh buffer: the code, the
 * text in @out (>= 128). */
static int header_by(sbi_auth *a, int64_t deadline_ms, char *out) {
  sbi_buf b = SBI_BUF_INIT;
  int rc = a->header(a, deadline_ms, &b);

  snprintf(out, 128, "%s", b.data != NULL ? b.data : "");
  sbi_secret_wipe(b.data, b.len);
  sbi_buf_free(&b);
  return rc;
}

static int header(sbi_auth *a, char *out) { return header_by(a, -1, out); }

static void expect_token(sbi_auth *a, const char *token) {
  char got[128], want[128];
  int rc = header(a, got);

  if (rc != SEGB_OK)
    fail_msg("header: %s: %s", segb_err_name(rc), segb_last_error_message());
  snprintf(want, sizeof want, "Authorization: Bearer %s", token);
  assert_string_equal(got, want);
}

/* The claims of the assertion in a token request body. */
static cJSON *assertion_claims(const char *form) {
  const char *p = strstr(form, "client_assertion="), *dot, *end;
  unsigned char out[1024];
  char std[1400];
  size_t n, i;
  int len;
  cJSON *j;

  assert_non_null(p);
  dot = strchr(p, '.');
  end = strchr(dot + 1, '.');
  n = (size_t)(end - dot - 1);
  assert_true(n < sizeof std - 4);
  for (i = 0; i < n; i++)
    std[i] = dot[1 + i] == '-' ? '+' : dot[1 + i] == '_' ? '/' : dot[1 + i];
  while (i % 4 != 0)
    std[i++] = '=';
  len = EVP_DecodeBlock(out, (unsigned char *)std, (int)i);
  assert_true(len > 0);
  j = cJSON_ParseWithLength((const char *)out, (size_t)len);
  assert_non_null(j);
  return j;
}

static double claim(const char *form, const char *name) {
  cJSON *j = assertion_claims(form);
  double v = cJSON_GetObjectItem(j, name)->valuedouble;
  cJSON_Delete(j);
  return v;
}

#define OK_BODY(tok, secs)                                                     \
  "{\"access_token\":\"" tok                                                   \
  "\",\"token_type\":\"Bearer\",\"expires_in\":" #secs "}"

static int setup(void **state) {
  (void)state;
  return segb_test_make_keypair(2048, &keys) ||
         segb_test_make_keypair(1024, &small_keys);
}

static int teardown(void **state) {
  (void)state;
  segb_test_keypair_free(&keys);
  segb_test_keypair_free(&small_keys);
  return 0;
}

/* ---- tests ------------------------------------------------------------------
 */

static void test_request_and_cache(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  sbi_buf members = SBI_BUF_INIT;
  double now = (double)(sbi_clock_now_ms() / 1000);
  cJSON *c;
  (void)state;

  expect_token(a, "t1");
  expect_token(a, "t1");
  assert_int_equal(requests(f), 1);
  assert_string_equal(f->urls[0], "https://auth.example/token");
  assert_string_equal(f->types[0],
                      "Content-Type: application/x-www-form-urlencoded");
  assert_memory_equal(f->bodies[0],
                      "grant_type=client_credentials&client_assertion_type="
                      "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3A"
                      "jwt-bearer&client_assertion=eyJ",
                      strlen("grant_type=client_credentials&client_assertion_"
                             "type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
                             "assertion-type%3Ajwt-bearer&client_assertion="
                             "eyJ"));
  assert_non_null(strstr(f->bodies[0], "&scope=tracking_api%3Awrite"));
  c = assertion_claims(f->bodies[0]);
  assert_string_equal(cJSON_GetObjectItem(c, "iss")->valuestring, "app-1");
  assert_string_equal(cJSON_GetObjectItem(c, "sub")->valuestring, "app-1");
  assert_string_equal(cJSON_GetObjectItem(c, "aud")->valuestring,
                      "https://auth.example");
  /* a few seconds in the past, valid for under a minute */
  assert_true(cJSON_GetObjectItem(c, "iat")->valuedouble >= now - 7);
  assert_true(cJSON_GetObjectItem(c, "iat")->valuedouble <= now - 4);
  assert_true(cJSON_GetObjectItem(c, "exp")->valuedouble -
                  cJSON_GetObjectItem(c, "iat")->valuedouble <
              60);
  cJSON_Delete(c);
  assert_int_equal(a->body_members(a, &members), SEGB_OK);
  assert_string_equal(members.data, ",\"writeKey\":\"wk\"");
  sbi_buf_free(&members);
  a->destroy(a);
  fake_destroy(&f->base);
}

static void test_refresh_at_half_life(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 2), NULL, 0, 0},
                               {200, OK_BODY("t2", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  (void)state;

  expect_token(a, "t1");
  sbi_sleep_ms(600);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 1);
  sbi_sleep_ms(500);
  expect_token(a, "t2");
  assert_int_equal(requests(f), 2);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* A refresh ahead of expiry that fails leaves the old token in use, and is
 * not retried on every call. */
static void test_failed_refresh_keeps_token(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 2), NULL, 0, 0},
                               {500, "", NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  (void)state;

  expect_token(a, "t1");
  sbi_sleep_ms(1100);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  a->destroy(a);
  fake_destroy(&f->base);
}

static void test_refresh_and_unauthorized(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0},
                               {200, OK_BODY("t2", 3600), NULL, 0, 0},
                               {200, OK_BODY("t3", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  int64_t sent;
  (void)state;

  expect_token(a, "t1");
  sent = sbi_clock_mono_ms();
  sbi_sleep_ms(2);
  a->refresh(a, sent); /* t1 was refused */
  expect_token(a, "t2");
  a->refresh(a, sent); /* an answer about t1 again: t2 stays */
  expect_token(a, "t2");
  assert_int_equal(requests(f), 2);
  a->unauthorized(a);
  expect_token(a, "t3");
  assert_int_equal(requests(f), 3);
  a->destroy(a);
  fake_destroy(&f->base);
}

static void test_rate_limited(void **state) {
  static const step steps[] = {{429, "", "1", 0, 0},
                               {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128];
  int64_t wait;
  (void)state;

  assert_int_equal(header(a, got), SEGB_ERR_RATE_LIMITED);
  assert_string_equal(got, "");
  wait = a->retry_wait_ms(a);
  assert_true(wait > 800 && wait <= 1000);
  /* asked again before the wait is over: no request, the same answer */
  assert_int_equal(header(a, got), SEGB_ERR_RATE_LIMITED);
  assert_non_null(strstr(segb_last_error_message(), "Retry-After: 1"));
  assert_int_equal(requests(f), 1);
  sbi_sleep_ms(a->retry_wait_ms(a));
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  assert_int_equal(a->retry_wait_ms(a), -1);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* A failing server is asked again when the caller comes back: the caller's
 * backoff paces it. */
static void test_server_error_not_held(void **state) {
  static const step steps[] = {{503, "", NULL, 0, 0},
                               {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128];
  (void)state;

  assert_int_equal(header(a, got), SEGB_ERR_SERVER);
  assert_int_equal(a->retry_wait_ms(a), -1);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* A configuration error is not asked about again for a while. */
static void test_config_error_held(void **state) {
  static const step steps[] = {
      {400, "{\"error\":\"invalid_scope\"}", NULL, 0, 0},
      {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128], first[512];
  (void)state;

  assert_int_equal(header(a, got), SEGB_ERR_OAUTH_INVALID_SCOPE);
  snprintf(first, sizeof first, "%s", segb_last_error_message());
  assert_int_equal(header(a, got), SEGB_ERR_OAUTH_INVALID_SCOPE);
  assert_string_equal(segb_last_error_message(), first);
  assert_int_equal(requests(f), 1);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* A token server's Retry-After is honoured for retry.after_max_ms at most:
 * a 429 asking for 11 days was once replayed for all of them. Count-based:
 * the server is asked again within a generous minute. */
static void test_retry_after_capped(void **state) {
  static const step steps[] = {{429, "", "999999", 0, 0},
                               {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider_capped(f, 1000);
  char got[128];
  int i;
  (void)state;

  assert_int_equal(header(a, got), SEGB_ERR_RATE_LIMITED);
  assert_true(a->retry_wait_ms(a) <= 1000);
  for (i = 0; i < 600 && requests(f) < 2; i++) {
    sbi_sleep_ms(100);
    header(a, got);
  }
  assert_int_equal(requests(f), 2);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* A token server's Retry-After: 0 is a wait of 1 s, as on the Tracking API:
 * without the floor a caller with no token would ask again at once, in a
 * burst. The wait asked of the caller says so; nothing is timed. */
static void test_retry_after_floor(void **state) {
  static const step steps[] = {{429, "", "0", 0, 0},
                               {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider_capped(f, 300000);
  char got[128];
  int64_t wait;
  (void)state;

  assert_int_equal(header(a, got), SEGB_ERR_RATE_LIMITED);
  wait = a->retry_wait_ms(a);
  assert_true(wait > 0 && wait <= 1000);
  assert_int_equal(requests(f), 1);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* Answers that say nothing about the setup (a proxy's page instead of
 * JSON, a 200 without a token, a 403 or 404 from something in between)
 * are asked about again when the caller comes back, not held. */
static void test_passing_answers_not_held(void **state) {
  static const step steps[] = {
      {200, "<html><body>Proxy login</body></html>", NULL, 0, 0},
      {200, "{\"token_type\":\"Bearer\",\"expires_in\":3600}", NULL, 0, 0},
      {404, "not found", NULL, 0, 0},
      {403, "{\"error\":\"invalid_client\"}", NULL, 0, 0},
      {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  static const int codes[] = {SEGB_ERR_OAUTH_RESPONSE, SEGB_ERR_OAUTH_RESPONSE,
                              SEGB_ERR_SERVER, SEGB_ERR_SERVER};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128];
  size_t i;
  (void)state;

  for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    assert_int_equal(header(a, got), codes[i]);
    assert_true(sbi_auth_transient(codes[i]));
    assert_int_equal(a->retry_wait_ms(a), -1);
    assert_int_equal(requests(f), i + 1);
  }
  expect_token(a, "t1");
  assert_int_equal(requests(f), 5);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* 400, 401 and 415 stay final: held, not asked about again at once. */
static void test_final_answers_held(void **state) {
  static const step bad_grant[] = {
      {400, "{\"error\":\"invalid_grant\"}", NULL, 0, 0},
      {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  static const step bare_401[] = {{401, "", NULL, 0, 0},
                                  {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  static const step media[] = {{415, "", NULL, 0, 0},
                               {200, OK_BODY("t1", 3600), NULL, 0, 0}};
  const step *scripts[] = {bad_grant, bare_401, media};
  static const int codes[] = {SEGB_ERR_REJECTED, SEGB_ERR_OAUTH_INVALID_CLIENT,
                              SEGB_ERR_REJECTED};
  size_t i;
  (void)state;

  for (i = 0; i < 3; i++) {
    fake *f = fake_new(scripts[i], 2);
    sbi_auth *a = provider(f);
    char got[128];

    assert_int_equal(header(a, got), codes[i]);
    assert_false(sbi_auth_transient(codes[i]));
    assert_int_equal(header(a, got), codes[i]);
    assert_int_equal(requests(f), 1);
    a->destroy(a);
    fake_destroy(&f->base);
  }
}

/* ---- the caller's deadline ------------------------------------------------
 */

/* A token request gets at most the caller's time left; it once got the
 * transport's whole timeout whatever the deadline. */
static void test_deadline_caps_token_request(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128];
  (void)state;

  assert_int_equal(header_by(a, sbi_clock_mono_ms() + 60000, got), SEGB_OK);
  assert_int_equal(requests(f), 1);
  assert_true(f->timeouts[0] > 0);
  assert_true(f->timeouts[0] <= 60000);
  /* no deadline: the transport's own timeout alone */
  a->unauthorized(a);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  assert_int_equal(f->timeouts[1], 0);
  a->destroy(a);
  fake_destroy(&f->base);
}

/* Past the deadline no request is made, and that is no failure of the
 * server's for later callers; a token in hand is still given. */
static void test_deadline_passed(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128];
  (void)state;

  assert_int_equal(header_by(a, sbi_clock_mono_ms() - 1, got),
                   SEGB_ERR_TIMED_OUT);
  assert_string_equal(got, "");
  assert_non_null(strstr(segb_last_error_message(), "deadline"));
  assert_int_equal(requests(f), 0);
  assert_int_equal(a->retry_wait_ms(a), -1);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 1);
  assert_int_equal(header_by(a, sbi_clock_mono_ms() - 1, got), SEGB_OK);
  assert_string_equal(got, "Authorization: Bearer t1");
  assert_int_equal(requests(f), 1);
  a->destroy(a);
  fake_destroy(&f->base);
}

typedef struct waiter {
  sbi_auth *a;
  int rc;
  char got[128];
} waiter;

static void *wait_for_token(void *arg) {
  waiter *w = arg;
  w->rc = header(w->a, w->got);
  return NULL;
}

/* Waiting for another caller's token request ends at the deadline too. The
 * request is held until the waiter has given up, so nothing here depends
 * on how fast the machine is: without the deadline the wait never ends. */
static void test_wait_for_flight_bounded(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  pthread_t t;
  waiter w;
  char got[128];
  (void)state;

  f->closed = 1;
  w.a = a;
  assert_int_equal(pthread_create(&t, NULL, wait_for_token, &w), 0);
  while (requests(f) == 0)
    sbi_sleep_ms(1);
  assert_int_equal(header_by(a, sbi_clock_mono_ms() + 100, got),
                   SEGB_ERR_TIMED_OUT);
  assert_string_equal(got, "");
  assert_non_null(strstr(segb_last_error_message(), "in flight"));
  fake_open(f);
  pthread_join(t, NULL);
  assert_int_equal(w.rc, SEGB_OK);
  assert_string_equal(w.got, "Authorization: Bearer t1");
  assert_int_equal(requests(f), 1);
  expect_token(a, "t1");
  a->destroy(a);
  fake_destroy(&f->base);
}

/* The server's clock is @offset_s from ours and it refuses the first
 * assertion for it: one more request at once, with the times corrected by
 * its Date, and the correction kept for later requests. */
static void check_skew(int offset_s, const char *refusal) {
  char body[160];
  step steps[] = {{400, body, NULL, 1, offset_s},
                  {200, OK_BODY("t1", 3600), NULL, 1, offset_s},
                  {200, OK_BODY("t2", 3600), NULL, 1, offset_s}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  double server_now = (double)(time(NULL) + offset_s);

  snprintf(body, sizeof body,
           "{\"error\":\"invalid_request\",\"error_description\":\"%s\"}",
           refusal);
  expect_token(a, "t1");
  assert_int_equal(requests(f), 2);
  assert_true(claim(f->bodies[1], "iat") >= server_now - 8);
  assert_true(claim(f->bodies[1], "iat") <= server_now - 3);
  a->unauthorized(a);
  expect_token(a, "t2");
  assert_true(claim(f->bodies[2], "iat") >= server_now - 8);
  a->destroy(a);
  fake_destroy(&f->base);
}

static void test_clock_skew(void **state) {
  (void)state;
  check_skew(-300, "Token used before issued");
  check_skew(300, "Token is expired");
}

/* Without a Date to learn from, a clock refusal is not retried. */
static void test_clock_refusal_without_date(void **state) {
  static const step steps[] = {
      {400,
       "{\"error\":\"invalid_request\",\"error_description\":\"Token is "
       "expired\"}",
       NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  char got[128];
  (void)state;

  assert_int_equal(header(a, got), SEGB_ERR_REJECTED);
  assert_non_null(strstr(segb_last_error_message(), "clock"));
  assert_int_equal(requests(f), 1);
  a->destroy(a);
  fake_destroy(&f->base);
}

#define THREADS 8

typedef struct racer {
  sbi_auth *a;
  pthread_barrier_t *start;
  int rc;
  char got[128];
} racer;

static void *race(void *arg) {
  racer *r = arg;
  pthread_barrier_wait(r->start);
  r->rc = header(r->a, r->got);
  return NULL;
}

/* Threads that need a token at once share one token request, whatever it
 * brings. */
static void run_race(const step *steps, size_t n, int want) {
  fake *f = fake_new(steps, n);
  sbi_auth *a = provider(f);
  pthread_barrier_t start;
  pthread_t t[THREADS];
  racer r[THREADS];
  int i;

  f->delay_ms = 300;
  pthread_barrier_init(&start, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    r[i].a = a;
    r[i].start = &start;
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  for (i = 0; i < THREADS; i++) {
    assert_int_equal(r[i].rc, want);
    assert_string_equal(r[i].got, r[0].got);
  }
  assert_int_equal(requests(f), 1);
  pthread_barrier_destroy(&start);
  a->destroy(a);
  fake_destroy(&f->base);
}

static void test_single_flight(void **state) {
  static const step ok[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0}};
  static const step down[] = {{500, "", NULL, 0, 0}};
  (void)state;

  run_race(ok, 1, SEGB_OK);
  run_race(down, 1, SEGB_ERR_SERVER);
}

/* `segbridge token`'s way in: a request whatever is cached, the answer
 * kept, and the cache updated. */
static void test_fetch(void **state) {
  static const step steps[] = {{200, OK_BODY("t1", 3600), NULL, 0, 0},
                               {200, OK_BODY("t2", 3600), NULL, 0, 0}};
  fake *f = FAKE(steps);
  sbi_auth *a = provider(f);
  sbi_http_response resp;
  (void)state;

  expect_token(a, "t1");
  memset(&resp, 0, sizeof resp);
  assert_int_equal(sbi_oauth_fetch(a, &resp), SEGB_OK);
  assert_string_equal(resp.body.data, OK_BODY("t2", 3600));
  sbi_http_response_free(&resp);
  expect_token(a, "t2");
  a->destroy(a);
  fake_destroy(&f->base);
}

/* Creation fails with its own code, and an owned transport goes with it
 * (ASan would see the leak). */
static void test_bad_options(void **state) {
  struct {
    const char *client_id, *pem, *file;
    int code;
  } cases[] = {
      {"", keys.pkcs8, NULL, SEGB_ERR_INVALID_VALUE},
      {NULL, keys.pkcs8, NULL, SEGB_ERR_INVALID_VALUE},
      {"app", keys.pkcs8, "/tmp/key.pem", SEGB_ERR_INVALID_VALUE},
      {"app", NULL, NULL, SEGB_ERR_INVALID_VALUE},
      {"app", small_keys.pkcs8, NULL, SEGB_ERR_KEY_TOO_SMALL},
      {"app", keys.public_pem, NULL, SEGB_ERR_KEY_NOT_PRIVATE},
      {"app", "-----BEGIN PRIVATE KEY-----\nMIIE", NULL,
       SEGB_ERR_KEY_UNREADABLE},
      {"app", NULL, "/nonexistent.pem", SEGB_ERR_KEY_UNREADABLE},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sbi_oauth_options o;
    memset(&o, 0, sizeof o);
    o.client_id = cases[i].client_id;
    o.key_id = "kid";
    o.private_key_pem = cases[i].pem;
    o.private_key_file = cases[i].file;
    o.scope = "tracking_api:write";
    o.server = "https://auth.example";
    o.after_max_ms = 300000;
    o.transport = sbi_capture_transport_new(200, "");
    o.own_transport = 1;
    assert_null(sbi_oauth_auth_new(&o));
    if (segb_last_error() != cases[i].code)
      fail_msg("case %zu: %s: %s", i, segb_err_name(segb_last_error()),
               segb_last_error_message());
  }
  /* no cap on Retry-After */
  {
    fake *f = fake_new(NULL, 0);
    sbi_oauth_options o;

    memset(&o, 0, sizeof o);
    o.client_id = "app";
    o.key_id = "kid";
    o.private_key_pem = keys.pkcs8;
    o.scope = "tracking_api:write";
    o.server = "https://auth.example";
    o.transport = &f->base;
    assert_null(sbi_oauth_auth_new(&o));
    assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
    assert_non_null(strstr(segb_last_error_message(), "retry.after_max_ms"));
    fake_destroy(&f->base);
  }
}

/* ---- from the oauth.* settings ------------------------------------------- */

static segb_config_t *oauth_conf(const char *region, const char *server) {
  segb_config_t *c = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];

  assert_int_equal(
      segb_config_set(c, "oauth.client_id", "app", err, sizeof err), SEGB_OK);
  assert_int_equal(segb_config_set(c, "oauth.key_id", "kid", err, sizeof err),
                   SEGB_OK);
  assert_int_equal(
      segb_config_set(c, "oauth.private_key", keys.pkcs1, err, sizeof err),
      SEGB_OK);
  if (region != NULL)
    assert_int_equal(segb_config_set(c, "region", region, err, sizeof err),
                     SEGB_OK);
  if (server != NULL)
    assert_int_equal(
        segb_config_set(c, "oauth.server", server, err, sizeof err), SEGB_OK);
  return c;
}

/* The token URL and aud a config leads to. */
static void check_server(const char *region, const char *server,
                         const char *want) {
  segb_config_t *c = oauth_conf(region, server);
  sbi_transport *capture = sbi_capture_transport_new(500, "");
  sbi_auth *a = sbi_oauth_from_conf(c, capture, 0);
  sbi_http_response resp;
  char url[160];
  cJSON *claims;

  assert_non_null(a);
  memset(&resp, 0, sizeof resp);
  assert_int_equal(sbi_oauth_fetch(a, &resp), SEGB_ERR_SERVER);
  snprintf(url, sizeof url, "%s/token", want);
  assert_string_equal(sbi_capture_at(capture, 0)->url, url);
  claims = assertion_claims(sbi_capture_at(capture, 0)->body);
  assert_string_equal(cJSON_GetObjectItem(claims, "aud")->valuestring, want);
  cJSON_Delete(claims);
  sbi_http_response_free(&resp);
  a->destroy(a);
  capture->destroy(capture);
  segb_config_destroy(c);
}

static void test_servers_by_region(void **state) {
  (void)state;
  check_server(NULL, NULL, "https://oauth2.segment.io");
  check_server("us", NULL, "https://oauth2.segment.io");
  check_server("eu", NULL, "https://oauth2.eu1.segmentapis.com");
  check_server("eu", "oauth2.eu1.segmentapis.com/",
               "https://oauth2.eu1.segmentapis.com");
  check_server(NULL, "http://127.0.0.1:9/", "http://127.0.0.1:9");
}

static void test_conf_errors(void **state) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *c = segb_config_new();
  (void)state;

  assert_false(sbi_oauth_configured(c));
  segb_config_set(c, "oauth.key_id", "kid", err, sizeof err);
  assert_true(sbi_oauth_configured(c));
  assert_null(sbi_oauth_from_conf(c, sbi_capture_transport_new(200, ""), 1));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
  assert_non_null(strstr(segb_last_error_message(), "oauth.client_id"));
  segb_config_destroy(c);

  c = oauth_conf("eu", "https://oauth2.segment.io");
  assert_null(sbi_oauth_from_conf(c, sbi_capture_transport_new(200, ""), 1));
  assert_non_null(strstr(segb_last_error_message(), "US server"));
  segb_config_destroy(c);

  c = oauth_conf(NULL, NULL);
  segb_config_set(c, "oauth.private_key_file", "/tmp/k.pem", err, sizeof err);
  assert_null(sbi_oauth_from_conf(c, sbi_capture_transport_new(200, ""), 1));
  assert_non_null(strstr(segb_last_error_message(), "both"));
  segb_config_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_and_cache),
      cmocka_unit_test(test_refresh_at_half_life),
      cmocka_unit_test(test_failed_refresh_keeps_token),
      cmocka_unit_test(test_refresh_and_unauthorized),
      cmocka_unit_test(test_rate_limited),
      cmocka_unit_test(test_server_error_not_held),
      cmocka_unit_test(test_config_error_held),
      cmocka_unit_test(test_retry_after_capped),
      cmocka_unit_test(test_retry_after_floor),
      cmocka_unit_test(test_passing_answers_not_held),
      cmocka_unit_test(test_final_answers_held),
      cmocka_unit_test(test_deadline_caps_token_request),
      cmocka_unit_test(test_deadline_passed),
      cmocka_unit_test(test_wait_for_flight_bounded),
      cmocka_unit_test(test_clock_skew),
      cmocka_unit_test(test_clock_refusal_without_date),
      cmocka_unit_test(test_single_flight),
      cmocka_unit_test(test_fetch),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_servers_by_region),
      cmocka_unit_test(test_conf_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
