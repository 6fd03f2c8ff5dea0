/* The segbridge command-line tool: its options, commands and shared
 * helpers. Public API only (<segbridge/segbridge.h>), plus the bundled mock
 * for `mock` and --dry-run. */
#ifndef SEGB_CLI_H
#define SEGB_CLI_H

#include <segbridge/segbridge.h>

#include <stdint.h>
#include <stdio.h>

#include "mock.h"

/* Exit codes, documented in `segbridge --help` and segbridge(1). */
enum {
  CLI_OK = 0,
  CLI_OTHER = 1,
  CLI_USAGE = 2,    /* usage or invalid input */
  CLI_AUTH = 3,     /* credentials rejected */
  CLI_NETWORK = 4,  /* rate limited, network, or retries exhausted */
  CLI_NOT_FOUND = 5 /* no such profile or source (read commands) */
};

/* Which commands an option belongs to (one table in options.c): a bit per
 * command, the six message commands sharing one. */
#define CLI_FOR_MESSAGE 0x001u /* identify track page screen group alias */
#define CLI_FOR_IMPORT 0x002u
#define CLI_FOR_MOCK 0x004u
#define CLI_FOR_TOKEN 0x008u
#define CLI_FOR_WORKSPACE 0x010u
#define CLI_FOR_SOURCES 0x020u
#define CLI_FOR_SOURCE 0x040u
#define CLI_FOR_PROFILE 0x080u
#define CLI_FOR_TEST 0x100u /* test-connection */
/* the commands that send events, and those that read */
#define CLI_FOR_SEND (CLI_FOR_MESSAGE | CLI_FOR_IMPORT)
#define CLI_FOR_READ                                                           \
  (CLI_FOR_WORKSPACE | CLI_FOR_SOURCES | CLI_FOR_SOURCE | CLI_FOR_PROFILE |    \
   CLI_FOR_TEST)

struct cli_opts;

/* A command: its options, its help and how many positional arguments it
 * wants (commands.c). */
typedef struct cli_command {
  const char *name;
  unsigned options;     /* CLI_FOR_* */
  const char *synopsis; /* what follows "segbridge NAME" in its usage */
  const char *summary;  /* one line, for the list of commands */
  const char *notes;    /* NULL, or text printed after the options */
  int min_args, max_args;
  /* NULL: main runs it (help, and webhook-receiver, which parses its own
   * arguments) */
  int (*run)(const char *name, const struct cli_opts *o, char **args);
} cli_command;

/* The command called @name, or NULL. */
const cli_command *cli_find_command(const char *name);
/* `segbridge --help`: every command, one line each. */
void cli_help_all(FILE *out);
/* `segbridge help CMD`, `segbridge CMD --help`: its usage and its options
 * only. */
void cli_help(const cli_command *cmd, FILE *out);
/* The options of @group, one or more lines each, for cli_help. */
void cli_print_options(unsigned group, FILE *out);

/* Every option of every command; which ones a command takes is in the
 * table. NULL or 0: not given. */
typedef struct cli_opts {
  /* connection, all commands */
  const char *write_key, *region, *endpoint, *ca_file, *proxy;
  int timeout_ms;
  /* sending */
  const char *user_id, *anonymous_id, *event, *name, *category, *group_id,
      *previous_id, *properties, *traits, *context, *integrations, *timestamp,
      *message_id;
  int gzip, dry_run, verbose;
  /* import: the dispatcher's settings, passed through as text */
  const char *batch_size, *max_in_flight, *ordering, *max_queue, *freshness,
      *linger_ms, *spool;
  /* mock */
  int port;
  const char *record;
  uint64_t seed;
  double fail_rate;
  int latency_ms;
  int ui, ui_keep; /* the Debugger page, and the rows it keeps */
  /* OAuth, for sending and `token`; the mock checks tokens against
   * oauth_public_key and the client and key IDs */
  const char *oauth_client_id, *oauth_key_id, *oauth_key_file, *oauth_scope,
      *oauth_server, *oauth_public_key;
  /* reading */
  const char *token, *profile_token, *space, *api_url, *profiles_url;
  const char *cursor, *include, *limit;
  int all, no_send, count, json;
} cli_opts;

/* Parse the options of @cmd from `COMMAND [options] [args]` (argv[0] is
 * the command) into @o, defaults and environment included; *@args_at gets
 * the index of the first positional argument. CLI_OK, or CLI_USAGE after
 * saying why. --help prints the command's help and exits. */
int cli_parse(int argc, char **argv, const cli_command *cmd, cli_opts *o,
              int *args_at);

/* The config of @group's commands from @o; NULL after printing why. */
segb_config_t *cli_config(const cli_opts *o, unsigned group);

/* Print "segbridge: @msg" on standard error, with each config property it
 * names spelled as the flag and variable that set it ("--write-key
 * ($SEGMENT_WRITE_KEY)" for write_key): the library's messages name
 * properties, the user typed flags. */
void cli_error(const char *msg);
/* @msg so spelled, into @out of @cap bytes. */
void cli_flag_text(const char *msg, char *out, size_t cap);

/* The exit code for a library error code. */
int cli_exit_code(int err);

/* --dry-run: the bundled mock, in this process on loopback, stands in for
 * Segment; each request it receives is printed on standard output as what
 * would have been sent to the real destination, credentials redacted. */
typedef struct cli_dry_run {
  sbm_mock *mock;
  char destination[2100]; /* the Tracking API base the requests would reach */
  size_t printed;         /* requests of the mock's log printed so far */
  int gzip;
} cli_dry_run;

/* Start the mock and point @conf at it; CLI_OK, or an exit code after
 * printing why. */
int cli_dry_run_start(cli_dry_run *d, const cli_opts *o, segb_config_t *conf);
/* Print the requests the mock received since the last call. */
void cli_dry_run_print(cli_dry_run *d);
/* Print what is left and stop the mock. Accepts a dry run never started. */
void cli_dry_run_stop(cli_dry_run *d);

/* The collected fates of the messages a client sent. */
typedef struct cli_tally {
  uint64_t delivered, failed; /* in a dry run, delivered counts the messages
                                 printed instead of sent */
  int first_err;              /* the first failure's code */
  char first_errstr[512];     /* and its explanation */
  int verbose;
  cli_dry_run *dry_run; /* NULL when sending for real */
} cli_tally;

/* A delivery callback filling a cli_tally passed as opaque. */
void cli_tally_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque);

/* The commands. @name is the command's name, @args its positional
 * arguments. */
int cli_send(const char *name, const cli_opts *o, char **args);
int cli_import(const char *name, const cli_opts *o, char **args);
int cli_mock(const char *name, const cli_opts *o, char **args);
/* `segbridge demo`: the round trip against the mock, step by step. */
int cli_demo(const char *name, const cli_opts *o, char **args);
/* `segbridge token`: one OAuth token request, its answer printed. */
int cli_token(const char *name, const cli_opts *o, char **args);

/* `segbridge version`: the library's version. */
int cli_version(const char *name, const cli_opts *o, char **args);
/* `spool status DIR` */
int cli_spool(const char *name, const cli_opts *o, char **args);
/* `segbridge workspace|sources|source|profile|test-connection` */
int cli_read(const char *name, const cli_opts *o, char **args);
/* `segbridge webhook-receiver ...`: argv[0] is the command; it parses its own
 * options (the receiver's, shared with segbridge-webhook-receiver). */
int cli_webhook_main(int argc, char **argv);

#endif
