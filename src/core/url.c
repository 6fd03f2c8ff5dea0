/* Endpoint URLs: pure string code, so that the property parser (at set
 * time) and the region table (at use) read a URL the same way. */
#include "url.h"

#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>

#include "core/err.h"

static int is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive: @s (of @len bytes) is exactly @word. */
static int same_word(const char *s, size_t len, const char *word) {
  size_t i;

  if (len != strlen(word))
    return 0;
  for (i = 0; i < len; i++)
    if (to_lower(s[i]) != word[i])
      return 0;
  return 1;
}

/* Host name characters: letters, digits, '-', '.', '_'. */
static int host_char_ok(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

/* RFC 3986 pchar or '/': unreserved, sub-delims, ':', '@'; '%' is checked
 * by the caller. */
static int path_char_ok(char c) {
  return is_alpha(c) || is_digit(c) || strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

/* The parts of an endpoint, as spans of the input. */
typedef struct sbi_url_parts {
  const char *scheme; /* "http" or "https" (static) */
  const char *host;
  size_t host_len;
  unsigned port; /* 0: none or the scheme's default */
  const char *path;
  size_t path_len; /* without trailing '/' and /v1 */
} sbi_url_parts;

/* Errors name what is wrong but never quote the URL: a bad URL may hold a
 * credential (user:pass@ or a token in a path), and the detail text is
 * logged. */
static int bad(const char *what) {
  return sbi_error(SEGB_ERR_INVALID_VALUE, "URL %s", what);
}

static int parse_scheme(const char **s, sbi_url_parts *u) {
  const char *p = *s, *sep;
  size_t n;

  /* A scheme is present only when ':' comes before any '/', '?' or '#' and
   * is followed by "//"; "host:8080" is a host and a port. */
  n = strcspn(p, ":/?#");
  sep = p + n;
  if (sep[0] != ':' || sep[1] != '/' || sep[2] != '/') {
    u->scheme = "https";
    return SEGB_OK;
  }
  if (same_word(p, n, "https"))
    u->scheme = "https";
  else if (same_word(p, n, "http"))
    u->scheme = "http";
  else if (n == 0)
    return bad("has :// but no scheme");
  else
    return bad("scheme is not http or https");
  *s = sep + 3;
  return SEGB_OK;
}

static int parse_port(const char *p, size_t len, sbi_url_parts *u) {
  unsigned long v = 0;
  size_t i;

  if (len == 0)
    return bad("has an empty port");
  for (i = 0; i < len; i++) {
    if (!is_digit(p[i]))
      return bad("port is not a number");
    v = v * 10 + (unsigned long)(p[i] - '0');
    if (v > 65535)
      return bad("port is out of range (1-65535)");
  }
  if (v == 0)
    return bad("port is out of range (1-65535)");
  /* The default port is dropped, so :443 and no port give one base. */
  if ((v == 443 && strcmp(u->scheme, "https") == 0) ||
      (v == 80 && strcmp(u->scheme, "http") == 0))
    v = 0;
  u->port = (unsigned)v;
  return SEGB_OK;
}

/* host[:port] or [ipv6][:port], ending at @end. */
static int parse_authority(const char *p, const char *end, sbi_url_parts *u) {
  const char *port = NULL, *q;

  if (memchr(p, '@', (size_t)(end - p)) != NULL)
    return bad("must not hold user:password@ (credentials never go in URLs)");
  if (p < end && *p == '[') {
    for (q = p + 1; q < end && *q != ']'; q++)
      if (!is_hex(*q) && *q != ':' && *q != '.')
        return bad("has a bad IPv6 address");
    if (q == end || q == p + 1)
      return bad("has a bad IPv6 address");
    u->host = p;
    u->host_len = (size_t)(q + 1 - p);
    if (q + 1 < end) {
      if (q[1] != ':')
        return bad("has text after the IPv6 address");
      port = q + 2;
    }
  } else {
    for (q = p; q < end && *q != ':'; q++)
      if (!host_char_ok(*q))
        return bad("host has a character that is not allowed");
    u->host = p;
    u->host_len = (size_t)(q - p);
    if (u->host_len == 0)
      return bad("has an empty host");
    if (q < end)
      port = q + 1;
  }
  u->port = 0;
  return port == NULL ? SEGB_OK : parse_port(port, (size_t)(end - port), u);
}

static int parse_path(const char *p, sbi_url_parts *u) {
  size_t len = strlen(p), i;

  for (i = 0; i < len; i++) {
    if (p[i] == '?' || p[i] == '#')
      return bad("must not have a query or fragment");
    if (p[i] == '%') {
      if (i + 2 >= len || !is_hex(p[i + 1]) || !is_hex(p[i + 2]))
        return bad("path has a '%' that is not followed by two hex digits");
    } else if (!path_char_ok(p[i])) {
      return bad("path has a character that is not allowed");
    }
  }
  /* Trailing slashes, then one trailing /v1, then the slashes before it. */
  while (len > 0 && p[len - 1] == '/')
    len--;
  if (len >= 3 && memcmp(p + len - 3, "/v1", 3) == 0)
    len -= 3;
  while (len > 0 && p[len - 1] == '/')
    len--;
  u->path = p;
  u->path_len = len;
  return SEGB_OK;
}

int sbi_endpoint_normalize(const char *in, sbi_buf *out) {
  sbi_url_parts u = {0};
  const char *p, *end;
  size_t start = out->len, i;
  char port[16];
  int rc;

  if (in == NULL || in[0] == '\0')
    return bad("is empty");
  for (p = in; *p != '\0'; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c == 0x7F)
      return bad("has a space or a control character");
    if (c >= 0x80)
      return bad("has a non-ASCII byte (use punycode or %-encoding)");
  }
  p = in;
  rc = parse_scheme(&p, &u);
  if (rc != SEGB_OK)
    return rc;
  end = p + strcspn(p, "/?#");
  rc = parse_authority(p, end, &u);
  if (rc != SEGB_OK)
    return rc;
  rc = parse_path(end, &u);
  if (rc != SEGB_OK)
    return rc;

  port[0] = '\0';
  if (u.port != 0)
    snprintf(port, sizeof port, ":%u", u.port);
  rc = sbi_buf_puts(out, u.scheme);
  if (rc == SEGB_OK)
    rc = sbi_buf_puts(out, "://");
  if (rc == SEGB_OK) {
    size_t h = out->len;
    rc = sbi_buf_append(out, u.host, u.host_len);
    for (i = h; rc == SEGB_OK && i < out->len; i++)
      out->data[i] = to_lower(out->data[i]);
  }
  if (rc == SEGB_OK)
    rc = sbi_buf_puts(out, port);
  if (rc == SEGB_OK)
    rc = sbi_buf_append(out, u.path, u.path_len);
  if (rc != SEGB_OK) {
    out->len = start;
    if (out->data != NULL)
      out->data[start] = '\0';
    return sbi_error(rc, "out of memory normalizing an endpoint");
  }
  return SEGB_OK;
}
