/* The log callback end to end: with debug=http,auth and log.level 7, real
 * requests to the mock (the Tracking API, the OAuth token route, a
 * connection reset, a revoked token) log their lines, and no line ever
 * holds the write key, a token, the assertion or an event's payload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/segbridge.h>

#include "client_fixture.h"
#include "mock.h"
#include "test_keys.h"

#define WRITE_KEY "wk-logging-7f3a"
#define CLIENT_ID "app-logging"
#define KEY_ID "key-logging"
/* In every event's properties: a payload must never reach a log line. */
#define PAYLOAD "payload-9c41e"

#define LINES_MAX 64

/* Every line logged, from whichever thread the library logs on. */
static struct {
  pthread_mutex_t lock;
  int count;
  int level[LINES_MAX];
  char context[LINES_MAX][16];
  char line[LINES_MAX][1024];
} logged = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, {{0}}, {{0}}};

static void on_log(int level, const char *context, const char *line,
                   void *opaque) {
  (void)opaque; /* the fixture's delivery outcomes */
  pthread_mutex_lock(&logged.lock);
  if (logged.count < LINES_MAX) {
    logged.level[logged.count] = level;
    snprintf(logged.context[logged.count], sizeof logged.context[0], "%s",
             context);
    snprintf(logged.line[logged.count], sizeof logged.line[0], "%s", line);
  }
  logged.count++;
  pthread_mutex_unlock(&logged.lock);
}

static segb_test_keypair keys;

static int setup(void **state) {
  (void)state;
  return segb_test_make_keypair(2048, &keys);
}

static int teardown(void **state) {
  (void)state;
  segb_test_keypair_free(&keys);
  return 0;
}

static int reset_log(void **state) {
  (void)state;
  logged.count = 0;
  return 0;
}

/* A client of the mock @mo, with OAuth when @mo serves it, logging
 * everything: debug=http,auth, level 7; more settings as name, value pairs
 * up to NULL. */
static void start(fx_client *f, sbm_options mo, ...) {
  va_list ap;

  fx_start(f, mo, WRITE_KEY);
  if (mo.oauth_public_key_pem != NULL) {
    fx_set(f->conf, "oauth.server", sbm_url(f->mock));
    fx_set(f->conf, "oauth.client_id", CLIENT_ID);
    fx_set(f->conf, "oauth.key_id", KEY_ID);
    fx_set(f->conf, "oauth.private_key", keys.pkcs8);
  }
  fx_set(f->conf, "dispatch.mode", "inline");
  fx_set(f->conf, "log.level", "7");
  fx_set(f->conf, "debug", "http,auth");
  va_start(ap, mo);
  fx_finish_config(f, ap);
  va_end(ap);
  segb_config_set_log_cb(f->conf, on_log);
  fx_open(f);
}

static void track(fx_client *f, int n) {
  int i;

  for (i = 0; i < n; i++)
    assert_int_equal(segb_track(f->client, "user-1", NULL, "Logged",
                                "{\"p\":\"" PAYLOAD "\"}"),
                     SEGB_OK);
}

/* Lines in @context holding @text. */
static int count_lines(const char *context, const char *text) {
  int i, n = 0;

  for (i = 0; i < logged.count && i < LINES_MAX; i++)
    if (strcmp(logged.context[i], context) == 0 &&
        strstr(logged.line[i], text) != NULL)
      n++;
  return n;
}

/* @secret (NULL or "" for none) in no line. */
static void never_logged(const char *secret) {
  int i;

  if (secret == NULL || *secret == '\0')
    return;
  for (i = 0; i < logged.count && i < LINES_MAX; i++)
    if (strstr(logged.line[i], secret) != NULL)
      fail_msg("line %d (%s) holds \"%s\": %s", i, logged.context[i], secret,
               logged.line[i]);
}

/* What any request to the mock carried in its Authorization header, the
 * credential after the scheme, in no line; nor the write key, nor the
 * payload, nor anything of the headers. */
static void no_secret_logged(fx_client *f) {
  sbm_stats st = fx_stats(f);
  size_t i;

  assert_true(logged.count <= LINES_MAX);
  for (i = 0; i < st.requests; i++) {
    char *auth = sbm_request_header(f->mock, i, "Authorization");
    const char *space = auth != NULL ? strchr(auth, ' ') : NULL;

    never_logged(space != NULL ? space + 1 : auth);
    free(auth);
  }
  never_logged(WRITE_KEY);
  never_logged(PAYLOAD);
  never_logged("Authorization");
  never_logged("Bearer");
  never_logged("Basic");
  never_logged("mock-"); /* the mock's tokens */
  never_logged("eyJ");   /* a JWT: the assertion */
}

/* Every debug line is at level 7. */
static void all_debug(void) {
  int i;

  for (i = 0; i < logged.count && i < LINES_MAX; i++)
    if (strcmp(logged.context[i], "http") == 0 ||
        strcmp(logged.context[i], "auth") == 0)
      assert_int_equal(logged.level[i], 7);
}

/* A write key client: one line per request, with host and path, status
 * and size; a reset connection logs its failure, and the retry its 200. */
static void test_http_lines(void **state) {
  static const sbm_options no_extras;
  char expect[128];
  fx_client f;
  (void)state;

  start(&f, no_extras, NULL);
  sbm_script(f.mock, SBM_FAULT_RESET, 1, 0);
  track(&f, 3);
  assert_int_equal(segb_client_flush(f.client, 60000), SEGB_OK);
  assert_int_equal(f.out.delivered, 3);

  snprintf(expect, sizeof expect, "POST %s/v1/batch -> ",
           sbm_url(f.mock) + strlen("http://"));
  assert_int_equal(count_lines("http", expect), 2);
  strcat(expect, "SEGB_ERR_NETWORK in ");
  assert_int_equal(count_lines("http", expect), 1);
  snprintf(expect, sizeof expect, "POST %s/v1/batch -> 200 in ",
           sbm_url(f.mock) + strlen("http://"));
  assert_int_equal(count_lines("http", expect), 1);
  assert_int_equal(count_lines("http", " bytes"), 2);
  assert_int_equal(count_lines("auth", ""), 0); /* no token to fetch */
  all_debug();
  no_secret_logged(&f);
  fx_close(&f);
}

/* OAuth: the token request and its lifetime, the API refusing a revoked
 * token, the next fetch; the bearer tokens and the assertions, which went
 * over the same wire, are in no line. */
static void test_auth_lines(void **state) {
  sbm_options mo;
  fx_client f;
  (void)state;

  memset(&mo, 0, sizeof mo);
  mo.write_key = WRITE_KEY;
  mo.oauth_public_key_pem = keys.public_pem;
  mo.oauth_key_id = KEY_ID;
  mo.oauth_client_id = CLIENT_ID;
  mo.oauth_token_lifetime_s = 600;
  start(&f, mo, NULL);

  track(&f, 2);
  assert_int_equal(segb_client_flush(f.client, 60000), SEGB_OK);
  sbm_oauth_revoke(f.mock);
  track(&f, 2);
  assert_int_equal(segb_client_flush(f.client, 60000), SEGB_OK);
  assert_int_equal(f.out.delivered, 4);

  assert_int_equal(count_lines("auth", "token fetched, expires in 600 s"), 2);
  assert_int_equal(count_lines("auth", "the API refused the token"), 1);
  assert_int_equal(count_lines("http", "/token -> 200 in "), 2);
  assert_int_equal(count_lines("http", "/v1/batch -> 401 in "), 1);
  assert_int_equal(count_lines("http", "/v1/batch -> 200 in "), 2);
  all_debug();
  no_secret_logged(&f);
  fx_close(&f);
}

/* log.level 7 without debug contexts: the requests log no line. */
static void test_quiet_without_debug(void **state) {
  static const sbm_options no_extras;
  fx_client f;
  (void)state;

  start(&f, no_extras, "debug", "none", NULL);
  track(&f, 2);
  assert_int_equal(segb_client_flush(f.client, 60000), SEGB_OK);
  assert_int_equal(count_lines("http", ""), 0);
  assert_int_equal(count_lines("auth", ""), 0);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_http_lines, reset_log),
      cmocka_unit_test_setup(test_auth_lines, reset_log),
      cmocka_unit_test_setup(test_quiet_without_debug, reset_log),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
