/* Which top-level fields each message type has (Segment spec, common and
 * per-call fields), and what their values must be. */
#include <string.h>

#include "message.h"

#define T(type) (1u << SEGB_MSG_##type)
#define ALL_TYPES                                                              \
  (T(IDENTIFY) | T(TRACK) | T(PAGE) | T(SCREEN) | T(GROUP) | T(ALIAS))

static const sbi_field fields[] = {
    {"userId", SBI_FIELD_ID, ALL_TYPES},
    /* alias ties a previousId to a userId; it has no anonymousId */
    {"anonymousId", SBI_FIELD_ID, ALL_TYPES & ~T(ALIAS)},
    {"event", SBI_FIELD_ID, T(TRACK)},
    {"name", SBI_FIELD_ID, T(PAGE) | T(SCREEN)},
    {"category", SBI_FIELD_ID, T(PAGE) | T(SCREEN)},
    {"groupId", SBI_FIELD_ID, T(GROUP)},
    {"previousId", SBI_FIELD_ID, T(ALIAS)},
    {"properties", SBI_FIELD_OBJECT, T(TRACK) | T(PAGE) | T(SCREEN)},
    {"traits", SBI_FIELD_OBJECT, T(IDENTIFY) | T(GROUP)},
    {"context", SBI_FIELD_OBJECT, ALL_TYPES},
    {"integrations", SBI_FIELD_OBJECT, ALL_TYPES},
    {"messageId", SBI_FIELD_MESSAGE_ID, ALL_TYPES},
    {"timestamp", SBI_FIELD_TIMESTAMP, ALL_TYPES},
};

const sbi_field *sbi_field_find(const char *name, size_t len) {
  size_t i;

  for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
      return &fields[i];
  return NULL;
}
