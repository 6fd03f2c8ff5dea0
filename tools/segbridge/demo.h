/* What `segbridge demo` needs of libcrypto, kept apart (demo_key.c): the
 * throwaway RSA key its OAuth step signs with, and the HMAC-SHA1 signature
 * Segment puts on a webhook. */
#ifndef SEGB_CLI_DEMO_H
#define SEGB_CLI_DEMO_H

#include <stddef.h>

/* A new RSA key of @bits bits as PEM text: the private key (PKCS #8) in
 * *@private_pem, the public key in *@public_pem, both to free(). 0, or -1
 * with both NULL. */
int demo_rsa_key(int bits, char **private_pem, char **public_pem);

/* The lower-case hex HMAC-SHA1 of @body keyed by @secret, as Segment sends
 * it in X-Signature, into @hex. 0, or -1. */
int demo_hmac_sha1_hex(const char *secret, const char *body, size_t len,
                       char hex[41]);

#endif
