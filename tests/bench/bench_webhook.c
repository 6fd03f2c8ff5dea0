/* Benchmark: what a host pays per inbound webhook. A typical 1 KB track
 * event (analytics.js, two products) is verified (Basic credentials and
 * X-Signature) and parsed, and the fields a handler reads are read, through
 * the public API on one thread. Prints requests/s and latency percentiles
 * against the goal of issue 6 (over 100 000 requests/s), and the cost of
 * verify and parse on their own. `bench_webhook hostile KIND` instead
 * parses one hostile 4 MiB body (issue 9) and reports the time and the
 * memory it took; run it under /usr/bin/time -v for the peak RSS.
 * A benchmark reports; it never fails a test run. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* tr -d '\n' < event.json */
static const char body[] =
    "{\"anonymousId\":\"23adfd82-aa0f-45a7-a756-24f2a7a4c895\",\"context\":{\""
    "library\":{\"name\":\"analytics.js\",\"version\":\"2.11.1\"},\"page\":{"
    "\"path\""
    ":\"/academy/\",\"referrer\":\"\",\"search\":\"\",\"title\":\"Analytics "
    "Academy\""
    ",\"url\":\"https://segment.com/academy/\"},\"userAgent\":\"Mozilla/5.0 (M"
    "acintosh; Intel Mac OS X 10_12_2) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/55.0.2883.95 Safari/537.36\",\"ip\":\"108.0.78.21\",\"loca"
    "le\":\"en-US\",\"timezone\":\"Europe/Amsterdam\"},\"event\":\"Order "
    "Complete"
    "d\",\"integrations\":{},\"messageId\":\"ajs-f8ca1e4de5024d9430b3928bd8ac"
    "6b96\",\"properties\":{\"orderId\":\"50314b8e9bcf000000000000\",\"total\":"
    "2"
    "7.5,\"revenue\":25,\"shipping\":3,\"tax\":2,\"discount\":2.5,\"coupon\":"
    "\"has"
    "bros\",\"currency\":\"USD\",\"products\":[{\"product_id\":"
    "\"507f1f77bcf86cd7"
    "99439011\",\"sku\":\"45790-32\",\"name\":\"Monopoly: 3rd "
    "Edition\",\"price\":"
    "19,\"quantity\":1,\"category\":\"Games\"},{\"product_id\":"
    "\"505bd76785ebb50"
    "9fc183733\",\"sku\":\"46493-32\",\"name\":\"Uno Card "
    "Game\",\"price\":3,\"quan"
    "tity\":2,\"category\":\"Games\"}]},\"receivedAt\":\"2024-01-02T03:04:05.81"
    "2Z\",\"sentAt\":\"2024-01-02T03:04:05.678Z\",\"timestamp\":\"2024-01-02T03"
    ":04:05.678Z\",\"type\":\"track\",\"userId\":\"AiUGstSDIg\","
    "\"originalTimesta"
    "mp\":\"2024-01-02T03:04:05.678Z\",\"version\":2}";
/* tr -d '\n' < event.json | openssl dgst -sha1 -hmac s3cr3t */
#define SIGNATURE "b72a821de01b7d985081f09bd3f80679966034c1"
#define AUTHORIZATION "Basic YWJjMTIzOg==" /* base64("abc123:") */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void die(const char *what) {
  fprintf(stderr, "bench: %s: %s\n", what, segb_last_error_message());
  exit(1);
}

/* One request as a handler would take it; returns the revenue read. */
static double handle(const segb_webhook_t *wh) {
  segb_webhook_batch_t *b = NULL;
  double revenue = 0;
  size_t i;

  if (segb_webhook_verify(wh, AUTHORIZATION, SIGNATURE, body,
                          sizeof body - 1) != SEGB_OK)
    die("verify");
  if (segb_webhook_parse(wh, body, sizeof body - 1, &b) != SEGB_OK)
    die("parse");
  for (i = 0; i < segb_webhook_batch_count(b); i++) {
    const segb_json_t *ev = segb_webhook_event(b, i);

    if (segb_webhook_event_err(b, i) != SEGB_OK ||
        segb_webhook_event_type(b, i) == NULL ||
        segb_webhook_event_user_id(b, i) == NULL ||
        segb_webhook_event_name(b, i) == NULL ||
        segb_webhook_event_message_id(b, i) == NULL ||
        segb_json_get_string(ev, "properties.products.1.sku") == NULL ||
        segb_json_double(segb_json_get(ev, "properties.revenue"), &revenue))
      die("event");
  }
  segb_webhook_batch_destroy(b);
  return revenue;
}

/* Average ns per call of verify alone, then of parse + destroy alone. */
static void split(const segb_webhook_t *wh, long n) {
  int64_t t0 = now_ns(), t1;
  long i;

  for (i = 0; i < n; i++)
    if (segb_webhook_verify(wh, AUTHORIZATION, SIGNATURE, body,
                            sizeof body - 1) != SEGB_OK)
      die("verify");
  t1 = now_ns();
  for (i = 0; i < n; i++) {
    segb_webhook_batch_t *b = NULL;

    if (segb_webhook_parse(wh, body, sizeof body - 1, &b) != SEGB_OK)
      die("parse");
    segb_webhook_batch_destroy(b);
  }
  printf("  verify alone: %.2f us, parse alone: %.2f us\n",
         (double)(t1 - t0) / (double)n / 1e3,
         (double)(now_ns() - t1) / (double)n / 1e3);
}

/* A body of the default limit, 4 MiB, of one of these shapes:
 *   events  [1,1,1,...]            two million one-byte "events"
 *   nodes   [{"p":[1,1,1,...]}]    one event holding two million values */
static char *hostile_body(const char *kind, size_t *len) {
  size_t size = (size_t)4 * 1024 * 1024, i = 0;
  char *b = malloc(size);
  int nodes = strcmp(kind, "nodes") == 0;
  const char *open = nodes ? "[{\"p\":[" : "[", *close = nodes ? "]}]" : "]";

  if (b == NULL || (!nodes && strcmp(kind, "events") != 0))
    return NULL;
  memcpy(b, open, strlen(open));
  i = strlen(open);
  while (i + 2 + strlen(close) <= size) {
    b[i++] = '1';
    b[i++] = ',';
  }
  memcpy(b + i - 1, close, strlen(close)); /* over the last comma */
  *len = i - 1 + strlen(close);
  return b;
}

static long max_rss_kb(void) {
  struct rusage ru;

  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int hostile(const char *kind) {
  segb_webhook_batch_t *b = NULL;
  size_t len = 0;
  char *text = hostile_body(kind, &len);
  long rss0;
  int64_t t0;
  int rc;

  if (text == NULL) {
    fprintf(stderr, "usage: bench_webhook hostile events|nodes\n");
    return 2;
  }
  rss0 = max_rss_kb();
  t0 = now_ns();
  rc = segb_webhook_parse(NULL, text, len, &b);
  printf("webhook hostile %s: %zu-byte body -> %s in %.1f ms, peak RSS "
         "+%ld KiB (%s)\n",
         kind, len, segb_err_name(rc), (double)(now_ns() - t0) / 1e6,
         max_rss_kb() - rss0, segb_last_error_message());
  segb_webhook_batch_destroy(b);
  free(text);
  return 0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  segb_webhook_t *wh;
  int64_t *lat, total;
  double sink = 0, rate;
  long i;

  if (argc > 2 && strcmp(argv[1], "hostile") == 0)
    return hostile(argv[2]);
  if (n < 100) {
    fprintf(stderr, "usage: %s [iterations >= 100 | hostile events|nodes]\n",
            argv[0]);
    return 2;
  }
  wh = segb_webhook_new();
  lat = malloc((size_t)n * sizeof *lat);
  if (lat == NULL || wh == NULL ||
      segb_webhook_add_api_key(wh, "abc123") != SEGB_OK ||
      segb_webhook_add_secret(wh, "s3cr3t") != SEGB_OK)
    die("setup");
  for (i = 0; i < 10000; i++)
    sink += handle(wh);

  total = now_ns();
  for (i = 0; i < n; i++) {
    int64_t t0 = now_ns();
    sink += handle(wh);
    lat[i] = now_ns() - t0;
  }
  total = now_ns() - total;
  qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
  rate = (double)n / ((double)total / 1e9);
  printf("webhook: verify (Basic + X-Signature) + parse + read, %zu-byte "
         "track event, %ld requests on one thread\n",
         sizeof body - 1, n);
  printf("  %.0f requests/s  (goal > 100000: %s)\n", rate,
         rate > 100000 ? "met" : "NOT met");
  printf("  latency p50 %.2f us, p99 %.2f us, max %.2f us\n",
         (double)lat[n / 2] / 1e3, (double)lat[n * 99 / 100] / 1e3,
         (double)lat[n - 1] / 1e3);
  split(wh, n);
  if (sink < 0)
    printf("%f\n", sink);
  free(lat);
  segb_webhook_destroy(wh);
  return 0;
}
