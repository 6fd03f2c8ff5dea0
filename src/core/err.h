/* Recording the thread-local error detail behind segb_last_error_message(). */
#ifndef SBI_CORE_ERR_H
#define SBI_CORE_ERR_H

#include <segbridge/error.h>

#include <stddef.h>

/* Largest detail message kept, NUL included. */
#define SBI_ERR_DETAIL_MAX 512

/* Record @code with a printf-style detail for the calling thread and return
 * @code, so a failing path reads `return sbi_error(SEGB_ERR_X, "...", ...);`.
 * Never pass a secret in the detail. */
int sbi_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* sbi_error(), and the same text into the caller's @errstr buffer (when not
 * NULL), the way constructors taking an errstr report failures. */
void sbi_error_errstr(char *errstr, size_t errstr_size, int code,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Prefix the current detail with "prefix: " (e.g. the field being set) and
 * return @code. Used when a lower layer reported the error. */
int sbi_error_prefix(int code, const char *prefix);

#endif
