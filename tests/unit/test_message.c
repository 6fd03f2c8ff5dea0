/* Message builders: every type valid and invalid, typed setters, JSON text,
 * UTF-8, limits, and the rule that a failed setter changes nothing. The
 * serialized bytes are checked by parsing them with cJSON, an independent
 * parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/segbridge.h>

#include "client_int.h"
#include "core/clock.h"

/* 2026-04-19T10:00:00.123Z */
static int64_t fixed_clock(void) { return 1776592800123LL; }

static segb_message_t *new_msg(int type) {
  segb_message_t *m = segb_message_new(type);
  assert_non_null(m);
  return m;
}

/* Seal @m and parse its bytes with cJSON. */
static cJSON *sealed_json(segb_message_t *m) {
  size_t len = 0;
  const char *bytes;
  cJSON *root;

  assert_int_equal(segb_message_seal(m), SEGB_OK);
  bytes = segb_message_json(m, &len);
  assert_non_null(bytes);
  assert_int_equal(strlen(bytes), len);
  root = cJSON_ParseWithLength(bytes, len);
  assert_non_null(root);
  return root;
}

static const char *str_at(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}

static void assert_error_mentions(const char *needle) {
  const char *detail = segb_last_error_message();
  if (strstr(detail, needle) == NULL)
    fail_msg("error detail \"%s\" does not mention \"%s\"", detail, needle);
}

static int is_uuid4(const char *s) {
  int i;
  if (strlen(s) != 36 || s[14] != '4' || strchr("89ab", s[19]) == NULL)
    return 0;
  for (i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return 0;
    } else if (strchr("0123456789abcdef", s[i]) == NULL) {
      return 0;
    }
  }
  return 1;
}

static void test_track_round_trip(void **state) {
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  cJSON *j, *props, *lib;
  (void)state;

  assert_int_equal(segb_message_set_string(m, "userId", "u-42"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "Order Completed"),
                   SEGB_OK);
  assert_int_equal(segb_message_set_double(m, "properties.revenue", 19.99),
                   SEGB_OK);
  assert_int_equal(segb_message_set_int64(m, "properties.items", 3), SEGB_OK);
  assert_int_equal(segb_message_set_bool(m, "properties.gift", 1), SEGB_OK);
  assert_int_equal(segb_message_set_null(m, "properties.coupon"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.plan", "pro"),
                   SEGB_OK);
  assert_int_equal(segb_message_type(m), SEGB_MSG_TRACK);
  assert_true(is_uuid4(segb_message_id(m)));

  j = sealed_json(m);
  assert_string_equal(str_at(j, "type"), "track");
  assert_string_equal(str_at(j, "userId"), "u-42");
  assert_string_equal(str_at(j, "event"), "Order Completed");
  assert_string_equal(str_at(j, "messageId"), segb_message_id(m));
  assert_string_equal(str_at(j, "timestamp"), segb_message_timestamp(m));
  props = cJSON_GetObjectItemCaseSensitive(j, "properties");
  assert_true(cJSON_IsObject(props));
  assert_true(cJSON_GetObjectItem(props, "revenue")->valuedouble == 19.99);
  assert_int_equal(cJSON_GetObjectItem(props, "items")->valueint, 3);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(props, "gift")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(props, "coupon")));
  assert_string_equal(str_at(props, "plan"), "pro");
  lib = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(j, "context"), "library");
  assert_string_equal(str_at(lib, "name"), "libsegbridge");
  assert_string_equal(str_at(lib, "version"), SEGB_VERSION_STR);
  assert_string_equal(segb_version_str(), SEGB_VERSION_STR);
  cJSON_Delete(j);
  segb_message_destroy(m);
}

/* One valid message of every type, with each type's own fields. */
static void test_every_type_valid(void **state) {
  static const struct {
    int type;
    const char *name;
    const char *field, *value;
  } cases[] = {
      {SEGB_MSG_IDENTIFY, "identify", "traits.email", "a@example.com"},
      {SEGB_MSG_TRACK, "track", "event", "Signed Up"},
      {SEGB_MSG_PAGE, "page", "name", "Home"},
      {SEGB_MSG_SCREEN, "screen", "category", "Settings"},
      {SEGB_MSG_GROUP, "group", "groupId", "g-1"},
      {SEGB_MSG_ALIAS, "alias", "previousId", "anon-1"},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segb_message_t *m = new_msg(cases[i].type);
    cJSON *j;

    assert_string_equal(segb_message_type_name(cases[i].type), cases[i].name);
    assert_int_equal(segb_message_set_string(m, "userId", "u-1"), SEGB_OK);
    assert_int_equal(segb_message_set_string(m, cases[i].field, cases[i].value),
                     SEGB_OK);
    j = sealed_json(m);
    assert_string_equal(str_at(j, "type"), cases[i].name);
    assert_string_equal(str_at(j, "userId"), "u-1");
    cJSON_Delete(j);
    segb_message_destroy(m);
  }
  assert_null(segb_message_type_name(0));
  assert_null(segb_message_type_name(7));
}

static void expect_seal_error(segb_message_t *m, int code, const char *words) {
  assert_int_equal(segb_message_seal(m), code);
  assert_null(segb_message_json(m, NULL));
  assert_error_mentions(words);
}

static void test_required_fields(void **state) {
  segb_message_t *m;
  int type;
  (void)state;

  for (type = SEGB_MSG_IDENTIFY; type <= SEGB_MSG_SCREEN; type++) {
    m = new_msg(type);
    expect_seal_error(m, SEGB_ERR_MISSING_FIELD, "userId or anonymousId");
    segb_message_destroy(m);
  }
  m = new_msg(SEGB_MSG_TRACK);
  assert_int_equal(segb_message_set_string(m, "anonymousId", "a-1"), SEGB_OK);
  expect_seal_error(m, SEGB_ERR_MISSING_FIELD, "event");
  assert_int_equal(segb_message_set_string(m, "event", "E"), SEGB_OK);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  segb_message_destroy(m);

  m = new_msg(SEGB_MSG_GROUP);
  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  expect_seal_error(m, SEGB_ERR_MISSING_FIELD, "groupId");
  segb_message_destroy(m);

  m = new_msg(SEGB_MSG_ALIAS);
  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  expect_seal_error(m, SEGB_ERR_MISSING_FIELD, "previousId");
  segb_message_destroy(m);

  m = new_msg(SEGB_MSG_ALIAS);
  assert_int_equal(segb_message_set_string(m, "previousId", "p"), SEGB_OK);
  expect_seal_error(m, SEGB_ERR_MISSING_FIELD, "userId");
  /* alias has no anonymousId to stand in for userId */
  assert_int_equal(segb_message_set_string(m, "anonymousId", "a"),
                   SEGB_ERR_INVALID_FIELD);
  assert_error_mentions("anonymousId");
  segb_message_destroy(m);
}

static void test_field_rules(void **state) {
  segb_message_t *m = new_msg(SEGB_MSG_IDENTIFY);
  segb_message_t *p = new_msg(SEGB_MSG_PAGE);
  (void)state;

  assert_int_equal(segb_message_set_string(m, "event", "x"),
                   SEGB_ERR_INVALID_FIELD);
  assert_error_mentions("event is not a field of identify");
  assert_int_equal(segb_message_set_string(m, "properties.a", "x"),
                   SEGB_ERR_INVALID_FIELD);
  assert_int_equal(segb_message_set_string(m, "nonsense", "x"),
                   SEGB_ERR_INVALID_FIELD);
  assert_error_mentions("nonsense");
  assert_int_equal(segb_message_set_string(m, "userId", ""),
                   SEGB_ERR_EMPTY_FIELD);
  assert_error_mentions("userId");
  assert_int_equal(segb_message_set_int64(m, "userId", 5), SEGB_ERR_JSON_TYPE);
  assert_error_mentions("userId must be a string");
  assert_int_equal(segb_message_set_string(m, "userId.x", "y"),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_message_set_json(m, "traits", "[1,2]"),
                   SEGB_ERR_JSON_TYPE);
  assert_error_mentions("traits must be a JSON object");
  assert_int_equal(segb_message_set_string(m, "context.library.name", "me"),
                   SEGB_ERR_INVALID_FIELD);
  assert_int_equal(
      segb_message_set_json(m, "context", "{\"library\":{\"name\":\"me\"}}"),
      SEGB_ERR_INVALID_FIELD);
  assert_error_mentions("context.library");

  assert_int_equal(segb_message_set_string(p, "name", ""),
                   SEGB_ERR_EMPTY_FIELD);
  assert_error_mentions("name");
  assert_int_equal(segb_message_set_bool(p, "category", 1), SEGB_ERR_JSON_TYPE);
  assert_error_mentions("category");
  segb_message_destroy(m);
  segb_message_destroy(p);
}

static void test_paths(void **state) {
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  cJSON *j, *props;
  (void)state;

  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "E"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.a.b.c", "deep"),
                   SEGB_OK);
  assert_int_equal(segb_message_set_int64(m, "properties.a.b.n", 7), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.v1\\.2", "dot"),
                   SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.back\\\\slash", "bs"),
                   SEGB_OK);
  /* replacing keeps one member */
  assert_int_equal(segb_message_set_string(m, "event", "E2"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.", "x"),
                   SEGB_ERR_INVALID_FIELD);
  assert_error_mentions("empty segment");
  assert_int_equal(segb_message_set_string(m, "properties..x", "x"),
                   SEGB_ERR_INVALID_FIELD);
  assert_int_equal(segb_message_set_string(m, "properties.\\x", "x"),
                   SEGB_ERR_INVALID_FIELD);
  assert_int_equal(segb_message_set_string(m, "", "x"), SEGB_ERR_INVALID_FIELD);
  assert_int_equal(segb_message_set_string(m, "properties.a.b.c.d", "x"),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_message_set_string(m, "properties.\xC0\xAF", "x"),
                   SEGB_ERR_INVALID_UTF8);

  j = sealed_json(m);
  assert_string_equal(str_at(j, "event"), "E2");
  props = cJSON_GetObjectItemCaseSensitive(j, "properties");
  assert_string_equal(
      str_at(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "a"), "b"), "c"),
      "deep");
  assert_int_equal(
      cJSON_GetObjectItem(
          cJSON_GetObjectItem(cJSON_GetObjectItem(props, "a"), "b"), "n")
          ->valueint,
      7);
  assert_string_equal(str_at(props, "v1.2"), "dot");
  assert_string_equal(str_at(props, "back\\slash"), "bs");
  cJSON_Delete(j);
  segb_message_destroy(m);
}

static void test_numbers(void **state) {
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  const char *bytes;
  (void)state;

  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "E"), SEGB_OK);
  assert_int_equal(segb_message_set_int64(m, "properties.max", INT64_MAX),
                   SEGB_OK);
  assert_int_equal(segb_message_set_int64(m, "properties.min", INT64_MIN),
                   SEGB_OK);
  assert_int_equal(segb_message_set_double(m, "properties.tenth", 0.1),
                   SEGB_OK);
  assert_int_equal(segb_message_set_double(m, "properties.nan", NAN),
                   SEGB_ERR_INVALID_NUMBER);
  assert_error_mentions("properties.nan");
  assert_int_equal(segb_message_set_double(m, "properties.inf", INFINITY),
                   SEGB_ERR_INVALID_NUMBER);
  assert_int_equal(segb_message_set_double(m, "properties.ninf", -INFINITY),
                   SEGB_ERR_INVALID_NUMBER);
  assert_int_equal(
      segb_message_set_json(m, "properties.big", "12345678901234567890123"),
      SEGB_OK);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  bytes = segb_message_json(m, NULL);
  /* integers are written exactly, not through a double */
  assert_non_null(strstr(bytes, "\"max\":9223372036854775807"));
  assert_non_null(strstr(bytes, "\"min\":-9223372036854775808"));
  assert_non_null(strstr(bytes, "\"tenth\":0.1"));
  assert_non_null(strstr(bytes, "\"big\":12345678901234567890123"));
  assert_null(strstr(bytes, "nan"));
  segb_message_destroy(m);
}

static void test_json_text(void **state) {
  segb_message_t *m = new_msg(SEGB_MSG_IDENTIFY);
  char deep[200];
  cJSON *j, *traits;
  int i;
  (void)state;

  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  assert_int_equal(segb_message_set_json(m, "traits",
                                         " { \"plan\" : \"pro\", \"seats\": 5,"
                                         " \"tags\": [\"a\", true, null] } "),
                   SEGB_OK);
  assert_int_equal(segb_message_set_json(m, "traits", "{\"plan\":"),
                   SEGB_ERR_INVALID_JSON);
  assert_error_mentions("traits");
  assert_int_equal(
      segb_message_set_json(m, "traits", "{\"a\":\"\xED\xA0\x80\"}"),
      SEGB_ERR_INVALID_UTF8);
  assert_int_equal(segb_message_set_json(m, "traits", "{} x"),
                   SEGB_ERR_INVALID_JSON);
  assert_int_equal(segb_message_set_json(m, "traits", NULL),
                   SEGB_ERR_INVALID_ARG);
  /* explicit length: only the first 2 bytes are JSON */
  assert_int_equal(segb_message_set_json_len(m, "traits.n", "42garbage", 2),
                   SEGB_OK);
  assert_int_equal(
      segb_message_set_json(m, "context", "{\"ip\":\"203.0.113.9\"}"), SEGB_OK);
  assert_int_equal(segb_message_set_json(m, "integrations",
                                         "{\"All\":false,\"Mixpanel\":true}"),
                   SEGB_OK);

  /* 64 levels of nesting pass, 65 do not */
  for (i = 0; i < 64; i++) {
    deep[i] = '[';
    deep[64 + i] = ']';
  }
  deep[128] = '\0';
  assert_int_equal(segb_message_set_json(m, "traits.deep", deep), SEGB_OK);
  memmove(deep + 1, deep, 129);
  deep[0] = '[';
  deep[129] = ']';
  deep[130] = '\0';
  assert_int_equal(segb_message_set_json(m, "traits.deeper", deep),
                   SEGB_ERR_TOO_DEEP);

  j = sealed_json(m);
  traits = cJSON_GetObjectItemCaseSensitive(j, "traits");
  assert_string_equal(str_at(traits, "plan"), "pro");
  assert_int_equal(cJSON_GetObjectItem(traits, "seats")->valueint, 5);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(traits, "tags")), 3);
  assert_int_equal(cJSON_GetObjectItem(traits, "n")->valueint, 42);
  assert_non_null(cJSON_GetObjectItem(traits, "deep"));
  assert_null(cJSON_GetObjectItem(traits, "deeper"));
  assert_string_equal(str_at(cJSON_GetObjectItem(j, "context"), "ip"),
                      "203.0.113.9");
  assert_true(cJSON_IsFalse(
      cJSON_GetObjectItem(cJSON_GetObjectItem(j, "integrations"), "All")));
  cJSON_Delete(j);
  segb_message_destroy(m);
}

static void test_utf8_values(void **state) {
  static const struct {
    const char *bytes;
    size_t len;
  } bad[] = {
      {"\xC0\xAF", 2},         /* overlong '/' */
      {"\xE0\x80\xAF", 3},     /* overlong, 3 bytes */
      {"\xF0\x80\x80\xAF", 4}, /* overlong, 4 bytes */
      {"\xED\xA0\x80", 3},     /* UTF-16 high surrogate */
      {"\xED\xBF\xBF", 3},     /* UTF-16 low surrogate */
      {"\xE2\x82", 2},         /* truncated euro sign */
      {"ab\xF0\x9F\x98", 5},   /* truncated emoji at the end */
      {"\x80", 1},             /* lone continuation byte */
      {"\xF4\x90\x80\x80", 4}, /* above U+10FFFF */
      {"\xFF", 1},
  };
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  const char *bytes;
  size_t i, len;
  cJSON *j;
  (void)state;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(segb_message_set_string_len(m, "properties.s",
                                                 bad[i].bytes, bad[i].len),
                     SEGB_ERR_INVALID_UTF8);
    assert_error_mentions("properties.s");
  }
  assert_int_equal(segb_message_set_string(m, "userId", "\xC3\xA9l\xC3\xA8ve"),
                   SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "\xF0\x9F\x98\x80"),
                   SEGB_OK);
  assert_int_equal(segb_message_set_string_len(m, "properties.nul", "a\0b", 3),
                   SEGB_OK);
  assert_int_equal(
      segb_message_set_string(m, "properties.ctl", "tab\tquote\"nl\n\x01"),
      SEGB_OK);
  assert_int_equal(
      segb_message_set_string_len(m, "properties.max", "\xF4\x8F\xBF\xBF", 4),
      SEGB_OK);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  bytes = segb_message_json(m, &len);
  assert_non_null(strstr(bytes, "\"nul\":\"a\\u0000b\""));
  j = cJSON_ParseWithLength(bytes, len);
  assert_non_null(j);
  assert_string_equal(str_at(j, "userId"), "\xC3\xA9l\xC3\xA8ve");
  assert_string_equal(str_at(j, "event"), "\xF0\x9F\x98\x80");
  assert_string_equal(str_at(cJSON_GetObjectItem(j, "properties"), "ctl"),
                      "tab\tquote\"nl\n\x01");
  cJSON_Delete(j);
  segb_message_destroy(m);
}

static void test_message_id(void **state) {
  char id[302];
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  segb_message_t *other = new_msg(SEGB_MSG_TRACK);
  cJSON *j;
  (void)state;

  assert_string_not_equal(segb_message_id(m), segb_message_id(other));
  memset(id, 'x', 101);
  id[101] = '\0';
  assert_int_equal(segb_message_set_string(m, "messageId", id),
                   SEGB_ERR_MESSAGE_ID_TOO_LONG);
  assert_error_mentions("messageId");
  id[100] = '\0';
  id[0] = '"';
  assert_int_equal(segb_message_set_string(m, "messageId", id), SEGB_OK);
  assert_string_equal(segb_message_id(m), id);
  /* 100 three-byte characters are 100 characters */
  for (int i = 0; i < 100; i++)
    memcpy(id + 3 * i, "\xE2\x82\xAC", 3);
  id[300] = '\0';
  assert_int_equal(segb_message_set_string(other, "messageId", id), SEGB_OK);
  /* an emoji counts twice, as in JavaScript */
  memcpy(id + 297, "\xF0\x9F\x98\x80", 5);
  assert_int_equal(segb_message_set_string(other, "messageId", id),
                   SEGB_ERR_MESSAGE_ID_TOO_LONG);
  assert_int_equal(segb_message_set_string(m, "messageId", ""),
                   SEGB_ERR_EMPTY_FIELD);
  assert_int_equal(segb_message_set_string_len(m, "messageId", "a\0b", 3),
                   SEGB_ERR_INVALID_FIELD);
  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "E"), SEGB_OK);
  j = sealed_json(m);
  memset(id, 'x', 100);
  id[100] = '\0';
  id[0] = '"';
  assert_string_equal(str_at(j, "messageId"), id);
  cJSON_Delete(j);
  segb_message_destroy(m);
  segb_message_destroy(other);
}

static void test_timestamp(void **state) {
  static const char *const bad[] = {
      "2026-02-30T10:00:00Z",
      "2026-04-19 10:00:00Z",
      "2026-04-19T10:00:00",
      "2026-04-19T24:00:00Z",
      "2026-04-19T10:00:00.Z",
      "2026-04-19T10:00:00+0100",
      "2026-4-19T10:00:00Z",
      "2026-04-19T10:00:00.1234567890Z",
      "yesterday",
      "2025-02-29T00:00:00Z",
  };
  static const char *const good[] = {
      "2024-02-29T00:00:00Z",
      "2026-04-19T10:00:00.5+02:00",
      "1999-12-31T23:59:60Z",
      "2026-04-19T10:00:00.123456789-11:30",
  };
  segb_message_t *m;
  size_t i;
  (void)state;

  sbi_clock_set_override(fixed_clock);
  m = new_msg(SEGB_MSG_IDENTIFY);
  sbi_clock_set_override(NULL);
  assert_string_equal(segb_message_timestamp(m), "2026-04-19T10:00:00.123Z");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(segb_message_set_string(m, "timestamp", bad[i]),
                     SEGB_ERR_INVALID_TIMESTAMP);
    assert_string_equal(segb_message_timestamp(m), "2026-04-19T10:00:00.123Z");
  }
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    assert_int_equal(segb_message_set_string(m, "timestamp", good[i]), SEGB_OK);
    assert_string_equal(segb_message_timestamp(m), good[i]);
  }
  segb_message_destroy(m);

  /* the default has the ....T..:..:..mmmZ form */
  m = new_msg(SEGB_MSG_IDENTIFY);
  assert_int_equal(strlen(segb_message_timestamp(m)), 24);
  assert_int_equal(segb_message_timestamp(m)[23], 'Z');
  assert_int_equal(segb_message_timestamp(m)[19], '.');
  segb_message_destroy(m);
}

/* A track message whose serialized form is exactly @target bytes. */
static segb_message_t *message_of_size(size_t target) {
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  size_t base_len;
  char *pad;

  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "E"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "messageId", "fixed-id"),
                   SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.pad", ""), SEGB_OK);
  /* measure with an empty pad on a twin, then grow the pad to fit */
  {
    segb_message_t *twin = new_msg(SEGB_MSG_TRACK);
    assert_int_equal(segb_message_set_string(twin, "userId", "u"), SEGB_OK);
    assert_int_equal(segb_message_set_string(twin, "event", "E"), SEGB_OK);
    assert_int_equal(segb_message_set_string(twin, "messageId", "fixed-id"),
                     SEGB_OK);
    assert_int_equal(
        segb_message_set_string(twin, "timestamp", segb_message_timestamp(m)),
        SEGB_OK);
    assert_int_equal(segb_message_set_string(twin, "properties.pad", ""),
                     SEGB_OK);
    assert_int_equal(segb_message_seal(twin), SEGB_OK);
    segb_message_json(twin, &base_len);
    segb_message_destroy(twin);
  }
  pad = malloc(target - base_len + 1);
  assert_non_null(pad);
  memset(pad, 'p', target - base_len);
  pad[target - base_len] = '\0';
  assert_int_equal(segb_message_set_string(m, "properties.pad", pad), SEGB_OK);
  free(pad);
  return m;
}

static void test_size_limit(void **state) {
  segb_message_t *at = message_of_size(SEGB_MESSAGE_MAX_BYTES);
  segb_message_t *over = message_of_size(SEGB_MESSAGE_MAX_BYTES + 1);
  size_t len = 0;
  (void)state;

  assert_int_equal(segb_message_seal(at), SEGB_OK);
  segb_message_json(at, &len);
  assert_int_equal(len, SEGB_MESSAGE_MAX_BYTES);
  assert_int_equal(segb_message_seal(over), SEGB_ERR_TOO_LARGE);
  assert_error_mentions("32769 bytes");
  assert_null(segb_message_json(over, NULL));
  /* still editable: shrink it and it seals */
  assert_int_equal(segb_message_set_string(over, "properties.pad", "small"),
                   SEGB_OK);
  assert_int_equal(segb_message_seal(over), SEGB_OK);
  segb_message_destroy(at);
  segb_message_destroy(over);
}

static int reports; /* delivery reports seen by count_report */

static void count_report(segb_client_t *c, const segb_report_t *r,
                         void *opaque) {
  (void)c;
  (void)r;
  (void)opaque;
  reports++;
}

/* A client with message.max_bytes = @limit that sends to a capture
 * transport answering 200. */
static segb_client_t *limited_client(const char *limit, sbi_transport **t) {
  segb_config_t *conf = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];
  segb_client_t *c;

  assert_non_null(conf);
  assert_int_equal(segb_config_set(conf, "write_key", "k", err, sizeof err),
                   SEGB_OK);
  assert_int_equal(
      segb_config_set(conf, "message.max_bytes", limit, err, sizeof err),
      SEGB_OK);
  segb_config_set_delivery_cb(conf, count_report);
  *t = sbi_capture_transport_new(200, "{}");
  assert_non_null(*t);
  c = sbi_client_new(conf, *t, err, sizeof err);
  assert_non_null(c);
  return c;
}

/* message.max_bytes is the client's limit: enqueue refuses a longer
 * message, whether it seals it or the caller sealed it before, and no
 * report follows; a message at the limit goes out. */
static void test_client_message_limit(void **state) {
  segb_message_t *at = message_of_size(2000);
  segb_message_t *over = message_of_size(2001);
  segb_message_t *sealed_over = message_of_size(2001);
  sbi_transport *t;
  segb_client_t *c = limited_client("2000", &t);
  (void)state;

  reports = 0;
  assert_int_equal(segb_client_enqueue(c, over), SEGB_ERR_TOO_LARGE);
  assert_string_equal(segb_err_name(segb_last_error()), "SEGB_ERR_TOO_LARGE");
  assert_error_mentions("2001 bytes");
  assert_error_mentions("message.max_bytes");
  assert_error_mentions("is 2000");
  /* sealed under Segment's 32 KB, still too long for this client */
  assert_int_equal(segb_message_seal(sealed_over), SEGB_OK);
  assert_int_equal(segb_client_enqueue(c, sealed_over), SEGB_ERR_TOO_LARGE);
  assert_error_mentions("2001 bytes");
  assert_int_equal(segb_client_outq_len(c), 0);
  assert_int_equal(segb_client_enqueue(c, at), SEGB_OK);
  assert_int_equal(segb_client_outq_len(c), 1);
  assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
  assert_int_equal(sbi_capture_count(t), 1);
  assert_int_equal(reports, 1);
  assert_int_equal(segb_client_close(c, 0), SEGB_OK);
  assert_int_equal(reports, 1);

  /* the default is Segment's limit */
  c = limited_client("32768", &t);
  assert_int_equal(
      segb_client_enqueue(c, message_of_size(SEGB_MESSAGE_MAX_BYTES + 1)),
      SEGB_ERR_TOO_LARGE);
  assert_error_mentions("Segment's limit is 32768");
  assert_int_equal(
      segb_client_enqueue(c, message_of_size(SEGB_MESSAGE_MAX_BYTES)), SEGB_OK);
  assert_int_equal(segb_client_close(c, 60000), SEGB_OK);
}

/* A twin built the same way except for one failed setter must serialize to
 * the same bytes. */
static segb_message_t *base_message(void) {
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  assert_int_equal(segb_message_set_string(m, "messageId", "same-id"), SEGB_OK);
  assert_int_equal(
      segb_message_set_string(m, "timestamp", "2026-04-19T10:00:00.000Z"),
      SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "userId", "u"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "E"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "properties.a", "x"), SEGB_OK);
  assert_int_equal(segb_message_set_json(m, "context", "{\"ip\":\"1.2.3.4\"}"),
                   SEGB_OK);
  return m;
}

static void test_failed_setter_changes_nothing(void **state) {
  segb_message_t *want = base_message();
  const char *want_bytes;
  int round;
  (void)state;

  assert_int_equal(segb_message_seal(want), SEGB_OK);
  want_bytes = segb_message_json(want, NULL);
  for (round = 0; round < 9; round++) {
    segb_message_t *m = base_message();
    int rc = SEGB_OK;
    switch (round) {
    case 0:
      rc = segb_message_set_string(m, "properties.a.b", "y");
      break;
    case 1:
      rc = segb_message_set_json(m, "properties", "{\"a\":");
      break;
    case 2:
      rc = segb_message_set_json(m, "properties", "[]");
      break;
    case 3:
      rc = segb_message_set_string_len(m, "properties.a", "\xFF", 1);
      break;
    case 4:
      rc = segb_message_set_double(m, "properties.a", NAN);
      break;
    case 5:
      rc = segb_message_set_string(m, "messageId", "\xC0");
      break;
    case 6:
      rc = segb_message_set_string(m, "timestamp", "now");
      break;
    case 7:
      rc = segb_message_set_string(m, "userId", "");
      break;
    case 8:
      rc = segb_message_set_json(m, "context", "{\"library\":1}");
      break;
    }
    assert_true(rc < 0);
    assert_int_equal(segb_message_seal(m), SEGB_OK);
    assert_string_equal(segb_message_json(m, NULL), want_bytes);
    segb_message_destroy(m);
  }
  segb_message_destroy(want);
}

/* A number a double cannot hold is refused, by the path of the number; the
 * message stays as it was. Every other number keeps its text. */
static void test_numbers_beyond_double(void **state) {
  static const struct {
    const char *field, *json, *path, *number;
  } refused[] = {
      {"properties.price", "1e400", "'properties.price'", "1e400"},
      {"properties.price", "-1e400", "'properties.price'", "-1e400"},
      {"properties", "{\"a\":{\"b\":[1,2,1E+309]}}", "'properties.a.b[2]'",
       "1E+309"},
      {"properties", "{\"x.y\":1e999}", "'properties.x\\.y'", "1e999"},
      {"traits.n", "[{\"k\":-2e308}]", "'traits.n[0].k'", "-2e308"},
      {"context", "{\"n\\u0001\":1e309}", "'context.n\\x01'", "1e309"},
  };
  static const char want[] =
      "\"properties\":{\"a\":1e308,\"b\":-1.7976931348623157e308,"
      "\"c\":1e-400,\"d\":12345678901234567890123,"
      "\"e\":0.10000000000000000000001,\"f\":1E+2,"
      "\"g\":0.0000000001e310}";
  segb_message_t *m = base_message();
  const char *before, *kept;
  char *huge;
  size_t i;
  (void)state;

  assert_int_equal(segb_message_set_json(m, "properties.keep", "1"), SEGB_OK);
  for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    int type = strncmp(refused[i].field, "traits", 6) == 0 ? SEGB_MSG_IDENTIFY
                                                           : SEGB_MSG_TRACK;
    segb_message_t *t = type == SEGB_MSG_TRACK ? m : new_msg(type);
    assert_int_equal(
        segb_message_set_json(t, refused[i].field, refused[i].json),
        SEGB_ERR_INVALID_NUMBER);
    assert_error_mentions(refused[i].path);
    assert_error_mentions(refused[i].number);
    assert_error_mentions("beyond the range of a double");
    if (t != m)
      segb_message_destroy(t);
  }
  /* a 400-digit integer too, shown cut */
  huge = malloc(402);
  assert_non_null(huge);
  memset(huge, '9', 400);
  huge[400] = '\0';
  assert_int_equal(segb_message_set_json(m, "properties.big", huge),
                   SEGB_ERR_INVALID_NUMBER);
  assert_error_mentions("'properties.big': the number 99999999999999999999"
                        "999999999999... is beyond");
  free(huge);
  /* nothing changed: the message seals as before */
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  before = segb_message_json(m, NULL);
  assert_non_null(strstr(before, "\"properties\":{\"a\":\"x\",\"keep\":1}"));
  segb_message_destroy(m);

  /* the same from a whole event */
  {
    static const char event[] =
        "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u\","
        "\"properties\":{\"items\":[{\"price\":1e400}]}}";
    assert_null(segb_message_new_from_json(event, sizeof event - 1));
  }
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_NUMBER);
  assert_error_mentions("'properties.items[0].price'");
  assert_error_mentions("1e400");

  /* numbers a double can hold, or that only lose precision or underflow,
   * go out exactly as written */
  m = base_message();
  assert_int_equal(
      segb_message_set_json(m, "properties",
                            "{\"a\":1e308,\"b\":-1.7976931348623157e308,"
                            "\"c\":1e-400,\"d\":12345678901234567890123,"
                            "\"e\":0.10000000000000000000001,\"f\":1E+2,"
                            "\"g\":0.0000000001e310}"),
      SEGB_OK);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  kept = strstr(segb_message_json(m, NULL), "\"properties\":");
  assert_non_null(kept);
  assert_memory_equal(kept, want, sizeof want - 1);
  segb_message_destroy(m);
}

static void test_sealed(void **state) {
  segb_message_t *m = base_message();
  const char *first;
  (void)state;

  assert_null(segb_message_json(m, NULL));
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  first = segb_message_json(m, NULL);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  assert_ptr_equal(segb_message_json(m, NULL), first);
  assert_int_equal(segb_message_set_string(m, "event", "F"), SEGB_ERR_SEALED);
  assert_int_equal(segb_message_set_int64(m, "properties.n", 1),
                   SEGB_ERR_SEALED);
  assert_int_equal(segb_message_set_json(m, "properties", "{}"),
                   SEGB_ERR_SEALED);
  assert_string_equal(segb_message_id(m), "same-id");
  segb_message_destroy(m);
}

static void test_null_arguments(void **state) {
  segb_message_t *m = new_msg(SEGB_MSG_TRACK);
  (void)state;

  assert_null(segb_message_new(0));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_ARG);
  assert_null(segb_message_new(99));
  assert_int_equal(segb_message_set_string(NULL, "userId", "u"),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_string(m, NULL, "u"), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_string(m, "userId", NULL),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_string_len(m, "userId", NULL, 0),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_int64(NULL, "p", 1), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_double(NULL, "p", 1), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_bool(NULL, "p", 1), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_null(NULL, "p"), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_json(NULL, "p", "{}"),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_set_json_len(m, "properties", NULL, 2),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_message_seal(NULL), SEGB_ERR_INVALID_ARG);
  assert_null(segb_message_json(NULL, NULL));
  assert_null(segb_message_id(NULL));
  assert_null(segb_message_timestamp(NULL));
  assert_int_equal(segb_message_type(NULL), 0);
  assert_null(segb_message_new_from_json(NULL, 0));
  segb_message_destroy(NULL);
  segb_message_destroy(m);
}

static segb_message_t *from_text(const char *text) {
  return segb_message_new_from_json(text, strlen(text));
}

static void test_from_json(void **state) {
  static const char line[] =
      "{\"type\":\"track\",\"userId\":\"u-9\",\"event\":\"Imported\","
      "\"messageId\":\"import-1\",\"timestamp\":\"2020-01-02T03:04:05.678Z\","
      "\"sentAt\":\"2020-01-02T03:04:06.000Z\",\"writeKey\":\"k\","
      "\"properties\":{\"n\":1.50}}";
  segb_message_t *m = segb_message_new_from_json(line, sizeof line - 1);
  const char *bytes;
  (void)state;

  assert_non_null(m);
  assert_int_equal(segb_message_type(m), SEGB_MSG_TRACK);
  assert_string_equal(segb_message_id(m), "import-1");
  assert_string_equal(segb_message_timestamp(m), "2020-01-02T03:04:05.678Z");
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  bytes = segb_message_json(m, NULL);
  assert_non_null(strstr(bytes, "\"n\":1.50"));
  assert_null(strstr(bytes, "sentAt"));
  assert_null(strstr(bytes, "writeKey"));
  segb_message_destroy(m);

  assert_null(from_text("{\"userId\":\"u\"}"));
  assert_int_equal(segb_last_error(), SEGB_ERR_MISSING_FIELD);
  assert_null(from_text("{\"type\":\"boom\"}"));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_FIELD);
  assert_null(from_text("[1]"));
  assert_int_equal(segb_last_error(), SEGB_ERR_JSON_TYPE);
  assert_null(from_text("{\"type\":"));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_JSON);
  assert_null(
      from_text("{\"type\":\"identify\",\"userId\":\"u\",\"event\":\"x\"}"));
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_FIELD);
  assert_error_mentions("event");
}

/* JSON text with a key twice is refused with the key named, wherever the
 * twins sit, and the message stays byte-identical to its twin. */
static void test_duplicate_keys_refused(void **state) {
  static const struct {
    const char *path, *json, *key;
  } cases[] = {
      {"properties", "{\"a\":1,\"a\":2}", "\"a\""},
      {"properties", "{\"a\":1,\"b\":{},\"a\":1}", "\"a\""},
      {"properties", "{\"o\":{\"k\":1,\"k\":2}}", "\"k\""},
      {"properties", "{\"l\":[{\"k\":1,\"k\":2}]}", "\"k\""},
      {"properties", "{\"a\":1,\"\\u0061\":2}", "\"a\""},
      {"properties.o", "{\"k\":true,\"k\":true}", "\"k\""},
      {"context", "{\"ip\":\"1.2.3.4\",\"ip\":\"5.6.7.8\"}", "\"ip\""},
      {"integrations", "{\"All\":false,\"All\":true}", "\"All\""},
  };
  segb_message_t *want = base_message();
  const char *want_bytes;
  size_t i;
  (void)state;

  assert_int_equal(segb_message_seal(want), SEGB_OK);
  want_bytes = segb_message_json(want, NULL);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segb_message_t *m = base_message();
    assert_int_equal(segb_message_set_json(m, cases[i].path, cases[i].json),
                     SEGB_ERR_DUPLICATE_KEY);
    assert_error_mentions(cases[i].path);
    assert_error_mentions("duplicate key");
    assert_error_mentions(cases[i].key);
    assert_int_equal(segb_message_seal(m), SEGB_OK);
    assert_string_equal(segb_message_json(m, NULL), want_bytes);
    segb_message_destroy(m);
  }
  segb_message_destroy(want);

  /* traits of identify and group, too */
  {
    segb_message_t *m = new_msg(SEGB_MSG_IDENTIFY);
    assert_int_equal(
        segb_message_set_json(m, "traits", "{\"plan\":\"a\",\"plan\":\"b\"}"),
        SEGB_ERR_DUPLICATE_KEY);
    assert_error_mentions("\"plan\"");
    segb_message_destroy(m);
  }
  /* and a whole message, at the top or deeper */
  assert_null(from_text("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\","
                        "\"event\":\"B\"}"));
  assert_int_equal(segb_last_error(), SEGB_ERR_DUPLICATE_KEY);
  assert_error_mentions("\"event\"");
  assert_null(from_text("{\"type\":\"track\",\"type\":\"identify\","
                        "\"userId\":\"u\",\"event\":\"A\"}"));
  assert_int_equal(segb_last_error(), SEGB_ERR_DUPLICATE_KEY);
  assert_null(from_text("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\","
                        "\"properties\":{\"n\":1,\"n\":2}}"));
  assert_int_equal(segb_last_error(), SEGB_ERR_DUPLICATE_KEY);
  assert_error_mentions("\"n\"");
  /* the same key in different objects is no twin */
  {
    segb_message_t *m = from_text(
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"A\","
        "\"properties\":{\"event\":1,\"o\":{\"event\":2},\"A\":1,\"a\":2}}");
    assert_non_null(m);
    assert_int_equal(segb_message_seal(m), SEGB_OK);
    segb_message_destroy(m);
  }
}

/* Number of times @needle occurs in @hay. */
static int occurrences(const char *hay, const char *needle) {
  int n = 0;
  for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
    n++;
  return n;
}

/* A setter on a key that exists replaces its value in place, whatever
 * the setter and whatever the value was: built over an old value, a
 * message serializes exactly like its twin built with the new one alone. */
static void test_setters_replace(void **state) {
  static const char *const olds[] = {
      "\"old\"", "17", "{\"deep\":{\"x\":1}}", "[1,2]", "null", "true",
  };
  size_t i;
  int round;
  (void)state;

  for (i = 0; i < sizeof olds / sizeof olds[0]; i++) {
    for (round = 0; round < 6; round++) {
      segb_message_t *m = base_message(), *twin = base_message();
      const char *bytes;
      int rc = SEGB_ERR_INVALID_ARG, rc_twin = SEGB_ERR_INVALID_ARG;

      assert_int_equal(segb_message_set_json(m, "properties.k", olds[i]),
                       SEGB_OK);
      assert_int_equal(segb_message_set_int64(m, "properties.z", 0), SEGB_OK);
      assert_int_equal(segb_message_set_int64(twin, "properties.k", 0),
                       SEGB_OK);
      assert_int_equal(segb_message_set_int64(twin, "properties.z", 0),
                       SEGB_OK);
      switch (round) {
      case 0:
        rc = segb_message_set_string(m, "properties.k", "new");
        rc_twin = segb_message_set_string(twin, "properties.k", "new");
        break;
      case 1:
        rc = segb_message_set_int64(m, "properties.k", 42);
        rc_twin = segb_message_set_int64(twin, "properties.k", 42);
        break;
      case 2:
        rc = segb_message_set_double(m, "properties.k", 0.5);
        rc_twin = segb_message_set_double(twin, "properties.k", 0.5);
        break;
      case 3:
        rc = segb_message_set_bool(m, "properties.k", 1);
        rc_twin = segb_message_set_bool(twin, "properties.k", 1);
        break;
      case 4:
        rc = segb_message_set_null(m, "properties.k");
        rc_twin = segb_message_set_null(twin, "properties.k");
        break;
      case 5:
        rc = segb_message_set_json(m, "properties.k", "{\"n\":[]}");
        rc_twin = segb_message_set_json(twin, "properties.k", "{\"n\":[]}");
        break;
      }
      assert_int_equal(rc, SEGB_OK);
      assert_int_equal(rc_twin, SEGB_OK);
      assert_int_equal(segb_message_seal(m), SEGB_OK);
      assert_int_equal(segb_message_seal(twin), SEGB_OK);
      bytes = segb_message_json(m, NULL);
      assert_string_equal(bytes, segb_message_json(twin, NULL));
      assert_int_equal(occurrences(bytes, "\"k\":"), 1);
      segb_message_destroy(m);
      segb_message_destroy(twin);
    }
  }
  /* deeper paths and top-level fields replace too */
  {
    segb_message_t *m = base_message();
    const char *bytes;
    assert_int_equal(
        segb_message_set_json(m, "properties.o", "{\"a\":{\"b\":1}}"), SEGB_OK);
    assert_int_equal(segb_message_set_int64(m, "properties.o.a.b", 2), SEGB_OK);
    assert_int_equal(segb_message_set_string(m, "properties.o.a.b", "3"),
                     SEGB_OK);
    assert_int_equal(segb_message_set_string(m, "event", "F"), SEGB_OK);
    assert_int_equal(segb_message_set_json(m, "context", "{\"ip\":\"9\"}"),
                     SEGB_OK);
    assert_int_equal(segb_message_set_string(m, "context.ip", "8"), SEGB_OK);
    assert_int_equal(segb_message_seal(m), SEGB_OK);
    bytes = segb_message_json(m, NULL);
    assert_non_null(strstr(bytes, "\"o\":{\"a\":{\"b\":\"3\"}}"));
    assert_int_equal(occurrences(bytes, "\"b\":"), 1);
    assert_int_equal(occurrences(bytes, "\"event\":"), 1);
    assert_non_null(strstr(bytes, "\"event\":\"F\""));
    assert_int_equal(occurrences(bytes, "\"ip\":"), 1);
    assert_non_null(strstr(bytes, "\"ip\":\"8\""));
    assert_int_equal(occurrences(bytes, "\"context\":"), 1);
    segb_message_destroy(m);
  }
  /* the case from issue 9: twins given as text, then a setter on them */
  {
    segb_message_t *m = base_message();
    const char *bytes;
    assert_true(segb_message_set_json(m, "properties", "{\"a\":1,\"a\":2}") <
                0);
    assert_int_equal(segb_message_set_int64(m, "properties.a", 3), SEGB_OK);
    assert_int_equal(segb_message_seal(m), SEGB_OK);
    bytes = segb_message_json(m, NULL);
    assert_int_equal(occurrences(bytes, "\"a\":"), 1);
    assert_non_null(strstr(bytes, "\"a\":3"));
    segb_message_destroy(m);
  }
}

static void test_errors_table(void **state) {
  int code;
  (void)state;

  assert_string_equal(segb_err_name(SEGB_OK), "SEGB_OK");
  assert_string_equal(segb_err_name(SEGB_ERR_NOMEM), "SEGB_ERR_NOMEM");
  assert_string_equal(segb_err_name(12345), "SEGB_ERR_UNKNOWN");
  assert_string_equal(segb_err_str(SEGB_ERR_TOO_LARGE),
                      "message is larger than the size limit");
  assert_true(segb_err_min() <= SEGB_ERR_SYSTEM);
  for (code = 0; code >= segb_err_min(); code--)
    assert_string_not_equal(segb_err_name(code), "SEGB_ERR_UNKNOWN");
  assert_string_equal(segb_err_name(segb_err_min() - 1), "SEGB_ERR_UNKNOWN");
  assert_true((segb_features() & SEGB_FEATURE_MESSAGES) != 0);
  assert_int_equal(segb_version(), SEGB_VERSION_NUM);
  assert_true(SEGB_AT_LEAST_VERSION(0, 1, 0));
  assert_false(SEGB_AT_LEAST_VERSION(SEGB_VERSION_MAJOR + 1, 0, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_track_round_trip),
      cmocka_unit_test(test_every_type_valid),
      cmocka_unit_test(test_required_fields),
      cmocka_unit_test(test_field_rules),
      cmocka_unit_test(test_paths),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_numbers_beyond_double),
      cmocka_unit_test(test_json_text),
      cmocka_unit_test(test_utf8_values),
      cmocka_unit_test(test_message_id),
      cmocka_unit_test(test_timestamp),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_client_message_limit),
      cmocka_unit_test(test_failed_setter_changes_nothing),
      cmocka_unit_test(test_sealed),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_from_json),
      cmocka_unit_test(test_errors_table),
      cmocka_unit_test(test_duplicate_keys_refused),
      cmocka_unit_test(test_setters_replace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
