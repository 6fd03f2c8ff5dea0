/* Responses: taking in and reading header lines, resetting between
 * requests. */
#include <string.h>
#include <strings.h>

#include <segbridge/error.h>

#include "transport.h"

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Append [p, end) to @out (of @size), stripped of surrounding blanks and
 * joined to what is there by one space; truncates at the end of @out. */
static size_t put_part(char *out, size_t size, size_t used, const char *p,
                       const char *end) {
  size_t n;

  while (p < end && is_blank(*p))
    p++;
  while (end > p && is_blank(end[-1]))
    end--;
  if (p == end || size == 0)
    return used;
  if (used > 0 && used + 1 < size)
    out[used++] = ' ';
  n = (size_t)(end - p);
  if (n > size - 1 - used)
    n = size - 1 - used;
  memcpy(out + used, p, n);
  used += n;
  out[used] = '\0';
  return used;
}

int sbi_http_header(const sbi_http_response *resp, const char *name, char *out,
                    size_t out_size) {
  size_t name_len = strlen(name);
  const char *p = resp->headers.data;
  const char *end;
  int found = 0;
  /* Set while the lines being read continue the matching header. */
  int in_match = 0;
  size_t used = 0;

  if (out_size > 0)
    out[0] = '\0';
  /* Nothing received yet: no arithmetic on a null pointer. */
  if (p == NULL)
    return 0;
  end = p + resp->headers.len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *next = eol != NULL ? eol + 1 : end;

    if (eol == NULL)
      eol = end;
    if (eol > p && eol[-1] == '\r')
      eol--;
    if (is_blank(*p)) {
      /* An obsolete folded line continues the header above it. */
      if (in_match)
        used = put_part(out, out_size, used, p, eol);
    } else {
      const char *colon = memchr(p, ':', (size_t)(eol - p));

      in_match = colon != NULL && (size_t)(colon - p) == name_len &&
                 strncasecmp(p, name, name_len) == 0;
      if (in_match) {
        /* A later duplicate replaces the earlier value. */
        found = 1;
        used = 0;
        if (out_size > 0)
          out[0] = '\0';
        used = put_part(out, out_size, used, colon + 1, eol);
      }
    }
    p = next;
  }
  return found;
}

int sbi_http_take_header_line(sbi_http_response *resp, const char *line,
                              size_t len) {
  sbi_buf *h = &resp->headers;

  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
    len--;
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    sbi_buf_clear(h);
    resp->header_end = 0;
    return SEGB_OK;
  }
  if (len == 0) {
    resp->header_end = 1;
    return SEGB_OK;
  }
  if (h->len + len + 2 > SBI_HTTP_MAX_HEADER_BYTES)
    return SEGB_OK;
  if (sbi_buf_append(h, line, len) != SEGB_OK ||
      sbi_buf_append(h, "\r\n", 2) != SEGB_OK)
    return SEGB_ERR_NOMEM;
  return SEGB_OK;
}

void sbi_http_response_reset(sbi_http_response *resp) {
  resp->status = 0;
  resp->error = SEGB_OK;
  resp->timed_out_by = SBI_LIMIT_NONE;
  resp->header_end = 0;
  resp->error_text[0] = '\0';
  sbi_buf_clear(&resp->headers);
  sbi_buf_clear(&resp->body);
  resp->elapsed_us = 0;
}

void sbi_http_response_free(sbi_http_response *resp) {
  sbi_buf_free(&resp->headers);
  sbi_buf_free(&resp->body);
  sbi_http_response_reset(resp);
}
