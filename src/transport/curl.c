/* The libcurl transport. One easy handle per transport, reused for every
 * request, so libcurl keeps the TCP/TLS connection alive between batches;
 * its multi (curl_multi.c) runs many requests at once on handles of its
 * own with the same settings. */
#include <stdatomic.h>
#include <stdlib.h>

#include <curl/curl.h>

#include <segbridge/error.h>

#include "core/err.h"
#include "curl_slot.h"
#include "transport.h"

typedef struct sbi_curl {
  sbi_transport base; /* first, so the transport pointer is the sbi_curl */
  sbi_curl_config cfg;
  sbi_curl_slot slot;
  atomic_int interrupted;
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

static int transport_send(sbi_transport *t, const sbi_http_request *req,
                          sbi_http_response *resp) {
  sbi_curl *c = (sbi_curl *)t;
  int rc = sbi_curl_slot_begin(&c->slot, req, resp);

  if (rc != SEGB_OK)
    return rc;
  return sbi_curl_slot_finish(&c->slot, curl_easy_perform(c->slot.easy));
}

static sbi_multi *transport_multi_new(sbi_transport *t, int max_parallel) {
  return sbi_curl_multi_new(&((sbi_curl *)t)->cfg, max_parallel);
}

static void transport_destroy(sbi_transport *t) {
  sbi_curl *c = (sbi_curl *)t;

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
  rc = sbi_curl_slot_init(&c->slot, &c->cfg);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(c->slot.easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(c->slot.easy, CURLOPT_XFERINFODATA, c);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(c->slot.easy, CURLOPT_NOPROGRESS, 0L);
  if (rc != CURLE_OK) {
    transport_destroy(&c->base);
    sbi_error(rc == CURLE_OUT_OF_MEMORY ? SEGB_ERR_NOMEM : SEGB_ERR_SYSTEM,
              "libcurl rejected the transport settings: %s",
              curl_easy_strerror(rc));
    return NULL;
  }
  return &c->base;
}
