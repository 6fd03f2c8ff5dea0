/* The statistics callback's JSON, read back with cJSON as the oracle. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdint.h>
#include <string.h>

#include <segbridge/client.h>
#include <segbridge/error.h>

#include "stats.h"

/* Every counter under its name with its value, in segb_stat_t order, and
 * nothing else. */
static void check_json(const char *json, size_t len, const int64_t *values) {
  cJSON *root = cJSON_ParseWithLength(json, len);
  const cJSON *member;
  int i = 0;

  assert_non_null(root);
  assert_true(cJSON_IsObject(root));
  cJSON_ArrayForEach(member, root) {
    assert_true(i < SEGB_STAT__COUNT);
    assert_string_equal(member->string, segb_stat_name(i));
    assert_true(cJSON_IsNumber(member));
    /* cJSON reads numbers as doubles: the values are chosen to fit */
    assert_true(member->valuedouble == (double)values[i]);
    i++;
  }
  assert_int_equal(i, SEGB_STAT__COUNT);
  cJSON_Delete(root);
}

static void test_stats_json(void **state) {
  int64_t values[SEGB_STAT__COUNT];
  sbi_buf out = SBI_BUF_INIT;
  int i;
  (void)state;

  for (i = 0; i < SEGB_STAT__COUNT; i++)
    values[i] = (int64_t)i * 1000 + 1;
  values[SEGB_STAT_LAST_STATUS] = 503;
  values[SEGB_STAT_QUEUED_BYTES] = (int64_t)1 << 52; /* exact in a double */
  values[SEGB_STAT_FILTERED] = 0;
  assert_int_equal(sbi_stats_json(values, &out), SEGB_OK);
  assert_int_equal(strlen(out.data), out.len);
  check_json(out.data, out.len, values);
  assert_memory_equal(out.data, "{\"enqueued\":1,\"delivered\":1001,",
                      strlen("{\"enqueued\":1,\"delivered\":1001,"));
  sbi_buf_free(&out);
}

/* The whole int64 range is written as integers, with no loss. */
static void test_stats_json_extremes(void **state) {
  int64_t values[SEGB_STAT__COUNT] = {0};
  sbi_buf out = SBI_BUF_INIT;
  (void)state;

  values[SEGB_STAT_ENQUEUED] = INT64_MAX;
  values[SEGB_STAT_DELIVERED] = INT64_MIN;
  assert_int_equal(sbi_stats_json(values, &out), SEGB_OK);
  assert_non_null(strstr(out.data, "\"enqueued\":9223372036854775807,"));
  assert_non_null(strstr(out.data, "\"delivered\":-9223372036854775808,"));
  assert_non_null(strstr(out.data, "\"last_status\":0,\"recovered\":0}"));
  sbi_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stats_json),
      cmocka_unit_test(test_stats_json_extremes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
