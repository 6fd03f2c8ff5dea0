/* The transports, with real libcurl against a real loopback HTTP server
 * (libmicrohttpd), plus the capture transport and the header helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
/* Makes next_in a pointer to const. */
#define ZLIB_CONST
#include <zlib.h>

#include <segbridge/client.h>
#include <segbridge/error.h>
#include <segbridge/version.h>

#include "http_server.h"
#include "raw_server.h"
#include "tls_cert.h"
#include "transport/gzip.h"
#include "transport/policy.h"
#include "transport/retry.h"
#include "transport/transport.h"

#define AUTH_LINE "Authorization: Basic c2VjcmV0Og=="
#define AUTH_VALUE "c2VjcmV0"

/* For every limit that is not what a test is about: a loopback request
 * takes far less even under valgrind on a busy machine. Only a hang
 * reaches it. */
#define GENEROUS_MS 60000
/* The same as an upper bound on a call's wall time, in seconds. */
#define GENEROUS_S 60.0

/* ---- the loopback server ------------------------------------------------ */

typedef struct reply_header {
  const char *name;
  const char *value;
} reply_header;

typedef struct server {
  segb_http_server *http;
  const char *base; /* the http server's */

  /* Set by the test before a request. */
  int status;
  char *body; /* owned */
  size_t body_len;
  reply_header headers[4];
  /* Atomic: read by the server's threads while the test may change them. */
  _Atomic int delay_ms;
  _Atomic int hang_up; /* read the request, then close without a reply */

  /* Recorded from the last request, under lock. */
  pthread_mutex_t lock;
  int requests;
  char method[16];
  char path[256];
  sbi_buf req_headers; /* "name: value\n" lines */
  sbi_buf req_body;
  _Atomic int stopping;
} server;

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  nanosleep(&ts, NULL);
}

static double now_s(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum MHD_Result record_header(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value) {
  server *s = cls;
  (void)kind;

  sbi_buf_puts(&s->req_headers, key);
  sbi_buf_puts(&s->req_headers, ": ");
  sbi_buf_puts(&s->req_headers, value != NULL ? value : "");
  sbi_buf_putc(&s->req_headers, '\n');
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
  static int started;
  server *s = cls;
  struct MHD_Response *r;
  enum MHD_Result ret;
  int waited, i;
  (void)version;

  if (*req_cls == NULL) {
    *req_cls = &started;
    pthread_mutex_lock(&s->lock);
    s->requests++;
    snprintf(s->method, sizeof s->method, "%s", method);
    snprintf(s->path, sizeof s->path, "%s", url);
    sbi_buf_clear(&s->req_headers);
    sbi_buf_clear(&s->req_body);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, record_header, s);
    pthread_mutex_unlock(&s->lock);
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    pthread_mutex_lock(&s->lock);
    sbi_buf_append(&s->req_body, upload_data, *upload_data_size);
    pthread_mutex_unlock(&s->lock);
    *upload_data_size = 0;
    return MHD_YES;
  }
  for (waited = 0; waited < s->delay_ms && !s->stopping; waited += 10)
    sleep_ms(10);
  if (s->hang_up)
    return MHD_NO;
  r = MHD_create_response_from_buffer(s->body_len, s->body,
                                      MHD_RESPMEM_MUST_COPY);
  for (i = 0; i < 4 && s->headers[i].name != NULL; i++)
    MHD_add_response_header(r, s->headers[i].name, s->headers[i].value);
  ret = MHD_queue_response(conn, (unsigned)s->status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Start a server on 127.0.0.1 and an ephemeral port answering with
 * on_request(); TLS when @cert_pem is given. */
static server *server_start(const char *cert_pem, const char *key_pem) {
  server *s = calloc(1, sizeof *s);

  assert_non_null(s);
  pthread_mutex_init(&s->lock, NULL);
  s->status = 200;
  s->http = segb_http_start(on_request, s, cert_pem, key_pem);
  assert_non_null(s->http);
  s->base = segb_http_base(s->http);
  return s;
}

static void server_stop(server *s) {
  s->stopping = 1;
  segb_http_stop(s->http);
  pthread_mutex_destroy(&s->lock);
  sbi_buf_free(&s->req_headers);
  sbi_buf_free(&s->req_body);
  free(s->body);
  free(s);
}

static void server_reply(server *s, int status, const char *body, size_t len) {
  free(s->body);
  s->body = malloc(len + 1);
  assert_non_null(s->body);
  memcpy(s->body, body, len);
  s->body_len = len;
  s->status = status;
}

/* Value of the last recorded request header @name (any case), or NULL. */
static const char *recorded_header(server *s, const char *name) {
  static char value[512];
  size_t n = strlen(name);
  const char *p = s->req_headers.data;
  const char *found = NULL;

  while (p != NULL && *p != '\0') {
    const char *eol = strchr(p, '\n');

    if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
      snprintf(value, sizeof value, "%.*s", (int)(eol - p - (long)n - 2),
               p + n + 2);
      found = value;
    }
    p = eol + 1;
  }
  return found;
}

static int setup_server(void **state) {
  *state = server_start(NULL, NULL);
  return 0;
}

static int teardown_server(void **state) {
  server_stop(*state);
  return 0;
}

/* Options for a loopback test: no proxy, whatever the environment says. */
static sbi_transport_options options(int64_t timeout_ms) {
  sbi_transport_options o;

  memset(&o, 0, sizeof o);
  o.connect_timeout_ms = GENEROUS_MS;
  o.timeout_ms = timeout_ms;
  o.proxy = "";
  return o;
}

static sbi_transport *new_curl(int64_t timeout_ms) {
  sbi_transport_options o = options(timeout_ms);
  sbi_transport *t = sbi_curl_transport_new(&o);

  assert_non_null(t);
  return t;
}

static void post(sbi_transport *t, const char *url, const char *body,
                 sbi_http_response *resp) {
  sbi_http_request req;

  memset(&req, 0, sizeof req);
  req.method = "POST";
  req.url = url;
  req.headers[req.header_count++] = "Content-Type: application/json";
  req.body = body;
  req.body_len = strlen(body);
  t->send(t, &req, resp);
}

/* A port nothing listens on: bound, read back, released. */
static unsigned free_port(void) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  assert_true(fd >= 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

/* ---- requests and responses -------------------------------------------- */

static void test_post_arrives_intact(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  sbi_http_request req;
  static const char body[] = "{\"batch\":[{\"type\":\"track\"}]}";
  char url[128];

  server_reply(s, 200, "{}", 2);
  snprintf(url, sizeof url, "%s/v1/batch", s->base);
  memset(&req, 0, sizeof req);
  req.method = "POST";
  req.url = url;
  req.headers[0] = "Content-Type: application/json";
  req.headers[1] = AUTH_LINE;
  req.headers[2] = "X-Test:  spaced value";
  req.header_count = 3;
  req.body = body;
  req.body_len = sizeof body - 1;
  assert_int_equal(t->send(t, &req, &resp), SEGB_OK);
  assert_int_equal(resp.error, SEGB_OK);
  assert_int_equal(resp.status, 200);
  assert_string_equal(resp.body.data, "{}");
  assert_true(resp.elapsed_us > 0);

  assert_string_equal(s->method, "POST");
  assert_string_equal(s->path, "/v1/batch");
  assert_int_equal(s->req_body.len, sizeof body - 1);
  assert_memory_equal(s->req_body.data, body, sizeof body - 1);
  assert_string_equal(recorded_header(s, "Content-Type"), "application/json");
  assert_string_equal(recorded_header(s, "Authorization"),
                      "Basic c2VjcmV0Og==");
  assert_string_equal(recorded_header(s, "X-Test"), "spaced value");
  assert_string_equal(recorded_header(s, "User-Agent"),
                      "libsegbridge/" SEGB_VERSION_STR);
  assert_null(recorded_header(s, "Content-Encoding"));

  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* Bodies past libcurl's threshold would get Expect: 100-continue. */
static void test_no_expect_continue(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  size_t len = 2 * 1024 * 1024;
  char *big = malloc(len + 1);

  assert_non_null(big);
  memset(big, 'x', len);
  big[len] = '\0';
  post(t, s->base, big, &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_int_equal(s->req_body.len, len);
  assert_null(recorded_header(s, "Expect"));
  free(big);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_connection_is_reused(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  sbi_http_request get;

  server_reply(s, 200, "ok", 2);
  post(t, s->base, "{\"n\":1}", &resp);
  assert_int_equal(resp.error, SEGB_OK);

  /* A GET in between must not carry the earlier body. */
  memset(&get, 0, sizeof get);
  get.method = "GET";
  get.url = s->base;
  assert_int_equal(t->send(t, &get, &resp), SEGB_OK);
  assert_string_equal(s->method, "GET");
  assert_int_equal(s->req_body.len, 0);

  post(t, s->base, "{\"n\":3}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_string_equal(s->method, "POST");
  assert_string_equal(s->req_body.data, "{\"n\":3}");

  pthread_mutex_lock(&s->lock);
  assert_int_equal(s->requests, 3);
  pthread_mutex_unlock(&s->lock);
  assert_int_equal(segb_http_connections(s->http), 1);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_response_headers(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  char v[64];

  server_reply(s, 429, "slow down", 9);
  s->headers[0] = (reply_header){"Retry-After", "7"};
  s->headers[1] = (reply_header){"X-Dup", "first"};
  s->headers[2] = (reply_header){"X-Dup", "second"};
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_int_equal(resp.status, 429);
  assert_string_equal(resp.body.data, "slow down");
  assert_null(strstr(resp.headers.data, "HTTP/"));

  assert_int_equal(sbi_http_header(&resp, "retry-after", v, sizeof v), 1);
  assert_string_equal(v, "7");
  assert_int_equal(sbi_http_header(&resp, "RETRY-AFTER", v, sizeof v), 1);
  assert_string_equal(v, "7");
  assert_int_equal(sbi_http_header(&resp, "x-dup", v, sizeof v), 1);
  assert_string_equal(v, "second");
  assert_int_equal(sbi_http_header(&resp, "X-Missing", v, sizeof v), 0);
  assert_string_equal(v, "");
  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_body_is_capped(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  size_t len = SBI_HTTP_MAX_BODY + 12345;
  char *big = malloc(len);
  size_t i;

  assert_non_null(big);
  for (i = 0; i < len; i++)
    big[i] = (char)('a' + i % 26);
  server_reply(s, 200, big, len);
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_int_equal(resp.status, 200);
  assert_int_equal(resp.body.len, SBI_HTTP_MAX_BODY);
  assert_memory_equal(resp.body.data, big, SBI_HTTP_MAX_BODY);
  free(big);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* ---- gzip --------------------------------------------------------------- */

/* Inflate a gzip stream; the caller frees the result. */
static char *gunzip(const char *in, size_t len, size_t *out_len) {
  z_stream zs;
  size_t cap = 1024, used = 0;
  char *out = malloc(cap);
  int rc;

  assert_non_null(out);
  memset(&zs, 0, sizeof zs);
  assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = (const Bytef *)in;
  zs.avail_in = (uInt)len;
  do {
    if (used == cap) {
      cap *= 2;
      out = realloc(out, cap);
      assert_non_null(out);
    }
    zs.next_out = (Bytef *)out + used;
    zs.avail_out = (uInt)(cap - used);
    rc = inflate(&zs, Z_NO_FLUSH);
    assert_true(rc == Z_OK || rc == Z_STREAM_END);
    used = cap - zs.avail_out;
  } while (rc != Z_STREAM_END);
  assert_int_equal(zs.avail_in, 0);
  inflateEnd(&zs);
  *out_len = used;
  return out;
}

static void test_gzip_round_trip(void **state) {
  sbi_buf out = SBI_BUF_INIT;
  size_t len = 3 * 1024 * 1024, got_len, i;
  char *in = malloc(len);
  char *got;
  (void)state;

  assert_non_null(in);
  for (i = 0; i < len; i++)
    in[i] = (char)((i * 7919) % 251);
  /* Appends after what is already there. */
  sbi_buf_puts(&out, "pre");
  assert_int_equal(sbi_gzip(in, len, &out), SEGB_OK);
  assert_memory_equal(out.data, "pre", 3);
  assert_int_equal((unsigned char)out.data[3], 0x1f);
  assert_int_equal((unsigned char)out.data[4], 0x8b);
  got = gunzip(out.data + 3, out.len - 3, &got_len);
  assert_int_equal(got_len, len);
  assert_memory_equal(got, in, len);
  free(got);

  sbi_buf_clear(&out);
  assert_int_equal(sbi_gzip("", 0, &out), SEGB_OK);
  got = gunzip(out.data, out.len, &got_len);
  assert_int_equal(got_len, 0);
  free(got);
  free(in);
  sbi_buf_free(&out);
}

static void test_gzip_request_body(void **state) {
  server *s = *state;
  sbi_transport_options o;
  sbi_transport *t;
  sbi_http_response resp = {0};
  sbi_buf body = SBI_BUF_INIT;
  size_t got_len;
  char *got;
  int i;

  o = options(GENEROUS_MS);
  o.gzip = 1;
  t = sbi_curl_transport_new(&o);
  assert_non_null(t);
  sbi_buf_puts(&body, "{\"batch\":[");
  for (i = 0; i < 200; i++)
    sbi_buf_puts(&body, i == 0 ? "{\"event\":\"Signed Up\"}"
                               : ",{\"event\":\"Signed Up\"}");
  sbi_buf_puts(&body, "]}");
  post(t, s->base, body.data, &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_string_equal(recorded_header(s, "Content-Encoding"), "gzip");
  assert_true(s->req_body.len < body.len);
  got = gunzip(s->req_body.data, s->req_body.len, &got_len);
  assert_int_equal(got_len, body.len);
  assert_memory_equal(got, body.data, body.len);
  free(got);
  sbi_buf_free(&body);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* ---- failures ----------------------------------------------------------- */

static void test_timeout(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(300);
  sbi_http_response resp = {0};
  sbi_http_request req;
  double start = now_s();

  /* The server's delay stops early when the test ends, so it can be far
   * past the 300 ms timeout however slow the machine. */
  s->delay_ms = 60000;
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_ERR_TIMED_OUT);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_TRANSPORT);
  assert_int_equal(resp.status, 0);
  assert_true(now_s() - start < GENEROUS_S);
  assert_non_null(strstr(resp.error_text, "127.0.0.1"));

  /* A request's own timeout never extends the transport's... */
  memset(&req, 0, sizeof req);
  req.method = "GET";
  req.url = s->base;
  req.timeout_ms = 60000;
  start = now_s();
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_TIMED_OUT);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_TRANSPORT);
  assert_true(now_s() - start < GENEROUS_S);
  t->destroy(t);

  /* ...but shortens it, and the response says whose limit it was. */
  t = new_curl(60000);
  req.timeout_ms = 300;
  start = now_s();
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_TIMED_OUT);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_CALLER);
  assert_true(now_s() - start < GENEROUS_S);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_connect_refused(void **state) {
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  sbi_http_request req;
  char url[128];
  (void)state;

  /* Userinfo, path and query may hold secrets: none may be reported. */
  snprintf(url, sizeof url,
           "http://someuser:hunter2@127.0.0.1:%u/v1/batch?token=tok123",
           free_port());
  memset(&req, 0, sizeof req);
  req.method = "POST";
  req.url = url;
  req.headers[0] = AUTH_LINE;
  req.header_count = 1;
  req.body = "{}";
  req.body_len = 2;
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_CONNECT);
  assert_int_equal(resp.status, 0);
  assert_non_null(strstr(resp.error_text, "127.0.0.1"));
  assert_null(strstr(resp.error_text, AUTH_VALUE));
  assert_null(strstr(resp.error_text, "someuser"));
  assert_null(strstr(resp.error_text, "hunter2"));
  assert_null(strstr(resp.error_text, "tok123"));
  assert_null(strstr(resp.error_text, "/v1/batch"));
  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_dns_failure(void **state) {
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  (void)state;

  post(t, "http://does-not-exist.invalid/", "{}", &resp);
  assert_int_equal(resp.error, SEGB_ERR_DNS);
  assert_non_null(strstr(resp.error_text, "does-not-exist.invalid"));
  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_server_closes(void **state) {
  server *s = *state;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};

  s->hang_up = 1;
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_ERR_NETWORK);
  assert_int_equal(resp.status, 0);
  assert_int_equal(resp.body.len, 0);
  assert_non_null(strstr(resp.error_text, "127.0.0.1"));

  /* The handle recovers on a fresh connection. */
  s->hang_up = 0;
  server_reply(s, 200, "ok", 2);
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_string_equal(resp.body.data, "ok");
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* A raw server: libmicrohttpd cannot drop a connection in the middle of an
 * upload, reset a TLS handshake or cut its own response. */
static segb_raw_server *raw_start(const segb_raw_step *steps, size_t n) {
  segb_raw_server *r = segb_raw_start(steps, n, 0);

  assert_non_null(r);
  return r;
}

static void raw_url(char *url, size_t size, const char *scheme,
                    const segb_raw_server *r) {
  snprintf(url, size, "%s://127.0.0.1:%u/", scheme, segb_raw_port(r));
}

static void test_reset_during_upload(void **state) {
  static const segb_raw_step reset = {SEGB_RAW_RESET, NULL};
  segb_raw_server *r;
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  size_t len = 8 * 1024 * 1024;
  char *big = malloc(len + 1);
  char url[64];
  (void)state;

  /* With SIGPIPE at its default action, a write libcurl let raise it
   * would end this process instead of failing the request. */
  assert_true(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  r = raw_start(&reset, 1);
  raw_url(url, sizeof url, "http", r);

  assert_non_null(big);
  memset(big, 'y', len);
  big[len] = '\0';
  post(t, url, big, &resp);
  assert_int_equal(resp.error, SEGB_ERR_NETWORK);
  segb_raw_stop(r);
  free(big);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* Responses cut short are no responses: neither inside the header block
 * (libcurl alone takes a close there for the end of a bodiless answer)
 * nor inside the body. */
static void test_cut_responses(void **state) {
  static const char *const cut[] = {
      "HTTP/1.1 200 OK\r\nContent-Len",
      "HTTP/1.1 200 OK\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
      "HTTP/1.1 200 O",
      "",
  };
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  char url[64], v[8];
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cut / sizeof cut[0]; i++) {
    segb_raw_step step = {SEGB_RAW_REPLY, cut[i]};
    segb_raw_server *r = raw_start(&step, 1);

    raw_url(url, sizeof url, "http", r);
    post(t, url, "{}", &resp);
    if (resp.error != SEGB_ERR_NETWORK) {
      print_error("reply %zu: error %d, status %d\n", i, resp.error,
                  resp.status);
      fail();
    }
    assert_int_equal(resp.status, 0);
    assert_int_equal(resp.headers.len, 0);
    assert_int_equal(resp.body.len, 0);
    assert_non_null(strstr(resp.error_text, "127.0.0.1"));
    assert_int_equal(
        sbi_http_outcome(&resp, SBI_PEER_TRACKING, 0, 1000).verdict,
        SBI_VERDICT_RETRY);
    segb_raw_stop(r);
  }

  /* Whole answers over the same raw server, the last one delimited by
   * the close, as HTTP/1.1 allows. */
  {
    static const segb_raw_step whole[] = {
        {SEGB_RAW_REPLY, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                         "X-A: 1\r\nContent-Length: 2\r\n\r\nok"},
        {SEGB_RAW_REPLY, "HTTP/1.1 200 OK\r\n\r\nbody"}};
    segb_raw_server *r = raw_start(whole, 2);

    raw_url(url, sizeof url, "http", r);
    post(t, url, "{}", &resp);
    assert_int_equal(resp.error, SEGB_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "ok");
    assert_int_equal(sbi_http_header(&resp, "X-A", v, sizeof v), 1);
    post(t, url, "{}", &resp);
    assert_int_equal(resp.error, SEGB_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "body");
    segb_raw_stop(r);
  }
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* The dates a server sends, as libcurl hands them over: Retry-After and
 * Date (IMF-fixdate), X-RateLimit-Reset (RFC 5322, with an offset) and
 * delay-seconds, read through the one HTTP-date wrapper. */
static void test_dates_off_the_wire(void **state) {
  /* Sun, 06 Nov 1994 08:49:37 GMT */
  const int64_t example_ms = INT64_C(784111777000);
  static const segb_raw_step replies[] = {
      {SEGB_RAW_REPLY, "HTTP/1.1 429 Too Many Requests\r\n"
                       "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                       "Retry-After: Sun, 06 Nov 1994 08:49:40 GMT\r\n"
                       "X-RateLimit-Reset: Sun, 06 Nov 1994 09:49:45 +0100\r\n"
                       "Content-Length: 0\r\n\r\n"},
      {SEGB_RAW_REPLY, "HTTP/1.1 503 Service Unavailable\r\n"
                       "Retry-After: 120\r\nContent-Length: 0\r\n\r\n"}};
  segb_raw_server *r = raw_start(replies, 2);
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  sbi_outcome o;
  int64_t at = -1, wait = -1;
  char url[64], v[64];
  (void)state;

  raw_url(url, sizeof url, "http", r);
  post(t, url, "{}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  o = sbi_http_outcome(&resp, SBI_PEER_TRACKING, example_ms, 300000);
  assert_int_equal(o.verdict, SBI_VERDICT_RETRY_AFTER);
  assert_int_equal(o.wait_ms, 3000);
  assert_int_equal(o.code, SEGB_ERR_RATE_LIMITED);
  assert_int_equal(sbi_http_header(&resp, "Date", v, sizeof v), 1);
  assert_int_equal(sbi_http_date(v, &at), 1);
  assert_int_equal(at, example_ms);
  assert_int_equal(sbi_http_header(&resp, "X-RateLimit-Reset", v, sizeof v), 1);
  assert_int_equal(sbi_http_date_wait(v, example_ms, &wait), 1);
  assert_int_equal(wait, 8000);

  post(t, url, "{}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  o = sbi_http_outcome(&resp, SBI_PEER_READ, example_ms, 300000);
  assert_int_equal(o.verdict, SBI_VERDICT_RETRY_AFTER);
  assert_int_equal(o.wait_ms, 120000);
  segb_raw_stop(r);
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* Which limit ended a request: a TLS handshake that never completes is
 * still connecting, so the connect timeout ends it when it is the
 * shortest; else the request's own or the transport's timeout. */
static void test_timeout_limits(void **state) {
  static const segb_raw_step hold = {SEGB_RAW_HOLD, NULL};
  segb_raw_server *r = raw_start(&hold, 1);
  sbi_transport_options o;
  sbi_transport *t;
  sbi_http_response resp = {0};
  sbi_http_request req;
  char url[64];
  (void)state;

  raw_url(url, sizeof url, "https", r);
  memset(&req, 0, sizeof req);
  req.method = "GET";
  req.url = url;

  o = options(GENEROUS_MS);
  o.connect_timeout_ms = 300;
  t = sbi_curl_transport_new(&o);
  assert_non_null(t);
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_TIMED_OUT);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_CONNECT);
  t->destroy(t);

  /* The shorter limit wins, whichever it is. */
  t = new_curl(GENEROUS_MS);
  req.timeout_ms = 300;
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_TIMED_OUT);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_CALLER);
  t->destroy(t);

  t = new_curl(300);
  req.timeout_ms = 0;
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_TIMED_OUT);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_TRANSPORT);
  t->destroy(t);

  /* Anything but a timeout names no limit. */
  segb_raw_stop(r);
  t = new_curl(GENEROUS_MS);
  req.url = "http://does-not-exist.invalid/";
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_DNS);
  assert_int_equal(resp.timed_out_by, SBI_LIMIT_NONE);
  t->destroy(t);
  sbi_http_response_free(&resp);
}

/* ---- TLS ---------------------------------------------------------------- */

static void test_tls(void **state) {
  char *cert, *key, *path;
  sbi_transport_options o;
  sbi_transport *t;
  sbi_http_response resp = {0};
  server *s;
  (void)state;

  if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
    skip();
  assert_int_equal(segb_test_make_cert(&cert, &key), 0);
  s = server_start(cert, key);
  server_reply(s, 200, "secure", 6);

  /* The system store does not know this certificate: final. */
  t = new_curl(GENEROUS_MS);
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_ERR_TLS);
  assert_non_null(strstr(resp.error_text, "127.0.0.1"));
  assert_int_equal(sbi_http_outcome(&resp, SBI_PEER_TRACKING, 0, 1000).verdict,
                   SBI_VERDICT_REJECTED);
  t->destroy(t);

  path = segb_test_temp_file(cert);
  assert_non_null(path);
  o = options(GENEROUS_MS);
  o.ca_file = path;
  t = sbi_curl_transport_new(&o);
  assert_non_null(t);
  post(t, s->base, "{}", &resp);
  assert_int_equal(resp.error, SEGB_OK);
  assert_int_equal(resp.status, 200);
  assert_string_equal(resp.body.data, "secure");
  t->destroy(t);

  unlink(path);
  free(path);
  server_stop(s);
  sbi_http_response_free(&resp);
  free(cert);
  free(key);
}

/* A handshake that breaks off (reset, or closed) says nothing about the
 * certificate: it is a network error, and retried. */
static void test_tls_handshake_broken(void **state) {
  static const segb_raw_action actions[] = {SEGB_RAW_RESET, SEGB_RAW_CLOSE};
  sbi_transport *t = new_curl(GENEROUS_MS);
  sbi_http_response resp = {0};
  char url[64];
  size_t i;
  (void)state;

  for (i = 0; i < sizeof actions / sizeof actions[0]; i++) {
    segb_raw_step step = {actions[i], NULL};
    segb_raw_server *r = raw_start(&step, 1);

    raw_url(url, sizeof url, "https", r);
    post(t, url, "{}", &resp);
    assert_int_equal(resp.error, SEGB_ERR_NETWORK);
    assert_int_equal(resp.status, 0);
    assert_non_null(strstr(resp.error_text, "127.0.0.1"));
    assert_int_equal(
        sbi_http_outcome(&resp, SBI_PEER_TRACKING, 0, 1000).verdict,
        SBI_VERDICT_RETRY);
    /* the client did get as far as the handshake */
    assert_int_equal(segb_raw_connections(r), 1);
    segb_raw_stop(r);
  }
  sbi_http_response_free(&resp);
  t->destroy(t);
}

/* ---- header block without a server -------------------------------------- */

#define FILLER "X-Filler: 0123456789abcdef\r\n"

static void take(sbi_http_response *resp, const char *line) {
  assert_int_equal(sbi_http_take_header_line(resp, line, strlen(line)),
                   SEGB_OK);
}

static void test_header_block(void **state) {
  sbi_http_response resp = {0};
  char v[32];
  size_t len = 0;
  (void)state;

  /* An interim answer's block is dropped with the next status line. */
  take(&resp, "HTTP/1.1 100 Continue\r\n");
  take(&resp, "X-Interim: 1\r\n");
  take(&resp, "\r\n");
  assert_int_equal(resp.header_end, 1);
  take(&resp, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(resp.header_end, 0);
  assert_int_equal(resp.headers.len, 0);
  take(&resp, "Retry-After: 3\r\n");
  take(&resp, "X-Bare-LF: yes\n");
  take(&resp, "X-No-Ending: ok");
  assert_int_equal(resp.header_end, 0);
  take(&resp, "\r\n");
  assert_int_equal(resp.header_end, 1);
  assert_int_equal(sbi_http_header(&resp, "x-interim", v, sizeof v), 0);
  assert_int_equal(sbi_http_header(&resp, "retry-after", v, sizeof v), 1);
  assert_string_equal(v, "3");
  assert_int_equal(sbi_http_header(&resp, "X-Bare-LF", v, sizeof v), 1);
  assert_string_equal(v, "yes");
  assert_int_equal(sbi_http_header(&resp, "X-No-Ending", v, sizeof v), 1);
  assert_string_equal(v, "ok");
  assert_null(strstr(resp.headers.data, "HTTP/"));

  /* Past the cap, lines are dropped whole; the block still ends. */
  sbi_http_response_reset(&resp);
  take(&resp, "HTTP/2 200\r\n");
  do {
    len = resp.headers.len;
    take(&resp, FILLER);
  } while (resp.headers.len > len);
  assert_true(resp.headers.len <= SBI_HTTP_MAX_HEADER_BYTES);
  assert_true(resp.headers.len + strlen(FILLER) > SBI_HTTP_MAX_HEADER_BYTES);
  assert_int_equal(resp.headers.len % strlen(FILLER), 0);
  take(&resp, "\r\n");
  assert_int_equal(resp.header_end, 1);
  sbi_http_response_reset(&resp);
  assert_int_equal(resp.header_end, 0);
  sbi_http_response_free(&resp);
}

/* ---- header lookup without a server ------------------------------------- */

static void set_headers(sbi_http_response *resp, const char *text) {
  sbi_buf_clear(&resp->headers);
  sbi_buf_puts(&resp->headers, text);
}

static void test_header_lookup(void **state) {
  sbi_http_response resp = {0};
  char v[32];
  char small[4];
  (void)state;

  /* Nothing received yet. */
  assert_int_equal(sbi_http_header(&resp, "Retry-After", v, sizeof v), 0);
  assert_string_equal(v, "");

  set_headers(&resp, "Content-Type: application/json\r\n"
                     "retry-after:   120  \r\n"
                     "X-Folded: first\r\n"
                     "   second\r\n"
                     "\tthird\r\n"
                     "X-Empty:\r\n"
                     "X-Dup: a\r\n"
                     "X-Dup: b\r\n"
                     "Retry-After-Extra: no\r\n");
  assert_int_equal(sbi_http_header(&resp, "Retry-After", v, sizeof v), 1);
  assert_string_equal(v, "120");
  assert_int_equal(sbi_http_header(&resp, "x-folded", v, sizeof v), 1);
  assert_string_equal(v, "first second third");
  assert_int_equal(sbi_http_header(&resp, "X-Empty", v, sizeof v), 1);
  assert_string_equal(v, "");
  assert_int_equal(sbi_http_header(&resp, "X-Dup", v, sizeof v), 1);
  assert_string_equal(v, "b");
  assert_int_equal(sbi_http_header(&resp, "Content", v, sizeof v), 0);
  assert_int_equal(sbi_http_header(&resp, "content-type", small, sizeof small),
                   1);
  assert_string_equal(small, "app");

  /* Bare LF endings and a last line without one. */
  set_headers(&resp, "A: 1\nB: 2");
  assert_int_equal(sbi_http_header(&resp, "b", v, sizeof v), 1);
  assert_string_equal(v, "2");

  sbi_http_response_reset(&resp);
  assert_int_equal(resp.headers.len, 0);
  assert_int_equal(sbi_http_header(&resp, "A", v, sizeof v), 0);
  sbi_http_response_free(&resp);
  assert_null(resp.headers.data);
}

/* ---- capture transport -------------------------------------------------- */

static void test_capture(void **state) {
  sbi_transport *t = sbi_capture_transport_new(202, "{\"success\":true}");
  sbi_http_response resp = {0};
  sbi_http_request req;
  const sbi_http_request *got;
  char url[] = "https://api.segment.io/v1/batch";
  char h0[] = "Content-Type: application/json";
  char h1[] = AUTH_LINE;
  char body[] = "{\"a\":\"\0\"}"; /* holds a NUL */
  (void)state;

  assert_non_null(t);
  memset(&req, 0, sizeof req);
  req.method = "POST";
  req.url = url;
  req.headers[0] = h0;
  req.headers[1] = h1;
  req.header_count = 2;
  req.body = body;
  req.body_len = sizeof body - 1;
  req.timeout_ms = 1234;
  assert_int_equal(t->send(t, &req, &resp), SEGB_OK);
  assert_int_equal(resp.status, 202);
  assert_string_equal(resp.body.data, "{\"success\":true}");

  /* The record is a deep copy. */
  memset(url, 'z', sizeof url - 1);
  memset(h1, 'z', sizeof h1 - 1);
  memset(body, 'z', sizeof body - 1);

  memset(&req, 0, sizeof req);
  req.method = "GET";
  req.url = "https://api.segmentapis.com/";
  assert_int_equal(t->send(t, &req, &resp), SEGB_OK);

  assert_int_equal(sbi_capture_count(t), 2);
  got = sbi_capture_at(t, 0);
  assert_string_equal(got->method, "POST");
  assert_string_equal(got->url, "https://api.segment.io/v1/batch");
  assert_int_equal(got->header_count, 2);
  assert_string_equal(got->headers[0], "Content-Type: application/json");
  assert_string_equal(got->headers[1], AUTH_LINE);
  assert_int_equal(got->body_len, 9);
  assert_memory_equal(got->body, "{\"a\":\"\0\"}", 9);
  assert_int_equal(got->timeout_ms, 1234);
  got = sbi_capture_at(t, 1);
  assert_string_equal(got->method, "GET");
  assert_int_equal(got->header_count, 0);
  assert_null(got->body);
  assert_int_equal(got->body_len, 0);
  assert_null(sbi_capture_at(t, 2));

  sbi_http_response_free(&resp);
  t->destroy(t);
}

static void test_too_many_headers(void **state) {
  sbi_transport *t = sbi_capture_transport_new(200, NULL);
  sbi_http_response resp = {0};
  sbi_http_request req;
  (void)state;

  memset(&req, 0, sizeof req);
  req.method = "GET";
  req.url = "http://127.0.0.1/";
  req.header_count = SBI_HTTP_MAX_HEADERS + 1;
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_INVALID_ARG);
  assert_int_equal(sbi_capture_count(t), 0);
  t->destroy(t);

  t = new_curl(1000);
  assert_int_equal(t->send(t, &req, &resp), SEGB_ERR_INVALID_ARG);
  t->destroy(t);
  sbi_http_response_free(&resp);
}

/* ---- global init -------------------------------------------------------- */

static void test_global_refcount(void **state) {
  sbi_transport *t;
  (void)state;

  assert_int_equal(segb_global_init(), 1);
  assert_int_equal(segb_global_init(), 2);
  assert_int_equal(segb_global_cleanup(), 1);
  assert_int_equal(segb_global_cleanup(), 0);
  assert_int_equal(segb_global_cleanup(), SEGB_ERR_INVALID_ARG);

  /* A transport holds its own reference. */
  t = new_curl(1000);
  assert_int_equal(sbi_global_init(), 2);
  t->destroy(t);
  assert_int_equal(sbi_global_cleanup(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_global_refcount),
      cmocka_unit_test(test_header_lookup),
      cmocka_unit_test(test_header_block),
      cmocka_unit_test(test_capture),
      cmocka_unit_test(test_too_many_headers),
      cmocka_unit_test(test_gzip_round_trip),
      cmocka_unit_test_setup_teardown(test_post_arrives_intact, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_no_expect_continue, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_connection_is_reused, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_response_headers, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_body_is_capped, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_gzip_request_body, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_timeout, setup_server,
                                      teardown_server),
      cmocka_unit_test_setup_teardown(test_server_closes, setup_server,
                                      teardown_server),
      cmocka_unit_test(test_reset_during_upload),
      cmocka_unit_test(test_cut_responses),
      cmocka_unit_test(test_timeout_limits),
      cmocka_unit_test(test_dates_off_the_wire),
      cmocka_unit_test(test_tls_handshake_broken),
      cmocka_unit_test(test_connect_refused),
      cmocka_unit_test(test_dns_failure),
      cmocka_unit_test(test_tls),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
