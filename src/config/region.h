/* Regions and endpoints: one region setting picks every Segment host; an
 * override for one API is normalized (core/url) so that any spelling gives
 * the same URLs. */
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

/* The base URL for @api under @conf: the override when set, else the
 * region's host. Appends to @out. */
int sbi_api_base(const segb_config_t *conf, sbi_api api, sbi_buf *out);

/* SEGB_ERR_INVALID_VALUE when @base, the base of @api under @conf, is the
 * other region's Segment host: events sent there are dropped and tokens
 * from there are refused, so the combination is refused up front. */
int sbi_region_check(const segb_config_t *conf, sbi_api api, const char *base);

#endif
