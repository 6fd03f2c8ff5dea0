/*
 * Auth providers decorate requests with credentials. The write key provider
 * adds HTTP Basic (and optionally writeKey in the body), the token provider
 * a Bearer header; OAuth (auth/oauth.h) fetches and caches tokens. Providers
 * keep their secrets wiped on free and never put them in error text.
 */
#ifndef SBI_AUTH_AUTH_H
#define SBI_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <segbridge/error.h>

#include "core/buf.h"

typedef struct sbi_auth sbi_auth;
struct sbi_auth {
  /* Write the full "Authorization: ..." header line into @out (cleared by
   * the caller, who wipes it after the request). SEGB_OK or an error, with
   * the detail in the thread's error. A provider that fetches credentials
   * fails with a code sbi_auth_transient() accepts while its credential
   * server is out of reach (worth trying again later), and with any other
   * code when its configuration is wrong (not worth it). It waits and
   * requests only until the monotonic time @deadline_ms (-1: no deadline),
   * failing with SEGB_ERR_TIMED_OUT when that is not enough. */
  int (*header)(sbi_auth *a, int64_t deadline_ms, sbi_buf *out);
  /* Append members for a JSON request body, each starting with a comma
   * (e.g. ,"writeKey":"..."), or nothing. */
  int (*body_members)(sbi_auth *a, sbi_buf *out);
  /* The server answered 401: drop cached credentials that may be stale. */
  void (*unauthorized)(sbi_auth *a);
  void (*destroy)(sbi_auth *a);

  /* Optional; NULL unless the provider fetches its credentials (OAuth). */

  /* The server refused what a header() call at monotonic time @sent_ms
   * wrote: drop those credentials unless newer ones came since. The next
   * header() brings fresh ones, so resending once is worthwhile. */
  void (*refresh)(sbi_auth *a, int64_t sent_ms);
  /* After header() failed transiently: milliseconds until the credential
   * server wants to be asked again (its Retry-After), or -1 when it named
   * no time and the caller's own backoff applies. */
  int64_t (*retry_wait_ms)(sbi_auth *a);
  /* From any thread: make a credential request under way, and every later
   * one, end at once as a network failure (the client is closing). */
  void (*interrupt)(sbi_auth *a);
};

/* 1 for the header() failures that may pass by themselves: the credential
 * server was unreachable, busy or failing, or something in between (a
 * proxy's page) answered in its place. */
static inline int sbi_auth_transient(int err) {
  return err == SEGB_ERR_DNS || err == SEGB_ERR_CONNECT ||
         err == SEGB_ERR_TIMED_OUT || err == SEGB_ERR_NETWORK ||
         err == SEGB_ERR_RATE_LIMITED || err == SEGB_ERR_SERVER ||
         err == SEGB_ERR_OAUTH_RESPONSE;
}

/* Authorization: Basic base64("<write_key>:"). With @in_body, writeKey also
 * goes into every body. NULL when out of memory. */
sbi_auth *sbi_write_key_auth_new(const char *write_key, int in_body);

/* Authorization: Bearer <token>. */
sbi_auth *sbi_token_auth_new(const char *token);

#endif
