/* The libcurl transport's multi: up to max_parallel requests on one
 * curl_multi handle, moved along by wait() on the caller's thread. Each
 * request runs in a slot whose easy handle is made on first use and kept;
 * the multi's connection cache keeps the connections alive between
 * requests, and HTTP/2 servers get many requests on one connection. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>

#include <curl/curl.h>

#include <segbridge/error.h>

#include "core/clock.h"
#include "core/err.h"
#include "curl_slot.h"
#include "transport.h"

typedef enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_ENDED } slot_state;

typedef struct multi_slot {
  sbi_curl_slot req; /* req.easy NULL until first used */
  slot_state state;
  void *tag;
} multi_slot;

typedef struct sbi_curl_multi {
  sbi_multi base; /* first, so the multi pointer is the sbi_curl_multi */
  const sbi_curl_config *cfg;
  CURLM *multi;
  multi_slot *slots;
  int max_parallel;
  int busy; /* slots running or ended, not yet collected */
  /* Ended slots not yet collected, oldest first: a ring of slot indices. */
  int *ended;
  int ended_first;
  int ended_count;
  atomic_int woken; /* wakeup() came and no wait() has returned since */
} sbi_curl_multi;

static void push_ended(sbi_curl_multi *m, multi_slot *s) {
  s->state = SLOT_ENDED;
  m->ended[(m->ended_first + m->ended_count++) % m->max_parallel] =
      (int)(s - m->slots);
}

/* Finish the requests libcurl reports ended. */
static void collect(sbi_curl_multi *m) {
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
    CURL *easy = msg->easy_handle;
    CURLcode rc = msg->data.result; /* msg dies with the handle's removal */
    char *slot = NULL;
    multi_slot *s;

    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &slot);
    s = (multi_slot *)(void *)slot;
    curl_multi_remove_handle(m->multi, easy);
    sbi_curl_slot_finish(&s->req, rc);
    push_ended(m, s);
  }
}

/* A slot's easy handle, with the options only a multi's handles take. */
static int make_handle(sbi_curl_multi *m, multi_slot *s) {
  CURLcode rc = sbi_curl_slot_init(&s->req, m->cfg);

  if (rc == CURLE_OK)
    rc = curl_easy_setopt(s->req.easy, CURLOPT_PRIVATE, (void *)s);
  if (rc != CURLE_OK) {
    sbi_curl_slot_cleanup(&s->req);
    /* The transport's own handle took the same settings: only memory can
     * run out here. */
    return sbi_error(SEGB_ERR_NOMEM, "out of memory making a libcurl handle");
  }
  return SEGB_OK;
}

static int multi_start(sbi_multi *mm, const sbi_http_request *req,
                       sbi_http_response *resp, void *tag) {
  sbi_curl_multi *m = (sbi_curl_multi *)mm;
  multi_slot *s = m->slots;
  int rc;

  if (m->busy >= m->max_parallel)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "more than %d requests started at once", m->max_parallel);
  while (s->state != SLOT_FREE)
    s++;
  if (s->req.easy == NULL && make_handle(m, s) != SEGB_OK)
    return SEGB_ERR_NOMEM;
  rc = sbi_curl_slot_begin(&s->req, req, resp);
  if (rc == SEGB_ERR_NOMEM)
    return rc;
  s->tag = tag;
  m->busy++;
  if (rc != SEGB_OK) {
    /* Refused before it began, as send() refuses it: over at once. */
    push_ended(m, s);
    return SEGB_OK;
  }
  /* Over https, wait for a connection being set up to tell (by ALPN)
   * whether it multiplexes, rather than open another: HTTP/2 then carries
   * them all. Plain http stays HTTP/1.1, and waiting would hold every
   * request until the first one's response came back. */
  curl_easy_setopt(s->req.easy, CURLOPT_PIPEWAIT,
                   strncasecmp(req->url, "https:", 6) == 0 ? 1L : 0L);
  if (curl_multi_add_handle(m->multi, s->req.easy) != CURLM_OK) {
    sbi_curl_slot_drop(&s->req);
    m->busy--;
    return sbi_error(SEGB_ERR_NOMEM, "out of memory starting a request");
  }
  s->state = SLOT_RUNNING;
  return SEGB_OK;
}

static void multi_wait(sbi_multi *mm, int64_t timeout_ms) {
  sbi_curl_multi *m = (sbi_curl_multi *)mm;
  int64_t deadline = timeout_ms >= 0 ? sbi_clock_mono_ms() + timeout_ms : -1;
  int running;

  for (;;) {
    int poll_ms = INT_MAX;

    curl_multi_perform(m->multi, &running);
    collect(m);
    /* Taken only here: a wakeup() after this makes the poll below return
     * and is seen on the next round, or by the next wait(). */
    if (atomic_exchange(&m->woken, 0) || m->ended_count > 0)
      return;
    if (deadline >= 0) {
      int64_t left = deadline - sbi_clock_mono_ms();

      if (left <= 0)
        return;
      if (left < INT_MAX)
        poll_ms = (int)left;
    }
    /* Returns early for sockets, libcurl's own timers and wakeups; the
     * loop decides whether that ends the wait. */
    if (curl_multi_poll(m->multi, NULL, 0, poll_ms, NULL) != CURLM_OK)
      return;
  }
}

static void *multi_done(sbi_multi *mm) {
  sbi_curl_multi *m = (sbi_curl_multi *)mm;
  multi_slot *s;

  if (m->ended_count == 0)
    return NULL;
  s = &m->slots[m->ended[m->ended_first]];
  m->ended_first = (m->ended_first + 1) % m->max_parallel;
  m->ended_count--;
  m->busy--;
  s->state = SLOT_FREE;
  return s->tag;
}

static void multi_wakeup(sbi_multi *mm) {
  sbi_curl_multi *m = (sbi_curl_multi *)mm;

  atomic_store(&m->woken, 1);
  curl_multi_wakeup(m->multi);
}

static void multi_abort_all(sbi_multi *mm) {
  sbi_curl_multi *m = (sbi_curl_multi *)mm;
  int i;

  for (i = 0; i < m->max_parallel; i++) {
    multi_slot *s = &m->slots[i];

    if (s->state == SLOT_RUNNING) {
      /* Closes the connection: a response half read cannot be reused. */
      curl_multi_remove_handle(m->multi, s->req.easy);
      sbi_curl_slot_drop(&s->req);
    }
    s->state = SLOT_FREE;
  }
  m->busy = 0;
  m->ended_first = 0;
  m->ended_count = 0;
}

static void multi_destroy(sbi_multi *mm) {
  sbi_curl_multi *m = (sbi_curl_multi *)mm;
  int i;

  multi_abort_all(mm);
  for (i = 0; i < m->max_parallel; i++)
    sbi_curl_slot_cleanup(&m->slots[i].req);
  curl_multi_cleanup(m->multi);
  free(m->slots);
  free(m->ended);
  free(m);
}

sbi_multi *sbi_curl_multi_new(const sbi_curl_config *cfg, int max_parallel) {
  sbi_curl_multi *m = calloc(1, sizeof *m);

  if (m == NULL)
    goto nomem;
  m->cfg = cfg;
  m->max_parallel = max_parallel;
  m->slots = calloc((size_t)max_parallel, sizeof *m->slots);
  m->ended = calloc((size_t)max_parallel, sizeof *m->ended);
  m->multi = curl_multi_init();
  if (m->slots == NULL || m->ended == NULL || m->multi == NULL ||
      curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                        (long)max_parallel) != CURLM_OK ||
      /* libcurl sizes its connection cache by the handles in the multi,
       * which shrinks it when few requests run; a fixed size keeps every
       * connection open. */
      curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)max_parallel) !=
          CURLM_OK)
    goto nomem;
  atomic_init(&m->woken, 0);
  m->base.start = multi_start;
  m->base.wait = multi_wait;
  m->base.done = multi_done;
  m->base.wakeup = multi_wakeup;
  m->base.abort_all = multi_abort_all;
  m->base.destroy = multi_destroy;
  return &m->base;
nomem:
  if (m != NULL) {
    curl_multi_cleanup(m->multi);
    free(m->slots);
    free(m->ended);
    free(m);
  }
  sbi_error(SEGB_ERR_NOMEM, "out of memory creating a libcurl multi");
  return NULL;
}
