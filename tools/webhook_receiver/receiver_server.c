/* The HTTP side of the receiver: libmicrohttpd on one internal thread
 * (requests are answered one at a time, so the output needs no lock) with
 * limits on connections, in all and per address, the guard thread for
 * header deadlines and drains, and each request through receiver_request.c
 * to segb_receiver_handle(). */
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
#include <sys/resource.h>
#include <sys/socket.h>

typedef struct server {
  segb_webhook_t *wh;
  size_t max_body;
  receiver_guard *guard;
  FILE *out, *log;
  unsigned long requests, accepted, refused;
} server;

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

static receiver_watch *watch_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

  return info != NULL ? info->socket_context : NULL;
}

/* The 413, once the body is over the limit. libmicrohttpd can queue an
 * answer only before the body or after all of it, and a chunked body may
 * never end: so the answer is written here, on a socket the server has
 * sent nothing else on but perhaps "100 Continue", and the connection is
 * left to close and to the guard's drain. Returns MHD_NO, which closes. */
static enum MHD_Result refuse_too_large(server *s, struct MHD_Connection *c,
                                        const receiver_reply *r) {
  receiver_watch *w = watch_of(c);
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 413 Content Too Large\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   strlen(r->body), r->body);

  s->requests++;
  s->refused++;
  fprintf(s->log, "refused 413: the body is over %zu bytes\n", s->max_body);
  if (info != NULL && n > 0 && (size_t)n < sizeof head &&
      send(info->connect_fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) ==
          (ssize_t)n)
    segb_receiver_guard_drain_on_close(s->guard, w);
  return MHD_NO;
}

static const char *header(struct MHD_Connection *c, const char *name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **ctx) {
  server *s = cls;
  receiver_request *q = *ctx;
  receiver_reply r;
  int rc;

  (void)url;
  (void)version;
  if (q == NULL) {
    receiver_watch *w = watch_of(c);

    if (w == NULL) /* out of memory when the connection came */
      return MHD_NO;
    segb_receiver_guard_headers_in(s->guard, w);
    *ctx = q = calloc(1, sizeof *q);
    if (q == NULL)
      return MHD_NO;
    /* Refusing now keeps libmicrohttpd from sending "100 Continue". */
    rc = segb_receiver_request_begin(
        q, s->max_body, method, header(c, MHD_HTTP_HEADER_CONTENT_LENGTH), &r);
    return rc == 0 ? MHD_YES : refuse_too_large(s, c, &r);
  }
  if (*data_size > 0) {
    rc = segb_receiver_request_body(q, data, *data_size, &r);
    *data_size = 0;
    if (rc == RECEIVER_TOO_LARGE)
      return refuse_too_large(s, c, &r);
    return rc == 0 ? MHD_YES : MHD_NO;
  }
  s->requests++;
  segb_receiver_request_end(q, s->wh, header(c, MHD_HTTP_HEADER_AUTHORIZATION),
                            header(c, "X-Signature"),
                            header(c, "X-Segment-Settings"), s->out, s->log,
                            &r);
  if (r.status == 200)
    s->accepted++;
  else
    s->refused++;
  return send_reply(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode toe) {
  server *s = cls;
  receiver_request *q = *ctx;
  receiver_watch *w = watch_of(c);

  if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && w != NULL)
    segb_receiver_guard_rearm(s->guard, w);
  if (q != NULL) {
    segb_receiver_request_free(q);
    free(q);
    *ctx = NULL;
  }
}

/* Each connection gets a watch (its header deadline) while it lives. */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  server *s = cls;

  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

    *socket_context =
        info != NULL ? segb_receiver_guard_watch(s->guard, info->connect_fd)
                     : NULL;
  } else if (*socket_context != NULL) {
    segb_receiver_guard_release(s->guard, *socket_context);
    *socket_context = NULL;
  }
}

/* A verifier with the options' keys, secrets and limits. */
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
  if (rc == SEGB_OK && o->refuse_unsigned)
    rc = segb_webhook_set_option(wh, SEGB_WEBHOOK_REFUSE_UNSIGNED, 1);
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
  /* MHD_USE_AUTO: epoll or poll, never select(), which cannot watch a
   * descriptor past FD_SETSIZE (1024): it refuses such connections. */
  d = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD, o->port, NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
      MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
      MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout_s, MHD_OPTION_END);
  if (d == NULL)
    fprintf(s->log, "webhook-receiver: cannot listen on %s:%u: %s\n", listen_on,
            (unsigned)o->port,
            errno != 0 ? strerror(errno) : "libmicrohttpd failed to start");
  return d;
}

/* Each connection is a descriptor, each drained socket another: make room
 * for the limit under `ulimit -n`, raising the soft limit as far as the hard
 * one allows, else lower the limit. */
static unsigned fit_descriptors(unsigned max_connections) {
  const rlim_t spare = RECEIVER_MAX_DRAINING + 16; /* listener, stdio... */
  rlim_t want = (rlim_t)max_connections + spare;
  struct rlimit lim;

  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= want)
    return max_connections;
  if (lim.rlim_max == RLIM_INFINITY || lim.rlim_max > want)
    lim.rlim_cur = want;
  else
    lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0 &&
      getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return max_connections;
  if (lim.rlim_cur >= want)
    return max_connections;
  return lim.rlim_cur > spare ? (unsigned)(lim.rlim_cur - spare) : 1;
}

int segb_receiver_run(const receiver_options *o) {
  receiver_options fitted = *o;
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
  fitted.max_connections = fit_descriptors(o->max_connections);
  /* Blocked before the server's thread starts, so it inherits the mask and
   * the signals reach sigwait() below. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  s.guard =
      segb_receiver_guard_start(o->header_timeout_s, o->body_timeout_s, s.log);
  d = s.guard != NULL ? start(&s, &fitted, &addr) : NULL;
  if (d == NULL) {
    if (s.guard == NULL)
      fprintf(s.log, "webhook-receiver: cannot start its guard thread\n");
    else
      segb_receiver_guard_stop(s.guard);
    segb_webhook_destroy(s.wh);
    return RECEIVER_FAILED;
  }
  info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
  fprintf(s.log, "webhook-receiver: listening on http://%s:%u/\n", ip,
          info != NULL ? (unsigned)info->port : (unsigned)o->port);
  if (fitted.max_connections < o->max_connections)
    fprintf(s.log,
            "webhook-receiver: at most %u connections: ulimit -n is too low "
            "for %u\n",
            fitted.max_connections, o->max_connections);
  fflush(s.log);
  sigwait(&stop, &sig);
  MHD_stop_daemon(d);
  segb_receiver_guard_stop(s.guard);
  segb_webhook_destroy(s.wh);
  fprintf(s.log, "webhook-receiver: %lu requests, %lu accepted, %lu refused\n",
          s.requests, s.accepted, s.refused);
  return RECEIVER_OK;
}
