/* The Public API and Profile API readers and Test Connection end to end:
 * real libcurl against the mock on loopback, through the public API only
 * (plus the mock's own API). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <segbridge/segbridge.h>

#include "mock.h"

#define API_TOKEN "pub-token"
#define PROFILE_TOKEN "profile-token"
#define WRITE_KEY "abc123"
#define SPACE "spa_test"

/* The mock's profile whose identifier needs every kind of escape. */
#define TRICKY_ID "user_id:jane doe/\xc3\xbc+1"

typedef struct fixture {
  sbm_mock *mock;
  segb_config_t *conf; /* until a reader or the test takes it */
  segb_reader_t *reader;
} fixture;

static void set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK)
    fail_msg("%s: %s", name, err);
}

/* A mock with @sources sources and @events events per profile, and a
 * config pointing every API at it, with fast retries. */
static void start(fixture *f, int sources, int events) {
  sbm_options mo;
  char err[256];

  memset(f, 0, sizeof *f);
  memset(&mo, 0, sizeof mo);
  mo.quiet = 1;
  mo.write_key = WRITE_KEY;
  mo.api_token = API_TOKEN;
  mo.profile_token = PROFILE_TOKEN;
  mo.space_id = SPACE;
  mo.api_sources = sources;
  mo.profile_events = events;
  f->mock = sbm_start(&mo, err, sizeof err);
  if (f->mock == NULL)
    fail_msg("mock: %s", err);
  f->conf = segb_config_new();
  set(f->conf, "public_api.token", API_TOKEN);
  set(f->conf, "profile_api.token", PROFILE_TOKEN);
  set(f->conf, "profile_api.space_id", SPACE);
  set(f->conf, "public_api.endpoint", sbm_url(f->mock));
  set(f->conf, "profile_api.endpoint", sbm_url(f->mock));
  set(f->conf, "endpoint", sbm_url(f->mock));
  set(f->conf, "write_key", WRITE_KEY);
  set(f->conf, "retry.backoff_initial_ms", "10");
  set(f->conf, "retry.backoff_max_ms", "50");
  set(f->conf, "http.timeout_ms", "5000");
}

static void open_reader(fixture *f) {
  char err[SEGB_ERRSTR_SIZE];
  f->reader = segb_reader_new(f->conf, err, sizeof err);
  if (f->reader == NULL)
    fail_msg("reader: %s", err);
  f->conf = NULL;
}

static void finish(fixture *f) {
  segb_reader_destroy(f->reader);
  segb_config_destroy(f->conf);
  sbm_stop(f->mock);
}

static sbm_stats stats(fixture *f) {
  sbm_stats st;
  sbm_get_stats(f->mock, &st);
  return st;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int contains(const char *s, const char *part) {
  if (strstr(s, part) != NULL)
    return 1;
  print_error("\"%s\" does not contain \"%s\"\n", s, part);
  return 0;
}

/* ---- a scripted server ---------------------------------------------------
 * What the mock does not play. The first path segment picks the act:
 * /cycle/sources pages first -> A -> B -> A ..., and /echo<status>/...
 * answers <status> with a body that quotes the request's Authorization
 * header, as a debugging proxy or a careless server might. */

typedef struct scripted {
  struct MHD_Daemon *daemon;
  char url[64];
  atomic_int requests;
} scripted;

/* The error body /echo<status> answers: a Public API envelope for 400,
 * plain text for 401, httpbin-style JSON for the rest. */
static void echo_body(int status, const char *auth, char *out, size_t size) {
  if (status == 400)
    snprintf(out, size,
             "{\"errors\":[{\"type\":\"ValidationError\",\"message\":"
             "\"bad request; you sent Authorization: %s\"}]}",
             auth);
  else if (status == 401)
    snprintf(out, size, "Unauthorized.\nYou sent Authorization: %s\n", auth);
  else
    snprintf(out, size,
             "{\"error\":\"oops\",\"headers\":{\"Authorization\":\"%s\"}}",
             auth);
}

static enum MHD_Result scripted_answer(void *cls, struct MHD_Connection *conn,
                                       const char *url, const char *method,
                                       const char *version, const char *upload,
                                       size_t *upload_size, void **con_cls) {
  static int started;
  scripted *s = cls;
  const char *auth, *cursor;
  char body[1024];
  struct MHD_Response *r;
  enum MHD_Result ret;
  int status = 200;
  (void)method;
  (void)version;
  (void)upload;

  if (*con_cls == NULL) { /* headers are in; the body may follow */
    *con_cls = &started;
    return MHD_YES;
  }
  if (*upload_size > 0) { /* a batch: not looked at */
    *upload_size = 0;
    return MHD_YES;
  }
  atomic_fetch_add(&s->requests, 1);
  auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  if (strncmp(url, "/cycle/", 7) == 0) {
    cursor = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                         "pagination.cursor");
    snprintf(body, sizeof body,
             "{\"data\":{\"sources\":[{\"id\":\"src_%s\"}],"
             "\"pagination\":{\"next\":\"%s\"}}}",
             cursor != NULL ? cursor : "first",
             cursor != NULL && strcmp(cursor, "A") == 0 ? "B" : "A");
  } else if (sscanf(url, "/echo%d/", &status) == 1) {
    echo_body(status, auth != NULL ? auth : "(none)", body, sizeof body);
  } else {
    status = 404;
    snprintf(body, sizeof body, "{}");
  }
  r = MHD_create_response_from_buffer(strlen(body), body,
                                      MHD_RESPMEM_MUST_COPY);
  ret = MHD_queue_response(conn, (unsigned)status, r);
  MHD_destroy_response(r);
  return ret;
}

static scripted *scripted_start(void) {
  scripted *s = calloc(1, sizeof *s);
  struct sockaddr_in addr;
  const union MHD_DaemonInfo *info;

  assert_non_null(s);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
      NULL, scripted_answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_END);
  assert_non_null(s->daemon);
  info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  assert_non_null(info);
  snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", (unsigned)info->port);
  return s;
}

static void scripted_stop(scripted *s) {
  MHD_stop_daemon(s->daemon);
  free(s);
}

/* ---- Public API -------------------------------------------------------- */

static void test_sources_every_page_once(void **state) {
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  int seen[24] = {0}, pages = 0, total = 0, i;
  (void)state;
  start(&f, 23, 0);
  open_reader(&f);
  assert_int_equal(segb_sources_pager(f.reader, 5, &p), SEGB_OK);
  for (;;) {
    const segb_json_t *list, *e;
    size_t n;
    assert_int_equal(segb_pager_next(p, &page), SEGB_OK);
    if (page == NULL)
      break;
    list = segb_result_data(page);
    n = segb_json_count(list);
    /* every page but the last is full; none is larger */
    assert_int_equal(n, pages < 4 ? 5 : 3);
    for (e = segb_json_first(list); e != NULL; e = segb_json_next(e)) {
      int id = 0;
      assert_int_equal(sscanf(segb_json_get_string(e, "id"), "src_%d", &id), 1);
      assert_true(id >= 1 && id <= 23);
      assert_int_equal(id, total + 1); /* in order */
      seen[id]++;
      total++;
    }
    pages++;
    segb_result_destroy(page);
  }
  segb_pager_destroy(p);
  assert_int_equal(pages, 5);
  for (i = 1; i <= 23; i++)
    assert_int_equal(seen[i], 1);
  assert_int_equal(stats(&f).requests, 5); /* one request per page */
  finish(&f);
}

static void test_sources_by_hand(void **state) {
  fixture f;
  segb_result_t *res, *res2;
  const char *cursor;
  (void)state;
  start(&f, 7, 0);
  open_reader(&f);
  assert_int_equal(segb_sources_list(f.reader, 2, NULL, &res), SEGB_OK);
  cursor = segb_result_next_cursor(res);
  assert_non_null(cursor);
  assert_int_equal(cursor[0], '+'); /* the mock's cursors need escaping */
  /* the cursor works: the mock decodes it only if it was encoded */
  assert_int_equal(segb_sources_list(f.reader, 2, cursor, &res2), SEGB_OK);
  assert_string_equal(segb_json_get_string(segb_result_data(res2), "0.id"),
                      "src_003");
  assert_int_equal(
      segb_json_get_string(segb_result_json(res2), "data.pagination.next")[0],
      '+');
  segb_result_destroy(res);
  segb_result_destroy(res2);

  /* the default page takes everything */
  assert_int_equal(segb_sources_list(f.reader, 0, NULL, &res), SEGB_OK);
  assert_int_equal(segb_json_count(segb_result_data(res)), 7);
  assert_null(segb_result_next_cursor(res));
  segb_result_destroy(res);

  assert_int_equal(segb_source_get(f.reader, "src_007", &res), SEGB_OK);
  assert_string_equal(segb_json_get_string(segb_result_data(res), "name"),
                      "Source 7");
  segb_result_destroy(res);
  assert_int_equal(segb_source_get(f.reader, "src_008", &res),
                   SEGB_ERR_NOT_FOUND);
  assert_null(res);
  assert_true(contains(segb_last_error_message(), "no source src_008"));
  finish(&f);
}

static void test_workspace_and_bad_token(void **state) {
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, 0, 0);
  set(f.conf, "public_api.token", "a-config-api-token");
  open_reader(&f);
  assert_int_equal(segb_workspace_get(f.reader, &res), SEGB_ERR_AUTH);
  assert_true(contains(segb_last_error_message(),
                       "Public API token rejected: check the token type "
                       "(Public API, not Config API) and the region"));
  assert_true(contains(segb_last_error_message(), "invalid token"));
  assert_null(strstr(segb_last_error_message(), "a-config-api-token"));
  assert_int_equal(stats(&f).requests, 1); /* not retried */
  segb_reader_destroy(f.reader);
  f.reader = NULL;

  f.conf = segb_config_new();
  set(f.conf, "public_api.token", API_TOKEN);
  set(f.conf, "public_api.endpoint", sbm_url(f.mock));
  open_reader(&f);
  assert_int_equal(segb_workspace_get(f.reader, &res), SEGB_OK);
  assert_string_equal(segb_json_get_string(segb_result_data(res), "name"),
                      "Mock Workspace");
  segb_result_destroy(res);
  finish(&f);
}

static void test_broken_responses(void **state) {
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  assert_int_equal(segb_source_get(f.reader, "src_truncated", &res),
                   SEGB_ERR_BAD_RESPONSE);
  assert_null(res);
  assert_true(contains(segb_last_error_message(), "truncated"));
  assert_true(contains(segb_last_error_message(), "127.0.0.1"));
  assert_int_equal(segb_source_get(f.reader, "src_malformed", &res),
                   SEGB_ERR_BAD_RESPONSE);
  assert_true(contains(segb_last_error_message(), "not valid JSON"));
  finish(&f);
}

/* A server whose cursors run in a cycle, first -> A -> B -> A: the walk
 * ends with an error instead of reading A and B again forever. */
static void test_sources_cursor_cycle(void **state) {
  scripted *srv = scripted_start();
  segb_config_t *conf = segb_config_new();
  char url[96], err[SEGB_ERRSTR_SIZE];
  segb_reader_t *r;
  segb_pager_t *p;
  segb_result_t *page;
  int pages = 0, rc = SEGB_OK, i;
  (void)state;
  snprintf(url, sizeof url, "%s/cycle", srv->url);
  set(conf, "public_api.token", API_TOKEN);
  set(conf, "public_api.endpoint", url);
  r = segb_reader_new(conf, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(segb_sources_pager(r, 1, &p), SEGB_OK);
  for (i = 0; i < 10; i++) { /* bounded: without the check it never ends */
    rc = segb_pager_next(p, &page);
    if (rc != SEGB_OK || page == NULL)
      break;
    pages++;
    segb_result_destroy(page);
  }
  assert_int_equal(rc, SEGB_ERR_BAD_RESPONSE);
  assert_null(page);
  assert_true(contains(segb_last_error_message(), "cycle"));
  assert_int_equal(pages, 2); /* first and A; B pointed back to A */
  assert_int_equal(atomic_load(&srv->requests), 3);
  /* the walk is over, without another request */
  assert_int_equal(segb_pager_next(p, &page), SEGB_OK);
  assert_null(page);
  assert_int_equal(atomic_load(&srv->requests), 3);
  segb_pager_destroy(p);
  segb_reader_destroy(r);
  scripted_stop(srv);
}

/* "." and ".." are path steps, not ids: libcurl would collapse them
 * (segb_source_get(r, "..") used to send GET /). They are refused before
 * anything is sent; ids that merely hold dots go through as they are. */
static void test_dot_segments(void **state) {
  fixture f;
  segb_result_t *res;
  segb_reader_t *r;
  char *path, err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  assert_int_equal(segb_source_get(f.reader, "..", &res), SEGB_ERR_INVALID_ARG);
  assert_null(res);
  assert_true(contains(segb_last_error_message(), "path step"));
  assert_int_equal(segb_source_get(f.reader, ".", &res), SEGB_ERR_INVALID_ARG);
  assert_int_equal(stats(&f).requests, 0);

  assert_int_equal(segb_source_get(f.reader, "..x", &res), SEGB_ERR_NOT_FOUND);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, "user_id:..",
                                    NULL, NULL, &res),
                   SEGB_ERR_NOT_FOUND);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, "..:..",
                                    NULL, NULL, &res),
                   SEGB_ERR_NOT_FOUND);
  path = sbm_request_path(f.mock, 0);
  assert_string_equal(path, "/sources/..x");
  free(path);
  path = sbm_request_path(f.mock, 1);
  assert_string_equal(path, "/v1/spaces/" SPACE "/collections/users/"
                            "profiles/user_id:../traits");
  free(path);
  path = sbm_request_path(f.mock, 2);
  assert_string_equal(path, "/v1/spaces/" SPACE "/collections/users/"
                            "profiles/..:../traits");
  free(path);

  /* a space ID of ".." is a setting gone wrong */
  conf = segb_config_new();
  set(conf, "profile_api.token", PROFILE_TOKEN);
  set(conf, "profile_api.space_id", "..");
  set(conf, "profile_api.endpoint", sbm_url(f.mock));
  r = segb_reader_new(conf, err, sizeof err);
  assert_non_null(r);
  assert_int_equal(
      segb_profile_get(r, SEGB_PROFILE_TRAITS, "user_id:u-1", NULL, NULL, &res),
      SEGB_ERR_INVALID_VALUE);
  assert_true(contains(segb_last_error_message(), "profile_api.space_id"));
  segb_reader_destroy(r);
  assert_int_equal(stats(&f).requests, 3);
  finish(&f);
}

/* ---- rate limits -------------------------------------------------------- */

static void test_429_ms_before_next(void **state) {
  fixture f;
  segb_result_t *res;
  int64_t t0;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "retry.max_attempts", "0"); /* the waits are not retries */
  open_reader(&f);
  sbm_api_throttle(f.mock, 2, 200);
  t0 = now_ms();
  assert_int_equal(segb_workspace_get(f.reader, &res), SEGB_OK);
  assert_true(now_ms() - t0 >= 400);
  segb_result_destroy(res);
  assert_int_equal(stats(&f).faults, 2);
  assert_int_equal(stats(&f).requests, 3);
  finish(&f);
}

static void test_429_retry_after(void **state) {
  fixture f;
  segb_result_t *res;
  int64_t t0;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  sbm_script(f.mock, SBM_FAULT_429, 1, 1); /* Retry-After: 1 */
  t0 = now_ms();
  assert_int_equal(segb_source_get(f.reader, "src_001", &res), SEGB_OK);
  assert_true(now_ms() - t0 >= 1000);
  segb_result_destroy(res);
  finish(&f);
}

static void test_429_profile_backoff(void **state) {
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, 1, 3);
  open_reader(&f);
  sbm_api_throttle(f.mock, 2, 0); /* the Profile API's 429 says no wait */
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_EVENTS,
                                    "user_id:u-1", NULL, NULL, &res),
                   SEGB_OK);
  assert_int_equal(segb_json_count(segb_result_data(res)), 3);
  segb_result_destroy(res);
  assert_int_equal(stats(&f).requests, 3);
  finish(&f);
}

static void test_429_budget_runs_out(void **state) {
  fixture f;
  segb_result_t *res;
  int64_t t0;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "retry.total_timeout_ms", "300");
  open_reader(&f);
  sbm_api_throttle(f.mock, 10, 200);
  t0 = now_ms();
  /* RATE_LIMITED, not the answer after the tenth 429: the budget ended the
   * retries. The bound only guards against a hang. */
  assert_int_equal(segb_workspace_get(f.reader, &res), SEGB_ERR_RATE_LIMITED);
  assert_true(now_ms() - t0 < 60000);
  assert_true(contains(segb_last_error_message(), "Too many requests"));
  finish(&f);
}

/* A server that answers 429 Retry-After: 1 forever: the call ends at
 * api.timeout_ms, not after 31 requests and waits. */
static void test_deadline_429_forever(void **state) {
  fixture f;
  segb_result_t *res;
  int64_t t0;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "api.timeout_ms", "2500");
  open_reader(&f);
  sbm_script(f.mock, SBM_FAULT_429, 1000, 1);
  t0 = now_ms();
  assert_int_equal(segb_workspace_get(f.reader, &res), SEGB_ERR_TIMED_OUT);
  assert_null(res);
  assert_true(now_ms() - t0 < 60000); /* only against a hang */
  /* 1 s apart, and no wait starts that would end past 2.5 s */
  assert_true(stats(&f).requests >= 1);
  assert_true(stats(&f).requests <= 3);
  assert_true(contains(segb_last_error_message(), "api.timeout_ms"));
  assert_true(contains(segb_last_error_message(), "HTTP 429"));
  finish(&f);
}

/* A request that gets no answer is cut at what is left of the call's
 * deadline, whatever http.timeout_ms allows. */
static void test_deadline_cuts_request(void **state) {
  fixture f;
  segb_result_t *res;
  int64_t t0;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "http.timeout_ms", "600000");
  set(f.conf, "api.timeout_ms", "1000");
  open_reader(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, 100000);
  t0 = now_ms();
  assert_int_equal(segb_source_get(f.reader, "src_001", &res),
                   SEGB_ERR_TIMED_OUT);
  assert_true(now_ms() - t0 < 60000); /* only against a hang */
  assert_true(contains(segb_last_error_message(), "api.timeout_ms"));
  finish(&f); /* stopping the mock ends the delay */
}

/* ---- Profile API -------------------------------------------------------- */

static void test_profile_identifiers_escaped(void **state) {
  static const char *const ids[] = {TRICKY_ID, "email:jane+test@example.com",
                                    "phone_number:+15555550123"};
  fixture f;
  segb_result_t *res;
  char *path;
  size_t i;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  /* The mock decodes each raw path segment strictly and answers 400 for
   * a space, a non-ASCII byte or a raw '+': finding the profile proves
   * the escaping. */
  for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, ids[i],
                                      NULL, NULL, &res),
                     SEGB_OK);
    assert_string_equal(segb_json_get_string(segb_result_data(res), "name"),
                        "J\xc3\xbcrgen Test");
    segb_result_destroy(res);
  }
  /* libmicrohttpd's decoded path shows the slash came through as data */
  path = sbm_request_path(f.mock, 0);
  assert_string_equal(path, "/v1/spaces/" SPACE "/collections/users/"
                            "profiles/" TRICKY_ID "/traits");
  free(path);
  assert_int_equal(stats(&f).rejected, 0);
  finish(&f);
}

static void test_profile_not_found(void **state) {
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_METADATA,
                                    "user_id:nobody", NULL, NULL, &res),
                   SEGB_ERR_NOT_FOUND);
  assert_null(res);
  assert_true(contains(segb_last_error_message(),
                       "no profile user_id:nobody in space " SPACE));
  assert_true(contains(segb_last_error_message(), "Profile was not found."));
  /* ids are case-sensitive, as Segment's are */
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_METADATA,
                                    "email:Jane@example.com", NULL, NULL, &res),
                   SEGB_ERR_NOT_FOUND);
  finish(&f);
}

static void test_profile_events_every_page_once(void **state) {
  static const char *const params[] = {"limit", "7", NULL};
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  int pages = 0, total = 0;
  (void)state;
  start(&f, 1, 30);
  open_reader(&f);
  assert_int_equal(segb_profile_pager(f.reader, SEGB_PROFILE_EVENTS,
                                      "user_id:u-1", params, &p),
                   SEGB_OK);
  for (;;) {
    const segb_json_t *list, *e;
    size_t n;
    assert_int_equal(segb_pager_next(p, &page), SEGB_OK);
    if (page == NULL)
      break;
    list = segb_result_data(page);
    n = segb_json_count(list);
    assert_int_equal(n, pages < 4 ? 7 : 2);
    for (e = segb_json_first(list); e != NULL; e = segb_json_next(e)) {
      char want[48];
      snprintf(want, sizeof want, "msg-user_id:u-1-%d", total++);
      assert_string_equal(segb_json_get_string(e, "message_id"), want);
    }
    pages++;
    segb_result_destroy(page);
  }
  segb_pager_destroy(p);
  assert_int_equal(pages, 5);
  assert_int_equal(total, 30);
  assert_int_equal(stats(&f).requests, 5);
  finish(&f);
}

static void test_profile_traits_pages_and_include(void **state) {
  static const char *const include[] = {"include", "plan,score", NULL};
  fixture f;
  segb_pager_t *p;
  segb_result_t *page;
  size_t traits = 0;
  int pages = 0;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  /* 12 traits at the default 10 per page */
  assert_int_equal(segb_profile_pager(f.reader, SEGB_PROFILE_TRAITS,
                                      "email:jane@example.com", NULL, &p),
                   SEGB_OK);
  while (segb_pager_next(p, &page) == SEGB_OK && page != NULL) {
    traits += segb_json_count(segb_result_data(page));
    pages++;
    segb_result_destroy(page);
  }
  segb_pager_destroy(p);
  assert_int_equal(pages, 2);
  assert_int_equal(traits, 12);

  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS,
                                    "user_id:u-1", include, NULL, &page),
                   SEGB_OK);
  assert_int_equal(segb_json_count(segb_result_data(page)), 2);
  assert_string_equal(segb_json_get_string(segb_result_data(page), "plan"),
                      "pro");
  segb_result_destroy(page);
  finish(&f);
}

static void test_profile_ids_metadata_accounts(void **state) {
  fixture f;
  segb_result_t *res;
  int64_t employees = 0;
  (void)state;
  start(&f, 1, 0);
  open_reader(&f);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_EXTERNAL_IDS,
                                    "anonymous_id:a-1", NULL, NULL, &res),
                   SEGB_OK);
  assert_int_equal(segb_json_count(segb_result_data(res)), 3);
  assert_string_equal(segb_json_get_string(segb_result_data(res), "1.id"),
                      "jane@example.com");
  segb_result_destroy(res);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_METADATA,
                                    "user_id:u-1", NULL, NULL, &res),
                   SEGB_OK);
  assert_string_equal(
      segb_json_get_string(segb_result_data(res), "last_source_id"), "src_001");
  segb_result_destroy(res);
  /* group_id reads from the accounts collection */
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS,
                                    "group_id:g-1", NULL, NULL, &res),
                   SEGB_OK);
  assert_int_equal(
      segb_json_int64(segb_json_get(segb_result_data(res), "employees"),
                      &employees),
      SEGB_OK);
  assert_int_equal(employees, 120);
  segb_result_destroy(res);
  finish(&f);
}

static void test_profile_bad_token(void **state) {
  fixture f;
  segb_result_t *res;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "profile_api.token", "wrong");
  open_reader(&f);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS,
                                    "user_id:u-1", NULL, NULL, &res),
                   SEGB_ERR_AUTH);
  assert_true(
      contains(segb_last_error_message(), "Profile API token rejected"));
  finish(&f);
}

/* ---- credentials echoed by a server ------------------------------------ */

#define LONG_API_TOKEN "sgp_pub9fJ2kLmN4pQ7rS1tU3vW5xY8zA0bC2dE"
#define LONG_PROFILE_TOKEN "prof_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"
#define LONG_PROFILE_BASIC "cHJvZl9BQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWjAxMjM6"
#define LONG_WRITE_KEY "wk_9fJ2kLmN4pQ7rS1tU3vW5xY8zA0bC2dE"
#define LONG_WRITE_KEY_BASIC "d2tfOWZKMmtMbU40cFE3clMxdFUzdlc1eFk4ekEwYkMyZEU6"

/* 1 when @msg names none of the credentials but says it hid one. */
static int scrubbed(const char *msg) {
  static const char *const secrets[] = {LONG_API_TOKEN, LONG_PROFILE_TOKEN,
                                        LONG_PROFILE_BASIC, LONG_WRITE_KEY,
                                        LONG_WRITE_KEY_BASIC};
  size_t i;

  for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
    if (strstr(msg, secrets[i]) != NULL) {
      print_error("\"%s\" holds %s\n", msg, secrets[i]);
      return 0;
    }
  return contains(msg, "[redacted]");
}

/* One read from /echo<status>/ of @srv through @api's endpoint: its code,
 * and its message into @msg. */
static int echo_read(const scripted *srv, int profile, int status, char *msg,
                     size_t size) {
  segb_config_t *conf = segb_config_new();
  char url[96], err[SEGB_ERRSTR_SIZE];
  segb_result_t *res = NULL;
  segb_reader_t *r;
  int rc;

  snprintf(url, sizeof url, "%s/echo%d", srv->url, status);
  set(conf, "public_api.token", LONG_API_TOKEN);
  set(conf, "profile_api.token", LONG_PROFILE_TOKEN);
  set(conf, "profile_api.space_id", SPACE);
  set(conf, profile ? "profile_api.endpoint" : "public_api.endpoint", url);
  set(conf, "retry.max_attempts", "0");
  r = segb_reader_new(conf, err, sizeof err);
  assert_non_null(r);
  rc = profile ? segb_profile_get(r, SEGB_PROFILE_TRAITS, "user_id:u-1", NULL,
                                  NULL, &res)
               : segb_workspace_get(r, &res);
  assert_null(res);
  snprintf(msg, size, "%s", segb_last_error_message());
  segb_reader_destroy(r);
  return rc;
}

static void test_readers_redact_echoed_credentials(void **state) {
  static const int statuses[] = {400, 401, 500};
  static const int codes[] = {SEGB_ERR_REJECTED, SEGB_ERR_AUTH,
                              SEGB_ERR_SERVER};
  scripted *srv = scripted_start();
  char msg[SEGB_ERRSTR_SIZE * 2];
  int i, profile;
  (void)state;
  for (profile = 0; profile <= 1; profile++)
    for (i = 0; i < 3; i++) {
      assert_int_equal(echo_read(srv, profile, statuses[i], msg, sizeof msg),
                       codes[i]);
      assert_true(scrubbed(msg));
      /* the echo is there, the credential in it is not */
      assert_true(
          contains(msg, profile ? "Basic [redacted]" : "Bearer [redacted]"));
    }
  scripted_stop(srv);
}

static void keep_report(segb_client_t *c, const segb_report_t *r,
                        void *opaque) {
  (void)c;
  snprintf(opaque, SEGB_ERRSTR_SIZE * 2, "%s", segb_report_errstr(r));
}

/* The tracking sender's excerpt of an error body, in the delivery report. */
static void test_sender_redacts_echoed_write_key(void **state) {
  static const int statuses[] = {400, 401, 500};
  scripted *srv = scripted_start();
  char url[96], err[SEGB_ERRSTR_SIZE], errstr[SEGB_ERRSTR_SIZE * 2];
  size_t i;
  (void)state;
  for (i = 0; i < 3; i++) {
    segb_config_t *conf = segb_config_new();
    segb_client_t *c;

    snprintf(url, sizeof url, "%s/echo%d", srv->url, statuses[i]);
    set(conf, "endpoint", url);
    set(conf, "write_key", LONG_WRITE_KEY);
    set(conf, "dispatch.mode", "inline");
    set(conf, "retry.max_attempts", "0");
    segb_config_set_delivery_cb(conf, keep_report);
    segb_config_set_opaque(conf, errstr);
    errstr[0] = '\0';
    c = segb_client_new(conf, err, sizeof err);
    if (c == NULL)
      fail_msg("client: %s", err);
    assert_int_equal(segb_track(c, "u-1", NULL, "Echo", NULL), SEGB_OK);
    segb_client_flush(c, 10000);
    segb_client_close(c, 1000);
    assert_true(contains(errstr, "Basic [redacted]"));
    assert_true(scrubbed(errstr));
  }
  scripted_stop(srv);
}

/* ---- Test Connection ---------------------------------------------------- */

/* direction= limits the checks to its side: with every credential set,
 * send checks only the Tracking API, receive only the read APIs, and the
 * others are skipped with a detail that names the setting. */
static void test_connection_honours_direction(void **state) {
  fixture f;
  segb_conntest_t *t;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "direction", "send");
  assert_int_equal(segb_test_connection(f.conf, 0, 5000, &t), SEGB_OK);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_SEND),
                   SEGB_VERDICT_PASSED);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_RECEIVE),
                   SEGB_VERDICT_SKIPPED);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_PROFILES),
                   SEGB_VERDICT_SKIPPED);
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_RECEIVE),
                       "direction is send"));
  segb_conntest_destroy(t);
  assert_int_equal(stats(&f).requests, 1); /* the test event alone */

  set(f.conf, "direction", "receive");
  assert_int_equal(segb_test_connection(f.conf, 0, 5000, &t), SEGB_OK);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_SEND),
                   SEGB_VERDICT_SKIPPED);
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND),
                       "direction is receive"));
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_RECEIVE),
                   SEGB_VERDICT_PASSED);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_PROFILES),
                   SEGB_VERDICT_PASSED);
  segb_conntest_destroy(t);
  assert_int_equal(stats(&f).messages, 1); /* no second test event */

  /* send=false: the send check is skipped, saying why */
  set(f.conf, "direction", "both");
  set(f.conf, "send", "false");
  assert_int_equal(segb_test_connection(f.conf, 0, 5000, &t), SEGB_OK);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_SEND),
                   SEGB_VERDICT_SKIPPED);
  assert_true(
      contains(segb_conntest_detail(t, SEGB_CHECK_SEND), "send is false"));
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_RECEIVE),
                   SEGB_VERDICT_PASSED);
  segb_conntest_destroy(t);
  assert_int_equal(stats(&f).messages, 1);
  finish(&f);
}

static void test_connection_all_pass(void **state) {
  fixture f;
  segb_conntest_t *t;
  char *msg;
  int d;
  (void)state;
  start(&f, 1, 0);
  assert_int_equal(segb_test_connection(f.conf, 0, 5000, &t), SEGB_OK);
  for (d = 0; d < SEGB_CHECK_COUNT; d++) {
    assert_int_equal(segb_conntest_verdict(t, d), SEGB_VERDICT_PASSED);
    assert_int_equal(segb_conntest_err(t, d), SEGB_OK);
  }
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND),
                       "track \"Integration Test\" accepted by 127.0.0.1"));
  assert_true(contains(segb_conntest_advice(t, SEGB_CHECK_SEND), "Debugger"));
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_RECEIVE),
                       "workspace \"Mock Workspace\""));
  assert_true(
      contains(segb_conntest_detail(t, SEGB_CHECK_PROFILES), "space " SPACE));
  assert_string_equal(segb_conntest_advice(t, SEGB_CHECK_RECEIVE), "");
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_COUNT), -1);
  assert_string_equal(segb_conntest_detail(t, -1), "");
  segb_conntest_destroy(t);
  segb_conntest_destroy(NULL);
  assert_int_equal(stats(&f).messages, 1);
  msg = sbm_message(f.mock, 0);
  assert_true(contains(msg, "\"event\":\"Integration Test\""));
  free(msg);
  finish(&f); /* the config stayed the caller's */
}

static void test_connection_no_send(void **state) {
  fixture f;
  segb_conntest_t *t;
  (void)state;
  start(&f, 1, 0);
  assert_int_equal(segb_test_connection(f.conf, SEGB_TEST_NO_SEND, 5000, &t),
                   SEGB_OK);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_SEND),
                   SEGB_VERDICT_PASSED);
  assert_true(
      contains(segb_conntest_detail(t, SEGB_CHECK_SEND), "empty batch"));
  segb_conntest_destroy(t);
  assert_int_equal(stats(&f).messages, 0); /* nothing was sent */
  finish(&f);
}

static void test_connection_failures(void **state) {
  fixture f;
  segb_conntest_t *t;
  (void)state;
  start(&f, 1, 0);
  set(f.conf, "write_key", "wrong-key");
  set(f.conf, "public_api.token", "a-config-api-token");
  set(f.conf, "profile_api.space_id", "");
  assert_int_equal(segb_test_connection(f.conf, SEGB_TEST_NO_SEND, 5000, &t),
                   SEGB_ERR_AUTH);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_SEND),
                   SEGB_VERDICT_FAILED);
  assert_true(
      contains(segb_conntest_advice(t, SEGB_CHECK_SEND), "Write key rejected"));
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_RECEIVE),
                   SEGB_VERDICT_FAILED);
  assert_int_equal(segb_conntest_err(t, SEGB_CHECK_RECEIVE), SEGB_ERR_AUTH);
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_RECEIVE),
                       "Public API token rejected: check the token type "
                       "(Public API, not Config API) and the region"));
  assert_true(contains(segb_conntest_advice(t, SEGB_CHECK_RECEIVE),
                       "not a Config API token"));
  assert_true(contains(segb_conntest_advice(t, SEGB_CHECK_RECEIVE),
                       "eu1.api.segmentapis.com"));
  assert_int_equal(segb_conntest_err(t, SEGB_CHECK_PROFILES),
                   SEGB_ERR_INVALID_VALUE);
  assert_true(
      contains(segb_conntest_detail(t, SEGB_CHECK_PROFILES), "space_id"));
  assert_null(strstr(segb_conntest_detail(t, SEGB_CHECK_SEND), "wrong-key"));
  segb_conntest_destroy(t);
  finish(&f);
}

static void test_connection_unreachable(void **state) {
  fixture f;
  segb_conntest_t *t;
  char url[64];
  int rc;
  (void)state;
  start(&f, 1, 0);
  /* the mock's port, once it stopped: nothing listens there */
  snprintf(url, sizeof url, "%s", sbm_url(f.mock));
  sbm_stop(f.mock);
  f.mock = NULL;
  set(f.conf, "endpoint", url);
  set(f.conf, "public_api.token", "");
  set(f.conf, "profile_api.token", "");
  set(f.conf, "retry.max_attempts", "0");
  rc = segb_test_connection(f.conf, 0, 3000, &t);
  assert_int_equal(rc, segb_conntest_err(t, SEGB_CHECK_SEND));
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_SEND),
                   SEGB_VERDICT_FAILED);
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND), "127.0.0.1"));
  assert_true(
      contains(segb_conntest_advice(t, SEGB_CHECK_SEND), "network access"));
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_RECEIVE),
                   SEGB_VERDICT_SKIPPED);
  assert_int_equal(segb_conntest_verdict(t, SEGB_CHECK_PROFILES),
                   SEGB_VERDICT_SKIPPED);
  segb_conntest_destroy(t);
  finish(&f);
}

/* The mock with the send direction configured alone. */
static void start_send_only(fixture *f) {
  start(f, 1, 0);
  set(f->conf, "public_api.token", "");
  set(f->conf, "profile_api.token", "");
}

/* The no-send probe is the sender's batch (dispatch/batch.c) on the
 * sender's transport: compressed when compression says so, with the body
 * members of the write key, and nothing in "batch". */
static void test_connection_no_send_batch_as_sent(void **state) {
  fixture f;
  segb_conntest_t *t;
  cJSON *body, *batch;
  char *enc, *text;
  (void)state;
  start_send_only(&f);
  set(f.conf, "compression", "gzip");
  set(f.conf, "write_key.in_body", "true");
  assert_int_equal(segb_test_connection(f.conf, SEGB_TEST_NO_SEND, 5000, &t),
                   SEGB_OK);
  segb_conntest_destroy(t);
  assert_int_equal(stats(&f).requests, 1);
  enc = sbm_request_header(f.mock, 0, "Content-Encoding");
  assert_non_null(enc);
  assert_string_equal(enc, "gzip");
  text = sbm_request_body(f.mock, 0);
  body = cJSON_Parse(text);
  assert_non_null(body);
  batch = cJSON_GetObjectItem(body, "batch");
  assert_true(cJSON_IsArray(batch));
  assert_int_equal(cJSON_GetArraySize(batch), 0);
  assert_true(cJSON_IsString(cJSON_GetObjectItem(body, "sentAt")));
  assert_string_equal(cJSON_GetObjectItem(body, "writeKey")->valuestring,
                      WRITE_KEY);
  cJSON_Delete(body);
  free(text);
  free(enc);
  finish(&f);
}

/* The test event takes the sender's retries: a 500 is retried, and the
 * detail counts both requests. */
static void test_connection_send_is_retried(void **state) {
  fixture f;
  segb_conntest_t *t;
  (void)state;
  start_send_only(&f);
  sbm_script(f.mock, SBM_FAULT_500, 1, 0);
  assert_int_equal(segb_test_connection(f.conf, 0, 30000, &t), SEGB_OK);
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND),
                       "(HTTP 200, 2 requests)"));
  segb_conntest_destroy(t);
  assert_int_equal(stats(&f).requests, 2);
  assert_int_equal(stats(&f).messages, 1);
  finish(&f);
}

/* A probe the server does not answer in time fails with SEGB_ERR_TIMED_OUT,
 * saying so, and the event it carried is freed unsent. */
static void test_connection_send_times_out(void **state) {
  fixture f;
  segb_conntest_t *t;
  (void)state;
  start_send_only(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, 3000);
  assert_int_equal(segb_test_connection(f.conf, 0, 1000, &t),
                   SEGB_ERR_TIMED_OUT);
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND), "127.0.0.1"));
  assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND),
                       "did not accept the test event in time"));
  assert_true(
      contains(segb_conntest_advice(t, SEGB_CHECK_SEND), "network access"));
  segb_conntest_destroy(t);
  finish(&f);
}

/* A refused probe is explained as the sender explains a refused batch (the
 * region's hint, the server's words with the credential redacted), and
 * advised from the (API, error) table. */
static void test_connection_refusal_explained(void **state) {
  scripted *srv = scripted_start();
  segb_config_t *conf = segb_config_new();
  segb_conntest_t *t;
  char url[96];
  int no_send;
  (void)state;
  snprintf(url, sizeof url, "%s/echo401", srv->url);
  set(conf, "endpoint", url);
  set(conf, "write_key", LONG_WRITE_KEY);
  set(conf, "retry.max_attempts", "0");
  for (no_send = 0; no_send <= 1; no_send++) {
    assert_int_equal(
        segb_test_connection(conf, no_send ? SEGB_TEST_NO_SEND : 0, 5000, &t),
        SEGB_ERR_AUTH);
    assert_int_equal(segb_conntest_err(t, SEGB_CHECK_SEND), SEGB_ERR_AUTH);
    assert_true(contains(segb_conntest_detail(t, SEGB_CHECK_SEND),
                         "the write key was refused"));
    assert_true(
        contains(segb_conntest_detail(t, SEGB_CHECK_SEND), "Basic [redacted]"));
    assert_true(scrubbed(segb_conntest_detail(t, SEGB_CHECK_SEND)));
    assert_true(contains(segb_conntest_advice(t, SEGB_CHECK_SEND),
                         "Write key rejected"));
    segb_conntest_destroy(t);
  }
  assert_int_equal(atomic_load(&srv->requests), 2);
  segb_config_destroy(conf);
  scripted_stop(srv);
}

static void test_connection_nothing_configured(void **state) {
  segb_config_t *conf = segb_config_new();
  segb_conntest_t *t;
  int d;
  (void)state;
  assert_int_equal(segb_test_connection(conf, 0, 1000, &t),
                   SEGB_ERR_NO_CREDENTIALS);
  for (d = 0; d < SEGB_CHECK_COUNT; d++)
    assert_int_equal(segb_conntest_verdict(t, d), SEGB_VERDICT_SKIPPED);
  segb_conntest_destroy(t);
  assert_int_equal(segb_test_connection(conf, 0, 0, &t), SEGB_ERR_INVALID_ARG);
  assert_null(t);
  assert_int_equal(segb_test_connection(NULL, 0, 1000, &t),
                   SEGB_ERR_INVALID_ARG);
  segb_config_destroy(conf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sources_every_page_once),
      cmocka_unit_test(test_sources_by_hand),
      cmocka_unit_test(test_workspace_and_bad_token),
      cmocka_unit_test(test_broken_responses),
      cmocka_unit_test(test_sources_cursor_cycle),
      cmocka_unit_test(test_dot_segments),
      cmocka_unit_test(test_429_ms_before_next),
      cmocka_unit_test(test_429_retry_after),
      cmocka_unit_test(test_429_profile_backoff),
      cmocka_unit_test(test_429_budget_runs_out),
      cmocka_unit_test(test_deadline_429_forever),
      cmocka_unit_test(test_deadline_cuts_request),
      cmocka_unit_test(test_profile_identifiers_escaped),
      cmocka_unit_test(test_profile_not_found),
      cmocka_unit_test(test_profile_events_every_page_once),
      cmocka_unit_test(test_profile_traits_pages_and_include),
      cmocka_unit_test(test_profile_ids_metadata_accounts),
      cmocka_unit_test(test_profile_bad_token),
      cmocka_unit_test(test_readers_redact_echoed_credentials),
      cmocka_unit_test(test_sender_redacts_echoed_write_key),
      cmocka_unit_test(test_connection_all_pass),
      cmocka_unit_test(test_connection_honours_direction),
      cmocka_unit_test(test_connection_no_send),
      cmocka_unit_test(test_connection_failures),
      cmocka_unit_test(test_connection_unreachable),
      cmocka_unit_test(test_connection_nothing_configured),
      cmocka_unit_test(test_connection_no_send_batch_as_sent),
      cmocka_unit_test(test_connection_send_is_retried),
      cmocka_unit_test(test_connection_send_times_out),
      cmocka_unit_test(test_connection_refusal_explained),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
