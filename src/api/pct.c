/* Percent-encoding of URL parts and Profile API identifiers. */
#include "pct.h"

#include <string.h>

#include <segbridge/error.h>

#include "core/err.h"
#include "core/utf8.h"

static int is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

static int is_unreserved(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int sbi_pct_append(sbi_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  int rc = SEGB_OK;

  for (i = 0; i < len && rc == SEGB_OK; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[3];

    if (is_unreserved(s[i])) {
      rc = sbi_buf_putc(out, s[i]);
      continue;
    }
    esc[0] = '%';
    esc[1] = hex[c >> 4];
    esc[2] = hex[c & 0x0F];
    rc = sbi_buf_append(out, esc, sizeof esc);
  }
  return rc;
}

int sbi_dot_segment(const char *s) {
  return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

int sbi_query_append(sbi_buf *url, const char *name, const char *value) {
  int has_query = url->data != NULL && memchr(url->data, '?', url->len);
  int rc = sbi_buf_putc(url, has_query ? '&' : '?');

  if (rc == SEGB_OK)
    rc = sbi_buf_puts(url, name);
  if (rc == SEGB_OK)
    rc = sbi_buf_putc(url, '=');
  if (rc == SEGB_OK)
    rc = sbi_pct_append(url, value, strlen(value));
  return rc;
}

static int type_char_ok(char c) {
  return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

int sbi_profile_id_append(sbi_buf *out, const char *id) {
  const char *colon;
  size_t type_len, i;
  int rc;

  if (id == NULL || (colon = strchr(id, ':')) == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "profile identifier must be type:value, e.g. "
                     "user_id:u-42 or email:jane@example.com");
  type_len = (size_t)(colon - id);
  if (type_len == 0)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "profile identifier has no type before ':'");
  for (i = 0; i < type_len; i++)
    if (!type_char_ok(id[i]))
      return sbi_error(SEGB_ERR_INVALID_ARG,
                       "profile identifier type has a character other than "
                       "letters, digits, '_', '.' and '-' at byte %zu",
                       i);
  if (colon[1] == '\0')
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "profile identifier has no value after '%.*s:'",
                     (int)type_len, id);
  if (!sbi_utf8_is_valid(colon + 1, strlen(colon + 1)))
    return sbi_error(SEGB_ERR_INVALID_UTF8,
                     "profile identifier value is not valid UTF-8");
  rc = sbi_buf_append(out, id, type_len + 1);
  if (rc == SEGB_OK)
    rc = sbi_pct_append(out, colon + 1, strlen(colon + 1));
  return rc == SEGB_OK ? rc : sbi_error(rc, "out of memory building a URL");
}

const char *sbi_profile_collection(const char *id) {
  return strncmp(id, "group_id:", 9) == 0 ? "accounts" : "users";
}
