/* Re-importing events exported from Segment with
 * segb_message_new_from_json(): what is kept (messageId, timestamp, context
 * with the original context.library, channel, _metadata), what is dropped
 * (the server's and the sender's own fields), what is converted (numeric
 * IDs, nulls), and what is still refused. The bytes are read back with
 * cJSON, an independent parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include <segbridge/segbridge.h>

/* An event as Segment exports it: server fields, a library of its own, a
 * null anonymousId and a numeric userId. */
static const char exported_track[] =
    "{\"anonymousId\":null,\"channel\":\"server\","
    "\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"1.2."
    "3\"},\"ip\":\"203.0.113.9\"},\"event\":\"Order Completed\","
    "\"integrations\":{\"All\":true},\"messageId\":\"api-bV5ZmieDrhHeMrqws\","
    "\"originalTimestamp\":\"2017-09-10T00:32:29+08:00\",\"projectId\":"
    "\"3jjqD3uFsq\",\"properties\":{\"revenue\":19.99},\"receivedAt\":"
    "\"2017-09-09T16:32:30.575Z\",\"sentAt\":\"2017-09-09T16:32:29.000Z\","
    "\"timestamp\":\"2017-09-09T16:32:30.575Z\",\"type\":\"track\","
    "\"userId\":12345,\"version\":2,\"writeKey\":\"old-key\","
    "\"_metadata\":{\"bundled\":[\"Segment.io\"],\"unbundled\":[]}}";

/* Import @text, seal it and parse the bytes; the message goes to *@out. */
static cJSON *import(const char *text, segb_message_t **out) {
  segb_message_t *m = segb_message_new_from_json(text, strlen(text));
  const char *bytes;
  size_t len = 0;
  cJSON *root;

  assert_non_null(m);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  bytes = segb_message_json(m, &len);
  root = cJSON_ParseWithLength(bytes, len);
  assert_non_null(root);
  *out = m;
  return root;
}

static const char *str_at(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_exported_track_replays(void **state) {
  segb_message_t *m;
  cJSON *root = import(exported_track, &m), *context, *library, *meta;
  static const char *const dropped[] = {
      "receivedAt", "sentAt",   "originalTimestamp", "projectId",
      "version",    "writeKey", "anonymousId"};
  size_t i;
  (void)state;

  assert_string_equal(segb_message_id(m), "api-bV5ZmieDrhHeMrqws");
  assert_string_equal(str_at(root, "messageId"), "api-bV5ZmieDrhHeMrqws");
  assert_string_equal(str_at(root, "timestamp"), "2017-09-09T16:32:30.575Z");
  assert_string_equal(str_at(root, "userId"), "12345");
  assert_string_equal(str_at(root, "channel"), "server");
  assert_string_equal(str_at(root, "event"), "Order Completed");
  meta = cJSON_GetObjectItemCaseSensitive(root, "_metadata");
  assert_true(cJSON_IsObject(meta));
  assert_string_equal(
      cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(meta, "bundled"), 0)
          ->valuestring,
      "Segment.io");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(root, "integrations"), "All")));
  context = cJSON_GetObjectItemCaseSensitive(root, "context");
  assert_string_equal(str_at(context, "ip"), "203.0.113.9");
  library = cJSON_GetObjectItemCaseSensitive(context, "library");
  assert_string_equal(str_at(library, "name"), "analytics-node");
  assert_string_equal(str_at(library, "version"), "1.2.3");
  /* one library member: the original's, not a second one of ours */
  assert_int_equal(cJSON_GetArraySize(context), 2);
  for (i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
    assert_null(cJSON_GetObjectItemCaseSensitive(root, dropped[i]));
  cJSON_Delete(root);
  segb_message_destroy(m);
}

static void test_every_type_from_an_export(void **state) {
  static const struct {
    const char *line;
    const char *key, *value; /* a member the import converts or keeps */
    const char *absent;      /* one it drops */
  } cases[] = {
      {"{\"type\":\"identify\",\"userId\":7,\"traits\":{\"plan\":\"pro\"},"
       "\"context\":{\"traits\":{\"plan\":\"pro\"},\"library\":{\"name\":"
       "\"analytics.js\",\"version\":\"5\"}},\"receivedAt\":"
       "\"2020-01-01T00:00:00.000Z\"}",
       "userId", "7", "receivedAt"},
      {"{\"type\":\"page\",\"anonymousId\":\"a-1\",\"userId\":null,\"name\":"
       "null,\"category\":\"Docs\",\"properties\":{\"path\":\"/\"},"
       "\"version\":2}",
       "category", "Docs", "name"},
      {"{\"type\":\"screen\",\"userId\":\"u\",\"name\":\"Home\","
       "\"channel\":\"mobile\",\"projectId\":\"p\"}",
       "channel", "mobile", "projectId"},
      {"{\"type\":\"group\",\"userId\":\"u\",\"groupId\":900,\"traits\":{},"
       "\"originalTimestamp\":\"2020-01-01T00:00:00.000Z\"}",
       "groupId", "900", "originalTimestamp"},
      {"{\"type\":\"alias\",\"userId\":\"u\",\"previousId\":-4,\"sentAt\":"
       "\"2020-01-01T00:00:00.000Z\"}",
       "previousId", "-4", "sentAt"},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segb_message_t *m;
    cJSON *root = import(cases[i].line, &m);

    assert_string_equal(str_at(root, cases[i].key), cases[i].value);
    assert_null(cJSON_GetObjectItemCaseSensitive(root, cases[i].absent));
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "version"));
    cJSON_Delete(root);
    segb_message_destroy(m);
  }
}

/* A whole number past 2^53 keeps every digit; no double in between. */
static void test_big_numeric_id_exact(void **state) {
  segb_message_t *m;
  cJSON *root = import("{\"type\":\"track\",\"userId\":12345678901234567890123,"
                       "\"event\":\"E\"}",
                       &m);
  (void)state;

  assert_string_equal(str_at(root, "userId"), "12345678901234567890123");
  cJSON_Delete(root);
  segb_message_destroy(m);
}

/* Without a context.library of its own, a line gets libsegbridge's. */
static void test_library_stamped_when_absent(void **state) {
  segb_message_t *m;
  cJSON *root = import("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\","
                       "\"context\":{\"ip\":\"198.51.100.1\"}}",
                       &m);
  cJSON *context = cJSON_GetObjectItemCaseSensitive(root, "context");
  (void)state;

  assert_string_equal(
      str_at(cJSON_GetObjectItemCaseSensitive(context, "library"), "name"),
      "libsegbridge");
  assert_string_equal(str_at(context, "ip"), "198.51.100.1");
  cJSON_Delete(root);
  segb_message_destroy(m);
}

static void test_still_refused(void **state) {
  static const struct {
    const char *line;
    int err;
    const char *mentions;
  } cases[] = {
      {"{\"type\":\"track\",\"userId\":1.5,\"event\":\"E\"}",
       SEGB_ERR_JSON_TYPE, "userId"},
      {"{\"type\":\"track\",\"userId\":1e3,\"event\":\"E\"}",
       SEGB_ERR_JSON_TYPE, "userId"},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":7}", SEGB_ERR_JSON_TYPE,
       "event"},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"channel\":5}",
       SEGB_ERR_JSON_TYPE, "channel"},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"_metadata\":[]}",
       SEGB_ERR_JSON_TYPE, "_metadata"},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"context\":"
       "{\"library\":\"x\"}}",
       SEGB_ERR_JSON_TYPE, "context.library"},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"bogus\":1}",
       SEGB_ERR_INVALID_FIELD, "bogus"},
      {"{\"type\":\"identify\",\"userId\":\"u\",\"event\":\"E\"}",
       SEGB_ERR_INVALID_FIELD, "event"},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_null(
        segb_message_new_from_json(cases[i].line, strlen(cases[i].line)));
    assert_int_equal(segb_last_error(), cases[i].err);
    assert_non_null(strstr(segb_last_error_message(), cases[i].mentions));
  }
}

/* The import's rules are the import's: the setters still refuse these. */
static void test_setters_unchanged(void **state) {
  segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);
  (void)state;

  assert_int_equal(segb_message_set_string(m, "channel", "server"),
                   SEGB_ERR_INVALID_FIELD);
  assert_int_equal(segb_message_set_int64(m, "userId", 42), SEGB_ERR_JSON_TYPE);
  assert_int_equal(
      segb_message_set_json(m, "context", "{\"library\":{\"name\":\"x\"}}"),
      SEGB_ERR_INVALID_FIELD);
  segb_message_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exported_track_replays),
      cmocka_unit_test(test_every_type_from_an_export),
      cmocka_unit_test(test_big_numeric_id_exact),
      cmocka_unit_test(test_library_stamped_when_absent),
      cmocka_unit_test(test_still_refused),
      cmocka_unit_test(test_setters_unchanged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
