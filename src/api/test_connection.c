/* segb_test_connection(): every configured direction checked in turn,
 * each on its own copy of the config, bounded in time. */
#include <inttypes.h>
#include <stdio.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/conncheck.h"
#include "api/conntest.h"
#include "config/props.h"
#include "core/err.h"

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

segb_config_t *sbi_check_config(const segb_config_t *conf,
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
  t = sbi_conntest_new();
  if (t == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory creating a report");
  sbi_check_send(conf, (flags & SEGB_TEST_NO_SEND) != 0, timeout_ms, t);
  sbi_check_receive(conf, timeout_ms, t);
  sbi_check_profiles(conf, timeout_ms, t);
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
