/* Reading a parsed webhook body: counts, event views, statuses and the
 * fields every host wants. */
#include "batch.h"
#include "webhook_int.h"

#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

static const segb_json_t *view(const sbi_json *n) {
  return (const segb_json_t *)(const void *)n;
}

void segb_webhook_batch_destroy(segb_webhook_batch_t *batch) {
  if (batch == NULL)
    return;
  sbi_json_free(batch->root);
  free(batch->events);
  free(batch);
}

size_t segb_webhook_batch_count(const segb_webhook_batch_t *batch) {
  return batch != NULL ? batch->count : 0;
}

size_t segb_webhook_batch_errors(const segb_webhook_batch_t *batch) {
  return batch != NULL ? batch->errors : 0;
}

const segb_json_t *segb_webhook_batch_root(const segb_webhook_batch_t *batch) {
  return batch != NULL ? view(batch->root) : NULL;
}

static const sbi_webhook_event *event_at(const segb_webhook_batch_t *batch,
                                         size_t i) {
  return batch != NULL && i < batch->count ? &batch->events[i] : NULL;
}

const segb_json_t *segb_webhook_event(const segb_webhook_batch_t *batch,
                                      size_t i) {
  const sbi_webhook_event *e = event_at(batch, i);

  return e != NULL ? view(e->node) : NULL;
}

int segb_webhook_event_err(const segb_webhook_batch_t *batch, size_t i) {
  const sbi_webhook_event *e = event_at(batch, i);

  return e != NULL ? e->err : SEGB_ERR_INVALID_ARG;
}

const char *segb_webhook_event_errstr(const segb_webhook_batch_t *batch,
                                      size_t i) {
  const sbi_webhook_event *e = event_at(batch, i);

  return e != NULL ? e->why : "";
}

int segb_webhook_event_signed(const segb_webhook_batch_t *batch, size_t i) {
  return event_at(batch, i) != NULL && i < batch->covered;
}

/* The string member @key of event @i, or NULL. */
static const char *member(const segb_webhook_batch_t *batch, size_t i,
                          const char *key) {
  const sbi_webhook_event *e = event_at(batch, i);
  const sbi_json *v;

  if (e == NULL || e->node->type != SBI_JSON_OBJECT)
    return NULL;
  v = sbi_json_get(e->node, key, strlen(key));
  return v != NULL && v->type == SBI_JSON_STRING ? v->str : NULL;
}

const char *segb_webhook_event_type(const segb_webhook_batch_t *batch,
                                    size_t i) {
  return member(batch, i, "type");
}

const char *segb_webhook_event_user_id(const segb_webhook_batch_t *batch,
                                       size_t i) {
  return member(batch, i, "userId");
}

const char *segb_webhook_event_anonymous_id(const segb_webhook_batch_t *batch,
                                            size_t i) {
  return member(batch, i, "anonymousId");
}

const char *segb_webhook_event_name(const segb_webhook_batch_t *batch,
                                    size_t i) {
  const char *name = member(batch, i, "event");

  return name != NULL ? name : member(batch, i, "name");
}

const char *segb_webhook_event_message_id(const segb_webhook_batch_t *batch,
                                          size_t i) {
  return member(batch, i, "messageId");
}

const char *segb_webhook_event_timestamp(const segb_webhook_batch_t *batch,
                                         size_t i) {
  return member(batch, i, "timestamp");
}
