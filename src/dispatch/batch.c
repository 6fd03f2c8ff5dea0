#include "batch.h"

#include <segbridge/error.h>

int sbi_batch_open(sbi_buf *out) { return sbi_buf_puts(out, "{\"batch\":["); }

int sbi_batch_add(sbi_buf *out, const char *json, size_t len, int first) {
  int rc = sbi_buf_reserve(out, len + 1);

  if (rc == SEGB_OK && !first)
    rc = sbi_buf_putc(out, ',');
  return rc != SEGB_OK ? rc : sbi_buf_append(out, json, len);
}

int sbi_batch_close(sbi_buf *out, const char *sent_at, const char *members,
                    size_t members_len) {
  int rc = sbi_buf_puts(out, "],\"sentAt\":\"");

  rc = rc ? rc : sbi_buf_puts(out, sent_at);
  rc = rc ? rc : sbi_buf_putc(out, '"');
  rc = rc ? rc : sbi_buf_append(out, members, members_len);
  return rc ? rc : sbi_buf_putc(out, '}');
}
