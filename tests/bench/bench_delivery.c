/* Benchmark: end-to-end delivery. N track events go through a client, in
 * /v1/batch requests of 50, to the Segment mock running in a child process
 * on loopback (so this process's peak RSS is the client's alone). Prints
 * events/s and peak RSS. For reference, @segment/analytics-node 3.1.0
 * delivers about 11 000 events/s (37 000 tuned) into a loopback sink on
 * this machine; the goal is at least ten times that. */
#include <segbridge/segbridge.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock.h"

/* Events queued between flushes: an inline client's memory stays bounded
 * by this, not by N. */
#define FLUSH_EVERY 5000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Child: serve until the parent closes the pipe. */
static void run_mock(int report_fd, int quit_fd) {
  sbm_options mo;
  char err[256], byte;
  sbm_mock *m;
  uint16_t port;

  memset(&mo, 0, sizeof mo);
  mo.quiet = 1;
  m = sbm_start(&mo, err, sizeof err);
  port = m != NULL ? sbm_port(m) : 0;
  if (write(report_fd, &port, sizeof port) != (ssize_t)sizeof port)
    _exit(1);
  while (read(quit_fd, &byte, 1) > 0)
    ;
  sbm_stop(m);
  _exit(0);
}

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  long *counts = opaque;
  (void)c;
  counts[segb_report_err(r) == SEGB_OK ? 0 : 1]++;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000, counts[2] = {0, 0}, i;
  int up[2], down[2];
  char url[64], err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf;
  segb_client_t *c;
  struct rusage ru;
  uint16_t port = 0;
  double t0, secs;
  pid_t child;

  if (n < 1 || pipe(up) != 0 || pipe(down) != 0)
    return 2;
  child = fork();
  if (child == 0) {
    close(up[0]);
    close(down[1]);
    run_mock(up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);
  if (read(up[0], &port, sizeof port) != (ssize_t)sizeof port || port == 0) {
    fprintf(stderr, "bench_delivery: the mock did not start\n");
    return 1;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
  conf = segb_config_new();
  segb_config_set(conf, "write_key", "bench", err, sizeof err);
  segb_config_set(conf, "endpoint", url, err, sizeof err);
  segb_config_set(conf, "batch.max_events", "50", err, sizeof err);
  segb_config_set_delivery_cb(conf, on_report);
  segb_config_set_opaque(conf, counts);
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "bench_delivery: %s\n", err);
    return 1;
  }

  t0 = now_s();
  for (i = 0; i < n; i++) {
    char props[96];
    snprintf(props, sizeof props,
             "{\"plan\":\"pro\",\"items\":%ld,\"revenue\":19.99,\"gift\":false,"
             "\"currency\":\"EUR\"}",
             i);
    if (segb_track(c, "user-1234", NULL, "Order Completed", props) != SEGB_OK) {
      fprintf(stderr, "bench_delivery: %s\n", segb_last_error_message());
      return 1;
    }
    if ((i + 1) % FLUSH_EVERY == 0)
      segb_client_flush(c, -1);
  }
  segb_client_close(c, -1);
  secs = now_s() - t0;
  close(down[1]);
  waitpid(child, NULL, 0);
  getrusage(RUSAGE_SELF, &ru);

  printf("bench_delivery: %ld track events, batches of 50, mock on loopback\n",
         n);
  printf("  delivered %ld, dropped %ld in %.2f s: %.0f events/s\n", counts[0],
         counts[1], secs, (double)counts[0] / secs);
  printf("  peak RSS of the sending process: %.1f MiB\n",
         (double)ru.ru_maxrss / 1024.0);
  printf("  goal >= 110000 events/s (10x analytics-node's 11000): %s\n",
         (double)counts[0] / secs >= 110000 ? "met" : "MISSED");
  return counts[1] == 0 ? 0 : 1;
}
