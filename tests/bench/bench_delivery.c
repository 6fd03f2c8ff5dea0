/* Benchmark: end-to-end delivery. N track events (bench_events.h) go
 * through a client with the default settings (dispatch.mode=thread,
 * dispatch.max_in_flight requests at once, batches of batch.max_events) to
 * the Segment mock running in a child process on loopback, so that this
 * process's peak RSS is the client's alone. Then, in the same run, the sink
 * itself: one batch body the client sent, replayed with libcurl's multi
 * interface over as many connections as the client may use, until as many
 * events were accepted. Prints both rates, ours/sink (goal >= 80 %) and the
 * peak RSS. Usage: bench_delivery [N] */
#include <segbridge/segbridge.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_events.h"
#include "mock.h"

/* Asks the child for the body of the first request it received. */
#define ASK_BODY 'b'

static size_t discard(char *data, size_t size, size_t n, void *cls) {
  (void)data;
  (void)cls;
  return size * n;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_all(int fd, void *data, size_t len) {
  char *p = data;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Child: serve, answer ASK_BODY, stop when the parent closes the pipe. */
static void run_mock(int report_fd, int command_fd) {
  sbm_options mo;
  char err[256], command;
  sbm_mock *m;
  uint16_t port;

  memset(&mo, 0, sizeof mo);
  mo.quiet = 1;
  m = sbm_start(&mo, err, sizeof err);
  port = m != NULL ? sbm_port(m) : 0;
  if (write_all(report_fd, &port, sizeof port) != 0)
    _exit(1);
  while (read(command_fd, &command, 1) > 0) {
    char *body = sbm_request_body(m, 0);
    size_t len = body != NULL ? strlen(body) : 0;
    if (write_all(report_fd, &len, sizeof len) != 0 ||
        write_all(report_fd, body, len) != 0)
      _exit(1);
    free(body);
  }
  sbm_stop(m);
  _exit(0);
}

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  long *counts = opaque;
  (void)c;
  counts[segb_report_err(r) == SEGB_OK ? 0 : 1]++;
}

static void set(segb_config_t *conf, const char *name, const char *value) {
  char err[SEGB_ERRSTR_SIZE];
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "bench_delivery: %s\n", err);
    exit(1);
  }
}

static long get_long(const segb_config_t *conf, const char *name) {
  char value[32];
  size_t size = sizeof value;
  return segb_config_get(conf, name, value, &size) == SEGB_OK ? atol(value) : 0;
}

/* Deliver @n events; fills @counts (delivered, dropped), returns seconds. */
static double deliver(segb_config_t *conf, long n, long counts[2]) {
  char err[SEGB_ERRSTR_SIZE];
  segb_client_t *c;
  double t0;
  long i;

  segb_config_set_delivery_cb(conf, on_report);
  segb_config_set_opaque(conf, counts);
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "bench_delivery: %s\n", err);
    exit(1);
  }
  t0 = now_s();
  for (i = 0; i < n; i++) {
    bench_event e;
    int rc;

    bench_event_make(&e, i);
    rc = segb_track(c, e.user_id, NULL, BENCH_EVENT_NAME, e.properties);
    /* An inline client sends only when flushed (thread mode blocks for
     * room instead): flush when its queue is full. */
    if (rc == SEGB_ERR_QUEUE_FULL && segb_client_flush(c, -1) == SEGB_OK)
      rc = segb_track(c, e.user_id, NULL, BENCH_EVENT_NAME, e.properties);
    if (rc != SEGB_OK) {
      fprintf(stderr, "bench_delivery: %s\n", segb_last_error_message());
      exit(1);
    }
  }
  segb_client_close(c, -1);
  return now_s() - t0;
}

/* The sink's own rate: @body (@per_body events) POSTed until @n events
 * were sent, over @connections kept-alive connections at once. Prints and
 * returns the events accepted per second; *@failed counts requests not
 * answered 200. */
static double sink_rate(const char *url, const char *body, long per_body,
                        long n, int connections, long *failed) {
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: "
                                                       "application/json");
  CURLM *multi = curl_multi_init();
  CURL **easy = calloc((size_t)connections, sizeof *easy);
  long requests = (n + per_body - 1) / per_body, started = 0, done = 0;
  long accepted = 0;
  int running = 1, i;
  double secs;

  headers = curl_slist_append(headers, "Expect:");
  for (i = 0; i < connections; i++) {
    easy[i] = curl_easy_init();
    curl_easy_setopt(easy[i], CURLOPT_URL, url);
    curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy[i], CURLOPT_USERPWD, "bench:");
    curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
  }
  secs = now_s();
  for (i = 0; i < connections && started < requests; i++, started++)
    curl_multi_add_handle(multi, easy[i]);
  while (done < requests && running > 0) {
    CURLMsg *msg;
    int left;

    curl_multi_perform(multi, &running);
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
      long status = 0;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      accepted += msg->data.result == CURLE_OK && status == 200;
      done++;
      /* Back in at once, on its kept-alive connection. */
      curl_multi_remove_handle(multi, msg->easy_handle);
      if (started < requests) {
        curl_multi_add_handle(multi, msg->easy_handle);
        started++;
        running = 1;
      }
    }
    if (done < requests)
      curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
  secs = now_s() - secs;
  for (i = 0; i < connections; i++)
    curl_easy_cleanup(easy[i]);
  free(easy);
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
  *failed += requests - accepted;
  printf("  sink over %d connection%s: %ld requests of a %ld-event body, %ld "
         "accepted: %.0f events/s\n",
         connections, connections == 1 ? "" : "s", requests, per_body, accepted,
         (double)(accepted * per_body) / secs);
  return (double)(accepted * per_body) / secs;
}

static long count_of(const char *text, const char *needle) {
  long k = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
    k++;
  return k;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000, counts[2] = {0, 0}, failed = 0;
  long batch, in_flight, per_body;
  int up[2], down[2];
  char url[64], command = ASK_BODY, *body;
  segb_config_t *conf;
  struct rusage ru;
  uint16_t port = 0;
  size_t len;
  double secs, ours, sink;
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
  if (read_all(up[0], &port, sizeof port) != 0 || port == 0) {
    fprintf(stderr, "bench_delivery: the mock did not start\n");
    return 1;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
  conf = segb_config_new();
  set(conf, "write_key", "bench");
  set(conf, "endpoint", url);
  /* Not a delivery setting: a producer faster than the sink waits for room
   * instead of losing events. */
  set(conf, "queue.overflow", "block");
  set(conf, "queue.block_timeout_ms", "600000");
  batch = get_long(conf, "batch.max_events");
  in_flight = get_long(conf, "dispatch.max_in_flight");
  secs = deliver(conf, n, counts);
  ours = (double)counts[0] / secs;
  getrusage(RUSAGE_SELF, &ru);
  printf("bench_delivery: %ld track events, %d users, default settings "
         "(batch.max_events %ld, dispatch.max_in_flight %ld), mock on "
         "loopback\n",
         n, BENCH_USERS, batch, in_flight);
  printf("  ours: delivered %ld, dropped %ld in %.2f s: %.0f events/s\n",
         counts[0], counts[1], secs, ours);

  if (write_all(down[1], &command, 1) != 0 ||
      read_all(up[0], &len, sizeof len) != 0 || len == 0 ||
      (body = calloc(1, len + 1)) == NULL || read_all(up[0], body, len) != 0 ||
      (per_body = count_of(body, "\"messageId\":")) == 0) {
    fprintf(stderr, "bench_delivery: no batch body from the mock\n");
    return 1;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/batch", port);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  sink = sink_rate(url, body, per_body, n, (int)in_flight, &failed);
  if (in_flight != 1) /* what a client sending one request at a time has */
    sink_rate(url, body, per_body, n, 1, &failed);
  curl_global_cleanup();
  free(body);
  close(down[1]);
  waitpid(child, NULL, 0);

  printf("  ours/sink over %ld connections: %.0f %% (goal >= 80 %%): %s\n",
         in_flight, 100.0 * ours / sink, ours >= 0.8 * sink ? "PASS" : "MISS");
  printf("  peak RSS of the sending process while delivering: %.1f MiB\n",
         (double)ru.ru_maxrss / 1024.0);
  return counts[1] == 0 && failed == 0 ? 0 : 1;
}
