/* segbridge import: NDJSON in, each line's event enqueued while the
 * client's dispatcher thread sends them (dispatch.mode=thread), a progress
 * line on a terminal, and a final "delivered N, failed M" with the reasons
 * and the client's counters.
 *
 * The import stops sending, and counts the rest of its input as not sent,
 * when the server refuses the credentials (no later batch would fare
 * better) or when --timeout-ms passes without progress: the wait is
 * bounded for the whole run, not per wait, so a dead network costs
 * --timeout-ms once.
 *
 * With --spool DIR the client keeps every accepted event in DIR until it
 * has a fate, and the import keeps its place in the input file there
 * (checkpoint.h): run again after a kill, it sends what the spool kept and
 * goes on after the last line accepted. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "ndjson.h"

/* How often the progress line changes at most, and the longest an enqueue
 * waits for room in a full queue (queue.block_timeout_ms) before the import
 * waits for the queue to drain instead (then an inline client sends it). */
#define PROGRESS_MS 200
/* Distinct error codes tracked for the summary, and the line numbers
 * shown for each. */
#define CODES 64
#define SHOWN_LINES 5

/* Reports arrive on the dispatcher thread while the import reads: what
 * they write is read and written under the lock until the client is
 * closed. */
typedef struct import_state {
  pthread_mutex_t lock;
  cli_tally tally;
  uint64_t per_code[CODES]; /* failures by -code, invalid lines included */
  char example[CODES][SEGB_ERRSTR_SIZE]; /* the first explanation per code */
  /* the first lines of each code's invalid lines; 0: none (a failure that
   * the server reported has no line) */
  uint64_t lines[CODES][SHOWN_LINES];
  unsigned line_count[CODES];
  int timeout_ms;
  int64_t deadline;  /* monotonic ms: --timeout-ms after the start
                        or the last progress */
  uint64_t progress; /* reports that the server answered for good */
  int stop;          /* why sending stopped; SEGB_OK while it goes */
  char stop_why[200];
  uint64_t not_sent;    /* reported not delivered before close */
  char closed_why[300]; /* the first "not delivered before close" */
  uint64_t kept;        /* of not_sent: kept in the spool for a next run */
  /* the import's own, on its thread */
  uint64_t invalid;    /* lines that never became a message */
  uint64_t lines_left; /* lines not enqueued once it stopped */
  uint64_t full_waits; /* enqueues refused for a full queue, then retried */
  cli_checkpoint cp;   /* --spool with a regular file: where it resumes */
} import_state;

/* The progress line on a terminal. */
typedef struct progress_line {
  int shown;           /* standard error is a terminal */
  int64_t start, next; /* monotonic ms: the start, the next update */
  off_t size;          /* of a regular file, else 0 */
  const cli_lines *in;
} progress_line;

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Events per second, over @ms. */
static double rate(int64_t events, int64_t ms) {
  return (double)events * 1000.0 / (double)(ms > 0 ? ms : 1);
}

/* Under the lock. @lineno: the input line at fault, or 0. */
static void count_failure(import_state *st, int err, uint64_t lineno,
                          const char *why) {
  int slot = -err < CODES ? -err : CODES - 1;

  if (st->per_code[slot]++ == 0)
    snprintf(st->example[slot], sizeof st->example[slot], "%s", why);
  if (lineno > 0 && st->line_count[slot] < SHOWN_LINES)
    st->lines[slot][st->line_count[slot]++] = lineno;
}

/* Under the lock: sending ends with @rc, unless the reports said why
 * first. */
static void stop_sending(import_state *st, int rc) {
  if (st->stop != SEGB_OK)
    return;
  st->stop = rc;
  if (rc == SEGB_ERR_TIMED_OUT)
    snprintf(st->stop_why, sizeof st->stop_why,
             "nothing was delivered for %d ms (--timeout-ms)", st->timeout_ms);
  else
    snprintf(st->stop_why, sizeof st->stop_why, "%s: %s", segb_err_name(rc),
             segb_last_error_message());
}

static int stopped(import_state *st) {
  int stop;

  pthread_mutex_lock(&st->lock);
  stop = st->stop;
  pthread_mutex_unlock(&st->lock);
  return stop != SEGB_OK;
}

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  import_state *st = opaque;
  int err = segb_report_err(r), kind = cli_exit_code(err);

  pthread_mutex_lock(&st->lock);
  /* what was queued when the import stopped */
  if (err == SEGB_ERR_CLOSED || err == SEGB_ERR_SPOOLED) {
    st->not_sent++;
    st->kept += err == SEGB_ERR_SPOOLED;
    if (st->closed_why[0] == '\0')
      snprintf(st->closed_why, sizeof st->closed_why, "%s",
               segb_report_errstr(r));
    if (st->tally.verbose)
      fprintf(stderr, "not sent %s\n", segb_report_message_id(r));
    pthread_mutex_unlock(&st->lock);
    return;
  }
  cli_tally_report(c, r, &st->tally);
  if (err != SEGB_OK)
    count_failure(st, err, 0, segb_report_errstr(r));
  if (kind == CLI_AUTH && st->stop == SEGB_OK) {
    st->stop = err;
    snprintf(st->stop_why, sizeof st->stop_why,
             "the server refused the credentials (%s)", segb_err_name(err));
  }
  /* A delivery, or a refusal of the events themselves, shows a server
   * that answers: the wait starts again. Failures past the wait end the
   * sending, as a wait that runs out does: in the background they would
   * otherwise go on while the import reads. */
  if (kind != CLI_NETWORK && kind != CLI_AUTH) {
    st->progress++;
    st->deadline = now_ms() + st->timeout_ms;
  } else if (kind == CLI_NETWORK && now_ms() >= st->deadline) {
    stop_sending(st, SEGB_ERR_TIMED_OUT);
  }
  pthread_mutex_unlock(&st->lock);
}

/* The client's counters; zeros where the library has none. */
static void client_stats(segb_client_t *c, int64_t v[SEGB_STAT__COUNT]) {
  memset(v, 0, sizeof(int64_t) * SEGB_STAT__COUNT);
  segb_client_stats(c, v, SEGB_STAT__COUNT);
}

/* Redraw the line from @v when due, or always with @force. */
static void show_progress(progress_line *p, const int64_t *v, int force) {
  int64_t now = now_ms();
  double done = p->size > 0 ? (double)p->in->offset / (double)p->size : 0;

  if (!p->shown || (!force && now < p->next))
    return;
  p->next = now + PROGRESS_MS;
  if (p->size > 0)
    fprintf(stderr, "\r%3d%% ", (int)((done > 1 ? 1 : done) * 100));
  else
    fputc('\r', stderr);
  /* "\033[K": clear what a longer line before left */
  fprintf(stderr,
          "%.0f events/s, delivered %lld, dropped %lld, queued %lld\033[K",
          rate(v[SEGB_STAT_DELIVERED], now - p->start),
          (long long)v[SEGB_STAT_DELIVERED], (long long)v[SEGB_STAT_DROPPED],
          (long long)(v[SEGB_STAT_QUEUED] + v[SEGB_STAT_IN_FLIGHT]));
}

static void update_progress(progress_line *p, segb_client_t *c) {
  int64_t v[SEGB_STAT__COUNT];

  if (!p->shown || now_ms() < p->next)
    return;
  client_stats(c, v);
  show_progress(p, v, 0);
}

/* Wait until everything enqueued is reported (an inline client sends it
 * here) while the import may still wait: until --timeout-ms after the last
 * progress. A wait of all the time left that ends without progress ends
 * the sending: another would only make the same requests again. On a
 * terminal it waits in slices so that the progress line moves; a slice
 * that sees no report doubles the next, so that a client sending on this
 * thread gets the time a request or a retry's backoff takes. SEGB_OK, or
 * why it did not wait to the end. */
static int send_queued(segb_client_t *c, import_state *st, progress_line *p) {
  int slice = PROGRESS_MS;

  for (;;) {
    int64_t left;
    uint64_t before;
    int rc, wait, progressed;

    pthread_mutex_lock(&st->lock);
    rc = st->stop;
    left = st->deadline - now_ms();
    before = st->progress;
    pthread_mutex_unlock(&st->lock);
    if (rc != SEGB_OK)
      return rc;
    wait = left <= 0 ? 0 : p->shown && slice < left ? slice : (int)left;
    rc = wait > 0 ? segb_client_flush(c, wait) : SEGB_ERR_TIMED_OUT;
    update_progress(p, c);
    if (rc == SEGB_OK)
      return rc;
    pthread_mutex_lock(&st->lock);
    progressed = st->progress > before;
    if (rc != SEGB_ERR_TIMED_OUT || (!progressed && wait >= left))
      stop_sending(st, rc);
    pthread_mutex_unlock(&st->lock);
    slice = progressed ? PROGRESS_MS : slice * 2;
  }
}

static int read_fd(void *ctx, char *buf, size_t cap, size_t *got) {
  ssize_t n;

  do
    n = read(*(const int *)ctx, buf, cap);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  *got = (size_t)n;
  return 0;
}

/* Only spaces, tabs and carriage returns: a line to skip. */
static int blank(const char *s, size_t len) {
  return strspn(s, " \t\r") == len;
}

/* The client's counters at the end: the refusals of a full queue the
 * import retried are not refusals of events. */
static void summary_stats(const import_state *st, const int64_t *v,
                          int64_t elapsed_ms) {
  int64_t refused = v[SEGB_STAT_REFUSED] - (int64_t)st->full_waits;

  printf("stats: delivered %lld, dropped %lld, refused %lld, requests %lld, "
         "retries %lld; %.2f s, %.0f events/s\n",
         (long long)v[SEGB_STAT_DELIVERED], (long long)v[SEGB_STAT_DROPPED],
         (long long)(refused > 0 ? refused : 0),
         (long long)v[SEGB_STAT_REQUESTS], (long long)v[SEGB_STAT_RETRIES],
         (double)elapsed_ms / 1000.0, rate(v[SEGB_STAT_DELIVERED], elapsed_ms));
}

/* "  3 x SEGB_ERR_INVALID_JSON (lines 4, 9, 17): <the first's reason>" */
static void summary_failures(const import_state *st, int code) {
  unsigned shown = st->line_count[code], i;

  printf("  %llu x %s", (unsigned long long)st->per_code[code],
         segb_err_name(-code));
  for (i = 0; i < shown; i++)
    printf("%s%llu", i == 0 ? (shown > 1 ? " (lines " : " (line ") : ", ",
           (unsigned long long)st->lines[code][i]);
  if (shown > 0)
    printf("%s)", st->per_code[code] > shown ? ", ..." : "");
  printf(": %s\n", st->example[code]);
}

static void summary(const import_state *st, int rest_unread) {
  int code;

  printf("%s %llu, failed %llu\n",
         st->tally.dry_run != NULL ? "dry run, would deliver" : "delivered",
         (unsigned long long)st->tally.delivered,
         (unsigned long long)(st->tally.failed + st->invalid));
  for (code = 0; code < CODES; code++)
    if (st->per_code[code] > 0)
      summary_failures(st, code);
  if (st->stop == SEGB_OK)
    return;
  printf("not sent %llu%s: %s\n",
         (unsigned long long)(st->not_sent + st->lines_left),
         rest_unread ? " + the rest of the input, unread" : "", st->stop_why);
  if (st->closed_why[0] != '\0')
    printf("  %s\n", st->closed_why);
  if (st->kept > 0)
    printf("kept %llu in the spool: the same command run again sends them "
           "and goes on with the input\n",
           (unsigned long long)st->kept);
}

static void invalid_line(import_state *st, int err, uint64_t lineno,
                         const char *why) {
  st->invalid++;
  pthread_mutex_lock(&st->lock);
  count_failure(st, err, lineno, why);
  pthread_mutex_unlock(&st->lock);
}

/* The line's message; a line without a messageId of its own, in a
 * resumable import, gets one from its place in the input (the same on every
 * run), so that the line at the checkpoint's edge, which a kill may leave
 * both accepted and unmarked, is deduplicated by Segment if sent again. */
static segb_message_t *line_message(const import_state *st, const char *line,
                                    size_t len, uint64_t at) {
  segb_message_t *m = segb_message_new_from_json(line, len);
  char id[64];

  if (m != NULL && st->cp.map != NULL &&
      memmem(line, len, "\"messageId\"", 11) == NULL) {
    cli_checkpoint_message_id(&st->cp, at, id);
    if (segb_message_set_string(m, "messageId", id) != SEGB_OK) {
      segb_message_destroy(m);
      m = NULL;
    }
  }
  return m;
}

/* One line of input, which starts at byte @at: a message queued, or the
 * reason it is not. A full queue is waited on and the line enqueued again:
 * an import loses nothing to its queue's bound. 1 when a message was
 * queued. */
static int import_line(segb_client_t *c, import_state *st, progress_line *p,
                       int kind, const char *line, size_t len, uint64_t at) {
  char why[160];
  segb_message_t *m;
  int rc, drained = 0;

  if (kind == CLI_LINE_TOO_LONG) {
    snprintf(why, sizeof why,
             "%llu bytes, over the %d-byte line limit; skipped",
             (unsigned long long)p->in->skipped, CLI_LINE_MAX);
    invalid_line(st, SEGB_ERR_TOO_LARGE, p->in->lineno, why);
    return 0;
  }
  if (blank(line, len))
    return 0;
  for (;;) {
    /* enqueue took the message even when it refused it */
    m = line_message(st, line, len, at);
    rc = m != NULL ? segb_client_enqueue(c, m) : segb_last_error();
    /* a message that does not fit the queue drained is refused */
    if (rc != SEGB_ERR_QUEUE_FULL || drained)
      break;
    st->full_waits++;
    drained = send_queued(c, st, p) == SEGB_OK;
    if (!drained) {
      st->lines_left++;
      return 0;
    }
  }
  if (rc == SEGB_OK)
    return 1;
  invalid_line(st, rc, p->in->lineno, segb_last_error_message());
  return 0;
}

/* The batch size: how many messages the import enqueues before it waits
 * for them, until a first one is delivered. */
static size_t batch_events(const segb_config_t *conf) {
  char value[24];
  size_t size = sizeof value;

  if (segb_config_get(conf, "batch.max_events", value, &size) != SEGB_OK)
    return 1;
  return (size_t)strtoul(value, NULL, 10);
}

/* Back-pressure: a full queue makes enqueue wait for room while the
 * dispatcher sends, PROGRESS_MS at a time. */
static int set_overflow(segb_config_t *conf) {
  char err[SEGB_ERRSTR_SIZE], wait[24];

  snprintf(wait, sizeof wait, "%d", PROGRESS_MS);
  if (segb_config_set(conf, "queue.overflow", "block", err, sizeof err) ==
          SEGB_OK &&
      segb_config_set(conf, "queue.block_timeout_ms", wait, err, sizeof err) ==
          SEGB_OK)
    return CLI_OK;
  fprintf(stderr, "segbridge: %s\n", err);
  return CLI_OTHER;
}

/* --spool with a regular file: go on after the last line a run before
 * took care of, told on standard error. 0, or -1 after saying why. */
static int resume_input(import_state *st, const char *spool, int fd,
                        cli_lines *in) {
  uint64_t offset, lineno;

  if (cli_checkpoint_open(&st->cp, spool, fd, &offset, &lineno) != 0)
    return -1;
  if (offset == 0)
    return 0;
  if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
    fprintf(stderr, "segbridge: cannot resume the input at byte %llu: %s\n",
            (unsigned long long)offset, strerror(errno));
    cli_checkpoint_close(&st->cp, 0);
    return -1;
  }
  in->offset = offset;
  in->lineno = lineno;
  fprintf(stderr,
          "segbridge: resuming after line %llu (%s/import.checkpoint)\n",
          (unsigned long long)lineno, spool);
  return 0;
}

int cli_import(const char *name, const cli_opts *o, char **args) {
  import_state st;
  char err[SEGB_ERRSTR_SIZE];
  /* the file, or none or "-" for standard input */
  const char *file = args[0];
  int use_stdin = file == NULL || strcmp(file, "-") == 0;
  int fd = use_stdin ? STDIN_FILENO : open(file, O_RDONLY);
  int64_t v[SEGB_STAT__COUNT], elapsed;
  segb_config_t *conf;
  segb_client_t *c;
  cli_dry_run dry_run = {0};
  cli_lines in;
  progress_line p;
  char *line = NULL;
  size_t len = 0, first_batch = 1, since_wait = 0;
  uint64_t at = 0; /* where the next line starts */
  struct stat sb;
  int regular = 0, probing = 1, kind = CLI_LINE_EOF, rest_unread = 0;
  int read_failed, read_errno, rc;

  memset(&st, 0, sizeof st);
  memset(&in, 0, sizeof in);
  memset(&p, 0, sizeof p);
  (void)name;
  st.tally.verbose = o->verbose;
  st.timeout_ms = o->timeout_ms;
  if (fd < 0) {
    fprintf(stderr, "segbridge: cannot open %s: %s\n", file, strerror(errno));
    return CLI_USAGE;
  }
  memset(&sb, 0, sizeof sb);
  (void)fstat(fd, &sb); /* failed, it leaves no type: not a regular file */
  if (S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "segbridge: cannot read %s: %s\n",
            use_stdin ? "standard input" : file, strerror(EISDIR));
    if (!use_stdin)
      close(fd);
    return CLI_USAGE;
  }
  if (S_ISREG(sb.st_mode)) {
    regular = 1;
    p.size = sb.st_size;
  }
  p.shown = isatty(STDERR_FILENO);
  p.in = &in;
  conf = cli_config(o, CLI_FOR_IMPORT);
  rc = conf == NULL ? CLI_USAGE : set_overflow(conf);
  if (rc == CLI_OK && cli_lines_init(&in, CLI_LINE_MAX, read_fd, &fd) != 0) {
    fprintf(stderr, "segbridge: out of memory\n");
    rc = CLI_OTHER;
  }
  if (rc == CLI_OK && o->dry_run &&
      (rc = cli_dry_run_start(&dry_run, o, conf)) == CLI_OK)
    st.tally.dry_run = &dry_run;
  /* The checkpoint is read before the client takes the spool: a run
   * refused its checkpoint sends nothing (its requests could land and be
   * sent again by the next run). */
  if (rc == CLI_OK && o->spool != NULL && regular) {
    (void)mkdir(o->spool, 0700); /* as the client would make it */
    if (resume_input(&st, o->spool, fd, &in) != 0)
      rc = CLI_USAGE;
  }
  c = NULL;
  if (rc == CLI_OK) {
    first_batch = batch_events(conf);
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, &st);
    pthread_mutex_init(&st.lock, NULL);
    c = segb_client_new(conf, err, sizeof err);
    if (c == NULL) {
      cli_error(err);
      rc = cli_exit_code(segb_last_error());
      pthread_mutex_destroy(&st.lock);
    }
  }
  if (c == NULL) {
    cli_checkpoint_close(&st.cp, 0);
    segb_config_destroy(conf);
    cli_dry_run_stop(&dry_run);
    cli_lines_free(&in);
    if (!use_stdin)
      close(fd);
    return rc;
  }
  client_stats(c, v);
  if (v[SEGB_STAT_RECOVERED] > 0)
    fprintf(stderr,
            "segbridge: %lld events left in %s by a run before are "
            "sent first\n",
            (long long)v[SEGB_STAT_RECOVERED], o->spool);
  at = cli_lines_consumed(&in);
  /* one wait budget for the whole run, renewed only by progress */
  p.start = now_ms();
  st.deadline = p.start + st.timeout_ms;
  while (!stopped(&st) &&
         (kind = cli_lines_next(&in, &line, &len)) > CLI_LINE_EOF) {
    uint64_t left = st.lines_left;

    since_wait += (size_t)import_line(c, &st, &p, kind, line, len, at);
    /* a line not sent is not marked: a next run takes it up again */
    if (st.lines_left == left)
      cli_checkpoint_mark(&st.cp, cli_lines_consumed(&in), in.lineno);
    at = cli_lines_consumed(&in);
    /* Until a first delivery, each batch is waited for before the next:
     * refused credentials or a dead endpoint cost one request. */
    if (probing && since_wait >= first_batch) {
      send_queued(c, &st, &p);
      since_wait = 0;
      pthread_mutex_lock(&st.lock);
      probing = st.tally.delivered == 0;
      pthread_mutex_unlock(&st.lock);
    }
    update_progress(&p, c);
  }
  read_errno = errno;
  pthread_mutex_lock(&st.lock);
  read_failed = st.stop == SEGB_OK && kind == CLI_LINE_ERROR;
  if (read_failed) {
    st.stop = SEGB_ERR_SYSTEM;
    snprintf(st.stop_why, sizeof st.stop_why,
             "reading the input failed after line %llu: %s",
             (unsigned long long)in.lineno, strerror(read_errno));
  }
  pthread_mutex_unlock(&st.lock);
  send_queued(c, &st, &p);
  elapsed = now_ms() - p.start;
  client_stats(c, v);
  if (p.shown) {
    show_progress(&p, v, 1);
    fputc('\n', stderr);
  }
  /* Sending is over: close reports what is still queued as not sent, and
   * no report arrives after it. */
  segb_client_close(c, 0);
  pthread_mutex_destroy(&st.lock);
  cli_checkpoint_close(&st.cp, st.stop == SEGB_OK);
  cli_dry_run_stop(&dry_run);
  if (st.stop != SEGB_OK && !read_failed) {
    /* The rest of a file is counted; a pipe may never end. */
    rest_unread = !regular;
    while (!rest_unread &&
           (kind = cli_lines_next(&in, &line, &len)) > CLI_LINE_EOF)
      if (kind == CLI_LINE_TOO_LONG || !blank(line, len))
        st.lines_left++;
  }
  summary(&st, rest_unread);
  summary_stats(&st, v, elapsed);
  cli_lines_free(&in);
  if (!use_stdin)
    close(fd);
  if (st.stop != SEGB_OK)
    return cli_exit_code(st.stop);
  if (st.tally.failed > 0)
    return cli_exit_code(st.tally.first_err);
  return st.invalid > 0 ? CLI_USAGE : CLI_OK;
}
