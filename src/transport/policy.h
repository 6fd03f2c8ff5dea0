/* The HTTP outcome policy: what a response means (deliver, retry, wait,
 * refuse), the error code it stands for, and a one-line explanation that
 * tells the user what to do. The texts name the host and the status, never
 * a credential. */
#ifndef SBI_TRANSPORT_POLICY_H
#define SBI_TRANSPORT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

typedef enum sbi_verdict {
  SBI_VERDICT_DELIVERED,   /* 2xx */
  SBI_VERDICT_RETRY,       /* a network error (a broken TLS handshake
                              included), a retried status without a usable
                              Retry-After: backoff */
  SBI_VERDICT_RETRY_AFTER, /* 429 or 503 with Retry-After: wait, uncounted */
  SBI_VERDICT_AUTH,        /* 401, 403: the credentials were refused */
  SBI_VERDICT_REJECTED     /* a certificate or TLS setup failure, or any
                              other status: sending the same again cannot
                              succeed */
} sbi_verdict;

/* Who asked whom: Segment's APIs share verdicts, the advice and a 404's
 * code are the caller's; the OAuth token server has verdicts of its own. */
typedef enum sbi_peer {
  SBI_PEER_TRACKING, /* the sender's batches to the Tracking API */
  SBI_PEER_READ,     /* the Public and Profile API readers */
  SBI_PEER_TOKEN,    /* the token exchange (auth/oauth_token.c) */
  SBI_PEER_COUNT
} sbi_peer;

typedef struct sbi_outcome {
  sbi_verdict verdict;
  /* SEGB_OK when delivered, else what the answer stands for: the
   * transport's error, or SEGB_ERR_AUTH / _RATE_LIMITED / _SERVER /
   * _NOT_FOUND (read APIs) / _REJECTED by status (the token server's:
   * _RATE_LIMITED, _SERVER, _OAUTH_INVALID_CLIENT for 401, _REJECTED, the
   * refusals refined from its body) */
  int code;
  int64_t wait_ms;  /* with SBI_VERDICT_RETRY_AFTER: the bounded wait */
  const char *hint; /* what to do; NULL for refused credentials, whose
                       advice depends on whose they are, and for the token
                       server's refusals but redirects */
  int split; /* a Tracking API batch of several events refused for what it
                holds (400, 413): halves may isolate the refused events */
} sbi_outcome;

/* What @resp, answered to @peer, means. A Retry-After (read at the epoch
 * @now_ms) is bounded by sbi_retry_after_bound(..., @max_wait_ms); to the
 * token server's, none is read here. */
sbi_outcome sbi_http_outcome(const sbi_http_response *resp, sbi_peer peer,
                             int64_t now_ms, int64_t max_wait_ms);

/* Write the advice for @resp, sent by the sender to @url, into @out.
 * @auth_hint says what to check when the credentials are refused
 * (401/403); NULL for a generic one. @auth is the Authorization line the
 * request carried (or NULL): a server may echo it, so it is redacted. */
void sbi_advice(char *out, size_t size, const sbi_http_response *resp,
                const char *url, const char *auth_hint, const char *auth);

/* The host[:port] of @url, for messages: never the path or query. */
void sbi_url_host(const char *url, char *out, size_t size);

/* At most @max bytes of @resp's body into @out, each byte outside
 * printable ASCII as a space (what a server sends must not put control
 * characters into a log line), with the credentials of the Authorization
 * line @auth (or NULL) redacted, where the excerpt ends too. */
void sbi_http_excerpt(const sbi_http_response *resp, size_t max,
                      const char *auth, char *out, size_t size);

#endif
