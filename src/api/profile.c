/* Profile API reads (docs/READ_API.md): a profile's traits, events,
 * external ids and metadata under /v1/spaces/<space>/collections/
 * <users|accounts>/profiles/<type:value>/, paged with `next` and the
 * response's cursor. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/pct.h"
#include "api/reader.h"
#include "config/props.h"
#include "core/err.h"

typedef struct sbi_profile_route {
  const char *segment;   /* last path segment */
  const char *payload;   /* where data() is */
  const char *params[7]; /* the query parameters it takes, NULL-ended */
} sbi_profile_route;

static const sbi_profile_route sbi_profile_routes[] = {
    [SEGB_PROFILE_TRAITS] = {"traits",
                             "traits",
                             {"limit", "include", "class", "verbose"}},
    [SEGB_PROFILE_EVENTS] = {"events",
                             "data",
                             {"start", "end", "include", "exclude", "limit",
                              "sort"}},
    [SEGB_PROFILE_EXTERNAL_IDS] = {"external_ids",
                                   "data",
                                   {"include", "limit", "verbose"}},
    [SEGB_PROFILE_METADATA] = {"metadata", "metadata", {"verbose"}},
};

#define SBI_PROFILE_ROUTES                                                     \
  (sizeof sbi_profile_routes / sizeof sbi_profile_routes[0])

static int known(const sbi_profile_route *route, const char *name) {
  size_t i;

  for (i = 0; route->params[i] != NULL; i++)
    if (strcmp(route->params[i], name) == 0)
      return 1;
  return 0;
}

/* "limit" must be a positive whole number; the server checks the range,
 * which differs by route. */
static int limit_ok(const char *v) {
  size_t i;

  for (i = 0; v[i] != '\0'; i++)
    if (v[i] < '0' || v[i] > '9')
      return 0;
  return i > 0 && i < 10 && strspn(v, "0") < i;
}

static int check_params(const sbi_profile_route *route,
                        const char *const *params) {
  size_t i;

  for (i = 0; params != NULL && params[i] != NULL; i += 2) {
    if (params[i + 1] == NULL)
      return sbi_error(SEGB_ERR_INVALID_ARG,
                       "%s: parameter %.64s has no value (params are name, "
                       "value pairs ending in NULL)",
                       route->segment, params[i]);
    if (!known(route, params[i]))
      return sbi_error(SEGB_ERR_INVALID_ARG, "%s: unknown parameter \"%.64s\"",
                       route->segment, params[i]);
    if (strcmp(params[i], "limit") == 0 && !limit_ok(params[i + 1]))
      return sbi_error(SEGB_ERR_INVALID_ARG,
                       "%s: limit \"%.32s\" is not a positive whole number",
                       route->segment, params[i + 1]);
  }
  return SEGB_OK;
}

static int build_url(const segb_reader_t *r, const sbi_profile_route *route,
                     const char *space, const char *id,
                     const char *const *params, const char *cursor,
                     sbi_buf *url) {
  size_t i;
  int rc = sbi_buf_puts(url, r->profile_base);

  rc = rc ? rc : sbi_buf_puts(url, "/v1/spaces/");
  rc = rc ? rc : sbi_pct_append(url, space, strlen(space));
  rc = rc ? rc : sbi_buf_puts(url, "/collections/");
  rc = rc ? rc : sbi_buf_puts(url, sbi_profile_collection(id));
  rc = rc ? rc : sbi_buf_puts(url, "/profiles/");
  if (rc != SEGB_OK)
    return sbi_error(rc, "out of memory building a URL");
  rc = sbi_profile_id_append(url, id);
  if (rc != SEGB_OK)
    return rc;
  rc = sbi_buf_putc(url, '/');
  rc = rc ? rc : sbi_buf_puts(url, route->segment);
  for (i = 0; rc == SEGB_OK && params != NULL && params[i] != NULL; i += 2)
    rc = sbi_query_append(url, params[i], params[i + 1]);
  if (rc == SEGB_OK && cursor != NULL)
    rc = sbi_query_append(url, "next", cursor);
  return rc == SEGB_OK ? rc : sbi_error(rc, "out of memory building a URL");
}

static int check_call(const segb_reader_t *r, int32_t what, const char *id,
                      const void *out) {
  if (r == NULL || out == NULL || id == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "%s is NULL",
                     r == NULL     ? "reader"
                     : out == NULL ? "out"
                                   : "identifier");
  if (what < 0 || (size_t)what >= SBI_PROFILE_ROUTES)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "what is %d, not one of SEGB_PROFILE_*", (int)what);
  return SEGB_OK;
}

int segb_profile_get(segb_reader_t *r, int32_t what, const char *id,
                     const char *const *params, const char *cursor,
                     segb_result_t **out) {
  const sbi_profile_route *route;
  sbi_buf url = SBI_BUF_INIT;
  const char *space;
  char missing[320];
  int rc;

  if (out != NULL)
    *out = NULL;
  rc = check_call(r, what, id, out);
  if (rc != SEGB_OK)
    return rc;
  route = &sbi_profile_routes[what];
  space = sbi_conf_str(r->conf, SBI_PROP_PROFILE_API_SPACE_ID);
  if (space == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "profile_api.space_id is not set: copy the space ID "
                     "from Unify settings > API access");
  if (sbi_dot_segment(space))
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "profile_api.space_id \"%s\" is not a space ID: a path "
                     "step; copy the space ID from Unify settings > API "
                     "access",
                     space);
  rc = check_params(route, params);
  rc = rc ? rc : build_url(r, route, space, id, params, cursor, &url);
  if (rc == SEGB_OK) {
    snprintf(missing, sizeof missing, "no profile %.160s in space %.100s", id,
             space);
    rc = sbi_reader_get(r, SBI_API_PROFILE, url.data, missing, route->payload,
                        SBI_CURSOR_PROFILE, out);
  }
  sbi_buf_free(&url);
  return rc;
}

/* What a profile pager asks for each page: copies of the call's
 * arguments. */
typedef struct sbi_profile_pages {
  int32_t what;
  char *id;
  char **params; /* NULL-ended name, value list, or NULL */
} sbi_profile_pages;

static void pages_free(void *p) {
  sbi_profile_pages *pp = p;
  size_t i;

  if (pp == NULL)
    return;
  for (i = 0; pp->params != NULL && pp->params[i] != NULL; i++)
    free(pp->params[i]);
  free(pp->params);
  free(pp->id);
  free(pp);
}

static char **copy_params(const char *const *params, int *failed) {
  size_t n = 0, i;
  char **copy;

  if (params == NULL)
    return NULL;
  while (params[n] != NULL)
    n++;
  copy = calloc(n + 1, sizeof *copy);
  if (copy == NULL) {
    *failed = 1;
    return NULL;
  }
  for (i = 0; i < n; i++)
    if ((copy[i] = strdup(params[i])) == NULL) {
      *failed = 1; /* the copies so far end at this NULL */
      break;
    }
  return copy;
}

static int profile_page(segb_reader_t *r, const void *ctx, const char *cursor,
                        segb_result_t **out) {
  const sbi_profile_pages *pp = ctx;

  return segb_profile_get(r, pp->what, pp->id,
                          (const char *const *)(void *)pp->params, cursor, out);
}

int segb_profile_pager(segb_reader_t *r, int32_t what, const char *id,
                       const char *const *params, segb_pager_t **out) {
  sbi_profile_pages *pp;
  int failed = 0;
  int rc;

  if (out != NULL)
    *out = NULL;
  rc = check_call(r, what, id, out);
  if (rc != SEGB_OK)
    return rc;
  /* Refuse bad arguments now rather than at the first page. */
  rc = check_params(&sbi_profile_routes[what], params);
  if (rc != SEGB_OK)
    return rc;
  pp = calloc(1, sizeof *pp);
  if (pp == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory creating a pager");
  pp->what = what;
  pp->id = strdup(id);
  pp->params = copy_params(params, &failed);
  if (pp->id == NULL || failed) {
    pages_free(pp);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory creating a pager");
  }
  return sbi_pager_new(r, profile_page, pp, pages_free, out);
}
