/* The request loop of the read APIs, within one deadline per call: the
 * outcome policy, Retry-After and the retry budget come from transport/,
 * 429 waits also from the Public API's own hints. */
#include "http.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>

#include "api/errbody.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/secret.h"
#include "transport/policy.h"
#include "transport/retry.h"

/* The advice for refused credentials, by API. The Public API's is the
 * integration guide's wording. */
static const char *auth_advice(sbi_api api) {
  switch (api) {
  case SBI_API_PUBLIC:
    return "Public API token rejected: check the token type (Public API, "
           "not Config API) and the region";
  case SBI_API_PROFILE:
    return "Profile API token rejected: use the access token of the Unify "
           "space (Unify settings > API access) and check the region";
  default:
    return "write key rejected: copy it again from the source's settings or "
           "regenerate it, and check the region";
  }
}

/* The server's explanation: the envelope's message, else a printable
 * excerpt of the body, with the credential the request carried redacted
 * (a server may echo the Authorization header) where the text was cut. */
static void server_says(const sbi_api_http *h, char *out, size_t size) {
  const sbi_http_response *resp = &h->resp;

  if (sbi_api_error_text(resp->body.data, resp->body.len, out, size))
    sbi_secret_redact_auth(out, size, h->auth_header.data);
  else
    sbi_http_excerpt(resp, 160, h->auth_header.data, out, size);
}

/* Record the error @call ended in, after @why (why it stopped, or ""):
 * @code, or 0 for the one its last answer stands for. A transport failure
 * comes with what to do about it only in that case: with a @code, @why
 * says what to do. */
static int fail(const sbi_api_http *h, const sbi_api_call *call, int code,
                const char *why) {
  const sbi_http_response *resp = &h->resp;
  sbi_outcome o = sbi_http_outcome(resp, SBI_PEER_READ, 0, 0);
  char host[128], says[192], transport[384];
  int status = resp->status;

  if (resp->error != SEGB_OK) {
    if (code == 0)
      sbi_advice(transport, sizeof transport, resp, call->url, NULL,
                 h->auth_header.data);
    else
      snprintf(transport, sizeof transport, "%s", resp->error_text);
    return sbi_error(code != 0 ? code : resp->error, "%s%s", why, transport);
  }
  if (code == 0)
    code = o.code;
  sbi_url_host(call->url, host, sizeof host);
  server_says(h, says, sizeof says);
  if (o.verdict == SBI_VERDICT_AUTH)
    return sbi_error(code, "%s%s (%s answered HTTP %d%s%s)", why,
                     auth_advice(call->api), host, status, says[0] ? ": " : "",
                     says);
  /* What a 404 means is the call's to say. */
  if (o.code == SEGB_ERR_NOT_FOUND && call->missing != NULL)
    o.hint = call->missing;
  return sbi_error(code, "%s%s answered HTTP %d%s%s%s: %s", why, host, status,
                   says[0] ? " (" : "", says, says[0] ? ")" : "", o.hint);
}

/* One request, cut at @timeout_ms. Without its credentials it is not sent
 * at all: the server's 401 would blame the token for what went wrong
 * here. The Authorization line stays in h->auth_header for fail(). */
static int send_once(sbi_api_http *h, const sbi_api_call *call,
                     int64_t timeout_ms) {
  sbi_http_request req;
  int rc;

  memset(&req, 0, sizeof req);
  req.method = call->method;
  req.url = call->url;
  req.timeout_ms = timeout_ms;
  req.headers[req.header_count++] = "Accept: application/json";
  if (call->body != NULL) {
    req.headers[req.header_count++] = "Content-Type: application/json";
    req.body = call->body;
    req.body_len = call->body_len;
  }
  sbi_secret_wipe(h->auth_header.data, h->auth_header.len);
  sbi_buf_clear(&h->auth_header);
  rc = call->auth->header(call->auth, -1, &h->auth_header);
  if (rc != SEGB_OK)
    return sbi_error(rc, "could not build the Authorization header");
  if (h->auth_header.len > 0)
    req.headers[req.header_count++] = h->auth_header.data;
  h->transport->send(h->transport, &req, &h->resp);
  return SEGB_OK;
}

/* The outcome policy, plus the Public API's own wait hints on a 429 that
 * has no Retry-After. */
static sbi_verdict classify(const sbi_api_http *h, int64_t *wait) {
  int64_t now = sbi_clock_now_ms();
  sbi_outcome o = sbi_http_outcome(&h->resp, SBI_PEER_READ, now,
                                   h->limits.retry.after_max_ms);

  *wait = o.wait_ms;
  if (o.verdict == SBI_VERDICT_RETRY && o.code == SEGB_ERR_RATE_LIMITED &&
      sbi_api_server_wait(&h->resp, now, wait)) {
    if (*wait > h->limits.retry.after_max_ms)
      *wait = h->limits.retry.after_max_ms;
    return SBI_VERDICT_RETRY_AFTER;
  }
  return o.verdict;
}

/* sbi_api_perform() until the monotonic @deadline. */
static int perform(sbi_api_http *h, const sbi_api_call *call,
                   int64_t deadline) {
  sbi_retry_budget budget;
  char why[128];

  sbi_retry_budget_init(&budget, &h->limits.retry);
  for (;;) {
    int64_t now = sbi_clock_mono_ms(), wait = 0;
    sbi_retry_step step;
    sbi_verdict v;
    int rc;

    /* The first request always goes, with at least a millisecond. */
    if (budget.requests > 0 && now >= deadline)
      break;
    rc = send_once(h, call, deadline > now ? deadline - now : 1);
    if (rc != SEGB_OK)
      return rc;
    v = classify(h, &wait);
    if (v == SBI_VERDICT_DELIVERED)
      return SEGB_OK;
    if (v == SBI_VERDICT_AUTH)
      call->auth->unauthorized(call->auth);
    if (v == SBI_VERDICT_AUTH || v == SBI_VERDICT_REJECTED)
      return fail(h, call, 0, "");
    step = sbi_retry_next(&budget, v, sbi_clock_mono_ms(), deadline, &wait);
    if (step == SBI_RETRY_GIVE_UP) {
      snprintf(why, sizeof why, "gave up after %d request%s: ", budget.requests,
               budget.requests == 1 ? "" : "s");
      return fail(h, call, 0, why);
    }
    /* A wait that ends past the deadline cannot help the call. */
    if (step == SBI_RETRY_OUT_OF_TIME)
      break;
    sbi_sleep_ms(wait);
  }
  snprintf(why, sizeof why,
           "out of time (api.timeout_ms is %" PRId64 " ms) after %d "
           "request%s, the last: ",
           h->limits.call_timeout_ms, budget.requests,
           budget.requests == 1 ? "" : "s");
  return fail(h, call, SEGB_ERR_TIMED_OUT, why);
}

int sbi_api_perform(sbi_api_http *h, const sbi_api_call *call) {
  int rc = perform(h, call, sbi_clock_mono_ms() + h->limits.call_timeout_ms);

  sbi_secret_wipe(h->auth_header.data, h->auth_header.len);
  return rc;
}

void sbi_api_http_free(sbi_api_http *h) {
  sbi_secret_wipe(h->auth_header.data, h->auth_header.cap);
  sbi_buf_free(&h->auth_header);
  sbi_http_response_free(&h->resp);
}
