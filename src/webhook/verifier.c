/* The verifier: its credentials and its limits; segb_webhook_verify(), which
 * checks the size limit, then Authorization, then X-Signature, each only
 * when the verifier is set up for it; and segb_webhook_receive(), which
 * verifies, parses and tells the batch which of its events the signature
 * covers. */
#include "webhook_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/secret.h"

static const sbi_webhook_limits defaults = {SBI_WEBHOOK_DEFAULT_BODY_BYTES,
                                            SBI_WEBHOOK_DEFAULT_EVENTS,
                                            SBI_WEBHOOK_DEFAULT_DEPTH, 1, 0};

segb_webhook_t *segb_webhook_new(void) {
  segb_webhook_t *wh = calloc(1, sizeof *wh);

  if (wh == NULL) {
    sbi_error(SEGB_ERR_NOMEM, "out of memory");
    return NULL;
  }
  wh->limits = defaults;
  return wh;
}

static void wipe_all(sbi_credential *c, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    sbi_secret_wipe(c[i].bytes, c[i].len);
    free(c[i].bytes);
  }
}

void segb_webhook_destroy(segb_webhook_t *wh) {
  if (wh == NULL)
    return;
  wipe_all(wh->keys, wh->n_keys);
  wipe_all(wh->secrets, wh->n_secrets);
  free(wh);
}

/* @what names the kind of credential in errors; the value never appears. */
static int add(sbi_credential *set, size_t *n, const char *value,
               const char *what) {
  size_t len;
  char *copy;

  if (value == NULL || value[0] == '\0')
    return sbi_error(SEGB_ERR_INVALID_ARG, "the %s is empty", what);
  if (*n == SEGB_WEBHOOK_MAX_CREDENTIALS)
    return sbi_error(SEGB_ERR_INVALID_ARG, "a verifier holds at most %d %ss",
                     SEGB_WEBHOOK_MAX_CREDENTIALS, what);
  len = strlen(value);
  if (len > SBI_WEBHOOK_CREDENTIAL_MAX)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the %s is over %d bytes", what,
                     SBI_WEBHOOK_CREDENTIAL_MAX);
  copy = malloc(len + 1);
  if (copy == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory");
  memcpy(copy, value, len + 1);
  set[*n].bytes = copy;
  set[*n].len = len;
  (*n)++;
  return SEGB_OK;
}

int segb_webhook_add_api_key(segb_webhook_t *wh, const char *api_key) {
  if (wh == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the verifier is NULL");
  /* "key:" splits at the first colon, so a key with one could never match. */
  if (api_key != NULL && strchr(api_key, ':') != NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "an API key cannot contain ':'");
  return add(wh->keys, &wh->n_keys, api_key, "API key");
}

int segb_webhook_add_secret(segb_webhook_t *wh, const char *secret) {
  if (wh == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the verifier is NULL");
  return add(wh->secrets, &wh->n_secrets, secret, "secret");
}

/* An option that is 0 or 1; @name names it in errors. */
static int set_flag(int *flag, size_t value, const char *name) {
  if (value > 1)
    return sbi_error(SEGB_ERR_INVALID_VALUE, "%s is 0 or 1, not %zu", name,
                     value);
  *flag = (int)value;
  return SEGB_OK;
}

int segb_webhook_set_option(segb_webhook_t *wh, int option, size_t value) {
  if (wh == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "the verifier is NULL");
  switch (option) {
  case SEGB_WEBHOOK_OPT_MAX_BODY_BYTES:
  case SEGB_WEBHOOK_OPT_MAX_EVENTS:
    if (value == 0)
      return sbi_error(SEGB_ERR_INVALID_VALUE, "a limit cannot be 0");
    if (option == SEGB_WEBHOOK_OPT_MAX_BODY_BYTES)
      wh->limits.max_body = value;
    else
      wh->limits.max_events = value;
    return SEGB_OK;
  case SEGB_WEBHOOK_OPT_MAX_DEPTH:
    if (value == 0 || value > SBI_WEBHOOK_DEPTH_CAP)
      return sbi_error(SEGB_ERR_INVALID_VALUE, "the depth limit must be 1..%d",
                       SBI_WEBHOOK_DEPTH_CAP);
    wh->limits.max_depth = (unsigned)value;
    return SEGB_OK;
  case SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT:
    return set_flag(&wh->limits.signed_first_event, value,
                    "signed-first-event");
  case SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED:
    return set_flag(&wh->limits.refuse_unsigned, value, "refuse-unsigned");
  default:
    return sbi_error(SEGB_ERR_UNKNOWN_OPTION, "no webhook option %d", option);
  }
}

size_t segb_webhook_option(const segb_webhook_t *wh, int option) {
  sbi_webhook_limits l;

  sbi_webhook_limits_of(wh, &l);
  switch (option) {
  case SEGB_WEBHOOK_OPT_MAX_BODY_BYTES:
    return l.max_body;
  case SEGB_WEBHOOK_OPT_MAX_DEPTH:
    return l.max_depth;
  case SEGB_WEBHOOK_OPT_MAX_EVENTS:
    return l.max_events;
  case SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT:
    return (size_t)l.signed_first_event;
  case SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED:
    return (size_t)l.refuse_unsigned;
  default:
    return 0;
  }
}

void sbi_webhook_limits_of(const segb_webhook_t *wh, sbi_webhook_limits *out) {
  *out = wh != NULL ? wh->limits : defaults;
}

size_t sbi_webhook_max_nodes(const sbi_webhook_limits *lim) {
  size_t n = lim->max_body / SBI_WEBHOOK_BYTES_PER_NODE;

  return n > SBI_WEBHOOK_MIN_NODES ? n : SBI_WEBHOOK_MIN_NODES;
}

int sbi_webhook_json_error(const sbi_webhook_limits *lim, int rc,
                           const char *why, const char *subject,
                           const char *label) {
  if (rc == SEGB_ERR_TOO_LARGE)
    return sbi_error(SEGB_ERR_BODY_TOO_LARGE,
                     "%s holds more than %zu JSON values, the most a body "
                     "limit of %zu bytes allows",
                     subject, sbi_webhook_max_nodes(lim), lim->max_body);
  return sbi_error(rc, "%s: %s", label, why);
}

/* segb_webhook_verify(), also saying what the signature covers; *@parsed
 * is the body parsed when the signature check had to parse it, else NULL. */
static int verify(const segb_webhook_t *wh, const char *authorization,
                  const char *x_signature, const char *body, size_t body_len,
                  segb_webhook_batch_t **parsed, sbi_webhook_coverage *covers) {
  int rc;

  *parsed = NULL;
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
  rc = sbi_webhook_check_signature(wh, x_signature, body, body_len, parsed,
                                   covers);
  if (rc == SEGB_OK && *covers == SBI_COVERS_FIRST &&
      wh->limits.refuse_unsigned) {
    segb_webhook_batch_destroy(*parsed);
    *parsed = NULL;
    rc = sbi_error(SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS,
                   "X-Signature covers the first event of the batch only, "
                   "and the body holds more than that event");
  }
  return rc;
}

int segb_webhook_verify(const segb_webhook_t *wh, const char *authorization,
                        const char *x_signature, const char *body,
                        size_t body_len) {
  segb_webhook_batch_t *parsed;
  sbi_webhook_coverage covers;
  int rc =
      verify(wh, authorization, x_signature, body, body_len, &parsed, &covers);

  segb_webhook_batch_destroy(parsed);
  return rc;
}

int segb_webhook_receive(const segb_webhook_t *wh, const char *authorization,
                         const char *x_signature, const char *body,
                         size_t body_len, segb_webhook_batch_t **out) {
  segb_webhook_batch_t *b;
  sbi_webhook_coverage covers;
  int rc;

  if (out == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "out is NULL");
  *out = NULL;
  rc = verify(wh, authorization, x_signature, body, body_len, &b, &covers);
  if (rc == SEGB_OK && b == NULL)
    rc = sbi_webhook_parse(&wh->limits, body != NULL ? body : "", body_len, &b,
                           NULL);
  if (rc != SEGB_OK)
    return rc;
  if (covers == SBI_COVERS_ALL)
    b->covered = b->count;
  else if (covers == SBI_COVERS_FIRST)
    b->covered = 1;
  *out = b;
  return SEGB_OK;
}
