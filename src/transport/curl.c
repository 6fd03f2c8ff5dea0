/* The libcurl transport. One easy handle per transport, reused for every
 * request, so libcurl keeps the TCP/TLS connection alive between batches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <segbridge/error.h>
#include <segbridge/version.h>

#include "core/err.h"
#include "core/secret.h"
#include "gzip.h"
#include "transport.h"

typedef struct sbi_curl {
  sbi_transport base; /* first, so the transport pointer is the sbi_curl */
  CURL *easy;
  int64_t timeout_ms;         /* the transport's cap; 0 for none */
  int64_t connect_timeout_ms; /* 0 for libcurl's default */
  int gzip;
  sbi_buf gz;              /* compressed body of the current request */
  sbi_http_response *resp; /* filled by the callbacks during a request */
  int nomem;               /* a callback ran out of memory */
  char errbuf[CURL_ERROR_SIZE];
  sbi_logger log;
} sbi_curl;

/* libcurl's connect timeout when none is set. */
#define SBI_CURL_CONNECT_DEFAULT_MS 300000

static size_t on_header(char *line, size_t size, size_t n, void *userdata) {
  sbi_curl *c = userdata;

  if (sbi_http_take_header_line(c->resp, line, size * n) != SEGB_OK) {
    c->nomem = 1;
    return 0;
  }
  return size * n;
}

/* Bytes past SBI_HTTP_MAX_BODY are read and dropped, not treated as an
 * error: the status line and headers still tell the outcome. */
static size_t on_body(char *data, size_t size, size_t n, void *userdata) {
  sbi_curl *c = userdata;
  sbi_buf *b = &c->resp->body;
  size_t len = size * n;
  size_t keep = SBI_HTTP_MAX_BODY - b->len;

  if (keep > len)
    keep = len;
  if (keep > 0 && sbi_buf_append(b, data, keep) != SEGB_OK) {
    c->nomem = 1;
    return 0;
  }
  return len;
}

/* Only what retrying cannot mend is SEGB_ERR_TLS: the server's certificate
 * or the local TLS setup was refused. A handshake that broke off (a reset,
 * an early close, a middlebox) is CURLE_SSL_CONNECT_ERROR, a network error
 * like any other connection that broke. */
static int map_error(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return SEGB_ERR_DNS;
  case CURLE_COULDNT_CONNECT:
    return SEGB_ERR_CONNECT;
  case CURLE_OPERATION_TIMEDOUT:
    return SEGB_ERR_TIMED_OUT;
  case CURLE_PEER_FAILED_VERIFICATION: /* also CURLE_SSL_CACERT */
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_USE_SSL_FAILED:
    return SEGB_ERR_TLS;
  case CURLE_OUT_OF_MEMORY:
    return SEGB_ERR_NOMEM;
  default:
    return SEGB_ERR_NETWORK;
  }
}

/* Which limit ended a timed-out request that had @timeout_ms (the smaller
 * of the transport's cap and the request's own, @caller when the request's
 * was smaller). libcurl's connect timeout covers the TLS handshake too and
 * counts until the request is about to go out. */
static sbi_http_limit limit_hit(const sbi_curl *c, int64_t timeout_ms,
                                int caller) {
  int64_t connect_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms
                                                 : SBI_CURL_CONNECT_DEFAULT_MS;
  curl_off_t pretransfer_us = 0;

  curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  if (pretransfer_us == 0 && (timeout_ms == 0 || connect_ms < timeout_ms))
    return SBI_LIMIT_CONNECT;
  return caller ? SBI_LIMIT_CALLER : SBI_LIMIT_TRANSPORT;
}

/* "request to <host>[:<port>] failed: <libcurl's reason>". Only the host
 * and port of the URL are named: userinfo, path and query may hold
 * credentials. libcurl's messages name hosts, never header values. */
static void describe_failure(const sbi_curl *c, const char *url, CURLcode rc,
                             char *out, size_t size) {
  CURLU *u = curl_url();
  char *host = NULL;
  char *port = NULL;
  const char *reason =
      c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc);

  if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, 0);
  }
  /* libcurl's reasons are short; bounding one keeps -Wformat-truncation
   * quiet. */
  snprintf(out, size, "request to %s%s%s failed: %.180s",
           host != NULL ? host : "(unparsable URL)", port != NULL ? ":" : "",
           port != NULL ? port : "", reason);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
}

static int add_header(struct curl_slist **list, const char *line) {
  struct curl_slist *l = curl_slist_append(*list, line);

  if (l == NULL)
    return SEGB_ERR_NOMEM;
  *list = l;
  return SEGB_OK;
}

/* curl_slist_append copied each line; the copies of Authorization and the
 * like must not outlive the request. */
static void free_headers(struct curl_slist *list) {
  struct curl_slist *l;

  for (l = list; l != NULL; l = l->next)
    sbi_secret_wipe(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

/* Header list and body for @req; the body may be c->gz. */
static int prepare(sbi_curl *c, const sbi_http_request *req,
                   struct curl_slist **list, const char **body,
                   size_t *body_len) {
  size_t i;

  *body = req->body;
  *body_len = req->body_len;
  for (i = 0; i < req->header_count; i++)
    if (add_header(list, req->headers[i]) != SEGB_OK)
      return SEGB_ERR_NOMEM;
  /* An empty Expect stops libcurl from waiting for 100-continue on large
   * bodies, which costs a round trip or a one-second stall. */
  if (add_header(list, "Expect:") != SEGB_OK)
    return SEGB_ERR_NOMEM;
  if (c->gzip && req->body != NULL) {
    sbi_buf_clear(&c->gz);
    if (sbi_gzip(req->body, req->body_len, &c->gz) != SEGB_OK ||
        add_header(list, "Content-Encoding: gzip") != SEGB_OK)
      return SEGB_ERR_NOMEM;
    *body = c->gz.data;
    *body_len = c->gz.len;
  }
  return SEGB_OK;
}

static void set_method(CURL *easy, const char *method, const char *body,
                       size_t body_len) {
  const char *custom;

  if (body != NULL || strcmp(method, "POST") == 0) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body != NULL ? body : "");
    custom = strcmp(method, "POST") != 0 ? method : NULL;
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    custom = strcmp(method, "GET") != 0 ? method : NULL;
  }
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, custom);
}

static int transport_send(sbi_transport *t, const sbi_http_request *req,
                          sbi_http_response *resp) {
  sbi_curl *c = (sbi_curl *)t;
  struct curl_slist *list = NULL;
  const char *body;
  size_t body_len;
  int64_t timeout_ms;
  int caller;
  curl_off_t total_us = 0;
  long status = 0;
  CURLcode rc;

  sbi_http_response_reset(resp);
  if (req->header_count > SBI_HTTP_MAX_HEADERS) {
    snprintf(resp->error_text, sizeof resp->error_text,
             "more than %d request headers", SBI_HTTP_MAX_HEADERS);
    return resp->error = SEGB_ERR_INVALID_ARG;
  }
  if (prepare(c, req, &list, &body, &body_len) != SEGB_OK) {
    free_headers(list);
    snprintf(resp->error_text, sizeof resp->error_text,
             "out of memory preparing a request");
    return resp->error = SEGB_ERR_NOMEM;
  }
  timeout_ms = c->timeout_ms;
  caller =
      req->timeout_ms > 0 && (timeout_ms == 0 || req->timeout_ms < timeout_ms);
  if (caller)
    timeout_ms = req->timeout_ms;
  curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  curl_easy_setopt(c->easy, CURLOPT_URL, req->url);
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, list);
  set_method(c->easy, req->method, body, body_len);
  c->resp = resp;
  c->nomem = 0;
  c->errbuf[0] = '\0';

  rc = curl_easy_perform(c->easy);

  /* The handle must not keep a pointer to the list freed below. */
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
  free_headers(list);
  c->resp = NULL;
  curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  resp->elapsed_us = (int64_t)total_us;
  if (rc == CURLE_OK && resp->header_end) {
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    sbi_http_log(&c->log, req, body_len, resp);
    return SEGB_OK;
  }
  /* A partial response is no response: callers must not act on it. */
  sbi_buf_clear(&resp->headers);
  sbi_buf_clear(&resp->body);
  if (rc == CURLE_OK) {
    /* libcurl takes a close inside the header block for the end of a
     * response without a body; the status line alone proves nothing. */
    resp->error = SEGB_ERR_NETWORK;
    snprintf(c->errbuf, sizeof c->errbuf,
             "the connection closed inside the response's header block");
  } else {
    resp->error = c->nomem ? SEGB_ERR_NOMEM : map_error(rc);
  }
  if (resp->error == SEGB_ERR_TIMED_OUT)
    resp->timed_out_by = limit_hit(c, timeout_ms, caller);
  describe_failure(c, req->url, rc, resp->error_text, sizeof resp->error_text);
  sbi_http_log(&c->log, req, body_len, resp);
  return resp->error;
}

static void transport_destroy(sbi_transport *t) {
  sbi_curl *c = (sbi_curl *)t;

  curl_easy_cleanup(c->easy);
  /* The body may have carried a write key. */
  sbi_secret_wipe(c->gz.data, c->gz.cap);
  sbi_buf_free(&c->gz);
  free(c);
  sbi_global_cleanup();
}

/* Options that stay the same for every request on this handle. */
static CURLcode configure(sbi_curl *c, const sbi_transport_options *o) {
  CURL *e = c->easy;
  CURLcode rc;

  if ((rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
      /* TLS 1.2 is the floor; libcurl may negotiate newer. */
      (rc = curl_easy_setopt(e, CURLOPT_SSLVERSION,
                             (long)CURL_SSLVERSION_TLSv1_2)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https")) !=
          CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_USERAGENT,
                             SBI_USER_AGENT_PREFIX SEGB_VERSION_STR)) !=
          CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header)) !=
          CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_HEADERDATA, c)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_WRITEDATA, c)) != CURLE_OK)
    return rc;
  if (o->connect_timeout_ms > 0 &&
      (rc = curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                             (long)o->connect_timeout_ms)) != CURLE_OK)
    return rc;
  if (o->ca_file != NULL &&
      (rc = curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file)) != CURLE_OK)
    return rc;
  if (o->ca_path != NULL &&
      (rc = curl_easy_setopt(e, CURLOPT_CAPATH, o->ca_path)) != CURLE_OK)
    return rc;
  if (o->proxy != NULL &&
      (rc = curl_easy_setopt(e, CURLOPT_PROXY, o->proxy)) != CURLE_OK)
    return rc;
  return CURLE_OK;
}

sbi_transport *sbi_curl_transport_new(const sbi_transport_options *opts) {
  sbi_curl *c;
  CURLcode rc;

  /* Holding a reference makes a client work without segb_global_init(). */
  if (sbi_global_init() < 0)
    return NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL || (c->easy = curl_easy_init()) == NULL) {
    free(c);
    sbi_global_cleanup();
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a libcurl handle");
    return NULL;
  }
  c->base.send = transport_send;
  c->base.destroy = transport_destroy;
  c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;
  c->connect_timeout_ms =
      opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 0;
  c->gzip = opts->gzip;
  if (opts->log != NULL)
    c->log = *opts->log;
  rc = configure(c, opts);
  if (rc != CURLE_OK) {
    transport_destroy(&c->base);
    sbi_error(rc == CURLE_OUT_OF_MEMORY ? SEGB_ERR_NOMEM : SEGB_ERR_SYSTEM,
              "libcurl rejected the transport settings: %s",
              curl_easy_strerror(rc));
    return NULL;
  }
  return &c->base;
}
