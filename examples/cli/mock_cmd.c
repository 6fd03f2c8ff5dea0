/* segbridge mock: the local Segment-compatible Tracking API, until Ctrl-C. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "mock.h"

int cli_mock(const cli_opts *o) {
  char err[256];
  sbm_options mo = {0};
  sbm_stats st;
  sbm_mock *m;
  sigset_t stop;
  int sig;

  mo.port = (uint16_t)o->port;
  mo.write_key = o->write_key;
  mo.record_path = o->record;
  mo.seed = o->seed;
  mo.fail_rate = o->fail_rate;
  mo.quiet = !o->verbose;
  /* Block the stop signals before the server's threads start, so they
   * inherit the mask and sigwait below receives them. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  m = sbm_start(&mo, err, sizeof err);
  if (m == NULL) {
    fprintf(stderr, "segbridge: mock: %s\n", err);
    return CLI_OTHER;
  }
  printf("mock Segment Tracking API on %s (write key: %s)\n", sbm_url(m),
         o->write_key != NULL ? "required" : "any");
  fflush(stdout);
  sigwait(&stop, &sig);
  sbm_get_stats(m, &st);
  sbm_stop(m);
  printf("\nmock: %llu requests, %llu messages, %llu duplicates, %llu "
         "rejected, %llu faults\n",
         (unsigned long long)st.requests, (unsigned long long)st.messages,
         (unsigned long long)st.duplicates, (unsigned long long)st.rejected,
         (unsigned long long)st.faults);
  return CLI_OK;
}
