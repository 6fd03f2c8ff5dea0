/* A fixed-size set of 64-bit keys. The slots are at least twice the keys
 * held, so probes stay short; removal shifts the entries of a probe run
 * back instead of leaving tombstones. */
#include "lanes.h"

#include <segbridge/error.h>

#include <stdlib.h>

/* 0 marks an empty slot: the key 0 is stored as 1, which only orders the
 * users of those two keys together. */
static uint64_t stored(uint64_t key) { return key != 0 ? key : 1; }

static size_t home(const sbi_lanes *l, uint64_t key) {
  return (size_t)((key * 0x9e3779b97f4a7c15u) >> l->shift);
}

int sbi_lanes_init(sbi_lanes *l, size_t most) {
  size_t n = 8;
  int bits = 3;

  while (n < 2 * most) {
    n *= 2;
    bits++;
  }
  l->slots = calloc(n, sizeof *l->slots);
  if (l->slots == NULL)
    return SEGB_ERR_NOMEM;
  l->mask = n - 1;
  l->shift = 64 - bits;
  return SEGB_OK;
}

void sbi_lanes_free(sbi_lanes *l) {
  free(l->slots);
  l->slots = NULL;
}

/* The slot holding @key, or the empty one where it would go. */
static size_t find(const sbi_lanes *l, uint64_t key) {
  size_t i = home(l, key);

  while (l->slots[i] != 0 && l->slots[i] != key)
    i = (i + 1) & l->mask;
  return i;
}

int sbi_lanes_has(const sbi_lanes *l, uint64_t key) {
  return l->slots[find(l, stored(key))] != 0;
}

void sbi_lanes_add(sbi_lanes *l, uint64_t key) {
  key = stored(key);
  l->slots[find(l, key)] = key;
}

void sbi_lanes_remove(sbi_lanes *l, uint64_t key) {
  size_t hole = find(l, stored(key)), j = hole;

  l->slots[hole] = 0;
  for (;;) {
    size_t want;

    j = (j + 1) & l->mask;
    if (l->slots[j] == 0)
      return;
    /* An entry may fill the hole unless its home lies cyclically in
     * (hole, j]: then the hole is not on its probe path. */
    want = home(l, l->slots[j]);
    if (((j - want) & l->mask) >= ((j - hole) & l->mask)) {
      l->slots[hole] = l->slots[j];
      l->slots[j] = 0;
      hole = j;
    }
  }
}
