/* Batch assembly and the retry state machine of a job. */
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

int sbi_sender_batch_start(sbi_sender *s, sbi_batch_size *b) {
  if (s->members_len == 0) {
    sbi_buf m = SBI_BUF_INIT;
    int rc = s->auth->body_members(s->auth, &m);

    sbi_secret_wipe(m.data, m.len);
    sbi_buf_free(&m);
    if (rc != SEGB_OK)
      return rc;
    s->members_len = m.len + 1;
  }
  b->count = 0;
  b->bytes = SBI_BATCH_FRAME_BYTES + s->members_len - 1;
  return SEGB_OK;
}

int sbi_sender_batch_take(const sbi_sender *s, sbi_batch_size *b, size_t len) {
  size_t add = len + (b->count > 0);

  if (b->count >= s->limits.max_events ||
      (b->count > 0 && b->bytes + add > s->limits.max_bytes))
    return 0;
  b->bytes += add;
  b->count++;
  return 1;
}

static int compare_keys(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return (x > y) - (x < y);
}

int sbi_job_reserve(sbi_job *j, size_t events) {
  uint64_t *keys;

  if (events <= j->key_room)
    return SEGB_OK;
  keys = realloc(j->keys, events * sizeof *keys);
  if (keys == NULL)
    return SEGB_ERR_NOMEM;
  j->keys = keys;
  j->key_room = events;
  return SEGB_OK;
}

void sbi_job_init(sbi_job *j, sbi_queue *msgs) {
  const segb_message_t *m;
  size_t n = 0, i;

  j->key_count = 0;
  if (msgs->count > 0) {
    for (m = msgs->head; m != NULL; m = m->next)
      j->keys[n++] = m->user_key;
    qsort(j->keys, n, sizeof *j->keys, compare_keys);
    for (i = 1, j->key_count = 1; i < n; i++)
      if (j->keys[i] != j->keys[j->key_count - 1])
        j->keys[j->key_count++] = j->keys[i];
  }
  j->msgs = *msgs;
  *msgs = (sbi_queue){0};
  j->parts[0] = j->msgs.count;
  j->top = 1;
  j->begun = 0;
  j->not_before_ms = 0;
  sbi_buf_clear(&j->members);
}

void sbi_job_free(sbi_job *j) {
  sbi_secret_wipe(j->body.data, j->body.len);
  sbi_secret_wipe(j->members.data, j->members.len);
  sbi_secret_wipe(j->auth_header.data, j->auth_header.len);
  sbi_buf_free(&j->body);
  sbi_buf_free(&j->members);
  sbi_buf_free(&j->auth_header);
  sbi_http_response_free(&j->resp);
  free(j->keys);
  j->keys = NULL;
  j->key_room = 0;
}

/* Build the body for the first @n messages, keeping the offset of the
 * sentAt value, rewritten on each attempt. */
static int build_body(sbi_job *j, size_t n) {
  const segb_message_t *m = j->msgs.head;
  char now[SBI_ISO_MS_LEN + 1];
  size_t i;
  int rc;

  /* A split rebuilds a shorter body over a longer one: the body members
   * of the longer must not stay behind past the end of the shorter. */
  if (j->members.len > 0)
    sbi_secret_wipe(j->body.data, j->body.len);
  sbi_buf_clear(&j->body);
  rc = sbi_batch_open(&j->body);
  for (i = 0; i < n && rc == SEGB_OK; i++, m = m->next)
    rc = sbi_batch_add(&j->body, m->json.data, m->json.len, i == 0);
  sbi_time_format_iso_ms(now, sbi_clock_now_ms());
  j->sent_at_at = j->body.len + sizeof "],\"sentAt\":\"" - 1;
  return rc ? rc
            : sbi_batch_close(&j->body, now,
                              j->members.data ? j->members.data : "",
                              j->members.len);
}

/* One line for a final drop. Only the code and the status: the report's
 * detail may quote the server's answer, which may echo the payload. */
static void log_drop(const sbi_sender *s, size_t n, int err) {
  char host[128], answer[16] = "no answer";

  if (!sbi_log_enabled(&s->log, 4, 0))
    return;
  sbi_url_host(s->url, host, sizeof host);
  if (s->answered_status != 0)
    snprintf(answer, sizeof answer, "HTTP %d", s->answered_status);
  sbi_log(&s->log, 4, "dispatch", "dropped %zu event%s: %s (%s); %s: %s", n,
          n == 1 ? "" : "s", segb_err_name(err), segb_err_str(err), host,
          answer);
}

/* The current part of @j is over: pop its messages and report @err for
 * each (an empty batch, a probe, is reported once, without a message). A
 * drop is logged once for the part, not per message. */
static void finish(sbi_sender *s, sbi_job *j, int err, const char *errstr) {
  size_t n = j->parts[--j->top];

  j->begun = 0;
  if (err != SEGB_OK)
    log_drop(s, n, err);
  if (n == 0)
    s->outcome(s->outcome_ctx, NULL, err, errstr);
  while (n-- > 0)
    s->outcome(s->outcome_ctx, sbi_queue_pop(&j->msgs), err, errstr);
}

/* Begin the current part: its body, a fresh retry budget. */
static void begin_part(sbi_sender *s, sbi_job *j) {
  size_t n = j->parts[j->top - 1];

  if (j->members.len == 0 &&
      s->auth->body_members(s->auth, &j->members) != SEGB_OK) {
    finish(s, j, SEGB_ERR_NOMEM, "out of memory building a batch");
    return;
  }
  if (build_body(j, n) != SEGB_OK) {
    finish(s, j, SEGB_ERR_NOMEM, "out of memory building a batch");
    return;
  }
  sbi_retry_budget_init(&j->budget, &s->limits.retry);
  j->sent = 0;
  j->refreshed = 0;
  j->not_before_ms = 0;
  j->begun = 1;
  if (sbi_log_enabled(&s->log, 7, SBI_LOG_BATCH))
    sbi_log(&s->log, 7, "batch", "batch of %zu events, %zu bytes", n,
            j->body.len);
}

/* Fill j->req for the current part, or take no request when the auth
 * provider has no credentials to give (its error comes back, the detail in
 * the thread's error) or when no time is left before @deadline once they
 * are in hand (*@no_time set). The Authorization line lives in
 * j->auth_header, wiped as soon as the answer is explained. */
static int prepare(sbi_sender *s, sbi_job *j, int64_t deadline, int *no_time) {
  sbi_http_request *req = &j->req;
  char now_text[SBI_ISO_MS_LEN + 1];
  size_t n = j->parts[j->top - 1], i;
  segb_message_t *m;
  int64_t now;
  int rc;

  memset(req, 0, sizeof *req);
  req->method = "POST";
  req->url = s->url;
  req->headers[req->header_count++] = "Content-Type: application/json";
  sbi_buf_clear(&j->auth_header);
  rc = s->auth->header(s->auth, deadline, &j->auth_header);
  if (rc != SEGB_OK) {
    sbi_secret_wipe(j->auth_header.data, j->auth_header.len);
    return rc;
  }
  if (j->auth_header.len > 0)
    req->headers[req->header_count++] = j->auth_header.data;
  if (j->sent > 0) {
    snprintf(j->retry_header, sizeof j->retry_header, "X-Retry-Count: %d",
             j->sent);
    req->headers[req->header_count++] = j->retry_header;
  }
  /* sentAt says when this attempt left, for Segment's clock-skew fix */
  sbi_time_format_iso_ms(now_text, sbi_clock_now_ms());
  memcpy(j->body.data + j->sent_at_at, now_text, SBI_ISO_MS_LEN);
  req->body = j->body.data;
  req->body_len = j->body.len;
  /* Fetching the credentials may have spent the time left. */
  now = sbi_clock_mono_ms();
  if (deadline >= 0) {
    if (now >= deadline) {
      sbi_secret_wipe(j->auth_header.data, j->auth_header.len);
      *no_time = 1;
      return SEGB_ERR_TIMED_OUT;
    }
    req->timeout_ms = deadline - now;
  }
  j->sent_ms = now;
  atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
  if (j->sent > 0)
    atomic_fetch_add_explicit(&s->retries, 1, memory_order_relaxed);
  for (i = 0, m = j->msgs.head; i < n; i++, m = m->next)
    m->attempts++;
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

/* Charge a failed attempt to the part's budget and set when the next one
 * goes: SBI_JOB_TIMED_OUT when that lies past @deadline, else what
 * sbi_job_next() says (a wait, or the next part after giving up). */
static sbi_job_step retry(sbi_sender *s, sbi_job *j, sbi_verdict verdict,
                          int64_t wait, int64_t deadline, const char *advice) {
  int64_t now = sbi_clock_mono_ms();
  sbi_retry_step step =
      sbi_retry_next(&j->budget, verdict, now, deadline, &wait);

  if (step == SBI_RETRY_GIVE_UP) {
    char gave_up[640];

    snprintf(gave_up, sizeof gave_up, "gave up after %d request%s: %s",
             j->budget.requests, j->budget.requests == 1 ? "" : "s", advice);
    finish(s, j, SEGB_ERR_RETRIES_EXHAUSTED, gave_up);
    return sbi_job_next(s, j, now, deadline);
  }
  /* The server's wait holds for every job, and past this flush. */
  if (verdict == SBI_VERDICT_RETRY_AFTER)
    s->not_before_ms = now + wait;
  else
    j->not_before_ms = now + wait;
  if (step == SBI_RETRY_OUT_OF_TIME)
    return SBI_JOB_TIMED_OUT;
  return sbi_job_next(s, j, now, deadline);
}

sbi_job_step sbi_job_next(sbi_sender *s, sbi_job *j, int64_t now,
                          int64_t deadline) {
  while (j->top > 0) {
    int64_t wait = 0, until;
    sbi_verdict verdict;
    int no_time = 0, rc;

    if (!j->begun) {
      begin_part(s, j);
      continue;
    }
    if (deadline >= 0 && now >= deadline)
      return SBI_JOB_TIMED_OUT;
    until = j->not_before_ms > s->not_before_ms ? j->not_before_ms
                                                : s->not_before_ms;
    if (until > now) {
      /* A wait that outlasts the caller's deadline cannot help it. */
      if (deadline >= 0 && until >= deadline)
        return SBI_JOB_TIMED_OUT;
      j->not_before_ms = until;
      return SBI_JOB_WAIT;
    }
    rc = prepare(s, j, deadline, &no_time);
    if (rc == SEGB_OK)
      return SBI_JOB_SEND;
    if (no_time)
      return SBI_JOB_TIMED_OUT;
    snprintf(s->last_failure, sizeof s->last_failure, "%s",
             segb_last_error_message());
    /* A configuration error: waiting would not mend it. */
    if (!sbi_auth_transient(rc)) {
      finish(s, j, rc, s->last_failure);
      continue;
    }
    verdict = auth_retry(s, &wait);
    return retry(s, j, verdict, wait, deadline, s->last_failure);
  }
  return SBI_JOB_DONE;
}

sbi_job_step sbi_job_answered(sbi_sender *s, sbi_job *j, int64_t deadline) {
  size_t n = j->parts[j->top - 1], i;
  const sbi_http_response *resp = &j->resp;
  char advice[512];
  segb_message_t *m;
  sbi_outcome o;

  j->sent++;
  s->answered_status = resp->status;
  if (resp->status != 0)
    atomic_store_explicit(&s->last_status, resp->status, memory_order_relaxed);
  for (i = 0, m = j->msgs.head; i < n; i++, m = m->next)
    m->http_status = resp->status;
  o = sbi_http_outcome(resp, SBI_PEER_TRACKING, sbi_clock_now_ms(),
                       s->limits.retry.after_max_ms);
  if (o.verdict == SBI_VERDICT_DELIVERED) {
    sbi_secret_wipe(j->auth_header.data, j->auth_header.len);
    s->last_failure[0] = '\0';
    finish(s, j, SEGB_OK, "");
    return sbi_job_next(s, j, sbi_clock_mono_ms(), deadline);
  }
  /* A server may echo the Authorization line: explain the answer while
   * the line is at hand to redact, then wipe it. */
  sbi_advice(advice, sizeof advice, resp, s->url, s->auth_hint,
             j->auth_header.data);
  sbi_secret_wipe(j->auth_header.data, j->auth_header.len);
  snprintf(s->last_failure, sizeof s->last_failure, "%s", advice);
  /* A fetched token may have expired or been revoked: get a fresh one and
   * resend the same batch, once. */
  if (o.verdict == SBI_VERDICT_AUTH && s->auth->refresh != NULL &&
      !j->refreshed) {
    s->auth->refresh(s->auth, j->sent_ms);
    j->refreshed = 1;
    j->budget.requests++; /* the refused request counts, uncharged */
    return sbi_job_next(s, j, sbi_clock_mono_ms(), deadline);
  }
  /* After a refresh, the refusal is not about the token's age. */
  if (o.verdict == SBI_VERDICT_AUTH && !j->refreshed)
    s->auth->unauthorized(s->auth);
  /* A 400 or 413 refuses the whole batch for some of its events (one
   * invalid or oversized event, or the sum of them): send each half as a
   * batch of its own, the first half first, so that only the refused
   * events are dropped, each with the refusal it got alone, and reports
   * keep the queue's order. One refused event in n costs at most
   * 1 + 2 * ceil(log2 n) requests; every event refused, 2n - 1. */
  if (o.split && n > 1 && j->top < SBI_JOB_MAX_PARTS) {
    j->parts[j->top - 1] = n - n / 2;
    j->parts[j->top++] = n / 2;
    j->begun = 0;
    return sbi_job_next(s, j, sbi_clock_mono_ms(), deadline);
  }
  if (o.verdict == SBI_VERDICT_AUTH || o.verdict == SBI_VERDICT_REJECTED ||
      o.split) {
    finish(s, j, o.code, advice);
    return sbi_job_next(s, j, sbi_clock_mono_ms(), deadline);
  }
  return retry(s, j, o.verdict, o.wait_ms, deadline, advice);
}

int sbi_sender_send(sbi_sender *s, sbi_queue *q, int64_t deadline_ms) {
  sbi_batch_size size;
  sbi_queue batch = {0};
  sbi_job_step step;
  sbi_job j = {0};
  int rc = sbi_sender_batch_start(s, &size);

  if (rc != SEGB_OK)
    return rc;
  while (q->head != NULL && sbi_sender_batch_take(s, &size, q->head->json.len))
    sbi_queue_push(&batch, sbi_queue_pop(q));
  if (sbi_job_reserve(&j, batch.count) != SEGB_OK) {
    sbi_queue_prepend(q, &batch);
    return SEGB_ERR_NOMEM;
  }
  sbi_job_init(&j, &batch);
  step = sbi_job_next(s, &j, sbi_clock_mono_ms(), deadline_ms);
  while (step == SBI_JOB_SEND || step == SBI_JOB_WAIT) {
    if (step == SBI_JOB_WAIT) {
      sbi_sleep_ms(j.not_before_ms - sbi_clock_mono_ms());
      step = sbi_job_next(s, &j, sbi_clock_mono_ms(), deadline_ms);
      continue;
    }
    s->transport->send(s->transport, &j.req, &j.resp);
    step = sbi_job_answered(s, &j, deadline_ms);
  }
  /* what a deadline left goes back to the head of the queue, in order */
  sbi_queue_prepend(q, &j.msgs);
  sbi_job_free(&j);
  return step == SBI_JOB_DONE ? SEGB_OK : SEGB_ERR_TIMED_OUT;
}

void sbi_sender_free(sbi_sender *s) { free(s->url); }
