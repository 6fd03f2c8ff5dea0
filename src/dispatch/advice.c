#include "advice.h"

#include <segbridge/error.h>

#include <stdio.h>
#include <string.h>

#include "core/secret.h"
#include "transport/retry.h"

int sbi_advice_code(const sbi_http_response *resp) {
  if (resp->error != SEGB_OK)
    return resp->error;
  if (resp->status == 401 || resp->status == 403)
    return SEGB_ERR_AUTH;
  if (resp->status == 429)
    return SEGB_ERR_RATE_LIMITED;
  if (resp->status >= 500 && resp->status <= 599)
    return SEGB_ERR_SERVER;
  return SEGB_ERR_REJECTED;
}

/* The host[:port] part of @url. */
static void url_host(const char *url, char *out, size_t size) {
  const char *start = strstr(url, "://");
  size_t len;

  start = start != NULL ? start + 3 : url;
  len = strcspn(start, "/?#");
  snprintf(out, size, "%.*s", (int)len, start);
}

/* At most @max bytes of [@p, @p + @len) into @out, each byte outside
 * printable ASCII as a space: what a server sends must not put control
 * characters into a log line. */
static void printable(const char *p, size_t len, size_t max, char *out,
                      size_t size) {
  size_t i, n = 0;

  for (i = 0; i < len && n + 1 < size && n < max; i++) {
    unsigned char c = (unsigned char)p[i];
    out[n++] = c >= 0x20 && c < 0x7F ? (char)c : ' ';
  }
  out[n] = '\0';
}

/* Whether what failed is tried again comes from the retry matrix, so the
 * advice cannot promise what the sender does not do. */
static const char *transport_hint(const sbi_http_response *resp) {
  switch (resp->error) {
  case SEGB_ERR_DNS:
    return "check the endpoint and region settings and the machine's DNS";
  case SEGB_ERR_CONNECT:
    return "check network access to the host and http.proxy";
  case SEGB_ERR_TLS:
    return "the server's certificate could not be verified, or the TLS "
           "setup (http.ca_file, http.ca_path) is unusable; it is not "
           "retried: set http.ca_file when a proxy re-signs TLS traffic";
  case SEGB_ERR_TIMED_OUT:
    switch (resp->timed_out_by) {
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
  case SEGB_ERR_NOMEM:
    return "the machine ran out of memory";
  case SEGB_ERR_NETWORK:
    return "the connection broke before a whole answer arrived (during "
           "the TLS handshake, the request or the response); it is retried";
  default:
    return "the request could not be made";
  }
}

static const char *status_hint(int status, const char *auth_hint) {
  if (status == 401 || status == 403)
    return auth_hint != NULL ? auth_hint : "the credentials were refused";
  if (status == 429)
    return "rate limited: Segment asks for at most 1,000 requests per second "
           "per workspace; it is retried";
  if (status == 400 || status == 413)
    return "the request was refused as too large (over 500 KB, or an event "
           "over 32 KB) or as invalid JSON";
  if (status == 501 || status == 505)
    return "the server does not support this request; it is not retried: "
           "check the endpoint setting";
  if (sbi_retry_status(status))
    return status >= 500 ? "Segment could not take the request; it is retried"
                         : "the server could not take the request now; it "
                           "is retried";
  if (status >= 300 && status < 400)
    return "the endpoint redirects: set endpoint to the API's base URL";
  return "it is not retried: check the endpoint setting";
}

void sbi_advice(char *out, size_t size, const sbi_http_response *resp,
                const char *url, const char *auth_hint, const char *auth) {
  char host[256], excerpt[128], wait[64], value[32], retry_after[32];

  url_host(url, host, sizeof host);
  if (resp->error != SEGB_OK) {
    snprintf(out, size, "%s: %s", resp->error_text, transport_hint(resp));
    return;
  }
  /* Segment's error bodies are short JSON or text saying what was wrong.
   * The credentials in the line @auth are redacted, where the excerpt ends
   * too, so that one cut through goes as well. */
  printable(resp->body.data, resp->body.len, 120, excerpt, sizeof excerpt);
  sbi_secret_redact_auth(excerpt, sizeof excerpt, auth);
  wait[0] = '\0';
  if (sbi_http_header(resp, "Retry-After", value, sizeof value)) {
    printable(value, strlen(value), sizeof value, retry_after,
              sizeof retry_after);
    snprintf(wait, sizeof wait, ", Retry-After: %s", retry_after);
  }
  snprintf(out, size, "%s answered HTTP %d%s%s%s%s: %s", host, resp->status,
           wait, excerpt[0] ? " (" : "", excerpt, excerpt[0] ? ")" : "",
           status_hint(resp->status, auth_hint));
  /* Any header value the server chose (Retry-After) may echo it too. */
  sbi_secret_redact_auth(out, size, auth);
}
