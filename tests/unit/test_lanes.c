/* The busy-user set against a plain array, through adds and removals that
 * crowd one probe run, wrap around the table's end and use the key 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <segbridge/error.h>

#include "dispatch/lanes.h"

#define MOST 64

/* The reference: which of the candidate keys are in the set. */
typedef struct model {
  uint64_t keys[4 * MOST];
  int in[4 * MOST];
  size_t count;
} model;

static void check_all(const sbi_lanes *l, const model *m) {
  size_t i;

  for (i = 0; i < sizeof m->keys / sizeof m->keys[0]; i++)
    if (sbi_lanes_has(l, m->keys[i]) != m->in[i])
      fail_msg("key %zu (%llu): set says %d, model %d", i,
               (unsigned long long)m->keys[i], !m->in[i], m->in[i]);
}

static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  return z ^ (z >> 27);
}

/* Small keys (0 among them) and random ones, in a table of 128 slots for
 * at most 64 keys, so probe runs collide and wrap: thousands of random adds
 * and removals keep the set and the model equal, and removing everything
 * empties every slot. */
static void test_lanes_match_model(void **state) {
  uint64_t rng = 42;
  sbi_lanes l;
  model m = {{0}, {0}, 0};
  size_t i, step;
  (void)state;

  assert_int_equal(sbi_lanes_init(&l, MOST), SEGB_OK);
  for (i = 0; i < sizeof m.keys / sizeof m.keys[0]; i++)
    /* 1 is left out: 0 is stored as 1, so the two are one user */
    m.keys[i] = i == 1 ? 17 : i < 16 ? i : next_random(&rng);
  for (step = 0; step < 20000; step++) {
    size_t k = (size_t)(next_random(&rng) % (sizeof m.keys / sizeof m.keys[0]));

    if (m.in[k]) {
      sbi_lanes_remove(&l, m.keys[k]);
      m.in[k] = 0;
      m.count--;
    } else if (m.count < MOST) {
      sbi_lanes_add(&l, m.keys[k]);
      m.in[k] = 1;
      m.count++;
    }
    if (step % 97 == 0)
      check_all(&l, &m);
  }
  check_all(&l, &m);
  for (i = 0; i < sizeof m.keys / sizeof m.keys[0]; i++)
    if (m.in[i]) {
      sbi_lanes_remove(&l, m.keys[i]);
      m.in[i] = 0;
    }
  for (i = 0; i <= l.mask; i++)
    assert_int_equal(l.slots[i], 0);
  sbi_lanes_free(&l);
}

/* The key 0 is a user like any other: added, found, removed. */
static void test_lanes_key_zero(void **state) {
  sbi_lanes l;
  (void)state;

  assert_int_equal(sbi_lanes_init(&l, 1), SEGB_OK);
  assert_false(sbi_lanes_has(&l, 0));
  sbi_lanes_add(&l, 0);
  assert_true(sbi_lanes_has(&l, 0));
  sbi_lanes_remove(&l, 0);
  assert_false(sbi_lanes_has(&l, 0));
  sbi_lanes_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lanes_match_model),
      cmocka_unit_test(test_lanes_key_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
