/*
 * The webhook receiver end to end: the segbridge-webhook-receiver program
 * (and `segbridge webhook-receiver`) started on a free loopback port, real
 * HTTP requests from libcurl, the answers, and the NDJSON it prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SECRET "s3cr3t"
#define BASIC "Authorization: Basic YWJjMTIzOg=="       /* abc123: */
#define BASIC_WRONG "Authorization: Basic bmV3LWtleTo=" /* new-key: */

static const char body1[] =
    "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"Order Completed\","
    "\"messageId\":\"m-1\",\"timestamp\":\"2024-01-02T03:04:05.678Z\","
    "\"properties\":{\"plan\":\"pro\",\"revenue\":19.99}}";
/* printf '%s' "$BODY1" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG1 "X-Signature: 1e43c794b638bc3b5ac6d82b9051f30988cdf927"

#define EVENT0 "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"A\"}"
#define EVENT1 "{\"type\":\"identify\",\"anonymousId\":\"a-2\"}"
static const char body2[] = "[" EVENT0 "," EVENT1 "]";
/* printf '%s' "$EVENT0" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG_FIRST "X-Signature: c285ba35ce23dce69c01adc3e473e298bb2ecdda"

typedef struct receiver {
  pid_t pid;
  char dir[64];
  char out[96], err[96];
  char url[64];
} receiver;

/* posix_spawn() takes char *const[] for historical reasons only; it does
 * not write to the strings. */
static int spawn(pid_t *pid, const char *const *argv,
                 const posix_spawn_file_actions_t *fa) {
  return posix_spawn(pid, argv[0], fa, NULL, (char *const *)(uintptr_t)argv,
                     environ);
}

/* Start @argv with stdout and stderr in files, and wait for the URL it
 * prints. */
static void start(receiver *r, const char *const *argv) {
  posix_spawn_file_actions_t fa;
  int i;

  strcpy(r->dir, "/tmp/segb-receiver-XXXXXX");
  assert_non_null(mkdtemp(r->dir));
  snprintf(r->out, sizeof r->out, "%s/out", r->dir);
  snprintf(r->err, sizeof r->err, "%s/err", r->dir);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, r->out, O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, r->err, O_WRONLY | O_CREAT, 0600);
  assert_int_equal(spawn(&r->pid, argv, &fa), 0);
  posix_spawn_file_actions_destroy(&fa);
  for (i = 0; i < 200; i++) {
    char line[256] = "";
    FILE *f = fopen(r->err, "r");
    const char *at;

    if (f != NULL) {
      if (fgets(line, sizeof line, f) == NULL)
        line[0] = '\0';
      fclose(f);
    }
    at = strstr(line, "http://127.0.0.1:");
    if (at != NULL) {
      snprintf(r->url, sizeof r->url, "%.*s", (int)strcspn(at, "\n"), at);
      return;
    }
    usleep(25000);
  }
  fail_msg("the receiver printed no URL");
}

/* SIGTERM, and its exit status. */
static int stop(receiver *r) {
  int status = -1;

  kill(r->pid, SIGTERM);
  assert_int_equal(waitpid(r->pid, &status, 0), r->pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  char *text = calloc(1, 65536);

  assert_non_null(f);
  assert_non_null(text);
  if (fread(text, 1, 65535, f) == 0)
    text[0] = '\0';
  fclose(f);
  return text;
}

static void cleanup(receiver *r) {
  unlink(r->out);
  unlink(r->err);
  rmdir(r->dir);
}

typedef struct reply {
  long status;
  char body[1024];
  size_t len;
} reply;

static size_t on_body(char *data, size_t size, size_t n, void *cls) {
  reply *r = cls;
  size_t len = size * n, room = sizeof r->body - 1 - r->len;

  if (len > room)
    len = room;
  memcpy(r->body + r->len, data, len);
  r->len += len;
  r->body[r->len] = '\0';
  return size * n;
}

/* A body handed out in pieces, so that libcurl sends it chunked. */
typedef struct chunks {
  size_t left;
} chunks;

static size_t on_read(char *buf, size_t size, size_t n, void *cls) {
  chunks *c = cls;
  size_t len = size * n < c->left ? size * n : c->left;

  memset(buf, ' ', len);
  c->left -= len;
  return len;
}

/* POST @body (or, when NULL, @chunked spaces without a length) with the
 * header lines in @h (NULL-terminated). */
static reply post(const receiver *rc, const char *body, size_t chunked,
                  const char *const *h) {
  CURL *c = curl_easy_init();
  struct curl_slist *list = NULL;
  chunks ch = {chunked};
  reply r = {0};

  assert_non_null(c);
  for (; *h != NULL; h++)
    list = curl_slist_append(list, *h);
  list = curl_slist_append(list, "Content-Type: application/json");
  if (body == NULL)
    list = curl_slist_append(list, "Transfer-Encoding: chunked");
  curl_easy_setopt(c, CURLOPT_URL, rc->url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  if (body != NULL) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  } else {
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &ch);
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return r;
}

static void expect(const receiver *rc, const char *body, const char *const *h,
                   long status, const char *in_reply) {
  reply r = post(rc, body, 0, h);

  if (r.status != status || strstr(r.body, in_reply) == NULL)
    fail_msg("got %ld %s, want %ld with %s", r.status, r.body, status,
             in_reply);
}

/* Both programs build with the tests (tools/CMakeLists.txt). */
#if !defined(SEGB_RECEIVER_BIN) || !defined(SEGB_CLI_BIN)
#  error "SEGB_RECEIVER_BIN and SEGB_CLI_BIN name the programs under test"
#endif

static void test_receiver(void **state) {
  const char *argv[] = {
      SEGB_RECEIVER_BIN, "--port",   "0",    "--api-key",  "abc123", "--secret",
      "old-secret",      "--secret", SECRET, "--max-body", "2048",   NULL};
  const char *good[] = {BASIC, SIG1, NULL};
  const char *batch[] = {BASIC, SIG_FIRST, NULL};
  const char *wrong_key[] = {BASIC_WRONG, SIG1, NULL};
  const char *no_sig[] = {BASIC, NULL};
  const char *bad_settings[] = {BASIC, SIG1, "X-Segment-Settings: !!", NULL};
  /* printf '%s' '{"a":1}' | openssl base64 */
  const char *settings[] = {BASIC, SIG1,
                            "X-Segment-Settings: eyJhIjoxfQ==", NULL};
  /* printf '%s' 'not json' | openssl dgst -sha1 -hmac s3cr3t */
  const char *sig_bad_json[] = {
      BASIC, "X-Signature: 50163713a2a8550e1f7410187e5e617a4f1b4ca2", NULL};
  /* printf '%s' '[{"type":"bogus","userId":"u"}]' |
   *   openssl dgst -sha1 -hmac s3cr3t */
  const char *sig_bogus[] = {
      BASIC, "X-Signature: 6ef6b5b9fc287e8e66b0e7421006ca9277b42a7d", NULL};
  char big[4096];
  receiver rc;
  reply r;
  char *out, *err;
  (void)state;

  start(&rc, argv);
  expect(&rc, body1, good, 200, "\"accepted\":1");
  expect(&rc, body2, batch, 200, "\"accepted\":2");
  expect(&rc, body1, settings, 200, "\"accepted\":1");
  expect(&rc, body1, wrong_key, 401, "SEGB_ERR_WEBHOOK_WRONG_KEY");
  expect(&rc, body1, no_sig, 401, "SEGB_ERR_WEBHOOK_NO_SIGNATURE");
  expect(&rc, body2, good, 401, "SEGB_ERR_WEBHOOK_WRONG_SIGNATURE");
  expect(&rc, body1, bad_settings, 400, "SEGB_ERR_INVALID_BASE64");
  expect(&rc, "not json", sig_bad_json, 400, "SEGB_ERR_INVALID_JSON");
  expect(&rc, "[{\"type\":\"bogus\",\"userId\":\"u\"}]", sig_bogus, 400,
         "SEGB_ERR_UNKNOWN_TYPE");
  /* over --max-body: with a Content-Length, and chunked without one */
  memset(big, ' ', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  expect(&rc, big, good, 413, "SEGB_ERR_BODY_TOO_LARGE");
  r = post(&rc, NULL, 3000, good);
  assert_int_equal(r.status, 413);
  assert_int_equal(stop(&rc), 0);

  out = slurp(rc.out);
  assert_string_equal(out, "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":"
                           "\"Order Completed\",\"messageId\":\"m-1\","
                           "\"timestamp\":\"2024-01-02T03:04:05.678Z\","
                           "\"properties\":{\"plan\":\"pro\",\"revenue\":"
                           "19.99}}\n" EVENT0 "\n" EVENT1 "\n"
                           "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":"
                           "\"Order Completed\",\"messageId\":\"m-1\","
                           "\"timestamp\":\"2024-01-02T03:04:05.678Z\","
                           "\"properties\":{\"plan\":\"pro\",\"revenue\":"
                           "19.99}}\n");
  err = slurp(rc.err);
  assert_non_null(strstr(err, "11 requests, 3 accepted, 8 refused"));
  assert_non_null(strstr(err, "event 0 skipped"));
  assert_null(strstr(err, SECRET));
  assert_null(strstr(err, "abc123"));
  free(out);
  free(err);
  cleanup(&rc);
}

/* --refuse-unsigned: a batch signed on its first event only is refused
 * whole, while a single signed event still passes. */
static void test_refuse_unsigned(void **state) {
  const char *argv[] = {SEGB_RECEIVER_BIN,   "--port", "0", "--secret", SECRET,
                        "--refuse-unsigned", NULL};
  const char *good[] = {SIG1, NULL};
  const char *batch[] = {SIG_FIRST, NULL};
  receiver rc;
  char *out;
  (void)state;

  start(&rc, argv);
  expect(&rc, body2, batch, 401, "SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS");
  expect(&rc, body1, good, 200, "\"accepted\":1,\"rejected\":0,\"unsigned\":0");
  assert_int_equal(stop(&rc), 0);
  out = slurp(rc.out);
  assert_null(strstr(out, EVENT1)); /* nothing of the refused batch */
  assert_non_null(strstr(out, "\"messageId\":\"m-1\""));
  free(out);
  cleanup(&rc);
}

/* ---- raw sockets, for what libcurl would not send ------------------------ */

/* Upper bound against hangs only: nothing here is timed. */
#define HANG_S 60

static int64_t now_ms(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A TCP connection to the receiver from the loopback address @from (all of
 * 127/8 is local: a second address is a second peer). */
static int dial(const receiver *rc, const char *from) {
  struct sockaddr_in src = {0}, dst = {0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  assert_true(fd >= 0);
  src.sin_family = dst.sin_family = AF_INET;
  assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
  assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
  assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr), 1);
  dst.sin_port = htons((uint16_t)atoi(strrchr(rc->url, ':') + 1));
  assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof dst), 0);
  return fd;
}

/* Send all of @data; 0, or the errno that stopped it. */
static int send_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read into @buf until the peer closes (or resets); the bytes read. */
static size_t read_to_close(int fd, char *buf, size_t size) {
  size_t len = 0;
  int64_t until = now_ms() + HANG_S * 1000;

  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    if (poll(&p, 1, 1000) == 0) {
      if (now_ms() > until)
        fail_msg("the receiver neither answered nor closed");
      continue;
    }
    n = recv(fd, buf + len, size - 1 - len, 0);
    if (n <= 0 || (len += (size_t)n) == size - 1)
      break;
  }
  buf[len] = '\0';
  return len;
}

/* Whether @fd is closed by its peer: EOF or a reset. Does not wait. */
static int is_closed(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  char c;

  return poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) <= 0;
}

/* A whole signed request, as a raw socket sends it. */
static void good_request(char *buf, size_t size) {
  int n = snprintf(buf, size,
                   "POST / HTTP/1.1\r\nHost: x\r\n" BASIC "\r\n" SIG1
                   "\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   strlen(body1), body1);

  assert_true(n > 0 && (size_t)n < size);
}

static void expect_answered(int fd) {
  char req[1024], got[2048];

  good_request(req, sizeof req);
  assert_int_equal(send_all(fd, req, strlen(req)), 0);
  read_to_close(fd, got, sizeof got);
  if (strncmp(got, "HTTP/1.1 200", 12) != 0 ||
      strstr(got, "\"accepted\":1") == NULL)
    fail_msg("got \"%s\"", got);
}

/* Idle connections beyond --max-per-ip are closed at once, and the ones
 * kept lock out no other peer. */
static void test_per_ip_limit(void **state) {
  enum { IDLE = 40, PER_IP = 8 };
  const char *argv[] = {SEGB_RECEIVER_BIN,
                        "--port",
                        "0",
                        "--api-key",
                        "abc123",
                        "--secret",
                        SECRET,
                        "--max-per-ip",
                        "8",
                        "--header-timeout",
                        "600",
                        NULL};
  static const char half[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-";
  int fds[IDLE], i, closed = 0, fd;
  int64_t until = now_ms() + HANG_S * 1000;
  receiver rc;
  (void)state;

  start(&rc, argv);
  for (i = 0; i < IDLE; i++) {
    fds[i] = dial(&rc, "127.0.0.1");
    send_all(fds[i], half, sizeof half - 1); /* may meet a closed one */
  }
  while (closed < IDLE - PER_IP) {
    if (now_ms() > until)
      fail_msg("%d of %d connections over the limit were closed", closed,
               IDLE - PER_IP);
    usleep(20000);
    for (closed = i = 0; i < IDLE; i++)
      closed += is_closed(fds[i]);
  }
  fd = dial(&rc, "127.0.0.2");
  expect_answered(fd);
  close(fd);
  for (closed = i = 0; i < IDLE; i++)
    closed += is_closed(fds[i]);
  assert_int_equal(closed, IDLE - PER_IP); /* the others are still held */
  for (i = 0; i < IDLE; i++)
    close(fds[i]);
  assert_int_equal(stop(&rc), 0);
  cleanup(&rc);
}

/* Send @start_line, then a byte every 200 ms until the receiver closes. */
static void dribble_until_closed(int fd, const char *start_line) {
  int64_t until = now_ms() + HANG_S * 1000;

  assert_int_equal(send_all(fd, start_line, strlen(start_line)), 0);
  while (!is_closed(fd)) {
    if (now_ms() > until)
      fail_msg("a request sent a byte at a time kept its connection");
    send(fd, "a", 1, MSG_NOSIGNAL);
    usleep(200000);
  }
}

/* So does a body a byte at a time: the body deadline closes it, and the
 * slot it held serves a new client. */
static void test_slow_body_closed(void **state) {
  const char *argv[] = {SEGB_RECEIVER_BIN,
                        "--port",
                        "0",
                        "--secret",
                        SECRET,
                        "--max-connections",
                        "1",
                        "--body-timeout",
                        "1",
                        NULL};
  static const char slow[] = "POST / HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 100000\r\n\r\n";
  receiver rc;
  int fd;
  (void)state;

  start(&rc, argv);
  fd = dial(&rc, "127.0.0.1");
  dribble_until_closed(fd, slow);
  close(fd);
  fd = dial(&rc, "127.0.0.1");
  expect_answered(fd);
  close(fd);
  assert_int_equal(stop(&rc), 0);
  cleanup(&rc);
}

/* A header a byte at a time keeps an idle timeout from ever firing; the
 * header deadline closes the connection anyway, for a first request and
 * for the next one on a kept-alive connection. */
static void test_slow_headers_closed(void **state) {
  const char *argv[] = {SEGB_RECEIVER_BIN,  "--port", "0", "--secret", SECRET,
                        "--header-timeout", "1",      NULL};
  static const char slow[] = "POST / HTTP/1.1\r\nX-Slow: ";
  static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  char got[1024];
  receiver rc;
  ssize_t n;
  int fd;
  (void)state;

  start(&rc, argv);
  fd = dial(&rc, "127.0.0.1");
  dribble_until_closed(fd, slow);
  close(fd);
  fd = dial(&rc, "127.0.0.1");
  assert_int_equal(send_all(fd, get, sizeof get - 1), 0);
  n = recv(fd, got, sizeof got - 1, 0);
  assert_true(n > 0);
  got[n] = '\0';
  assert_non_null(strstr(got, "HTTP/1.1 405"));
  dribble_until_closed(fd, slow);
  close(fd);
  assert_int_equal(stop(&rc), 0);
  cleanup(&rc);
}

/* More connections than select() could watch (FD_SETSIZE, 1024): the
 * receiver still answers. */
static void test_beyond_fd_setsize(void **state) {
  enum { IDLE = 1100 };
  const char *argv[] = {SEGB_RECEIVER_BIN,
                        "--port",
                        "0",
                        "--api-key",
                        "abc123",
                        "--secret",
                        SECRET,
                        "--max-connections",
                        "2000",
                        "--max-per-ip",
                        "0",
                        "--header-timeout",
                        "600",
                        NULL};
  static const char half[] = "POST / HTTP/1.1\r\nHost: x\r\n";
  struct rlimit old, lim;
  int *fds, i, fd;
  receiver rc;
  (void)state;

  assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
  if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 2 * IDLE + 200)
    skip();
  lim = old;
  if (lim.rlim_cur < IDLE + 200) {
    lim.rlim_cur = IDLE + 200;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
  }
  fds = calloc(IDLE, sizeof *fds);
  assert_non_null(fds);
  start(&rc, argv);
  for (i = 0; i < IDLE; i++) {
    fds[i] = dial(&rc, "127.0.0.1");
    assert_int_equal(send_all(fds[i], half, sizeof half - 1), 0);
  }
  fd = dial(&rc, "127.0.0.1");
  expect_answered(fd);
  close(fd);
  for (i = 0; i < IDLE; i++) {
    assert_false(is_closed(fds[i]));
    close(fds[i]);
  }
  free(fds);
  assert_int_equal(stop(&rc), 0);
  cleanup(&rc);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* Under a low `ulimit -n` the receiver lowers its connection limit to fit,
 * and says so. */
static void test_low_ulimit(void **state) {
  const char *argv[] = {"/bin/sh",
                        "-c",
                        "ulimit -n 100 && exec \"$@\"",
                        "sh",
                        SEGB_RECEIVER_BIN,
                        "--port",
                        "0",
                        "--api-key",
                        "abc123",
                        "--secret",
                        SECRET,
                        "--max-connections",
                        "500",
                        NULL};
  receiver rc;
  char *err;
  int fd;
  (void)state;

  start(&rc, argv);
  fd = dial(&rc, "127.0.0.1");
  expect_answered(fd);
  close(fd);
  assert_int_equal(stop(&rc), 0);
  err = slurp(rc.err);
  if (strstr(err, "at most 52 connections: ulimit -n is too low for 500") ==
      NULL)
    fail_msg("%s", err);
  free(err);
  cleanup(&rc);
}

/* Headers over a socket, then the body as it comes: on the 413 the sender
 * is told, what it still writes is read within a bound, and the
 * connection is closed. */
static void test_endless_chunked_body(void **state) {
  enum { MAX = 65536, PIECE = 65536 };
  const char *argv[] = {SEGB_RECEIVER_BIN, "--port", "0", "--secret", SECRET,
                        "--max-body",      "65536",  NULL};
  static const char head[] = "POST / HTTP/1.1\r\nHost: x\r\n" SIG1
                             "\r\nTransfer-Encoding: chunked\r\n\r\n";
  /* the receiver's drain (8 MiB) plus what kernel buffers hold */
  const size_t bound = (size_t)64 << 20;
  char *chunk = malloc(PIECE + 16), got[2048] = "", *err;
  size_t sent = 0, off = 0, chunk_len, got_len = 0;
  int64_t until = now_ms() + HANG_S * 1000;
  int fd, eof = 0, closed = 0, sndbuf = 256 * 1024;
  receiver rc;
  (void)state;

  assert_non_null(chunk);
  chunk_len = (size_t)snprintf(chunk, 16, "%x\r\n", PIECE);
  memset(chunk + chunk_len, ' ', PIECE);
  memcpy(chunk + chunk_len + PIECE, "\r\n", 2);
  chunk_len += PIECE + 2;
  start(&rc, argv);
  fd = dial(&rc, "127.0.0.1");
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  assert_int_equal(send_all(fd, head, sizeof head - 1), 0);
  /* Closed means cut off: a sender may write on after the end of the
   * answer (a FIN), until the receiver closes for good (a reset). */
  while (!closed && sent < (size_t)1 << 30) {
    struct pollfd p = {fd, (short)(eof ? POLLOUT : POLLIN | POLLOUT), 0};
    ssize_t n;

    if (now_ms() > until)
      fail_msg("no end after %zu bytes", sent);
    if (poll(&p, 1, 1000) <= 0)
      continue;
    if (!eof && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      n = recv(fd, got + got_len, sizeof got - 1 - got_len, MSG_DONTWAIT);
      if (n > 0)
        got_len += (size_t)n;
      eof = n == 0 || got_len == sizeof got - 1;
      closed = n < 0 && errno != EAGAIN;
    }
    if (!closed && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
      n = send(fd, chunk + off, chunk_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += (size_t)n;
        off = (off + (size_t)n) % chunk_len;
      } else if (n < 0 && errno != EAGAIN) {
        closed = 1;
      }
    }
  }
  got[got_len] = '\0';
  close(fd);
  free(chunk);
  if (!closed || sent > bound)
    fail_msg("the receiver read %zu bytes and %s", sent,
             closed ? "closed" : "went on");
  if (strncmp(got, "HTTP/1.1 413", 12) != 0 ||
      strstr(got, "SEGB_ERR_BODY_TOO_LARGE") == NULL)
    fail_msg("got \"%s\"", got);
  assert_int_equal(stop(&rc), 0);
  err = slurp(rc.err);
  assert_non_null(strstr(err, "refused 413"));
  {
    const char *at = strstr(err, "after a 413: ");
    unsigned long long drained;

    assert_non_null(at);
    drained = strtoull(at + strlen("after a 413: "), NULL, 10);
    assert_true(drained > 0 && drained <= 8u << 20);
  }
  free(err);
  cleanup(&rc);
}

/* A sender that writes its whole request before it reads (as Segment's
 * does) reads the 413, not a reset. The body is more than loopback's
 * buffers hold, so the sender is still writing when the 413 comes. */
static void test_long_body_written_first(void **state) {
  enum { MAX = 1536 * 1024, BODY = 4 * MAX };
  const char *argv[] = {SEGB_RECEIVER_BIN, "--port",  "0", "--secret", SECRET,
                        "--max-body",      "1572864", NULL};
  char head[512], got[2048], *body = malloc(BODY);
  receiver rc;
  int fd, rc_send;
  (void)state;

  assert_non_null(body);
  memset(body, ' ', BODY);
  snprintf(head, sizeof head,
           "POST / HTTP/1.1\r\nHost: x\r\n" SIG1
           "\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
           BODY);
  start(&rc, argv);
  fd = dial(&rc, "127.0.0.1");
  assert_int_equal(send_all(fd, head, strlen(head)), 0);
  rc_send = send_all(fd, body, BODY);
  free(body);
  if (rc_send != 0)
    fail_msg("writing the body: %s", strerror(rc_send));
  read_to_close(fd, got, sizeof got);
  close(fd);
  if (strncmp(got, "HTTP/1.1 413", 12) != 0 ||
      strstr(got, "SEGB_ERR_BODY_TOO_LARGE") == NULL)
    fail_msg("got \"%s\"", got);
  assert_int_equal(stop(&rc), 0);
  cleanup(&rc);
}

/* The CLI runs the same server. */
static void test_cli_command(void **state) {
  const char *argv[] = {SEGB_CLI_BIN, "webhook-receiver", "--port",
                        "0",          "--secret",         SECRET,
                        NULL};
  const char *sig_only[] = {SIG1, NULL};
  receiver rc;
  char *out;
  (void)state;

  start(&rc, argv);
  expect(&rc, body1, sig_only, 200, "\"accepted\":1");
  expect(&rc, body1, (const char *[]){NULL}, 401,
         "SEGB_ERR_WEBHOOK_NO_SIGNATURE");
  assert_int_equal(stop(&rc), 0);
  out = slurp(rc.out);
  assert_non_null(strstr(out, "\"messageId\":\"m-1\""));
  free(out);
  cleanup(&rc);
}

/* Without a key or a secret there is nothing to check: a usage error. */
/* The exit status of @argv, its standard error dropped. */
static int usage_status(const char *const *argv) {
  posix_spawn_file_actions_t quiet;
  pid_t pid;
  int status = 0;

  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  assert_int_equal(spawn(&pid, argv, &quiet), 0);
  posix_spawn_file_actions_destroy(&quiet);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void test_needs_credentials(void **state) {
  const char *argv[] = {SEGB_RECEIVER_BIN, "--port", "0", NULL};
  (void)state;

  unsetenv("SEGMENT_WEBHOOK_SECRET");
  unsetenv("SEGMENT_WEBHOOK_API_KEY");
  assert_int_equal(usage_status(argv), 2);
  /* refusing unsigned events means nothing without a secret to check */
  {
    const char *key_only[] = {
        SEGB_RECEIVER_BIN,   "--port", "0", "--api-key", "abc123",
        "--refuse-unsigned", NULL};
    assert_int_equal(usage_status(key_only), 2);
  }
}

/* Limits out of range are usage errors, not silently something else. */
static void test_bad_limits(void **state) {
  static const char *const bad[][2] = {
      {"--max-connections", "0"},
      {"--max-connections", "-1"},
      {"--max-per-ip", "x"},
      {"--header-timeout", "0"},
      {"--idle-timeout", "86401"},
      {"--header-timeout", "18446744073709551617"},
      {"--max-body", "18446744073709551617"},
      {"--body-timeout", "0"}};
  size_t i;
  (void)state;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *argv[] = {SEGB_RECEIVER_BIN, "--port",  "0", "--secret", SECRET,
                          bad[i][0],         bad[i][1], NULL};

    assert_int_equal(usage_status(argv), 2);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_receiver),
      cmocka_unit_test(test_cli_command),
      cmocka_unit_test(test_refuse_unsigned),
      cmocka_unit_test(test_per_ip_limit),
      cmocka_unit_test(test_slow_headers_closed),
      cmocka_unit_test(test_slow_body_closed),
      cmocka_unit_test(test_beyond_fd_setsize),
      cmocka_unit_test(test_low_ulimit),
      cmocka_unit_test(test_endless_chunked_body),
      cmocka_unit_test(test_long_body_written_first),
      cmocka_unit_test(test_needs_credentials),
      cmocka_unit_test(test_bad_limits),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
