/* The receiver's command line, shared by segbridge-webhook-receiver and
 * `segbridge webhook-receiver`. */
#include "receiver.h"

#include <errno.h>
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
    "  --max-body BYTES  refuse larger bodies with 413 (default 4194304);\n"
    "                    what a sender still writes after the 413 is read\n"
    "                    and dropped, up to 8 MiB or 10 s, then it is cut off\n"
    "  --max-connections N  connections open at once (default 512); more\n"
    "                    wait to be accepted\n"
    "  --max-per-ip N    connections open at once from one address (default\n"
    "                    32; 0: no limit); more are closed at once\n"
    "  --header-timeout S  close a connection whose request headers are not\n"
    "                    all in S seconds after it opened or after the last\n"
    "                    answer, however slowly they come (default 10)\n"
    "  --body-timeout S  close a connection whose request body is not all in\n"
    "                    S seconds after its headers, however slowly it\n"
    "                    comes (default 60)\n"
    "  --idle-timeout S  close a connection silent for S seconds, as while a\n"
    "                    body stalls (default 30)\n"
    "  --refuse-unsigned answer 401 to a batch whose X-Signature covers only\n"
    "                    its first event (Segment signs batches so), instead\n"
    "                    of accepting the rest marked unsigned; needs "
    "--secret\n"
    "At least one key or secret is needed. Good events go to standard output\n"
    "as NDJSON; what was refused, and why, to standard error. Stop with\n"
    "Ctrl-C or SIGTERM.\n";

enum {
  OPT_PORT = 256,
  OPT_LISTEN,
  OPT_API_KEY,
  OPT_SECRET,
  OPT_MAX_BODY,
  OPT_MAX_CONNECTIONS,
  OPT_MAX_PER_IP,
  OPT_HEADER_TIMEOUT,
  OPT_BODY_TIMEOUT,
  OPT_IDLE_TIMEOUT,
  OPT_REFUSE_UNSIGNED
};

static const struct option longopts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"refuse-unsigned", no_argument, NULL, OPT_REFUSE_UNSIGNED},
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
  errno = 0;
  *out = strtoull(s, &end, 10);
  return *end == '\0' && errno != ERANGE && *out >= lo && *out <= hi;
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
  o->max_connections = 512;
  o->max_per_ip = 32;
  o->header_timeout_s = 10;
  o->body_timeout_s = 60;
  o->idle_timeout_s = 30;
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
    case OPT_MAX_CONNECTIONS:
      if (!number(optarg, 1, 1000000, &n))
        return usage_error(name, "--max-connections needs a number 1..1000000",
                           optarg);
      o->max_connections = (unsigned)n;
      break;
    case OPT_MAX_PER_IP:
      if (!number(optarg, 0, 1000000, &n))
        return usage_error(name, "--max-per-ip needs a number 0..1000000",
                           optarg);
      o->max_per_ip = (unsigned)n;
      break;
    case OPT_HEADER_TIMEOUT:
    case OPT_BODY_TIMEOUT:
    case OPT_IDLE_TIMEOUT: {
      unsigned *seconds = c == OPT_HEADER_TIMEOUT ? &o->header_timeout_s
                          : c == OPT_BODY_TIMEOUT ? &o->body_timeout_s
                                                  : &o->idle_timeout_s;
      char why[64];

      snprintf(why, sizeof why, "--%s needs seconds 1..86400",
               c == OPT_HEADER_TIMEOUT ? "header-timeout"
               : c == OPT_BODY_TIMEOUT ? "body-timeout"
                                       : "idle-timeout");
      if (!number(optarg, 1, 86400, &n))
        return usage_error(name, why, optarg);
      *seconds = (unsigned)n;
      break;
    }
    case OPT_REFUSE_UNSIGNED:
      o->refuse_unsigned = 1;
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
  if (o->refuse_unsigned && o->n_secrets == 0)
    return usage_error(name, "--refuse-unsigned needs a --secret to check",
                       NULL);
  return RECEIVER_OK;
}
