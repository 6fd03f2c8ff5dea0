/*
 * The transport interface: one HTTP exchange at a time. The libcurl
 * transport talks to the network; the capture transport records requests
 * for --dry-run and tests. Everything above this layer (auth, dispatch, the
 * read APIs) sees only this interface.
 */
#ifndef SBI_TRANSPORT_TRANSPORT_H
#define SBI_TRANSPORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/log.h"

#define SBI_HTTP_MAX_HEADERS 16

typedef struct sbi_http_request {
  const char *method; /* "POST", "GET" */
  const char *url;    /* absolute */
  /* "Name: value" lines; the transport adds User-Agent, and
   * Content-Encoding when it compresses. */
  const char *headers[SBI_HTTP_MAX_HEADERS];
  size_t header_count;
  const char *body; /* NULL for none */
  size_t body_len;
  int64_t timeout_ms; /* > 0: cap on this request, below the transport's */
} sbi_http_request;

/* Which limit ended a request that failed with SEGB_ERR_TIMED_OUT. */
typedef enum sbi_http_limit {
  SBI_LIMIT_NONE,      /* not a timeout */
  SBI_LIMIT_CONNECT,   /* the transport's connect timeout */
  SBI_LIMIT_TRANSPORT, /* the transport's whole-request timeout */
  SBI_LIMIT_CALLER     /* the request's own timeout_ms: the caller's time */
} sbi_http_limit;

typedef struct sbi_http_response {
  int status; /* HTTP status; 0 when no response arrived */
  /* SEGB_OK when a whole response arrived, else the failure: SEGB_ERR_DNS,
   * _CONNECT, _TLS (a certificate or TLS setup problem; a handshake that
   * broke off is _NETWORK), _TIMED_OUT, _NETWORK (also a response cut
   * short), _NOMEM */
  int error;
  sbi_http_limit timed_out_by; /* with SEGB_ERR_TIMED_OUT */
  char error_text[256]; /* what failed and on which host; never a secret */
  sbi_buf headers;      /* response header lines, "name: value\r\n" each */
  int header_end;       /* the blank line ending the header block came */
  sbi_buf body;         /* response body, at most SBI_HTTP_MAX_BODY bytes */
  int64_t elapsed_us;   /* from start of the request to the last byte */
} sbi_http_response;

/* Responses bodies past this are cut; Segment's are a few hundred bytes. */
#define SBI_HTTP_MAX_BODY (1024 * 1024)

typedef struct sbi_transport sbi_transport;
typedef struct sbi_multi sbi_multi;
struct sbi_transport {
  /* Perform @req and fill @resp (reset first by the transport). Returns
   * resp->error. */
  int (*send)(sbi_transport *t, const sbi_http_request *req,
              sbi_http_response *resp);
  void (*destroy)(sbi_transport *t);
  /* Concurrent requests (see sbi_multi); NULL when the transport has no
   * way of its own, and sbi_multi_new() then runs them one by one. */
  sbi_multi *(*multi_new)(sbi_transport *t, int max_parallel);
  /* From any thread: end the send() running now, and make every later one
   * fail at once, with SEGB_ERR_NETWORK (an owner that is closing); NULL
   * when the transport cannot. */
  void (*interrupt)(sbi_transport *t);
};

/*
 * Many exchanges at once, for the dispatcher: a multi runs requests side by
 * side on the thread that calls its wait() (libcurl's multi interface for
 * the libcurl transport; one request after another, inside start(), for a
 * transport without one). Apart from wakeup(), one thread at a time.
 */
struct sbi_multi {
  /* Begin @req (which, with its header lines and body, stays valid until
   * the request is done) and fill @resp (reset first) as it runs. @tag
   * comes back from done() when it is over. SEGB_OK, or SEGB_ERR_NOMEM
   * (then nothing began). Starting more than sbi_multi_new()'s
   * @max_parallel requests not yet collected is the caller's bug:
   * SEGB_ERR_INVALID_ARG. */
  int (*start)(sbi_multi *m, const sbi_http_request *req,
               sbi_http_response *resp, void *tag);
  /* Move the running requests along, and wait at most @timeout_ms (-1: no
   * limit) for one to end, a wakeup(), or the time; returns at once when
   * an ended request is not yet collected by done(). */
  void (*wait)(sbi_multi *m, int64_t timeout_ms);
  /* The tag of an ended request, its response filled as send() fills one
   * (resp->error set); NULL when no ended request is left to collect. */
  void *(*done)(sbi_multi *m);
  /* Make the wait() running now, or the next one, return early. Any
   * thread; safe while another thread is inside wait(). */
  void (*wakeup)(sbi_multi *m);
  /* Abort every request not yet collected: none of their tags comes back,
   * and their responses are left as they are. */
  void (*abort_all)(sbi_multi *m);
  /* Aborts what runs, then frees. */
  void (*destroy)(sbi_multi *m);
};

/* A multi over @t with room for @max_parallel (>= 1) requests at once:
 * @t's own (t->multi_new) when it has one, else one that runs each
 * request with t->send() inside start(). @t must outlive it. NULL with
 * SEGB_ERR_NOMEM. */
sbi_multi *sbi_multi_new(sbi_transport *t, int max_parallel);

typedef struct sbi_transport_options {
  int64_t connect_timeout_ms;
  int64_t timeout_ms;  /* whole request */
  const char *ca_file; /* NULL: system store */
  const char *ca_path;
  const char *proxy;     /* NULL: libcurl's environment rules */
  int gzip;              /* compress request bodies */
  const sbi_logger *log; /* NULL: none; copied */
} sbi_transport_options;

/* A libcurl transport with one easy handle, reused so connections stay
 * open across requests. TLS 1.2 or newer, peer and host always verified.
 * NULL with the reason in the thread's error detail. */
sbi_transport *sbi_curl_transport_new(const sbi_transport_options *opts);

/* A transport that records each request (method, URL, headers, body after
 * any compression) and answers @status with body @reply, without I/O. */
sbi_transport *sbi_capture_transport_new(int status, const char *reply);

/* The requests a capture transport has recorded, oldest first. */
size_t sbi_capture_count(const sbi_transport *t);
const sbi_http_request *sbi_capture_at(const sbi_transport *t, size_t i);

/* Value of response header @name (case-insensitive), copied into @out as a
 * NUL-terminated string; 1 when present, 0 when not (out gets ""). */
int sbi_http_header(const sbi_http_response *resp, const char *name, char *out,
                    size_t out_size);

/* Response header lines past this many bytes are dropped, against a server
 * that streams headers forever. */
#define SBI_HTTP_MAX_HEADER_BYTES SBI_HTTP_MAX_BODY

/* Take one line of a response's header block as it came off the wire
 * (@len bytes, line ending included or not): a status line starts a new
 * block (after a 1xx or a proxy's CONNECT reply, only the final response's
 * headers are kept), a blank line ends it, anything else is a header line
 * kept in resp->headers. SEGB_OK, or SEGB_ERR_NOMEM. */
int sbi_http_take_header_line(sbi_http_response *resp, const char *line,
                              size_t len);

/* Log the exchange @req -> @resp (@sent_bytes of body on the wire) to
 * @log at level 7 when debug=http: method, host and path, status or error,
 * time and size; never the query, a header or a body. */
void sbi_http_log(const sbi_logger *log, const sbi_http_request *req,
                  size_t sent_bytes, const sbi_http_response *resp);

/* Zero a response for a new request, keeping its allocations. */
void sbi_http_response_reset(sbi_http_response *resp);
void sbi_http_response_free(sbi_http_response *resp);

/* Process-wide libcurl setup, reference counted; see segb_global_init(). */
int sbi_global_init(void);
int sbi_global_cleanup(void);

/* "libsegbridge/<version>" */
#define SBI_USER_AGENT_PREFIX "libsegbridge/"

#endif
