#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct segb_http_server {
  struct MHD_Daemon *daemon;
  char base[64];
  atomic_int connections;
};

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  segb_http_server *s = cls;
  (void)conn;
  (void)socket_context;

  if (toe == MHD_CONNECTION_NOTIFY_STARTED)
    s->connections++;
}

segb_http_server *segb_http_start(MHD_AccessHandlerCallback on_request,
                                  void *cls, const char *cert_pem,
                                  const char *key_pem) {
  segb_http_server *s = calloc(1, sizeof *s);
  struct sockaddr_in addr;
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
  const union MHD_DaemonInfo *info;

  if (s == NULL)
    return NULL;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (cert_pem != NULL)
    s->daemon =
        MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, cls,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                         MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
                         MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
  else
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, cls,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                 MHD_OPTION_END);
  info = s->daemon != NULL
             ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT)
             : NULL;
  if (info == NULL) {
    segb_http_stop(s);
    return NULL;
  }
  snprintf(s->base, sizeof s->base, "%s://127.0.0.1:%u",
           cert_pem != NULL ? "https" : "http", (unsigned)info->port);
  return s;
}

const char *segb_http_base(const segb_http_server *s) { return s->base; }

int segb_http_connections(segb_http_server *s) { return s->connections; }

void segb_http_stop(segb_http_server *s) {
  if (s == NULL)
    return;
  if (s->daemon != NULL)
    MHD_stop_daemon(s->daemon);
  free(s);
}
