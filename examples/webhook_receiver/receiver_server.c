/* The HTTP side of the receiver: libmicrohttpd on one internal thread
 * (requests are answered one at a time, so the output needs no lock),
 * bodies collected up to the limit, then segb_receiver_handle(). */
#include "receiver.h"

#include <segbridge/segbridge.h>

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct server {
  segb_webhook_t *wh;
  size_t max_body;
  FILE *out, *log;
  unsigned long requests, accepted, refused;
} server;

typedef struct upload {
  char *data;
  size_t len, cap;
  int too_big; /* past the limit: the rest is read and dropped */
} upload;

static int collect(upload *u, const char *data, size_t n, size_t max) {
  if (u->too_big)
    return 0;
  if (n > max - u->len) {
    u->too_big = 1;
    return 0;
  }
  if (u->len + n > u->cap) {
    size_t cap = u->cap > 0 ? u->cap : 4096;
    char *grown;

    while (cap < u->len + n)
      cap *= 2;
    grown = realloc(u->data, cap);
    if (grown == NULL)
      return -1;
    u->data = grown;
    u->cap = cap;
  }
  memcpy(u->data + u->len, data, n);
  u->len += n;
  return 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
                                  const receiver_reply *r) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(r->body), (void *)(uintptr_t)r->body, MHD_RESPMEM_MUST_COPY);
  enum MHD_Result rc;

  if (resp == NULL)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "application/json");
  if (r->status == 405)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
  rc = MHD_queue_response(c, r->status, resp);
  MHD_destroy_response(resp);
  return rc;
}

static void too_large(receiver_reply *r, size_t max) {
  r->status = 413;
  snprintf(r->body, sizeof r->body,
           "{\"code\":\"SEGB_ERR_BODY_TOO_LARGE\",\"message\":"
           "\"the body is over %zu bytes\"}",
           max);
}

/* Headers are in: refuse what can be refused before reading a body. */
static int early_answer(server *s, struct MHD_Connection *c, const char *method,
                        receiver_reply *r) {
  const char *length;

  if (strcmp(method, "POST") != 0) {
    r->status = 405;
    snprintf(r->body, sizeof r->body,
             "{\"code\":\"method\",\"message\":\"use POST\"}");
    return 1;
  }
  length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (length != NULL && strtoull(length, NULL, 10) > s->max_body) {
    too_large(r, s->max_body);
    return 1;
  }
  return 0;
}

static const char *header(struct MHD_Connection *c, const char *name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **ctx) {
  server *s = cls;
  upload *u = *ctx;
  receiver_reply r;

  (void)url;
  (void)version;
  if (u == NULL) {
    *ctx = u = calloc(1, sizeof *u);
    if (u == NULL)
      return MHD_NO;
    /* Answering now keeps MHD from sending "100 Continue". */
    if (!early_answer(s, c, method, &r))
      return MHD_YES;
    s->requests++;
    s->refused++;
    fprintf(s->log, "refused %u before the body\n", r.status);
    return send_reply(c, &r);
  }
  if (*data_size > 0) {
    int rc = collect(u, data, *data_size, s->max_body);

    *data_size = 0;
    return rc == 0 ? MHD_YES : MHD_NO;
  }
  s->requests++;
  if (u->too_big) {
    too_large(&r, s->max_body);
    fprintf(s->log, "refused 413: the body is over %zu bytes\n", s->max_body);
  } else {
    segb_receiver_handle(
        s->wh, header(c, MHD_HTTP_HEADER_AUTHORIZATION),
        header(c, "X-Signature"), header(c, "X-Segment-Settings"),
        u->data != NULL ? u->data : "", u->len, s->out, s->log, &r);
  }
  if (r.status == 200)
    s->accepted++;
  else
    s->refused++;
  return send_reply(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe) {
  upload *u = *ctx;

  (void)cls;
  (void)c;
  (void)toe;
  if (u != NULL) {
    free(u->data);
    free(u);
    *ctx = NULL;
  }
}

/* A verifier with the options' keys, secrets and body limit. */
static segb_webhook_t *make_verifier(const receiver_options *o, FILE *log) {
  segb_webhook_t *wh = segb_webhook_new();
  int rc = wh != NULL ? SEGB_OK : SEGB_ERR_NOMEM;
  size_t i;

  for (i = 0; rc == SEGB_OK && i < o->n_api_keys; i++)
    rc = segb_webhook_add_api_key(wh, o->api_keys[i]);
  for (i = 0; rc == SEGB_OK && i < o->n_secrets; i++)
    rc = segb_webhook_add_secret(wh, o->secrets[i]);
  if (rc == SEGB_OK && o->max_body > 0)
    rc = segb_webhook_set_option(wh, SEGB_WEBHOOK_MAX_BODY_BYTES, o->max_body);
  if (rc != SEGB_OK) {
    fprintf(log, "webhook-receiver: %s\n", segb_last_error_message());
    segb_webhook_destroy(wh);
    return NULL;
  }
  return wh;
}

static struct MHD_Daemon *start(server *s, const receiver_options *o,
                                struct sockaddr_in *addr) {
  const char *listen_on = o->listen != NULL ? o->listen : "127.0.0.1";
  struct MHD_Daemon *d;

  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(o->port);
  if (inet_pton(AF_INET, listen_on, &addr->sin_addr) != 1) {
    fprintf(s->log, "webhook-receiver: \"%s\" is not an IPv4 address\n",
            listen_on);
    return NULL;
  }
  errno = 0;
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, o->port, NULL, NULL,
                       on_request, s, MHD_OPTION_SOCK_ADDR, addr,
                       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                       MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
  if (d == NULL)
    fprintf(s->log, "webhook-receiver: cannot listen on %s:%u: %s\n", listen_on,
            (unsigned)o->port,
            errno != 0 ? strerror(errno) : "libmicrohttpd failed to start");
  return d;
}

int segb_receiver_run(const receiver_options *o) {
  server s = {0};
  struct sockaddr_in addr;
  const union MHD_DaemonInfo *info;
  struct MHD_Daemon *d;
  sigset_t stop;
  char ip[INET_ADDRSTRLEN];
  int sig;

  s.out = o->out != NULL ? o->out : stdout;
  s.log = o->log != NULL ? o->log : stderr;
  s.wh = make_verifier(o, s.log);
  if (s.wh == NULL)
    return RECEIVER_FAILED;
  s.max_body = segb_webhook_option(s.wh, SEGB_WEBHOOK_MAX_BODY_BYTES);
  /* Blocked before the server's thread starts, so it inherits the mask and
   * the signals reach sigwait() below. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  d = start(&s, o, &addr);
  if (d == NULL) {
    segb_webhook_destroy(s.wh);
    return RECEIVER_FAILED;
  }
  info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
  fprintf(s.log, "webhook-receiver: listening on http://%s:%u/\n", ip,
          info != NULL ? (unsigned)info->port : (unsigned)o->port);
  fflush(s.log);
  sigwait(&stop, &sig);
  MHD_stop_daemon(d);
  segb_webhook_destroy(s.wh);
  fprintf(s.log, "webhook-receiver: %lu requests, %lu accepted, %lu refused\n",
          s.requests, s.accepted, s.refused);
  return RECEIVER_OK;
}
