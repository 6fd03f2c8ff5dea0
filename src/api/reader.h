/* The reader's insides, shared by the files of src/api: the reader, its
 * results and pagers. */
#ifndef SBI_API_READER_H
#define SBI_API_READER_H

#include <segbridge/api.h>

#include "api/http.h"
#include "auth/auth.h"
#include "transport/transport.h"

struct segb_reader_s {
  segb_config_t *conf;
  sbi_transport *transport;
  sbi_auth *public_auth;  /* NULL without public_api.token */
  sbi_auth *profile_auth; /* NULL without profile_api.token */
  char *public_base;      /* "https://host[:port][/prefix]", no '/' at end */
  char *profile_base;
  sbi_api_http http;
};

/* Free @r and what it holds (setup.c's sbi_reader_new() builds it),
 * dropping its global reference; its config too when @conf_too. */
void sbi_reader_free(segb_reader_t *r, int conf_too);

/* Where a page's next cursor is. */
typedef enum sbi_cursor_style {
  SBI_CURSOR_NONE,   /* a call without pages */
  SBI_CURSOR_PUBLIC, /* data.pagination.next */
  SBI_CURSOR_PROFILE /* cursor.next while cursor.has_more */
} sbi_cursor_style;

/* GET @url with @auth and turn the 2xx answer into a new result whose
 * data() is at @data_path (e.g. "data.sources"). @missing says what a 404
 * means. SEGB_ERR_BAD_RESPONSE when the body is not JSON or has nothing at
 * @data_path. */
int sbi_reader_get(segb_reader_t *r, sbi_api api, const char *url,
                   const char *missing, const char *data_path,
                   sbi_cursor_style style, segb_result_t **out);

/* Turn the body of @resp (from @url) into a result, as sbi_reader_get(). */
int sbi_result_new(const sbi_http_response *resp, const char *url,
                   const char *data_path, sbi_cursor_style style,
                   segb_result_t **out);

/* Fetch the page at @cursor (NULL: the first) for a pager's @ctx. */
typedef int sbi_page_fn(segb_reader_t *r, const void *ctx, const char *cursor,
                        segb_result_t **out);

/* A pager calling @fetch with @ctx, which it frees with @ctx_free (also
 * when it fails: SEGB_ERR_NOMEM). */
int sbi_pager_new(segb_reader_t *r, sbi_page_fn *fetch, void *ctx,
                  void (*ctx_free)(void *), segb_pager_t **out);

#endif
