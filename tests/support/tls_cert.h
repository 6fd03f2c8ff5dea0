/* Test support: a throwaway TLS identity for loopback HTTPS servers. */
#ifndef SEGB_TEST_TLS_CERT_H
#define SEGB_TEST_TLS_CERT_H

/* A fresh self-signed RSA 2048 certificate for 127.0.0.1 and localhost,
 * and its key, as PEM strings the caller frees. 0 on success. */
int segb_test_make_cert(char **cert_pem, char **key_pem);

/* Write @text to a new temporary file; returns its path (the caller frees
 * it and unlinks the file), or NULL. */
char *segb_test_temp_file(const char *text);

#endif
