/* Test support: signing keys made on the spot, in every PEM form the OAuth
 * tests feed the library (and the mock). */
#ifndef SEGB_TEST_KEYS_H
#define SEGB_TEST_KEYS_H

typedef struct segb_test_keypair {
  char *pkcs1;           /* "RSA PRIVATE KEY" ("EC PRIVATE KEY" for EC) */
  char *pkcs8;           /* "PRIVATE KEY" */
  char *pkcs8_encrypted; /* "ENCRYPTED PRIVATE KEY", passphrase "secret" */
  char *public_pem;      /* "PUBLIC KEY" (SubjectPublicKeyInfo) */
} segb_test_keypair;

/* A fresh RSA key of @bits, or a P-256 EC key when @bits is 0, in each
 * form. 0 on success; free with segb_test_keypair_free(). */
int segb_test_make_keypair(int bits, segb_test_keypair *out);
void segb_test_keypair_free(segb_test_keypair *k);

#endif
