/* segb_webhook_parse(): the body as a whole (size, JSON, shape, event
 * count), then each event on its own, so one bad event never hides the
 * others; and reading a parsed body: counts, event views, statuses and the
 * fields every host wants. Memory is the tree plus one small record per
 * event; the event and value limits stop the parser as it builds the tree,
 * so a hostile body costs no more than a body at the limits. */
#include "webhook_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* The message types, and "delete": the deletion notice the Webhooks
 * destination sends (Segment docs: the Webhooks destination page). */
static int known_type(const char *s, size_t len) {
  static const char *const types[] = {"identify", "track", "page",  "screen",
                                      "group",    "alias", "delete"};
  size_t i;

  for (i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strlen(types[i]) == len && memcmp(types[i], s, len) == 0)
      return 1;
  return 0;
}

/* Member @key of @ev as an identity: 1 for a non-empty string, 0 for none
 * (absent, null or ""), -1 for any other type. */
static int identity(const sbi_json *ev, const char *key) {
  const sbi_json *v = sbi_json_get(ev, key, strlen(key));

  if (v == NULL || v->type == SBI_JSON_NULL)
    return 0;
  if (v->type != SBI_JSON_STRING)
    return -1;
  return v->str_len > 0;
}

/* The status of one event: SEGB_OK, or an error code with *@why saying
 * which rule it breaks. Each rule has its own code, so a host can tell a
 * malformed event from one of a kind it does not handle. */
static int check_event(const sbi_json *ev, const char **why) {
  const sbi_json *type;
  int user, anon;

  if (ev->type != SBI_JSON_OBJECT) {
    *why = "the event is not a JSON object";
    return SEGB_ERR_JSON_TYPE;
  }
  type = sbi_json_get(ev, "type", 4);
  if (type == NULL) {
    *why = "the event has no \"type\"";
    return SEGB_ERR_MISSING_FIELD;
  }
  if (type->type != SBI_JSON_STRING) {
    *why = "\"type\" is not a string";
    return SEGB_ERR_JSON_TYPE;
  }
  if (!known_type(type->str, type->str_len)) {
    *why = "\"type\" is not an event type Segment sends";
    return SEGB_ERR_UNKNOWN_TYPE;
  }
  user = identity(ev, "userId");
  anon = identity(ev, "anonymousId");
  if (user < 0 || anon < 0) {
    *why = user < 0 ? "\"userId\" is not a string"
                    : "\"anonymousId\" is not a string";
    return SEGB_ERR_JSON_TYPE;
  }
  if (!user && !anon) {
    *why = "the event has neither a userId nor an anonymousId";
    return SEGB_ERR_MISSING_IDENTITY;
  }
  *why = "";
  return SEGB_OK;
}

/* The array of events: the root itself when it is an array, its "batch"
 * member when the root is an object with one and no "type", else NULL for
 * a single event. */
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

/* What the parse watches in the lists of events it may meet. */
typedef struct events_watch {
  size_t max_events;
  const sbi_json *first; /* the first element of the latest list */
  size_t first_depth;    /* that list's depth: 1 for the root */
  sbi_json_span first_span;
} events_watch;

/* Watches the root array and every "batch" array member of the root object
 * (whether that object is a batch, find_events() decides later): stops the
 * parse as soon as one holds one more event than the limit, and keeps
 * where the first element of each lies, as the parser read it. */
static int watch_events(void *opaque, const sbi_json *parent, size_t depth,
                        const sbi_json_span *span) {
  events_watch *w = opaque;

  if (parent->type != SBI_JSON_ARRAY ||
      (depth != 1 && (depth != 2 || parent->key_len != 5 ||
                      memcmp(parent->key, "batch", 5) != 0)))
    return SEGB_OK;
  if (span == NULL)
    return parent->count > w->max_events ? SEGB_ERR_TOO_MANY_EVENTS : SEGB_OK;
  if (parent->count == 1) {
    w->first = parent->head;
    w->first_depth = depth;
    w->first_span = *span;
  }
  return SEGB_OK;
}

static int parse_body(const sbi_webhook_limits *lim, const char *body,
                      size_t len, sbi_json **root, events_watch *w) {
  sbi_json_opts jl = {lim->max_depth, 0, sbi_webhook_max_nodes(lim),
                      watch_events, w};
  char why[96];
  int rc;

  w->max_events = lim->max_events;
  rc = sbi_json_parse_opts(body, len, NULL, 0, &jl, root, why, sizeof why);
  if (rc == SEGB_ERR_TOO_MANY_EVENTS)
    return sbi_error(rc,
                     "the body holds at least %zu events, over the limit "
                     "of %zu",
                     lim->max_events + 1, lim->max_events);
  if (rc != SEGB_OK)
    return sbi_webhook_json_error(lim, rc, why, "the body", "body");
  return SEGB_OK;
}

static int fill(segb_webhook_batch_t *b, const sbi_json *list) {
  const sbi_json *ev = list != NULL ? list->head : b->root;
  size_t i;

  b->count = list != NULL ? list->count : 1;
  if (b->count == 0)
    return SEGB_OK;
  b->events = calloc(b->count, sizeof *b->events);
  if (b->events == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory");
  for (i = 0; i < b->count; i++, ev = ev->next) {
    b->events[i].node = ev;
    b->events[i].err = check_event(ev, &b->events[i].why);
    b->errors += b->events[i].err != SEGB_OK;
  }
  return SEGB_OK;
}

/* Where event 0 lies, after a parse that ended with @rc: the span of the
 * very node that is event 0 of the list taken, so a list the parse watched
 * but did not take (an earlier "batch" member, one in an object with a
 * "type") never lends its first element; after a limit, the first element
 * of a root array; none for a body that is not JSON. */
static sbi_json_span first_event(int rc, const sbi_json *list,
                                 const events_watch *w) {
  static const sbi_json_span none = {0, 0};

  if (rc == SEGB_OK)
    return list != NULL && list->head == w->first ? w->first_span : none;
  if (rc == SEGB_ERR_TOO_MANY_EVENTS || rc == SEGB_ERR_BODY_TOO_LARGE ||
      rc == SEGB_ERR_TOO_DEEP)
    return w->first_depth == 1 ? w->first_span : none;
  return none;
}

int sbi_webhook_parse(const sbi_webhook_limits *lim, const char *body,
                      size_t len, segb_webhook_batch_t **out,
                      sbi_json_span *first) {
  events_watch w = {0, NULL, 0, {0, 0}};
  segb_webhook_batch_t *b;
  const sbi_json *list = NULL;
  int rc;

  if (first != NULL)
    first->len = 0;
  if (out == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (body == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the body is NULL");
  if (len > lim->max_body)
    return sbi_error(SEGB_ERR_BODY_TOO_LARGE,
                     "the body is %zu bytes, over the limit of %zu", len,
                     lim->max_body);
  b = calloc(1, sizeof *b);
  if (b == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory");
  rc = parse_body(lim, body, len, &b->root, &w);
  if (rc == SEGB_OK)
    rc = find_events(b->root, &list);
  if (rc == SEGB_OK)
    rc = fill(b, list);
  if (first != NULL)
    *first = first_event(rc, list, &w);
  if (rc != SEGB_OK) {
    segb_webhook_batch_destroy(b);
    return rc;
  }
  *out = b;
  return SEGB_OK;
}

int segb_webhook_parse(const segb_webhook_t *wh, const char *body, size_t len,
                       segb_webhook_batch_t **out) {
  sbi_webhook_limits lim;

  sbi_webhook_limits_of(wh, &lim);
  return sbi_webhook_parse(&lim, body, len, out, NULL);
}

/* ---- reading a parsed body ---- */

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
