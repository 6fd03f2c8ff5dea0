/* The libcurl transport. One easy handle per transport, reused for every
 * request, so libcurl keeps the TCP/TLS connection alive between batches;
 * its multi (curl_multi.c) runs many requests at once on handles of its
 * own with the same settings. A handle a thread was inside when the
 * process forked is, in the child, half-way through a transfer that
 * thread will never finish: the child replaces it before its next send. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include <segbridge/error.h>

#include "core/err.h"
#include "core/fork.h"
#include "curl_slot.h"
#include "sockets.h"
#include "transport.h"

typedef struct sbi_curl {
  sbi_transport base; /* first, so the transport pointer is the sbi_curl */
  sbi_curl_config cfg;
  sbi_curl_slot slot;
  atomic_int interrupted;
  atomic_int sending; /* a thread is inside send() */
  int stale;          /* the child of a fork during a send: slot unusable */
  sbi_fork_hook fork_hook;
} sbi_curl;

/* libcurl calls this often during a transfer, and about once a second
 * while it waits: a nonzero answer ends the transfer. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  sbi_curl *c = userdata;
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  return atomic_load_explicit(&c->interrupted, memory_order_relaxed);
}

static void transport_interrupt(sbi_transport *t) {
  atomic_store_explicit(&((sbi_curl *)t)->interrupted, 1, memory_order_relaxed);
}

/* The easy handle with the transport's options. */
static CURLcode make_handle(sbi_curl *c) {
  CURLcode rc = sbi_curl_slot_init(&c->slot, &c->cfg);

  if (rc == CURLE_OK)
    rc = curl_easy_setopt(c->slot.easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(c->slot.easy, CURLOPT_XFERINFODATA, c);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(c->slot.easy, CURLOPT_NOPROGRESS, 0L);
  return rc;
}

/* In the child, with no other thread: the send under way at the fork
 * belongs to a thread that does not exist here. */
static void forked(void *ctx) {
  sbi_curl *c = ctx;

  if (atomic_load_explicit(&c->sending, memory_order_relaxed)) {
    c->stale = 1;
    atomic_store_explicit(&c->sending, 0, memory_order_relaxed);
  }
}

static int renew_handle(sbi_curl *c, sbi_http_response *resp) {
  sbi_curl_slot_drop(&c->slot);    /* the request of the thread that is gone */
  sbi_curl_slot_cleanup(&c->slot); /* its sockets are /dev/null's here */
  c->stale = 0;
  if (make_handle(c) == CURLE_OK)
    return SEGB_OK;
  sbi_http_response_reset(resp);
  snprintf(resp->error_text, sizeof resp->error_text,
           "out of memory making a libcurl handle");
  return resp->error = SEGB_ERR_NOMEM;
}

static int transport_send(sbi_transport *t, const sbi_http_request *req,
                          sbi_http_response *resp) {
  sbi_curl *c = (sbi_curl *)t;
  int rc;

  if (c->stale && renew_handle(c, resp) != SEGB_OK)
    return resp->error;
  rc = sbi_curl_slot_begin(&c->slot, req, resp);
  if (rc != SEGB_OK)
    return rc;
  atomic_store_explicit(&c->sending, 1, memory_order_relaxed);
  rc = sbi_curl_slot_finish(&c->slot, curl_easy_perform(c->slot.easy));
  atomic_store_explicit(&c->sending, 0, memory_order_relaxed);
  return rc;
}

static sbi_multi *transport_multi_new(sbi_transport *t, int max_parallel) {
  return sbi_curl_multi_new(&((sbi_curl *)t)->cfg, max_parallel);
}

static void transport_destroy(sbi_transport *t) {
  sbi_curl *c = (sbi_curl *)t;

  if (c->fork_hook.child != NULL)
    sbi_fork_unwatch(&c->fork_hook);
  sbi_curl_slot_cleanup(&c->slot);
  sbi_curl_config_free(&c->cfg);
  free(c);
  sbi_global_cleanup();
}

sbi_transport *sbi_curl_transport_new(const sbi_transport_options *opts) {
  sbi_curl *c;
  CURLcode rc;

  /* Holding a reference makes a client work without segb_global_init(). */
  if (sbi_global_init() < 0)
    return NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL || sbi_curl_config_init(&c->cfg, opts) != SEGB_OK) {
    free(c);
    sbi_global_cleanup();
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a libcurl transport");
    return NULL;
  }
  c->base.send = transport_send;
  c->base.destroy = transport_destroy;
  c->base.multi_new = transport_multi_new;
  c->base.interrupt = transport_interrupt;
  atomic_init(&c->interrupted, 0);
  atomic_init(&c->sending, 0);
  rc = make_handle(c);
  if (rc != CURLE_OK) {
    transport_destroy(&c->base);
    sbi_error(rc == CURLE_OUT_OF_MEMORY ? SEGB_ERR_NOMEM : SEGB_ERR_SYSTEM,
              "libcurl rejected the transport settings: %s",
              curl_easy_strerror(rc));
    return NULL;
  }
  c->fork_hook.child = forked;
  c->fork_hook.ctx = c;
  c->fork_hook.rank = SBI_FORK_OBJECT;
  sbi_fork_watch(&c->fork_hook);
  sbi_sockets_watch();
  return &c->base;
}
