/* Public API reads: Get Workspace, Get Source, List Sources
 * (docs/READ_API.md). Responses are {"data": {...}}; lists page with
 * pagination.count and pagination.cursor, and say data.pagination.next. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/pct.h"
#include "api/reader.h"
#include "core/err.h"

/* The documented range of pagination.count and its default. */
#define SBI_SOURCES_COUNT_MAX 1000
#define SBI_SOURCES_COUNT_DEFAULT 200

static int nomem(sbi_buf *url) {
  sbi_buf_free(url);
  return sbi_error(SEGB_ERR_NOMEM, "out of memory building a URL");
}

static int check_out(const segb_reader_t *r, void *out) {
  if (r == NULL || out == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "%s is NULL",
                     r == NULL ? "reader" : "out");
  return SEGB_OK;
}

/* Clear @out and check the arguments every read takes. */
static int begin(const segb_reader_t *r, segb_result_t **out) {
  if (out != NULL)
    *out = NULL;
  return check_out(r, out);
}

/* GET @url (freed here) and take @path of the response into @out. */
static int get(segb_reader_t *r, sbi_buf *url, const char *missing,
               const char *path, sbi_cursor_style style, segb_result_t **out) {
  int rc =
      sbi_reader_get(r, SBI_API_PUBLIC, url->data, missing, path, style, out);

  sbi_buf_free(url);
  return rc;
}

static int check_count(int32_t count) {
  if (count >= 0 && count <= SBI_SOURCES_COUNT_MAX)
    return SEGB_OK;
  return sbi_error(SEGB_ERR_INVALID_ARG,
                   "page size %d is out of range (1-%d, 0 for %d)", (int)count,
                   SBI_SOURCES_COUNT_MAX, SBI_SOURCES_COUNT_DEFAULT);
}

/* What a 404 means where a route of the API should be. */
#define SBI_NO_PUBLIC_API "no Public API at this URL: check public_api.endpoint"

int segb_workspace_get(segb_reader_t *r, segb_result_t **out) {
  sbi_buf url = SBI_BUF_INIT;
  int rc = begin(r, out);

  if (rc != SEGB_OK)
    return rc;
  if (sbi_buf_puts(&url, r->public_base) != SEGB_OK ||
      sbi_buf_putc(&url, '/') != SEGB_OK)
    return nomem(&url);
  return get(r, &url, SBI_NO_PUBLIC_API, "data.workspace", SBI_CURSOR_NONE,
             out);
}

int segb_source_get(segb_reader_t *r, const char *source_id,
                    segb_result_t **out) {
  sbi_buf url = SBI_BUF_INIT;
  char missing[160];
  int rc = begin(r, out);

  if (rc != SEGB_OK)
    return rc;
  if (source_id == NULL || source_id[0] == '\0')
    return sbi_error(SEGB_ERR_INVALID_ARG, "source id is empty");
  if (sbi_dot_segment(source_id))
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "source id \"%s\" is not an id: a path step, no source "
                     "has it",
                     source_id);
  if (sbi_buf_puts(&url, r->public_base) != SEGB_OK ||
      sbi_buf_puts(&url, "/sources/") != SEGB_OK ||
      sbi_pct_append(&url, source_id, strlen(source_id)) != SEGB_OK)
    return nomem(&url);
  snprintf(missing, sizeof missing, "no source %.100s in the workspace",
           source_id);
  return get(r, &url, missing, "data.source", SBI_CURSOR_NONE, out);
}

int segb_sources_list(segb_reader_t *r, int32_t count, const char *cursor,
                      segb_result_t **out) {
  sbi_buf url = SBI_BUF_INIT;
  char n[16];
  int rc = begin(r, out);

  if (rc == SEGB_OK)
    rc = check_count(count);
  if (rc != SEGB_OK)
    return rc;
  /* Some list endpoints refuse a request without pagination: always send
   * the count. */
  snprintf(n, sizeof n, "%d",
           count > 0 ? (int)count : SBI_SOURCES_COUNT_DEFAULT);
  if (sbi_buf_puts(&url, r->public_base) != SEGB_OK ||
      sbi_buf_puts(&url, "/sources") != SEGB_OK ||
      sbi_query_append(&url, "pagination.count", n) != SEGB_OK ||
      (cursor != NULL &&
       sbi_query_append(&url, "pagination.cursor", cursor) != SEGB_OK))
    return nomem(&url);
  return get(r, &url, SBI_NO_PUBLIC_API, "data.sources", SBI_CURSOR_PUBLIC,
             out);
}

static int sources_page(segb_reader_t *r, const void *ctx, const char *cursor,
                        segb_result_t **out) {
  return segb_sources_list(r, *(const int32_t *)ctx, cursor, out);
}

int segb_sources_pager(segb_reader_t *r, int32_t count, segb_pager_t **out) {
  int32_t *ctx;
  int rc;

  if (out != NULL)
    *out = NULL;
  rc = check_out(r, out);
  if (rc == SEGB_OK)
    rc = check_count(count);
  if (rc != SEGB_OK)
    return rc;
  ctx = malloc(sizeof *ctx);
  if (ctx == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory creating a pager");
  *ctx = count;
  return sbi_pager_new(r, sources_page, ctx, free, out);
}
