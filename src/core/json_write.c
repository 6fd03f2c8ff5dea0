#include "json.h"

#include <stdint.h>
#include <string.h>

#include <segbridge/error.h>

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static int needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

/* Whether any of the eight bytes in @w needs an escape. The "has a byte
 * below n" and "has a zero byte" tests are exact as yes/no answers, also
 * for bytes of 0x80 and above. */
static int word_needs_escape(uint64_t w) {
  uint64_t q = w ^ (ONES * '"');
  uint64_t b = w ^ (ONES * '\\');
  uint64_t ctl = (w - ONES * 0x20) & ~w;

  q = (q - ONES) & ~q;
  b = (b - ONES) & ~b;
  return ((ctl | q | b) & HIGHS) != 0;
}

static size_t skip_safe(const unsigned char *p, size_t i, size_t len) {
  uint64_t w;

  while (len - i >= 8) {
    memcpy(&w, p + i, 8);
    if (word_needs_escape(w))
      break;
    i += 8;
  }
  while (i < len && !needs_escape(p[i]))
    i++;
  return i;
}

static int put_escape(sbi_buf *out, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  char e[6] = {'\\', 'u', '0', '0', 0, 0};

  switch (c) {
  case '"':
    return sbi_buf_append(out, "\\\"", 2);
  case '\\':
    return sbi_buf_append(out, "\\\\", 2);
  case '\b':
    return sbi_buf_append(out, "\\b", 2);
  case '\f':
    return sbi_buf_append(out, "\\f", 2);
  case '\n':
    return sbi_buf_append(out, "\\n", 2);
  case '\r':
    return sbi_buf_append(out, "\\r", 2);
  case '\t':
    return sbi_buf_append(out, "\\t", 2);
  default:
    e[4] = hex[c >> 4];
    e[5] = hex[c & 0xF];
    return sbi_buf_append(out, e, 6);
  }
}

int sbi_json_write_string(sbi_buf *out, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  int rc;

  /* Room for the common case, no escapes, up front. */
  if (len > SIZE_MAX - 2)
    return SEGB_ERR_NOMEM;
  rc = sbi_buf_reserve(out, len + 2);
  if (rc == SEGB_OK)
    rc = sbi_buf_putc(out, '"');
  if (rc != SEGB_OK)
    return rc;
  while (i < len) {
    size_t end = skip_safe(p, i, len);

    if (end > i) {
      rc = sbi_buf_append(out, p + i, end - i);
      if (rc != SEGB_OK)
        return rc;
    }
    if (end == len)
      break;
    rc = put_escape(out, p[end]);
    if (rc != SEGB_OK)
      return rc;
    i = end + 1;
  }
  return sbi_buf_putc(out, '"');
}

int sbi_json_write_members(sbi_buf *out, const sbi_json *obj) {
  const sbi_json *c;
  int rc;

  for (c = obj->head; c != NULL; c = c->next) {
    if (c != obj->head && (rc = sbi_buf_putc(out, ',')) != SEGB_OK)
      return rc;
    rc = sbi_json_write_string(out, c->key, c->key_len);
    if (rc == SEGB_OK)
      rc = sbi_buf_putc(out, ':');
    if (rc == SEGB_OK)
      rc = sbi_json_write(out, c);
    if (rc != SEGB_OK)
      return rc;
  }
  return SEGB_OK;
}

static int write_elements(sbi_buf *out, const sbi_json *arr) {
  const sbi_json *c;
  int rc;

  for (c = arr->head; c != NULL; c = c->next) {
    if (c != arr->head && (rc = sbi_buf_putc(out, ',')) != SEGB_OK)
      return rc;
    rc = sbi_json_write(out, c);
    if (rc != SEGB_OK)
      return rc;
  }
  return SEGB_OK;
}

int sbi_json_write(sbi_buf *out, const sbi_json *node) {
  int rc;

  switch (node->type) {
  case SBI_JSON_NULL:
    return sbi_buf_append(out, "null", 4);
  case SBI_JSON_FALSE:
    return sbi_buf_append(out, "false", 5);
  case SBI_JSON_TRUE:
    return sbi_buf_append(out, "true", 4);
  case SBI_JSON_NUMBER:
    return sbi_buf_append(out, node->str, node->str_len);
  case SBI_JSON_STRING:
    return sbi_json_write_string(out, node->str, node->str_len);
  case SBI_JSON_ARRAY:
    rc = sbi_buf_putc(out, '[');
    if (rc == SEGB_OK)
      rc = write_elements(out, node);
    if (rc == SEGB_OK)
      rc = sbi_buf_putc(out, ']');
    return rc;
  case SBI_JSON_OBJECT:
    rc = sbi_buf_putc(out, '{');
    if (rc == SEGB_OK)
      rc = sbi_json_write_members(out, node);
    if (rc == SEGB_OK)
      rc = sbi_buf_putc(out, '}');
    return rc;
  }
  return SEGB_ERR_INVALID_ARG;
}
