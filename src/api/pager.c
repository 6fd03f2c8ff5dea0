/* Pagers: walk a paged call one page at a time, each page once. */
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "core/err.h"

struct segb_pager_s {
  segb_reader_t *reader; /* borrowed */
  sbi_page_fn *fetch;
  void *ctx;
  void (*ctx_free)(void *);
  char *cursor; /* of the next page; NULL for the first */
  int done;
};

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
  /* A cursor that comes back would walk the same pages forever. */
  if (p->cursor != NULL && strcmp(next, p->cursor) == 0) {
    segb_result_destroy(res);
    p->done = 1;
    return sbi_error(SEGB_ERR_BAD_RESPONSE,
                     "the server handed back the cursor of the page just "
                     "read; stopped to avoid reading it again");
  }
  copy = strdup(next);
  if (copy == NULL) {
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
  free(p);
}
