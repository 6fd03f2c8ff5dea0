/* sbi_multi_new(), and the multi of a transport without one of its own:
 * start() runs each request to its end with t->send(), so wait() only
 * waits for a wakeup() or the time while no ended request is waiting. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <segbridge/error.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/fork.h"
#include "transport.h"

typedef struct sbi_serial_multi {
  sbi_multi base; /* first, so the multi pointer is the sbi_serial_multi */
  sbi_transport *t;
  int max_parallel;
  /* Tags of ended requests not yet collected, oldest first: a ring. */
  void **ended;
  int ended_first;
  int ended_count;
  pthread_mutex_t lock;
  pthread_cond_t woke; /* on the monotonic clock, as deadlines are */
  int woken;           /* under lock: a wakeup() no wait() has taken */
  unsigned generation; /* sbi_fork_generation() when made */
} sbi_serial_multi;

static int serial_start(sbi_multi *mm, const sbi_http_request *req,
                        sbi_http_response *resp, void *tag) {
  sbi_serial_multi *m = (sbi_serial_multi *)mm;

  if (m->ended_count >= m->max_parallel)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "more than %d requests started at once", m->max_parallel);
  /* Whatever send() says is the request's outcome, in @resp. */
  m->t->send(m->t, req, resp);
  m->ended[(m->ended_first + m->ended_count++) % m->max_parallel] = tag;
  return SEGB_OK;
}

static void serial_wait(sbi_multi *mm, int64_t timeout_ms) {
  sbi_serial_multi *m = (sbi_serial_multi *)mm;
  int64_t deadline_ms = sbi_clock_mono_ms() + timeout_ms;
  struct timespec until;

  until.tv_sec = (time_t)(deadline_ms / 1000);
  until.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
  pthread_mutex_lock(&m->lock);
  while (!m->woken && m->ended_count == 0) {
    if (timeout_ms < 0)
      pthread_cond_wait(&m->woke, &m->lock);
    else if (pthread_cond_timedwait(&m->woke, &m->lock, &until) == ETIMEDOUT)
      break;
  }
  m->woken = 0;
  pthread_mutex_unlock(&m->lock);
}

static void *serial_done(sbi_multi *mm) {
  sbi_serial_multi *m = (sbi_serial_multi *)mm;
  void *tag;

  if (m->ended_count == 0)
    return NULL;
  tag = m->ended[m->ended_first];
  m->ended_first = (m->ended_first + 1) % m->max_parallel;
  m->ended_count--;
  return tag;
}

static void serial_wakeup(sbi_multi *mm) {
  sbi_serial_multi *m = (sbi_serial_multi *)mm;

  pthread_mutex_lock(&m->lock);
  m->woken = 1;
  pthread_cond_signal(&m->woke);
  pthread_mutex_unlock(&m->lock);
}

static void serial_abort_all(sbi_multi *mm) {
  sbi_serial_multi *m = (sbi_serial_multi *)mm;

  m->ended_first = 0;
  m->ended_count = 0;
}

static void serial_destroy(sbi_multi *mm) {
  sbi_serial_multi *m = (sbi_serial_multi *)mm;

  /* In a forked child, a thread of the parent that waited in wait() still
   * counts as a waiter: destroying the condition would wait for it
   * forever. Neither holds anything but its own bytes. */
  if (m->generation == sbi_fork_generation()) {
    pthread_cond_destroy(&m->woke);
    pthread_mutex_destroy(&m->lock);
  }
  free(m->ended);
  free(m);
}

static sbi_multi *serial_new(sbi_transport *t, int max_parallel) {
  sbi_serial_multi *m = calloc(1, sizeof *m);
  pthread_condattr_t attr;

  if (m == NULL ||
      (m->ended = calloc((size_t)max_parallel, sizeof *m->ended)) == NULL) {
    free(m);
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a request multi");
    return NULL;
  }
  m->t = t;
  m->max_parallel = max_parallel;
  m->generation = sbi_fork_generation();
  pthread_mutex_init(&m->lock, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&m->woke, &attr);
  pthread_condattr_destroy(&attr);
  m->base.start = serial_start;
  m->base.wait = serial_wait;
  m->base.done = serial_done;
  m->base.wakeup = serial_wakeup;
  m->base.abort_all = serial_abort_all;
  m->base.destroy = serial_destroy;
  return &m->base;
}

sbi_multi *sbi_multi_new(sbi_transport *t, int max_parallel) {
  if (max_parallel < 1) {
    sbi_error(SEGB_ERR_INVALID_ARG, "a multi needs room for one request");
    return NULL;
  }
  if (t->multi_new != NULL)
    return t->multi_new(t, max_parallel);
  return serial_new(t, max_parallel);
}
