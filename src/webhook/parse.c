/* segb_webhook_parse(): the body as a whole (size, JSON, shape, event
 * count), then each event on its own, so one bad event never hides the
 * others. Memory is the tree plus one small record per event: both grow
 * with the body only. */
#include "batch.h"
#include "webhook_int.h"

#include <stdlib.h>

#include "core/err.h"

/* The array of events: the root itself when it is an array, its "batch"
 * member when the root is an object with one and no "type" (keep in step
 * with first_element.c), else NULL for a single event. */
static int find_events(const sbi_json *root, const sbi_json **list) {
  const sbi_json *batch;

  *list = NULL;
  if (root->type == SBI_JSON_ARRAY) {
    *list = root;
    return SEGB_OK;
  }
  if (root->type != SBI_JSON_OBJECT)
    return sbi_error(SEGB_ERR_JSON_TYPE,
                     "the body is neither an object nor an array");
  batch = sbi_json_get(root, "batch", 5);
  if (batch == NULL || sbi_json_get(root, "type", 4) != NULL)
    return SEGB_OK;
  if (batch->type != SBI_JSON_ARRAY)
    return sbi_error(SEGB_ERR_JSON_TYPE, "\"batch\" is not an array");
  *list = batch;
  return SEGB_OK;
}

static int fill(segb_webhook_batch_t *b, const sbi_json *list,
                size_t max_events) {
  const sbi_json *ev = list != NULL ? list->head : b->root;
  size_t i;

  b->count = list != NULL ? list->count : 1;
  if (b->count > max_events)
    return sbi_error(SEGB_ERR_TOO_MANY_EVENTS,
                     "the body holds %zu events, over the limit of %zu",
                     b->count, max_events);
  if (b->count == 0)
    return SEGB_OK;
  b->events = calloc(b->count, sizeof *b->events);
  if (b->events == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory");
  for (i = 0; i < b->count; i++, ev = ev->next) {
    b->events[i].node = ev;
    b->events[i].err = sbi_webhook_check_event(ev, &b->events[i].why);
    b->errors += b->events[i].err != SEGB_OK;
  }
  return SEGB_OK;
}

int segb_webhook_parse(const segb_webhook_t *wh, const char *body, size_t len,
                       segb_webhook_batch_t **out) {
  sbi_webhook_limits lim;
  segb_webhook_batch_t *b;
  const sbi_json *list;
  char why[96];
  int rc;

  if (out == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (body == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the body is NULL");
  sbi_webhook_limits_of(wh, &lim);
  if (len > lim.max_body)
    return sbi_error(SEGB_ERR_BODY_TOO_LARGE,
                     "the body is %zu bytes, over the limit of %zu", len,
                     lim.max_body);
  b = calloc(1, sizeof *b);
  if (b == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory");
  rc = sbi_json_parse(body, len, NULL, 0, lim.max_depth, &b->root, why,
                      sizeof why);
  if (rc != SEGB_OK)
    rc = sbi_error(rc, "body: %s", why);
  if (rc == SEGB_OK)
    rc = find_events(b->root, &list);
  if (rc == SEGB_OK)
    rc = fill(b, list, lim.max_events);
  if (rc != SEGB_OK) {
    segb_webhook_batch_destroy(b);
    return rc;
  }
  *out = b;
  return SEGB_OK;
}
