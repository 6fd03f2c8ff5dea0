/*
 * libFuzzer target for webhook body parsing. Whatever is accepted must be
 * readable through every accessor, with statuses that agree with the error
 * count. And the scan verification uses to find a batch's first event must
 * agree with the parser: when it finds one in a body the parser accepts,
 * those bytes must be the parser's first event, and it must see more
 * elements after it exactly when the parser has more events. A disagreement would let a
 * signature over one event vouch for another.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/json.h>
#include <segbridge/webhook.h>

#include "core/buf.h"
#include "core/json.h"
#include "webhook/webhook_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static segb_webhook_t *limits(void) {
  static segb_webhook_t *wh;

  if (wh == NULL) {
    wh = segb_webhook_new();
    if (wh == NULL ||
        segb_webhook_set_option(wh, SEGB_WEBHOOK_MAX_EVENTS, 64) != SEGB_OK ||
        segb_webhook_set_option(wh, SEGB_WEBHOOK_MAX_DEPTH, 32) != SEGB_OK)
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

/* The scanner's first element, if any, is the parser's first event. */
static void check_first_element(const char *body, size_t len,
                                const segb_webhook_batch_t *b) {
  size_t start, end;
  sbi_json *span = NULL;
  sbi_buf a = SBI_BUF_INIT;
  char *first;
  size_t first_len = 0;
  int more = 0;

  if (!sbi_webhook_first_element(body, len, &start, &end, &more))
    return;
  /* "more" is what tells a batch of one signed event from a longer one */
  if ((segb_webhook_batch_count(b) > 1) != more)
    abort();
  if (segb_webhook_batch_count(b) == 0 ||
      sbi_json_parse(body + start, end - start, NULL, 0, 64, &span, NULL, 0) !=
          SEGB_OK ||
      sbi_json_write(&a, span) != SEGB_OK)
    abort();
  first = segb_json_text(segb_webhook_event(b, 0), &first_len);
  if (first == NULL || first_len != a.len || memcmp(first, a.data, a.len) != 0)
    abort();
  segb_free(first);
  sbi_buf_free(&a);
  sbi_json_free(span);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  segb_webhook_batch_t *b = NULL;
  int rc = segb_webhook_parse(limits(), body, size, &b);

  if (rc != SEGB_OK) {
    if (b != NULL ||
        (rc != SEGB_ERR_INVALID_JSON && rc != SEGB_ERR_INVALID_UTF8 &&
         rc != SEGB_ERR_TOO_DEEP && rc != SEGB_ERR_JSON_TYPE &&
         rc != SEGB_ERR_TOO_MANY_EVENTS && rc != SEGB_ERR_BODY_TOO_LARGE &&
         rc != SEGB_ERR_NOMEM))
      abort();
    return 0;
  }
  read_all(b);
  check_first_element(body, size, b);
  segb_webhook_batch_destroy(b);
  return 0;
}
