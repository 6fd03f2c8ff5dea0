/* The segbridge command-line tool: shared options and helpers. */
#ifndef SEGB_CLI_H
#define SEGB_CLI_H

#include <segbridge/segbridge.h>

#include <stdint.h>

/* Exit codes, documented in `segbridge --help`. */
enum {
  CLI_OK = 0,
  CLI_OTHER = 1,
  CLI_USAGE = 2,   /* usage or invalid input */
  CLI_AUTH = 3,    /* credentials rejected */
  CLI_NETWORK = 4  /* rate limited, network, or retries exhausted */
};

typedef struct cli_opts {
  const char *write_key, *region, *endpoint, *ca_file, *proxy;
  const char *user_id, *anonymous_id, *event, *name, *category, *group_id,
      *previous_id, *properties, *traits, *context, *integrations,
      *timestamp, *message_id;
  int gzip, dry_run, verbose;
  int timeout_ms;
  /* mock */
  int port;
  const char *record;
  uint64_t seed;
  double fail_rate;
  /* import: the file, or NULL / "-" for standard input */
  const char *file;
} cli_opts;

/* The exit code for a library error code. */
int cli_exit_code(int err);

/* A config from the connection options; NULL after printing why. */
segb_config_t *cli_config(const cli_opts *o);

/* The collected fates of the messages a client sent. */
typedef struct cli_tally {
  uint64_t delivered, failed;
  int first_err;           /* the first failure's code */
  char first_errstr[512];  /* and its explanation */
  int verbose;
} cli_tally;

/* A delivery callback filling a cli_tally passed as opaque. */
void cli_tally_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque);

int cli_send(int type, const cli_opts *o);
int cli_import(const cli_opts *o);
int cli_mock(const cli_opts *o);

#endif
