/*
 * OAuth for the mock: POST /token checks an RS256 client assertion the way
 * an authorization server does (RFC 7523) and issues opaque tokens; the
 * Tracking routes ask sbm_oauth_bearer_problem() about the Bearer tokens
 * they are shown. Refusals are RFC 6749 §5.2 error bodies, using Segment's
 * wording for assertions outside their validity ("Token is expired",
 * "Token used before issued").
 */
#include "mock_internal.h"

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SBM_DEFAULT_SCOPE "tracking_api:write"
#define SBM_DEFAULT_LIFETIME_S 3600
#define SBM_JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* Longest assertion lifetime (exp - iat) accepted, as Segment asks. */
#define SBM_MAX_ASSERTION_S 60
/* Bounds on what the mock remembers. */
#define SBM_KEEP_TOKENS 100000u
#define SBM_KEEP_JTIS 100000u

typedef struct sbm_issued {
  char *value;        /* a token, or a jti */
  int64_t expires_ms; /* on the mock's clock */
} sbm_issued;

/* Entries oldest first; expired ones are pruned as new ones come. */
typedef struct sbm_issued_list {
  sbm_issued *items;
  size_t len, cap;
} sbm_issued_list;

struct sbm_oauth {
  pthread_mutex_t lock;
  EVP_PKEY *key;
  char *key_id, *client_id, *scope; /* NULL key_id/client_id: any */
  int lifetime_s;
  sbm_issued_list tokens, jtis;
  sbm_oauth_stats stats;
};

/* ---- remembered tokens and jtis ------------------------------------- */

static void list_clear(sbm_issued_list *l) {
  for (size_t i = 0; i < l->len; i++)
    free(l->items[i].value);
  l->len = 0;
}

/* Drop the expired entries, and the oldest while over @keep. */
static void list_prune(sbm_issued_list *l, int64_t now, size_t keep) {
  size_t o = 0;
  for (size_t i = 0; i < l->len; i++) {
    if (l->items[i].expires_ms <= now || l->len - i > keep)
      free(l->items[i].value);
    else
      l->items[o++] = l->items[i];
  }
  l->len = o;
}

static int list_add(sbm_issued_list *l, const char *value, int64_t expires) {
  if (l->len == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    sbm_issued *grown = realloc(l->items, cap * sizeof *grown);
    if (!grown)
      return -1;
    l->items = grown;
    l->cap = cap;
  }
  char *copy = strdup(value);
  if (!copy)
    return -1;
  l->items[l->len++] = (sbm_issued){copy, expires};
  return 0;
}

static const sbm_issued *list_find(const sbm_issued_list *l,
                                   const char *value) {
  for (size_t i = 0; i < l->len; i++)
    if (strcmp(l->items[i].value, value) == 0)
      return &l->items[i];
  return NULL;
}

/* ---- lifecycle and getters ------------------------------------------ */

static char *dup_opt(const char *s, int *failed) {
  char *d = s ? strdup(s) : NULL;
  if (s && !d)
    *failed = 1;
  return d;
}

int sbm_oauth_new(const sbm_options *opts, sbm_oauth **out, char *errstr,
                  size_t errstr_size) {
  *out = NULL;
  if (!opts->oauth_public_key_pem)
    return 0;
  sbm_oauth *oa = calloc(1, sizeof *oa);
  if (!oa) {
    snprintf(errstr, errstr_size, "out of memory");
    return -1;
  }
  pthread_mutex_init(&oa->lock, NULL);
  BIO *bio = BIO_new_mem_buf(opts->oauth_public_key_pem, -1);
  oa->key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  ERR_clear_error();
  if (!oa->key || !EVP_PKEY_is_a(oa->key, "RSA")) {
    snprintf(errstr, errstr_size,
             "oauth_public_key_pem is not an RSA public key "
             "(-----BEGIN PUBLIC KEY-----)");
    sbm_oauth_free(oa);
    return -1;
  }
  int failed = 0;
  oa->key_id = dup_opt(opts->oauth_key_id, &failed);
  oa->client_id = dup_opt(opts->oauth_client_id, &failed);
  oa->scope = dup_opt(opts->oauth_scope ? opts->oauth_scope : SBM_DEFAULT_SCOPE,
                      &failed);
  oa->lifetime_s = opts->oauth_token_lifetime_s > 0
                       ? opts->oauth_token_lifetime_s
                       : SBM_DEFAULT_LIFETIME_S;
  if (failed) {
    snprintf(errstr, errstr_size, "out of memory");
    sbm_oauth_free(oa);
    return -1;
  }
  *out = oa;
  return 0;
}

void sbm_oauth_free(sbm_oauth *oa) {
  if (!oa)
    return;
  list_clear(&oa->tokens);
  list_clear(&oa->jtis);
  free(oa->tokens.items);
  free(oa->jtis.items);
  EVP_PKEY_free(oa->key);
  free(oa->key_id);
  free(oa->client_id);
  free(oa->scope);
  pthread_mutex_destroy(&oa->lock);
  free(oa);
}

void sbm_get_oauth_stats(sbm_mock *m, sbm_oauth_stats *out) {
  if (!out)
    return;
  *out = (sbm_oauth_stats){0};
  if (!m || !m->oauth)
    return;
  pthread_mutex_lock(&m->oauth->lock);
  *out = m->oauth->stats;
  pthread_mutex_unlock(&m->oauth->lock);
}

void sbm_oauth_revoke(sbm_mock *m) {
  if (!m || !m->oauth)
    return;
  pthread_mutex_lock(&m->oauth->lock);
  list_clear(&m->oauth->tokens);
  pthread_mutex_unlock(&m->oauth->lock);
}

const char *sbm_oauth_bearer_problem(sbm_mock *m, const char *token) {
  if (!m || !m->oauth)
    return NULL;
  sbm_oauth *oa = m->oauth;
  const char *problem = NULL;
  pthread_mutex_lock(&oa->lock);
  const sbm_issued *t = list_find(&oa->tokens, token);
  if (!t)
    problem = "the Bearer token is not one the mock issued (or it was "
              "revoked)";
  else if (t->expires_ms <= sbm_clock_ms(m))
    problem = "the Bearer token has expired";
  if (problem)
    oa->stats.bearer_refused++;
  pthread_mutex_unlock(&oa->lock);
  return problem;
}

/* ---- the request: form fields and the assertion ---------------------- */

/* The decoded value of form field @name in @body, malloc'd; NULL when the
 * field is absent or malformed. */
static char *form_field(const char *body, const char *name) {
  size_t name_len = strlen(name);
  const char *p = body;
  while (strncmp(p, name, name_len) != 0 || p[name_len] != '=') {
    p = strchr(p, '&');
    if (!p)
      return NULL;
    p++;
  }
  const char *v = p + name_len + 1;
  size_t n = strcspn(v, "&"), o = 0;
  char *out = malloc(n + 1);
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    if (v[i] == '+') {
      out[o++] = ' ';
    } else if (v[i] == '%') {
      int hi = i + 2 < n ? sbm_hex_value(v[i + 1]) : -1;
      int lo = hi >= 0 ? sbm_hex_value(v[i + 2]) : -1;
      if (lo < 0) {
        free(out);
        return NULL;
      }
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = v[i];
    }
  }
  out[o] = '\0';
  return out;
}

/* base64url without padding into a malloc'd, NUL-terminated buffer. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len) {
  unsigned char *out = malloc(n / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  if (!out || n % 4 == 1) {
    free(out);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-'             ? 62
            : c == '_'             ? 63
                                   : -1;
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits & 0xFF);
    }
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

/* One base64url part of a JWT, parsed as a JSON object. */
static cJSON *jwt_part_json(const char *s, size_t n) {
  size_t len;
  unsigned char *text = b64url_decode(s, n, &len);
  cJSON *j = text ? cJSON_ParseWithLength((const char *)text, len) : NULL;
  free(text);
  if (j && !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    j = NULL;
  }
  return j;
}

static int verify_signature(EVP_PKEY *key, const char *input, size_t len,
                            const char *sig_b64, size_t sig_b64_len) {
  size_t sig_len;
  unsigned char *sig = b64url_decode(sig_b64, sig_b64_len, &sig_len);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = sig && ctx &&
           EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
           EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input,
                            len) == 1;
  EVP_MD_CTX_free(ctx);
  free(sig);
  ERR_clear_error();
  return ok;
}

/* A refusal: the OAuth error and its description as the JSON reply. */
typedef struct refusal {
  unsigned status;
  const char *error;
  char description[256];
} refusal;

static int refuse(refusal *r, unsigned status, const char *error,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(refusal *r, unsigned status, const char *error,
                  const char *fmt, ...) {
  r->status = status;
  r->error = error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->description, sizeof r->description, fmt, ap);
  va_end(ap);
  return -1;
}

static const char *string_claim(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int number_claim(const cJSON *o, const char *name, int64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  /* within the doubles that hold whole numbers exactly */
  if (!cJSON_IsNumber(v) || !(v->valuedouble > -9e15 && v->valuedouble < 9e15))
    return 0;
  *out = (int64_t)v->valuedouble;
  return 1;
}

/* The header and the signature: is this the client's key? */
static int check_key(sbm_oauth *oa, const cJSON *header, const char *jwt,
                     const char *dot2, refusal *r) {
  const char *alg = string_claim(header, "alg");
  const char *kid = string_claim(header, "kid");
  if (!alg || strcmp(alg, "RS256") != 0)
    return refuse(r, 401, "invalid_client", "alg must be RS256");
  if (oa->key_id && (!kid || strcmp(kid, oa->key_id) != 0))
    return refuse(r, 401, "invalid_client", "unknown key id (kid)");
  if (!verify_signature(oa->key, jwt, (size_t)(dot2 - jwt), dot2 + 1,
                        strlen(dot2 + 1)))
    return refuse(r, 401, "invalid_client",
                  "the assertion's signature does not verify with the "
                  "client's public key");
  return 0;
}

/* The claims, against the mock's clock (@now, seconds) and its URL. */
static int check_claims(sbm_mock *m, const cJSON *claims, int64_t now,
                        refusal *r) {
  sbm_oauth *oa = m->oauth;
  const char *iss = string_claim(claims, "iss");
  const char *sub = string_claim(claims, "sub");
  const char *aud = string_claim(claims, "aud");
  const char *jti = string_claim(claims, "jti");
  int64_t iat, exp;
  if (!iss || !sub || strcmp(iss, sub) != 0 ||
      (oa->client_id && strcmp(sub, oa->client_id) != 0))
    return refuse(r, 401, "invalid_client",
                  "iss and sub must both be the OAuth app's client ID");
  if (!aud || strcmp(aud, m->url) != 0)
    return refuse(r, 401, "invalid_client", "aud must be %s", m->url);
  if (!number_claim(claims, "iat", &iat) || !number_claim(claims, "exp", &exp))
    return refuse(r, 400, "invalid_request", "iat and exp are required");
  if (exp - iat > SBM_MAX_ASSERTION_S || exp <= iat)
    return refuse(r, 400, "invalid_request",
                  "the assertion must be valid for at most %d seconds",
                  SBM_MAX_ASSERTION_S);
  if (iat > now)
    return refuse(r, 400, "invalid_request", "Token used before issued");
  if (exp <= now)
    return refuse(r, 400, "invalid_request", "Token is expired");
  if (!jti || !jti[0])
    return refuse(r, 400, "invalid_request", "jti is required");
  int64_t now_ms = now * 1000;
  list_prune(&oa->jtis, now_ms, SBM_KEEP_JTIS);
  if (list_find(&oa->jtis, jti))
    return refuse(r, 400, "invalid_request", "jti was used before (replay)");
  if (list_add(&oa->jtis, jti, exp * 1000) != 0)
    return refuse(r, 500, "server_error", "out of memory");
  return 0;
}

/* The whole assertion; with the lock held. */
static int check_assertion(sbm_mock *m, const char *jwt, int64_t now,
                           refusal *r) {
  const char *dot1 = strchr(jwt, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot2 || strchr(dot2 + 1, '.'))
    return refuse(r, 400, "invalid_request",
                  "client_assertion is not a signed JWT (three parts)");
  cJSON *header = jwt_part_json(jwt, (size_t)(dot1 - jwt));
  cJSON *claims = jwt_part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  int rc;
  if (!header || !claims)
    rc = refuse(r, 400, "invalid_request",
                "client_assertion parts are not base64url JSON");
  else if ((rc = check_key(m->oauth, header, jwt, dot2, r)) == 0)
    rc = check_claims(m, claims, now, r);
  cJSON_Delete(header);
  cJSON_Delete(claims);
  return rc;
}

/* Form fields, assertion and scope; with the lock held. */
static int check_request(const sbm_vinput *in, int64_t now, refusal *r) {
  const char *type = in->content_type;
  if (!type || strncasecmp(type, "application/x-www-form-urlencoded",
                           strlen("application/x-www-form-urlencoded")) != 0)
    return refuse(r, 400, "invalid_request",
                  "Content-Type must be application/x-www-form-urlencoded");
  char *grant = form_field(in->body, "grant_type");
  char *assertion_type = form_field(in->body, "client_assertion_type");
  char *assertion = form_field(in->body, "client_assertion");
  char *scope = form_field(in->body, "scope");
  int rc;
  if (!grant || strcmp(grant, "client_credentials") != 0)
    rc = refuse(r, 400, "unsupported_grant_type",
                "grant_type must be client_credentials");
  else if (!assertion_type || strcmp(assertion_type, SBM_JWT_BEARER) != 0)
    rc = refuse(r, 400, "invalid_request",
                "client_assertion_type must be " SBM_JWT_BEARER);
  else if (!assertion)
    rc = refuse(r, 400, "invalid_request", "client_assertion is required");
  else if ((rc = check_assertion(in->mock, assertion, now, r)) != 0)
    ;
  else if (!scope || strcmp(scope, in->mock->oauth->scope) != 0)
    rc = refuse(r, 400, "invalid_scope", "the app is not granted scope %.64s",
                scope ? scope : "(none)");
  free(grant);
  free(assertion_type);
  free(assertion);
  free(scope);
  return rc;
}

static char *reply_json(cJSON *o) {
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return text;
}

/* 32 random bytes in hex after "mock-". */
static int new_token(char out[70]) {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1)
    return -1;
  memcpy(out, "mock-", 5);
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(out + 5 + 2 * i, 3, "%02x", b[i]);
  return 0;
}

void sbm_route_token(const sbm_vinput *in, sbm_verdict *v) {
  sbm_mock *m = in->mock;
  sbm_oauth *oa = m->oauth;
  if (!oa) {
    sbm_verdict_fail(v, 404, SBM_OUT_REJECTED,
                     "OAuth is not configured on this mock");
    return;
  }
  refusal r = {0, NULL, ""};
  char token[70] = "";
  int64_t now_ms = sbm_clock_ms(m);
  pthread_mutex_lock(&oa->lock);
  oa->stats.token_requests++;
  int rc = check_request(in, now_ms / 1000, &r);
  if (rc == 0) {
    list_prune(&oa->tokens, now_ms, SBM_KEEP_TOKENS - 1);
    if (new_token(token) != 0 ||
        list_add(&oa->tokens, token, now_ms + (int64_t)oa->lifetime_s * 1000) !=
            0)
      rc = refuse(&r, 500, "server_error", "could not make a token");
  }
  if (rc == 0)
    oa->stats.tokens_issued++;
  pthread_mutex_unlock(&oa->lock);

  cJSON *o = cJSON_CreateObject();
  if (rc == 0) {
    cJSON_AddStringToObject(o, "access_token", token);
    cJSON_AddStringToObject(o, "token_type", "Bearer");
    cJSON_AddNumberToObject(o, "expires_in", oa->lifetime_s);
    cJSON_AddStringToObject(o, "scope", oa->scope);
    v->status = 200;
    v->outcome = SBM_OUT_ACCEPTED;
  } else {
    cJSON_AddStringToObject(o, "error", r.error);
    cJSON_AddStringToObject(o, "error_description", r.description);
    sbm_verdict_fail(v, r.status, SBM_OUT_REJECTED, "%s: %s", r.error,
                     r.description);
  }
  v->reply = reply_json(o);
  if (!v->reply)
    sbm_verdict_fail(v, 500, SBM_OUT_REJECTED, "out of memory");
}
