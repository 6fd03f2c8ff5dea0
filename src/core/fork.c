#include "fork.h"

#include <stdatomic.h>

#define RANKS (SBI_FORK_LEAF + 1)

static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;
static sbi_fork_hook lists[RANKS]; /* heads; prepare goes through in order */
static atomic_uint generation = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void prepare(void) {
  int rank;

  pthread_mutex_lock(&hooks_lock);
  for (rank = 0; rank < RANKS; rank++)
    for (sbi_fork_hook *h = lists[rank].next; h != NULL; h = h->next) {
      if (h->lock != NULL)
        pthread_mutex_lock(h->lock);
      if (h->prepare != NULL)
        h->prepare(h->ctx);
    }
}

/* Every hook from the last to the first, its parent's or child's function
 * and then its lock. */
static void release(int in_child) {
  int rank;

  for (rank = RANKS - 1; rank >= 0; rank--) {
    sbi_fork_hook *h = &lists[rank];

    while (h->next != NULL)
      h = h->next;
    for (; h != &lists[rank]; h = h->prev) {
      void (*fn)(void *) = in_child ? h->child : h->parent;

      if (fn != NULL)
        fn(h->ctx);
      if (h->lock != NULL)
        pthread_mutex_unlock(h->lock);
    }
  }
  pthread_mutex_unlock(&hooks_lock);
}

static void parent(void) { release(0); }

static void child(void) {
  atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
  release(1);
}

static void register_atfork(void) { pthread_atfork(prepare, parent, child); }

unsigned sbi_fork_generation(void) {
  pthread_once(&atfork_once, register_atfork);
  return atomic_load_explicit(&generation, memory_order_relaxed);
}

void sbi_fork_watch(sbi_fork_hook *h) {
  sbi_fork_hook *tail = &lists[h->rank];

  pthread_once(&atfork_once, register_atfork);
  pthread_mutex_lock(&hooks_lock);
  while (tail->next != NULL)
    tail = tail->next;
  h->prev = tail;
  h->next = NULL;
  tail->next = h;
  pthread_mutex_unlock(&hooks_lock);
}

void sbi_fork_unwatch(sbi_fork_hook *h) {
  pthread_mutex_lock(&hooks_lock);
  h->prev->next = h->next;
  if (h->next != NULL)
    h->next->prev = h->prev;
  h->prev = h->next = NULL;
  pthread_mutex_unlock(&hooks_lock);
}
