/*
 * libmicrohttpd plumbing: one thread per connection (so a DELAY fault or
 * the latency holds up only its own connection), bodies collected with a
 * cap, then for each request: decode, pick a fault, validate, record, wait
 * out the latency, answer.
 */
#include "mock_internal.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Idle keep-alive connections are closed after this long. */
#define SBM_IDLE_TIMEOUT_S 60u

typedef struct upload {
  char *data; /* NUL-terminated */
  size_t len, cap;
  int too_big;  /* past SBM_MAX_RAW_BYTES: the rest is read and discarded */
  int started;  /* the first call, headers only, was answered */
  char *target; /* the request target as sent: %-encoded, query included */
  struct timespec arrived; /* headers in (CLOCK_MONOTONIC): the latency
                              counts from here */
} upload;

/* Runs first for each request, with the target as sent: the path MHD hands
 * the handler is %-decoded, where an encoded '/' in a Profile API
 * identifier can no longer be told from a separator. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  upload *u = calloc(1, sizeof *u);
  if (u && !(u->target = strdup(uri))) {
    free(u);
    u = NULL;
  }
  return u;
}

static int collect(upload *u, const char *data, size_t n) {
  if (u->too_big)
    return 0;
  if (n > SBM_MAX_RAW_BYTES - u->len) {
    u->too_big = 1;
    free(u->data);
    u->data = NULL;
    u->len = u->cap = 0;
    return 0;
  }
  if (u->len + n + 1 > u->cap) {
    size_t cap = u->cap ? u->cap : 4096;
    while (cap < u->len + n + 1)
      cap *= 2;
    char *grown = realloc(u->data, cap);
    if (!grown)
      return -1;
    u->data = grown;
    u->cap = cap;
  }
  memcpy(u->data + u->len, data, n);
  u->len += n;
  u->data[u->len] = '\0';
  return 0;
}

typedef struct header_copy {
  sbm_request *req;
  int failed;
} header_copy;

static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value) {
  (void)kind;
  header_copy *hc = cls;
  if (sbm_request_add_header(hc->req, key, value) != 0) {
    hc->failed = 1;
    return MHD_NO;
  }
  return MHD_YES;
}

static struct timespec after_ms(struct timespec t, int ms) {
  t.tv_sec += ms / 1000;
  t.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000L;
  }
  return t;
}

/* Sleep until @until (CLOCK_MONOTONIC), or less if the mock is stopping. */
static void sleep_until(sbm_mock *m, struct timespec until) {
  pthread_mutex_lock(&m->stop_lock);
  while (!m->stopping && pthread_cond_timedwait(&m->stop_cond, &m->stop_lock,
                                                &until) != ETIMEDOUT)
    ;
  pthread_mutex_unlock(&m->stop_lock);
}

/* Sleep @ms milliseconds, or less if the mock is stopping. */
static void delay(sbm_mock *m, int ms) {
  if (ms <= 0)
    return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  sleep_until(m, after_ms(now, ms));
}

static void inject(sbm_verdict *v, sbm_fault fault, int arg) {
  switch (fault) {
  case SBM_FAULT_500:
    sbm_verdict_fail(v, 500, SBM_OUT_FAULT, "injected fault: server error");
    break;
  case SBM_FAULT_503:
    sbm_verdict_fail(v, 503, SBM_OUT_FAULT,
                     "injected fault: service unavailable");
    break;
  case SBM_FAULT_429:
    sbm_verdict_fail(v, 429, SBM_OUT_FAULT, "injected fault: rate limited");
    v->retry_after = arg > 0 ? arg : 0;
    break;
  case SBM_FAULT_RESET:
    sbm_verdict_fail(v, 0, SBM_OUT_FAULT, "injected fault: connection reset");
    break;
  case SBM_FAULT_400:
    sbm_verdict_fail(v, 400, SBM_OUT_FAULT,
                     "injected fault: Exceed payload limit");
    break;
  case SBM_FAULT_401:
    sbm_verdict_fail(v, 401, SBM_OUT_FAULT, "injected fault: invalid writeKey");
    break;
  case SBM_FAULT_NONE:
  case SBM_FAULT_DELAY:
    break;
  }
}

/* Turn the upload into the body the request log keeps and validation sees.
 * Returns 0 and leaves @v alone when decoding worked, fills @v with the
 * error otherwise, or -1 when out of memory. */
static int decode_body(struct MHD_Connection *c, upload *u, sbm_request *req,
                       sbm_verdict *v) {
  const char *enc = MHD_lookup_connection_value(
      c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
  if (!u->data && (u->data = calloc(1, 1)) == NULL)
    return -1;
  if (u->too_big) {
    sbm_verdict_fail(v, 413, SBM_OUT_REJECTED,
                     "the body is over %u bytes; nothing was read",
                     SBM_MAX_RAW_BYTES);
  } else if (enc &&
             (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0)) {
    char *out;
    size_t out_len;
    switch (
        sbm_gunzip(u->data, u->len, SBM_MAX_INFLATED_BYTES, &out, &out_len)) {
    case SBM_INFLATE_OK:
      req->body = out;
      req->body_len = out_len;
      return 0;
    case SBM_INFLATE_MALFORMED:
      sbm_verdict_fail(v, 400, SBM_OUT_REJECTED, "malformed gzip body");
      break;
    case SBM_INFLATE_TOO_BIG:
      sbm_verdict_fail(v, 413, SBM_OUT_REJECTED,
                       "the gzip body inflates past %u bytes",
                       SBM_MAX_INFLATED_BYTES);
      break;
    case SBM_INFLATE_NOMEM:
      return -1;
    }
  } else if (enc && strcasecmp(enc, "identity") != 0) {
    sbm_verdict_fail(v, 415, SBM_OUT_REJECTED,
                     "unsupported Content-Encoding: %.64s", enc);
  }
  /* Not decoded: the log keeps the bytes as received. */
  req->body = u->data;
  req->body_len = u->len;
  u->data = NULL;
  return 0;
}

const char *sbm_query_arg(const sbm_vinput *in, const char *name) {
  return MHD_lookup_connection_value(in->connection, MHD_GET_ARGUMENT_KIND,
                                     name);
}

/* The Tracking API's answer: {"success":true} or {"success":false,
 * "error":...}; the other APIs bring their own body in v->reply. */
static char *envelope(const sbm_verdict *v) {
  cJSON *o = cJSON_CreateObject();
  char *text;

  if (!o || !cJSON_AddBoolToObject(o, "success", v->status == 200) ||
      (v->status != 200 && !cJSON_AddStringToObject(o, "error", v->error))) {
    cJSON_Delete(o);
    return NULL;
  }
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

/* An IMF-fixdate (RFC 9110 §5.6.7) of @ms, whatever the locale. */
static void http_date(int64_t ms, char *out, size_t size) {
  static const char days[][4] = {"Sun", "Mon", "Tue", "Wed",
                                 "Thu", "Fri", "Sat"};
  static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = (time_t)(ms / 1000);
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

static enum MHD_Result respond(sbm_mock *m, struct MHD_Connection *c,
                               const sbm_verdict *v) {
  char *text = v->reply != NULL ? v->reply : envelope(v);
  if (!text)
    return MHD_NO;
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(text), text, MHD_RESPMEM_MUST_COPY);
  if (text != v->reply)
    cJSON_free(text);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (v->retry_after >= 0) {
    char secs[16];
    snprintf(secs, sizeof secs, "%d", v->retry_after);
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    MHD_add_response_header(r, "X-RateLimit-Reset", secs);
  }
  if (v->status == 405)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
  if (m->clock_offset_s != 0) { /* else libmicrohttpd's own Date is right */
    char date[40];
    http_date(sbm_clock_ms(m), date, sizeof date);
    MHD_add_response_header(r, MHD_HTTP_HEADER_DATE, date);
  }
  enum MHD_Result rc = MHD_queue_response(c, v->status, r);
  MHD_destroy_response(r);
  return rc;
}

/* Before the commit, which takes the events over. */
static void log_line(const char *method, const char *path,
                     const sbm_verdict *v) {
  size_t events = v->n_events;
  if (v->status == 0)
    fprintf(stderr, "mock: %s %s reset (%s)\n", method, path, v->error);
  else if (v->status == 200 && v->outcome == SBM_OUT_ACCEPTED)
    fprintf(stderr, "mock: %s %s 200 %zu event%s\n", method, path, events,
            events == 1 ? "" : "s");
  else
    fprintf(stderr, "mock: %s %s %u (%s)\n", method, path, v->status, v->error);
}

/* The whole request is in: answer it. */
static enum MHD_Result answer(sbm_mock *m, struct MHD_Connection *c,
                              const char *url, const char *method, upload *u) {
  if (sbm_debugger_path(m, method, url)) /* no fault, not logged */
    return (enum MHD_Result)sbm_debugger_answer(m, c, url);
  sbm_verdict v = {.retry_after = -1};
  size_t received = u->len;
  sbm_request *req = calloc(1, sizeof *req);
  header_copy hc = {req, 0};
  if (!req || !(req->path = strdup(url))) {
    sbm_request_free(req);
    return MHD_NO;
  }
  MHD_get_connection_values(c, MHD_HEADER_KIND, copy_header, &hc);
  if (hc.failed || decode_body(c, u, req, &v) != 0) {
    sbm_request_free(req);
    return MHD_NO;
  }
  int arg;
  sbm_fault fault = sbm_faults_next(&m->faults, &arg);
  if (fault == SBM_FAULT_DELAY)
    delay(m, arg);
  if (fault != SBM_FAULT_NONE && fault != SBM_FAULT_DELAY) {
    inject(&v, fault, arg);   /* replaces a decoding error too */
  } else if (v.status == 0) { /* decoded fine */
    sbm_vinput in = {
        .method = method,
        .path = url,
        .authorization = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .content_type = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = req->body,
        .body_len = req->body_len,
        .write_key = m->write_key,
        .mock = m,
        .connection = c,
        .target = u->target,
        .refuse_poison = m->refuse_poison,
        .max_body = m->max_body,
    };
    sbm_validate(&in, &v);
  }
  if (!m->quiet)
    log_line(method, url, &v);
  sbm_feed feed = {0};
  if (m->debugger)
    sbm_feed_init(&feed, m, req, &v, received);
  size_t index = sbm_store_commit(&m->store, req, &v, feed.duplicate);
  if (m->debugger)
    sbm_feed_publish(m->debugger, &feed, index);
  /* Counted and logged already: a test sees the request while it waits. */
  if (m->latency_ms > 0 && sbm_is_tracking_path(url))
    sleep_until(m, after_ms(after_ms(u->arrived, m->latency_ms),
                            fault == SBM_FAULT_DELAY ? arg : 0));
  /* A reset is a connection closed with no answer at all. */
  enum MHD_Result rc = v.status == 0 ? MHD_NO : respond(m, c, &v);
  sbm_verdict_free(&v);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **ctx) {
  (void)version;
  upload *u = *ctx;
  if (!u || !u->started) {
    /* First call, headers only: returning without a response lets MHD
     * answer "Expect: 100-continue" and read the body. */
    if (!u && !(*ctx = u = calloc(1, sizeof *u)))
      return MHD_NO;
    u->started = 1;
    clock_gettime(CLOCK_MONOTONIC, &u->arrived);
    return MHD_YES;
  }
  if (*data_size) {
    int rc = collect(u, data, *data_size);
    *data_size = 0;
    return rc == 0 ? MHD_YES : MHD_NO;
  }
  return answer(cls, c, url, method, u);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  upload *u = *ctx;
  if (u) {
    free(u->data);
    free(u->target);
    free(u);
    *ctx = NULL;
  }
}

/* libmicrohttpd's own messages, marked as the mock's. A RESET fault shows
 * up here as "Application reported internal error, closing connection". */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  fprintf(stderr, "mock: libmicrohttpd: %s%s", line,
          line[0] && line[strlen(line) - 1] == '\n' ? "" : "\n");
}

int sbm_http_start(sbm_mock *m, uint16_t port, char *errstr,
                   size_t errstr_size) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  /* MHD_USE_AUTO: poll(), not select(), which cannot watch a descriptor
   * past FD_SETSIZE (1024) and so fails in a host with many files open. */
  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
                       MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
  if (!m->quiet)
    flags |= MHD_USE_ERROR_LOG;
  struct MHD_OptionItem tls[] = {
      {MHD_OPTION_HTTPS_MEM_CERT, 0, m->tls_cert},
      {MHD_OPTION_HTTPS_MEM_KEY, 0, m->tls_key},
      {MHD_OPTION_END, 0, NULL},
  };
  if (m->tls_cert) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      snprintf(errstr, errstr_size, "this libmicrohttpd has no TLS support");
      return -1;
    }
    flags |= MHD_USE_TLS;
  }
  errno = 0;
  m->daemon = MHD_start_daemon(
      flags, port, NULL, NULL, on_request, m,
      /* The logger first: MHD logs options parsed before it its own way. */
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
      SBM_IDLE_TIMEOUT_S, MHD_OPTION_ARRAY, m->tls_cert ? tls : &tls[2],
      MHD_OPTION_END);
  if (!m->daemon) {
    int err = errno;
    snprintf(errstr, errstr_size, "cannot serve %s on 127.0.0.1:%u: %s",
             m->tls_cert ? "HTTPS" : "HTTP", (unsigned)port,
             err == EADDRINUSE ? "the port is in use"
             : m->tls_cert ? "libmicrohttpd failed to start (bad certificate "
                             "or key?)"
                           : "libmicrohttpd failed to start");
    return -1;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
  m->port = info ? info->port : port;
  return 0;
}

void sbm_http_stop(sbm_mock *m) {
  if (m->daemon)
    MHD_stop_daemon(m->daemon);
  m->daemon = NULL;
}
