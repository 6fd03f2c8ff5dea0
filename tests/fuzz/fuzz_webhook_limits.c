/*
 * libFuzzer target for the limits that stop a webhook parse early (at most
 * 3 events, 256 bytes and so 64 JSON values, depth 8), checked against a
 * parse with the default limits: a strict parse that succeeds must give
 * the same batch; one that fails must fail for a limit the body really
 * passes, or for a fault the loose parse finds too. Then the body goes
 * through segb_webhook_receive() signed over its first event, as Segment
 * signs batches: only that event may come back signed, and with
 * SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED a body holding more than that event (more
 * events, or members beside the list) must be refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <segbridge/error.h>
#include <segbridge/json.h>
#include <segbridge/webhook.h>

#include "core/json.h"
#include "webhook/webhook_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 3
#define MAX_BODY 256
#define MAX_NODES 64 /* one value per 8 bytes of MAX_BODY, at least 64 */
#define MAX_DEPTH 8

static segb_webhook_t *strict, *signer, *refuser;

static void setup(void) {
  strict = segb_webhook_new();
  signer = segb_webhook_new();
  refuser = segb_webhook_new();
  if (strict == NULL || signer == NULL || refuser == NULL ||
      segb_webhook_set_option(strict, SEGB_WEBHOOK_OPT_MAX_EVENTS,
                              MAX_EVENTS) ||
      segb_webhook_set_option(strict, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES,
                              MAX_BODY) ||
      segb_webhook_set_option(strict, SEGB_WEBHOOK_OPT_MAX_DEPTH, MAX_DEPTH) ||
      segb_webhook_add_secret(signer, "s3cr3t") ||
      segb_webhook_add_secret(refuser, "s3cr3t") ||
      segb_webhook_set_option(refuser, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 1))
    abort();
}

/* Values in the tree under @n, and its depth in arrays and objects. */
static void measure(const sbi_json *n, size_t level, size_t *nodes,
                    size_t *depth) {
  const sbi_json *c;

  (*nodes)++;
  if (n->type != SBI_JSON_ARRAY && n->type != SBI_JSON_OBJECT)
    return;
  if (level + 1 > *depth)
    *depth = level + 1;
  for (c = n->head; c != NULL; c = c->next)
    measure(c, level + 1, nodes, depth);
}

/* The longest list the event limit counts: the root array, or a "batch"
 * array of the root object (one that turns out to be a single event, or a
 * "batch" member the parse later replaces, counts too). */
static size_t longest_list(const sbi_json *root) {
  const sbi_json *c;
  size_t longest = 0;

  if (root->type == SBI_JSON_ARRAY)
    return root->count;
  if (root->type != SBI_JSON_OBJECT)
    return 0;
  for (c = root->head; c != NULL; c = c->next)
    if (c->type == SBI_JSON_ARRAY && c->key_len == 5 &&
        memcmp(c->key, "batch", 5) == 0 && c->count > longest)
      longest = c->count;
  return longest;
}

static int same_batch(const segb_webhook_batch_t *a,
                      const segb_webhook_batch_t *b) {
  size_t la = 0, lb = 0;
  char *ta = segb_json_text(segb_webhook_batch_root(a), &la);
  char *tb = segb_json_text(segb_webhook_batch_root(b), &lb);
  int same = ta != NULL && tb != NULL && la == lb && memcmp(ta, tb, la) == 0 &&
             segb_webhook_batch_count(a) == segb_webhook_batch_count(b) &&
             segb_webhook_batch_errors(a) == segb_webhook_batch_errors(b);

  segb_free(ta);
  segb_free(tb);
  return same;
}

static void check_limits(const char *body, size_t size) {
  segb_webhook_batch_t *s = NULL, *l = NULL;
  int rs = segb_webhook_parse(strict, body, size, &s);
  int rl = segb_webhook_parse(NULL, body, size, &l);
  const sbi_json *root =
      (const sbi_json *)(const void *)segb_webhook_batch_root(l);
  size_t nodes = 0, depth = 0, count = segb_webhook_batch_count(l);

  if ((rs == SEGB_OK) != (s != NULL) || (rl == SEGB_OK) != (l != NULL))
    abort();
  if (root != NULL)
    measure(root, 0, &nodes, &depth);
  if (rs == SEGB_OK) {
    if (l == NULL || !same_batch(s, l) || count > MAX_EVENTS ||
        nodes > MAX_NODES || depth > MAX_DEPTH || size > MAX_BODY)
      abort();
  } else if (l != NULL) {
    /* the loose parse took it: the strict one may refuse it only for a
     * limit it really passes */
    switch (rs) {
    case SEGB_ERR_TOO_MANY_EVENTS:
      if (longest_list(root) <= MAX_EVENTS)
        abort();
      break;
    case SEGB_ERR_BODY_TOO_LARGE:
      if (size <= MAX_BODY && nodes <= MAX_NODES)
        abort();
      break;
    case SEGB_ERR_TOO_DEEP:
      if (depth <= MAX_DEPTH)
        abort();
      break;
    default:
      abort();
    }
  } else if (rs != rl && rs != SEGB_ERR_TOO_MANY_EVENTS &&
             rs != SEGB_ERR_BODY_TOO_LARGE && rs != SEGB_ERR_TOO_DEEP) {
    /* both refused: for the same fault, unless a limit came first */
    abort();
  }
  segb_webhook_batch_destroy(s);
  segb_webhook_batch_destroy(l);
}

/* The hex HMAC-SHA1 of the body's first batch element, as the parser
 * reads it with the signer's limits, if it has one; *@span gets where. */
static int sign_first(const char *body, size_t size, char hex[41],
                      sbi_json_span *span) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0, i;
  segb_webhook_batch_t *b = NULL;
  sbi_webhook_limits lim;
  sbi_json_span first;

  sbi_webhook_limits_of(signer, &lim);
  sbi_webhook_parse(&lim, body, size, &b, &first);
  segb_webhook_batch_destroy(b);
  *span = first;
  if (first.len == 0 ||
      HMAC(EVP_sha1(), "s3cr3t", 6, (const unsigned char *)body + first.at,
           first.len, md, &md_len) == NULL)
    return 0;
  for (i = 0; i < 20; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 1;
}

/* The body with JSON whitespace dropped and the event at @span replaced by
 * "E": what surrounds the signed event, to compare as text. */
static int frame_is_bare(const char *body, size_t size, sbi_json_span span) {
  char frame[MAX_BODY + 2];
  size_t i, n = 0;

  for (i = 0; i < size && n + 1 < sizeof frame; i++) {
    if (i == span.at) {
      frame[n++] = 'E';
      i += span.len - 1;
    } else if (strchr(" \t\r\n", body[i]) == NULL || body[i] == '\0') {
      frame[n++] = body[i];
    }
  }
  frame[n] = '\0';
  return strcmp(frame, "[E]") == 0 || strcmp(frame, "{\"batch\":[E]}") == 0;
}

static void check_coverage(const char *body, size_t size) {
  segb_webhook_batch_t *b = NULL;
  sbi_json_span span;
  char sig[41];
  size_t i, n;
  int rc;

  if (!sign_first(body, size, sig, &span))
    return;
  rc = segb_webhook_receive(signer, NULL, sig, body, size, &b);
  /* verification takes the very bytes the parser read as event 0 */
  if ((rc == SEGB_OK) != (b != NULL) || rc == SEGB_ERR_WEBHOOK_WRONG_SIGNATURE)
    abort();
  if (rc != SEGB_OK)
    return;
  n = segb_webhook_batch_count(b);
  for (i = 0; i <= n; i++)
    if (segb_webhook_event_signed(b, i) != (i == 0 && n > 0))
      abort();
  segb_webhook_batch_destroy(b);
  /* refused exactly when the body holds more than the signed event */
  rc = segb_webhook_receive(refuser, NULL, sig, body, size, &b);
  if (rc != (n > 1 || !frame_is_bare(body, size, span)
                 ? SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS
                 : SEGB_OK) ||
      (rc == SEGB_OK) != (b != NULL) ||
      (rc == SEGB_OK && segb_webhook_event_signed(b, 0) != 1))
    abort();
  segb_webhook_batch_destroy(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;

  if (strict == NULL)
    setup();
  check_limits(body, size);
  check_coverage(body, size);
  return 0;
}
