/*
 * The Public API as the mock serves it (docs/READ_API.md): GET / (Get
 * Workspace), GET /sources (cursor pages) and GET /sources/{id}, behind a
 * Bearer token; and what the Profile API routes share with it: the read
 * APIs' state, the throttle, cursors, base64 and strict path decoding.
 */
#include "mock_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SBM_DEFAULT_SOURCES 5
#define SBM_DEFAULT_SPACE "spa_mock"
#define SBM_WORKSPACE_ID "ws_mock"
#define SBM_DEFAULT_EVENTS 30
#define SBM_MAX_EVENTS 10000
#define SBM_COUNT_DEFAULT 200
#define SBM_COUNT_MAX 1000

/* Source ids that answer 200 with a broken body. */
#define SBM_SOURCE_TRUNCATED "src_truncated"
#define SBM_SOURCE_MALFORMED "src_malformed"

static char *dup_or_null(const char *s, int *failed) {
  char *copy = s ? strdup(s) : NULL;
  if (s && !copy)
    *failed = 1;
  return copy;
}

sbm_api *sbm_api_new(const sbm_options *opts) {
  sbm_api *a = calloc(1, sizeof *a);
  int failed = 0;
  if (!a)
    return NULL;
  a->api_token = dup_or_null(opts->api_token, &failed);
  a->profile_token = dup_or_null(opts->profile_token, &failed);
  a->space_id =
      dup_or_null(opts->space_id ? opts->space_id : SBM_DEFAULT_SPACE, &failed);
  a->sources = opts->api_sources == 0  ? SBM_DEFAULT_SOURCES
               : opts->api_sources < 0 ? 0
                                       : opts->api_sources;
  a->events = opts->profile_events <= 0               ? SBM_DEFAULT_EVENTS
              : opts->profile_events > SBM_MAX_EVENTS ? SBM_MAX_EVENTS
                                                      : opts->profile_events;
  pthread_mutex_init(&a->lock, NULL);
  if (failed) {
    sbm_api_free(a);
    return NULL;
  }
  return a;
}

void sbm_api_free(sbm_api *a) {
  if (!a)
    return;
  pthread_mutex_destroy(&a->lock);
  free(a->api_token);
  free(a->profile_token);
  free(a->space_id);
  free(a);
}

void sbm_api_throttle(sbm_mock *m, int count, int ms_before_next) {
  if (!m || count <= 0)
    return;
  pthread_mutex_lock(&m->api->lock);
  m->api->throttle_left += count;
  m->api->throttle_ms = ms_before_next > 0 ? ms_before_next : 0;
  pthread_mutex_unlock(&m->api->lock);
}

int sbm_api_throttle_take(sbm_mock *m) {
  int ms = -1;
  pthread_mutex_lock(&m->api->lock);
  if (m->api->throttle_left > 0) {
    m->api->throttle_left--;
    ms = m->api->throttle_ms;
  }
  pthread_mutex_unlock(&m->api->lock);
  return ms;
}

/* ---- helpers shared with mock_profile.c ------------------------------ */

void sbm_api_answer(sbm_verdict *v, unsigned status, cJSON *body) {
  v->status = status;
  v->outcome = status == 200 ? SBM_OUT_ACCEPTED : SBM_OUT_REJECTED;
  v->reply = body ? cJSON_PrintUnformatted(body) : NULL;
  cJSON_Delete(body);
  if (!v->reply && status == 200)
    sbm_verdict_fail(v, 500, SBM_OUT_REJECTED, "out of memory");
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sbm_b64_encode(const unsigned char *in, size_t n) {
  char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < n)
      v |= (unsigned)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    *o++ = b64[v >> 18 & 63];
    *o++ = b64[v >> 12 & 63];
    *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
    *o++ = i + 2 < n ? b64[v & 63] : '=';
  }
  *o = '\0';
  return out;
}

char *sbm_b64_decode(const char *in, size_t *len) {
  size_t n = strlen(in), k = 0;
  if (n % 4 != 0)
    return NULL;
  unsigned char *out = malloc(n / 4 * 3 + 1);
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i += 4) {
    unsigned v = 0;
    int pad = 0;
    for (int j = 0; j < 4; j++) {
      const char *p = in[i + j] ? strchr(b64, in[i + j]) : NULL;
      /* '=' only at the end: one or two of them */
      if (in[i + j] == '=' && i + 4 == n && j >= 2) {
        pad++;
        v <<= 6;
        continue;
      }
      if (!p || pad) {
        free(out);
        return NULL;
      }
      v = v << 6 | (unsigned)(p - b64);
    }
    out[k++] = (unsigned char)(v >> 16);
    if (pad < 2)
      out[k++] = (unsigned char)(v >> 8);
    if (pad < 1)
      out[k++] = (unsigned char)v;
  }
  out[k] = '\0';
  *len = k;
  return (char *)out;
}

/* Cursors are base64 of two marker bytes and the offset in decimal: the
 * markers make the text start with "+/", which a client must
 * percent-encode in a query (a raw '+' would arrive as a space). */
static const unsigned char cursor_mark[] = {0xFB, 0xFF};

char *sbm_cursor_make(size_t offset) {
  unsigned char raw[32];
  memcpy(raw, cursor_mark, sizeof cursor_mark);
  int n = snprintf((char *)raw + sizeof cursor_mark,
                   sizeof raw - sizeof cursor_mark, "%zu", offset);
  return sbm_b64_encode(raw, sizeof cursor_mark + (size_t)n);
}

int sbm_cursor_read(const char *cursor, size_t *offset) {
  size_t len;
  char *raw = sbm_b64_decode(cursor, &len);
  int ok = raw && len > sizeof cursor_mark && len < 24 &&
           memcmp(raw, cursor_mark, sizeof cursor_mark) == 0;
  size_t v = 0;
  for (size_t i = sizeof cursor_mark; ok && i < len; i++) {
    ok = raw[i] >= '0' && raw[i] <= '9';
    v = v * 10 + (size_t)(raw[i] - '0');
  }
  free(raw);
  if (ok)
    *offset = v;
  return ok ? 0 : -1;
}

int sbm_count_arg(const sbm_vinput *in, const char *name, int def, int max,
                  int *out) {
  const char *s = sbm_query_arg(in, name);
  if (!s) {
    *out = def;
    return 0;
  }
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 1 || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

/* RFC 3986 pchar, less '%' (checked by the caller). */
static int pchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("-._~!$&'()*+,;=:@", c));
}

char *sbm_segment_decode(const char *s, size_t n) {
  char *out = malloc(n + 1);
  size_t k = 0;
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      int hi = i + 2 < n ? sbm_hex_value(s[i + 1]) : -1;
      int lo = hi >= 0 ? sbm_hex_value(s[i + 2]) : -1;
      if (lo < 0 || (hi | lo) == 0) /* no %00 either */
        goto bad;
      out[k++] = (char)(hi << 4 | lo);
      i += 2;
    } else if (pchar((unsigned char)s[i])) {
      out[k++] = s[i];
    } else {
      goto bad;
    }
  }
  out[k] = '\0';
  return out;
bad:
  free(out);
  return NULL;
}

/* The path as sent, without the query: still %-encoded. MHD's own path
 * is decoded, where an encoded '/' cannot be told from a separator. */
const char *sbm_raw_path(const sbm_vinput *in, size_t *len) {
  const char *p = in->target ? in->target : in->path;
  *len = strcspn(p, "?#");
  return p;
}

/* ---- the Public API ----------------------------------------------------- */

static void public_fail(sbm_verdict *v, unsigned status, const char *type,
                        const char *message) {
  cJSON *body = cJSON_CreateObject();
  cJSON *errors = cJSON_AddArrayToObject(body, "errors");
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddStringToObject(e, "message", message);
  cJSON_AddItemToArray(errors, e);
  sbm_api_answer(v, status, body);
  snprintf(v->error, sizeof v->error, "%s", message);
}

/* The throttle and the Bearer token; 0 when the request may go on. */
static int public_gate(const sbm_vinput *in, sbm_verdict *v) {
  int ms = sbm_api_throttle_take(in->mock);
  if (ms >= 0) {
    cJSON *body = cJSON_CreateObject();
    cJSON *e = cJSON_CreateObject();
    cJSON *data = cJSON_AddObjectToObject(e, "data");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "errors"), e);
    cJSON_AddStringToObject(e, "type", "RequestError");
    cJSON_AddStringToObject(e, "message", "Too many requests");
    cJSON_AddNumberToObject(data, "remainingPoints", 0);
    cJSON_AddNumberToObject(data, "msBeforeNext", ms);
    cJSON_AddNumberToObject(data, "consumedPoints", 100);
    sbm_api_answer(v, 429, body);
    v->outcome = SBM_OUT_FAULT;
    snprintf(v->error, sizeof v->error, "throttled: msBeforeNext %d", ms);
    return -1;
  }
  const char *auth = in->authorization;
  const char *want = in->mock->api->api_token;
  if (!auth || strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
    public_fail(v, 401, "unauthorized",
                "missing Bearer token: send Authorization: Bearer <token>");
    return -1;
  }
  if (want && strcmp(auth + 7, want) != 0) {
    public_fail(v, 401, "unauthorized", "invalid token");
    return -1;
  }
  return 0;
}

static cJSON *source_json(int i) {
  char id[32], slug[32], name[32];
  snprintf(id, sizeof id, "src_%03d", i);
  snprintf(slug, sizeof slug, "source-%d", i);
  snprintf(name, sizeof name, "Source %d", i);
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "id", id);
  cJSON_AddStringToObject(s, "slug", slug);
  cJSON_AddStringToObject(s, "name", name);
  cJSON_AddStringToObject(s, "workspaceId", SBM_WORKSPACE_ID);
  cJSON_AddBoolToObject(s, "enabled", 1);
  cJSON_AddArrayToObject(s, "writeKeys");
  cJSON_AddArrayToObject(s, "labels");
  cJSON_AddObjectToObject(s, "settings");
  cJSON *meta = cJSON_AddObjectToObject(s, "metadata");
  cJSON_AddStringToObject(meta, "id", "http-api");
  cJSON_AddStringToObject(meta, "slug", "http-api");
  cJSON_AddStringToObject(meta, "name", "HTTP API");
  return s;
}

static void list_sources(const sbm_vinput *in, sbm_verdict *v) {
  const sbm_api *a = in->mock->api;
  const char *cursor = sbm_query_arg(in, "pagination.cursor");
  size_t offset = 0;
  int count;
  if (sbm_count_arg(in, "pagination.count", SBM_COUNT_DEFAULT, SBM_COUNT_MAX,
                    &count) != 0) {
    public_fail(v, 422, "ValidationError",
                "pagination.count must be a number from 1 to 1000");
    return;
  }
  if (cursor &&
      (sbm_cursor_read(cursor, &offset) != 0 || offset >= (size_t)a->sources)) {
    public_fail(v, 400, "ValidationError", "pagination.cursor is invalid");
    return;
  }
  size_t end = offset + (size_t)count;
  if (end > (size_t)a->sources)
    end = (size_t)a->sources;
  cJSON *body = cJSON_CreateObject();
  cJSON *data = cJSON_AddObjectToObject(body, "data");
  cJSON *list = cJSON_AddArrayToObject(data, "sources");
  for (size_t i = offset; i < end; i++)
    cJSON_AddItemToArray(list, source_json((int)i + 1));
  cJSON *pg = cJSON_AddObjectToObject(data, "pagination");
  char *current = sbm_cursor_make(offset);
  char *next = end < (size_t)a->sources ? sbm_cursor_make(end) : NULL;
  cJSON_AddStringToObject(pg, "current", current ? current : "");
  if (next)
    cJSON_AddStringToObject(pg, "next", next);
  else
    cJSON_AddNullToObject(pg, "next");
  cJSON_AddNumberToObject(pg, "totalEntries", a->sources);
  free(current);
  free(next);
  sbm_api_answer(v, 200, body);
}

/* A 200 whose body is @text as is, JSON or not. */
static void raw_reply(sbm_verdict *v, const char *text) {
  v->reply = strdup(text);
  v->status = v->reply ? 200 : 500;
  v->outcome = v->reply ? SBM_OUT_ACCEPTED : SBM_OUT_REJECTED;
}

static void get_source(const sbm_vinput *in, sbm_verdict *v) {
  size_t len, skip = strlen("/sources/");
  const char *raw = sbm_raw_path(in, &len);
  char *id = memchr(raw + skip, '/', len - skip)
                 ? NULL
                 : sbm_segment_decode(raw + skip, len - skip);
  if (!id) {
    public_fail(v, 400, "ValidationError",
                "the source id must be one percent-encoded path segment");
    return;
  }
  int n = 0, used = 0;
  if (strcmp(id, SBM_SOURCE_TRUNCATED) == 0) {
    raw_reply(v, "{\"data\":{\"source\":{\"id\":\"src_trunc");
  } else if (strcmp(id, SBM_SOURCE_MALFORMED) == 0) {
    raw_reply(v, "{\"data\": {\"source\": nope}}");
  } else if (sscanf(id, "src_%d%n", &n, &used) == 1 && id[used] == '\0' &&
             n >= 1 && n <= in->mock->api->sources) {
    cJSON *body = cJSON_CreateObject();
    cJSON *data = cJSON_AddObjectToObject(body, "data");
    cJSON_AddItemToObject(data, "source", source_json(n));
    cJSON_AddNullToObject(data, "trackingPlanId");
    sbm_api_answer(v, 200, body);
  } else {
    public_fail(v, 404, "NotFoundError", "Source not found");
  }
  free(id);
}

void sbm_public_sources(const sbm_vinput *in, sbm_verdict *v) {
  if (public_gate(in, v) != 0)
    return;
  if (strcmp(in->path, "/sources") == 0)
    list_sources(in, v);
  else if (strncmp(in->path, "/sources/", 9) == 0)
    get_source(in, v);
  else
    public_fail(v, 404, "NotFoundError", "no such route");
}

void sbm_public_root(const sbm_vinput *in, sbm_verdict *v) {
  /* Routed for every GET path: only "/" itself is the workspace. */
  if (strcmp(in->path, "/") != 0) {
    sbm_verdict_fail(v, 404, SBM_OUT_REJECTED, "no such route: %.200s",
                     in->path);
    return;
  }
  if (public_gate(in, v) != 0)
    return;
  cJSON *body = cJSON_CreateObject();
  cJSON *ws = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body, "data"),
                                      "workspace");
  cJSON_AddStringToObject(ws, "id", SBM_WORKSPACE_ID);
  cJSON_AddStringToObject(ws, "slug", "mock-workspace");
  cJSON_AddStringToObject(ws, "name", "Mock Workspace");
  sbm_api_answer(v, 200, body);
}
