/* segbridge mock: the local Segment-compatible Tracking API, until Ctrl-C. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The whole of a small text file, or NULL after saying why. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "r");
  char *text = f != NULL ? calloc(1, 65537) : NULL;
  const char *why = NULL;

  if (f == NULL)
    why = strerror(errno);
  else if (text == NULL)
    why = "out of memory";
  else if (fread(text, 1, 65536, f) == 0)
    why = ferror(f) ? strerror(errno) : "the file is empty";
  if (f != NULL)
    fclose(f);
  if (why == NULL)
    return text;
  free(text);
  fprintf(stderr, "segbridge: mock: --oauth-public-key: cannot read %s: %s\n",
          path, why);
  return NULL;
}

int cli_mock(const char *name, const cli_opts *o, char **args) {
  char err[256];
  char *public_key = NULL;
  sbm_options mo = {0};
  sbm_stats st;
  sbm_mock *m;
  sigset_t stop;
  int sig;

  (void)name;
  (void)args;
  mo.port = (uint16_t)o->port;
  mo.write_key = o->write_key;
  mo.record_path = o->record;
  mo.seed = o->seed;
  mo.fail_rate = o->fail_rate;
  mo.latency_ms = o->latency_ms;
  mo.debugger = o->ui;
  mo.debugger_keep = (size_t)o->ui_keep;
  mo.quiet = !o->verbose;
  if (o->oauth_public_key != NULL &&
      (public_key = read_text(o->oauth_public_key)) == NULL)
    return CLI_USAGE;
  mo.oauth_public_key_pem = public_key;
  mo.oauth_client_id = o->oauth_client_id;
  mo.oauth_key_id = o->oauth_key_id;
  mo.oauth_scope = o->oauth_scope;
  /* Block the stop signals before the server's threads start, so they
   * inherit the mask and sigwait below receives them. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  m = sbm_start(&mo, err, sizeof err);
  free(public_key);
  if (m == NULL) {
    fprintf(stderr, "segbridge: mock: %s\n", err);
    return CLI_OTHER;
  }
  printf("mock Segment Tracking API on %s (write key: %s%s", sbm_url(m),
         o->write_key != NULL ? "required" : "any",
         o->oauth_public_key != NULL ? "; OAuth /token served" : "");
  if (o->latency_ms > 0)
    printf("; answers %d ms after each request", o->latency_ms);
  printf(")\n");
  if (o->ui)
    printf("Debugger page: %s/debugger\n", sbm_url(m));
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
