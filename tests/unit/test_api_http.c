/* How the reader handles answers: retries and waits (Retry-After,
 * msBeforeNext, X-RateLimit-Reset), errors and their advice, broken
 * bodies, results and pagers. A scripted transport plays the server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "core/clock.h"
#include "setup.h"
#include "transport/transport.h"

#define MAX_STEPS 24

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define EXAMPLE_MS INT64_C(784111777000)

typedef struct step {
  int status;
  int error; /* a transport failure instead of an answer */
  const char *headers;
  const char *body;
} step;

typedef struct script {
  sbi_transport base; /* first, so the transport pointer is the script */
  step steps[MAX_STEPS];
  size_t count, next;
  int64_t sent_at[MAX_STEPS];  /* monotonic ms of each request */
  int64_t timeouts[MAX_STEPS]; /* the cap each request was given */
  char urls[MAX_STEPS][256];
} script;

static int script_send(sbi_transport *t, const sbi_http_request *req,
                       sbi_http_response *resp) {
  script *s = (script *)t;
  const step *st;

  sbi_http_response_reset(resp);
  assert_true(s->next < s->count); /* no more requests than scripted */
  st = &s->steps[s->next];
  s->sent_at[s->next] = sbi_clock_mono_ms();
  s->timeouts[s->next] = req->timeout_ms;
  snprintf(s->urls[s->next], sizeof s->urls[0], "%s", req->url);
  s->next++;
  if (st->error != SEGB_OK) {
    snprintf(resp->error_text, sizeof resp->error_text,
             "request to example failed: scripted");
    return resp->error = st->error;
  }
  resp->status = st->status;
  if (st->headers != NULL)
    assert_int_equal(sbi_buf_puts(&resp->headers, st->headers), SEGB_OK);
  if (st->body != NULL)
    assert_int_equal(sbi_buf_puts(&resp->body, st->body), SEGB_OK);
  return SEGB_OK;
}

/* Freed by the reader that owns it; the test keeps reading it before. */
static void script_destroy(sbi_transport *t) { free(t); }

typedef struct fixture {
  script *s;
  segb_reader_t *r;
} fixture;

/* A reader on a script of @n steps, with fast retries, and @extra
 * settings as name, value pairs ending in NULL (NULL for none). */
static void start(fixture *f, const step *steps, size_t n,
                  const char *const *extra) {
  static const char *const settings[] = {"public_api.token",
                                         "s3cr3t",
                                         "profile_api.token",
                                         "ptok",
                                         "profile_api.space_id",
                                         "spa",
                                         "retry.backoff_initial_ms",
                                         "5",
                                         "retry.backoff_max_ms",
                                         "20",
                                         "retry.max_attempts",
                                         "3",
                                         NULL};
  segb_config_t *conf = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];
  size_t i;

  for (i = 0; settings[i] != NULL; i += 2)
    assert_int_equal(
        segb_config_set(conf, settings[i], settings[i + 1], err, sizeof err),
        SEGB_OK);
  for (i = 0; extra != NULL && extra[i] != NULL; i += 2)
    assert_int_equal(
        segb_config_set(conf, extra[i], extra[i + 1], err, sizeof err),
        SEGB_OK);
  f->s = calloc(1, sizeof *f->s);
  assert_non_null(f->s);
  f->s->base.send = script_send;
  f->s->base.destroy = script_destroy;
  memcpy(f->s->steps, steps, n * sizeof *steps);
  f->s->count = n;
  f->r = sbi_reader_new(conf, &f->s->base, err, sizeof err);
  if (f->r == NULL)
    fail_msg("reader: %s", err);
}

/* Server-asked waits are not counted retries: none are allowed here. */
static const char *const no_retries[] = {"retry.max_attempts", "0", NULL};

static void finish(fixture *f) {
  assert_int_equal(f->s->next, f->s->count); /* every step was used */
  segb_reader_destroy(f->r);
}

static int64_t gap(const fixture *f, size_t i) {
  return f->s->sent_at[i] - f->s->sent_at[i - 1];
}

static int contains(const char *s, const char *part) {
  if (strstr(s, part) != NULL)
    return 1;
  print_error("\"%s\" does not contain \"%s\"\n", s, part);
  return 0;
}

#define WORKSPACE "{\"data\":{\"workspace\":{\"id\":\"ws\",\"name\":\"W\"}}}"

static void test_result_accessors(void **state) {
  static const step steps[] = {{200, 0, NULL, WORKSPACE}};
  fixture f;
  segb_result_t *res;
  size_t len = 0;
  (void)state;
  start(&f, steps, 1, NULL);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_OK);
  assert_string_equal(segb_json_get_string(segb_result_data(res), "name"), "W");
  assert_string_equal(
      segb_json_get_string(segb_result_json(res), "data.workspace.id"), "ws");
  assert_string_equal(segb_result_text(res, &len), WORKSPACE);
  assert_int_equal(len, strlen(WORKSPACE));
  assert_null(segb_result_next_cursor(res));
  finish(&f); /* a result outlives its reader */
  assert_string_equal(segb_json_get_string(segb_result_data(res), "id"), "ws");
  segb_result_destroy(res);
  segb_result_destroy(NULL);
  assert_null(segb_result_data(NULL));
  assert_null(segb_result_json(NULL));
  assert_null(segb_result_text(NULL, &len));
  assert_null(segb_result_next_cursor(NULL));
}

static void test_public_401_advice(void **state) {
  static const step steps[] = {
      {401, 0, NULL,
       "{\"errors\":[{\"type\":\"unauthorized\",\"message\":\"nope\"}]}"}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 1, NULL);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_AUTH);
  assert_null(res);
  assert_true(contains(segb_last_error_message(),
                       "Public API token rejected: check the token type "
                       "(Public API, not Config API) and the region"));
  assert_true(contains(segb_last_error_message(), "api.segmentapis.com"));
  assert_true(contains(segb_last_error_message(), "401: unauthorized: nope"));
  assert_null(strstr(segb_last_error_message(), "s3cr3t"));
  finish(&f); /* one request: a 401 is not retried */
}

static void test_profile_401_and_404(void **state) {
  static const step steps[] = {
      {403, 0, NULL, "{\"error\":{\"code\":\"authentication_error\"}}"},
      {404, 0, NULL,
       "{\"error\":{\"code\":\"not_found\",\"message\":\"Profile was not "
       "found.\"}}"}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 2, NULL);
  assert_int_equal(
      segb_profile_get(f.r, SEGB_PROFILE_TRAITS, "user_id:u", NULL, NULL, &res),
      SEGB_ERR_AUTH);
  assert_true(
      contains(segb_last_error_message(), "Profile API token rejected"));
  assert_int_equal(
      segb_profile_get(f.r, SEGB_PROFILE_TRAITS, "user_id:u", NULL, NULL, &res),
      SEGB_ERR_NOT_FOUND);
  assert_null(res);
  assert_true(
      contains(segb_last_error_message(), "no profile user_id:u in space spa"));
  assert_true(contains(segb_last_error_message(), "Profile was not found."));
  finish(&f);
}

static void test_retry_then_success(void **state) {
  static const step steps[] = {{500, 0, NULL, "oops"},
                               {0, SEGB_ERR_CONNECT, NULL, NULL},
                               {503, 0, NULL, NULL},
                               {200, 0, NULL, WORKSPACE}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 4, NULL);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_OK);
  segb_result_destroy(res);
  finish(&f);
}

static const char *const two_retries[] = {"retry.max_attempts", "2", NULL};

static void test_retries_run_out(void **state) {
  static const step steps[] = {
      {502, 0, NULL, NULL}, {502, 0, NULL, NULL}, {502, 0, NULL, "Bad gw"}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 3, two_retries);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_SERVER);
  assert_true(contains(segb_last_error_message(),
                       "gave up after 3 requests: api.segmentapis.com "
                       "answered HTTP 502 (Bad gw)"));
  finish(&f);
}

static void test_not_retried(void **state) {
  static const step steps[] = {
      {422, 0, NULL,
       "{\"errors\":[{\"type\":\"ValidationError\",\"message\":\"bad "
       "count\"}]}"},
      {0, SEGB_ERR_TLS, NULL, NULL}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 2, NULL);
  assert_int_equal(segb_sources_list(f.r, 5, NULL, &res), SEGB_ERR_REJECTED);
  assert_true(contains(segb_last_error_message(),
                       "HTTP 422 (ValidationError: bad count)"));
  assert_int_equal(segb_sources_list(f.r, 5, NULL, &res), SEGB_ERR_TLS);
  assert_true(contains(segb_last_error_message(), "certificate"));
  finish(&f);
}

static void test_429_retry_after(void **state) {
  static const step steps[] = {{429, 0, "Retry-After: 0\r\n", NULL},
                               {200, 0, NULL, WORKSPACE}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 2, no_retries);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_OK);
  segb_result_destroy(res);
  finish(&f);
}

static void test_429_ms_before_next(void **state) {
  static const step steps[] = {
      {429, 0, NULL,
       "{\"errors\":[{\"type\":\"RequestError\",\"message\":\"Too many "
       "requests\",\"data\":{\"msBeforeNext\":150}}]}"},
      {200, 0, NULL, WORKSPACE}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 2, no_retries);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_OK);
  assert_true(gap(&f, 1) >= 150);
  segb_result_destroy(res);
  finish(&f);
}

static int64_t example_clock(void) { return EXAMPLE_MS - 250; }

static void test_429_rate_limit_reset(void **state) {
  static const step steps[] = {
      {429, 0, "X-RateLimit-Reset: Sun, 06 Nov 1994 08:49:37 GMT\r\n", NULL},
      {200, 0, NULL, WORKSPACE}};
  fixture f;
  segb_result_t *res;
  (void)state;
  sbi_clock_set_override(example_clock); /* 250 ms before the reset */
  start(&f, steps, 2, no_retries);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_OK);
  sbi_clock_set_override(NULL);
  assert_true(gap(&f, 1) >= 250);
  assert_true(gap(&f, 1) < 5000);
  segb_result_destroy(res);
  finish(&f);
}

/* Waits the server asks for are not counted, but bounded as the sender's
 * are (one retry budget): at most retry.max_attempts + 20 requests. */
static void test_429_waits_bounded(void **state) {
  static const step wait_now = {
      429, 0, NULL,
      "{\"errors\":[{\"type\":\"RequestError\",\"message\":\"Too many "
      "requests\",\"data\":{\"msBeforeNext\":0}}]}"};
  step steps[21];
  fixture f;
  segb_result_t *res;
  size_t i;
  (void)state;

  for (i = 0; i < 21; i++)
    steps[i] = wait_now;
  start(&f, steps, 21, no_retries);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_RATE_LIMITED);
  assert_true(contains(segb_last_error_message(), "gave up after 21 requests"));
  finish(&f);
}

/* A wait past the retry budget ends the call at once: well before the
 * 120 s the server asked for (the bound is a hang guard, not a timing), and
 * after one request. */
static void test_429_wait_past_budget(void **state) {
  static const step steps[] = {{429, 0, "Retry-After: 120\r\n",
                                "{\"errors\":[{\"type\":\"RequestError\","
                                "\"message\":\"Too many requests\"}]}"}};
  static const char *const budget[] = {"retry.total_timeout_ms", "1000", NULL};
  fixture f;
  segb_result_t *res;
  int64_t t0 = sbi_clock_mono_ms();
  (void)state;
  start(&f, steps, 1, budget);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_RATE_LIMITED);
  assert_true(sbi_clock_mono_ms() - t0 < 60000);
  assert_int_equal(f.s->next, 1);
  assert_true(contains(segb_last_error_message(), "Too many requests"));
  assert_true(contains(segb_last_error_message(), "upgrade the Segment plan"));
  finish(&f);
}

/* A server asking to wait again and again: the call ends at
 * api.timeout_ms with SEGB_ERR_TIMED_OUT, each request cut at what is
 * left, and no wait starts that would end past the deadline. */
static void test_call_deadline(void **state) {
  static const step steps[] = {{429, 0, "Retry-After: 2\r\n", NULL},
                               {429, 0, "Retry-After: 2\r\n", NULL},
                               {429, 0, "Retry-After: 2\r\n", NULL}};
  static const char *const deadline[] = {"api.timeout_ms", "3000", NULL};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 3, deadline);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_TIMED_OUT);
  assert_null(res);
  /* at 0 s and 2 s; a wait from there would end at 4 s */
  assert_true(f.s->next >= 1 && f.s->next <= 2);
  assert_true(f.s->timeouts[0] > 0 && f.s->timeouts[0] <= 3000);
  if (f.s->next == 2)
    assert_true(f.s->timeouts[1] > 0 && f.s->timeouts[1] <= 1000);
  assert_true(contains(segb_last_error_message(),
                       "out of time (api.timeout_ms is 3000 ms)"));
  assert_true(contains(segb_last_error_message(), "HTTP 429"));
  segb_reader_destroy(f.r);
}

/* Text a server quotes from the request loses the credential, also when
 * the excerpt is cut through it. */
#define LONG_TOKEN "tok_0123456789abcdefghijklmnopqrstuvwxyz"
#define PAD20 "...................."
#define PAD140 PAD20 PAD20 PAD20 PAD20 PAD20 PAD20 PAD20

static void test_echoed_token_redacted(void **state) {
  static const step steps[] = {
      {400, 0, NULL,
       "{\"errors\":[{\"type\":\"RequestError\",\"message\":\"" PAD140
       " Authorization: Bearer " LONG_TOKEN "\"}]}"},
      {401, 0, NULL,
       PAD20 PAD20 PAD20 PAD20 PAD20 PAD20 ".... Bearer " LONG_TOKEN},
      {422, 0, NULL, "Bearer " LONG_TOKEN " is not welcome"}};
  static const char *const token[] = {"public_api.token", LONG_TOKEN, NULL};
  fixture f;
  segb_result_t *res;
  int i;
  (void)state;
  start(&f, steps, 3, token);
  for (i = 0; i < 3; i++) {
    assert_int_not_equal(segb_workspace_get(f.r, &res), SEGB_OK);
    assert_true(contains(segb_last_error_message(), "Bearer [redacted]"));
    assert_null(strstr(segb_last_error_message(), "tok_0123"));
  }
  finish(&f);
}

static void test_broken_bodies(void **state) {
  static const step steps[] = {
      {200, 0, NULL, "{\"data\":{\"workspace\":{\"id\":\"w"},
      {200, 0, NULL, "{\"data\": nope}"},
      {200, 0, NULL, ""},
      {200, 0, NULL, "{\"data\":{\"sources\":[]}}"},
      {200, 0, NULL, "[]"}};
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, steps, 5, NULL);
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_BAD_RESPONSE);
  assert_true(contains(segb_last_error_message(), "truncated"));
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_BAD_RESPONSE);
  assert_true(contains(segb_last_error_message(), "not valid JSON"));
  assert_true(contains(segb_last_error_message(), "at byte 9"));
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_BAD_RESPONSE);
  assert_true(contains(segb_last_error_message(), "empty body"));
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_BAD_RESPONSE);
  assert_true(contains(segb_last_error_message(), "has no data.workspace"));
  assert_int_equal(segb_workspace_get(f.r, &res), SEGB_ERR_BAD_RESPONSE);
  assert_null(res);
  finish(&f);
}

#define PAGE(items, next)                                                      \
  "{\"data\":{\"sources\":[" items "],\"pagination\":{\"next\":" next "}}}"

static void test_pager_walks_once(void **state) {
  static const step steps[] = {
      {200, 0, NULL, PAGE("{\"id\":\"a\"},{\"id\":\"b\"}", "\"c2\"")},
      {500, 0, NULL, NULL}, /* retried inside the call */
      {200, 0, NULL, PAGE("{\"id\":\"c\"},{\"id\":\"d\"}", "\"c3\"")},
      {200, 0, NULL, PAGE("{\"id\":\"e\"}", "null")}};
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  char ids[8] = "";
  (void)state;
  start(&f, steps, 4, NULL);
  assert_int_equal(segb_sources_pager(f.r, 2, &p), SEGB_OK);
  for (;;) {
    const segb_json_t *e;
    assert_int_equal(segb_pager_next(p, &page), SEGB_OK);
    if (page == NULL)
      break;
    for (e = segb_json_first(segb_result_data(page)); e != NULL;
         e = segb_json_next(e))
      strcat(ids, segb_json_get_string(e, "id"));
    segb_result_destroy(page);
  }
  assert_string_equal(ids, "abcde");
  /* done stays done, without requests */
  assert_int_equal(segb_pager_next(p, &page), SEGB_OK);
  assert_null(page);
  assert_string_equal(f.s->urls[0], "https://api.segmentapis.com/sources"
                                    "?pagination.count=2");
  assert_string_equal(f.s->urls[2], "https://api.segmentapis.com/sources"
                                    "?pagination.count=2&pagination.cursor=c2");
  assert_string_equal(f.s->urls[3], "https://api.segmentapis.com/sources"
                                    "?pagination.count=2&pagination.cursor=c3");
  segb_pager_destroy(p);
  segb_pager_destroy(NULL);
  finish(&f);
}

static void test_pager_error_then_same_page(void **state) {
  static const step steps[] = {
      {200, 0, NULL, PAGE("", "\"c2\"")},
      {400, 0, NULL, NULL},
      {200, 0, NULL, PAGE("", "\"c2\"")}}; /* c2 again: would loop */
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  (void)state;
  start(&f, steps, 3, NULL);
  assert_int_equal(segb_sources_pager(f.r, 0, &p), SEGB_OK);
  assert_int_equal(segb_pager_next(p, &page), SEGB_OK);
  segb_result_destroy(page);
  assert_int_equal(segb_pager_next(p, &page), SEGB_ERR_REJECTED);
  assert_null(page);
  assert_int_equal(segb_pager_next(p, &page), SEGB_ERR_BAD_RESPONSE);
  assert_null(page);
  assert_int_equal(segb_pager_next(p, &page), SEGB_OK); /* ended */
  assert_null(page);
  assert_string_equal(f.s->urls[1], f.s->urls[2]); /* the same page asked */
  segb_pager_destroy(p);
  finish(&f);
}

/* Cursors that come back after other pages run in a cycle: the walk
 * stops at the page that points back, having requested each page once. */
static void test_pager_cycle(void **state) {
  static const step steps[] = {
      {200, 0, NULL, PAGE("", "\"c1\"")},
      {200, 0, NULL, PAGE("", "\"c2\"")},
      {200, 0, NULL, PAGE("", "\"c1\"")}, /* back to page 2 */
      {200, 0, NULL,
       "{\"traits\":{},\"cursor\":{\"has_more\":true,\"next\":\"a\"}}"},
      {200, 0, NULL,
       "{\"traits\":{},\"cursor\":{\"has_more\":true,\"next\":\"b\"}}"},
      {200, 0, NULL,
       "{\"traits\":{},\"cursor\":{\"has_more\":true,\"next\":\"c\"}}"},
      {200, 0, NULL,
       "{\"traits\":{},\"cursor\":{\"has_more\":true,\"next\":\"a\"}}"}};
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  int pages;
  (void)state;
  start(&f, steps, 7, NULL);
  assert_int_equal(segb_sources_pager(f.r, 0, &p), SEGB_OK);
  for (pages = 0; segb_pager_next(p, &page) == SEGB_OK; pages++)
    segb_result_destroy(page);
  assert_int_equal(segb_last_error(), SEGB_ERR_BAD_RESPONSE);
  assert_true(contains(segb_last_error_message(), "on page 3"));
  assert_true(contains(segb_last_error_message(), "cycle"));
  assert_int_equal(pages, 2);
  assert_int_equal(segb_pager_next(p, &page), SEGB_OK); /* ended */
  assert_null(page);
  segb_pager_destroy(p);
  assert_int_equal(
      segb_profile_pager(f.r, SEGB_PROFILE_TRAITS, "user_id:u", NULL, &p),
      SEGB_OK);
  for (pages = 0; segb_pager_next(p, &page) == SEGB_OK; pages++)
    segb_result_destroy(page);
  assert_int_equal(segb_last_error(), SEGB_ERR_BAD_RESPONSE);
  assert_int_equal(pages, 3);
  segb_pager_destroy(p);
  finish(&f); /* every page requested once */
}

#define TRAITS(more, next)                                                     \
  "{\"traits\":{\"a\":1},\"cursor\":{\"has_more\":" more ",\"next\":" next "}" \
  "}"

static void test_profile_cursor(void **state) {
  static const step steps[] = {
      {200, 0, NULL, TRAITS("true", "\"a\"")},
      {200, 0, NULL, TRAITS("false", "\"b\"")}, /* has_more wins */
      {200, 0, NULL, TRAITS("true", "\"\"")}};
  static const char *const params[] = {"limit", "1", NULL};
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  int pages = 0;
  (void)state;
  start(&f, steps, 3, NULL);
  assert_int_equal(
      segb_profile_pager(f.r, SEGB_PROFILE_TRAITS, "user_id:u", params, &p),
      SEGB_OK);
  while (segb_pager_next(p, &page) == SEGB_OK && page != NULL) {
    pages++;
    segb_result_destroy(page);
  }
  assert_int_equal(pages, 2);
  assert_non_null(strstr(f.s->urls[1], "?limit=1&next=a"));
  segb_pager_destroy(p);
  /* an empty next ends too */
  assert_int_equal(segb_profile_get(f.r, SEGB_PROFILE_TRAITS, "user_id:u", NULL,
                                    NULL, &page),
                   SEGB_OK);
  assert_null(segb_result_next_cursor(page));
  segb_result_destroy(page);
  finish(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_result_accessors),
      cmocka_unit_test(test_public_401_advice),
      cmocka_unit_test(test_profile_401_and_404),
      cmocka_unit_test(test_retry_then_success),
      cmocka_unit_test(test_retries_run_out),
      cmocka_unit_test(test_not_retried),
      cmocka_unit_test(test_429_retry_after),
      cmocka_unit_test(test_429_ms_before_next),
      cmocka_unit_test(test_429_rate_limit_reset),
      cmocka_unit_test(test_429_waits_bounded),
      cmocka_unit_test(test_429_wait_past_budget),
      cmocka_unit_test(test_call_deadline),
      cmocka_unit_test(test_echoed_token_redacted),
      cmocka_unit_test(test_broken_bodies),
      cmocka_unit_test(test_pager_walks_once),
      cmocka_unit_test(test_pager_error_then_same_page),
      cmocka_unit_test(test_pager_cycle),
      cmocka_unit_test(test_profile_cursor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
