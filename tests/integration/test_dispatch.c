/* The dispatcher end to end (issue 11): background delivery in thread
 * mode, concurrent requests that keep each user's order, the bounded queue
 * and its overflow policies, flush and close against slow, silent and
 * faulty servers, poll mode, filters, a dispatcher that never wakes while
 * idle, and the statistics and log callbacks. Real libcurl against the mock and
 * raw servers on loopback, through the public API (plus the mock's API and
 * /proc). Callbacks and helper threads only record what they see; the test
 * thread asserts, and every wait has a hang guard. A test's name as the
 * argument runs it alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <segbridge/segbridge.h>

#include "client_fixture.h"
#include "mock.h"
#include "raw_server.h"

#define WRITE_KEY "abc123"
/* A deadline that only a hang reaches. */
#define GENEROUS_MS 60000
/* Seconds any wait may last before the test calls it a hang. */
#define HANG_GUARD_S 60
#define DISPATCH_THREAD "segb-dispatch"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- /proc: threads, their names and context switches, descriptors --- */

static int read_text(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  size_t n;

  if (f == NULL)
    return -1;
  n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = '\0';
  return 0;
}

static int is_named(const char *comm_path, const char *name) {
  char comm[64];

  if (read_text(comm_path, comm, sizeof comm) != 0)
    return 0;
  comm[strcspn(comm, "\n")] = '\0';
  return strcmp(comm, name) == 0;
}

/* Whether the calling thread is a dispatcher, asked once per thread. */
static int on_dispatch_thread(void) {
  static _Thread_local int known = -1;

  if (known < 0)
    known = is_named("/proc/thread-self/comm", DISPATCH_THREAD);
  return known;
}

/* Entries of directory @path, "." and ".." left out. */
static int count_entries(const char *path) {
  DIR *d = opendir(path);
  struct dirent *e;
  int n = 0;

  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The ids of this process's threads named @name, at most @max of them;
 * returns how many there are. */
static int threads_named(const char *name, long *tids, int max) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;

  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    char path[300];

    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    if (!is_named(path, name))
      continue;
    if (n < max)
      tids[n] = strtol(e->d_name, NULL, 10);
    n++;
  }
  closedir(d);
  return n;
}

/* Voluntary plus involuntary context switches of thread @tid so far. */
static long context_switches(long tid) {
  static const char *const fields[] = {"\nvoluntary_ctxt_switches:",
                                       "\nnonvoluntary_ctxt_switches:"};
  char path[64], status[4096];
  long sum = 0;
  size_t i;

  snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
  assert_int_equal(read_text(path, status, sizeof status), 0);
  for (i = 0; i < 2; i++) {
    const char *p = strstr(status, fields[i]);
    assert_non_null(p);
    sum += strtol(p + strlen(fields[i]), NULL, 10);
  }
  return sum;
}

/* The state letter of thread @tid (R running, S sleeping, ...). */
static char thread_state(long tid) {
  char path[64], stat[512];
  const char *p;

  snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
  assert_int_equal(read_text(path, stat, sizeof stat), 0);
  p = strrchr(stat, ')');
  assert_non_null(p);
  return p[2];
}

/* ---- waiting with a hang guard ---------------------------------------- */

typedef int condition(void *arg);

/* Check @cond(@arg) every millisecond until it holds, for HANG_GUARD_S
 * at most; returns whether it held. */
static int wait_for(condition *cond, void *arg) {
  double give_up = now_s() + HANG_GUARD_S;

  while (!cond(arg)) {
    if (now_s() > give_up)
      return 0;
    sleep_ms(1);
  }
  return 1;
}

/* wait_for(), failing the test as hung, naming @what. */
static void wait_until(condition *cond, void *arg, const char *what) {
  if (!wait_for(cond, arg))
    fail_msg("still waiting after %d s: %s", HANG_GUARD_S, what);
}

/* ---- counters ---------------------------------------------------------- */

static void stats_of(const segb_client_t *c, int64_t *v) {
  assert_int_equal(segb_client_stats(c, v, SEGB_STAT__COUNT), SEGB_STAT__COUNT);
}

static int64_t stat_of(const segb_client_t *c, segb_stat_t stat) {
  int64_t v[SEGB_STAT__COUNT];
  stats_of(c, v);
  return v[stat];
}

/* No counter below 0, and every accepted event in exactly one state. */
static int balanced(const int64_t *v) {
  int i;

  for (i = 0; i < SEGB_STAT__COUNT; i++)
    if (v[i] < 0)
      return 0;
  return v[SEGB_STAT_ENQUEUED] ==
         v[SEGB_STAT_DELIVERED] + v[SEGB_STAT_DROPPED] + v[SEGB_STAT_QUEUED] +
             v[SEGB_STAT_IN_FLIGHT];
}

typedef struct stat_wait {
  const segb_client_t *client;
  segb_stat_t stat;
  int64_t value;
} stat_wait;

static int stat_reached(void *arg) {
  stat_wait *w = arg;
  return stat_of(w->client, w->stat) == w->value;
}

static void wait_stat(const segb_client_t *c, segb_stat_t stat, int64_t value) {
  stat_wait w = {c, stat, value};
  char what[80];

  snprintf(what, sizeof what, "counter %s to reach %lld", segb_stat_name(stat),
           (long long)value);
  wait_until(stat_reached, &w, what);
}

/* ---- events ------------------------------------------------------------ */

/* A message of @type from user "u-@user" with messageId "ev-@id"; a track
 * has properties {"seq":@seq} plus the members in @more (may be NULL).
 * NULL when something failed (enqueue then refuses it). */
static segb_message_t *message(int type, int id, int user, int seq,
                               const char *more) {
  segb_message_t *m = segb_message_new(type);
  char text[32], props[1200];
  int ok;

  if (m == NULL)
    return NULL;
  snprintf(text, sizeof text, "u-%d", user);
  ok = segb_message_set_string(m, "userId", text) == SEGB_OK;
  snprintf(text, sizeof text, "ev-%d", id);
  ok = ok && segb_message_set_string(m, "messageId", text) == SEGB_OK;
  if (type == SEGB_MSG_TRACK) {
    snprintf(props, sizeof props, "{\"seq\":%d%s%s}", seq,
             more != NULL ? "," : "", more != NULL ? more : "");
    ok = ok && segb_message_set_string(m, "event", "Tested") == SEGB_OK &&
         segb_message_set_json(m, "properties", props) == SEGB_OK;
  }
  if (!ok) {
    segb_message_destroy(m);
    return NULL;
  }
  return m;
}

static int send_event(segb_client_t *c, int id, int user, int seq) {
  return segb_client_enqueue(c, message(SEGB_MSG_TRACK, id, user, seq, NULL));
}

/* Events ev-@from .. ev-(@to - 1), all accepted, from @users users. */
static void send_events(segb_client_t *c, int from, int to, int users) {
  int i;

  for (i = from; i < to; i++)
    assert_int_equal(send_event(c, i, i % users, i), SEGB_OK);
}

/* ---- the ledger: what the callbacks saw -------------------------------- */

/* The log lines a ledger keeps; past them it only counts. */
#define LINES_MAX 64

typedef struct log_line {
  int level, on_dispatch;
  char context[16];
  char text[1024];
} log_line;

/* Events carry messageIds "ev-<n>" for n below the ledger's capacity; the
 * delivery callback counts each one's reports, and the statistics and log
 * callbacks, when a test sets them, record their calls. The lock and
 * condition also serve the helper threads of a test. */
typedef struct ledger {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int cap;
  int *count;  /* reports for each id */
  int *err;    /* the code of its report */
  int *status; /* the HTTP status of its report */
  int reports, delivered, strays;
  int unbalanced;  /* snapshots in the callback that did not balance */
  int on_dispatch; /* reports on a thread named segb-dispatch */
  int on_thread;   /* reports on @thread, when @thread_set */
  pthread_t thread;
  int thread_set;
  int64_t max_in_flight, last_enqueued; /* seen in the callback */
  /* When above 0, the first report waits (hang guard) until this many
   * producers have stopped calling the client; gate_expired if it gave up.
   * Helper threads that end bump threads_done. */
  int hold_for_producers, producers_stopped, gate_expired;
  int threads_done;
  /* When above 0, the report of an id below it calls flush, close and
   * purge (each must refuse) and enqueues ev-(id + reenter_below);
   * reentered counts the reports where all of that went as it must. */
  int reenter_below, reentered;
  /* Statistics calls: in all, with a text that was not every counter by
   * name or did not balance (bad), on a thread named segb-dispatch, on
   * @thread, and those in which flush, close, purge and poll refused while
   * segb_client_stats() worked (reentered); the last call's thread, and
   * the counters of the last call that was not bad. */
  int stats_calls, stats_bad, stats_on_dispatch, stats_on_thread;
  int stats_reentered;
  pthread_t stats_thread;
  int64_t stats_last[SEGB_STAT__COUNT];
  /* Log lines: how many, the first LINES_MAX of them. */
  int lines;
  log_line *line;
} ledger;

static void ledger_init(ledger *l, int cap) {
  memset(l, 0, sizeof *l);
  assert_int_equal(pthread_mutex_init(&l->mu, NULL), 0);
  assert_int_equal(pthread_cond_init(&l->cv, NULL), 0);
  l->cap = cap;
  l->count = calloc((size_t)cap, sizeof *l->count);
  l->err = calloc((size_t)cap, sizeof *l->err);
  l->status = calloc((size_t)cap, sizeof *l->status);
  l->line = calloc(LINES_MAX, sizeof *l->line);
  assert_true(l->count != NULL && l->err != NULL && l->status != NULL &&
              l->line != NULL);
}

static void ledger_free(ledger *l) {
  free(l->count);
  free(l->err);
  free(l->status);
  free(l->line);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
}

typedef int ledger_condition(const ledger *l, int n);

/* Wait under @l's lock until @cond(@l, @n) holds, at most @seconds;
 * returns whether it holds. */
static int ledger_wait_for(ledger *l, ledger_condition *cond, int n,
                           int seconds) {
  struct timespec until;
  int ok;

  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += seconds;
  pthread_mutex_lock(&l->mu);
  while (!(ok = cond(l, n)) &&
         pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT)
    ;
  ok = ok || cond(l, n);
  pthread_mutex_unlock(&l->mu);
  return ok;
}

static int reports_reached(const ledger *l, int n) { return l->reports >= n; }

static int stats_calls_reached(const ledger *l, int n) {
  return l->stats_calls >= n;
}

static int threads_ended(const ledger *l, int n) {
  return l->threads_done >= n;
}

static int producers_ended(const ledger *l, int n) {
  return l->producers_stopped >= n;
}

/* Wait for @n reports in all, or fail as hung. */
static void wait_reports(ledger *l, int n) {
  if (!ledger_wait_for(l, reports_reached, n, HANG_GUARD_S))
    fail_msg("%d of %d reports after %d s", l->reports, n, HANG_GUARD_S);
}

/* Wait for @n statistics calls in all, or fail as hung. */
static void wait_stats_calls(ledger *l, int n) {
  if (!ledger_wait_for(l, stats_calls_reached, n, HANG_GUARD_S))
    fail_msg("%d of %d statistics calls after %d s", l->stats_calls, n,
             HANG_GUARD_S);
}

/* Wait for @n helper threads to end, or fail as hung. */
static void wait_threads(ledger *l, int n) {
  if (!ledger_wait_for(l, threads_ended, n, HANG_GUARD_S))
    fail_msg("%d of %d threads still running after %d s: a call hangs",
             n - l->threads_done, n, HANG_GUARD_S);
}

/* A helper thread's last act. */
static void thread_done(ledger *l) {
  pthread_mutex_lock(&l->mu);
  l->threads_done++;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

/* Count the reports made on the calling thread in on_thread. */
static void ledger_expect_thread(ledger *l) {
  pthread_mutex_lock(&l->mu);
  l->thread = pthread_self();
  l->thread_set = 1;
  pthread_mutex_unlock(&l->mu);
}

static int ledger_reports(ledger *l) {
  int n;

  pthread_mutex_lock(&l->mu);
  n = l->reports;
  pthread_mutex_unlock(&l->mu);
  return n;
}

static int ledger_stats_calls(ledger *l) {
  int n;

  pthread_mutex_lock(&l->mu);
  n = l->stats_calls;
  pthread_mutex_unlock(&l->mu);
  return n;
}

/* "ev-<n>" -> n; -1 for any other messageId. */
static int parse_id(const char *message_id) {
  char *end;
  long n;

  if (message_id == NULL || strncmp(message_id, "ev-", 3) != 0)
    return -1;
  n = strtol(message_id + 3, &end, 10);
  return *end == '\0' && n >= 0 && n < 100000000 ? (int)n : -1;
}

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  ledger *l = opaque;
  int64_t v[SEGB_STAT__COUNT];
  int have = segb_client_stats(c, v, SEGB_STAT__COUNT) == SEGB_STAT__COUNT;
  int id = parse_id(segb_report_message_id(r)), err = segb_report_err(r);
  int dispatch = on_dispatch_thread(), hold, reenter;

  pthread_mutex_lock(&l->mu);
  hold = l->reports++ == 0 ? l->hold_for_producers : 0;
  reenter = id >= 0 && id < l->reenter_below ? l->reenter_below : 0;
  l->delivered += err == SEGB_OK;
  if (id < 0 || id >= l->cap) {
    l->strays++;
  } else {
    l->count[id]++;
    l->err[id] = err;
    l->status[id] = segb_report_http_status(r);
  }
  if (!have || !balanced(v)) {
    l->unbalanced++;
  } else {
    if (v[SEGB_STAT_IN_FLIGHT] > l->max_in_flight)
      l->max_in_flight = v[SEGB_STAT_IN_FLIGHT];
    l->last_enqueued = v[SEGB_STAT_ENQUEUED];
  }
  l->on_dispatch += dispatch;
  l->on_thread += l->thread_set && pthread_equal(l->thread, pthread_self());
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  if (hold > 0 && !ledger_wait_for(l, producers_ended, hold, HANG_GUARD_S)) {
    pthread_mutex_lock(&l->mu);
    l->gate_expired = 1;
    pthread_mutex_unlock(&l->mu);
  }
  if (reenter > 0) {
    int ok = segb_client_flush(c, 1000) == SEGB_ERR_IN_CALLBACK &&
             segb_client_close(c, 0) == SEGB_ERR_IN_CALLBACK &&
             segb_client_purge(c) == SEGB_ERR_IN_CALLBACK &&
             segb_client_enqueue(c, message(SEGB_MSG_TRACK, id + reenter, 1,
                                            id + reenter, NULL)) == SEGB_OK;

    pthread_mutex_lock(&l->mu);
    l->reentered += ok;
    pthread_mutex_unlock(&l->mu);
  }
}

/* Whether @json (@len bytes, NUL-terminated, one line without spaces) is an
 * object that holds every counter, by name in segb_stat_t order, each an
 * integer (cJSON as the oracle); their values in @v. */
static int parse_stats(const char *json, size_t len, int64_t *v) {
  cJSON *root = cJSON_ParseWithLength(json, len);
  const cJSON *member = cJSON_IsObject(root) ? root->child : NULL;
  int i;

  for (i = 0; i < SEGB_STAT__COUNT && member != NULL;
       i++, member = member->next) {
    if (member->string == NULL ||
        strcmp(member->string, segb_stat_name(i)) != 0 ||
        !cJSON_IsNumber(member) ||
        member->valuedouble != (double)(int64_t)member->valuedouble)
      break;
    v[i] = (int64_t)member->valuedouble;
  }
  cJSON_Delete(root);
  return i == SEGB_STAT__COUNT && strlen(json) == len &&
         strpbrk(json, " \n") == NULL;
}

static void on_stats(segb_client_t *c, const char *json, size_t len,
                     void *opaque) {
  ledger *l = opaque;
  int64_t v[SEGB_STAT__COUNT], now[SEGB_STAT__COUNT];
  int ok = parse_stats(json, len, v) && balanced(v);
  int reentered =
      segb_client_flush(c, 1000) == SEGB_ERR_IN_CALLBACK &&
      segb_client_close(c, 0) == SEGB_ERR_IN_CALLBACK &&
      segb_client_purge(c) == SEGB_ERR_IN_CALLBACK &&
      segb_client_poll(c, 0) == SEGB_ERR_IN_CALLBACK &&
      segb_client_stats(c, now, SEGB_STAT__COUNT) == SEGB_STAT__COUNT &&
      balanced(now);
  int dispatch = on_dispatch_thread();

  pthread_mutex_lock(&l->mu);
  l->stats_calls++;
  l->stats_bad += !ok;
  if (ok)
    memcpy(l->stats_last, v, sizeof v);
  l->stats_on_dispatch += dispatch;
  l->stats_on_thread +=
      l->thread_set && pthread_equal(l->thread, pthread_self());
  l->stats_reentered += reentered;
  l->stats_thread = pthread_self();
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

static void on_log(int level, const char *context, const char *line,
                   void *opaque) {
  ledger *l = opaque;
  int dispatch = on_dispatch_thread();

  pthread_mutex_lock(&l->mu);
  if (l->lines < LINES_MAX) {
    log_line *at = &l->line[l->lines];

    at->level = level;
    at->on_dispatch = dispatch;
    snprintf(at->context, sizeof at->context, "%s", context);
    snprintf(at->text, sizeof at->text, "%s", line);
  }
  l->lines++;
  pthread_mutex_unlock(&l->mu);
}

/* Ids [@from, @to) were each reported exactly once, with @err. */
static void assert_reported(const ledger *l, int from, int to, int err) {
  int i;

  for (i = from; i < to; i++) {
    if (l->count[i] != 1)
      fail_msg("ev-%d: %d reports", i, l->count[i]);
    if (l->err[i] != err)
      fail_msg("ev-%d: reported %s, not %s", i, segb_err_name(l->err[i]),
               segb_err_name(err));
  }
}

/* ---- what the mock got ------------------------------------------------- */

/* The id, user and seq of the mock's @i-th message (-1 when absent);
 * 0 past the end. */
static int mock_event(sbm_mock *m, size_t i, int *id, int *user, int *seq) {
  char *json = sbm_message(m, i);
  const char *p;

  if (json == NULL)
    return 0;
  *id = *user = *seq = -1;
  if ((p = strstr(json, "\"messageId\":\"ev-")) != NULL)
    *id = atoi(p + 16);
  if ((p = strstr(json, "\"userId\":\"u-")) != NULL)
    *user = atoi(p + 12);
  if ((p = strstr(json, "\"seq\":")) != NULL)
    *seq = atoi(p + 6);
  free(json);
  return 1;
}

/* How many times the mock accepted each of ids [0, @cap), in @seen; fails
 * on a message that is none of them. */
static void mock_counts(sbm_mock *m, int cap, int *seen) {
  int id, user, seq;
  size_t i;

  memset(seen, 0, (size_t)cap * sizeof *seen);
  for (i = 0; mock_event(m, i, &id, &user, &seq); i++) {
    if (id < 0 || id >= cap)
      fail_msg("the mock's message %zu is no event of this test", i);
    seen[id]++;
  }
}

/* ---- fixture ----------------------------------------------------------- */

#define MAX_DISPATCHERS 64

typedef struct dfix {
  fx_client fx;
  ledger log;
  segb_raw_server *raw;         /* the endpoint, when a raw server is */
  int fds_before, tasks_before; /* before the raw server and the client */
  /* dispatcher threads before the client (an earlier failed test's) */
  long dispatchers[MAX_DISPATCHERS];
  int dispatchers_before;
} dfix;

/* A mock (started with @mo) and the config of a client of it, or of a raw
 * server doing @steps and relaying to the mock; fast retries, then the
 * name, value pairs in @extras; reports go to the ledger, for ids below
 * @cap; open_client() makes the client. On the heap: when a test fails,
 * its client lives on and may still report into it, so it is never freed
 * but by stop(). */
static dfix *prepare_va(sbm_options mo, const segb_raw_step *steps, size_t n,
                        int cap, va_list extras) {
  dfix *d = calloc(1, sizeof *d);

  assert_non_null(d);
  mo.write_key = WRITE_KEY;
  fx_start(&d->fx, mo, WRITE_KEY);
  d->raw = NULL;
  d->fds_before = count_entries("/proc/self/fd");
  d->tasks_before = count_entries("/proc/self/task");
  if (steps != NULL) {
    char url[64];

    d->raw = segb_raw_start(steps, n, sbm_port(d->fx.mock));
    assert_non_null(d->raw);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", segb_raw_port(d->raw));
    fx_set(d->fx.conf, "endpoint", url);
  }
  fx_set(d->fx.conf, "retry.backoff_initial_ms", "1");
  fx_set(d->fx.conf, "retry.backoff_max_ms", "20");
  fx_finish_config(&d->fx, extras);
  ledger_init(&d->log, cap);
  segb_config_set_delivery_cb(d->fx.conf, on_report);
  segb_config_set_opaque(d->fx.conf, &d->log);
  return d;
}

/* Make @d's client, once its config is complete. */
static void open_client(dfix *d) {
  d->dispatchers_before =
      threads_named(DISPATCH_THREAD, d->dispatchers, MAX_DISPATCHERS);
  assert_true(d->dispatchers_before < MAX_DISPATCHERS);
  fx_open(&d->fx);
}

/* prepare_va() and open_client(). */
static dfix *start_va(sbm_options mo, const segb_raw_step *steps, size_t n,
                      int cap, va_list extras) {
  dfix *d = prepare_va(mo, steps, n, cap, extras);

  open_client(d);
  return d;
}

/* Dispatcher threads that were not there before @d's client; the id of
 * one in *@tid when not NULL. */
static int new_dispatchers(const dfix *d, long *tid) {
  long now[MAX_DISPATCHERS];
  int n = threads_named(DISPATCH_THREAD, now, MAX_DISPATCHERS), fresh = 0;
  int i, j;

  assert_true(n < MAX_DISPATCHERS);
  for (i = 0; i < n; i++) {
    for (j = 0; j < d->dispatchers_before && d->dispatchers[j] != now[i]; j++)
      ;
    if (j < d->dispatchers_before)
      continue;
    if (tid != NULL)
      *tid = now[i];
    fresh++;
  }
  return fresh;
}

typedef struct dispatcher_wait {
  const dfix *d;
  long tid;
} dispatcher_wait;

static int one_dispatcher(void *arg) {
  dispatcher_wait *w = arg;
  return new_dispatchers(w->d, &w->tid) == 1;
}

/* The id of @d's client's dispatcher thread, once it has named itself. */
static long dispatcher_of(const dfix *d) {
  dispatcher_wait w = {d, -1};

  wait_until(one_dispatcher, &w, "one thread named " DISPATCH_THREAD);
  return w.tid;
}

static sbm_options no_options(void) {
  sbm_options mo;
  memset(&mo, 0, sizeof mo);
  return mo;
}

static dfix *start(int cap, ...) {
  va_list ap;
  dfix *d;

  va_start(ap, cap);
  d = start_va(no_options(), NULL, 0, cap, ap);
  va_end(ap);
  return d;
}

static dfix *start_mock(sbm_options mo, int cap, ...) {
  va_list ap;
  dfix *d;

  va_start(ap, cap);
  d = start_va(mo, NULL, 0, cap, ap);
  va_end(ap);
  return d;
}

static dfix *start_raw(const segb_raw_step *steps, size_t n, int cap, ...) {
  va_list ap;
  dfix *d;

  va_start(ap, cap);
  d = start_va(no_options(), steps, n, cap, ap);
  va_end(ap);
  return d;
}

/* start() and start_raw() that leave the client to open_client(), for the
 * callbacks that are set on the config. */
static dfix *prepare(int cap, ...) {
  va_list ap;
  dfix *d;

  va_start(ap, cap);
  d = prepare_va(no_options(), NULL, 0, cap, ap);
  va_end(ap);
  return d;
}

static dfix *prepare_raw(const segb_raw_step *steps, size_t n, int cap, ...) {
  va_list ap;
  dfix *d;

  va_start(ap, cap);
  d = prepare_va(no_options(), steps, n, cap, ap);
  va_end(ap);
  return d;
}

/* The client was closed: stop the servers and free the fixture. */
static void stop(dfix *d) {
  segb_raw_stop(d->raw);
  sbm_stop(d->fx.mock);
  ledger_free(&d->log);
  free(d);
}

/* Close, with nothing left undelivered. */
static void close_client(dfix *d) {
  assert_int_equal(segb_client_close(d->fx.client, GENEROUS_MS), SEGB_OK);
}

static void finish(dfix *d) {
  close_client(d);
  stop(d);
}

/* Every event of [0, @n) delivered, reported once, accepted by the mock
 * at least once (at-least-once: only as duplicates the mock counted), and
 * no other message anywhere. */
static void assert_all_delivered(dfix *d, int n) {
  int *seen = calloc((size_t)n, sizeof *seen);
  sbm_stats st;
  int i;

  assert_non_null(seen);
  wait_reports(&d->log, n);
  assert_int_equal(d->log.reports, n);
  assert_int_equal(d->log.strays, 0);
  assert_reported(&d->log, 0, n, SEGB_OK);
  mock_counts(d->fx.mock, n, seen);
  for (i = 0; i < n; i++)
    if (seen[i] == 0)
      fail_msg("ev-%d was reported delivered but the mock never had it", i);
  sbm_get_stats(d->fx.mock, &st);
  assert_int_equal(st.messages, (uint64_t)n + st.duplicates);
  free(seen);
}

/* Close, check that events [0, @n) were all delivered, and stop. */
static void finish_delivered(dfix *d, int n) {
  close_client(d);
  assert_all_delivered(d, n);
  stop(d);
}

/* ---- thread mode: sending in the background ---------------------------- */

/* Send @events events and expect at least @want reports without any
 * flush, on the dispatcher thread; then close. Settings follow as name,
 * value pairs. */
static void check_background(const char *what, int events, int want,
                             const char *pad, ...) {
  int reports, on_dispatch, delivered, unbalanced, i;
  dfix *d;
  va_list ap;

  va_start(ap, pad);
  d = start_va(no_options(), NULL, 0, events, ap);
  va_end(ap);
  dispatcher_of(d);
  for (i = 0; i < events; i++)
    assert_int_equal(segb_client_enqueue(d->fx.client,
                                         message(SEGB_MSG_TRACK, i, 1, i, pad)),
                     SEGB_OK);
  if (!ledger_wait_for(&d->log, reports_reached, want, HANG_GUARD_S))
    fail_msg("%s: %d of %d events reported without a flush", what,
             d->log.reports, want);
  pthread_mutex_lock(&d->log.mu);
  reports = d->log.reports;
  on_dispatch = d->log.on_dispatch;
  delivered = d->log.delivered;
  unbalanced = d->log.unbalanced;
  pthread_mutex_unlock(&d->log.mu);
  assert_int_equal(on_dispatch, reports);
  assert_int_equal(delivered, reports);
  assert_int_equal(unbalanced, 0);
  finish_delivered(d, events);
}

/* Each trigger sends by itself, and reports come from the dispatcher. */
static void test_background_triggers(void **state) {
  char pad[600];
  segb_message_t *m;
  size_t len;
  char max_bytes[32];
  (void)state;

  check_background("a full batch", 5, 5, NULL, "batch.max_events", "5",
                   "batch.linger_ms", "600000", NULL);
  check_background("linger", 3, 3, NULL, "batch.linger_ms", "20", NULL);
  check_background("realtime", 2, 2, NULL, "freshness", "realtime",
                   "batch.linger_ms", "600000", NULL);
  /* a body bound that three events fit and four do not */
  snprintf(pad, sizeof pad, "\"pad\":\"%0500d\"", 0);
  m = message(SEGB_MSG_TRACK, 0, 1, 0, pad);
  assert_int_equal(segb_message_seal(m), SEGB_OK);
  assert_non_null(segb_message_json(m, &len));
  segb_message_destroy(m);
  snprintf(max_bytes, sizeof max_bytes, "%zu", 3 * len + len / 2);
  check_background("a full body", 4, 3, pad, "batch.max_bytes", max_bytes,
                   "batch.linger_ms", "600000", "batch.max_events", "2500",
                   NULL);
}

/* ---- seeded faults ----------------------------------------------------- */

/* Takes counter snapshots from another thread until told to stop. */
typedef struct sampler {
  ledger *log;
  const segb_client_t *client;
  atomic_int stop;
  int busy, unbalanced, refused; /* busy: samples with events pending */
} sampler;

static void *sample_stats(void *arg) {
  sampler *s = arg;

  while (!atomic_load(&s->stop)) {
    int64_t v[SEGB_STAT__COUNT];

    if (segb_client_stats(s->client, v, SEGB_STAT__COUNT) != SEGB_STAT__COUNT) {
      s->refused++;
    } else {
      s->unbalanced += !balanced(v);
      s->busy += v[SEGB_STAT_QUEUED] + v[SEGB_STAT_IN_FLIGHT] > 0;
    }
    sleep_ms(1);
  }
  thread_done(s->log);
  return NULL;
}

/* 3000 events of 100 users, 8 requests in flight, the first answers
 * slow, then 30 % of requests failed with 500, 503, 429 or a reset: each event
 * reported once, all delivered, none missing at the mock, and the counters
 * balance at every snapshot another thread takes meanwhile. */
static void test_seeded_faults(void **state) {
  enum { EVENTS = 3000 };
  sbm_options mo = no_options();
  int64_t v[SEGB_STAT__COUNT];
  int i, refused = 0, flushed;
  pthread_t th;
  sampler s;
  dfix *d;
  (void)state;

  mo.seed = 20261201;
  mo.fail_rate = 0.3;
  d = start_mock(mo, EVENTS, "dispatch.max_in_flight", "8", "batch.max_events",
                 "100", NULL);
  memset(&s, 0, sizeof s);
  s.log = &d->log;
  s.client = d->fx.client;
  sbm_script(d->fx.mock, SBM_FAULT_DELAY, 5, 50);
  assert_int_equal(pthread_create(&th, NULL, sample_stats, &s), 0);
  for (i = 0; i < EVENTS; i++)
    refused += send_event(d->fx.client, i, i % 100, i) != SEGB_OK;
  flushed = segb_client_flush(d->fx.client, GENEROUS_MS);
  atomic_store(&s.stop, 1);
  wait_threads(&d->log, 1);
  assert_int_equal(pthread_join(th, NULL), 0);

  assert_int_equal(refused, 0);
  assert_int_equal(flushed, SEGB_OK);
  wait_reports(&d->log, EVENTS);
  assert_int_equal(s.refused, 0);
  assert_int_equal(s.unbalanced, 0);
  assert_true(s.busy > 0);
  assert_int_equal(d->log.unbalanced, 0);
  stats_of(d->fx.client, v);
  assert_true(balanced(v));
  assert_int_equal(v[SEGB_STAT_ENQUEUED], EVENTS);
  assert_int_equal(v[SEGB_STAT_DELIVERED], EVENTS);
  assert_true(v[SEGB_STAT_RETRIES] > 0);
  assert_true(fx_stats(&d->fx).faults > 0);
  finish_delivered(d, EVENTS);
}

/* ---- per-user order ---------------------------------------------------- */

/* 50 users, 40 events each enqueued in turn, 8 requests in flight, the
 * first answer held 2 s and the others 20 ms each: every user's events
 * reach the mock in the order enqueued, while several requests were in
 * flight at once (more events in flight than one batch holds). */
static void test_per_user_order(void **state) {
  enum { USERS = 50, EACH = 40, BATCH = 20 };
  int last[USERS], got[USERS], id, user, seq, i;
  size_t at;
  dfix *d;
  (void)state;

  d = start(USERS * EACH, "dispatch.max_in_flight", "8", "batch.max_events",
            "20", NULL);
  sbm_script(d->fx.mock, SBM_FAULT_DELAY, 1, 2000);
  sbm_script(d->fx.mock, SBM_FAULT_DELAY, 200, 20);
  for (seq = 0; seq < EACH; seq++)
    for (user = 0; user < USERS; user++)
      assert_int_equal(send_event(d->fx.client, seq * USERS + user, user, seq),
                       SEGB_OK);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  wait_reports(&d->log, USERS * EACH);
  assert_true(d->log.max_in_flight > BATCH);

  for (i = 0; i < USERS; i++) {
    last[i] = -1;
    got[i] = 0;
  }
  for (at = 0; mock_event(d->fx.mock, at, &id, &user, &seq); at++) {
    assert_true(user >= 0 && user < USERS);
    if (seq <= last[user])
      fail_msg("u-%d: seq %d arrived after seq %d", user, seq, last[user]);
    assert_int_equal(id, seq * USERS + user);
    last[user] = seq;
    got[user]++;
  }
  for (i = 0; i < USERS; i++)
    assert_int_equal(got[i], EACH);
  finish_delivered(d, USERS * EACH);
}

/* ---- flush ------------------------------------------------------------- */

/* Slow answers: flush waits for them, and when it returns every event
 * enqueued before it is counted reported. */
static void test_flush_slow_responses(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  dfix *d;
  (void)state;

  d = start(100, "batch.max_events", "10", NULL);
  sbm_script(d->fx.mock, SBM_FAULT_DELAY, 10, 100);
  send_events(d->fx.client, 0, 100, 10);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  stats_of(d->fx.client, v);
  assert_int_equal(v[SEGB_STAT_DELIVERED], 100);
  assert_int_equal(v[SEGB_STAT_QUEUED], 0);
  assert_int_equal(v[SEGB_STAT_IN_FLIGHT], 0);
  finish_delivered(d, 100);
}

typedef struct flusher {
  ledger *log;
  segb_client_t *client;
  int first, rc, reported; /* reported: counted when its flush returned */
} flusher;

static void *enqueue_and_flush(void *arg) {
  flusher *f = arg;
  int64_t v[SEGB_STAT__COUNT];
  int i;

  f->rc = SEGB_OK;
  for (i = f->first; i < f->first + 25 && f->rc == SEGB_OK; i++)
    f->rc = send_event(f->client, i, f->first, i);
  if (f->rc == SEGB_OK)
    f->rc = segb_client_flush(f->client, GENEROUS_MS);
  if (segb_client_stats(f->client, v, SEGB_STAT__COUNT) == SEGB_STAT__COUNT)
    f->reported = (int)(v[SEGB_STAT_DELIVERED] + v[SEGB_STAT_DROPPED]);
  thread_done(f->log);
  return NULL;
}

/* Four threads enqueue and flush at once over slow answers: each flush
 * succeeds, having seen its own events reported. */
static void test_flush_concurrent(void **state) {
  enum { FLUSHERS = 4 };
  flusher f[FLUSHERS];
  pthread_t th[FLUSHERS];
  dfix *d;
  int i;
  (void)state;

  d = start(FLUSHERS * 25, "batch.max_events", "10", NULL);
  sbm_script(d->fx.mock, SBM_FAULT_DELAY, 20, 50);
  for (i = 0; i < FLUSHERS; i++) {
    f[i] = (flusher){&d->log, d->fx.client, i * 25, -1, 0};
    assert_int_equal(pthread_create(&th[i], NULL, enqueue_and_flush, &f[i]), 0);
  }
  wait_threads(&d->log, FLUSHERS);
  for (i = 0; i < FLUSHERS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  for (i = 0; i < FLUSHERS; i++) {
    assert_int_equal(f[i].rc, SEGB_OK);
    assert_true(f[i].reported >= 25);
  }
  finish_delivered(d, FLUSHERS * 25);
}

/* A flush with a tiny deadline against a server that never answers times
 * out; the client stays usable: the held request times out and is retried
 * to the mock, and a later flush delivers everything. */
static void test_flush_timed_out_then_usable(void **state) {
  static const segb_raw_step hold_then_relay[] = {{SEGB_RAW_HOLD, NULL},
                                                  {SEGB_RAW_RELAY, NULL}};
  int64_t v[SEGB_STAT__COUNT];
  dfix *d;
  (void)state;

  d = start_raw(hold_then_relay, 2, 6, "http.timeout_ms", "3000", NULL);
  send_events(d->fx.client, 0, 5, 1);
  assert_int_equal(segb_client_flush(d->fx.client, 50), SEGB_ERR_TIMED_OUT);
  stats_of(d->fx.client, v);
  assert_true(balanced(v));
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 5);
  send_events(d->fx.client, 5, 6, 1);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_true(segb_raw_connections(d->raw) >= 2);
  finish_delivered(d, 6);
}

/* ---- close ------------------------------------------------------------- */

typedef struct closer {
  ledger *log;
  segb_client_t *client;
  int timeout_ms, rc;
} closer;

static void *run_close(void *arg) {
  closer *c = arg;

  c->rc = segb_client_close(c->client, c->timeout_ms);
  thread_done(c->log);
  return NULL;
}

/* Against a server that takes every request and never answers, close(1 s)
 * returns (the requests in flight aborted), reports each event dropped
 * with SEGB_ERR_CLOSED, and leaves no thread or descriptor behind. */
static void test_close_silent_server(void **state) {
  static const segb_raw_step hold[] = {{SEGB_RAW_HOLD, NULL}};
  closer c;
  pthread_t th;
  dfix *d;
  (void)state;

  d = start_raw(hold, 1, 20, "http.timeout_ms", "120000", "freshness",
                "realtime", "batch.max_events", "5", NULL);
  send_events(d->fx.client, 0, 20, 4);
  c = (closer){&d->log, d->fx.client, 1000, 0};
  assert_int_equal(pthread_create(&th, NULL, run_close, &c), 0);
  wait_threads(&d->log, 1);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(c.rc, SEGB_ERR_TIMED_OUT);
  assert_true(segb_raw_connections(d->raw) >= 1);
  assert_int_equal(d->log.reports, 20);
  assert_int_equal(d->log.strays, 0);
  assert_reported(&d->log, 0, 20, SEGB_ERR_CLOSED);
  assert_int_equal(new_dispatchers(d, NULL), 0);
  segb_raw_stop(d->raw);
  d->raw = NULL;
  assert_int_equal(count_entries("/proc/self/fd"), d->fds_before);
  assert_int_equal(count_entries("/proc/self/task"), d->tasks_before);
  stop(d);
}

/* A client that never got an event closes at once, in both modes, with a
 * dispatcher thread only in thread mode, and leaves nothing behind. */
static void test_close_unused(void **state) {
  static const char *const modes[] = {"inline", "thread"};
  size_t i;
  (void)state;

  for (i = 0; i < 2; i++) {
    dfix *d;

    d = start(1, "dispatch.mode", modes[i], NULL);
    if (i == 1)
      dispatcher_of(d);
    assert_int_equal(new_dispatchers(d, NULL), (int)i);
    assert_int_equal(segb_client_close(d->fx.client, 0), SEGB_OK);
    assert_int_equal(new_dispatchers(d, NULL), 0);
    assert_int_equal(d->log.reports, 0);
    assert_int_equal(count_entries("/proc/self/fd"), d->fds_before);
    assert_int_equal(count_entries("/proc/self/task"), d->tasks_before);
    assert_int_equal(fx_stats(&d->fx).requests, 0);
    stop(d);
  }
}

/* Producers that enqueue until they meet SEGB_ERR_CLOSED. Each id is
 * taken once from next_id; accepted[id] says whether enqueue took it. */
typedef struct race {
  ledger *log;
  segb_client_t *client;
  unsigned char *accepted;
  atomic_int next_id, accepted_count, saw_closed, full, other, stop;
} race;

static void *produce(void *arg) {
  race *r = arg;

  while (!atomic_load(&r->stop)) {
    int id = atomic_fetch_add(&r->next_id, 1), rc;

    if (id >= r->log->cap) {
      atomic_fetch_add(&r->other, 1);
      break;
    }
    rc = send_event(r->client, id, id % 50, id);
    if (rc == SEGB_OK) {
      r->accepted[id] = 1;
      atomic_fetch_add(&r->accepted_count, 1);
    } else if (rc == SEGB_ERR_CLOSED) {
      atomic_fetch_add(&r->saw_closed, 1);
      break;
    } else if (rc == SEGB_ERR_QUEUE_FULL) {
      atomic_fetch_add(&r->full, 1);
      sched_yield(); /* let the closing thread run */
    } else {
      atomic_fetch_add(&r->other, 1);
    }
  }
  pthread_mutex_lock(&r->log->mu);
  r->log->producers_stopped++;
  pthread_mutex_unlock(&r->log->mu);
  thread_done(r->log);
  return NULL;
}

static int enough_accepted(void *arg) {
  return atomic_load(&((race *)arg)->accepted_count) >= 160;
}

/* 16 threads enqueue while the test thread closes. The events stay
 * queued until close; the first report holds close up until every
 * producer has met SEGB_ERR_CLOSED, so none calls the client after close
 * returns. Each accepted event is reported once, delivered or closed, and
 * the client counted exactly those as enqueued. */
static void test_close_races_producers(void **state) {
  enum { PRODUCERS = 16, CAP = 400000 };
  pthread_t th[PRODUCERS];
  int *seen, accepted, delivered = 0, i, rc;
  race r;
  dfix *d;
  (void)state;

  /* A queue that does not fill while the producers wait for close: a full
   * one would have them spin through every id (valgrind may leave the
   * closing thread unscheduled for long). */
  d = start(CAP, "batch.max_events", "2500", "batch.linger_ms", "600000",
            "queue.max_events", "100000", NULL);
  pthread_mutex_lock(&d->log.mu);
  d->log.hold_for_producers = PRODUCERS;
  pthread_mutex_unlock(&d->log.mu);
  memset(&r, 0, sizeof r);
  r.log = &d->log;
  r.client = d->fx.client;
  r.accepted = calloc(CAP, 1);
  assert_non_null(r.accepted);
  for (i = 0; i < PRODUCERS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, produce, &r), 0);
  rc = wait_for(enough_accepted, &r)
           ? segb_client_close(d->fx.client, GENEROUS_MS)
           : SEGB_ERR_TIMED_OUT;
  atomic_store(&r.stop, 1);
  wait_threads(&d->log, PRODUCERS);
  for (i = 0; i < PRODUCERS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_int_equal(rc, SEGB_OK);

  accepted = atomic_load(&r.accepted_count);
  assert_int_equal(atomic_load(&r.saw_closed), PRODUCERS);
  assert_int_equal(atomic_load(&r.other), 0);
  assert_int_equal(d->log.gate_expired, 0);
  assert_int_equal(d->log.strays, 0);
  assert_int_equal(d->log.unbalanced, 0);
  assert_int_equal(d->log.reports, accepted);
  assert_int_equal(d->log.last_enqueued, accepted);
  for (i = 0; i < CAP; i++) {
    if (d->log.count[i] != r.accepted[i])
      fail_msg("ev-%d: accepted %d, reported %d times", i, r.accepted[i],
               d->log.count[i]);
    if (d->log.count[i] == 0)
      continue;
    if (d->log.err[i] != SEGB_OK && d->log.err[i] != SEGB_ERR_CLOSED)
      fail_msg("ev-%d: reported %s", i, segb_err_name(d->log.err[i]));
    delivered += d->log.err[i] == SEGB_OK;
  }
  seen = calloc(CAP, sizeof *seen);
  assert_non_null(seen);
  mock_counts(d->fx.mock, CAP, seen);
  for (i = 0; i < CAP; i++)
    if (seen[i] > 0 && d->log.err[i] != SEGB_OK)
      fail_msg("ev-%d reached the mock but was reported %s", i,
               segb_err_name(d->log.err[i]));
  assert_int_equal(fx_stats(&d->fx).messages, (uint64_t)delivered);
  free(seen);
  free(r.accepted);
  stop(d);
}

/* ---- calls from the callback ------------------------------------------ */

/* On the dispatcher thread, the callback's flush, close and purge are
 * refused with SEGB_ERR_IN_CALLBACK (a flush there would wait for
 * itself), and what it enqueues is sent. */
static void test_calls_from_callback(void **state) {
  dfix *d;
  (void)state;

  d = start(10, NULL);
  pthread_mutex_lock(&d->log.mu);
  d->log.reenter_below = 5;
  pthread_mutex_unlock(&d->log.mu);
  send_events(d->fx.client, 0, 5, 1);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  wait_reports(&d->log, 10);
  assert_int_equal(d->log.reentered, 5);
  assert_int_equal(d->log.on_dispatch, 10);
  finish_delivered(d, 10);
}

/* ---- poll mode --------------------------------------------------------- */

typedef struct poller {
  ledger *log;
  segb_client_t *client;
  int want, served, failed, mismatched;
} poller;

/* Serve reports until @want were, each call's count checked against the
 * callbacks it made. */
static void *serve_reports(void *arg) {
  poller *p = arg;
  int i;

  ledger_expect_thread(p->log);
  for (i = 0; i < HANG_GUARD_S && p->served < p->want; i++) {
    int n = segb_client_poll(p->client, 1000);

    if (n < 0) {
      p->failed = n;
      break;
    }
    p->served += n;
    p->mismatched += ledger_reports(p->log) != p->served;
  }
  thread_done(p->log);
  return NULL;
}

static int readable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

/* report.mode=poll: reports wait for segb_client_poll() and run only on
 * the thread that polls; the report fd is readable exactly while some
 * wait; poll returns how many it served. */
static void test_poll_mode(void **state) {
  poller p;
  pthread_t th;
  dfix *d;
  int fd;
  (void)state;

  d = start(20, "report.mode", "poll", "batch.max_events", "5", NULL);
  fd = segb_client_report_fd(d->fx.client);
  assert_true(fd >= 0);
  assert_false(readable(fd, 0));
  send_events(d->fx.client, 0, 20, 3);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_true(readable(fd, GENEROUS_MS));
  assert_int_equal(ledger_reports(&d->log), 0);

  p = (poller){&d->log, d->fx.client, 20, 0, 0, 0};
  assert_int_equal(pthread_create(&th, NULL, serve_reports, &p), 0);
  wait_threads(&d->log, 1);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(p.failed, 0);
  assert_int_equal(p.served, 20);
  assert_int_equal(p.mismatched, 0);
  assert_int_equal(d->log.on_thread, 20);
  assert_int_equal(d->log.on_dispatch, 0);
  assert_false(readable(fd, 0));
  assert_int_equal(segb_client_poll(d->fx.client, 0), 0);
  finish_delivered(d, 20);
}

/* In callback mode there is no report fd, and poll has nothing to serve. */
static void test_callback_mode_has_no_fd(void **state) {
  dfix *d;
  (void)state;

  assert_int_equal(segb_client_report_fd(NULL), -1);
  d = start(1, NULL);
  assert_int_equal(segb_client_report_fd(d->fx.client), -1);
  assert_int_equal(segb_client_poll(d->fx.client, 0), 0);
  finish(d);
}

/* ---- overflow ---------------------------------------------------------- */

/* Settings under which nothing leaves a queue of 10 by itself. */
#define STILL_QUEUE                                                            \
  "queue.max_events", "10", "batch.max_events", "2500", "batch.linger_ms",     \
      "600000"

/* drop_newest: the 11th event is refused, unreported, counted refused. */
static void test_overflow_drop_newest(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  dfix *d;
  (void)state;

  d = start(11, STILL_QUEUE, "queue.overflow", "drop_newest", NULL);
  send_events(d->fx.client, 0, 10, 2);
  assert_int_equal(send_event(d->fx.client, 10, 0, 10), SEGB_ERR_QUEUE_FULL);
  stats_of(d->fx.client, v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 10);
  assert_int_equal(v[SEGB_STAT_QUEUED], 10);
  assert_int_equal(v[SEGB_STAT_REFUSED], 1);
  assert_int_equal(ledger_reports(&d->log), 0);
  assert_int_equal(segb_client_purge(d->fx.client), 10);
  wait_reports(&d->log, 10);
  assert_reported(&d->log, 0, 10, SEGB_ERR_PURGED);
  assert_int_equal(d->log.count[10], 0);
  finish(d);
}

/* drop_oldest: each new event pushes out the oldest queued one, which is
 * reported dropped with SEGB_ERR_QUEUE_FULL. */
static void test_overflow_drop_oldest(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  dfix *d;
  (void)state;

  d = start(12, STILL_QUEUE, "queue.overflow", "drop_oldest", NULL);
  send_events(d->fx.client, 0, 11, 2);
  wait_reports(&d->log, 1);
  assert_reported(&d->log, 0, 1, SEGB_ERR_QUEUE_FULL);
  stats_of(d->fx.client, v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 11);
  assert_int_equal(v[SEGB_STAT_DROPPED], 1);
  assert_int_equal(v[SEGB_STAT_QUEUED], 10);
  assert_int_equal(v[SEGB_STAT_REFUSED], 0);
  send_events(d->fx.client, 11, 12, 2);
  wait_reports(&d->log, 2);
  assert_reported(&d->log, 1, 2, SEGB_ERR_QUEUE_FULL);
  assert_int_equal(segb_client_purge(d->fx.client), 10);
  wait_reports(&d->log, 12);
  assert_int_equal(d->log.reports, 12);
  assert_reported(&d->log, 2, 12, SEGB_ERR_PURGED);
  finish(d);
}

/* drop_oldest with every held event in flight (to a server that never
 * answers): there is nothing to drop, so the new event is refused. */
static void test_overflow_drop_oldest_all_in_flight(void **state) {
  static const segb_raw_step hold[] = {{SEGB_RAW_HOLD, NULL}};
  dfix *d;
  (void)state;

  d = start_raw(hold, 1, 11, "queue.overflow", "drop_oldest",
                "queue.max_events", "10", "batch.max_events", "10",
                "batch.linger_ms", "600000", "http.timeout_ms", "120000", NULL);
  send_events(d->fx.client, 0, 10, 1);
  wait_stat(d->fx.client, SEGB_STAT_IN_FLIGHT, 10);
  assert_int_equal(send_event(d->fx.client, 10, 0, 10), SEGB_ERR_QUEUE_FULL);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_REFUSED), 1);
  assert_int_equal(ledger_reports(&d->log), 0);
  assert_int_equal(segb_client_close(d->fx.client, 1000), SEGB_ERR_TIMED_OUT);
  assert_int_equal(d->log.reports, 10);
  assert_reported(&d->log, 0, 10, SEGB_ERR_CLOSED);
  assert_int_equal(d->log.count[10], 0);
  stop(d);
}

/* Makes room in a full queue once the test thread is about to enqueue. */
typedef struct roommaker {
  ledger *log;
  segb_client_t *client;
  int purge; /* purge, else flush */
  atomic_int go;
  int rc;
} roommaker;

static void *make_room(void *arg) {
  roommaker *m = arg;

  while (!atomic_load(&m->go))
    sleep_ms(1);
  /* let the enqueue find the queue full and wait */
  sleep_ms(100);
  m->rc = m->purge ? segb_client_purge(m->client)
                   : segb_client_flush(m->client, GENEROUS_MS);
  thread_done(m->log);
  return NULL;
}

/* block: with nothing draining, enqueue gives up after
 * queue.block_timeout_ms; while another thread purges or flushes, it
 * waits for the room and succeeds. */
static void test_overflow_block(void **state) {
  roommaker m;
  pthread_t th;
  dfix *d;
  int purge, rc;
  (void)state;

  d = start(11, STILL_QUEUE, "queue.overflow", "block",
            "queue.block_timeout_ms", "50", NULL);
  send_events(d->fx.client, 0, 10, 2);
  assert_int_equal(send_event(d->fx.client, 10, 0, 10), SEGB_ERR_QUEUE_FULL);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_REFUSED), 1);
  assert_int_equal(ledger_reports(&d->log), 0);
  finish(d);

  for (purge = 1; purge >= 0; purge--) {
    d = start(11, STILL_QUEUE, "queue.overflow", "block",
              "queue.block_timeout_ms", "60000", NULL);
    send_events(d->fx.client, 0, 10, 2);
    memset(&m, 0, sizeof m);
    m.log = &d->log;
    m.client = d->fx.client;
    m.purge = purge;
    assert_int_equal(pthread_create(&th, NULL, make_room, &m), 0);
    atomic_store(&m.go, 1);
    rc = send_event(d->fx.client, 10, 0, 10);
    wait_threads(&d->log, 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(rc, SEGB_OK);
    assert_int_equal(m.rc, purge ? 10 : SEGB_OK);
    wait_reports(&d->log, 10);
    assert_reported(&d->log, 0, 10, purge ? SEGB_ERR_PURGED : SEGB_OK);
    assert_int_equal(stat_of(d->fx.client, SEGB_STAT_REFUSED), 0);
    close_client(d);
    assert_reported(&d->log, 10, 11, SEGB_OK);
    stop(d);
  }
}

/* ---- refused batches and Retry-After ----------------------------------- */

/* One poisoned event among 100: the 99 others are delivered, it alone is
 * dropped with the 400 it got. */
static void test_poison(void **state) {
  sbm_options mo = no_options();
  int seen[100], i;
  dfix *d;
  (void)state;

  mo.refuse_poison = 1;
  d = start_mock(mo, 100, "batch.max_events", "100", NULL);
  for (i = 0; i < 100; i++)
    assert_int_equal(
        segb_client_enqueue(d->fx.client,
                            message(SEGB_MSG_TRACK, i, i % 7, i,
                                    i == 37 ? "\"poison\":true" : NULL)),
        SEGB_OK);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  wait_reports(&d->log, 100);
  assert_int_equal(d->log.delivered, 99);
  assert_reported(&d->log, 0, 37, SEGB_OK);
  assert_reported(&d->log, 37, 38, SEGB_ERR_REJECTED);
  assert_reported(&d->log, 38, 100, SEGB_OK);
  assert_int_equal(d->log.status[37], 400);
  mock_counts(d->fx.mock, 100, seen);
  for (i = 0; i < 100; i++)
    assert_int_equal(seen[i], i != 37);
  finish(d);
}

/* Retry-After as seconds (the mock's 429) and as an HTTP date (a raw
 * reply): both are waited for and not charged, so with no retries allowed
 * the event is still delivered, by a counted resend. */
static void test_retry_after_forms(void **state) {
  static char reply[512];
  char date[64];
  time_t when;
  struct tm tm;
  segb_raw_step steps[2] = {{SEGB_RAW_REPLY, reply}, {SEGB_RAW_RELAY, NULL}};
  dfix *d;
  (void)state;

  d = start(1, "retry.max_attempts", "0", NULL);
  sbm_script(d->fx.mock, SBM_FAULT_429, 1, 1);
  send_events(d->fx.client, 0, 1, 1);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_REQUESTS), 2);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_RETRIES), 1);
  assert_int_equal(fx_stats(&d->fx).requests, 2);
  finish_delivered(d, 1);

  when = time(NULL) + 2;
  gmtime_r(&when, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  snprintf(reply, sizeof reply,
           "HTTP/1.1 429 Too Many Requests\r\nRetry-After: %s\r\n"
           "Content-Type: application/json\r\nContent-Length: 17\r\n"
           "Connection: close\r\n\r\n{\"success\":false}",
           date);
  d = start_raw(steps, 2, 1, "retry.max_attempts", "0", NULL);
  send_events(d->fx.client, 0, 1, 1);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_REQUESTS), 2);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_RETRIES), 1);
  assert_int_equal(segb_raw_connections(d->raw), 2);
  assert_int_equal(fx_stats(&d->fx).requests, 1);
  finish_delivered(d, 1);
}

/* ---- idle -------------------------------------------------------------- */

typedef struct sleeper {
  long tid;
} sleeper;

static int asleep(void *arg) {
  return thread_state(((sleeper *)arg)->tid) == 'S';
}

/* Once asleep, thread @tid is not woken once over a quiet second. */
static void assert_stays_asleep(long tid, const char *when) {
  sleeper s = {tid};
  long before;

  wait_until(asleep, &s, "the dispatcher to go to sleep");
  sleep_ms(200);
  before = context_switches(tid);
  sleep_ms(1000);
  if (context_switches(tid) != before)
    fail_msg("the idle dispatcher woke %ld times in a second %s",
             context_switches(tid) - before, when);
}

/* An idle dispatcher sleeps until there is work: no timer ticks, before
 * any event and after a batch. */
static void test_no_idle_wakeups(void **state) {
  long tid;
  dfix *d;
  (void)state;

  d = start(5, NULL);
  tid = dispatcher_of(d);
  assert_stays_asleep(tid, "before any event");
  send_events(d->fx.client, 0, 5, 2);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  wait_reports(&d->log, 5);
  assert_stays_asleep(tid, "after a batch");
  finish_delivered(d, 5);
}

/* A free slot whose queued events all belong to a user with a request
 * under way cannot be filled until that request ends: once the dispatcher
 * found so, more events it cannot reach in its gathering walk (8 per event
 * of a batch) do not wake it, however many fill a batch by count. */
static int raw_connected(void *arg) { return segb_raw_connections(arg) >= 1; }

static void test_starved_dispatcher_sleeps(void **state) {
  static const segb_raw_step hold[] = {{SEGB_RAW_HOLD, NULL}};
  long tid, before;
  dfix *d;
  (void)state;

  d = start_raw(hold, 1, 600, "http.timeout_ms", "120000", "batch.max_events",
                "5", "batch.linger_ms", "600000", "dispatch.max_in_flight", "2",
                NULL);
  tid = dispatcher_of(d);
  send_events(d->fx.client, 0, 5, 1); /* a full batch: its request is held */
  wait_until(raw_connected, d->raw, "the request to reach the server");
  /* All user 0's, past the walk of 40: each fifth fills a batch. */
  send_events(d->fx.client, 5, 50, 1);
  /* Until the held request is all written (a loaded machine may take a
   * while), the dispatcher has reasons to wake: start from a quiet half
   * second. */
  before = context_switches(tid);
  for (int waits = 0; waits < 120; waits++) {
    sleep_ms(500);
    if (context_switches(tid) == before)
      break;
    before = context_switches(tid);
  }
  send_events(d->fx.client, 50, 550, 1);
  sleep_ms(200);
  if (context_switches(tid) != before)
    fail_msg("500 events it could not send woke the dispatcher %ld times",
             context_switches(tid) - before);
  assert_int_equal(segb_client_close(d->fx.client, 1000), SEGB_ERR_TIMED_OUT);
  assert_int_equal(d->log.reports, 550);
  assert_reported(&d->log, 0, 550, SEGB_ERR_CLOSED);
  stop(d);
}

/* ---- settings that refuse, and inline mode ----------------------------- */

/* event_types=track,identify: other types are refused with
 * SEGB_ERR_FILTERED, counted filtered (not refused), and never reported;
 * direction=receive refuses every event with SEGB_ERR_DIRECTION. */
static void test_filters(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  dfix *d;
  (void)state;

  d = start(5, "event_types", "track,identify", NULL);
  assert_int_equal(send_event(d->fx.client, 0, 1, 0), SEGB_OK);
  assert_int_equal(segb_client_enqueue(
                       d->fx.client, message(SEGB_MSG_IDENTIFY, 1, 1, 0, NULL)),
                   SEGB_OK);
  assert_int_equal(
      segb_client_enqueue(d->fx.client, message(SEGB_MSG_PAGE, 2, 1, 0, NULL)),
      SEGB_ERR_FILTERED);
  assert_int_equal(segb_page(d->fx.client, "u-1", NULL, "Home", NULL),
                   SEGB_ERR_FILTERED);
  assert_int_equal(segb_client_enqueue(d->fx.client,
                                       message(SEGB_MSG_SCREEN, 3, 1, 0, NULL)),
                   SEGB_ERR_FILTERED);
  stats_of(d->fx.client, v);
  assert_int_equal(v[SEGB_STAT_ENQUEUED], 2);
  assert_int_equal(v[SEGB_STAT_FILTERED], 3);
  assert_int_equal(v[SEGB_STAT_REFUSED], 0);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  finish_delivered(d, 2);

  d = start(2, "direction", "receive", NULL);
  assert_int_equal(send_event(d->fx.client, 0, 1, 0), SEGB_ERR_DIRECTION);
  assert_int_equal(segb_identify(d->fx.client, "u-1", NULL, NULL),
                   SEGB_ERR_DIRECTION);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_ENQUEUED), 0);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  close_client(d);
  assert_int_equal(d->log.reports, 0);
  assert_int_equal(fx_stats(&d->fx).requests, 0);
  stop(d);
}

/* dispatch.mode=inline works as before the dispatcher: no thread, nothing
 * sent before flush (full batches and realtime included), and the
 * callback runs on the flushing thread before flush returns. */
static void test_inline_mode(void **state) {
  dfix *d;
  (void)state;

  d = start(5, "dispatch.mode", "inline", "freshness", "realtime",
            "batch.max_events", "2", "batch.linger_ms", "0", NULL);
  assert_int_equal(new_dispatchers(d, NULL), 0);
  send_events(d->fx.client, 0, 5, 2);
  sleep_ms(200);
  assert_int_equal(fx_stats(&d->fx).requests, 0);
  assert_int_equal(ledger_reports(&d->log), 0);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_QUEUED), 5);
  ledger_expect_thread(&d->log);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(d->log.reports, 5);
  assert_int_equal(d->log.on_thread, 5);
  assert_int_equal(fx_stats(&d->fx).requests, 3);
  finish_delivered(d, 5);
}

/* ---- the statistics callback ------------------------------------------- */

/* Thread mode, statistics.interval_ms=50: the callback comes again and
 * again, on the dispatcher thread (the reports' thread), each time with
 * every counter by name, balanced; inside it flush, close, purge and poll
 * refuse and segb_client_stats() works; a call after the events were
 * delivered counts them all. */
static void test_stats_thread_mode(void **state) {
  int calls;
  dfix *d;
  (void)state;

  d = prepare(10, "statistics.interval_ms", "50", NULL);
  segb_config_set_stats_cb(d->fx.conf, on_stats);
  open_client(d);
  wait_stats_calls(&d->log, 3);
  pthread_mutex_lock(&d->log.mu);
  d->log.thread = d->log.stats_thread;
  d->log.thread_set = 1;
  pthread_mutex_unlock(&d->log.mu);
  send_events(d->fx.client, 0, 10, 3);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  calls = ledger_stats_calls(&d->log);
  /* the first may have begun before the flush returned */
  wait_stats_calls(&d->log, calls + 2);
  close_client(d);
  assert_all_delivered(d, 10);
  assert_int_equal(d->log.on_dispatch, 10);
  assert_int_equal(d->log.on_thread, 10);
  assert_int_equal(d->log.stats_bad, 0);
  assert_int_equal(d->log.stats_on_dispatch, d->log.stats_calls);
  assert_int_equal(d->log.stats_reentered, d->log.stats_calls);
  assert_int_equal(d->log.stats_last[SEGB_STAT_ENQUEUED], 10);
  assert_int_equal(d->log.stats_last[SEGB_STAT_DELIVERED], 10);
  assert_int_equal(d->log.stats_last[SEGB_STAT_LAST_STATUS], 200);
  stop(d);
}

/* statistics.interval_ms=0, the default, with a callback: it is never
 * called, and the idle dispatcher sleeps. An interval without a callback:
 * delivery as ever, and the idle dispatcher sleeps too. */
static void test_stats_off(void **state) {
  dfix *d;
  (void)state;

  d = prepare(5, NULL);
  segb_config_set_stats_cb(d->fx.conf, on_stats);
  open_client(d);
  send_events(d->fx.client, 0, 5, 2);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_stays_asleep(dispatcher_of(d), "with a statistics callback only");
  close_client(d);
  assert_all_delivered(d, 5);
  assert_int_equal(d->log.stats_calls, 0);
  stop(d);

  d = start(5, "statistics.interval_ms", "50", NULL);
  send_events(d->fx.client, 0, 5, 2);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_stays_asleep(dispatcher_of(d), "with a statistics interval only");
  finish_delivered(d, 5);
}

/* dispatch.mode=inline: the statistics callback runs inside flush and poll,
 * on the calling thread, never between calls. Each wait outlasts the
 * interval, so that the next round is due a call. */
static void test_stats_inline_mode(void **state) {
  int calls;
  dfix *d;
  (void)state;

  d = prepare(15, "dispatch.mode", "inline", "statistics.interval_ms", "50",
              NULL);
  segb_config_set_stats_cb(d->fx.conf, on_stats);
  open_client(d);
  ledger_expect_thread(&d->log);
  send_events(d->fx.client, 0, 5, 2);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  calls = d->log.stats_calls;
  sleep_ms(200);
  assert_int_equal(d->log.stats_calls, calls);
  send_events(d->fx.client, 5, 10, 2);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_true(d->log.stats_calls > calls);
  calls = d->log.stats_calls;
  sleep_ms(200);
  assert_int_equal(d->log.stats_calls, calls);
  send_events(d->fx.client, 10, 15, 2);
  assert_true(segb_client_poll(d->fx.client, GENEROUS_MS) >= 0);
  assert_int_equal(d->log.reports, 15);
  assert_true(d->log.stats_calls > calls);
  close_client(d);
  assert_all_delivered(d, 15);
  assert_int_equal(d->log.on_thread, 15);
  assert_int_equal(d->log.stats_bad, 0);
  assert_int_equal(d->log.stats_on_thread, d->log.stats_calls);
  assert_int_equal(d->log.stats_on_dispatch, 0);
  assert_int_equal(d->log.stats_reentered, d->log.stats_calls);
  /* the poll's call came after the second flush's deliveries */
  assert_true(d->log.stats_last[SEGB_STAT_DELIVERED] >= 10);
  stop(d);
}

/* ---- the log callback -------------------------------------------------- */

/* In every event of the log tests: no line may hold it. */
#define PAYLOAD "payload-5e1f"

static void send_private(segb_client_t *c, int from, int to) {
  int i;

  for (i = from; i < to; i++)
    assert_int_equal(
        segb_client_enqueue(
            c, message(SEGB_MSG_TRACK, i, 1, i, "\"note\":\"" PAYLOAD "\"")),
        SEGB_OK);
}

/* Lines at @level (-1: any) in @context (NULL: any) holding @text. */
static int count_lines(const ledger *l, int level, const char *context,
                       const char *text) {
  int i, n = 0;

  for (i = 0; i < l->lines && i < LINES_MAX; i++)
    n += (level < 0 || l->line[i].level == level) &&
         (context == NULL || strcmp(l->line[i].context, context) == 0) &&
         strstr(l->line[i].text, text) != NULL;
  return n;
}

/* Lines at level 4 (warning) or more urgent. */
static int warnings(const ledger *l) {
  int i, n = 0;

  for (i = 0; i < l->lines && i < LINES_MAX; i++)
    n += l->line[i].level <= 4;
  return n;
}

/* Every line kept, none lost past LINES_MAX, and none holding the write
 * key (bare or in its Basic form), the events' payload or a messageId. */
static void assert_nothing_private_logged(const ledger *l) {
  static const char *const never[] = {WRITE_KEY, "YWJjMTIzOg", PAYLOAD, "ev-"};
  size_t k;
  int i;

  assert_true(l->lines <= LINES_MAX);
  for (i = 0; i < l->lines; i++)
    for (k = 0; k < sizeof never / sizeof never[0]; k++)
      if (strstr(l->line[i].text, never[k]) != NULL)
        fail_msg("line %d (%s) holds \"%s\": %s", i, l->line[i].context,
                 never[k], l->line[i].text);
}

/* A batch that fails with 500 on its first attempt and its one retry is
 * dropped with one warning line from the dispatcher, not one per attempt
 * or per event; each request has its http line and each batch one batch
 * line; a delivered batch adds no warning. */
static void test_log_dropped_after_retries(void **state) {
  dfix *d;
  (void)state;

  d = prepare(5, "retry.max_attempts", "1", "retry.backoff_initial_ms", "1",
              "batch.max_events", "3", "batch.linger_ms", "600000", "log.level",
              "7", "debug", "all", NULL);
  segb_config_set_log_cb(d->fx.conf, on_log);
  open_client(d);
  sbm_script(d->fx.mock, SBM_FAULT_500, 2, 0);
  send_private(d->fx.client, 0, 3);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_reported(&d->log, 0, 3, SEGB_ERR_RETRIES_EXHAUSTED);
  assert_int_equal(stat_of(d->fx.client, SEGB_STAT_REQUESTS), 2);
  send_private(d->fx.client, 3, 5);
  close_client(d);
  assert_reported(&d->log, 3, 5, SEGB_OK);

  assert_nothing_private_logged(&d->log);
  assert_int_equal(warnings(&d->log), 1);
  assert_int_equal(
      count_lines(&d->log, 4, "dispatch",
                  "dropped 3 events: SEGB_ERR_RETRIES_EXHAUSTED ("),
      1);
  assert_int_equal(count_lines(&d->log, 4, "dispatch", ": HTTP 500"), 1);
  assert_int_equal(count_lines(&d->log, 7, "http", "/v1/batch -> 500 in "), 2);
  assert_int_equal(count_lines(&d->log, 7, "http", "/v1/batch -> 200 in "), 1);
  assert_int_equal(count_lines(&d->log, 7, "batch", "batch of 3 events, "), 1);
  assert_int_equal(count_lines(&d->log, 7, "batch", "batch of 2 events, "), 1);
  assert_int_equal(count_lines(&d->log, 7, "batch", ""), 2);
  stop(d);
}

/* A server that quotes the batch back in its refusal: the report's detail
 * may carry the quote (the host reads it in its own callback), but no log
 * line does. */
static void test_log_never_quotes_the_server(void **state) {
  static const segb_raw_step echo[] = {
      {SEGB_RAW_REPLY,
       "HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
       "application/json\r\n"
       "Content-Length: 52\r\nConnection: close\r\n\r\n"
       "{\"error\":\"bad event ev-0 with note " PAYLOAD " xx\"}"}};
  dfix *d;
  (void)state;

  d = prepare_raw(echo, 1, 2, "retry.max_attempts", "1",
                  "retry.backoff_initial_ms", "1", "batch.linger_ms", "600000",
                  "log.level", "7", "debug", "all", NULL);
  segb_config_set_log_cb(d->fx.conf, on_log);
  open_client(d);
  send_private(d->fx.client, 0, 1);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  assert_reported(&d->log, 0, 1, SEGB_ERR_RETRIES_EXHAUSTED);
  send_private(d->fx.client, 1, 2);
  close_client(d);
  assert_nothing_private_logged(&d->log);
  assert_int_equal(warnings(&d->log), 2); /* one per batch dropped */
  stop(d);
}

/* close dropping what it could not deliver, in a request under way and in
 * the queue, logs one warning for all of it. */
static void test_log_close_drops(void **state) {
  static const segb_raw_step hold[] = {{SEGB_RAW_HOLD, NULL}};
  dfix *d;
  int i;
  (void)state;

  d = prepare_raw(hold, 1, 10, "http.timeout_ms", "120000",
                  "dispatch.max_in_flight", "1", "batch.max_events", "5",
                  "batch.linger_ms", "600000", NULL);
  segb_config_set_log_cb(d->fx.conf, on_log);
  open_client(d);
  send_private(d->fx.client, 0, 10);
  wait_stat(d->fx.client, SEGB_STAT_IN_FLIGHT, 5);
  assert_int_equal(segb_client_close(d->fx.client, 1000), SEGB_ERR_TIMED_OUT);
  assert_reported(&d->log, 0, 10, SEGB_ERR_CLOSED);

  assert_nothing_private_logged(&d->log);
  assert_int_equal(warnings(&d->log), 1);
  assert_int_equal(count_lines(&d->log, 4, "dispatch",
                               "dropped 10 events: not delivered before the "
                               "client closed"),
                   1);
  for (i = 0; i < d->log.lines; i++)
    assert_true(d->log.line[i].on_dispatch);
  stop(d);
}

/* debug=batch alone: one level-7 "batch" line per batch sent (a batch's
 * first request), saying how many events it holds; no line of the other
 * debug contexts. */
static void test_log_batch_lines(void **state) {
  int64_t v[SEGB_STAT__COUNT];
  int events = 0, bytes, i;
  dfix *d;
  (void)state;

  d = prepare(20, "debug", "batch", "batch.max_events", "5", NULL);
  segb_config_set_log_cb(d->fx.conf, on_log);
  open_client(d);
  send_private(d->fx.client, 0, 20);
  assert_int_equal(segb_client_flush(d->fx.client, GENEROUS_MS), SEGB_OK);
  stats_of(d->fx.client, v);
  close_client(d);
  assert_all_delivered(d, 20);

  assert_nothing_private_logged(&d->log);
  assert_int_equal(count_lines(&d->log, 7, "batch", ""), d->log.lines);
  assert_int_equal(d->log.lines,
                   (int)(v[SEGB_STAT_REQUESTS] - v[SEGB_STAT_RETRIES]));
  for (i = 0; i < d->log.lines; i++) {
    int n;

    if (sscanf(d->log.line[i].text, "batch of %d events, %d bytes", &n,
               &bytes) != 2)
      fail_msg("not a batch line: %s", d->log.line[i].text);
    assert_true(n >= 1 && n <= 5 && bytes > 0);
    events += n;
  }
  assert_int_equal(events, 20);
  stop(d);
}

/* Library setup held for the whole run, so that no test's descriptor and
 * thread counts see it come and go. */
static int global_setup(void **state) {
  (void)state;
  return segb_global_init() > 0 ? 0 : -1;
}

static int global_teardown(void **state) {
  (void)state;
  segb_global_cleanup();
  return 0;
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_background_triggers),
      cmocka_unit_test(test_seeded_faults),
      cmocka_unit_test(test_per_user_order),
      cmocka_unit_test(test_flush_slow_responses),
      cmocka_unit_test(test_flush_concurrent),
      cmocka_unit_test(test_flush_timed_out_then_usable),
      cmocka_unit_test(test_close_silent_server),
      cmocka_unit_test(test_starved_dispatcher_sleeps),
      cmocka_unit_test(test_close_unused),
      cmocka_unit_test(test_close_races_producers),
      cmocka_unit_test(test_calls_from_callback),
      cmocka_unit_test(test_poll_mode),
      cmocka_unit_test(test_callback_mode_has_no_fd),
      cmocka_unit_test(test_overflow_drop_newest),
      cmocka_unit_test(test_overflow_drop_oldest),
      cmocka_unit_test(test_overflow_drop_oldest_all_in_flight),
      cmocka_unit_test(test_overflow_block),
      cmocka_unit_test(test_poison),
      cmocka_unit_test(test_retry_after_forms),
      cmocka_unit_test(test_no_idle_wakeups),
      cmocka_unit_test(test_filters),
      cmocka_unit_test(test_inline_mode),
      cmocka_unit_test(test_stats_thread_mode),
      cmocka_unit_test(test_stats_off),
      cmocka_unit_test(test_stats_inline_mode),
      cmocka_unit_test(test_log_dropped_after_retries),
      cmocka_unit_test(test_log_never_quotes_the_server),
      cmocka_unit_test(test_log_close_drops),
      cmocka_unit_test(test_log_batch_lines),
  };

  if (argc > 1)
    cmocka_set_test_filter(argv[1]);
  return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
