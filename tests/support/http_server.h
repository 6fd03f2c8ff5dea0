/* Test support: a well-behaved loopback HTTP(S) server on libmicrohttpd, a
 * thread per connection, for tests that answer requests their own way. It
 * counts connections; the test's handler does everything else. */
#ifndef SEGB_TEST_HTTP_SERVER_H
#define SEGB_TEST_HTTP_SERVER_H

#include <microhttpd.h>

typedef struct segb_http_server segb_http_server;

/* Listen on 127.0.0.1 and an ephemeral port, TLS when @cert_pem (and
 * @key_pem) is given; every request goes to @on_request with @cls. NULL
 * when libmicrohttpd fails. */
segb_http_server *segb_http_start(MHD_AccessHandlerCallback on_request,
                                  void *cls, const char *cert_pem,
                                  const char *key_pem);

/* "http://127.0.0.1:<port>", or https with TLS. */
const char *segb_http_base(const segb_http_server *s);

/* Connections accepted so far. */
int segb_http_connections(segb_http_server *s);

/* Stop (waiting for the handlers in progress) and free. Accepts NULL. */
void segb_http_stop(segb_http_server *s);

#endif
