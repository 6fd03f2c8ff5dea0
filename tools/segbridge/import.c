/* segbridge import: NDJSON in, batches out, a progress bar on a terminal,
 * and a final "delivered N, failed M" with the reasons.
 *
 * The import stops sending, and counts the rest of its input as not sent,
 * when the server refuses the credentials (no later batch would fare
 * better) or when --timeout-ms passes without progress: the wait is
 * bounded for the whole run, not per flush, so a dead network costs
 * --timeout-ms once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ndjson.h"

/* Messages queued before the import stops reading to send them, once a
 * batch has been delivered; until then it sends each batch as soon as it is
 * full, so refused credentials or a dead endpoint cost one request. */
#define IMPORT_CHUNK 1000
/* Distinct error codes tracked for the summary. */
#define CODES 64

typedef struct import_state {
  cli_tally tally;
  uint64_t invalid;         /* lines that never became a message */
  uint64_t not_sent;        /* messages and lines left when it stopped */
  uint64_t per_code[CODES]; /* failures by -code, invalid lines included */
  char example[CODES][320]; /* one explanation per code */
  int timeout_ms;
  int64_t deadline;  /* monotonic ms: --timeout-ms after the start
                        or the last progress */
  uint64_t progress; /* reports that the server answered for good */
  int stop;          /* why sending stopped; SEGB_OK while it goes */
  char stop_why[200];
  char closed_why[300]; /* the first "not delivered before close" */
} import_state;

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count_failure(import_state *st, int err, const char *why) {
  int slot = -err < CODES ? -err : CODES - 1;

  if (st->per_code[slot]++ == 0)
    snprintf(st->example[slot], sizeof st->example[slot], "%s", why);
}

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  import_state *st = opaque;
  int err = segb_report_err(r), kind = cli_exit_code(err);

  if (err == SEGB_ERR_CLOSED) { /* what was queued when the import stopped */
    st->not_sent++;
    if (st->closed_why[0] == '\0')
      snprintf(st->closed_why, sizeof st->closed_why, "%s",
               segb_report_errstr(r));
    if (st->tally.verbose)
      fprintf(stderr, "not sent %s\n", segb_report_message_id(r));
    return;
  }
  cli_tally_report(c, r, &st->tally);
  if (err != SEGB_OK)
    count_failure(st, err, segb_report_errstr(r));
  if (kind == CLI_AUTH && st->stop == SEGB_OK) {
    st->stop = err;
    snprintf(st->stop_why, sizeof st->stop_why,
             "the server refused the credentials (%s)", segb_err_name(err));
  }
  /* A delivery, or a refusal of the events themselves, shows a server
   * that answers: the wait starts again. */
  if (kind != CLI_NETWORK && kind != CLI_AUTH) {
    st->progress++;
    st->deadline = now_ms() + st->timeout_ms;
  }
}

/* Send what is queued while the import may still wait for it. A flush that
 * runs out of time without progress ends the sending: a second one would
 * only make the same requests again. */
static void send_queued(segb_client_t *c, import_state *st) {
  while (st->stop == SEGB_OK && segb_client_outq_len(c) > 0) {
    int64_t left = st->deadline - now_ms();
    uint64_t before = st->progress;
    int rc;

    if (left > 0) {
      rc = segb_client_flush(c, (int)left);
      if (rc == SEGB_OK || (rc == SEGB_ERR_TIMED_OUT && st->progress > before))
        continue;
    } else {
      rc = SEGB_ERR_TIMED_OUT;
    }
    if (st->stop != SEGB_OK) /* the reports said why */
      break;
    st->stop = rc;
    if (rc == SEGB_ERR_TIMED_OUT)
      snprintf(st->stop_why, sizeof st->stop_why,
               "nothing was delivered for %d ms (--timeout-ms)",
               st->timeout_ms);
    else
      snprintf(st->stop_why, sizeof st->stop_why, "%s: %s", segb_err_name(rc),
               segb_last_error_message());
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

static void progress(const cli_lines *in, off_t size) {
  int width = 30, filled;
  double done = size > 0 ? (double)in->offset / (double)size : 0;

  if (done > 1)
    done = 1;
  filled = (int)(done * width);
  fprintf(stderr, "\r[%.*s%*s] %3d%% %llu lines", filled,
          "##############################", width - filled, "",
          (int)(done * 100), (unsigned long long)in->lineno);
}

static void summary(const import_state *st, int rest_unread) {
  int code;

  printf("%s %llu, failed %llu\n",
         st->tally.dry_run != NULL ? "dry run, would deliver" : "delivered",
         (unsigned long long)st->tally.delivered,
         (unsigned long long)(st->tally.failed + st->invalid));
  for (code = 0; code < CODES; code++)
    if (st->per_code[code] > 0)
      printf("  %llu x %s: %s\n", (unsigned long long)st->per_code[code],
             segb_err_name(-code), st->example[code]);
  if (st->stop == SEGB_OK)
    return;
  printf("not sent %llu%s: %s\n", (unsigned long long)st->not_sent,
         rest_unread ? " + the rest of the input, unread" : "", st->stop_why);
  if (st->closed_why[0] != '\0')
    printf("  %s\n", st->closed_why);
}

/* One line of input: a message queued, or the reason it is not. */
static void import_line(segb_client_t *c, import_state *st, const cli_lines *in,
                        int kind, const char *line, size_t len) {
  char why[160];
  segb_message_t *m;
  int rc;

  if (kind == CLI_LINE_TOO_LONG) {
    st->invalid++;
    snprintf(why, sizeof why,
             "line %llu: %llu bytes, over the %d-byte line limit; skipped",
             (unsigned long long)in->lineno, (unsigned long long)in->skipped,
             CLI_LINE_MAX);
    count_failure(st, SEGB_ERR_TOO_LARGE, why);
    return;
  }
  if (blank(line, len))
    return;
  m = segb_message_new_from_json(line, len);
  rc = m != NULL ? segb_client_enqueue(c, m) : segb_last_error();
  if (rc != SEGB_OK) {
    st->invalid++;
    snprintf(why, sizeof why, "line %llu: %s", (unsigned long long)in->lineno,
             segb_last_error_message());
    count_failure(st, rc, why);
  }
}

/* The batch size, the first chunk the import sends. */
static size_t batch_events(const segb_config_t *conf) {
  char value[24];
  size_t size = sizeof value;

  if (segb_config_get(conf, "batch.max_events", value, &size) != SEGB_OK)
    return IMPORT_CHUNK;
  return (size_t)strtoul(value, NULL, 10);
}

int cli_import(const char *name, const cli_opts *o, char **args) {
  import_state st;
  char err[SEGB_ERRSTR_SIZE];
  /* the file, or none or "-" for standard input */
  const char *file = args[0];
  int use_stdin = file == NULL || strcmp(file, "-") == 0;
  int fd = use_stdin ? STDIN_FILENO : open(file, O_RDONLY);
  segb_config_t *conf;
  segb_client_t *c;
  cli_dry_run dry_run = {0};
  cli_lines in;
  char *line = NULL;
  size_t len = 0, first_chunk = IMPORT_CHUNK;
  off_t size = 0;
  struct stat sb;
  int regular = 0, bar, kind = CLI_LINE_EOF, rest_unread = 0, read_failed;
  int rc;

  memset(&st, 0, sizeof st);
  memset(&in, 0, sizeof in);
  (void)name;
  st.tally.verbose = o->verbose;
  st.timeout_ms = o->timeout_ms;
  if (fd < 0) {
    fprintf(stderr, "segbridge: cannot open %s: %s\n", file, strerror(errno));
    return CLI_USAGE;
  }
  if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
    regular = 1;
    size = sb.st_size;
  }
  bar = isatty(STDERR_FILENO) && size > 0;
  conf = cli_config(o, CLI_FOR_SEND);
  rc = conf == NULL ? CLI_USAGE : CLI_OK;
  if (rc == CLI_OK && cli_lines_init(&in, CLI_LINE_MAX, read_fd, &fd) != 0) {
    fprintf(stderr, "segbridge: out of memory\n");
    rc = CLI_OTHER;
  }
  if (rc == CLI_OK && o->dry_run &&
      (rc = cli_dry_run_start(&dry_run, o, conf)) == CLI_OK)
    st.tally.dry_run = &dry_run;
  c = NULL;
  if (rc == CLI_OK) {
    first_chunk = batch_events(conf);
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, &st);
    c = segb_client_new(conf, err, sizeof err);
    if (c == NULL) {
      fprintf(stderr, "segbridge: %s\n", err);
      rc = cli_exit_code(segb_last_error());
    }
  }
  if (c == NULL) {
    segb_config_destroy(conf);
    cli_dry_run_stop(&dry_run);
    cli_lines_free(&in);
    if (!use_stdin)
      close(fd);
    return rc;
  }
  /* one wait budget for the whole run, renewed only by progress */
  st.deadline = now_ms() + st.timeout_ms;
  while (st.stop == SEGB_OK &&
         (kind = cli_lines_next(&in, &line, &len)) > CLI_LINE_EOF) {
    import_line(c, &st, &in, kind, line, len);
    if (segb_client_outq_len(c) >=
        (st.tally.delivered > 0 ? IMPORT_CHUNK : first_chunk))
      send_queued(c, &st);
    if (bar && in.lineno % 500 == 0)
      progress(&in, size);
  }
  read_failed = st.stop == SEGB_OK && kind == CLI_LINE_ERROR;
  if (read_failed) {
    st.stop = SEGB_ERR_SYSTEM;
    snprintf(st.stop_why, sizeof st.stop_why,
             "reading the input failed after line %llu: %s",
             (unsigned long long)in.lineno, strerror(errno));
  }
  send_queued(c, &st);
  if (st.stop != SEGB_OK && !read_failed) {
    /* The rest of a file is counted; a pipe may never end. */
    rest_unread = !regular;
    while (!rest_unread &&
           (kind = cli_lines_next(&in, &line, &len)) > CLI_LINE_EOF)
      if (kind == CLI_LINE_TOO_LONG || !blank(line, len))
        st.not_sent++;
  }
  /* Sending is over: close reports what is still queued as not sent. */
  segb_client_close(c, 0);
  cli_dry_run_stop(&dry_run);
  if (bar) {
    progress(&in, size);
    fputc('\n', stderr);
  }
  summary(&st, rest_unread);
  cli_lines_free(&in);
  if (!use_stdin)
    close(fd);
  if (st.stop != SEGB_OK)
    return cli_exit_code(st.stop);
  if (st.tally.failed > 0)
    return cli_exit_code(st.tally.first_err);
  return st.invalid > 0 ? CLI_USAGE : CLI_OK;
}
