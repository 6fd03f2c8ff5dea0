/* The libcrypto part of `segbridge demo`: an RSA key made on the spot for
 * its OAuth step, and the HMAC-SHA1 of a webhook body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "demo.h"

/* What a memory BIO holds, as a NUL-terminated copy; NULL when out of
 * memory. */
static char *bio_text(BIO *bio) {
  char *data;
  long len = BIO_get_mem_data(bio, &data);
  char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;

  if (text != NULL) {
    memcpy(text, data, (size_t)len);
    text[len] = '\0';
  }
  return text;
}

int demo_rsa_key(int bits, char **private_pem, char **public_pem) {
  EVP_PKEY *key = EVP_RSA_gen((unsigned)bits);
  BIO *priv = BIO_new(BIO_s_mem());
  BIO *pub = BIO_new(BIO_s_mem());

  *private_pem = *public_pem = NULL;
  if (key != NULL && priv != NULL && pub != NULL &&
      PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL) == 1 &&
      PEM_write_bio_PUBKEY(pub, key) == 1) {
    *private_pem = bio_text(priv);
    *public_pem = bio_text(pub);
  }
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  if (*private_pem != NULL && *public_pem != NULL)
    return 0;
  free(*private_pem);
  free(*public_pem);
  *private_pem = *public_pem = NULL;
  return -1;
}

int demo_hmac_sha1_hex(const char *secret, const char *body, size_t len,
                       char hex[41]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0, i;

  if (HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)body,
           len, mac, &mac_len) == NULL ||
      mac_len != 20)
    return -1;
  for (i = 0; i < mac_len; i++)
    snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return 0;
}
