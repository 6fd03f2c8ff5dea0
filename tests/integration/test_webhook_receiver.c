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

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#if defined(SEGB_RECEIVER_BIN) && defined(SEGB_CLI_BIN)

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
static void test_needs_credentials(void **state) {
  const char *argv[] = {SEGB_RECEIVER_BIN, "--port", "0", NULL};
  posix_spawn_file_actions_t quiet;
  pid_t pid;
  int status = 0;
  (void)state;

  unsetenv("SEGMENT_WEBHOOK_SECRET");
  unsetenv("SEGMENT_WEBHOOK_API_KEY");
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  assert_int_equal(spawn(&pid, argv, &quiet), 0);
  posix_spawn_file_actions_destroy(&quiet);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_receiver),
      cmocka_unit_test(test_cli_command),
      cmocka_unit_test(test_needs_credentials),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}

#else /* built without the examples: nothing to run */

static void test_skipped(void **state) {
  (void)state;
  skip();
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_skipped)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
