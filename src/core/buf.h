/* A growable byte buffer, always NUL-terminated once anything is in it. */
#ifndef SBI_CORE_BUF_H
#define SBI_CORE_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct sbi_buf {
  char *data;
  size_t len;
  size_t cap; /* bytes allocated; data[len] is always a NUL when data != NULL */
} sbi_buf;

#define SBI_BUF_INIT                                                           \
  { NULL, 0, 0 }

/* Make room for @extra more bytes plus the NUL. SEGB_OK or SEGB_ERR_NOMEM. */
int sbi_buf_grow(sbi_buf *b, size_t extra);

static inline int sbi_buf_reserve(sbi_buf *b, size_t extra) {
  return b->cap - b->len > extra ? 0 : sbi_buf_grow(b, extra);
}

static inline int sbi_buf_append(sbi_buf *b, const void *p, size_t n) {
  int rc = sbi_buf_reserve(b, n);
  if (rc != 0)
    return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static inline int sbi_buf_putc(sbi_buf *b, char c) {
  return sbi_buf_append(b, &c, 1);
}

static inline int sbi_buf_puts(sbi_buf *b, const char *s) {
  return sbi_buf_append(b, s, strlen(s));
}

/* Drop the contents but keep the allocation. */
static inline void sbi_buf_clear(sbi_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

/* Give back the room past the contents (a buffer kept long, such as a
 * queued message's bytes); the contents stay where they were when the
 * allocator cannot move them for less. */
void sbi_buf_fit(sbi_buf *b);

/* Free the allocation and reset to SBI_BUF_INIT. */
void sbi_buf_free(sbi_buf *b);

#endif
