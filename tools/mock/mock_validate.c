/*
 * Routing, authentication and the Segment spec checks for one request.
 * Stricter than the real Tracking API on purpose: an invalid event fails
 * the whole request with a 400 naming the event and the field, where
 * Segment would answer 200 and drop the event silently.
 */
#include "mock_internal.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum route {
  ROUTE_NONE,
  ROUTE_BATCH,
  ROUTE_IDENTIFY,
  ROUTE_TRACK,
  ROUTE_PAGE,
  ROUTE_SCREEN,
  ROUTE_GROUP,
  ROUTE_ALIAS
} route;

/* Event types, indexed by route (ROUTE_IDENTIFY onwards). */
static const char *const type_names[] = {NULL,   NULL,     "identify", "track",
                                         "page", "screen", "group",    "alias"};

void sbm_verdict_fail(sbm_verdict *v, unsigned status, sbm_outcome outcome,
                      const char *fmt, ...) {
  v->status = status;
  v->outcome = outcome;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->error, sizeof v->error, fmt, ap);
  va_end(ap);
}

void sbm_verdict_free(sbm_verdict *v) {
  for (size_t i = 0; i < v->n_events; i++) {
    free(v->events[i].json);
    free(v->events[i].message_id);
  }
  free(v->events);
  v->events = NULL;
  v->n_events = 0;
  free(v->reply);
  v->reply = NULL;
}

static route route_of(const char *path) {
  static const struct {
    const char *name;
    route r;
  } routes[] = {{"batch", ROUTE_BATCH},       {"import", ROUTE_BATCH},
                {"identify", ROUTE_IDENTIFY}, {"track", ROUTE_TRACK},
                {"page", ROUTE_PAGE},         {"screen", ROUTE_SCREEN},
                {"group", ROUTE_GROUP},       {"alias", ROUTE_ALIAS}};
  if (strncmp(path, "/v1/", 4) != 0)
    return ROUTE_NONE;
  const char *name = path + 4;
  size_t len = strlen(name);
  if (len > 0 && name[len - 1] == '/') /* analytics-java posts /v1/import/ */
    len--;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (strlen(routes[i].name) == len &&
        strncmp(routes[i].name, name, len) == 0)
      return routes[i].r;
  return ROUTE_NONE;
}

int sbm_is_tracking_path(const char *path) {
  return route_of(path) != ROUTE_NONE;
}

/* ---- auth --------------------------------------------------------------- */

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Decode standard base64 (padding optional) into a NUL-terminated buffer;
 * NULL when malformed or out of memory. */
static char *b64_decode(const char *s, size_t *out_len) {
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '=')
    n--;
  if (n % 4 == 1)
    return NULL;
  char *out = malloc(n / 4 * 3 + 3);
  if (!out)
    return NULL;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(s[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (char)((acc >> bits) & 0xffu);
    }
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

/* Constant-time in the configured key's content: the comparison reads all
 * of @want whatever the first difference. */
static int key_matches(const char *got, size_t got_len, const char *want) {
  size_t want_len = strlen(want);
  unsigned diff = got_len != want_len;
  for (size_t i = 0; i < want_len; i++) {
    unsigned char g = i < got_len ? (unsigned char)got[i] : 0;
    diff |= (unsigned)(g ^ (unsigned char)want[i]);
  }
  return diff == 0;
}

/* A presented key is fine when non-empty and, if a key is configured,
 * equal to it. Returns the reason it is not, or NULL. */
static const char *key_problem(const char *key, size_t len,
                               const char *write_key) {
  if (len == 0)
    return "the writeKey is empty";
  if (write_key && !key_matches(key, len, write_key))
    return "invalid writeKey";
  return NULL;
}

/* 0 when authenticated, else fills @v with a 401. */
static int check_auth(const sbm_vinput *in, const cJSON *body, sbm_verdict *v) {
  const cJSON *body_key = cJSON_GetObjectItemCaseSensitive(body, "writeKey");
  if (body_key && !cJSON_IsString(body_key)) {
    sbm_verdict_fail(v, 401, SBM_OUT_REJECTED, "writeKey must be a string");
    return -1;
  }
  const char *problem = NULL;
  int presented = 0;
  const char *auth = in->authorization;
  if (auth) {
    if (strncasecmp(auth, "Basic ", 6) == 0) {
      size_t len;
      char *cred = b64_decode(auth + 6, &len);
      if (!cred) {
        problem = "malformed Basic credentials";
      } else {
        /* The user name is the key; the password is meant to be empty. */
        char *colon = memchr(cred, ':', len);
        problem = key_problem(cred, colon ? (size_t)(colon - cred) : len,
                              in->write_key);
        presented = 1;
        free(cred);
      }
    } else if (strncasecmp(auth, "Bearer ", 7) == 0) {
      if (auth[7] == '\0')
        problem = "the Bearer token is empty";
      else if (!body_key)
        problem = "a Bearer token needs the writeKey in the body too";
      else
        problem = sbm_oauth_bearer_problem(in->mock, auth + 7);
    } else {
      problem = "unsupported Authorization scheme (use Basic or Bearer)";
    }
  }
  if (!problem && body_key) {
    problem = key_problem(body_key->valuestring, strlen(body_key->valuestring),
                          in->write_key);
    presented = 1;
  }
  if (!problem && !presented)
    problem = "writeKey required: send Authorization: Basic "
              "base64(\"<writeKey>:\") or a writeKey in the body";
  if (!problem)
    return 0;
  sbm_verdict_fail(v, 401, SBM_OUT_REJECTED, "%s", problem);
  return -1;
}

/* ---- field checks ------------------------------------------------------ */

static int is_nonempty_string(const cJSON *item) {
  return cJSON_IsString(item) && item->valuestring[0] != '\0';
}

static int take_digits(const char **p, int count, int *out) {
  int value = 0;
  for (int i = 0; i < count; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9')
      return 0;
    value = value * 10 + (c - '0');
  }
  *p += count;
  *out = value;
  return 1;
}

/* ISO-8601 in the profile JSON clients use: YYYY-MM-DD, optionally
 * Thh:mm[:ss[.fraction]] and a zone (Z, +hh, +hh:mm or +hhmm). */
static int is_iso8601(const char *s) {
  int year, month, day, hour, minute, second;
  if (!take_digits(&s, 4, &year) || *s++ != '-' ||
      !take_digits(&s, 2, &month) || *s++ != '-' || !take_digits(&s, 2, &day))
    return 0;
  if (month < 1 || month > 12 || day < 1 || day > 31)
    return 0;
  if (*s == '\0')
    return 1;
  if (*s != 'T' && *s != 't')
    return 0;
  s++;
  if (!take_digits(&s, 2, &hour) || *s++ != ':' ||
      !take_digits(&s, 2, &minute) || hour > 23 || minute > 59)
    return 0;
  if (*s == ':') {
    s++;
    if (!take_digits(&s, 2, &second) || second > 60) /* 60: leap second */
      return 0;
    if (*s == '.' || *s == ',') {
      s++;
      if (*s < '0' || *s > '9')
        return 0;
      while (*s >= '0' && *s <= '9')
        s++;
    }
  }
  if (*s == 'Z' || *s == 'z')
    return s[1] == '\0';
  if (*s == '+' || *s == '-') {
    int zh, zm = 0;
    s++;
    if (!take_digits(&s, 2, &zh) || zh > 23)
      return 0;
    int colon = *s == ':';
    s += colon;
    if ((colon || *s != '\0') && (!take_digits(&s, 2, &zm) || zm > 59))
      return 0;
  }
  return *s == '\0';
}

/* Characters, not bytes: UTF-8 continuation bytes are not counted. */
static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0u) != 0x80u)
      n++;
  return n;
}

typedef struct ctx {
  sbm_verdict *v;
  char where[32];    /* "batch[3]: " or "" */
  int refuse_poison; /* sbm_options' */
} ctx;

static int fail_field(ctx *c, const char *type, const char *field,
                      const char *what) {
  sbm_verdict_fail(c->v, 400, SBM_OUT_REJECTED, "%s%s: '%s' %s", c->where, type,
                   field, what);
  return -1;
}

static int check_optional(ctx *c, const cJSON *ev, const char *type,
                          const char *field, int want_object) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(ev, field);
  if (!item)
    return 0;
  if (want_object && !cJSON_IsObject(item))
    return fail_field(c, type, field, "must be an object");
  if (!want_object && !is_nonempty_string(item))
    return fail_field(c, type, field, "must be a non-empty string");
  return 0;
}

static int check_required(ctx *c, const cJSON *ev, const char *type,
                          const char *field) {
  if (!cJSON_GetObjectItemCaseSensitive(ev, field))
    return fail_field(c, type, field, "is required (a non-empty string)");
  return check_optional(c, ev, type, field, 0);
}

static int check_time(ctx *c, const cJSON *ev, const char *type,
                      const char *field) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, field);
  if (t && !(cJSON_IsString(t) && is_iso8601(t->valuestring)))
    return fail_field(c, type, field, "must be an ISO-8601 date-time string");
  return 0;
}

/* Where @ev is marked "poison": true (its properties or traits), or NULL. */
static const char *poison_field(const cJSON *ev) {
  static const char *const marked[][2] = {{"properties", "properties.poison"},
                                          {"traits", "traits.poison"}};
  for (size_t i = 0; i < sizeof marked / sizeof marked[0]; i++) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(ev, marked[i][0]);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "poison")))
      return marked[i][1];
  }
  return NULL;
}

/* Identity, common fields and the fields @type requires. */
static int check_event(ctx *c, const cJSON *ev, const char *type) {
  if (strcmp(type, "alias") == 0) {
    if (check_required(c, ev, type, "userId") ||
        check_required(c, ev, type, "previousId"))
      return -1;
  } else {
    if (!cJSON_GetObjectItemCaseSensitive(ev, "userId") &&
        !cJSON_GetObjectItemCaseSensitive(ev, "anonymousId"))
      return fail_field(c, type, "userId",
                        "or 'anonymousId' is required (a non-empty string)");
    if (check_optional(c, ev, type, "userId", 0) ||
        check_optional(c, ev, type, "anonymousId", 0))
      return -1;
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "messageId");
  if (id && !is_nonempty_string(id))
    return fail_field(c, type, "messageId", "must be a non-empty string");
  if (id && utf8_chars(id->valuestring) > SBM_MAX_MESSAGE_ID_CHARS)
    return fail_field(c, type, "messageId", "is longer than 100 characters");
  if (check_time(c, ev, type, "timestamp") ||
      check_time(c, ev, type, "originalTimestamp") ||
      check_time(c, ev, type, "sentAt") ||
      check_optional(c, ev, type, "context", 1) ||
      check_optional(c, ev, type, "integrations", 1))
    return -1;
  const char *poison = c->refuse_poison ? poison_field(ev) : NULL;
  if (poison)
    return fail_field(c, type, poison, "is refused (a poisoned event)");
  if (strcmp(type, "track") == 0)
    return check_required(c, ev, type, "event") ||
                   check_optional(c, ev, type, "properties", 1)
               ? -1
               : 0;
  if (strcmp(type, "identify") == 0)
    return check_optional(c, ev, type, "traits", 1);
  if (strcmp(type, "group") == 0)
    return check_required(c, ev, type, "groupId") ||
                   check_optional(c, ev, type, "traits", 1)
               ? -1
               : 0;
  if (strcmp(type, "page") == 0 || strcmp(type, "screen") == 0)
    return check_optional(c, ev, type, "name", 0) ||
                   check_optional(c, ev, type, "category", 0) ||
                   check_optional(c, ev, type, "properties", 1)
               ? -1
               : 0;
  return 0;
}

static const char *batch_type(const cJSON *ev) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
  if (!cJSON_IsString(t))
    return NULL;
  for (size_t r = ROUTE_IDENTIFY; r <= ROUTE_ALIAS; r++)
    if (strcmp(t->valuestring, type_names[r]) == 0)
      return type_names[r];
  return NULL;
}

/* The recorded copy of one event: its bytes as sent, minus whitespace. */
static int take_event(ctx *c, sbm_event *e, const char *text, sbm_span span,
                      const cJSON *ev) {
  size_t len = span.end - span.start;
  if (len > SBM_MAX_EVENT_BYTES) {
    sbm_verdict_fail(c->v, 400, SBM_OUT_REJECTED,
                     "%sExceed payload limit: the event is %zu bytes, the "
                     "limit is %u",
                     c->where, len, SBM_MAX_EVENT_BYTES);
    return -1;
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "messageId");
  /* On failure the caller's sbm_verdict_free() releases what was made. */
  e->json = malloc(len + 1);
  e->message_id = id ? strdup(id->valuestring) : NULL;
  if (!e->json || (id && !e->message_id)) {
    sbm_verdict_fail(c->v, 500, SBM_OUT_REJECTED, "out of memory");
    return -1;
  }
  memcpy(e->json, text + span.start, len);
  e->json[len] = '\0';
  e->len = len;
  return 0;
}

static void check_batch(const cJSON *body, const char *text, size_t len,
                        int refuse_poison, sbm_verdict *v) {
  ctx c = {v, "", refuse_poison};
  const cJSON *batch = cJSON_GetObjectItemCaseSensitive(body, "batch");
  sbm_span *spans = NULL;
  size_t n = 0;
  if (!cJSON_IsArray(batch) ||
      sbm_json_array_spans(text, len, "batch", &spans, &n) != 0 ||
      (size_t)cJSON_GetArraySize(batch) != n) {
    sbm_verdict_fail(v, 400, SBM_OUT_REJECTED, "'batch' must be an array");
    goto out;
  }
  if (check_time(&c, body, "batch", "sentAt") ||
      check_optional(&c, body, "batch", "context", 1) ||
      check_optional(&c, body, "batch", "integrations", 1))
    goto out;
  if (n > SBM_MAX_BATCH_EVENTS) {
    /* Segment answers 200 and drops such a batch; so does the mock. */
    v->status = 200;
    v->outcome = SBM_OUT_DROPPED;
    snprintf(v->error, sizeof v->error,
             "%zu events in one batch, over the limit of %u: all dropped", n,
             SBM_MAX_BATCH_EVENTS);
    goto out;
  }
  v->events = calloc(n ? n : 1, sizeof *v->events);
  if (!v->events) {
    sbm_verdict_fail(v, 500, SBM_OUT_REJECTED, "out of memory");
    goto out;
  }
  const cJSON *ev = batch->child;
  for (size_t i = 0; i < n; i++, ev = ev->next) {
    v->n_events = i + 1;
    snprintf(c.where, sizeof c.where, "batch[%zu]: ", i);
    if (!cJSON_IsObject(ev)) {
      sbm_verdict_fail(v, 400, SBM_OUT_REJECTED, "%smust be an object",
                       c.where);
      goto out;
    }
    const char *type = batch_type(ev);
    if (!type) {
      sbm_verdict_fail(v, 400, SBM_OUT_REJECTED,
                       "%s'type' must be one of identify, track, page, "
                       "screen, group, alias",
                       c.where);
      goto out;
    }
    if (check_event(&c, ev, type) ||
        take_event(&c, &v->events[i], text, spans[i], ev))
      goto out;
  }
  v->status = 200;
  v->outcome = SBM_OUT_ACCEPTED;
out:
  free(spans);
}

static void check_single(route r, const cJSON *body, const char *text,
                         size_t len, int refuse_poison, sbm_verdict *v) {
  ctx c = {v, "", refuse_poison};
  const char *type = type_names[r];
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "type");
  if (t && !(cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)) {
    sbm_verdict_fail(v, 400, SBM_OUT_REJECTED,
                     "'type' does not match the route /v1/%s", type);
    return;
  }
  v->events = calloc(1, sizeof *v->events);
  if (!v->events) {
    sbm_verdict_fail(v, 500, SBM_OUT_REJECTED, "out of memory");
    return;
  }
  v->n_events = 1;
  if (check_event(&c, body, type) ||
      take_event(&c, &v->events[0], text, (sbm_span){0, len}, body))
    return;
  v->status = 200;
  v->outcome = SBM_OUT_ACCEPTED;
}

static int is_json_type(const char *content_type) {
  if (!content_type)
    return 0;
  size_t n = strlen("application/json");
  return strncasecmp(content_type, "application/json", n) == 0 &&
         (content_type[n] == '\0' || content_type[n] == ';' ||
          content_type[n] == ' ');
}

/* Only whitespace may follow the JSON value. */
static int only_space(const char *p, const char *end) {
  for (; p < end; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      return 0;
  return 1;
}

void sbm_validate(const sbm_vinput *in, sbm_verdict *v) {
  route r = route_of(in->path);
  if (r == ROUTE_NONE && sbm_route_other(in, v))
    return;
  if (r == ROUTE_NONE) {
    sbm_verdict_fail(v, 404, SBM_OUT_REJECTED, "no such route: %.200s",
                     in->path);
    return;
  }
  if (strcmp(in->method, "POST") != 0) {
    sbm_verdict_fail(v, 405, SBM_OUT_REJECTED, "%s: only POST is served",
                     in->method);
    return;
  }
  if (!is_json_type(in->content_type)) {
    sbm_verdict_fail(v, 415, SBM_OUT_REJECTED,
                     "Content-Type must be application/json");
    return;
  }
  if (in->max_body > 0 && in->body_len > in->max_body) {
    sbm_verdict_fail(v, 413, SBM_OUT_REJECTED,
                     "Payload Too Large: the body is %zu bytes, the limit "
                     "is %zu",
                     in->body_len, in->max_body);
    return;
  }
  if (in->body_len > SBM_MAX_BODY_BYTES) {
    sbm_verdict_fail(v, 400, SBM_OUT_REJECTED,
                     "Exceed payload limit: the body is %zu bytes, the limit "
                     "is %u",
                     in->body_len, SBM_MAX_BODY_BYTES);
    return;
  }
  const char *end = NULL;
  cJSON *body = cJSON_ParseWithLengthOpts(in->body, in->body_len, &end, 0);
  if (!body || !only_space(end, in->body + in->body_len)) {
    sbm_verdict_fail(v, 400, SBM_OUT_REJECTED, "invalid JSON at byte %zu",
                     end ? (size_t)(end - in->body) : 0);
    cJSON_Delete(body);
    return;
  }
  if (!cJSON_IsObject(body)) {
    sbm_verdict_fail(v, 400, SBM_OUT_REJECTED,
                     "the body must be a JSON object");
    cJSON_Delete(body);
    return;
  }
  size_t len;
  char *text = NULL;
  if (check_auth(in, body, v) == 0) {
    text = sbm_json_minify(in->body, in->body_len, &len);
    if (!text)
      sbm_verdict_fail(v, 500, SBM_OUT_REJECTED, "out of memory");
    else if (r == ROUTE_BATCH)
      check_batch(body, text, len, in->refuse_poison, v);
    else
      check_single(r, body, text, len, in->refuse_poison, v);
  }
  if (v->status != 200)
    sbm_verdict_free(v);
  free(text);
  cJSON_Delete(body);
}
