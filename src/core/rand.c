#include "rand.h"

#include <errno.h>
#include <sys/random.h>

#include "err.h"
#include "fork.h"

/* A thread whose state was seeded under an older fork generation reseeds
 * before its next draw. */
struct rand_state {
  uint64_t s[4];
  unsigned generation; /* 0: never seeded */
};

static _Thread_local struct rand_state state;

int sbi_random_bytes(void *buf, size_t n) {
  unsigned char *p = buf;

  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return sbi_error(SEGB_ERR_SYSTEM,
                       "getrandom failed (errno %d): no kernel entropy", errno);
    }
    p += got;
    n -= (size_t)got;
  }
  return SEGB_OK;
}

static void reseed(unsigned generation) {
  /* A state of all zeros would only ever produce zeros. */
  do {
    if (sbi_random_bytes(state.s, sizeof state.s) != SEGB_OK) {
      /* Without getrandom fall back to an address- and time-derived seed;
       * identifiers stay unique per thread, just not unpredictable. */
      state.s[0] = (uint64_t)(uintptr_t)&state ^ 0x9E3779B97F4A7C15ULL;
      state.s[1] = (uint64_t)generation * 0xBF58476D1CE4E5B9ULL;
      state.s[2] = (uint64_t)(uintptr_t)&reseed;
      state.s[3] = 0x94D049BB133111EBULL;
    }
  } while ((state.s[0] | state.s[1] | state.s[2] | state.s[3]) == 0);
  state.generation = generation;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sbi_rand64(void) {
  unsigned generation = sbi_fork_generation();
  uint64_t *s = state.s, result, t;

  if (state.generation != generation)
    reseed(generation);

  result = rotl(s[1] * 5, 7) * 9;
  t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}
