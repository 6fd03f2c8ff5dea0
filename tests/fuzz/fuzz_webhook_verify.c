/*
 * libFuzzer target for webhook verification. The input is
 * "<Authorization>\n<X-Signature>\n<body>"; a first line of "-" stands for
 * a missing header. Each request goes through a verifier with two keys and
 * two secrets and one with a secret only; the answer must be one of the
 * documented codes, and a request whose signature line is the body's real
 * signature must pass the signature check, and every event of what it
 * parses into must come back covered by that signature.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <segbridge/error.h>
#include <segbridge/webhook.h>

#include "fuzz_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static segb_webhook_t *both, *secret_only;

static void setup(void) {
  both = segb_webhook_new();
  secret_only = segb_webhook_new();
  if (both == NULL || secret_only == NULL ||
      segb_webhook_add_api_key(both, "abc123") != SEGB_OK ||
      segb_webhook_add_api_key(both, "new-key") != SEGB_OK ||
      segb_webhook_add_secret(both, "s3cr3t") != SEGB_OK ||
      segb_webhook_add_secret(both, "new-secret") != SEGB_OK ||
      segb_webhook_add_secret(secret_only, "s3cr3t") != SEGB_OK ||
      segb_webhook_set_option(secret_only, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES,
                              4096) != SEGB_OK)
    abort();
}

static int documented(int rc) {
  switch (rc) {
  case SEGB_OK:
  case SEGB_ERR_BODY_TOO_LARGE:
  case SEGB_ERR_WEBHOOK_NO_AUTH:
  case SEGB_ERR_WEBHOOK_NOT_BASIC:
  case SEGB_ERR_INVALID_BASE64:
  case SEGB_ERR_WEBHOOK_PASSWORD:
  case SEGB_ERR_WEBHOOK_WRONG_KEY:
  case SEGB_ERR_WEBHOOK_NO_SIGNATURE:
  case SEGB_ERR_WEBHOOK_BAD_SIGNATURE:
  case SEGB_ERR_WEBHOOK_WRONG_SIGNATURE:
    return 1;
  default:
    return 0;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0, i;
  char *auth, *sig, real[41];
  segb_webhook_batch_t *b = NULL;
  size_t body_len, n, e;
  int rc;

  if (both == NULL)
    setup();
  auth = fuzz_line(&p, end);
  sig = fuzz_line(&p, end);
  body_len = (size_t)(end - p);
  rc = segb_webhook_verify(both, auth, sig, p, body_len);
  if (!documented(rc))
    abort();
  rc = segb_webhook_verify(secret_only, auth, sig, p, body_len);
  if (!documented(rc) || rc == SEGB_ERR_WEBHOOK_NO_AUTH)
    abort();
  /* The real signature of the whole body always passes. */
  HMAC(EVP_sha1(), "s3cr3t", 6, (const unsigned char *)p, body_len, md,
       &md_len);
  for (i = 0; i < 20; i++)
    snprintf(real + 2 * i, 3, "%02x", md[i]);
  rc = segb_webhook_verify(secret_only, NULL, real, p, body_len);
  if (rc != (body_len > 4096 ? SEGB_ERR_BODY_TOO_LARGE : SEGB_OK))
    abort();
  if (rc == SEGB_OK && segb_webhook_receive(secret_only, NULL, real, p,
                                            body_len, &b) == SEGB_OK) {
    for (n = segb_webhook_batch_count(b), e = 0; e < n; e++)
      if (segb_webhook_event_signed(b, e) != 1)
        abort();
    segb_webhook_batch_destroy(b);
  }
  free(auth);
  free(sig);
  return 0;
}
