/* The outcome tables: one for answers by status, one for requests that got
 * none. A verdict and the advice that explains it come from one row, so the
 * advice cannot promise what the sender does not do. */
#include "policy.h"

#include <segbridge/error.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/secret.h"
#include "transport/retry.h"

#define RETRIED_NOW "the server could not take the request now; it is retried"
#define RETRIED_5XX "Segment could not take the request; it is retried"
#define TOO_LARGE                                                              \
  "the request was refused as too large (over 500 KB, or an event over 32 "    \
  "KB) or as invalid JSON"
#define NOT_RETRIED "it is not retried: check the endpoint setting"
#define UNSUPPORTED                                                            \
  "the server does not support this request; it is not retried: check the "    \
  "endpoint setting"
#define READ_REFUSED "the request was refused"
#define READ_5XX "Segment could not serve the request; try again later"
#define TOKEN_LATER "tried again later"
#define TOKEN_FAILING "the authorization server is failing; tried again later"

typedef struct sbi_advised {
  int code;
  const char *hint;
} sbi_advised;

/* Shorthands for the cells of the table below. */
#define FINAL(code)                                                            \
  { code, NULL }
#define LATER                                                                  \
  { SEGB_ERR_SERVER, TOKEN_LATER }
#define FAILING                                                                \
  { SEGB_ERR_SERVER, TOKEN_FAILING }

/* The first row whose [lo, hi] holds the status applies. Segment's APIs
 * retry 408, 410, 429, 460, and 5xx but 501 and 505; Retry-After counts on
 * 429 and 503 only. The token server, as Segment's SDKs read it, is
 * refused for good only by 3xx, 400, 401 and 415 (the setup is wrong:
 * oauth_token.c tells which part from the body, a bare 401 blaming the
 * client); anything else may pass
 * (a proxy's 403, a 404 while it is deployed). The read APIs' hints are the
 * integration guide's wording; a NULL hint is the caller's to give. */
/* A Retry-After is honoured. */
#define ROW_AFTER 1u
/* The refusal is of what the body holds: a batch of several events may be
 * split to isolate the ones refused (the Tracking API's 400 and 413). */
#define ROW_SPLIT 2u

/* clang-format off */
static const struct sbi_status_row {
  int lo, hi;
  sbi_verdict verdict; /* the Tracking and read APIs' */
  sbi_verdict token;   /* the OAuth token server's */
  unsigned flags;      /* ROW_* */
  sbi_advised peer[SBI_PEER_COUNT];
} status_rows[] = {
    {200, 200, SBI_VERDICT_DELIVERED, SBI_VERDICT_DELIVERED, 0,
     {{SEGB_OK, ""}, {SEGB_OK, ""}, {SEGB_OK, ""}}},
    {201, 299, SBI_VERDICT_DELIVERED, SBI_VERDICT_RETRY, 0,
     {{SEGB_OK, ""}, {SEGB_OK, ""}, LATER}},
    {300, 399, SBI_VERDICT_REJECTED, SBI_VERDICT_REJECTED, 0,
     {{SEGB_ERR_REJECTED,
       "the endpoint redirects: set endpoint to the API's base URL"},
      {SEGB_ERR_REJECTED,
       "the endpoint redirects: set the API's endpoint to its base URL"},
      {SEGB_ERR_REJECTED, "the server redirects; set oauth.server to the "
                          "authorization server's base URL"}}},
    {400, 400, SBI_VERDICT_REJECTED, SBI_VERDICT_REJECTED, ROW_SPLIT,
     {{SEGB_ERR_REJECTED, TOO_LARGE},
      {SEGB_ERR_REJECTED, READ_REFUSED},
      FINAL(SEGB_ERR_REJECTED)}},
    {401, 401, SBI_VERDICT_AUTH, SBI_VERDICT_REJECTED, 0,
     {FINAL(SEGB_ERR_AUTH), FINAL(SEGB_ERR_AUTH),
      FINAL(SEGB_ERR_OAUTH_INVALID_CLIENT)}},
    {403, 403, SBI_VERDICT_AUTH, SBI_VERDICT_RETRY, 0,
     {FINAL(SEGB_ERR_AUTH), FINAL(SEGB_ERR_AUTH), LATER}},
    {404, 404, SBI_VERDICT_REJECTED, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_REJECTED, NOT_RETRIED},
      {SEGB_ERR_NOT_FOUND, "no such resource"},
      LATER}},
    {408, 408, SBI_VERDICT_RETRY, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_REJECTED, RETRIED_NOW},
      {SEGB_ERR_REJECTED, READ_REFUSED},
      FAILING}},
    {410, 410, SBI_VERDICT_RETRY, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_REJECTED, RETRIED_NOW}, {SEGB_ERR_REJECTED, READ_REFUSED},
      LATER}},
    {413, 413, SBI_VERDICT_REJECTED, SBI_VERDICT_RETRY, ROW_SPLIT,
     {{SEGB_ERR_REJECTED, TOO_LARGE}, {SEGB_ERR_REJECTED, READ_REFUSED},
      LATER}},
    {415, 415, SBI_VERDICT_REJECTED, SBI_VERDICT_REJECTED, 0,
     {{SEGB_ERR_REJECTED, NOT_RETRIED},
      {SEGB_ERR_REJECTED, READ_REFUSED},
      FINAL(SEGB_ERR_REJECTED)}},
    {429, 429, SBI_VERDICT_RETRY, SBI_VERDICT_RETRY, ROW_AFTER,
     {{SEGB_ERR_RATE_LIMITED,
       "rate limited: Segment asks for at most 1,000 requests per second per "
       "workspace; it is retried"},
      {SEGB_ERR_RATE_LIMITED,
       "rate limited: reduce the request rate or upgrade the Segment plan"},
      {SEGB_ERR_RATE_LIMITED, "too many token requests"}}},
    {460, 460, SBI_VERDICT_RETRY, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_REJECTED, RETRIED_NOW}, {SEGB_ERR_REJECTED, READ_REFUSED},
      LATER}},
    {501, 501, SBI_VERDICT_REJECTED, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_SERVER, UNSUPPORTED}, {SEGB_ERR_SERVER, READ_5XX}, FAILING}},
    {503, 503, SBI_VERDICT_RETRY, SBI_VERDICT_RETRY, ROW_AFTER,
     {{SEGB_ERR_SERVER, RETRIED_5XX}, {SEGB_ERR_SERVER, READ_5XX}, FAILING}},
    {505, 505, SBI_VERDICT_REJECTED, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_SERVER, UNSUPPORTED}, {SEGB_ERR_SERVER, READ_5XX}, FAILING}},
    {500, 599, SBI_VERDICT_RETRY, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_SERVER, RETRIED_5XX}, {SEGB_ERR_SERVER, READ_5XX}, FAILING}},
    {600, INT_MAX, SBI_VERDICT_REJECTED, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_REJECTED, NOT_RETRIED}, {SEGB_ERR_REJECTED, READ_5XX},
      FAILING}},
    {INT_MIN, INT_MAX, SBI_VERDICT_REJECTED, SBI_VERDICT_RETRY, 0,
     {{SEGB_ERR_REJECTED, NOT_RETRIED}, {SEGB_ERR_REJECTED, READ_REFUSED},
      LATER}},
};
/* clang-format on */

#undef FINAL
#undef LATER
#undef FAILING

/* Requests that got no whole answer: only a certificate or TLS setup
 * problem is final, as it does not go away by itself. */
static const struct sbi_error_row {
  int error;
  sbi_verdict verdict;
  const char *hint;
} error_rows[] = {
    {SEGB_ERR_DNS, SBI_VERDICT_RETRY,
     "check the endpoint and region settings and the machine's DNS"},
    {SEGB_ERR_CONNECT, SBI_VERDICT_RETRY,
     "check network access to the host and http.proxy"},
    {SEGB_ERR_TLS, SBI_VERDICT_REJECTED,
     "the server's certificate could not be verified, or the TLS setup "
     "(http.ca_file, http.ca_path) is unusable; it is not retried: set "
     "http.ca_file when a proxy re-signs TLS traffic"},
    {SEGB_ERR_TIMED_OUT, SBI_VERDICT_RETRY, NULL /* by the limit */},
    {SEGB_ERR_NOMEM, SBI_VERDICT_RETRY, "the machine ran out of memory"},
    {SEGB_ERR_NETWORK, SBI_VERDICT_RETRY,
     "the connection broke before a whole answer arrived (during the TLS "
     "handshake, the request or the response); it is retried"},
    {SEGB_OK, SBI_VERDICT_RETRY, "the request could not be made"},
};

static const char *timeout_hint(sbi_http_limit limit) {
  switch (limit) {
  case SBI_LIMIT_CONNECT:
    return "no connection within http.connect_timeout_ms: check network "
           "access to the host, or raise http.connect_timeout_ms";
  case SBI_LIMIT_CALLER:
    return "the caller's deadline (the timeout given to flush or close) "
           "ended the request, not http.timeout_ms: allow the call more "
           "time";
  default:
    return "no answer within http.timeout_ms: raise http.timeout_ms or "
           "check the network";
  }
}

sbi_outcome sbi_http_outcome(const sbi_http_response *resp, sbi_peer peer,
                             int64_t now_ms, int64_t max_wait_ms) {
  sbi_outcome o = {SBI_VERDICT_REJECTED, SEGB_OK, 0, NULL, 0};
  const struct sbi_status_row *row = status_rows;
  char value[128];
  size_t i;

  if (resp->error != SEGB_OK) {
    /* The last row catches an error without a row of its own. */
    for (i = 0; i + 1 < sizeof error_rows / sizeof error_rows[0] &&
                error_rows[i].error != resp->error;
         i++)
      ;
    o.verdict = error_rows[i].verdict;
    o.code = resp->error;
    o.hint = error_rows[i].hint != NULL ? error_rows[i].hint
                                        : timeout_hint(resp->timed_out_by);
    return o;
  }
  while (resp->status < row->lo || resp->status > row->hi)
    row++;
  o.verdict = peer == SBI_PEER_TOKEN ? row->token : row->verdict;
  o.code = row->peer[peer].code;
  o.hint = row->peer[peer].hint;
  o.split = peer == SBI_PEER_TRACKING && (row->flags & ROW_SPLIT) != 0;
  /* The token server's waits are auth's to bound (oauth_token.c). */
  if ((row->flags & ROW_AFTER) != 0 && peer != SBI_PEER_TOKEN &&
      sbi_http_header(resp, "Retry-After", value, sizeof value) &&
      sbi_retry_after_parse(value, now_ms, &o.wait_ms)) {
    o.wait_ms = sbi_retry_after_bound(o.wait_ms, max_wait_ms);
    o.verdict = SBI_VERDICT_RETRY_AFTER;
  }
  return o;
}

void sbi_url_host(const char *url, char *out, size_t size) {
  const char *start = strstr(url, "://");

  start = start != NULL ? start + 3 : url;
  snprintf(out, size, "%.*s", (int)strcspn(start, "/?#"), start);
}

/* At most @max bytes of [@p, @p + @len) into @out, printable. */
static void printable(const char *p, size_t len, size_t max, char *out,
                      size_t size) {
  size_t i, n = 0;

  for (i = 0; i < len && n + 1 < size && n < max; i++) {
    unsigned char c = (unsigned char)p[i];
    out[n++] = c >= 0x20 && c < 0x7F ? (char)c : ' ';
  }
  out[n] = '\0';
}

void sbi_http_excerpt(const sbi_http_response *resp, size_t max,
                      const char *auth, char *out, size_t size) {
  printable(resp->body.data, resp->body.len, max, out, size);
  sbi_secret_redact_auth(out, size, auth);
}

void sbi_advice(char *out, size_t size, const sbi_http_response *resp,
                const char *url, const char *auth_hint, const char *auth) {
  char host[256], excerpt[128], wait[64], value[32], retry_after[32];
  sbi_outcome o = sbi_http_outcome(resp, SBI_PEER_TRACKING, 0, 0);

  if (resp->error != SEGB_OK) {
    snprintf(out, size, "%s: %s", resp->error_text, o.hint);
    return;
  }
  if (o.hint == NULL)
    o.hint = auth_hint != NULL ? auth_hint : "the credentials were refused";
  sbi_url_host(url, host, sizeof host);
  /* Segment's error bodies are short JSON or text saying what was wrong. */
  sbi_http_excerpt(resp, 120, auth, excerpt, sizeof excerpt);
  wait[0] = '\0';
  if (sbi_http_header(resp, "Retry-After", value, sizeof value)) {
    printable(value, strlen(value), sizeof value, retry_after,
              sizeof retry_after);
    snprintf(wait, sizeof wait, ", Retry-After: %s", retry_after);
  }
  snprintf(out, size, "%s answered HTTP %d%s%s%s%s: %s", host, resp->status,
           wait, excerpt[0] ? " (" : "", excerpt, excerpt[0] ? ")" : "",
           o.hint);
  /* Any header value the server chose (Retry-After) may echo it too. */
  sbi_secret_redact_auth(out, size, auth);
}
