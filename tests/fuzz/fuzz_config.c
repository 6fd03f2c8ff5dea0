/*
 * libFuzzer target for configuration values: the input (up to its first
 * NUL) is set on every property of the table in turn. A value is accepted
 * or refused with SEGB_ERR_INVALID_VALUE and a reason; a refused value
 * changes nothing; an accepted one reads back as text that, set again,
 * reads back the same (set -> get -> set agree). Numbers are checked
 * against an independent decimal reading, so a wrap past 64 bits cannot
 * pass. A key not implemented yet takes its default at most. Endpoint
 * values go through the normalization, which must be idempotent and never
 * keep credentials.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/config.h>
#include <segbridge/error.h>

#include "config/props.h"
#include "core/buf.h"
#include "core/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX 8192

/* The value of @name as get returns it, into @out; aborts on failure. A
 * buffer one byte short must be refused without being written to. */
static void get(const segb_config_t *conf, const char *name,
                char out[TEXT_MAX]) {
  size_t need = 0, size;

  if (segb_config_get(conf, name, NULL, &need) != SEGB_OK || need == 0 ||
      need > TEXT_MAX)
    abort();
  size = need - 1;
  out[0] = '\x7f';
  if (segb_config_get(conf, name, out, &size) != SEGB_ERR_BUFFER_TOO_SMALL ||
      size != need || out[0] != '\x7f')
    abort();
  if (segb_config_get(conf, name, out, &size) != SEGB_OK || size != need ||
      strlen(out) + 1 != need)
    abort();
}

/* Independent reading of a strict decimal: an optional sign, then digits
 * only. 1 with *@v when it lies in min..max, 0 when it is a number
 * outside, -1 when it is not a number. */
static int decimal_in_range(const char *s, int64_t min, int64_t max,
                            int64_t *v) {
  size_t n;
  int neg = 0;
  uint64_t mag = 0;

  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  n = strlen(s);
  if (n == 0 || strspn(s, "0123456789") != n)
    return -1;
  while (*s == '0' && s[1] != '\0')
    s++;
  /* every table bound has fewer than 19 digits */
  if (strlen(s) > 18)
    return 0;
  for (; *s != '\0'; s++)
    mag = mag * 10 + (uint64_t)(*s - '0');
  *v = neg ? -(int64_t)mag : (int64_t)mag;
  return *v >= min && *v <= max;
}

/* The normalized endpoint must be scheme://host..., without whitespace,
 * credentials, query or fragment; with "/v1" appended (as the client
 * does) it must normalize back to itself. A bare normalize of it need not:
 * a proxy prefix may itself end in /v1. */
static void check_endpoint(const char *v) {
  sbi_buf a = SBI_BUF_INIT, b = SBI_BUF_INIT;
  const char *host, *end;

  if (sbi_endpoint_normalize(v, &a) != SEGB_OK) {
    if (segb_last_error() != SEGB_ERR_INVALID_VALUE)
      abort();
    sbi_buf_free(&a);
    return;
  }
  if (strncmp(a.data, "https://", 8) != 0 && strncmp(a.data, "http://", 7) != 0)
    abort();
  host = strstr(a.data, "://") + 3;
  end = host + strcspn(host, "/");
  if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL ||
      strpbrk(a.data, "?# \t\r\n") != NULL)
    abort();
  if (sbi_buf_puts(&a, "/v1") != SEGB_OK)
    abort();
  if (sbi_endpoint_normalize(a.data, &b) != SEGB_OK || b.len != a.len - 3 ||
      memcmp(a.data, b.data, b.len) != 0)
    abort();
  sbi_buf_free(&a);
  sbi_buf_free(&b);
}

static void check_property(segb_config_t *conf, const sbi_prop *p, size_t id,
                           const char *v) {
  char before[TEXT_MAX], first[TEXT_MAX], again[TEXT_MAX];
  char errstr[SEGB_ERRSTR_SIZE];
  int64_t val_before = sbi_conf_int(conf, (sbi_prop_id)id), num = 0;
  int rc, in_range = -1; /* -1: no oracle for this type */

  get(conf, p->name, before);
  if (p->type == SBI_PT_INT || p->type == SBI_PT_DURATION)
    in_range = decimal_in_range(v, p->min, p->max, &num) == 1;
  /* a key not implemented yet takes its default at most */
  if (in_range == 1 && p->status != SBI_LIVE)
    in_range =
        p->status == SBI_NOT_YET_DEFAULT && num == strtoll(p->def, NULL, 10);
  errstr[0] = '\0';
  rc = segb_config_set(conf, p->name, v, errstr, sizeof errstr);
  if (rc != SEGB_OK) {
    /* refused: as an invalid value, with a reason naming the property,
     * and nothing changed */
    if (rc != SEGB_ERR_INVALID_VALUE || in_range == 1 ||
        strncmp(errstr, p->name, strlen(p->name)) != 0)
      abort();
    get(conf, p->name, again);
    if (strcmp(before, again) != 0 ||
        sbi_conf_int(conf, (sbi_prop_id)id) != val_before)
      abort();
    return;
  }
  if (in_range == 0 ||
      (in_range == 1 && sbi_conf_int(conf, (sbi_prop_id)id) != num))
    abort();
  get(conf, p->name, first);
  if (p->status == SBI_NOT_YET ||
      (p->status == SBI_NOT_YET_DEFAULT && strcmp(first, p->def) != 0))
    abort();
  if (p->type == SBI_PT_ENDPOINT && *v != '\0')
    check_endpoint(v);
  /* secrets read back as a mask, which is no value to set again */
  if (sbi_prop_is_secret(p)) {
    if (strcmp(first, *v != '\0' ? "[redacted]" : "") != 0)
      abort();
    return;
  }
  /* a redacted proxy password makes the text longer; past the limit it
   * cannot be set again */
  if (strlen(first) > (size_t)p->max)
    return;
  if (segb_config_set(conf, p->name, first, errstr, sizeof errstr) != SEGB_OK)
    abort();
  get(conf, p->name, again);
  if (strcmp(first, again) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  segb_config_t *conf = segb_config_new(), *copy;
  char *v = malloc(size + 1);
  size_t i;

  if (conf == NULL || v == NULL)
    abort();
  memcpy(v, data, size);
  v[size] = '\0';
  check_endpoint(v);
  for (i = 0; i < sbi_prop_count(); i++)
    check_property(conf, sbi_prop_at(i), i, v);
  /* a copy reads back the same, and a NULL value restores each default */
  copy = segb_config_dup(conf);
  if (copy == NULL)
    abort();
  for (i = 0; i < sbi_prop_count(); i++) {
    const sbi_prop *p = sbi_prop_at(i);
    char a[TEXT_MAX], b[TEXT_MAX];

    get(conf, p->name, a);
    get(copy, p->name, b);
    if (strcmp(a, b) != 0 ||
        segb_config_set(copy, p->name, NULL, NULL, 0) != SEGB_OK)
      abort();
    get(copy, p->name, b);
    if (!sbi_prop_is_secret(p) && strcmp(b, p->def) != 0)
      abort();
  }
  segb_config_destroy(copy);
  segb_config_destroy(conf);
  free(v);
  return 0;
}
