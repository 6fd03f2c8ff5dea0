/*
 * The Profile API as the mock serves it (docs/READ_API.md): GET
 * /v1/spaces/<space>/collections/<users|accounts>/profiles/<type:value>/
 * <traits|events|external_ids|metadata>, behind HTTP Basic with the token
 * as user name. Paths are read as sent and each segment is decoded
 * strictly: a byte that should have been percent-encoded (a space,
 * non-ASCII, a raw '+' in the identifier) gets a 400, so the tests see the
 * client's escaping. Unknown profiles get Segment's 404.
 */
#include "mock_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Default and largest page sizes: traits go to 200, the rest to 100. */
#define SBM_LIMIT_DEFAULT 10
#define SBM_TRAITS_LIMIT_MAX 200
#define SBM_LIMIT_MAX 100

typedef struct sbm_profile {
  const char *collection;
  const char *ids[4]; /* "type:value", NULL-ended; ids[0] names it */
  const char *traits; /* a JSON object */
} sbm_profile;

/* The space's profiles; the second one's ids need every kind of escape. */
static const sbm_profile profiles[] = {
    {"users",
     {"user_id:u-1", "email:jane@example.com", "anonymous_id:a-1"},
     "{\"name\":\"Jane Doe\",\"email\":\"jane@example.com\",\"plan\":\"pro\","
     "\"score\":85,\"city\":\"Dublin\",\"company\":\"Acme\",\"title\":\"CTO\","
     "\"phone\":\"+15555550123\",\"lead_source\":\"WhatsApp\","
     "\"campaign\":\"Spring Sale 2026\",\"newsletter\":true,"
     "\"last_seen\":\"2026-04-19T10:00:00Z\"}"},
    {"users",
     {"user_id:jane doe/\xc3\xbc+1", "email:jane+test@example.com",
      "phone_number:+15555550123"},
     "{\"name\":\"J\\u00fcrgen Test\",\"plan\":\"free\"}"},
    {"accounts", {"group_id:g-1"}, "{\"name\":\"Acme Inc\",\"employees\":120}"},
};

static const char *const event_names[] = {"Page Viewed", "Lead Qualified",
                                          "Message Sent"};

static void profile_fail(sbm_verdict *v, unsigned status, const char *code,
                         const char *message) {
  cJSON *body = cJSON_CreateObject();
  cJSON *e = cJSON_AddObjectToObject(body, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  sbm_api_answer(v, status, body);
  snprintf(v->error, sizeof v->error, "%s", message);
}

/* The throttle and the Basic credentials; 0 when the request may go on. */
static int profile_gate(const sbm_vinput *in, sbm_verdict *v) {
  if (sbm_api_throttle_take(in->mock) >= 0) {
    profile_fail(v, 429, "rate_limit_error", "Too many requests");
    v->outcome = SBM_OUT_FAULT;
    return -1;
  }
  const char *auth = in->authorization;
  const char *want = in->mock->api->profile_token;
  size_t len = 0;
  char *cred = auth && strncasecmp(auth, "Basic ", 6) == 0
                   ? sbm_b64_decode(auth + 6, &len)
                   : NULL;
  char *colon = cred ? memchr(cred, ':', len) : NULL;
  int ok = colon && colon > cred && colon + 1 == cred + len &&
           (!want || ((size_t)(colon - cred) == strlen(want) &&
                      memcmp(cred, want, strlen(want)) == 0));
  free(cred);
  if (!ok)
    profile_fail(v, 401, "authentication_error",
                 "Authorization must be Basic base64(\"<access token>:\") "
                 "with the space's access token");
  return ok ? 0 : -1;
}

static const sbm_profile *find(const char *collection, const char *id) {
  for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++) {
    if (strcmp(profiles[p].collection, collection) != 0)
      continue;
    for (size_t i = 0; profiles[p].ids[i]; i++)
      if (strcmp(profiles[p].ids[i], id) == 0)
        return &profiles[p];
  }
  return NULL;
}

/* @name is in the comma list @list (NULL: every name is). */
static int included(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
    if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
      return 1;
  return list == NULL;
}

/* The items of one kind of a profile, in order, before paging. */
static cJSON *all_items(const sbm_api *a, const sbm_profile *pr,
                        const char *route, const char *include) {
  cJSON *items = cJSON_CreateArray();
  if (strcmp(route, "traits") == 0) {
    cJSON *traits = cJSON_Parse(pr->traits);
    for (cJSON *t = traits ? traits->child : NULL; t; t = t->next)
      if (included(include, t->string))
        cJSON_AddItemToArray(items, cJSON_Duplicate(t, 1));
    cJSON_Delete(traits);
  } else if (strcmp(route, "external_ids") == 0) {
    for (size_t i = 0; pr->ids[i]; i++) {
      const char *colon = strchr(pr->ids[i], ':');
      char type[32];
      snprintf(type, sizeof type, "%.*s", (int)(colon - pr->ids[i]),
               pr->ids[i]);
      if (!included(include, type))
        continue;
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "id", colon + 1);
      cJSON_AddStringToObject(x, "type", type);
      cJSON_AddStringToObject(x, "source_id", "src_001");
      cJSON_AddStringToObject(x, "collection", pr->collection);
      cJSON_AddStringToObject(x, "created_at", "2026-01-01T00:00:00Z");
      cJSON_AddStringToObject(x, "encoding", "none");
      cJSON_AddItemToArray(items, x);
    }
  } else { /* events, newest first, a minute apart */
    for (int i = 0; i < a->events; i++) {
      const char *name = event_names[i % 3];
      if (!included(include, name))
        continue;
      char ts[32], id[48];
      int minute = 24 * 60 - 1 - i % (24 * 60); /* of the day, from 23:59 */
      snprintf(ts, sizeof ts, "2026-04-%02dT%02d:%02d:00Z", 19 - i / (24 * 60),
               minute / 60, minute % 60);
      snprintf(id, sizeof id, "msg-%s-%d", pr->ids[0], i);
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "event", name);
      cJSON_AddStringToObject(e, "type", "track");
      cJSON_AddStringToObject(e, "message_id", id);
      cJSON_AddStringToObject(e, "source_id", "src_001");
      cJSON_AddStringToObject(e, "timestamp", ts);
      cJSON_AddNumberToObject(cJSON_AddObjectToObject(e, "properties"), "n", i);
      cJSON_AddItemToArray(items, e);
    }
  }
  return items;
}

static void metadata(sbm_verdict *v, const sbm_profile *pr) {
  char last[48];
  snprintf(last, sizeof last, "msg-%s-0", pr->ids[0]);
  cJSON *body = cJSON_CreateObject();
  cJSON *m = cJSON_AddObjectToObject(body, "metadata");
  cJSON_AddStringToObject(m, "created_at", "2026-01-01T00:00:00Z");
  cJSON_AddStringToObject(m, "updated_at", "2026-04-19T23:59:00Z");
  cJSON_AddNullToObject(m, "expires_at");
  cJSON_AddStringToObject(m, "first_message_at", "2026-01-01T00:00:00Z");
  cJSON_AddStringToObject(m, "last_message_at", "2026-04-19T23:59:00Z");
  cJSON_AddStringToObject(m, "last_source_id", "src_001");
  cJSON_AddStringToObject(m, "last_message_id", last);
  sbm_api_answer(v, 200, body);
}

/* One page of @route: traits as an object, the rest as a data array, and
 * Segment's cursor object. */
static void page(const sbm_vinput *in, sbm_verdict *v, const sbm_profile *pr,
                 const char *route) {
  int traits = strcmp(route, "traits") == 0, limit;
  const char *next = sbm_query_arg(in, "next");
  size_t offset = 0;
  if (sbm_count_arg(in, "limit", SBM_LIMIT_DEFAULT,
                    traits ? SBM_TRAITS_LIMIT_MAX : SBM_LIMIT_MAX,
                    &limit) != 0) {
    profile_fail(v, 400, "validation_error",
                 traits ? "limit must be a number from 1 to 200"
                        : "limit must be a number from 1 to 100");
    return;
  }
  if (next && sbm_cursor_read(next, &offset) != 0) {
    profile_fail(v, 400, "invalid_request_error", "next is not a cursor");
    return;
  }
  cJSON *items =
      all_items(in->mock->api, pr, route, sbm_query_arg(in, "include"));
  size_t total = (size_t)cJSON_GetArraySize(items);
  size_t end = offset + (size_t)limit < total ? offset + (size_t)limit : total;
  cJSON *body = cJSON_CreateObject();
  cJSON *out = traits ? cJSON_AddObjectToObject(body, "traits")
                      : cJSON_AddArrayToObject(body, "data");
  for (size_t i = offset; i < end; i++) {
    cJSON *item = cJSON_Duplicate(cJSON_GetArrayItem(items, (int)i), 1);
    if (traits)
      cJSON_AddItemToObject(out, item->string, item);
    else
      cJSON_AddItemToArray(out, item);
  }
  cJSON_Delete(items);
  cJSON *cur = cJSON_AddObjectToObject(body, "cursor");
  char *after = end < total ? sbm_cursor_make(end) : NULL;
  size_t len;
  const char *raw = sbm_raw_path(in, &len);
  char url[512];
  snprintf(url, sizeof url, "%.*s", (int)(len < 500 ? len : 500), raw);
  cJSON_AddStringToObject(cur, "url", url);
  cJSON_AddBoolToObject(cur, "has_more", after != NULL);
  cJSON_AddStringToObject(cur, "next", after ? after : "");
  cJSON_AddNumberToObject(cur, "limit", limit);
  free(after);
  sbm_api_answer(v, 200, body);
}

/* Split the raw path into its segments; returns how many (at most @max). */
static size_t split(const char *p, size_t len, const char **seg,
                    size_t *seg_len, size_t max) {
  size_t n = 0;
  for (size_t i = 0, start = 0; i <= len; i++)
    if (i == len || p[i] == '/') {
      if (n < max) {
        seg[n] = p + start;
        seg_len[n] = i - start;
      }
      n++;
      start = i + 1;
    }
  return n;
}

void sbm_profile_route(const sbm_vinput *in, sbm_verdict *v) {
  if (profile_gate(in, v) != 0)
    return;
  /* "", v1, spaces, <space>, collections, <c>, profiles, <id>, <route> */
  const char *seg[9];
  size_t seg_len[9], len;
  const char *raw = sbm_raw_path(in, &len);
  if (split(raw, len, seg, seg_len, 9) != 9 ||
      seg_len[4] != strlen("collections") ||
      strncmp(seg[4], "collections", seg_len[4]) != 0 ||
      seg_len[6] != strlen("profiles") ||
      strncmp(seg[6], "profiles", seg_len[6]) != 0) {
    profile_fail(v, 404, "not_found", "no such route");
    return;
  }
  if (memchr(seg[7], '+', seg_len[7])) {
    profile_fail(v, 400, "invalid_request_error",
                 "the identifier has a raw '+': percent-encode it as %2B");
    return;
  }
  char *space = sbm_segment_decode(seg[3], seg_len[3]);
  char *coll = sbm_segment_decode(seg[5], seg_len[5]);
  char *id = sbm_segment_decode(seg[7], seg_len[7]);
  char *route = sbm_segment_decode(seg[8], seg_len[8]);
  const sbm_profile *pr = NULL;
  if (!space || !coll || !id || !route)
    profile_fail(v, 400, "invalid_request_error",
                 "a path segment has a byte that must be percent-encoded");
  else if (strcmp(space, in->mock->api->space_id) != 0)
    profile_fail(v, 404, "not_found", "Space was not found.");
  else if (strcmp(route, "traits") != 0 && strcmp(route, "events") != 0 &&
           strcmp(route, "external_ids") != 0 && strcmp(route, "metadata") != 0)
    profile_fail(v, 404, "not_found", "no such route");
  else if (!(pr = find(coll, id)))
    profile_fail(v, 404, "not_found", "Profile was not found.");
  else if (strcmp(route, "metadata") == 0)
    metadata(v, pr);
  else
    page(in, v, pr, route);
  free(space);
  free(coll);
  free(id);
  free(route);
}
