/* Batch assembly and the retry loop for one batch at a time. */
#include "sender.h"

#include <segbridge/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/secret.h"
#include "dispatch/batch.h"
#include "transport/policy.h"
#include "transport/retry.h"

/* How many messages from the head of @q go into the next request. */
static size_t batch_count(const sbi_sender *s, const sbi_queue *q) {
  size_t n = 0, bytes = SBI_BATCH_FRAME_BYTES + s->members.len;
  const segb_message_t *m;

  for (m = q->head; m != NULL && n < s->limits.max_events; m = m->next) {
    size_t add = m->json.len + (n > 0);
    /* the first always goes: a message was size-checked when sealed */
    if (n > 0 && bytes + add > s->limits.max_bytes)
      break;
    bytes += add;
    n++;
  }
  return n;
}

/* Build the body for the first @n messages; *@sent_at_at gets the offset of
 * the sentAt value, rewritten on each attempt. */
static int build_body(sbi_sender *s, const sbi_queue *q, size_t n,
                      size_t *sent_at_at) {
  const segb_message_t *m = q->head;
  char now[SBI_ISO_MS_LEN + 1];
  size_t i;
  int rc;

  /* A split rebuilds a shorter body over a longer one: the body members
   * of the longer must not stay behind past the end of the shorter. */
  if (s->members.len > 0)
    sbi_secret_wipe(s->body.data, s->body.len);
  sbi_buf_clear(&s->body);
  rc = sbi_batch_open(&s->body);
  for (i = 0; i < n && rc == SEGB_OK; i++, m = m->next)
    rc = sbi_batch_add(&s->body, m->json.data, m->json.len, i == 0);
  sbi_time_format_iso_ms(now, sbi_clock_now_ms());
  *sent_at_at = s->body.len + sizeof "],\"sentAt\":\"" - 1;
  return rc ? rc
            : sbi_batch_close(&s->body, now,
                              s->members.data ? s->members.data : "",
                              s->members.len);
}

/* Pop the first @n messages and report @err for each; an empty batch
 * (a probe) is reported once, without a message. */
static void finish(sbi_sender *s, sbi_queue *q, size_t n, int err,
                   const char *errstr) {
  if (n == 0)
    s->outcome(s->outcome_ctx, NULL, err, errstr);
  while (n-- > 0) {
    segb_message_t *m = sbi_queue_pop(q);

    s->in_flight = n;
    s->outcome(s->outcome_ctx, m, err, errstr);
  }
}

/* One request for the batch, or none when the auth provider has no
 * credentials to give: its error comes back, the detail in the thread's
 * error. The provider and then the request get at most the time left before
 * @deadline (-1: none); when none is left once the credentials are in hand,
 * no request goes out: SEGB_ERR_TIMED_OUT, and *@sent_ms is -1. Otherwise
 * *@sent_ms gets the time the request left. The Authorization line lives in
 * a buffer that is wiped as soon as the answer is explained. */
static int send_once(sbi_sender *s, sbi_queue *q, size_t n, int retry_count,
                     int64_t deadline, int64_t *sent_ms) {
  sbi_http_request req;
  char retry_header[48];
  segb_message_t *m;
  size_t i;
  int rc;

  memset(&req, 0, sizeof req);
  req.method = "POST";
  req.url = s->url;
  req.headers[req.header_count++] = "Content-Type: application/json";
  sbi_buf_clear(&s->auth_header);
  rc = s->auth->header(s->auth, deadline, &s->auth_header);
  if (rc != SEGB_OK) {
    sbi_secret_wipe(s->auth_header.data, s->auth_header.len);
    return rc;
  }
  if (s->auth_header.len > 0)
    req.headers[req.header_count++] = s->auth_header.data;
  if (retry_count > 0) {
    snprintf(retry_header, sizeof retry_header, "X-Retry-Count: %d",
             retry_count);
    req.headers[req.header_count++] = retry_header;
  }
  req.body = s->body.data;
  req.body_len = s->body.len;
  /* Fetching the credentials may have spent the time left. */
  *sent_ms = sbi_clock_mono_ms();
  if (deadline >= 0) {
    if (*sent_ms >= deadline) {
      sbi_secret_wipe(s->auth_header.data, s->auth_header.len);
      *sent_ms = -1;
      return SEGB_ERR_TIMED_OUT;
    }
    req.timeout_ms = deadline - *sent_ms;
  }
  s->transport->send(s->transport, &req, &s->resp);
  s->requests++;
  s->retries += retry_count > 0;
  if (s->resp.status != 0)
    s->last_status = s->resp.status;
  for (i = 0, m = q->head; i < n; i++, m = m->next) {
    m->attempts++;
    m->http_status = s->resp.status;
  }
  return SEGB_OK;
}

/* The credentials could not be had for a passing reason (the credential
 * server is unreachable or busy): wait as it asked, or back off. */
static sbi_verdict auth_retry(const sbi_sender *s, int64_t *wait) {
  int64_t asked =
      s->auth->retry_wait_ms != NULL ? s->auth->retry_wait_ms(s->auth) : -1;

  if (asked < 0)
    return SBI_VERDICT_RETRY;
  *wait = sbi_retry_after_bound(asked, s->limits.retry.after_max_ms);
  return SBI_VERDICT_RETRY_AFTER;
}

static int send_batch(sbi_sender *s, sbi_queue *q, size_t n, int64_t deadline);

/* A 400 or 413 refuses the whole batch for some of its events (one invalid
 * or oversized event, or the sum of them): send each half as a batch of its
 * own, so that only the refused events are dropped, each with the refusal
 * it got alone. One refused event in n costs at most 1 + 2 * ceil(log2 n)
 * requests (at each level one half is delivered, the other split again);
 * the worst case, every event refused, is the whole tree: 2n - 1. The
 * recursion is ceil(log2 n) deep: 12 at the largest batch.max_events. The
 * first half is seen through (its messages popped and reported) before the
 * second is built from the head of the queue, so reports keep the queue's
 * order; when time runs out in between, what is left stays queued. */
static int send_halves(sbi_sender *s, sbi_queue *q, size_t n,
                       int64_t deadline) {
  int rc = send_batch(s, q, n / 2, deadline);

  return rc != SEGB_OK ? rc : send_batch(s, q, n - n / 2, deadline);
}

static int send_batch(sbi_sender *s, sbi_queue *q, size_t n, int64_t deadline) {
  char advice[512], now_text[SBI_ISO_MS_LEN + 1];
  /* sent counts the requests that went out */
  int sent = 0, refreshed = 0;
  sbi_retry_budget budget;
  size_t sent_at_at;

  if (build_body(s, q, n, &sent_at_at) != SEGB_OK) {
    finish(s, q, n, SEGB_ERR_NOMEM, "out of memory building a batch");
    return SEGB_OK;
  }
  sbi_retry_budget_init(&budget, &s->limits.retry);
  for (;;) {
    int64_t now = sbi_clock_mono_ms(), wait = 0, sent_ms = 0;
    sbi_verdict verdict;
    sbi_retry_step step;
    int rc;

    if (deadline >= 0 && now >= deadline)
      return SEGB_ERR_TIMED_OUT;
    if (s->not_before_ms > now) {
      /* A wait that outlasts the caller's deadline cannot help it. */
      if (deadline >= 0 && s->not_before_ms >= deadline)
        return SEGB_ERR_TIMED_OUT;
      sbi_sleep_ms(s->not_before_ms - now);
    }
    /* sentAt says when this attempt left, for Segment's clock-skew fix */
    sbi_time_format_iso_ms(now_text, sbi_clock_now_ms());
    memcpy(s->body.data + sent_at_at, now_text, SBI_ISO_MS_LEN);
    rc = send_once(s, q, n, sent, deadline, &sent_ms);
    if (rc == SEGB_ERR_TIMED_OUT && sent_ms < 0)
      return rc;
    if (rc != SEGB_OK) {
      snprintf(advice, sizeof advice, "%s", segb_last_error_message());
      snprintf(s->last_failure, sizeof s->last_failure, "%s", advice);
      /* A configuration error: waiting would not mend it. */
      if (!sbi_auth_transient(rc)) {
        finish(s, q, n, rc, advice);
        return SEGB_OK;
      }
      verdict = auth_retry(s, &wait);
    } else {
      sbi_outcome o;

      sent++;
      /* A server may echo the Authorization line: explain the answer while
       * the line is at hand to redact, then wipe it. */
      sbi_advice(advice, sizeof advice, &s->resp, s->url, s->auth_hint,
                 s->auth_header.data);
      sbi_secret_wipe(s->auth_header.data, s->auth_header.len);
      o = sbi_http_outcome(&s->resp, SBI_PEER_TRACKING, sbi_clock_now_ms(),
                           s->limits.retry.after_max_ms);
      verdict = o.verdict;
      wait = o.wait_ms;
      if (verdict == SBI_VERDICT_DELIVERED) {
        s->last_failure[0] = '\0';
        finish(s, q, n, SEGB_OK, "");
        return SEGB_OK;
      }
      snprintf(s->last_failure, sizeof s->last_failure, "%s", advice);
      /* A fetched token may have expired or been revoked: get a fresh one
       * and resend the same batch, once. */
      if (verdict == SBI_VERDICT_AUTH && s->auth->refresh != NULL &&
          !refreshed) {
        s->auth->refresh(s->auth, sent_ms);
        refreshed = 1;
        budget.requests++; /* the refused request counts, uncharged */
        continue;
      }
      /* After a refresh, the refusal is not about the token's age. */
      if (verdict == SBI_VERDICT_AUTH && !refreshed)
        s->auth->unauthorized(s->auth);
      if (o.split && n > 1)
        return send_halves(s, q, n, deadline);
      if (verdict == SBI_VERDICT_AUTH || verdict == SBI_VERDICT_REJECTED) {
        finish(s, q, n, o.code, advice);
        return SEGB_OK;
      }
    }
    now = sbi_clock_mono_ms();
    step = sbi_retry_next(&budget, verdict, now, deadline, &wait);
    if (step == SBI_RETRY_GIVE_UP) {
      char gave_up[640];
      snprintf(gave_up, sizeof gave_up, "gave up after %d requests: %s",
               budget.requests, advice);
      finish(s, q, n, SEGB_ERR_RETRIES_EXHAUSTED, gave_up);
      return SEGB_OK;
    }
    /* The server's wait holds past this call: the next flush waits too. */
    if (verdict == SBI_VERDICT_RETRY_AFTER)
      s->not_before_ms = now + wait;
    if (step == SBI_RETRY_OUT_OF_TIME)
      return SEGB_ERR_TIMED_OUT;
    if (verdict == SBI_VERDICT_RETRY)
      sbi_sleep_ms(wait);
  }
}

int sbi_sender_send(sbi_sender *s, sbi_queue *q, int64_t deadline_ms) {
  int rc;

  sbi_buf_clear(&s->members);
  if (s->auth->body_members(s->auth, &s->members) != SEGB_OK)
    return SEGB_ERR_NOMEM;
  s->in_flight = batch_count(s, q);
  rc = send_batch(s, q, s->in_flight, deadline_ms);
  s->in_flight = 0;         /* what a timeout leaves is queued again */
  if (s->members.len > 0) { /* the body holds them too */
    sbi_secret_wipe(s->members.data, s->members.len);
    sbi_secret_wipe(s->body.data, s->body.len);
  }
  return rc;
}

int sbi_sender_drain(sbi_sender *s, sbi_queue *q, int64_t deadline_ms) {
  while (q->count > 0) {
    int rc = sbi_sender_send(s, q, deadline_ms);

    if (rc != SEGB_OK)
      return rc;
  }
  return SEGB_OK;
}

void sbi_sender_free(sbi_sender *s) {
  sbi_secret_wipe(s->body.data, s->body.len);
  sbi_buf_free(&s->body);
  sbi_buf_free(&s->auth_header);
  sbi_buf_free(&s->members);
  sbi_http_response_free(&s->resp);
  free(s->url);
}
