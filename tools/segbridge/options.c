/* The one option table of every command, its parser, and the one config
 * builder. */
#include <ctype.h>
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
  const char *value;    /* its argument in the help; NULL for a flag */
  const char *help;     /* lines after the first indented alike */
} cli_option;

#define F(member) offsetof(cli_opts, member)
#define MESSAGE CLI_FOR_MESSAGE
#define IMPORT CLI_FOR_IMPORT
#define MOCK CLI_FOR_MOCK
#define TOKEN CLI_FOR_TOKEN
#define SEND CLI_FOR_SEND
#define READ CLI_FOR_READ
#define TEST CLI_FOR_TEST
/* the commands that read the Public API, or the Profile API */
#define PUBLIC                                                                 \
  (CLI_FOR_WORKSPACE | CLI_FOR_SOURCES | CLI_FOR_SOURCE | CLI_FOR_TEST)
#define PROFILES (CLI_FOR_PROFILE | CLI_FOR_TEST)
/* the commands that make a request */
#define CONNECT (SEND | TOKEN | READ)

/* A name may appear once per command: the same flag with another meaning
 * or help for other commands is a row of its own. */
/* clang-format off */
static const cli_option options[] = {
    /* connection */
    {"write-key", 0, SEND | TEST, CLI_TEXT, F(write_key), 0, 0, "write_key",
     "SEGMENT_WRITE_KEY", "KEY", "the source's write key"},
    {"write-key", 0, MOCK, CLI_TEXT, F(write_key), 0, 0, NULL, NULL, "KEY",
     "accept only this write key (default: any)"},
    {"region", 0, CONNECT, CLI_TEXT, F(region), 0, 0, "region", NULL,
     "us|eu", "Segment region (default us)"},
    {"endpoint", 0, SEND | TEST, CLI_TEXT, F(endpoint), 0, 0, "endpoint", NULL,
     "URL", "Tracking API base URL, e.g. http://127.0.0.1:8080\n"
     "(default: the region's)"},
    {"ca-file", 0, CONNECT, CLI_TEXT, F(ca_file), 0, 0, "http.ca_file", NULL,
     "FILE", "trust the CA certificates in FILE (PEM)"},
    {"proxy", 0, CONNECT, CLI_TEXT, F(proxy), 0, 0, "http.proxy", NULL,
     "URL", "HTTP proxy"},
    {"timeout-ms", 0, MESSAGE | TOKEN, CLI_INT, F(timeout_ms), 1, 86400000,
     NULL, NULL, "MS", "give up after MS, retries included (default 30000)"},
    {"timeout-ms", 0, IMPORT, CLI_INT, F(timeout_ms), 1, 86400000, NULL, NULL,
     "MS", "stop sending after MS without progress, for the whole\n"
     "run (default 30000)"},
    {"timeout-ms", 0, READ, CLI_INT, F(timeout_ms), 1, 86400000, NULL, NULL,
     "MS", "give up a call after MS, retries included (default\n30000)"},
    {"gzip", 0, SEND, CLI_FLAG, F(gzip), 0, 0, NULL, NULL, NULL,
     "compress request bodies"},
    {"dry-run", 0, SEND, CLI_FLAG, F(dry_run), 0, 0, NULL, NULL, NULL,
     "print the requests (secrets redacted), send nothing"},
    {NULL, 'v', SEND, CLI_FLAG, F(verbose), 0, 0, NULL, NULL, NULL,
     "say what happened to each message"},
    {NULL, 'v', MOCK, CLI_FLAG, F(verbose), 0, 0, NULL, NULL, NULL,
     "print each request received"},
    /* import */
    {"batch-size", 0, IMPORT, CLI_TEXT, F(batch_size), 0, 0, "batch.max_events",
     NULL, "N", "events per request (batch.max_events)"},
    {"max-in-flight", 0, IMPORT, CLI_TEXT, F(max_in_flight), 0, 0,
     "dispatch.max_in_flight", NULL, "N", "requests at once (dispatch.max_in_flight)"},
    {"ordering", 0, IMPORT, CLI_TEXT, F(ordering), 0, 0, "dispatch.ordering",
     NULL, "per_user|fifo|none", "what keeps its order (dispatch.ordering)"},
    {"max-queue", 0, IMPORT, CLI_TEXT, F(max_queue), 0, 0, "queue.max_events",
     NULL, "N", "events held in memory (queue.max_events); a full\n"
     "queue makes the import wait, never drop"},
    {"freshness", 0, IMPORT, CLI_TEXT, F(freshness), 0, 0, "freshness", NULL,
     "realtime|batch", "send at once, or in full batches (freshness)"},
    {"linger-ms", 0, IMPORT, CLI_TEXT, F(linger_ms), 0, 0, "batch.linger_ms",
     NULL, "MS", "longest wait of a queued event (batch.linger_ms)"},
    {"spool", 0, IMPORT, CLI_TEXT, F(spool), 0, 0, "spool.path", NULL, "DIR",
     "keep accepted events in DIR until delivered\n"
     "(spool.path), and the place in the input file: run\n"
     "again after a kill, it resumes"},
    /* message fields */
    {"user-id", 0, MESSAGE, CLI_TEXT, F(user_id), 0, 0, NULL, NULL, "ID",
     "userId (this or --anonymous-id is required)"},
    {"anonymous-id", 0, MESSAGE, CLI_TEXT, F(anonymous_id), 0, 0, NULL, NULL,
     "ID", "anonymousId"},
    {"event", 0, MESSAGE, CLI_TEXT, F(event), 0, 0, NULL, NULL, "NAME",
     "event (track)"},
    {"name", 0, MESSAGE, CLI_TEXT, F(name), 0, 0, NULL, NULL, "NAME",
     "name (page, screen)"},
    {"category", 0, MESSAGE, CLI_TEXT, F(category), 0, 0, NULL, NULL, "C",
     "category (page)"},
    {"group-id", 0, MESSAGE, CLI_TEXT, F(group_id), 0, 0, NULL, NULL, "ID",
     "groupId (group)"},
    {"previous-id", 0, MESSAGE, CLI_TEXT, F(previous_id), 0, 0, NULL, NULL,
     "ID", "previousId (alias)"},
    {"timestamp", 0, MESSAGE, CLI_TEXT, F(timestamp), 0, 0, NULL, NULL,
     "ISO-8601", "when it happened (default: now)"},
    {"message-id", 0, MESSAGE, CLI_TEXT, F(message_id), 0, 0, NULL, NULL,
     "ID", "messageId (default: a new UUID)"},
    {"properties", 0, MESSAGE, CLI_TEXT, F(properties), 0, 0, NULL, NULL,
     "JSON", "properties, a JSON object (track, page, screen)"},
    {"traits", 0, MESSAGE, CLI_TEXT, F(traits), 0, 0, NULL, NULL, "JSON",
     "traits, a JSON object (identify, group)"},
    {"context", 0, MESSAGE, CLI_TEXT, F(context), 0, 0, NULL, NULL, "JSON",
     "context, a JSON object"},
    {"integrations", 0, MESSAGE, CLI_TEXT, F(integrations), 0, 0, NULL, NULL,
     "JSON", "integrations, a JSON object"},
    /* mock */
    {"port", 0, MOCK, CLI_INT, F(port), 0, 65535, NULL, NULL, "P",
     "listen on 127.0.0.1:P (default 0: a free port)"},
    {"record", 0, MOCK, CLI_TEXT, F(record), 0, 0, NULL, NULL, "FILE",
     "append each message received to FILE, one per line"},
    {"seed", 0, MOCK, CLI_U64, F(seed), 0, 0, NULL, NULL, "N",
     "seed of the injected faults"},
    {"fail-rate", 0, MOCK, CLI_RATE, F(fail_rate), 0, 0, NULL, NULL, "R",
     "answer this share of requests, 0 to 1, with a fault"},
    {"latency-ms", 0, MOCK, CLI_INT, F(latency_ms), 0, 3600000, NULL, NULL,
     "MS", "answer each Tracking API request MS after it arrived\n"
     "(a round trip of about MS, connections independent)"},
    {"ui", 0, MOCK, CLI_FLAG, F(ui), 0, 0, NULL, NULL, NULL,
     "serve the Debugger page at /debugger: events and\n"
     "refusals live, the counters (docs/DEBUGGER.md)"},
    {"ui-keep", 0, MOCK, CLI_INT, F(ui_keep), 1, 1000000, NULL, NULL, "N",
     "with --ui: the rows kept for the page (default 1000)"},
    {"oauth-public-key", 0, MOCK, CLI_TEXT, F(oauth_public_key), 0, 0, NULL,
     NULL, "FILE", "serve POST /token, accepting JWTs signed by the key\n"
     "whose public half (PEM) is in FILE"},
    {"oauth-client-id", 0, MOCK, CLI_TEXT, F(oauth_client_id), 0, 0, NULL,
     NULL, "ID", "with --oauth-public-key: the OAuth app ID accepted"},
    {"oauth-key-id", 0, MOCK, CLI_TEXT, F(oauth_key_id), 0, 0, NULL, NULL,
     "ID", "with --oauth-public-key: the key ID accepted"},
    {"oauth-scope", 0, MOCK, CLI_TEXT, F(oauth_scope), 0, 0, NULL, NULL,
     "SCOPE", "with --oauth-public-key: the scope granted"},
    /* OAuth */
    {"oauth-client-id", 0, SEND | TOKEN, CLI_TEXT, F(oauth_client_id), 0, 0,
     "oauth.client_id", NULL, "ID", "OAuth app ID (OAuth instead of Basic auth)"},
    {"oauth-key-id", 0, SEND | TOKEN, CLI_TEXT, F(oauth_key_id), 0, 0,
     "oauth.key_id", NULL, "ID", "ID of the public key uploaded to the app"},
    {"oauth-key-file", 0, SEND | TOKEN, CLI_TEXT, F(oauth_key_file), 0, 0,
     "oauth.private_key_file", NULL, "FILE",
     "the RSA private key (PEM, PKCS#1 or PKCS#8)"},
    {"oauth-scope", 0, SEND | TOKEN, CLI_TEXT, F(oauth_scope), 0, 0,
     "oauth.scope", NULL, "SCOPE", "default tracking_api:write"},
    {"oauth-server", 0, SEND | TOKEN, CLI_TEXT, F(oauth_server), 0, 0,
     "oauth.server", NULL, "URL", "authorization server (default: the region's)"},
    /* reading */
    {"token", 0, PUBLIC, CLI_TEXT, F(token), 0, 0, "public_api.token",
     "SEGMENT_PUBLIC_API_TOKEN", "T", "Public API token"},
    {"profile-token", 0, PROFILES, CLI_TEXT, F(profile_token), 0, 0,
     "profile_api.token", "SEGMENT_PROFILE_TOKEN", "T",
     "Profile API access token"},
    {"space", 0, PROFILES, CLI_TEXT, F(space), 0, 0, "profile_api.space_id",
     "SEGMENT_SPACE_ID", "S", "Unify space ID"},
    {"api-url", 0, PUBLIC, CLI_TEXT, F(api_url), 0, 0, "public_api.endpoint",
     NULL, "URL", "Public API base URL (default: the region's)"},
    {"profiles-url", 0, PROFILES, CLI_TEXT, F(profiles_url), 0, 0,
     "profile_api.endpoint", NULL, "URL",
     "Profile API base URL (default: the region's)"},
    {"all", 0, CLI_FOR_SOURCES | CLI_FOR_PROFILE, CLI_FLAG, F(all), 0, 0, NULL,
     NULL, NULL, "walk every page, one item per line (traits: one\n"
     "object per page)"},
    {"count", 0, CLI_FOR_SOURCES, CLI_INT, F(count), 1, 1000, NULL, NULL, "N",
     "sources per page, 1-1000 (default 200)"},
    {"limit", 0, CLI_FOR_PROFILE, CLI_TEXT, F(limit), 0, 0, NULL, NULL, "N",
     "items per page"},
    {"include", 0, CLI_FOR_PROFILE, CLI_TEXT, F(include), 0, 0, NULL, NULL,
     "LIST", "only these traits, event names or id types"},
    {"cursor", 0, CLI_FOR_SOURCES | CLI_FOR_PROFILE, CLI_TEXT, F(cursor), 0, 0,
     NULL, NULL, "C", "start at this page's cursor"},
    {"no-send", 0, TEST, CLI_FLAG, F(no_send), 0, 0, NULL, NULL, NULL,
     "authenticate with an empty batch, send no event"},
    {"json", 0, TEST, CLI_FLAG, F(json), 0, 0, NULL, NULL, NULL,
     "print the verdicts as one JSON object"},
};
/* clang-format on */

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

int cli_parse(int argc, char **argv, const cli_command *cmd, cli_opts *o,
              int *args_at) {
  struct option longopts[OPTION_COUNT + 2];
  char letters[OPTION_COUNT + 2];
  /* getopt_long's own messages start with argv[0]: "segbridge track" */
  static char prog[64];
  unsigned group = cmd->options;
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
  snprintf(prog, sizeof prog, "segbridge %s", cmd->name);
  argv[0] = prog;
  while ((c = getopt_long(argc, argv, letters, longopts, NULL)) != -1) {
    const cli_option *opt = find(c, group);
    if (c == 'h') {
      cli_help(cmd, stdout);
      exit(CLI_OK);
    }
    if (opt == NULL) { /* getopt_long said which option */
      fprintf(stderr, "segbridge: `segbridge help %s` lists its options\n",
              cmd->name);
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

/* Where the help text of an option starts. */
#define HELP_COLUMN 24

void cli_print_options(unsigned group, FILE *out) {
  size_t i;

  for (i = 0; i < OPTION_COUNT; i++) {
    const cli_option *opt = &options[i];
    const char *line = opt->help;
    int width;

    if ((opt->commands & group) == 0)
      continue;
    if (opt->name != NULL)
      width = fprintf(out, "  --%s%s%s", opt->name, opt->value ? " " : "",
                      opt->value ? opt->value : "");
    else
      width = fprintf(out, "  -%c", opt->letter);
    /* a name too long for its column: the help on the next line */
    if (width >= HELP_COLUMN - 1) {
      fputc('\n', out);
      width = 0;
    }
    for (;;) {
      size_t len = strcspn(line, "\n");
      fprintf(out, "%*s%.*s", HELP_COLUMN - width, "", (int)len, line);
      width = 0;
      if (line[len] == '\0')
        break;
      fputc('\n', out);
      line += len + 1;
    }
    if (opt->env != NULL)
      fprintf(out, "\n%*s(default: $%s)", HELP_COLUMN, "", opt->env);
    fputc('\n', out);
  }
}

/* How the user names what sets @opt: "--write-key ($SEGMENT_WRITE_KEY)". */
static int flag_name(const cli_option *opt, char *out, size_t cap) {
  if (opt->env != NULL)
    return snprintf(out, cap, "--%s ($%s)", opt->name, opt->env);
  return snprintf(out, cap, "--%s", opt->name);
}

/* The option that sets the property named at @s (its whole name: not a
 * part of a longer one), or NULL. Only names with a '_' or a '.': a plain
 * word such as "region" in a sentence is the word. */
static const cli_option *property_at(const char *msg, const char *s) {
  size_t i;

  if (s > msg && (isalnum((unsigned char)s[-1]) || s[-1] == '_' ||
                  s[-1] == '.' || s[-1] == '-'))
    return NULL;
  for (i = 0; i < OPTION_COUNT; i++) {
    const char *p = options[i].property;
    size_t len = p != NULL ? strlen(p) : 0;
    if (len > 0 && strpbrk(p, "._") != NULL && strncmp(s, p, len) == 0 &&
        !isalnum((unsigned char)s[len]) && s[len] != '_' &&
        !(s[len] == '.' && isalnum((unsigned char)s[len + 1])))
      return &options[i];
  }
  return NULL;
}

void cli_flag_text(const char *msg, char *out, size_t cap) {
  const char *s = msg;
  size_t n = 0;

  while (*s != '\0' && n + 1 < cap) {
    const cli_option *opt = property_at(msg, s);
    if (opt != NULL) {
      char flag[80];
      int len = flag_name(opt, flag, sizeof flag);
      if (n + (size_t)len >= cap)
        break;
      memcpy(out + n, flag, (size_t)len);
      n += (size_t)len;
      s += strlen(opt->property);
    } else {
      out[n++] = *s++;
    }
  }
  out[n] = '\0';
}

void cli_error(const char *msg) {
  char text[2 * SEGB_ERRSTR_SIZE];

  cli_flag_text(msg, text, sizeof text);
  fprintf(stderr, "segbridge: %s\n", text);
}

/* Set @opt's property to @value, or say why not, naming the flag or the
 * variable the value came from. */
static int set_option(segb_config_t *conf, const cli_option *opt,
                      const char *value) {
  char err[SEGB_ERRSTR_SIZE], text[2 * SEGB_ERRSTR_SIZE];
  size_t len = strlen(opt->property);
  const char *why = err, *sep = " ";

  if (value == NULL ||
      segb_config_set(conf, opt->property, value, err, sizeof err) == SEGB_OK)
    return 1;
  /* the library's message starts "property: ..." */
  if (strncmp(err, opt->property, len) == 0 && err[len] == ':') {
    why = err + len + 1;
    sep = "";
  }
  cli_flag_text(why, text, sizeof text);
  /* the environment is read only when the flag was not given, and argv's
   * strings are not the environment's */
  if (opt->env != NULL && value == getenv(opt->env))
    fprintf(stderr, "segbridge: $%s:%s%s\n", opt->env, sep, text);
  else
    fprintf(stderr, "segbridge: --%s:%s%s\n", opt->name, sep, text);
  return 0;
}

/* Set one property derived from the options, or say why not. */
static int set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL ||
      segb_config_set(conf, name, value, err, sizeof err) == SEGB_OK)
    return 1;
  cli_error(err);
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
  if ((group & (CLI_FOR_SEND | CLI_FOR_TOKEN)) != 0)
    return set(conf, "compression", o->gzip ? "gzip" : NULL) &&
           set(conf, "dispatch.mode",
               (group & CLI_FOR_IMPORT) != 0 ? "thread" : "inline");
  /* reads: --timeout-ms bounds a call, retries included */
  return set_int(conf, "retry.total_timeout_ms", o->timeout_ms) &&
         set_int(conf, "api.timeout_ms", o->timeout_ms);
}

/* A file the library opens later, checked now so that the error says why:
 * 1 when it can be read. */
static int readable(const char *flag, const char *path) {
  FILE *f;

  if (path == NULL)
    return 1;
  if ((f = fopen(path, "r")) != NULL) {
    fclose(f);
    return 1;
  }
  fprintf(stderr, "segbridge: --%s: cannot read %s: %s\n", flag, path,
          strerror(errno));
  return 0;
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
  if (!readable("ca-file", o->ca_file) ||
      !readable("oauth-key-file", o->oauth_key_file))
    return NULL;
  conf = segb_config_new();
  if (conf == NULL) {
    fprintf(stderr, "segbridge: out of memory\n");
    return NULL;
  }
  for (i = 0; i < OPTION_COUNT; i++) {
    const cli_option *opt = &options[i];
    if ((opt->commands & group) != 0 && opt->property != NULL &&
        !set_option(conf, opt,
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
