/* The read directions of Test Connection: the Public API token against
 * GET / (token type and region), and the Profile API token and space
 * against a profile lookup, where 404 means the token was accepted. */
#include <stdio.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/conncheck.h"
#include "api/conntest.h"
#include "api/reader.h"
#include "config/props.h"
#include "core/err.h"

/* A profile that should not exist: its lookup checks only the token. */
#define SBI_TEST_PROFILE "user_id:segbridge-test-connection"

/* The guide's troubleshooting table, for the read directions. */
static const char *advice(int direction, int err) {
  int public_api = direction == SEGB_CHECK_RECEIVE;

  switch (err) {
  case SEGB_ERR_AUTH:
    return public_api
               ? "Public API token rejected (wrong token type or region "
                 "mismatch): use a Public API token from Settings > Access "
                 "Management > Tokens, not a Config API token, and verify "
                 "the region: EU workspaces read from "
                 "https://eu1.api.segmentapis.com (region=eu)"
               : "Profile API token rejected: use the access token of the "
                 "Unify space (Unify settings > API access) and verify the "
                 "region: EU spaces read from "
                 "https://profiles.euw1.segment.com (region=eu)";
  case SEGB_ERR_RATE_LIMITED:
    return "Rate limiting (429): reduce the sync frequency or upgrade the "
           "Segment plan";
  case SEGB_ERR_NOT_FOUND:
    return "the endpoint is not the Public API: check public_api.endpoint "
           "or leave it empty to use the region's host";
  case SEGB_ERR_INVALID_VALUE:
    return "fix the setting named in the detail";
  case SEGB_ERR_DNS:
  case SEGB_ERR_CONNECT:
  case SEGB_ERR_TLS:
  case SEGB_ERR_TIMED_OUT:
  case SEGB_ERR_NETWORK:
    return "check network access to the API host and the region setting";
  default:
    return "";
  }
}

static void report(segb_conntest_t *t, int direction, int err,
                   const char *detail) {
  sbi_conntest_set(t, direction,
                   err == SEGB_OK ? SEGB_VERDICT_PASSED : SEGB_VERDICT_FAILED,
                   err, detail, err == SEGB_OK ? "" : advice(direction, err));
}

/* A reader on a copy of @conf, or NULL after reporting why. */
static segb_reader_t *open_reader(const segb_config_t *conf,
                                  int32_t timeout_ms, segb_conntest_t *t,
                                  int direction) {
  segb_config_t *dup = sbi_check_config(conf, timeout_ms);
  char err[SEGB_ERRSTR_SIZE];
  segb_reader_t *r;

  if (dup == NULL) {
    report(t, direction, segb_last_error(), segb_last_error_message());
    return NULL;
  }
  r = segb_reader_new(dup, err, sizeof err);
  if (r == NULL) {
    report(t, direction, segb_last_error(), err);
    segb_config_destroy(dup);
  }
  return r;
}

void sbi_check_receive(const segb_config_t *conf, int32_t timeout_ms,
                       segb_conntest_t *t) {
  char host[128], detail[SBI_ERR_DETAIL_MAX];
  segb_result_t *res = NULL;
  segb_reader_t *r;
  int rc;

  if (sbi_conf_str(conf, SBI_PROP_PUBLIC_API_TOKEN) == NULL) {
    sbi_conntest_set(t, SEGB_CHECK_RECEIVE, SEGB_VERDICT_SKIPPED, SEGB_OK,
                     "no public_api.token: the receive direction is not "
                     "configured",
                     "");
    return;
  }
  r = open_reader(conf, timeout_ms, t, SEGB_CHECK_RECEIVE);
  if (r == NULL)
    return;
  rc = segb_workspace_get(r, &res);
  if (rc == SEGB_OK) {
    const segb_json_t *ws = segb_result_data(res);
    const char *name = segb_json_get_string(ws, "name");
    const char *slug = segb_json_get_string(ws, "slug");

    sbi_url_host(r->public_base, host, sizeof host);
    snprintf(detail, sizeof detail,
             "Public API token accepted by %s: workspace \"%.100s\" (%.100s)",
             host, name != NULL ? name : "?", slug != NULL ? slug : "?");
  } else {
    snprintf(detail, sizeof detail, "%s", segb_last_error_message());
  }
  report(t, SEGB_CHECK_RECEIVE, rc, detail);
  segb_result_destroy(res);
  segb_reader_destroy(r);
}

void sbi_check_profiles(const segb_config_t *conf, int32_t timeout_ms,
                        segb_conntest_t *t) {
  char host[128], detail[SBI_ERR_DETAIL_MAX];
  segb_result_t *res = NULL;
  segb_reader_t *r;
  int rc;

  if (sbi_conf_str(conf, SBI_PROP_PROFILE_API_TOKEN) == NULL) {
    sbi_conntest_set(t, SEGB_CHECK_PROFILES, SEGB_VERDICT_SKIPPED, SEGB_OK,
                     "no profile_api.token: profile reads are not "
                     "configured",
                     "");
    return;
  }
  r = open_reader(conf, timeout_ms, t, SEGB_CHECK_PROFILES);
  if (r == NULL)
    return;
  rc = segb_profile_get(r, SEGB_PROFILE_METADATA, SBI_TEST_PROFILE, NULL,
                        NULL, &res);
  if (rc == SEGB_OK || rc == SEGB_ERR_NOT_FOUND) {
    sbi_url_host(r->profile_base, host, sizeof host);
    snprintf(detail, sizeof detail,
             "Profile API token accepted by %s for space %.100s (looking up "
             SBI_TEST_PROFILE " answered %s)",
             host, sbi_conf_str(conf, SBI_PROP_PROFILE_API_SPACE_ID),
             rc == SEGB_OK ? "a profile" : "404, no such profile");
    rc = SEGB_OK;
  } else {
    snprintf(detail, sizeof detail, "%s", segb_last_error_message());
  }
  report(t, SEGB_CHECK_PROFILES, rc, detail);
  segb_result_destroy(res);
  segb_reader_destroy(r);
}
