/* Required-field checks and the one-time serialization of a message. */
#include <segbridge/version.h>

#include <string.h>

#include "core/err.h"
#include "message.h"

#define LIBRARY_MEMBER                                                         \
  "\"library\":{\"name\":\"libsegbridge\",\"version\":\"" SEGB_VERSION_STR "\"}"

static const sbi_json *field(const segb_message_t *msg, const char *name) {
  return sbi_json_get(msg->fields, name, strlen(name));
}

static int require(const segb_message_t *msg, const char *name) {
  if (field(msg, name) == NULL)
    return sbi_error(SEGB_ERR_MISSING_FIELD, "%s message needs %s",
                     segb_message_type_name(msg->type), name);
  return SEGB_OK;
}

static int check_required(const segb_message_t *msg) {
  int rc;

  if (msg->type == SEGB_MSG_ALIAS) {
    rc = require(msg, "previousId");
    return rc != SEGB_OK ? rc : require(msg, "userId");
  }
  if (field(msg, "userId") == NULL && field(msg, "anonymousId") == NULL)
    return sbi_error(SEGB_ERR_MISSING_FIELD,
                     "%s message needs userId or anonymousId",
                     segb_message_type_name(msg->type));
  if (msg->type == SEGB_MSG_TRACK)
    return require(msg, "event");
  if (msg->type == SEGB_MSG_GROUP)
    return require(msg, "groupId");
  return SEGB_OK;
}

/* {"type":..,"messageId":..,"timestamp":..,<fields>,"context":{..,library}}
 * context goes last so the library's own member can close it. Only an
 * imported event has a context.library already: the original's, kept. */
static int serialize(const segb_message_t *msg, sbi_buf *out) {
  const sbi_json *context = field(msg, "context"), *m;
  int own_library = context == NULL || !sbi_json_get(context, "library", 7);
  const char *type = segb_message_type_name(msg->type);
  int rc = sbi_buf_reserve(out, 384);

  rc = rc ? rc : sbi_buf_puts(out, "{\"type\":\"");
  rc = rc ? rc : sbi_buf_puts(out, type);
  rc = rc ? rc : sbi_buf_puts(out, "\",\"messageId\":");
  rc =
      rc ? rc
         : sbi_json_write_string(out, msg->message_id, strlen(msg->message_id));
  rc = rc ? rc : sbi_buf_puts(out, ",\"timestamp\":\"");
  rc = rc ? rc : sbi_buf_puts(out, msg->timestamp);
  rc = rc ? rc : sbi_buf_putc(out, '"');
  for (m = msg->fields->head; m != NULL && rc == SEGB_OK; m = m->next) {
    if (m == context)
      continue;
    rc = sbi_buf_putc(out, ',');
    rc = rc ? rc : sbi_json_write_string(out, m->key, m->key_len);
    rc = rc ? rc : sbi_buf_putc(out, ':');
    rc = rc ? rc : sbi_json_write(out, m);
  }
  rc = rc ? rc : sbi_buf_puts(out, ",\"context\":{");
  if (context != NULL && context->count > 0) {
    rc = rc ? rc : sbi_json_write_members(out, context);
    if (own_library)
      rc = rc ? rc : sbi_buf_putc(out, ',');
  }
  if (own_library)
    rc = rc ? rc : sbi_buf_puts(out, LIBRARY_MEMBER);
  rc = rc ? rc : sbi_buf_puts(out, "}}");
  return rc;
}

/* FNV-1a of the identity events are ordered by: the userId, else the
 * anonymousId (a non-string id hashes its JSON text). Equal ids give equal
 * keys; a collision only orders two users together. */
uint64_t sbi_message_user_key(const segb_message_t *msg) {
  const sbi_json *id = field(msg, "userId");
  uint64_t h = 14695981039346656037u;
  size_t i;

  if (id == NULL)
    id = field(msg, "anonymousId");
  if (id == NULL || id->str == NULL)
    return h;
  for (i = 0; i < id->str_len; i++)
    h = (h ^ (unsigned char)id->str[i]) * 1099511628211u;
  return h;
}

/* Refuse the sealed @msg when it is longer than @max_bytes. */
static int check_size(const segb_message_t *msg, size_t max_bytes) {
  if (msg->json.len <= max_bytes)
    return SEGB_OK;
  if (max_bytes < SEGB_MESSAGE_MAX_BYTES)
    return sbi_error(SEGB_ERR_TOO_LARGE,
                     "%s message %s serializes to %zu bytes; the client's "
                     "limit (message.max_bytes) is %zu",
                     segb_message_type_name(msg->type), msg->message_id,
                     msg->json.len, max_bytes);
  return sbi_error(SEGB_ERR_TOO_LARGE,
                   "%s message %s serializes to %zu bytes; Segment's limit "
                   "is %d",
                   segb_message_type_name(msg->type), msg->message_id,
                   msg->json.len, SEGB_MESSAGE_MAX_BYTES);
}

int sbi_message_seal(segb_message_t *msg, size_t max_bytes) {
  sbi_buf out = SBI_BUF_INIT;
  int rc;

  if (msg == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "message is NULL");
  if (msg->sealed)
    return check_size(msg, max_bytes);
  rc = check_required(msg);
  if (rc != SEGB_OK)
    return rc;
  if (serialize(msg, &out) != SEGB_OK) {
    sbi_buf_free(&out);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory serializing message %s",
                     msg->message_id);
  }
  /* A queued message lives long: it keeps only the bytes it has. */
  sbi_buf_fit(&out);
  msg->json = out;
  msg->user_key = sbi_message_user_key(msg);
  rc = check_size(msg, max_bytes);
  if (rc != SEGB_OK) {
    sbi_buf_free(&msg->json);
    return rc;
  }
  msg->sealed = 1;
  /* The bytes are all a sealed message needs from now on. */
  sbi_json_free(msg->fields);
  msg->fields = NULL;
  return SEGB_OK;
}

int segb_message_seal(segb_message_t *msg) {
  return sbi_message_seal(msg, SEGB_MESSAGE_MAX_BYTES);
}

const char *segb_message_json(const segb_message_t *msg, size_t *len) {
  if (msg == NULL || !msg->sealed)
    return NULL;
  if (len != NULL)
    *len = msg->json.len;
  return msg->json.data;
}
