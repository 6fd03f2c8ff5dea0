/* Segment's APIs beside the Tracking API that the mock serves: a method, a
 * path prefix and a handler each. A handler answers through the verdict:
 * status, v->reply (a malloc'd JSON body) and, for 429, v->retry_after. */
#include <string.h>

#include "mock_internal.h"

typedef void sbm_route_fn(const sbm_vinput *in, sbm_verdict *v);

static const struct {
  const char *method;
  const char *prefix;
  sbm_route_fn *fn;
} routes[] = {
    /* OAuth (/token) and the read APIs add their routes here. */
    {"POST", "/token", sbm_route_token},
    {"GET", "/v1/spaces/", sbm_profile_route},
    {"GET", "/sources", sbm_public_sources},
    /* Keep last: "/" matches every GET path; it serves only "/" itself. */
    {"GET", "/", sbm_public_root},
    {NULL, NULL, NULL},
};

int sbm_route_other(const sbm_vinput *in, sbm_verdict *v) {
  size_t i;

  for (i = 0; routes[i].fn != NULL; i++)
    if (strcmp(in->method, routes[i].method) == 0 &&
        strncmp(in->path, routes[i].prefix, strlen(routes[i].prefix)) == 0) {
      routes[i].fn(in, v);
      return 1;
    }
  return 0;
}
