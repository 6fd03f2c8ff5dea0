/* Helpers every command shares: exit codes, config from options, tallies. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_exit_code(int err) {
  switch (err) {
  case SEGB_OK:
    return CLI_OK;
  case SEGB_ERR_AUTH:
  case SEGB_ERR_OAUTH_INVALID_CLIENT:
  case SEGB_ERR_OAUTH_INVALID_SCOPE:
    return CLI_AUTH;
  case SEGB_ERR_RATE_LIMITED:
  case SEGB_ERR_DNS:
  case SEGB_ERR_CONNECT:
  case SEGB_ERR_TLS:
  case SEGB_ERR_NETWORK:
  case SEGB_ERR_TIMED_OUT:
  case SEGB_ERR_SERVER:
  case SEGB_ERR_RETRIES_EXHAUSTED:
  case SEGB_ERR_CLOSED:
    return CLI_NETWORK;
  case SEGB_ERR_NOMEM:
  case SEGB_ERR_SYSTEM:
    return CLI_OTHER;
  default:
    /* everything else is about the input or the settings */
    return CLI_USAGE;
  }
}

/* Set one property or explain why not. */
static int set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL || segb_config_set(conf, name, value, err, sizeof err) ==
                           SEGB_OK)
    return 1;
  fprintf(stderr, "segbridge: %s\n", err);
  return 0;
}

segb_config_t *cli_config(const cli_opts *o) {
  segb_config_t *conf = segb_config_new();
  char http_timeout[24];

  if (conf == NULL) {
    fprintf(stderr, "segbridge: out of memory\n");
    return NULL;
  }
  /* A dry run sends nothing, and a token request is a request. */
  if (o->dry_run && (o->oauth_client_id != NULL || o->oauth_key_id != NULL ||
                     o->oauth_key_file != NULL)) {
    fprintf(stderr, "segbridge: --dry-run cannot use OAuth (it would fetch "
                    "a token); try `segbridge token` to check OAuth\n");
    segb_config_destroy(conf);
    return NULL;
  }
  /* one request may not outlast the whole delivery budget */
  snprintf(http_timeout, sizeof http_timeout, "%d",
           o->timeout_ms < 15000 ? o->timeout_ms : 15000);
  if (set(conf, "write_key", o->write_key) && set(conf, "region", o->region) &&
      set(conf, "endpoint", o->endpoint) && set(conf, "http.ca_file", o->ca_file) &&
      set(conf, "http.proxy", o->proxy) &&
      set(conf, "compression", o->gzip ? "gzip" : NULL) &&
      set(conf, "http.timeout_ms", http_timeout) &&
      set(conf, "dispatch.mode", "inline") &&
      set(conf, "oauth.client_id", o->oauth_client_id) &&
      set(conf, "oauth.key_id", o->oauth_key_id) &&
      set(conf, "oauth.private_key_file", o->oauth_key_file) &&
      set(conf, "oauth.scope", o->oauth_scope) &&
      set(conf, "oauth.server", o->oauth_server))
    return conf;
  segb_config_destroy(conf);
  return NULL;
}

void cli_tally_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque) {
  cli_tally *t = opaque;
  int err = segb_report_err(report);

  (void)client;
  if (err == SEGB_OK) {
    t->delivered++;
    if (t->verbose && t->dry_run)
      fprintf(stderr, "not sent %s: dry run (its request is shown on "
                      "standard output)\n",
              segb_report_message_id(report));
    else if (t->verbose)
      fprintf(stderr, "delivered %s (HTTP %d, %d request%s)\n",
              segb_report_message_id(report), segb_report_http_status(report),
              segb_report_attempts(report),
              segb_report_attempts(report) == 1 ? "" : "s");
    return;
  }
  if (t->failed++ == 0) {
    t->first_err = err;
    snprintf(t->first_errstr, sizeof t->first_errstr, "%s",
             segb_report_errstr(report));
  }
  if (t->verbose)
    fprintf(stderr, "dropped %s: %s: %s\n", segb_report_message_id(report),
            segb_err_name(err), segb_report_errstr(report));
}
