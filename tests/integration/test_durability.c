/* The disk spool through the client (spool.path), against the loopback
 * mock: accepted events survive SIGKILL at any instant and are sent by the
 * next client with their messageId and timestamp as first sealed; close
 * keeps what it could not deliver; one live client per directory; a full
 * spool refuses as a full queue does; each fsync level delivers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_fixture.h"
#include "raw_server.h"

#define WRITE_KEY "spool-key"
#define KILLS 20
#define PER_CHILD_MAX 4000
#define BATCH "20"
#define IN_FLIGHT "4"

/* ---- a spool directory of the test's own ---------------------------- */

static void make_dir(char *path, size_t size) {
  snprintf(path, size, "/tmp/segb-spool-XXXXXX");
  assert_non_null(mkdtemp(path));
}

static void remove_dir(const char *path) {
  DIR *dir = opendir(path);
  struct dirent *e;
  char file[512];

  if (dir == NULL)
    return;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(file, sizeof file, "%s/%s", path, e->d_name);
    unlink(file);
  }
  closedir(dir);
  rmdir(path);
}

/* The messages @m accepted. */
static uint64_t fx_messages(sbm_mock *m) {
  sbm_stats st;

  sbm_get_stats(m, &st);
  return st.messages;
}

/* A quiet mock that takes WRITE_KEY, or a failed test. */
static sbm_mock *start_mock(void) {
  char err[256];
  sbm_options mo;
  sbm_mock *m;

  memset(&mo, 0, sizeof mo);
  mo.quiet = 1;
  mo.write_key = WRITE_KEY;
  m = sbm_start(&mo, err, sizeof err);
  if (m == NULL)
    fail_msg("mock: %s", err);
  return m;
}

/* ---- configs and clients, by the public API only ---------------------- */

static void set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];

  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK)
    fail_msg("%s: %s", name, err);
}

typedef struct ledger {
  int delivered, spooled, other;
  int last_err;
} ledger;

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  ledger *l = opaque;

  (void)c;
  if (segb_report_err(r) == SEGB_OK)
    l->delivered++;
  else if (segb_report_err(r) == SEGB_ERR_SPOOLED)
    l->spooled++;
  else
    l->other++;
  l->last_err = segb_report_err(r);
}

/* A config of a client sending to @url with the spool in @dir, then the
 * name, value pairs up to NULL. */
static segb_config_t *spool_config(const char *url, const char *dir, ledger *l,
                                   ...) {
  segb_config_t *conf = segb_config_new();
  const char *name;
  va_list ap;

  assert_non_null(conf);
  set(conf, "write_key", WRITE_KEY);
  set(conf, "endpoint", url);
  set(conf, "spool.path", dir);
  set(conf, "retry.backoff_initial_ms", "10");
  set(conf, "retry.backoff_max_ms", "50");
  set(conf, "http.timeout_ms", "60000");
  va_start(ap, l);
  while ((name = va_arg(ap, const char *)) != NULL)
    set(conf, name, va_arg(ap, const char *));
  va_end(ap);
  if (l != NULL) {
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, l);
  }
  return conf;
}

static segb_client_t *open_client(segb_config_t *conf) {
  char err[SEGB_ERRSTR_SIZE];
  segb_client_t *c = segb_client_new(conf, err, sizeof err);

  if (c == NULL)
    fail_msg("client: %s", err);
  return c;
}

/* Track "ev-@n" of one of 50 users; its messageId and timestamp copied
 * into @id and @ts (64 bytes each) before it is enqueued. */
static int track(segb_client_t *c, const char *prefix, int n, char *id,
                 char *ts) {
  segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);
  char user[32];

  assert_non_null(m);
  snprintf(id, 64, "%s-%d", prefix, n);
  snprintf(user, sizeof user, "user-%d", n % 50);
  assert_int_equal(segb_message_set_string(m, "userId", user), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "event", "Spooled"), SEGB_OK);
  assert_int_equal(segb_message_set_string(m, "messageId", id), SEGB_OK);
  assert_int_equal(segb_message_set_int64(m, "properties.n", n), SEGB_OK);
  snprintf(ts, 64, "%s", segb_message_timestamp(m));
  return segb_client_enqueue(c, m);
}

static int64_t stat_of(segb_client_t *c, int which) {
  int64_t v[SEGB_STAT__COUNT];

  assert_int_equal(segb_client_stats(c, v, SEGB_STAT__COUNT), SEGB_STAT__COUNT);
  return v[which];
}

/* ---- what the mock accepted ------------------------------------------ */

typedef struct seen {
  char id[64];
  char ts[64];
  int count;
} seen;

static int by_id(const void *a, const void *b) {
  return strcmp(((const seen *)a)->id, ((const seen *)b)->id);
}

/* Every message the mock accepted, by messageId (sorted, counted). */
static seen *accepted(sbm_mock *m, size_t *n) {
  size_t cap = 1024, used = 0, i, out = 0;
  seen *all = malloc(cap * sizeof *all);
  char *json;

  assert_non_null(all);
  for (i = 0; (json = sbm_message(m, i)) != NULL; i++) {
    cJSON *root = cJSON_Parse(json);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "messageId");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");

    assert_true(cJSON_IsString(id) && cJSON_IsString(ts));
    if (used == cap)
      assert_non_null(all = realloc(all, (cap *= 2) * sizeof *all));
    snprintf(all[used].id, sizeof all[used].id, "%s", id->valuestring);
    snprintf(all[used].ts, sizeof all[used].ts, "%s", ts->valuestring);
    all[used++].count = 1;
    cJSON_Delete(root);
    free(json);
  }
  qsort(all, used, sizeof *all, by_id);
  for (i = 0; i < used; i++) {
    if (out > 0 && strcmp(all[out - 1].id, all[i].id) == 0) {
      if (strcmp(all[out - 1].ts, all[i].ts) != 0)
        fail_msg("%s arrived with timestamps %s and %s", all[i].id,
                 all[out - 1].ts, all[i].ts);
      all[out - 1].count++;
    } else {
      all[out++] = all[i];
    }
  }
  *n = out;
  return all;
}

static const seen *find(const seen *all, size_t n, const char *id) {
  seen key;

  if (strlen(id) >= sizeof key.id)
    return NULL;
  memcpy(key.id, id, strlen(id) + 1);
  return bsearch(&key, all, n, sizeof *all, by_id);
}

/* ---- processes of their own --------------------------------------------- */

/* This program's path, from argv[0]: under valgrind /proc/self/exe is
 * valgrind's own. */
static char self[4096];

/* Start this program again as the child @role with @url, @dir, @round and
 * the descriptor @fd it writes to, closing @other first: a fresh process
 * (exec, not only fork), so that the child's client starts its threads as
 * in any program, under every sanitizer. Its pid. */
static pid_t spawn(const char *role, const char *url, const char *dir,
                   int round, int fd, int other) {
  pid_t pid = fork();

  assert_true(pid >= 0);
  if (pid == 0) {
    char round_text[16], fd_text[16];

    close(other);
    snprintf(round_text, sizeof round_text, "%d", round);
    snprintf(fd_text, sizeof fd_text, "%d", fd);
    execl(self, self, role, url, dir, round_text, fd_text, (char *)NULL);
    _exit(127);
  }
  close(fd);
  return pid;
}

/* ---- SIGKILL at random instants ---------------------------------------- */

/* The child: a client on the spool (sending what the killed ones left),
 * enqueueing its own events and telling the parent each one accepted,
 * "id timestamp\n", until it is killed. */
static _Noreturn void killed_client(const char *url, const char *dir, int round,
                                    int out) {
  segb_config_t *conf = spool_config(url, dir, NULL, "batch.max_events", BATCH,
                                     "dispatch.max_in_flight", IN_FLIGHT,
                                     "batch.linger_ms", "5", NULL);
  char err[SEGB_ERRSTR_SIZE], prefix[16], id[64], ts[64], line[160];
  segb_client_t *c = segb_client_new(conf, err, sizeof err);
  int n;

  if (c == NULL) {
    dprintf(out, "error %s\n", err);
    _exit(1);
  }
  snprintf(prefix, sizeof prefix, "k%02d", round);
  for (n = 0; n < PER_CHILD_MAX; n++) {
    int rc = track(c, prefix, n, id, ts);
    int len;

    if (rc == SEGB_ERR_QUEUE_FULL) {
      segb_client_flush(c, 100);
      continue;
    }
    if (rc != SEGB_OK) {
      dprintf(out, "error %s\n", segb_err_name(rc));
      _exit(1);
    }
    len = snprintf(line, sizeof line, "%s %s\n", id, ts);
    if (write(out, line, (size_t)len) != len)
      _exit(1);
  }
  /* everything given: wait to be killed */
  for (;;)
    pause();
}

/* Accepted events the parent was told of. */
typedef struct told {
  seen *ev;
  size_t n, cap;
} told;

static void tell(told *t, const char *line) {
  char id[64], ts[64];

  if (strncmp(line, "error ", 6) == 0)
    fail_msg("a killed client's child failed: %s", line + 6);
  assert_int_equal(sscanf(line, "%63s %63s", id, ts), 2);
  if (t->n == t->cap)
    assert_non_null(
        t->ev = realloc(t->ev, (t->cap = t->cap * 2 + 1024) * sizeof *t->ev));
  snprintf(t->ev[t->n].id, sizeof t->ev[t->n].id, "%s", id);
  snprintf(t->ev[t->n].ts, sizeof t->ev[t->n].ts, "%s", ts);
  t->ev[t->n++].count = 0;
}

/* One child killed once it told @kill_after acceptances; what it told
 * before it died, all of it, in @t. */
static void kill_one(const char *url, const char *dir, int round,
                     int kill_after, told *t) {
  char line[200];
  int fds[2], got = 0, status;
  FILE *in;
  pid_t pid;

  assert_int_equal(pipe(fds), 0);
  pid = spawn("--killed-client", url, dir, round, fds[1], fds[0]);
  in = fdopen(fds[0], "r");
  assert_non_null(in);
  while (got < kill_after && fgets(line, sizeof line, in) != NULL) {
    tell(t, line);
    got++;
  }
  kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  /* what it wrote before the kill was accepted too */
  while (fgets(line, sizeof line, in) != NULL)
    tell(t, line);
  fclose(in);
}

/* KILLS clients in turn on one spool, each killed after a pseudo-random
 * number of accepted events (while it sends its own and those the one
 * before left); then a last client sends what is left. Every accepted
 * event arrives, with its timestamp as sealed; duplicates stay within the
 * events that can be in flight at a kill (dispatch.max_in_flight requests
 * of batch.max_events), per kill; the spool ends empty. */
static void test_sigkill_loop(void **state) {
  sbm_mock *mock;
  char dir[64], *json;
  told t = {NULL, 0, 0};
  unsigned seed = 12345;
  size_t n_seen, i, duplicates = 0;
  seen *all;
  ledger l = {0};
  segb_client_t *c;
  int round;
  (void)state;

  mock = start_mock();
  make_dir(dir, sizeof dir);
  for (round = 0; round < KILLS; round++) {
    seed = seed * 1103515245u + 12345u;
    kill_one(sbm_url(mock), dir, round, 1 + (int)(seed >> 16) % 1500, &t);
  }
  c = open_client(spool_config(sbm_url(mock), dir, &l, NULL));
  assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
  assert_int_equal(l.other + l.spooled, 0);
  assert_int_equal(l.delivered, stat_of(c, SEGB_STAT_RECOVERED));
  assert_int_equal(segb_client_close(c, 60000), SEGB_OK);

  all = accepted(mock, &n_seen);
  for (i = 0; i < t.n; i++) {
    const seen *s = find(all, n_seen, t.ev[i].id);

    if (s == NULL)
      fail_msg("%s was accepted and never arrived", t.ev[i].id);
    if (strcmp(s->ts, t.ev[i].ts) != 0)
      fail_msg("%s was sealed at %s and arrived as %s", t.ev[i].id, t.ev[i].ts,
               s->ts);
  }
  for (i = 0; i < n_seen; i++) {
    assert_true(strncmp(all[i].id, "k", 1) == 0);
    duplicates += (size_t)all[i].count - 1;
  }
  print_message("%zu events accepted over %d kills, %zu arrived, %zu "
                "duplicates\n",
                t.n, KILLS, n_seen, duplicates);
  assert_true(duplicates <= (size_t)KILLS * atoi(IN_FLIGHT) * atoi(BATCH));
  assert_int_equal(segb_spool_status(dir, &json, NULL), SEGB_OK);
  assert_non_null(strstr(json, "\"records\":0,"));
  segb_free(json);
  free(all);
  free(t.ev);
  remove_dir(dir);
  sbm_stop(mock);
}

/* ---- close keeps, the next client sends -------------------------------- */

/* Against a server that never answers, close reports every event
 * SEGB_ERR_SPOOLED; a client started later on the spool queues them
 * (counted recovered and enqueued) and delivers them, with the same
 * messageIds and timestamps. */
static void test_close_keeps_for_next_client(void **state) {
  static const segb_raw_step hold[] = {{SEGB_RAW_HOLD, NULL}};
  segb_raw_server *raw = segb_raw_start(hold, 1, 0);
  char dir[64], url[64], ids[10][64], ts[10][64];
  size_t n_seen, i;
  sbm_mock *mock;
  segb_client_t *c;
  ledger l = {0};
  seen *all;
  (void)state;

  assert_non_null(raw);
  make_dir(dir, sizeof dir);
  snprintf(url, sizeof url, "http://127.0.0.1:%u", segb_raw_port(raw));
  c = open_client(spool_config(url, dir, &l, NULL));
  for (i = 0; i < 10; i++)
    assert_int_equal(track(c, "kept", (int)i, ids[i], ts[i]), SEGB_OK);
  assert_int_equal(segb_client_close(c, 300), SEGB_ERR_TIMED_OUT);
  assert_int_equal(l.spooled, 10);
  assert_int_equal(l.last_err, SEGB_ERR_SPOOLED);
  assert_int_equal(l.delivered + l.other, 0);
  segb_raw_stop(raw);

  mock = start_mock();
  memset(&l, 0, sizeof l);
  c = open_client(spool_config(sbm_url(mock), dir, &l, NULL));
  assert_int_equal(stat_of(c, SEGB_STAT_RECOVERED), 10);
  assert_int_equal(stat_of(c, SEGB_STAT_ENQUEUED), 10);
  assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
  assert_int_equal(l.delivered, 10);
  assert_int_equal(segb_client_close(c, 60000), SEGB_OK);
  all = accepted(mock, &n_seen);
  assert_int_equal(n_seen, 10);
  for (i = 0; i < 10; i++) {
    const seen *s = find(all, n_seen, ids[i]);

    if (s == NULL) {
      fail_msg("%s never arrived", ids[i]);
      return;
    }
    assert_int_equal(s->count, 1);
    assert_string_equal(s->ts, ts[i]);
  }
  free(all);
  sbm_stop(mock);
  remove_dir(dir);
}

/* ---- one live client per directory ----------------------------------- */

/* A second client on a held spool is refused with SEGB_ERR_SPOOL_LOCKED
 * naming the holder's pid, in this process and from another; a holder
 * killed leaves a lock the next client takes over. */
static void test_one_client_per_spool(void **state) {
  char dir[64], err[SEGB_ERRSTR_SIZE], pid_text[32], byte;
  segb_config_t *conf;
  segb_client_t *c;
  int ready[2], status;
  pid_t pid;
  (void)state;

  make_dir(dir, sizeof dir);
  c = open_client(spool_config("http://127.0.0.1:9", dir, NULL, NULL));
  conf = spool_config("http://127.0.0.1:9", dir, NULL, NULL);
  assert_null(segb_client_new(conf, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_SPOOL_LOCKED);
  snprintf(pid_text, sizeof pid_text, "%ld", (long)getpid());
  if (strstr(err, pid_text) == NULL)
    fail_msg("the refusal does not name pid %s: %s", pid_text, err);
  assert_int_equal(segb_client_close(c, 1000), SEGB_OK);

  /* another process holds it, then dies */
  segb_config_destroy(conf);
  assert_int_equal(pipe(ready), 0);
  pid = spawn("--holder", "http://127.0.0.1:9", dir, 0, ready[1], ready[0]);
  assert_int_equal(read(ready[0], &byte, 1), 1);
  assert_int_equal(byte, 'y');
  close(ready[0]);
  conf = spool_config("http://127.0.0.1:9", dir, NULL, NULL);
  assert_null(segb_client_new(conf, err, sizeof err));
  assert_int_equal(segb_last_error(), SEGB_ERR_SPOOL_LOCKED);
  snprintf(pid_text, sizeof pid_text, "%ld", (long)pid);
  if (strstr(err, pid_text) == NULL)
    fail_msg("the refusal does not name pid %s: %s", pid_text, err);
  kill(pid, SIGKILL);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL)
    fail_msg("the dead holder's lock was not taken over: %s", err);
  assert_int_equal(segb_client_close(c, 1000), SEGB_OK);
  remove_dir(dir);
}

/* ---- a full spool ------------------------------------------------------ */

/* With nothing delivered, a spool at spool.max_bytes refuses the next
 * event with SEGB_ERR_QUEUE_FULL (drop_newest) naming spool.max_bytes, and
 * what it accepted is all kept at close. */
static void test_full_spool_refuses(void **state) {
  static const segb_raw_step hold[] = {{SEGB_RAW_HOLD, NULL}};
  segb_raw_server *raw = segb_raw_start(hold, 1, 0);
  char dir[64], url[64], id[64], ts[64];
  segb_client_t *c;
  ledger l = {0};
  int n, rc = SEGB_OK;
  (void)state;

  assert_non_null(raw);
  make_dir(dir, sizeof dir);
  snprintf(url, sizeof url, "http://127.0.0.1:%u", segb_raw_port(raw));
  c = open_client(spool_config(url, dir, &l, "spool.max_bytes", "65536",
                               "queue.max_bytes", "10000000", NULL));
  for (n = 0; n < 100000 && rc == SEGB_OK; n++)
    rc = track(c, "full", n, id, ts);
  assert_int_equal(rc, SEGB_ERR_QUEUE_FULL);
  assert_non_null(strstr(segb_last_error_message(), "spool.max_bytes"));
  assert_true(n > 10);
  assert_int_equal(segb_client_close(c, 300), SEGB_ERR_TIMED_OUT);
  assert_int_equal(l.spooled, n - 1);
  assert_int_equal(l.other, 0);
  segb_raw_stop(raw);
  remove_dir(dir);
}

/* ---- a spool that cannot grow ------------------------------------------ */

/* When a new segment cannot be made (here RLIMIT_FSIZE below the segment
 * size: EFBIG, as a full disk gives ENOSPC), enqueue refuses the event
 * with SEGB_ERR_SPOOL_IO saying why, and nothing else changes: what was
 * accepted before is delivered, and once the file system has room again
 * the client accepts events as before. */
static void test_spool_write_failure(void **state) {
  struct rlimit was, small;
  char dir[64], id[64], ts[64], *json;
  void (*xfsz)(int);
  sbm_mock *mock;
  segb_client_t *c;
  ledger l = {0};
  int n = 0, rc;
  (void)state;

  mock = start_mock();
  make_dir(dir, sizeof dir);
  /* segments of 64 KiB; inline, so that nothing is sent before flush */
  c = open_client(spool_config(sbm_url(mock), dir, &l, "spool.max_bytes",
                               "262144", "dispatch.mode", "inline", NULL));
  assert_int_equal(track(c, "grow", n++, id, ts), SEGB_OK);
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
  small = was;
  small.rlim_cur = 32768;
  xfsz = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  while ((rc = track(c, "grow", n, id, ts)) == SEGB_OK && n < 100000)
    n++;
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
  signal(SIGXFSZ, xfsz);
  assert_int_equal(rc, SEGB_ERR_SPOOL_IO);
  if (strstr(segb_last_error_message(), "large") == NULL)
    fail_msg("the refusal does not say why: %s", segb_last_error_message());
  assert_true(n > 1);
  assert_int_equal(stat_of(c, SEGB_STAT_ENQUEUED), n);
  assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
  assert_int_equal(l.delivered, n);
  assert_int_equal(track(c, "grow", n, id, ts), SEGB_OK);
  assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
  assert_int_equal(l.delivered, n + 1);
  assert_int_equal(l.other + l.spooled, 0);
  assert_int_equal(segb_client_close(c, 60000), SEGB_OK);
  assert_int_equal(segb_spool_status(dir, &json, NULL), SEGB_OK);
  assert_non_null(strstr(json, "\"records\":0,"));
  segb_free(json);
  remove_dir(dir);
  sbm_stop(mock);
}

/* A full disk, for real: a tmpfs of 160 KiB mounted over the spool in a
 * mount namespace of the child's own (unshare(1); skipped where the
 * machine allows none). With segments of 64 KiB the third cannot be made:
 * enqueue refuses with SEGB_ERR_SPOOL_IO, "No space left on device";
 * what was accepted is delivered, which frees a segment, and the next
 * event is accepted again. The child checks it all: its exit status. */
#define TINY_FS "160k"

static _Noreturn void disk_full(const char *url, const char *dir) {
  char err[SEGB_ERRSTR_SIZE], id[64], ts[64];
  ledger l = {0};
  segb_client_t *c =
      segb_client_new(spool_config(url, dir, &l, "spool.max_bytes", "262144",
                                   "dispatch.mode", "inline", NULL),
                      err, sizeof err);
  int n = 0, rc;

  if (c == NULL) {
    fprintf(stderr, "disk full: %s\n", err);
    _exit(1);
  }
  while ((rc = track(c, "disk", n, id, ts)) == SEGB_OK && n < 100000)
    n++;
  if (rc != SEGB_ERR_SPOOL_IO ||
      strstr(segb_last_error_message(), "No space left on device") == NULL) {
    fprintf(stderr, "disk full: after %d events, %s: %s\n", n,
            segb_err_name(rc), segb_last_error_message());
    _exit(2);
  }
  if (n < 2 || segb_client_flush(c, 60000) != SEGB_OK || l.delivered != n)
    _exit(3);
  if (track(c, "disk", n, id, ts) != SEGB_OK ||
      segb_client_flush(c, 60000) != SEGB_OK || l.delivered != n + 1 ||
      l.other + l.spooled != 0)
    _exit(4);
  _exit(segb_client_close(c, 60000) == SEGB_OK ? 0 : 5);
}

/* Run unshare(1) with @args (args[0] "unshare", NULL-terminated); its
 * exit status, -1 when it did not end normally. */
static int run_unshare(char **args) {
  int status;
  pid_t pid;

  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execvp("unshare", args);
    _exit(126);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_disk_full(void **state) {
  static char script[] =
      "mount -t tmpfs -o size=" TINY_FS " segb \"$3\" || exit 77; "
      "exec \"$1\" --disk-full \"$2\" \"$3\" 0 1";
  static char unshare[] = "unshare", user_and_mount[] = "-rm", mount[] = "-m",
              true_cmd[] = "true", sh[] = "sh", dash_c[] = "-c";
  char dir[64], url[128];
  char *args[] = {unshare, user_and_mount, true_cmd, NULL, NULL,
                  NULL,    NULL,           NULL,     NULL, NULL};
  sbm_mock *mock;
  int rc;
  (void)state;

  /* a user namespace where one may mount, or as root a mount namespace */
  if (run_unshare(args) != 0) {
    args[1] = mount;
    if (run_unshare(args) != 0)
      args[1] = NULL;
  }
  if (args[1] == NULL) {
    print_message("no mount namespace here (unshare): skipped\n");
    skip();
  }
  mock = start_mock();
  snprintf(url, sizeof url, "%s", sbm_url(mock));
  make_dir(dir, sizeof dir);
  args[2] = sh;
  args[3] = dash_c;
  args[4] = script;
  args[5] = sh;
  args[6] = self;
  args[7] = url;
  args[8] = dir;
  rc = run_unshare(args);
  if (rc == 77) {
    print_message("tmpfs cannot be mounted here: skipped\n");
    remove_dir(dir);
    sbm_stop(mock);
    skip();
  }
  assert_int_equal(rc, 0);
  assert_true(fx_messages(mock) >= 3);
  remove_dir(dir);
  sbm_stop(mock);
}

/* ---- the fsync levels ------------------------------------------------- */

/* Every level delivers, in thread and inline mode (an inline client syncs
 * at intervals as it enqueues and in flush). */
static void test_fsync_levels(void **state) {
  static const char *const levels[] = {"never", "interval", "always"};
  static const char *const modes[] = {"thread", "inline"};
  size_t i, j;
  (void)state;

  for (i = 0; i < 3; i++) {
    for (j = 0; j < 2; j++) {
      char dir[64], id[64], ts[64];
      sbm_mock *mock;
      segb_client_t *c;
      ledger l = {0};
      int n;

      mock = start_mock();
      make_dir(dir, sizeof dir);
      c = open_client(spool_config(sbm_url(mock), dir, &l, "spool.fsync",
                                   levels[i], "spool.fsync_interval_ms", "1",
                                   "dispatch.mode", modes[j], NULL));
      for (n = 0; n < 200; n++)
        assert_int_equal(track(c, "sync", n, id, ts), SEGB_OK);
      assert_int_equal(segb_client_flush(c, 60000), SEGB_OK);
      assert_int_equal(l.delivered, 200);
      assert_int_equal(segb_client_close(c, 60000), SEGB_OK);
      remove_dir(dir);
      sbm_stop(mock);
    }
  }
}

/* The child --holder: takes the spool, says so with one byte ('y', or
 * 'n' when it could not), and waits to be killed. */
static _Noreturn void holder(const char *url, const char *dir, int out) {
  char err[SEGB_ERRSTR_SIZE];
  segb_client_t *c =
      segb_client_new(spool_config(url, dir, NULL, NULL), err, sizeof err);
  char byte = c != NULL ? 'y' : 'n';

  if (write(out, &byte, 1) != 1)
    _exit(1);
  for (;;)
    pause();
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_close_keeps_for_next_client),
      cmocka_unit_test(test_one_client_per_spool),
      cmocka_unit_test(test_full_spool_refuses),
      cmocka_unit_test(test_spool_write_failure),
      cmocka_unit_test(test_disk_full),
      cmocka_unit_test(test_fsync_levels),
      cmocka_unit_test(test_sigkill_loop),
  };

  signal(SIGPIPE, SIG_IGN);
  if (realpath(argv[0], self) == NULL)
    return 1;
  if (argc == 6 && strcmp(argv[1], "--killed-client") == 0)
    killed_client(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
  if (argc == 6 && strcmp(argv[1], "--disk-full") == 0)
    disk_full(argv[2], argv[3]);
  if (argc == 6 && strcmp(argv[1], "--holder") == 0)
    holder(argv[2], argv[3], atoi(argv[5]));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
