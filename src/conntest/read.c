/* The read directions of Test Connection: the Public API token against
 * GET / (token type and region), and the Profile API token and space
 * against a profile lookup, where 404 means the token was accepted. */
#include <stdio.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "config/props.h"
#include "conntest/conntest.h"
#include "core/err.h"

/* A profile that should not exist: its lookup checks only the token. */
#define SBI_TEST_PROFILE "user_id:segbridge-test-connection"

/* The receive check's call: GET /, the workspace named in @detail. */
static int ask_workspace(segb_reader_t *r, char *detail, size_t size) {
  segb_result_t *res = NULL;
  int rc = segb_workspace_get(r, &res);

  if (rc == SEGB_OK) {
    const segb_json_t *ws = segb_result_data(res);
    const char *name = segb_json_get_string(ws, "name");
    const char *slug = segb_json_get_string(ws, "slug");
    char host[128];

    sbi_url_host(r->public_base, host, sizeof host);
    snprintf(detail, size,
             "Public API token accepted by %s: workspace \"%.100s\" (%.100s)",
             host, name != NULL ? name : "?", slug != NULL ? slug : "?");
  }
  segb_result_destroy(res);
  return rc;
}

/* The profiles check's call: a lookup that passes when answered 200 or
 * 404, the token being accepted either way. */
static int ask_profile(segb_reader_t *r, char *detail, size_t size) {
  segb_result_t *res = NULL;
  int rc = segb_profile_get(r, SEGB_PROFILE_METADATA, SBI_TEST_PROFILE, NULL,
                            NULL, &res);

  if (rc == SEGB_OK || rc == SEGB_ERR_NOT_FOUND) {
    char host[128];

    sbi_url_host(r->profile_base, host, sizeof host);
    snprintf(detail, size,
             "Profile API token accepted by %s for space %.100s (looking "
             "up " SBI_TEST_PROFILE " answered %s)",
             host, sbi_conf_str(r->conf, SBI_PROP_PROFILE_API_SPACE_ID),
             rc == SEGB_OK ? "a profile" : "404, no such profile");
    rc = SEGB_OK;
  }
  segb_result_destroy(res);
  return rc;
}

/* The read directions, indexed by direction. */
static const struct read_check {
  sbi_api api;
  sbi_prop_id token;
  const char *unconfigured; /* the detail of a skipped check */
  int (*ask)(segb_reader_t *r, char *detail, size_t size);
} read_checks[] = {
    [SEGB_CHECK_RECEIVE] = {SBI_API_PUBLIC, SBI_PROP_PUBLIC_API_TOKEN,
                            "no public_api.token: the receive direction is "
                            "not configured",
                            ask_workspace},
    [SEGB_CHECK_PROFILES] = {SBI_API_PROFILE, SBI_PROP_PROFILE_API_TOKEN,
                             "no profile_api.token: profile reads are not "
                             "configured",
                             ask_profile},
};

void sbi_check_read(const segb_config_t *conf, int direction,
                    int32_t timeout_ms, segb_conntest_t *t) {
  const struct read_check *c = &read_checks[direction];
  char detail[SBI_ERR_DETAIL_MAX];
  segb_config_t *dup;
  segb_reader_t *r;
  int rc;

  if (sbi_conf_str(conf, c->token) == NULL) {
    sbi_conntest_skip(t, direction, c->unconfigured);
    return;
  }
  /* A reader on a copy of @conf: the reader takes the copy. */
  dup = sbi_conntest_config(conf, timeout_ms);
  if (dup == NULL) {
    rc = segb_last_error();
    snprintf(detail, sizeof detail, "%s", segb_last_error_message());
  } else if ((r = segb_reader_new(dup, detail, sizeof detail)) == NULL) {
    rc = segb_last_error();
    segb_config_destroy(dup);
  } else {
    rc = c->ask(r, detail, sizeof detail);
    if (rc != SEGB_OK)
      snprintf(detail, sizeof detail, "%s", segb_last_error_message());
    segb_reader_destroy(r);
  }
  sbi_conntest_set(t, direction, c->api, rc, detail, NULL);
}
