/* The receiver's guard thread (see receiver.h). libmicrohttpd has only an
 * idle timeout, which a sender dribbling a byte a second never meets, and
 * can answer only before a body or after all of it, closing at once: so the
 * header and body deadlines and the drain after a 413 live here.
 *
 * Connections waiting for headers sit in one queue, those whose headers are
 * in and whose body is still coming in another; each queue is in deadline
 * order, as every entry joins its tail with now + that queue's timeout.
 * Sockets being drained are duplicates the server handed over as it closed
 * its own. */
#include "receiver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct deadline_queue {
  receiver_watch *head, *tail;
  int64_t timeout_ms;
} deadline_queue;

struct receiver_watch {
  receiver_watch *prev, *next;
  int fd;
  int64_t deadline_ms;
  deadline_queue *queue; /* the one it waits in, or NULL */
  int drain;             /* a 413 was sent */
};

typedef struct draining {
  int fd;
  int64_t deadline_ms;
  size_t read;
} draining;

struct receiver_guard {
  pthread_mutex_t lock;
  pthread_t thread;
  int wake[2]; /* a pipe: a byte wakes the thread */
  int stopping;
  FILE *log;
  deadline_queue headers, body;
  draining drained[RECEIVER_MAX_DRAINING];
  size_t n_drained; /* slots below are the thread's to read unlocked */
  char scratch[65536];
};

static int64_t now_ms(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void wake(receiver_guard *g) {
  ssize_t n = write(g->wake[1], "", 1);

  (void)n; /* full: the thread is awake already */
}

static void unlist(receiver_watch *w) {
  deadline_queue *q = w->queue;

  if (q == NULL)
    return;
  if (w->prev != NULL)
    w->prev->next = w->next;
  else
    q->head = w->next;
  if (w->next != NULL)
    w->next->prev = w->prev;
  else
    q->tail = w->prev;
  w->prev = w->next = NULL;
  w->queue = NULL;
}

/* At the tail of @q, due within its timeout. Called locked. */
static void list(receiver_guard *g, deadline_queue *q, receiver_watch *w) {
  unlist(w);
  w->deadline_ms = now_ms() + q->timeout_ms;
  w->prev = q->tail;
  if (q->tail != NULL)
    q->tail->next = w;
  else
    q->head = w;
  q->tail = w;
  w->queue = q;
  if (q->head == w) /* the thread may be waiting with no deadline */
    wake(g);
}

/* Close what in @q is past its deadline: the server sees the end of the
 * stream and closes the connection itself. Called locked; returns the wait
 * until the next deadline, or -1 for none. */
static int64_t expire(deadline_queue *q, int64_t now) {
  while (q->head != NULL && q->head->deadline_ms <= now) {
    receiver_watch *w = q->head;

    shutdown(w->fd, SHUT_RDWR);
    unlist(w);
  }
  return q->head != NULL ? q->head->deadline_ms - now : -1;
}

/* The shorter of two waits, -1 standing for none. */
static int64_t sooner(int64_t a, int64_t b) {
  return a < 0 || (b >= 0 && b < a) ? b : a;
}

/* Read what @d has for us; whether it is done: the sender closed, the
 * socket failed, or a bound is reached. */
static int drain_some(receiver_guard *g, draining *d, int64_t now) {
  for (;;) {
    ssize_t n;

    if (d->read >= RECEIVER_DRAIN_BYTES || now >= d->deadline_ms)
      return 1;
    n = recv(d->fd, g->scratch,
             RECEIVER_DRAIN_BYTES - d->read < sizeof g->scratch
                 ? RECEIVER_DRAIN_BYTES - d->read
                 : sizeof g->scratch,
             MSG_DONTWAIT);
    if (n > 0)
      d->read += (size_t)n;
    else if (n < 0 && errno == EINTR)
      continue;
    else
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

static void *guard_main(void *arg) {
  receiver_guard *g = arg;
  struct pollfd fds[1 + RECEIVER_MAX_DRAINING];
  int done[RECEIVER_MAX_DRAINING];

  pthread_mutex_lock(&g->lock);
  while (!g->stopping) {
    int64_t now = now_ms();
    int64_t wait = sooner(expire(&g->headers, now), expire(&g->body, now));
    size_t n = g->n_drained, i;

    fds[0].fd = g->wake[0];
    fds[0].events = POLLIN;
    for (i = 0; i < n; i++) {
      int64_t left = g->drained[i].deadline_ms - now;

      if (wait < 0 || left < wait)
        wait = left > 0 ? left : 0;
      fds[1 + i].fd = g->drained[i].fd;
      fds[1 + i].events = POLLIN;
    }
    pthread_mutex_unlock(&g->lock);

    if (poll(fds, 1 + n, wait > 60000 ? 60000 : (int)wait) > 0 &&
        (fds[0].revents & POLLIN))
      while (read(g->wake[0], g->scratch, sizeof g->scratch) > 0)
        ;
    now = now_ms();
    for (i = 0; i < n; i++)
      done[i] = drain_some(g, &g->drained[i], now);

    pthread_mutex_lock(&g->lock);
    for (i = n; i-- > 0;) { /* from the top: the last slot fills a gap */
      if (!done[i])
        continue;
      fprintf(g->log, "after a 413: %zu more bytes read and dropped\n",
              g->drained[i].read);
      close(g->drained[i].fd);
      g->drained[i] = g->drained[--g->n_drained];
    }
  }
  pthread_mutex_unlock(&g->lock);
  return NULL;
}

receiver_guard *segb_receiver_guard_start(unsigned header_timeout_s,
                                          unsigned body_timeout_s, FILE *log) {
  receiver_guard *g = calloc(1, sizeof *g);

  if (g == NULL)
    return NULL;
  g->headers.timeout_ms = (int64_t)header_timeout_s * 1000;
  g->body.timeout_ms = (int64_t)body_timeout_s * 1000;
  g->log = log;
  if (pipe(g->wake) != 0) {
    free(g);
    return NULL;
  }
  fcntl(g->wake[0], F_SETFL, O_NONBLOCK);
  fcntl(g->wake[1], F_SETFL, O_NONBLOCK);
  fcntl(g->wake[0], F_SETFD, FD_CLOEXEC);
  fcntl(g->wake[1], F_SETFD, FD_CLOEXEC);
  pthread_mutex_init(&g->lock, NULL);
  if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
    pthread_mutex_destroy(&g->lock);
    close(g->wake[0]);
    close(g->wake[1]);
    free(g);
    return NULL;
  }
  return g;
}

/* After the server has stopped: every watch is released by then. */
void segb_receiver_guard_stop(receiver_guard *g) {
  size_t i;

  pthread_mutex_lock(&g->lock);
  g->stopping = 1;
  wake(g);
  pthread_mutex_unlock(&g->lock);
  pthread_join(g->thread, NULL);
  for (i = 0; i < g->n_drained; i++)
    close(g->drained[i].fd);
  pthread_mutex_destroy(&g->lock);
  close(g->wake[0]);
  close(g->wake[1]);
  free(g);
}

receiver_watch *segb_receiver_guard_watch(receiver_guard *g, int fd) {
  receiver_watch *w = calloc(1, sizeof *w);

  if (w == NULL)
    return NULL;
  w->fd = fd;
  pthread_mutex_lock(&g->lock);
  list(g, &g->headers, w);
  pthread_mutex_unlock(&g->lock);
  return w;
}

void segb_receiver_guard_headers_in(receiver_guard *g, receiver_watch *w) {
  pthread_mutex_lock(&g->lock);
  list(g, &g->body, w);
  pthread_mutex_unlock(&g->lock);
}

void segb_receiver_guard_rearm(receiver_guard *g, receiver_watch *w) {
  pthread_mutex_lock(&g->lock);
  list(g, &g->headers, w);
  pthread_mutex_unlock(&g->lock);
}

void segb_receiver_guard_drain_on_close(receiver_guard *g, receiver_watch *w) {
  pthread_mutex_lock(&g->lock);
  w->drain = 1;
  pthread_mutex_unlock(&g->lock);
}

void segb_receiver_guard_release(receiver_guard *g, receiver_watch *w) {
  pthread_mutex_lock(&g->lock);
  unlist(w);
  /* With no slot free the server's close stands, reset and all. */
  if (w->drain && g->n_drained < RECEIVER_MAX_DRAINING) {
    int fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);

    if (fd >= 0) {
      draining *d = &g->drained[g->n_drained++];

      d->fd = fd;
      d->deadline_ms = now_ms() + RECEIVER_DRAIN_MS;
      d->read = 0;
      wake(g);
    }
  }
  pthread_mutex_unlock(&g->lock);
  free(w);
}
