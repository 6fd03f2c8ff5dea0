/* The public read-only JSON view over parsed documents. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdint.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/json.h>

#include "core/buf.h"
#include "core/json.h"

static const char doc[] =
    "{\"type\":\"track\",\"n\":42,\"big\":123456789012345678901,"
    "\"neg\":-9223372036854775808,\"pi\":3.25,\"e\":1e3,\"ok\":true,"
    "\"no\":false,\"nil\":null,\"s\":\"a\\u0000b\",\"a.b\":1,"
    "\"items\":[{\"sku\":\"X-1\"},{\"sku\":\"Y-2\",\"qty\":2}],"
    "\"context\":{\"library\":{\"name\":\"analytics.js\"}}}";

static int setup(void **state) {
  sbi_json *root = NULL;
  assert_int_equal(
      sbi_json_parse(doc, sizeof doc - 1, NULL, 0, 64, &root, NULL, 0),
      SEGB_OK);
  *state = root;
  return 0;
}

static int teardown(void **state) {
  sbi_json_free(*state);
  return 0;
}

static const segb_json_t *root_of(void **state) {
  return (const segb_json_t *)*state;
}

static void test_paths_and_types(void **state) {
  const segb_json_t *r = root_of(state);

  assert_int_equal(segb_json_type(r), SEGB_JSON_OBJECT);
  assert_int_equal(segb_json_count(r), 13);
  assert_ptr_equal(segb_json_get(r, ""), r);
  assert_string_equal(segb_json_get_string(r, "type"), "track");
  assert_string_equal(segb_json_get_string(r, "context.library.name"),
                      "analytics.js");
  assert_string_equal(segb_json_get_string(r, "items.1.sku"), "Y-2");
  assert_null(segb_json_get(r, "items.2"));
  assert_null(segb_json_get(r, "items.x"));
  assert_null(segb_json_get(r, "type.x"));
  assert_null(segb_json_get(r, "missing"));
  assert_non_null(segb_json_get(r, "a\\.b"));
  assert_int_equal(segb_json_type(segb_json_get(r, "nil")), SEGB_JSON_NULL);
  assert_int_equal(segb_json_type(segb_json_get(r, "items")), SEGB_JSON_ARRAY);
  assert_int_equal(segb_json_type(NULL), -1);
  assert_null(segb_json_get(NULL, "x"));
  assert_null(segb_json_get(r, NULL));
  assert_string_equal(segb_json_key(segb_json_at(r, 0)), "type");
  assert_null(segb_json_key(segb_json_get(r, "items.0")));
  assert_null(segb_json_at(r, 13));
  assert_int_equal(segb_json_count(segb_json_get(r, "n")), 0);
}

/* first/next visit what at() gives, in order, and end with NULL. */
static void test_iterate(void **state) {
  const segb_json_t *r = root_of(state);
  const segb_json_t *e, *items = segb_json_get(r, "items");
  size_t i = 0;

  for (e = segb_json_first(r); e != NULL; e = segb_json_next(e))
    assert_ptr_equal(e, segb_json_at(r, i++));
  assert_int_equal(i, segb_json_count(r));
  assert_string_equal(segb_json_key(segb_json_first(r)), "type");
  e = segb_json_first(items);
  assert_string_equal(segb_json_get_string(e, "sku"), "X-1");
  assert_null(segb_json_key(e));
  e = segb_json_next(e);
  assert_string_equal(segb_json_get_string(e, "sku"), "Y-2");
  assert_null(segb_json_next(e));
  /* inside a member, next stays inside it */
  assert_string_equal(segb_json_key(segb_json_next(
                          segb_json_first(segb_json_get(r, "items.1")))),
                      "qty");
  assert_null(segb_json_first(segb_json_get(r, "n")));
  assert_null(segb_json_first(segb_json_get(r, "s")));
  assert_null(segb_json_first(NULL));
  assert_null(segb_json_next(r)); /* a root has no sibling */
  assert_null(segb_json_next(NULL));
}

static void test_iterate_empty(void **state) {
  sbi_json *a = NULL, *o = NULL;
  (void)state;

  assert_int_equal(sbi_json_parse("[]", 2, NULL, 0, 8, &a, NULL, 0), SEGB_OK);
  assert_int_equal(sbi_json_parse("{}", 2, NULL, 0, 8, &o, NULL, 0), SEGB_OK);
  assert_null(segb_json_first((const segb_json_t *)a));
  assert_null(segb_json_first((const segb_json_t *)o));
  sbi_json_free(a);
  sbi_json_free(o);
}

/* A page of 100 000 elements, walked the way a host walks a page: every
 * element once, in order (with at() this loop would make 5e9 steps). */
static void test_iterate_large(void **state) {
  enum { N = 100000 };
  sbi_buf text = SBI_BUF_INIT;
  sbi_json *root = NULL;
  const segb_json_t *e;
  int64_t want = 0, got = 0;
  size_t i;
  (void)state;

  assert_int_equal(sbi_buf_putc(&text, '['), SEGB_OK);
  for (i = 0; i < N; i++) {
    char num[SBI_JSON_NUMBER_MAX];
    size_t len = sbi_json_format_int64(num, (int64_t)i);
    if (i > 0)
      assert_int_equal(sbi_buf_putc(&text, ','), SEGB_OK);
    assert_int_equal(sbi_buf_append(&text, num, len), SEGB_OK);
  }
  assert_int_equal(sbi_buf_putc(&text, ']'), SEGB_OK);
  assert_int_equal(
      sbi_json_parse(text.data, text.len, NULL, 0, 8, &root, NULL, 0), SEGB_OK);
  for (e = segb_json_first((const segb_json_t *)root); e != NULL;
       e = segb_json_next(e), want++) {
    assert_int_equal(segb_json_int64(e, &got), SEGB_OK);
    assert_int_equal(got, want);
  }
  assert_int_equal(want, N);
  sbi_json_free(root);
  sbi_buf_free(&text);
}

static void test_scalars(void **state) {
  const segb_json_t *r = root_of(state);
  int64_t i = 0;
  double d = 0;
  int b = -1;
  size_t len = 0;
  const char *s;

  assert_int_equal(segb_json_int64(segb_json_get(r, "n"), &i), SEGB_OK);
  assert_int_equal(i, 42);
  assert_int_equal(segb_json_int64(segb_json_get(r, "neg"), &i), SEGB_OK);
  assert_true(i == INT64_MIN);
  assert_int_equal(segb_json_int64(segb_json_get(r, "big"), &i),
                   SEGB_ERR_INVALID_NUMBER);
  assert_int_equal(segb_json_int64(segb_json_get(r, "pi"), &i),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_json_int64(segb_json_get(r, "type"), &i),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_json_double(segb_json_get(r, "pi"), &d), SEGB_OK);
  assert_true(d == 3.25);
  assert_int_equal(segb_json_double(segb_json_get(r, "e"), &d), SEGB_OK);
  assert_true(d == 1000.0);
  assert_int_equal(segb_json_double(segb_json_get(r, "ok"), &d),
                   SEGB_ERR_JSON_TYPE);
  assert_int_equal(segb_json_bool(segb_json_get(r, "ok"), &b), SEGB_OK);
  assert_int_equal(b, 1);
  assert_int_equal(segb_json_bool(segb_json_get(r, "no"), &b), SEGB_OK);
  assert_int_equal(b, 0);
  assert_int_equal(segb_json_bool(segb_json_get(r, "nil"), &b),
                   SEGB_ERR_JSON_TYPE);
  s = segb_json_string(segb_json_get(r, "s"), &len);
  assert_int_equal(len, 3);
  assert_memory_equal(s, "a\0b", 3);
  assert_null(segb_json_string(segb_json_get(r, "n"), NULL));
}

static void test_text(void **state) {
  const segb_json_t *r = root_of(state);
  size_t len = 0;
  char *t = segb_json_text(segb_json_get(r, "items.1"), &len);

  assert_string_equal(t, "{\"sku\":\"Y-2\",\"qty\":2}");
  assert_int_equal(len, strlen(t));
  segb_free(t);
  t = segb_json_text(r, NULL);
  assert_string_equal(t, doc); /* compact input comes back byte for byte */
  segb_free(t);
  assert_null(segb_json_text(NULL, NULL));
  segb_free(NULL);
}

/* A comma-decimal locale must not change how numbers read. */
static void test_double_ignores_locale(void **state) {
  const segb_json_t *r = root_of(state);
  double d = 0;

  if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL &&
      setlocale(LC_NUMERIC, "fr_FR.UTF-8") == NULL)
    skip();
  assert_int_equal(segb_json_double(segb_json_get(r, "pi"), &d), SEGB_OK);
  setlocale(LC_NUMERIC, "C");
  assert_true(d == 3.25);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_paths_and_types, setup, teardown),
      cmocka_unit_test_setup_teardown(test_iterate, setup, teardown),
      cmocka_unit_test(test_iterate_empty),
      cmocka_unit_test(test_iterate_large),
      cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
      cmocka_unit_test_setup_teardown(test_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_double_ignores_locale, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
