/* Test Connection, behind segb_test_connection(): one check per
 * direction, each on a copy of the caller's config bounded in time, each
 * filling its direction of the report. It sits above the readers and the
 * client's parts, and uses both. */
#ifndef SBI_CONNTEST_CONNTEST_H
#define SBI_CONNTEST_CONNTEST_H

#include <stdint.h>

#include <segbridge/api.h>

#include "config/region.h"

/* The direction's outcome: passed when @err is SEGB_OK, with the advice
 * @note (or ""); else failed, with the troubleshooting advice for a check
 * of @api ending in @err. @detail is copied (cut to fit). */
void sbi_conntest_set(segb_conntest_t *t, int direction, sbi_api api, int err,
                      const char *detail, const char *note);

/* The direction is not configured: skipped, for the reason @detail. */
void sbi_conntest_skip(segb_conntest_t *t, int direction, const char *detail);

/* The guide's troubleshooting advice for a check of @api (SBI_API_OAUTH:
 * the send check with OAuth credentials) that ended in @err; "" when the
 * table has none. */
const char *sbi_conntest_advice(sbi_api api, int err);

/* A copy of @conf whose requests and retries fit in @timeout_ms; NULL
 * with the thread's error when that fails. */
segb_config_t *sbi_conntest_config(const segb_config_t *conf,
                                   int32_t timeout_ms);

/* Send: the "Integration Test" track event, or with @no_send an empty
 * batch that only authenticates the write key. */
void sbi_check_send(const segb_config_t *conf, int no_send, int32_t timeout_ms,
                    segb_conntest_t *t);

/* Receive (SEGB_CHECK_RECEIVE): GET / with the Public API token. Profiles
 * (SEGB_CHECK_PROFILES): a lookup that must be answered 200 or 404, not
 * 401. */
void sbi_check_read(const segb_config_t *conf, int direction,
                    int32_t timeout_ms, segb_conntest_t *t);

#endif
