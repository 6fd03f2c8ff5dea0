/* The token exchange on the wire (RFC 6749 §4.4 with RFC 7523 client
 * assertions): the form body out, the JSON answer or OAuth error in. */
#include "oauth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <segbridge/error.h>
#include <segbridge/json.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/secret.h"
#include "transport/policy.h"
#include "transport/retry.h"

#define SBI_FORM_HEAD                                                          \
  "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams"    \
  "%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
#define SBI_BEARER_PREFIX "Authorization: Bearer "

/* Longest token accepted: Segment's are a few hundred bytes. */
#define SBI_TOKEN_MAX_LEN 8192
/* Longest lifetime believed: Segment offers up to 30 days. */
#define SBI_TOKEN_MAX_LIFETIME_S (366 * 86400)
/* A Date further off than this is not taken as the server's clock. */
#define SBI_SKEW_MAX_MS (86400 * INT64_C(1000))

void sbi_token_reply_free(sbi_token_reply *r) {
  sbi_secret_wipe(r->header.data, r->header.cap);
  sbi_buf_free(&r->header);
}

static int is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode @s onto @out, whose room the caller reserved. */
static void put_encoded(sbi_buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";

  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (is_unreserved(c)) {
      out->data[out->len++] = (char)c;
    } else {
      out->data[out->len++] = '%';
      out->data[out->len++] = hex[c >> 4];
      out->data[out->len++] = hex[c & 0x0F];
    }
  }
  out->data[out->len] = '\0';
}

int sbi_token_form(sbi_buf *out, const char *jwt, const char *scope) {
  /* Reserved whole, so the buffer never moves with the JWT in it. */
  int rc = sbi_buf_reserve(out, sizeof SBI_FORM_HEAD + 3 * strlen(jwt) +
                                    sizeof "&scope=" + 3 * strlen(scope));

  if (rc != SEGB_OK)
    return rc;
  sbi_buf_puts(out, SBI_FORM_HEAD);
  put_encoded(out, jwt);
  sbi_buf_puts(out, "&scope=");
  put_encoded(out, scope);
  return SEGB_OK;
}

static int is_base64url(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The length of the JWT at @s (a run of base64url and dots that starts as
 * a JSON header's base64url does), or 0. */
static size_t jwt_at(const char *s, size_t len) {
  size_t n;

  if (len < 3 || memcmp(s, "eyJ", 3) != 0)
    return 0;
  for (n = 3; n < len && (is_base64url((unsigned char)s[n]) || s[n] == '.');
       n++)
    ;
  return n;
}

/* A printable, bounded copy of server-supplied text for error details. A
 * server that echoes the request would echo our client assertion: JWTs
 * are cut out. */
static void excerpt(const char *s, size_t len, char *out, size_t size) {
  static const char cut[] = "[redacted]";
  size_t i = 0, n = 0;

  while (i < len && n + 1 < size) {
    unsigned char c = (unsigned char)s[i];
    size_t jwt = i == 0 || !is_base64url((unsigned char)s[i - 1])
                     ? jwt_at(s + i, len - i)
                     : 0;

    if (jwt > 0) {
      if (n + sizeof cut > size)
        break;
      memcpy(out + n, cut, sizeof cut - 1);
      n += sizeof cut - 1;
      i += jwt;
      continue;
    }
    out[n++] = c >= 0x20 && c < 0x7F ? (char)c : ' ';
    i++;
  }
  out[n] = '\0';
}

static const sbi_json *member(const sbi_json *obj, const char *key) {
  return obj != NULL && obj->type == SBI_JSON_OBJECT
             ? sbi_json_get(obj, key, strlen(key))
             : NULL;
}

/* A token goes into a header line: visible ASCII only (RFC 6750 allows
 * less), so it cannot end the line or smuggle in another header. */
static int token_ok(const sbi_json *t) {
  size_t i;

  if (t->str_len == 0 || t->str_len > SBI_TOKEN_MAX_LEN)
    return 0;
  for (i = 0; i < t->str_len; i++)
    if ((unsigned char)t->str[i] <= 0x20 || (unsigned char)t->str[i] >= 0x7F)
      return 0;
  return 1;
}

/* expires_in as whole seconds, or an error. */
static int read_lifetime(const sbi_json *e, const char *host, int64_t *out) {
  int64_t v;

  if (e == NULL)
    return sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                     "token response from %s has no expires_in", host);
  if (e->type != SBI_JSON_NUMBER)
    return sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                     "token response from %s: expires_in is not a number",
                     host);
  /* The public read-only view of a node is the node itself. */
  if (segb_json_int64((const segb_json_t *)(const void *)e, &v) != SEGB_OK) {
    char text[32];
    excerpt(e->str, e->str_len, text, sizeof text);
    return sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                     "token response from %s: expires_in %s is not a whole "
                     "number of seconds",
                     host, text);
  }
  if (v <= 0 || v > SBI_TOKEN_MAX_LIFETIME_S)
    return sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                     "token response from %s: expires_in %lld is %s", host,
                     (long long)v,
                     v <= 0 ? "not positive" : "over a year: not believed");
  *out = v;
  return SEGB_OK;
}

/* A 200: {"access_token": "...", "expires_in": N, "token_type": "Bearer"}. */
static int read_token(const sbi_http_response *resp, const char *host,
                      sbi_token_reply *r) {
  const sbi_json *tok, *type;
  sbi_json *root = NULL;
  char why[96], text[32];
  int64_t lifetime = 0;
  int rc;

  rc = sbi_json_parse(resp->body.data != NULL ? resp->body.data : "",
                      resp->body.len, NULL, 0, 8, &root, why, sizeof why);
  if (rc != SEGB_OK)
    return sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                     "token response from %s is not JSON (%s): is "
                     "oauth.server an OAuth server?",
                     host, why);
  tok = member(root, "access_token");
  type = member(root, "token_type");
  if (root->type != SBI_JSON_OBJECT)
    rc = sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                   "token response from %s is not a JSON object", host);
  else if (tok == NULL || tok->type != SBI_JSON_STRING)
    rc = sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                   "token response from %s has no access_token string", host);
  else if (!token_ok(tok))
    rc = sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                   "token response from %s: access_token is empty, over %d "
                   "bytes or has characters a header cannot carry",
                   host, SBI_TOKEN_MAX_LEN);
  else if (type != NULL && (type->type != SBI_JSON_STRING ||
                            strcasecmp(type->str, "Bearer") != 0)) {
    excerpt(type->str != NULL ? type->str : "", type->str_len, text,
            sizeof text);
    rc = sbi_error(SEGB_ERR_OAUTH_RESPONSE,
                   "token response from %s: token_type is \"%s\", not Bearer",
                   host, text);
  } else {
    rc = read_lifetime(member(root, "expires_in"), host, &lifetime);
  }
  /* Reserved whole, so the buffer never moves with the token in it. */
  if (rc == SEGB_OK &&
      (sbi_buf_reserve(&r->header, sizeof SBI_BEARER_PREFIX + tok->str_len) !=
           SEGB_OK ||
       sbi_buf_puts(&r->header, SBI_BEARER_PREFIX) != SEGB_OK ||
       sbi_buf_append(&r->header, tok->str, tok->str_len) != SEGB_OK))
    rc = sbi_error(SEGB_ERR_NOMEM, "out of memory keeping a token");
  r->expires_in_ms = lifetime * 1000;
  /* the answer holds the token, perhaps more than once */
  sbi_json_free_secret(root);
  return rc;
}

/* What a server that handed out no token said: the error and its
 * description (or ""), and a sentence for the detail naming both. */
typedef struct sbi_refusal {
  char code[48], text[160], what[512];
} sbi_refusal;

/* From an OAuth error body {"error": ..., "error_description": ...} when
 * the server sent one (RFC 6749 §5.2), else from the start of its body. */
static void describe(const sbi_http_response *resp, const char *host,
                     sbi_refusal *f) {
  const sbi_json *err, *desc;
  sbi_json *root = NULL;

  f->code[0] = f->text[0] = '\0';
  sbi_json_parse(resp->body.data != NULL ? resp->body.data : "", resp->body.len,
                 NULL, 0, 8, &root, NULL, 0);
  err = member(root, "error");
  desc = member(root, "error_description");
  if (err != NULL && err->type == SBI_JSON_STRING)
    excerpt(err->str, err->str_len, f->code, sizeof f->code);
  if (desc != NULL && desc->type == SBI_JSON_STRING)
    excerpt(desc->str, desc->str_len, f->text, sizeof f->text);
  else if (root == NULL)
    excerpt(resp->body.data != NULL ? resp->body.data : "",
            resp->body.len < 120 ? resp->body.len : 120, f->text,
            sizeof f->text);
  sbi_json_free_secret(root);
  if (f->code[0] != '\0' || f->text[0] != '\0')
    snprintf(f->what, sizeof f->what,
             "%s answered the token request with HTTP %d (%s%s%s)", host,
             resp->status, f->code, f->code[0] && f->text[0] ? ": " : "",
             f->text);
  else
    snprintf(f->what, sizeof f->what,
             "%s answered the token request with HTTP %d", host, resp->status);
}

/* A final refusal @o by the outcome policy (a 400, 401 or 415, or a
 * redirect): the request or the setup is wrong, and asking again would not
 * mend it. The OAuth error in the body tells which part; without one, the
 * policy's code (a bare 401 blames the client) and hint. */
static int read_refusal(const sbi_http_response *resp, const char *host,
                        const sbi_outcome *o, sbi_token_reply *r) {
  sbi_refusal f;
  const char *code = f.code, *text = f.text, *what = f.what;

  describe(resp, host, &f);
  if (strcmp(code, "invalid_client") == 0 ||
      strcmp(code, "unauthorized_client") == 0 ||
      (code[0] == '\0' && o->code == SEGB_ERR_OAUTH_INVALID_CLIENT))
    return sbi_error(SEGB_ERR_OAUTH_INVALID_CLIENT,
                     "%s: check oauth.client_id, oauth.key_id and that the "
                     "private key is the one whose public key the OAuth app "
                     "holds",
                     what);
  if (strcmp(code, "invalid_scope") == 0)
    return sbi_error(SEGB_ERR_OAUTH_INVALID_SCOPE,
                     "%s: check oauth.scope; the Tracking API needs "
                     "tracking_api:write",
                     what);
  /* Segment's words for an assertion outside its validity window. */
  if (strstr(text, "expired") != NULL ||
      strstr(text, "before issued") != NULL) {
    r->clock_refused = 1;
    return sbi_error(SEGB_ERR_REJECTED,
                     "%s: the machine's clock is off by more than the "
                     "server's Date corrects",
                     what);
  }
  return sbi_error(SEGB_ERR_REJECTED, "%s%s%s", what, o->hint ? ": " : "",
                   o->hint ? o->hint : "");
}

int sbi_token_read(const sbi_http_response *resp, const char *url,
                   sbi_token_reply *r) {
  char host[256], value[64], shown[64];
  sbi_outcome o;
  sbi_refusal f;
  int64_t wait;

  sbi_url_host(url, host, sizeof host);
  r->retry_after_ms = -1;
  r->clock_refused = 0;
  if (resp->error != SEGB_OK)
    return sbi_error(resp->error, "token request: %s", resp->error_text);
  o = sbi_http_outcome(resp, SBI_PEER_TOKEN, 0, 0);
  if (o.verdict == SBI_VERDICT_DELIVERED)
    return read_token(resp, host, r);
  if (o.verdict == SBI_VERDICT_REJECTED)
    return read_refusal(resp, host, &o, r);
  if (o.code == SEGB_ERR_RATE_LIMITED) {
    if (sbi_http_header(resp, "Retry-After", value, sizeof value) &&
        sbi_retry_after_parse(value, sbi_clock_now_ms(), &wait))
      r->retry_after_ms = wait;
    /* The value is the server's text, however lenient the date reader:
     * shown printable, with anything shaped like our assertion cut. */
    excerpt(value, strlen(value), shown, sizeof shown);
    return sbi_error(SEGB_ERR_RATE_LIMITED,
                     "%s answered the token request with HTTP 429%s%s: %s",
                     host, r->retry_after_ms >= 0 ? ", Retry-After: " : "",
                     r->retry_after_ms >= 0 ? shown : "", o.hint);
  }
  /* Nothing in the answer says the setup is wrong. */
  describe(resp, host, &f);
  return sbi_error(o.code, "%s: %s", f.what, o.hint);
}

int sbi_token_skew(const sbi_http_response *resp, int64_t local_ms,
                   int64_t *skew_ms) {
  char value[64];
  int64_t server_ms;

  if (!sbi_http_header(resp, "Date", value, sizeof value) ||
      !sbi_http_date(value, &server_ms) ||
      server_ms <= local_ms - SBI_SKEW_MAX_MS ||
      server_ms >= local_ms + SBI_SKEW_MAX_MS)
    return 0;
  *skew_ms = local_ms - server_ms;
  return 1;
}
