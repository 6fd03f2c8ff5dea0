/* Config adapters: the settings of a segb_config_t become the plain option
 * structs of the transport, the auth providers and the sender, and the
 * reader's parts. Nothing below this file reads a config for them. */
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "api/reader.h"
#include "auth/oauth.h"
#include "config/props.h"
#include "core/err.h"

void *sbi_setup_new(segb_config_t *conf, sbi_transport *transport, size_t size,
                    const char *what, sbi_build_fn *build,
                    void (*abandon)(void *obj), char *errstr,
                    size_t errstr_size) {
  char why[SBI_ERR_DETAIL_MAX];
  void *obj = NULL;
  int rc;

  if (conf == NULL) {
    rc = sbi_error(SEGB_ERR_INVALID_ARG, "configuration is NULL");
  } else if ((rc = sbi_global_init()) >= 0 && (obj = calloc(1, size)) == NULL) {
    sbi_global_cleanup();
    rc = sbi_error(SEGB_ERR_NOMEM, "out of memory creating a %s", what);
  }
  if (obj != NULL && (rc = build(obj, conf, transport)) == SEGB_OK)
    return obj;
  /* Freeing may record errors of its own: the first one is the story. */
  snprintf(why, sizeof why, "%s", segb_last_error_message());
  if (obj != NULL)
    abandon(obj);
  else if (transport != NULL)
    transport->destroy(transport);
  sbi_error_errstr(errstr, errstr_size, rc, "%s", why);
  return NULL;
}

/* ---- transport ---------------------------------------------------------- */

sbi_transport *sbi_setup_transport(const segb_config_t *conf, sbi_api api) {
  sbi_transport_options o;
  sbi_logger log;

  o.connect_timeout_ms = sbi_conf_int(conf, SBI_PROP_HTTP_CONNECT_TIMEOUT_MS);
  o.timeout_ms = sbi_conf_int(conf, SBI_PROP_HTTP_TIMEOUT_MS);
  o.ca_file = sbi_conf_str(conf, SBI_PROP_HTTP_CA_FILE);
  o.ca_path = sbi_conf_str(conf, SBI_PROP_HTTP_CA_PATH);
  o.proxy = sbi_conf_str(conf, SBI_PROP_HTTP_PROXY);
  o.gzip = api == SBI_API_TRACKING &&
           sbi_conf_int(conf, SBI_PROP_COMPRESSION) == SBI_COMPRESSION_GZIP;
  sbi_conf_logger(conf, &log);
  o.log = &log;
  return sbi_curl_transport_new(&o);
}

/* ---- the Tracking API's credentials ------------------------------------- */

int sbi_oauth_configured(const segb_config_t *conf) {
  return sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID) != NULL ||
         sbi_conf_str(conf, SBI_PROP_OAUTH_KEY_ID) != NULL ||
         sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY) != NULL ||
         sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY_FILE) != NULL;
}

/* The OAuth settings that must come together, named when one is missing. */
static int check_oauth_settings(const segb_config_t *conf) {
  const char *pem = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY);
  const char *file = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY_FILE);

  if (sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID) == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "OAuth settings are given but oauth.client_id is empty: "
                     "set it to the OAuth app's ID");
  if (sbi_conf_str(conf, SBI_PROP_OAUTH_KEY_ID) == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "oauth.key_id is empty: set it to the ID Segment shows "
                     "for the public key uploaded to the OAuth app");
  if (pem == NULL && file == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "OAuth needs a private key: set oauth.private_key or "
                     "oauth.private_key_file");
  if (pem != NULL && file != NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "oauth.private_key and oauth.private_key_file are both "
                     "set: keep one");
  return SEGB_OK;
}

/* Tokens are bound to their region: a server set by hand that is the other
 * region's would hand out tokens the Tracking API refuses. */
sbi_auth *sbi_oauth_from_conf(const segb_config_t *conf,
                              sbi_transport *transport, int own_transport) {
  sbi_oauth_options o;
  sbi_logger log;
  sbi_buf server = SBI_BUF_INIT;
  sbi_auth *auth = NULL;
  int rc = check_oauth_settings(conf);

  rc = rc ? rc : sbi_api_base(conf, SBI_API_OAUTH, &server);
  rc = rc ? rc : sbi_region_check(conf, SBI_API_OAUTH, server.data);
  if (rc == SEGB_OK) {
    o.client_id = sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID);
    o.key_id = sbi_conf_str(conf, SBI_PROP_OAUTH_KEY_ID);
    o.private_key_pem = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY);
    o.private_key_file = sbi_conf_str(conf, SBI_PROP_OAUTH_PRIVATE_KEY_FILE);
    o.scope = sbi_conf_str(conf, SBI_PROP_OAUTH_SCOPE);
    o.server = server.data;
    o.write_key = sbi_conf_str(conf, SBI_PROP_WRITE_KEY);
    o.after_max_ms = sbi_conf_int(conf, SBI_PROP_RETRY_AFTER_MAX_MS);
    o.transport = transport;
    o.own_transport = own_transport;
    sbi_conf_logger(conf, &log);
    o.log = &log;
    auth = sbi_oauth_auth_new(&o);
  } else if (own_transport && transport != NULL) {
    transport->destroy(transport);
  }
  sbi_buf_free(&server);
  return auth;
}

sbi_auth *sbi_setup_write_key(const segb_config_t *conf) {
  const char *key = sbi_conf_str(conf, SBI_PROP_WRITE_KEY);

  if (key == NULL) {
    sbi_error(SEGB_ERR_NO_CREDENTIALS,
              "no write key: set write_key to the source's write key "
              "(without one Segment answers \"writeKey required\")");
    return NULL;
  }
  return sbi_write_key_auth_new(
      key, (int)sbi_conf_int(conf, SBI_PROP_WRITE_KEY_IN_BODY));
}

/* Token requests get a libcurl handle of their own unless one is shared
 * with them (a handle serves one thread at a time). */
sbi_auth *sbi_setup_tracking_auth(const segb_config_t *conf,
                                  sbi_transport *shared) {
  sbi_transport *t = shared;

  if (sbi_conf_str(conf, SBI_PROP_WRITE_KEY) == NULL ||
      !sbi_oauth_configured(conf))
    return sbi_setup_write_key(conf);
  if (t == NULL && (t = sbi_setup_transport(conf, SBI_API_OAUTH)) == NULL)
    return NULL;
  return sbi_oauth_from_conf(conf, t, shared == NULL);
}

/* ---- the sender --------------------------------------------------------- */

/* What to check when the Tracking API refuses the credentials. */
static const char *auth_hint(const segb_config_t *conf) {
  if (sbi_oauth_configured(conf))
    return "the OAuth token was refused even after a fresh one: check that "
           "the OAuth app is connected to this source and its region";
  return sbi_conf_int(conf, SBI_PROP_REGION) == SBI_REGION_EU
             ? "the write key was refused: copy it again from the source's "
               "settings or regenerate it; a US workspace needs region=us"
             : "the write key was refused: copy it again from the source's "
               "settings or regenerate it; an EU workspace needs region=eu";
}

/* The retry.* settings, as the sender and the readers both take them. */
static void retry_limits(const segb_config_t *conf, sbi_retry_limits *out) {
  out->max_retries = (int)sbi_conf_int(conf, SBI_PROP_RETRY_MAX_ATTEMPTS);
  out->backoff_initial_ms =
      sbi_conf_int(conf, SBI_PROP_RETRY_BACKOFF_INITIAL_MS);
  out->backoff_max_ms = sbi_conf_int(conf, SBI_PROP_RETRY_BACKOFF_MAX_MS);
  out->total_timeout_ms = sbi_conf_int(conf, SBI_PROP_RETRY_TOTAL_TIMEOUT_MS);
  out->after_max_ms = sbi_conf_int(conf, SBI_PROP_RETRY_AFTER_MAX_MS);
}

int sbi_setup_sender(const segb_config_t *conf, sbi_sender *s) {
  sbi_sender_limits *l = &s->limits;
  sbi_buf url = SBI_BUF_INIT;
  int rc = sbi_api_base(conf, SBI_API_TRACKING, &url);

  rc = rc ? rc : sbi_region_check(conf, SBI_API_TRACKING, url.data);
  rc = rc ? rc : sbi_buf_puts(&url, "/v1/batch");
  if (rc != SEGB_OK) {
    sbi_buf_free(&url);
    return rc == SEGB_ERR_NOMEM ? sbi_error(rc, "out of memory building a URL")
                                : rc;
  }
  s->url = url.data;
  s->auth_hint = auth_hint(conf);
  l->max_events = (size_t)sbi_conf_int(conf, SBI_PROP_BATCH_MAX_EVENTS);
  l->max_bytes = (size_t)sbi_conf_int(conf, SBI_PROP_BATCH_MAX_BYTES);
  retry_limits(conf, &l->retry);
  return SEGB_OK;
}

void sbi_setup_dispatch(const segb_config_t *conf, sbi_dispatch_options *o) {
  static const sbi_ordering orderings[] = {
      [SBI_ORDERING_PER_USER] = SBI_ORDER_PER_USER,
      [SBI_ORDERING_FIFO] = SBI_ORDER_FIFO,
      [SBI_ORDERING_NONE] = SBI_ORDER_NONE};
  static const sbi_overflow overflows[] = {
      [SBI_OVERFLOW_DROP_NEWEST] = SBI_OVERFLOW_NEWEST,
      [SBI_OVERFLOW_DROP_OLDEST] = SBI_OVERFLOW_OLDEST,
      [SBI_OVERFLOW_BLOCK] = SBI_OVERFLOW_WAIT};
  static const sbi_spool_fsync fsyncs[] = {
      [SBI_FSYNC_NEVER] = SBI_SPOOL_FSYNC_NEVER,
      [SBI_FSYNC_INTERVAL] = SBI_SPOOL_FSYNC_INTERVAL,
      [SBI_FSYNC_ALWAYS] = SBI_SPOOL_FSYNC_ALWAYS};

  memset(o, 0, sizeof *o);
  o->thread = sbi_conf_int(conf, SBI_PROP_DISPATCH_MODE) == SBI_DISPATCH_THREAD;
  o->max_in_flight = (int)sbi_conf_int(conf, SBI_PROP_DISPATCH_MAX_IN_FLIGHT);
  o->ordering = orderings[sbi_conf_int(conf, SBI_PROP_DISPATCH_ORDERING)];
  o->realtime =
      sbi_conf_int(conf, SBI_PROP_FRESHNESS) == SBI_FRESHNESS_REALTIME;
  o->linger_ms = sbi_conf_int(conf, SBI_PROP_BATCH_LINGER_MS);
  o->max_events = (size_t)sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_EVENTS);
  o->max_bytes = (size_t)sbi_conf_int(conf, SBI_PROP_QUEUE_MAX_BYTES);
  o->overflow = overflows[sbi_conf_int(conf, SBI_PROP_QUEUE_OVERFLOW)];
  o->block_timeout_ms = sbi_conf_int(conf, SBI_PROP_QUEUE_BLOCK_TIMEOUT_MS);
  o->poll_reports = sbi_conf_int(conf, SBI_PROP_REPORT_MODE) == SBI_REPORT_POLL;
  o->stats_interval_ms = sbi_conf_int(conf, SBI_PROP_STATISTICS_INTERVAL_MS);
  o->discard = !sbi_conf_int(conf, SBI_PROP_SEND);
  o->spool.path = sbi_conf_str(conf, SBI_PROP_SPOOL_PATH);
  o->spool.max_bytes = (uint64_t)sbi_conf_int(conf, SBI_PROP_SPOOL_MAX_BYTES);
  o->spool.fsync = fsyncs[sbi_conf_int(conf, SBI_PROP_SPOOL_FSYNC)];
  o->spool.fsync_interval_ms =
      sbi_conf_int(conf, SBI_PROP_SPOOL_FSYNC_INTERVAL_MS);
}

/* ---- the reader --------------------------------------------------------- */

static int reader_auth(const segb_config_t *conf, segb_reader_t *r) {
  const char *token = sbi_conf_str(conf, SBI_PROP_PUBLIC_API_TOKEN);
  const char *profile = sbi_conf_str(conf, SBI_PROP_PROFILE_API_TOKEN);

  if (token == NULL && profile == NULL)
    return sbi_error(SEGB_ERR_NO_CREDENTIALS,
                     "no public_api.token or profile_api.token: a reader "
                     "needs a Public API token or a Profile API access "
                     "token");
  if (token != NULL && (r->public_auth = sbi_token_auth_new(token)) == NULL)
    return sbi_error_prefix(segb_last_error(), "public_api.token");
  /* The Profile API's Basic credentials are those of a write key:
   * base64("<token>:"). */
  if (profile != NULL &&
      (r->profile_auth = sbi_write_key_auth_new(profile, 0)) == NULL)
    return sbi_error_prefix(segb_last_error(), "profile_api.token");
  return SEGB_OK;
}

static int reader_bases(const segb_config_t *conf, segb_reader_t *r) {
  sbi_buf pub = SBI_BUF_INIT, prof = SBI_BUF_INIT;
  int rc = sbi_api_base(conf, SBI_API_PUBLIC, &pub);

  rc = rc ? rc : sbi_api_base(conf, SBI_API_PROFILE, &prof);
  if (rc != SEGB_OK) {
    sbi_buf_free(&pub);
    sbi_buf_free(&prof);
    return rc;
  }
  r->public_base = pub.data;
  r->profile_base = prof.data;
  return SEGB_OK;
}

static int build_reader(void *obj, segb_config_t *conf,
                        sbi_transport *transport) {
  segb_reader_t *r = obj;
  int rc;

  r->conf = conf;
  r->transport = transport;
  rc = reader_auth(conf, r);
  rc = rc ? rc : reader_bases(conf, r);
  if (rc == SEGB_OK && r->transport == NULL &&
      (r->transport = sbi_setup_transport(conf, SBI_API_PUBLIC)) == NULL)
    rc = segb_last_error();
  r->http.transport = r->transport;
  retry_limits(conf, &r->http.limits.retry);
  r->http.limits.call_timeout_ms = sbi_conf_int(conf, SBI_PROP_API_TIMEOUT_MS);
  return rc;
}

static void abandon_reader(void *r) { sbi_reader_free(r, 0); }

segb_reader_t *segb_reader_new(segb_config_t *conf, char *errstr,
                               size_t errstr_size) {
  return sbi_reader_new(conf, NULL, errstr, errstr_size);
}

segb_reader_t *sbi_reader_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size) {
  return sbi_setup_new(conf, transport, sizeof(segb_reader_t), "reader",
                       build_reader, abandon_reader, errstr, errstr_size);
}
