/* Core helpers: the byte buffer, error detail, clock formatting, UUIDs, the
 * random generator across fork, and the secret helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/rand.h"
#include "core/secret.h"
#include "core/uuid.h"

static void test_error_detail(void **state) {
  char longp[600];
  (void)state;

  assert_int_equal(sbi_error(SEGB_ERR_INVALID_VALUE, "bad %s=%d", "x", 3),
                   SEGB_ERR_INVALID_VALUE);
  assert_string_equal(segb_last_error_message(), "bad x=3");
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_VALUE);
  assert_int_equal(sbi_error_prefix(SEGB_ERR_JSON_TYPE, "field"),
                   SEGB_ERR_JSON_TYPE);
  assert_string_equal(segb_last_error_message(), "field: bad x=3");
  assert_int_equal(segb_last_error(), SEGB_ERR_JSON_TYPE);
  /* an over-long prefix is cut, never overflows */
  memset(longp, 'p', sizeof longp - 1);
  longp[sizeof longp - 1] = '\0';
  sbi_error_prefix(SEGB_ERR_JSON_TYPE, longp);
  assert_int_equal(strlen(segb_last_error_message()), SBI_ERR_DETAIL_MAX - 1);
}

/* Detail is per thread: another thread's error does not show here. */
static void *raise_elsewhere(void *arg) {
  (void)arg;
  sbi_error(SEGB_ERR_NOMEM, "other thread");
  return NULL;
}

static void test_error_is_thread_local(void **state) {
  pthread_t t;
  (void)state;

  sbi_error(SEGB_ERR_INVALID_ARG, "mine");
  assert_int_equal(pthread_create(&t, NULL, raise_elsewhere, NULL), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_string_equal(segb_last_error_message(), "mine");
  assert_int_equal(segb_last_error(), SEGB_ERR_INVALID_ARG);
}

static void test_time_format(void **state) {
  static const struct {
    int64_t ms;
    const char *text;
  } cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1776592800123LL, "2026-04-19T10:00:00.123Z"},
      {1776592800999LL, "2026-04-19T10:00:00.999Z"},
      {1776592801000LL, "2026-04-19T10:00:01.000Z"},
      {951782400000LL, "2000-02-29T00:00:00.000Z"},
      {-1, "1969-12-31T23:59:59.999Z"},
      {253402300799999LL, "9999-12-31T23:59:59.999Z"},
      {INT64_MAX, "9999-12-31T23:59:59.999Z"},
      {INT64_MIN, "0000-01-01T00:00:00.000Z"},
  };
  char out[SBI_ISO_MS_LEN + 1];
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sbi_time_format_iso_ms(out, cases[i].ms);
    assert_string_equal(out, cases[i].text);
    assert_true(sbi_time_is_iso8601(out, strlen(out)));
  }
}

static void test_now_is_recent(void **state) {
  (void)state;
  /* after 2026-01-01 and before 2100-01-01 */
  assert_true(sbi_clock_now_ms() > 1767225600000LL);
  assert_true(sbi_clock_now_ms() < 4102444800000LL);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

static void test_uuid(void **state) {
  enum { N = 20000 };
  char(*ids)[SBI_UUID_LEN + 1] = malloc(N * sizeof *ids);
  int i, bits_seen = 0;
  (void)state;

  assert_non_null(ids);
  for (i = 0; i < N; i++) {
    sbi_uuid4(ids[i]);
    assert_int_equal(strlen(ids[i]), 36);
    assert_int_equal(ids[i][14], '4');
    assert_non_null(strchr("89ab", ids[i][19]));
    assert_int_equal(ids[i][8], '-');
    assert_int_equal(ids[i][23], '-');
    bits_seen |=
        1 << (ids[i][0] >= 'a' ? ids[i][0] - 'a' + 10 : ids[i][0] - '0');
  }
  /* every hex digit shows up in the first position */
  assert_int_equal(bits_seen, 0xFFFF);
  qsort(ids, N, sizeof *ids, cmp_str);
  for (i = 1; i < N; i++)
    assert_string_not_equal(ids[i - 1], ids[i]);
  free(ids);
}

/* A forked child must not replay the parent's sequence. */
static void test_rand_reseeds_after_fork(void **state) {
  int fds[2], status;
  uint64_t parent_next, child_next = 0;
  pid_t pid;
  (void)state;

  (void)sbi_rand64(); /* make sure the parent is seeded */
  assert_int_equal(pipe(fds), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    uint64_t v = sbi_rand64();
    _exit(write(fds[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
  }
  parent_next = sbi_rand64();
  assert_int_equal(read(fds[0], &child_next, sizeof child_next),
                   sizeof child_next);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_true(parent_next != child_next);
  close(fds[0]);
  close(fds[1]);
}

static void test_random_bytes(void **state) {
  unsigned char a[32] = {0}, b[32] = {0};
  (void)state;

  assert_int_equal(sbi_random_bytes(a, sizeof a), SEGB_OK);
  assert_int_equal(sbi_random_bytes(b, sizeof b), SEGB_OK);
  assert_memory_not_equal(a, b, sizeof a);
}

static void test_secret_equal(void **state) {
  (void)state;
  assert_true(sbi_secret_equal("abc", 3, "abc", 3));
  assert_false(sbi_secret_equal("abc", 3, "abd", 3));
  assert_false(sbi_secret_equal("abc", 3, "abcd", 4));
  assert_false(sbi_secret_equal("abcabc", 6, "abc", 3));
  assert_false(sbi_secret_equal("", 0, "a", 1));
  assert_true(sbi_secret_equal("", 0, "", 0));
  assert_true(sbi_secret_equal("a\0b", 3, "a\0b", 3));
  assert_false(sbi_secret_equal("a\0b", 3, "a\0c", 3));
}

/* sbi_secret_redact() on a copy of @text in a buffer of @size bytes. */
static const char *redacted(const char *text, size_t size, const char *secret) {
  static char buf[256];

  assert_true(size <= sizeof buf && strlen(text) < size);
  strcpy(buf, text);
  sbi_secret_redact(buf, size, secret, strlen(secret));
  return buf;
}

static void test_secret_redact(void **state) {
  (void)state;
  assert_string_equal(
      redacted("key=k3y-value; again k3y-value.", 64, "k3y-value"),
      "key=[redacted]; again [redacted].");
  /* a secret cut off at the end of an excerpt goes too, from 4 bytes on */
  assert_string_equal(redacted("Basic d2tfOWZK", 64, "d2tfOWZKMmtM"),
                      "Basic [redacted]");
  assert_string_equal(redacted("Basic d2t", 64, "d2tfOWZKMmtM"), "Basic d2t");
  /* short secrets still go wherever they are whole */
  assert_string_equal(redacted("a-b-a", 64, "a"), "[redacted]-b-[redacted]");
  /* the mark is longer than the secret: what no longer fits is cut */
  assert_string_equal(redacted("xy 1234 tail", 16, "1234"), "xy [redacted] t");
  assert_string_equal(redacted("xy 1234", 8, "1234"), "xy [red");
  assert_string_equal(redacted("nothing here", 64, "s3cr3t"), "nothing here");
  assert_string_equal(redacted("", 4, "s3cr3t"), "");
  sbi_secret_redact(NULL, 4, "x", 1);
  assert_string_equal(redacted("abc", 8, ""), "abc");
}

static void test_secret_redact_auth(void **state) {
  char text[256];
  (void)state;
  /* Basic base64("wk_s3cr3t:"): the base64, the pair and the key */
  snprintf(text, sizeof text,
           "sent Authorization: Basic d2tfczNjcjN0Og== as wk_s3cr3t: or "
           "wk_s3cr3t");
  sbi_secret_redact_auth(text, sizeof text,
                         "Authorization: Basic d2tfczNjcjN0Og==");
  assert_string_equal(text, "sent Authorization: Basic [redacted] as "
                            "[redacted] or [redacted]");
  /* a password part goes too */
  snprintf(text, sizeof text, "user:pa55word, pa55word");
  sbi_secret_redact_auth(text, sizeof text,
                         "authorization: basic dXNlcjpwYTU1d29yZA==");
  assert_string_equal(text, "[redacted], [redacted]");
  snprintf(text, sizeof text, "{\"Authorization\":\"Bearer tok.en-42\"}");
  sbi_secret_redact_auth(text, sizeof text, "Authorization: Bearer tok.en-42");
  assert_string_equal(text, "{\"Authorization\":\"Bearer [redacted]\"}");
  /* nothing to redact: no line, no credential */
  snprintf(text, sizeof text, "Bearer tok");
  sbi_secret_redact_auth(text, sizeof text, NULL);
  sbi_secret_redact_auth(text, sizeof text, "");
  sbi_secret_redact_auth(text, sizeof text, "Authorization: Bearer ");
  assert_string_equal(text, "Bearer tok");
}

static void test_secret_wipe(void **state) {
  char buf[16] = "write-key-value";
  char *heap = strdup("token");
  (void)state;

  sbi_secret_wipe(buf, sizeof buf);
  for (size_t i = 0; i < sizeof buf; i++)
    assert_int_equal(buf[i], 0);
  sbi_secret_wipe(NULL, 10);
  sbi_secret_free(heap);
  sbi_secret_free(NULL);
}

/* A buffer grows by doubling; fit gives back the rest and keeps the
 * contents and the NUL; an empty buffer and a fitted one are left alone. */
static void test_buf_fit(void **state) {
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  sbi_buf_fit(&b);
  assert_null(b.data);
  assert_int_equal(sbi_buf_reserve(&b, 384), 0);
  assert_int_equal(sbi_buf_puts(&b, "{\"type\":\"track\"}"), 0);
  assert_true(b.cap > b.len + 1);
  sbi_buf_fit(&b);
  assert_int_equal(b.cap, b.len + 1);
  assert_string_equal(b.data, "{\"type\":\"track\"}");
  sbi_buf_fit(&b);
  assert_int_equal(b.cap, b.len + 1);
  assert_int_equal(sbi_buf_putc(&b, '!'), 0); /* and it grows again */
  assert_string_equal(b.data, "{\"type\":\"track\"}!");
  sbi_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf_fit),
      cmocka_unit_test(test_error_detail),
      cmocka_unit_test(test_error_is_thread_local),
      cmocka_unit_test(test_time_format),
      cmocka_unit_test(test_now_is_recent),
      cmocka_unit_test(test_uuid),
      cmocka_unit_test(test_rand_reseeds_after_fork),
      cmocka_unit_test(test_random_bytes),
      cmocka_unit_test(test_secret_equal),
      cmocka_unit_test(test_secret_wipe),
      cmocka_unit_test(test_secret_redact),
      cmocka_unit_test(test_secret_redact_auth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
