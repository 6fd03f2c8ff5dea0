/* Pagers: walk a paged call one page at a time, each page once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "core/err.h"

/* A walk that has not ended after this many pages is taken for a server
 * that hands out fresh cursors forever; it also bounds the set below. */
#define SBI_PAGER_MAX_PAGES 1000000

/* The cursors a walk has met, as 64-bit FNV-1a hashes in an open-addressed
 * table (0 marks a free slot): a cursor met again closes a cycle. Two
 * cursors of one walk sharing a hash would end it early, with odds near
 * pages^2 / 2^65. */
typedef struct sbi_cursor_set {
  uint64_t *slot;
  size_t cap, count; /* cap is 0 or a power of two */
} sbi_cursor_set;

struct segb_pager_s {
  segb_reader_t *reader; /* borrowed */
  sbi_page_fn *fetch;
  void *ctx;
  void (*ctx_free)(void *);
  char *cursor; /* of the next page; NULL for the first */
  sbi_cursor_set seen;
  int done;
};

static uint64_t cursor_hash(const char *s) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);

  for (; *s != '\0'; s++)
    h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
  return h != 0 ? h : 1;
}

/* The slot holding @h, or the free slot where it belongs. */
static uint64_t *set_slot(const sbi_cursor_set *set, uint64_t h) {
  size_t i = (size_t)h & (set->cap - 1);

  while (set->slot[i] != 0 && set->slot[i] != h)
    i = (i + 1) & (set->cap - 1);
  return &set->slot[i];
}

static int set_has(const sbi_cursor_set *set, uint64_t h) {
  return set->cap > 0 && *set_slot(set, h) != 0;
}

/* Add @h (not yet in @set), doubling the table past half full. */
static int set_add(sbi_cursor_set *set, uint64_t h) {
  if (2 * (set->count + 1) > set->cap) {
    sbi_cursor_set bigger = {NULL, set->cap > 0 ? 2 * set->cap : 64, 0};
    size_t i;

    bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
    if (bigger.slot == NULL)
      return SEGB_ERR_NOMEM;
    for (i = 0; i < set->cap; i++)
      if (set->slot[i] != 0)
        *set_slot(&bigger, set->slot[i]) = set->slot[i];
    bigger.count = set->count;
    free(set->slot);
    *set = bigger;
  }
  *set_slot(set, h) = h;
  set->count++;
  return SEGB_OK;
}

int sbi_pager_new(segb_reader_t *r, sbi_page_fn *fetch, void *ctx,
                  void (*ctx_free)(void *), segb_pager_t **out) {
  segb_pager_t *p = calloc(1, sizeof *p);

  if (p == NULL) {
    ctx_free(ctx);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory creating a pager");
  }
  p->reader = r;
  p->fetch = fetch;
  p->ctx = ctx;
  p->ctx_free = ctx_free;
  *out = p;
  return SEGB_OK;
}

int segb_pager_next(segb_pager_t *p, segb_result_t **page) {
  segb_result_t *res = NULL;
  const char *next;
  char *copy;
  uint64_t h;
  int rc;

  if (p == NULL || page == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "%s is NULL",
                     p == NULL ? "pager" : "page");
  *page = NULL;
  if (p->done)
    return SEGB_OK;
  rc = p->fetch(p->reader, p->ctx, p->cursor, &res);
  if (rc != SEGB_OK)
    return rc; /* the same page can be asked for again */
  next = segb_result_next_cursor(res);
  if (next == NULL) {
    p->done = 1;
    *page = res;
    return SEGB_OK;
  }
  /* A cursor that comes back, from this page or an earlier one, would
   * walk the same pages again, forever. */
  h = cursor_hash(next);
  if (set_has(&p->seen, h) || p->seen.count >= SBI_PAGER_MAX_PAGES) {
    size_t pages = p->seen.count + 1;

    segb_result_destroy(res);
    p->done = 1;
    if (p->seen.count >= SBI_PAGER_MAX_PAGES)
      return sbi_error(SEGB_ERR_BAD_RESPONSE,
                       "the server's cursors did not end after %zu pages; "
                       "stopped",
                       pages);
    return sbi_error(SEGB_ERR_BAD_RESPONSE,
                     "the server handed back a cursor it gave before, on "
                     "page %zu: its pages run in a cycle; stopped to avoid "
                     "reading them again",
                     pages);
  }
  copy = strdup(next);
  if (copy == NULL || set_add(&p->seen, h) != SEGB_OK) {
    free(copy);
    segb_result_destroy(res);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory keeping a cursor");
  }
  free(p->cursor);
  p->cursor = copy;
  *page = res;
  return SEGB_OK;
}

void segb_pager_destroy(segb_pager_t *p) {
  if (p == NULL)
    return;
  p->ctx_free(p->ctx);
  free(p->cursor);
  free(p->seen.slot);
  free(p);
}
