/*
 * Fault injection: a FIFO script first, then seeded random faults. The
 * random draw happens only for unscripted requests, so the n-th unscripted
 * request's fault depends on the seed and n alone.
 */
#include "mock_internal.h"

#include <stdlib.h>

void sbm_faults_init(sbm_faults *f, uint64_t seed, double rate) {
  *f = (sbm_faults){0};
  pthread_mutex_init(&f->lock, NULL);
  f->rng = seed;
  f->rate = rate;
}

void sbm_faults_free(sbm_faults *f) {
  free(f->steps);
  pthread_mutex_destroy(&f->lock);
}

int sbm_faults_add(sbm_faults *f, sbm_fault fault, int count, int arg) {
  if (count <= 0)
    return 0;
  int rc = 0;
  pthread_mutex_lock(&f->lock);
  if (f->head > 0 && f->len == f->cap) {
    /* Reuse the consumed front before growing. */
    for (size_t i = f->head; i < f->len; i++)
      f->steps[i - f->head] = f->steps[i];
    f->len -= f->head;
    f->head = 0;
  }
  if (f->len == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 8;
    sbm_script_step *grown = realloc(f->steps, cap * sizeof *grown);
    if (grown) {
      f->steps = grown;
      f->cap = cap;
    } else {
      rc = -1;
    }
  }
  if (rc == 0)
    f->steps[f->len++] = (sbm_script_step){fault, count, arg};
  pthread_mutex_unlock(&f->lock);
  return rc;
}

/* splitmix64: tiny, fast, and every seed (0 included) gives a good stream. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

sbm_fault sbm_faults_next(sbm_faults *f, int *arg) {
  static const sbm_fault random_faults[] = {SBM_FAULT_500, SBM_FAULT_503,
                                            SBM_FAULT_429, SBM_FAULT_RESET};
  sbm_fault fault = SBM_FAULT_NONE;
  *arg = 0;
  pthread_mutex_lock(&f->lock);
  if (f->head < f->len) {
    sbm_script_step *s = &f->steps[f->head];
    fault = s->fault;
    *arg = s->arg;
    if (--s->left == 0)
      f->head++;
  } else if (f->rate > 0) {
    /* The top 53 bits give a uniform double in [0, 1). */
    double u = (double)(next_random(&f->rng) >> 11) * 0x1.0p-53;
    if (u < f->rate) {
      fault = random_faults[next_random(&f->rng) % 4];
      if (fault == SBM_FAULT_429)
        *arg = 1;
    }
  }
  pthread_mutex_unlock(&f->lock);
  return fault;
}

size_t sbm_faults_pending(sbm_faults *f, double *rate) {
  size_t n = 0;
  pthread_mutex_lock(&f->lock);
  for (size_t i = f->head; i < f->len; i++)
    n += (size_t)f->steps[i].left;
  *rate = f->rate;
  pthread_mutex_unlock(&f->lock);
  return n;
}
