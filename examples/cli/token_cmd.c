/* segbridge token: one OAuth token request with the connection and OAuth
 * options, the server's answer printed as JSON, for checking an OAuth setup.
 * The access token is printed: that is what the command is for. */
#include <stdio.h>
#include <string.h>

#include "auth/oauth.h"
#include "cli.h"
#include "core/secret.h"
#include "setup.h"

int cli_token(const cli_opts *o) {
  sbi_transport_options to = {0};
  sbi_http_response resp;
  segb_config_t *conf;
  sbi_transport *t;
  sbi_auth *auth;
  int rc;

  if (o->oauth_client_id == NULL) {
    fprintf(stderr, "segbridge: token needs --oauth-client-id, "
                    "--oauth-key-id and --oauth-key-file\n");
    return CLI_USAGE;
  }
  conf = cli_config(o);
  if (conf == NULL)
    return CLI_USAGE;
  to.timeout_ms = o->timeout_ms;
  to.connect_timeout_ms = o->timeout_ms;
  to.ca_file = o->ca_file;
  to.proxy = o->proxy;
  t = sbi_curl_transport_new(&to);
  auth = t != NULL ? sbi_oauth_from_conf(conf, t, 1) : NULL;
  segb_config_destroy(conf);
  if (auth == NULL) {
    fprintf(stderr, "segbridge: %s\n", segb_last_error_message());
    return cli_exit_code(segb_last_error());
  }
  memset(&resp, 0, sizeof resp);
  rc = sbi_oauth_fetch(auth, &resp);
  if (rc == SEGB_OK)
    printf("%.*s\n", (int)resp.body.len, resp.body.data);
  else
    fprintf(stderr, "segbridge: %s: %s\n", segb_err_name(rc),
            segb_last_error_message());
  sbi_secret_wipe(resp.body.data, resp.body.cap);
  sbi_http_response_free(&resp);
  auth->destroy(auth);
  return cli_exit_code(rc);
}
