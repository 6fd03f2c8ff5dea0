/* A long-running service: several worker threads (say, one per chat
 * session handler) send events into one client, whose dispatcher thread
 * batches and delivers them in the background. The queue is bounded: when
 * Segment is slower than the workers, queue.overflow decides (block: wait up
 * to queue.block_timeout_ms for room, then refuse). SIGINT or SIGTERM stops
 * the workers; the client then gets a last flush and a close, each with a
 * timeout, and the service prints its counters.
 *
 * Usage: service
 *
 * Environment:
 *   SEGMENT_WRITE_KEY  the source's write key (required)
 *   SEGMENT_REGION     us (default) or eu
 *   SEGMENT_ENDPOINT   Tracking API URL instead of the region's (a proxy,
 *                      or the mock: http://127.0.0.1:PORT)
 *   SERVICE_THREADS    worker threads, 1 to 64 (default 4)
 *   SERVICE_EVENTS     events per worker, then it stops; 0 (the default):
 *                      until SIGINT or SIGTERM
 *   SERVICE_PACE_MS    pause of a worker between two events (default 10)
 *   SERVICE_QUEUE_MAX  queue.max_events, the queue's bound (default 1000)
 *   SERVICE_OVERFLOW   queue.overflow: block (default), drop_newest or
 *                      drop_oldest
 *
 * Exit status: 0 when every event accepted was delivered, 1 otherwise. */
#include <segbridge/segbridge.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64
#define FLUSH_TIMEOUT_MS 15000
#define CLOSE_TIMEOUT_MS 5000

/* Set by the signal handler, read by the workers: a lock-free atomic, safe
 * in a handler and between threads alike. */
static atomic_int stopping;

static void on_stop_signal(int sig) {
  (void)sig;
  atomic_store(&stopping, 1);
}

typedef struct worker {
  pthread_t thread;
  segb_client_t *client; /* shared: client calls are thread-safe */
  int id;
  long events; /* to send; 0: until stopped */
  long pace_ms;
  long accepted; /* this worker's, read after the join */
} worker;

/* One session handler: sends "Message Handled" events until it has sent
 * its share or the service stops. */
static void *work(void *arg) {
  worker *w = arg;
  struct timespec pause;
  char user[32], properties[64];
  long i;

  pause.tv_sec = w->pace_ms / 1000;
  pause.tv_nsec = (w->pace_ms % 1000) * 1000000L;
  for (i = 0; !atomic_load(&stopping) && (w->events == 0 || i < w->events);
       i++) {
    snprintf(user, sizeof user, "user-%d-%ld", w->id, i % 10);
    snprintf(properties, sizeof properties, "{\"worker\":%d,\"sequence\":%ld}",
             w->id, i);
    /* refused: the queue stayed full past queue.block_timeout_ms (the
     * client counts it); a real service might log or spool it */
    if (segb_track(w->client, user, NULL, "Message Handled", properties) ==
        SEGB_OK)
      w->accepted++;
    if (w->pace_ms > 0)
      nanosleep(&pause, NULL); /* cut short by a signal: fine */
  }
  return NULL;
}

/* The integer in @var, @fallback when unset; -1 when not in @min..@max. */
static long env_long(const char *var, long fallback, long min, long max) {
  const char *value = getenv(var);
  char *end;
  long n;

  if (value == NULL || *value == '\0')
    return fallback;
  n = strtol(value, &end, 10);
  if (*end != '\0' || n < min || n > max) {
    fprintf(stderr, "service: %s must be a number from %ld to %ld\n", var, min,
            max);
    return -1;
  }
  return n;
}

/* Set @name from environment variable @var, or to @fallback when it is
 * unset (NULL: keep the library's default); 0 on success. */
static int set_from_env(segb_config_t *conf, const char *name, const char *var,
                        const char *fallback, int required) {
  const char *value = getenv(var);
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL || *value == '\0')
    value = fallback;
  if (value == NULL) {
    if (required)
      fprintf(stderr, "service: set %s\n", var);
    return required ? -1 : 0;
  }
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "service: %s: %s\n", var, err);
    return -1;
  }
  return 0;
}

static segb_client_t *new_client(void) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_client_t *client = NULL;

  if (conf != NULL &&
      set_from_env(conf, "write_key", "SEGMENT_WRITE_KEY", NULL, 1) == 0 &&
      set_from_env(conf, "region", "SEGMENT_REGION", NULL, 0) == 0 &&
      set_from_env(conf, "endpoint", "SEGMENT_ENDPOINT", NULL, 0) == 0 &&
      set_from_env(conf, "queue.max_events", "SERVICE_QUEUE_MAX", "1000", 0) ==
          0 &&
      set_from_env(conf, "queue.overflow", "SERVICE_OVERFLOW", "block", 0) ==
          0 &&
      segb_config_set(conf, "dispatch.mode", "thread", err, sizeof err) ==
          SEGB_OK) {
    client = segb_client_new(conf, err, sizeof err); /* takes conf */
    if (client == NULL)
      fprintf(stderr, "service: %s\n", err);
  }
  if (client == NULL)
    segb_config_destroy(conf);
  return client;
}

/* Stop on SIGINT and SIGTERM, without restarting interrupted calls. */
static void catch_stop_signals(void) {
  struct sigaction sa;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* The counters of the client, printed; the number of events accepted and
 * not delivered. */
static int64_t print_counters(const segb_client_t *client) {
  static const int shown[] = {SEGB_STAT_ENQUEUED, SEGB_STAT_DELIVERED,
                              SEGB_STAT_DROPPED,  SEGB_STAT_REFUSED,
                              SEGB_STAT_QUEUED,   SEGB_STAT_REQUESTS,
                              SEGB_STAT_RETRIES};
  int64_t stats[SEGB_STAT__COUNT] = {0};
  size_t i;

  segb_client_stats(client, stats, SEGB_STAT__COUNT);
  printf("counters:");
  for (i = 0; i < sizeof shown / sizeof shown[0]; i++)
    printf(" %s=%lld", segb_stat_name(shown[i]), (long long)stats[shown[i]]);
  printf("\n");
  return stats[SEGB_STAT_ENQUEUED] - stats[SEGB_STAT_DELIVERED];
}

int main(void) {
  long threads = env_long("SERVICE_THREADS", 4, 1, MAX_THREADS);
  long events = env_long("SERVICE_EVENTS", 0, 0, 100000000);
  long pace = env_long("SERVICE_PACE_MS", 10, 0, 60000);
  long accepted = 0;
  worker workers[MAX_THREADS];
  segb_client_t *client;
  int started, flushed, closed;
  int64_t undelivered;

  if (threads < 0 || events < 0 || pace < 0)
    return 1;
  catch_stop_signals();
  client = new_client();
  if (client == NULL)
    return 1;
  for (started = 0; started < threads; started++) {
    worker *w = &workers[started];

    memset(w, 0, sizeof *w);
    w->client = client;
    w->id = started;
    w->events = events;
    w->pace_ms = pace;
    if (pthread_create(&w->thread, NULL, work, w) != 0) {
      fprintf(stderr, "service: cannot start worker %d\n", started);
      atomic_store(&stopping, 1);
      break;
    }
  }
  printf("service: %d workers sending%s\n", started,
         events == 0 ? " until SIGINT or SIGTERM" : "");
  fflush(stdout);
  while (started > 0) {
    worker *w = &workers[--started];

    pthread_join(w->thread, NULL);
    accepted += w->accepted;
  }
  printf("service: stopping%s, %ld events accepted\n",
         atomic_load(&stopping) ? " on a signal" : "", accepted);
  /* the graceful part: give the queue a bounded time to drain, read the
   * counters while the client still exists, then close it */
  flushed = segb_client_flush(client, FLUSH_TIMEOUT_MS);
  undelivered = print_counters(client);
  closed = segb_client_close(client, CLOSE_TIMEOUT_MS);
  if (flushed != SEGB_OK || closed != SEGB_OK)
    fprintf(stderr, "service: flush %s, close %s\n", segb_err_name(flushed),
            segb_err_name(closed));
  return flushed == SEGB_OK && closed == SEGB_OK && undelivered == 0 ? 0 : 1;
}
