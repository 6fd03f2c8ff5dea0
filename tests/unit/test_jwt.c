/* The OAuth signing key and the RS256 client assertion. The JWT is checked
 * independently of the library: its parts are decoded with OpenSSL's base64
 * and parsed with cJSON, and its signature is verified by the openssl
 * command line with the public key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segbridge/error.h>

#include "auth/jwt.h"
#include "core/buf.h"
#include "core/secret.h"
#include "test_keys.h"
#include "tls_cert.h"

static segb_test_keypair rsa2048, rsa1024, ec;

static int setup(void **state) {
  (void)state;
  return segb_test_make_keypair(2048, &rsa2048) ||
         segb_test_make_keypair(1024, &rsa1024) ||
         segb_test_make_keypair(0, &ec);
}

static int teardown(void **state) {
  (void)state;
  segb_test_keypair_free(&rsa2048);
  segb_test_keypair_free(&rsa1024);
  segb_test_keypair_free(&ec);
  return 0;
}

static int load(const char *pem, EVP_PKEY **key) {
  return sbi_rsa_key_load(pem, "test key", key);
}

static void test_loads_pkcs1_and_pkcs8(void **state) {
  EVP_PKEY *a = NULL, *b = NULL;
  (void)state;

  assert_non_null(strstr(rsa2048.pkcs1, "BEGIN RSA PRIVATE KEY"));
  assert_int_equal(load(rsa2048.pkcs1, &a), SEGB_OK);
  assert_non_null(strstr(rsa2048.pkcs8, "BEGIN PRIVATE KEY"));
  assert_int_equal(load(rsa2048.pkcs8, &b), SEGB_OK);
  assert_int_equal(EVP_PKEY_eq(a, b), 1);
  EVP_PKEY_free(a);
  EVP_PKEY_free(b);
}

static void test_loads_file(void **state) {
  char *path = segb_test_temp_file(rsa2048.pkcs8);
  EVP_PKEY *key = NULL;
  (void)state;

  assert_non_null(path);
  assert_int_equal(sbi_rsa_key_load_file(path, &key), SEGB_OK);
  assert_non_null(key);
  EVP_PKEY_free(key);
  unlink(path);
  free(path);
  assert_int_equal(sbi_rsa_key_load_file("/nonexistent/key.pem", &key),
                   SEGB_ERR_KEY_UNREADABLE);
  assert_null(key);
  assert_non_null(strstr(segb_last_error_message(), "/nonexistent/key.pem"));
}

/* Load @path as the key file: it must be refused as KEY_UNREADABLE with
 * @says in the detail, and no key made. */
static void check_file_refused(const char *path, const char *says) {
  EVP_PKEY *key = NULL;

  assert_int_equal(sbi_rsa_key_load_file(path, &key), SEGB_ERR_KEY_UNREADABLE);
  assert_null(key);
  if (strstr(segb_last_error_message(), says) == NULL)
    fail_msg("%s: \"%s\" does not say \"%s\"", path, segb_last_error_message(),
             says);
}

/* Only a regular file of bounded size is read. A FIFO once blocked in
 * open() for a writer that never came; a device would be read forever. */
static void test_key_file_kinds(void **state) {
  char dir[] = "/tmp/segb-keyfile-XXXXXX", path[96], link_path[96];
  char *regular = segb_test_temp_file(rsa2048.pkcs8), *big;
  EVP_PKEY *key = NULL;
  FILE *f;
  (void)state;

  assert_non_null(mkdtemp(dir));
  assert_non_null(regular);
  snprintf(path, sizeof path, "%s/fifo.pem", dir);
  assert_int_equal(mkfifo(path, 0600), 0);
  check_file_refused(path, "is a FIFO, not a regular file");
  unlink(path);
  check_file_refused(dir, "is a directory");
  check_file_refused("/dev/zero", "is a device");
  check_file_refused("/dev/null", "is a device");

  /* A PEM key is a few kilobytes: a huge file is refused before reading. */
  snprintf(path, sizeof path, "%s/huge.pem", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  big = calloc(1, 1 << 20);
  assert_non_null(big);
  assert_int_equal(fwrite(big, 1, 1 << 20, f), 1 << 20);
  assert_int_equal(fclose(f), 0);
  free(big);
  check_file_refused(path, "is over 65536 bytes");
  unlink(path);

  /* A symlink to a regular file is the file. */
  snprintf(link_path, sizeof link_path, "%s/link.pem", dir);
  assert_int_equal(symlink(regular, link_path), 0);
  assert_int_equal(sbi_rsa_key_load_file(link_path, &key), SEGB_OK);
  assert_non_null(key);
  EVP_PKEY_free(key);
  unlink(link_path);
  /* and one to a directory is the directory */
  assert_int_equal(symlink(dir, link_path), 0);
  check_file_refused(link_path, "is a directory");
  unlink(link_path);

  /* An empty file holds no key. */
  snprintf(path, sizeof path, "%s/empty.pem", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fclose(f), 0);
  check_file_refused(path, "is empty");
  unlink(path);

  assert_int_equal(rmdir(dir), 0);
  unlink(regular);
  free(regular);
}

/* Each way of giving the wrong key has its own code; no key text ever
 * shows up in the explanation. */
static void test_bad_keys(void **state) {
  struct {
    const char *pem;
    int code;
    const char *says;
  } cases[] = {
      {rsa1024.pkcs8, SEGB_ERR_KEY_TOO_SMALL, "1024-bit"},
      {rsa1024.pkcs1, SEGB_ERR_KEY_TOO_SMALL, "at least 2048"},
      {rsa2048.public_pem, SEGB_ERR_KEY_NOT_PRIVATE, "PUBLIC KEY"},
      {ec.pkcs8, SEGB_ERR_KEY_NOT_RSA, "EC"},
      {ec.pkcs1, SEGB_ERR_KEY_NOT_RSA, "RSA"},
      {rsa2048.pkcs8_encrypted, SEGB_ERR_KEY_UNREADABLE, "encrypted"},
      {"not a key at all", SEGB_ERR_KEY_UNREADABLE, "not PEM"},
      {"", SEGB_ERR_KEY_UNREADABLE, "empty"},
  };
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    EVP_PKEY *key = (EVP_PKEY *)1;
    assert_int_equal(load(cases[i].pem, &key), cases[i].code);
    assert_null(key);
    assert_int_equal(segb_last_error(), cases[i].code);
    if (strstr(segb_last_error_message(), cases[i].says) == NULL)
      fail_msg("case %zu: \"%s\" does not say \"%s\"", i,
               segb_last_error_message(), cases[i].says);
    assert_null(strstr(segb_last_error_message(), "MII"));
  }
}

static void test_truncated_pem(void **state) {
  size_t cuts[] = {40, strlen(rsa2048.pkcs8) / 2, strlen(rsa2048.pkcs8) - 30};
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    char *cut = strndup(rsa2048.pkcs8, cuts[i]);
    EVP_PKEY *key = NULL;
    assert_int_equal(load(cut, &key), SEGB_ERR_KEY_UNREADABLE);
    assert_null(key);
    free(cut);
  }
}

/* ---- the JWT, checked from outside -------------------------------------- */

/* base64url without padding, decoded by OpenSSL (not by the library). */
static unsigned char *b64url(const char *s, size_t n, size_t *out_len) {
  size_t padded = (n + 3) / 4 * 4, i;
  char *std = malloc(padded + 1);
  unsigned char *out = malloc(padded / 4 * 3 + 1);
  int len;

  assert_non_null(std);
  assert_non_null(out);
  for (i = 0; i < padded; i++) {
    char c = i < n ? s[i] : '=';
    assert_true(c != '+' && c != '/' && (c != '=' || i >= n));
    std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  std[padded] = '\0';
  len = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
  assert_true(len >= 0);
  /* EVP_DecodeBlock counts the padding bytes as zeros */
  *out_len = (size_t)len - (padded - n);
  out[*out_len] = '\0';
  free(std);
  return out;
}

static cJSON *part_json(const char *s, size_t n) {
  size_t len;
  unsigned char *text = b64url(s, n, &len);
  cJSON *j = cJSON_ParseWithLength((const char *)text, len);
  assert_non_null(j);
  free(text);
  return j;
}

static char *write_temp(const void *data, size_t len) {
  char path[] = "/tmp/segb-jwt-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  close(fd);
  return strdup(path);
}

/* `openssl dgst -sha256 -verify` on the signing input; 0 when verified. */
static int openssl_verify(const char *pub_pem, const char *input, size_t len,
                          const unsigned char *sig, size_t sig_len) {
  char *pub = write_temp(pub_pem, strlen(pub_pem));
  char *in = write_temp(input, len);
  char *sg = write_temp(sig, sig_len);
  char cmd[512];
  int rc;

  snprintf(cmd, sizeof cmd,
           "openssl dgst -sha256 -verify %s -signature %s %s >/dev/null 2>&1",
           pub, sg, in);
  rc = system(cmd);
  unlink(pub);
  unlink(in);
  unlink(sg);
  free(pub);
  free(in);
  free(sg);
  return rc;
}

static void sign(const char *pem, const sbi_jwt_claims *c, sbi_buf *out) {
  EVP_PKEY *key = NULL;
  assert_int_equal(load(pem, &key), SEGB_OK);
  assert_int_equal(sbi_jwt_sign(out, key, c), SEGB_OK);
  EVP_PKEY_free(key);
}

static void check_uuid4(const char *s) {
  size_t i;
  assert_int_equal(strlen(s), 36);
  for (i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23)
      assert_int_equal(s[i], '-');
    else
      assert_non_null(strchr("0123456789abcdef", s[i]));
  }
  assert_int_equal(s[14], '4');
  assert_non_null(strchr("89ab", s[19]));
}

static void test_jwt_verified_independently(void **state) {
  const sbi_jwt_claims c = {"key \"1\"", "app-123", "https://oauth2.segment.io",
                            1700000000, 55};
  sbi_buf jwt = SBI_BUF_INIT;
  const char *dot1, *dot2;
  unsigned char *sig;
  size_t sig_len, i;
  cJSON *h, *p;
  (void)state;

  sign(rsa2048.pkcs8, &c, &jwt);
  for (i = 0; i < jwt.len; i++)
    assert_non_null(
        strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789-_.",
               jwt.data[i]));
  dot1 = strchr(jwt.data, '.');
  assert_non_null(dot1);
  dot2 = strchr(dot1 + 1, '.');
  assert_non_null(dot2);
  assert_null(strchr(dot2 + 1, '.'));

  h = part_json(jwt.data, (size_t)(dot1 - jwt.data));
  assert_string_equal(cJSON_GetObjectItem(h, "alg")->valuestring, "RS256");
  assert_string_equal(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT");
  assert_string_equal(cJSON_GetObjectItem(h, "kid")->valuestring, "key \"1\"");
  cJSON_Delete(h);

  p = part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
  assert_string_equal(cJSON_GetObjectItem(p, "iss")->valuestring, "app-123");
  assert_string_equal(cJSON_GetObjectItem(p, "sub")->valuestring, "app-123");
  assert_string_equal(cJSON_GetObjectItem(p, "aud")->valuestring,
                      "https://oauth2.segment.io");
  assert_true(cJSON_GetObjectItem(p, "iat")->valuedouble == 1700000000.0);
  assert_true(cJSON_GetObjectItem(p, "exp")->valuedouble == 1700000055.0);
  check_uuid4(cJSON_GetObjectItem(p, "jti")->valuestring);
  assert_int_equal(cJSON_GetArraySize(p), 6);
  cJSON_Delete(p);

  sig = b64url(dot2 + 1, strlen(dot2 + 1), &sig_len);
  assert_int_equal(sig_len, 256); /* RSA 2048 */
  assert_int_equal(openssl_verify(rsa2048.public_pem, jwt.data,
                                  (size_t)(dot2 - jwt.data), sig, sig_len),
                   0);
  /* the check has teeth: a changed byte fails it */
  jwt.data[5] = jwt.data[5] == 'A' ? 'B' : 'A';
  assert_int_not_equal(openssl_verify(rsa2048.public_pem, jwt.data,
                                      (size_t)(dot2 - jwt.data), sig, sig_len),
                       0);
  free(sig);
  sbi_secret_wipe(jwt.data, jwt.len);
  sbi_buf_free(&jwt);
}

/* A PKCS#1 key signs the same way, and every assertion gets its own jti. */
static void test_jwt_pkcs1_and_fresh_jti(void **state) {
  const sbi_jwt_claims c = {"k", "c", "https://a.example", 1, 55};
  sbi_buf a = SBI_BUF_INIT, b = SBI_BUF_INIT;
  const char *pa, *pb;
  cJSON *ja, *jb;
  (void)state;

  sign(rsa2048.pkcs1, &c, &a);
  sign(rsa2048.pkcs1, &c, &b);
  pa = strchr(a.data, '.') + 1;
  pb = strchr(b.data, '.') + 1;
  ja = part_json(pa, (size_t)(strchr(pa, '.') - pa));
  jb = part_json(pb, (size_t)(strchr(pb, '.') - pb));
  assert_string_not_equal(cJSON_GetObjectItem(ja, "jti")->valuestring,
                          cJSON_GetObjectItem(jb, "jti")->valuestring);
  cJSON_Delete(ja);
  cJSON_Delete(jb);
  sbi_buf_free(&a);
  sbi_buf_free(&b);
}

/* The JWT is appended: what the buffer held stays. */
static void test_jwt_appends(void **state) {
  const sbi_jwt_claims c = {"k", "c", "https://a.example", 1, 55};
  sbi_buf b = SBI_BUF_INIT;
  (void)state;

  assert_int_equal(sbi_buf_puts(&b, "client_assertion="), SEGB_OK);
  sign(rsa2048.pkcs8, &c, &b);
  assert_memory_equal(b.data, "client_assertion=eyJ", 20);
  sbi_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loads_pkcs1_and_pkcs8),
      cmocka_unit_test(test_loads_file),
      cmocka_unit_test(test_key_file_kinds),
      cmocka_unit_test(test_bad_keys),
      cmocka_unit_test(test_truncated_pem),
      cmocka_unit_test(test_jwt_verified_independently),
      cmocka_unit_test(test_jwt_pkcs1_and_fresh_jti),
      cmocka_unit_test(test_jwt_appends),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
