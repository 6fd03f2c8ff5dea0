/* Wall-clock time and its ISO-8601 form. */
#ifndef SBI_CORE_CLOCK_H
#define SBI_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define SBI_ISO_MS_LEN 24

/* Milliseconds since the Unix epoch, UTC. */
int64_t sbi_clock_now_ms(void);

/* Milliseconds of a monotonic clock, for deadlines and waits. */
int64_t sbi_clock_mono_ms(void);

/* Sleep @ms milliseconds (nothing for ms <= 0), resuming after signals. */
void sbi_sleep_ms(int64_t ms);

/* Tests replace the wall clock with @fn; NULL restores the real one. The
 * override is process-wide and meant for tests only. */
void sbi_clock_set_override(int64_t (*fn)(void));

/* Write @epoch_ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" plus a NUL into @out
 * (SBI_ISO_MS_LEN + 1 bytes). Years outside 0..9999 are clamped. */
void sbi_time_format_iso_ms(char *out, int64_t epoch_ms);

/* 1 when @s is an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional
 * fraction of 1 to 9 digits, then Z or +HH:MM / -HH:MM; the date must
 * exist. 0 otherwise. */
int sbi_time_is_iso8601(const char *s, size_t len);

#endif
