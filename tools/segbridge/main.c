/* segbridge: send events to Segment from the shell, import NDJSON files,
 * and run the local mock server. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: segbridge COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  identify|track|page|screen|group|alias   send one message\n"
    "  import [FILE|-]    send NDJSON, one Segment message with its type per "
    "line\n"
    "                     (lines up to 64 KiB; exported events replay as they\n"
    "                     were: docs/IMPORT.md)\n"
    "  mock               run a local Segment-compatible Tracking API\n"
    "  token              get an OAuth access token and print the answer as "
    "JSON\n"
    "  webhook-receiver   verify and print Segment webhooks (--help for "
    "options)\n"
    "  workspace|sources|source|profile   read the Public and Profile APIs\n"
    "  test-connection    check each configured direction (--help: options)\n"
    "  spool status DIR   what a spool holds: events kept, bytes, the oldest,\n"
    "                     damage found, the process holding it (JSON)\n"
    "\n"
    "connection:\n"
    "  --write-key KEY    source write key (default: $SEGMENT_WRITE_KEY)\n"
    "  --region us|eu     Segment region (default us)\n"
    "  --endpoint URL     Tracking API base URL, e.g. http://127.0.0.1:8080\n"
    "  --gzip             compress request bodies\n"
    "  --timeout-ms MS    give up delivering after MS (default 30000); "
    "import:\n"
    "                     after MS without progress, for the whole run\n"
    "  --ca-file FILE     trust these CA certificates\n"
    "  --proxy URL        HTTP proxy\n"
    "  --dry-run          print the requests (secrets redacted), send nothing\n"
    "  -v                 say what happened to each message\n"
    "\n"
    "OAuth (instead of Basic auth; the write key still goes in the body):\n"
    "  --oauth-client-id ID   OAuth app ID\n"
    "  --oauth-key-id ID      ID of the public key uploaded to the app\n"
    "  --oauth-key-file FILE  the RSA private key (PEM, PKCS#1 or PKCS#8)\n"
    "  --oauth-scope SCOPE    default tracking_api:write\n"
    "  --oauth-server URL     authorization server (default: the region's)\n"
    "\n"
    "import (sent in the background, many requests at once; each flag sets\n"
    "the setting named, docs/CONFIGURATION.md):\n"
    "  --batch-size N     events per request (batch.max_events)\n"
    "  --max-in-flight N  requests at once (dispatch.max_in_flight)\n"
    "  --ordering per_user|fifo|none\n"
    "                     what keeps its order (dispatch.ordering)\n"
    "  --max-queue N      events held in memory (queue.max_events); a full\n"
    "                     queue makes the import wait, never drop\n"
    "  --freshness realtime|batch\n"
    "                     send at once, or in full batches (freshness)\n"
    "  --linger-ms MS     longest wait of a queued event (batch.linger_ms)\n"
    "  --spool DIR        keep accepted events in DIR until delivered\n"
    "                     (spool.path) and the place in a file's input:\n"
    "                     run again after a kill, it resumes\n"
    "  on a terminal a progress line; the summary ends with the counters\n"
    "\n"
    "message fields:\n"
    "  --user-id ID --anonymous-id ID --event NAME --name NAME --category C\n"
    "  --group-id ID --previous-id ID --timestamp ISO-8601 --message-id ID\n"
    "  --properties JSON --traits JSON --context JSON --integrations JSON\n"
    "\n"
    "mock: --port P --write-key K --record FILE --seed N --fail-rate R\n"
    "      --latency-ms MS (answer each Tracking API request MS after it\n"
    "      arrived: a round trip of about MS, connections independent)\n"
    "      --oauth-public-key FILE (serve /token; with --oauth-client-id,\n"
    "      --oauth-key-id, --oauth-scope as what it accepts)\n"
    "\n"
    "exit status: 0 delivered; 2 usage or invalid input; 3 authentication\n"
    "rejected; 4 rate limited, network failure or retries exhausted; 5 no\n"
    "such profile or source; 1 other. An import stops sending at 3 or at\n"
    "--timeout-ms without progress (4) and reports the rest as not sent.\n";

/* Each command: the options it takes, its usage text and how many
 * positional arguments it wants. */
typedef struct cli_command {
  const char *name;
  unsigned options; /* CLI_FOR_* */
  const char *usage;
  int min_args, max_args;
  int (*run)(const char *name, const cli_opts *o, char **args);
} cli_command;

static const cli_command commands[] = {
    {"identify", CLI_FOR_SEND, usage, 0, 0, cli_send},
    {"track", CLI_FOR_SEND, usage, 0, 0, cli_send},
    {"page", CLI_FOR_SEND, usage, 0, 0, cli_send},
    {"screen", CLI_FOR_SEND, usage, 0, 0, cli_send},
    {"group", CLI_FOR_SEND, usage, 0, 0, cli_send},
    {"alias", CLI_FOR_SEND, usage, 0, 0, cli_send},
    {"import", CLI_FOR_SEND | CLI_FOR_IMPORT, usage, 0, 1, cli_import},
    {"mock", CLI_FOR_SEND, usage, 0, 0, cli_mock},
    {"token", CLI_FOR_SEND, usage, 0, 0, cli_token},
    {"spool", 0, usage, 2, 2, cli_spool},
    {"workspace", CLI_FOR_READ, cli_read_usage, 0, 0, cli_read},
    {"sources", CLI_FOR_READ, cli_read_usage, 0, 0, cli_read},
    {"source", CLI_FOR_READ, cli_read_usage, 1, 1, cli_read},
    {"profile", CLI_FOR_READ, cli_read_usage, 2, 2, cli_read},
    {"test-connection", CLI_FOR_READ, cli_read_usage, 0, 0, cli_read},
};

int main(int argc, char **argv) {
  /* room for every positional argument, and a NULL for an optional one */
  char *args[3] = {NULL, NULL, NULL};
  const cli_command *cmd = NULL;
  cli_opts o;
  size_t i;
  int rc, at, n;

  if (argc < 2 || argv[1][0] == '-') {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_USAGE : CLI_OK;
  }
  /* the receiver's options are its own, shared with its program */
  if (strcmp(argv[1], "webhook-receiver") == 0)
    return cli_webhook_main(argc - 1, argv + 1);
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      cmd = &commands[i];
  if (cmd == NULL) {
    fprintf(stderr, "segbridge: unknown command \"%s\"\n%s", argv[1], usage);
    return CLI_USAGE;
  }
  rc = cli_parse(argc - 1, argv + 1, cmd->options, cmd->usage, &o, &at);
  if (rc != CLI_OK)
    return rc;
  n = argc - 1 - at;
  if (n < cmd->min_args || n > cmd->max_args) {
    fprintf(stderr, "segbridge: %s: %s\n%s", cmd->name,
            n < cmd->min_args ? "missing arguments" : "too many arguments",
            cmd->usage);
    return CLI_USAGE;
  }
  for (i = 0; i < (size_t)n; i++)
    args[i] = argv[1 + at + (int)i];
  return cmd->run(cmd->name, &o, args);
}
