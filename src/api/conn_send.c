/* The send direction of Test Connection (the integration guide's Step 6):
 * a track event "Integration Test" through a client, so the check takes
 * the path real events take, or with --no-send an empty batch that only
 * authenticates the write key. */
#include <stdio.h>
#include <string.h>

#include <segbridge/client.h>
#include <segbridge/error.h>

#include "api/conncheck.h"
#include "api/conntest.h"
#include "api/http.h"
#include "api/reader.h"
#include "config/props.h"
#include "config/region.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/secret.h"

#define SBI_TEST_USER "segbridge-test-connection"
#define SBI_TEST_EVENT "Integration Test"

/* The guide's troubleshooting table, for the send direction. */
static const char *advice(const segb_config_t *conf, int no_send, int err) {
  switch (err) {
  case SEGB_OK:
    return no_send
               ? "Segment may accept an unknown write key without an "
                 "error: check again without --no-send and confirm the "
                 "event in the source's Debugger"
               : "Segment accepts events for unknown write keys and drops "
                 "them later: confirm \"" SBI_TEST_EVENT "\" from "
                 SBI_TEST_USER " in Connections > Sources > your source > "
                 "Debugger; if no data appears, check that the source is "
                 "active";
  case SEGB_ERR_NO_CREDENTIALS:
    return "writeKey required: set write_key to the source's write key";
  case SEGB_ERR_RATE_LIMITED:
    return "Rate limiting (429): reduce the sync frequency or upgrade the "
           "Segment plan";
  case SEGB_ERR_DNS:
  case SEGB_ERR_CONNECT:
  case SEGB_ERR_TLS:
  case SEGB_ERR_TIMED_OUT:
  case SEGB_ERR_NETWORK:
  case SEGB_ERR_CLOSED:
  case SEGB_ERR_RETRIES_EXHAUSTED:
    return "check network access to the Tracking API and the region: EU "
           "workspaces send to events.eu1.segmentapis.com (region=eu)";
  default:
    break;
  }
  if (sbi_conf_str(conf, SBI_PROP_OAUTH_CLIENT_ID) != NULL)
    return "OAuth authentication fails: OAuth needs a Business tier plan; "
           "verify the app ID, key ID and RS256 key and that the source is "
           "connected to the OAuth app";
  if (err == SEGB_ERR_AUTH)
    return "Write key rejected: regenerate the write key in the source "
           "settings, and check that region matches the workspace";
  return "";
}

static void report(const segb_config_t *conf, int no_send,
                   segb_conntest_t *t, int err, const char *detail) {
  sbi_conntest_set(t, SEGB_CHECK_SEND,
                   err == SEGB_OK ? SEGB_VERDICT_PASSED : SEGB_VERDICT_FAILED,
                   err, detail, advice(conf, no_send, err));
}

/* The Tracking API's host[:port] under @conf, for messages. */
static void tracking_host(const segb_config_t *conf, char *out, size_t size) {
  sbi_buf base = SBI_BUF_INIT;

  if (sbi_api_base(conf, SBI_API_TRACKING, &base) == SEGB_OK)
    sbi_url_host(base.data, out, size);
  else
    snprintf(out, size, "the Tracking API");
  sbi_buf_free(&base);
}

/* The fate of the one test event. */
typedef struct sbi_send_fate {
  int reported, err, status, attempts;
  char errstr[512];
} sbi_send_fate;

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  sbi_send_fate *f = opaque;

  (void)c;
  f->reported = 1;
  f->err = segb_report_err(r);
  f->status = segb_report_http_status(r);
  f->attempts = segb_report_attempts(r);
  snprintf(f->errstr, sizeof f->errstr, "%s", segb_report_errstr(r));
}

static void send_event(const segb_config_t *conf, int32_t timeout_ms,
                       segb_conntest_t *t) {
  sbi_send_fate fate = {0};
  char err[SEGB_ERRSTR_SIZE], host[128], detail[SBI_ERR_DETAIL_MAX];
  segb_config_t *dup = sbi_check_config(conf, timeout_ms);
  segb_client_t *c;
  int rc;

  if (dup == NULL) {
    report(conf, 0, t, segb_last_error(), segb_last_error_message());
    return;
  }
  /* Flush sends on this thread: the check waits for the one event. */
  rc = segb_config_set(dup, "dispatch.mode", "inline", err, sizeof err);
  if (rc != SEGB_OK) {
    segb_config_destroy(dup);
    report(conf, 0, t, rc, err);
    return;
  }
  segb_config_set_delivery_cb(dup, on_report);
  segb_config_set_opaque(dup, &fate);
  c = segb_client_new(dup, err, sizeof err);
  if (c == NULL) {
    rc = segb_last_error();
    segb_config_destroy(dup);
    report(conf, 0, t, rc, err);
    return;
  }
  rc = segb_track(c, SBI_TEST_USER, NULL, SBI_TEST_EVENT, "{\"test\":true}");
  if (rc != SEGB_OK) {
    snprintf(detail, sizeof detail, "%s", segb_last_error_message());
    segb_client_close(c, 0);
    report(conf, 0, t, rc, detail);
    return;
  }
  segb_client_flush(c, (int)timeout_ms);
  segb_client_close(c, 0); /* reports the event if the flush could not */
  /* Every accepted event gets one report; without it nothing passed. */
  if (!fate.reported || fate.err != SEGB_OK) {
    report(conf, 0, t, fate.reported ? fate.err : SEGB_ERR_CLOSED,
           fate.reported ? fate.errstr : "the test event got no report");
    return;
  }
  tracking_host(conf, host, sizeof host);
  snprintf(detail, sizeof detail,
           "track \"" SBI_TEST_EVENT "\" accepted by %s (HTTP %d, %d "
           "request%s)",
           host, fate.status, fate.attempts, fate.attempts == 1 ? "" : "s");
  report(conf, 0, t, SEGB_OK, detail);
}

/* {"batch":[],"sentAt":"..."} plus the auth's body members. */
static int empty_batch(sbi_auth *auth, sbi_buf *body) {
  char now[SBI_ISO_MS_LEN + 1];
  int rc;

  sbi_time_format_iso_ms(now, sbi_clock_now_ms());
  rc = sbi_buf_puts(body, "{\"batch\":[],\"sentAt\":\"");
  rc = rc ? rc : sbi_buf_puts(body, now);
  rc = rc ? rc : sbi_buf_putc(body, '"');
  rc = rc ? rc : auth->body_members(auth, body);
  rc = rc ? rc : sbi_buf_putc(body, '}');
  return rc;
}

/* POST an empty batch with the write key: the request is authenticated
 * but carries no event. */
static int post_empty(const segb_config_t *conf, sbi_auth *auth,
                      int *status, char *host, size_t host_size) {
  sbi_api_http h = {0};
  sbi_api_call call = {0};
  sbi_buf url = SBI_BUF_INIT, body = SBI_BUF_INIT;
  int rc = sbi_api_base(conf, SBI_API_TRACKING, &url);

  rc = rc ? rc : sbi_buf_puts(&url, "/v1/batch");
  rc = rc ? rc : empty_batch(auth, &body);
  if (rc == SEGB_OK && (h.transport = sbi_curl_transport_from_conf(conf, 0)) == NULL)
    rc = segb_last_error();
  if (rc == SEGB_OK) {
    sbi_url_host(url.data, host, host_size);
    sbi_api_limits_from(conf, &h.limits);
    call.api = SBI_API_TRACKING;
    call.auth = auth;
    call.method = "POST";
    call.url = url.data;
    call.body = body.data;
    call.body_len = body.len;
    call.missing = "no Tracking API at this URL: check endpoint";
    rc = sbi_api_perform(&h, &call);
    *status = h.resp.status;
  } else if (rc == SEGB_ERR_NOMEM) {
    sbi_error(rc, "out of memory building the test request");
  }
  if (h.transport != NULL)
    h.transport->destroy(h.transport);
  sbi_api_http_free(&h);
  sbi_secret_wipe(body.data, body.len); /* it may hold writeKey */
  sbi_buf_free(&body);
  sbi_buf_free(&url);
  return rc;
}

static void send_nothing(const segb_config_t *conf, int32_t timeout_ms,
                         segb_conntest_t *t) {
  segb_config_t *dup = sbi_check_config(conf, timeout_ms);
  char host[128], detail[SBI_ERR_DETAIL_MAX];
  sbi_auth *auth = NULL;
  int rc, status = 0;

  if (dup == NULL) {
    report(conf, 1, t, segb_last_error(), segb_last_error_message());
    return;
  }
  rc = sbi_global_init();
  if (rc >= 0) {
    auth = sbi_write_key_auth_new(
        sbi_conf_str(dup, SBI_PROP_WRITE_KEY),
        (int)sbi_conf_int(dup, SBI_PROP_WRITE_KEY_IN_BODY));
    rc = auth != NULL ? post_empty(dup, auth, &status, host, sizeof host)
                      : segb_last_error();
    if (auth != NULL)
      auth->destroy(auth);
    sbi_global_cleanup();
  }
  if (rc == SEGB_OK)
    snprintf(detail, sizeof detail,
             "%s accepted an empty batch with the write key (HTTP %d); no "
             "event was sent",
             host, status);
  else
    snprintf(detail, sizeof detail, "%s", segb_last_error_message());
  segb_config_destroy(dup);
  report(conf, 1, t, rc, detail);
}

void sbi_check_send(const segb_config_t *conf, int no_send,
                    int32_t timeout_ms, segb_conntest_t *t) {
  if (sbi_conf_str(conf, SBI_PROP_WRITE_KEY) == NULL) {
    sbi_conntest_set(t, SEGB_CHECK_SEND, SEGB_VERDICT_SKIPPED, SEGB_OK,
                     "no write_key: the send direction is not configured",
                     "");
    return;
  }
  if (no_send)
    send_nothing(conf, timeout_ms, t);
  else
    send_event(conf, timeout_ms, t);
}
