/* The commands of segbridge: what each takes and does, and their help,
 * whose option lists come from the one option table (options.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char profile_notes[] =
    "ID is type:value: user_id:u-42, email:jane@example.com, group_id:g-7\n"
    "(accounts); it is percent-encoded for you.\n";

static const char import_notes[] =
    "Each line is one Segment message with its type (lines up to 64 KiB);\n"
    "exported events replay as they were (docs/IMPORT.md). The events are\n"
    "sent in the background, many requests at once; a full queue makes the\n"
    "import wait, never drop. On a terminal a progress line; the summary\n"
    "counts each failure reason with the first line numbers, and ends with\n"
    "the client's counters. It stops sending when the credentials are\n"
    "refused (3) or after --timeout-ms without progress (4), and reports\n"
    "the rest as not sent.\n";

static const char mock_notes[] =
    "Serves, on 127.0.0.1, until SIGINT or SIGTERM:\n"
    "  the Tracking API: POST /v1/batch, /v1/import and the single-event\n"
    "    routes (/v1/track, /v1/identify, ...), Basic auth with the write\n"
    "    key, or a Bearer token it issued with --oauth-public-key;\n"
    "  the Public API: GET / (the workspace \"mock-workspace\"), GET\n"
    "    /sources (5 sources, src_001 to src_005) and GET /sources/ID,\n"
    "    with any Bearer token;\n"
    "  the Profile API of the one space spa_mock: GET /v1/spaces/spa_mock/\n"
    "    collections/users|accounts/profiles/ID/traits|events|\n"
    "    external_ids|metadata, with any access token (Basic \"TOKEN:\");\n"
    "    its profiles: user_id:u-1 (email:jane@example.com, anonymous_id:\n"
    "    a-1) and group_id:g-1 in accounts.\n"
    "Point the other commands at it: --endpoint URL for sending, --api-url\n"
    "URL --token any for the Public API, --profiles-url URL --space spa_mock\n"
    "--profile-token any for the Profile API. With --ui, a browser at\n"
    "URL/debugger shows the events it accepts and the requests it refuses,\n"
    "live. On stop it prints its counts.\n";

static const char test_notes[] =
    "Checks each configured direction: send (--write-key: a test event, or\n"
    "an empty batch with --no-send), receive (--token: the workspace) and\n"
    "profiles (--profile-token and --space); one line per direction with\n"
    "its verdict (passed, failed, skipped), what was found and the advice.\n";

static const char spool_notes[] =
    "What the spool directory DIR holds, as JSON: the events kept and their\n"
    "bytes, the oldest, damage found, the process holding it.\n";

static const char demo_notes[] =
    "Runs the mock in this process on 127.0.0.1 and, against it: the six\n"
    "event types with a write key; a batch through OAuth, signed with an RSA\n"
    "key made on the spot; a profile read back (Profile API); a webhook\n"
    "signed with HMAC-SHA1, handed to the webhook receiver. One or two lines\n"
    "per step, then the verdict; exit 0 only when every step passed. Uses no\n"
    "network and no credentials.\n";

static const cli_command commands[] = {
    {"identify", CLI_FOR_MESSAGE, "[options]",
     "send an identify call: who the user is (--traits)", NULL, 0, 0, cli_send},
    {"track", CLI_FOR_MESSAGE, "--event NAME [options]",
     "send a track call: what the user did (--event, --properties)", NULL, 0, 0,
     cli_send},
    {"page", CLI_FOR_MESSAGE, "[options]",
     "send a page call: a web page viewed (--name)", NULL, 0, 0, cli_send},
    {"screen", CLI_FOR_MESSAGE, "[options]",
     "send a screen call: an app screen viewed (--name)", NULL, 0, 0, cli_send},
    {"group", CLI_FOR_MESSAGE, "--group-id ID [options]",
     "send a group call: the user's account (--group-id, --traits)", NULL, 0, 0,
     cli_send},
    {"alias", CLI_FOR_MESSAGE, "--previous-id ID [options]",
     "send an alias call: a new identity for the user (--previous-id)", NULL, 0,
     0, cli_send},
    {"import", CLI_FOR_IMPORT, "[FILE|-] [options]",
     "send an NDJSON file or standard input", import_notes, 0, 1, cli_import},
    {"mock", CLI_FOR_MOCK, "[options]",
     "run a local Segment: Tracking, Public and Profile APIs", mock_notes, 0, 0,
     cli_mock},
    {"demo", 0, "", "the whole round trip against the mock, offline",
     demo_notes, 0, 0, cli_demo},
    {"token", CLI_FOR_TOKEN,
     "--oauth-client-id ID --oauth-key-id ID "
     "--oauth-key-file FILE [options]",
     "get an OAuth access token and print the answer as JSON", NULL, 0, 0,
     cli_token},
    {"webhook-receiver", 0, "[options]",
     "verify and print the webhooks Segment sends", NULL, 0, 0, NULL},
    {"workspace", CLI_FOR_WORKSPACE, "[options]",
     "print the workspace (Public API)", NULL, 0, 0, cli_read},
    {"sources", CLI_FOR_SOURCES,
     "[--all | --count N] [--cursor C] "
     "[options]",
     "list the sources (Public API)", NULL, 0, 0, cli_read},
    {"source", CLI_FOR_SOURCE, "ID [options]", "print one source (Public API)",
     NULL, 1, 1, cli_read},
    {"profile", CLI_FOR_PROFILE,
     "traits|events|external-ids|metadata ID "
     "[options]",
     "read a profile (Profile API)", profile_notes, 2, 2, cli_read},
    {"test-connection", CLI_FOR_TEST, "[--no-send] [--json] [options]",
     "check each configured direction and say what to fix", test_notes, 0, 0,
     cli_read},
    {"spool", 0, "status DIR", "what a spool directory holds (JSON)",
     spool_notes, 2, 2, cli_spool},
    {"version", 0, "", "print the library's version", NULL, 0, 0, cli_version},
    {"help", 0, "[COMMAND]", "this list, or the help of COMMAND", NULL, 0, 1,
     NULL},
};

static const char exit_status[] =
    "exit status: 0 success; 1 other; 2 usage or invalid input; 3\n"
    "credentials rejected; 4 rate limited, network failure or retries\n"
    "exhausted; 5 no such profile or source\n";

const cli_command *cli_find_command(const char *name) {
  size_t i;

  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(name, commands[i].name) == 0)
      return &commands[i];
  return NULL;
}

void cli_help_all(FILE *out) {
  size_t i;

  fputs("usage: segbridge COMMAND [options]\n"
        "       segbridge help COMMAND | COMMAND --help   its options\n"
        "       segbridge --version\n\ncommands:\n",
        out);
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-17s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nSee segbridge(1) for the environment and examples.\n%s",
          exit_status);
}

void cli_help(const cli_command *cmd, FILE *out) {
  fprintf(out, "usage: segbridge %s%s%s\n\n%s.\n", cmd->name,
          cmd->synopsis[0] != '\0' ? " " : "", cmd->synopsis, cmd->summary);
  if (cmd->options != 0) {
    fputs("\noptions:\n", out);
    cli_print_options(cmd->options, out);
  }
  if (cmd->notes != NULL)
    fprintf(out, "\n%s", cmd->notes);
  fprintf(out, "\n%s", exit_status);
}

int cli_version(const char *name, const cli_opts *o, char **args) {
  (void)name;
  (void)o;
  (void)args;
  printf("segbridge %s\n", segb_version_str());
  return CLI_OK;
}
