/* Results: a response body, its parsed document, what the call returns
 * and the cursor of the next page. */
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
                     "%s answered with an empty body where JSON was due",
                     host);
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
      rc = sbi_error(SEGB_ERR_BAD_RESPONSE,
                     "the response from %s has no %s", host, data_path);
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
