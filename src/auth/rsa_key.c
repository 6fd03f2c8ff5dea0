/* Loading the OAuth signing key: PEM text or a file, RSA of at least
 * SBI_RSA_MIN_BITS, each way of getting it wrong with its own error. */
#include "jwt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <segbridge/error.h>

#include "core/err.h"
#include "core/secret.h"

/* Larger than any RSA key file; the oauth.private_key setting has the same
 * bound. */
#define SBI_KEY_FILE_MAX 65536

/* Never prompt for a passphrase: a library must not read the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return 0;
}

/* 1 when @pem has a "-----BEGIN <label>-----" line for @label. */
static int has_block(const char *pem, const char *label) {
  const char *p = pem;
  size_t n = strlen(label);

  while ((p = strstr(p, "-----BEGIN ")) != NULL) {
    p += sizeof "-----BEGIN " - 1;
    if (strncmp(p, label, n) == 0 && strncmp(p + n, "-----", 5) == 0)
      return 1;
  }
  return 0;
}

/* Why PEM text that holds no readable private key was refused. */
static int explain_unreadable(const char *pem, const char *what) {
  static const char *const public_labels[] = {
      "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "TRUSTED CERTIFICATE"};
  size_t i;

  if (has_block(pem, "ENCRYPTED PRIVATE KEY") ||
      strstr(pem, "Proc-Type: 4,ENCRYPTED") != NULL)
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "%s: the private key is encrypted; store it without a "
                     "passphrase (openssl pkey -in KEY -out PLAIN)",
                     what);
  if (has_block(pem, "OPENSSH PRIVATE KEY"))
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "%s: OpenSSH key format; convert it to PEM (ssh-keygen "
                     "-p -m PEM -f KEY)",
                     what);
  if (strstr(pem, "PRIVATE KEY-----") == NULL)
    for (i = 0; i < sizeof public_labels / sizeof public_labels[0]; i++)
      if (has_block(pem, public_labels[i]))
        return sbi_error(SEGB_ERR_KEY_NOT_PRIVATE,
                         "%s holds a %s, not a private key: give the private "
                         "key whose public key was uploaded to the OAuth app",
                         what, public_labels[i]);
  if (strstr(pem, "-----BEGIN ") == NULL)
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "%s is not PEM text (no -----BEGIN line)", what);
  return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                   "%s: malformed or truncated PEM private key", what);
}

/* The key must be able to make RS256 signatures of the required strength. */
static int check_key(EVP_PKEY *key, const char *what) {
  int bits;

  if (!EVP_PKEY_is_a(key, "RSA")) {
    const char *type = EVP_PKEY_get0_type_name(key);
    return sbi_error(SEGB_ERR_KEY_NOT_RSA,
                     "%s is a%s %s key; Segment's OAuth signs with RS256, "
                     "which needs an RSA key",
                     what, type != NULL && strchr("AEIOU", type[0]) ? "n" : "",
                     type != NULL ? type : "non-RSA");
  }
  bits = EVP_PKEY_get_bits(key);
  if (bits < SBI_RSA_MIN_BITS)
    return sbi_error(SEGB_ERR_KEY_TOO_SMALL,
                     "%s is a %d-bit RSA key; at least %d bits are needed",
                     what, bits, SBI_RSA_MIN_BITS);
  return SEGB_OK;
}

int sbi_rsa_key_load(const char *pem, const char *what, EVP_PKEY **out) {
  EVP_PKEY *key = NULL;
  BIO *bio;
  int rc;

  *out = NULL;
  if (pem == NULL || pem[0] == '\0')
    return sbi_error(SEGB_ERR_KEY_UNREADABLE, "%s is empty", what);
  /* A read-only memory BIO reads the caller's text without copying it. */
  bio = BIO_new_mem_buf(pem, -1);
  if (bio == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory reading %s", what);
  key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
  BIO_free(bio);
  /* OpenSSL's reasons stay out of the thread's queue: ours say more. */
  ERR_clear_error();
  rc = key != NULL ? check_key(key, what) : explain_unreadable(pem, what);
  if (rc != SEGB_OK) {
    EVP_PKEY_free(key);
    return rc;
  }
  *out = key;
  return SEGB_OK;
}

/* errno @err as text into @why. */
static void describe_errno(int err, char *why, size_t size) {
  if (strerror_r(err, why, size) != 0)
    snprintf(why, size, "errno %d", err);
}

/* What a file of @mode is, when it is not a regular file. */
static const char *file_kind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode))
    return "a device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "a special file";
}

/* Read all of @fd, a regular file of bounded size, into a NUL-terminated
 * buffer of *@len bytes, which the caller wipes and frees. */
static int read_all(int fd, const char *path, char **text, size_t *len) {
  struct stat st;
  char why[128];
  char *buf;

  if (fstat(fd, &st) != 0) {
    describe_errno(errno, why, sizeof why);
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "cannot read the private key file %s: %s", path, why);
  }
  if (!S_ISREG(st.st_mode))
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "the private key file %s is %s, not a regular file: "
                     "give the path of a PEM file",
                     path, file_kind(st.st_mode));
  if (st.st_size > SBI_KEY_FILE_MAX)
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "%s is over %d bytes: not a PEM key file", path,
                     SBI_KEY_FILE_MAX);
  buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory reading %s", path);
  *len = 0;
  while (*len < (size_t)st.st_size) {
    ssize_t got = read(fd, buf + *len, (size_t)st.st_size - *len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break; /* shrank while being read: parse what there is */
    *len += (size_t)got;
  }
  buf[*len] = '\0';
  *text = buf;
  return SEGB_OK;
}

int sbi_rsa_key_load_file(const char *path, EVP_PKEY **out) {
  char *text = NULL, why[128];
  size_t len = 0;
  int fd, rc;

  *out = NULL;
  /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, before
   * fstat() could tell it is no regular file; O_NOCTTY: a terminal named
   * here must not become the process's controlling terminal. */
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    describe_errno(errno, why, sizeof why);
    return sbi_error(SEGB_ERR_KEY_UNREADABLE,
                     "cannot open the private key file %s: %s", path, why);
  }
  rc = read_all(fd, path, &text, &len);
  close(fd);
  if (rc != SEGB_OK)
    return rc;
  rc = sbi_rsa_key_load(text, path, out);
  sbi_secret_wipe(text, len);
  free(text);
  return rc;
}
