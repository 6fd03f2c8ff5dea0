/* Handling of secrets: wiping, constant-time comparison, and redaction from
 * text that came from elsewhere (a server's error body). */
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

/* What a redacted secret reads as. */
#define SBI_REDACTED "[redacted]"

/* Replace every occurrence of the @len bytes at @secret in the
 * NUL-terminated @text (in a buffer of @size bytes) with SBI_REDACTED, and
 * also a start of the secret, 4 bytes or longer, that ends @text, where an
 * excerpt was cut through it. Text pushed past the buffer is cut. */
void sbi_secret_redact(char *text, size_t size, const char *secret, size_t len);

/* Redact from @text the credential of the header line @auth
 * ("Authorization: <scheme> <credential>", as an auth provider wrote it):
 * the credential as sent (a Bearer token, or Basic's base64) and, for
 * Basic, what it decodes to: "user:password", the user (a write key or
 * Profile API token) and the password. NULL or "" redacts nothing. */
void sbi_secret_redact_auth(char *text, size_t size, const char *auth);

#endif
