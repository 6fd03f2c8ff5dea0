/* Recording the thread-local error detail behind segb_last_error_message(). */
#ifndef SBI_CORE_ERR_H
#define SBI_CORE_ERR_H

#include <segbridge/error.h>

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

/* Prefix the current detail with "prefix: " (e.g. the field being set) and
 * return @code. Used when a lower layer reported the error. */
int sbi_error_prefix(int code, const char *prefix);

#endif
