/* A Segment webhook receiver built on the public API of libsegbridge, the
 * way a host server would use it: verify each request, parse its body,
 * print every good event as one line of JSON (NDJSON) on the output stream,
 * and answer 200, or 401/400/413 with a short JSON error.
 *
 * The `segbridge-webhook-receiver` program and `segbridge webhook-receiver`
 * run the same code. */
#ifndef SEGB_RECEIVER_H
#define SEGB_RECEIVER_H

#include <segbridge/webhook.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct receiver_options {
  const char *listen; /* IPv4 address to bind; NULL: 127.0.0.1 */
  uint16_t port;      /* 0: any free port (printed at start) */
  const char *api_keys[SEGB_WEBHOOK_MAX_CREDENTIALS];
  size_t n_api_keys;
  const char *secrets[SEGB_WEBHOOK_MAX_CREDENTIALS];
  size_t n_secrets;
  size_t max_body; /* 0: the library's default */
  /* What one peer, or all of them, can hold: see the usage text. */
  unsigned max_connections, max_per_ip;
  unsigned header_timeout_s, body_timeout_s, idle_timeout_s;
  int refuse_unsigned; /* SEGB_WEBHOOK_REFUSE_UNSIGNED */
  FILE *out;           /* events, one JSON object per line; NULL: stdout */
  FILE *log;           /* start, refusals, summary; NULL: stderr */
} receiver_options;

/* Exit statuses of both programs. */
enum { RECEIVER_OK = 0, RECEIVER_FAILED = 1, RECEIVER_USAGE = 2 };

/* Fill @o from the command line `NAME [options]` (argv[0] is the command's
 * name); keys and secrets may also come from $SEGMENT_WEBHOOK_API_KEY and
 * $SEGMENT_WEBHOOK_SECRET. Returns RECEIVER_OK, RECEIVER_USAGE after
 * printing why, or -1 when --help printed the usage. */
int segb_receiver_parse_args(int argc, char **argv, receiver_options *o);

/* The options' help text. */
extern const char segb_receiver_usage[];

/* Serve until SIGINT or SIGTERM; returns an exit status. */
int segb_receiver_run(const receiver_options *o);

/* One request, whole: the answer's status and JSON body, events printed on
 * @out and refusals on @log. Exposed for the server; no I/O but those. */
typedef struct receiver_reply {
  unsigned status;
  char body[320];
} receiver_reply;

void segb_receiver_handle(const segb_webhook_t *wh, const char *authorization,
                          const char *signature, const char *settings,
                          const char *body, size_t len, FILE *out, FILE *log,
                          receiver_reply *reply);

/* One request as the HTTP layer sees it, without a socket: the server feeds
 * it what libmicrohttpd hands over, the fuzz target whatever it likes.
 * Zero-initialised, then begin, body (any number of times), end, free. */
typedef struct receiver_request {
  size_t max_body;
  int post; /* else answered 405 at the end, the body dropped */
  char *data;
  size_t len, cap;
} receiver_request;

/* The answer to a body over the limit: the server sends it and closes. */
enum { RECEIVER_TOO_LARGE = 1 };

/* The headers are in. Returns 0 to read the body, or RECEIVER_TOO_LARGE
 * with the 413 in @reply when Content-Length is over @max_body. */
int segb_receiver_request_begin(receiver_request *q, size_t max_body,
                                const char *method, const char *content_length,
                                receiver_reply *reply);

/* A piece of the body: 0, RECEIVER_TOO_LARGE with the 413 in @reply, or -1
 * when out of memory. */
int segb_receiver_request_body(receiver_request *q, const char *data, size_t n,
                               receiver_reply *reply);

/* The whole body is in: segb_receiver_handle() with the headers. */
void segb_receiver_request_end(receiver_request *q, const segb_webhook_t *wh,
                               const char *authorization, const char *signature,
                               const char *settings, FILE *out, FILE *log,
                               receiver_reply *reply);

void segb_receiver_request_free(receiver_request *q);

/* Watches the server's connections from a thread of its own: closes one
 * whose request headers are not all in within the deadline (however slowly
 * they keep coming), and reads and drops, within bounds, what a sender
 * still writes after a 413, so that it reads the answer instead of a reset.
 * The server tells it about each connection; all calls are thread-safe. */
typedef struct receiver_guard receiver_guard;
typedef struct receiver_watch receiver_watch;

/* At most this many sockets are drained at once, each for at most
 * RECEIVER_DRAIN_BYTES or RECEIVER_DRAIN_MS. */
#define RECEIVER_MAX_DRAINING 32u
#define RECEIVER_DRAIN_BYTES (8u << 20)
#define RECEIVER_DRAIN_MS 10000

receiver_guard *segb_receiver_guard_start(unsigned header_timeout_s,
                                          unsigned body_timeout_s, FILE *log);
void segb_receiver_guard_stop(receiver_guard *g);

/* A new connection on @fd: its first request's headers are due. NULL when
 * out of memory. */
receiver_watch *segb_receiver_guard_watch(receiver_guard *g, int fd);
/* Its request's headers are in: the whole body is due. */
void segb_receiver_guard_headers_in(receiver_guard *g, receiver_watch *w);
/* The answer is sent: the next request's headers are due. */
void segb_receiver_guard_rearm(receiver_guard *g, receiver_watch *w);
/* A 413 is on its way: drain the socket once the server closes it. */
void segb_receiver_guard_drain_on_close(receiver_guard *g, receiver_watch *w);
/* The server is closing the connection (its socket still open): forget
 * @w, keeping the socket for draining when asked to. */
void segb_receiver_guard_release(receiver_guard *g, receiver_watch *w);

#endif
