#include "rand.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/random.h>

#include "err.h"

/* Bumped in every forked child; a thread whose state was seeded under an
 * older generation reseeds before its next draw. */
static atomic_uint fork_generation = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void) { atomic_fetch_add(&fork_generation, 1); }

static void register_atfork(void) { pthread_atfork(NULL, NULL, on_fork_child); }

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
  unsigned generation;
  uint64_t *s = state.s, result, t;

  pthread_once(&atfork_once, register_atfork);
  generation = atomic_load_explicit(&fork_generation, memory_order_relaxed);
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
