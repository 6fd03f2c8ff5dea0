/* The disk spool on real files in a temporary directory: records round
 * trip across segments byte for byte and in order; acknowledged ones and
 * their segments go; max_bytes refuses and room comes back; damage is cut
 * off with everything before it kept; the lock refuses a second holder in
 * this process or another and is taken over from a killed one; a full
 * disk (emulated with RLIMIT_FSIZE) refuses an append and loses nothing;
 * a child lets go of its parent's spool; a SIGKILL loses no confirmed
 * record and duplicates none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <segbridge/error.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "dispatch/spool.h"
#include "dispatch/spool_format.h"

#define PAYLOAD_MAX 1024
/* In every payload, and never in a log line. */
#define MARKER "SECRET-PAYLOAD"

typedef struct fixture {
  char root[64];   /* the temporary directory */
  char path[96];   /* the spool's directory inside it */
  int warnings;    /* "spool" lines at level 4 */
  char line[1024]; /* the last of them */
} fixture;

static void log_line(int level, const char *context, const char *line,
                     void *opaque) {
  fixture *f = opaque;

  if (strstr(line, MARKER) != NULL)
    fail_msg("a log line holds payload bytes: %s", line);
  if (level == 4 && strcmp(context, "spool") == 0) {
    f->warnings++;
    snprintf(f->line, sizeof f->line, "%s", line);
  }
}

static sbi_logger test_log;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);

  assert_non_null(f);
  strcpy(f->root, "/tmp/segb-spool-XXXXXX");
  assert_non_null(mkdtemp(f->root));
  snprintf(f->path, sizeof f->path, "%s/spool", f->root);
  test_log = (sbi_logger){log_line, f, 7, 0};
  *state = f;
  return 0;
}

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[512];

  if (d == NULL) {
    unlink(dir);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    struct stat st;

    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      remove_tree(p);
    else
      unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

static int teardown(void **state) {
  fixture *f = *state;

  remove_tree(f->root);
  free(f);
  return 0;
}

static sbi_spool_options options(const fixture *f, uint64_t segment_bytes) {
  sbi_spool_options o = {f->path,       64u << 20,
                         segment_bytes, SBI_SPOOL_FSYNC_NEVER,
                         1000,          &test_log};

  return o;
}

static sbi_spool *open_spool(const sbi_spool_options *o) {
  sbi_spool *s = NULL;
  int rc = sbi_spool_open(o, &s);

  if (rc != SEGB_OK)
    fail_msg("sbi_spool_open: %d %s", rc, segb_last_error_message());
  return s;
}

/* Record @i: a sealed-message-like JSON text of 150 to 450 bytes. */
static size_t payload(unsigned i, char *buf) {
  int n = snprintf(buf, PAYLOAD_MAX,
                   "{\"type\":\"track\",\"messageId\":\"m-%u\","
                   "\"timestamp\":\"2026-01-01T00:%02u:%02u.000Z\","
                   "\"properties\":{\"secret\":\"" MARKER "\",\"pad\":\"",
                   i, i / 60 % 60, i % 60);
  size_t pad = i * 37 % 300;

  memset(buf + n, 'x', pad);
  memcpy(buf + n + pad, "\"}}", 3);
  return (size_t)n + pad + 3;
}

static sbi_spool_ref append_record(sbi_spool *s, unsigned i) {
  char buf[PAYLOAD_MAX];
  sbi_spool_ref ref;
  int rc = sbi_spool_append(s, buf, payload(i, buf), &ref);

  if (rc != SEGB_OK)
    fail_msg("append %u: %d %s", i, rc, segb_last_error_message());
  return ref;
}

/* What a recovery walk handed over. */
typedef struct walk {
  sbi_spool *s;
  struct {
    char *data;
    size_t len;
    sbi_spool_ref ref;
  } * rec;
  size_t n, cap;
  int ack; /* acknowledge: 1 every record, 2 every other, during the walk */
} walk;

static int collect(void *ctx, const char *data, size_t len, sbi_spool_ref ref) {
  walk *w = ctx;

  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 64;
    w->rec = realloc(w->rec, w->cap * sizeof *w->rec);
    assert_non_null(w->rec);
  }
  w->rec[w->n].data = malloc(len + 1);
  assert_non_null(w->rec[w->n].data);
  memcpy(w->rec[w->n].data, data, len);
  w->rec[w->n].len = len;
  w->rec[w->n].ref = ref;
  if (w->ack == 1 || (w->ack == 2 && w->n % 2 == 0))
    sbi_spool_ack(w->s, ref);
  w->n++;
  return SEGB_OK;
}

static void walk_free(walk *w) {
  size_t i;

  for (i = 0; i < w->n; i++)
    free(w->rec[i].data);
  free(w->rec);
  free(w);
}

static walk *recover(sbi_spool *s, int ack) {
  walk *w = calloc(1, sizeof *w);

  assert_non_null(w);
  w->s = s;
  w->ack = ack;
  assert_int_equal(sbi_spool_recover(s, collect, w), SEGB_OK);
  return w;
}

/* Record @k of @w is record @i, byte for byte. */
static void check_record(const walk *w, size_t k, unsigned i) {
  char buf[PAYLOAD_MAX];
  size_t len = payload(i, buf);

  if (w->rec[k].len != len || memcmp(w->rec[k].data, buf, len) != 0)
    fail_msg("recovered record %zu is not record %u", k, i);
}

/* The records @first.. in order, @step apart, @count of them. */
static void check_walk(const walk *w, unsigned first, unsigned step,
                       size_t count) {
  size_t k;

  assert_int_equal(w->n, count);
  for (k = 0; k < count; k++)
    check_record(w, k, first + (unsigned)k * step);
}

/* Files in @dir whose names end with @suffix. */
static int count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;

  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name), sl = strlen(suffix);

    n += len >= sl && strcmp(e->d_name + len - sl, suffix) == 0 &&
         strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  }
  closedir(d);
  return n;
}

static int segments(const fixture *f) { return count_files(f->path, ".spool"); }

static void segment_path(const fixture *f, uint64_t number, char *out,
                         size_t size) {
  char name[SBI_SPOOL_NAME_SIZE];

  sbi_spool_segment_name(name, number, 0);
  snprintf(out, size, "%s/%s", f->path, name);
}

/* Several segments, records of 0 bytes and one larger than a segment:
 * each comes back byte for byte, in the order appended, as often as the
 * spool is opened until it is acknowledged. */
static void test_spool_round_trip(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 1024);
  char big[5000];
  sbi_spool_ref ref;
  sbi_spool *s = open_spool(&o);
  walk *w;
  unsigned i, round;

  memset(big, 'b', sizeof big);
  for (i = 0; i < 100; i++)
    append_record(s, i);
  assert_int_equal(sbi_spool_append(s, "", 0, &ref), SEGB_OK);
  assert_int_equal(sbi_spool_append(s, big, sizeof big, &ref), SEGB_OK);
  append_record(s, 100);
  sbi_spool_close(s);
  assert_true(segments(f) > 10);
  for (round = 0; round < 2; round++) {
    s = open_spool(&o);
    assert_int_equal(sbi_spool_damaged(s), 0);
    w = recover(s, 0);
    assert_int_equal(w->n, 103);
    for (i = 0; i < 100; i++)
      check_record(w, i, i);
    assert_int_equal(w->rec[100].len, 0);
    assert_int_equal(w->rec[101].len, sizeof big);
    assert_memory_equal(w->rec[101].data, big, sizeof big);
    check_record(w, 102, 100);
    walk_free(w);
    w = recover(s, 0); /* a second walk hands over nothing */
    assert_int_equal(w->n, 0);
    walk_free(w);
    sbi_spool_close(s);
  }
  assert_int_equal(f->warnings, 0);
}

/* An acknowledged record is not recovered; a segment left with none
 * pending is deleted at once (unless appended to), also when the
 * acknowledgement comes during the recovery walk. */
static void test_spool_ack(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 1024);
  sbi_spool_ref refs[60];
  sbi_spool *s = open_spool(&o);
  int before;
  walk *w;
  unsigned i;

  for (i = 0; i < 60; i++)
    refs[i] = append_record(s, i);
  before = segments(f);
  for (i = 0; i < 40; i++)
    sbi_spool_ack(s, refs[i]);
  sbi_spool_ack(s, refs[0]); /* twice: nothing more */
  assert_true(segments(f) < before - 5);
  sbi_spool_close(s);

  s = open_spool(&o);
  w = recover(s, 2); /* 40, 42, ... acknowledged as they come */
  check_walk(w, 40, 1, 20);
  walk_free(w);
  sbi_spool_close(s);

  s = open_spool(&o);
  w = recover(s, 1);
  check_walk(w, 41, 2, 10);
  walk_free(w);
  assert_int_equal(segments(f), 0); /* all deleted by the walk */
  sbi_spool_close(s);
  assert_int_equal(segments(f), 0);
  assert_int_equal(count_files(f->path, "lock"), 1);
}

/* Appends made during the walk are not walked but kept after the records
 * recovered; a callback's error stops the walk and is its result. */
static int append_copy(void *ctx, const char *data, size_t len,
                       sbi_spool_ref ref) {
  walk *w = ctx;
  sbi_spool_ref copy;

  collect(ctx, data, len, ref);
  assert_int_equal(sbi_spool_append(w->s, data, len, &copy), SEGB_OK);
  return w->n == 3 ? SEGB_ERR_CLOSED : SEGB_OK;
}

static void test_spool_recover_appends(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 1024);
  sbi_spool *s = open_spool(&o);
  walk *w;
  unsigned i;

  for (i = 0; i < 5; i++)
    append_record(s, i);
  sbi_spool_close(s);
  s = open_spool(&o);
  w = calloc(1, sizeof *w);
  assert_non_null(w);
  w->s = s;
  assert_int_equal(sbi_spool_recover(s, append_copy, w), SEGB_ERR_CLOSED);
  check_walk(w, 0, 1, 3);
  walk_free(w);
  sbi_spool_close(s);
  s = open_spool(&o);
  w = recover(s, 0);
  assert_int_equal(w->n, 8);
  for (i = 0; i < 8; i++)
    check_record(w, i, i < 5 ? i : i - 5);
  walk_free(w);
  sbi_spool_close(s);
}

/* Three segments of 4 096 bytes fit in max_bytes, seven records of 520
 * bytes each: the 22nd append is refused, and fits() says so before;
 * acknowledging a segment's records makes room again. */
static void test_spool_max_bytes(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 4096);
  char buf[500];
  sbi_spool_ref refs[22], ref;
  sbi_spool *s;
  unsigned i;

  o.max_bytes = 3 * 4096;
  s = open_spool(&o);
  memset(buf, 'r', sizeof buf);
  for (i = 0; i < 21; i++) {
    assert_true(sbi_spool_fits(s, sizeof buf));
    assert_int_equal(sbi_spool_append(s, buf, sizeof buf, &refs[i]), SEGB_OK);
  }
  assert_false(sbi_spool_fits(s, sizeof buf));
  assert_int_equal(sbi_spool_append(s, buf, sizeof buf, &ref),
                   SEGB_ERR_QUEUE_FULL);
  assert_non_null(strstr(segb_last_error_message(), "spool.max_bytes"));
  assert_int_equal(segments(f), 3);
  for (i = 0; i < 6; i++) {
    sbi_spool_ack(s, refs[i]);
    assert_false(sbi_spool_fits(s, sizeof buf));
  }
  sbi_spool_ack(s, refs[6]); /* the first segment is all acknowledged */
  assert_int_equal(segments(f), 2);
  assert_true(sbi_spool_fits(s, sizeof buf));
  assert_int_equal(sbi_spool_append(s, buf, sizeof buf, &ref), SEGB_OK);
  sbi_spool_close(s);
}

/* Reopen after damage: @good records (0..good-1) recovered, the damage
 * counted and logged once, and cut off, so a second open finds none. */
static void check_damage_cut(fixture *f, const sbi_spool_options *o,
                             unsigned good) {
  sbi_spool_status st;
  sbi_spool *s;
  walk *w;
  int pass;

  assert_int_equal(sbi_spool_inspect(f->path, &st), SEGB_OK);
  assert_int_equal(st.damaged, 1);
  assert_true(st.damaged_bytes > 0);
  assert_int_equal(st.records, good);
  for (pass = 0; pass < 2; pass++) {
    f->warnings = 0;
    s = open_spool(o);
    assert_int_equal(sbi_spool_damaged(s), pass == 0 ? 1 : 0);
    assert_int_equal(f->warnings, pass == 0 ? 1 : 0);
    if (pass == 0)
      assert_non_null(strstr(f->line, "damaged at byte"));
    w = recover(s, 0);
    check_walk(w, 0, 1, good);
    walk_free(w);
    sbi_spool_close(s);
  }
  assert_int_equal(sbi_spool_inspect(f->path, &st), SEGB_OK);
  assert_int_equal(st.damaged, 0);
  remove_tree(f->path);
}

static void overwrite(const char *path, off_t at, const void *bytes, size_t n) {
  int fd = open(path, O_WRONLY);

  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, bytes, n, at), (ssize_t)n);
  close(fd);
}

/* A file cut mid-record, a byte changed inside a record, a record whose
 * length and CRC are zeros with its payload behind them: every record
 * before the damage is kept. */
static void test_spool_torn_tail(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 65536);
  sbi_spool_ref refs[10];
  char seg[160];
  int variant;

  segment_path(f, 1, seg, sizeof seg);
  for (variant = 0; variant < 3; variant++) {
    sbi_spool *s = open_spool(&o);
    unsigned i;
    struct stat st;

    for (i = 0; i < 10; i++)
      refs[i] = append_record(s, i);
    sbi_spool_close(s);
    assert_int_equal(stat(seg, &st), 0);
    if (variant == 0) { /* the last record cut short */
      assert_int_equal(truncate(seg, st.st_size - 10), 0);
      check_damage_cut(f, &o, 9);
    } else if (variant == 1) { /* a byte of record 5's payload */
      overwrite(seg, refs[5].offset + 40, "#", 1);
      check_damage_cut(f, &o, 5);
    } else { /* record 4's length and CRC zeroed */
      overwrite(seg, refs[4].offset, "\0\0\0\0\0\0\0\0", 8);
      check_damage_cut(f, &o, 4);
    }
  }
}

/* A file named as a segment without a valid header is counted and put
 * aside as *.damaged; the other segments are recovered, and new ones get
 * numbers past it. */
static void test_spool_garbage_header(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 65536);
  char seg[160], garbage[100];
  sbi_spool *s = open_spool(&o);
  walk *w;
  unsigned i;
  int fd;

  for (i = 0; i < 5; i++)
    append_record(s, i);
  sbi_spool_close(s);
  segment_path(f, 0xff, seg, sizeof seg);
  memset(garbage, 0x5a, sizeof garbage);
  fd = open(seg, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, garbage, sizeof garbage), sizeof garbage);
  close(fd);

  f->warnings = 0;
  s = open_spool(&o);
  assert_int_equal(sbi_spool_damaged(s), 1);
  assert_int_equal(f->warnings, 1);
  assert_non_null(strstr(f->line, "no valid segment header"));
  assert_int_equal(count_files(f->path, ".damaged"), 1);
  assert_int_equal(segments(f), 1);
  w = recover(s, 0);
  check_walk(w, 0, 1, 5);
  walk_free(w);
  append_record(s, 5);
  segment_path(f, 0x100, seg, sizeof seg);
  assert_int_equal(access(seg, F_OK), 0);
  sbi_spool_close(s);
}

/* A segment of a newer format version is not destroyed: the open (and
 * the inspection) is refused, naming the file and its version. */
static void test_spool_newer_version(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 65536);
  unsigned char head[SBI_SPOOL_FILE_HEADER], back[SBI_SPOOL_FILE_HEADER];
  sbi_spool_status st;
  sbi_spool *s = open_spool(&o);
  char seg[160];
  int fd;

  sbi_spool_close(s);
  sbi_spool_header_encode(head, 7);
  sbi_spool_put32(head + 8, 2);
  segment_path(f, 7, seg, sizeof seg);
  fd = open(seg, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, head, sizeof head), sizeof head);
  close(fd);
  s = NULL;
  assert_int_equal(sbi_spool_open(&o, &s), SEGB_ERR_SPOOL_IO);
  assert_null(s);
  assert_non_null(strstr(segb_last_error_message(), "seg-0000000000000007"));
  assert_non_null(strstr(segb_last_error_message(), "format version 2"));
  assert_int_equal(sbi_spool_inspect(f->path, &st), SEGB_ERR_SPOOL_IO);
  fd = open(seg, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(read(fd, back, sizeof back), sizeof back);
  close(fd);
  assert_memory_equal(head, back, sizeof head);
  /* the refused open let go of the lock */
  remove_tree(seg);
  s = open_spool(&o);
  sbi_spool_close(s);
}

/* Two opens in one process: the second is refused naming our pid. */
static void test_spool_locked_same_process(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 0);
  sbi_spool *a = open_spool(&o), *b = NULL;
  char says[160];

  assert_int_equal(sbi_spool_open(&o, &b), SEGB_ERR_SPOOL_LOCKED);
  assert_null(b);
  snprintf(says, sizeof says, "%s is held by process %ld", f->path,
           (long)getpid());
  assert_non_null(strstr(segb_last_error_message(), says));
  sbi_spool_close(a);
  b = open_spool(&o);
  sbi_spool_close(b);
}

/* A lock held by another process is refused with its pid; once that
 * process is killed, the lock is taken over. */
static void test_spool_locked_by_child(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 0);
  int ready[2], hold[2], status;
  sbi_spool *s = NULL;
  char says[160], ok = 0;
  pid_t pid;

  assert_int_equal(pipe(ready), 0);
  assert_int_equal(pipe(hold), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char got, opened = sbi_spool_open(&o, &s) == SEGB_OK;

    close(hold[1]);
    if (write(ready[1], &opened, 1) != 1 || read(hold[0], &got, 1) < 0)
      _exit(1);
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  assert_int_equal(read(ready[0], &ok, 1), 1);
  assert_int_equal(ok, 1);
  assert_int_equal(sbi_spool_open(&o, &s), SEGB_ERR_SPOOL_LOCKED);
  snprintf(says, sizeof says, "held by process %ld", (long)pid);
  assert_non_null(strstr(segb_last_error_message(), says));
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  s = open_spool(&o);
  sbi_spool_close(s);
  close(ready[0]);
  close(hold[1]);
}

/* In a child, so that its file size limit stays its own: with segments
 * limited to 4 096 bytes, the segment after the first cannot be
 * allocated; the append is refused, nothing is left of the new segment,
 * the records before are intact, and once the limit goes the spool
 * appends again. The exit code says which check failed. */
static int no_space_child(const sbi_spool_options *o) {
  struct rlimit small = {4096, RLIM_INFINITY}, was;
  char buf[2000];
  sbi_spool_ref ref;
  sbi_spool *s;
  int rc, n = 0;

  memset(buf, 'd', sizeof buf);
  signal(SIGXFSZ, SIG_IGN);
  if (sbi_spool_open(o, &s) != SEGB_OK || getrlimit(RLIMIT_FSIZE, &was) != 0)
    return 10;
  if (sbi_spool_append(s, buf, sizeof buf, &ref) != SEGB_OK)
    return 11;
  n++;
  if (setrlimit(RLIMIT_FSIZE, &small) != 0)
    return 12;
  while ((rc = sbi_spool_append(s, buf, sizeof buf, &ref)) == SEGB_OK)
    if (++n > 100)
      return 13;
  if (rc != SEGB_ERR_SPOOL_IO ||
      strstr(segb_last_error_message(), "cannot allocate") == NULL)
    return 14;
  if (n != 32) /* (65536 - 32) / 2016 */
    return 15;
  small.rlim_cur = was.rlim_cur;
  if (setrlimit(RLIMIT_FSIZE, &small) != 0)
    return 16;
  if (sbi_spool_append(s, buf, sizeof buf, &ref) != SEGB_OK)
    return 17;
  sbi_spool_close(s);
  return 0;
}

static void test_spool_no_space(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 65536);
  sbi_spool *s;
  walk *w;
  int status;
  pid_t pid = fork();

  assert_true(pid >= 0);
  if (pid == 0)
    _exit(no_space_child(&o));
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(segments(f), 2);
  s = open_spool(&o);
  w = recover(s, 0);
  assert_int_equal(w->n, 33);
  walk_free(w);
  sbi_spool_close(s);
}

/* fsync=always syncs before append returns: nothing is left due, except
 * acknowledgements, which wait for the next sync. fsync=interval: due an
 * interval after the first unsynced write. never: nothing is ever due. */
static void test_spool_fsync_levels(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 4096);
  sbi_spool_ref ref;
  sbi_spool *s;
  int64_t before, due;
  walk *w;

  o.fsync = SBI_SPOOL_FSYNC_ALWAYS;
  s = open_spool(&o);
  ref = append_record(s, 0);
  append_record(s, 1);
  assert_int_equal(sbi_spool_sync_due(s), -1);
  sbi_spool_ack(s, ref);
  assert_true(sbi_spool_sync_due(s) >= 0);
  assert_int_equal(sbi_spool_sync(s), SEGB_OK);
  assert_int_equal(sbi_spool_sync_due(s), -1);
  sbi_spool_close(s);

  o.fsync = SBI_SPOOL_FSYNC_INTERVAL;
  o.fsync_interval_ms = 60000;
  s = open_spool(&o);
  assert_int_equal(sbi_spool_sync_due(s), -1);
  before = sbi_clock_mono_ms();
  append_record(s, 2);
  due = sbi_spool_sync_due(s);
  assert_true(due >= before + 60000 && due <= sbi_clock_mono_ms() + 60000);
  append_record(s, 3);
  assert_int_equal(sbi_spool_sync_due(s), due);
  assert_int_equal(sbi_spool_sync(s), SEGB_OK);
  assert_int_equal(sbi_spool_sync_due(s), -1);
  assert_int_equal(sbi_spool_sync(s), SEGB_OK); /* nothing to sync */
  w = recover(s, 1);                            /* acknowledges 1 */
  assert_true(sbi_spool_sync_due(s) >= 0);
  walk_free(w);
  sbi_spool_close(s);

  o.fsync = SBI_SPOOL_FSYNC_NEVER;
  s = open_spool(&o);
  w = recover(s, 0);
  check_walk(w, 2, 1, 2);
  sbi_spool_ack(s, w->rec[0].ref);
  append_record(s, 4);
  assert_int_equal(sbi_spool_sync_due(s), -1);
  assert_int_equal(sbi_spool_sync(s), SEGB_OK);
  walk_free(w);
  sbi_spool_close(s);
}

/* A forked child lets go of its parent's spool: the parent keeps its lock
 * (the child cannot take the spool either), its files and its mappings. */
static void test_spool_abandon_after_fork(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 1024);
  sbi_spool_ref refs[20];
  sbi_spool *s = open_spool(&o), *other = NULL;
  int status, before;
  walk *w;
  unsigned i;
  pid_t pid;

  for (i = 0; i < 10; i++)
    refs[i] = append_record(s, i);
  before = segments(f);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    sbi_spool *mine = NULL;

    sbi_spool_abandon(s);
    _exit(sbi_spool_open(&o, &mine) == SEGB_ERR_SPOOL_LOCKED ? 0 : 1);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(segments(f), before);
  assert_int_equal(sbi_spool_open(&o, &other), SEGB_ERR_SPOOL_LOCKED);
  for (i = 10; i < 20; i++)
    refs[i] = append_record(s, i);
  for (i = 0; i < 5; i++)
    sbi_spool_ack(s, refs[i]);
  sbi_spool_close(s);
  s = open_spool(&o);
  w = recover(s, 0);
  check_walk(w, 5, 1, 15);
  walk_free(w);
  sbi_spool_close(s);
}

/* The read-only view of a live spool and of one left behind; a directory
 * without a spool is not found. Nothing is changed by looking. */
static void test_spool_inspect(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 1024);
  char buf[PAYLOAD_MAX], empty[160];
  sbi_spool_ref refs[12];
  sbi_spool_status st;
  uint64_t bytes = 0;
  sbi_spool *s = open_spool(&o);
  int before;
  unsigned i;

  for (i = 0; i < 12; i++) {
    refs[i] = append_record(s, i);
    if (i >= 2)
      bytes += payload(i, buf);
  }
  sbi_spool_ack(s, refs[0]);
  sbi_spool_ack(s, refs[1]);
  before = segments(f);
  assert_int_equal(sbi_spool_inspect(f->path, &st), SEGB_OK);
  assert_int_equal(st.holder_pid, (long)getpid());
  assert_int_equal(st.records, 10);
  assert_int_equal(st.bytes, bytes);
  assert_int_equal(st.segments, before);
  assert_true(st.file_bytes >= (uint64_t)before * 1024);
  assert_string_equal(st.oldest, "2026-01-01T00:00:02.000Z");
  assert_int_equal(st.damaged, 0);
  assert_int_equal(segments(f), before);
  sbi_spool_close(s);

  assert_int_equal(sbi_spool_inspect(f->path, &st), SEGB_OK);
  assert_int_equal(st.holder_pid, 0);
  assert_int_equal(st.records, 10);
  assert_int_equal(st.bytes, bytes);
  assert_string_equal(st.oldest, "2026-01-01T00:00:02.000Z");
  s = open_spool(&o); /* the inspection left the lock free */
  sbi_spool_close(s);

  snprintf(empty, sizeof empty, "%s/empty", f->root);
  assert_int_equal(mkdir(empty, 0700), 0);
  assert_int_equal(sbi_spool_inspect(empty, &st), SEGB_ERR_NOT_FOUND);
  strcat(empty, "/none");
  assert_int_equal(sbi_spool_inspect(empty, &st), SEGB_ERR_NOT_FOUND);
}

/* A path that is a file is not a directory; a missing parent is an error;
 * an empty path or max_bytes 0 is no spool. */
static void test_spool_bad_paths(void **state) {
  fixture *f = *state;
  sbi_spool_options o = options(f, 0);
  char file[160], deep[160];
  sbi_spool *s = NULL;
  int fd;

  snprintf(file, sizeof file, "%s/file", f->root);
  fd = open(file, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  close(fd);
  o.path = file;
  assert_int_equal(sbi_spool_open(&o, &s), SEGB_ERR_INVALID_VALUE);
  assert_non_null(strstr(segb_last_error_message(), "not a directory"));
  snprintf(deep, sizeof deep, "%s/no/such", f->root);
  o.path = deep;
  assert_int_equal(sbi_spool_open(&o, &s), SEGB_ERR_SPOOL_IO);
  o.path = "";
  assert_int_equal(sbi_spool_open(&o, &s), SEGB_ERR_INVALID_VALUE);
  o = options(f, 0);
  o.max_bytes = 0;
  assert_int_equal(sbi_spool_open(&o, &s), SEGB_ERR_INVALID_VALUE);
  assert_null(s);
}

/* The child appends records without end and confirms each append that
 * returned SEGB_OK on @fd. */
static void kill_child(const sbi_spool_options *o, int fd) {
  sbi_spool *s;
  unsigned i;

  if (sbi_spool_open(o, &s) != SEGB_OK)
    _exit(1);
  for (i = 0;; i++) {
    char buf[PAYLOAD_MAX];
    sbi_spool_ref ref;

    if (sbi_spool_append(s, buf, payload(i, buf), &ref) != SEGB_OK)
      _exit(2);
    if (write(fd, &i, sizeof i) != (ssize_t)sizeof i)
      _exit(3);
  }
}

/* SIGKILL at some instant of an append loop: every confirmed record is
 * recovered exactly once and in order (one more may be there: appended,
 * not yet confirmed), then acknowledged for the next round. */
static void test_spool_sigkill(void **state) {
  static const unsigned kill_after[] = {1, 700, 2500, 6000};
  fixture *f = *state;
  sbi_spool_options o = options(f, 65536);
  size_t r;

  for (r = 0; r < sizeof kill_after / sizeof kill_after[0]; r++) {
    unsigned confirmed = 0, got;
    sbi_spool_status st;
    int fds[2], status;
    sbi_spool *s;
    walk *w;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      kill_child(&o, fds[1]);
    }
    close(fds[1]);
    while (confirmed < kill_after[r] &&
           read(fds[0], &got, sizeof got) == (ssize_t)sizeof got) {
      assert_int_equal(got, confirmed);
      confirmed++;
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    while (read(fds[0], &got, sizeof got) == (ssize_t)sizeof got) {
      assert_int_equal(got, confirmed);
      confirmed++;
    }
    close(fds[0]);

    assert_int_equal(sbi_spool_inspect(f->path, &st), SEGB_OK);
    assert_int_equal(st.holder_pid, 0);
    s = open_spool(&o);
    assert_true(sbi_spool_damaged(s) <= 1); /* the append cut short */
    w = recover(s, 1);
    if (w->n != confirmed && w->n != confirmed + 1)
      fail_msg("round %zu: %u confirmed, %zu recovered", r, confirmed, w->n);
    check_walk(w, 0, 1, w->n);
    walk_free(w);
    sbi_spool_close(s);
    assert_int_equal(segments(f), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_spool_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_ack, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_recover_appends, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_spool_max_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_torn_tail, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_garbage_header, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_spool_newer_version, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_spool_locked_same_process, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_spool_locked_by_child, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_spool_no_space, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_fsync_levels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_abandon_after_fork, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_spool_inspect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_bad_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spool_sigkill, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
