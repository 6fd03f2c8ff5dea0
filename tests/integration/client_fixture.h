/* The client-against-mock fixture the integration tests share: a config
 * pointed at a running mock, a client, and the fates its delivery reports
 * told. Failures end the cmocka test that called. */
#ifndef SEGB_TEST_CLIENT_FIXTURE_H
#define SEGB_TEST_CLIENT_FIXTURE_H

#include <segbridge/segbridge.h>

#include <stdarg.h>

#include "mock.h"

typedef struct fx_outcomes {
  int delivered, dropped, last_err;
  char last_errstr[640];
  /* called after each delivery when set, e.g. to change the mock */
  void (*after_delivery)(struct fx_outcomes *o);
  void *ctx;
} fx_outcomes;

typedef struct fx_client {
  sbm_mock *mock;
  segb_config_t *conf;
  segb_client_t *client;
  fx_outcomes out;
} fx_client;

/* Set a property or fail the test, naming it. */
void fx_set(segb_config_t *conf, const char *name, const char *value);

/* Start @f->mock with @mo (quiet), and a config for it with @write_key,
 * fast retries and a 60 s request timeout. */
void fx_start(fx_client *f, sbm_options mo, const char *write_key);

/* Apply name, value pairs up to NULL from @extras, then the delivery
 * callback: the last step before fx_open(). */
void fx_finish_config(fx_client *f, va_list extras);

/* Create the client or fail the test. */
void fx_open(fx_client *f);

/* Close the client (expecting everything delivered or reported) and stop
 * the mock. */
void fx_close(fx_client *f);

/* The mock's counters. */
sbm_stats fx_stats(fx_client *f);

#endif
