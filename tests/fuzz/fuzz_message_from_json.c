/*
 * libFuzzer target for segb_message_new_from_json, the parser behind
 * `segbridge import`. A line it accepts must seal into JSON that the
 * library's own parser reads back, with no key twice in any object, no
 * number a double cannot hold, and the messageId kept; a line it refuses
 * must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/segbridge.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const sbi_json_opts unique = {200, SBI_JSON_UNIQUE_KEYS, 0, NULL, NULL};

/* 1 when @v or a value under it is a number beyond a double's range. */
static int has_huge_number(const sbi_json *v) {
  const sbi_json *c;

  if (v->type == SBI_JSON_NUMBER)
    return sbi_json_number_overflows(v->str, v->str_len);
  if (v->type == SBI_JSON_ARRAY || v->type == SBI_JSON_OBJECT)
    for (c = v->head; c != NULL; c = c->next)
      if (has_huge_number(c))
        return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  segb_message_t *m = segb_message_new_from_json((const char *)data, size);
  const char *json;
  sbi_json *back = NULL;
  size_t len;

  if (m == NULL) {
    if (segb_last_error() >= 0 || segb_last_error_message()[0] == '\0')
      abort();
    return 0;
  }
  if (segb_message_seal(m) == SEGB_OK) {
    const sbi_json *id;
    json = segb_message_json(m, &len);
    if (json == NULL || len > SEGB_MESSAGE_MAX_BYTES ||
        sbi_json_parse_opts(json, len, NULL, 0, &unique, &back, NULL, 0) !=
            SEGB_OK)
      abort();
    if (has_huge_number(back))
      abort();
    id = sbi_json_get(back, "messageId", 9);
    if (id == NULL || id->type != SBI_JSON_STRING ||
        strcmp(id->str, segb_message_id(m)) != 0)
      abort();
    sbi_json_free(back);
  }
  segb_message_destroy(m);
  return 0;
}
