/* The outcome policy, the retry budget, Retry-After, HTTP-dates and
 * backoff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <segbridge/client.h>
#include <segbridge/error.h>

#include "client_int.h"
#include "transport/policy.h"
#include "transport/retry.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The cap of absurd Retry-After values, in ms (about 31 years). */
#define CAP_MS INT64_C(1000000000000)
/* Sun, 06 Nov 1994 08:49:37 GMT */
#define EXAMPLE_MS INT64_C(784111777000)
#define MAX_WAIT INT64_C(300000)

typedef struct class_case {
  int status;
  int error;
  const char *headers; /* NULL: none */
  sbi_verdict want;
  int64_t wait; /* for SBI_VERDICT_RETRY_AFTER */
} class_case;

/* The sender's verdict for @resp, and the wait with SBI_VERDICT_RETRY_AFTER. */
static sbi_verdict classify(const sbi_http_response *resp, int64_t now_ms,
                            int64_t max_wait_ms, int64_t *wait) {
  sbi_outcome o =
      sbi_http_outcome(resp, SBI_PEER_TRACKING, now_ms, max_wait_ms);

  if (o.verdict == SBI_VERDICT_RETRY_AFTER)
    *wait = o.wait_ms;
  return o.verdict;
}

static const class_case class_cases[] = {
    /* No response at all. */
    {0, SEGB_ERR_DNS, NULL, SBI_VERDICT_RETRY, 0},
    {0, SEGB_ERR_CONNECT, NULL, SBI_VERDICT_RETRY, 0},
    {0, SEGB_ERR_TLS, NULL, SBI_VERDICT_REJECTED, 0},
    {0, SEGB_ERR_TIMED_OUT, NULL, SBI_VERDICT_RETRY, 0},
    {0, SEGB_ERR_NETWORK, NULL, SBI_VERDICT_RETRY, 0},
    {0, SEGB_ERR_NOMEM, NULL, SBI_VERDICT_RETRY, 0},
    /* A transport error wins over a status that came before it. */
    {200, SEGB_ERR_NETWORK, NULL, SBI_VERDICT_RETRY, 0},
    {400, SEGB_ERR_TIMED_OUT, NULL, SBI_VERDICT_RETRY, 0},
    /* 2xx */
    {200, SEGB_OK, NULL, SBI_VERDICT_DELIVERED, 0},
    {201, SEGB_OK, NULL, SBI_VERDICT_DELIVERED, 0},
    {204, SEGB_OK, NULL, SBI_VERDICT_DELIVERED, 0},
    {299, SEGB_OK, NULL, SBI_VERDICT_DELIVERED, 0},
    /* 1xx and 3xx are not deliveries. */
    {100, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {101, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {199, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {300, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {301, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {304, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {307, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {399, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    /* Credentials */
    {401, SEGB_OK, NULL, SBI_VERDICT_AUTH, 0},
    {403, SEGB_OK, NULL, SBI_VERDICT_AUTH, 0},
    {401, SEGB_OK, "Retry-After: 5\r\n", SBI_VERDICT_AUTH, 0},
    /* Other 4xx */
    {400, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {402, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {404, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {405, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {409, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {413, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {415, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {422, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {451, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {499, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {400, SEGB_OK, "Retry-After: 5\r\n", SBI_VERDICT_REJECTED, 0},
    /* Retried with backoff; Retry-After counts only on 429 and 503. */
    {408, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {408, SEGB_OK, "Retry-After: 5\r\n", SBI_VERDICT_RETRY, 0},
    /* 410 as analytics-next has it: retried. */
    {410, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {410, SEGB_OK, "Retry-After: 5\r\n", SBI_VERDICT_RETRY, 0},
    {460, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {500, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {500, SEGB_OK, "Retry-After: 5\r\n", SBI_VERDICT_RETRY, 0},
    {502, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {504, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {506, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {507, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {511, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {599, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {501, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {505, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    {600, SEGB_OK, NULL, SBI_VERDICT_REJECTED, 0},
    /* 429 and 503 */
    {429, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {429, SEGB_OK, "X-RateLimit-Reset: 5\r\n", SBI_VERDICT_RETRY, 0},
    {429, SEGB_OK, "Retry-After: soon\r\n", SBI_VERDICT_RETRY, 0},
    {429, SEGB_OK, "Retry-After:\r\n", SBI_VERDICT_RETRY, 0},
    {429, SEGB_OK, "Retry-After: 7\r\n", SBI_VERDICT_RETRY_AFTER, 7000},
    /* A wait under a second is raised to one: no tight loop. */
    {429, SEGB_OK, "Content-Type: application/json\r\nretry-after:  0 \r\n",
     SBI_VERDICT_RETRY_AFTER, 1000},
    {429, SEGB_OK, "Retry-After: 3600\r\n", SBI_VERDICT_RETRY_AFTER, MAX_WAIT},
    {429, SEGB_OK, "Retry-After: 99999999999999999999999\r\n",
     SBI_VERDICT_RETRY_AFTER, MAX_WAIT},
    {429, SEGB_OK, "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
     SBI_VERDICT_RETRY_AFTER, 3000},
    {503, SEGB_OK, NULL, SBI_VERDICT_RETRY, 0},
    {503, SEGB_OK, "Retry-After: -1\r\n", SBI_VERDICT_RETRY, 0},
    {503, SEGB_OK, "Retry-After: 120\r\n", SBI_VERDICT_RETRY_AFTER, 120000},
    {503, SEGB_OK, "RETRY-AFTER: Sun, 06 Nov 1994 08:49:30 GMT\r\n",
     SBI_VERDICT_RETRY_AFTER, 1000},
    {503, SEGB_OK, "Retry-After: 1\r\n", SBI_VERDICT_RETRY_AFTER, 1000},
};

static void test_classify(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(class_cases); i++) {
    const class_case *c = &class_cases[i];
    sbi_http_response resp;
    int64_t wait = -1;
    sbi_verdict got;

    memset(&resp, 0, sizeof resp);
    resp.status = c->status;
    resp.error = c->error;
    if (c->headers != NULL)
      assert_int_equal(sbi_buf_puts(&resp.headers, c->headers), SEGB_OK);
    got = classify(&resp, EXAMPLE_MS - 3000, MAX_WAIT, &wait);
    if (got != c->want || (got == SBI_VERDICT_RETRY_AFTER && wait != c->wait)) {
      print_error("case %zu (status %d, error %d): verdict %d, wait %" PRId64
                  "\n",
                  i, c->status, c->error, (int)got, wait);
      fail();
    }
    sbi_http_response_free(&resp);
  }
}

/* A negative cap is taken as 0: never a negative wait. */
static void test_classify_cap_floor(void **state) {
  sbi_http_response resp;
  int64_t wait = -1;
  (void)state;

  memset(&resp, 0, sizeof resp);
  resp.status = 429;
  assert_int_equal(sbi_buf_puts(&resp.headers, "Retry-After: 7\r\n"), SEGB_OK);
  assert_int_equal(classify(&resp, 0, -5, &wait), SBI_VERDICT_RETRY_AFTER);
  assert_int_equal(wait, 0);
  assert_int_equal(classify(&resp, 0, 0, &wait), SBI_VERDICT_RETRY_AFTER);
  assert_int_equal(wait, 0);
  assert_int_equal(classify(&resp, 0, 7000, &wait), SBI_VERDICT_RETRY_AFTER);
  assert_int_equal(wait, 7000);
  sbi_http_response_free(&resp);
}

/* The floor goes first, then the cap: a cap under a second is kept. */
static void test_retry_after_bound(void **state) {
  (void)state;

  assert_int_equal(sbi_retry_after_bound(0, MAX_WAIT), 1000);
  assert_int_equal(sbi_retry_after_bound(-7, MAX_WAIT), 1000);
  assert_int_equal(sbi_retry_after_bound(999, MAX_WAIT), 1000);
  assert_int_equal(sbi_retry_after_bound(1001, MAX_WAIT), 1001);
  assert_int_equal(sbi_retry_after_bound(CAP_MS, MAX_WAIT), MAX_WAIT);
  assert_int_equal(sbi_retry_after_bound(0, 400), 400);
  assert_int_equal(sbi_retry_after_bound(5000, -1), 0);
}

/* The token server's own matrix, as Segment's SDKs read it: only 3xx, 400,
 * 401 and 415 say the setup is wrong; a proxy's 403 or a 404 during a
 * deployment may pass; only 200 hands out a token. */
static void token_case(const sbi_http_response *resp) {
  int status = resp->status;
  int final = (status >= 300 && status <= 399) || status == 400 ||
              status == 401 || status == 415;
  sbi_outcome o = sbi_http_outcome(resp, SBI_PEER_TOKEN, 0, MAX_WAIT);

  if (status == 200) {
    assert_int_equal(o.verdict, SBI_VERDICT_DELIVERED);
    assert_int_equal(o.code, SEGB_OK);
  } else if (final) {
    assert_int_equal(o.verdict, SBI_VERDICT_REJECTED);
    assert_int_equal(o.code, status == 401 ? SEGB_ERR_OAUTH_INVALID_CLIENT
                                           : SEGB_ERR_REJECTED);
  } else {
    assert_int_equal(o.verdict, SBI_VERDICT_RETRY);
    assert_int_equal(o.code,
                     status == 429 ? SEGB_ERR_RATE_LIMITED : SEGB_ERR_SERVER);
    assert_non_null(o.hint);
  }
}

/* One table for every caller: the same verdict for every answer to the
 * sender and the readers, the codes the sender has always reported, a 404
 * that is NOT_FOUND to the read APIs only; the token server's matrix. */
static void test_outcome_codes(void **state) {
  sbi_http_response resp;
  int status;
  (void)state;

  memset(&resp, 0, sizeof resp);
  for (status = 0; status < 1000; status++) {
    sbi_outcome t, r;
    int want = status >= 200 && status <= 299   ? SEGB_OK
               : status == 401 || status == 403 ? SEGB_ERR_AUTH
               : status == 429                  ? SEGB_ERR_RATE_LIMITED
               : status >= 500 && status <= 599 ? SEGB_ERR_SERVER
                                                : SEGB_ERR_REJECTED;

    resp.status = status;
    t = sbi_http_outcome(&resp, SBI_PEER_TRACKING, 0, MAX_WAIT);
    r = sbi_http_outcome(&resp, SBI_PEER_READ, 0, MAX_WAIT);
    assert_int_equal(t.verdict, r.verdict);
    assert_int_equal(t.code, want);
    assert_int_equal(r.code, status == 404 ? SEGB_ERR_NOT_FOUND : want);
    /* Refused credentials are explained by whose they are. */
    assert_true((t.hint == NULL) == (t.verdict == SBI_VERDICT_AUTH));
    assert_true((r.hint == NULL) == (r.verdict == SBI_VERDICT_AUTH));
    token_case(&resp);
  }
  resp.status = 0;
  resp.error = SEGB_ERR_CONNECT;
  assert_int_equal(sbi_http_outcome(&resp, SBI_PEER_READ, 0, 0).code,
                   SEGB_ERR_CONNECT);
  /* An error without a row of its own is retried, explained generically. */
  resp.error = SEGB_ERR_INVALID_ARG;
  assert_int_equal(sbi_http_outcome(&resp, SBI_PEER_TRACKING, 0, 0).verdict,
                   SBI_VERDICT_RETRY);
}

static const sbi_retry_limits budget_limits = {3, 1, 1, 60000, 1000};

/* Counted retries end a batch or call after max_retries. */
static void test_budget_counts_retries(void **state) {
  sbi_retry_budget b;
  int64_t wait = -1;
  int i;
  (void)state;

  sbi_retry_budget_init(&b, &budget_limits);
  for (i = 0; i < 3; i++) {
    assert_int_equal(sbi_retry_next(&b, SBI_VERDICT_RETRY, 100, -1, &wait),
                     SBI_RETRY_WAIT);
    assert_true(wait >= 0 && wait <= 1);
  }
  assert_int_equal(sbi_retry_next(&b, SBI_VERDICT_RETRY, 100, -1, &wait),
                   SBI_RETRY_GIVE_UP);
  assert_int_equal(b.requests, 4);
}

/* Waits the server asked for are not counted, but bounded: at most
 * max_retries + 20 attempts. */
static void test_budget_bounds_waits(void **state) {
  sbi_retry_budget b;
  int64_t wait;
  int i;
  (void)state;

  sbi_retry_budget_init(&b, &budget_limits);
  for (i = 0; i < 23; i++) {
    wait = 1000;
    assert_int_equal(
        sbi_retry_next(&b, SBI_VERDICT_RETRY_AFTER, 100, -1, &wait),
        SBI_RETRY_WAIT);
    assert_int_equal(wait, 1000);
  }
  wait = 1000;
  assert_int_equal(sbi_retry_next(&b, SBI_VERDICT_RETRY_AFTER, 100, -1, &wait),
                   SBI_RETRY_GIVE_UP);
  assert_int_equal(b.counted, 0);
}

/* The total time runs from the first failure; a wait that would end at or
 * past the caller's deadline is not taken. */
static void test_budget_time(void **state) {
  sbi_retry_budget b;
  int64_t wait = 1000;
  (void)state;

  sbi_retry_budget_init(&b, &budget_limits);
  assert_int_equal(sbi_retry_next(&b, SBI_VERDICT_RETRY_AFTER, 5000, -1, &wait),
                   SBI_RETRY_WAIT);
  wait = 1000;
  assert_int_equal(
      sbi_retry_next(&b, SBI_VERDICT_RETRY_AFTER, 64001, -1, &wait),
      SBI_RETRY_GIVE_UP);

  sbi_retry_budget_init(&b, &budget_limits);
  wait = 1000;
  assert_int_equal(
      sbi_retry_next(&b, SBI_VERDICT_RETRY_AFTER, 5000, 6001, &wait),
      SBI_RETRY_WAIT);
  wait = 1000;
  assert_int_equal(
      sbi_retry_next(&b, SBI_VERDICT_RETRY_AFTER, 5000, 6000, &wait),
      SBI_RETRY_OUT_OF_TIME);
}

static void advice_for(const sbi_http_response *resp, char *out, size_t size) {
  sbi_advice(out, size, resp, "https://api.segment.io/v1/batch", NULL, NULL);
}

/* What the advice says of retrying is what the matrix does: "it is
 * retried" only for what is retried, "not retried" only for what is not. */
static void check_advice(const sbi_http_response *resp) {
  char advice[512];
  int64_t wait = 0;
  sbi_verdict v = classify(resp, 0, MAX_WAIT, &wait);
  int retried = v == SBI_VERDICT_RETRY || v == SBI_VERDICT_RETRY_AFTER;

  advice_for(resp, advice, sizeof advice);
  if (strstr(advice, retried ? "not retried" : "it is retried") != NULL) {
    print_error("status %d, error %d, verdict %d: %s\n", resp->status,
                resp->error, (int)v, advice);
    fail();
  }
}

static void test_advice_agrees_with_matrix(void **state) {
  static const int errors[] = {SEGB_ERR_DNS,     SEGB_ERR_CONNECT,
                               SEGB_ERR_TLS,     SEGB_ERR_TIMED_OUT,
                               SEGB_ERR_NETWORK, SEGB_ERR_NOMEM};
  static const int retried[] = {408, 410, 429, 460, 500, 502, 503, 599};
  sbi_http_response resp;
  char advice[512];
  size_t i;
  int status;
  (void)state;

  memset(&resp, 0, sizeof resp);
  for (status = 100; status < 700; status++) {
    resp.status = status;
    check_advice(&resp);
  }
  for (i = 0; i < COUNT(retried); i++) {
    resp.status = retried[i];
    advice_for(&resp, advice, sizeof advice);
    assert_non_null(strstr(advice, "it is retried"));
  }
  /* 501 and 505 were said to be retried, and never were. */
  resp.status = 501;
  advice_for(&resp, advice, sizeof advice);
  assert_non_null(strstr(advice, "not retried"));
  resp.status = 505;
  advice_for(&resp, advice, sizeof advice);
  assert_non_null(strstr(advice, "not retried"));

  resp.status = 0;
  for (i = 0; i < COUNT(errors); i++) {
    resp.error = errors[i];
    check_advice(&resp);
  }
  /* Only a certificate or TLS setup problem is blamed on the certificate;
   * a handshake that broke off is a network error. */
  resp.error = SEGB_ERR_TLS;
  advice_for(&resp, advice, sizeof advice);
  assert_non_null(strstr(advice, "certificate"));
  assert_non_null(strstr(advice, "not retried"));
  resp.error = SEGB_ERR_NETWORK;
  advice_for(&resp, advice, sizeof advice);
  assert_null(strstr(advice, "certificate"));
  assert_non_null(strstr(advice, "it is retried"));
}

/* What the server sent reaches the advice as printable ASCII only. */
static void test_advice_printable(void **state) {
  sbi_http_response resp;
  char advice[512];
  size_t i;
  (void)state;

  memset(&resp, 0, sizeof resp);
  resp.status = 429;
  assert_int_equal(sbi_buf_puts(&resp.headers, "Retry-After: \x1b[2J5\x7f\r\n"),
                   SEGB_OK);
  assert_int_equal(sbi_buf_puts(&resp.body, "slow\x1b]0;down\a\xff"), SEGB_OK);
  advice_for(&resp, advice, sizeof advice);
  for (i = 0; advice[i] != '\0'; i++)
    assert_true(advice[i] >= 0x20 && advice[i] < 0x7f);
  assert_non_null(strstr(advice, "Retry-After:  [2J5 "));
  assert_non_null(strstr(advice, "(slow ]0;down  )"));
  sbi_http_response_free(&resp);
}

/* A request the caller's deadline cut is not blamed on http.timeout_ms. */
static void test_advice_names_the_limit(void **state) {
  static const struct {
    sbi_http_limit limit;
    const char *says, *never;
  } cases[] = {
      {SBI_LIMIT_CALLER, "caller's deadline", "raise http.timeout_ms"},
      {SBI_LIMIT_TRANSPORT, "raise http.timeout_ms", "deadline"},
      {SBI_LIMIT_CONNECT, "http.connect_timeout_ms", "raise http.timeout_ms"},
  };
  sbi_http_response resp;
  char advice[512];
  size_t i;
  (void)state;

  memset(&resp, 0, sizeof resp);
  resp.error = SEGB_ERR_TIMED_OUT;
  for (i = 0; i < COUNT(cases); i++) {
    resp.timed_out_by = cases[i].limit;
    advice_for(&resp, advice, sizeof advice);
    if (strstr(advice, cases[i].says) == NULL ||
        strstr(advice, cases[i].never) != NULL) {
      print_error("limit %d: %s\n", (int)cases[i].limit, advice);
      fail();
    }
  }
}

/* ---- the sender, over a capture transport ------------------------------ */

static segb_client_t *capture_client(int status, sbi_transport **capture) {
  static const char *const settings[][2] = {
      {"write_key", "k"},
      {"retry.max_attempts", "4"},
      {"retry.backoff_initial_ms", "1"},
      {"retry.backoff_max_ms", "1"},
      {"dispatch.mode", "inline"}, /* requests carry the caller's time */
  };
  segb_config_t *conf = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];
  segb_client_t *c;
  size_t i;

  assert_non_null(conf);
  for (i = 0; i < COUNT(settings); i++)
    assert_int_equal(
        segb_config_set(conf, settings[i][0], settings[i][1], err, sizeof err),
        SEGB_OK);
  *capture = sbi_capture_transport_new(status, "{}");
  assert_non_null(*capture);
  c = sbi_client_new(conf, *capture, err, sizeof err);
  assert_non_null(c);
  return c;
}

/* Every attempt gets at most the caller's remaining time, and with no
 * deadline none is set (the transport's own timeout applies). */
static void test_sender_request_timeouts(void **state) {
  sbi_transport *t;
  segb_client_t *c = capture_client(500, &t);
  int64_t previous = INT64_MAX;
  size_t i;
  (void)state;

  assert_int_equal(segb_track(c, "u", NULL, "E", NULL), SEGB_OK);
  assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
  assert_int_equal(sbi_capture_count(t), 5);
  for (i = 0; i < sbi_capture_count(t); i++) {
    int64_t got = sbi_capture_at(t, i)->timeout_ms;
    assert_true(got > 0 && got <= 60000);
    assert_true(got <= previous);
    previous = got;
  }
  assert_int_equal(segb_track(c, "u", NULL, "E", NULL), SEGB_OK);
  assert_int_equal(segb_client_flush(c, -1), SEGB_OK);
  assert_int_equal(sbi_capture_count(t), 10);
  for (i = 5; i < 10; i++)
    assert_int_equal(sbi_capture_at(t, i)->timeout_ms, 0);
  assert_int_equal(segb_client_close(c, 0), SEGB_OK);
}

/* 410 is sent again, as analytics-next does; 501 is not. */
static void test_sender_retries_410(void **state) {
  static const struct {
    int status;
    size_t requests;
  } cases[] = {{410, 5}, {408, 5}, {460, 5}, {501, 1}, {505, 1}, {404, 1}};
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(cases); i++) {
    sbi_transport *t;
    segb_client_t *c = capture_client(cases[i].status, &t);

    assert_int_equal(segb_track(c, "u", NULL, "E", NULL), SEGB_OK);
    assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
    if (sbi_capture_count(t) != cases[i].requests) {
      print_error("HTTP %d: %zu requests\n", cases[i].status,
                  sbi_capture_count(t));
      fail();
    }
    assert_int_equal(segb_client_close(c, 0), SEGB_OK);
  }
}

typedef struct after_case {
  const char *value;
  int64_t now_ms;
  int ok;
  int64_t wait;
} after_case;

static const after_case after_cases[] = {
    /* delay-seconds */
    {"7", 0, 1, 7000},
    {"0", 0, 1, 0},
    {"007", 0, 1, 7000},
    {" 7", 0, 1, 7000},
    {"7 ", 0, 1, 7000},
    {"\t 120 \t", 0, 1, 120000},
    {"86400", 0, 1, 86400000},
    {"999999999", 0, 1, INT64_C(999999999000)},
    {"1000000000", 0, 1, CAP_MS},
    {"1000000001", 0, 1, CAP_MS},
    {"18446744073709551616", 0, 1, CAP_MS},
    {"99999999999999999999999999999999999999999999999999999999", 0, 1, CAP_MS},
    /* Seconds do not depend on the clock. */
    {"7", INT64_MIN, 1, 7000},
    {"", 0, 0, 0},
    {" ", 0, 0, 0},
    {"-1", 0, 0, 0},
    {"+1", 0, 0, 0},
    {"1.5", 0, 0, 0},
    {"7s", 0, 0, 0},
    {"7 8", 0, 0, 0},
    {"0x10", 0, 0, 0},
    {"1e3", 0, 0, 0},
    {"seven", 0, 0, 0},
    {"7\r", 0, 0, 0},
    /* IMF-fixdate, relative to now */
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 2500, 1, 2500},
    {"  Sun, 06 Nov 1994 08:49:37 GMT ", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS, 1, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS + 1, 1, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT", INT64_MAX, 1, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT", INT64_MIN, 1, CAP_MS},
    {"Thu, 01 Jan 1970 00:00:00 GMT", -5000, 1, 5000},
    {"Thu, 01 Jan 1970 00:00:01 GMT", 0, 1, 1000},
    {"Fri, 31 Dec 9999 23:59:59 GMT", 0, 1, CAP_MS},
    /* curl reads year 0000 as the two-digit year 00: 2000-01-01. */
    {"Sat, 01 Jan 0000 00:00:00 GMT", INT64_C(946684800000) - 7, 1, 7},
    {"Sat, 29 Feb 2000 00:00:00 GMT", INT64_C(951782400000) - 1, 1, 1},
    {"Thu, 29 Feb 2024 12:00:00 GMT", INT64_C(1709208000000) - 10, 1, 10},
    /* A leap second reads as the next minute's first second. */
    {"Sat, 31 Dec 2016 23:59:60 GMT", INT64_C(1483228800000) - 1, 1, 1},
    /* The obsolete forms of the same date */
    {"Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun Nov  6 08:49:37 1994", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun Nov 06 08:49:37 1994", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun Nov 16 08:49:37 1994", EXAMPLE_MS - 3000, 1, 864000000 + 3000},
    /* curl_getdate() reads more than RFC 9110's forms (see
     * sbi_http_date()): these were refused by the own parser. */
    {"Sun, 6 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 94 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 NOV 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49:37 UTC", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49:37 gmt", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49:37", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49:37 GMT+1", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 8:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun,06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06  Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06-Nov-1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sunday, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sunday 06-Nov-94 08:49:37 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sunday, 06-Nov-94 08:49:37", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun Nov 6 08:49:37 1994", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun Nov  6 08:49:37 94", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun Nov  6 08:49:37 1994 GMT", EXAMPLE_MS - 3000, 1, 3000},
    {"Sun, 06 Nov 1994 08:49 GMT", EXAMPLE_MS - 3000, 1, 0}, /* :00 */
    /* A day past the month's end rolls over: 31 Nov is 1 Dec. */
    {"Thu, 31 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3000, 1,
     25 * INT64_C(86400000) + 3000},
    {"Wed, 29 Feb 2023 00:00:00 GMT", INT64_C(1677628800000) - 5, 1, 5},
    {"Thu, 29 Feb 1900 00:00:00 GMT", INT64_C(-2203891200000) - 5, 1, 5},
    /* Past year 9999 (curl reads any number of digits): no date, so the
     * milliseconds cannot overflow. */
    {"Sat, 01 Jan 10000 00:00:00 GMT", 0, 0, 0},
    {"Sun, 06 Nov 2147483647 08:49:37 GMT", 0, 0, 0},
    {"Sun, 06 Nov 99999999999999999999 08:49:37 GMT", 0, 0, 0},
    /* Malformed dates curl_getdate() refuses too */
    {"Sun, 06 Nov 1994 08:49:37 GMTx", 0, 0, 0},
    {"Sun, 06 Nov 1994 24:00:00 GMT", 0, 0, 0},
    {"Sun, 06 Nov 1994 08:60:00 GMT", 0, 0, 0},
    {"Sun, 06 Nov 1994 08:49:61 GMT", 0, 0, 0},
    {"Sun, 00 Nov 1994 08:49:37 GMT", 0, 0, 0},
    {"Sun, 32 Dec 1994 08:49:37 GMT", 0, 0, 0},
    {"Sun, 06 Foo 1994 08:49:37 GMT", 0, 0, 0},
    {"Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT Sun, 06 Nov 1994 08:49:37 GMT", 0, 0, 0},
    {"Su", 0, 0, 0},
    {"Sun", 0, 0, 0},
    {"Sun,", 0, 0, 0},
    {"1994-11-06T08:49:37Z", 0, 0, 0},
};

static void test_retry_after(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(after_cases); i++) {
    const after_case *c = &after_cases[i];
    int64_t wait = -1;
    int ok = sbi_retry_after_parse(c->value, c->now_ms, &wait);
    if (ok != c->ok || (ok && wait != c->wait)) {
      print_error("'%s': ok %d, wait %" PRId64 " (want %d, %" PRId64 ")\n",
                  c->value, ok, wait, c->ok, c->wait);
      fail();
    }
  }
}

/* Dates from 1601 to 9999 against the C library: for each, a clock 1234 ms
 * before it must wait exactly 1234 ms. */
static void test_retry_after_against_libc(void **state) {
  const int64_t first = INT64_C(-11644473600); /* 1601-01-01 */
  const int64_t last = INT64_C(253402300799);  /* 9999-12-31 23:59:59 */
  char imf[64], asc[64];
  int64_t t, wait;
  struct tm tm;
  time_t tt;
  (void)state;

  /* The step is not a whole number of days, so times of day vary too. */
  for (t = first; t <= last; t += INT64_C(86400) * 29 + 3671) {
    tt = (time_t)t;
    assert_non_null(gmtime_r(&tt, &tm));
    assert_true(strftime(imf, sizeof imf, "%a, %d %b %Y %H:%M:%S GMT", &tm) >
                0);
    assert_true(strftime(asc, sizeof asc, "%a %b %e %H:%M:%S %Y", &tm) > 0);
    wait = -1;
    if (!sbi_retry_after_parse(imf, t * 1000 - 1234, &wait) || wait != 1234) {
      print_error("'%s' (%" PRId64 "): wait %" PRId64 "\n", imf, t, wait);
      fail();
    }
    wait = -1;
    if (!sbi_retry_after_parse(asc, t * 1000 - 1234, &wait) || wait != 1234) {
      print_error("'%s' (%" PRId64 "): wait %" PRId64 "\n", asc, t, wait);
      fail();
    }
  }
}

/* Two-digit years (RFC 850 dates, asctime ones) are curl_getdate()'s:
 * 70 is the pivot, 00-70 are 20xx and 71-99 19xx, whatever the clock says
 * (RFC 9110 §5.6.7 would take the year within 50 years of now), and no
 * clock, however far off, makes the arithmetic overflow. */
static void test_two_digit_year(void **state) {
  /* 2026-01-01T00:00:00Z */
  const int64_t now = INT64_C(1767225600000);
  static const int64_t clocks[] = {0, INT64_C(1767225600000), INT64_MIN,
                                   INT64_MAX};
  int64_t wait = -1, at = -1;
  size_t i;
  (void)state;

  /* 1976, 1977: in the past */
  assert_true(
      sbi_retry_after_parse("Wednesday, 01-Jan-76 00:00:00 GMT", now, &wait));
  assert_int_equal(wait, 0);
  assert_true(
      sbi_retry_after_parse("Saturday, 01-Jan-77 00:00:00 GMT", now, &wait));
  assert_int_equal(wait, 0);
  /* 2026-01-01T00:00:05Z */
  assert_true(
      sbi_retry_after_parse("Thursday, 01-Jan-26 00:00:05 GMT", now, &wait));
  assert_int_equal(wait, 5000);
  /* 2030 */
  assert_true(
      sbi_retry_after_parse("Tuesday, 01-Jan-30 00:00:00 GMT", now, &wait));
  assert_int_equal(wait, INT64_C(1893456000000) - now);
  /* The pivot: 70 is 2070, 71 is 1971. */
  assert_true(sbi_http_date("Tuesday, 01-Jan-70 00:00:00 GMT", &at));
  assert_int_equal(at, INT64_C(3155760000000));
  assert_true(sbi_http_date("Friday, 01-Jan-71 00:00:00 GMT", &at));
  assert_int_equal(at, INT64_C(31536000000));
  /* The instant does not depend on the clock, and the wait stays within
   * [0, the cap] at any clock. */
  for (i = 0; i < COUNT(clocks); i++) {
    assert_true(sbi_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT",
                                      clocks[i], &wait));
    assert_true(wait >= 0 && wait <= CAP_MS);
    assert_true(sbi_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT",
                                      clocks[i], &wait));
    assert_true(wait >= 0 && wait <= CAP_MS);
  }
  assert_true(sbi_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", INT64_MIN,
                                    &wait));
  assert_int_equal(wait, CAP_MS);
  assert_true(sbi_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", INT64_MAX,
                                    &wait));
  assert_int_equal(wait, 0);
}

/* The wrapper itself: the forms Segment sends, and what it refuses. */
static void test_http_date(void **state) {
  static const struct {
    const char *value;
    int ok;
    int64_t at;
  } cases[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", 1, EXAMPLE_MS}, /* IMF-fixdate */
      {" Sun, 06 Nov 1994 08:49:37 GMT\t", 1, EXAMPLE_MS},
      {"Sun, 06 Nov 1994 09:49:37 +0100", 1, EXAMPLE_MS}, /* RFC 5322 */
      {"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0},
      {"Fri, 31 Dec 9999 23:59:59 GMT", 1, INT64_C(253402300799000)},
      {"Mon, 01 Jan 1601 00:00:00 GMT", 1, INT64_C(-11644473600000)},
      /* Bare numbers are no date: curl would read 20261201 as a day. */
      {"20261201", 0, 0},
      {"1700000000", 0, 0},
      {"7", 0, 0},
      {"", 0, 0},
      {"   ", 0, 0},
      {"soon", 0, 0},
      {"Sat, 01 Jan 10000 00:00:00 GMT", 0, 0},
  };
  size_t i;
  (void)state;

  for (i = 0; i < COUNT(cases); i++) {
    int64_t at = -1;
    int ok = sbi_http_date(cases[i].value, &at);
    if (ok != cases[i].ok || (ok && at != cases[i].at)) {
      print_error("'%s': ok %d, at %" PRId64 "\n", cases[i].value, ok, at);
      fail();
    }
  }
}

/* Values longer than any date are refused without overrunning anything. */
static void test_retry_after_long(void **state) {
  char big[4096];
  int64_t wait;
  (void)state;

  memset(big, 'A', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_false(sbi_retry_after_parse(big, 0, &wait));
  memcpy(big, "Sun, 06 Nov 1994 08:49:37 GMT", 29);
  assert_false(sbi_retry_after_parse(big, 0, &wait));
  memset(big, ' ', sizeof big - 1);
  assert_false(sbi_retry_after_parse(big, 0, &wait));
  memcpy(big + 2000, "42", 2);
  assert_true(sbi_retry_after_parse(big, 0, &wait));
  assert_int_equal(wait, 42000);
}

static void test_backoff_bounds(void **state) {
  const int64_t initial = 500, max = 60000;
  int attempt, i;
  (void)state;

  for (attempt = 1; attempt <= 12; attempt++) {
    int64_t cap = initial << (attempt - 1), hi = -1, lo = INT64_MAX;
    if (cap > max)
      cap = max;
    for (i = 0; i < 1000; i++) {
      int64_t d = sbi_backoff_ms(attempt, initial, max);
      if (d < 0 || d > cap) {
        print_error("attempt %d: %" PRId64 " outside [0, %" PRId64 "]\n",
                    attempt, d, cap);
        fail();
      }
      hi = d > hi ? d : hi;
      lo = d < lo ? d : lo;
    }
    /* Full jitter spans the whole range. */
    assert_true(hi > cap / 2);
    assert_true(lo < cap / 2);
  }
}

/* Large attempts, caps and odd inputs never overflow. */
static void test_backoff_extremes(void **state) {
  static const int attempts[] = {0,  -1, INT_MIN, 62,   63,
                                 64, 65, 100,     1000, INT_MAX};
  size_t a;
  int i;
  (void)state;

  for (a = 0; a < COUNT(attempts); a++) {
    int64_t hi = 0;
    for (i = 0; i < 200; i++) {
      int64_t d = sbi_backoff_ms(attempts[a], 500, 60000);
      int64_t e = sbi_backoff_ms(attempts[a], 1, INT64_MAX);
      int64_t f = sbi_backoff_ms(attempts[a], INT64_MAX, INT64_MAX);
      assert_true(d >= 0 && d <= (attempts[a] <= 1 ? 500 : 60000));
      assert_true(e >= 0);
      assert_true(f >= 0);
      hi = d > hi ? d : hi;
    }
    assert_true(hi > (attempts[a] <= 1 ? 250 : 30000));
  }
  /* 1 << 62 fits; the cap is reached exactly at 2^62. */
  for (i = 0; i < 200; i++)
    assert_true(sbi_backoff_ms(63, 1, INT64_C(1) << 62) <= INT64_C(1) << 62);
  /* A cap below the initial value still caps. */
  for (i = 0; i < 200; i++)
    assert_true(sbi_backoff_ms(1, 5000, 100) <= 100);
  assert_int_equal(sbi_backoff_ms(3, 0, 60000), 0);
  assert_int_equal(sbi_backoff_ms(3, -5, 60000), 0);
  assert_int_equal(sbi_backoff_ms(3, 500, 0), 0);
  assert_int_equal(sbi_backoff_ms(3, 500, -1), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classify),
      cmocka_unit_test(test_classify_cap_floor),
      cmocka_unit_test(test_retry_after_bound),
      cmocka_unit_test(test_outcome_codes),
      cmocka_unit_test(test_budget_counts_retries),
      cmocka_unit_test(test_budget_bounds_waits),
      cmocka_unit_test(test_budget_time),
      cmocka_unit_test(test_advice_agrees_with_matrix),
      cmocka_unit_test(test_advice_printable),
      cmocka_unit_test(test_advice_names_the_limit),
      cmocka_unit_test(test_sender_request_timeouts),
      cmocka_unit_test(test_sender_retries_410),
      cmocka_unit_test(test_retry_after),
      cmocka_unit_test(test_retry_after_against_libc),
      cmocka_unit_test(test_two_digit_year),
      cmocka_unit_test(test_http_date),
      cmocka_unit_test(test_retry_after_long),
      cmocka_unit_test(test_backoff_bounds),
      cmocka_unit_test(test_backoff_extremes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
