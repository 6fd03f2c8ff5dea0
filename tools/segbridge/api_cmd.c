/* segbridge workspace | sources | source | profile | test-connection: read
 * the Public API and the Profile API, and check every configured
 * direction. Output is JSON on stdout: one object, or NDJSON when --all
 * walks pages. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char cli_read_usage[] =
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
  fprintf(stderr, "segbridge: %s\n%s", why, cli_read_usage);
  return CLI_USAGE;
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
                             SEGB_PROFILE_EXTERNAL_IDS, SEGB_PROFILE_METADATA};
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return what[i];
  return -1;
}

static int profile(segb_reader_t *r, const cli_opts *o, const char *kind,
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

static int sources(segb_reader_t *r, const cli_opts *o) {
  segb_result_t *res;
  segb_pager_t *pager;
  int rc;

  if (!o->all) {
    rc = segb_sources_list(r, (int32_t)o->count, o->cursor, &res);
    return print_result(rc, res);
  }
  rc = segb_sources_pager(r, (int32_t)o->count, &pager);
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

static int test_connection(const cli_opts *o, segb_config_t *conf) {
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

int cli_read(const char *cmd, const cli_opts *o, char **args) {
  segb_config_t *conf;
  segb_reader_t *r;
  segb_result_t *res;
  char err[SEGB_ERRSTR_SIZE];
  int rc;

  conf = cli_config(o, CLI_FOR_READ);
  if (conf == NULL)
    return CLI_USAGE;
  if (strcmp(cmd, "test-connection") == 0) {
    rc = test_connection(o, conf);
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
    rc = sources(r, o);
  else
    rc = profile(r, o, args[0], args[1]);
  segb_reader_destroy(r);
  return rc;
}
