/* The checks behind segb_test_connection(), one per direction. Each fills
 * its direction of the report; none changes the caller's config. */
#ifndef SBI_API_CONNCHECK_H
#define SBI_API_CONNCHECK_H

#include <stdint.h>

#include <segbridge/api.h>

/* Send: the "Integration Test" track event, or with @no_send an empty
 * batch that only authenticates. */
void sbi_check_send(const segb_config_t *conf, int no_send,
                    int32_t timeout_ms, segb_conntest_t *t);

/* Receive: GET / with the Public API token. */
void sbi_check_receive(const segb_config_t *conf, int32_t timeout_ms,
                       segb_conntest_t *t);

/* Profiles: a lookup that must be answered 200 or 404, not 401. */
void sbi_check_profiles(const segb_config_t *conf, int32_t timeout_ms,
                        segb_conntest_t *t);

/* A copy of @conf whose requests and retries fit in @timeout_ms; NULL
 * with the thread's error when that fails. */
segb_config_t *sbi_check_config(const segb_config_t *conf,
                                int32_t timeout_ms);

#endif
