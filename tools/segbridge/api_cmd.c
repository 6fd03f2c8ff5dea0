/* segbridge workspace | sources | source | profile | test-connection: read
 * the Public API and the Profile API, and check every configured
 * direction. Output is JSON on stdout: one object, or NDJSON when --all
 * walks pages. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char api_usage[] =
    "usage: segbridge workspace [options]\n"
    "       segbridge sources [--all | --count N] [--cursor C] [options]\n"
    "       segbridge source ID [options]\n"
    "       segbridge profile traits|events|external-ids|metadata ID\n"
    "                 [--space S] [--limit N] [--include LIST] [--all]\n"
    "                 [--cursor C] [options]\n"
    "       segbridge test-connection [--no-send] [options]\n"
    "\n"
    "ID is type:value for profiles: user_id:u-42, email:jane@example.com,\n"
    "group_id:g-7 (accounts); it is percent-encoded for you.\n"
    "\n"
    "options:\n"
    "  --token T          Public API token (default\n"
    "                     $SEGMENT_PUBLIC_API_TOKEN)\n"
    "  --profile-token T  Profile API access token (default\n"
    "                     $SEGMENT_PROFILE_TOKEN)\n"
    "  --space S          Unify space ID (default $SEGMENT_SPACE_ID)\n"
    "  --region us|eu     Segment region (default us)\n"
    "  --api-url URL      Public API base URL\n"
    "  --profiles-url URL Profile API base URL\n"
    "  --all              walk every page, one item per line (traits: one\n"
    "                     object per page)\n"
    "  --count N          sources per page, 1-1000 (default 200)\n"
    "  --limit N          profile items per page\n"
    "  --include LIST     only these traits, event names or id types\n"
    "  --cursor C         start at this page's cursor\n"
    "  --timeout-ms MS    give up a call after MS of retries (default 30000)\n"
    "  --ca-file FILE     trust these CA certificates\n"
    "  --proxy URL        HTTP proxy\n"
    "test-connection also checks the send direction:\n"
    "  --write-key KEY    source write key (default $SEGMENT_WRITE_KEY)\n"
    "  --endpoint URL     Tracking API base URL\n"
    "  --no-send          authenticate with an empty batch, send no event\n"
    "\n"
    "exit status: 0 success; 1 other; 2 usage or settings; 3 credentials\n"
    "rejected; 4 rate limited or network; 5 no such profile or source\n";

typedef struct api_opts {
  const char *token, *profile_token, *space, *region, *api_url, *profiles_url;
  const char *write_key, *endpoint, *ca_file, *proxy, *cursor, *include;
  const char *limit;
  int all, no_send;
  int32_t count;
  int timeout_ms;
} api_opts;

enum {
  OPT_TOKEN = 256, OPT_PROFILE_TOKEN, OPT_SPACE, OPT_REGION, OPT_API_URL,
  OPT_PROFILES_URL, OPT_WRITE_KEY, OPT_ENDPOINT, OPT_CA_FILE, OPT_PROXY,
  OPT_CURSOR, OPT_INCLUDE, OPT_LIMIT, OPT_ALL, OPT_NO_SEND, OPT_COUNT,
  OPT_TIMEOUT
};

static const struct option api_longopts[] = {
    {"token", required_argument, NULL, OPT_TOKEN},
    {"profile-token", required_argument, NULL, OPT_PROFILE_TOKEN},
    {"space", required_argument, NULL, OPT_SPACE},
    {"region", required_argument, NULL, OPT_REGION},
    {"api-url", required_argument, NULL, OPT_API_URL},
    {"profiles-url", required_argument, NULL, OPT_PROFILES_URL},
    {"write-key", required_argument, NULL, OPT_WRITE_KEY},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"cursor", required_argument, NULL, OPT_CURSOR},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"all", no_argument, NULL, OPT_ALL},
    {"no-send", no_argument, NULL, OPT_NO_SEND},
    {"count", required_argument, NULL, OPT_COUNT},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int api_exit(int err) {
  if (err == SEGB_ERR_NOT_FOUND)
    return CLI_NOT_FOUND;
  if (err == SEGB_ERR_BAD_RESPONSE)
    return CLI_OTHER;
  return cli_exit_code(err);
}

static int fail(int err) {
  fprintf(stderr, "segbridge: %s\n", segb_last_error_message());
  return api_exit(err);
}

static int usage_error(const char *why) {
  fprintf(stderr, "segbridge: %s\n%s", why, api_usage);
  return CLI_USAGE;
}

/* A whole decimal number within [lo, hi]. */
static int number(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi)
    return 0;
  *out = v;
  return 1;
}

static int parse(int argc, char **argv, api_opts *o) {
  long n;
  int c;

  while ((c = getopt_long(argc, argv, "h", api_longopts, NULL)) != -1) {
    switch (c) {
    case OPT_TOKEN: o->token = optarg; break;
    case OPT_PROFILE_TOKEN: o->profile_token = optarg; break;
    case OPT_SPACE: o->space = optarg; break;
    case OPT_REGION: o->region = optarg; break;
    case OPT_API_URL: o->api_url = optarg; break;
    case OPT_PROFILES_URL: o->profiles_url = optarg; break;
    case OPT_WRITE_KEY: o->write_key = optarg; break;
    case OPT_ENDPOINT: o->endpoint = optarg; break;
    case OPT_CA_FILE: o->ca_file = optarg; break;
    case OPT_PROXY: o->proxy = optarg; break;
    case OPT_CURSOR: o->cursor = optarg; break;
    case OPT_INCLUDE: o->include = optarg; break;
    case OPT_LIMIT: o->limit = optarg; break;
    case OPT_ALL: o->all = 1; break;
    case OPT_NO_SEND: o->no_send = 1; break;
    case OPT_COUNT:
      if (!number(optarg, 1, 1000, &n))
        return usage_error("--count must be a number from 1 to 1000");
      o->count = (int32_t)n;
      break;
    case OPT_TIMEOUT:
      if (!number(optarg, 1, 86400000, &n))
        return usage_error("--timeout-ms must be a positive number");
      o->timeout_ms = (int)n;
      break;
    case 'h': fputs(api_usage, stdout); exit(CLI_OK);
    default: fputs(api_usage, stderr); return CLI_USAGE;
    }
  }
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

static segb_config_t *config(const api_opts *o) {
  segb_config_t *conf = segb_config_new();
  char total[24], request[24];

  if (conf == NULL) {
    fprintf(stderr, "segbridge: out of memory\n");
    return NULL;
  }
  snprintf(total, sizeof total, "%d", o->timeout_ms);
  snprintf(request, sizeof request, "%d",
           o->timeout_ms < 15000 ? o->timeout_ms : 15000);
  if (set(conf, "public_api.token", o->token) &&
      set(conf, "profile_api.token", o->profile_token) &&
      set(conf, "profile_api.space_id", o->space) &&
      set(conf, "region", o->region) &&
      set(conf, "public_api.endpoint", o->api_url) &&
      set(conf, "profile_api.endpoint", o->profiles_url) &&
      set(conf, "write_key", o->write_key) &&
      set(conf, "endpoint", o->endpoint) &&
      set(conf, "http.ca_file", o->ca_file) &&
      set(conf, "http.proxy", o->proxy) &&
      set(conf, "retry.total_timeout_ms", total) &&
      set(conf, "api.timeout_ms", total) &&
      set(conf, "http.timeout_ms", request))
    return conf;
  segb_config_destroy(conf);
  return NULL;
}

/* Print @v as one line of compact JSON. */
static int print_json(const segb_json_t *v) {
  size_t len;
  char *text = segb_json_text(v, &len);

  if (text == NULL) {
    fprintf(stderr, "segbridge: out of memory\n");
    return CLI_OTHER;
  }
  fwrite(text, 1, len, stdout);
  putchar('\n');
  segb_free(text);
  return CLI_OK;
}

/* One line per element of an array payload; an object (traits) as one
 * line. */
static int print_items(const segb_result_t *page) {
  const segb_json_t *data = segb_result_data(page);
  size_t i;
  int rc = CLI_OK;

  if (segb_json_type(data) != SEGB_JSON_ARRAY)
    return print_json(data);
  for (i = 0; i < segb_json_count(data) && rc == CLI_OK; i++)
    rc = print_json(segb_json_at(data, i));
  return rc;
}

static int walk(segb_pager_t *pager) {
  segb_result_t *page;
  int rc;

  for (;;) {
    rc = segb_pager_next(pager, &page);
    if (rc != SEGB_OK)
      return fail(rc);
    if (page == NULL)
      return CLI_OK;
    rc = print_items(page);
    segb_result_destroy(page);
    if (rc != CLI_OK)
      return rc;
    fflush(stdout);
  }
}

/* The whole response document of a one-page call that returned @err. */
static int print_result(int err, segb_result_t *res) {
  int rc;

  if (err != SEGB_OK)
    return fail(err);
  rc = print_json(segb_result_json(res));
  segb_result_destroy(res);
  return rc;
}

static int profile_what(const char *name) {
  static const char *const names[] = {"traits", "events", "external-ids",
                                      "metadata"};
  static const int what[] = {SEGB_PROFILE_TRAITS, SEGB_PROFILE_EVENTS,
                             SEGB_PROFILE_EXTERNAL_IDS,
                             SEGB_PROFILE_METADATA};
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return what[i];
  return -1;
}

static int profile(segb_reader_t *r, const api_opts *o, const char *kind,
                   const char *id) {
  const char *params[5];
  segb_result_t *res;
  segb_pager_t *pager;
  size_t n = 0;
  int what = profile_what(kind), rc;

  if (what < 0)
    return usage_error("profile reads traits, events, external-ids or "
                       "metadata");
  if (o->limit != NULL) {
    params[n++] = "limit";
    params[n++] = o->limit;
  }
  if (o->include != NULL) {
    params[n++] = "include";
    params[n++] = o->include;
  }
  params[n] = NULL;
  if (!o->all) {
    rc = segb_profile_get(r, what, id, params, o->cursor, &res);
    return print_result(rc, res);
  }
  rc = segb_profile_pager(r, what, id, params, &pager);
  if (rc != SEGB_OK)
    return fail(rc);
  rc = walk(pager);
  segb_pager_destroy(pager);
  return rc;
}

static int sources(segb_reader_t *r, const api_opts *o) {
  segb_result_t *res;
  segb_pager_t *pager;
  int rc;

  if (!o->all) {
    rc = segb_sources_list(r, o->count, o->cursor, &res);
    return print_result(rc, res);
  }
  rc = segb_sources_pager(r, o->count, &pager);
  if (rc != SEGB_OK)
    return fail(rc);
  rc = walk(pager);
  segb_pager_destroy(pager);
  return rc;
}

/* @s as a JSON string. */
static void put_string(const char *s) {
  putchar('"');
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static int test_connection(const api_opts *o, segb_config_t *conf) {
  static const char *const dirs[] = {"send", "receive", "profiles"};
  static const char *const verdicts[] = {"passed", "failed", "skipped"};
  segb_conntest_t *t;
  int rc, d;

  rc = segb_test_connection(conf, o->no_send ? SEGB_TEST_NO_SEND : 0,
                            o->timeout_ms, &t);
  if (t == NULL)
    return fail(rc);
  putchar('{');
  for (d = 0; d < SEGB_CHECK_COUNT; d++) {
    printf("%s\"%s\":{\"verdict\":\"%s\",\"error\":\"%s\",\"detail\":",
           d > 0 ? "," : "", dirs[d], verdicts[segb_conntest_verdict(t, d)],
           segb_err_name(segb_conntest_err(t, d)));
    put_string(segb_conntest_detail(t, d));
    fputs(",\"advice\":", stdout);
    put_string(segb_conntest_advice(t, d));
    putchar('}');
  }
  puts("}");
  segb_conntest_destroy(t);
  if (rc != SEGB_OK)
    fprintf(stderr, "segbridge: %s\n", segb_last_error_message());
  return api_exit(rc);
}

int cli_api_is_command(const char *cmd) {
  static const char *const cmds[] = {"workspace", "sources", "source",
                                     "profile", "test-connection"};
  size_t i;

  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (strcmp(cmd, cmds[i]) == 0)
      return 1;
  return 0;
}

/* Positional arguments each command takes. */
static int positionals(const char *cmd) {
  return strcmp(cmd, "profile") == 0 ? 2 : strcmp(cmd, "source") == 0 ? 1 : 0;
}

int cli_api_main(const char *cmd, int argc, char **argv) {
  api_opts o;
  segb_config_t *conf;
  segb_reader_t *r;
  segb_result_t *res;
  char err[SEGB_ERRSTR_SIZE];
  char **args;
  int rc;

  memset(&o, 0, sizeof o);
  o.timeout_ms = 30000;
  o.token = getenv("SEGMENT_PUBLIC_API_TOKEN");
  o.profile_token = getenv("SEGMENT_PROFILE_TOKEN");
  o.space = getenv("SEGMENT_SPACE_ID");
  o.write_key = getenv("SEGMENT_WRITE_KEY");
  rc = parse(argc, argv, &o);
  if (rc != CLI_OK)
    return rc;
  if (argc - optind != positionals(cmd))
    return usage_error(argc - optind < positionals(cmd)
                           ? "missing arguments"
                           : "too many arguments");
  args = argv + optind;
  conf = config(&o);
  if (conf == NULL)
    return CLI_USAGE;
  if (strcmp(cmd, "test-connection") == 0) {
    rc = test_connection(&o, conf);
    segb_config_destroy(conf);
    return rc;
  }
  r = segb_reader_new(conf, err, sizeof err);
  if (r == NULL) {
    segb_config_destroy(conf);
    fprintf(stderr, "segbridge: %s\n", err);
    return api_exit(segb_last_error());
  }
  if (strcmp(cmd, "workspace") == 0) {
    rc = segb_workspace_get(r, &res);
    rc = print_result(rc, res);
  } else if (strcmp(cmd, "source") == 0) {
    rc = segb_source_get(r, args[0], &res);
    rc = print_result(rc, res);
  } else if (strcmp(cmd, "sources") == 0)
    rc = sources(r, &o);
  else
    rc = profile(r, &o, args[0], args[1]);
  segb_reader_destroy(r);
  return rc;
}
