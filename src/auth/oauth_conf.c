/* The OAuth provider from a configuration: which settings turn OAuth on,
 * which must come together, and the region's authorization server. */
#include "oauth.h"

#include <string.h>

#include <segbridge/error.h>

#include "config/props.h"
#include "config/region.h"
#include "core/err.h"

int sbi_oauth_configured(const segb_config_t *conf) {
  return sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID) != NULL ||
         sbi_conf_str(conf, SBI_PROP_OAUTH_KEY_ID) != NULL ||
         sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY) != NULL ||
         sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY_FILE) != NULL;
}

/* Tokens are bound to their region: a server set by hand that is the other
 * region's would hand out tokens the Tracking API refuses. */
static int check_region(const char *server, int region) {
  const char *us = sbi_region_base(SBI_REGION_US, SBI_API_OAUTH);
  const char *eu = sbi_region_base(SBI_REGION_EU, SBI_API_OAUTH);

  if (region == SBI_REGION_EU && strcmp(server, us) == 0)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "oauth.server %s is Segment's US server but region is "
                     "eu: EU tokens come from %s",
                     us, eu);
  if (region == SBI_REGION_US && strcmp(server, eu) == 0)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "oauth.server %s is Segment's EU server but region is "
                     "us: set region=eu for an EU workspace",
                     eu);
  return SEGB_OK;
}

/* The settings that must come together, named when one is missing. */
static int check_settings(const segb_config_t *conf) {
  const char *pem = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY);
  const char *file = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY_FILE);

  if (sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID) == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "OAuth settings are given but oauth.client_id is empty: "
                     "set it to the OAuth app's ID");
  if (sbi_conf_str(conf, SBI_PROP_OAUTH_KEY_ID) == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "oauth.key_id is empty: set it to the ID Segment shows "
                     "for the public key uploaded to the OAuth app");
  if (pem == NULL && file == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "OAuth needs a private key: set oauth.private_key or "
                     "oauth.private_key_file");
  if (pem != NULL && file != NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "oauth.private_key and oauth.private_key_file are both "
                     "set: keep one");
  return SEGB_OK;
}

sbi_auth *sbi_oauth_from_conf(const segb_config_t *conf,
                              sbi_transport *transport, int own_transport) {
  sbi_oauth_options o;
  sbi_buf server = SBI_BUF_INIT;
  sbi_auth *auth = NULL;
  int rc = check_settings(conf);

  rc = rc ? rc : sbi_api_base(conf, SBI_API_OAUTH, &server);
  rc = rc ? rc
          : check_region(server.data, (int)sbi_conf_int(conf, SBI_PROP_REGION));
  if (rc == SEGB_OK) {
    o.client_id = sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID);
    o.key_id = sbi_conf_str(conf, SBI_PROP_OAUTH_KEY_ID);
    o.private_key_pem = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY);
    o.private_key_file = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY_FILE);
    o.scope = sbi_conf_str(conf, SBI_PROP_OAUTH_SCOPE);
    o.server = server.data;
    o.write_key = sbi_conf_str(conf, SBI_PROP_WRITE_KEY);
    o.after_max_ms = sbi_conf_int(conf, SBI_PROP_RETRY_AFTER_MAX_MS);
    o.transport = transport;
    o.own_transport = own_transport;
    auth = sbi_oauth_auth_new(&o);
  } else if (own_transport && transport != NULL) {
    transport->destroy(transport);
  }
  sbi_buf_free(&server);
  return auth;
}
