/* --dry-run on the public API: the bundled mock, started in this process on
 * a loopback port, stands in for Segment and answers as it would; each
 * request it receives is printed on standard output as sent to the real
 * destination, with the credentials redacted. Nothing leaves the machine:
 * the client's endpoint is the mock, and no proxy is used, neither
 * --proxy nor one from the environment. The mock keeps only its last few
 * requests, so a dry-run import's memory stays flat however long the
 * input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Requests the mock keeps. Each report prints the request it answers
 * (cli_tally_report), so a flush never sends more than one unprinted
 * batch; the margin is for retries. */
#define DRY_RUN_KEEP 64

/* Tracking API hosts by region, for the destination line only (the client
 * itself is pointed at the mock). */
static const char *const region_hosts[][2] = {
    {"us", "https://api.segment.io"},
    {"eu", "https://events.eu1.segmentapis.com"},
};

/* --endpoint as the client reads it: https:// when no scheme is given, and
 * trailing slashes and /v1 dropped (the request paths carry /v1). */
static void endpoint_base(const char *endpoint, char *out, size_t size) {
  size_t len;

  snprintf(out, size, "%s%s", strstr(endpoint, "://") ? "" : "https://",
           endpoint);
  len = strlen(out);
  while (len > 0 && out[len - 1] == '/')
    len--;
  if (len >= 3 && memcmp(out + len - 3, "/v1", 3) == 0)
    len -= 3;
  while (len > 0 && out[len - 1] == '/')
    len--;
  out[len] = '\0';
}

static void destination(const cli_opts *o, char *out, size_t size) {
  const char *region = o->region != NULL ? o->region : "us";
  size_t i;

  if (o->endpoint != NULL) {
    endpoint_base(o->endpoint, out, size);
    return;
  }
  for (i = 0; i < sizeof region_hosts / sizeof region_hosts[0]; i++)
    if (strcmp(region, region_hosts[i][0]) == 0)
      snprintf(out, size, "%s", region_hosts[i][1]);
}

int cli_dry_run_start(cli_dry_run *d, const cli_opts *o, segb_config_t *conf) {
  char err[256], conf_err[SEGB_ERRSTR_SIZE];
  sbm_options mo;

  memset(d, 0, sizeof *d);
  memset(&mo, 0, sizeof mo);
  d->gzip = o->gzip;
  destination(o, d->destination, sizeof d->destination);
  /* libcurl reads the proxy variables at each request; none is wanted for
   * loopback. */
  if (setenv("no_proxy", "*", 1) != 0 || setenv("NO_PROXY", "*", 1) != 0) {
    fprintf(stderr, "segbridge: out of memory\n");
    return CLI_OTHER;
  }
  mo.quiet = 1;
  mo.keep = DRY_RUN_KEEP;
  d->mock = sbm_start(&mo, err, sizeof err);
  if (d->mock == NULL) {
    fprintf(stderr, "segbridge: --dry-run: cannot start the local mock: %s\n",
            err);
    return CLI_OTHER;
  }
  if (segb_config_set(conf, "endpoint", sbm_url(d->mock), conf_err,
                      sizeof conf_err) != SEGB_OK ||
      segb_config_set(conf, "http.proxy", "", conf_err, sizeof conf_err) !=
          SEGB_OK) {
    fprintf(stderr, "segbridge: %s\n", conf_err);
    cli_dry_run_stop(d);
    return CLI_OTHER;
  }
  return CLI_OK;
}

/* Print a body with the value of "writeKey" replaced. */
static void print_redacted_body(const char *body) {
  static const char key[] = "\"writeKey\":\"";
  const char *at = strstr(body, key);
  const char *end;

  if (at == NULL) {
    printf("%s\n", body);
    return;
  }
  at += sizeof key - 1;
  for (end = at; *end != '\0' && *end != '"'; end++)
    if (*end == '\\' && end[1] != '\0')
      end++;
  printf("%.*s[redacted]%s\n", (int)(at - body), body, end);
}

/* The header @name of request @i as "Name: value", if it was sent. */
static void print_header(sbm_mock *m, size_t i, const char *name) {
  char *value = sbm_request_header(m, i, name);

  if (value == NULL)
    return;
  if (strcmp(name, "Authorization") == 0)
    printf("%s: %.*s [redacted]\n", name, (int)strcspn(value, " "), value);
  else if (strcmp(name, "Content-Encoding") == 0)
    printf("%s: %s (the body below is before compression)\n", name, value);
  else
    printf("%s: %s\n", name, value);
  free(value);
}

void cli_dry_run_print(cli_dry_run *d) {
  static const char *const headers[] = {"User-Agent", "Content-Encoding",
                                        "Content-Type", "Authorization",
                                        "X-Retry-Count"};
  size_t h;

  for (; sbm_request_status(d->mock, d->printed) != -1; d->printed++) {
    char *path = sbm_request_path(d->mock, d->printed);
    char *body = sbm_request_body(d->mock, d->printed);

    /* the mock serves only POST routes; others get 405 */
    printf("POST %s%s\n", d->destination, path != NULL ? path : "");
    for (h = 0; h < sizeof headers / sizeof headers[0]; h++)
      print_header(d->mock, d->printed, headers[h]);
    printf("\n");
    print_redacted_body(body != NULL ? body : "");
    free(path);
    free(body);
  }
  fflush(stdout);
}

void cli_dry_run_stop(cli_dry_run *d) {
  if (d->mock == NULL)
    return;
  cli_dry_run_print(d);
  sbm_stop(d->mock);
  d->mock = NULL;
}
