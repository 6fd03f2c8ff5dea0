/* The one option table of every command, its parser, and the one config
 * builder. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One request may not outlast the whole delivery budget, nor take more
 * than this. */
#define CLI_REQUEST_TIMEOUT_MS 15000
#define CLI_DEFAULT_TIMEOUT_MS 30000

typedef enum cli_arg {
  CLI_TEXT, /* const char *, the argument itself */
  CLI_FLAG, /* int, set to 1; no argument */
  CLI_INT,  /* int within [lo, hi] */
  CLI_U64,  /* uint64_t */
  CLI_RATE  /* double within [0, 1] */
} cli_arg;

typedef struct cli_option {
  const char *name;  /* --name; NULL: only -letter */
  char letter;       /* -letter, or 0 */
  unsigned commands; /* CLI_FOR_* */
  cli_arg arg;
  size_t field;         /* offsetof(cli_opts, ...) */
  long lo, hi;          /* CLI_INT */
  const char *property; /* CLI_TEXT: the config property it sets */
  const char *env;      /* CLI_TEXT: the variable read when not given */
} cli_option;

#define F(member) offsetof(cli_opts, member)
#define ALL (CLI_FOR_SEND | CLI_FOR_READ)
#define SEND CLI_FOR_SEND
#define READ CLI_FOR_READ
#define IMPORT CLI_FOR_IMPORT

static const cli_option options[] = {
    /* connection */
    {"write-key", 0, ALL, CLI_TEXT, F(write_key), 0, 0, "write_key",
     "SEGMENT_WRITE_KEY"},
    {"region", 0, ALL, CLI_TEXT, F(region), 0, 0, "region", NULL},
    {"endpoint", 0, ALL, CLI_TEXT, F(endpoint), 0, 0, "endpoint", NULL},
    {"ca-file", 0, ALL, CLI_TEXT, F(ca_file), 0, 0, "http.ca_file", NULL},
    {"proxy", 0, ALL, CLI_TEXT, F(proxy), 0, 0, "http.proxy", NULL},
    {"timeout-ms", 0, ALL, CLI_INT, F(timeout_ms), 1, 86400000, NULL, NULL},
    {"gzip", 0, SEND, CLI_FLAG, F(gzip), 0, 0, NULL, NULL},
    {"dry-run", 0, SEND, CLI_FLAG, F(dry_run), 0, 0, NULL, NULL},
    {NULL, 'v', SEND, CLI_FLAG, F(verbose), 0, 0, NULL, NULL},
    /* import */
    {"batch-size", 0, IMPORT, CLI_TEXT, F(batch_size), 0, 0, "batch.max_events",
     NULL},
    {"max-in-flight", 0, IMPORT, CLI_TEXT, F(max_in_flight), 0, 0,
     "dispatch.max_in_flight", NULL},
    {"ordering", 0, IMPORT, CLI_TEXT, F(ordering), 0, 0, "dispatch.ordering",
     NULL},
    {"max-queue", 0, IMPORT, CLI_TEXT, F(max_queue), 0, 0, "queue.max_events",
     NULL},
    {"freshness", 0, IMPORT, CLI_TEXT, F(freshness), 0, 0, "freshness", NULL},
    {"linger-ms", 0, IMPORT, CLI_TEXT, F(linger_ms), 0, 0, "batch.linger_ms",
     NULL},
    {"spool", 0, IMPORT, CLI_TEXT, F(spool), 0, 0, "spool.path", NULL},
    /* message fields */
    {"user-id", 0, SEND, CLI_TEXT, F(user_id), 0, 0, NULL, NULL},
    {"anonymous-id", 0, SEND, CLI_TEXT, F(anonymous_id), 0, 0, NULL, NULL},
    {"event", 0, SEND, CLI_TEXT, F(event), 0, 0, NULL, NULL},
    {"name", 0, SEND, CLI_TEXT, F(name), 0, 0, NULL, NULL},
    {"category", 0, SEND, CLI_TEXT, F(category), 0, 0, NULL, NULL},
    {"group-id", 0, SEND, CLI_TEXT, F(group_id), 0, 0, NULL, NULL},
    {"previous-id", 0, SEND, CLI_TEXT, F(previous_id), 0, 0, NULL, NULL},
    {"timestamp", 0, SEND, CLI_TEXT, F(timestamp), 0, 0, NULL, NULL},
    {"message-id", 0, SEND, CLI_TEXT, F(message_id), 0, 0, NULL, NULL},
    {"properties", 0, SEND, CLI_TEXT, F(properties), 0, 0, NULL, NULL},
    {"traits", 0, SEND, CLI_TEXT, F(traits), 0, 0, NULL, NULL},
    {"context", 0, SEND, CLI_TEXT, F(context), 0, 0, NULL, NULL},
    {"integrations", 0, SEND, CLI_TEXT, F(integrations), 0, 0, NULL, NULL},
    /* mock */
    {"port", 0, SEND, CLI_INT, F(port), 0, 65535, NULL, NULL},
    {"record", 0, SEND, CLI_TEXT, F(record), 0, 0, NULL, NULL},
    {"seed", 0, SEND, CLI_U64, F(seed), 0, 0, NULL, NULL},
    {"fail-rate", 0, SEND, CLI_RATE, F(fail_rate), 0, 0, NULL, NULL},
    {"latency-ms", 0, SEND, CLI_INT, F(latency_ms), 0, 3600000, NULL, NULL},
    {"oauth-public-key", 0, SEND, CLI_TEXT, F(oauth_public_key), 0, 0, NULL,
     NULL},
    /* OAuth */
    {"oauth-client-id", 0, SEND, CLI_TEXT, F(oauth_client_id), 0, 0,
     "oauth.client_id", NULL},
    {"oauth-key-id", 0, SEND, CLI_TEXT, F(oauth_key_id), 0, 0, "oauth.key_id",
     NULL},
    {"oauth-key-file", 0, SEND, CLI_TEXT, F(oauth_key_file), 0, 0,
     "oauth.private_key_file", NULL},
    {"oauth-scope", 0, SEND, CLI_TEXT, F(oauth_scope), 0, 0, "oauth.scope",
     NULL},
    {"oauth-server", 0, SEND, CLI_TEXT, F(oauth_server), 0, 0, "oauth.server",
     NULL},
    /* reading */
    {"token", 0, READ, CLI_TEXT, F(token), 0, 0, "public_api.token",
     "SEGMENT_PUBLIC_API_TOKEN"},
    {"profile-token", 0, READ, CLI_TEXT, F(profile_token), 0, 0,
     "profile_api.token", "SEGMENT_PROFILE_TOKEN"},
    {"space", 0, READ, CLI_TEXT, F(space), 0, 0, "profile_api.space_id",
     "SEGMENT_SPACE_ID"},
    {"api-url", 0, READ, CLI_TEXT, F(api_url), 0, 0, "public_api.endpoint",
     NULL},
    {"profiles-url", 0, READ, CLI_TEXT, F(profiles_url), 0, 0,
     "profile_api.endpoint", NULL},
    {"cursor", 0, READ, CLI_TEXT, F(cursor), 0, 0, NULL, NULL},
    {"include", 0, READ, CLI_TEXT, F(include), 0, 0, NULL, NULL},
    {"limit", 0, READ, CLI_TEXT, F(limit), 0, 0, NULL, NULL},
    {"all", 0, READ, CLI_FLAG, F(all), 0, 0, NULL, NULL},
    {"no-send", 0, READ, CLI_FLAG, F(no_send), 0, 0, NULL, NULL},
    {"count", 0, READ, CLI_INT, F(count), 1, 1000, NULL, NULL},
};

#define OPTION_COUNT (sizeof options / sizeof options[0])
/* getopt_long's code for options[i]: past every single-byte letter. */
#define CODE(i) (256 + (int)(i))

static void *field(cli_opts *o, const cli_option *opt) {
  return (char *)o + opt->field;
}

static int bad_value(const cli_option *opt, const char *value,
                     const char *what) {
  fprintf(stderr, "segbridge: --%s: \"%s\" is not %s\n", opt->name, value,
          what);
  return CLI_USAGE;
}

/* @value of @opt, checked, into @o. */
static int store(const cli_option *opt, const char *value, cli_opts *o) {
  char *end, range[64];
  long n;
  double rate;
  unsigned long long u;

  switch (opt->arg) {
  case CLI_TEXT:
    *(const char **)field(o, opt) = value;
    return CLI_OK;
  case CLI_FLAG:
    *(int *)field(o, opt) = 1;
    return CLI_OK;
  case CLI_INT:
    errno = 0;
    n = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || errno != 0 || n < opt->lo ||
        n > opt->hi) {
      snprintf(range, sizeof range, "a number from %ld to %ld", opt->lo,
               opt->hi);
      return bad_value(opt, value, range);
    }
    *(int *)field(o, opt) = (int)n;
    return CLI_OK;
  case CLI_U64:
    errno = 0;
    u = strtoull(value, &end, 10);
    /* strtoull takes "-1" as 2^64 - 1 */
    if (*value == '\0' || *value == '-' || *end != '\0' || errno != 0)
      return bad_value(opt, value, "a valid number");
    *(uint64_t *)field(o, opt) = (uint64_t)u;
    return CLI_OK;
  case CLI_RATE:
    rate = strtod(value, &end);
    if (*value == '\0' || *end != '\0' || !(rate >= 0) || rate > 1)
      return bad_value(opt, value, "a rate from 0 to 1");
    *(double *)field(o, opt) = rate;
    return CLI_OK;
  }
  return CLI_USAGE;
}

/* The option of @group that getopt_long returned as @c, or NULL. */
static const cli_option *find(int c, unsigned group) {
  size_t i;

  for (i = 0; i < OPTION_COUNT; i++)
    if ((options[i].commands & group) != 0 &&
        (c == CODE(i) || (options[i].letter != 0 && c == options[i].letter)))
      return &options[i];
  return NULL;
}

int cli_parse(int argc, char **argv, unsigned group, const char *usage,
              cli_opts *o, int *args_at) {
  struct option longopts[OPTION_COUNT + 2];
  char letters[OPTION_COUNT + 2];
  size_t i, n = 0, k = 0;
  int c, rc;

  memset(o, 0, sizeof *o);
  o->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
  letters[k++] = 'h';
  for (i = 0; i < OPTION_COUNT; i++) {
    if ((options[i].commands & group) == 0)
      continue;
    if (options[i].letter != 0)
      letters[k++] = options[i].letter; /* letters take no argument */
    if (options[i].name != NULL)
      longopts[n++] = (struct option){
          options[i].name,
          options[i].arg == CLI_FLAG ? no_argument : required_argument, NULL,
          CODE(i)};
  }
  letters[k] = '\0';
  longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
  longopts[n] = (struct option){NULL, 0, NULL, 0};
  while ((c = getopt_long(argc, argv, letters, longopts, NULL)) != -1) {
    const cli_option *opt = find(c, group);
    if (c == 'h') {
      fputs(usage, stdout);
      exit(CLI_OK);
    }
    if (opt == NULL) {
      fputs(usage, stderr);
      return CLI_USAGE;
    }
    if ((rc = store(opt, optarg, o)) != CLI_OK)
      return rc;
  }
  for (i = 0; i < OPTION_COUNT; i++)
    if ((options[i].commands & group) != 0 && options[i].env != NULL &&
        *(const char **)field(o, &options[i]) == NULL)
      *(const char **)field(o, &options[i]) = getenv(options[i].env);
  *args_at = optind;
  return CLI_OK;
}

/* Set one property or say why not. */
static int set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL ||
      segb_config_set(conf, name, value, err, sizeof err) == SEGB_OK)
    return 1;
  fprintf(stderr, "segbridge: %s\n", err);
  return 0;
}

static int set_int(segb_config_t *conf, const char *name, int value) {
  char text[24];

  snprintf(text, sizeof text, "%d", value);
  return set(conf, name, text);
}

/* The settings that follow from the options rather than copy one. */
static int set_derived(segb_config_t *conf, const cli_opts *o, unsigned group) {
  int request = o->timeout_ms < CLI_REQUEST_TIMEOUT_MS ? o->timeout_ms
                                                       : CLI_REQUEST_TIMEOUT_MS;

  if (!set_int(conf, "http.timeout_ms", request))
    return 0;
  /* sends: --timeout-ms bounds the flush; an import sends in the
   * background while it reads, a single message on the caller's thread */
  if ((group & CLI_FOR_SEND) != 0)
    return set(conf, "compression", o->gzip ? "gzip" : NULL) &&
           set(conf, "dispatch.mode",
               (group & CLI_FOR_IMPORT) != 0 ? "thread" : "inline");
  /* reads: --timeout-ms bounds a call, retries included */
  return set_int(conf, "retry.total_timeout_ms", o->timeout_ms) &&
         set_int(conf, "api.timeout_ms", o->timeout_ms);
}

segb_config_t *cli_config(const cli_opts *o, unsigned group) {
  segb_config_t *conf;
  size_t i;

  /* A dry run sends nothing, and a token request is a request. */
  if (o->dry_run && (o->oauth_client_id != NULL || o->oauth_key_id != NULL ||
                     o->oauth_key_file != NULL)) {
    fprintf(stderr, "segbridge: --dry-run cannot use OAuth (it would fetch "
                    "a token); try `segbridge token` to check OAuth\n");
    return NULL;
  }
  conf = segb_config_new();
  if (conf == NULL) {
    fprintf(stderr, "segbridge: out of memory\n");
    return NULL;
  }
  for (i = 0; i < OPTION_COUNT; i++) {
    const cli_option *opt = &options[i];
    if ((opt->commands & group) != 0 && opt->property != NULL &&
        !set(conf, opt->property,
             *(const char *const *)((const char *)o + opt->field))) {
      segb_config_destroy(conf);
      return NULL;
    }
  }
  if (set_derived(conf, o, group))
    return conf;
  segb_config_destroy(conf);
  return NULL;
}
