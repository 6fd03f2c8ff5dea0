/* Logging: lines go to the host's segb_log_cb, filtered by log.level and
 * the debug contexts, or nowhere. Callers format only what passes the
 * filter; no line carries a secret or a payload. */
#ifndef SBI_CORE_LOG_H
#define SBI_CORE_LOG_H

#include <segbridge/config.h>

/* Debug contexts, the bits of the debug setting (SBI_DEBUG_* in props.h
 * have the same values). */
#define SBI_LOG_HTTP (1u << 0)
#define SBI_LOG_BATCH (1u << 1)
#define SBI_LOG_AUTH (1u << 2)

typedef struct sbi_logger {
  segb_log_cb *cb; /* NULL: log nothing */
  void *opaque;
  int level;      /* log.level: most verbose level passed on */
  unsigned debug; /* SBI_LOG_* contexts passed on at level 7 */
} sbi_logger;

/* 1 when a line at @level in debug context @debug_bit (0 for none) would
 * reach the callback. */
int sbi_log_enabled(const sbi_logger *l, int level, unsigned debug_bit);

/* Format and pass on one line when enabled; @context names it ("client",
 * "dispatch", "http", "batch", "auth"); the debug contexts' lines pass at
 * level 7 when their bit is set, and only then (log.level 7 alone does not
 * pass them); at other levels log.level decides. Control characters become
 * spaces and a line is cut at 1 000 bytes. @l may be NULL. */
void sbi_log(const sbi_logger *l, int level, const char *context,
             const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
