/* Handling of secrets: wiping and constant-time comparison. */
#ifndef SBI_CORE_SECRET_H
#define SBI_CORE_SECRET_H

#include <stddef.h>

/* Overwrite @n bytes at @p with zeros in a way the compiler cannot drop.
 * Accepts NULL. */
void sbi_secret_wipe(void *p, size_t n);

/* Wipe and free a NUL-terminated secret. Accepts NULL. */
void sbi_secret_free(char *s);

/* 1 when the two byte strings are equal, 0 otherwise. The time taken
 * depends only on the lengths, never on where the bytes differ. */
int sbi_secret_equal(const void *a, size_t a_len, const void *b, size_t b_len);

#endif
