#include "fork.h"

#include <stdatomic.h>

static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;
/* Objects first, leaves after: the order prepare takes their locks in. */
static sbi_fork_hook objects, leaves;
static atomic_uint generation = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void lock_all(sbi_fork_hook *list) {
  sbi_fork_hook *h;

  for (h = list->next; h != NULL; h = h->next)
    if (h->lock != NULL)
      pthread_mutex_lock(h->lock);
}

/* In reverse, children first when @in_child. */
static void unlock_all(sbi_fork_hook *list, int in_child) {
  sbi_fork_hook *h = list;

  while (h->next != NULL)
    h = h->next;
  for (; h != list; h = h->prev) {
    if (in_child && h->child != NULL)
      h->child(h->ctx);
    if (h->lock != NULL)
      pthread_mutex_unlock(h->lock);
  }
}

static void prepare(void) {
  pthread_mutex_lock(&hooks_lock);
  lock_all(&objects);
  lock_all(&leaves);
}

static void parent(void) {
  unlock_all(&leaves, 0);
  unlock_all(&objects, 0);
  pthread_mutex_unlock(&hooks_lock);
}

static void child(void) {
  atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
  unlock_all(&leaves, 1);
  unlock_all(&objects, 1);
  pthread_mutex_unlock(&hooks_lock);
}

static void register_atfork(void) { pthread_atfork(prepare, parent, child); }

unsigned sbi_fork_generation(void) {
  pthread_once(&atfork_once, register_atfork);
  return atomic_load_explicit(&generation, memory_order_relaxed);
}

void sbi_fork_watch(sbi_fork_hook *h) {
  sbi_fork_hook *list = h->leaf ? &leaves : &objects, *tail = list;

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
