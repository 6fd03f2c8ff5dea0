/*
 * The mock Tracking API server, driven by real libcurl over loopback:
 * routes, auth, the spec checks and limits, recording, faults and TLS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "mock.h"

#define KEY "abc123"
/* base64("abc123:"), the example of the Segment docs. */
#define BASIC "Authorization: Basic YWJjMTIzOg=="
#define JSON_CT "Content-Type: application/json"

/* ---- HTTP client --------------------------------------------------------- */

typedef struct request {
  const char *url;    /* base URL of the mock */
  const char *path;   /* e.g. "/v1/batch" */
  const char *method; /* NULL: POST */
  const char *body;
  size_t len;             /* 0: strlen(body) */
  const char *headers[6]; /* extra header lines, NULL-terminated */
  const char *ca_pem;     /* TLS: trust this PEM instead of the system */
  int system_ca;          /* TLS: trust the system store */
  CURL *handle;           /* reuse this handle (keep-alive) */
} request;

typedef struct reply {
  CURLcode rc;
  long status;
  char *body;
  size_t len;
  char retry_after[32];
  char allow[32];
} reply;

static size_t on_body(char *data, size_t size, size_t n, void *cls) {
  reply *r = cls;
  size_t len = size * n;
  char *grown = realloc(r->body, r->len + len + 1);
  if (!grown)
    return 0;
  memcpy(grown + r->len, data, len);
  r->len += len;
  grown[r->len] = '\0';
  r->body = grown;
  return len;
}

/* Copy the value of header @name from the line @line, if it is that one. */
static void header_value(const char *line, size_t len, const char *name,
                         char *out, size_t out_size) {
  size_t n = strlen(name);
  if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
    return;
  const char *v = line + n + 1;
  const char *end = line + len;
  while (v < end && *v == ' ')
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n'))
    end--;
  snprintf(out, out_size, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *line, size_t size, size_t n, void *cls) {
  reply *r = cls;
  header_value(line, size * n, "Retry-After", r->retry_after,
               sizeof r->retry_after);
  header_value(line, size * n, "Allow", r->allow, sizeof r->allow);
  return size * n;
}

static reply send_request(const request *q) {
  reply r = {0};
  CURL *h = q->handle ? q->handle : curl_easy_init();
  assert_non_null(h);
  char url[256];
  snprintf(url, sizeof url, "%s%s", q->url, q->path);
  struct curl_slist *list = NULL;
  int has_ct = 0;
  for (size_t i = 0; q->headers[i]; i++) {
    list = curl_slist_append(list, q->headers[i]);
    has_ct |= strncasecmp(q->headers[i], "Content-Type:", 13) == 0;
  }
  if (!has_ct)
    list = curl_slist_append(list, JSON_CT);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  if (q->method && strcmp(q->method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(q->len    ? q->len
                                  : q->body ? strlen(q->body)
                                            : 0));
  }
  if (q->ca_pem) {
    struct curl_blob blob = {(void *)(uintptr_t)q->ca_pem, strlen(q->ca_pem),
                             CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  }
  r.rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  if (!q->handle)
    curl_easy_cleanup(h);
  else
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  return r;
}

static void reply_free(reply *r) { free(r->body); }

/* POST @body to @path with Basic auth; returns the status (0 if none). */
static long post(sbm_mock *m, const char *path, const char *body) {
  request q = {
      .url = sbm_url(m), .path = path, .body = body, .headers = {BASIC}};
  reply r = send_request(&q);
  reply_free(&r);
  return r.status;
}

/* The reply is a {"success":false,"error":...} whose error mentions each of
 * the NULL-terminated strings. */
static void assert_error_mentions(const reply *r, ...) {
  assert_non_null(r->body);
  cJSON *o = cJSON_Parse(r->body);
  assert_non_null(o);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "success")));
  const cJSON *err = cJSON_GetObjectItem(o, "error");
  assert_true(cJSON_IsString(err));
  va_list ap;
  va_start(ap, r);
  for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
    if (!strstr(err->valuestring, s))
      fail_msg("error \"%s\" does not mention \"%s\"", err->valuestring, s);
  va_end(ap);
  cJSON_Delete(o);
}

/* POST @body with Basic auth, expect 400 naming each of the strings. */
static void expect_400(sbm_mock *m, const char *path, const char *body, ...) {
  request q = {
      .url = sbm_url(m), .path = path, .body = body, .headers = {BASIC}};
  reply r = send_request(&q);
  assert_int_equal(r.rc, CURLE_OK);
  assert_int_equal(r.status, 400);
  va_list ap;
  va_start(ap, body);
  const char *a = va_arg(ap, const char *);
  const char *b = a ? va_arg(ap, const char *) : NULL;
  va_end(ap);
  assert_error_mentions(&r, a, b, (const char *)NULL);
  reply_free(&r);
}

static sbm_mock *start(sbm_options o) {
  char err[256] = "";
  o.quiet = 1;
  sbm_mock *m = sbm_start(&o, err, sizeof err);
  if (!m)
    fail_msg("sbm_start: %s", err);
  assert_int_not_equal(sbm_port(m), 0);
  return m;
}

static void assert_message(sbm_mock *m, size_t i, const char *want) {
  char *got = sbm_message(m, i);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A compact track event of exactly @size bytes, padded in a property. */
static char *event_of_size(size_t size) {
  static const char head[] =
      "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
      "\"properties\":{\"pad\":\"";
  static const char tail[] = "\"}}";
  size_t fixed = strlen(head) + strlen(tail);
  assert_true(size >= fixed);
  char *e = malloc(size + 1);
  assert_non_null(e);
  memcpy(e, head, strlen(head));
  memset(e + strlen(head), 'x', size - fixed);
  memcpy(e + size - strlen(tail), tail, strlen(tail) + 1);
  return e;
}

/* A {"batch":[...]} body of exactly @total bytes. */
static char *batch_of_size(size_t total) {
  const size_t each = 30000, frame = strlen("{\"batch\":[]}");
  size_t k = (total - frame + each) / (each + 1);
  size_t last = total - frame - (k - 1) * (each + 1);
  char *body = malloc(total + 1);
  assert_non_null(body);
  size_t o = 0;
  o += (size_t)sprintf(body, "{\"batch\":[");
  for (size_t i = 0; i < k; i++) {
    char *e = event_of_size(i + 1 < k ? each : last);
    o += (size_t)sprintf(body + o, "%s%s", i ? "," : "", e);
    free(e);
  }
  o += (size_t)sprintf(body + o, "]}");
  assert_int_equal(o, total);
  return body;
}

/* ---- routes, recording and the six types ------------------------------- */

/* What the test sends (whitespace outside and inside strings) and what the
 * mock must record: the same bytes without insignificant whitespace, with
 * numbers and escapes untouched. */
static const char *const sent[] = {
    "{ \"type\": \"identify\", \"userId\": \"u 1\",\n"
    "  \"traits\": { \"plan\": \"pro\" }, \"messageId\": \"m-1\" }",
    "{\"type\":\"track\",\"userId\":\"u 1\",\"event\":\"Signed Up\","
    "\"properties\":{\"n\": 1.5e3, \"s\": \"\\u00e9 \\\" x\"},"
    "\"messageId\":\"m-2\",\"timestamp\":\"2024-05-01T12:00:00.000Z\"}",
    "{\"type\":\"page\",\"anonymousId\":\"a1\",\"name\":\"Home\","
    "\"category\":\"Docs\",\"messageId\":\"m-3\"}",
    "{\"type\":\"screen\",\"userId\":\"u 1\",\"name\":\"Main\",\t"
    "\"messageId\":\"m-4\"}",
    "{\"type\":\"group\",\"userId\":\"u 1\",\"groupId\":\"g1\","
    "\"traits\":{\"name\":\"Acme\"},\"messageId\":\"m-5\"}",
    "{\"type\":\"alias\",\"userId\":\"u 1\",\"previousId\":\"a1\","
    "\"messageId\":\"m-6\",\"timestamp\":\"2024-05-01T12:00:00+02:00\"}",
};
static const char *const recorded[] = {
    "{\"type\":\"identify\",\"userId\":\"u 1\",\"traits\":{\"plan\":\"pro\"},"
    "\"messageId\":\"m-1\"}",
    "{\"type\":\"track\",\"userId\":\"u 1\",\"event\":\"Signed Up\","
    "\"properties\":{\"n\":1.5e3,\"s\":\"\\u00e9 \\\" x\"},"
    "\"messageId\":\"m-2\",\"timestamp\":\"2024-05-01T12:00:00.000Z\"}",
    "{\"type\":\"page\",\"anonymousId\":\"a1\",\"name\":\"Home\","
    "\"category\":\"Docs\",\"messageId\":\"m-3\"}",
    "{\"type\":\"screen\",\"userId\":\"u 1\",\"name\":\"Main\","
    "\"messageId\":\"m-4\"}",
    "{\"type\":\"group\",\"userId\":\"u 1\",\"groupId\":\"g1\","
    "\"traits\":{\"name\":\"Acme\"},\"messageId\":\"m-5\"}",
    "{\"type\":\"alias\",\"userId\":\"u 1\",\"previousId\":\"a1\","
    "\"messageId\":\"m-6\",\"timestamp\":\"2024-05-01T12:00:00+02:00\"}",
};

static void test_batch_of_six_types(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){.write_key = KEY});
  char body[4096];
  int n = snprintf(body, sizeof body,
                   "{\n  \"batch\": [\n    %s,\n    %s,\n    %s,\n    %s,\n"
                   "    %s,\n    %s\n  ],\n  \"sentAt\": "
                   "\"2024-05-01T12:00:01.000Z\"\n}\n",
                   sent[0], sent[1], sent[2], sent[3], sent[4], sent[5]);
  assert_true(n > 0 && (size_t)n < sizeof body);
  request q = {
      .url = sbm_url(m), .path = "/v1/batch", .body = body, .headers = {BASIC}};
  reply r = send_request(&q);
  assert_int_equal(r.rc, CURLE_OK);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "{\"success\":true}");
  reply_free(&r);
  for (size_t i = 0; i < 6; i++)
    assert_message(m, i, recorded[i]);
  assert_null(sbm_message(m, 6));
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.requests, 1);
  assert_int_equal(st.accepted_requests, 1);
  assert_int_equal(st.messages, 6);
  assert_int_equal(st.duplicates, 0);
  assert_int_equal(st.rejected, 0);
  assert_int_equal(st.faults, 0);
  sbm_stop(m);
}

static void test_single_event_routes(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){.write_key = KEY});
  static const char *const routes[] = {"identify", "track", "page",
                                       "screen",   "group", "alias"};
  for (size_t i = 0; i < 6; i++) {
    char path[32];
    snprintf(path, sizeof path, "/v1/%s", routes[i]);
    assert_int_equal(post(m, path, sent[i]), 200);
    assert_message(m, i, recorded[i]);
  }
  /* The type comes from the route; a body "type" must agree with it. */
  assert_int_equal(
      post(m, "/v1/track", "{\"userId\":\"u\",\"event\":\"No Type\"}"), 200);
  expect_400(m, "/v1/track",
             "{\"type\":\"page\",\"userId\":\"u\",\"event\":\"e\"}", "type",
             "/v1/track", NULL);
  /* /v1/import is /v1/batch; analytics-java adds a trailing slash. */
  assert_int_equal(post(m, "/v1/import/", "{\"batch\":[]}"), 200);
  assert_int_equal(post(m, "/v1/import", "{\"batch\":[]}"), 200);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, 7);
  sbm_stop(m);
}

static void test_routing_and_content_type(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  const char *batch = "{\"batch\":[]}";
  request q = {.url = sbm_url(m),
               .path = "/v2/batch",
               .body = batch,
               .headers = {BASIC}};
  reply r = send_request(&q);
  assert_int_equal(r.status, 404);
  reply_free(&r);

  q.path = "/v1/batch";
  q.method = "GET";
  r = send_request(&q);
  assert_int_equal(r.status, 405);
  assert_string_equal(r.allow, "POST");
  reply_free(&r);

  q.method = NULL;
  q.headers[1] = "Content-Type: text/plain";
  r = send_request(&q);
  assert_int_equal(r.status, 415);
  assert_error_mentions(&r, "application/json", NULL);
  reply_free(&r);

  q.headers[1] = "Content-Type: application/json; charset=utf-8";
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.requests, 4);
  assert_int_equal(st.rejected, 3);
  assert_int_equal(st.accepted_requests, 1);
  sbm_stop(m);
}

/* ---- auth ---------------------------------------------------------------- */

static void test_auth(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){.write_key = KEY});
  const char *event = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                      "\"event\":\"e\"}]}";
  request q = {.url = sbm_url(m), .path = "/v1/batch", .body = event};

  /* No credentials at all. */
  reply r = send_request(&q);
  assert_int_equal(r.status, 401);
  assert_error_mentions(&r, "writeKey required", NULL);
  reply_free(&r);

  /* Wrong key, Basic; and a key that only shares a prefix. */
  q.headers[0] = "Authorization: Basic d3Jvbmc6"; /* "wrong:" */
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  assert_error_mentions(&r, "invalid writeKey", NULL);
  reply_free(&r);
  q.headers[0] = "Authorization: Basic YWJjMTIzNDo="; /* "abc1234:" */
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  reply_free(&r);

  /* Right key, Basic. */
  q.headers[0] = BASIC;
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);

  /* Right and wrong key in the body, no header. */
  q.headers[0] = NULL;
  q.body = "{\"writeKey\":\"abc123\",\"batch\":[]}";
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  q.body = "{\"writeKey\":\"abc124\",\"batch\":[]}";
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  reply_free(&r);

  /* OAuth: a Bearer token counts only with the body writeKey. */
  q.headers[0] = "Authorization: Bearer token-1";
  q.body = "{\"batch\":[]}";
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  assert_error_mentions(&r, "Bearer", "writeKey", NULL);
  reply_free(&r);
  q.body = "{\"writeKey\":\"abc123\",\"batch\":[]}";
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);

  q.headers[0] = "Authorization: Digest x";
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  reply_free(&r);

  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.rejected, 6);
  assert_int_equal(st.accepted_requests, 3);
  sbm_stop(m);

  /* Without a configured key any non-empty key passes, none does not. */
  m = start((sbm_options){0});
  q = (request){.url = sbm_url(m),
                .path = "/v1/batch",
                .body = event,
                .headers = {"Authorization: Basic YW55Og=="}}; /* "any:" */
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  q.headers[0] = "Authorization: Basic Og=="; /* ":" */
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  assert_error_mentions(&r, "empty", NULL);
  reply_free(&r);
  q.headers[0] = NULL;
  r = send_request(&q);
  assert_int_equal(r.status, 401);
  reply_free(&r);
  sbm_stop(m);
}

/* ---- bodies -------------------------------------------------------------- */

static char *gzip_of(const char *data, size_t len, size_t *out_len) {
  z_stream z = {0};
  assert_int_equal(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                                16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                   Z_OK);
  uLong cap = deflateBound(&z, (uLong)len);
  char *out = malloc(cap);
  assert_non_null(out);
  z.next_in = (Bytef *)(uintptr_t)data;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  *out_len = (size_t)z.total_out;
  deflateEnd(&z);
  return out;
}

static void test_gzip_bodies(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){.write_key = KEY});
  const char *plain = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                      "\"event\":\"Zipped\"}]}";
  size_t zlen;
  char *zipped = gzip_of(plain, strlen(plain), &zlen);
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = zipped,
               .len = zlen,
               .headers = {BASIC, "Content-Encoding: gzip"}};
  reply r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_message(m, 0,
                 "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Zipped\"}");
  char *logged = sbm_request_body(m, 0);
  assert_string_equal(logged, plain); /* the log keeps the decoded body */
  free(logged);

  /* Truncated gzip. */
  q.len = zlen - 6;
  r = send_request(&q);
  assert_int_equal(r.status, 400);
  assert_error_mentions(&r, "gzip", NULL);
  reply_free(&r);
  free(zipped);

  /* Not gzip at all. */
  q.body = plain;
  q.len = 0;
  r = send_request(&q);
  assert_int_equal(r.status, 400);
  reply_free(&r);

  q.headers[1] = "Content-Encoding: br";
  r = send_request(&q);
  assert_int_equal(r.status, 415);
  reply_free(&r);

  /* A small upload that inflates past the 8 MB guard. */
  size_t big = (8u << 20) + 1;
  char *spaces = malloc(big);
  assert_non_null(spaces);
  memset(spaces, ' ', big);
  zipped = gzip_of(spaces, big, &zlen);
  free(spaces);
  q.body = zipped;
  q.len = zlen;
  q.headers[1] = "Content-Encoding: gzip";
  r = send_request(&q);
  assert_int_equal(r.status, 413);
  reply_free(&r);
  free(zipped);
  sbm_stop(m);
}

static void test_raw_body_cap(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  size_t big = (4u << 20) + 1;
  char *body = malloc(big);
  assert_non_null(body);
  memset(body, ' ', big);
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = body,
               .len = big,
               .headers = {BASIC}};
  reply r = send_request(&q);
  assert_int_equal(r.rc, CURLE_OK);
  assert_int_equal(r.status, 413);
  reply_free(&r);
  free(body);
  sbm_stop(m);
}

static void test_invalid_json(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  expect_400(m, "/v1/batch", "{\"batch\":[", "invalid JSON", NULL);
  expect_400(m, "/v1/batch", "{\"batch\":[]} x", "invalid JSON", NULL);
  expect_400(m, "/v1/batch", "", "invalid JSON", NULL);
  expect_400(m, "/v1/batch", "[1,2]", "object", NULL);
  expect_400(m, "/v1/batch", "{\"batch\":{}}", "'batch'", "array", NULL);
  expect_400(m, "/v1/batch", "{\"batch\":[1]}", "batch[0]", "object", NULL);
  expect_400(m, "/v1/batch", "{\"batch\":[{\"userId\":\"u\"}]}", "batch[0]",
             "'type'", NULL);
  expect_400(m, "/v1/batch",
             "{\"batch\":[{\"type\":\"Track\",\"userId\":\"u\"}]}", "'type'",
             NULL);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.rejected, 8);
  assert_int_equal(st.messages, 0);
  sbm_stop(m);
}

/* ---- spec checks ----------------------------------------------------------
 */

static void test_required_fields(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  const char *ok = "{\"type\":\"identify\",\"userId\":\"u\"}";
  char body[512];
#define BATCH2(second)                                                         \
  (snprintf(body, sizeof body, "{\"batch\":[%s,%s]}", ok, second), body)

  expect_400(m, "/v1/batch", BATCH2("{\"type\":\"track\",\"event\":\"e\"}"),
             "batch[1]", "userId", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"track\",\"userId\":\"\",\"event\":\"e\"}"),
             "batch[1]", "'userId'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"track\",\"anonymousId\":7,\"event\":\"e\"}"),
             "batch[1]", "'anonymousId'", NULL);
  expect_400(m, "/v1/batch", BATCH2("{\"type\":\"track\",\"userId\":\"u\"}"),
             "batch[1]", "'event'", NULL);
  expect_400(m, "/v1/batch", BATCH2("{\"type\":\"alias\",\"userId\":\"u\"}"),
             "batch[1]", "'previousId'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"alias\",\"anonymousId\":\"a\","
                    "\"previousId\":\"p\"}"),
             "batch[1]", "'userId'", NULL);
  expect_400(m, "/v1/batch", BATCH2("{\"type\":\"group\",\"userId\":\"u\"}"),
             "batch[1]", "'groupId'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"page\",\"userId\":\"u\",\"name\":\"\"}"),
             "batch[1]", "'name'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"screen\",\"userId\":\"u\","
                    "\"category\":null}"),
             "batch[1]", "'category'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                    "\"properties\":[]}"),
             "batch[1]", "'properties'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"identify\",\"userId\":\"u\","
                    "\"timestamp\":\"yesterday\"}"),
             "batch[1]", "'timestamp'", NULL);
  expect_400(m, "/v1/batch",
             BATCH2("{\"type\":\"identify\",\"userId\":\"u\","
                    "\"timestamp\":\"2024-13-01T00:00:00Z\"}"),
             "batch[1]", "'timestamp'", NULL);
  expect_400(m, "/v1/track", "{\"userId\":\"u\"}", "track", "'event'", NULL);
  /* Timestamps of the forms clients send pass. */
  assert_int_equal(
      post(m, "/v1/batch",
           BATCH2("{\"type\":\"identify\",\"userId\":\"u\","
                  "\"timestamp\":\"2024-01-31T23:59:60.123456-0530\"}")),
      200);
  assert_int_equal(post(m, "/v1/identify",
                        "{\"userId\":\"u\",\"timestamp\":\"2024-01-31\"}"),
                   200);
  /* A failing request records nothing, not even its valid events. */
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, 3);
#undef BATCH2
  sbm_stop(m);
}

static void test_message_id_limit(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  char id[128], body[256];
  memset(id, 'i', 100);
  id[100] = '\0';
  snprintf(body, sizeof body,
           "{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"%s\"}", id);
  assert_int_equal(post(m, "/v1/track", body), 200);
  strcat(id, "i");
  snprintf(body, sizeof body,
           "{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"%s\"}", id);
  expect_400(m, "/v1/track", body, "'messageId'", "100", NULL);
  /* 100 characters of two bytes each is within the limit. */
  char wide[256] = "";
  for (int i = 0; i < 100; i++)
    strcat(wide, "\xc3\xa9");
  snprintf(body, sizeof body,
           "{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"%s\"}", wide);
  assert_int_equal(post(m, "/v1/track", body), 200);
  sbm_stop(m);
}

static void test_event_size_limit(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  char *e = event_of_size(32768);
  char *body = malloc(40000);
  assert_non_null(body);
  sprintf(body, "{\"batch\":[%s]}", e);
  assert_int_equal(post(m, "/v1/batch", body), 200);
  assert_int_equal(post(m, "/v1/track", e), 200);
  free(e);

  e = event_of_size(32769);
  sprintf(body, "{\"batch\":[{\"type\":\"identify\",\"userId\":\"u\"},%s]}", e);
  expect_400(m, "/v1/batch", body, "batch[1]", "Exceed payload limit", NULL);
  expect_400(m, "/v1/track", e, "Exceed payload limit", NULL);
  free(e);
  free(body);
  sbm_stop(m);
}

static void test_body_limits(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  char *body = batch_of_size(500 * 1024);
  assert_int_equal(post(m, "/v1/batch", body), 200);
  free(body);
  body = batch_of_size(500 * 1024 + 1);
  expect_400(m, "/v1/batch", body, "Exceed payload limit", NULL);
  free(body);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.rejected, 1);
  size_t kept = (size_t)st.messages;

  /* Over 2,500 events: 200, as Segment answers, but nothing is kept. */
  const char *ev = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}";
  size_t n = 2501;
  body = malloc(n * (strlen(ev) + 1) + 16);
  assert_non_null(body);
  size_t o = (size_t)sprintf(body, "{\"batch\":[");
  for (size_t i = 0; i < n; i++)
    o += (size_t)sprintf(body + o, "%s%s", i ? "," : "", ev);
  strcpy(body + o, "]}");
  assert_int_equal(post(m, "/v1/batch", body), 200);
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, kept);
  assert_int_equal(st.rejected, 2);
  /* Exactly 2,500 is fine. */
  strcpy(body + o - strlen(ev) - 1, "]}");
  assert_int_equal(post(m, "/v1/batch", body), 200);
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, kept + 2500);
  free(body);
  sbm_stop(m);
}

/* The refusals behind the client's poison isolation: off by default. */
static void test_poison_and_max_body(void **state) {
  (void)state;
  const char *poisoned =
      "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"},"
      "{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"poison\":"
      "true}}]}";
  const char *clean = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                      "\"event\":\"e\",\"properties\":{\"poison\":false}}]}";
  sbm_mock *m = start((sbm_options){0});
  assert_int_equal(post(m, "/v1/batch", poisoned), 200);
  sbm_stop(m);

  m = start((sbm_options){.refuse_poison = 1, .max_body = 200});
  expect_400(m, "/v1/batch", poisoned, "batch[1]: identify",
             "'traits.poison' is refused");
  assert_int_equal(post(m, "/v1/batch", clean), 200);
  char *body = batch_of_size(201);
  request q = {
      .url = sbm_url(m), .path = "/v1/batch", .body = body, .headers = {BASIC}};
  reply r = send_request(&q);
  assert_int_equal(r.status, 413);
  assert_error_mentions(&r, "Payload Too Large", "the limit is 200",
                        (const char *)NULL);
  reply_free(&r);
  free(body);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, 1);
  assert_int_equal(st.rejected, 2);
  sbm_stop(m);
}

static void test_duplicates_counted(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  const char *a = "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
                  "\"event\":\"e\",\"messageId\":\"dup-1\"},"
                  "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                  "\"messageId\":\"other\"}]}";
  assert_int_equal(post(m, "/v1/batch", a), 200);
  /* A retry of the same batch: both are duplicates, both accepted. */
  assert_int_equal(post(m, "/v1/batch", a), 200);
  assert_int_equal(
      post(m, "/v1/track",
           "{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"dup-1\"}"),
      200);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, 5);
  assert_int_equal(st.duplicates, 3);
  sbm_stop(m);
}

/* ---- faults ---------------------------------------------------------------
 */

static const char *const small_batch =
    "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}]}";

static void test_scripted_faults(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  sbm_script(m, SBM_FAULT_503, 1, 0);
  sbm_script(m, SBM_FAULT_500, 2, 0);
  sbm_script(m, SBM_FAULT_400, 1, 0);
  sbm_script(m, SBM_FAULT_401, 1, 0);
  sbm_script(m, SBM_FAULT_NONE, 1, 0);
  assert_int_equal(post(m, "/v1/batch", small_batch), 503);
  assert_int_equal(post(m, "/v1/batch", small_batch), 500);
  assert_int_equal(post(m, "/v1/batch", small_batch), 500);
  assert_int_equal(post(m, "/v1/batch", small_batch), 400);
  assert_int_equal(post(m, "/v1/batch", small_batch), 401);
  assert_int_equal(post(m, "/v1/batch", small_batch), 200);
  assert_int_equal(post(m, "/v1/batch", small_batch), 200);
  /* Faults come before validation: even a bad request gets the fault. */
  sbm_script(m, SBM_FAULT_503, 1, 0);
  assert_int_equal(post(m, "/v1/batch", "not json"), 503);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.requests, 8);
  assert_int_equal(st.faults, 6);
  assert_int_equal(st.accepted_requests, 2);
  assert_int_equal(st.messages, 2);
  assert_int_equal(st.rejected, 0);
  assert_int_equal(sbm_request_status(m, 0), 503);
  assert_int_equal(sbm_request_status(m, 5), 200);
  sbm_stop(m);
}

static void test_429_retry_after(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  sbm_script(m, SBM_FAULT_429, 1, 7);
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = small_batch,
               .headers = {BASIC}};
  reply r = send_request(&q);
  assert_int_equal(r.status, 429);
  assert_string_equal(r.retry_after, "7");
  reply_free(&r);
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.retry_after, "");
  reply_free(&r);
  sbm_stop(m);
}

static void test_reset(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  sbm_script(m, SBM_FAULT_RESET, 1, 0);
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = small_batch,
               .headers = {BASIC}};
  reply r = send_request(&q);
  if (r.rc != CURLE_GOT_NOTHING && r.rc != CURLE_RECV_ERROR)
    fail_msg("curl said %s", curl_easy_strerror(r.rc));
  assert_int_equal(r.status, 0);
  assert_null(r.body);
  reply_free(&r);
  assert_int_equal(sbm_request_status(m, 0), 0);
  r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.faults, 1);
  assert_int_equal(st.messages, 1);
  sbm_stop(m);
}

static void test_delay(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  sbm_script(m, SBM_FAULT_DELAY, 1, 300);
  double t0 = now_ms();
  assert_int_equal(post(m, "/v1/batch", small_batch), 200);
  assert_true(now_ms() - t0 >= 300.0);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, 1);
  assert_int_equal(st.faults, 0); /* a delayed answer is a normal one */
  sbm_stop(m);
}

typedef struct delayed_client {
  sbm_mock *m;
  double elapsed_ms;
} delayed_client;

static void *post_in_thread(void *cls) {
  delayed_client *dc = cls;
  request q = {.url = sbm_url(dc->m),
               .path = "/v1/batch",
               .body = small_batch,
               .headers = {BASIC}};
  double t0 = now_ms();
  reply r = send_request(&q);
  dc->elapsed_ms = now_ms() - t0;
  reply_free(&r);
  return NULL;
}

static void test_stop_cuts_a_delay_short(void **state) {
  (void)state;
  delayed_client dc = {start((sbm_options){0}), 0};
  sbm_script(dc.m, SBM_FAULT_DELAY, 1, 60000);
  pthread_t client;
  assert_int_equal(pthread_create(&client, NULL, post_in_thread, &dc), 0);
  usleep(500 * 1000); /* the request is then (almost surely) in its delay */
  double t0 = now_ms();
  sbm_stop(dc.m);
  assert_true(now_ms() - t0 < 30000.0);
  assert_int_equal(pthread_join(client, NULL), 0);
  assert_true(dc.elapsed_ms < 30000.0);
}

static void test_latency_is_a_lower_bound(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){.latency_ms = 300});
  double t0 = now_ms();
  assert_int_equal(post(m, "/v1/batch", small_batch), 200);
  assert_true(now_ms() - t0 >= 300.0);
  /* A DELAY fault adds its wait to the latency. */
  sbm_script(m, SBM_FAULT_DELAY, 1, 200);
  t0 = now_ms();
  assert_int_equal(post(m, "/v1/track", sent[1]), 200);
  assert_true(now_ms() - t0 >= 500.0);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.messages, 2);
  sbm_stop(m);
}

/* K requests on K connections at once, with a latency far longer than the
 * test: the mock receives, validates and logs all K while every one still
 * waits for its answer, so the waits are per connection. */
static void test_latency_waits_per_connection(void **state) {
  (void)state;
  enum { K = 8 };
  sbm_mock *m = start((sbm_options){.latency_ms = 3600 * 1000});
  char url[256];
  snprintf(url, sizeof url, "%s/v1/batch", sbm_url(m));
  struct curl_slist *headers = curl_slist_append(NULL, JSON_CT);
  headers = curl_slist_append(headers, BASIC);
  CURLM *multi = curl_multi_init();
  CURL *easy[K];
  for (int i = 0; i < K; i++) {
    easy[i] = curl_easy_init();
    assert_non_null(easy[i]);
    curl_easy_setopt(easy[i], CURLOPT_URL, url);
    curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, small_batch);
    curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(multi, easy[i]);
  }
  sbm_stats st = {0};
  int running = K;
  for (double t0 = now_ms(); st.requests < K && now_ms() - t0 < 60000.0;) {
    curl_multi_perform(multi, &running);
    curl_multi_poll(multi, NULL, 0, 100, NULL);
    sbm_get_stats(m, &st);
  }
  assert_int_equal(st.requests, K);
  assert_int_equal(st.accepted_requests, K);
  assert_int_equal(sbm_request_status(m, K - 1), 200);
  curl_multi_perform(multi, &running);
  assert_int_equal(running, K); /* no answer yet */
  sbm_stop(m);                  /* cuts the waits short */
  for (int i = 0; i < K; i++) {
    curl_multi_remove_handle(multi, easy[i]);
    curl_easy_cleanup(easy[i]);
  }
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
}

/* The status of each of 40 requests, -curl code for no answer. */
static void fault_sequence(uint64_t seed, long out[40]) {
  sbm_mock *m = start((sbm_options){.seed = seed, .fail_rate = 0.5});
  long faults = 0;
  for (size_t i = 0; i < 40; i++) {
    request q = {.url = sbm_url(m),
                 .path = "/v1/batch",
                 .body = small_batch,
                 .headers = {BASIC}};
    reply r = send_request(&q);
    out[i] = r.rc == CURLE_OK ? r.status : -(long)r.rc;
    faults += out[i] != 200;
    reply_free(&r);
  }
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.faults, faults);
  assert_int_equal(st.accepted_requests, 40 - faults);
  sbm_stop(m);
}

static void test_random_faults_reproducible(void **state) {
  (void)state;
  long a[40], b[40], c[40];
  fault_sequence(42, a);
  fault_sequence(42, b);
  fault_sequence(43, c);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  int ok = 0, seen500 = 0, seen503 = 0, seen429 = 0, seen_reset = 0;
  for (size_t i = 0; i < 40; i++) {
    ok += a[i] == 200;
    seen500 |= a[i] == 500;
    seen503 |= a[i] == 503;
    seen429 |= a[i] == 429;
    seen_reset |= a[i] < 0;
  }
  assert_true(ok > 0 && ok < 40);
  assert_true(seen500 && seen503 && seen429 && seen_reset);
}

/* ---- recording and the request log --------------------------------------- */

static void test_ndjson_record(void **state) {
  (void)state;
  char path[] = "/tmp/segb-mock-record-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  sbm_mock *m = start((sbm_options){.record_path = path});
  char body[4096];
  snprintf(body, sizeof body, "{\"batch\":[%s,%s,%s]}", sent[0], sent[1],
           sent[2]);
  assert_int_equal(post(m, "/v1/batch", body), 200);
  assert_int_equal(post(m, "/v1/batch", "{\"batch\":[{}]}"), 400);
  assert_int_equal(post(m, "/v1/group", sent[4]), 200);
  /* Flushed per request: readable before the mock stops. */
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[1024];
  const char *want[] = {recorded[0], recorded[1], recorded[2], recorded[4]};
  size_t lines = 0;
  while (fgets(line, sizeof line, f)) {
    assert_true(lines < 4);
    size_t len = strlen(line);
    assert_true(len > 0 && line[len - 1] == '\n');
    line[len - 1] = '\0';
    assert_string_equal(line, want[lines]);
    assert_message(m, lines, want[lines]);
    lines++;
  }
  assert_int_equal(lines, 4);
  fclose(f);
  sbm_stop(m);
  unlink(path);
}

static void test_request_log(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){0});
  CURL *h = curl_easy_init();
  assert_non_null(h);
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = small_batch,
               .headers = {BASIC, "X-Test: one"},
               .handle = h};
  reply r = send_request(&q);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* Same handle: the second request reuses the keep-alive connection. */
  q.path = "/v1/nowhere";
  q.headers[1] = "X-Test: two";
  r = send_request(&q);
  assert_int_equal(r.status, 404);
  reply_free(&r);
  long reused = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &reused);
  assert_int_equal(reused, 0); /* no new connection was needed */
  curl_easy_cleanup(h);

  char *s = sbm_request_header(m, 0, "x-TEST");
  assert_string_equal(s, "one");
  free(s);
  s = sbm_request_header(m, 1, "X-Test");
  assert_string_equal(s, "two");
  free(s);
  s = sbm_request_header(m, 0, "authorization");
  assert_string_equal(s, "Basic YWJjMTIzOg==");
  free(s);
  assert_null(sbm_request_header(m, 0, "X-Absent"));
  s = sbm_request_path(m, 1);
  assert_string_equal(s, "/v1/nowhere");
  free(s);
  s = sbm_request_body(m, 0);
  assert_string_equal(s, small_batch);
  free(s);
  assert_int_equal(sbm_request_status(m, 0), 200);
  assert_int_equal(sbm_request_status(m, 1), 404);
  assert_null(sbm_request_path(m, 2));
  assert_null(sbm_request_body(m, 2));
  assert_null(sbm_request_header(m, 2, "X-Test"));
  assert_int_equal(sbm_request_status(m, 2), -1);
  sbm_stop(m);
}

/* sbm_options.keep bounds the request log and the recorded messages (a
 * dry run keeps a few); indices stay absolute. */
static void test_keep(void **state) {
  (void)state;
  sbm_mock *m = start((sbm_options){.keep = 2});
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = small_batch,
               .headers = {BASIC}};
  for (int i = 0; i < 3; i++) {
    reply r = send_request(&q);
    assert_int_equal(r.status, 200);
    reply_free(&r);
  }
  assert_int_equal(sbm_request_status(m, 0), -1);
  assert_null(sbm_request_body(m, 0));
  assert_int_equal(sbm_request_status(m, 1), 200);
  assert_int_equal(sbm_request_status(m, 2), 200);
  assert_int_equal(sbm_request_status(m, 3), -1);
  assert_null(sbm_message(m, 0));
  char *msg = sbm_message(m, 2);
  assert_non_null(msg);
  free(msg);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.requests, 3);
  sbm_stop(m);
}

static void test_start_errors(void **state) {
  (void)state;
  sbm_mock *a = start((sbm_options){0});
  char err[256] = "";
  sbm_options o = {.port = sbm_port(a), .quiet = 1};
  assert_null(sbm_start(&o, err, sizeof err));
  assert_non_null(strstr(err, "in use"));
  sbm_stop(a);

  o = (sbm_options){.fail_rate = 1.5, .quiet = 1};
  assert_null(sbm_start(&o, err, sizeof err));
  assert_non_null(strstr(err, "fail_rate"));
  o = (sbm_options){.tls_cert_pem = "x", .quiet = 1};
  assert_null(sbm_start(&o, err, sizeof err));
  o = (sbm_options){.record_path = "/nonexistent-dir/x.ndjson", .quiet = 1};
  assert_null(sbm_start(&o, err, sizeof err));
  assert_non_null(strstr(err, "/nonexistent-dir/x.ndjson"));
  sbm_stop(NULL);
}

/* A host with more than FD_SETSIZE (1024) files open: select() could not
 * watch the mock's sockets, poll() can. */
static void test_many_files_open(void **state) {
  (void)state;
  enum { HELD = 1100 };
  struct rlimit old, lim;
  int held[HELD];
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
  if (old.rlim_max != RLIM_INFINITY && old.rlim_max < HELD + 200)
    skip();
  lim = old;
  if (lim.rlim_cur < HELD + 200) {
    lim.rlim_cur = HELD + 200;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
  }
  for (int i = 0; i < HELD; i++)
    assert_true((held[i] = dup(0)) >= 0);
  sbm_mock *m = start((sbm_options){.write_key = KEY});
  assert_int_equal(post(m, "/v1/identify", sent[0]), 200);
  sbm_stop(m);
  for (int i = 0; i < HELD; i++)
    close(held[i]);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* ---- TLS ------------------------------------------------------------------
 */

static char *bio_text(BIO *b) {
  char *data;
  long len = BIO_get_mem_data(b, &data);
  char *text = malloc((size_t)len + 1);
  assert_non_null(text);
  memcpy(text, data, (size_t)len);
  text[len] = '\0';
  BIO_free(b);
  return text;
}

static void add_ext(X509 *x, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  assert_non_null(ext);
  assert_int_equal(X509_add_ext(x, ext, -1), 1);
  X509_EXTENSION_free(ext);
}

/* A self-signed certificate for 127.0.0.1 and localhost, as PEM. */
static void make_cert(char **cert_pem, char **key_pem) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  assert_non_null(key);
  X509 *x = X509_new();
  assert_non_null(x);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"localhost", -1, -1, 0);
  X509_set_issuer_name(x, name);
  add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  assert_true(X509_sign(x, key, EVP_sha256()) > 0);
  BIO *b = BIO_new(BIO_s_mem());
  assert_int_equal(PEM_write_bio_X509(b, x), 1);
  *cert_pem = bio_text(b);
  b = BIO_new(BIO_s_mem());
  assert_int_equal(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL),
                   1);
  *key_pem = bio_text(b);
  X509_free(x);
  EVP_PKEY_free(key);
}

static void test_tls(void **state) {
  (void)state;
  char *cert, *key, *other_cert, *other_key;
  make_cert(&cert, &key);
  make_cert(&other_cert, &other_key);
  sbm_mock *m = start((sbm_options){
      .tls_cert_pem = cert, .tls_key_pem = key, .write_key = KEY});
  assert_int_equal(strncmp(sbm_url(m), "https://127.0.0.1:", 18), 0);
  request q = {.url = sbm_url(m),
               .path = "/v1/batch",
               .body = small_batch,
               .headers = {BASIC},
               .ca_pem = cert};
  reply r = send_request(&q);
  if (r.rc != CURLE_OK)
    fail_msg("curl said %s", curl_easy_strerror(r.rc));
  assert_int_equal(r.status, 200);
  reply_free(&r);

  /* Trusting another CA fails verification; so does the system store. */
  q.ca_pem = other_cert;
  r = send_request(&q);
  assert_int_equal(r.rc, CURLE_PEER_FAILED_VERIFICATION);
  reply_free(&r);
  q.ca_pem = NULL;
  r = send_request(&q);
  if (r.rc != CURLE_PEER_FAILED_VERIFICATION &&
      r.rc != CURLE_SSL_CACERT_BADFILE)
    fail_msg("curl said %s", curl_easy_strerror(r.rc));
  reply_free(&r);
  sbm_stats st;
  sbm_get_stats(m, &st);
  assert_int_equal(st.requests, 1);
  sbm_stop(m);

  /* A key that is not the certificate's, or no key at all, makes the start
   * fail. (Not tried: a certificate that does not decode, on which GnuTLS
   * 3.7.9 itself leaks 168 bytes.) */
  char err[256] = "";
  sbm_options bad = {
      .tls_cert_pem = cert, .tls_key_pem = other_key, .quiet = 1};
  assert_null(sbm_start(&bad, err, sizeof err));
  assert_non_null(strstr(err, "certificate"));
  bad.tls_key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                    "-----END PRIVATE KEY-----\n";
  assert_null(sbm_start(&bad, err, sizeof err));
  free(cert);
  free(key);
  free(other_cert);
  free(other_key);
}

static int global_setup(void **state) {
  (void)state;
  return curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK ? 0 : -1;
}

static int global_teardown(void **state) {
  (void)state;
  curl_global_cleanup();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batch_of_six_types),
      cmocka_unit_test(test_single_event_routes),
      cmocka_unit_test(test_routing_and_content_type),
      cmocka_unit_test(test_auth),
      cmocka_unit_test(test_gzip_bodies),
      cmocka_unit_test(test_raw_body_cap),
      cmocka_unit_test(test_invalid_json),
      cmocka_unit_test(test_required_fields),
      cmocka_unit_test(test_message_id_limit),
      cmocka_unit_test(test_event_size_limit),
      cmocka_unit_test(test_body_limits),
      cmocka_unit_test(test_poison_and_max_body),
      cmocka_unit_test(test_duplicates_counted),
      cmocka_unit_test(test_scripted_faults),
      cmocka_unit_test(test_429_retry_after),
      cmocka_unit_test(test_reset),
      cmocka_unit_test(test_delay),
      cmocka_unit_test(test_stop_cuts_a_delay_short),
      cmocka_unit_test(test_latency_is_a_lower_bound),
      cmocka_unit_test(test_latency_waits_per_connection),
      cmocka_unit_test(test_random_faults_reproducible),
      cmocka_unit_test(test_ndjson_record),
      cmocka_unit_test(test_request_log),
      cmocka_unit_test(test_keep),
      cmocka_unit_test(test_start_errors),
      cmocka_unit_test(test_many_files_open),
      cmocka_unit_test(test_tls),
  };
  return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
