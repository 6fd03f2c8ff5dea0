/* The error table and the thread-local detail behind it. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local int last_code;
static _Thread_local char last_detail[SBI_ERR_DETAIL_MAX];

#define SBI_ERR_NAME_CASE(name, value, desc)                                   \
  case value:                                                                  \
    return "SEGB_" #name;
#define SBI_ERR_STR_CASE(name, value, desc)                                    \
  case value:                                                                  \
    return desc;

const char *segb_err_name(int err) {
  switch (err) {
    SEGB_ERROR_LIST(SBI_ERR_NAME_CASE)
  default:
    return "SEGB_ERR_UNKNOWN";
  }
}

const char *segb_err_str(int err) {
  switch (err) {
    SEGB_ERROR_LIST(SBI_ERR_STR_CASE)
  default:
    return "unknown error code";
  }
}

int segb_err_min(void) {
  static const int codes[] = {
#define SBI_ERR_VALUE(name, value, desc) value,
      SEGB_ERROR_LIST(SBI_ERR_VALUE)
#undef SBI_ERR_VALUE
  };
  int lowest = 0;
  size_t i;

  for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (codes[i] < lowest)
      lowest = codes[i];
  return lowest;
}

const char *segb_last_error_message(void) { return last_detail; }

int segb_last_error(void) { return last_code; }

int sbi_error(int code, const char *fmt, ...) {
  va_list ap;

  last_code = code;
  va_start(ap, fmt);
  vsnprintf(last_detail, sizeof last_detail, fmt, ap);
  va_end(ap);
  return code;
}

void sbi_error_errstr(char *errstr, size_t errstr_size, int code,
                      const char *fmt, ...) {
  char text[SBI_ERR_DETAIL_MAX]; /* the arguments may be last_detail */
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  last_code = code;
  memcpy(last_detail, text, sizeof text);
  if (errstr != NULL && errstr_size > 0)
    snprintf(errstr, errstr_size, "%s", text);
}

int sbi_error_prefix(int code, const char *prefix) {
  const size_t room = sizeof last_detail - 1;
  size_t plen = strlen(prefix), dlen;

  if (plen > room - 2)
    plen = room - 2;
  dlen = strlen(last_detail);
  if (dlen > room - 2 - plen)
    dlen = room - 2 - plen;
  memmove(last_detail + plen + 2, last_detail, dlen);
  memcpy(last_detail, prefix, plen);
  last_detail[plen] = ':';
  last_detail[plen + 1] = ' ';
  last_detail[plen + 2 + dlen] = '\0';
  last_code = code;
  return code;
}
