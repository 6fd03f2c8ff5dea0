#include "config/props.h"

#include <string.h>

static const sbi_prop props[SBI_PROP__COUNT] = {
#define SBI__PROP_ROW(id, name, type, min, max, def, choices, since, status,   \
                      desc)                                                    \
  [SBI_PROP_##id] = {name, type, min, max, def, choices, since, status, desc},
    SBI_PROPS(SBI__PROP_ROW)
#undef SBI__PROP_ROW
};

const sbi_prop *sbi_prop_at(size_t i) { return &props[i]; }

size_t sbi_prop_count(void) { return SBI_PROP__COUNT; }

int sbi_prop_find(const char *name) {
  int i;
  for (i = 0; i < SBI_PROP__COUNT; i++)
    if (strcmp(props[i].name, name) == 0)
      return i;
  return -1;
}

const char *sbi_prop_type_name(sbi_prop_type type) {
  switch (type) {
  case SBI_PT_STRING:
    return "string";
  case SBI_PT_SECRET:
    return "secret";
  case SBI_PT_PEM:
    return "secret PEM";
  case SBI_PT_URL:
    return "URL";
  case SBI_PT_ENDPOINT:
    return "endpoint URL";
  case SBI_PT_PATH:
    return "path";
  case SBI_PT_JSON:
    return "JSON object";
  case SBI_PT_INT:
    return "integer";
  case SBI_PT_DURATION:
    return "duration (ms)";
  case SBI_PT_BOOL:
    return "boolean";
  case SBI_PT_ENUM:
    return "enum";
  case SBI_PT_LIST:
    return "list";
  }
  return "?";
}
