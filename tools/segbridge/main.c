/* segbridge: send events to Segment from the shell, import NDJSON files,
 * and run the local mock server. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: segbridge COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  identify|track|page|screen|group|alias   send one message\n"
    "  import [FILE|-]    send NDJSON, one Segment message with its type per line\n"
    "                     (lines up to 64 KiB; exported events replay as they\n"
    "                     were: docs/IMPORT.md)\n"
    "  mock               run a local Segment-compatible Tracking API\n"
    "  token              get an OAuth access token and print the answer as JSON\n"
    "  webhook-receiver   verify and print Segment webhooks (--help for options)\n"
    "  workspace|sources|source|profile   read the Public and Profile APIs\n"
    "  test-connection    check each configured direction (--help: options)\n"
    "\n"
    "connection:\n"
    "  --write-key KEY    source write key (default: $SEGMENT_WRITE_KEY)\n"
    "  --region us|eu     Segment region (default us)\n"
    "  --endpoint URL     Tracking API base URL, e.g. http://127.0.0.1:8080\n"
    "  --gzip             compress request bodies\n"
    "  --timeout-ms MS    give up delivering after MS (default 30000); import:\n"
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
    "message fields:\n"
    "  --user-id ID --anonymous-id ID --event NAME --name NAME --category C\n"
    "  --group-id ID --previous-id ID --timestamp ISO-8601 --message-id ID\n"
    "  --properties JSON --traits JSON --context JSON --integrations JSON\n"
    "\n"
    "mock: --port P --write-key K --record FILE --seed N --fail-rate R\n"
    "      --oauth-public-key FILE (serve /token; with --oauth-client-id,\n"
    "      --oauth-key-id, --oauth-scope as what it accepts)\n"
    "\n"
    "exit status: 0 delivered; 2 usage or invalid input; 3 authentication\n"
    "rejected; 4 rate limited, network failure or retries exhausted; 5 no\n"
    "such profile or source; 1 other. An import stops sending at 3 or at\n"
    "--timeout-ms without progress (4) and reports the rest as not sent.\n";

enum {
  OPT_WRITE_KEY = 256, OPT_REGION, OPT_ENDPOINT, OPT_GZIP, OPT_TIMEOUT,
  OPT_CA_FILE, OPT_PROXY, OPT_DRY_RUN, OPT_USER_ID, OPT_ANON_ID, OPT_EVENT,
  OPT_NAME, OPT_CATEGORY, OPT_GROUP_ID, OPT_PREVIOUS_ID, OPT_TIMESTAMP,
  OPT_MESSAGE_ID, OPT_PROPERTIES, OPT_TRAITS, OPT_CONTEXT, OPT_INTEGRATIONS,
  OPT_PORT, OPT_RECORD, OPT_SEED, OPT_FAIL_RATE, OPT_OAUTH_CLIENT_ID,
  OPT_OAUTH_KEY_ID, OPT_OAUTH_KEY_FILE, OPT_OAUTH_SCOPE, OPT_OAUTH_SERVER,
  OPT_OAUTH_PUBLIC_KEY
};

static const struct option longopts[] = {
    {"write-key", required_argument, NULL, OPT_WRITE_KEY},
    {"region", required_argument, NULL, OPT_REGION},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"gzip", no_argument, NULL, OPT_GZIP},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"user-id", required_argument, NULL, OPT_USER_ID},
    {"anonymous-id", required_argument, NULL, OPT_ANON_ID},
    {"event", required_argument, NULL, OPT_EVENT},
    {"name", required_argument, NULL, OPT_NAME},
    {"category", required_argument, NULL, OPT_CATEGORY},
    {"group-id", required_argument, NULL, OPT_GROUP_ID},
    {"previous-id", required_argument, NULL, OPT_PREVIOUS_ID},
    {"timestamp", required_argument, NULL, OPT_TIMESTAMP},
    {"message-id", required_argument, NULL, OPT_MESSAGE_ID},
    {"properties", required_argument, NULL, OPT_PROPERTIES},
    {"traits", required_argument, NULL, OPT_TRAITS},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"integrations", required_argument, NULL, OPT_INTEGRATIONS},
    {"port", required_argument, NULL, OPT_PORT},
    {"record", required_argument, NULL, OPT_RECORD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"fail-rate", required_argument, NULL, OPT_FAIL_RATE},
    {"oauth-client-id", required_argument, NULL, OPT_OAUTH_CLIENT_ID},
    {"oauth-key-id", required_argument, NULL, OPT_OAUTH_KEY_ID},
    {"oauth-key-file", required_argument, NULL, OPT_OAUTH_KEY_FILE},
    {"oauth-scope", required_argument, NULL, OPT_OAUTH_SCOPE},
    {"oauth-server", required_argument, NULL, OPT_OAUTH_SERVER},
    {"oauth-public-key", required_argument, NULL, OPT_OAUTH_PUBLIC_KEY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* Parse a whole decimal number within [lo, hi]; 0 when it is not one. */
static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);

  if (*s == '\0' || *end != '\0' || v < lo || v > hi)
    return 0;
  *out = v;
  return 1;
}

static int bad_number(const char *opt, const char *value) {
  fprintf(stderr, "segbridge: %s: \"%s\" is not a valid number\n", opt, value);
  return CLI_USAGE;
}

static int parse_options(int argc, char **argv, cli_opts *o) {
  int c;
  long n;
  char *end;

  while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_WRITE_KEY: o->write_key = optarg; break;
    case OPT_REGION: o->region = optarg; break;
    case OPT_ENDPOINT: o->endpoint = optarg; break;
    case OPT_GZIP: o->gzip = 1; break;
    case OPT_TIMEOUT:
      if (!parse_long(optarg, 1, 86400000, &n))
        return bad_number("--timeout-ms", optarg);
      o->timeout_ms = (int)n;
      break;
    case OPT_CA_FILE: o->ca_file = optarg; break;
    case OPT_PROXY: o->proxy = optarg; break;
    case OPT_DRY_RUN: o->dry_run = 1; break;
    case OPT_USER_ID: o->user_id = optarg; break;
    case OPT_ANON_ID: o->anonymous_id = optarg; break;
    case OPT_EVENT: o->event = optarg; break;
    case OPT_NAME: o->name = optarg; break;
    case OPT_CATEGORY: o->category = optarg; break;
    case OPT_GROUP_ID: o->group_id = optarg; break;
    case OPT_PREVIOUS_ID: o->previous_id = optarg; break;
    case OPT_TIMESTAMP: o->timestamp = optarg; break;
    case OPT_MESSAGE_ID: o->message_id = optarg; break;
    case OPT_PROPERTIES: o->properties = optarg; break;
    case OPT_TRAITS: o->traits = optarg; break;
    case OPT_CONTEXT: o->context = optarg; break;
    case OPT_INTEGRATIONS: o->integrations = optarg; break;
    case OPT_PORT:
      if (!parse_long(optarg, 0, 65535, &n))
        return bad_number("--port", optarg);
      o->port = (int)n;
      break;
    case OPT_RECORD: o->record = optarg; break;
    case OPT_SEED:
      o->seed = strtoull(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0')
        return bad_number("--seed", optarg);
      break;
    case OPT_FAIL_RATE:
      o->fail_rate = strtod(optarg, &end);
      if (*optarg == '\0' || *end != '\0' || !(o->fail_rate >= 0) ||
          o->fail_rate > 1)
        return bad_number("--fail-rate", optarg);
      break;
    case OPT_OAUTH_CLIENT_ID: o->oauth_client_id = optarg; break;
    case OPT_OAUTH_KEY_ID: o->oauth_key_id = optarg; break;
    case OPT_OAUTH_KEY_FILE: o->oauth_key_file = optarg; break;
    case OPT_OAUTH_SCOPE: o->oauth_scope = optarg; break;
    case OPT_OAUTH_SERVER: o->oauth_server = optarg; break;
    case OPT_OAUTH_PUBLIC_KEY: o->oauth_public_key = optarg; break;
    case 'v': o->verbose = 1; break;
    case 'h': fputs(usage, stdout); exit(CLI_OK);
    default: fputs(usage, stderr); return CLI_USAGE;
    }
  }
  return CLI_OK;
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int type;
  } sends[] = {{"identify", SEGB_MSG_IDENTIFY}, {"track", SEGB_MSG_TRACK},
               {"page", SEGB_MSG_PAGE},         {"screen", SEGB_MSG_SCREEN},
               {"group", SEGB_MSG_GROUP},       {"alias", SEGB_MSG_ALIAS}};
  cli_opts o;
  const char *cmd;
  size_t i;
  int rc;

  memset(&o, 0, sizeof o);
  o.timeout_ms = 30000;
  if (argc < 2 || argv[1][0] == '-') {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_USAGE : CLI_OK;
  }
  cmd = argv[1];
  if (strcmp(cmd, "webhook-receiver") == 0) /* it has options of its own */
    return cli_webhook_main(argc - 1, argv + 1);
  if (cli_api_is_command(cmd)) /* the read commands have options of their own */
    return cli_api_main(cmd, argc - 1, argv + 1);
  rc = parse_options(argc - 1, argv + 1, &o);
  if (rc != CLI_OK)
    return rc;
  if (o.write_key == NULL)
    o.write_key = getenv("SEGMENT_WRITE_KEY");
  for (i = 0; i < sizeof sends / sizeof sends[0]; i++)
    if (strcmp(cmd, sends[i].name) == 0)
      return optind < argc - 1 ? (fputs(usage, stderr), CLI_USAGE)
                               : cli_send(sends[i].type, &o);
  if (strcmp(cmd, "import") == 0) {
    o.file = optind < argc - 1 ? argv[optind + 1] : NULL;
    return cli_import(&o);
  }
  if (strcmp(cmd, "mock") == 0)
    return cli_mock(&o);
  if (strcmp(cmd, "token") == 0)
    return cli_token(&o);
  fprintf(stderr, "segbridge: unknown command \"%s\"\n%s", cmd, usage);
  return CLI_USAGE;
}
