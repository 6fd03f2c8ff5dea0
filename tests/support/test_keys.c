#include "test_keys.h"

#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

/* @key as PEM text in @form: 1 PKCS#1 (traditional), 8 PKCS#8, 9 PKCS#8
 * encrypted, anything else the public key. NULL on failure. */
static char *pem_of(EVP_PKEY *key, int form) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *data, *s = NULL;
  long n;
  int ok;

  if (bio == NULL)
    return NULL;
  switch (form) {
  case 1:
    ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL,
                                              NULL);
    break;
  case 8:
    ok = PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    break;
  case 9:
    ok = PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), "secret", 6,
                                       NULL, NULL);
    break;
  default:
    ok = PEM_write_bio_PUBKEY(bio, key);
    break;
  }
  n = BIO_get_mem_data(bio, &data);
  if (ok == 1 && n > 0 && (s = malloc((size_t)n + 1)) != NULL) {
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
  }
  BIO_free(bio);
  return s;
}

int segb_test_make_keypair(int bits, segb_test_keypair *out) {
  EVP_PKEY *key = bits > 0 ? EVP_RSA_gen((unsigned)bits) : EVP_EC_gen("P-256");

  memset(out, 0, sizeof *out);
  if (key == NULL)
    return -1;
  out->pkcs1 = pem_of(key, 1);
  out->pkcs8 = pem_of(key, 8);
  out->pkcs8_encrypted = pem_of(key, 9);
  out->public_pem = pem_of(key, 0);
  EVP_PKEY_free(key);
  if (out->pkcs1 == NULL || out->pkcs8 == NULL ||
      out->pkcs8_encrypted == NULL || out->public_pem == NULL) {
    segb_test_keypair_free(out);
    return -1;
  }
  return 0;
}

void segb_test_keypair_free(segb_test_keypair *k) {
  free(k->pkcs1);
  free(k->pkcs8);
  free(k->pkcs8_encrypted);
  free(k->public_pem);
  memset(k, 0, sizeof *k);
}
