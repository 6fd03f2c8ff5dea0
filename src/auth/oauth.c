/* The OAuth provider: one cached access token behind a mutex, fetched by
 * whichever caller finds it missing or half-spent while the others wait for
 * that one request (single flight), with the server's clock and its
 * requests to wait remembered between requests. */
#include "oauth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <segbridge/error.h>

#include "auth/jwt.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/fork.h"
#include "core/secret.h"
#include "transport/retry.h"

/* The assertion's iat lies this far in the past, against clocks that
 * differ by less than the Date header can tell. */
#define SBI_JWT_BACKDATE_S 5
/* exp - iat: Segment wants assertions valid for under 60 seconds. */
#define SBI_JWT_LIFETIME_S 55
/* A configuration error (invalid_client, ...) is repeated this long
 * without asking the server again, so a backlog fails fast. */
#define SBI_OAUTH_HOLD_MS 30000
/* Pauses between refresh attempts while the old token still works. */
#define SBI_OAUTH_PAUSE_MIN_MS 1000
#define SBI_OAUTH_PAUSE_MAX_MS 60000

typedef struct sbi_oauth {
  sbi_auth base; /* first, so an sbi_auth * is the whole struct */
  /* Fixed at creation. */
  EVP_PKEY *key;
  char *client_id, *key_id, *scope, *audience, *token_url;
  sbi_auth *write_key; /* body members, or NULL */
  sbi_transport *transport;
  int own_transport;
  int64_t after_max_ms; /* cap on a Retry-After */
  sbi_logger log;
  /* Only the thread making the token request touches these. */
  int64_t skew_ms; /* local wall clock minus the server's */
  sbi_http_response resp;
  /* The rest is under the lock. Times are monotonic milliseconds. */
  pthread_mutex_t lock;
  pthread_cond_t landed; /* a token request finished; monotonic clock */
  sbi_buf header;        /* "Authorization: Bearer <token>", or empty */
  int64_t stored_ms, refresh_ms, expires_ms;
  int fetching;     /* a token request is in flight */
  uint64_t flights; /* token requests finished */
  int fail_code;    /* the last request's failure; SEGB_OK after success */
  char fail_detail[SBI_ERR_DETAIL_MAX];
  int failures;            /* in a row */
  int64_t fail_until_ms;   /* before it, callers get the failure again */
  int64_t pause_until_ms;  /* before it, a caller with a usable token does
                              not try to refresh */
  int retry_after;         /* fail_until_ms is the server's Retry-After */
  sbi_fork_hook fork_hook; /* the lock across fork() */
} sbi_oauth;

static int usable(const sbi_oauth *o, int64_t now) {
  return o->header.len > 0 && now < o->expires_ms;
}

static void drop_token(sbi_oauth *o) {
  sbi_secret_wipe(o->header.data, o->header.len);
  sbi_buf_clear(&o->header);
  o->refresh_ms = o->expires_ms = 0;
}

/* The caller's deadline came before a token request could be made. */
static int out_of_time(void) {
  return sbi_error(SEGB_ERR_TIMED_OUT,
                   "no time left before the deadline for a token request");
}

/* Sign a fresh assertion and post it, the request cut at @deadline_ms
 * (-1: the transport's own timeout only). The JWT and the form holding it
 * are wiped as soon as the request is done. */
static int post_assertion(sbi_oauth *o, int64_t deadline_ms,
                          sbi_http_response *resp) {
  sbi_jwt_claims claims;
  sbi_buf jwt = SBI_BUF_INIT, form = SBI_BUF_INIT;
  sbi_http_request req;
  int64_t left = 0;
  int rc;

  if (deadline_ms >= 0 && (left = deadline_ms - sbi_clock_mono_ms()) <= 0)
    return out_of_time();
  claims.kid = o->key_id;
  claims.client_id = o->client_id;
  claims.audience = o->audience;
  claims.iat = (sbi_clock_now_ms() - o->skew_ms) / 1000 - SBI_JWT_BACKDATE_S;
  claims.lifetime_s = SBI_JWT_LIFETIME_S;
  rc = sbi_jwt_sign(&jwt, o->key, &claims);
  if (rc == SEGB_OK && sbi_token_form(&form, jwt.data, o->scope) != SEGB_OK)
    rc = sbi_error(SEGB_ERR_NOMEM, "out of memory building a token request");
  if (rc == SEGB_OK) {
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.url = o->token_url;
    req.headers[req.header_count++] =
        "Content-Type: application/x-www-form-urlencoded";
    req.headers[req.header_count++] = "Accept: application/json";
    req.body = form.data;
    req.body_len = form.len;
    req.timeout_ms = left;
    o->transport->send(o->transport, &req, resp);
  }
  sbi_secret_wipe(jwt.data, jwt.cap);
  sbi_buf_free(&jwt);
  sbi_secret_wipe(form.data, form.cap);
  sbi_buf_free(&form);
  return rc;
}

/* One exchange, and one more at once when the server refused the
 * assertion's times and its Date changed what we know of its clock.
 * *@started gets the start of the request that answered. */
static int exchange(sbi_oauth *o, int64_t deadline_ms, sbi_http_response *resp,
                    sbi_token_reply *reply, int64_t *started) {
  int attempt;

  for (attempt = 0;; attempt++) {
    int64_t before = o->skew_ms, skew;
    int rc;

    *started = sbi_clock_mono_ms();
    rc = post_assertion(o, deadline_ms, resp);
    if (rc != SEGB_OK)
      return rc;
    /* no answer, no Date */
    if (resp->error == SEGB_OK &&
        sbi_token_skew(resp, sbi_clock_now_ms(), &skew))
      o->skew_ms = skew;
    rc = sbi_token_read(resp, o->token_url, reply);
    if (rc == SEGB_OK || !reply->clock_refused || attempt > 0 ||
        o->skew_ms == before)
      return rc;
  }
}

/* With the lock held: keep what a token request brought. */
static void land(sbi_oauth *o, int rc, sbi_token_reply *reply,
                 int64_t started) {
  int64_t now = sbi_clock_mono_ms(), pause;

  if (rc == SEGB_OK) {
    sbi_buf old = o->header;
    /* The reply takes the old header away and wipes it when freed. */
    o->header = reply->header;
    reply->header = old;
    o->stored_ms = now;
    o->refresh_ms = started + reply->expires_in_ms / 2;
    o->expires_ms = started + reply->expires_in_ms;
    o->fail_code = SEGB_OK;
    o->failures = 0;
    o->pause_until_ms = 0;
    return;
  }
  o->fail_code = rc;
  snprintf(o->fail_detail, sizeof o->fail_detail, "%s",
           segb_last_error_message());
  o->failures += o->failures < 30;
  pause = (int64_t)SBI_OAUTH_PAUSE_MIN_MS << (o->failures - 1);
  o->pause_until_ms =
      now + (pause < SBI_OAUTH_PAUSE_MAX_MS ? pause : SBI_OAUTH_PAUSE_MAX_MS);
  o->retry_after = rc == SEGB_ERR_RATE_LIMITED && reply->retry_after_ms >= 0;
  if (o->retry_after)
    o->fail_until_ms =
        now + sbi_retry_after_bound(reply->retry_after_ms, o->after_max_ms);
  else if (sbi_auth_transient(rc))
    o->fail_until_ms = now; /* the caller's own backoff decides */
  else
    o->fail_until_ms = now + SBI_OAUTH_HOLD_MS;
  if (o->pause_until_ms < o->fail_until_ms)
    o->pause_until_ms = o->fail_until_ms;
}

/* The debug=auth line of a token request that ended in @rc, logged with
 * no lock held; a failure's detail stays the thread's error, whatever the
 * log callback calls. Never the token, the assertion or the key. */
static void log_flight(const sbi_oauth *o, int rc, int renewing,
                       const sbi_token_reply *reply) {
  char why[SBI_ERR_DETAIL_MAX];

  if (!sbi_log_enabled(&o->log, 7, SBI_LOG_AUTH))
    return;
  if (rc == SEGB_OK) {
    sbi_log(&o->log, 7, "auth", "token %s, expires in %lld s",
            renewing ? "refreshed" : "fetched",
            (long long)(reply->expires_in_ms / 1000));
    return;
  }
  snprintf(why, sizeof why, "%s", segb_last_error_message());
  sbi_log(&o->log, 7, "auth", "token request %s (%s): %s",
          sbi_auth_transient(rc) ? "failed" : "refused", segb_err_name(rc),
          why);
  sbi_error(rc, "%s", why);
}

/* With the lock held and no request in flight: make one, over by
 * @deadline_ms, releasing the lock meanwhile. Its failure, if any, is in
 * the thread's error. */
static int fly(sbi_oauth *o, int64_t deadline_ms, sbi_http_response *resp) {
  sbi_token_reply reply = SBI_TOKEN_REPLY_INIT;
  int64_t started = 0;
  int renewing = o->header.len > 0;
  int rc;

  o->fetching = 1;
  pthread_mutex_unlock(&o->lock);
  rc = exchange(o, deadline_ms, resp, &reply, &started);
  log_flight(o, rc, renewing, &reply);
  pthread_mutex_lock(&o->lock);
  land(o, rc, &reply, started);
  o->fetching = 0;
  o->flights++;
  pthread_cond_broadcast(&o->landed);
  sbi_token_reply_free(&reply);
  return rc;
}

static int give(const sbi_oauth *o, sbi_buf *out) {
  return sbi_buf_append(out, o->header.data, o->header.len);
}

/* With the lock held and a request in flight: wait until it lands or
 * @deadline_ms (-1: no deadline) passes; 0 when the deadline came first. */
static int await_landing(sbi_oauth *o, int64_t deadline_ms) {
  uint64_t seen = o->flights;
  struct timespec until;

  until.tv_sec = (time_t)(deadline_ms / 1000);
  until.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
  while (o->flights == seen) {
    if (deadline_ms < 0)
      pthread_cond_wait(&o->landed, &o->lock);
    else if (pthread_cond_timedwait(&o->landed, &o->lock, &until) == ETIMEDOUT)
      return o->flights != seen;
  }
  return 1;
}

/* The last request's failure, raised again on this thread. */
static int repeat_failure(const sbi_oauth *o) {
  return sbi_error(o->fail_code, "%s", o->fail_detail);
}

static void oa_interrupt(sbi_auth *a) {
  sbi_oauth *o = (sbi_oauth *)a;

  if (o->transport->interrupt != NULL)
    o->transport->interrupt(o->transport);
}

static int oa_header(sbi_auth *a, int64_t deadline_ms, sbi_buf *out) {
  sbi_oauth *o = (sbi_oauth *)a;
  int rc;

  pthread_mutex_lock(&o->lock);
  for (;;) {
    int64_t now = sbi_clock_mono_ms();

    if (o->header.len > 0 && now < o->refresh_ms) {
      rc = give(o, out);
      break;
    }
    if (o->fetching) {
      /* Someone is refreshing: a token that still works will do. */
      if (usable(o, now)) {
        rc = give(o, out);
        break;
      }
      if (!await_landing(o, deadline_ms)) {
        rc = sbi_error(SEGB_ERR_TIMED_OUT,
                       "the deadline passed while waiting for the token "
                       "request in flight");
        break;
      }
      if (o->fail_code == SEGB_OK)
        continue;
      rc = usable(o, sbi_clock_mono_ms()) ? give(o, out) : repeat_failure(o);
      break;
    }
    if (usable(o, now) && now < o->pause_until_ms) {
      rc = give(o, out);
      break;
    }
    if (o->fail_code != SEGB_OK && now < o->fail_until_ms) {
      rc = usable(o, now) ? give(o, out) : repeat_failure(o);
      break;
    }
    /* Past the deadline no request is made; a working token still does. */
    if (deadline_ms >= 0 && now >= deadline_ms) {
      rc = usable(o, now) ? give(o, out) : out_of_time();
      break;
    }
    rc = fly(o, deadline_ms, &o->resp);
    /* The answer held the token, if it brought one. */
    sbi_secret_wipe(o->resp.body.data, o->resp.body.len);
    if (rc != SEGB_OK) {
      if (usable(o, sbi_clock_mono_ms()))
        rc = give(o, out); /* a refresh failed: the old token still works */
      break;
    }
  }
  pthread_mutex_unlock(&o->lock);
  return rc;
}

static int oa_body_members(sbi_auth *a, sbi_buf *out) {
  sbi_oauth *o = (sbi_oauth *)a;
  return o->write_key != NULL ? o->write_key->body_members(o->write_key, out)
                              : SEGB_OK;
}

/* After unlocking, when the API's refusal dropped the token. */
static void log_dropped(const sbi_oauth *o) {
  sbi_log(&o->log, 7, "auth",
          "the API refused the token: dropped, the next request fetches a "
          "new one");
}

static void oa_unauthorized(sbi_auth *a) {
  sbi_oauth *o = (sbi_oauth *)a;
  int dropped;

  pthread_mutex_lock(&o->lock);
  dropped = o->header.len > 0;
  drop_token(o);
  pthread_mutex_unlock(&o->lock);
  if (dropped)
    log_dropped(o);
}

static void oa_refresh(sbi_auth *a, int64_t sent_ms) {
  sbi_oauth *o = (sbi_oauth *)a;
  int dropped = 0;

  pthread_mutex_lock(&o->lock);
  /* A token stored after the refused request was sent is not the one the
   * server refused. */
  if (o->stored_ms <= sent_ms) {
    dropped = o->header.len > 0;
    drop_token(o);
  }
  pthread_mutex_unlock(&o->lock);
  if (dropped)
    log_dropped(o);
}

static int64_t oa_retry_wait_ms(sbi_auth *a) {
  sbi_oauth *o = (sbi_oauth *)a;
  int64_t wait = -1, now;

  pthread_mutex_lock(&o->lock);
  now = sbi_clock_mono_ms();
  if (o->fail_code != SEGB_OK && o->retry_after)
    wait = o->fail_until_ms > now ? o->fail_until_ms - now : 0;
  pthread_mutex_unlock(&o->lock);
  return wait;
}

static void oa_destroy(sbi_auth *a) {
  sbi_oauth *o = (sbi_oauth *)a;

  drop_token(o);
  sbi_buf_free(&o->header);
  sbi_secret_wipe(o->resp.body.data, o->resp.body.cap);
  sbi_http_response_free(&o->resp);
  if (o->write_key != NULL)
    o->write_key->destroy(o->write_key);
  if (o->own_transport && o->transport != NULL)
    o->transport->destroy(o->transport);
  EVP_PKEY_free(o->key);
  free(o->client_id);
  free(o->key_id);
  free(o->scope);
  free(o->audience);
  free(o->token_url);
  if (o->fork_hook.lock != NULL)
    sbi_fork_unwatch(&o->fork_hook);
  pthread_cond_destroy(&o->landed);
  pthread_mutex_destroy(&o->lock);
  free(o);
}

int sbi_oauth_fetch(sbi_auth *a, sbi_http_response *resp) {
  sbi_oauth *o = (sbi_oauth *)a;
  int rc;

  pthread_mutex_lock(&o->lock);
  while (o->fetching)
    pthread_cond_wait(&o->landed, &o->lock);
  rc = fly(o, -1, resp);
  pthread_mutex_unlock(&o->lock);
  return rc;
}

/* The settings every token request needs, checked up front. */
static int check_options(const sbi_oauth_options *opt) {
  static const char *const names[] = {
      "client ID (oauth.client_id)", "key ID (oauth.key_id)",
      "scope (oauth.scope)", "server (oauth.server)"};
  const char *values[4];
  size_t i;

  values[0] = opt->client_id;
  values[1] = opt->key_id;
  values[2] = opt->scope;
  values[3] = opt->server;
  for (i = 0; i < 4; i++)
    if (values[i] == NULL || values[i][0] == '\0')
      return sbi_error(SEGB_ERR_INVALID_VALUE, "OAuth needs a %s", names[i]);
  if (opt->after_max_ms <= 0)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "OAuth needs a positive cap on Retry-After waits "
                     "(retry.after_max_ms)");
  if ((opt->private_key_pem == NULL) == (opt->private_key_file == NULL))
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "OAuth needs exactly one private key: oauth.private_key "
                     "or oauth.private_key_file");
  return SEGB_OK;
}

/* Timed waits for a landing count on the monotonic clock, as deadlines do:
 * a change of the wall clock neither cuts them short nor stretches them. */
static void init_landed(pthread_cond_t *cond) {
  pthread_condattr_t attr;

  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(cond, &attr);
  pthread_condattr_destroy(&attr);
}

/* In a forked child, the lock held: a token request in flight at the fork
 * belongs to a thread that does not exist here and will never land, and
 * the threads that waited for it are gone too. The next caller asks. */
static void forked(void *ctx) {
  sbi_oauth *o = ctx;

  if (o->fetching) {
    o->fetching = 0;
    init_landed(&o->landed);
  }
}

static char *dup_str(const char *s, int *failed) {
  char *d = strdup(s);
  if (d == NULL)
    *failed = 1;
  return d;
}

/* Strings, URL and body members; SEGB_OK or SEGB_ERR_NOMEM. */
static int copy_settings(sbi_oauth *o, const sbi_oauth_options *opt) {
  size_t url_len = strlen(opt->server) + sizeof "/token";
  int failed = 0;

  o->client_id = dup_str(opt->client_id, &failed);
  o->key_id = dup_str(opt->key_id, &failed);
  o->scope = dup_str(opt->scope, &failed);
  o->audience = dup_str(opt->server, &failed);
  o->token_url = malloc(url_len);
  if (o->token_url != NULL)
    snprintf(o->token_url, url_len, "%s/token", opt->server);
  if (opt->write_key != NULL &&
      (o->write_key = sbi_write_key_auth_new(opt->write_key, 1)) == NULL)
    return segb_last_error();
  return failed || o->token_url == NULL ? SEGB_ERR_NOMEM : SEGB_OK;
}

sbi_auth *sbi_oauth_auth_new(const sbi_oauth_options *opt) {
  sbi_oauth *o;
  int rc = check_options(opt);

  if (rc != SEGB_OK) {
    if (opt->own_transport && opt->transport != NULL)
      opt->transport->destroy(opt->transport);
    return NULL;
  }
  o = calloc(1, sizeof *o);
  if (o == NULL) {
    if (opt->own_transport && opt->transport != NULL)
      opt->transport->destroy(opt->transport);
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating the OAuth provider");
    return NULL;
  }
  o->base.header = oa_header;
  o->base.body_members = oa_body_members;
  o->base.unauthorized = oa_unauthorized;
  o->base.destroy = oa_destroy;
  o->base.refresh = oa_refresh;
  o->base.retry_wait_ms = oa_retry_wait_ms;
  o->base.interrupt = oa_interrupt;
  o->transport = opt->transport;
  o->own_transport = opt->own_transport;
  o->after_max_ms = opt->after_max_ms;
  if (opt->log != NULL)
    o->log = *opt->log;
  pthread_mutex_init(&o->lock, NULL);
  init_landed(&o->landed);
  o->fork_hook.lock = &o->lock;
  o->fork_hook.child = forked;
  o->fork_hook.ctx = o;
  o->fork_hook.rank = SBI_FORK_OBJECT;
  sbi_fork_watch(&o->fork_hook);
  rc =
      opt->private_key_pem != NULL
          ? sbi_rsa_key_load(opt->private_key_pem, "oauth.private_key", &o->key)
          : sbi_rsa_key_load_file(opt->private_key_file, &o->key);
  if (rc == SEGB_OK && (rc = copy_settings(o, opt)) == SEGB_ERR_NOMEM)
    sbi_error(rc, "out of memory creating the OAuth provider");
  if (rc != SEGB_OK) {
    char why[SBI_ERR_DETAIL_MAX];
    /* Tearing down must not replace the reason. */
    snprintf(why, sizeof why, "%s", segb_last_error_message());
    oa_destroy(&o->base);
    sbi_error(rc, "%s", why);
    return NULL;
  }
  return &o->base;
}
