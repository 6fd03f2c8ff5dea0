/* X-Segment-Settings: base64 of a JSON object holding the custom settings
 * of a partner destination (Segment docs: "Build a Direct Destination",
 * src/partners/direct-destination.md), decoded into a read-only view. */
#include "webhook_int.h"

#include <stdlib.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/secret.h"

struct segb_webhook_settings_s {
  sbi_json *root;
};

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Decode and parse; *@root is the object. */
static int decode(const char *value, size_t len, const sbi_webhook_limits *lim,
                  sbi_json **root) {
  sbi_json_opts jl = {lim->max_depth, 0, sbi_webhook_max_nodes(lim), NULL,
                      NULL};
  sbi_buf text = SBI_BUF_INIT;
  char why[96];
  int rc;

  rc = sbi_base64_decode(value, len, &text);
  if (rc != SEGB_OK) {
    sbi_buf_free(&text);
    return sbi_error(rc, rc == SEGB_ERR_INVALID_BASE64
                             ? "X-Segment-Settings is not base64"
                             : "out of memory");
  }
  rc = sbi_json_parse_opts(text.data != NULL ? text.data : "", text.len, NULL,
                           0, &jl, root, why, sizeof why);
  /* partner settings may carry credentials of their own */
  sbi_secret_wipe(text.data, text.len);
  sbi_buf_free(&text);
  if (rc != SEGB_OK)
    return sbi_webhook_json_error(lim, rc, why, "X-Segment-Settings",
                                  "X-Segment-Settings");
  if ((*root)->type != SBI_JSON_OBJECT) {
    sbi_json_free_secret(*root);
    *root = NULL;
    return sbi_error(SEGB_ERR_JSON_TYPE,
                     "X-Segment-Settings is not a JSON object");
  }
  return SEGB_OK;
}

int segb_webhook_settings_decode(const segb_webhook_t *wh, const char *value,
                                 size_t len, segb_webhook_settings_t **out) {
  sbi_webhook_limits lim;
  sbi_json *root = NULL;
  int rc;

  if (out == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (value == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the header value is NULL");
  sbi_webhook_limits_of(wh, &lim);
  while (len > 0 && is_space(*value)) {
    value++;
    len--;
  }
  while (len > 0 && is_space(value[len - 1]))
    len--;
  if (len > lim.max_body)
    return sbi_error(SEGB_ERR_BODY_TOO_LARGE,
                     "X-Segment-Settings is %zu bytes, over the limit of %zu",
                     len, lim.max_body);
  rc = decode(value, len, &lim, &root);
  if (rc != SEGB_OK)
    return rc;
  *out = malloc(sizeof **out);
  if (*out == NULL) {
    sbi_json_free_secret(root);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory");
  }
  (*out)->root = root;
  return SEGB_OK;
}

const segb_json_t *
segb_webhook_settings_json(const segb_webhook_settings_t *settings) {
  return settings != NULL ? (const segb_json_t *)(const void *)settings->root
                          : NULL;
}

void segb_webhook_settings_destroy(segb_webhook_settings_t *settings) {
  if (settings == NULL)
    return;
  sbi_json_free_secret(settings->root);
  free(settings);
}
