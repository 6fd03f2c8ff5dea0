/*
 * Fork safety: a generation that every forked child bumps, and hooks that
 * keep the library's locks consistent across fork(). Before the fork every
 * hooked lock is taken (so no other thread holds one at the instant of the
 * fork) and each hook's prepare function runs; the parent runs the parent
 * functions and lets the locks go; the child runs the child functions, then
 * lets them go. Objects recreate what they need lazily, on their next use
 * in the child: the parent and child functions only mark and reset fields,
 * they neither allocate nor free.
 *
 * Lock order: the hook list, then the hooks by rank (drivers, objects,
 * leaves), in each rank in the order they were hooked. A driver's prepare
 * may wait, its lock let go, for a thread that needs an object's or a
 * leaf's lock; an object lock is never held while another hooked lock is
 * taken; a leaf (a process-wide registry) may be taken under a driver's or
 * an object's lock, never the other way round. No hooked lock is held
 * while the list is (sbi_fork_watch()).
 */
#ifndef SBI_CORE_FORK_H
#define SBI_CORE_FORK_H

#include <pthread.h>

typedef enum sbi_fork_rank {
  SBI_FORK_DRIVER, /* a dispatcher: its prepare brings its driver to rest */
  SBI_FORK_OBJECT,
  SBI_FORK_LEAF
} sbi_fork_rank;

typedef struct sbi_fork_hook {
  pthread_mutex_t *lock; /* taken across the fork; NULL: none */
  /* Each with @lock held; NULL: none. */
  void (*prepare)(void *ctx);
  void (*parent)(void *ctx);
  void (*child)(void *ctx);
  void *ctx;
  sbi_fork_rank rank;
  struct sbi_fork_hook *prev, *next; /* the list's */
} sbi_fork_hook;

/* Watch @h (its functions, ctx and rank set; it stays in place) until
 * sbi_fork_unwatch(). Any thread holding none of the hooked locks. */
void sbi_fork_watch(sbi_fork_hook *h);
void sbi_fork_unwatch(sbi_fork_hook *h);

/* 1 in the first process, bumped in every forked child (once the library
 * has been used: before any hook or generation was asked for, nothing
 * depends on it). Compare with a copy taken earlier to learn that the
 * process is a child forked since. */
unsigned sbi_fork_generation(void);

#endif
