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
  CLI_NETWORK = 4, /* rate limited, network, or retries exhausted */
  CLI_NOT_FOUND = 5 /* no such profile or source (read commands) */
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
  /* OAuth, for sending and `token`; the mock checks tokens against
   * oauth_public_key and the client and key IDs */
  const char *oauth_client_id, *oauth_key_id, *oauth_key_file, *oauth_scope,
      *oauth_server, *oauth_public_key;
} cli_opts;

/* The exit code for a library error code. */
int cli_exit_code(int err);

/* A config from the connection options; NULL after printing why. */
segb_config_t *cli_config(const cli_opts *o);

/* --dry-run: a transport that prints each request (credentials redacted)
 * on standard output and answers 200 without sending anything; NULL when
 * out of memory. */
struct sbi_transport *cli_dry_run_transport_new(int gzip);

/* The collected fates of the messages a client sent. */
typedef struct cli_tally {
  uint64_t delivered, failed; /* in a dry run, delivered counts the messages
                                 printed instead of sent */
  int first_err;           /* the first failure's code */
  char first_errstr[512];  /* and its explanation */
  int verbose;
  int dry_run;
} cli_tally;

/* A delivery callback filling a cli_tally passed as opaque. */
void cli_tally_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque);

int cli_send(int type, const cli_opts *o);
int cli_import(const cli_opts *o);
int cli_mock(const cli_opts *o);
/* `segbridge token`: one OAuth token request, its answer printed. */
int cli_token(const cli_opts *o);
/* `segbridge webhook-receiver ...`: argv[0] is the command; it parses its own
 * options. */
int cli_webhook_main(int argc, char **argv);
/* `segbridge workspace|sources|source|profile|test-connection ...`: argv[0]
 * is @cmd; it parses its own options. */
int cli_api_is_command(const char *cmd);
int cli_api_main(const char *cmd, int argc, char **argv);

#endif
