#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

/* First allocation: large enough that short messages never regrow. */
#define SBI_BUF_MIN_CAP 64

int sbi_buf_grow(sbi_buf *b, size_t extra) {
  size_t need, cap;
  char *p;

  if (extra > SIZE_MAX - 1 - b->len)
    return SEGB_ERR_NOMEM;
  need = b->len + extra + 1;
  if (need <= b->cap)
    return SEGB_OK;
  cap = b->cap < SBI_BUF_MIN_CAP ? SBI_BUF_MIN_CAP : b->cap;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  p = realloc(b->data, cap);
  if (p == NULL)
    return SEGB_ERR_NOMEM;
  if (b->data == NULL)
    p[0] = '\0';
  b->data = p;
  b->cap = cap;
  return SEGB_OK;
}

void sbi_buf_fit(sbi_buf *b) {
  char *p;

  if (b->data == NULL || b->cap == b->len + 1)
    return;
  /* A new block rather than realloc shrinking this one in place: that
   * leaves a free fragment of an odd size behind, where blocks of the
   * sizes in use come back from the thread's malloc cache. */
  p = malloc(b->len + 1);
  if (p == NULL) /* keeping the larger block is no failure */
    return;
  memcpy(p, b->data, b->len + 1);
  free(b->data);
  b->data = p;
  b->cap = b->len + 1;
}

void sbi_buf_free(sbi_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}
