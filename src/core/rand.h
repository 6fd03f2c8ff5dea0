/* Random numbers: a fast per-thread generator for identifiers, and the
 * kernel's generator for anything secret. */
#ifndef SBI_CORE_RAND_H
#define SBI_CORE_RAND_H

#include <stddef.h>
#include <stdint.h>

/* 64 random bits from a per-thread xoshiro256** generator seeded by the
 * kernel. Not for secrets: for identifiers that must be unique. A forked
 * child reseeds, so parent and child never repeat each other's values. */
uint64_t sbi_rand64(void);

/* Fill @buf with @n bytes from the kernel (getrandom). SEGB_OK, or
 * SEGB_ERR_SYSTEM when the kernel gives nothing (never silently weak). */
int sbi_random_bytes(void *buf, size_t n);

#endif
