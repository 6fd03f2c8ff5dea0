/* Benchmark: end-to-end delivery. N track events (bench_events.h) go
 * through a client with the default settings (dispatch.mode=thread,
 * dispatch.max_in_flight requests at once, batches of batch.max_events) to
 * the Segment mock running in a child process on loopback, so that this
 * process's peak RSS is the client's alone. Then, in the same run, the sink
 * itself: every body the client sent, captured by that mock, replayed in
 * order with libcurl's multi interface over as many connections as the
 * client may use into a fresh mock (same options), so that the mock does
 * the same work for both (its cost per request depends on the messageIds it
 * has seen). Then, into that mock, the older figure: the first body again
 * and again until as many events were sent. Prints the rates, ours/sink
 * (goal >= 80 %) and the peak RSS.
 *
 * Twice: first with the processes where the system puts them, so that the
 * client and the mock share the cores (the client's CPU is taken from the
 * mock's: the ratio then says what a client event costs beside a mock
 * event); then, with two cores or more, with the mock alone on the last
 * core and the client (and the replay) on the others, so that the mock has
 * the same CPU in both runs and the ratio says whether the client keeps it
 * busy. With SPOOL_DIR (an empty directory), last, the same delivery with
 * the disk spool there (spool.path, spool.fsync=never) into a fresh mock,
 * sharing the cores: its rate against the memory-only one (goal >= 80 %).
 * Usage: bench_delivery [N [SPOOL_DIR]] */
#include <segbridge/segbridge.h>

#include <curl/curl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_events.h"
#include "mock.h"

/* Asks the child for the bodies of the requests it accepted. */
#define ASK_BODIES 'b'

/* Where the mock runs: -1 anywhere, else alone on this CPU. */
static int mock_cpu = -1;

/* A mock serving in a child process; it stops when command_fd closes. */
typedef struct mock_child {
  pid_t pid;
  int command_fd, report_fd;
  uint16_t port;
} mock_child;

/* One request body the client sent, and the events in it. */
typedef struct sent_body {
  char *text;
  size_t len;
  long events;
} sent_body;

static size_t discard(char *data, size_t size, size_t n, void *cls) {
  (void)data;
  (void)cls;
  return size * n;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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

/* Child: serve, answer ASK_BODIES, stop when the parent closes the pipe.
 * The bodies are as the mock logged them, after gzip decoding: the bytes
 * sent, as the defaults do not compress. A zero length ends the list. */
static void run_mock(int report_fd, int command_fd) {
  sbm_options mo;
  char err[256], command;
  sbm_mock *m;
  uint16_t port;

  memset(&mo, 0, sizeof mo);
  mo.quiet = 1;
  if (mock_cpu >= 0) { /* before its threads start: they inherit it */
    cpu_set_t one;

    CPU_ZERO(&one);
    CPU_SET(mock_cpu, &one);
    sched_setaffinity(0, sizeof one, &one);
  }
  m = sbm_start(&mo, err, sizeof err);
  port = m != NULL ? sbm_port(m) : 0;
  if (write_all(report_fd, &port, sizeof port) != 0)
    _exit(1);
  while (read(command_fd, &command, 1) > 0) {
    sbm_stats st;
    size_t i, len = 0;

    sbm_get_stats(m, &st);
    for (i = 0; i < st.requests; i++) {
      char *body =
          sbm_request_status(m, i) == 200 ? sbm_request_body(m, i) : NULL;
      len = body != NULL ? strlen(body) : 0;
      if (len > 0 && (write_all(report_fd, &len, sizeof len) != 0 ||
                      write_all(report_fd, body, len) != 0))
        _exit(1);
      free(body);
    }
    len = 0;
    if (write_all(report_fd, &len, sizeof len) != 0)
      _exit(1);
  }
  sbm_stop(m);
  _exit(0);
}

/* Fork a mock with the default options; 0 once it serves. */
static int mock_spawn(mock_child *mc) {
  int up[2], down[2];

  if (pipe(up) != 0 || pipe(down) != 0 || (mc->pid = fork()) < 0)
    return -1;
  if (mc->pid == 0) {
    close(up[0]);
    close(down[1]);
    run_mock(up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);
  mc->report_fd = up[0];
  mc->command_fd = down[1];
  mc->port = 0;
  return read_all(mc->report_fd, &mc->port, sizeof mc->port) == 0 &&
                 mc->port != 0
             ? 0
             : -1;
}

static void mock_end(mock_child *mc) {
  close(mc->command_fd);
  close(mc->report_fd);
  waitpid(mc->pid, NULL, 0);
}

static long count_of(const char *text, const char *needle) {
  long k = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
    k++;
  return k;
}

/* The bodies @mc accepted, in arrival order, into *@out (free_bodies);
 * returns how many, or -1 if the child failed. */
static long fetch_bodies(const mock_child *mc, sent_body **out) {
  char command = ASK_BODIES;
  sent_body *bodies = NULL;
  long count = 0, room = 0;
  size_t len;

  if (write_all(mc->command_fd, &command, 1) != 0)
    return -1;
  for (;;) {
    sent_body *b;

    if (read_all(mc->report_fd, &len, sizeof len) != 0)
      return -1;
    if (len == 0)
      break;
    if (count == room) {
      room = room > 0 ? 2 * room : 1024;
      if ((bodies = realloc(bodies, (size_t)room * sizeof *bodies)) == NULL)
        return -1;
    }
    b = &bodies[count++];
    if ((b->text = malloc(len + 1)) == NULL ||
        read_all(mc->report_fd, b->text, len) != 0)
      return -1;
    b->text[len] = '\0';
    b->len = len;
    b->events = count_of(b->text, "\"messageId\":");
  }
  *out = bodies;
  return count;
}

static void free_bodies(sent_body *bodies, long count) {
  for (long i = 0; i < count; i++)
    free(bodies[i].text);
  free(bodies);
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

/* Put @easy into @multi with the next body, @bodies[*@started % @count]. */
static void send_next(CURLM *multi, CURL *easy, sent_body *bodies, long count,
                      long *started) {
  sent_body *b = &bodies[*started % count];

  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, b->text);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, b);
  curl_multi_add_handle(multi, easy);
  (*started)++;
}

/* The sink's own rate: @requests POSTs of @bodies[k % @count], k in order,
 * over @connections kept-alive connections at once. Prints it after @what
 * and returns the events accepted per second; *@failed counts requests not
 * answered 200. */
static double sink_rate(const char *url, const char *what, sent_body *bodies,
                        long count, long requests, int connections,
                        long *failed) {
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: "
                                                       "application/json");
  CURLM *multi = curl_multi_init();
  CURL **easy = calloc((size_t)connections, sizeof *easy);
  long started = 0, done = 0, accepted = 0, events = 0;
  int running = 1, i;
  double secs, cpu = cpu_s();

  headers = curl_slist_append(headers, "Expect:");
  for (i = 0; i < connections; i++) {
    easy[i] = curl_easy_init();
    curl_easy_setopt(easy[i], CURLOPT_URL, url);
    curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy[i], CURLOPT_USERPWD, "bench:");
    curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
  }
  secs = now_s();
  for (i = 0; i < connections && started < requests; i++)
    send_next(multi, easy[i], bodies, count, &started);
  while (done < requests && running > 0) {
    CURLMsg *msg;
    int left;

    curl_multi_perform(multi, &running);
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
      long status = 0;
      char *sent;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &sent);
      if (msg->data.result == CURLE_OK && status == 200) {
        accepted++;
        events += ((sent_body *)(void *)sent)->events;
      }
      done++;
      /* Back in at once, on its kept-alive connection. */
      curl_multi_remove_handle(multi, msg->easy_handle);
      if (started < requests) {
        send_next(multi, msg->easy_handle, bodies, count, &started);
        running = 1;
      }
    }
    if (done < requests)
      curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
  secs = now_s() - secs;
  cpu = cpu_s() - cpu;
  for (i = 0; i < connections; i++)
    curl_easy_cleanup(easy[i]);
  free(easy);
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
  *failed += requests - accepted;
  printf("  sink over %d connection%s, %s: %ld requests, %ld accepted, %ld "
         "events: %.0f events/s; the replay's CPU %.2f us per event\n",
         connections, connections == 1 ? "" : "s", what, requests, accepted,
         events, (double)events / secs, 1e6 * cpu / (double)events);
  return (double)events / secs;
}

/* The delivery of @n events with the spool @conf sets, into a fresh mock,
 * against the memory-only rate @memory. 0 when all were delivered. */
static int spool_rate(segb_config_t *conf, long n, double memory) {
  long counts[2] = {0, 0};
  mock_child mock;
  char url[64];
  double rate; /* seconds, then events a second */

  if (mock_spawn(&mock) != 0) {
    fprintf(stderr, "bench_delivery: the third mock did not start\n");
    return 1;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u", mock.port);
  set(conf, "endpoint", url);
  rate = deliver(conf, n, counts);
  rate = (double)counts[0] / rate;
  mock_end(&mock);
  printf("  with the spool (fsync never): delivered %ld, dropped %ld: %.0f "
         "events/s, %.0f %% of memory only (goal >= 80 %%): %s\n",
         counts[0], counts[1], rate, 100.0 * rate / memory,
         rate >= 0.8 * memory ? "PASS" : "MISS");
  return counts[0] == n ? 0 : 1;
}

/* One measurement: @n events delivered by a client with a copy of @conf
 * (its endpoint set here), then the sink with the bodies it sent. @all:
 * the peak RSS and the two older sink figures too. Fills *@ours and *@sink
 * (events/s); 0 when every event was delivered and every replayed request
 * accepted. */
static int measure(const segb_config_t *conf, long n, int all, double *ours,
                   double *sink) {
  long in_flight = get_long(conf, "dispatch.max_in_flight");
  long counts[2] = {0, 0}, failed = 0, captured = 0, count, i;
  segb_config_t *mine; /* the client takes it */
  char url[64], what[96];
  sent_body *bodies;
  mock_child mock;
  double secs, cpu;

  if (mock_spawn(&mock) != 0) {
    fprintf(stderr, "bench_delivery: the mock did not start\n");
    return 1;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u", mock.port);
  mine = segb_config_dup(conf);
  set(mine, "endpoint", url);
  cpu = cpu_s();
  secs = deliver(mine, n, counts);
  cpu = cpu_s() - cpu;
  *ours = (double)counts[0] / secs;
  printf("  ours: delivered %ld, dropped %ld in %.2f s: %.0f events/s, "
         "%.2f us of CPU per event in this process (all its threads)\n",
         counts[0], counts[1], secs, *ours, 1e6 * cpu / (double)n);
  if (all) { /* before the bodies come in: the client's peak alone */
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS of the sending process while delivering: %.1f MiB\n",
           (double)ru.ru_maxrss / 1024.0);
  }

  count = fetch_bodies(&mock, &bodies);
  mock_end(&mock);
  if (count <= 0 || bodies[0].events == 0) {
    fprintf(stderr, "bench_delivery: no batch bodies from the mock\n");
    return 1;
  }
  for (i = 0; i < count; i++)
    captured += bodies[i].events;
  if (captured != counts[0])
    fprintf(stderr, "bench_delivery: the mock kept %ld of the %ld events\n",
            captured, counts[0]);
  if (mock_spawn(&mock) != 0) {
    fprintf(stderr, "bench_delivery: the second mock did not start\n");
    return 1;
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/batch", mock.port);
  snprintf(what, sizeof what, "our %ld bodies in order into a fresh mock",
           count);
  *sink = sink_rate(url, what, bodies, count, count, (int)in_flight, &failed);
  if (all) {
    /* The mock now holds our messageIds, as the first did after ours. */
    long repeats = (n + bodies[0].events - 1) / bodies[0].events;
    double one_body;

    snprintf(what, sizeof what, "our first body (%ld events) over and over",
             bodies[0].events);
    one_body =
        sink_rate(url, what, bodies, 1, repeats, (int)in_flight, &failed);
    if (in_flight != 1) /* what a client sending one request at a time has */
      sink_rate(url, what, bodies, 1, repeats, 1, &failed);
    printf("  ours/sink (one body over and over): %.0f %%\n",
           100.0 * *ours / one_body);
  }
  mock_end(&mock);
  free_bodies(bodies, count);
  printf("  ours/sink (our bodies) over %ld connections: %.0f %% (goal >= 80 "
         "%%): %s\n",
         in_flight, 100.0 * *ours / *sink,
         *ours >= 0.8 * *sink ? "PASS" : "MISS");
  return counts[1] == 0 && failed == 0 && captured == counts[0] ? 0 : 1;
}

/* The measurement with the mock alone on the last CPU and this process on
 * the others (its threads to come inherit it); the whole set after. */
static int measure_apart(const segb_config_t *conf, long n) {
  cpu_set_t all, rest;
  double ours, sink;
  int rc;

  if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) < 2)
    return 0;
  rest = all;
  for (mock_cpu = CPU_SETSIZE - 1; !CPU_ISSET(mock_cpu, &all); mock_cpu--)
    ;
  CPU_CLR(mock_cpu, &rest);
  printf("with the mock alone on CPU %d, the client and the replay on the "
         "other %d:\n",
         mock_cpu, CPU_COUNT(&rest));
  sched_setaffinity(0, sizeof rest, &rest);
  rc = measure(conf, n, 0, &ours, &sink);
  sched_setaffinity(0, sizeof all, &all);
  mock_cpu = -1;
  return rc;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  const char *spool = argc > 2 ? argv[2] : NULL;
  segb_config_t *conf;
  double ours, sink;
  int rc;

  if (n < 1)
    return 2;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  conf = segb_config_new();
  set(conf, "write_key", "bench");
  /* Not a delivery setting: a producer faster than the sink waits for room
   * instead of losing events. */
  set(conf, "queue.overflow", "block");
  set(conf, "queue.block_timeout_ms", "600000");
  printf("bench_delivery: %ld track events, %d users, default settings "
         "(batch.max_events %ld, dispatch.max_in_flight %ld), mock on "
         "loopback\n",
         n, BENCH_USERS, get_long(conf, "batch.max_events"),
         get_long(conf, "dispatch.max_in_flight"));
  printf("sharing the cores:\n");
  rc = measure(conf, n, 1, &ours, &sink);
  rc |= measure_apart(conf, n);
  if (spool != NULL) {
    segb_config_t *spooled = segb_config_dup(conf);

    set(spooled, "spool.path", spool);
    rc |= spool_rate(spooled, n, ours);
  }
  segb_config_destroy(conf);
  curl_global_cleanup();
  return rc;
}
