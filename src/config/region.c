/* Region hosts and endpoint overrides. */
#include "region.h"

#include <stddef.h>
#include <string.h>

#include <segbridge/error.h>

#include "config/props.h"
#include "core/err.h"
#include "core/url.h"

/* Indexed [api][region]; the hosts of Segment's docs pages "Regional
 * Segment", "OAuth 2.0", the Public API's Getting Started and "Profile API"
 * (docs/CONFIGURATION.md, docs/READ_API.md). */
static const char *const sbi_region_hosts[][2] = {
    [SBI_API_TRACKING] = {"https://api.segment.io",
                          "https://events.eu1.segmentapis.com"},
    [SBI_API_OAUTH] = {"https://oauth2.segment.io",
                       "https://oauth2.eu1.segmentapis.com"},
    [SBI_API_PUBLIC] = {"https://api.segmentapis.com",
                        "https://eu1.api.segmentapis.com"},
    /* The Profile API's EU host is euw1, not eu1. */
    [SBI_API_PROFILE] = {"https://profiles.segment.com",
                         "https://profiles.euw1.segment.com"},
};

const char *sbi_region_base(int region, sbi_api api) {
  if ((region != SBI_REGION_US && region != SBI_REGION_EU) ||
      (size_t)api >= sizeof sbi_region_hosts / sizeof sbi_region_hosts[0])
    return NULL;
  return sbi_region_hosts[api][region];
}

/* The override property of each API. */
static const sbi_prop_id sbi_api_override[] = {
    [SBI_API_TRACKING] = SBI_PROP_ENDPOINT,
    [SBI_API_OAUTH] = SBI_PROP_OAUTH_SERVER,
    [SBI_API_PUBLIC] = SBI_PROP_PUBLIC_API_ENDPOINT,
    [SBI_API_PROFILE] = SBI_PROP_PROFILE_API_ENDPOINT,
};

int sbi_api_base(const segb_config_t *conf, sbi_api api, sbi_buf *out) {
  const char *over, *base;
  sbi_prop_id id;
  int rc;

  if (conf == NULL ||
      (size_t)api >= sizeof sbi_api_override / sizeof sbi_api_override[0])
    return sbi_error(SEGB_ERR_INVALID_ARG, "no configuration or unknown API");
  id = sbi_api_override[api];
  over = sbi_conf_str(conf, id);
  if (over != NULL) {
    rc = sbi_endpoint_normalize(over, out);
    return rc == SEGB_OK ? rc : sbi_error_prefix(rc, sbi_prop_at(id)->name);
  }
  base = sbi_region_base((int)sbi_conf_int(conf, SBI_PROP_REGION), api);
  if (base == NULL)
    return sbi_error(SEGB_ERR_INVALID_VALUE, "region: unknown region");
  rc = sbi_buf_puts(out, base);
  return rc == SEGB_OK ? rc : sbi_error(rc, "out of memory building a URL");
}

int sbi_region_check(const segb_config_t *conf, sbi_api api, const char *base) {
  const char *name = sbi_prop_at(sbi_api_override[api])->name;
  const char *us = sbi_region_base(SBI_REGION_US, api);
  const char *eu = sbi_region_base(SBI_REGION_EU, api);
  int region = (int)sbi_conf_int(conf, SBI_PROP_REGION);

  if (region == SBI_REGION_EU && strcmp(base, us) == 0)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "%s %s is Segment's US server but region is eu: EU "
                     "workspaces use %s",
                     name, us, eu);
  if (region == SBI_REGION_US && strcmp(base, eu) == 0)
    return sbi_error(SEGB_ERR_INVALID_VALUE,
                     "%s %s is Segment's EU server but region is us: set "
                     "region=eu for an EU workspace",
                     name, eu);
  return SEGB_OK;
}
