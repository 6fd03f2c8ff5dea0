/* segbridge: send events to Segment from the shell, import NDJSON files,
 * read the Public and Profile APIs, and run the local mock server. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* `segbridge help [COMMAND]` */
static int help(int argc, char **argv) {
  static char help_flag[] = "--help";
  const cli_command *cmd = argc > 2 ? cli_find_command(argv[2]) : NULL;
  char *receiver_help[] = {NULL, help_flag, NULL};

  if (argc <= 2) {
    cli_help_all(stdout);
    return CLI_OK;
  }
  if (cmd == NULL) {
    fprintf(stderr, "segbridge: help: unknown command \"%s\"\n", argv[2]);
    cli_help_all(stderr);
    return CLI_USAGE;
  }
  if (strcmp(cmd->name, "webhook-receiver") == 0) {
    receiver_help[0] = argv[2];
    return cli_webhook_main(2, receiver_help);
  }
  cli_help(cmd, stdout);
  return CLI_OK;
}

int main(int argc, char **argv) {
  /* room for every positional argument, and a NULL for an optional one */
  char *args[3] = {NULL, NULL, NULL};
  const cli_command *cmd;
  cli_opts o;
  int i, rc, at, n;

  if (argc < 2) {
    cli_help_all(stderr);
    return CLI_USAGE;
  }
  if (strcmp(argv[1], "--version") == 0)
    return cli_version(argv[1], NULL, NULL);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
    return help(argc, argv);
  cmd = cli_find_command(argv[1]);
  if (cmd == NULL) {
    fprintf(stderr, "segbridge: unknown command \"%s\"\n", argv[1]);
    cli_help_all(stderr);
    return CLI_USAGE;
  }
  if (strcmp(cmd->name, "help") == 0)
    return help(argc, argv);
  /* the receiver's options are its own, shared with its program */
  if (strcmp(cmd->name, "webhook-receiver") == 0)
    return cli_webhook_main(argc - 1, argv + 1);
  rc = cli_parse(argc - 1, argv + 1, cmd, &o, &at);
  if (rc != CLI_OK)
    return rc;
  n = argc - 1 - at;
  if (n < cmd->min_args || n > cmd->max_args) {
    fprintf(stderr, "segbridge: %s: %s\n", cmd->name,
            n < cmd->min_args ? "missing arguments" : "too many arguments");
    cli_help(cmd, stderr);
    return CLI_USAGE;
  }
  for (i = 0; i < n; i++)
    args[i] = argv[1 + at + i];
  return cmd->run(cmd->name, &o, args);
}
