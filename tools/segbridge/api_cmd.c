/* segbridge workspace | sources | source | profile | test-connection: read
 * the Public API and the Profile API, and check every configured
 * direction. The reads print JSON on stdout: one object, or NDJSON when
 * --all walks pages; test-connection a line per direction, or JSON with
 * --json. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int api_exit(int err) {
  if (err == SEGB_ERR_NOT_FOUND)
    return CLI_NOT_FOUND;
  if (err == SEGB_ERR_BAD_RESPONSE)
    return CLI_OTHER;
  return cli_exit_code(err);
}

static int fail(int err) {
  cli_error(segb_last_error_message());
  return api_exit(err);
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

  if (what < 0) {
    fprintf(stderr,
            "segbridge: profile reads traits, events, external-ids "
            "or metadata, not \"%s\"\n",
            kind);
    return CLI_USAGE;
  }
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

static const char *const directions[] = {"send", "receive", "profiles"};
static const char *const verdicts[] = {"passed", "failed", "skipped"};

/* --json: one object, a member per direction. */
static void print_checks_json(const segb_conntest_t *t) {
  int d;

  putchar('{');
  for (d = 0; d < SEGB_CHECK_COUNT; d++) {
    printf("%s\"%s\":{\"verdict\":\"%s\",\"error\":\"%s\",\"detail\":",
           d > 0 ? "," : "", directions[d],
           verdicts[segb_conntest_verdict(t, d)],
           segb_err_name(segb_conntest_err(t, d)));
    put_string(segb_conntest_detail(t, d));
    fputs(",\"advice\":", stdout);
    put_string(segb_conntest_advice(t, d));
    putchar('}');
  }
  puts("}");
}

/* A line per direction, its verdict and what was found; the advice, and
 * the error's name, under a failure. Properties named as flags. */
static void print_checks(const segb_conntest_t *t) {
  char text[2 * SEGB_ERRSTR_SIZE];
  int d;

  for (d = 0; d < SEGB_CHECK_COUNT; d++) {
    int verdict = segb_conntest_verdict(t, d);
    const char *advice = segb_conntest_advice(t, d);
    cli_flag_text(segb_conntest_detail(t, d), text, sizeof text);
    printf("%-9s %-8s %s\n", directions[d], verdicts[verdict], text);
    if (verdict == SEGB_VERDICT_FAILED)
      printf("%19s%s\n", "error: ", segb_err_name(segb_conntest_err(t, d)));
    if (advice[0] != '\0') {
      cli_flag_text(advice, text, sizeof text);
      printf("%19s%s\n", "fix: ", text);
    }
  }
}

static int test_connection(const cli_opts *o, segb_config_t *conf) {
  segb_conntest_t *t;
  int rc;

  rc = segb_test_connection(conf, o->no_send ? SEGB_TEST_NO_SEND : 0,
                            o->timeout_ms, &t);
  if (t == NULL)
    return fail(rc);
  if (o->json)
    print_checks_json(t);
  else
    print_checks(t);
  segb_conntest_destroy(t);
  if (rc != SEGB_OK)
    cli_error(segb_last_error_message());
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
    cli_error(err);
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
