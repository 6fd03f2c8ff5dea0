#include "tls_cert.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_ext(X509 *x, int nid, const char *value) {
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  int ok;

  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/* The contents of a memory BIO as a C string; frees the BIO. */
static char *bio_text(BIO *bio) {
  char *data, *s;
  long n = BIO_get_mem_data(bio, &data);

  s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s != NULL) {
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
  }
  BIO_free(bio);
  return s;
}

int segb_test_make_cert(char **cert_pem, char **key_pem) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  X509 *x = X509_new();
  BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
  X509_NAME *name;
  int ok = key != NULL && x != NULL && cb != NULL && kb != NULL;

  if (ok) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, name);
    ok = add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, NID_key_usage,
                 "critical,digitalSignature,keyEncipherment") &&
         add_ext(x, NID_ext_key_usage, "serverAuth") &&
         add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
         X509_sign(x, key, EVP_sha256()) > 0 &&
         PEM_write_bio_X509(cb, x) == 1 &&
         PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1;
  }
  *cert_pem = NULL;
  *key_pem = NULL;
  if (ok) {
    *cert_pem = bio_text(cb);
    *key_pem = bio_text(kb);
  } else {
    BIO_free(cb);
    BIO_free(kb);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return *cert_pem != NULL && *key_pem != NULL ? 0 : -1;
}

char *segb_test_temp_file(const char *text) {
  char path[] = "/tmp/segb-test-XXXXXX";
  size_t len = strlen(text);
  int fd = mkstemp(path);

  if (fd < 0)
    return NULL;
  if (write(fd, text, len) != (ssize_t)len) {
    close(fd);
    unlink(path);
    return NULL;
  }
  close(fd);
  return strdup(path);
}
