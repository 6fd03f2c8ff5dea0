/*
 * Fork safety: a generation that every forked child bumps, and hooks that
 * keep the library's locks consistent across fork(). Before the fork every
 * hooked lock is taken (so no other thread holds one at the instant of the
 * fork); the parent lets them go; the child runs each hook's child
 * function, lock held, then lets them go. Objects recreate what they need
 * lazily, on their next use in the child: the child functions only mark
 * and reset fields, they neither allocate nor free.
 *
 * Lock order: the hook list, then the objects' locks in the order they
 * were hooked, then the leaves'. A hooked lock must never be held while
 * another object lock is taken; a leaf (a process-wide registry) may be
 * taken under an object's lock, but never the other way round, and never
 * the list.
 */
#ifndef SBI_CORE_FORK_H
#define SBI_CORE_FORK_H

#include <pthread.h>

typedef struct sbi_fork_hook {
  pthread_mutex_t *lock;    /* taken across the fork; NULL: none */
  void (*child)(void *ctx); /* in the child, @lock held; NULL: none */
  void *ctx;
  int leaf;
  struct sbi_fork_hook *prev, *next; /* the list's */
} sbi_fork_hook;

/* Watch @h (lock, child, ctx and leaf set; it stays in place) until
 * sbi_fork_unwatch(). Any thread; holds none of the hooked locks. */
void sbi_fork_watch(sbi_fork_hook *h);
void sbi_fork_unwatch(sbi_fork_hook *h);

/* 1 in the first process, bumped in every forked child (once the library
 * has been used: before any hook or generation was asked for, nothing
 * depends on it). Compare with a copy taken earlier to learn that the
 * process is a child forked since. */
unsigned sbi_fork_generation(void);

#endif
