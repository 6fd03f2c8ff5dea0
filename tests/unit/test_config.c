/* The configuration object and its property table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/config.h>
#include <segbridge/version.h>
#include <segbridge/error.h>

#include "config/props.h"

/* Largest value a non-secret property can read back as, NUL included. */
#define VALUE_MAX 8192

/* This program is linked with -Wl,--wrap=free: every block the library
 * frees is searched for @watched first, so a test can tell that a secret
 * was wiped before its memory went back to the allocator. */
void __real_free(void *p);
void __wrap_free(void *p);
static const char *watched;
static int watched_seen;

void __wrap_free(void *p) {
  size_t n = watched != NULL ? strlen(watched) : 0;
  if (p != NULL && n > 0) {
    const char *b = p;
    size_t size = malloc_usable_size(p), i;
    for (i = 0; i + n <= size; i++)
      if (memcmp(b + i, watched, n) == 0)
        watched_seen = 1;
  }
  __real_free(p);
}

static int setup(void **state) {
  *state = segb_config_new();
  return *state == NULL;
}

static int teardown(void **state) {
  segb_config_destroy(*state);
  return 0;
}

/* Current text of @name; fails the test when it cannot be read. */
static const char *get(const segb_config_t *conf, const char *name) {
  static char buf[VALUE_MAX];
  size_t size = sizeof buf;
  assert_int_equal(segb_config_get(conf, name, buf, &size), SEGB_OK);
  assert_int_equal(size, strlen(buf) + 1);
  return buf;
}

static int set(segb_config_t *conf, const char *name, const char *value) {
  char errstr[SEGB_ERRSTR_SIZE];
  return segb_config_set(conf, name, value, errstr, sizeof errstr);
}

static const sbi_prop *prop(const char *name) {
  int id = sbi_prop_find(name);
  assert_true(id >= 0);
  return sbi_prop_at((size_t)id);
}

static int64_t conf_int(const segb_config_t *conf, const char *name) {
  return sbi_conf_int(conf, (sbi_prop_id)sbi_prop_find(name));
}

static int is_text(sbi_prop_type t) {
  return t == SBI_PT_STRING || t == SBI_PT_SECRET || t == SBI_PT_PEM ||
         t == SBI_PT_URL || t == SBI_PT_ENDPOINT || t == SBI_PT_PATH ||
         t == SBI_PT_JSON;
}

/* A string of @n copies of @c; the caller frees it. */
static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

/* ---- the table ---------------------------------------------------------- */

static void test_table_is_consistent(void **state) {
  size_t n = sbi_prop_count(), i, j;
  (void)state;

  assert_int_equal(n, SBI_PROP__COUNT);
  assert_true(n >= 40);
  for (i = 0; i < n; i++) {
    const sbi_prop *p = sbi_prop_at(i);
    size_t len = strlen(p->name);

    assert_true(len > 0 && len <= 40);
    assert_int_equal(sbi_prop_find(p->name), (int)i);
    /* a release that exists, no newer than this build */
    assert_true(strcmp(p->since, "0.1") == 0 || strcmp(p->since, "0.2") == 0);
    assert_true(strcmp(p->since, SEGB_VERSION_STR) <= 0);
    assert_true(strlen(p->desc) > 20);
    assert_true(p->min <= p->max);
    assert_true(strcmp(sbi_prop_type_name(p->type), "?") != 0);
    /* durations, and only durations, are named *_ms */
    assert_int_equal(p->type == SBI_PT_DURATION,
                     len > 3 && strcmp(p->name + len - 3, "_ms") == 0);
    assert_int_equal(p->choices[0] != '\0',
                     p->type == SBI_PT_ENUM || p->type == SBI_PT_LIST);
    if (sbi_prop_is_secret(p))
      assert_string_equal(p->def, "");
    /* for text, min only says whether empty is allowed */
    if (is_text(p->type))
      assert_true(p->min == 0 || p->min == 1);
    for (j = 0; j < len; j++)
      assert_non_null(
          strchr("abcdefghijklmnopqrstuvwxyz0123456789._", p->name[j]));
  }
  assert_int_equal(sbi_prop_find("no.such"), -1);
}

/* Every default is a valid value of its own property, and new() holds it. */
static void test_defaults_readable(void **state) {
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sbi_prop_count(); i++) {
    const sbi_prop *p = sbi_prop_at(i);
    int64_t before = sbi_conf_int(conf, (sbi_prop_id)i);

    assert_string_equal(get(conf, p->name),
                        sbi_prop_is_secret(p) ? "" : p->def);
    if (p->type == SBI_PT_INT || p->type == SBI_PT_DURATION)
      assert_int_equal(before, strtoll(p->def, NULL, 10));
    /* setting the default text explicitly changes nothing; a key that
     * takes no value yet refuses even that */
    assert_int_equal(set(conf, p->name, p->def), p->status == SBI_NOT_YET
                                                     ? SEGB_ERR_INVALID_VALUE
                                                     : SEGB_OK);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)i), before);
    assert_string_equal(get(conf, p->name),
                        sbi_prop_is_secret(p) ? "" : p->def);
  }
}

static void test_named_defaults(void **state) {
  segb_config_t *conf = *state;

  assert_string_equal(get(conf, "region"), "us");
  assert_string_equal(get(conf, "endpoint"), "");
  assert_string_equal(get(conf, "write_key.in_body"), "false");
  assert_string_equal(get(conf, "oauth.scope"), "tracking_api:write");
  assert_string_equal(get(conf, "batch.max_events"), "50");
  assert_string_equal(get(conf, "batch.max_bytes"), "500000");
  assert_string_equal(get(conf, "message.max_bytes"), "32768");
  assert_string_equal(get(conf, "batch.linger_ms"), "1000");
  assert_string_equal(get(conf, "freshness"), "batch");
  assert_string_equal(get(conf, "queue.max_events"), "10000");
  assert_string_equal(get(conf, "queue.max_bytes"), "67108864");
  assert_string_equal(get(conf, "queue.overflow"), "drop_newest");
  assert_string_equal(get(conf, "queue.block_timeout_ms"), "50");
  assert_string_equal(get(conf, "dispatch.mode"), "thread");
  assert_string_equal(get(conf, "dispatch.max_in_flight"), "20");
  assert_string_equal(get(conf, "dispatch.ordering"), "per_user");
  assert_string_equal(get(conf, "direction"), "both");
  assert_string_equal(get(conf, "event_types"), "all");
  assert_string_equal(get(conf, "retry.max_attempts"), "10");
  assert_string_equal(get(conf, "retry.backoff_initial_ms"), "500");
  assert_string_equal(get(conf, "retry.backoff_max_ms"), "60000");
  assert_string_equal(get(conf, "retry.total_timeout_ms"), "43200000");
  assert_string_equal(get(conf, "retry.after_max_ms"), "300000");
  assert_string_equal(get(conf, "http.connect_timeout_ms"), "10000");
  assert_string_equal(get(conf, "http.timeout_ms"), "15000");
  assert_string_equal(get(conf, "compression"), "none");
  assert_string_equal(get(conf, "report.mode"), "callback");
  assert_string_equal(get(conf, "log.level"), "6");
  assert_string_equal(get(conf, "debug"), "none");
  assert_string_equal(get(conf, "statistics.interval_ms"), "0");

  assert_int_equal(sbi_conf_int(conf, SBI_PROP_REGION), SBI_REGION_US);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_FRESHNESS), SBI_FRESHNESS_BATCH);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_QUEUE_OVERFLOW),
                   SBI_OVERFLOW_DROP_NEWEST);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_DISPATCH_MODE),
                   SBI_DISPATCH_THREAD);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_REPORT_MODE),
                   SBI_REPORT_CALLBACK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_COMPRESSION),
                   SBI_COMPRESSION_NONE);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_WRITE_KEY_IN_BODY), 0);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_DEBUG), 0);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_BYTES), 67108864);
  assert_null(sbi_conf_str(conf, SBI_PROP_ENDPOINT));
  assert_null(sbi_conf_str(conf, SBI_PROP_WRITE_KEY));
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_OAUTH_SCOPE),
                      "tracking_api:write");
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_REGION), "us");
}

/* The choice constants match the order of the choices in the table. */
static void test_choice_constants(void **state) {
  static const struct {
    sbi_prop_id id;
    const char *value;
    int64_t want;
  } cases[] = {
      {SBI_PROP_REGION, "us", SBI_REGION_US},
      {SBI_PROP_REGION, "eu", SBI_REGION_EU},
      {SBI_PROP_FRESHNESS, "realtime", SBI_FRESHNESS_REALTIME},
      {SBI_PROP_FRESHNESS, "batch", SBI_FRESHNESS_BATCH},
      {SBI_PROP_QUEUE_OVERFLOW, "drop_newest", SBI_OVERFLOW_DROP_NEWEST},
      {SBI_PROP_QUEUE_OVERFLOW, "drop_oldest", SBI_OVERFLOW_DROP_OLDEST},
      {SBI_PROP_QUEUE_OVERFLOW, "block", SBI_OVERFLOW_BLOCK},
      {SBI_PROP_DISPATCH_MODE, "thread", SBI_DISPATCH_THREAD},
      {SBI_PROP_DISPATCH_MODE, "inline", SBI_DISPATCH_INLINE},
      {SBI_PROP_REPORT_MODE, "callback", SBI_REPORT_CALLBACK},
      {SBI_PROP_REPORT_MODE, "poll", SBI_REPORT_POLL},
      {SBI_PROP_COMPRESSION, "none", SBI_COMPRESSION_NONE},
      {SBI_PROP_COMPRESSION, "gzip", SBI_COMPRESSION_GZIP},
      {SBI_PROP_DEBUG, "http", SBI_DEBUG_HTTP},
      {SBI_PROP_DEBUG, "batch", SBI_DEBUG_BATCH},
      {SBI_PROP_DEBUG, "auth", SBI_DEBUG_AUTH},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const sbi_prop *p = sbi_prop_at(cases[i].id);
    const char *name = p->name;
    int64_t val = -1;
    char *text = NULL;

    assert_int_equal(sbi_prop_parse(p, cases[i].value, &val, &text, NULL, 0),
                     SEGB_OK);
    assert_int_equal(val, cases[i].want);
    assert_string_equal(text, cases[i].value);
    free(text);
    assert_int_equal(set(conf, name, cases[i].value), SEGB_OK);
    assert_int_equal(sbi_conf_int(conf, cases[i].id), cases[i].want);
    assert_string_equal(get(conf, name), cases[i].value);
    assert_string_equal(sbi_conf_str(conf, cases[i].id), cases[i].value);
  }
}

/* ---- round trips per type ----------------------------------------------- */

static void test_int_round_trip(void **state) {
  segb_config_t *conf = *state;

  assert_int_equal(set(conf, "batch.max_events", "100"), SEGB_OK);
  assert_string_equal(get(conf, "batch.max_events"), "100");
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_BATCH_MAX_EVENTS), 100);
  /* both ends of the range */
  assert_int_equal(set(conf, "batch.max_events", "1"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_BATCH_MAX_EVENTS), 1);
  assert_int_equal(set(conf, "batch.max_events", "2500"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_BATCH_MAX_EVENTS), 2500);
  /* canonical text */
  assert_int_equal(set(conf, "batch.max_events", "+0042"), SEGB_OK);
  assert_string_equal(get(conf, "batch.max_events"), "42");
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_BATCH_MAX_EVENTS), 42);
  /* beyond 32 bits */
  assert_int_equal(set(conf, "queue.max_bytes", "68719476736"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_BYTES),
                   INT64_C(68719476736));
  assert_string_equal(get(conf, "queue.max_bytes"), "68719476736");
  assert_int_equal(set(conf, "retry.max_attempts", "0"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_RETRY_MAX_ATTEMPTS), 0);
}

static void test_duration_round_trip(void **state) {
  segb_config_t *conf = *state;

  assert_int_equal(set(conf, "retry.total_timeout_ms", "0"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_RETRY_TOTAL_TIMEOUT_MS), 0);
  assert_string_equal(get(conf, "retry.total_timeout_ms"), "0");
  assert_int_equal(set(conf, "retry.backoff_initial_ms", "600000"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_RETRY_BACKOFF_INITIAL_MS),
                   600000);
  assert_int_equal(set(conf, "retry.total_timeout_ms", "604800000"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_RETRY_TOTAL_TIMEOUT_MS),
                   604800000);
  assert_string_equal(get(conf, "retry.total_timeout_ms"), "604800000");
}

static void test_bool_round_trip(void **state) {
  static const struct {
    const char *in;
    int64_t want;
  } cases[] = {
      {"true", 1}, {"TRUE", 1}, {"1", 1},     {"yes", 1},   {"Yes", 1},
      {"on", 1},   {"ON", 1},   {"false", 0}, {"False", 0}, {"0", 0},
      {"no", 0},   {"NO", 0},   {"off", 0},   {"Off", 0},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* start from the opposite value so each case really changes it */
    assert_int_equal(
        set(conf, "write_key.in_body", cases[i].want ? "false" : "true"),
        SEGB_OK);
    assert_int_equal(set(conf, "write_key.in_body", cases[i].in), SEGB_OK);
    assert_int_equal(sbi_conf_int(conf, SBI_PROP_WRITE_KEY_IN_BODY),
                     cases[i].want);
    assert_string_equal(get(conf, "write_key.in_body"),
                        cases[i].want ? "true" : "false");
  }
}

static void test_enum_round_trip(void **state) {
  segb_config_t *conf = *state;

  assert_int_equal(set(conf, "region", "EU"), SEGB_OK);
  assert_string_equal(get(conf, "region"), "eu");
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_REGION), SBI_REGION_EU);
  assert_int_equal(set(conf, "compression", "GZip"), SEGB_OK);
  assert_string_equal(get(conf, "compression"), "gzip");
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_COMPRESSION), "gzip");
}

static void test_list_round_trip(void **state) {
  static const struct {
    const char *in, *text;
    int64_t want;
  } cases[] = {
      {"http", "http", SBI_DEBUG_HTTP},
      {"HTTP, auth", "http,auth", SBI_DEBUG_HTTP | SBI_DEBUG_AUTH},
      {"auth,http", "http,auth", SBI_DEBUG_HTTP | SBI_DEBUG_AUTH},
      {" batch ,http ", "http,batch", SBI_DEBUG_HTTP | SBI_DEBUG_BATCH},
      {"http,batch,auth", "all", 7},
      {"all", "all", 7},
      {"none,auth", "auth", SBI_DEBUG_AUTH},
      {"none", "none", 0},
      {"", "none", 0},
      {"http,http", "http", SBI_DEBUG_HTTP},
  };
  const sbi_prop *debug = sbi_prop_at(SBI_PROP_DEBUG);
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t val = -1;
    char *text = NULL;
    assert_int_equal(sbi_prop_parse(debug, cases[i].in, &val, &text, NULL, 0),
                     SEGB_OK);
    assert_int_equal(val, cases[i].want);
    assert_string_equal(text, cases[i].text);
    free(text);
  }
}

static void test_text_round_trip(void **state) {
  static const struct {
    const char *name, *value;
  } cases[] = {
      {"endpoint", "https://events.eu1.segmentapis.com/v1"},
      {"endpoint", "http://127.0.0.1:8080"},
      {"endpoint", "events.eu1.segmentapis.com"},
      {"endpoint", "localhost:9000/v1"},
      {"oauth.server", "HTTPS://oauth2.eu1.segmentapis.com/"},
      {"http.proxy", "http://proxy.example:3128"},
      {"http.proxy", "http://user@proxy:3128"},
      {"oauth.client_id", "client-\xc3\xa9t\xc3\xa9"},
      {"profile_api.space_id", "spa_123"},
      {"oauth.private_key_file", "/etc/segbridge/key.pem"},
      {"http.ca_path", "/etc/ssl/certs"},
      {"oauth.scope", "public_api:read_write"},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int id = sbi_prop_find(cases[i].name);
    assert_int_equal(set(conf, cases[i].name, cases[i].value), SEGB_OK);
    assert_string_equal(get(conf, cases[i].name), cases[i].value);
    assert_string_equal(sbi_conf_str(conf, (sbi_prop_id)id), cases[i].value);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)id), 0);
  }
  /* explicitly empty reads as NULL for the library */
  assert_int_equal(set(conf, "endpoint", ""), SEGB_OK);
  assert_null(sbi_conf_str(conf, SBI_PROP_ENDPOINT));
  assert_string_equal(get(conf, "endpoint"), "");
  /* a string at its maximum length */
  {
    char *s = repeat('a', (size_t)prop("oauth.client_id")->max);
    assert_int_equal(set(conf, "oauth.client_id", s), SEGB_OK);
    assert_string_equal(sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID), s);
    free(s);
  }
}

/* message.default_context: a JSON object (over several lines too) is kept
 * as given; other JSON, not JSON, or one with library is refused, the old
 * value kept. */
static void test_json_object_setting(void **state) {
  static const char *const refused[][2] = {
      {"[1,2]", "is not a JSON object"},
      {"\"text\"", "is not a JSON object"},
      {"{\"app\":", "is not JSON"},
      {"{\"a\":1,}", "is not JSON"},
      {"{\"library\":{\"name\":\"x\"}}", "library is set by libsegbridge"},
  };
  static const char ok[] =
      "{\"app\": {\"name\": \"shop\"},\n \"locale\": \"fr\"}";
  segb_config_t *conf = *state;
  char err[SEGB_ERRSTR_SIZE];
  size_t i;

  assert_string_equal(get(conf, "message.default_context"), "");
  assert_int_equal(set(conf, "message.default_context", ok), SEGB_OK);
  assert_string_equal(get(conf, "message.default_context"), ok);
  for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    assert_int_equal(segb_config_set(conf, "message.default_context",
                                     refused[i][0], err, sizeof err),
                     SEGB_ERR_INVALID_VALUE);
    if (strstr(err, refused[i][1]) == NULL)
      fail_msg("%s: \"%s\" does not say \"%s\"", refused[i][0], err,
               refused[i][1]);
    assert_string_equal(get(conf, "message.default_context"), ok);
  }
  assert_string_equal(get(conf, "send"), "true");
  assert_int_equal(set(conf, "send", "false"), SEGB_OK);
  assert_int_equal(conf_int(conf, "send"), 0);
}

/* ---- secrets ------------------------------------------------------------ */

static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
                          "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\n"
                          "\tBKcwggSjAgEAAoIBAQC7\n"
                          "-----END PRIVATE KEY-----\n";

static void test_secret_redacted(void **state) {
  segb_config_t *conf = *state;
  char buf[64];
  size_t size = sizeof buf;

  assert_string_equal(get(conf, "write_key"), "");
  assert_int_equal(set(conf, "write_key", "wk_s3cr3t"), SEGB_OK);
  assert_string_equal(get(conf, "write_key"), "[redacted]");
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_WRITE_KEY), "wk_s3cr3t");
  /* the size query is the redacted size, not the secret's */
  assert_int_equal(segb_config_get(conf, "write_key", NULL, &size), SEGB_OK);
  assert_int_equal(size, sizeof "[redacted]");

  assert_int_equal(set(conf, "public_api.token", "sgp_abc"), SEGB_OK);
  assert_string_equal(get(conf, "public_api.token"), "[redacted]");
  assert_int_equal(set(conf, "profile_api.token", "pt"), SEGB_OK);
  assert_string_equal(get(conf, "profile_api.token"), "[redacted]");
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_PROFILE_API_TOKEN), "pt");

  assert_int_equal(set(conf, "oauth.private_key", pem), SEGB_OK);
  assert_string_equal(get(conf, "oauth.private_key"), "[redacted]");
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY), pem);

  /* empty and unset both read as "" */
  assert_int_equal(set(conf, "write_key", ""), SEGB_OK);
  assert_string_equal(get(conf, "write_key"), "");
  assert_null(sbi_conf_str(conf, SBI_PROP_WRITE_KEY));
  assert_int_equal(set(conf, "public_api.token", NULL), SEGB_OK);
  assert_string_equal(get(conf, "public_api.token"), "");
  assert_null(sbi_conf_str(conf, SBI_PROP_PUBLIC_API_TOKEN));
}

static void test_secret_never_echoed(void **state) {
  static const struct {
    const char *name, *value, *needle;
  } cases[] = {
      {"write_key", "TOPSECRET\n", "TOPSECRET"},
      {"write_key", "TOPSECRET\xff", "TOPSECRET"},
      {"write_key", "TOP\x01SECRET", "TOP"},
      {"public_api.token", "TOPSECRET\r\nX-Evil: 1", "TOPSECRET"},
      {"profile_api.token", "TOPSECRET\t", "TOPSECRET"},
      {"oauth.private_key", "TOPSECRET no pem header", "TOPSECRET"},
      {"oauth.private_key", "-----BEGIN X-----\nTOPSECRET\xc0\xaf",
       "TOPSECRET"},
      {"oauth.private_key", "-----BEGIN X-----\nTOPSECRET\x01", "TOPSECRET"},
  };
  segb_config_t *conf = *state;
  size_t i;

  assert_int_equal(set(conf, "write_key", "good"), SEGB_OK);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char errstr[SEGB_ERRSTR_SIZE];
    assert_int_equal(segb_config_set(conf, cases[i].name, cases[i].value,
                                     errstr, sizeof errstr),
                     SEGB_ERR_INVALID_VALUE);
    assert_non_null(strstr(errstr, cases[i].name));
    assert_null(strstr(errstr, cases[i].needle));
    assert_null(strstr(segb_last_error_message(), cases[i].needle));
    assert_string_equal(segb_last_error_message(), errstr);
  }
  assert_string_equal(sbi_conf_str(conf, SBI_PROP_WRITE_KEY), "good");
  {
    /* too long: the value is not echoed either */
    char *s = repeat('S', (size_t)prop("write_key")->max + 1);
    char errstr[SEGB_ERRSTR_SIZE];
    assert_int_equal(
        segb_config_set(conf, "write_key", s, errstr, sizeof errstr),
        SEGB_ERR_INVALID_VALUE);
    assert_null(strstr(errstr, "SSS"));
    assert_string_equal(errstr, "write_key: value is longer than 1024 bytes");
    free(s);
  }
}

/* ---- unknown names ------------------------------------------------------ */

static void test_unknown_with_suggestion(void **state) {
  static const struct {
    const char *typo, *suggestion;
  } cases[] = {
      {"batch.max_event", "batch.max_events"},
      {"batch.maxevents", "batch.max_events"},
      {"batch.max.events", "batch.max_events"},
      {"Batch.Max_Events", "batch.max_events"},
      {"regoin", "region"},
      {"writekey", "write_key"},
      {"oauth.privatekey", "oauth.private_key"},
      {"retry.max_attempt", "retry.max_attempts"},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char errstr[SEGB_ERRSTR_SIZE], want[SEGB_ERRSTR_SIZE];
    snprintf(want, sizeof want, "unknown property \"%s\" (did you mean %s?)",
             cases[i].typo, cases[i].suggestion);
    assert_int_equal(
        segb_config_set(conf, cases[i].typo, "1", errstr, sizeof errstr),
        SEGB_ERR_UNKNOWN_OPTION);
    assert_string_equal(errstr, want);
    assert_string_equal(segb_last_error_message(), want);
    assert_int_equal(segb_last_error(), SEGB_ERR_UNKNOWN_OPTION);
  }
}

static void test_unknown_without_suggestion(void **state) {
  segb_config_t *conf = *state;
  char errstr[SEGB_ERRSTR_SIZE], buf[16];
  size_t size = sizeof buf;
  char *huge;

  assert_int_equal(
      segb_config_set(conf, "flux.capacitor", "1", errstr, sizeof errstr),
      SEGB_ERR_UNKNOWN_OPTION);
  assert_string_equal(errstr, "unknown property \"flux.capacitor\"");
  assert_int_equal(segb_config_set(conf, "", "1", errstr, sizeof errstr),
                   SEGB_ERR_UNKNOWN_OPTION);
  assert_string_equal(errstr, "unknown property \"\"");
  /* control bytes in the name are escaped, not copied */
  assert_int_equal(
      segb_config_set(conf, "bad\nname\x1b", "1", errstr, sizeof errstr),
      SEGB_ERR_UNKNOWN_OPTION);
  assert_string_equal(errstr, "unknown property \"bad\\x0aname\\x1b\"");
  /* a huge name is quoted in part */
  huge = repeat('z', 100000);
  assert_int_equal(segb_config_set(conf, huge, "1", errstr, sizeof errstr),
                   SEGB_ERR_UNKNOWN_OPTION);
  assert_int_equal(strlen(errstr), strlen("unknown property \"\"") + 64 + 3);
  free(huge);
  /* get knows the same names */
  assert_int_equal(segb_config_get(conf, "batch.max_event", buf, &size),
                   SEGB_ERR_UNKNOWN_OPTION);
  assert_string_equal(segb_last_error_message(),
                      "unknown property \"batch.max_event\" (did you mean "
                      "batch.max_events?)");
  assert_int_equal(size, sizeof buf);
}

/* ---- invalid values ----------------------------------------------------- */

static void test_invalid_values_keep_old(void **state) {
  static const struct {
    const char *name, *good, *bad;
  } cases[] = {
      /* int */
      {"batch.max_events", "7", "0"},
      {"batch.max_events", "7", "2501"},
      {"batch.max_events", "7", "-1"},
      {"batch.max_events", "7", "abc"},
      {"batch.max_events", "7", ""},
      {"batch.max_events", "7", "+"},
      {"batch.max_events", "7", "-"},
      {"batch.max_events", "7", " 5"},
      {"batch.max_events", "7", "5 "},
      {"batch.max_events", "7", "1.5"},
      {"batch.max_events", "7", "0x10"},
      {"batch.max_events", "7", "1e3"},
      {"batch.max_events", "7", "99999999999999999999"},
      {"batch.max_events", "7", "9223372036854775808"},
      {"batch.max_events", "7", "-9223372036854775809"},
      {"batch.max_events", "7", "5\xff"},
      {"batch.max_bytes", "2048", "1023"},
      {"batch.max_bytes", "2048", "16777217"},
      {"message.max_bytes", "2048", "1023"},
      {"message.max_bytes", "2048", "1048577"},
      {"log.level", NULL, "8"},
      {"log.level", NULL, "-1"},
      {"retry.max_attempts", "3", "1001"},
      {"queue.max_events", "5", "0"},
      {"dispatch.max_in_flight", "1", "65"},
      /* duration */
      {"batch.linger_ms", NULL, "-1"},
      {"batch.linger_ms", NULL, "600001"},
      {"batch.linger_ms", NULL, "1s"},
      {"retry.after_max_ms", "2000", "999"},
      {"retry.total_timeout_ms", "5", "604800001"},
      {"http.timeout_ms", "5", "0"},
      /* bool */
      {"write_key.in_body", "true", "maybe"},
      {"write_key.in_body", "true", ""},
      {"write_key.in_body", "true", "2"},
      {"write_key.in_body", "true", "truee"},
      {"write_key.in_body", "true", " true"},
      {"write_key.in_body", "true", "t"},
      /* enum */
      {"region", "eu", "mars"},
      {"region", "eu", ""},
      {"region", "eu", "us "},
      {"region", "eu", "us|eu"},
      {"region", "eu", "u"},
      {"queue.overflow", "drop_newest", "drop"},
      {"freshness", "batch", "fast"},
      {"compression", "gzip", "zstd"},
      {"dispatch.mode", "inline", "threads"},
      {"report.mode", "callback", "callbacks"},
      /* list */
      {"debug", "none", "foo"},
      {"debug", "none", "http,,auth"},
      {"debug", "none", "http,"},
      {"debug", "none", ",http"},
      {"debug", "none", "http;auth"},
      {"debug", "none", "http\n"},
      /* text: UTF-8 and controls */
      {"oauth.client_id", "cid", "bad\xff"},
      {"oauth.client_id", "cid", "\xc0\xaf"},
      {"oauth.client_id", "cid", "\xed\xa0\x80"},
      {"oauth.client_id", "cid", "\xe2\x82"},
      {"oauth.client_id", "cid", "line\nbreak"},
      {"oauth.client_id", "cid", "tab\there"},
      {"oauth.client_id", "cid", "del\x7f"},
      {"oauth.client_id", "cid", "c1\xc2\x85"},
      {"oauth.client_id", "cid", "esc\x1b[0m"},
      {"oauth.scope", "a:b", ""},
      {"oauth.private_key_file", "/k.pem", "/k\n.pem"},
      {"http.ca_file", "/ca.pem", "/ca\xff.pem"},
      /* URL */
      {"endpoint", "api.segment.io", "ftp://api.segment.io"},
      {"endpoint", "api.segment.io", "http://"},
      {"endpoint", "api.segment.io", "https:///v1"},
      {"endpoint", "api.segment.io", "https://:443"},
      {"endpoint", "api.segment.io", "api segment io"},
      {"endpoint", "api.segment.io", "/v1/batch"},
      {"endpoint", "api.segment.io", "://host"},
      {"endpoint", "api.segment.io", "javascript://x"},
      {"oauth.server", "oauth2.segment.io", "https://oauth2.segment.io\r\n"},
      {"http.proxy", "proxy:3128", "http://proxy 3128"},
      /* PEM */
      {"oauth.private_key", pem, "not a key"},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int id = sbi_prop_find(cases[i].name);
    const sbi_prop *p = prop(cases[i].name);
    char errstr[SEGB_ERRSTR_SIZE], before[VALUE_MAX];
    int64_t val;

    assert_int_equal(set(conf, cases[i].name, cases[i].good), SEGB_OK);
    snprintf(before, sizeof before, "%s", get(conf, cases[i].name));
    val = sbi_conf_int(conf, (sbi_prop_id)id);
    errstr[0] = 'x';
    errstr[1] = '\0';
    assert_int_equal(segb_config_set(conf, cases[i].name, cases[i].bad, errstr,
                                     sizeof errstr),
                     SEGB_ERR_INVALID_VALUE);
    assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
    assert_string_equal(segb_last_error_message(), errstr);
    /* the reason starts with the property's name */
    assert_memory_equal(errstr, cases[i].name, strlen(cases[i].name));
    assert_int_equal(errstr[strlen(cases[i].name)], ':');
    /* the old value is kept */
    assert_string_equal(get(conf, cases[i].name), before);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)id), val);
    /* numbers and choices are quoted back; free text never is */
    if (is_text(p->type))
      assert_null(strchr(errstr, '"'));
    else
      assert_non_null(strchr(errstr, '"'));
  }
}

static void test_invalid_messages(void **state) {
  static const struct {
    const char *name, *value, *want;
  } cases[] = {
      {"batch.max_events", "0",
       "batch.max_events: \"0\" is out of range 1..2500"},
      {"batch.max_events", "2501",
       "batch.max_events: \"2501\" is out of range 1..2500"},
      {"batch.max_events", "ten",
       "batch.max_events: \"ten\" is not an integer (expected 1..2500)"},
      {"batch.linger_ms", "1s",
       "batch.linger_ms: \"1s\" is not a number of milliseconds "
       "(expected 0..600000)"},
      {"write_key.in_body", "maybe",
       "write_key.in_body: \"maybe\" is not a boolean (expected true/false, "
       "1/0, yes/no or on/off)"},
      {"region", "mars", "region: \"mars\" is not one of us|eu"},
      {"region", "\xc3\xa9u", "region: \"\xc3\xa9u\" is not one of us|eu"},
      {"region", "e\xffu", "region: \"e\\xffu\" is not one of us|eu"},
      {"debug", "http, nope ",
       "debug: \"nope\" is not one of none|all|http|batch|auth"},
      {"debug", "http,", "debug: \"http,\" has an empty entry"},
      {"oauth.client_id", "a\xff", "oauth.client_id: value is not valid UTF-8"},
      {"oauth.client_id", "ab\ncd",
       "oauth.client_id: value has a control character at byte 2"},
      {"oauth.scope", "", "oauth.scope: value must not be empty"},
      {"endpoint", "ftp://x", "endpoint: URL scheme is not http or https"},
      {"oauth.private_key", "abc",
       "oauth.private_key: value is not PEM text (no -----BEGIN line)"},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char errstr[SEGB_ERRSTR_SIZE];
    assert_int_equal(segb_config_set(conf, cases[i].name, cases[i].value,
                                     errstr, sizeof errstr),
                     SEGB_ERR_INVALID_VALUE);
    assert_string_equal(errstr, cases[i].want);
    assert_string_equal(segb_last_error_message(), cases[i].want);
  }
}

static void test_string_length_limits(void **state) {
  static const char *const names[] = {"endpoint", "oauth.private_key_file",
                                      "profile_api.space_id", "oauth.scope"};
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    size_t max = (size_t)prop(names[i])->max;
    char *ok = repeat('h', max), *bad = repeat('h', max + 1);
    char errstr[SEGB_ERRSTR_SIZE], want[SEGB_ERRSTR_SIZE];

    assert_int_equal(set(conf, names[i], ok), SEGB_OK);
    assert_int_equal(
        segb_config_set(conf, names[i], bad, errstr, sizeof errstr),
        SEGB_ERR_INVALID_VALUE);
    snprintf(want, sizeof want, "%s: value is longer than %zu bytes", names[i],
             max);
    assert_string_equal(errstr, want);
    assert_string_equal(get(conf, names[i]), ok);
    free(ok);
    free(bad);
  }
  {
    /* a PEM of the largest allowed size */
    size_t max = (size_t)prop("oauth.private_key")->max;
    char *key = repeat('A', max);
    memcpy(key, "-----BEGIN K-----\n", 18);
    assert_int_equal(set(conf, "oauth.private_key", key), SEGB_OK);
    assert_string_equal(sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY), key);
    free(key);
  }
}

/* ---- arguments and buffers ---------------------------------------------- */

static void test_null_args(void **state) {
  segb_config_t *conf = *state;
  char errstr[SEGB_ERRSTR_SIZE], buf[16];
  size_t size = sizeof buf;

  assert_int_equal(segb_config_set(NULL, "region", "eu", errstr, sizeof errstr),
                   SEGB_ERR_INVALID_ARG);
  assert_string_equal(errstr, "segb_config_set: conf is NULL");
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_config_set(conf, NULL, "eu", errstr, sizeof errstr),
                   SEGB_ERR_INVALID_ARG);
  assert_string_equal(errstr, "segb_config_set: name is NULL");
  assert_int_equal(segb_config_set(NULL, NULL, NULL, NULL, 0),
                   SEGB_ERR_INVALID_ARG);

  assert_int_equal(segb_config_get(NULL, "region", buf, &size),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_config_get(conf, NULL, buf, &size),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_config_get(conf, "region", buf, NULL),
                   SEGB_ERR_INVALID_ARG);
  assert_string_equal(segb_last_error_message(),
                      "segb_config_get: dest_size is NULL");
  assert_int_equal(size, sizeof buf);

  assert_null(segb_config_dup(NULL));
  segb_config_destroy(NULL);
  /* errstr may be NULL on every path */
  assert_int_equal(segb_config_set(conf, "region", "eu", NULL, 0), SEGB_OK);
  assert_int_equal(segb_config_set(conf, "regio", "eu", NULL, 0),
                   SEGB_ERR_UNKNOWN_OPTION);
  assert_int_equal(segb_config_set(conf, "region", "x", NULL, 99),
                   SEGB_ERR_INVALID_VALUE);
  assert_string_equal(get(conf, "region"), "eu");
}

static void test_errstr_truncation(void **state) {
  static const char full[] = "batch.max_events: \"0\" is out of range 1..2500";
  segb_config_t *conf = *state;
  char errstr[SEGB_ERRSTR_SIZE];
  size_t n;

  for (n = 1; n <= sizeof full + 1; n++) {
    memset(errstr, '#', sizeof errstr);
    assert_int_equal(segb_config_set(conf, "batch.max_events", "0", errstr, n),
                     SEGB_ERR_INVALID_VALUE);
    /* NUL-terminated within n, a prefix of the full message, and nothing
     * written past n */
    assert_int_equal(strlen(errstr),
                     n - 1 < strlen(full) ? n - 1 : strlen(full));
    assert_memory_equal(errstr, full, strlen(errstr));
    assert_int_equal(errstr[n], '#');
  }
  /* size 0: nothing is written */
  memset(errstr, '#', sizeof errstr);
  assert_int_equal(segb_config_set(conf, "batch.max_events", "0", errstr, 0),
                   SEGB_ERR_INVALID_VALUE);
  assert_int_equal(errstr[0], '#');
  /* the detail still has the whole message */
  assert_string_equal(segb_last_error_message(), full);

  /* a cut never splits a UTF-8 character: "region: \"" is 9 bytes and
   * U+00E9 takes bytes 9 and 10 */
  assert_int_equal(
      segb_config_set(conf, "region", "\xc3\xa9\xc3\xa9", errstr, 11),
      SEGB_ERR_INVALID_VALUE);
  assert_string_equal(errstr, "region: \"");
  assert_int_equal(
      segb_config_set(conf, "region", "\xc3\xa9\xc3\xa9", errstr, 12),
      SEGB_ERR_INVALID_VALUE);
  assert_string_equal(errstr, "region: \"\xc3\xa9");

  /* success clears a stale reason */
  strcpy(errstr, "stale");
  assert_int_equal(segb_config_set(conf, "region", "eu", errstr, sizeof errstr),
                   SEGB_OK);
  assert_string_equal(errstr, "");
}

static void test_get_size_round_trip(void **state) {
  segb_config_t *conf = *state;
  char buf[32];
  size_t size;

  assert_int_equal(set(conf, "oauth.scope", "tracking_api:write x"), SEGB_OK);
  /* ask for the size */
  size = 0;
  assert_int_equal(segb_config_get(conf, "oauth.scope", NULL, &size), SEGB_OK);
  assert_int_equal(size, sizeof "tracking_api:write x");
  size = 12345;
  assert_int_equal(segb_config_get(conf, "oauth.scope", NULL, &size), SEGB_OK);
  assert_int_equal(size, sizeof "tracking_api:write x");
  /* one byte short: nothing written, needed size returned */
  memset(buf, '#', sizeof buf);
  size = sizeof "tracking_api:write x" - 1;
  assert_int_equal(segb_config_get(conf, "oauth.scope", buf, &size),
                   SEGB_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(size, sizeof "tracking_api:write x");
  assert_int_equal(buf[0], '#');
  assert_int_equal(segb_last_error(), SEGB_ERR_BUFFER_TOO_SMALL);
  assert_string_equal(segb_last_error_message(),
                      "oauth.scope: the value needs 21 bytes, the buffer has "
                      "20");
  /* zero-sized buffer */
  size = 0;
  assert_int_equal(segb_config_get(conf, "oauth.scope", buf, &size),
                   SEGB_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(size, 21);
  /* exact size works, and the returned size is reusable as is */
  assert_int_equal(segb_config_get(conf, "oauth.scope", buf, &size), SEGB_OK);
  assert_string_equal(buf, "tracking_api:write x");
  assert_int_equal(size, 21);
  /* a larger buffer reports the size used */
  size = sizeof buf;
  assert_int_equal(segb_config_get(conf, "oauth.scope", buf, &size), SEGB_OK);
  assert_int_equal(size, 21);
  /* an empty value needs one byte */
  size = 0;
  assert_int_equal(segb_config_get(conf, "endpoint", NULL, &size), SEGB_OK);
  assert_int_equal(size, 1);
  size = 1;
  assert_int_equal(segb_config_get(conf, "endpoint", buf, &size), SEGB_OK);
  assert_string_equal(buf, "");
}

/* ---- dup, reset, destroy ------------------------------------------------ */

static void test_dup_independent(void **state) {
  segb_config_t *conf = *state, *copy;
  size_t i;

  assert_int_equal(set(conf, "region", "eu"), SEGB_OK);
  assert_int_equal(set(conf, "write_key", "wk"), SEGB_OK);
  assert_int_equal(set(conf, "oauth.private_key", pem), SEGB_OK);
  assert_int_equal(set(conf, "batch.max_events", "99"), SEGB_OK);
  assert_int_equal(set(conf, "compression", "gzip"), SEGB_OK);
  assert_int_equal(set(conf, "endpoint", "localhost:1"), SEGB_OK);

  copy = segb_config_dup(conf);
  assert_non_null(copy);
  for (i = 0; i < sbi_prop_count(); i++) {
    const char *name = sbi_prop_at(i)->name;
    const char *a = sbi_conf_str(conf, (sbi_prop_id)i);
    const char *b = sbi_conf_str(copy, (sbi_prop_id)i);
    char va[VALUE_MAX];

    snprintf(va, sizeof va, "%s", get(conf, name));
    assert_string_equal(get(copy, name), va);
    assert_int_equal(sbi_conf_int(copy, (sbi_prop_id)i),
                     sbi_conf_int(conf, (sbi_prop_id)i));
    if (a == NULL)
      assert_null(b);
    else
      assert_string_equal(a, b);
  }
  /* secrets are copied too */
  assert_string_equal(sbi_conf_str(copy, SBI_PROP_WRITE_KEY), "wk");
  assert_string_equal(sbi_conf_str(copy, SBI_PROP_OAUTH_PRIVATE_KEY), pem);

  /* changes to one do not reach the other */
  assert_int_equal(set(conf, "batch.max_events", "5"), SEGB_OK);
  assert_int_equal(set(copy, "region", "us"), SEGB_OK);
  assert_int_equal(sbi_conf_int(copy, SBI_PROP_BATCH_MAX_EVENTS), 99);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_REGION), SBI_REGION_EU);

  /* the copy outlives the original */
  segb_config_destroy(conf);
  *state = NULL;
  assert_string_equal(sbi_conf_str(copy, SBI_PROP_ENDPOINT), "localhost:1");
  assert_string_equal(get(copy, "compression"), "gzip");
  segb_config_destroy(copy);
}

static void log_line(int level, const char *context, const char *line,
                     void *opaque) {
  (void)level, (void)context, (void)line, (void)opaque;
}

static void stats_json(segb_client_t *client, const char *json, size_t len,
                       void *opaque) {
  (void)client, (void)json, (void)len, (void)opaque;
}

/* The log and stats callbacks and the logger's settings, in a config and
 * in its copy. */
static void test_log_and_stats_callbacks(void **state) {
  segb_config_t *conf = *state, *copy;
  sbi_logger log;
  int opaque;

  /* by default nothing is logged: no callback, log.level 6, no context */
  sbi_conf_logger(conf, &log);
  assert_null(log.cb);
  assert_null(log.opaque);
  assert_int_equal(log.level, 6);
  assert_int_equal(log.debug, 0);
  assert_null(sbi_conf_stats_cb(conf));

  segb_config_set_log_cb(conf, log_line);
  segb_config_set_stats_cb(conf, stats_json);
  segb_config_set_opaque(conf, &opaque);
  assert_int_equal(set(conf, "log.level", "3"), SEGB_OK);
  assert_int_equal(set(conf, "debug", "http,auth"), SEGB_OK);
  copy = segb_config_dup(conf);
  assert_non_null(copy);
  segb_config_destroy(conf);
  *state = copy;

  sbi_conf_logger(copy, &log);
  assert_ptr_equal(log.cb, log_line);
  assert_ptr_equal(log.opaque, &opaque);
  assert_int_equal(log.level, 3);
  assert_int_equal(log.debug, SBI_LOG_HTTP | SBI_LOG_AUTH);
  assert_ptr_equal(sbi_conf_stats_cb(copy), stats_json);

  /* NULL removes them; a NULL config is ignored */
  segb_config_set_log_cb(copy, NULL);
  segb_config_set_stats_cb(copy, NULL);
  segb_config_set_log_cb(NULL, log_line);
  segb_config_set_stats_cb(NULL, stats_json);
  sbi_conf_logger(copy, &log);
  assert_null(log.cb);
  assert_null(sbi_conf_stats_cb(copy));
}

static void test_null_value_restores_default(void **state) {
  static const struct {
    const char *name, *value;
  } cases[] = {
      {"batch.max_events", "7"},    {"retry.total_timeout_ms", "0"},
      {"write_key.in_body", "yes"}, {"region", "eu"},
      {"compression", "gzip"},      {"oauth.scope", "x:y"},
      {"endpoint", "localhost"},    {"write_key", "wk"},
      {"oauth.private_key", pem},   {"http.ca_file", "/ca.pem"},
  };
  segb_config_t *conf = *state;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int id = sbi_prop_find(cases[i].name);
    const sbi_prop *p = sbi_prop_at((size_t)id);
    int64_t def = sbi_conf_int(conf, (sbi_prop_id)id);
    const char *s;

    assert_int_equal(set(conf, cases[i].name, cases[i].value), SEGB_OK);
    assert_int_equal(set(conf, cases[i].name, NULL), SEGB_OK);
    assert_string_equal(get(conf, cases[i].name),
                        sbi_prop_is_secret(p) ? "" : p->def);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)id), def);
    s = sbi_conf_str(conf, (sbi_prop_id)id);
    if (p->def[0] == '\0')
      assert_null(s);
    else
      assert_string_equal(s, p->def);
  }
  /* restoring a property that was never set is fine too */
  assert_int_equal(set(conf, "queue.max_events", NULL), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_EVENTS), 10000);
}

static void test_fresh_configs_are_separate(void **state) {
  segb_config_t *a = *state, *b = segb_config_new();

  assert_non_null(b);
  assert_int_equal(set(a, "batch.max_events", "3"), SEGB_OK);
  assert_int_equal(sbi_conf_int(b, SBI_PROP_BATCH_MAX_EVENTS), 50);
  assert_int_equal(conf_int(a, "batch.max_events"), 3);
  segb_config_destroy(b);
}

/* ---- integers past 64 bits ---------------------------------------------- */

/* Decimal text of 2^64 * @times + @v: what an unsigned 64-bit accumulator
 * that multiplies before checking wraps around to @v. */
static const char *wrapping(unsigned times, int64_t v) {
  static char out[64];
  char digits[64];
  /* 2^64 as digits, least significant first */
  static const char two64[] = "61615590737044764481";
  unsigned carry = 0;
  size_t i, n = 0, len = sizeof two64 - 1;
  uint64_t rest = (uint64_t)v;

  for (i = 0; i < len || rest > 0 || carry > 0; i++) {
    unsigned d = carry + (unsigned)(rest % 10);
    if (i < len)
      d += times * (unsigned)(two64[i] - '0');
    rest /= 10;
    digits[n++] = (char)('0' + d % 10);
    carry = d / 10;
  }
  for (i = 0; i < n; i++)
    out[i] = digits[n - 1 - i];
  out[n] = '\0';
  return out;
}

static void test_numbers_never_wrap(void **state) {
  static const char *const huge[] = {
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775808",
      "-9223372036854775809",
      "18446744073709551615",
      "18446744073709551616",
      "18446744073709551621",
      "18446744073709551716",
      "+18446744073709551621",
      "-18446744073709551611",
      "0018446744073709551621",
      "36893488147419103237",
      "99999999999999999999999999999999999999999999999999",
  };
  segb_config_t *conf = *state;
  size_t i, j;

  assert_string_equal(wrapping(1, 5), "18446744073709551621");
  assert_string_equal(wrapping(2, 5), "36893488147419103237");
  for (i = 0; i < sbi_prop_count(); i++) {
    const sbi_prop *p = sbi_prop_at(i);
    char before[VALUE_MAX], errstr[SEGB_ERRSTR_SIZE], want[SEGB_ERRSTR_SIZE];
    const char *bad[sizeof huge / sizeof huge[0] + 4];
    size_t n = 0;

    if (p->type != SBI_PT_INT && p->type != SBI_PT_DURATION)
      continue;
    for (j = 0; j < sizeof huge / sizeof huge[0]; j++)
      bad[n++] = huge[j];
    snprintf(before, sizeof before, "%s", get(conf, p->name));
    /* each of these wrapped into the range before the fix */
    for (j = 0; j < 4; j++) {
      const char *w = wrapping(j % 2 + 1, j < 2 ? p->min : p->max);
      char *copy = malloc(strlen(w) + 1);
      assert_non_null(copy);
      memcpy(copy, w, strlen(w) + 1);
      bad[n++] = copy;
    }
    for (j = 0; j < n; j++) {
      assert_int_equal(
          segb_config_set(conf, p->name, bad[j], errstr, sizeof errstr),
          SEGB_ERR_INVALID_VALUE);
      snprintf(want, sizeof want,
               "%s: \"%s\" is out of range %" PRId64 "..%" PRId64, p->name,
               bad[j], p->min, p->max);
      assert_string_equal(errstr, want);
      assert_string_equal(get(conf, p->name), before);
    }
    for (j = sizeof huge / sizeof huge[0]; j < n; j++)
      free((char *)(uintptr_t)bad[j]);
  }
}

static void test_number_edges(void **state) {
  static const char *const not_numbers[] = {
      "",
      "+",
      "-",
      "+-5",
      "-+5",
      "--5",
      "++5",
      "5-",
      "5+",
      " 5",
      "5 ",
      "\t5",
      "5\t",
      "5\n",
      "0x10",
      "1e3",
      "1.0",
      "1,000",
      "1_000",
      "5ms",
      "1s",
      "\xd9\xa1",
      "\xef\xbc\x95",
      "99999999999999999999x",
      "-99999999999999999999x",
      "5\xff",
  };
  segb_config_t *conf = *state;
  size_t i, j;

  for (i = 0; i < sbi_prop_count(); i++) {
    const sbi_prop *p = sbi_prop_at(i);
    char text[32], errstr[SEGB_ERRSTR_SIZE];

    /* a key not implemented yet takes no number; refusals of those that
     * do not parse are in test_numbers_never_wrap */
    if ((p->type != SBI_PT_INT && p->type != SBI_PT_DURATION) ||
        p->status != SBI_LIVE)
      continue;
    /* both ends of the range, and one past each */
    snprintf(text, sizeof text, "%" PRId64, p->max);
    assert_int_equal(set(conf, p->name, text), SEGB_OK);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)i), p->max);
    assert_string_equal(get(conf, p->name), text);
    snprintf(text, sizeof text, "%" PRId64, p->max + 1);
    assert_int_equal(set(conf, p->name, text), SEGB_ERR_INVALID_VALUE);
    snprintf(text, sizeof text, "%" PRId64, p->min);
    assert_int_equal(set(conf, p->name, text), SEGB_OK);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)i), p->min);
    snprintf(text, sizeof text, "%" PRId64, p->min - 1);
    assert_int_equal(set(conf, p->name, text), SEGB_ERR_INVALID_VALUE);
    assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)i), p->min);
    /* a sign and any number of leading zeros are fine */
    snprintf(text, sizeof text, "+%025" PRId64, p->min);
    assert_int_equal(set(conf, p->name, text), SEGB_OK);
    snprintf(text, sizeof text, "%" PRId64, p->min);
    assert_string_equal(get(conf, p->name), text);
    for (j = 0; j < sizeof not_numbers / sizeof not_numbers[0]; j++) {
      assert_int_equal(
          segb_config_set(conf, p->name, not_numbers[j], errstr, sizeof errstr),
          SEGB_ERR_INVALID_VALUE);
      assert_non_null(strstr(errstr, p->type == SBI_PT_DURATION
                                         ? "is not a number of milliseconds"
                                         : "is not an integer"));
      assert_int_equal(sbi_conf_int(conf, (sbi_prop_id)i), p->min);
    }
  }
  /* -0 is zero */
  assert_int_equal(set(conf, "retry.max_attempts", "-0"), SEGB_OK);
  assert_string_equal(get(conf, "retry.max_attempts"), "0");
}

/* ---- credentials in URLs ------------------------------------------------ */

static void test_proxy_password_redacted(void **state) {
  static const struct {
    const char *value, *shown;
  } cases[] = {
      {"http://user:s3cret@proxy:3128", "http://user:[redacted]@proxy:3128"},
      {"https://user:s3cret@proxy", "https://user:[redacted]@proxy"},
      {"HTTP://u:s3cret@proxy:1/", "HTTP://u:[redacted]@proxy:1/"},
      {"user:s3cret@proxy:3128", "user:[redacted]@proxy:3128"},
      {"http://us%3Aer:s3%40cret@proxy:3128",
       "http://us%3Aer:[redacted]@proxy:3128"},
      /* unencoded '@' and '/' in the password: none of it shows */
      {"http://user:s3@cr@et@proxy:3128", "http://user:[redacted]@proxy:3128"},
      {"http://user:s3/cret@proxy:3128", "http://user:[redacted]@proxy:3128"},
      {"http://user:@proxy:3128", "http://user:@proxy:3128"},
      {"http://user@proxy:3128", "http://user@proxy:3128"},
      {"http://proxy:3128", "http://proxy:3128"},
  };
  segb_config_t *conf = *state, *copy;
  char buf[64];
  size_t i, size;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(set(conf, "http.proxy", cases[i].value), SEGB_OK);
    assert_string_equal(get(conf, "http.proxy"), cases[i].shown);
    /* the library itself still has the password */
    assert_string_equal(sbi_conf_str(conf, SBI_PROP_HTTP_PROXY),
                        cases[i].value);
    /* the size query is the shown size */
    size = 0;
    assert_int_equal(segb_config_get(conf, "http.proxy", NULL, &size), SEGB_OK);
    assert_int_equal(size, strlen(cases[i].shown) + 1);
    /* reading back what was read back shows the same */
    snprintf(buf, sizeof buf, "%s", cases[i].shown);
    assert_int_equal(set(conf, "http.proxy", buf), SEGB_OK);
    assert_string_equal(get(conf, "http.proxy"), cases[i].shown);
  }
  /* a buffer that fits the password but not the mask is too small */
  assert_int_equal(set(conf, "http.proxy", "http://u:p@h"), SEGB_OK);
  size = sizeof "http://u:p@h";
  assert_int_equal(segb_config_get(conf, "http.proxy", buf, &size),
                   SEGB_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(size, sizeof "http://u:[redacted]@h");
  assert_int_equal(segb_config_get(conf, "http.proxy", buf, &size), SEGB_OK);
  assert_string_equal(buf, "http://u:[redacted]@h");
  /* a copy redacts the same */
  assert_int_equal(set(conf, "http.proxy", "http://user:s3cret@proxy:3128"),
                   SEGB_OK);
  copy = segb_config_dup(conf);
  assert_non_null(copy);
  assert_string_equal(get(copy, "http.proxy"),
                      "http://user:[redacted]@proxy:3128");
  assert_string_equal(sbi_conf_str(copy, SBI_PROP_HTTP_PROXY),
                      "http://user:s3cret@proxy:3128");
  segb_config_destroy(copy);
  /* a refused proxy URL is never quoted back */
  {
    char errstr[SEGB_ERRSTR_SIZE];
    assert_int_equal(segb_config_set(conf, "http.proxy",
                                     "ftp://user:s3cret@proxy", errstr,
                                     sizeof errstr),
                     SEGB_ERR_INVALID_VALUE);
    assert_null(strstr(errstr, "s3cret"));
    assert_null(strstr(segb_last_error_message(), "s3cret"));
  }
}

static void test_endpoint_credentials_refused(void **state) {
  static const char *const values[] = {
      "https://user:hunter2@api.example",
      "user:hunter2@api.example:8443",
      "http://hunter2@api.example/v1",
  };
  segb_config_t *conf = *state;
  size_t i, j;

  for (i = 0; i < sbi_prop_count(); i++) {
    const sbi_prop *p = sbi_prop_at(i);
    if (p->type != SBI_PT_ENDPOINT)
      continue;
    for (j = 0; j < sizeof values / sizeof values[0]; j++) {
      char errstr[SEGB_ERRSTR_SIZE];
      assert_int_equal(
          segb_config_set(conf, p->name, values[j], errstr, sizeof errstr),
          SEGB_ERR_INVALID_VALUE);
      assert_non_null(strstr(errstr, "user:password@"));
      assert_null(strstr(errstr, "hunter2"));
      assert_null(strstr(segb_last_error_message(), "hunter2"));
      assert_string_equal(get(conf, p->name), "");
    }
  }
}

/* Every value that may hold a credential is wiped before it is freed:
 * replaced, reset, or with its config. */
static void test_credentials_wiped_when_freed(void **state) {
  static const struct {
    const char *name, *value, *secret;
  } cases[] = {
      {"http.proxy", "http://user:Wipe-Me-1@proxy:3128", "Wipe-Me-1"},
      {"write_key", "Wipe-Me-2", "Wipe-Me-2"},
      {"oauth.private_key", "-----BEGIN K-----\nWipe-Me-3\n", "Wipe-Me-3"},
  };
  size_t i;
  int how;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (how = 0; how < 4; how++) {
      segb_config_t *conf = segb_config_new(), *copy = NULL;
      assert_non_null(conf);
      assert_int_equal(set(conf, cases[i].name, cases[i].value), SEGB_OK);
      watched = cases[i].secret;
      watched_seen = 0;
      if (how == 0) {
        assert_int_equal(set(conf, cases[i].name, NULL), SEGB_OK);
      } else if (how == 1) {
        assert_int_equal(set(conf, cases[i].name, ""), SEGB_OK);
      } else if (how == 3) {
        copy = segb_config_dup(conf);
        assert_non_null(copy);
      }
      segb_config_destroy(conf);
      segb_config_destroy(copy);
      watched = NULL;
      assert_false(watched_seen);
    }
  }
  /* the watch sees the library's frees: plain text is not wiped */
  {
    segb_config_t *conf = segb_config_new();
    assert_non_null(conf);
    assert_int_equal(set(conf, "oauth.client_id", "Wipe-Me-0"), SEGB_OK);
    watched = "Wipe-Me-0";
    watched_seen = 0;
    segb_config_destroy(conf);
    watched = NULL;
    assert_true(watched_seen);
  }
}

/* ---- keys not implemented yet ------------------------------------------ */

/* 0.2 implements every key it publishes: none is refused as "not yet". */
static void test_every_key_live(void **state) {
  size_t i;
  (void)state;

  for (i = 0; i < sbi_prop_count(); i++)
    assert_int_equal(sbi_prop_at(i)->status, SBI_LIVE);
}

/* message.max_bytes is read, so it may not promise more than Segment
 * takes. */
static void test_message_max_bytes_capped(void **state) {
  segb_config_t *conf = *state;

  assert_int_equal(prop("message.max_bytes")->status, SBI_LIVE);
  assert_int_equal(set(conf, "message.max_bytes", "32768"), SEGB_OK);
  assert_int_equal(set(conf, "message.max_bytes", "32769"),
                   SEGB_ERR_INVALID_VALUE);
  assert_int_equal(set(conf, "message.max_bytes", "1024"), SEGB_OK);
  assert_int_equal(sbi_conf_int(conf, SBI_PROP_MESSAGE_MAX_BYTES), 1024);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_is_consistent),
      cmocka_unit_test_setup_teardown(test_defaults_readable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_named_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_choice_constants, setup, teardown),
      cmocka_unit_test_setup_teardown(test_int_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duration_round_trip, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bool_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enum_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json_object_setting, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_text_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_secret_redacted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_secret_never_echoed, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_unknown_with_suggestion, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_unknown_without_suggestion, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_invalid_values_keep_old, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_invalid_messages, setup, teardown),
      cmocka_unit_test_setup_teardown(test_string_length_limits, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_null_args, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errstr_truncation, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_size_round_trip, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_dup_independent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_log_and_stats_callbacks, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_null_value_restores_default, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_fresh_configs_are_separate, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_numbers_never_wrap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_number_edges, setup, teardown),
      cmocka_unit_test_setup_teardown(test_proxy_password_redacted, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_endpoint_credentials_refused, setup,
                                      teardown),
      cmocka_unit_test(test_credentials_wiped_when_freed),
      cmocka_unit_test(test_every_key_live),
      cmocka_unit_test_setup_teardown(test_message_max_bytes_capped, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
