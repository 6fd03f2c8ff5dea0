/* Helpers every command shares: exit codes and tallies. */
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

void cli_tally_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque) {
  cli_tally *t = opaque;
  int err = segb_report_err(report);

  (void)client;
  if (t->dry_run != NULL) /* the request this report answers, first */
    cli_dry_run_print(t->dry_run);
  if (err == SEGB_OK) {
    t->delivered++;
    if (t->verbose && t->dry_run != NULL)
      fprintf(stderr,
              "not sent %s: dry run (its request is shown on "
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
