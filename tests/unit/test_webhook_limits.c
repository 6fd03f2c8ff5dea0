/* Hostile webhook bodies (issue 9): the parser's value cap and item hook,
 * and the webhook's event and value limits stopping the parse of a body
 * or an X-Segment-Settings header as it goes.
 * A body that goes on past a limit into bytes that are not JSON at all
 * shows where the parser stopped: a parser that read on to the end would
 * answer SEGB_ERR_INVALID_JSON instead. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/webhook.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/json.h"

#define MIB ((size_t)1024 * 1024)

/* @open, @n times "1" joined by commas, then @close (which may be bytes
 * that are no JSON). The caller frees it. */
static char *ones(const char *open, size_t n, const char *close, size_t *len) {
  size_t lo = strlen(open), lc = strlen(close), i;
  char *b = malloc(lo + 2 * n + lc);

  assert_non_null(b);
  assert_true(n > 0);
  memcpy(b, open, lo);
  for (i = 0; i < n; i++) {
    b[lo + 2 * i] = '1';
    b[lo + 2 * i + 1] = ',';
  }
  memcpy(b + lo + 2 * n - 1, close, lc);
  *len = lo + 2 * n - 1 + lc;
  return b;
}

/* As many ones as fit a body of @size bytes. */
static char *ones_in(const char *open, size_t size, const char *close,
                     size_t *len) {
  return ones(open, (size - strlen(open) - strlen(close) + 1) / 2, close, len);
}

static size_t count_nodes(const sbi_json *n) {
  size_t total = 1;
  const sbi_json *c;

  for (c = n->head; c != NULL; c = c->next)
    total += count_nodes(c);
  return total;
}

static int parse_limited(const char *text, const sbi_json_opts *lim,
                         sbi_json **root, char *why, size_t why_size) {
  return sbi_json_parse_opts(text, strlen(text), NULL, 0, lim, root, why,
                             why_size);
}

/* max_nodes counts every value, the root and containers included, and
 * refuses the first one over. */
static void test_parser_value_cap(void **state) {
  sbi_json_opts lim = {64, 0, 4, NULL, NULL};
  sbi_json *root = (sbi_json *)(uintptr_t)1;
  char why[64] = "";
  (void)state;

  assert_int_equal(parse_limited("[1,2,3]", &lim, &root, why, sizeof why),
                   SEGB_OK);
  assert_int_equal(count_nodes(root), 4);
  sbi_json_free(root);
  assert_int_equal(parse_limited("[1,2,[]]", &lim, &root, why, sizeof why),
                   SEGB_OK);
  sbi_json_free(root);
  assert_int_equal(
      parse_limited("{\"a\":{\"b\":[true]}}", &lim, &root, why, sizeof why),
      SEGB_OK);
  sbi_json_free(root);
  /* the fifth value: refused where it starts, whatever follows */
  assert_int_equal(parse_limited("[1,2,3,4]", &lim, &root, why, sizeof why),
                   SEGB_ERR_TOO_LARGE);
  assert_null(root);
  assert_string_equal(why, "too many values at byte 7");
  assert_int_equal(parse_limited("[1,[2,[3,[4,", &lim, &root, why, sizeof why),
                   SEGB_ERR_TOO_LARGE);
  assert_null(root);
  /* 0: no cap */
  lim.max_nodes = 0;
  assert_int_equal(parse_limited("[1,2,3,4]", &lim, &root, why, sizeof why),
                   SEGB_OK);
  sbi_json_free(root);
  /* the depth still applies */
  lim.max_depth = 1;
  assert_int_equal(parse_limited("[[]]", &lim, &root, why, sizeof why),
                   SEGB_ERR_TOO_DEEP);
}

typedef struct items {
  char seen[64]; /* as a value joins: the parent's type and depth */
  size_t n;
  size_t stop_after; /* refuse the call that makes a root list this long */
  char ended[128];   /* "at+len " per call as a value ends */
} items;

static int on_item(void *opaque, const sbi_json *parent, size_t depth,
                   const sbi_json_span *span) {
  items *it = opaque;

  if (span != NULL) {
    size_t used = strlen(it->ended);

    /* the value that ended is still the parent's last */
    assert_non_null(parent->tail);
    snprintf(it->ended + used, sizeof it->ended - used, "%zu+%zu ", span->at,
             span->len);
    return SEGB_OK;
  }
  if (it->n + 3 < sizeof it->seen) {
    it->seen[it->n++] = parent->type == SBI_JSON_ARRAY ? 'a' : 'o';
    it->seen[it->n++] = (char)('0' + depth);
    it->seen[it->n] = '\0';
  }
  return depth == 1 && parent->count == it->stop_after
             ? SEGB_ERR_TOO_MANY_EVENTS
             : SEGB_OK;
}

/* The hook sees every value as it joins its parent, with the parent's
 * depth, and its code stops the parse at once. */
static void test_parser_item_hook(void **state) {
  items it = {"", 0, 0, ""};
  sbi_json_opts lim = {64, 0, 0, on_item, &it};
  sbi_json *root = NULL;
  char why[64] = "";
  (void)state;

  assert_int_equal(
      parse_limited("[[1],{\"k\":2},3]", &lim, &root, why, sizeof why),
      SEGB_OK);
  assert_string_equal(it.seen, "a1a2a1o2a1");
  sbi_json_free(root);
  /* each value's exact bytes, once it ends: 1, [1], 2, {"k":2}, 3 */
  assert_string_equal(it.ended, "2+1 1+3 10+1 5+7 13+1 ");

  /* spaces and escapes around and inside values are placed exactly; the
   * root is inside nothing, so it is not reported */
  it.n = 0;
  it.ended[0] = '\0';
  assert_int_equal(parse_limited(" [ \"a\\\"]\" ,\n{ \"k\" : [ ] } , -1.5e3 ] ",
                                 &lim, &root, why, sizeof why),
                   SEGB_OK);
  assert_string_equal(it.ended, "3+6 20+3 12+13 28+6 ");
  sbi_json_free(root);

  it.n = 0;
  it.stop_after = 3;
  assert_int_equal(
      parse_limited("[1,2,3,4,this is not JSON", &lim, &root, why, sizeof why),
      SEGB_ERR_TOO_MANY_EVENTS);
  assert_null(root);
  assert_string_equal(it.seen, "a1a1a1");
  assert_string_equal(why, "refused by a limit at byte 6");
}

/* The body: 4 MiB of [1,1,1,...], two million "events". */
static void test_hostile_event_body(void **state) {
  segb_webhook_batch_t *b = NULL;
  size_t len;
  char *body = ones_in("[", 4 * MIB, "]", &len);
  (void)state;

  assert_true(len <= 4 * MIB && len > 4 * MIB - 2);
  assert_int_equal(segb_webhook_parse(NULL, body, len, &b),
                   SEGB_ERR_TOO_MANY_EVENTS);
  assert_null(b);
  assert_string_equal(segb_last_error_message(),
                      "the body holds at least 4001 events, over the limit "
                      "of 4000");
  free(body);

  /* The parse stops at the 4001st event: what follows is never read. */
  body = ones_in("[", 4 * MIB, "\x01 no JSON", &len);
  assert_int_equal(segb_webhook_parse(NULL, body, len, &b),
                   SEGB_ERR_TOO_MANY_EVENTS);
  free(body);
  body = ones("{\"batch\":[", 5000, "\x01 no JSON", &len);
  assert_int_equal(segb_webhook_parse(NULL, body, len, &b),
                   SEGB_ERR_TOO_MANY_EVENTS);
  free(body);
  /* A "batch" list over the limit stops the parse before the parser knows
   * whether a "type" makes the object a single event. */
  body = ones("{\"type\":\"track\",\"userId\":\"u\",\"batch\":[", 5000, "]}",
              &len);
  assert_int_equal(segb_webhook_parse(NULL, body, len, &b),
                   SEGB_ERR_TOO_MANY_EVENTS);
  free(body);
}

/* Only the list of events counts against the event limit: arrays inside
 * an event, and arrays of a batch's own, are the value cap's business. */
static void test_event_limit_counts_events_only(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  segb_webhook_batch_t *b = NULL;
  size_t len;
  char *body;
  (void)state;

  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 2),
                   SEGB_OK);
  body = ones("[{\"type\":\"track\",\"userId\":\"u\",\"properties\":{\"ids\":[",
              3000, "]}}]", &len);
  assert_int_equal(segb_webhook_parse(wh, body, len, &b), SEGB_OK);
  assert_int_equal(segb_webhook_batch_count(b), 1);
  assert_int_equal(segb_webhook_event_err(b, 0), SEGB_OK);
  segb_webhook_batch_destroy(b);
  free(body);
  body = ones("{\"context\":{\"x\":[", 3000,
              "]},\"batch\":[{\"type\":\"track\",\"userId\":\"u\"}]}", &len);
  assert_int_equal(segb_webhook_parse(wh, body, len, &b), SEGB_OK);
  assert_int_equal(segb_webhook_batch_count(b), 1);
  segb_webhook_batch_destroy(b);
  free(body);
  /* at the limit, in both list shapes */
  assert_int_equal(segb_webhook_parse(wh, "[1,2]", 5, &b), SEGB_OK);
  assert_int_equal(segb_webhook_batch_count(b), 2);
  segb_webhook_batch_destroy(b);
  assert_int_equal(segb_webhook_parse(wh, "{\"batch\":[1,2]}", 15, &b),
                   SEGB_OK);
  assert_int_equal(segb_webhook_batch_count(b), 2);
  segb_webhook_batch_destroy(b);
  assert_int_equal(segb_webhook_parse(wh, "{\"batch\":[1,2,3]}", 17, &b),
                   SEGB_ERR_TOO_MANY_EVENTS);
  segb_webhook_destroy(wh);
}

/* One event holding two million values: stopped at the value cap, one per
 * 8 bytes of the 4 MiB body limit, with what follows never read. */
static void test_hostile_value_body(void **state) {
  segb_webhook_batch_t *b = NULL;
  size_t len;
  char *body = ones_in("[{\"p\":[", 4 * MIB, "]}]", &len);
  (void)state;

  assert_int_equal(segb_webhook_parse(NULL, body, len, &b),
                   SEGB_ERR_BODY_TOO_LARGE);
  assert_null(b);
  assert_non_null(strstr(segb_last_error_message(), "524288 JSON values"));
  free(body);
  body = ones_in("[{\"p\":[", 4 * MIB, "\x01 no JSON", &len);
  assert_int_equal(segb_webhook_parse(NULL, body, len, &b),
                   SEGB_ERR_BODY_TOO_LARGE);
  free(body);
}

/* The cap follows the body limit: with 800 bytes, 100 values pass and the
 * 101st does not; with a limit under 512 bytes, 64 values still pass. */
static void test_value_cap_follows_body_limit(void **state) {
  /* 6 values before the ids: the array, the event, type, userId,
   * properties and ids */
  static const char open[] =
      "[{\"type\":\"track\",\"userId\":\"u\",\"properties\":{\"ids\":[";
  segb_webhook_t *wh = segb_webhook_new();
  segb_webhook_batch_t *b = NULL;
  size_t len;
  char *body;
  (void)state;

  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 800),
      SEGB_OK);
  body = ones(open, 94, "]}}]", &len);
  assert_int_equal(segb_webhook_parse(wh, body, len, &b), SEGB_OK);
  assert_int_equal(
      count_nodes((const sbi_json *)(const void *)segb_webhook_batch_root(b)),
      100);
  segb_webhook_batch_destroy(b);
  free(body);
  body = ones(open, 95, "]}}]", &len);
  assert_true(len <= 800);
  assert_int_equal(segb_webhook_parse(wh, body, len, &b),
                   SEGB_ERR_BODY_TOO_LARGE);
  assert_null(b);
  assert_non_null(strstr(segb_last_error_message(), "100 JSON values"));
  free(body);

  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 200),
      SEGB_OK);
  body = ones("[", 63, "]", &len);
  assert_int_equal(segb_webhook_parse(wh, body, len, &b), SEGB_OK);
  assert_int_equal(segb_webhook_batch_count(b), 63);
  segb_webhook_batch_destroy(b);
  free(body);
  body = ones("[", 64, "]", &len);
  assert_int_equal(segb_webhook_parse(wh, body, len, &b),
                   SEGB_ERR_BODY_TOO_LARGE);
  free(body);
  segb_webhook_destroy(wh);
}

/* X-Segment-Settings has the same value cap as a body. */
static void test_settings_value_cap(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  segb_webhook_settings_t *st = NULL;
  sbi_buf value = SBI_BUF_INIT;
  size_t len;
  char *json;
  (void)state;

  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 800),
      SEGB_OK);
  /* the object, "a" and 98 ones: 100 values */
  json = ones("{\"a\":[", 98, "]}", &len);
  assert_int_equal(sbi_base64_append(&value, json, len), SEGB_OK);
  assert_int_equal(segb_webhook_settings_decode(wh, value.data, value.len, &st),
                   SEGB_OK);
  segb_webhook_settings_destroy(st);
  free(json);
  sbi_buf_clear(&value);
  json = ones("{\"a\":[", 99, "]}", &len);
  assert_int_equal(sbi_base64_append(&value, json, len), SEGB_OK);
  assert_true(value.len <= 800);
  assert_int_equal(segb_webhook_settings_decode(wh, value.data, value.len, &st),
                   SEGB_ERR_BODY_TOO_LARGE);
  assert_null(st);
  assert_non_null(strstr(segb_last_error_message(), "100 JSON values"));
  free(json);
  sbi_buf_free(&value);
  segb_webhook_destroy(wh);
}

/* A body and X-Segment-Settings word their JSON errors alike, each under
 * its own name: what sbi_webhook_json_error() makes for both. */
static void test_json_error_texts(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  segb_webhook_batch_t *b = NULL;
  segb_webhook_settings_t *st = NULL;
  sbi_buf value = SBI_BUF_INIT;
  size_t len;
  char *json;
  (void)state;

  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 800),
      SEGB_OK);
  json = ones("[", 100, "]", &len);
  assert_int_equal(segb_webhook_parse(wh, json, len, &b),
                   SEGB_ERR_BODY_TOO_LARGE);
  assert_string_equal(segb_last_error_message(),
                      "the body holds more than 100 JSON values, the most a "
                      "body limit of 800 bytes allows");
  assert_int_equal(sbi_base64_append(&value, "{", 1), SEGB_OK);
  assert_int_equal(segb_webhook_settings_decode(wh, value.data, value.len, &st),
                   SEGB_ERR_INVALID_JSON);
  assert_null(st);
  assert_int_equal(strncmp(segb_last_error_message(), "X-Segment-Settings: ",
                           strlen("X-Segment-Settings: ")),
                   0);
  assert_int_equal(segb_webhook_parse(wh, "{", 1, &b), SEGB_ERR_INVALID_JSON);
  assert_null(b);
  assert_int_equal(strncmp(segb_last_error_message(), "body: ", 6), 0);
  sbi_buf_clear(&value);
  free(json);
  json = ones("{\"a\":[", 99, "]}", &len);
  assert_int_equal(sbi_base64_append(&value, json, len), SEGB_OK);
  assert_int_equal(segb_webhook_settings_decode(wh, value.data, value.len, &st),
                   SEGB_ERR_BODY_TOO_LARGE);
  assert_string_equal(segb_last_error_message(),
                      "X-Segment-Settings holds more than 100 JSON values, "
                      "the most a body limit of 800 bytes allows");
  free(json);
  sbi_buf_free(&value);
  segb_webhook_destroy(wh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parser_value_cap),
      cmocka_unit_test(test_parser_item_hook),
      cmocka_unit_test(test_hostile_event_body),
      cmocka_unit_test(test_event_limit_counts_events_only),
      cmocka_unit_test(test_hostile_value_body),
      cmocka_unit_test(test_value_cap_follows_body_limit),
      cmocka_unit_test(test_settings_value_cap),
      cmocka_unit_test(test_json_error_texts),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
