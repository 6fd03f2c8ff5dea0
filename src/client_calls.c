/* The convenience calls: one message each, from plain strings and JSON
 * object text, through the same builders and checks as any message. */
#include <segbridge/client.h>

#include "client_int.h"
#include "core/err.h"

/* Build a @type message with identity, one string field and one object
 * field (each skipped when NULL), and enqueue it. */
static int send_event(segb_client_t *c, int type, const char *user_id,
                      const char *anonymous_id, const char *field,
                      const char *value, const char *object, const char *json) {
  segb_message_t *m;
  int rc = SEGB_OK;

  if (c == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "client is NULL");
  m = segb_message_new(type);
  if (m == NULL) {
    sbi_client_refused(c);
    return segb_last_error();
  }
  if (user_id != NULL)
    rc = segb_message_set_string(m, "userId", user_id);
  if (rc == SEGB_OK && anonymous_id != NULL)
    rc = segb_message_set_string(m, "anonymousId", anonymous_id);
  if (rc == SEGB_OK && value != NULL)
    rc = segb_message_set_string(m, field, value);
  if (rc == SEGB_OK && json != NULL)
    rc = segb_message_set_json(m, object, json);
  if (rc != SEGB_OK) {
    sbi_client_refused(c);
    segb_message_destroy(m);
    return rc;
  }
  return segb_client_enqueue(c, m);
}

int segb_identify(segb_client_t *c, const char *user_id,
                  const char *anonymous_id, const char *traits_json) {
  return send_event(c, SEGB_MSG_IDENTIFY, user_id, anonymous_id, NULL, NULL,
                    "traits", traits_json);
}

int segb_track(segb_client_t *c, const char *user_id, const char *anonymous_id,
               const char *event, const char *properties_json) {
  return send_event(c, SEGB_MSG_TRACK, user_id, anonymous_id, "event", event,
                    "properties", properties_json);
}

int segb_page(segb_client_t *c, const char *user_id, const char *anonymous_id,
              const char *name, const char *properties_json) {
  return send_event(c, SEGB_MSG_PAGE, user_id, anonymous_id, "name", name,
                    "properties", properties_json);
}

int segb_screen(segb_client_t *c, const char *user_id, const char *anonymous_id,
                const char *name, const char *properties_json) {
  return send_event(c, SEGB_MSG_SCREEN, user_id, anonymous_id, "name", name,
                    "properties", properties_json);
}

int segb_group(segb_client_t *c, const char *user_id, const char *anonymous_id,
               const char *group_id, const char *traits_json) {
  return send_event(c, SEGB_MSG_GROUP, user_id, anonymous_id, "groupId",
                    group_id, "traits", traits_json);
}

int segb_alias(segb_client_t *c, const char *user_id, const char *previous_id) {
  return send_event(c, SEGB_MSG_ALIAS, user_id, NULL, "previousId", previous_id,
                    NULL, NULL);
}
