#include "raw_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connections served at once; the tests make a few. */
#define RAW_MAX_CONNS 64
/* A request's header block, plenty for libcurl's. */
#define RAW_HEAD_MAX 16384

typedef struct raw_conn {
  struct segb_raw_server *server;
  int fd;
  segb_raw_step step;
  pthread_t thread;
} raw_conn;

struct segb_raw_server {
  int fd;
  unsigned port, relay_port;
  segb_raw_step *steps;
  size_t count;
  pthread_t thread;
  atomic_int connections;
  atomic_int stopping;
  raw_conn conns[RAW_MAX_CONNS];
};

/* 1 when @fd has something to read (or is closed), 0 once the server
 * stops. Short polls keep segb_raw_stop() prompt. */
static int wait_readable(segb_raw_server *s, int fd) {
  struct pollfd p = {fd, POLLIN, 0};

  while (!s->stopping) {
    int rc = poll(&p, 1, 20);

    if (rc > 0)
      return 1;
    if (rc < 0 && errno != EINTR)
      return 0;
  }
  return 0;
}

/* Bytes read into @buf, 0 at the end, on an error or once stopped. */
static size_t read_some(segb_raw_server *s, int fd, char *buf, size_t size) {
  ssize_t n;

  if (!wait_readable(s, fd))
    return 0;
  n = recv(fd, buf, size, 0);
  return n > 0 ? (size_t)n : 0;
}

static int write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read until the client closes (or the server stops). */
static void drain(segb_raw_server *s, int fd) {
  char buf[4096];

  while (read_some(s, fd, buf, sizeof buf) > 0)
    ;
}

/* Read one request: its header block, then as many body bytes as its
 * Content-Length says. */
static void read_request(segb_raw_server *s, int fd) {
  char head[RAW_HEAD_MAX + 1], buf[4096];
  size_t have = 0, body_have, body_len = 0;
  const char *end = NULL, *p;

  while (end == NULL && have < RAW_HEAD_MAX) {
    size_t n = read_some(s, fd, head + have, RAW_HEAD_MAX - have);

    if (n == 0)
      return;
    have += n;
    head[have] = '\0';
    end = strstr(head, "\r\n\r\n");
  }
  if (end == NULL)
    return;
  for (p = head; p < end; p = strstr(p, "\r\n") + 2)
    if (strncasecmp(p, "Content-Length:", 15) == 0)
      body_len = (size_t)strtoull(p + 15, NULL, 10);
  body_have = have - (size_t)(end + 4 - head);
  while (body_have < body_len) {
    size_t n = read_some(s, fd, buf, sizeof buf);

    if (n == 0)
      return;
    body_have += n;
  }
}

static void relay(segb_raw_server *s, int fd) {
  struct sockaddr_in addr;
  struct pollfd p[2];
  char buf[16384];
  int up = socket(AF_INET, SOCK_STREAM, 0);

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)s->relay_port);
  if (up < 0 || connect(up, (struct sockaddr *)&addr, sizeof addr) != 0) {
    if (up >= 0)
      close(up);
    return;
  }
  p[0] = (struct pollfd){fd, POLLIN, 0};
  p[1] = (struct pollfd){up, POLLIN, 0};
  while (!s->stopping) {
    int i, rc = poll(p, 2, 20);

    if (rc < 0 && errno != EINTR)
      break;
    for (i = 0; rc > 0 && i < 2; i++) {
      ssize_t n;

      if (p[i].revents == 0)
        continue;
      n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || write_all(p[1 - i].fd, buf, (size_t)n) != 0)
        goto done;
    }
  }
done:
  close(up);
}

static void *serve(void *arg) {
  raw_conn *c = arg;
  segb_raw_server *s = c->server;
  struct linger lg = {1, 0}; /* close with RST, not FIN */
  char buf[4096];

  switch (c->step.action) {
  case SEGB_RAW_RESET:
    read_some(s, c->fd, buf, sizeof buf);
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    break;
  case SEGB_RAW_CLOSE:
    read_some(s, c->fd, buf, sizeof buf);
    /* A FIN first: closing with unread input would send a reset. */
    shutdown(c->fd, SHUT_WR);
    drain(s, c->fd);
    break;
  case SEGB_RAW_REPLY:
    read_request(s, c->fd);
    if (write_all(c->fd, c->step.reply, strlen(c->step.reply)) == 0)
      shutdown(c->fd, SHUT_WR);
    drain(s, c->fd);
    break;
  case SEGB_RAW_HOLD:
    drain(s, c->fd);
    break;
  case SEGB_RAW_RELAY:
    relay(s, c->fd);
    break;
  }
  close(c->fd);
  return NULL;
}

static void *accept_loop(void *arg) {
  segb_raw_server *s = arg;

  while (wait_readable(s, s->fd)) {
    int fd = accept(s->fd, NULL, NULL);
    int n;
    raw_conn *c;

    if (fd < 0)
      continue;
    n = atomic_fetch_add(&s->connections, 1);
    if (n >= RAW_MAX_CONNS) {
      close(fd);
      continue;
    }
    c = &s->conns[n];
    c->server = s;
    c->fd = fd;
    c->step = s->steps[(size_t)n < s->count ? (size_t)n : s->count - 1];
    if (pthread_create(&c->thread, NULL, serve, c) != 0) {
      close(fd);
      c->fd = -1;
    }
  }
  return NULL;
}

segb_raw_server *segb_raw_start(const segb_raw_step *steps, size_t count,
                                unsigned relay_port) {
  segb_raw_server *s = calloc(1, sizeof *s);
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  int i;

  if (s == NULL || count == 0) {
    free(s);
    return NULL;
  }
  for (i = 0; i < RAW_MAX_CONNS; i++)
    s->conns[i].fd = -1;
  s->steps = malloc(count * sizeof *steps);
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (s->steps == NULL || s->fd < 0)
    goto fail;
  memcpy(s->steps, steps, count * sizeof *steps);
  s->count = count;
  s->relay_port = relay_port;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(s->fd, 16) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&addr, &len) != 0)
    goto fail;
  s->port = ntohs(addr.sin_port);
  if (pthread_create(&s->thread, NULL, accept_loop, s) != 0)
    goto fail;
  return s;
fail:
  if (s->fd >= 0)
    close(s->fd);
  free(s->steps);
  free(s);
  return NULL;
}

unsigned segb_raw_port(const segb_raw_server *s) { return s->port; }

int segb_raw_connections(segb_raw_server *s) { return s->connections; }

void segb_raw_stop(segb_raw_server *s) {
  int i, n;

  if (s == NULL)
    return;
  s->stopping = 1;
  pthread_join(s->thread, NULL);
  n = s->connections < RAW_MAX_CONNS ? s->connections : RAW_MAX_CONNS;
  for (i = 0; i < n; i++)
    if (s->conns[i].fd >= 0)
      pthread_join(s->conns[i].thread, NULL);
  close(s->fd);
  free(s->steps);
  free(s);
}
