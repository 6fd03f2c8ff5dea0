/* Benchmark: build, validate and serialize a track message with five small
 * properties, the way an application would through the public API. Prints
 * per-message latency percentiles and throughput, and compares them with
 * its goals (p50 < 1 us, p99 < 10 us, > 1 M messages/s on one thread). A
 * benchmark reports; it never fails a test run. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The message the goals are stated for. Returns the serialized size. */
static size_t build_track(segb_message_t **out, int i) {
  segb_message_t *m = segb_message_new(SEGB_MSG_TRACK);
  size_t len = 0;

  if (m == NULL || segb_message_set_string(m, "userId", "user-1234") ||
      segb_message_set_string(m, "event", "Order Completed") ||
      segb_message_set_string(m, "properties.plan", "pro") ||
      segb_message_set_int64(m, "properties.items", i) ||
      segb_message_set_double(m, "properties.revenue", 19.99) ||
      segb_message_set_bool(m, "properties.gift", 0) ||
      segb_message_set_string(m, "properties.currency", "EUR") ||
      segb_message_seal(m)) {
    fprintf(stderr, "bench: building failed: %s\n", segb_last_error_message());
    exit(1);
  }
  segb_message_json(m, &len);
  *out = m;
  return len;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int64_t *lat, start, total, overhead;
  segb_message_t *m;
  size_t bytes = 0;
  long i;

  if (n < 100) {
    fprintf(stderr, "usage: %s [iterations >= 100]\n", argv[0]);
    return 2;
  }
  lat = malloc((size_t)n * sizeof *lat);
  if (lat == NULL)
    return 1;
  /* warm up caches, the allocator and the per-thread time cache */
  for (i = 0; i < 10000; i++) {
    build_track(&m, (int)i);
    segb_message_destroy(m);
  }
  /* what a bare pair of clock reads costs, subtracted from each sample */
  start = now_ns();
  for (i = 0; i < 100000; i++)
    (void)now_ns();
  overhead = (now_ns() - start) / 100000;

  total = now_ns();
  for (i = 0; i < n; i++) {
    int64_t t0 = now_ns();
    bytes = build_track(&m, (int)i);
    lat[i] = now_ns() - t0 - overhead;
    segb_message_destroy(m);
  }
  total = now_ns() - total;
  qsort(lat, (size_t)n, sizeof *lat, cmp_i64);

  {
    int64_t p50 = lat[n / 2], p99 = lat[n * 99 / 100],
            p999 = lat[n * 999 / 1000];
    double per_sec = (double)n * 1e9 / (double)total;

    printf(
        "bench_message: %ld track messages, %zu bytes each, libsegbridge %s\n",
        n, bytes, segb_version_str());
    printf("  build+validate+serialize  p50 %lld ns  p99 %lld ns  p99.9 %lld ns"
           "  (clock overhead %lld ns removed)\n",
           (long long)p50, (long long)p99, (long long)p999,
           (long long)overhead);
    printf("  throughput incl. destroy  %.0f messages/s\n", per_sec);
    printf("  goal p50 < 1000 ns: %s; p99 < 10000 ns: %s; > 1000000/s: %s\n",
           p50 < 1000 ? "met" : "MISSED", p99 < 10000 ? "met" : "MISSED",
           per_sec > 1e6 ? "met" : "MISSED");
  }
  free(lat);
  return 0;
}
