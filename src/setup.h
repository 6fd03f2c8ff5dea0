/* Config adapters: the one place above config/ that turns a segb_config_t
 * into the plain options transport/, auth/ and dispatch/ take. The client,
 * the reader and Test Connection build their parts here. */
#ifndef SBI_SETUP_H
#define SBI_SETUP_H

#include <stddef.h>

#include <segbridge/api.h>
#include <segbridge/config.h>

#include "auth/auth.h"
#include "config/region.h"
#include "dispatch/dispatcher.h"
#include "dispatch/sender.h"
#include "transport/transport.h"

/* A libcurl transport for @api with the http.* settings of @conf; only
 * the Tracking API's compresses (compression=gzip). NULL with the reason
 * in the thread's error. */
sbi_transport *sbi_setup_transport(const segb_config_t *conf, sbi_api api);

/* 1 when @conf sets any OAuth credential (oauth.client_id, oauth.key_id,
 * oauth.private_key, oauth.private_key_file): the client then uses OAuth. */
int sbi_oauth_configured(const segb_config_t *conf);

/* The OAuth provider for @conf's oauth.* settings, region and write key,
 * requesting tokens through @transport (owned when @own_transport, also on
 * failure). NULL with the reason in the thread's error; beyond
 * sbi_oauth_auth_new()'s: SEGB_ERR_INVALID_VALUE for a missing setting,
 * both private key settings at once, or an OAuth server of the other
 * region. */
sbi_auth *sbi_oauth_from_conf(const segb_config_t *conf,
                              sbi_transport *transport, int own_transport);

/* The write key provider of @conf (write_key, write_key.in_body); NULL with
 * SEGB_ERR_NO_CREDENTIALS when there is no write key. */
sbi_auth *sbi_setup_write_key(const segb_config_t *conf);

/* The Tracking API's credentials: OAuth when it is configured (it still
 * needs the write key, which goes into every body), else the write key.
 * Token requests go through @shared (borrowed) when it is not NULL, else
 * through a libcurl transport of their own. NULL with the thread's error. */
sbi_auth *sbi_setup_tracking_auth(const segb_config_t *conf,
                                  sbi_transport *shared);

/* The sender's URL (the region checked), advice and batch and retry limits
 * under @conf; the caller sets its transport, auth and outcome. */
int sbi_setup_sender(const segb_config_t *conf, sbi_sender *s);

/* The dispatcher's options under @conf: dispatch.*, queue.*, freshness,
 * batch.linger_ms, report.mode, statistics.interval_ms. */
void sbi_setup_dispatch(const segb_config_t *conf, sbi_dispatch_options *o);

/* segb_reader_new() with @transport (owned by the reader from here on,
 * also on failure) instead of a libcurl one; NULL means libcurl. */
segb_reader_t *sbi_reader_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size);

/* Fill the zeroed @obj from @conf; @transport (NULL: make one) is @obj's
 * from here on, also when this fails. SEGB_OK or the error, with the
 * detail in the thread's error. */
typedef int sbi_build_fn(void *obj, segb_config_t *conf,
                         sbi_transport *transport);

/* The constructor every handle made from a config shares: check @conf,
 * take a reference on the global state, allocate @size zeroed bytes and
 * @build them. On failure what was built is freed with @abandon (which
 * drops the global reference), @transport is destroyed, @errstr and the
 * thread's error say why (the object being a @what), and the result is
 * NULL; @conf stays the caller's. */
void *sbi_setup_new(segb_config_t *conf, sbi_transport *transport, size_t size,
                    const char *what, sbi_build_fn *build,
                    void (*abandon)(void *obj), char *errstr,
                    size_t errstr_size);

#endif
