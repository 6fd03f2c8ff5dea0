/* Benchmark: the cost of one segb_track() call on the caller's thread. A
 * thread-mode client (dispatch.mode=thread) sends to a sink that never
 * answers, so nothing drains while the calls are timed and the queue is
 * made big enough never to refuse one. Each call is timed on its own with
 * clock_gettime(); prints p50/p90/p99/p99.9/max and compares with the
 * goals p50 < 1 us, p99 < 10 us; with SPOOL_DIR (an empty directory), with
 * the disk spool there (spool.fsync=never), against the goal p50 < 2 us.
 * Usage: bench_enqueue [N [SPOOL_DIR]] */
#include <segbridge/segbridge.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_events.h"

#define WARM_UP 1000

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A loopback listener that never accepts: the kernel completes the
 * handshakes and the requests sit unread, unanswered. The socket, or -1. */
static int stalled_sink(unsigned *port) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(fd, 128) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

static int by_value(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* The nearest-rank @p-quantile of the sorted @ns, in microseconds. */
static double quantile_us(const uint32_t *ns, long n, double p) {
  long rank = (long)(p * (double)n + 0.999999);
  return (double)ns[rank < 1 ? 0 : rank - 1] / 1000.0;
}

static void set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "bench_enqueue: %s\n", err);
    exit(1);
  }
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000, i, refused = 0;
  const char *spool = argc > 2 ? argv[2] : NULL;
  char url[64], err[SEGB_ERRSTR_SIZE], max_events[24];
  unsigned port = 0;
  int sink = stalled_sink(&port);
  uint32_t *ns = malloc((size_t)(n > 0 ? n : 1) * sizeof *ns);
  int64_t overhead = INT64_MAX;
  segb_config_t *conf;
  segb_client_t *c;

  if (n < 1 || ns == NULL || sink < 0) {
    fprintf(stderr, "usage: bench_enqueue [N >= 1] (or no loopback socket)\n");
    return 2;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
  snprintf(max_events, sizeof max_events, "%ld", n + WARM_UP);
  conf = segb_config_new();
  set(conf, "write_key", "bench");
  set(conf, "endpoint", url);
  set(conf, "dispatch.mode", "thread");
  set(conf, "queue.max_events", max_events);
  set(conf, "queue.max_bytes", "17179869184"); /* 16 GiB: never the limit */
  if (spool != NULL) {
    set(conf, "spool.path", spool);
    set(conf, "spool.max_bytes", "17179869184");
  }
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "bench_enqueue: %s\n", err);
    return 1;
  }

  for (i = 0; i < WARM_UP; i++) {
    bench_event e;
    bench_event_make(&e, i);
    segb_track(c, e.user_id, NULL, BENCH_EVENT_NAME, e.properties);
  }
  /* What a pair of clock readings costs by itself, for reading the
   * figures: it is inside each one. */
  for (i = 0; i < 1000; i++) {
    int64_t t0 = now_ns(), t1 = now_ns();
    if (t1 - t0 < overhead)
      overhead = t1 - t0;
  }
  for (i = 0; i < n; i++) {
    bench_event e;
    int64_t t0, t1;
    int rc;

    bench_event_make(&e, WARM_UP + i);
    t0 = now_ns();
    rc = segb_track(c, e.user_id, NULL, BENCH_EVENT_NAME, e.properties);
    t1 = now_ns();
    ns[i] = (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
    refused += rc != SEGB_OK;
  }
  /* Nothing was answered: drop the queue rather than wait for the sink. */
  segb_client_purge(c);
  segb_client_close(c, 1000);
  close(sink);

  qsort(ns, (size_t)n, sizeof *ns, by_value);
  printf("bench_enqueue: %ld segb_track calls, five properties, thread mode, "
         "sink stalled%s%s\n",
         n, spool != NULL ? ", spool in " : "", spool != NULL ? spool : "");
  printf("  refused %ld; a clock pair alone takes %.3f us\n", refused,
         (double)overhead / 1000.0);
  printf("  p50 %.3f us, p90 %.3f us, p99 %.3f us, p99.9 %.3f us, max %.1f "
         "us\n",
         quantile_us(ns, n, 0.50), quantile_us(ns, n, 0.90),
         quantile_us(ns, n, 0.99), quantile_us(ns, n, 0.999),
         (double)ns[n - 1] / 1000.0);
  if (spool != NULL) {
    printf("  goal with the spool p50 < 2 us: %s\n",
           quantile_us(ns, n, 0.50) < 2.0 ? "PASS" : "MISS");
  } else {
    printf("  goal p50 < 1 us: %s\n",
           quantile_us(ns, n, 0.50) < 1.0 ? "PASS" : "MISS");
    printf("  goal p99 < 10 us: %s\n",
           quantile_us(ns, n, 0.99) < 10.0 ? "PASS" : "MISS");
  }
  free(ns);
  return 0;
}
