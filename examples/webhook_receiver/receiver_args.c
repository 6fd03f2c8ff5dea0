/* The receiver's command line, shared by segbridge-webhook-receiver and
 * `segbridge webhook-receiver`. */
#include "receiver.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

const char segb_receiver_usage[] =
    "options:\n"
    "  --port P          listen on port P (default 8080; 0: any free port)\n"
    "  --listen ADDR     IPv4 address to bind (default 127.0.0.1)\n"
    "  --api-key K       expect Authorization: Basic base64(K:); repeat to\n"
    "                    accept several (default: $SEGMENT_WEBHOOK_API_KEY)\n"
    "  --secret S        expect X-Signature, HMAC-SHA1 keyed by S; repeat to\n"
    "                    accept several (default: $SEGMENT_WEBHOOK_SECRET)\n"
    "  --max-body BYTES  refuse larger bodies with 413 (default 4194304)\n"
    "At least one key or secret is needed. Good events go to standard output\n"
    "as NDJSON; what was refused, and why, to standard error. Stop with\n"
    "Ctrl-C or SIGTERM.\n";

enum { OPT_PORT = 256, OPT_LISTEN, OPT_API_KEY, OPT_SECRET, OPT_MAX_BODY };

static const struct option longopts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int usage_error(const char *name, const char *why, const char *arg) {
  fprintf(stderr, "%s: %s%s%s\n%s", name, why, arg != NULL ? ": " : "",
          arg != NULL ? arg : "", segb_receiver_usage);
  return RECEIVER_USAGE;
}

/* A whole decimal number in [lo, hi]. */
static int number(const char *s, unsigned long long lo, unsigned long long hi,
                  unsigned long long *out) {
  char *end;

  if (*s < '0' || *s > '9')
    return 0;
  *out = strtoull(s, &end, 10);
  return *end == '\0' && *out >= lo && *out <= hi;
}

/* Add @value to a list of at most SEGB_WEBHOOK_MAX_CREDENTIALS. */
static int add(const char **list, size_t *n, const char *value) {
  if (*n == SEGB_WEBHOOK_MAX_CREDENTIALS)
    return 0;
  list[(*n)++] = value;
  return 1;
}

int segb_receiver_parse_args(int argc, char **argv, receiver_options *o) {
  const char *name = argv[0];
  unsigned long long n;
  const char *env;
  int c;

  memset(o, 0, sizeof *o);
  o->port = 8080;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_PORT:
      if (!number(optarg, 0, 65535, &n))
        return usage_error(name, "--port needs a number 0..65535", optarg);
      o->port = (uint16_t)n;
      break;
    case OPT_LISTEN:
      o->listen = optarg;
      break;
    case OPT_API_KEY:
      if (!add(o->api_keys, &o->n_api_keys, optarg))
        return usage_error(name, "too many --api-key", NULL);
      break;
    case OPT_SECRET:
      if (!add(o->secrets, &o->n_secrets, optarg))
        return usage_error(name, "too many --secret", NULL);
      break;
    case OPT_MAX_BODY:
      if (!number(optarg, 1, SIZE_MAX, &n))
        return usage_error(name, "--max-body needs a positive number", optarg);
      o->max_body = (size_t)n;
      break;
    case 'h':
      printf("usage: %s [options]\n%s", name, segb_receiver_usage);
      return -1;
    default:
      return usage_error(name, "unknown option", NULL);
    }
  }
  if (optind < argc)
    return usage_error(name, "unexpected argument", argv[optind]);
  if (o->n_api_keys == 0 && (env = getenv("SEGMENT_WEBHOOK_API_KEY")) != NULL)
    add(o->api_keys, &o->n_api_keys, env);
  if (o->n_secrets == 0 && (env = getenv("SEGMENT_WEBHOOK_SECRET")) != NULL)
    add(o->secrets, &o->n_secrets, env);
  if (o->n_api_keys == 0 && o->n_secrets == 0)
    return usage_error(name, "give at least one --api-key or --secret", NULL);
  return RECEIVER_OK;
}
