/*
 * libFuzzer target for loading the OAuth signing key from PEM text
 * (oauth.private_key), arbitrary bytes up to the first NUL as the setting
 * would hold them. A key comes back only when it is RSA of at least
 * SBI_RSA_MIN_BITS; every refusal is one of the documented key errors, with
 * no key, a detail that names the setting, and OpenSSL's error queue left
 * empty. The seeds are throwaway keys made for this corpus only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <segbridge/error.h>

#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WHAT "oauth.private_key"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  EVP_PKEY *key = (EVP_PKEY *)&key; /* must be replaced, by NULL at least */
  char *pem = malloc(size + 1);
  int rc;

  if (pem == NULL)
    return 0;
  memcpy(pem, data, size);
  pem[size] = '\0';
  rc = sbi_rsa_key_load(pem, WHAT, &key);
  if (rc == SEGB_OK) {
    if (key == NULL || !EVP_PKEY_is_a(key, "RSA") ||
        EVP_PKEY_get_bits(key) < SBI_RSA_MIN_BITS)
      abort();
  } else {
    if (key != NULL)
      abort();
    if (rc != SEGB_ERR_KEY_UNREADABLE && rc != SEGB_ERR_KEY_NOT_PRIVATE &&
        rc != SEGB_ERR_KEY_NOT_RSA && rc != SEGB_ERR_KEY_TOO_SMALL &&
        rc != SEGB_ERR_NOMEM)
      abort();
    if (strstr(segb_last_error_message(), WHAT) == NULL)
      abort();
  }
  if (ERR_peek_error() != 0)
    abort();
  EVP_PKEY_free(key);
  free(pem);
  return 0;
}
