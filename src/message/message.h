/* Internal view of a message: its state and the rules for its fields. */
#ifndef SBI_MESSAGE_MESSAGE_H
#define SBI_MESSAGE_MESSAGE_H

#include <segbridge/message.h>

#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"

/* Room for the longest RFC 3339 date-time sbi_time_is_iso8601 accepts. */
#define SBI_TIMESTAMP_MAX 35

struct segb_message_s {
  int type;         /* SEGB_MSG_* */
  int sealed;       /* once set, `json` holds the bytes and `fields` is gone */
  sbi_json *fields; /* object: the caller's top-level fields */
  /* 100 UTF-16 units take at most 300 bytes of UTF-8 */
  char message_id[SEGB_MESSAGE_ID_MAX * 3 + 1];
  char timestamp[SBI_TIMESTAMP_MAX + 1];
  sbi_buf json; /* the serialized message once sealed */
  /* Hash of the userId (else the anonymousId) of a sealed message: the
   * dispatcher's per-user ordering key. */
  uint64_t user_key;
  /* Owned by the client once enqueued: */
  segb_message_t *next; /* queue link */
  uint64_t seq;         /* 1, 2, ... in the order the client accepted it */
  int64_t queued_ms;    /* monotonic time it was accepted */
  int attempts;         /* requests that carried it */
  int http_status;      /* last status answered for it */
  int err;              /* its fate once known: SEGB_OK or why dropped */
  char *errstr;         /* the drop's detail (owned), NULL when delivered */
  /* Where the spool keeps it (a sbi_spool_ref), when spooled is set. */
  int spooled;
  uint32_t spool_segment, spool_offset;
};

/* segb_message_seal() with the size limit @max_bytes (at most
 * SEGB_MESSAGE_MAX_BYTES) in place of Segment's; a message sealed before is
 * checked against it too. */
int sbi_message_seal(segb_message_t *msg, size_t max_bytes);

/* A sealed message made again from the bytes @json (@len) it was sealed
 * to, which it keeps as they are (a spooled event is sent byte for byte
 * as first sealed): into *@out, SEGB_OK, or the error (bytes that are not
 * a sealed message: not JSON, no type, messageId or timestamp). */
int sbi_message_from_sealed(const char *json, size_t len, segb_message_t **out);

/* Add to the context of the unsealed @msg each member of the object
 * @defaults it does not have (a copy; message.default_context). A sealed
 * message is left as it is. SEGB_OK or SEGB_ERR_NOMEM. */
int sbi_message_default_context(segb_message_t *msg, const sbi_json *defaults);

/* The ordering key of @msg from its fields (the FNV-1a hash of the userId,
 * else the anonymousId; a non-string id hashes its JSON text). */
uint64_t sbi_message_user_key(const segb_message_t *msg);

/* How a top-level field's value is checked. */
typedef enum sbi_field_kind {
  SBI_FIELD_ID,         /* non-empty string */
  SBI_FIELD_OBJECT,     /* object; deeper paths may hold anything */
  SBI_FIELD_MESSAGE_ID, /* kept in message_id */
  SBI_FIELD_TIMESTAMP   /* kept in timestamp */
} sbi_field_kind;

typedef struct sbi_field {
  const char *name;
  sbi_field_kind kind;
  unsigned types; /* bit (1 << SEGB_MSG_*) for each type that has it */
} sbi_field;

/* The field named by @len bytes at @name, or NULL when no type has it. */
const sbi_field *sbi_field_find(const char *name, size_t len);

/* 1 when messages of @type carry @field. */
static inline int sbi_field_allowed(const sbi_field *field, int type) {
  return (field->types >> type) & 1u;
}

#endif
