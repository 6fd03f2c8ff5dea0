/* Regions and endpoints: one region setting picks every Segment host; an
 * override for one API is normalized so that any spelling gives the same
 * URLs. */
#ifndef SBI_CONFIG_REGION_H
#define SBI_CONFIG_REGION_H

#include <segbridge/config.h>

#include "core/buf.h"

typedef enum sbi_api {
  SBI_API_TRACKING, /* api.segment.io / events.eu1.segmentapis.com */
  SBI_API_OAUTH,    /* oauth2.segment.io / oauth2.eu1.segmentapis.com */
  SBI_API_PUBLIC,   /* api.segmentapis.com / eu1.api.segmentapis.com */
  SBI_API_PROFILE   /* profiles.segment.com / profiles.euw1.segment.com */
} sbi_api;

/* "https://host" of @api in @region (SBI_REGION_US/EU). */
const char *sbi_region_base(int region, sbi_api api);

/* Normalize an endpoint override: add https:// when no scheme is given,
 * drop a trailing "/" and a trailing "/v1" (or "/v1/"). Appends
 * "scheme://host[:port][/prefix]" to @out. SEGB_ERR_INVALID_VALUE for an
 * empty host, whitespace, or a scheme other than http/https. */
int sbi_endpoint_normalize(const char *in, sbi_buf *out);

/* The base URL for @api under @conf: the override when set, else the
 * region's host. Appends to @out. */
int sbi_api_base(const segb_config_t *conf, sbi_api api, sbi_buf *out);

#endif
