/*
 * RS256 client assertions (RFC 7523) as Segment's OAuth servers want them:
 * the RSA private key that signs them, and the signed JWT itself.
 */
#ifndef SBI_AUTH_JWT_H
#define SBI_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"

/* Shortest RSA modulus accepted, in bits. */
#define SBI_RSA_MIN_BITS 2048

/* Load an RSA private key from NUL-terminated PEM text (PKCS#1 "RSA
 * PRIVATE KEY" or PKCS#8 "PRIVATE KEY"); @what names its source in errors.
 * SEGB_OK and *@out (free with EVP_PKEY_free), or SEGB_ERR_KEY_UNREADABLE
 * (malformed, truncated or encrypted PEM), SEGB_ERR_KEY_NOT_PRIVATE (a
 * public key or certificate), SEGB_ERR_KEY_NOT_RSA, SEGB_ERR_KEY_TOO_SMALL.
 * Encrypted keys are refused without ever prompting for a passphrase. */
int sbi_rsa_key_load(const char *pem, const char *what, EVP_PKEY **out);

/* The same from the file at @path, whose contents are wiped after use. */
int sbi_rsa_key_load_file(const char *path, EVP_PKEY **out);

typedef struct sbi_jwt_claims {
  const char *kid;       /* header "kid": the key ID */
  const char *client_id; /* "iss" and "sub": the OAuth app ID */
  const char *audience;  /* "aud": the authorization server URL */
  int64_t iat;           /* "iat", seconds since the epoch */
  int64_t lifetime_s;    /* "exp" - "iat" */
} sbi_jwt_claims;

/* Append header.claims.signature, each part base64url without padding,
 * signed RSA-SHA256 (PKCS#1 v1.5) with @key; "jti" is a UUID v4 from the
 * kernel's random generator. SEGB_OK, SEGB_ERR_NOMEM, SEGB_ERR_SYSTEM. The
 * JWT is a credential: the caller wipes @out after use. */
int sbi_jwt_sign(sbi_buf *out, EVP_PKEY *key, const sbi_jwt_claims *c);

#endif
