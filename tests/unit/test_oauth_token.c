/* The token exchange on the wire: the form body, every kind of answer a
 * token endpoint can give, and the clock skew read from Date. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>

#include "auth/oauth.h"
#include "core/buf.h"

#define URL "https://oauth2.segment.io/token"
#define TOKEN "SECRET.tok-123_abc~+/="

static void test_form(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_token_form(&b, "aa.bb.cc", "tracking_api:write"),
                   SEGB_OK);
  assert_string_equal(
      b.data, "grant_type=client_credentials&client_assertion_type=urn%3Aietf"
              "%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_"
              "assertion=aa.bb.cc&scope=tracking_api%3Awrite");
  sbi_buf_clear(&b);
  assert_int_equal(sbi_token_form(&b, "x", "a b&c=d/é"), SEGB_OK);
  assert_non_null(strstr(b.data, "&scope=a%20b%26c%3Dd%2F%C3%A9"));
  sbi_buf_free(&b);
}

/* A response with @status, header lines @headers ("Name: v\r\n"...) and
 * @body; the caller frees it. */
static void make(sbi_http_response *r, int status, const char *headers,
                 const char *body) {
  memset(r, 0, sizeof *r);
  r->status = status;
  if (headers != NULL)
    assert_int_equal(sbi_buf_puts(&r->headers, headers), SEGB_OK);
  if (body != NULL)
    assert_int_equal(sbi_buf_puts(&r->body, body), SEGB_OK);
}

/* Read @body as a 200 answer: the code, and no token in the detail. */
static int read_200(const char *body) {
  sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
  sbi_http_response r;
  int rc;

  make(&r, 200, NULL, body);
  rc = sbi_token_read(&r, URL, &reply);
  if (rc != SEGB_OK) {
    assert_null(strstr(segb_last_error_message(), "SECRET"));
    assert_non_null(strstr(segb_last_error_message(), "oauth2.segment.io"));
    assert_int_equal(reply.header.len, 0);
  }
  sbi_token_reply_free(&reply);
  sbi_http_response_free(&r);
  return rc;
}

static void test_good_token(void **state) {
  sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
  sbi_http_response r;
  (void)state;

  make(&r, 200, "Content-Type: application/json\r\n",
       "{\"access_token\":\"" TOKEN "\",\"token_type\":\"bearer\","
       "\"expires_in\":3600,\"scope\":\"tracking_api:write\"}");
  assert_int_equal(sbi_token_read(&r, URL, &reply), SEGB_OK);
  assert_string_equal(reply.header.data, "Authorization: Bearer " TOKEN);
  assert_int_equal(reply.expires_in_ms, 3600000);
  sbi_token_reply_free(&reply);
  sbi_http_response_free(&r);
  /* token_type is optional */
  assert_int_equal(read_200("{\"access_token\":\"t\",\"expires_in\":1}"),
                   SEGB_OK);
}

static void test_malformed_token_responses(void **state) {
  static const char *const bodies[] = {
      "",
      "<html>Sign in</html>",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":36", /* truncated */
      "[\"" TOKEN "\"]",
      "{\"access_token\":\"" TOKEN "\"}", /* no expires_in */
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":-5}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":0}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":100000000}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":1e400}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":99999999999999999999}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":3600.5}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":\"3600\"}",
      "{\"expires_in\":3600}",
      "{\"access_token\":\"\",\"expires_in\":3600}",
      "{\"access_token\":42,\"expires_in\":3600}",
      "{\"access_token\":\"SECRET\\r\\nX-Evil: 1\",\"expires_in\":3600}",
      "{\"access_token\":\"SECRET two\",\"expires_in\":3600}",
      "{\"access_token\":\"" TOKEN "\",\"expires_in\":3600,"
      "\"token_type\":\"mac\"}",
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    int rc = read_200(bodies[i]);
    if (rc != SEGB_ERR_OAUTH_RESPONSE)
      fail_msg("body %zu (%s) gave %s", i, bodies[i], segb_err_name(rc));
  }
  /* A proxy's page or a half-working server may answer in its place:
   * worth asking again later, not a setup error. */
  assert_true(sbi_auth_transient(SEGB_ERR_OAUTH_RESPONSE));
  assert_int_equal(read_200("{\"expires_in\":-5,\"access_token\":\"x\"}"),
                   SEGB_ERR_OAUTH_RESPONSE);
  assert_non_null(strstr(segb_last_error_message(), "not positive"));
  assert_int_equal(read_200("{\"access_token\":\"x\"}"),
                   SEGB_ERR_OAUTH_RESPONSE);
  assert_non_null(strstr(segb_last_error_message(), "no expires_in"));
  assert_int_equal(read_200("{\"access_token\":\"x\",\"expires_in\":36"),
                   SEGB_ERR_OAUTH_RESPONSE);
  assert_non_null(strstr(segb_last_error_message(), "not JSON"));
}

typedef struct refusal_case {
  int status;
  const char *headers, *body;
  int code;
  const char *says;
  int clock;
} refusal_case;

static void test_refusals(void **state) {
  static const refusal_case cases[] = {
      {400, NULL,
       "{\"error\":\"invalid_client\",\"error_description\":\"unknown kid\"}",
       SEGB_ERR_OAUTH_INVALID_CLIENT, "unknown kid", 0},
      {401, NULL, "{\"error\":\"invalid_client\"}",
       SEGB_ERR_OAUTH_INVALID_CLIENT, "oauth.key_id", 0},
      {401, NULL, "", SEGB_ERR_OAUTH_INVALID_CLIENT, "HTTP 401", 0},
      {400, NULL, "{\"error\":\"unauthorized_client\"}",
       SEGB_ERR_OAUTH_INVALID_CLIENT, "unauthorized_client", 0},
      {400, NULL, "{\"error\":\"invalid_scope\"}", SEGB_ERR_OAUTH_INVALID_SCOPE,
       "oauth.scope", 0},
      {400, NULL,
       "{\"error\":\"invalid_request\",\"error_description\":\"Token is "
       "expired\"}",
       SEGB_ERR_REJECTED, "clock", 1},
      {400, NULL,
       "{\"error\":\"invalid_request\",\"error_description\":\"Token used "
       "before issued\"}",
       SEGB_ERR_REJECTED, "before issued", 1},
      {400, NULL, "{\"error\":\"unsupported_grant_type\"}", SEGB_ERR_REJECTED,
       "unsupported_grant_type", 0},
      /* Only 400, 401 and 415 say the setup is wrong; other 4xx may pass
       * (a proxy's 403 or 407, a 404 while the server is deployed). */
      {404, NULL, "not found", SEGB_ERR_SERVER, "HTTP 404 (not found)", 0},
      {403, NULL, "<html><body>Forbidden by proxy</body></html>",
       SEGB_ERR_SERVER, "HTTP 403 (<html><body>Forbidden", 0},
      {407, NULL, "", SEGB_ERR_SERVER, "HTTP 407", 0},
      {409, NULL, "{\"error\":\"conflict\"}", SEGB_ERR_SERVER,
       "HTTP 409 (conflict): tried again later", 0},
      {422, NULL, "", SEGB_ERR_SERVER, "HTTP 422", 0},
      {451, NULL, "", SEGB_ERR_SERVER, "HTTP 451", 0},
      {204, NULL, "", SEGB_ERR_SERVER, "HTTP 204", 0},
      {415, NULL, "", SEGB_ERR_REJECTED, "HTTP 415", 0},
      {400, NULL, "{\"error\":\"invalid_grant\"}", SEGB_ERR_REJECTED,
       "invalid_grant", 0},
      {400, NULL, "{\"error\":\"invalid_request\"}", SEGB_ERR_REJECTED,
       "invalid_request", 0},
      {302, "Location: https://x/\r\n", "", SEGB_ERR_REJECTED, "redirects", 0},
      {429, "Retry-After: 7\r\n", "", SEGB_ERR_RATE_LIMITED, "Retry-After: 7",
       0},
      {429, NULL, "", SEGB_ERR_RATE_LIMITED, "HTTP 429", 0},
      {503, NULL, "", SEGB_ERR_SERVER, "HTTP 503", 0},
      {500, NULL, "", SEGB_ERR_SERVER, "HTTP 500", 0},
      {408, NULL, "", SEGB_ERR_SERVER, "HTTP 408", 0},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const refusal_case *c = &cases[i];
    sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
    sbi_http_response r;

    make(&r, c->status, c->headers, c->body);
    if (sbi_token_read(&r, URL, &reply) != c->code)
      fail_msg("case %zu (HTTP %d): %s, not %s", i, c->status,
               segb_err_name(segb_last_error()), segb_err_name(c->code));
    if (strstr(segb_last_error_message(), c->says) == NULL)
      fail_msg("case %zu: \"%s\" does not say \"%s\"", i,
               segb_last_error_message(), c->says);
    assert_int_equal(reply.clock_refused, c->clock);
    assert_int_equal(reply.retry_after_ms,
                     c->status == 429 && c->headers != NULL ? 7000 : -1);
    sbi_token_reply_free(&reply);
    sbi_http_response_free(&r);
  }
}

/* Which answers are worth asking again about and which end the matter
 * (Segment's SDKs: 400, 401 and 415 are unrecoverable, the rest transient). */
static void test_final_or_transient(void **state) {
  static const int final[] = {400, 401, 415, 301, 302, 307};
  static const int passing[] = {402, 403, 404, 405, 406, 407, 408, 409,
                                410, 413, 418, 422, 425, 429, 451, 460,
                                499, 500, 502, 503, 504, 100, 201, 204};
  size_t i;
  (void)state;

  for (i = 0; i < sizeof final / sizeof final[0]; i++) {
    sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
    sbi_http_response r;
    int rc;

    make(&r, final[i], NULL, "");
    rc = sbi_token_read(&r, URL, &reply);
    if (sbi_auth_transient(rc))
      fail_msg("HTTP %d gave %s, a transient code", final[i],
               segb_err_name(rc));
    sbi_http_response_free(&r);
  }
  for (i = 0; i < sizeof passing / sizeof passing[0]; i++) {
    sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
    sbi_http_response r;
    int rc;

    make(&r, passing[i], NULL, "{\"error\":\"invalid_client\"}");
    rc = sbi_token_read(&r, URL, &reply);
    if (!sbi_auth_transient(rc))
      fail_msg("HTTP %d gave %s, a final code", passing[i], segb_err_name(rc));
    sbi_http_response_free(&r);
  }
}

/* A server echoing the request would echo the client assertion, a
 * credential for its lifetime: nothing shaped like a JWT reaches the
 * detail, whatever the status and wherever it stands. */
static void test_echoed_assertion_redacted(void **state) {
#define JWT "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcHAifQ.c2lnbmF0dXJl-_x"
  static const struct {
    int status;
    const char *body;
  } cases[] = {
      {400, "{\"error\":\"invalid_request\",\"error_description\":\"bad "
            "assertion " JWT "\"}"},
      {400, "{\"error\":\"" JWT "\"}"},
      {401, "client_assertion=" JWT "&scope=tracking_api%3Awrite"},
      {404, "<html>POST /token client_assertion=" JWT "</html>"},
      {403, JWT},
      /* cut inside the JWT by the excerpt's length */
      {400,
       "....................................................................."
       "..........................................." JWT},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
    sbi_http_response r;

    make(&r, cases[i].status, NULL, cases[i].body);
    assert_int_not_equal(sbi_token_read(&r, URL, &reply), SEGB_OK);
    if (strstr(segb_last_error_message(), "eyJ") != NULL ||
        strstr(segb_last_error_message(), "c2lnbmF0dXJl") != NULL)
      fail_msg("case %zu: %s", i, segb_last_error_message());
    if (i < 5)
      assert_non_null(strstr(segb_last_error_message(), "[redacted]"));
    sbi_http_response_free(&r);
  }
  /* words that merely contain the letters stay */
  {
    sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
    sbi_http_response r;

    make(&r, 400, NULL, "{\"error_description\":\"heyJude eyJ\"}");
    assert_int_equal(sbi_token_read(&r, URL, &reply), SEGB_ERR_REJECTED);
    assert_non_null(strstr(segb_last_error_message(), "heyJude [redacted]"));
    sbi_http_response_free(&r);
  }
#undef JWT
}

static void test_transport_failure(void **state) {
  sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
  sbi_http_response r;
  (void)state;

  make(&r, 0, NULL, NULL);
  r.error = SEGB_ERR_CONNECT;
  snprintf(r.error_text, sizeof r.error_text,
           "request to oauth2.segment.io failed: refused");
  assert_int_equal(sbi_token_read(&r, URL, &reply), SEGB_ERR_CONNECT);
  assert_non_null(strstr(segb_last_error_message(), "refused"));
  assert_true(sbi_auth_transient(SEGB_ERR_CONNECT));
  assert_false(sbi_auth_transient(SEGB_ERR_OAUTH_INVALID_CLIENT));
  assert_false(sbi_auth_transient(SEGB_ERR_TLS));
  sbi_http_response_free(&r);
}

/* 2023-11-14T22:13:20Z, and the same instant as an IMF-fixdate. */
#define LOCAL_MS INT64_C(1700000000000)

static int skew_of(const char *date, int64_t *skew) {
  sbi_http_response r;
  char line[96];
  int ok;

  snprintf(line, sizeof line, "Date: %s\r\n", date);
  make(&r, 200, date != NULL ? line : NULL, NULL);
  ok = sbi_token_skew(&r, LOCAL_MS, skew);
  sbi_http_response_free(&r);
  return ok;
}

static void test_skew(void **state) {
  int64_t skew = 12345;
  (void)state;

  assert_true(skew_of("Tue, 14 Nov 2023 22:13:20 GMT", &skew));
  assert_int_equal(skew, 0);
  /* the server runs 300 s ahead: local - server = -300 s */
  assert_true(skew_of("Tue, 14 Nov 2023 22:18:20 GMT", &skew));
  assert_int_equal(skew, -300000);
  assert_true(skew_of("Tue, 14 Nov 2023 22:08:20 GMT", &skew));
  assert_int_equal(skew, 300000);
  skew = 7;
  assert_false(skew_of(NULL, &skew));
  assert_false(skew_of("300", &skew));
  assert_false(skew_of("yesterday", &skew));
  assert_false(skew_of("Sun, 14 Nov 2021 22:13:20 GMT", &skew));
  assert_false(skew_of("Thu, 14 Nov 2024 22:13:20 GMT", &skew));
  assert_int_equal(skew, 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_form),
      cmocka_unit_test(test_good_token),
      cmocka_unit_test(test_malformed_token_responses),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_final_or_transient),
      cmocka_unit_test(test_echoed_assertion_redacted),
      cmocka_unit_test(test_transport_failure),
      cmocka_unit_test(test_skew),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
