/* The reader's teardown and the one GET every read call goes through; it
 * is built from a config in setup.c. */
#include <stdlib.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "core/err.h"

/* Free what sbi_reader_new() built; the config goes back to the caller
 * unless @conf_too. The auth providers wipe their tokens. */
void sbi_reader_free(segb_reader_t *r, int conf_too) {
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

void segb_reader_destroy(segb_reader_t *r) {
  if (r != NULL)
    sbi_reader_free(r, 1);
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
