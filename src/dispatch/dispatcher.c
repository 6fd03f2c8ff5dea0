/*
 * The dispatcher's state lives under one mutex: the queue, the counters,
 * the set of jobs under way and the reports waiting. The jobs themselves
 * (their bodies, requests and retry state) belong to the driver, the one
 * thread that runs rounds at a time: the dispatcher thread, or an inline
 * client's caller of flush, poll or close. A round collects answers, sends
 * retries whose time came, forms new batches from the queue, settles the
 * fates it learnt under the lock, and makes reports with the lock let go.
 *
 * Across fork() the lock is taken (core/fork.h), and in the child the
 * first call finds the dispatcher of another generation: it forgets the
 * parent's messages (the parent reports them) and starts over as a fresh
 * client, with a multi, a report pipe and a thread of its own.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "dispatcher.h"

#include <segbridge/error.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/fork.h"
#include "dispatch/lanes.h"

/* How many queued messages, per event a batch may hold, a batch is
 * gathered from when those at the head belong to users with a request
 * under way: a bound on the walk (each step a cache miss), not on
 * correctness; with a user of every few events busy, 8 per slot of the
 * batch still fill it. */
#define SBI_SCAN_PER_EVENT 8
/* How long a fork waits for a driver to come out of the transport: a
 * request's step through libcurl takes microseconds; only a blocking one
 * (a token request, a transport without a multi) takes longer. */
#define SBI_FORK_REST_MS 1000

typedef enum slot_state {
  SLOT_FREE,
  SLOT_RUNNING, /* its request is in the multi */
  SLOT_WAITING, /* until its job's not_before_ms */
  SLOT_OVER     /* every message has its fate: freed when settled */
} slot_state;

typedef struct slot {
  sbi_job job;
  slot_state state;   /* the driver's */
  int held;           /* in the set of jobs under way: the lock's */
  uint64_t first_seq; /* least seq it holds, UINT64_MAX when none: lock */
} slot;

struct sbi_dispatch {
  sbi_dispatch_options o;
  sbi_sender *s;
  sbi_multi *multi;
  sbi_report_fn *report;
  sbi_stats_fn *stats;
  sbi_stats_fn *forked; /* the owner's counters start over */
  void *ctx;
  int max_jobs; /* max_in_flight, 1 for fifo */
  slot *slots;
  sbi_lanes busy;    /* per_user: the users of the jobs held (the lock's) */
  struct take *take; /* gather()'s choices, batch.max_events (the lock's) */
  sbi_spool *spool;  /* NULL: memory only (the lock's) */

  pthread_mutex_t lock;
  pthread_cond_t progress; /* fates reported, the driver let go */
  pthread_cond_t room;     /* held messages left */
  pthread_t thread;
  int has_thread;
  int report_pipe[2]; /* poll mode */
  sbi_fork_hook fork_hook;
  pthread_cond_t fork_over; /* the driver left the transport, or the fork
                               it waits for is over */

  /* under the lock */
  sbi_queue queue;         /* accepted, in no job yet */
  size_t held, held_bytes; /* queued and in jobs: what the limits bound */
  uint64_t last_seq;       /* of the last message accepted */
  uint64_t flush_seq;      /* send everything up to it now */
  int closing, stop;
  int wake_pending;
  int driving;   /* inline: a thread runs rounds */
  int reporting; /* a thread makes reports */
  int room_waiters;
  int slots_held;
  /* The last round left free slots unfilled because the users queued
   * within the gathering walk are busy: until a job ends, only an event
   * that lands inside that walk can change its answer. */
  int starved;
  sbi_queue done; /* fates known, reports not made */
  /* Reported messages, freed by the next enqueues: one freed on the thread
   * that made it goes back to that thread's malloc cache for its next
   * event, where the driver freeing it would cross glibc's arenas, both
   * threads then contending for the lock of the producer's. At most
   * SPENT_MAX (the reports of 20 full jobs at once): past that the
   * reporting thread frees them itself. */
  sbi_queue spent;
  uint64_t done_min;      /* least seq in done */
  uint64_t reporting_min; /* least seq of the reports being made */
  int64_t delivered, dropped, in_flight, recovered;
  unsigned generation; /* the fork generation the state belongs to */
  int in_transport;    /* the driver is in libcurl, the sender or the auth */
  pthread_t driver;    /* ... the thread that went in */
  int fork_waiting;    /* a fork is being prepared: the driver stays out */
  int tainted;         /* in a child: a thread was in the multi at the fork */

  /* the driver's */
  int in_multi;       /* it is in a call of the multi (read in a child only) */
  sbi_queue finished; /* fates learnt this round, to settle */
  int64_t next_stats_ms;
};

/* The thread inside a report or statistics call, and of which dispatcher;
 * a callback that calls back in sees it. */
static _Thread_local const sbi_dispatch *in_callback;
/* The dispatcher whose thread this is, if it is one. */
static _Thread_local const sbi_dispatch *own_thread;

static int64_t min64(int64_t a, int64_t b) {
  return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* A message gather() chose, and the one before it in the queue as walked. */
struct take {
  segb_message_t *m, *before;
};

/* ---- fates ------------------------------------------------------------ */

/* The sender's outcome: the fate of one message, learnt by the driver. */
static void on_outcome(void *ctx, segb_message_t *msg, int err,
                       const char *errstr) {
  sbi_dispatch *d = ctx;

  if (msg == NULL)
    return;
  msg->err = err;
  if (err != SEGB_OK && msg->errstr == NULL)
    msg->errstr = strdup(errstr);
  sbi_queue_push(&d->finished, msg);
}

/* Make the report fd readable (poll mode). A write that fails found the
 * pipe full, which is readable already. */
static void signal_reports(sbi_dispatch *d) {
  char byte = 1;
  ssize_t wrote;

  if (!d->o.poll_reports)
    return;
  wrote = write(d->report_pipe[1], &byte, 1);
  (void)wrote;
}

static sbi_spool_ref spool_ref(const segb_message_t *m) {
  sbi_spool_ref ref = {m->spool_segment, m->spool_offset};
  return ref;
}

/* Move @fates into done, counted, and acknowledged in the spool unless it
 * keeps them (under the lock). */
static void settle_fates(sbi_dispatch *d, sbi_queue *fates, int in_jobs) {
  segb_message_t *m;
  int was_empty = d->done.count == 0;

  if (fates->count == 0) /* each round settles, mostly with nothing */
    return;
  while ((m = sbi_queue_pop(fates)) != NULL) {
    if (m->spooled && m->err != SEGB_ERR_SPOOLED)
      sbi_spool_ack(d->spool, spool_ref(m));
    d->held--;
    d->held_bytes -= m->json.len;
    if (in_jobs)
      d->in_flight--;
    if (m->err == SEGB_OK)
      d->delivered++;
    else
      d->dropped++;
    if (m->seq < d->done_min)
      d->done_min = m->seq;
    sbi_queue_push(&d->done, m);
  }
  if (was_empty)
    signal_reports(d);
  if (d->room_waiters > 0)
    pthread_cond_broadcast(&d->room);
  pthread_cond_broadcast(&d->progress);
}

/* Give @m the fate @err, and its detail. */
static void doom(segb_message_t *m, int err, const char *why) {
  m->err = err;
  free(m->errstr);
  m->errstr = strdup(why);
}

/* Free @q's messages without reports. */
static void forget(sbi_queue *q) {
  segb_message_t *m;

  while ((m = sbi_queue_pop(q)) != NULL)
    segb_message_destroy(m);
}

static void after_fork_in_callback(sbi_dispatch *d);

/* What one enqueue frees of the spent messages: more than one, so that
 * the list drains whenever producers run. */
#define SPENT_PER_ENQUEUE 2
#define SPENT_MAX 1024

/* Add the reported @q to the spent messages (under the lock, which it may
 * let go to free those over SPENT_MAX). Their order does not matter. */
static void keep_spent(sbi_dispatch *d, sbi_queue *q) {
  sbi_queue over = {0};
  segb_message_t *m;

  sbi_queue_prepend(&d->spent, q);
  while (d->spent.count > SPENT_MAX && (m = sbi_queue_pop(&d->spent)) != NULL)
    sbi_queue_push(&over, m);
  if (over.count > 0) {
    pthread_mutex_unlock(&d->lock);
    forget(&over);
    pthread_mutex_lock(&d->lock);
  }
}

/* Make the reports that wait, on this thread, unless another thread is
 * making them. Called and returns with the lock held; lets it go around
 * the callbacks. How many it made. */
static int make_reports(sbi_dispatch *d) {
  const sbi_dispatch *outer = in_callback;
  unsigned generation = d->generation;
  int made = 0;

  while (d->done.count > 0 && !d->reporting) {
    sbi_queue batch = d->done;
    segb_message_t *m;
    char drain[64];

    d->done = (sbi_queue){0};
    d->reporting = 1;
    d->reporting_min = d->done_min;
    d->done_min = UINT64_MAX;
    if (d->o.poll_reports)
      while (read(d->report_pipe[0], drain, sizeof drain) > 0)
        ;
    pthread_mutex_unlock(&d->lock);
    in_callback = d;
    for (m = batch.head; m != NULL && sbi_fork_generation() == generation;
         m = m->next) {
      d->report(d->ctx, m);
      made++;
    }
    in_callback = outer;
    if (sbi_fork_generation() != generation) {
      forget(&batch); /* the parent's: the parent reports them */
      after_fork_in_callback(d);
      return made;
    }
    pthread_mutex_lock(&d->lock);
    keep_spent(d, &batch);
    d->reporting = 0;
    d->reporting_min = UINT64_MAX;
    pthread_cond_broadcast(&d->progress);
  }
  return made;
}

/* The least seq not yet reported (in poll mode: not yet waiting for
 * poll); UINT64_MAX when there is none. Under the lock. */
static uint64_t least_unreported(const sbi_dispatch *d) {
  uint64_t least = d->queue.head != NULL ? d->queue.head->seq : UINT64_MAX;
  int i;

  for (i = 0; i < d->max_jobs; i++)
    if (d->slots[i].held && d->slots[i].first_seq < least)
      least = d->slots[i].first_seq;
  if (!d->o.poll_reports) {
    if (d->done_min < least)
      least = d->done_min;
    if (d->reporting_min < least)
      least = d->reporting_min;
  }
  return least;
}

/* ---- forming batches ---------------------------------------------------- */

/* Whether the queue should be sent now at @now; else *@at gets when it
 * should (-1: when something else happens). Under the lock. */
typedef enum due {
  DUE_NOT,     /* wait for more, or for the linger */
  DUE_BY_SIZE, /* the queue holds a batch's worth: send full batches */
  DUE_NOW      /* realtime, flush, close or the linger: send what there is */
} due;

static due queue_due(const sbi_dispatch *d, int64_t now, int64_t *at) {
  const segb_message_t *head = d->queue.head;

  *at = -1;
  if (head == NULL)
    return DUE_NOT;
  if (d->o.realtime || d->closing || d->flush_seq >= head->seq ||
      now >= head->queued_ms + d->o.linger_ms)
    return DUE_NOW;
  *at = head->queued_ms + d->o.linger_ms;
  if (d->queue.count >= d->s->limits.max_events ||
      d->queue.bytes >= d->s->limits.max_bytes)
    return DUE_BY_SIZE;
  return DUE_NOT;
}

/* How far gather() looks into the queue. */
static size_t gather_walk(const sbi_dispatch *d) {
  return SBI_SCAN_PER_EVENT * d->s->limits.max_events;
}

/* Choose a batch from the queue, oldest first, skipping the users a job
 * under way holds (per_user), into d->take; *@n gets how many. 1 when it
 * came out full (by count or bytes). The queue is only read. Under the
 * lock. */
static int gather(sbi_dispatch *d, size_t *n) {
  segb_message_t *before = NULL, *m;
  sbi_batch_size size;
  size_t scanned = 0;

  *n = 0;
  if (sbi_sender_batch_start(d->s, &size) != SEGB_OK)
    return 0;
  for (m = d->queue.head; m != NULL && scanned++ < gather_walk(d);
       before = m, m = m->next) {
    if (d->o.ordering == SBI_ORDER_PER_USER &&
        sbi_lanes_has(&d->busy, m->user_key))
      continue;
    if (!sbi_sender_batch_take(d->s, &size, m->json.len))
      return 1;
    d->take[(*n)++] = (struct take){m, before};
    if (size.count >= d->s->limits.max_events)
      return 1;
  }
  return 0;
}

/* Move the @n messages gather() chose from the queue into @batch, in
 * order. A chosen message's neighbour before it may be the previous chosen
 * one, gone by then: it then follows what that one followed. */
static void take_chosen(sbi_dispatch *d, size_t n, sbi_queue *batch) {
  segb_message_t *after = NULL; /* what the last one taken followed */
  size_t k;

  for (k = 0; k < n; k++) {
    struct take *t = &d->take[k];

    if (k > 0 && t->before == d->take[k - 1].m)
      t->before = after;
    after = t->before;
    sbi_queue_unlink(&d->queue, t->before, t->m);
    sbi_queue_push(batch, t->m);
  }
}

/* Form jobs in the free slots while the queue is due (under the lock);
 * *@at gets when it will be, -1 for "when a job ends". Each new slot is
 * left SLOT_WAITING with no wait, for the driver to start. */
static void form_jobs(sbi_dispatch *d, int64_t now, int64_t *at) {
  due when;
  int i;

  d->starved = 0;
  for (i = 0; i < d->max_jobs && (when = queue_due(d, now, at)) != DUE_NOT;
       i++) {
    slot *sl = &d->slots[i];
    sbi_queue batch = {0};
    size_t chosen;

    if (sl->held)
      continue;
    /* A batch's worth queued may be mostly busy users' events: rather
     * than a short request, wait for a job's end or more events (the
     * linger still bounds the wait). */
    if (!gather(d, &chosen) && when == DUE_BY_SIZE) {
      d->starved = 1;
      return;
    }
    take_chosen(d, chosen, &batch);
    if (batch.count == 0) {
      *at = -1; /* every user queued is busy: a job's end will wake us */
      d->starved = 1;
      return;
    }
    sbi_job_init(&sl->job, &batch);
    if (d->o.ordering == SBI_ORDER_PER_USER)
      for (size_t k = 0; k < sl->job.key_count; k++)
        sbi_lanes_add(&d->busy, sl->job.keys[k]);
    sl->held = 1;
    d->slots_held++;
    sl->state = SLOT_WAITING;
    sl->first_seq = sl->job.msgs.head->seq;
    d->in_flight += (int64_t)sl->job.msgs.count;
  }
}

/* ---- driving ------------------------------------------------------------ */

/* Act on what @step says for @sl. */
static void drive_step(sbi_dispatch *d, slot *sl, sbi_job_step step,
                       int64_t deadline) {
  while (step == SBI_JOB_SEND) {
    sbi_job *j = &sl->job;

    if (d->multi->start(d->multi, &j->req, &j->resp, sl) == SEGB_OK) {
      sl->state = SLOT_RUNNING;
      return;
    }
    sbi_http_response_reset(&j->resp);
    j->resp.error = SEGB_ERR_NOMEM;
    snprintf(j->resp.error_text, sizeof j->resp.error_text,
             "out of memory starting a request");
    step = sbi_job_answered(d->s, j, deadline);
  }
  sl->state = step == SBI_JOB_DONE ? SLOT_OVER : SLOT_WAITING;
}

/* Settle what the round learnt, under the lock: fates to done, slots
 * whose jobs are over back to free. How many were freed. */
static int settle(sbi_dispatch *d) {
  int i, freed = 0;

  settle_fates(d, &d->finished, 1);
  for (i = 0; i < d->max_jobs; i++) {
    slot *sl = &d->slots[i];

    if (!sl->held)
      continue;
    sl->first_seq =
        sl->job.msgs.head != NULL ? sl->job.msgs.head->seq : UINT64_MAX;
    if (sl->state == SLOT_OVER) {
      if (d->o.ordering == SBI_ORDER_PER_USER)
        for (size_t k = 0; k < sl->job.key_count; k++)
          sbi_lanes_remove(&d->busy, sl->job.keys[k]);
      sl->held = 0;
      d->slots_held--;
      sl->state = SLOT_FREE;
      freed++;
    }
  }
  return freed;
}

/* The driver goes into the transport (libcurl, the sender, the auth) with
 * the lock let go; while a fork is being prepared it waits for the fork
 * first, so that no fork finds it half-way through libcurl. Called with
 * the lock held. */
static void enter_transport(sbi_dispatch *d) {
  while (d->fork_waiting)
    pthread_cond_wait(&d->fork_over, &d->lock);
  d->in_transport = 1;
  d->driver = pthread_self();
  pthread_mutex_unlock(&d->lock);
}

/* Back from the transport: returns with the lock held. */
static void leave_transport(sbi_dispatch *d) {
  pthread_mutex_lock(&d->lock);
  d->in_transport = 0;
  if (d->fork_waiting)
    pthread_cond_broadcast(&d->fork_over);
}

/* The statistics call, when its time came (the lock let go around it);
 * when the next is due. */
static int64_t stats_tick(sbi_dispatch *d, int64_t now) {
  if (d->o.stats_interval_ms <= 0 || d->stats == NULL)
    return -1;
  if (d->next_stats_ms == 0)
    d->next_stats_ms = now + d->o.stats_interval_ms;
  if (now >= d->next_stats_ms) {
    const sbi_dispatch *outer = in_callback;
    unsigned generation = d->generation;

    pthread_mutex_unlock(&d->lock);
    in_callback = d;
    d->stats(d->ctx);
    in_callback = outer;
    if (sbi_fork_generation() != generation) {
      after_fork_in_callback(d);
      return 0;
    }
    pthread_mutex_lock(&d->lock);
    d->next_stats_ms = now + d->o.stats_interval_ms;
  }
  return d->next_stats_ms;
}

/* The spool's sync at @now when it is due (fsync interval); when the next
 * is. Under the lock. A sync that fails is logged: the events stay in the
 * page cache, and the next sync tries again. */
static int64_t spool_tick(sbi_dispatch *d, int64_t now) {
  int64_t at = d->spool != NULL ? sbi_spool_sync_due(d->spool) : -1;

  if (at < 0 || at > now)
    return at;
  if (sbi_spool_sync(d->spool) != SEGB_OK)
    sbi_log(&d->s->log, 3, "spool", "%s", segb_last_error_message());
  return sbi_spool_sync_due(d->spool);
}

/* One round, by the driver, called and returning with the lock held; the
 * lock is let go for the transport and the callbacks. *@reports counts
 * the reports it made. When the next timed thing is due (monotonic ms),
 * -1 for none. */
static int64_t round_once(sbi_dispatch *d, int64_t deadline, int *reports) {
  int64_t now, next = -1, at = -1;
  slot *sl;
  int i;

  enter_transport(d);
  d->in_multi = 1;
  while ((sl = d->multi->done(d->multi)) != NULL)
    drive_step(d, sl, sbi_job_answered(d->s, &sl->job, deadline), deadline);
  d->in_multi = 0;
  leave_transport(d);
  d->wake_pending = 0;
  settle(d);
  now = sbi_clock_mono_ms();
  form_jobs(d, now, &at);
  next = at;
  enter_transport(d);
  /* Retries whose time came, and the jobs just formed. */
  for (i = 0; i < d->max_jobs; i++) {
    sl = &d->slots[i];
    if (sl->state != SLOT_WAITING)
      continue;
    now = sbi_clock_mono_ms();
    if (sl->job.not_before_ms <= now && d->s->not_before_ms <= now) {
      sbi_job_step step = sbi_job_next(d->s, &sl->job, now, deadline);

      d->in_multi = 1;
      drive_step(d, sl, step, deadline);
      d->in_multi = 0;
    }
    if (sl->state == SLOT_WAITING)
      next = min64(next, sl->job.not_before_ms > d->s->not_before_ms
                             ? sl->job.not_before_ms
                             : d->s->not_before_ms);
  }
  leave_transport(d);
  /* A job that ended before its request went (its credentials refused)
   * freed a slot and perhaps a user: the next round may form at once. */
  if (settle(d) > 0 && queue_due(d, sbi_clock_mono_ms(), &at))
    next = 0;
  next = min64(next, spool_tick(d, sbi_clock_mono_ms()));
  if (!d->o.poll_reports)
    *reports += make_reports(d);
  return min64(next, stats_tick(d, sbi_clock_mono_ms()));
}

/* Wait in the multi up to @next (monotonic ms, -1: until woken); the lock
 * held before and after. */
static void wait_multi(sbi_dispatch *d, int64_t next) {
  int64_t now = sbi_clock_mono_ms();

  enter_transport(d);
  d->in_multi = 1;
  d->multi->wait(d->multi, next < 0 ? -1 : next > now ? next - now : 0);
  d->in_multi = 0;
  leave_transport(d);
}

/* Give every message of @q the fate closed, or spooled when the spool
 * keeps it for the next client; how many were kept. */
static size_t doom_all(sbi_queue *q, const char *why) {

  segb_message_t *m;
  size_t kept = 0;

  for (m = q->head; m != NULL; m = m->next) {
    doom(m, m->spooled ? SEGB_ERR_SPOOLED : SEGB_ERR_CLOSED, why);
    kept += m->spooled != 0;
  }
  return kept;
}

/* Abort what is under way and give every message held the fate closed
 * (by the driver, with the lock held; it is let go and taken again). */
static void abort_all(sbi_dispatch *d) {
  const char *last = d->s->last_failure;
  sbi_queue in_jobs = {0}, queued;
  char why[SBI_ERR_DETAIL_MAX];
  size_t n, kept;
  int i;

  enter_transport(d);
  d->in_multi = 1;
  d->multi->abort_all(d->multi);
  d->in_multi = 0;
  snprintf(why, sizeof why, "not delivered before the client closed%s%s%.400s",
           d->spool != NULL ? " (kept in spool.path for the next client)" : "",
           last[0] ? "; last failure: " : "", last);
  for (i = d->max_jobs - 1; i >= 0; i--) {
    slot *sl = &d->slots[i];

    if (!sl->held)
      continue;
    sbi_queue_prepend(&in_jobs, &sl->job.msgs);
    sl->state = SLOT_OVER;
  }
  kept = doom_all(&in_jobs, why);
  leave_transport(d);
  queued = d->queue;
  d->queue = (sbi_queue){0};
  kept += doom_all(&queued, why);
  n = in_jobs.count + queued.count - kept;
  settle_fates(d, &in_jobs, 1);
  settle_fates(d, &queued, 0);
  settle(d);
  pthread_mutex_unlock(&d->lock);
  if (n > 0) /* without the last failure: it may quote the server */
    sbi_log(&d->s->log, 4, "dispatch",
            "dropped %zu event%s: not delivered before the client closed", n,
            n == 1 ? "" : "s");
  if (kept > 0)
    sbi_log(&d->s->log, 5, "spool",
            "kept %zu event%s in the spool for the next client: not "
            "delivered before the client closed",
            kept, kept == 1 ? "" : "s");
  pthread_mutex_lock(&d->lock);
}

static void wake(sbi_dispatch *d) {
  if (d->has_thread)
    d->multi->wakeup(d->multi);
}

static void *dispatcher_main(void *arg) {
  sbi_dispatch *d = arg;
  int reports = 0;

  pthread_setname_np(pthread_self(), "segb-dispatch");
  own_thread = d;
  pthread_mutex_lock(&d->lock);
  while (!d->stop)
    wait_multi(d, round_once(d, -1, &reports));
  abort_all(d);
  if (!d->o.poll_reports)
    make_reports(d);
  pthread_mutex_unlock(&d->lock);
  return NULL;
}

/* 1 when a request of @d is under way (the driver's view). */
static int any_running(const sbi_dispatch *d) {
  int i;

  for (i = 0; i < d->max_jobs; i++)
    if (d->slots[i].state == SLOT_RUNNING)
      return 1;
  return 0;
}

/* Inline: run rounds on this thread until @enough (under the lock) or
 * @deadline, or until nothing can happen before it (no request under way,
 * the next retry later). Called and returns with the lock held. */
static int drive_inline(sbi_dispatch *d, int64_t deadline,
                        int (*enough)(sbi_dispatch *d, void *arg), void *arg) {
  int reports = 0;

  d->driving = 1;
  while (!enough(d, arg)) {
    int64_t next = round_once(d, deadline, &reports);

    if (enough(d, arg))
      break;
    if (deadline >= 0 && sbi_clock_mono_ms() >= deadline) {
      /* The requests carry the caller's time as their own limit: let
       * libcurl end those that reached it, so their reports say why. */
      wait_multi(d, 0);
      round_once(d, deadline, &reports);
      break;
    }
    if (deadline >= 0 && (next < 0 || next >= deadline) && !any_running(d))
      break; /* e.g. a Retry-After past the deadline: waiting cannot help */
    wait_multi(d, min64(next, deadline));
  }
  d->driving = 0;
  pthread_cond_broadcast(&d->progress);
  return reports;
}

/* Wait on @cond until woken or the monotonic @deadline (-1: none); 0 when
 * the deadline passed. */
static int wait_until(sbi_dispatch *d, pthread_cond_t *cond, int64_t deadline) {
  struct timespec ts;
  int64_t left;

  if (deadline < 0) {
    pthread_cond_wait(cond, &d->lock);
    return 1;
  }
  left = deadline - sbi_clock_mono_ms();
  if (left <= 0)
    return 0;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(left / 1000);
  ts.tv_nsec += (long)(left % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return pthread_cond_timedwait(cond, &d->lock, &ts) != ETIMEDOUT ||
         sbi_clock_mono_ms() < deadline;
}

/* ---- the calls ---------------------------------------------------------- */

static int init_conds(sbi_dispatch *d) {
  pthread_condattr_t attr;

  if (pthread_condattr_init(&attr) != 0)
    return SEGB_ERR_NOMEM;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&d->progress, &attr);
  pthread_cond_init(&d->room, &attr);
  pthread_cond_init(&d->fork_over, &attr);
  pthread_condattr_destroy(&attr);
  return SEGB_OK;
}

static int init_sync(sbi_dispatch *d) {
  if (init_conds(d) != SEGB_OK)
    return SEGB_ERR_NOMEM;
  pthread_mutex_init(&d->lock, NULL);
  return SEGB_OK;
}

static int open_pipe(int fds[2]) {
  int i;

  if (pipe(fds) != 0)
    return -1;
  for (i = 0; i < 2; i++) {
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    fcntl(fds[i], F_SETFL, O_NONBLOCK);
  }
  return 0;
}

static void free_dispatch(sbi_dispatch *d) {
  int i;

  if (d->fork_hook.lock != NULL)
    sbi_fork_unwatch(&d->fork_hook);
  for (i = 0; i < d->max_jobs && d->slots != NULL; i++)
    sbi_job_free(&d->slots[i].job);
  free(d->slots);
  free(d->take);
  sbi_lanes_free(&d->busy);
  forget(&d->spent);
  sbi_spool_close(d->spool);
  if (d->multi != NULL)
    d->multi->destroy(d->multi);
  if (d->report_pipe[0] >= 0) {
    close(d->report_pipe[0]);
    close(d->report_pipe[1]);
  }
  pthread_mutex_destroy(&d->lock);
  pthread_cond_destroy(&d->progress);
  pthread_cond_destroy(&d->room);
  pthread_cond_destroy(&d->fork_over);
  free(d);
}

/* Room in every slot for a whole batch: forming a job allocates nothing,
 * so it cannot fail with messages already taken from the queue. */
static int reserve_jobs(sbi_dispatch *d) {
  int i;

  for (i = 0; d->slots != NULL && i < d->max_jobs; i++)
    if (sbi_job_reserve(&d->slots[i].job, d->s->limits.max_events) != SEGB_OK)
      return SEGB_ERR_NOMEM;
  return SEGB_OK;
}

/* One event an earlier client left in the spool: queued as accepted. A
 * record intact but not a sealed message (another program's file, a bug)
 * is let go, logged. */
static int recover_one(void *ctx, const char *data, size_t len,
                       sbi_spool_ref ref) {
  sbi_dispatch *d = ctx;
  segb_message_t *m;

  if (sbi_message_from_sealed(data, len, &m) != SEGB_OK) {
    sbi_log(&d->s->log, 4, "spool",
            "let go of a spooled record that holds no event: %s",
            segb_last_error_message());
    sbi_spool_ack(d->spool, ref);
    return SEGB_OK;
  }
  m->spooled = 1;
  m->spool_segment = ref.segment;
  m->spool_offset = ref.offset;
  m->seq = ++d->last_seq;
  m->queued_ms = sbi_clock_mono_ms();
  sbi_queue_push(&d->queue, m);
  d->held++;
  d->held_bytes += m->json.len;
  d->recovered++;
  return SEGB_OK;
}

/* Take the spool and queue what it holds. SEGB_OK or the error. */
static int open_spool(sbi_dispatch *d) {
  sbi_spool_options so = d->o.spool;
  int rc;

  so.log = &d->s->log;
  rc = sbi_spool_open(&so, &d->spool);
  rc = rc ? rc : sbi_spool_recover(d->spool, recover_one, d);
  if (rc == SEGB_OK && d->recovered > 0)
    sbi_log(&d->s->log, 5, "spool",
            "%" PRId64 " event%s left by an earlier client queued from %s",
            d->recovered, d->recovered == 1 ? "" : "s", so.path);
  return rc;
}

/* Before a fork, the lock held: bring the driver out of the transport
 * and keep it out until the fork is over, so that the child finds the
 * multi (and libcurl's and OpenSSL's locks) as no thread is using them.
 * Bounded: a driver held up (a blocking token request) is left where it
 * is; if that is inside the multi, the child must not touch the multi
 * (tainted). A driver forking from a callback (a log line) is not waited
 * for. */
static void bring_to_rest(void *ctx) {
  sbi_dispatch *d = ctx;
  int64_t deadline = sbi_clock_mono_ms() + SBI_FORK_REST_MS;

  d->fork_waiting = 1;
  while (d->in_transport && !pthread_equal(d->driver, pthread_self())) {
    d->multi->wakeup(d->multi);
    if (!wait_until(d, &d->fork_over, deadline))
      break;
  }
}

static void resume(void *ctx) {
  sbi_dispatch *d = ctx;

  d->fork_waiting = 0;
  pthread_cond_broadcast(&d->fork_over);
}

/* In the child: no driver exists here; what it was doing is forgotten on
 * the first call (lock_dispatch()). */
static void note_fork(void *ctx) {
  sbi_dispatch *d = ctx;

  d->tainted = d->in_transport && d->in_multi;
  d->in_transport = d->fork_waiting = d->in_multi = 0;
}

sbi_dispatch *sbi_dispatch_new(const sbi_dispatch_options *o, sbi_sender *s,
                               sbi_report_fn *report, sbi_stats_fn *stats,
                               void *ctx) {
  sbi_dispatch *d = calloc(1, sizeof *d);

  if (d == NULL || init_sync(d) != SEGB_OK) {
    free(d);
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a client");
    return NULL;
  }
  d->o = *o;
  d->s = s;
  d->report = report;
  d->stats = stats;
  d->ctx = ctx;
  d->done_min = d->reporting_min = UINT64_MAX;
  d->report_pipe[0] = d->report_pipe[1] = -1;
  s->outcome = on_outcome;
  s->outcome_ctx = d;
  d->max_jobs = o->ordering == SBI_ORDER_FIFO ? 1 : o->max_in_flight;
  d->slots = calloc((size_t)d->max_jobs, sizeof *d->slots);
  d->take = calloc(s->limits.max_events, sizeof *d->take);
  d->multi = sbi_multi_new(s->transport, d->max_jobs);
  if (d->slots == NULL || d->take == NULL || d->multi == NULL ||
      reserve_jobs(d) != SEGB_OK ||
      (o->ordering == SBI_ORDER_PER_USER &&
       sbi_lanes_init(&d->busy, (size_t)d->max_jobs * s->limits.max_events) !=
           SEGB_OK)) {
    free_dispatch(d);
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a client");
    return NULL;
  }
  if (o->poll_reports && open_pipe(d->report_pipe) != 0) {
    free_dispatch(d);
    sbi_error(SEGB_ERR_NOMEM, "cannot create the report pipe: %s",
              strerror(errno));
    return NULL;
  }
  if (o->discard && o->spool.path != NULL && o->spool.path[0] != '\0') {
    free_dispatch(d);
    sbi_error(SEGB_ERR_INVALID_VALUE,
              "send=false keeps nothing: spool.path must be empty with it");
    return NULL;
  }
  if (o->spool.path != NULL && o->spool.path[0] != '\0' &&
      open_spool(d) != SEGB_OK) {
    char why[SBI_ERR_DETAIL_MAX];
    int rc = segb_last_error();

    snprintf(why, sizeof why, "%s", segb_last_error_message());
    free_dispatch(d);
    sbi_error(rc, "%s", why);
    return NULL;
  }
  d->generation = sbi_fork_generation();
  d->fork_hook.lock = &d->lock;
  d->fork_hook.prepare = bring_to_rest;
  d->fork_hook.parent = resume;
  d->fork_hook.child = note_fork;
  d->fork_hook.ctx = d;
  d->fork_hook.rank = SBI_FORK_DRIVER;
  sbi_fork_watch(&d->fork_hook);
  return d;
}

static int start_thread(sbi_dispatch *d) {
  int rc = pthread_create(&d->thread, NULL, dispatcher_main, d);

  if (rc != 0)
    return sbi_error(SEGB_ERR_NOMEM, "cannot start the dispatcher thread: %s",
                     strerror(rc));
  d->has_thread = 1;
  return SEGB_OK;
}

int sbi_dispatch_start(sbi_dispatch *d) {
  return d->o.thread ? start_thread(d) : SEGB_OK;
}

void sbi_dispatch_on_fork(sbi_dispatch *d, sbi_stats_fn *forked) {
  d->forked = forked;
}

/* ---- after fork() ------------------------------------------------------- */

/* In a child forked from the process that queued them: let go of the
 * parent's messages, queued, in jobs or waiting for reports, without a
 * report (the parent sends and reports them), and of the multi and report
 * pipe the child shares with it (the multi's sockets are /dev/null's here:
 * transport/sockets.h). Counters start over; no thread of the parent's
 * exists here, nor do the waiters the conditions may still count. Under
 * the lock. How many messages were let go. */
static size_t forget_parent(sbi_dispatch *d) {
  size_t n = d->queue.count + d->done.count + d->finished.count;
  int i;

  init_conds(d);
  forget(&d->queue);
  forget(&d->done);
  forget(&d->finished);
  forget(&d->spent);
  for (i = 0; i < d->max_jobs; i++) {
    slot *sl = &d->slots[i];

    if (sl->held && d->o.ordering == SBI_ORDER_PER_USER)
      for (size_t k = 0; k < sl->job.key_count; k++)
        sbi_lanes_remove(&d->busy, sl->job.keys[k]);
    n += sl->job.msgs.count;
    forget(&sl->job.msgs);
    sl->held = 0;
    sl->state = SLOT_FREE;
    sl->first_seq = UINT64_MAX;
  }
  /* A batch another thread was reporting at the fork went with that
   * thread: it is not in the dispatcher any more. */
  d->held = d->held_bytes = 0;
  d->last_seq = d->flush_seq = 0;
  d->wake_pending = d->driving = d->reporting = d->room_waiters = 0;
  d->slots_held = d->starved = 0;
  d->done_min = d->reporting_min = UINT64_MAX;
  d->delivered = d->dropped = d->in_flight = d->recovered = 0;
  d->next_stats_ms = 0;
  atomic_store(&d->s->requests, 0);
  atomic_store(&d->s->retries, 0);
  atomic_store(&d->s->last_status, 0);
  if (d->forked != NULL)
    d->forked(d->ctx);
  /* The spool's files and lock are the parent's: the child lets go of
   * them untouched and sends from memory. */
  if (d->spool != NULL) {
    sbi_spool_abandon(d->spool);
    d->spool = NULL;
    sbi_log(&d->s->log, 5, "spool",
            "in a process forked from the client's, events are held in "
            "memory only: spool.path stays the parent's");
  }
  /* A multi a thread was inside at the fork may be half-way through a
   * change: it is left as it is (its memory lost to the child), never
   * destroyed. */
  if (d->multi != NULL && !d->tainted)
    d->multi->destroy(d->multi);
  d->multi = NULL;
  d->tainted = 0;
  if (d->report_pipe[0] >= 0) {
    close(d->report_pipe[0]);
    close(d->report_pipe[1]);
  }
  d->report_pipe[0] = d->report_pipe[1] = -1;
  d->has_thread = 0;
  d->generation = sbi_fork_generation();
  return n;
}

/* Make what a fresh client has and this one lacks: after forget_parent(),
 * or after a reset that ran out of memory. Under the lock. */
static int start_fresh(sbi_dispatch *d) {
  if (d->multi == NULL &&
      (d->multi = sbi_multi_new(d->s->transport, d->max_jobs)) == NULL)
    return segb_last_error();
  if (d->o.poll_reports && d->report_pipe[0] < 0 &&
      open_pipe(d->report_pipe) != 0)
    return sbi_error(SEGB_ERR_NOMEM, "cannot create the report pipe: %s",
                     strerror(errno));
  /* Without a thread the client works as an inline one: the callers of
   * flush, poll and close send. */
  if (d->o.thread && !d->has_thread && !d->closing &&
      start_thread(d) != SEGB_OK)
    sbi_log(&d->s->log, 4, "dispatch", "%s", segb_last_error_message());
  return SEGB_OK;
}

/* Take the lock for a call from the host; in a forked child the first
 * such call makes the client fresh first. SEGB_OK, or why the client
 * cannot be used (the lock held either way). */
static int lock_dispatch(sbi_dispatch *d) {
  size_t forgot = 0;
  int rc, reset;

  pthread_mutex_lock(&d->lock);
  if (d->generation == sbi_fork_generation() && d->multi != NULL)
    return SEGB_OK;
  if (d->generation != sbi_fork_generation() && own_thread == d)
    return sbi_error(SEGB_ERR_IN_CALLBACK,
                     "the process forked inside a callback on the client's "
                     "dispatcher thread: in the child the client cannot be "
                     "used there; exec or _exit before the callback returns");
  reset = d->generation != sbi_fork_generation();
  if (reset)
    forgot = forget_parent(d);
  rc = start_fresh(d);
  pthread_mutex_unlock(&d->lock);
  if (rc != SEGB_OK)
    sbi_log(&d->s->log, 4, "dispatch",
            "the client could not start over after fork: %s",
            segb_last_error_message());
  else if (reset)
    sbi_log(&d->s->log, 6, "dispatch",
            "client reset after fork: it starts fresh in this process (pid "
            "%ld); the parent sends and reports its %zu event%s queued or "
            "in flight",
            (long)getpid(), forgot, forgot == 1 ? "" : "s");
  pthread_mutex_lock(&d->lock);
  return rc;
}

/* The process forked inside a callback, which has returned in the child;
 * the lock is not held. The dispatcher thread's copy must not go on with
 * the parent's jobs: it ends, and the child with it when it is the child's
 * last thread (exit status 0). A host's thread (inline, poll mode) goes on
 * with a fresh client, and returns with the lock held. */
static void after_fork_in_callback(sbi_dispatch *d) {
  if (own_thread == d)
    pthread_exit(NULL);
  lock_dispatch(d);
}

static int full(const sbi_dispatch *d, size_t len) {
  return d->held >= d->o.max_events || d->held_bytes + len > d->o.max_bytes ||
         (d->spool != NULL && !sbi_spool_fits(d->spool, len));
}

/* Make room for a message of @len bytes as the overflow policy says;
 * under the lock. SEGB_OK when there is room. */
static int make_room(sbi_dispatch *d, size_t len) {
  int64_t deadline = -1;

  /* A callback that waited would wait for the thread it runs on. */
  if (d->o.overflow == SBI_OVERFLOW_WAIT && full(d, len) && in_callback != d)
    deadline = sbi_clock_mono_ms() + d->o.block_timeout_ms;
  while (full(d, len) && deadline >= 0 && !d->closing) {
    int woken;

    d->room_waiters++;
    woken = wait_until(d, &d->room, deadline);
    d->room_waiters--;
    if (!woken)
      break;
  }
  if (d->closing)
    return SEGB_ERR_CLOSED;
  if (d->o.overflow == SBI_OVERFLOW_OLDEST) {
    sbi_queue dropped = {0};

    while (full(d, len) && d->queue.head != NULL) {
      segb_message_t *m = sbi_queue_pop(&d->queue);

      doom(m, SEGB_ERR_QUEUE_FULL,
           "dropped for a newer event: the queue was full "
           "(queue.max_events, queue.max_bytes; queue.overflow=drop_oldest)");
      sbi_queue_push(&dropped, m);
      settle_fates(d, &dropped, 0); /* counts it out of what is held */
    }
  }
  if (!full(d, len))
    return SEGB_OK;
  if (d->held < d->o.max_events && d->held_bytes + len <= d->o.max_bytes)
    return sbi_error(SEGB_ERR_QUEUE_FULL,
                     "the spool's files hold spool.max_bytes%s",
                     d->o.overflow == SBI_OVERFLOW_WAIT
                         ? ", and no room came within queue.block_timeout_ms"
                         : "");
  return sbi_error(SEGB_ERR_QUEUE_FULL,
                   "queue holds %zu messages and %zu bytes, its limits "
                   "(queue.max_events, queue.max_bytes)%s",
                   d->held, d->held_bytes,
                   d->o.overflow == SBI_OVERFLOW_WAIT
                       ? ", and no room came within queue.block_timeout_ms"
                       : "");
}

/* Keep @msg in the spool (under the lock). A spool synced at intervals
 * that just got its first unsynced record tells the dispatcher thread,
 * which syncs it when due; an inline client syncs here when due. */
static int spool_keep(sbi_dispatch *d, segb_message_t *msg, int64_t now,
                      int *need_wake) {
  int64_t sync_at = sbi_spool_sync_due(d->spool);
  sbi_spool_ref ref;
  int rc = sbi_spool_append(d->spool, msg->json.data, msg->json.len, &ref);

  if (rc != SEGB_OK)
    return rc;
  msg->spooled = 1;
  msg->spool_segment = ref.segment;
  msg->spool_offset = ref.offset;
  if (d->has_thread && sync_at < 0 && sbi_spool_sync_due(d->spool) >= 0 &&
      !d->wake_pending)
    d->wake_pending = *need_wake = 1;
  if (!d->has_thread && sync_at >= 0 && sync_at <= now)
    sbi_spool_sync(d->spool);
  return SEGB_OK;
}

/* send=false: an accepted event gets its fate at once (under the lock). */
static void discard(sbi_dispatch *d, segb_message_t *msg) {
  sbi_queue fate = {0};

  doom(msg, SEGB_ERR_SEND_DISABLED,
       "not sent: sending is disabled (send=false)");
  sbi_queue_push(&fate, msg);
  settle_fates(d, &fate, 0);
}

int sbi_dispatch_enqueue(sbi_dispatch *d, segb_message_t *msg) {
  int64_t now = sbi_clock_mono_ms(); /* read before the lock, not under it */
  int rc = lock_dispatch(d), need_wake = 0;
  sbi_queue spent = {0};
  segb_message_t *spent_one;

  if (rc == SEGB_OK)
    rc = d->closing ? sbi_error(SEGB_ERR_CLOSED,
                                "the client is closing: message %s not queued",
                                msg->message_id)
                    : make_room(d, msg->json.len);
  if (rc == SEGB_OK && d->spool != NULL)
    rc = spool_keep(d, msg, now, &need_wake);
  if (rc == SEGB_OK) {
    msg->seq = ++d->last_seq;
    msg->queued_ms = now;
    d->held++;
    d->held_bytes += msg->json.len;
  }
  if (rc == SEGB_OK && d->o.discard) {
    discard(d, msg);
    /* the dispatcher thread reports it */
    if (d->has_thread && !d->o.poll_reports && !d->wake_pending)
      d->wake_pending = need_wake = 1;
  } else if (rc == SEGB_OK) {
    int was_empty = d->queue.count == 0;

    sbi_queue_push(&d->queue, msg);
    /* The dispatcher needs to know only of an event that starts the linger
     * clock or fills a batch by count or bytes (or, realtime, of any), and
     * only while it has a free slot: the end of a job wakes it anyway.
     * A starved round is answered only by an event its walk can reach. */
    if (d->has_thread && !d->wake_pending && d->slots_held < d->max_jobs &&
        (!d->starved || d->queue.count <= gather_walk(d)) &&
        (was_empty || d->o.realtime ||
         d->queue.count % d->s->limits.max_events == 0 ||
         d->queue.bytes / d->s->limits.max_bytes !=
             (d->queue.bytes - msg->json.len) / d->s->limits.max_bytes))
      d->wake_pending = need_wake = 1;
    if (d->has_thread && d->o.overflow == SBI_OVERFLOW_OLDEST &&
        d->done.count > 0 && !d->o.poll_reports && !d->wake_pending)
      d->wake_pending = need_wake = 1;
  }
  while (spent.count < SPENT_PER_ENQUEUE &&
         (spent_one = sbi_queue_pop(&d->spent)) != NULL)
    sbi_queue_push(&spent, spent_one);
  pthread_mutex_unlock(&d->lock);
  if (need_wake)
    wake(d);
  forget(&spent);
  if (rc != SEGB_OK)
    segb_message_destroy(msg);
  return rc;
}

static int flushed(sbi_dispatch *d, void *arg) {
  return least_unreported(d) > *(const uint64_t *)arg;
}

int sbi_dispatch_flush(sbi_dispatch *d, int64_t deadline) {
  uint64_t target;
  int rc = lock_dispatch(d);

  if (rc != SEGB_OK) {
    pthread_mutex_unlock(&d->lock);
    return rc;
  }
  target = d->last_seq;
  if (target > d->flush_seq)
    d->flush_seq = target;
  pthread_mutex_unlock(&d->lock);
  wake(d);
  pthread_mutex_lock(&d->lock);
  while (!flushed(d, &target) &&
         (deadline < 0 || sbi_clock_mono_ms() < deadline)) {
    if (!d->has_thread && !d->driving) {
      /* it returns when done, out of time, or when waiting cannot help */
      drive_inline(d, deadline, flushed, &target);
      break;
    }
    if (!wait_until(d, &d->progress, deadline))
      break;
  }
  if (!flushed(d, &target))
    rc = SEGB_ERR_TIMED_OUT;
  pthread_mutex_unlock(&d->lock);
  return rc;
}

static int has_reports(sbi_dispatch *d, void *arg) {
  (void)arg;
  return d->done.count > 0 || least_unreported(d) == UINT64_MAX;
}

static int idle(sbi_dispatch *d, void *arg) {
  (void)arg;
  return least_unreported(d) == UINT64_MAX;
}

int sbi_dispatch_poll(sbi_dispatch *d, int64_t deadline) {
  int served = lock_dispatch(d);

  if (served != SEGB_OK) {
    pthread_mutex_unlock(&d->lock);
    return served;
  }
  if (!d->o.poll_reports) {
    /* callback mode: only an inline client has anything to do here */
    if (!d->has_thread && !d->driving)
      served = drive_inline(d, deadline, idle, NULL);
    pthread_mutex_unlock(&d->lock);
    return served;
  }
  for (;;) {
    served += make_reports(d);
    if (served > 0)
      break;
    if (!d->has_thread && !d->driving) {
      /* runs at least one round, also with no time to wait */
      drive_inline(d, deadline, has_reports, NULL);
      served += make_reports(d);
      break;
    }
    if ((deadline >= 0 && sbi_clock_mono_ms() >= deadline) ||
        !wait_until(d, &d->progress, deadline))
      break;
  }
  pthread_mutex_unlock(&d->lock);
  return served;
}

int sbi_dispatch_purge(sbi_dispatch *d) {
  sbi_queue gone;
  size_t n;
  int rc = lock_dispatch(d);

  if (rc != SEGB_OK) {
    pthread_mutex_unlock(&d->lock);
    return rc;
  }
  gone = d->queue;
  d->queue = (sbi_queue){0};
  n = gone.count;
  for (segb_message_t *m = gone.head; m != NULL; m = m->next)
    doom(m, SEGB_ERR_PURGED, "purged from the queue at the caller's request");
  settle_fates(d, &gone, 0);
  /* The dispatcher thread reports in callback mode; an inline client's
   * caller does. */
  if (!d->o.poll_reports && !d->has_thread)
    make_reports(d);
  pthread_mutex_unlock(&d->lock);
  wake(d);
  return (int)n;
}

size_t sbi_dispatch_close(sbi_dispatch *d, int64_t deadline) {
  sbi_dispatch_counts before, after;

  if (lock_dispatch(d) != SEGB_OK) {
    /* A child that could not start over holds nothing of its own. */
    pthread_mutex_unlock(&d->lock);
    free_dispatch(d);
    return 0;
  }
  d->closing = 1;
  pthread_cond_broadcast(&d->room);
  pthread_mutex_unlock(&d->lock);
  sbi_dispatch_flush(d, deadline);
  sbi_dispatch_counts_get(d, &before);
  pthread_mutex_lock(&d->lock);
  d->stop = 1;
  /* an inline client's driver may still be in a round: wait for it, then
   * be the driver */
  while (d->driving)
    pthread_cond_wait(&d->progress, &d->lock);
  d->driving = !d->has_thread;
  pthread_mutex_unlock(&d->lock);
  if (d->has_thread) {
    /* a token request on the dispatcher thread must not outlast close */
    if (d->s->auth->interrupt != NULL)
      d->s->auth->interrupt(d->s->auth);
    wake(d);
    pthread_join(d->thread, NULL);
  }
  pthread_mutex_lock(&d->lock);
  if (!d->has_thread)
    abort_all(d);
  make_reports(d); /* poll mode: nobody polls after this */
  pthread_mutex_unlock(&d->lock);
  sbi_dispatch_counts_get(d, &after);
  free_dispatch(d);
  /* less when a callback forked and the child's client started over */
  return after.dropped > before.dropped
             ? (size_t)(after.dropped - before.dropped)
             : 0;
}

void sbi_dispatch_counts_get(sbi_dispatch *d, sbi_dispatch_counts *out) {
  lock_dispatch(d);
  out->enqueued = (int64_t)d->last_seq;
  out->delivered = d->delivered;
  out->dropped = d->dropped;
  out->queued = (int64_t)d->queue.count;
  out->in_flight = d->in_flight;
  out->held_bytes = (int64_t)d->held_bytes;
  out->recovered = d->recovered;
  pthread_mutex_unlock(&d->lock);
}

int sbi_dispatch_report_fd(sbi_dispatch *d) {
  int fd;

  if (!d->o.poll_reports)
    return -1;
  lock_dispatch(d);
  fd = d->report_pipe[0];
  pthread_mutex_unlock(&d->lock);
  return fd;
}

int sbi_dispatch_in_callback(const sbi_dispatch *d) { return in_callback == d; }
