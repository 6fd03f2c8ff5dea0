/* The Test Connection report and its accessors. */
#include "conntest.h"

#include <stdio.h>
#include <stdlib.h>

#include <segbridge/error.h>

typedef struct sbi_check {
  int verdict;
  int err;
  char detail[640];
  char advice[320];
} sbi_check;

struct segb_conntest_s {
  sbi_check dir[SEGB_CHECK_COUNT];
};

segb_conntest_t *sbi_conntest_new(void) {
  segb_conntest_t *t = calloc(1, sizeof *t);
  int i;

  for (i = 0; t != NULL && i < SEGB_CHECK_COUNT; i++)
    t->dir[i].verdict = SEGB_VERDICT_SKIPPED;
  return t;
}

void sbi_conntest_set(segb_conntest_t *t, int direction, int verdict, int err,
                      const char *detail, const char *advice) {
  sbi_check *c = &t->dir[direction];

  c->verdict = verdict;
  c->err = err;
  snprintf(c->detail, sizeof c->detail, "%s", detail);
  snprintf(c->advice, sizeof c->advice, "%s", advice);
}

static const sbi_check *check(const segb_conntest_t *t, int32_t direction) {
  return t != NULL && direction >= 0 && direction < SEGB_CHECK_COUNT
             ? &t->dir[direction]
             : NULL;
}

int segb_conntest_verdict(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->verdict : -1;
}

int segb_conntest_err(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->err : SEGB_ERR_INVALID_ARG;
}

const char *segb_conntest_detail(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->detail : "";
}

const char *segb_conntest_advice(const segb_conntest_t *t, int32_t direction) {
  const sbi_check *c = check(t, direction);
  return c != NULL ? c->advice : "";
}

void segb_conntest_destroy(segb_conntest_t *t) { free(t); }
