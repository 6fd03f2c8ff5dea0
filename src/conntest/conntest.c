/* segb_test_connection(): every configured direction checked in turn,
 * each on its own copy of the config, bounded in time; the report, and the
 * troubleshooting advice it gives. */
#include "conntest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <segbridge/error.h>

#include "config/props.h"
#include "core/err.h"

typedef struct sbi_check {
  int verdict;
  int err;
  char detail[640];
  char advice[320];
} sbi_check;

struct segb_conntest_s {
  sbi_check dir[SEGB_CHECK_COUNT];
};

/* ---- the advice ----------------------------------------------------------
 * The integration guide's troubleshooting table, keyed by (API, error):
 * the first row naming the check's API and its error gives the advice. */

#define API(a) (1u << (a))
#define SEND (API(SBI_API_TRACKING) | API(SBI_API_OAUTH))
#define READ (API(SBI_API_PUBLIC) | API(SBI_API_PROFILE))
#define ANY_ERR 1 /* error codes are SEGB_OK or negative */
#define NETWORK 2 /* the network errors below */

#define SEND_NETWORK                                                           \
  "check network access to the Tracking API and the region: EU workspaces "    \
  "send to events.eu1.segmentapis.com (region=eu)"

static const struct advice_row {
  unsigned apis;
  int err;
  const char *advice;
} advice_table[] = {
    {SEND | READ, SEGB_ERR_RATE_LIMITED,
     "Rate limiting (429): reduce the sync frequency or upgrade the Segment "
     "plan"},
    {SEND, SEGB_ERR_NO_CREDENTIALS,
     "writeKey required: set write_key to the source's write key"},
    {SEND, NETWORK, SEND_NETWORK},
    /* the send check's event may also give up or stay undelivered */
    {SEND, SEGB_ERR_RETRIES_EXHAUSTED, SEND_NETWORK},
    {SEND, SEGB_ERR_CLOSED, SEND_NETWORK},
    {READ, NETWORK,
     "check network access to the API host and the region setting"},
    {API(SBI_API_OAUTH), ANY_ERR,
     "OAuth authentication fails: OAuth needs a Business tier plan; verify "
     "the app ID, key ID and RS256 key and that the source is connected to "
     "the OAuth app"},
    {API(SBI_API_TRACKING), SEGB_ERR_AUTH,
     "Write key rejected: regenerate the write key in the source settings, "
     "and check that region matches the workspace"},
    {API(SBI_API_PUBLIC), SEGB_ERR_AUTH,
     "Public API token rejected (wrong token type or region mismatch): use a "
     "Public API token from Settings > Access Management > Tokens, not a "
     "Config API token, and verify the region: EU workspaces read from "
     "https://eu1.api.segmentapis.com (region=eu)"},
    {API(SBI_API_PROFILE), SEGB_ERR_AUTH,
     "Profile API token rejected: use the access token of the Unify space "
     "(Unify settings > API access) and verify the region: EU spaces read "
     "from https://profiles.euw1.segment.com (region=eu)"},
    {API(SBI_API_PUBLIC), SEGB_ERR_NOT_FOUND,
     "the endpoint is not the Public API: check public_api.endpoint or leave "
     "it empty to use the region's host"},
    {READ, SEGB_ERR_INVALID_VALUE, "fix the setting named in the detail"},
};

static int is_network(int err) {
  return err == SEGB_ERR_DNS || err == SEGB_ERR_CONNECT ||
         err == SEGB_ERR_TLS || err == SEGB_ERR_TIMED_OUT ||
         err == SEGB_ERR_NETWORK;
}

const char *sbi_conntest_advice(sbi_api api, int err) {
  size_t i;

  for (i = 0; i < sizeof advice_table / sizeof advice_table[0]; i++) {
    const struct advice_row *row = &advice_table[i];

    if ((row->apis & API(api)) != 0 &&
        (row->err == err || row->err == ANY_ERR ||
         (row->err == NETWORK && is_network(err))))
      return row->advice;
  }
  return "";
}

/* ---- the report ---------------------------------------------------------- */

static void set(segb_conntest_t *t, int direction, int verdict, int err,
                const char *detail, const char *advice) {
  sbi_check *c = &t->dir[direction];

  c->verdict = verdict;
  c->err = err;
  snprintf(c->detail, sizeof c->detail, "%s", detail);
  snprintf(c->advice, sizeof c->advice, "%s", advice);
}

void sbi_conntest_set(segb_conntest_t *t, int direction, sbi_api api, int err,
                      const char *detail, const char *note) {
  if (err == SEGB_OK)
    set(t, direction, SEGB_VERDICT_PASSED, err, detail,
        note != NULL ? note : "");
  else
    set(t, direction, SEGB_VERDICT_FAILED, err, detail,
        sbi_conntest_advice(api, err));
}

void sbi_conntest_skip(segb_conntest_t *t, int direction, const char *detail) {
  set(t, direction, SEGB_VERDICT_SKIPPED, SEGB_OK, detail, "");
}

static const sbi_check *check(const segb_conntest_t *t, int32_t direction) {
  return t != NULL && direction >= 0 && direction < SEGB_CHECK_COUNT
             ? &t->dir[direction]
             : NULL;
}

int segb_conntest_verdict(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->verdict : -1;
}

int segb_conntest_err(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->err : SEGB_ERR_INVALID_ARG;
}

const char *segb_conntest_detail(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->detail : "";
}

const char *segb_conntest_advice(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->advice : "";
}

void segb_conntest_destroy(segb_conntest_t *t) { free(t); }

/* ---- the checks ---------------------------------------------------------- */

/* Set property @id to the number @v on @conf, or to its maximum when @v
 * is larger. */
static int set_ms(segb_config_t *conf, sbi_prop_id id, int64_t v) {
  const sbi_prop *p = sbi_prop_at((size_t)id);
  char text[24], err[SEGB_ERRSTR_SIZE];
  int rc;

  snprintf(text, sizeof text, "%" PRId64, v < p->max ? v : p->max);
  rc = segb_config_set(conf, p->name, text, err, sizeof err);
  return rc == SEGB_OK ? rc : sbi_error(rc, "%s", err);
}

segb_config_t *sbi_conntest_config(const segb_config_t *conf,
                                   int32_t timeout_ms) {
  segb_config_t *dup = segb_config_dup(conf);
  int64_t http_ms;

  if (dup == NULL)
    return NULL;
  /* One request may not take longer than the whole check, retries stop
   * when the check's time is up, and so does a read call. */
  http_ms = sbi_conf_int(dup, SBI_PROP_HTTP_TIMEOUT_MS);
  if (http_ms > timeout_ms)
    http_ms = timeout_ms;
  if (set_ms(dup, SBI_PROP_HTTP_TIMEOUT_MS, http_ms) != SEGB_OK ||
      set_ms(dup, SBI_PROP_RETRY_TOTAL_TIMEOUT_MS, timeout_ms) != SEGB_OK ||
      set_ms(dup, SBI_PROP_API_TIMEOUT_MS, timeout_ms) != SEGB_OK) {
    segb_config_destroy(dup);
    return NULL;
  }
  return dup;
}

int segb_test_connection(const segb_config_t *conf, uint32_t flags,
                         int32_t timeout_ms, segb_conntest_t **out) {
  segb_conntest_t *t;
  int dir, rc = SEGB_ERR_NO_CREDENTIALS;

  if (out != NULL)
    *out = NULL;
  if (conf == NULL || out == NULL || timeout_ms <= 0)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     conf == NULL  ? "configuration is NULL"
                     : out == NULL ? "out is NULL"
                                   : "timeout_ms must be positive");
  t = calloc(1, sizeof *t);
  if (t == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory creating a report");
  for (dir = 0; dir < SEGB_CHECK_COUNT; dir++)
    t->dir[dir].verdict = SEGB_VERDICT_SKIPPED;
  /* Only the directions the client is set up for (direction=). */
  if (sbi_conf_int(conf, SBI_PROP_DIRECTION) == SBI_DIRECTION_RECEIVE)
    sbi_conntest_skip(t, SEGB_CHECK_SEND, "not checked: direction is receive");
  else if (!sbi_conf_int(conf, SBI_PROP_SEND))
    sbi_conntest_skip(t, SEGB_CHECK_SEND, "not checked: send is false");
  else
    sbi_check_send(conf, (flags & SEGB_TEST_NO_SEND) != 0, timeout_ms, t);
  if (sbi_conf_int(conf, SBI_PROP_DIRECTION) != SBI_DIRECTION_SEND) {
    sbi_check_read(conf, SEGB_CHECK_RECEIVE, timeout_ms, t);
    sbi_check_read(conf, SEGB_CHECK_PROFILES, timeout_ms, t);
  } else {
    sbi_conntest_skip(t, SEGB_CHECK_RECEIVE, "not checked: direction is send");
    sbi_conntest_skip(t, SEGB_CHECK_PROFILES, "not checked: direction is send");
  }
  *out = t;
  /* The first failure decides; without one, any direction checked makes
   * it a success. */
  for (dir = 0; dir < SEGB_CHECK_COUNT; dir++) {
    int verdict = segb_conntest_verdict(t, dir);
    if (verdict == SEGB_VERDICT_FAILED)
      return sbi_error(segb_conntest_err(t, dir), "%s",
                       segb_conntest_detail(t, dir));
    if (verdict == SEGB_VERDICT_PASSED)
      rc = SEGB_OK;
  }
  if (rc != SEGB_OK)
    return sbi_error(rc, "nothing to check: set write_key, public_api.token "
                         "or profile_api.token");
  return rc;
}
