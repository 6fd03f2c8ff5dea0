/* The libcurl transport's parts shared by its blocking send() (curl.c) and
 * its multi (curl_multi.c): the settings every easy handle gets, and a slot,
 * one easy handle with the state of the request it runs. */
#ifndef SBI_TRANSPORT_CURL_SLOT_H
#define SBI_TRANSPORT_CURL_SLOT_H

#include <stdint.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "transport.h"

/* The transport's settings, with copies of its strings. */
typedef struct sbi_curl_config {
  int64_t timeout_ms;         /* the transport's cap; 0 for none */
  int64_t connect_timeout_ms; /* 0 for libcurl's default */
  char *ca_file;              /* NULL: unset, as in sbi_transport_options */
  char *ca_path;
  char *proxy;
  int gzip;
  sbi_logger log; /* a copy of the options' (none when NULL) */
} sbi_curl_config;

/* SEGB_OK or SEGB_ERR_NOMEM (then @cfg holds nothing to free). */
int sbi_curl_config_init(sbi_curl_config *cfg, const sbi_transport_options *o);
void sbi_curl_config_free(sbi_curl_config *cfg);

typedef struct sbi_curl_slot {
  CURL *easy;
  const sbi_curl_config *cfg;
  sbi_buf gz;                 /* compressed body of the current request */
  struct curl_slist *headers; /* the current request's header lines */
  sbi_http_response *resp;    /* filled by the callbacks during a request */
  const char *url, *method;
  size_t sent_bytes;  /* the body as it goes out, for the log */
  int64_t timeout_ms; /* the current request's limit (0: none) */
  int caller;         /* ... and it is the request's own timeout_ms */
  int nomem;          /* a callback ran out of memory */
  char errbuf[CURL_ERROR_SIZE];
} sbi_curl_slot;

/* Make @s's easy handle with the options of @cfg (which outlives @s).
 * CURLE_OK, or what libcurl refused; sbi_curl_slot_cleanup() either way. */
CURLcode sbi_curl_slot_init(sbi_curl_slot *s, const sbi_curl_config *cfg);
void sbi_curl_slot_cleanup(sbi_curl_slot *s);

/* Reset @resp and set the handle up to run @req, which stays valid until
 * the request is finished or dropped. SEGB_OK, or the failure also set in
 * @resp (SEGB_ERR_INVALID_ARG, SEGB_ERR_NOMEM) with nothing to run. */
int sbi_curl_slot_begin(sbi_curl_slot *s, const sbi_http_request *req,
                        sbi_http_response *resp);

/* The request ended with @rc: fill its response as send() does. Returns
 * resp->error. */
int sbi_curl_slot_finish(sbi_curl_slot *s, CURLcode rc);

/* Let go of a request that will not be finished, leaving its response as
 * it is. */
void sbi_curl_slot_drop(sbi_curl_slot *s);

/* The libcurl multi for a transport with @cfg (curl_multi.c). NULL with
 * SEGB_ERR_NOMEM. */
sbi_multi *sbi_curl_multi_new(const sbi_curl_config *cfg, int max_parallel);

#endif
