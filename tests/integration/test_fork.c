/* A client across fork() (issue 12): the parent keeps its events and its
 * connections, a child gets a fresh client that sends only its own, a fork
 * while other threads use the client deadlocks nothing, and a fork inside
 * a delivery callback does what docs/FORK.md says. Real processes: the
 * mock serves in the parent while children post to it. Children never run
 * cmocka asserts (they would unwind into cmocka's copy in the child): they
 * check by hand and end with a status the parent asserts (end_child()). A
 * test's name as the argument runs it alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <segbridge/segbridge.h>

#include "client_fixture.h"
#include "mock.h"
#include "raw_server.h"
#include "test_keys.h"
#include "tls_cert.h"

#define WRITE_KEY "abc123"
/* A deadline that only a hang reaches. */
#define GENEROUS_MS 60000
/* Seconds a child may take before the test calls it a hang. */
#define HANG_GUARD_S 60
/* A child's exit status when a check failed: 100 + the check's number. */
#define CHILD_FAILED 100

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* ---- processes ---------------------------------------------------------- */

/* ThreadSanitizer does not support threads started in the child of a
 * threaded process: glibc gives the child's new thread the stack, and so
 * the id, of a thread of the parent's, which TSan still counts as alive
 * ("dup thread with used id"), and it dies. Under TSan the tests whose
 * children start a dispatcher thread are skipped; the others (the parent's
 * side of a fork, a child that does not start one) still run. */
#if defined(__SANITIZE_THREAD__)
#  define CHILD_THREADS_UNSUPPORTED 1
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define CHILD_THREADS_UNSUPPORTED 1
#  endif
#endif

/* AddressSanitizer's allocator (GCC 12's runtime) is not locked across
 * fork(): when another thread of the parent was inside malloc at the
 * instant of the fork, the child can hang in malloc for good. Under ASan
 * the test whose producer thread allocates all along lets its children
 * end at once: the parent's side still runs. */
#if defined(__SANITIZE_ADDRESS__) || defined(CHILD_THREADS_UNSUPPORTED)
#  define CHILD_MALLOC_UNSAFE 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define CHILD_MALLOC_UNSAFE 1
#  endif
#endif

static void needs_child_threads(void) {
#ifdef CHILD_THREADS_UNSUPPORTED
  skip();
#endif
}

/* The end of every child: an exec of a shell that exits with @status.
 * Valgrind follows a forked child to its end (not through an exec), and a
 * leak checker there would count as lost what the threads the child does
 * not have held (the mock's, OpenSSL's state of each thread): no child's
 * to free. */
static _Noreturn void end_child(int status) {
  char code[32];

  snprintf(code, sizeof code, "exit %d", status);
  execl("/bin/sh", "sh", "-c", code, (char *)NULL);
  _exit(status);
}

/* A child that ends by exit() (or as its last thread ends) gets this
 * status; CHILD_FAILED + 99 unless the child meant to exit. */
static int child_status = CHILD_FAILED + 99;
static pid_t test_pid;

/* Registered first, so run last of the atexit handlers (but for a leak
 * checker's): a child's exit() runs libcurl's and OpenSSL's handlers,
 * then ends here. */
static void end_child_exit(void) {
  if (getpid() != test_pid)
    end_child(child_status);
}

/* The exit status of child @pid, waited for at most HANG_GUARD_S: a child
 * still running then is killed and the test fails. */
static int wait_child(pid_t pid) {
  int waited_ms = 0, status = 0;
  pid_t got;

  while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
         waited_ms < HANG_GUARD_S * 1000) {
    sleep_ms(10);
    waited_ms += 10;
  }
  if (got == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("child %ld hung for %d s (deadlocked?)", (long)pid, HANG_GUARD_S);
  }
  assert_int_equal(got, pid);
  if (!WIFEXITED(status))
    fail_msg("child %ld ended by signal %d", (long)pid, WTERMSIG(status));
  return WEXITSTATUS(status);
}

/* ---- events ---------------------------------------------------------------
 */

/* A track event from "u-<n % 4>" with messageId "<prefix>-<n>". */
static int track_id(segb_client_t *c, const char *prefix, int n) {
  segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);
  char id[64], user[16];

  if (m == NULL)
    return SEGB_ERR_NOMEM;
  snprintf(id, sizeof id, "%s-%d", prefix, n);
  snprintf(user, sizeof user, "u-%d", n % 4);
  if (segb_message_set_string(m, "messageId", id) != SEGB_OK ||
      segb_message_set_string(m, "userId", user) != SEGB_OK ||
      segb_message_set_string(m, "event", "Forked") != SEGB_OK) {
    segb_message_destroy(m);
    return SEGB_ERR_NOMEM;
  }
  return segb_client_enqueue(c, m);
}

static void track_ids(segb_client_t *c, const char *prefix, int from, int n) {
  int i;

  for (i = from; i < from + n; i++)
    assert_int_equal(track_id(c, prefix, i), SEGB_OK);
}

/* How many messages the mock accepted with a messageId "<prefix>-<n>",
 * n below @n, each seen at most once (else the test fails), and none of
 * @prefix past @n. */
static int count_delivered(sbm_mock *m, const char *prefix, int n) {
  char *seen = calloc((size_t)n, 1), key[64];
  size_t i, key_len;
  int count = 0;
  char *json;

  assert_non_null(seen);
  key_len = (size_t)snprintf(key, sizeof key, "\"messageId\":\"%s-", prefix);
  for (i = 0; (json = sbm_message(m, i)) != NULL; i++) {
    const char *p = strstr(json, key);

    if (p != NULL) {
      int k = atoi(p + key_len);

      if (k < 0 || k >= n)
        fail_msg("unexpected %s-%d", prefix, k);
      if (seen[k])
        fail_msg("%s-%d delivered twice", prefix, k);
      seen[k] = 1;
      count++;
    }
    free(json);
  }
  free(seen);
  return count;
}

/* ---- the fixture ----------------------------------------------------------
 */

/* fx_finish_config() with name, value pairs up to NULL. */
static void finish(fx_client *f, ...) {
  va_list ap;

  va_start(ap, f);
  fx_finish_config(f, ap);
  va_end(ap);
}

/* @mo's mock and a client for it; name, value pairs of settings follow. */
static void start(fx_client *f, sbm_options mo, ...) {
  va_list ap;

  fx_start(f, mo, WRITE_KEY);
  va_start(ap, mo);
  fx_finish_config(f, ap);
  va_end(ap);
  fx_open(f);
}

static sbm_options no_options(void) {
  sbm_options mo;

  memset(&mo, 0, sizeof mo);
  return mo;
}

/* In a child: the fresh client sends @n events of its own ("<prefix>-i"),
 * flushes and closes; the exit status says what went wrong, 0 for
 * nothing. Its reports come on top of what the parent's client counted
 * before the fork: a fresh client counts from zero. */
static void child_sends(fx_client *f, const char *prefix, int n) {
  int64_t v[SEGB_STAT__COUNT];
  int i;

  f->out.delivered = f->out.dropped = 0;
  if (segb_client_stats(f->client, v, SEGB_STAT__COUNT) != SEGB_STAT__COUNT ||
      v[SEGB_STAT_ENQUEUED] != 0 || v[SEGB_STAT_QUEUED] != 0 ||
      v[SEGB_STAT_IN_FLIGHT] != 0 || v[SEGB_STAT_REQUESTS] != 0)
    end_child(CHILD_FAILED + 1); /* not a fresh client */
  for (i = 0; i < n; i++)
    if (track_id(f->client, prefix, i) != SEGB_OK)
      end_child(CHILD_FAILED + 2);
  if (segb_client_flush(f->client, GENEROUS_MS) != SEGB_OK)
    end_child(CHILD_FAILED + 3);
  if (segb_client_close(f->client, GENEROUS_MS) != SEGB_OK)
    end_child(CHILD_FAILED + 4);
  end_child(f->out.delivered == n && f->out.dropped == 0 ? 0
                                                         : CHILD_FAILED + 5);
}

/* ---- the tests ------------------------------------------------------------
 */

#define PARENT_EVENTS 40
#define CHILD_EVENTS 15

/* Events queued and in flight at the fork (a slow server holds them) are
 * the parent's: it delivers and reports each once; the child's client
 * starts empty, sends only its own and reports only those. */
static void check_queued_at_fork(const char *mode, const char *report_mode) {
  sbm_options mo = no_options();
  fx_client f;
  pid_t pid;

  if (strcmp(mode, "thread") == 0)
    needs_child_threads();
  mo.latency_ms = 300;
  start(&f, mo, "dispatch.mode", mode, "report.mode", report_mode,
        "batch.max_events", "5", "dispatch.max_in_flight", "2", NULL);
  track_ids(f.client, "p", 0, PARENT_EVENTS);
  if (strcmp(mode, "inline") != 0)
    sleep_ms(50); /* let some go out: they are in flight at the fork */
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    child_sends(&f, "c", CHILD_EVENTS);
  assert_int_equal(wait_child(pid), 0);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  if (strcmp(report_mode, "poll") == 0)
    while (f.out.delivered + f.out.dropped < PARENT_EVENTS &&
           segb_client_poll(f.client, GENEROUS_MS) > 0)
      ;
  assert_int_equal(f.out.delivered, PARENT_EVENTS);
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(count_delivered(f.mock, "p", PARENT_EVENTS), PARENT_EVENTS);
  assert_int_equal(count_delivered(f.mock, "c", CHILD_EVENTS), CHILD_EVENTS);
  assert_int_equal(fx_stats(&f).duplicates, 0);
  assert_int_equal(fx_stats(&f).messages, PARENT_EVENTS + CHILD_EVENTS);
  fx_close(&f);
}

static void test_queued_at_fork(void **state) {
  (void)state;
  check_queued_at_fork("thread", "callback");
}

static void test_queued_at_fork_poll_mode(void **state) {
  (void)state;
  check_queued_at_fork("thread", "poll");
}

static void test_inline_across_fork(void **state) {
  (void)state;
  check_queued_at_fork("inline", "callback");
}

/* With a spool, a child's client holds its own events in memory only and
 * never touches the parent's spool: after the child sent its events and
 * closed, the spool holds the parent's queued events, and only those; the
 * parent then delivers them, each once. */
static void test_spool_across_fork(void **state) {
  char dir[] = "/tmp/segb-fork-spool-XXXXXX", want[32], lock[64], *json;
  fx_client f;
  pid_t pid;
  (void)state;

  assert_non_null(mkdtemp(dir));
  start(&f, no_options(), "dispatch.mode", "inline", "spool.path", dir, NULL);
  track_ids(f.client, "p", 0, PARENT_EVENTS); /* inline: queued, unsent */
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    child_sends(&f, "c", CHILD_EVENTS);
  assert_int_equal(wait_child(pid), 0);
  assert_int_equal(segb_spool_status(dir, &json, NULL), SEGB_OK);
  snprintf(want, sizeof want, "\"records\":%d,", PARENT_EVENTS);
  if (strstr(json, want) == NULL)
    fail_msg("the parent's spool changed in the child: %s", json);
  segb_free(json);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, PARENT_EVENTS);
  assert_int_equal(count_delivered(f.mock, "p", PARENT_EVENTS), PARENT_EVENTS);
  assert_int_equal(count_delivered(f.mock, "c", CHILD_EVENTS), CHILD_EVENTS);
  assert_int_equal(fx_stats(&f).duplicates, 0);
  fx_close(&f);
  assert_int_equal(segb_spool_status(dir, &json, NULL), SEGB_OK);
  assert_non_null(strstr(json, "\"records\":0,"));
  segb_free(json);
  snprintf(lock, sizeof lock, "%s/lock", dir);
  assert_int_equal(unlink(lock), 0);
  assert_int_equal(rmdir(dir), 0);
}

/* The parent's kept-alive TLS connection outlives a child that closes its
 * copy of the client (libcurl's cleanup would write a close_notify and read
 * the parent's bytes there, but the child's copies of the sockets are
 * /dev/null's), and one that just exit()s. A relay in front of the HTTPS
 * mock counts the connections. */
static void check_connection_survives(int child_closes) {
  static const segb_raw_step relay[] = {{SEGB_RAW_RELAY, NULL}};
  char *cert, *key, *ca, url[64];
  sbm_options mo = no_options();
  segb_raw_server *r;
  fx_client f;
  pid_t pid;

  assert_int_equal(segb_test_make_cert(&cert, &key), 0);
  ca = segb_test_temp_file(cert);
  assert_non_null(ca);
  mo.tls_cert_pem = cert;
  mo.tls_key_pem = key;
  fx_start(&f, mo, WRITE_KEY);
  r = segb_raw_start(relay, 1, sbm_port(f.mock));
  assert_non_null(r);
  snprintf(url, sizeof url, "https://127.0.0.1:%u", segb_raw_port(r));
  fx_set(f.conf, "endpoint", url);
  fx_set(f.conf, "http.ca_file", ca);
  finish(&f, "dispatch.max_in_flight", "1", NULL);
  fx_open(&f);

  track_ids(f.client, "p", 0, 3);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(segb_raw_connections(r), 1);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (child_closes)
      end_child(segb_client_close(f.client, GENEROUS_MS) == SEGB_OK
                    ? 0
                    : CHILD_FAILED);
    child_status = 0;
    exit(0); /* atexit handlers, libcurl's and OpenSSL's included */
  }
  assert_int_equal(wait_child(pid), 0);
  track_ids(f.client, "p", 3, 3);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 6);
  assert_int_equal(count_delivered(f.mock, "p", 6), 6);
  assert_int_equal(fx_stats(&f).requests, 2);
  assert_int_equal(segb_raw_connections(r), 1);
  assert_int_equal(segb_client_close(f.client, GENEROUS_MS), SEGB_OK);
  segb_raw_stop(r);
  sbm_stop(f.mock);
  unlink(ca);
  free(ca);
  free(cert);
  free(key);
}

static void test_connection_survives_child_close(void **state) {
  (void)state;
  needs_child_threads();
  check_connection_survives(1);
}

static void test_connection_survives_child_exit(void **state) {
  (void)state;
  check_connection_survives(0);
}

/* A token request under way on the dispatcher thread at the fork (the mock
 * holds it 3 s): the fork waits for it a bounded time, then goes on; in
 * the child the client forgets that request, asks for a token of its own
 * on a handle of its own, and sends. */
static void test_fork_during_token_request(void **state) {
  sbm_options mo = no_options();
  segb_test_keypair keys;
  sbm_oauth_stats st;
  fx_client f;
  pid_t pid;
  (void)state;

  needs_child_threads();
  assert_int_equal(segb_test_make_keypair(2048, &keys), 0);
  mo.oauth_public_key_pem = keys.public_pem;
  mo.oauth_key_id = "key-1";
  mo.oauth_client_id = "app-42";
  fx_start(&f, mo, WRITE_KEY);
  finish(&f, "oauth.server", sbm_url(f.mock), "oauth.client_id", "app-42",
         "oauth.key_id", "key-1", "oauth.private_key", keys.pkcs8, NULL);
  fx_open(&f);
  sbm_script(f.mock, SBM_FAULT_DELAY, 1, 3000);
  track_ids(f.client, "p", 0, 5);
  /* no wait: the dispatcher sends, starting with the token request */
  assert_int_equal(segb_client_flush(f.client, 0), SEGB_ERR_TIMED_OUT);
  sleep_ms(300);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    child_sends(&f, "c", 5);
  assert_int_equal(wait_child(pid), 0);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, 5);
  assert_int_equal(count_delivered(f.mock, "p", 5), 5);
  assert_int_equal(count_delivered(f.mock, "c", 5), 5);
  sbm_get_oauth_stats(f.mock, &st);
  assert_int_equal(st.tokens_issued, 2); /* the parent's and the child's */
  fx_close(&f);
  segb_test_keypair_free(&keys);
}

/* ---- fork while another thread enqueues -----------------------------------
 */

#define FORKS 16
#ifdef CHILD_MALLOC_UNSAFE
#  define CHILD_SENDS 0
#else
#  define CHILD_SENDS 5
#endif
#define PRODUCED_MAX 100000

typedef struct producer {
  segb_client_t *client;
  atomic_int stop;
  int produced;
} producer;

static void *produce(void *arg) {
  producer *p = arg;

  while (!atomic_load(&p->stop) && p->produced < PRODUCED_MAX) {
    if (track_id(p->client, "p", p->produced) != SEGB_OK)
      break;
    if (++p->produced % 20 == 0)
      sleep_ms(1);
  }
  return NULL;
}

/* The producer holds the dispatcher's lock, the dispatcher thread is in
 * libcurl or a report, at any instant: no child deadlocks, each sends its
 * own events, and the parent loses and repeats nothing. */
static void test_fork_while_enqueueing(void **state) {
  fx_client f;
  producer p = {0};
  pthread_t t;
  pid_t pids[FORKS];
  int i;
  (void)state;

  start(&f, no_options(), "batch.max_events", "20", "dispatch.max_in_flight",
        "4", "batch.linger_ms", "5", NULL);
  p.client = f.client;
  assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
  for (i = 0; i < FORKS; i++) {
    char prefix[16];

    sleep_ms(20);
    snprintf(prefix, sizeof prefix, "c%d", i);
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
#ifdef CHILD_MALLOC_UNSAFE
      end_child(0); /* a sanitizer: the parent's side of the fork only */
#endif
      child_sends(&f, prefix, CHILD_SENDS);
    }
    assert_int_equal(wait_child(pids[i]), 0);
  }
  atomic_store(&p.stop, 1);
  pthread_join(t, NULL);
  assert_int_equal(segb_client_flush(f.client, GENEROUS_MS), SEGB_OK);
  assert_int_equal(f.out.delivered, p.produced);
  assert_int_equal(f.out.dropped, 0);
  assert_int_equal(count_delivered(f.mock, "p", p.produced), p.produced);
  for (i = 0; i < FORKS; i++) {
    char prefix[16];

    snprintf(prefix, sizeof prefix, "c%d", i);
    assert_int_equal(count_delivered(f.mock, prefix, CHILD_SENDS), CHILD_SENDS);
  }
  assert_int_equal(fx_stats(&f).duplicates, 0);
  fx_close(&f);
}

/* ---- fork inside a callback ------------------------------------------------
 */

typedef enum plan {
  PLAN_RETURN,       /* the child returns from the callback at once */
  PLAN_TRY_AND_EXIT, /* the child tries the client, then ends */
} plan;

/* What the forking callback knows. Static: a child forked on the
 * dispatcher thread has no other thread, nor the test's stack. */
static struct forking {
  fx_client f;
  plan plan;
  pid_t parent, child;
  int fd;          /* a parent's event reported in the child: a byte here */
  int reading;     /* the pipe's other end */
  int reports;     /* the parent's */
  int own_reports; /* a child's, of its own events */
} fk;

static void on_report_forking(segb_client_t *c, const segb_report_t *r,
                              void *opaque) {
  int parents = strncmp(segb_report_message_id(r), "p-", 2) == 0;

  (void)opaque;
  if (getpid() != fk.parent) {
    if (parents) {
      char byte = 1;
      ssize_t wrote = write(fk.fd, &byte, 1);
      (void)wrote;
    } else if (segb_report_err(r) == SEGB_OK) {
      fk.own_reports++;
    }
    return;
  }
  fk.reports++;
  if (fk.child != 0)
    return;
  fk.child = fork();
  if (fk.child != 0)
    return;
  if (fk.plan == PLAN_TRY_AND_EXIT)
    end_child(track_id(c, "c", 0) == SEGB_ERR_IN_CALLBACK ? 0 : CHILD_FAILED);
  child_status = 0; /* returning ends the child, which exits so */
}

/* The parent's 20 events with a fork on the first report; name, value
 * pairs of settings follow. The child's end of the pipe is fk.fd. */
static void start_forking(plan p, ...) {
  int fds[2];
  va_list ap;

  memset(&fk, 0, sizeof fk);
  fk.plan = p;
  fk.parent = getpid();
  assert_int_equal(pipe(fds), 0);
  fk.reading = fds[0];
  fk.fd = fds[1];
  fx_start(&fk.f, no_options(), WRITE_KEY);
  va_start(ap, p);
  fx_finish_config(&fk.f, ap);
  va_end(ap);
  segb_config_set_delivery_cb(fk.f.conf, on_report_forking);
  fx_open(&fk.f);
  track_ids(fk.f.client, "p", 0, 20);
}

/* The child's status, and that no parent's event was reported in it; the
 * parent delivered and reported all 20 once, and the child sent
 * @child_events of its own. */
static void finish_forking(int child_events) {
  char byte;

  assert_true(fk.child > 0);
  assert_int_equal(wait_child(fk.child), 0);
  close(fk.fd);
  assert_int_equal(read(fk.reading, &byte, 1), 0); /* EOF: none written */
  close(fk.reading);
  assert_int_equal(fk.reports, 20);
  assert_int_equal(count_delivered(fk.f.mock, "p", 20), 20);
  assert_int_equal(count_delivered(fk.f.mock, "c", 5), child_events);
  assert_int_equal(fx_stats(&fk.f).duplicates, 0);
  assert_int_equal(segb_client_close(fk.f.client, GENEROUS_MS), SEGB_OK);
  sbm_stop(fk.f.mock);
}

/* Thread mode: the callback forks on the dispatcher thread. In the child
 * the client refuses to be used inside that callback, and a return from
 * it ends the child (its last thread ends, status 0) before the library
 * goes on with the parent's batch. */
static void test_fork_in_thread_callback(void **state) {
  /* Under TSan a child whose last thread is not its first one crashes in
   * TSan's own exit: only the child that ends inside the callback runs. */
#ifdef CHILD_THREADS_UNSUPPORTED
  static const plan plans[] = {PLAN_TRY_AND_EXIT};
#else
  static const plan plans[] = {PLAN_RETURN, PLAN_TRY_AND_EXIT};
#endif
  size_t i;
  (void)state;

  for (i = 0; i < sizeof plans / sizeof plans[0]; i++) {
    start_forking(plans[i], "batch.max_events", "10", NULL);
    assert_int_equal(segb_client_flush(fk.f.client, GENEROUS_MS), SEGB_OK);
    finish_forking(0);
  }
}

/* Poll mode: the callback runs in segb_client_poll() on the test's thread,
 * an ordinary fork. In the child poll returns without reporting the rest
 * of the parent's batch, and the client is a fresh one that sends its own
 * events. */
static void test_fork_in_poll_callback(void **state) {
  int served;
  (void)state;

  needs_child_threads();
  start_forking(PLAN_RETURN, "report.mode", "poll", "batch.max_events", "10",
                NULL);
  assert_int_equal(segb_client_flush(fk.f.client, GENEROUS_MS), SEGB_OK);
  served = segb_client_poll(fk.f.client, GENEROUS_MS);
  if (getpid() != fk.parent) {
    int i;

    if (served != 1)
      end_child(CHILD_FAILED + 1);
    for (i = 0; i < 5; i++)
      if (track_id(fk.f.client, "c", i) != SEGB_OK)
        end_child(CHILD_FAILED + 2);
    /* poll mode: close makes the reports that wait */
    if (segb_client_flush(fk.f.client, GENEROUS_MS) != SEGB_OK ||
        segb_client_close(fk.f.client, GENEROUS_MS) != SEGB_OK)
      end_child(CHILD_FAILED + 3);
    end_child(fk.own_reports == 5 ? 0 : CHILD_FAILED + 4);
  }
  while (fk.reports < 20 && served > 0)
    served = segb_client_poll(fk.f.client, GENEROUS_MS);
  finish_forking(5);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_queued_at_fork),
      cmocka_unit_test(test_queued_at_fork_poll_mode),
      cmocka_unit_test(test_inline_across_fork),
      cmocka_unit_test(test_spool_across_fork),
      cmocka_unit_test(test_connection_survives_child_close),
      cmocka_unit_test(test_connection_survives_child_exit),
      cmocka_unit_test(test_fork_during_token_request),
      cmocka_unit_test(test_fork_while_enqueueing),
      cmocka_unit_test(test_fork_in_thread_callback),
      cmocka_unit_test(test_fork_in_poll_callback),
  };

  test_pid = getpid();
  atexit(end_child_exit);
  if (argc > 1)
    cmocka_set_test_filter(argv[1]);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
