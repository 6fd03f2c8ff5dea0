/* segbridge spool status DIR: what a spool directory holds (events kept
 * and their bytes, the oldest, damage a client would cut off, the process
 * holding it), as the JSON object segb_spool_status() gives. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_spool(const char *name, const cli_opts *o, char **args) {
  char *json;
  size_t len;
  int rc;

  (void)name;
  (void)o;
  if (strcmp(args[0], "status") != 0) {
    fprintf(stderr, "segbridge: spool: unknown subcommand \"%s\" (status)\n",
            args[0]);
    return CLI_USAGE;
  }
  rc = segb_spool_status(args[1], &json, &len);
  if (rc != SEGB_OK) {
    fprintf(stderr, "segbridge: %s: %s\n", segb_err_name(rc),
            segb_last_error_message());
    return rc == SEGB_ERR_NOT_FOUND ? CLI_NOT_FOUND : cli_exit_code(rc);
  }
  printf("%.*s\n", (int)len, json);
  segb_free(json);
  return CLI_OK;
}
