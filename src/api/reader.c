/* The reader: config -> tokens -> base URLs -> transport, and the one GET
 * every read call goes through. */
#include <stdio.h>
#include <stdlib.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "config/props.h"
#include "config/region.h"
#include "core/err.h"

static int setup_auth(segb_reader_t *r) {
  const char *token = sbi_conf_str(r->conf, SBI_PROP_PUBLIC_API_TOKEN);
  const char *profile = sbi_conf_str(r->conf, SBI_PROP_PROFILE_API_TOKEN);

  if (token == NULL && profile == NULL)
    return sbi_error(SEGB_ERR_NO_CREDENTIALS,
                     "no public_api.token or profile_api.token: a reader "
                     "needs a Public API token or a Profile API access "
                     "token");
  if (token != NULL && (r->public_auth = sbi_token_auth_new(token)) == NULL)
    return sbi_error_prefix(segb_last_error(), "public_api.token");
  /* The Profile API's Basic credentials are those of a write key:
   * base64("<token>:"). */
  if (profile != NULL &&
      (r->profile_auth = sbi_write_key_auth_new(profile, 0)) == NULL)
    return sbi_error_prefix(segb_last_error(), "profile_api.token");
  return SEGB_OK;
}

static int setup_bases(segb_reader_t *r) {
  sbi_buf pub = SBI_BUF_INIT, prof = SBI_BUF_INIT;
  int rc = sbi_api_base(r->conf, SBI_API_PUBLIC, &pub);

  rc = rc ? rc : sbi_api_base(r->conf, SBI_API_PROFILE, &prof);
  if (rc != SEGB_OK) {
    sbi_buf_free(&pub);
    sbi_buf_free(&prof);
    return rc;
  }
  r->public_base = pub.data;
  r->profile_base = prof.data;
  return SEGB_OK;
}

static int setup_transport(segb_reader_t *r) {
  if (r->transport == NULL)
    r->transport = sbi_curl_transport_from_conf(r->conf, 0);
  return r->transport != NULL ? SEGB_OK : segb_last_error();
}

/* Free what sbi_reader_new built; the config goes back to the caller
 * unless @conf_too. The auth providers wipe their tokens. */
static void teardown(segb_reader_t *r, int conf_too) {
  sbi_api_http_free(&r->http);
  if (r->public_auth != NULL)
    r->public_auth->destroy(r->public_auth);
  if (r->profile_auth != NULL)
    r->profile_auth->destroy(r->profile_auth);
  if (r->transport != NULL)
    r->transport->destroy(r->transport);
  free(r->public_base);
  free(r->profile_base);
  if (conf_too)
    segb_config_destroy(r->conf);
  free(r);
  sbi_global_cleanup();
}

segb_reader_t *segb_reader_new(segb_config_t *conf, char *errstr,
                               size_t errstr_size) {
  return sbi_reader_new(conf, NULL, errstr, errstr_size);
}

segb_reader_t *sbi_reader_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size) {
  segb_reader_t *r;
  int rc;

  if (conf == NULL || (rc = sbi_global_init()) < 0) {
    if (transport != NULL)
      transport->destroy(transport);
    if (conf == NULL)
      sbi_error_errstr(errstr, errstr_size, SEGB_ERR_INVALID_ARG,
                       "configuration is NULL");
    else
      sbi_error_errstr(errstr, errstr_size, rc, "%s",
                       segb_last_error_message());
    return NULL;
  }
  r = calloc(1, sizeof *r);
  if (r == NULL) {
    if (transport != NULL)
      transport->destroy(transport);
    sbi_global_cleanup();
    sbi_error_errstr(errstr, errstr_size, SEGB_ERR_NOMEM,
         "out of memory creating a reader");
    return NULL;
  }
  r->conf = conf;
  r->transport = transport;
  rc = setup_auth(r);
  rc = rc ? rc : setup_bases(r);
  rc = rc ? rc : setup_transport(r);
  if (rc != SEGB_OK) {
    char why[SBI_ERR_DETAIL_MAX];
    snprintf(why, sizeof why, "%s", segb_last_error_message());
    teardown(r, 0);
    sbi_error_errstr(errstr, errstr_size, rc, "%s", why);
    return NULL;
  }
  r->http.transport = r->transport;
  sbi_api_limits_from(conf, &r->http.limits);
  return r;
}

void segb_reader_destroy(segb_reader_t *r) {
  if (r != NULL)
    teardown(r, 1);
}

int sbi_reader_get(segb_reader_t *r, sbi_api api, const char *url,
                   const char *missing, const char *data_path,
                   sbi_cursor_style style, segb_result_t **out) {
  sbi_api_call call = {0};
  int rc;

  call.api = api;
  call.auth = api == SBI_API_PUBLIC ? r->public_auth : r->profile_auth;
  call.method = "GET";
  call.url = url;
  call.missing = missing;
  if (call.auth == NULL)
    return sbi_error(SEGB_ERR_NO_CREDENTIALS,
                     api == SBI_API_PUBLIC
                         ? "no public_api.token: create a Public API token "
                           "in Settings > Access Management > Tokens"
                         : "no profile_api.token: copy the access token "
                           "from Unify settings > API access");
  rc = sbi_api_perform(&r->http, &call);
  return rc ? rc : sbi_result_new(&r->http.resp, url, data_path, style, out);
}
