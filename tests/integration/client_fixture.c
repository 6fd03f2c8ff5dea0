#include "client_fixture.h"

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  fx_outcomes *o = opaque;

  (void)c;
  if (segb_report_err(r) != SEGB_OK) {
    o->dropped++;
    o->last_err = segb_report_err(r);
    snprintf(o->last_errstr, sizeof o->last_errstr, "%s",
             segb_report_errstr(r));
    return;
  }
  o->delivered++;
  if (o->after_delivery != NULL)
    o->after_delivery(o);
}

void fx_set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];

  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK)
    fail_msg("%s: %s", name, err);
}

void fx_start(fx_client *f, sbm_options mo, const char *write_key) {
  char err[256];

  memset(f, 0, sizeof *f);
  mo.quiet = 1;
  f->mock = sbm_start(&mo, err, sizeof err);
  if (f->mock == NULL)
    fail_msg("mock: %s", err);
  f->conf = segb_config_new();
  assert_non_null(f->conf);
  fx_set(f->conf, "write_key", write_key);
  fx_set(f->conf, "endpoint", sbm_url(f->mock));
  fx_set(f->conf, "retry.backoff_initial_ms", "10");
  fx_set(f->conf, "retry.backoff_max_ms", "50");
  /* Generous: a request that a busy machine under valgrind slows down
   * must not time out where a timeout is not what a test is about. */
  fx_set(f->conf, "http.timeout_ms", "60000");
}

void fx_finish_config(fx_client *f, va_list extras) {
  const char *name;

  while ((name = va_arg(extras, const char *)) != NULL)
    fx_set(f->conf, name, va_arg(extras, const char *));
  segb_config_set_delivery_cb(f->conf, on_report);
  segb_config_set_opaque(f->conf, &f->out);
}

void fx_open(fx_client *f) {
  char err[SEGB_ERRSTR_SIZE];

  f->client = segb_client_new(f->conf, err, sizeof err);
  if (f->client == NULL)
    fail_msg("client: %s", err);
}

void fx_close(fx_client *f) {
  assert_int_equal(segb_client_close(f->client, 60000), SEGB_OK);
  sbm_stop(f->mock);
}

sbm_stats fx_stats(fx_client *f) {
  sbm_stats st;
  sbm_get_stats(f->mock, &st);
  return st;
}
