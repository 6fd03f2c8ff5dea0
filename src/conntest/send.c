/* The send direction of Test Connection (the integration guide's Step 6):
 * a batch with the track event "Integration Test", sent by a sender built
 * as the client builds its own, so the check takes the path real events
 * take (credentials, retries, advice); or with --no-send an empty batch
 * that only authenticates the write key. */
#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/message.h>

#include "api/http.h"
#include "config/props.h"
#include "conntest/conntest.h"
#include "core/clock.h"
#include "core/err.h"
#include "dispatch/sender.h"
#include "setup.h"

#define SBI_TEST_USER "segbridge-test-connection"
#define SBI_TEST_EVENT "Integration Test"

/* What a passed check leaves to confirm. */
static const char *passed_note(int no_send) {
  return no_send ? "Segment may accept an unknown write key without an error: "
                   "check again without --no-send and confirm the event in the "
                   "source's Debugger"
                 : "Segment accepts events for unknown write keys and drops "
                   "them later: confirm \"" SBI_TEST_EVENT
                   "\" from " SBI_TEST_USER
                   " in Connections > Sources > your source > Debugger; if no "
                   "data appears, check that the source is active";
}

/* The probe batch and its fate. */
typedef struct sbi_probe {
  sbi_sender sender;
  sbi_queue queue; /* the test event, or nothing */
  int reported, err, status, attempts;
  char errstr[SBI_ERR_DETAIL_MAX];
} sbi_probe;

static void on_outcome(void *ctx, segb_message_t *msg, int err,
                       const char *errstr) {
  sbi_probe *p = ctx;

  p->reported = 1;
  p->err = err;
  p->status = p->sender.answered_status;
  snprintf(p->errstr, sizeof p->errstr, "%s", errstr);
  if (msg != NULL) {
    p->attempts = msg->attempts;
    segb_message_destroy(msg);
  }
}

/* Queue the sealed test event. */
static int queue_event(sbi_queue *q) {
  segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);
  int rc = m != NULL ? SEGB_OK : segb_last_error();

  rc = rc ? rc : segb_message_set_string(m, "userId", SBI_TEST_USER);
  rc = rc ? rc : segb_message_set_string(m, "event", SBI_TEST_EVENT);
  rc = rc ? rc : segb_message_set_json(m, "properties", "{\"test\":true}");
  rc = rc ? rc : segb_message_seal(m);
  if (rc != SEGB_OK) {
    segb_message_destroy(m);
    return rc;
  }
  sbi_queue_push(q, m);
  return SEGB_OK;
}

/* Build the probe's sender from @conf and send its one batch before
 * @deadline; SEGB_OK when it was delivered, else its error with the detail
 * in p->errstr. */
static int probe(const segb_config_t *conf, int no_send, int64_t deadline,
                 sbi_probe *p) {
  sbi_sender *s = &p->sender;
  int rc = SEGB_OK;

  if ((s->transport = sbi_setup_transport(conf, SBI_API_TRACKING)) == NULL ||
      (s->auth = no_send ? sbi_setup_write_key(conf)
                         : sbi_setup_tracking_auth(conf, NULL)) == NULL)
    rc = segb_last_error();
  rc = rc ? rc : sbi_setup_sender(conf, s);
  if (rc == SEGB_OK && !no_send)
    rc = queue_event(&p->queue);
  if (rc == SEGB_OK) {
    s->outcome = on_outcome;
    s->outcome_ctx = p;
    rc = sbi_sender_send(s, &p->queue, deadline);
  }
  if (rc == SEGB_OK)
    return p->err;
  if (rc == SEGB_ERR_TIMED_OUT && s->url != NULL) {
    char host[128];

    sbi_url_host(s->url, host, sizeof host);
    snprintf(p->errstr, sizeof p->errstr,
             "%s did not accept the %s in time%s%.300s", host,
             no_send ? "empty batch" : "test event",
             s->last_failure[0] ? "; last failure: " : "", s->last_failure);
  } else {
    snprintf(p->errstr, sizeof p->errstr, "%s", segb_last_error_message());
  }
  return rc;
}

static void send_probe(const segb_config_t *conf, int no_send,
                       int32_t timeout_ms, segb_conntest_t *t) {
  segb_config_t *dup = sbi_conntest_config(conf, timeout_ms);
  int64_t deadline = sbi_clock_mono_ms() + timeout_ms;
  sbi_api api =
      !no_send && sbi_oauth_configured(conf) ? SBI_API_OAUTH : SBI_API_TRACKING;
  char host[128], detail[SBI_ERR_DETAIL_MAX];
  sbi_probe p;
  int rc;

  memset(&p, 0, sizeof p);
  if (dup == NULL || (rc = sbi_global_init()) < 0) {
    sbi_conntest_set(t, SEGB_CHECK_SEND, api, segb_last_error(),
                     segb_last_error_message(), NULL);
    segb_config_destroy(dup);
    return;
  }
  rc = probe(dup, no_send, deadline, &p);
  if (rc == SEGB_OK) {
    sbi_url_host(p.sender.url, host, sizeof host);
    if (no_send)
      snprintf(detail, sizeof detail,
               "%s accepted an empty batch with the write key (HTTP %d); no "
               "event was sent",
               host, p.status);
    else
      snprintf(detail, sizeof detail,
               "track \"" SBI_TEST_EVENT "\" accepted by %s (HTTP %d, %d "
               "request%s)",
               host, p.status, p.attempts, p.attempts == 1 ? "" : "s");
  } else {
    snprintf(detail, sizeof detail, "%s", p.errstr);
  }
  sbi_conntest_set(t, SEGB_CHECK_SEND, api, rc, detail, passed_note(no_send));
  /* the event a deadline left queued */
  while (p.queue.count > 0)
    segb_message_destroy(sbi_queue_pop(&p.queue));
  sbi_sender_free(&p.sender);
  if (p.sender.auth != NULL)
    p.sender.auth->destroy(p.sender.auth);
  if (p.sender.transport != NULL)
    p.sender.transport->destroy(p.sender.transport);
  sbi_global_cleanup();
  segb_config_destroy(dup);
}

void sbi_check_send(const segb_config_t *conf, int no_send, int32_t timeout_ms,
                    segb_conntest_t *t) {
  if (sbi_conf_str(conf, SBI_PROP_WRITE_KEY) == NULL)
    sbi_conntest_skip(t, SEGB_CHECK_SEND,
                      "no write_key: the send direction is not configured");
  else
    send_probe(conf, no_send, timeout_ms, t);
}
