/* The webhook helper's internals: the verifier and what its checks share.
 * webhook/ depends on core/ only (docs/ARCHITECTURE.md). */
#ifndef SBI_WEBHOOK_INT_H
#define SBI_WEBHOOK_INT_H

#include <segbridge/webhook.h>

#include <stddef.h>

#include "core/json.h"

#define SBI_WEBHOOK_DEFAULT_BODY_BYTES ((size_t)4 * 1024 * 1024)
#define SBI_WEBHOOK_DEFAULT_DEPTH 64
#define SBI_WEBHOOK_DEFAULT_EVENTS 4000
/* The JSON writer behind segb_json_text() recurses once per level, so the
 * depth is capped well inside any thread's stack. */
#define SBI_WEBHOOK_DEPTH_CAP 256
/* Longest key or secret accepted, in bytes. */
#define SBI_WEBHOOK_CREDENTIAL_MAX 4096
/* A body may hold one JSON value per this many bytes of the body limit (at
 * least SBI_WEBHOOK_MIN_NODES), 524 288 at the default 4 MiB. A value costs
 * about 100 bytes of tree while "1," is 2 bytes of body, so without a cap a
 * body could cost 50 times its size; with it a tree stays under about 13
 * times the limit, and real events (20 bytes or more per value) fit. */
#define SBI_WEBHOOK_BYTES_PER_NODE 8
#define SBI_WEBHOOK_MIN_NODES 64

/* A key or secret: heap bytes, wiped before they are freed. */
typedef struct sbi_credential {
  char *bytes;
  size_t len;
} sbi_credential;

typedef struct sbi_webhook_limits {
  size_t max_body;
  size_t max_events;
  unsigned max_depth;
  int signed_first_event;
  int refuse_unsigned;
} sbi_webhook_limits;

struct segb_webhook_s {
  sbi_webhook_limits limits;
  sbi_credential keys[SEGB_WEBHOOK_MAX_CREDENTIALS];
  size_t n_keys;
  sbi_credential secrets[SEGB_WEBHOOK_MAX_CREDENTIALS];
  size_t n_secrets;
};

/* A parsed webhook body: the tree, and each event with its status. */
typedef struct sbi_webhook_event {
  const sbi_json *node;
  int err;         /* SEGB_OK or why the event is unusable */
  const char *why; /* static text: "" when err is SEGB_OK */
} sbi_webhook_event;

struct segb_webhook_batch_s {
  sbi_json *root;
  sbi_webhook_event *events;
  size_t count;
  size_t errors;
  size_t covered; /* events 0 .. covered-1 are covered by the X-Signature */
};

/* The limits of @wh, or the defaults when it is NULL. */
void sbi_webhook_limits_of(const segb_webhook_t *wh, sbi_webhook_limits *out);

/* The most JSON values a body or a settings header may hold under @lim. */
size_t sbi_webhook_max_nodes(const sbi_webhook_limits *lim);

/* The error for JSON in @subject ("the body", "X-Segment-Settings") that
 * failed to parse under @lim with @rc (not SEGB_OK) and @why: too many
 * values is SEGB_ERR_BODY_TOO_LARGE, anything else "@label: @why". */
int sbi_webhook_json_error(const sbi_webhook_limits *lim, int rc,
                           const char *why, const char *subject,
                           const char *label);

/* The Authorization check: SEGB_OK when @header is Basic credentials
 * "<key>:" for one of @keys. */
int sbi_webhook_check_basic(const sbi_credential *keys, size_t n_keys,
                            const char *header);

/* Which events of a body a verified request vouches for. */
typedef enum sbi_webhook_coverage {
  SBI_COVERS_NONE,  /* no secret is set: nothing was signed */
  SBI_COVERS_FIRST, /* the first event of a batch, and the body holds more:
                       other events, or members beside the list */
  SBI_COVERS_ALL    /* the whole body, or a batch of one signed event */
} sbi_webhook_coverage;

/* The X-Signature check: SEGB_OK when @header is the hex HMAC-SHA1, under
 * one of the secrets of @wh, of the whole body or (with the signed first
 * event option) of event 0 of a batch body, as parsed under the limits of
 * @wh; *@covers then says which. *@parsed is that parse when the check
 * made one and passed, for the caller to use and free, else NULL. */
int sbi_webhook_check_signature(const segb_webhook_t *wh, const char *header,
                                const char *body, size_t len,
                                segb_webhook_batch_t **parsed,
                                sbi_webhook_coverage *covers);

/* segb_webhook_parse() with the limits @lim. When @first is not NULL it
 * gets where event 0 of a list of events lies in the body, as the parser
 * read it (the bytes Segment signs for a batch), or a span of length 0:
 * for a single event, and for a body that is no list of events. A body
 * the limits refuse has one when it is an array whose first element was
 * read before the limit: no later byte can make another event 0. */
int sbi_webhook_parse(const sbi_webhook_limits *lim, const char *body,
                      size_t len, segb_webhook_batch_t **out,
                      sbi_json_span *first);

#endif
