/* One request on one libcurl easy handle: the handle's options, the
 * request's setup, the callbacks filling its response, and the mapping of
 * how it ended. The blocking transport and the multi both run requests in
 * slots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <segbridge/error.h>
#include <segbridge/version.h>

#include "core/secret.h"
#include "curl_slot.h"
#include "gzip.h"
#include "sockets.h"

/* libcurl's connect timeout when none is set. */
#define SBI_CURL_CONNECT_DEFAULT_MS 300000

static char *dup_or_null(const char *s, int *failed) {
  char *d;

  if (s == NULL)
    return NULL;
  d = strdup(s);
  if (d == NULL)
    *failed = 1;
  return d;
}

int sbi_curl_config_init(sbi_curl_config *cfg, const sbi_transport_options *o) {
  int failed = 0;

  memset(cfg, 0, sizeof *cfg);
  cfg->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 0;
  cfg->connect_timeout_ms =
      o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 0;
  cfg->gzip = o->gzip;
  if (o->log != NULL)
    cfg->log = *o->log;
  cfg->ca_file = dup_or_null(o->ca_file, &failed);
  cfg->ca_path = dup_or_null(o->ca_path, &failed);
  cfg->proxy = dup_or_null(o->proxy, &failed);
  if (failed) {
    sbi_curl_config_free(cfg);
    return SEGB_ERR_NOMEM;
  }
  return SEGB_OK;
}

void sbi_curl_config_free(sbi_curl_config *cfg) {
  free(cfg->ca_file);
  free(cfg->ca_path);
  /* A proxy URL may carry its user's password. */
  sbi_secret_free(cfg->proxy);
  memset(cfg, 0, sizeof *cfg);
}

static size_t on_header(char *line, size_t size, size_t n, void *userdata) {
  sbi_curl_slot *s = userdata;

  if (sbi_http_take_header_line(s->resp, line, size * n) != SEGB_OK) {
    s->nomem = 1;
    return 0;
  }
  return size * n;
}

/* Bytes past SBI_HTTP_MAX_BODY are read and dropped, not treated as an
 * error: the status line and headers still tell the outcome. */
static size_t on_body(char *data, size_t size, size_t n, void *userdata) {
  sbi_curl_slot *s = userdata;
  sbi_buf *b = &s->resp->body;
  size_t len = size * n;
  size_t keep = SBI_HTTP_MAX_BODY - b->len;

  if (keep > len)
    keep = len;
  if (keep > 0 && sbi_buf_append(b, data, keep) != SEGB_OK) {
    s->nomem = 1;
    return 0;
  }
  return len;
}

/* Every socket a handle opens is recorded, for a forked child to let go
 * of (sockets.h); close-on-exec, so that a program the host runs does not
 * hold the library's connections open either. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
                                 struct curl_sockaddr *addr) {
  int fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);

  (void)clientp;
  (void)purpose;
  if (fd >= 0 && sbi_sockets_add(fd) != SEGB_OK) {
    close(fd);
    return CURL_SOCKET_BAD;
  }
  return fd >= 0 ? fd : CURL_SOCKET_BAD;
}

static int close_socket(void *clientp, curl_socket_t fd) {
  (void)clientp;
  sbi_sockets_remove(fd);
  return close(fd);
}

/* Options that stay the same for every request on the handle. */
static CURLcode configure(sbi_curl_slot *s) {
  const sbi_curl_config *o = s->cfg;
  CURL *e = s->easy;
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
      (rc = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header)) !=
          CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_HEADERDATA, s)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_WRITEDATA, s)) != CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket)) !=
          CURLE_OK ||
      (rc = curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket)) !=
          CURLE_OK)
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

CURLcode sbi_curl_slot_init(sbi_curl_slot *s, const sbi_curl_config *cfg) {
  memset(s, 0, sizeof *s);
  s->cfg = cfg;
  s->easy = curl_easy_init();
  if (s->easy == NULL)
    return CURLE_OUT_OF_MEMORY;
  return configure(s);
}

void sbi_curl_slot_cleanup(sbi_curl_slot *s) {
  curl_easy_cleanup(s->easy);
  s->easy = NULL;
  /* The body may have carried a write key. */
  sbi_secret_wipe(s->gz.data, s->gz.cap);
  sbi_buf_free(&s->gz);
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

/* Which limit ended a timed-out request. libcurl's connect timeout covers
 * the TLS handshake too and counts until the request is about to go out. */
static sbi_http_limit limit_hit(const sbi_curl_slot *s) {
  int64_t connect_ms = s->cfg->connect_timeout_ms > 0
                           ? s->cfg->connect_timeout_ms
                           : SBI_CURL_CONNECT_DEFAULT_MS;
  curl_off_t pretransfer_us = 0;

  curl_easy_getinfo(s->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  if (pretransfer_us == 0 && (s->timeout_ms == 0 || connect_ms < s->timeout_ms))
    return SBI_LIMIT_CONNECT;
  return s->caller ? SBI_LIMIT_CALLER : SBI_LIMIT_TRANSPORT;
}

/* "request to <host>[:<port>] failed: <libcurl's reason>". Only the host
 * and port of the URL are named: userinfo, path and query may hold
 * credentials. libcurl's messages name hosts, never header values. */
static void describe_failure(const sbi_curl_slot *s, CURLcode rc, char *out,
                             size_t size) {
  CURLU *u = curl_url();
  char *host = NULL;
  char *port = NULL;
  const char *reason =
      s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);

  if (u != NULL && curl_url_set(u, CURLUPART_URL, s->url, 0) == CURLUE_OK) {
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

/* Header list and body for @req; the body may be s->gz. */
static int prepare(sbi_curl_slot *s, const sbi_http_request *req,
                   const char **body, size_t *body_len) {
  size_t i;

  *body = req->body;
  *body_len = req->body_len;
  for (i = 0; i < req->header_count; i++)
    if (add_header(&s->headers, req->headers[i]) != SEGB_OK)
      return SEGB_ERR_NOMEM;
  /* An empty Expect stops libcurl from waiting for 100-continue on large
   * bodies, which costs a round trip or a one-second stall. */
  if (add_header(&s->headers, "Expect:") != SEGB_OK)
    return SEGB_ERR_NOMEM;
  if (s->cfg->gzip && req->body != NULL) {
    sbi_buf_clear(&s->gz);
    if (sbi_gzip(req->body, req->body_len, &s->gz) != SEGB_OK ||
        add_header(&s->headers, "Content-Encoding: gzip") != SEGB_OK)
      return SEGB_ERR_NOMEM;
    *body = s->gz.data;
    *body_len = s->gz.len;
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

int sbi_curl_slot_begin(sbi_curl_slot *s, const sbi_http_request *req,
                        sbi_http_response *resp) {
  const char *body;
  size_t body_len;

  sbi_http_response_reset(resp);
  if (req->header_count > SBI_HTTP_MAX_HEADERS) {
    snprintf(resp->error_text, sizeof resp->error_text,
             "more than %d request headers", SBI_HTTP_MAX_HEADERS);
    return resp->error = SEGB_ERR_INVALID_ARG;
  }
  if (prepare(s, req, &body, &body_len) != SEGB_OK) {
    free_headers(s->headers);
    s->headers = NULL;
    snprintf(resp->error_text, sizeof resp->error_text,
             "out of memory preparing a request");
    return resp->error = SEGB_ERR_NOMEM;
  }
  s->timeout_ms = s->cfg->timeout_ms;
  s->caller = req->timeout_ms > 0 &&
              (s->timeout_ms == 0 || req->timeout_ms < s->timeout_ms);
  if (s->caller)
    s->timeout_ms = req->timeout_ms;
  curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
  curl_easy_setopt(s->easy, CURLOPT_URL, req->url);
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
  set_method(s->easy, req->method, body, body_len);
  s->resp = resp;
  s->url = req->url;
  s->method = req->method;
  s->sent_bytes = body_len;
  s->nomem = 0;
  s->errbuf[0] = '\0';
  return SEGB_OK;
}

void sbi_curl_slot_drop(sbi_curl_slot *s) {
  /* The handle must not keep a pointer to the list freed here. */
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, NULL);
  free_headers(s->headers);
  s->headers = NULL;
  s->resp = NULL;
  s->url = NULL;
}

/* The debug=http line of the request ending now. */
static void log_exchange(const sbi_curl_slot *s) {
  sbi_http_request req = {0};

  req.method = s->method;
  req.url = s->url;
  sbi_http_log(&s->cfg->log, &req, s->sent_bytes, s->resp);
}

int sbi_curl_slot_finish(sbi_curl_slot *s, CURLcode rc) {
  sbi_http_response *resp = s->resp;
  curl_off_t total_us = 0;
  long status = 0;

  curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  resp->elapsed_us = (int64_t)total_us;
  if (rc == CURLE_OK && resp->header_end) {
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    log_exchange(s);
    sbi_curl_slot_drop(s);
    return SEGB_OK;
  }
  /* A partial response is no response: callers must not act on it. */
  sbi_buf_clear(&resp->headers);
  sbi_buf_clear(&resp->body);
  if (rc == CURLE_OK) {
    /* libcurl takes a close inside the header block for the end of a
     * response without a body; the status line alone proves nothing. */
    resp->error = SEGB_ERR_NETWORK;
    snprintf(s->errbuf, sizeof s->errbuf,
             "the connection closed inside the response's header block");
  } else {
    resp->error = s->nomem ? SEGB_ERR_NOMEM : map_error(rc);
  }
  if (resp->error == SEGB_ERR_TIMED_OUT)
    resp->timed_out_by = limit_hit(s);
  describe_failure(s, rc, resp->error_text, sizeof resp->error_text);
  log_exchange(s);
  sbi_curl_slot_drop(s);
  return resp->error;
}
