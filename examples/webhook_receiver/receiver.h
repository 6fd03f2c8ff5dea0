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
  FILE *out;       /* events, one JSON object per line; NULL: stdout */
  FILE *log;       /* start, refusals, summary; NULL: stderr */
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

#endif
