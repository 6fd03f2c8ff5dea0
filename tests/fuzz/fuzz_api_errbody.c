/*
 * libFuzzer target for the read APIs' error bodies (api/errbody.c) and the
 * redaction of credentials from what they say (core/secret.c). The first
 * byte sizes the output. An envelope's text fits its buffer, is valid
 * UTF-8 without control bytes, and is "" when the body is no envelope; a
 * msBeforeNext is never negative. After redaction neither the credential
 * nor its base64 is left in the text (nor a secret cut off at its end).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/errbody.h"
#include "core/secret.h"
#include "core/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* base64("tok_fuzz:"), as HTTP Basic sends the token */
#define TOKEN "tok_fuzz"
#define BASIC "dG9rX2Z1eno6"

/* 1 when @text ends with the first 4 or more bytes of @s. */
static int ends_in_start_of(const char *text, const char *s) {
  size_t tlen = strlen(text), n;

  for (n = 4; n <= strlen(s) && n <= tlen; n++)
    if (memcmp(text + tlen - n, s, n) == 0)
      return 1;
  return 0;
}

/* Redact one secret from a copy of @text, then the credential of a Basic
 * line from another: a pass that pushes text off the end may leave there
 * the start of what an earlier pass looked for, never of its own secret. */
static void redact_and_check(const char *text, size_t size) {
  char one[520], all[520];
  size_t n = strlen(text);

  if (size > sizeof one)
    size = sizeof one;
  if (n > size - 1)
    n = size - 1;
  memcpy(one, text, n);
  memcpy(all, text, n);
  one[n] = all[n] = '\0';
  sbi_secret_redact(one, size, TOKEN, strlen(TOKEN));
  if (strlen(one) >= size || strstr(one, TOKEN) != NULL ||
      ends_in_start_of(one, TOKEN))
    abort();
  sbi_secret_redact_auth(all, size, "Authorization: Basic " BASIC);
  if (strlen(all) >= size || strstr(all, TOKEN) != NULL ||
      strstr(all, BASIC) != NULL)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data + 1;
  char out[257], raw[513];
  size_t out_size, len, i;
  int64_t ms = -1;

  if (size == 0)
    return 0;
  out_size = (size_t)data[0] + 1;
  len = size - 1;
  if (sbi_api_error_text(body, len, out, out_size)) {
    size_t n = strlen(out);

    if (n >= out_size || !sbi_utf8_is_valid(out, n))
      abort();
    for (i = 0; i < n; i++)
      if ((unsigned char)out[i] < 0x20 || out[i] == 0x7F)
        abort();
  } else if (out[0] != '\0') {
    abort();
  }
  redact_and_check(out, out_size);
  if (sbi_api_ms_before_next(body, len, &ms) && ms < 0)
    abort();
  /* the redactor on raw bytes, NULs ending the text early */
  if (len > sizeof raw - 1)
    len = sizeof raw - 1;
  memcpy(raw, body, len);
  raw[len] = '\0';
  redact_and_check(raw, out_size + 256);
  return 0;
}
