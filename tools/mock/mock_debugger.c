/*
 * The Debugger page (sbm_options.debugger). GET /debugger serves the page
 * (debugger.html, embedded at build time), /debugger/state the counters and
 * the fault settings, /debugger/events the rows kept, and /debugger/stream
 * the rows live as Server-Sent Events. A row is one accepted Tracking API
 * event or one refused request, with its credentials redacted.
 *
 * The last @keep rows stay in a ring indexed by sequence number. Each
 * stream keeps only the number of the next row it wants and reads from the
 * ring at its own pace: when it falls behind it skips what the ring
 * dropped, and says how many. Publishing never waits for a page, so a
 * stalled page slows nothing and costs one connection's buffer.
 */
#include "mock_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The page itself: debugger.html, generated into debugger_page.c. */
extern const unsigned char sbm_debugger_html[];
extern const size_t sbm_debugger_html_len;

#define REDACTED "[redacted]"
/* A refused request's body is shown up to this many bytes. */
#define ROW_BODY_MAX (16u * 1024u)
/* A stream sends at most one message per interval, of at most so many rows
 * and bytes (the newest; the older ones count as missed), and a comment
 * when idle, which also finds a closed page. */
#define STREAM_INTERVAL_MS 100
#define STREAM_MAX_ROWS 500u
#define STREAM_MAX_BYTES (1u << 20)
#define STREAM_KEEPALIVE_MS 15000
#define MAX_REASONS 24

typedef struct reason_count {
  char key[24];
  uint64_t n;
} reason_count;

struct sbm_debugger {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a publish, or the stop; CLOCK_MONOTONIC */
  char **ring;            /* row JSON of sequence number s in ring[s % keep] */
  size_t keep, kept;
  uint64_t next_seq; /* rows next_seq - kept .. next_seq - 1 are kept */
  uint64_t version;  /* bumped by each publish: the counters changed */
  int stopping;
  /* exact, over every request since the start */
  uint64_t requests, events, duplicates, refused, bytes;
  reason_count reasons[MAX_REASONS];
  size_t n_reasons;
};

sbm_debugger *sbm_debugger_new(size_t keep) {
  sbm_debugger *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->keep = keep > 0 ? keep : SBM_DEBUGGER_KEEP;
  if (!(d->ring = calloc(d->keep, sizeof *d->ring))) {
    free(d);
    return NULL;
  }
  d->next_seq = 1;
  d->version = 1;
  pthread_mutex_init(&d->lock, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&d->changed, &attr);
  pthread_condattr_destroy(&attr);
  return d;
}

void sbm_debugger_stop(sbm_debugger *d) {
  if (!d)
    return;
  pthread_mutex_lock(&d->lock);
  d->stopping = 1;
  pthread_cond_broadcast(&d->changed);
  pthread_mutex_unlock(&d->lock);
}

void sbm_debugger_free(sbm_debugger *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->keep; i++)
    free(d->ring[i]);
  free(d->ring);
  pthread_cond_destroy(&d->changed);
  pthread_mutex_destroy(&d->lock);
  free(d);
}

/* ---- rows --------------------------------------------------------------- */

typedef struct text {
  char *s;
  size_t len, cap;
  int failed;
} text;

static void put(text *t, const char *s, size_t n) {
  if (t->failed)
    return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + n + 1)
      cap *= 2;
    char *grown = realloc(t->s, cap);
    if (!grown) {
      t->failed = 1;
      return;
    }
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}

static void puts_text(text *t, const char *s) { put(t, s, strlen(s)); }

/* A copy of @s (@n bytes, any text) without credentials: the value of each
 * "writeKey" member, at any depth, and every occurrence of the mock's
 * write key @key become [redacted]. NULL when out of memory. */
static char *redact(const char *s, size_t n, const char *key) {
  static const char member[] = "\"writeKey\"";
  size_t key_len = key ? strlen(key) : 0;
  text t = {0};
  size_t i = 0;

  put(&t, "", 0);
  while (i < n) {
    if (key_len && n - i >= key_len && memcmp(s + i, key, key_len) == 0) {
      puts_text(&t, REDACTED);
      i += key_len;
      continue;
    }
    if (n - i < sizeof member - 1 || memcmp(s + i, member, sizeof member - 1)) {
      put(&t, s + i++, 1);
      continue;
    }
    size_t j = i + sizeof member - 1;
    while (j < n && strchr(" \t\r\n:", s[j]))
      j++;
    put(&t, s + i, j - i);
    i = j;
    if (i < n && s[i] == '"') {
      for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
          i++;
      puts_text(&t, "\"" REDACTED "\"");
      i++;
    }
  }
  if (t.failed) {
    free(t.s);
    return NULL;
  }
  return t.s;
}

static void add_redacted(cJSON *row, const char *name, const char *s, size_t n,
                         const char *key) {
  char *clean = redact(s, n, key);
  if (clean)
    cJSON_AddStringToObject(row, name, clean);
  free(clean);
}

/* The member that names an event of @type in the list of rows (an
 * identify's is in its traits). */
static const char *name_member(const char *type) {
  static const char *const names[][2] = {
      {"track", "event"},   {"page", "name"},        {"screen", "name"},
      {"group", "groupId"}, {"alias", "previousId"},
  };
  for (size_t i = 0; type && i < sizeof names / sizeof names[0]; i++)
    if (strcmp(type, names[i][0]) == 0)
      return names[i][1];
  return NULL;
}

/* type, name, userId, anonymousId, timestamp, messageId from the message
 * object @msg, as strings. */
static void add_summary(cJSON *row, const cJSON *msg, const char *key) {
  static const char *const fields[] = {"type", "userId", "anonymousId",
                                       "timestamp", "messageId"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *s =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, fields[i]));
    if (s)
      add_redacted(row, fields[i], s, strlen(s), key);
  }
  const char *type =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));
  const char *name = name_member(type);
  const char *s =
      name ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, name))
           : NULL;
  if (type && strcmp(type, "identify") == 0) { /* who: a name or an email */
    const cJSON *traits = cJSON_GetObjectItemCaseSensitive(msg, "traits");
    if (!(s = cJSON_GetStringValue(
              cJSON_GetObjectItemCaseSensitive(traits, "name"))))
      s = cJSON_GetStringValue(
          cJSON_GetObjectItemCaseSensitive(traits, "email"));
  }
  if (s)
    add_redacted(row, "name", s, strlen(s), key);
}

/* How the request authenticated: "Basic", "Bearer", "body writeKey" or a
 * combination ("Bearer, body writeKey"); never the credential. */
static void auth_kind(const sbm_request *req, char *out, size_t size) {
  const char *auth = NULL;
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, "Authorization") == 0)
      auth = req->headers[i].value;
  const char *kind = !auth                                  ? NULL
                     : strncasecmp(auth, "Basic ", 6) == 0  ? "Basic"
                     : strncasecmp(auth, "Bearer ", 7) == 0 ? "Bearer"
                                                            : "other";
  int body_key = req->body && strstr(req->body, "\"writeKey\"") != NULL;
  snprintf(out, size, "%s%s%s", kind ? kind : "", kind && body_key ? ", " : "",
           body_key ? "body writeKey" : (kind ? "" : "none"));
}

static cJSON *new_row(sbm_mock *m, const sbm_request *req, const sbm_verdict *v,
                      const char *outcome) {
  char auth[40];
  cJSON *row = cJSON_CreateObject();
  if (!row)
    return NULL;
  auth_kind(req, auth, sizeof auth);
  cJSON_AddNumberToObject(row, "received", (double)sbm_clock_ms(m));
  add_redacted(row, "path", req->path, strlen(req->path), m->write_key);
  cJSON_AddNumberToObject(row, "status", v->status);
  cJSON_AddStringToObject(row, "outcome", outcome);
  cJSON_AddStringToObject(row, "auth", auth);
  return row;
}

/* The row of a refused request: its reason, and its body as received
 * (cut at ROW_BODY_MAX), summarised by its first event. */
static cJSON *refused_row(sbm_mock *m, const sbm_request *req,
                          const sbm_verdict *v, const char *outcome) {
  cJSON *row = new_row(m, req, v, outcome);
  if (!row)
    return NULL;
  add_redacted(row, "reason", v->error, strlen(v->error), m->write_key);
  size_t shown = req->body_len < ROW_BODY_MAX ? req->body_len : ROW_BODY_MAX;
  add_redacted(row, "json", req->body ? req->body : "", shown, m->write_key);
  if (shown < req->body_len)
    cJSON_AddBoolToObject(row, "truncated", 1);
  cJSON *body =
      req->body ? cJSON_ParseWithLength(req->body, req->body_len) : NULL;
  cJSON *batch = cJSON_GetObjectItemCaseSensitive(body, "batch");
  add_summary(row, cJSON_IsArray(batch) ? cJSON_GetArrayItem(batch, 0) : body,
              m->write_key);
  cJSON_Delete(body);
  return row;
}

static cJSON *event_row(sbm_mock *m, const sbm_request *req,
                        const sbm_verdict *v, const sbm_event *e) {
  cJSON *row = new_row(m, req, v, "accepted");
  if (!row)
    return NULL;
  add_redacted(row, "json", e->json, e->len, m->write_key);
  cJSON *msg = cJSON_ParseWithLength(e->json, e->len);
  add_summary(row, msg, m->write_key);
  cJSON_Delete(msg);
  return row;
}

/* The key a refusal is counted under: the status, or "fault <status>". */
static void reason_key(const sbm_verdict *v, char *out, size_t size) {
  if (v->outcome == SBM_OUT_FAULT && v->status == 0)
    snprintf(out, size, "fault reset");
  else if (v->outcome == SBM_OUT_FAULT)
    snprintf(out, size, "fault %u", v->status);
  else if (v->outcome == SBM_OUT_DROPPED)
    snprintf(out, size, "dropped batch");
  else
    snprintf(out, size, "%u", v->status);
}

void sbm_feed_init(sbm_feed *f, sbm_mock *m, const sbm_request *req,
                   const sbm_verdict *v, size_t bytes) {
  *f = (sbm_feed){.bytes = bytes};
  if (v->outcome != SBM_OUT_ACCEPTED)
    reason_key(v, f->reason, sizeof f->reason);
  /* A successful read of the other APIs is no row. */
  if (v->outcome == SBM_OUT_ACCEPTED && !sbm_is_tracking_path(req->path))
    return;
  if (!(f->rows = cJSON_CreateArray()))
    return;
  if (v->n_events && !(f->duplicate = calloc(v->n_events, 1))) {
    cJSON_Delete(f->rows);
    f->rows = NULL;
    return;
  }
  f->n_events = v->n_events;
  for (size_t i = 0; i < v->n_events; i++)
    cJSON_AddItemToArray(f->rows, event_row(m, req, v, &v->events[i]));
  if (v->outcome != SBM_OUT_ACCEPTED)
    cJSON_AddItemToArray(
        f->rows,
        refused_row(m, req, v,
                    v->outcome == SBM_OUT_FAULT ? "fault" : "refused"));
}

static void count_reason(sbm_debugger *d, const char *key) {
  size_t i;
  for (i = 0; i < d->n_reasons; i++)
    if (strcmp(d->reasons[i].key, key) == 0)
      break;
  if (i == MAX_REASONS) {
    i = MAX_REASONS - 1; /* the last counts all the rest */
  } else if (i == d->n_reasons) {
    snprintf(d->reasons[i].key, sizeof d->reasons[i].key, "%s",
             i + 1 == MAX_REASONS ? "other" : key);
    d->n_reasons++;
  }
  d->reasons[i].n++;
}

void sbm_feed_publish(sbm_debugger *d, sbm_feed *f, size_t request) {
  size_t n = f->rows ? (size_t)cJSON_GetArraySize(f->rows) : 0;
  char **printed = n ? calloc(n, sizeof *printed) : NULL;
  uint64_t duplicates = 0;
  size_t i = 0;

  for (cJSON *row = f->rows ? f->rows->child : NULL; row && printed;
       row = row->next, i++) {
    cJSON_AddNumberToObject(row, "request", (double)request);
    if (i < f->n_events && f->duplicate[i]) {
      cJSON_ReplaceItemInObjectCaseSensitive(row, "outcome",
                                             cJSON_CreateString("duplicate"));
      duplicates++;
    }
    printed[i] = cJSON_PrintUnformatted(row);
  }
  pthread_mutex_lock(&d->lock);
  d->requests++;
  d->events += f->n_events;
  d->duplicates += duplicates;
  d->bytes += f->bytes;
  if (f->reason[0]) {
    d->refused++;
    count_reason(d, f->reason);
  }
  for (i = 0; printed && i < n; i++) {
    if (!printed[i])
      continue;
    char **slot = &d->ring[d->next_seq++ % d->keep];
    char *old = *slot;
    *slot = printed[i];
    printed[i] = old; /* freed below, outside the lock */
    if (d->kept < d->keep)
      d->kept++;
  }
  d->version++;
  pthread_cond_broadcast(&d->changed);
  pthread_mutex_unlock(&d->lock);
  for (i = 0; printed && i < n; i++)
    cJSON_free(printed[i]);
  free(printed);
  cJSON_Delete(f->rows);
  free(f->duplicate);
  *f = (sbm_feed){0};
}

/* ---- what the page reads --------------------------------------------- */

/* The counters as a JSON object, under d->lock. */
static void put_counters(text *t, const sbm_debugger *d) {
  char line[256];
  snprintf(line, sizeof line,
           "{\"requests\":%llu,\"events\":%llu,\"duplicates\":%llu,"
           "\"refused\":%llu,\"bytes\":%llu,\"refused_by_reason\":{",
           (unsigned long long)d->requests, (unsigned long long)d->events,
           (unsigned long long)d->duplicates, (unsigned long long)d->refused,
           (unsigned long long)d->bytes);
  puts_text(t, line);
  for (size_t i = 0; i < d->n_reasons; i++) {
    snprintf(line, sizeof line, "%s\"%s\":%llu", i ? "," : "",
             d->reasons[i].key, (unsigned long long)d->reasons[i].n);
    puts_text(t, line);
  }
  puts_text(t, "}}");
}

/* The mock's fault settings as a JSON object; takes the faults' lock. */
static void fault_settings(sbm_mock *m, char *out, size_t size) {
  double rate;
  size_t scripted = sbm_faults_pending(&m->faults, &rate);
  snprintf(out, size,
           "{\"fail_rate\":%g,\"scripted\":%zu,\"latency_ms\":%d,"
           "\"max_body\":%zu,\"refuse_poison\":%s,\"write_key\":\"%s\","
           "\"oauth\":%s}",
           rate, scripted, m->latency_ms, m->max_body,
           m->refuse_poison ? "true" : "false",
           m->write_key ? "required" : "any", m->oauth ? "true" : "false");
}

/* Rows from sequence number *@next on (0: from the first kept), oldest
 * first, as a JSON array: at most @max_rows and (beyond the first)
 * @max_bytes, the newest; what was dropped or left out is added to
 * *@missed, and *@next moves past the last. Under d->lock. */
static void put_rows(text *t, const sbm_debugger *d, uint64_t *next,
                     size_t max_rows, size_t max_bytes, uint64_t *missed) {
  uint64_t first = d->next_seq - d->kept, start = d->next_seq;
  size_t bytes = 0;
  if (*next == 0) /* from the first row kept */
    *next = first;
  if (*next < first) {
    *missed += first - *next;
    *next = first;
  }
  if (*next > d->next_seq)
    *next = d->next_seq;
  while (start > *next && d->next_seq - start < max_rows) {
    size_t len = strlen(d->ring[(start - 1) % d->keep]);
    if (start < d->next_seq && bytes + len > max_bytes)
      break;
    bytes += len;
    start--;
  }
  *missed += start - *next;
  puts_text(t, "[");
  for (uint64_t s = start; s < d->next_seq; s++) {
    if (s > start)
      puts_text(t, ",");
    puts_text(t, d->ring[s % d->keep]);
  }
  puts_text(t, "]");
  *next = d->next_seq;
}

/* {"rows":[...],"missed":N,"last":S,"counters":{...},"faults":{...}}, the
 * rows from *@next on as put_rows; without @next (the state) no rows but
 * "keep" and "kept". */
static void put_message(text *t, sbm_mock *m, uint64_t *next, size_t max_rows,
                        size_t max_bytes) {
  sbm_debugger *d = m->debugger;
  char faults[256], line[96];
  uint64_t missed = 0;

  fault_settings(m, faults, sizeof faults);
  pthread_mutex_lock(&d->lock);
  puts_text(t, "{");
  if (next) {
    puts_text(t, "\"rows\":");
    put_rows(t, d, next, max_rows, max_bytes, &missed);
    snprintf(line, sizeof line, ",\"missed\":%llu,",
             (unsigned long long)missed);
  } else {
    snprintf(line, sizeof line, "\"keep\":%zu,\"kept\":%zu,", d->keep, d->kept);
  }
  puts_text(t, line);
  snprintf(line, sizeof line, "\"last\":%llu,\"counters\":",
           (unsigned long long)(d->next_seq - 1));
  puts_text(t, line);
  put_counters(t, d);
  pthread_mutex_unlock(&d->lock);
  puts_text(t, ",\"faults\":");
  puts_text(t, faults);
  puts_text(t, "}");
}

/* ---- the stream --------------------------------------------------------- */

typedef struct stream {
  sbm_mock *m;
  uint64_t next;    /* sequence number of the next row to send */
  uint64_t version; /* of the counters last sent */
  text out;         /* the message being sent, from @sent on */
  size_t sent;
  struct timespec not_before; /* the next message's earliest time */
} stream;

static struct timespec ms_later(struct timespec t, long ms) {
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

static int before(struct timespec a, struct timespec b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* Wait for something to send, at most until the keep-alive is due, and no
 * sooner than st->not_before. 1: news, 0: keep-alive, -1: stopping. */
static int wait_news(stream *st) {
  sbm_debugger *d = st->m->debugger;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec idle_until = ms_later(now, STREAM_KEEPALIVE_MS);
  int rc;

  pthread_mutex_lock(&d->lock);
  for (;;) {
    int news = d->version != st->version;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (d->stopping) {
      rc = -1;
      break;
    }
    if (news && !before(now, st->not_before)) {
      st->version = d->version;
      rc = 1;
      break;
    }
    if (!news && !before(now, idle_until)) {
      rc = 0;
      break;
    }
    struct timespec until = news ? st->not_before : idle_until;
    pthread_cond_timedwait(&d->changed, &d->lock, &until);
  }
  pthread_mutex_unlock(&d->lock);
  return rc;
}

/* MHD's content reader: the next bytes of the event stream. It blocks in
 * its connection's own thread (MHD_USE_THREAD_PER_CONNECTION) until there
 * is something to send, and ends the stream when the mock stops. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  stream *st = cls;
  (void)pos;
  if (st->sent == st->out.len) {
    int news = wait_news(st);
    if (news < 0)
      return MHD_CONTENT_READER_END_OF_STREAM;
    st->out.len = st->sent = 0;
    if (news == 0) {
      puts_text(&st->out, ": keep-alive\n\n");
    } else {
      char id[48];
      text msg = {0};
      put_message(&msg, st->m, &st->next, STREAM_MAX_ROWS, STREAM_MAX_BYTES);
      snprintf(id, sizeof id,
               "id: %llu\ndata: ", (unsigned long long)(st->next - 1));
      puts_text(&st->out, id);
      if (msg.s)
        puts_text(&st->out, msg.s);
      puts_text(&st->out, "\n\n");
      st->out.failed |= msg.failed;
      free(msg.s);
      clock_gettime(CLOCK_MONOTONIC, &st->not_before);
      st->not_before = ms_later(st->not_before, STREAM_INTERVAL_MS);
    }
    if (st->out.failed)
      return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  size_t n = st->out.len - st->sent < max ? st->out.len - st->sent : max;
  memcpy(buf, st->out.s + st->sent, n);
  st->sent += n;
  return (ssize_t)n;
}

static void stream_free(void *cls) {
  stream *st = cls;
  free(st->out.s);
  free(st);
}

/* ---- routes ------------------------------------------------------------- */

/* The sequence number of the first row wanted: after=S or Last-Event-ID
 * (S+1), else the first row kept (0). */
static uint64_t first_wanted(struct MHD_Connection *c) {
  const char *after =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
  if (!after)
    after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
  char *end;
  errno = 0;
  unsigned long long s = after ? strtoull(after, &end, 10) : 0;
  if (!after || !*after || *end || errno || after[0] == '-')
    return 0;
  return (uint64_t)s + 1;
}

/* Answer with @r (NULL: out of memory), and the page's headers. */
static int answer_with(struct MHD_Connection *c, unsigned status,
                       const char *type, struct MHD_Response *r) {
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  /* The page loads nothing from anywhere but the mock itself. */
  MHD_add_response_header(r, "Content-Security-Policy",
                          "default-src 'none'; script-src 'unsafe-inline'; "
                          "style-src 'unsafe-inline'; connect-src 'self'; "
                          "img-src 'self' data:");
  int rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

/* The state (@rows 0) or the rows kept after=S. */
static int answer_json(sbm_mock *m, struct MHD_Connection *c, int rows) {
  uint64_t next = first_wanted(c);
  text t = {0};
  put_message(&t, m, rows ? &next : NULL, SIZE_MAX, SIZE_MAX);
  struct MHD_Response *r =
      t.failed ? NULL
               : MHD_create_response_from_buffer_with_free_callback(t.len, t.s,
                                                                    free);
  if (!r)
    free(t.s);
  return answer_with(c, 200, "application/json", r);
}

/* A constant body: copied (MHD's buffer is not const). */
static int answer_copy(struct MHD_Connection *c, unsigned status,
                       const char *type, const void *body, size_t len) {
  char *copy = malloc(len + 1);
  if (copy)
    memcpy(copy, body, len);
  struct MHD_Response *r =
      copy ? MHD_create_response_from_buffer_with_free_callback(len, copy, free)
           : NULL;
  if (!r)
    free(copy);
  return answer_with(c, status, type, r);
}

static int answer_stream(sbm_mock *m, struct MHD_Connection *c) {
  stream *st = calloc(1, sizeof *st);
  if (!st)
    return MHD_NO;
  st->m = m;
  st->next = first_wanted(c);
  struct MHD_Response *r = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, st, stream_free);
  if (!r) {
    stream_free(st);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "text/event-stream; charset=utf-8");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  int rc = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return rc;
}

int sbm_debugger_path(const sbm_mock *m, const char *method, const char *url) {
  return m->debugger && strcmp(method, "GET") == 0 &&
         strncmp(url, "/debugger", 9) == 0 && (url[9] == '\0' || url[9] == '/');
}

int sbm_debugger_answer(sbm_mock *m, struct MHD_Connection *c,
                        const char *url) {
  const char *sub = url + 9;
  if (strcmp(sub, "") == 0 || strcmp(sub, "/") == 0)
    return answer_copy(c, 200, "text/html; charset=utf-8", sbm_debugger_html,
                       sbm_debugger_html_len);
  if (strcmp(sub, "/stream") == 0)
    return answer_stream(m, c);
  if (strcmp(sub, "/state") == 0)
    return answer_json(m, c, 0);
  if (strcmp(sub, "/events") == 0)
    return answer_json(m, c, 1);
  static const char none[] =
      "{\"error\":\"no such page: /debugger serves /debugger/state, "
      "/debugger/events and /debugger/stream\"}";
  return answer_copy(c, 404, "application/json", none, sizeof none - 1);
}
