/* Test support: a loopback TCP server that misbehaves on purpose, for what
 * an HTTP server library will not do (reset a TLS handshake, cut a response
 * inside its headers). One connection at a time, in a thread of its own. */
#ifndef SEGB_TEST_RAW_SERVER_H
#define SEGB_TEST_RAW_SERVER_H

#include <stddef.h>

typedef enum segb_raw_action {
  SEGB_RAW_RESET, /* read what the client sends first, then reset (RST) */
  SEGB_RAW_CLOSE, /* read what the client sends first, then close (FIN) */
  SEGB_RAW_REPLY, /* read a request (headers, Content-Length body), write
                     the step's reply bytes as they are, then close */
  SEGB_RAW_HOLD,  /* read and answer nothing until the client closes */
  SEGB_RAW_RELAY  /* pass bytes both ways to 127.0.0.1:relay_port */
} segb_raw_action;

typedef struct segb_raw_step {
  segb_raw_action action;
  const char *reply; /* SEGB_RAW_REPLY */
} segb_raw_step;

typedef struct segb_raw_server segb_raw_server;

/* Listen on 127.0.0.1 and an ephemeral port; the n-th connection gets
 * @steps[n], the last step serving every connection past the end. The
 * steps are copied; replies must outlive the server. @relay_port is for
 * SEGB_RAW_RELAY. NULL when a socket call fails. */
segb_raw_server *segb_raw_start(const segb_raw_step *steps, size_t count,
                                unsigned relay_port);

unsigned segb_raw_port(const segb_raw_server *s);

/* Connections accepted so far. */
int segb_raw_connections(segb_raw_server *s);

/* Stop (ending a connection in progress) and free. Accepts NULL. */
void segb_raw_stop(segb_raw_server *s);

#endif
