/* segb_webhook_verify(): the size limit, then Authorization, then
 * X-Signature, each only when the verifier is set up for it; and
 * segb_webhook_receive(), which verifies, parses and tells the batch which
 * of its events the signature covers. */
#include "batch.h"
#include "webhook_int.h"

#include "core/err.h"

int sbi_webhook_verify(const segb_webhook_t *wh, const char *authorization,
                       const char *x_signature, const char *body,
                       size_t body_len, sbi_webhook_coverage *covers) {
  int rc;

  *covers = SBI_COVERS_NONE;
  if (wh == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the verifier is NULL");
  if (body == NULL && body_len > 0)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the body is NULL");
  /* A verifier with nothing to check would let every request through. */
  if (wh->n_keys == 0 && wh->n_secrets == 0)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "the verifier has no API key and no secret");
  /* ...and this one would refuse every request. */
  if (wh->limits.refuse_unsigned && wh->n_secrets == 0)
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "refusing unsigned events needs a secret");
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
  if (wh->n_secrets == 0)
    return SEGB_OK;
  rc = sbi_webhook_check_signature(wh->secrets, wh->n_secrets, x_signature,
                                   body, body_len,
                                   wh->limits.signed_first_event, covers);
  if (rc == SEGB_OK && *covers == SBI_COVERS_FIRST &&
      wh->limits.refuse_unsigned)
    rc = sbi_error(SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS,
                   "X-Signature covers the first event of the batch only, "
                   "and more events follow it");
  return rc;
}

int segb_webhook_verify(const segb_webhook_t *wh, const char *authorization,
                        const char *x_signature, const char *body,
                        size_t body_len) {
  sbi_webhook_coverage covers;

  return sbi_webhook_verify(wh, authorization, x_signature, body, body_len,
                            &covers);
}

int segb_webhook_receive(const segb_webhook_t *wh, const char *authorization,
                         const char *x_signature, const char *body,
                         size_t body_len, segb_webhook_batch_t **out) {
  sbi_webhook_coverage covers;
  int rc;

  if (out == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "out is NULL");
  *out = NULL;
  rc = sbi_webhook_verify(wh, authorization, x_signature, body, body_len,
                          &covers);
  if (rc == SEGB_OK)
    rc =
        sbi_webhook_parse(&wh->limits, body != NULL ? body : "", body_len, out);
  if (rc != SEGB_OK)
    return rc;
  if (covers == SBI_COVERS_ALL)
    (*out)->covered = (*out)->count;
  else if (covers == SBI_COVERS_FIRST)
    (*out)->covered = 1;
  return SEGB_OK;
}
