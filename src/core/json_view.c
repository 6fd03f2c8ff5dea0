/* The public read-only view of the internal JSON tree: a segb_json_t is an
 * sbi_json seen through accessors that never change it. */
#include <segbridge/error.h>
#include <segbridge/json.h>

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const sbi_json *node(const segb_json_t *v) {
  return (const sbi_json *)(const void *)v;
}

static const segb_json_t *view(const sbi_json *n) {
  return (const segb_json_t *)(const void *)n;
}

int segb_json_type(const segb_json_t *v) {
  static const int types[] = {[SBI_JSON_NULL] = SEGB_JSON_NULL,
                              [SBI_JSON_FALSE] = SEGB_JSON_FALSE,
                              [SBI_JSON_TRUE] = SEGB_JSON_TRUE,
                              [SBI_JSON_NUMBER] = SEGB_JSON_NUMBER,
                              [SBI_JSON_STRING] = SEGB_JSON_STRING,
                              [SBI_JSON_ARRAY] = SEGB_JSON_ARRAY,
                              [SBI_JSON_OBJECT] = SEGB_JSON_OBJECT};
  return v != NULL ? types[node(v)->type] : -1;
}

size_t segb_json_count(const segb_json_t *v) {
  const sbi_json *n = node(v);
  return n != NULL && (n->type == SBI_JSON_ARRAY || n->type == SBI_JSON_OBJECT)
             ? n->count
             : 0;
}

const segb_json_t *segb_json_at(const segb_json_t *v, size_t i) {
  const sbi_json *c;

  if (segb_json_count(v) <= i)
    return NULL;
  for (c = node(v)->head; i > 0; i--)
    c = c->next;
  return view(c);
}

/* Children are a singly linked list, so a step is one pointer. Nothing is
 * cached in the view: it stays const, and threads may walk it at once. */
const segb_json_t *segb_json_first(const segb_json_t *v) {
  return segb_json_count(v) > 0 ? view(node(v)->head) : NULL;
}

const segb_json_t *segb_json_next(const segb_json_t *v) {
  return v != NULL ? view(node(v)->next) : NULL;
}

const char *segb_json_key(const segb_json_t *v) {
  return v != NULL ? node(v)->key : NULL;
}

const char *segb_json_string(const segb_json_t *v, size_t *len) {
  const sbi_json *n = node(v);

  if (n == NULL || n->type != SBI_JSON_STRING)
    return NULL;
  if (len != NULL)
    *len = n->str_len;
  return n->str;
}

/* One path segment: member @seg of an object, or element @seg (digits) of
 * an array. */
static const sbi_json *step(const sbi_json *n, const char *seg, size_t len) {
  size_t i = 0, k;

  if (n->type == SBI_JSON_OBJECT)
    return sbi_json_get(n, seg, len);
  if (n->type != SBI_JSON_ARRAY || len == 0 || len > 9)
    return NULL;
  for (k = 0; k < len; k++) {
    if (seg[k] < '0' || seg[k] > '9')
      return NULL;
    i = i * 10 + (size_t)(seg[k] - '0');
  }
  return node(segb_json_at(view(n), i));
}

const segb_json_t *segb_json_get(const segb_json_t *v, const char *path) {
  const sbi_json *n = node(v);
  char seg[256];

  if (n == NULL || path == NULL)
    return NULL;
  while (*path != '\0' && n != NULL) {
    size_t len = 0;
    for (; *path != '\0' && *path != '.'; path++) {
      if (*path == '\\' && (path[1] == '.' || path[1] == '\\'))
        path++;
      if (len == sizeof seg)
        return NULL;
      seg[len++] = *path;
    }
    if (*path == '.')
      path++;
    n = step(n, seg, len);
  }
  return view(n);
}

const char *segb_json_get_string(const segb_json_t *v, const char *path) {
  return segb_json_string(segb_json_get(v, path), NULL);
}

int segb_json_int64(const segb_json_t *v, int64_t *out) {
  const sbi_json *n = node(v);
  long long x;

  if (n == NULL || out == NULL || n->type != SBI_JSON_NUMBER ||
      strpbrk(n->str, ".eE") != NULL)
    return SEGB_ERR_JSON_TYPE;
  errno = 0;
  x = strtoll(n->str, NULL, 10);
  if (errno == ERANGE)
    return SEGB_ERR_INVALID_NUMBER;
  *out = x;
  return SEGB_OK;
}

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void) {
  c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int segb_json_double(const segb_json_t *v, double *out) {
  const sbi_json *n = node(v);
  locale_t previous = (locale_t)0;

  if (n == NULL || out == NULL || n->type != SBI_JSON_NUMBER)
    return SEGB_ERR_JSON_TYPE;
  /* JSON numbers use '.', whatever the process's locale says. */
  pthread_once(&c_numeric_once, make_c_numeric);
  if (c_numeric != (locale_t)0)
    previous = uselocale(c_numeric);
  *out = strtod(n->str, NULL);
  if (previous != (locale_t)0)
    uselocale(previous);
  return SEGB_OK;
}

int segb_json_bool(const segb_json_t *v, int *out) {
  const sbi_json *n = node(v);

  if (n == NULL || out == NULL ||
      (n->type != SBI_JSON_TRUE && n->type != SBI_JSON_FALSE))
    return SEGB_ERR_JSON_TYPE;
  *out = n->type == SBI_JSON_TRUE;
  return SEGB_OK;
}

char *segb_json_text(const segb_json_t *v, size_t *len) {
  sbi_buf out = SBI_BUF_INIT;

  if (v == NULL || sbi_json_write(&out, node(v)) != SEGB_OK ||
      out.data == NULL) {
    sbi_buf_free(&out);
    return NULL;
  }
  if (len != NULL)
    *len = out.len;
  return out.data;
}

void segb_free(void *p) { free(p); }
