/*
 * What the mock saw: the request log, the accepted messages (in memory and
 * optionally as NDJSON), messageId duplicates and the counters. One mutex
 * guards it all; getters hand out copies.
 */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- ring ------------------------------------------------------------ */

static int ring_push(sbm_ring *r, void *item) {
  if (r->len == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 64;
    void **slot = malloc(cap * sizeof *slot);
    if (!slot)
      return -1;
    for (size_t i = 0; i < r->len; i++)
      slot[i] = r->slot[(r->head + i) % r->cap];
    free(r->slot);
    r->slot = slot;
    r->cap = cap;
    r->head = 0;
  }
  r->slot[(r->head + r->len) % r->cap] = item;
  r->len++;
  return 0;
}

static void *ring_pop(sbm_ring *r) {
  void *item = r->slot[r->head];
  r->head = (r->head + 1) % r->cap;
  r->len--;
  r->first++;
  return item;
}

/* The item with absolute index @i, or NULL if dropped or not yet there. */
static void *ring_at(const sbm_ring *r, size_t i) {
  if (i < r->first || i - r->first >= r->len)
    return NULL;
  return r->slot[(r->head + (i - r->first)) % r->cap];
}

/* ---- messageId multiset (open addressing, linear probing) ------------- */

static uint64_t hash_id(const char *s) {
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3u;
  }
  return h;
}

static sbm_idslot *idset_find(sbm_idset *s, const char *id, uint64_t h) {
  size_t mask = s->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    sbm_idslot *slot = &s->slot[i];
    if (!slot->id || (slot->hash == h && strcmp(slot->id, id) == 0))
      return slot;
  }
}

static int idset_grow(sbm_idset *s) {
  size_t cap = s->cap ? 2 * s->cap : 1024;
  sbm_idset bigger = {calloc(cap, sizeof(sbm_idslot)), cap, s->used};
  if (!bigger.slot)
    return -1;
  for (size_t i = 0; i < s->cap; i++)
    if (s->slot[i].id)
      *idset_find(&bigger, s->slot[i].id, s->slot[i].hash) = s->slot[i];
  free(s->slot);
  *s = bigger;
  return 0;
}

/* Count one more occurrence of @id; returns how many there were before, or
 * 0 also when out of memory (the duplicate count is then best effort). */
static size_t idset_add(sbm_idset *s, const char *id) {
  if ((s->used + 1) * 10 > s->cap * 7 && idset_grow(s) != 0)
    return 0;
  uint64_t h = hash_id(id);
  sbm_idslot *slot = idset_find(s, id, h);
  if (slot->id)
    return slot->count++;
  slot->id = strdup(id);
  if (!slot->id)
    return 0;
  slot->hash = h;
  slot->count = 1;
  s->used++;
  return 0;
}

/* Forget one occurrence of @id; the last one frees the slot, shifting later
 * entries of its probe run back so lookups never stop early. */
static void idset_remove(sbm_idset *s, const char *id) {
  if (!s->cap)
    return;
  sbm_idslot *slot = idset_find(s, id, hash_id(id));
  if (!slot->id || --slot->count > 0)
    return;
  free(slot->id);
  s->used--;
  size_t mask = s->cap - 1;
  size_t hole = (size_t)(slot - s->slot);
  for (size_t i = (hole + 1) & mask; s->slot[i].id; i = (i + 1) & mask) {
    size_t home = (size_t)s->slot[i].hash & mask;
    /* Move the entry into the hole unless its home lies after the hole. */
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      s->slot[hole] = s->slot[i];
      hole = i;
    }
  }
  s->slot[hole] = (sbm_idslot){0};
}

/* ---- requests and messages -------------------------------------------- */

int sbm_request_add_header(sbm_request *r, const char *name,
                           const char *value) {
  if (r->n_headers == r->cap_headers) {
    size_t cap = r->cap_headers ? 2 * r->cap_headers : 8;
    sbm_header *grown = realloc(r->headers, cap * sizeof *grown);
    if (!grown)
      return -1;
    r->headers = grown;
    r->cap_headers = cap;
  }
  sbm_header h = {strdup(name), strdup(value ? value : "")};
  if (!h.name || !h.value) {
    free(h.name);
    free(h.value);
    return -1;
  }
  r->headers[r->n_headers++] = h;
  return 0;
}

void sbm_request_free(sbm_request *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  free(r->path);
  free(r->body);
  free(r);
}

static size_t request_size(const sbm_request *r) {
  size_t n = sizeof *r + r->body_len + strlen(r->path);
  for (size_t i = 0; i < r->n_headers; i++)
    n += strlen(r->headers[i].name) + strlen(r->headers[i].value);
  return n;
}

static void event_free(sbm_event *e) {
  free(e->json);
  free(e->message_id);
}

void sbm_store_init(sbm_store *s, FILE *record, size_t keep) {
  *s = (sbm_store){0};
  pthread_mutex_init(&s->lock, NULL);
  s->record = record;
  s->keep_requests = keep > 0 ? keep : SBM_KEEP_REQUESTS;
  s->keep_messages = keep > 0 ? keep : SBM_KEEP_MESSAGES;
}

void sbm_store_free(sbm_store *s) {
  while (s->requests.len)
    sbm_request_free(ring_pop(&s->requests));
  while (s->messages.len) {
    sbm_event *e = ring_pop(&s->messages);
    event_free(e);
    free(e);
  }
  free(s->requests.slot);
  free(s->messages.slot);
  for (size_t i = 0; i < s->ids.cap; i++)
    free(s->ids.slot[i].id);
  free(s->ids.slot);
  if (s->record)
    fclose(s->record);
  pthread_mutex_destroy(&s->lock);
}

static void log_request(sbm_store *s, sbm_request *req) {
  size_t size = request_size(req);
  if (ring_push(&s->requests, req) != 0) {
    sbm_request_free(req);
    return;
  }
  s->request_bytes += size;
  while (s->requests.len > s->keep_requests ||
         (s->requests.len > 1 && s->request_bytes > SBM_KEEP_REQUEST_BYTES)) {
    sbm_request *old = ring_pop(&s->requests);
    s->request_bytes -= request_size(old);
    sbm_request_free(old);
  }
}

static void keep_message(sbm_store *s, sbm_event *e) {
  sbm_event *kept = malloc(sizeof *kept);
  if (!kept || ring_push(&s->messages, kept) != 0) {
    free(kept);
    event_free(e);
    return;
  }
  *kept = *e;
  s->message_bytes += e->len;
  while (s->messages.len > s->keep_messages ||
         (s->messages.len > 1 && s->message_bytes > SBM_KEEP_MESSAGE_BYTES)) {
    sbm_event *old = ring_pop(&s->messages);
    s->message_bytes -= old->len;
    if (old->message_id)
      idset_remove(&s->ids, old->message_id);
    event_free(old);
    free(old);
  }
}

static void record_line(sbm_store *s, const sbm_event *e) {
  if (fwrite(e->json, 1, e->len, s->record) != e->len ||
      fputc('\n', s->record) == EOF)
    s->record_failed = 1;
}

size_t sbm_store_commit(sbm_store *s, sbm_request *req, sbm_verdict *v,
                        unsigned char *duplicate) {
  req->status = (int)v->status;
  pthread_mutex_lock(&s->lock);
  size_t index = s->requests.first + s->requests.len;
  s->stats.requests++;
  switch (v->outcome) {
  case SBM_OUT_ACCEPTED:
    s->stats.accepted_requests++;
    break;
  case SBM_OUT_DROPPED:
    s->stats.accepted_requests++;
    s->stats.rejected++;
    break;
  case SBM_OUT_REJECTED:
    s->stats.rejected++;
    break;
  case SBM_OUT_FAULT:
    s->stats.faults++;
    break;
  }
  log_request(s, req);
  for (size_t i = 0; i < v->n_events; i++) {
    sbm_event *e = &v->events[i];
    s->stats.messages++;
    if (e->message_id && idset_add(&s->ids, e->message_id) > 0) {
      s->stats.duplicates++;
      if (duplicate)
        duplicate[i] = 1;
    }
    if (s->record)
      record_line(s, e);
    keep_message(s, e);
  }
  v->n_events = 0; /* the events now belong to the store */
  if (s->record && v->outcome == SBM_OUT_ACCEPTED && fflush(s->record) != 0)
    s->record_failed = 1;
  if (s->record_failed) {
    fprintf(stderr, "segbridge mock: writing the record file failed; "
                    "recording there stops\n");
    fclose(s->record);
    s->record = NULL;
    s->record_failed = 0;
  }
  pthread_mutex_unlock(&s->lock);
  return index;
}

void sbm_store_stats(sbm_store *s, sbm_stats *out) {
  pthread_mutex_lock(&s->lock);
  *out = s->stats;
  pthread_mutex_unlock(&s->lock);
}

char *sbm_store_message(sbm_store *s, size_t i) {
  pthread_mutex_lock(&s->lock);
  const sbm_event *e = ring_at(&s->messages, i);
  char *copy = e ? strdup(e->json) : NULL;
  pthread_mutex_unlock(&s->lock);
  return copy;
}

char *sbm_store_header(sbm_store *s, size_t i, const char *name) {
  char *copy = NULL;
  pthread_mutex_lock(&s->lock);
  const sbm_request *r = ring_at(&s->requests, i);
  for (size_t k = 0; r && name && k < r->n_headers; k++) {
    if (strcasecmp(r->headers[k].name, name) == 0) {
      copy = strdup(r->headers[k].value);
      break;
    }
  }
  pthread_mutex_unlock(&s->lock);
  return copy;
}

char *sbm_store_body(sbm_store *s, size_t i) {
  char *copy = NULL;
  pthread_mutex_lock(&s->lock);
  const sbm_request *r = ring_at(&s->requests, i);
  if (r && (copy = malloc(r->body_len + 1)) != NULL) {
    if (r->body_len)
      memcpy(copy, r->body, r->body_len);
    copy[r->body_len] = '\0';
  }
  pthread_mutex_unlock(&s->lock);
  return copy;
}

char *sbm_store_path(sbm_store *s, size_t i) {
  pthread_mutex_lock(&s->lock);
  const sbm_request *r = ring_at(&s->requests, i);
  char *copy = r ? strdup(r->path) : NULL;
  pthread_mutex_unlock(&s->lock);
  return copy;
}

int sbm_store_status(sbm_store *s, size_t i) {
  pthread_mutex_lock(&s->lock);
  const sbm_request *r = ring_at(&s->requests, i);
  int status = r ? r->status : -1;
  pthread_mutex_unlock(&s->lock);
  return status;
}
