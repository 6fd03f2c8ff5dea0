/* segbridge token: one OAuth token request with the connection and OAuth
 * options, the server's answer printed as JSON, for checking an OAuth setup.
 * The access token is printed: that is what the command is for. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_token(const char *name, const cli_opts *o, char **args) {
  segb_config_t *conf;
  char *json;
  size_t len;
  int rc;

  (void)name;
  (void)args;
  if (o->oauth_client_id == NULL) {
    fprintf(stderr, "segbridge: token needs --oauth-client-id, "
                    "--oauth-key-id and --oauth-key-file\n");
    return CLI_USAGE;
  }
  conf = cli_config(o, CLI_FOR_TOKEN);
  if (conf == NULL)
    return CLI_USAGE;
  rc = segb_oauth_fetch_token(conf, &json, &len);
  segb_config_destroy(conf);
  if (rc != SEGB_OK) {
    fprintf(stderr, "segbridge: %s: %s\n", segb_err_name(rc),
            segb_last_error_message());
    return cli_exit_code(rc);
  }
  printf("%.*s\n", (int)len, json);
  memset(json, 0, len);
  segb_free(json);
  return CLI_OK;
}
