/* What makes one event of a webhook body usable: an object with a "type"
 * Segment sends and an identity. Each rule has its own code, so a host can
 * tell a malformed event from one of a kind it does not handle. */
#include "batch.h"

#include <string.h>

#include <segbridge/error.h>

/* The message types, and "delete": the deletion notice the Webhooks
 * destination sends (spec §4.1). */
static int known_type(const char *s, size_t len) {
  static const char *const types[] = {"identify", "track", "page",  "screen",
                                      "group",    "alias", "delete"};
  size_t i;

  for (i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strlen(types[i]) == len && memcmp(types[i], s, len) == 0)
      return 1;
  return 0;
}

/* Member @key of @ev as an identity: 1 for a non-empty string, 0 for none
 * (absent, null or ""), -1 for any other type. */
static int identity(const sbi_json *ev, const char *key) {
  const sbi_json *v = sbi_json_get(ev, key, strlen(key));

  if (v == NULL || v->type == SBI_JSON_NULL)
    return 0;
  if (v->type != SBI_JSON_STRING)
    return -1;
  return v->str_len > 0;
}

int sbi_webhook_check_event(const sbi_json *ev, const char **why) {
  const sbi_json *type;
  int user, anon;

  if (ev->type != SBI_JSON_OBJECT) {
    *why = "the event is not a JSON object";
    return SEGB_ERR_JSON_TYPE;
  }
  type = sbi_json_get(ev, "type", 4);
  if (type == NULL) {
    *why = "the event has no \"type\"";
    return SEGB_ERR_MISSING_FIELD;
  }
  if (type->type != SBI_JSON_STRING) {
    *why = "\"type\" is not a string";
    return SEGB_ERR_JSON_TYPE;
  }
  if (!known_type(type->str, type->str_len)) {
    *why = "\"type\" is not an event type Segment sends";
    return SEGB_ERR_UNKNOWN_TYPE;
  }
  user = identity(ev, "userId");
  anon = identity(ev, "anonymousId");
  if (user < 0 || anon < 0) {
    *why = user < 0 ? "\"userId\" is not a string"
                    : "\"anonymousId\" is not a string";
    return SEGB_ERR_JSON_TYPE;
  }
  if (!user && !anon) {
    *why = "the event has neither a userId nor an anonymousId";
    return SEGB_ERR_MISSING_IDENTITY;
  }
  *why = "";
  return SEGB_OK;
}
