/* UUID version 4 identifiers (RFC 9562). */
#ifndef SBI_CORE_UUID_H
#define SBI_CORE_UUID_H

#define SBI_UUID_LEN 36

/* Write a random UUID v4 in lowercase 8-4-4-4-12 form plus a NUL into
 * @out (SBI_UUID_LEN + 1 bytes). */
void sbi_uuid4(char *out);

/* The same from the kernel's generator, for identifiers that must not be
 * guessable (a JWT's jti). SEGB_OK or SEGB_ERR_SYSTEM. */
int sbi_uuid4_secure(char *out);

#endif
