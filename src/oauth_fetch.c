/* segb_oauth_fetch_token: one token request with a config's OAuth
 * settings, outside any client, for checking a setup (`segbridge token`). */
#include <segbridge/client.h>

#include <stdlib.h>
#include <string.h>

#include "auth/oauth.h"
#include "core/err.h"
#include "core/secret.h"
#include "setup.h"
#include "transport/transport.h"

int segb_oauth_fetch_token(const segb_config_t *conf, char **json,
                           size_t *len) {
  sbi_http_response resp;
  sbi_transport *t;
  sbi_auth *auth;
  int rc;

  if (json != NULL)
    *json = NULL;
  if (len != NULL)
    *len = 0;
  if (conf == NULL || json == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "segb_oauth_fetch_token: %s is NULL",
                     conf == NULL ? "conf" : "json");
  t = sbi_setup_transport(conf, SBI_API_OAUTH);
  auth = t != NULL ? sbi_oauth_from_conf(conf, t, 1) : NULL;
  if (auth == NULL)
    return segb_last_error();
  memset(&resp, 0, sizeof resp);
  rc = sbi_oauth_fetch(auth, &resp);
  if (rc == SEGB_OK) {
    *json = malloc(resp.body.len + 1);
    if (*json == NULL) {
      rc = sbi_error(SEGB_ERR_NOMEM, "out of memory copying a token answer");
    } else {
      memcpy(*json, resp.body.data, resp.body.len);
      (*json)[resp.body.len] = '\0';
      if (len != NULL)
        *len = resp.body.len;
    }
  }
  sbi_secret_wipe(resp.body.data, resp.body.cap);
  sbi_http_response_free(&resp);
  auth->destroy(auth);
  return rc;
}
