/* The logger: which lines reach the callback (log.level, the debug
 * contexts), and what a line looks like when it gets there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/log.h"

#define LINES_MAX 16

typedef struct recorder {
  int count;
  int level[LINES_MAX];
  char context[LINES_MAX][16];
  char line[LINES_MAX][1100];
  size_t len[LINES_MAX];
} recorder;

static void record(int level, const char *context, const char *line,
                   void *opaque) {
  recorder *r = opaque;

  assert_true(r->count < LINES_MAX);
  r->level[r->count] = level;
  snprintf(r->context[r->count], sizeof r->context[0], "%s", context);
  snprintf(r->line[r->count], sizeof r->line[0], "%s", line);
  r->len[r->count] = strlen(line);
  r->count++;
}

static sbi_logger logger(recorder *r, int level, unsigned debug) {
  sbi_logger l;

  memset(r, 0, sizeof *r);
  l.cb = record;
  l.opaque = r;
  l.level = level;
  l.debug = debug;
  return l;
}

static void test_level_filter(void **state) {
  recorder r;
  sbi_logger l = logger(&r, 6, 0);
  (void)state;

  sbi_log(&l, 3, "client", "error %d", 3);
  sbi_log(&l, 6, "dispatch", "info");
  sbi_log(&l, 7, "client", "debug: filtered");
  assert_int_equal(r.count, 2);
  assert_int_equal(r.level[0], 3);
  assert_string_equal(r.context[0], "client");
  assert_string_equal(r.line[0], "error 3");
  assert_int_equal(r.level[1], 6);
  assert_string_equal(r.context[1], "dispatch");
  assert_string_equal(r.line[1], "info");

  l.level = 0;
  sbi_log(&l, 3, "client", "below 0: filtered");
  sbi_log(&l, 0, "client", "emergency");
  assert_int_equal(r.count, 3);
  assert_string_equal(r.line[2], "emergency");

  assert_true(sbi_log_enabled(&l, 0, 0));
  assert_false(sbi_log_enabled(&l, 1, 0));
}

/* A debug context set passes its lines at 7 whatever log.level says;
 * the others stay filtered. */
static void test_debug_contexts(void **state) {
  recorder r;
  sbi_logger l = logger(&r, 3, SBI_LOG_HTTP | SBI_LOG_AUTH);
  (void)state;

  sbi_log(&l, 7, "http", "POST host/v1/batch -> 200");
  sbi_log(&l, 7, "auth", "token fetched");
  sbi_log(&l, 7, "batch", "batch context not set");
  sbi_log(&l, 7, "client", "no debug bit");
  sbi_log(&l, 7, "dispatch", "no debug bit");
  sbi_log(&l, 6, "client", "info over log.level 3");
  assert_int_equal(r.count, 2);
  assert_string_equal(r.context[0], "http");
  assert_int_equal(r.level[0], 7);
  assert_string_equal(r.context[1], "auth");

  assert_true(sbi_log_enabled(&l, 7, SBI_LOG_HTTP));
  assert_true(sbi_log_enabled(&l, 7, SBI_LOG_AUTH));
  assert_false(sbi_log_enabled(&l, 7, SBI_LOG_BATCH));
  assert_false(sbi_log_enabled(&l, 7, 0));

  /* log.level 7 alone passes level-7 lines without a context only */
  l.level = 7;
  l.debug = 0;
  sbi_log(&l, 7, "client", "debug");
  sbi_log(&l, 7, "http", "context not set");
  assert_int_equal(r.count, 3);
  assert_string_equal(r.context[2], "client");
  /* a debug context's lines at other levels go by log.level */
  l.level = 3;
  sbi_log(&l, 3, "http", "error");
  sbi_log(&l, 6, "auth", "info over 3");
  assert_int_equal(r.count, 4);
  assert_string_equal(r.line[3], "error");

  l.debug = SBI_LOG_BATCH;
  sbi_log(&l, 7, "batch", "now set");
  sbi_log(&l, 7, "http", "now not");
  assert_int_equal(r.count, 5);
  assert_string_equal(r.context[4], "batch");
  assert_string_equal(r.line[4], "now set");
}

/* No callback, no logger: nothing is called. A filtered line is not even
 * formatted: its %n is never written, where a passed line's is. */
static void test_nowhere(void **state) {
  recorder r;
  sbi_logger l = logger(&r, 7, SBI_LOG_HTTP | SBI_LOG_BATCH | SBI_LOG_AUTH);
  int written = -1;
  (void)state;

  l.cb = NULL;
  assert_false(sbi_log_enabled(&l, 0, SBI_LOG_HTTP));
  assert_false(sbi_log_enabled(NULL, 0, SBI_LOG_HTTP));
  sbi_log(&l, 0, "client", "abc%n", &written);
  sbi_log(NULL, 0, "http", "abc%n", &written);
  assert_int_equal(r.count, 0);
  assert_int_equal(written, -1);

  l = logger(&r, 3, SBI_LOG_AUTH);
  sbi_log(&l, 7, "http", "abc%n", &written);
  assert_int_equal(written, -1);
  sbi_log(&l, 7, "auth", "abc%n", &written);
  assert_int_equal(written, 3);
  assert_int_equal(r.count, 1);
}

/* Control characters become spaces: a line stays one line. */
static void test_control_characters(void **state) {
  recorder r;
  sbi_logger l = logger(&r, 7, 0);
  (void)state;

  sbi_log(&l, 6, "client",
          "a\nb\r\tc%sd\x7f"
          "e",
          "\x01\x1f");
  assert_int_equal(r.count, 1);
  assert_string_equal(r.line[0], "a b  c  d e");
  /* UTF-8 passes unchanged */
  sbi_log(&l, 6, "client", "caf\xc3\xa9 \xe2\x82\xac");
  assert_string_equal(r.line[1], "caf\xc3\xa9 \xe2\x82\xac");
}

/* Past 1 000 bytes a line is cut, never inside a UTF-8 character. */
static void test_cut_at_1000(void **state) {
  recorder r;
  sbi_logger l = logger(&r, 7, 0);
  char long_text[2000];
  (void)state;

  memset(long_text, 'a', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  sbi_log(&l, 6, "client", "%s", long_text);
  assert_int_equal(r.len[0], 1000);
  assert_memory_equal(r.line[0], long_text, 1000);

  /* exactly 1 000 bytes pass whole */
  long_text[1000] = '\0';
  sbi_log(&l, 6, "client", "%s", long_text);
  assert_int_equal(r.len[1], 1000);

  /* a two-byte character on bytes 999..1000, which the cut splits, goes
   * whole */
  long_text[999] = '\0';
  sbi_log(&l, 6, "client", "%s\xc3\xa9zzz", long_text);
  assert_int_equal(r.len[2], 999);
  assert_memory_equal(r.line[2], long_text, 999);
  /* one on bytes 998..999 stays whole */
  long_text[998] = '\0';
  sbi_log(&l, 6, "client", "%s\xc3\xa9zzz", long_text);
  assert_int_equal(r.len[3], 1000);
  assert_memory_equal(r.line[3] + 998, "\xc3\xa9", 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_level_filter),
      cmocka_unit_test(test_debug_contexts),
      cmocka_unit_test(test_nowhere),
      cmocka_unit_test(test_control_characters),
      cmocka_unit_test(test_cut_at_1000),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
