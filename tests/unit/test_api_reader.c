/* The reader's requests, seen through the capture transport: URLs per
 * region and override, credentials, query parameters, identifiers; and
 * the checks made before anything is sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "setup.h"
#include "transport/transport.h"

/* A body every call can read its payload from. */
#define ANY_REPLY                                                              \
  "{\"data\":{\"workspace\":{\"name\":\"W\"},\"source\":{},\"sources\":[],"    \
  "\"pagination\":{\"next\":null}},\"traits\":{},\"metadata\":{},"             \
  "\"cursor\":{\"has_more\":false,\"next\":\"\"}}"

#define TOKEN "pub-token"
#define PROFILE_TOKEN "abc123"
/* base64("abc123:"), as for a write key */
#define PROFILE_BASIC "Authorization: Basic YWJjMTIzOg=="

typedef struct fixture {
  segb_reader_t *reader;
  sbi_transport *capture; /* owned by the reader */
} fixture;

static segb_config_t *config(const char *const *settings) {
  segb_config_t *conf = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];
  size_t i;

  assert_non_null(conf);
  for (i = 0; settings[i] != NULL; i += 2)
    if (segb_config_set(conf, settings[i], settings[i + 1], err, sizeof err) !=
        SEGB_OK)
      fail_msg("%s: %s", settings[i], err);
  return conf;
}

/* A reader with both tokens and the space, plus @extra settings. */
static void open_reader(fixture *f, const char *const *extra) {
  static const char *const base[] = {"public_api.token",
                                     TOKEN,
                                     "profile_api.token",
                                     PROFILE_TOKEN,
                                     "profile_api.space_id",
                                     "spa 1",
                                     NULL};
  segb_config_t *conf = config(base);
  char err[SEGB_ERRSTR_SIZE];
  size_t i;

  for (i = 0; extra != NULL && extra[i] != NULL; i += 2)
    assert_int_equal(
        segb_config_set(conf, extra[i], extra[i + 1], err, sizeof err),
        SEGB_OK);
  f->capture = sbi_capture_transport_new(200, ANY_REPLY);
  assert_non_null(f->capture);
  f->reader = sbi_reader_new(conf, f->capture, err, sizeof err);
  if (f->reader == NULL)
    fail_msg("reader: %s", err);
}

static const sbi_http_request *last(const fixture *f) {
  size_t n = sbi_capture_count(f->capture);
  assert_true(n > 0);
  return sbi_capture_at(f->capture, n - 1);
}

static int has_header(const sbi_http_request *req, const char *line) {
  size_t i;
  for (i = 0; i < req->header_count; i++)
    if (strcmp(req->headers[i], line) == 0)
      return 1;
  return 0;
}

static void workspace_and_sources(fixture *f) {
  segb_result_t *res;
  assert_int_equal(segb_workspace_get(f->reader, &res), SEGB_OK);
  segb_result_destroy(res);
  assert_int_equal(segb_sources_list(f->reader, 0, NULL, &res), SEGB_OK);
  segb_result_destroy(res);
}

static void traits(fixture *f) {
  segb_result_t *res;
  assert_int_equal(segb_profile_get(f->reader, SEGB_PROFILE_TRAITS,
                                    "user_id:u-1", NULL, NULL, &res),
                   SEGB_OK);
  segb_result_destroy(res);
}

static void test_us_urls_and_auth(void **state) {
  fixture f;
  (void)state;
  open_reader(&f, NULL);
  workspace_and_sources(&f);
  assert_string_equal(sbi_capture_at(f.capture, 0)->url,
                      "https://api.segmentapis.com/");
  assert_string_equal(last(&f)->url, "https://api.segmentapis.com/sources"
                                     "?pagination.count=200");
  assert_string_equal(last(&f)->method, "GET");
  assert_null(last(&f)->body);
  assert_true(has_header(last(&f), "Authorization: Bearer " TOKEN));
  assert_true(has_header(last(&f), "Accept: application/json"));
  traits(&f);
  assert_string_equal(last(&f)->url,
                      "https://profiles.segment.com/v1/spaces/spa%201/"
                      "collections/users/profiles/user_id:u-1/traits");
  assert_true(has_header(last(&f), PROFILE_BASIC));
  assert_false(has_header(last(&f), "Authorization: Bearer " TOKEN));
  segb_reader_destroy(f.reader);
}

static void test_eu_urls(void **state) {
  static const char *const eu[] = {"region", "eu", NULL};
  fixture f;
  (void)state;
  open_reader(&f, eu);
  workspace_and_sources(&f);
  assert_string_equal(sbi_capture_at(f.capture, 0)->url,
                      "https://eu1.api.segmentapis.com/");
  traits(&f);
  /* The Profile API's EU host is euw1, not eu1. */
  assert_string_equal(last(&f)->url,
                      "https://profiles.euw1.segment.com/v1/spaces/spa%201/"
                      "collections/users/profiles/user_id:u-1/traits");
  segb_reader_destroy(f.reader);
}

static void test_overrides(void **state) {
  static const char *const over[] = {"region",
                                     "eu",
                                     "public_api.endpoint",
                                     "127.0.0.1:8080/proxy/v1/",
                                     "profile_api.endpoint",
                                     "http://localhost:9000",
                                     NULL};
  fixture f;
  (void)state;
  open_reader(&f, over);
  workspace_and_sources(&f);
  assert_string_equal(sbi_capture_at(f.capture, 0)->url,
                      "https://127.0.0.1:8080/proxy/");
  traits(&f);
  assert_string_equal(last(&f)->url,
                      "http://localhost:9000/v1/spaces/spa%201/collections/"
                      "users/profiles/user_id:u-1/traits");
  segb_reader_destroy(f.reader);
}

static void test_source_and_page_args(void **state) {
  fixture f;
  segb_result_t *res;
  (void)state;
  open_reader(&f, NULL);
  assert_int_equal(segb_source_get(f.reader, "src 1/x", &res), SEGB_OK);
  segb_result_destroy(res);
  assert_string_equal(last(&f)->url,
                      "https://api.segmentapis.com/sources/src%201%2Fx");
  assert_int_equal(segb_sources_list(f.reader, 1000, "+/8y==", &res), SEGB_OK);
  segb_result_destroy(res);
  assert_string_equal(last(&f)->url,
                      "https://api.segmentapis.com/sources?pagination.count="
                      "1000&pagination.cursor=%2B%2F8y%3D%3D");
  segb_reader_destroy(f.reader);
}

static void test_profile_args(void **state) {
  static const char *const params[] = {"limit", "50", "include", "email,plan",
                                       NULL};
  static const char *const event_params[] = {"start", "2026-04-05T00:00:00Z",
                                             "sort", "asc", NULL};
  fixture f;
  segb_result_t *res;
  (void)state;
  open_reader(&f, NULL);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS,
                                    "email:jane+test@example.com", params,
                                    "+/8y", &res),
                   SEGB_OK);
  segb_result_destroy(res);
  assert_string_equal(last(&f)->url,
                      "https://profiles.segment.com/v1/spaces/spa%201/"
                      "collections/users/profiles/"
                      "email:jane%2Btest%40example.com/traits"
                      "?limit=50&include=email%2Cplan&next=%2B%2F8y");
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_EVENTS,
                                    "user_id:jane doe/\xc3\xbc+1", event_params,
                                    NULL, &res),
                   SEGB_OK);
  segb_result_destroy(res);
  assert_string_equal(last(&f)->url,
                      "https://profiles.segment.com/v1/spaces/spa%201/"
                      "collections/users/profiles/"
                      "user_id:jane%20doe%2F%C3%BC%2B1/events"
                      "?start=2026-04-05T00%3A00%3A00Z&sort=asc");
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_EXTERNAL_IDS,
                                    "group_id:g-1", NULL, NULL, &res),
                   SEGB_OK);
  segb_result_destroy(res);
  assert_string_equal(last(&f)->url,
                      "https://profiles.segment.com/v1/spaces/spa%201/"
                      "collections/accounts/profiles/group_id:g-1/"
                      "external_ids");
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_METADATA,
                                    "anonymous_id:a-1", NULL, NULL, &res),
                   SEGB_OK);
  segb_result_destroy(res);
  assert_string_equal(last(&f)->url,
                      "https://profiles.segment.com/v1/spaces/spa%201/"
                      "collections/users/profiles/anonymous_id:a-1/metadata");
  segb_reader_destroy(f.reader);
}

/* Refused before any request. */
static void test_bad_arguments(void **state) {
  static const char *const unknown[] = {"limit", "5", "sort", "asc", NULL};
  static const char *const odd[] = {"limit", NULL};
  static const char *const zero[] = {"limit", "0", NULL};
  static const char *const text[] = {"limit", "ten", NULL};
  fixture f;
  segb_result_t *res = (segb_result_t *)&f;
  segb_pager_t *pager;
  (void)state;
  open_reader(&f, NULL);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, "user_id:u",
                                    unknown, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_null(res);
  assert_non_null(strstr(segb_last_error_message(), "sort"));
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, "user_id:u",
                                    odd, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_EVENTS, "user_id:u",
                                    zero, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_EVENTS, "user_id:u",
                                    text, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_profile_get(f.reader, 4, "user_id:u", NULL, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(
      segb_profile_get(f.reader, -1, "user_id:u", NULL, NULL, &res),
      SEGB_ERR_INVALID_ARG);
  assert_int_equal(
      segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, "u-1", NULL, NULL, &res),
      SEGB_ERR_INVALID_ARG);
  assert_int_equal(
      segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, NULL, NULL, NULL, &res),
      SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_profile_get(f.reader, SEGB_PROFILE_TRAITS, "user_id:u",
                                    NULL, NULL, NULL),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_profile_pager(f.reader, SEGB_PROFILE_TRAITS,
                                      "user_id:u", unknown, &pager),
                   SEGB_ERR_INVALID_ARG);
  assert_null(pager);
  assert_int_equal(segb_sources_list(f.reader, 1001, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_sources_list(f.reader, -1, NULL, &res),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_sources_pager(f.reader, 1001, &pager),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_source_get(f.reader, "", &res), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_source_get(f.reader, NULL, &res), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_workspace_get(NULL, &res), SEGB_ERR_INVALID_ARG);
  assert_int_equal(sbi_capture_count(f.capture), 0);
  segb_reader_destroy(f.reader);
}

static void test_missing_settings(void **state) {
  static const char *const only_public[] = {"public_api.token", TOKEN, NULL};
  static const char *const no_space[] = {"profile_api.token", PROFILE_TOKEN,
                                         NULL};
  static const char *const nothing[] = {"write_key", "wk", NULL};
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf;
  segb_reader_t *r;
  segb_result_t *res;
  (void)state;

  /* Nothing to read with: refused, and the caller keeps the config. */
  conf = config(nothing);
  assert_null(segb_reader_new(conf, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_NO_CREDENTIALS);
  assert_non_null(strstr(err, "public_api.token"));
  assert_null(segb_reader_new(NULL, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_ARG);
  segb_config_destroy(conf);

  r = sbi_reader_new(config(only_public),
                     sbi_capture_transport_new(200, ANY_REPLY), err,
                     sizeof err);
  assert_non_null(r);
  assert_int_equal(
      segb_profile_get(r, SEGB_PROFILE_TRAITS, "user_id:u", NULL, NULL, &res),
      SEGB_ERR_INVALID_VALUE);
  assert_non_null(strstr(segb_last_error_message(), "space_id"));
  segb_reader_destroy(r);

  r = sbi_reader_new(config(no_space),
                     sbi_capture_transport_new(200, ANY_REPLY), err,
                     sizeof err);
  assert_non_null(r);
  assert_int_equal(segb_workspace_get(r, &res), SEGB_ERR_NO_CREDENTIALS);
  assert_non_null(strstr(segb_last_error_message(), "public_api.token"));
  segb_reader_destroy(r);
  segb_reader_destroy(NULL);
}

/* A token that could inject a header is refused, and not echoed. */
static void test_bad_token(void **state) {
  static const char *const bad[] = {"public_api.token", "tok\r\nX-Evil: 1",
                                    NULL};
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf;
  (void)state;
  conf = segb_config_new();
  /* The config itself may already refuse it; either way no reader. */
  if (segb_config_set(conf, bad[0], bad[1], err, sizeof err) == SEGB_OK) {
    assert_null(segb_reader_new(conf, err, sizeof err));
    assert_null(strstr(err, "Evil"));
    assert_non_null(strstr(err, "public_api.token"));
  }
  assert_null(strstr(err, "Evil"));
  segb_config_destroy(conf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_us_urls_and_auth),
      cmocka_unit_test(test_eu_urls),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_source_and_page_args),
      cmocka_unit_test(test_profile_args),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_missing_settings),
      cmocka_unit_test(test_bad_token),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
