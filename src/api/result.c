/* Results and pagers: a page is a response body, its parsed document, what
 * the call returns and the cursor of the next page; a pager walks a paged
 * call from cursor to cursor, one page at a time, each page once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "core/err.h"
#include "core/json.h"

/* Deeper documents are not Segment's (source settings nest a few levels). */
#define SBI_RESULT_MAX_DEPTH 64

struct segb_result_s {
  char *text; /* the body as received */
  size_t len;
  sbi_json *root;
  const segb_json_t *data;
  const char *next; /* points into root; NULL on the last page */
};

static const segb_json_t *view(const sbi_json *n) {
  return (const segb_json_t *)(const void *)n;
}

/* A non-empty string at @path, or NULL. */
static const char *nonempty(const segb_json_t *v, const char *path) {
  const char *s = segb_json_get_string(v, path);
  return s != NULL && s[0] != '\0' ? s : NULL;
}

static const char *next_cursor(const segb_json_t *root,
                               sbi_cursor_style style) {
  int more;

  if (style == SBI_CURSOR_PUBLIC)
    return nonempty(root, "data.pagination.next");
  if (style == SBI_CURSOR_PROFILE) {
    /* has_more false ends the walk whatever next says */
    if (segb_json_bool(segb_json_get(root, "cursor.has_more"), &more) ==
            SEGB_OK &&
        !more)
      return NULL;
    return nonempty(root, "cursor.next");
  }
  return NULL;
}

/* Parse r->text; SEGB_ERR_BAD_RESPONSE saying how it is broken. */
static int parse(segb_result_t *r, const char *host) {
  char why[128] = "";
  int rc = sbi_json_parse(r->text, r->len, NULL, 0, SBI_RESULT_MAX_DEPTH,
                          &r->root, why, sizeof why);

  if (rc == SEGB_OK || rc == SEGB_ERR_NOMEM)
    return rc == SEGB_OK
               ? rc
               : sbi_error(rc, "out of memory reading a response from %s",
                           host);
  if (r->len == 0)
    return sbi_error(SEGB_ERR_BAD_RESPONSE,
                     "%s answered with an empty body where JSON was due", host);
  /* The parser's words for running out of text: the body was cut. */
  if (strncmp(why, "unexpected end of input", 23) == 0)
    return sbi_error(SEGB_ERR_BAD_RESPONSE,
                     "the response from %s is truncated: its JSON ends "
                     "early, after %zu bytes",
                     host, r->len);
  return sbi_error(SEGB_ERR_BAD_RESPONSE,
                   "the response from %s is not valid JSON: %s", host, why);
}

int sbi_result_new(const sbi_http_response *resp, const char *url,
                   const char *data_path, sbi_cursor_style style,
                   segb_result_t **out) {
  segb_result_t *r;
  char host[128];
  int rc;

  sbi_url_host(url, host, sizeof host);
  if (resp->body.len >= SBI_HTTP_MAX_BODY)
    return sbi_error(SEGB_ERR_BAD_RESPONSE,
                     "the response from %s passed the %d-byte limit and was "
                     "cut: ask for smaller pages",
                     host, SBI_HTTP_MAX_BODY);
  r = calloc(1, sizeof *r);
  if (r == NULL || (r->text = malloc(resp->body.len + 1)) == NULL) {
    free(r);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory reading a response");
  }
  if (resp->body.len > 0)
    memcpy(r->text, resp->body.data, resp->body.len);
  r->text[resp->body.len] = '\0';
  r->len = resp->body.len;
  rc = parse(r, host);
  if (rc == SEGB_OK) {
    r->data = segb_json_get(view(r->root), data_path);
    if (r->data == NULL)
      rc = sbi_error(SEGB_ERR_BAD_RESPONSE, "the response from %s has no %s",
                     host, data_path);
  }
  if (rc != SEGB_OK) {
    segb_result_destroy(r);
    return rc;
  }
  r->next = next_cursor(view(r->root), style);
  *out = r;
  return SEGB_OK;
}

const segb_json_t *segb_result_json(const segb_result_t *r) {
  return r != NULL ? view(r->root) : NULL;
}

const segb_json_t *segb_result_data(const segb_result_t *r) {
  return r != NULL ? r->data : NULL;
}

const char *segb_result_next_cursor(const segb_result_t *r) {
  return r != NULL ? r->next : NULL;
}

const char *segb_result_text(const segb_result_t *r, size_t *len) {
  if (r == NULL)
    return NULL;
  if (len != NULL)
    *len = r->len;
  return r->text;
}

void segb_result_destroy(segb_result_t *r) {
  if (r == NULL)
    return;
  sbi_json_free(r->root);
  free(r->text);
  free(r);
}

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
