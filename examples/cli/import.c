/* segbridge import: NDJSON in, batches out, a progress bar on a terminal,
 * and a final "delivered N, failed M" with the reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Messages queued before the import stops reading to send them. */
#define IMPORT_CHUNK 1000
/* Distinct error codes tracked for the summary. */
#define CODES 64

typedef struct import_state {
  cli_tally tally;
  uint64_t invalid;          /* lines that never became a message */
  uint64_t per_code[CODES];  /* failures by -code, invalid lines included */
  char example[CODES][160];  /* one explanation per code */
} import_state;

static void count_failure(import_state *st, int err, const char *why) {
  int slot = -err < CODES ? -err : CODES - 1;

  if (st->per_code[slot]++ == 0)
    snprintf(st->example[slot], sizeof st->example[slot], "%s", why);
}

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  import_state *st = opaque;

  cli_tally_report(c, r, &st->tally);
  if (segb_report_err(r) != SEGB_OK)
    count_failure(st, segb_report_err(r), segb_report_errstr(r));
}

static void progress(FILE *in, off_t size, uint64_t lines) {
  int width = 30, filled;
  off_t at = ftello(in);

  if (size <= 0 || at < 0)
    return;
  filled = (int)((double)at / (double)size * width);
  fprintf(stderr, "\r[%.*s%*s] %3d%% %llu lines", filled,
          "##############################", width - filled, "",
          (int)((double)at * 100 / (double)size), (unsigned long long)lines);
}

static void summary(const import_state *st) {
  int code;

  printf("delivered %llu, failed %llu\n",
         (unsigned long long)st->tally.delivered,
         (unsigned long long)(st->tally.failed + st->invalid));
  for (code = 0; code < CODES; code++)
    if (st->per_code[code] > 0)
      printf("  %llu x %s: %s\n", (unsigned long long)st->per_code[code],
             segb_err_name(-code), st->example[code]);
}

int cli_import(const cli_opts *o) {
  import_state st;
  char err[SEGB_ERRSTR_SIZE], why[160];
  int use_stdin = o->file == NULL || strcmp(o->file, "-") == 0;
  FILE *in = use_stdin ? stdin : fopen(o->file, "r");
  segb_config_t *conf;
  segb_client_t *c;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  uint64_t lineno = 0;
  off_t size = 0;
  struct stat sb;
  int bar, rc = SEGB_OK;

  memset(&st, 0, sizeof st);
  st.tally.verbose = o->verbose;
  if (in == NULL) {
    fprintf(stderr, "segbridge: cannot open %s\n", o->file);
    return CLI_USAGE;
  }
  if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
    size = sb.st_size;
  bar = isatty(STDERR_FILENO) && size > 0;
  conf = cli_config(o);
  if (conf == NULL)
    goto out;
  segb_config_set_delivery_cb(conf, on_report);
  segb_config_set_opaque(conf, &st);
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "segbridge: %s\n", err);
    segb_config_destroy(conf);
    conf = NULL;
    goto out;
  }
  while ((len = getline(&line, &cap, in)) > 0) {
    segb_message_t *m;

    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (len == 0)
      continue;
    m = segb_message_new_from_json(line, (size_t)len);
    rc = m != NULL ? segb_client_enqueue(c, m) : segb_last_error();
    if (rc != SEGB_OK) {
      st.invalid++;
      snprintf(why, sizeof why, "line %llu: %s", (unsigned long long)lineno,
               segb_last_error_message());
      count_failure(&st, rc, why);
    }
    if (segb_client_outq_len(c) >= IMPORT_CHUNK)
      segb_client_flush(c, o->timeout_ms);
    if (bar && lineno % 500 == 0)
      progress(in, size, lineno);
  }
  rc = segb_client_close(c, o->timeout_ms);
  if (bar) {
    progress(in, size, lineno);
    fputc('\n', stderr);
  }
  summary(&st);
out:
  free(line);
  if (!use_stdin)
    fclose(in);
  if (conf == NULL)
    return CLI_USAGE;
  if (st.tally.failed > 0)
    return cli_exit_code(st.tally.first_err);
  return st.invalid > 0 ? CLI_USAGE : cli_exit_code(rc);
}
