/* The mock's public API: lifecycle, fault script and what-it-saw getters. */
#include "mock_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void destroy(sbm_mock *m) {
  pthread_mutex_lock(&m->stop_lock);
  m->stopping = 1;
  pthread_cond_broadcast(&m->stop_cond);
  pthread_mutex_unlock(&m->stop_lock);
  sbm_debugger_stop(m->debugger);
  /* Joins the connection threads, so nothing touches the store after. */
  sbm_http_stop(m);
  sbm_debugger_free(m->debugger);
  sbm_store_free(&m->store);
  sbm_faults_free(&m->faults);
  sbm_api_free(m->api);
  sbm_oauth_free(m->oauth);
  pthread_cond_destroy(&m->stop_cond);
  pthread_mutex_destroy(&m->stop_lock);
  free(m->write_key);
  free(m->tls_cert);
  free(m->tls_key);
  free(m);
}

static char *dup_or_null(const char *s, int *failed) {
  char *copy = s ? strdup(s) : NULL;
  if (s && !copy)
    *failed = 1;
  return copy;
}

sbm_mock *sbm_start(const sbm_options *opts, char *errstr, size_t errstr_size) {
  if (!errstr)
    errstr_size = 0;
  if (!opts) {
    snprintf(errstr, errstr_size, "no options");
    return NULL;
  }
  if (!(opts->fail_rate >= 0.0 && opts->fail_rate <= 1.0)) {
    snprintf(errstr, errstr_size, "fail_rate must be within 0..1");
    return NULL;
  }
  if (!opts->tls_cert_pem != !opts->tls_key_pem) {
    snprintf(errstr, errstr_size, "TLS needs both a certificate and a key");
    return NULL;
  }
  if (opts->latency_ms < 0) {
    snprintf(errstr, errstr_size, "latency_ms must be 0 or more");
    return NULL;
  }
  if (opts->write_key && !opts->write_key[0]) {
    snprintf(errstr, errstr_size,
             "write_key is empty (NULL accepts any non-empty key)");
    return NULL;
  }
  FILE *record = NULL;
  if (opts->record_path && !(record = fopen(opts->record_path, "a"))) {
    snprintf(errstr, errstr_size, "cannot open %s: %s", opts->record_path,
             strerror(errno));
    return NULL;
  }
  sbm_mock *m = calloc(1, sizeof *m);
  if (!m) {
    if (record)
      fclose(record);
    snprintf(errstr, errstr_size, "out of memory");
    return NULL;
  }
  int failed = 0;
  m->write_key = dup_or_null(opts->write_key, &failed);
  m->tls_cert = dup_or_null(opts->tls_cert_pem, &failed);
  m->tls_key = dup_or_null(opts->tls_key_pem, &failed);
  if (!(m->api = sbm_api_new(opts)))
    failed = 1;
  if (opts->debugger && !(m->debugger = sbm_debugger_new(opts->debugger_keep)))
    failed = 1;
  m->quiet = opts->quiet;
  sbm_store_init(&m->store, record, opts->keep);
  sbm_faults_init(&m->faults, opts->seed, opts->fail_rate);
  pthread_mutex_init(&m->stop_lock, NULL);
  /* DELAY and latency deadlines are on the monotonic clock. */
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&m->stop_cond, &attr);
  pthread_condattr_destroy(&attr);
  if (failed) {
    snprintf(errstr, errstr_size, "out of memory");
    destroy(m);
    return NULL;
  }
  m->clock_offset_s = opts->clock_offset_s;
  m->refuse_poison = opts->refuse_poison;
  m->max_body = opts->max_body;
  m->latency_ms = opts->latency_ms;
  if (sbm_oauth_new(opts, &m->oauth, errstr, errstr_size) != 0) {
    destroy(m);
    return NULL;
  }
  if (sbm_http_start(m, opts->port, errstr, errstr_size) != 0) {
    destroy(m);
    return NULL;
  }
  snprintf(m->url, sizeof m->url, "%s://127.0.0.1:%u",
           m->tls_cert ? "https" : "http", (unsigned)m->port);
  return m;
}

void sbm_stop(sbm_mock *m) {
  if (m)
    destroy(m);
}

int64_t sbm_clock_ms(const sbm_mock *m) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
         (int64_t)m->clock_offset_s * 1000;
}

uint16_t sbm_port(const sbm_mock *m) { return m ? m->port : 0; }

const char *sbm_url(const sbm_mock *m) { return m ? m->url : NULL; }

void sbm_script(sbm_mock *m, sbm_fault fault, int count, int arg) {
  if (m && sbm_faults_add(&m->faults, fault, count, arg) != 0)
    fprintf(stderr, "mock: out of memory: fault script entry lost\n");
}

void sbm_get_stats(sbm_mock *m, sbm_stats *out) {
  if (!out)
    return;
  if (!m) {
    *out = (sbm_stats){0};
    return;
  }
  sbm_store_stats(&m->store, out);
}

char *sbm_message(sbm_mock *m, size_t i) {
  return m ? sbm_store_message(&m->store, i) : NULL;
}

char *sbm_request_header(sbm_mock *m, size_t i, const char *name) {
  return m ? sbm_store_header(&m->store, i, name) : NULL;
}

char *sbm_request_body(sbm_mock *m, size_t i) {
  return m ? sbm_store_body(&m->store, i) : NULL;
}

char *sbm_request_path(sbm_mock *m, size_t i) {
  return m ? sbm_store_path(&m->store, i) : NULL;
}

int sbm_request_status(sbm_mock *m, size_t i) {
  return m ? sbm_store_status(&m->store, i) : -1;
}
