/* segb_webhook_verify(): the size limit, then Authorization, then
 * X-Signature, each only when the verifier is set up for it. */
#include "webhook_int.h"

#include "core/err.h"

int segb_webhook_verify(const segb_webhook_t *wh, const char *authorization,
                        const char *x_signature, const char *body,
                        size_t body_len) {
  int rc;

  if (wh == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the verifier is NULL");
  if (body == NULL && body_len > 0)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the body is NULL");
  /* A verifier with nothing to check would let every request through. */
  if (wh->n_keys == 0 && wh->n_secrets == 0)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "the verifier has no API key and no secret");
  if (body_len > wh->limits.max_body)
    return sbi_error(SEGB_ERR_BODY_TOO_LARGE,
                     "the body is %zu bytes, over the limit of %zu", body_len,
                     wh->limits.max_body);
  if (body == NULL)
    body = "";
  if (wh->n_keys > 0) {
    rc = sbi_webhook_check_basic(wh->keys, wh->n_keys, authorization);
    if (rc != SEGB_OK)
      return rc;
  }
  if (wh->n_secrets > 0)
    return sbi_webhook_check_signature(wh->secrets, wh->n_secrets, x_signature,
                                       body, body_len,
                                       wh->limits.signed_first_event);
  return SEGB_OK;
}
