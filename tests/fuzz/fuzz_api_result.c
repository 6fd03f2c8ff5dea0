/*
 * libFuzzer target for Public API and Profile API results (api/result.c):
 * a body read as each call reads it. A result keeps the body byte for
 * byte, has what the call returns, and a next cursor that is NULL or a
 * non-empty string; every other body is SEGB_ERR_BAD_RESPONSE without a
 * result.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>
#include <segbridge/json.h>

#include "api/reader.h"
#include "transport/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
  const char *path;
  sbi_cursor_style style;
} calls[] = {{"data.workspace", SBI_CURSOR_NONE},
             {"data.sources", SBI_CURSOR_PUBLIC},
             {"traits", SBI_CURSOR_PROFILE},
             {"data", SBI_CURSOR_PROFILE}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sbi_http_response resp;
  size_t i;

  memset(&resp, 0, sizeof resp);
  resp.status = 200;
  if (size > 0 && sbi_buf_append(&resp.body, data, size) != SEGB_OK)
    return 0;
  for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    segb_result_t *res = NULL;
    int rc = sbi_result_new(&resp, "https://api.example.com/x", calls[i].path,
                            calls[i].style, &res);

    if (rc == SEGB_OK) {
      const char *next = segb_result_next_cursor(res);
      size_t len = 0;
      const char *text = segb_result_text(res, &len);
      char *again;

      if (len != size || (size > 0 && memcmp(text, data, size) != 0) ||
          text[len] != '\0' || segb_result_data(res) == NULL ||
          segb_result_json(res) == NULL || (next != NULL && next[0] == '\0') ||
          (calls[i].style == SBI_CURSOR_NONE && next != NULL))
        abort();
      again = segb_json_text(segb_result_data(res), NULL);
      if (again == NULL)
        abort();
      segb_free(again);
      segb_result_destroy(res);
    } else if (res != NULL ||
               (rc != SEGB_ERR_BAD_RESPONSE && rc != SEGB_ERR_NOMEM)) {
      abort();
    }
  }
  sbi_http_response_free(&resp);
  return 0;
}
