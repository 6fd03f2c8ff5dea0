/*
 * libFuzzer target for webhook body parsing. Whatever is accepted must be
 * readable through every accessor, with statuses that agree with the error
 * count. And the bytes verification checks a batch's first-event signature
 * against, which the parser records as it reads event 0, must be exactly
 * that event (see check_first_event()). A disagreement would let a
 * signature over one event vouch for another.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/json.h>
#include <segbridge/webhook.h>

#include "core/json.h"
#include "webhook/webhook_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static segb_webhook_t *limits(void) {
  static segb_webhook_t *wh;

  if (wh == NULL) {
    wh = segb_webhook_new();
    if (wh == NULL ||
        segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 64) !=
            SEGB_OK ||
        segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH, 32) != SEGB_OK)
      abort();
  }
  return wh;
}

static void read_all(const segb_webhook_batch_t *b) {
  size_t n = segb_webhook_batch_count(b), bad = 0, i;

  for (i = 0; i < n; i++) {
    int err = segb_webhook_event_err(b, i);
    const char *why = segb_webhook_event_errstr(b, i);
    char *text = segb_json_text(segb_webhook_event(b, i), NULL);

    if (text == NULL || why == NULL || (err == SEGB_OK) != (why[0] == '\0'))
      abort();
    /* a good event has a type and an identity */
    if (err == SEGB_OK && (segb_webhook_event_type(b, i) == NULL ||
                           (segb_webhook_event_user_id(b, i) == NULL &&
                            segb_webhook_event_anonymous_id(b, i) == NULL)))
      abort();
    segb_webhook_event_name(b, i);
    segb_webhook_event_message_id(b, i);
    segb_webhook_event_timestamp(b, i);
    segb_free(text);
    bad += err != SEGB_OK;
  }
  if (bad != segb_webhook_batch_errors(b) || segb_webhook_event(b, n) != NULL)
    abort();
}

static int is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether two trees hold the same values, keys and order, compared as
 * trees: the number and string bytes as parsed, no writer involved. */
static int same_tree(const sbi_json *a, const sbi_json *b) {
  const sbi_json *x, *y;

  if (a->type != b->type || a->str_len != b->str_len ||
      (a->str_len > 0 && memcmp(a->str, b->str, a->str_len) != 0) ||
      a->key_len != b->key_len ||
      (a->key_len > 0 && memcmp(a->key, b->key, a->key_len) != 0) ||
      a->count != b->count)
    return 0;
  for (x = a->head, y = b->head; x != NULL && y != NULL;
       x = x->next, y = y->next)
    if (!same_tree(x, y))
      return 0;
  return x == NULL && y == NULL;
}

/* The bytes the parser recorded for event 0, the ones a signature over the
 * first event must cover, are exactly that event: they parse alone into
 * the same tree, start and end on the value itself, and follow the '[' of
 * their list with nothing but white space between. A list of events has
 * them, a single event has none; a body the limits refused (@b NULL) may
 * still have them, for a first element read before the limit. */
static void check_first_event(const char *body, size_t len,
                              const segb_webhook_batch_t *b,
                              sbi_json_span first) {
  const sbi_json *ev = (const sbi_json *)(const void *)segb_webhook_event(b, 0);
  const sbi_json *root =
      (const sbi_json *)(const void *)segb_webhook_batch_root(b);
  sbi_json *alone = NULL;
  size_t i = first.at;

  if (b != NULL && (first.len > 0) != (ev != NULL && ev != root))
    abort();
  if (first.len == 0)
    return;
  if (first.at >= len || first.len > len - first.at || is_ws(body[first.at]) ||
      is_ws(body[first.at + first.len - 1]))
    abort();
  while (i > 0 && is_ws(body[i - 1]))
    i--;
  if (i == 0 || body[i - 1] != '[')
    abort();
  if (sbi_json_parse(body + first.at, first.len, NULL, 0, 64, &alone, NULL,
                     0) != SEGB_OK ||
      (b != NULL && !same_tree(alone, ev)))
    abort();
  sbi_json_free(alone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  segb_webhook_batch_t *b = NULL;
  sbi_webhook_limits lim;
  sbi_json_span first;
  int rc;

  sbi_webhook_limits_of(limits(), &lim);
  rc = sbi_webhook_parse(&lim, body, size, &b, &first);
  if (rc != SEGB_OK) {
    if (b != NULL ||
        (rc != SEGB_ERR_INVALID_JSON && rc != SEGB_ERR_INVALID_UTF8 &&
         rc != SEGB_ERR_TOO_DEEP && rc != SEGB_ERR_JSON_TYPE &&
         rc != SEGB_ERR_TOO_MANY_EVENTS && rc != SEGB_ERR_BODY_TOO_LARGE &&
         rc != SEGB_ERR_NOMEM))
      abort();
    check_first_event(body, size, NULL, first);
    return 0;
  }
  read_all(b);
  check_first_event(body, size, b, first);
  segb_webhook_batch_destroy(b);
  return 0;
}
