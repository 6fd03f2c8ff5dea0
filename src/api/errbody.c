/* Reading the error answers of the Public API and the Profile API: their
 * envelopes, msBeforeNext and X-RateLimit-Reset dates; the date is read by
 * the transport's HTTP-date wrapper (curl_getdate()), zone offsets
 * included. */
#include "errbody.h"

#include <segbridge/error.h>
#include <segbridge/json.h>

#include "core/json.h"
#include "core/utf8.h"
#include "transport/retry.h"

/* Error bodies are small and flat; deeper ones are not Segment's. */
#define SBI_ERRBODY_DEPTH 8

/* Larger waits are not believed (about 31 years). */
#define SBI_MS_BEFORE_NEXT_MAX 1e12

static const segb_json_t *view(const sbi_json *n) {
  return (const segb_json_t *)(const void *)n;
}

/* The first error object: errors[0] or error. NULL when neither. */
static const segb_json_t *first_error(const sbi_json *root) {
  const segb_json_t *e = segb_json_get(view(root), "errors.0");

  if (e == NULL)
    e = segb_json_get(view(root), "error");
  return segb_json_type(e) == SEGB_JSON_OBJECT ? e : NULL;
}

/* Append @s to @out (of @size, @used taken) with control bytes as spaces. */
static size_t put_clean(char *out, size_t size, size_t used, const char *s) {
  for (; s != NULL && *s != '\0' && used + 1 < size; s++) {
    unsigned char c = (unsigned char)*s;
    out[used++] = c < 0x20 || c == 0x7F ? ' ' : *s;
  }
  out[used] = '\0';
  return used;
}

int sbi_api_error_text(const char *body, size_t len, char *out, size_t size) {
  const segb_json_t *e;
  const char *type, *msg;
  sbi_json *root = NULL;
  size_t used = 0;

  if (size == 0)
    return 0;
  out[0] = '\0';
  if (body == NULL || sbi_json_parse(body, len, NULL, 0, SBI_ERRBODY_DEPTH,
                                     &root, NULL, 0) != SEGB_OK)
    return 0;
  e = first_error(root);
  if (e == NULL) {
    sbi_json_free(root);
    return 0;
  }
  type = segb_json_get_string(e, "type");
  if (type == NULL)
    type = segb_json_get_string(e, "code");
  msg = segb_json_get_string(e, "message");
  used = put_clean(out, size, used, type);
  if (type != NULL && msg != NULL)
    used = put_clean(out, size, used, ": ");
  used = put_clean(out, size, used, msg);
  /* A cut may have split a character; drop its leading bytes. */
  out[sbi_utf8_valid_prefix(out, used)] = '\0';
  sbi_json_free(root);
  return 1;
}

int sbi_api_ms_before_next(const char *body, size_t len, int64_t *ms) {
  const segb_json_t *e;
  sbi_json *root = NULL;
  int found = 0;
  double d;

  if (body == NULL || sbi_json_parse(body, len, NULL, 0, SBI_ERRBODY_DEPTH,
                                     &root, NULL, 0) != SEGB_OK)
    return 0;
  e = first_error(root);
  /* A fraction of a millisecond rounds up: waking early would be refused. */
  if (segb_json_double(segb_json_get(e, "data.msBeforeNext"), &d) == SEGB_OK &&
      d >= 0 && d < SBI_MS_BEFORE_NEXT_MAX) {
    *ms = (int64_t)d + ((double)(int64_t)d < d);
    found = 1;
  }
  sbi_json_free(root);
  return found;
}

int sbi_api_server_wait(const sbi_http_response *resp, int64_t now_ms,
                        int64_t *wait_ms) {
  char value[64];

  if (sbi_api_ms_before_next(resp->body.data, resp->body.len, wait_ms))
    return 1;
  return sbi_http_header(resp, "X-RateLimit-Reset", value, sizeof value) &&
         sbi_http_date_wait(value, now_ms, wait_ms);
}
