/*
 * libFuzzer target for X-Segment-Settings decoding and the base64 decoder
 * under it. Decoded settings are always an object whose text reads back;
 * base64 the decoder accepts encodes back to itself (padding aside), since
 * it refuses every non-canonical form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/json.h>
#include <segbridge/webhook.h>

#include "core/base64.h"
#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t unpadded(const char *s, size_t len) {
  while (len > 0 && s[len - 1] == '=')
    len--;
  return len;
}

static void check_base64(const char *in, size_t size) {
  sbi_buf raw = SBI_BUF_INIT, again = SBI_BUF_INIT;
  int rc = sbi_base64_decode(in, size, &raw);

  if (rc == SEGB_OK) {
    size_t a, b;

    if (sbi_base64_append(&again, raw.data, raw.len) != SEGB_OK)
      abort();
    a = unpadded(in, size);
    b = unpadded(again.data != NULL ? again.data : "", again.len);
    if (a != b || (a > 0 && memcmp(in, again.data, a) != 0))
      abort();
  } else if (rc != SEGB_ERR_INVALID_BASE64 || raw.len != 0) {
    abort();
  }
  sbi_buf_free(&raw);
  sbi_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  segb_webhook_settings_t *s = NULL;
  int rc;

  check_base64(in, size);
  rc = segb_webhook_settings_decode(NULL, in, size, &s);
  if (rc == SEGB_OK) {
    char *text = segb_json_text(segb_webhook_settings_json(s), NULL);

    if (text == NULL || text[0] != '{' ||
        segb_json_type(segb_webhook_settings_json(s)) != SEGB_JSON_OBJECT)
      abort();
    segb_free(text);
  } else if (s != NULL ||
             (rc != SEGB_ERR_INVALID_BASE64 && rc != SEGB_ERR_INVALID_JSON &&
              rc != SEGB_ERR_INVALID_UTF8 && rc != SEGB_ERR_TOO_DEEP &&
              rc != SEGB_ERR_JSON_TYPE && rc != SEGB_ERR_NOMEM)) {
    abort();
  }
  segb_webhook_settings_destroy(s);
  return 0;
}
