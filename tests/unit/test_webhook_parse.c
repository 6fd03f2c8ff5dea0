/* Webhook bodies and X-Segment-Settings: the three body shapes, event
 * views and accessors, per-event statuses, limits, and malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/json.h>
#include <segbridge/webhook.h>

static const char track[] =
    "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"Order Completed\","
    "\"messageId\":\"m-1\",\"timestamp\":\"2024-01-02T03:04:05.678Z\","
    "\"properties\":{\"plan\":\"pro\",\"revenue\":19.99,\"items\":[{\"sku\":"
    "\"X-1\"}]},\"context\":{\"ip\":\"203.0.113.9\"}}";

static segb_webhook_batch_t *parse_ok(const segb_webhook_t *wh,
                                      const char *body) {
  segb_webhook_batch_t *b = NULL;

  assert_int_equal(segb_webhook_parse(wh, body, strlen(body), &b), SEGB_OK);
  assert_non_null(b);
  return b;
}

static int parse_err(const segb_webhook_t *wh, const char *body) {
  segb_webhook_batch_t *b = (segb_webhook_batch_t *)(uintptr_t)1;
  int rc = segb_webhook_parse(wh, body, strlen(body), &b);

  assert_null(b);
  return rc;
}

static void test_single_event(void **state) {
  segb_webhook_batch_t *b = parse_ok(NULL, track);
  const segb_json_t *ev;
  double revenue = 0;
  char *text;
  size_t len = 0;
  (void)state;

  assert_int_equal(segb_webhook_batch_count(b), 1);
  assert_int_equal(segb_webhook_batch_errors(b), 0);
  assert_int_equal(segb_webhook_event_err(b, 0), SEGB_OK);
  assert_string_equal(segb_webhook_event_errstr(b, 0), "");
  assert_string_equal(segb_webhook_event_type(b, 0), "track");
  assert_string_equal(segb_webhook_event_user_id(b, 0), "u-1");
  assert_null(segb_webhook_event_anonymous_id(b, 0));
  assert_string_equal(segb_webhook_event_name(b, 0), "Order Completed");
  assert_string_equal(segb_webhook_event_message_id(b, 0), "m-1");
  assert_string_equal(segb_webhook_event_timestamp(b, 0),
                      "2024-01-02T03:04:05.678Z");
  ev = segb_webhook_event(b, 0);
  assert_ptr_equal(ev, segb_webhook_batch_root(b));
  assert_string_equal(segb_json_get_string(ev, "properties.plan"), "pro");
  assert_string_equal(segb_json_get_string(ev, "properties.items.0.sku"),
                      "X-1");
  assert_int_equal(
      segb_json_double(segb_json_get(ev, "properties.revenue"), &revenue),
      SEGB_OK);
  assert_true(revenue == 19.99);
  text = segb_json_text(segb_json_get(ev, "context"), &len);
  assert_non_null(text);
  assert_string_equal(text, "{\"ip\":\"203.0.113.9\"}");
  assert_int_equal(len, strlen(text));
  segb_free(text);
  segb_webhook_batch_destroy(b);
}

static void test_array_and_batch(void **state) {
  static const char array[] =
      "[{\"type\":\"page\",\"anonymousId\":\"a-1\",\"name\":\"Home\"},"
      " {\"type\":\"identify\",\"userId\":\"u-2\",\"traits\":{\"plan\":1}}]";
  static const char wrapped[] =
      "{\"batch\":[{\"type\":\"screen\",\"userId\":\"u\",\"name\":\"S\"},"
      "{\"type\":\"group\",\"userId\":\"u\",\"groupId\":\"g\"},"
      "{\"type\":\"alias\",\"userId\":\"u\",\"previousId\":\"p\"}],"
      "\"context\":{\"batch-level\":true},\"sentAt\":\"2024-01-01T00:00:00Z\"}";
  segb_webhook_batch_t *b = parse_ok(NULL, array);
  (void)state;

  assert_int_equal(segb_webhook_batch_count(b), 2);
  assert_string_equal(segb_webhook_event_type(b, 0), "page");
  assert_string_equal(segb_webhook_event_anonymous_id(b, 0), "a-1");
  assert_string_equal(segb_webhook_event_name(b, 0), "Home");
  assert_null(segb_webhook_event_user_id(b, 0));
  assert_string_equal(segb_webhook_event_type(b, 1), "identify");
  assert_null(segb_webhook_event_name(b, 1));
  assert_string_equal(
      segb_json_get_string(segb_webhook_batch_root(b), "1.userId"), "u-2");
  segb_webhook_batch_destroy(b);

  b = parse_ok(NULL, wrapped);
  assert_int_equal(segb_webhook_batch_count(b), 3);
  assert_int_equal(segb_webhook_batch_errors(b), 0);
  assert_string_equal(segb_webhook_event_type(b, 2), "alias");
  assert_string_equal(segb_json_get_string(segb_webhook_event(b, 1), "groupId"),
                      "g");
  assert_non_null(
      segb_json_get(segb_webhook_batch_root(b), "context.batch-level"));
  segb_webhook_batch_destroy(b);

  /* An event may itself have a "batch" member: "type" makes it one. */
  b = parse_ok(NULL, "{\"type\":\"track\",\"userId\":\"u\",\"batch\":[1]}");
  assert_int_equal(segb_webhook_batch_count(b), 1);
  assert_int_equal(segb_webhook_event_err(b, 0), SEGB_OK);
  segb_webhook_batch_destroy(b);
}

static void test_empty_batches(void **state) {
  static const char *const empty[] = {"[]", " [ ] ", "{\"batch\":[]}"};
  size_t i;
  (void)state;

  for (i = 0; i < 3; i++) {
    segb_webhook_batch_t *b = parse_ok(NULL, empty[i]);

    assert_int_equal(segb_webhook_batch_count(b), 0);
    assert_null(segb_webhook_event(b, 0));
    segb_webhook_batch_destroy(b);
  }
}

/* Each bad event gets its own code and message; the good ones are kept. */
static void test_bad_events_among_good(void **state) {
  static const struct {
    const char *json;
    int err;
  } events[] = {
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"first\"}", SEGB_OK},
      {"42", SEGB_ERR_JSON_TYPE},
      {"[]", SEGB_ERR_JSON_TYPE},
      {"{\"userId\":\"u\"}", SEGB_ERR_MISSING_FIELD},
      {"{\"type\":7,\"userId\":\"u\"}", SEGB_ERR_JSON_TYPE},
      {"{\"type\":\"bogus\",\"userId\":\"u\"}", SEGB_ERR_UNKNOWN_TYPE},
      {"{\"type\":\"Track\",\"userId\":\"u\"}", SEGB_ERR_UNKNOWN_TYPE},
      {"{\"type\":\"track\\u0000\",\"userId\":\"u\"}", SEGB_ERR_UNKNOWN_TYPE},
      {"{\"type\":\"track\",\"event\":\"x\"}", SEGB_ERR_MISSING_IDENTITY},
      {"{\"type\":\"track\",\"userId\":\"\",\"anonymousId\":null}",
       SEGB_ERR_MISSING_IDENTITY},
      {"{\"type\":\"track\",\"userId\":5}", SEGB_ERR_JSON_TYPE},
      {"{\"type\":\"track\",\"userId\":\"u\",\"anonymousId\":[\"a\"]}",
       SEGB_ERR_JSON_TYPE},
      {"{\"type\":\"delete\",\"userId\":\"u\"}", SEGB_OK},
      {"{\"type\":\"identify\",\"userId\":null,\"anonymousId\":\"a\"}",
       SEGB_OK},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"last\"}", SEGB_OK},
  };
  const size_t n = sizeof events / sizeof events[0];
  char body[2048];
  size_t i, used = 0, bad = 0;
  segb_webhook_batch_t *b;
  (void)state;

  body[used++] = '[';
  for (i = 0; i < n; i++)
    used += (size_t)snprintf(body + used, sizeof body - used, "%s%s",
                             i > 0 ? "," : "", events[i].json);
  snprintf(body + used, sizeof body - used, "]");
  b = parse_ok(NULL, body);
  assert_int_equal(segb_webhook_batch_count(b), n);
  for (i = 0; i < n; i++) {
    assert_int_equal(segb_webhook_event_err(b, i), events[i].err);
    assert_non_null(segb_webhook_event(b, i));
    if (events[i].err == SEGB_OK) {
      assert_string_equal(segb_webhook_event_errstr(b, i), "");
    } else {
      assert_true(strlen(segb_webhook_event_errstr(b, i)) > 0);
      bad++;
    }
  }
  assert_int_equal(segb_webhook_batch_errors(b), bad);
  assert_string_equal(segb_webhook_event_name(b, 0), "first");
  assert_string_equal(segb_webhook_event_name(b, n - 1), "last");
  assert_int_equal(segb_json_type(segb_webhook_event(b, 1)), SEGB_JSON_NUMBER);
  assert_null(segb_webhook_event_type(b, 1));
  assert_string_equal(segb_webhook_event_errstr(b, 5),
                      "\"type\" is not an event type Segment sends");
  /* past the end */
  assert_int_equal(segb_webhook_event_err(b, n), SEGB_ERR_INVALID_ARG);
  assert_string_equal(segb_webhook_event_errstr(b, n), "");
  assert_null(segb_webhook_event(b, n));
  assert_null(segb_webhook_event_type(b, n));
  segb_webhook_batch_destroy(b);
}

static void test_limits(void **state) {
  static const char three[] =
      "[{\"type\":\"track\",\"userId\":\"u\"},{\"type\":\"track\",\"userId\":"
      "\"u\"},{\"type\":\"track\",\"userId\":\"u\"}]";
  static const char depth3[] =
      "{\"type\":\"track\",\"userId\":\"u\",\"properties\":{\"a\":{}}}";
  static const char depth4[] =
      "{\"type\":\"track\",\"userId\":\"u\",\"properties\":{\"a\":{\"b\":[]}}}";
  segb_webhook_t *wh = segb_webhook_new();
  segb_webhook_batch_t *b;
  (void)state;

  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 3),
                   SEGB_OK);
  b = parse_ok(wh, three);
  segb_webhook_batch_destroy(b);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 2),
                   SEGB_OK);
  assert_int_equal(parse_err(wh, three), SEGB_ERR_TOO_MANY_EVENTS);
  assert_non_null(strstr(segb_last_error_message(), "3 events"));

  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH, 3),
                   SEGB_OK);
  b = parse_ok(wh, depth3);
  segb_webhook_batch_destroy(b);
  assert_int_equal(parse_err(wh, depth4), SEGB_ERR_TOO_DEEP);

  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES,
                                           sizeof depth3 - 1),
                   SEGB_OK);
  b = parse_ok(wh, depth3);
  segb_webhook_batch_destroy(b);
  assert_int_equal(parse_err(wh, depth4), SEGB_ERR_BODY_TOO_LARGE);
  segb_webhook_destroy(wh);
}

/* The default event limit is Segment's largest batch, 4000. */
static void test_default_event_limit(void **state) {
  const char *ev = "{\"type\":\"track\",\"userId\":\"u\"},";
  size_t n = 4001, each = strlen(ev), i;
  char *body = malloc(n * each + 2);
  segb_webhook_batch_t *b = NULL;
  (void)state;

  assert_non_null(body);
  body[0] = '[';
  for (i = 0; i < n; i++)
    memcpy(body + 1 + i * each, ev, each);
  body[n * each] = ']';
  assert_int_equal(segb_webhook_parse(NULL, body, n * each + 1, &b),
                   SEGB_ERR_TOO_MANY_EVENTS);
  /* 4000: end the array after the 4000th event */
  body[(n - 1) * each] = ']';
  assert_int_equal(segb_webhook_parse(NULL, body, (n - 1) * each + 1, &b),
                   SEGB_OK);
  assert_int_equal(segb_webhook_batch_count(b), 4000);
  segb_webhook_batch_destroy(b);
  free(body);
}

static void test_malformed_bodies(void **state) {
  static const struct {
    const char *body;
    int err;
  } cases[] = {
      {"", SEGB_ERR_INVALID_JSON},
      {"   ", SEGB_ERR_INVALID_JSON},
      {"{\"type\":\"track\"", SEGB_ERR_INVALID_JSON},
      {"{\"type\":\"track\",\"userId\":\"u\"} x", SEGB_ERR_INVALID_JSON},
      {"[{\"type\":\"track\",\"userId\":\"u\"},]", SEGB_ERR_INVALID_JSON},
      {"{'type':'track'}", SEGB_ERR_INVALID_JSON},
      {"{\"s\":\"\\ud800\"}", SEGB_ERR_INVALID_JSON},
      {"{\"s\":NaN}", SEGB_ERR_INVALID_JSON},
      {"{\"userId\":\"\xff\"}", SEGB_ERR_INVALID_UTF8},
      {"{\"userId\":\"\xc0\xaf\"}", SEGB_ERR_INVALID_UTF8},     /* overlong */
      {"{\"userId\":\"\xed\xa0\x80\"}", SEGB_ERR_INVALID_UTF8}, /* surrogate */
      {"{\"userId\":\"\xe2\x82\"}", SEGB_ERR_INVALID_UTF8},     /* truncated */
      {"42", SEGB_ERR_JSON_TYPE},
      {"\"track\"", SEGB_ERR_JSON_TYPE},
      {"null", SEGB_ERR_JSON_TYPE},
      {"{\"batch\":{}}", SEGB_ERR_JSON_TYPE},
      {"{\"batch\":\"[]\"}", SEGB_ERR_JSON_TYPE},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = parse_err(NULL, cases[i].body);

    if (rc != cases[i].err)
      fail_msg("case %zu: %s, want %s", i, segb_err_name(rc),
               segb_err_name(cases[i].err));
  }
  parse_err(NULL, "{\"userId\":\"\xff\"}");
  assert_non_null(strstr(segb_last_error_message(), "body: invalid UTF-8"));
}

static void test_parse_bad_arguments(void **state) {
  segb_webhook_batch_t *b = (segb_webhook_batch_t *)(uintptr_t)1;
  (void)state;

  assert_int_equal(segb_webhook_parse(NULL, "[]", 2, NULL),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_parse(NULL, NULL, 0, &b), SEGB_ERR_INVALID_ARG);
  assert_null(b);
  assert_int_equal(segb_webhook_batch_count(NULL), 0);
  assert_int_equal(segb_webhook_batch_errors(NULL), 0);
  assert_null(segb_webhook_batch_root(NULL));
  assert_null(segb_webhook_event(NULL, 0));
  assert_int_equal(segb_webhook_event_err(NULL, 0), SEGB_ERR_INVALID_ARG);
  assert_string_equal(segb_webhook_event_errstr(NULL, 0), "");
  assert_null(segb_webhook_event_user_id(NULL, 0));
  segb_webhook_batch_destroy(NULL);
}

/* ---- X-Segment-Settings ------------------------------------------------- */

/* printf '%s' '{"apiVersion":"v2","region":{"name":"eu"},"flag":true}' |
 *   openssl base64 -A */
#define SETTINGS_B64                                                           \
  "eyJhcGlWZXJzaW9uIjoidjIiLCJyZWdpb24iOnsibmFtZSI6ImV1In0sImZsYWciOnRydWV9"

static int decode(const segb_webhook_t *wh, const char *value,
                  segb_webhook_settings_t **out) {
  return segb_webhook_settings_decode(wh, value, strlen(value), out);
}

static void test_settings(void **state) {
  segb_webhook_settings_t *s = NULL;
  const segb_json_t *j;
  int flag = 0;
  (void)state;

  assert_int_equal(decode(NULL, SETTINGS_B64, &s), SEGB_OK);
  j = segb_webhook_settings_json(s);
  assert_int_equal(segb_json_type(j), SEGB_JSON_OBJECT);
  assert_string_equal(segb_json_get_string(j, "apiVersion"), "v2");
  assert_string_equal(segb_json_get_string(j, "region.name"), "eu");
  assert_int_equal(segb_json_bool(segb_json_get(j, "flag"), &flag), SEGB_OK);
  assert_int_equal(flag, 1);
  segb_webhook_settings_destroy(s);

  assert_int_equal(decode(NULL, "  " SETTINGS_B64 " ", &s), SEGB_OK);
  segb_webhook_settings_destroy(s);
  /* {"apiKey":null} */
  assert_int_equal(decode(NULL, "eyJhcGlLZXkiOm51bGx9", &s), SEGB_OK);
  assert_int_equal(segb_json_count(segb_webhook_settings_json(s)), 1);
  segb_webhook_settings_destroy(s);
  segb_webhook_settings_destroy(NULL);
  assert_null(segb_webhook_settings_json(NULL));
}

static void test_settings_refused(void **state) {
  static const struct {
    const char *value;
    int err;
  } cases[] = {
      {"eyJh!GlLZXkiOm51bGx9", SEGB_ERR_INVALID_BASE64},
      {"eyJhcGlLZXkiOm51bGx", SEGB_ERR_INVALID_BASE64},
      {"e yJhcGlLZXkiOm51bGx9", SEGB_ERR_INVALID_BASE64},
      {"", SEGB_ERR_INVALID_JSON},
      {"ew==", SEGB_ERR_INVALID_JSON},         /* { */
      {"WzFd", SEGB_ERR_JSON_TYPE},            /* [1] */
      {"eyJhIjoi/yJ9", SEGB_ERR_INVALID_UTF8}, /* {"a":"\xff"} */
  };
  segb_webhook_settings_t *s;
  segb_webhook_t *wh = segb_webhook_new();
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    s = (segb_webhook_settings_t *)(uintptr_t)1;
    assert_int_equal(decode(NULL, cases[i].value, &s), cases[i].err);
    assert_null(s);
  }
  /* {"a":{}} is two levels deep */
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH, 1),
                   SEGB_OK);
  assert_int_equal(decode(wh, "eyJhIjp7fX0=", &s), SEGB_ERR_TOO_DEEP);
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 8), SEGB_OK);
  assert_int_equal(decode(wh, "eyJhIjp7fX0=", &s), SEGB_ERR_BODY_TOO_LARGE);
  assert_int_equal(decode(NULL, "e30=", NULL), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_settings_decode(NULL, NULL, 0, &s),
                   SEGB_ERR_INVALID_ARG);
  assert_null(s);
  segb_webhook_destroy(wh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_event),
      cmocka_unit_test(test_array_and_batch),
      cmocka_unit_test(test_empty_batches),
      cmocka_unit_test(test_bad_events_among_good),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_default_event_limit),
      cmocka_unit_test(test_malformed_bodies),
      cmocka_unit_test(test_parse_bad_arguments),
      cmocka_unit_test(test_settings),
      cmocka_unit_test(test_settings_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
