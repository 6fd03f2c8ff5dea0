/*
 * OAuth 2.0 for the Tracking API: client credentials with an RS256 client
 * assertion (jwt.h), exchanged at the authorization server's /token for an
 * access token that goes out as "Authorization: Bearer", with the write key
 * still in every body.
 *
 *   oauth_token.c  the exchange's wire format: form body, reading answers
 *   oauth.c        the provider: cache, refresh, single flight, backoff
 *   oauth_conf.c   the provider from the oauth.* settings
 */
#ifndef SBI_AUTH_OAUTH_H
#define SBI_AUTH_OAUTH_H

#include <stdint.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/log.h"
#include "transport/transport.h"

/* ---- oauth_token.c --------------------------------------------------- */

/* What a token endpoint answered, beyond the return code. */
typedef struct sbi_token_reply {
  sbi_buf header;         /* on success: "Authorization: Bearer <token>" */
  int64_t expires_in_ms;  /* on success: the token's lifetime */
  int64_t retry_after_ms; /* on SEGB_ERR_RATE_LIMITED: Retry-After, or -1 */
  int clock_refused;      /* on SEGB_ERR_REJECTED: the server refused the
                             assertion's iat/exp, i.e. the clocks differ */
} sbi_token_reply;

#define SBI_TOKEN_REPLY_INIT                                                   \
  { SBI_BUF_INIT, 0, -1, 0 }

/* Wipe and free what @r holds. */
void sbi_token_reply_free(sbi_token_reply *r);

/* Append the form body of a token request asserting @jwt and asking for
 * @scope, percent-encoded. It holds the JWT: the caller wipes @out. */
int sbi_token_form(sbi_buf *out, const char *jwt, const char *scope);

/* Read the answer @resp of the token endpoint at @url into @r. SEGB_OK with
 * r->header and r->expires_in_ms, or the error with its detail in the
 * thread's error: the transport's code; SEGB_ERR_RATE_LIMITED (429);
 * SEGB_ERR_SERVER (5xx, and any status but 200, 3xx, 400, 401 and 415:
 * what may pass, such as a proxy's 403 or a 404 during a deployment);
 * SEGB_ERR_OAUTH_RESPONSE (a 200 without a usable token: not JSON, no
 * access_token, expires_in missing, not a whole number, not positive or
 * over a year; transient too, as a proxy's page may be in the way). Only
 * 400, 401 and 415 (and redirects) say the setup is wrong:
 * SEGB_ERR_OAUTH_INVALID_CLIENT (invalid_client, unauthorized_client, or a
 * bare 401); SEGB_ERR_OAUTH_INVALID_SCOPE; SEGB_ERR_REJECTED (any other).
 * The detail never holds the token, nor anything shaped like a JWT that the
 * server echoed (our assertion). */
int sbi_token_read(const sbi_http_response *resp, const char *url,
                   sbi_token_reply *r);

/* Clock skew from @resp's Date header: *@skew_ms = local wall clock
 * (@local_ms, taken when the answer came) minus the server's. 1 when Date
 * was usable, 0 when absent, malformed or over a day off. */
int sbi_token_skew(const sbi_http_response *resp, int64_t local_ms,
                   int64_t *skew_ms);

/* ---- oauth.c ----------------------------------------------------------- */

typedef struct sbi_oauth_options {
  const char *client_id; /* OAuth app ID: the assertion's iss and sub */
  const char *key_id;    /* ID of the uploaded public key: kid */
  /* The signing key: PEM text or a file holding it, exactly one. */
  const char *private_key_pem;
  const char *private_key_file;
  const char *scope;
  /* Authorization server base URL, normalized (no trailing '/'): the
   * assertion's aud; tokens come from server + "/token". */
  const char *server;
  const char *write_key; /* writeKey for every body; NULL for none */
  /* Longest wait a token server's Retry-After is honoured for (> 0): past
   * it the server is asked again, however long it asked for. */
  int64_t after_max_ms;
  sbi_transport *transport; /* for token requests */
  int own_transport;        /* destroy @transport with the provider, and
                               at once when creation fails */
  const sbi_logger *log;    /* debug=auth lines; NULL: none; copied */
} sbi_oauth_options;

/* The OAuth provider. header() returns a cached token, fetching one when
 * there is none or at half its lifetime; concurrent callers share one token
 * request (single flight). Neither the token request nor the wait for
 * another caller's outlasts header()'s deadline. It is thread-safe. NULL
 * with the reason in the thread's error: SEGB_ERR_INVALID_VALUE (empty
 * client_id, key_id, scope or server, after_max_ms not positive), the key
 * errors of sbi_rsa_key_load(), SEGB_ERR_NOMEM. */
sbi_auth *sbi_oauth_auth_new(const sbi_oauth_options *o);

/* Make one token request through provider @a now, whatever is cached, and
 * leave the server's answer in @resp (which then holds the token: the
 * caller wipes its body). For `segbridge token`: no deadline but the
 * transport's timeout. */
int sbi_oauth_fetch(sbi_auth *a, sbi_http_response *resp);

#endif
