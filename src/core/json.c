#include "json.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

/* One allocation: the struct, then the key, then the text, each of the two
 * NUL-terminated. Only strings and numbers carry text. */
static sbi_json *node_alloc(sbi_json_type type, const char *key, size_t key_len,
                            const char *text, size_t text_len) {
  int has_text = type == SBI_JSON_STRING || type == SBI_JSON_NUMBER;
  size_t max = SIZE_MAX - sizeof(sbi_json) - 2;
  sbi_json *n;
  char *tail;

  if (key == NULL)
    key_len = 0;
  if (!has_text)
    text_len = 0;
  if (key_len > max || text_len > max - key_len)
    return NULL;
  n = malloc(sizeof(sbi_json) + key_len + text_len + 2);
  if (n == NULL)
    return NULL;
  memset(n, 0, sizeof(*n));
  n->type = type;
  tail = (char *)(n + 1);
  if (key != NULL) {
    if (key_len > 0)
      memcpy(tail, key, key_len);
    tail[key_len] = '\0';
    n->key = tail;
    n->key_len = key_len;
    tail += key_len + 1;
  }
  if (has_text) {
    if (text_len > 0)
      memcpy(tail, text, text_len);
    tail[text_len] = '\0';
    n->str = tail;
    n->str_len = text_len;
  }
  return n;
}

sbi_json *sbi_json_new(sbi_json_type type, const char *key, size_t key_len) {
  /* A bare number still has to be valid JSON text when written. */
  if (type == SBI_JSON_NUMBER)
    return node_alloc(type, key, key_len, "0", 1);
  return node_alloc(type, key, key_len, "", 0);
}

sbi_json *sbi_json_new_string(const char *key, size_t key_len, const char *s,
                              size_t len) {
  return node_alloc(SBI_JSON_STRING, key, key_len, s, len);
}

sbi_json *sbi_json_new_number_text(const char *key, size_t key_len,
                                   const char *text, size_t len) {
  return node_alloc(SBI_JSON_NUMBER, key, key_len, text, len);
}

sbi_json *sbi_json_new_int64(const char *key, size_t key_len, int64_t v) {
  char text[SBI_JSON_NUMBER_MAX];
  size_t len = sbi_json_format_int64(text, v);

  return node_alloc(SBI_JSON_NUMBER, key, key_len, text, len);
}

sbi_json *sbi_json_new_double(const char *key, size_t key_len, double v) {
  char text[SBI_JSON_NUMBER_MAX];
  size_t len = sbi_json_format_double(text, v);

  return node_alloc(SBI_JSON_NUMBER, key, key_len, text, len);
}

/* Free @node's subtree; with @wipe, zero every key and text first. */
static void free_tree(sbi_json *node, int wipe) {
  sbi_json *todo = node;

  /* The node's siblings are not ours. Each freed container splices its
   * children onto the front of the work list, so no recursion and no extra
   * memory is needed however deep the tree is. */
  if (node != NULL)
    node->next = NULL;
  while (todo != NULL) {
    sbi_json *n = todo;

    todo = n->next;
    if (n->head != NULL) {
      n->tail->next = todo;
      todo = n->head;
    }
    if (wipe) {
      sbi_secret_wipe((void *)(uintptr_t)n->key, n->key_len);
      sbi_secret_wipe((void *)(uintptr_t)n->str, n->str_len);
    }
    free(n);
  }
}

void sbi_json_free(sbi_json *node) { free_tree(node, 0); }

sbi_json *sbi_json_clone(const sbi_json *node, const char *key,
                         size_t key_len) {
  sbi_json *copy =
      node_alloc(node->type, key, key_len, node->str, node->str_len);
  const sbi_json *c;

  for (c = node->head; copy != NULL && c != NULL; c = c->next) {
    sbi_json *child = sbi_json_clone(c, c->key, c->key_len);

    if (child == NULL) {
      sbi_json_free(copy);
      return NULL;
    }
    sbi_json_append(copy, child);
  }
  return copy;
}

void sbi_json_free_secret(sbi_json *node) { free_tree(node, 1); }

static int key_equal(const sbi_json *n, const char *key, size_t key_len) {
  return n->key != NULL && n->key_len == key_len &&
         (key_len == 0 || memcmp(n->key, key, key_len) == 0);
}

sbi_json *sbi_json_get(const sbi_json *obj, const char *key, size_t key_len) {
  sbi_json *found = NULL;
  sbi_json *c;

  /* Duplicate keys are kept from parsing; the last one wins, as in most
   * JSON readers. */
  for (c = obj->head; c != NULL; c = c->next)
    if (key_equal(c, key, key_len))
      found = c;
  return found;
}

void sbi_json_append(sbi_json *parent, sbi_json *child) {
  child->next = NULL;
  if (parent->tail != NULL)
    parent->tail->next = child;
  else
    parent->head = child;
  parent->tail = child;
  parent->count++;
}

void sbi_json_put(sbi_json *obj, sbi_json *child) {
  sbi_json *prev = NULL, *found = NULL, *found_prev = NULL;
  sbi_json *c;

  /* Replace the last match, the member sbi_json_get() would return. */
  for (c = obj->head; c != NULL; prev = c, c = c->next) {
    if (key_equal(c, child->key, child->key_len)) {
      found = c;
      found_prev = prev;
    }
  }
  if (found == NULL) {
    sbi_json_append(obj, child);
    return;
  }
  child->next = found->next;
  if (found_prev != NULL)
    found_prev->next = child;
  else
    obj->head = child;
  if (obj->tail == found)
    obj->tail = child;
  sbi_json_free(found);
}

static int digit_at(const char *s, size_t i, size_t len) {
  return i < len && s[i] >= '0' && s[i] <= '9';
}

/* The decimal exponent E of the leading digit decides: a double's largest
 * value is about 1.8e308, so E > 308 overflows and E < 308 never does. At
 * E = 308 the doubles and the midpoints between them are whole numbers
 * (multiples of 2^970), so the rounding depends on the 309 integer digits
 * and on whether any digit after them is not 0. Those go to strtod as
 * digits and an exponent only: strtod reads the radix character of the
 * locale, which the host application may have changed. */
int sbi_json_number_overflows(const char *s, size_t len) {
  char digits[DBL_MAX_10_EXP + 1 + 1 + 8];
  size_t i = s[0] == '-', int_start = i, int_end, frac_start, frac_end;
  size_t lead, n = 0;
  int64_t e = 0, x = 0;
  int x_neg = 0;

  while (digit_at(s, i, len))
    i++;
  int_end = frac_start = frac_end = i;
  if (i < len && s[i] == '.') {
    frac_start = ++i;
    while (digit_at(s, i, len))
      i++;
    frac_end = i;
  }
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
      x_neg = s[i++] == '-';
    /* Past 10^9 the answer no longer depends on the value. */
    for (; digit_at(s, i, len); i++)
      if (x < 1000000000)
        x = x * 10 + (s[i] - '0');
  }
  for (lead = int_start; lead < int_end && s[lead] == '0'; lead++)
    ;
  if (lead < int_end) {
    e = (int64_t)(int_end - lead) - 1;
  } else {
    for (lead = frac_start; lead < frac_end && s[lead] == '0'; lead++)
      ;
    if (lead == frac_end)
      return 0; /* zero */
    e = -(int64_t)(lead - frac_start) - 1;
  }
  e += x_neg ? -x : x;
  if (e != DBL_MAX_10_EXP)
    return e > DBL_MAX_10_EXP;
  for (i = lead; i < frac_end; i++) {
    if (i == int_end)
      continue; /* the '.' */
    if (n <= DBL_MAX_10_EXP)
      digits[n++] = s[i];
    else if (s[i] != '0') {
      digits[n++] = '1'; /* stands for every digit after the 309th */
      break;
    }
  }
  snprintf(digits + n, sizeof digits - n, "e%d", DBL_MAX_10_EXP - (int)(n - 1));
  return isinf(strtod(digits, NULL));
}

/* "00" "01" ... "99": two digits per division. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

size_t sbi_json_format_int64(char *out, int64_t v) {
  char tmp[20];
  char *p = tmp + sizeof(tmp);
  /* Negate in unsigned arithmetic so INT64_MIN needs no special case. */
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  size_t len, sign = v < 0;

  while (u >= 100) {
    unsigned d = (unsigned)(u % 100) * 2;

    u /= 100;
    *--p = digit_pairs[d + 1];
    *--p = digit_pairs[d];
  }
  if (u >= 10) {
    unsigned d = (unsigned)u * 2;

    *--p = digit_pairs[d + 1];
    *--p = digit_pairs[d];
  } else {
    *--p = (char)('0' + u);
  }
  len = (size_t)(tmp + sizeof(tmp) - p);
  if (sign)
    out[0] = '-';
  memcpy(out + sign, p, len);
  out[sign + len] = '\0';
  return sign + len;
}

/* Rewrite the locale's decimal separator (which may be several bytes, or a
 * comma) as '.'; everything else printf emits for %g is ASCII digits, signs
 * and 'e'. */
static size_t fix_decimal_point(char *s) {
  char *r = s, *w = s;

  while (*r != '\0') {
    char c = *r;

    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e') {
      *w++ = *r++;
      continue;
    }
    *w++ = '.';
    while (*r != '\0' && !(*r >= '0' && *r <= '9'))
      r++;
  }
  *w = '\0';
  return (size_t)(w - s);
}

/* Most doubles in events are prices, ratios and measures with a few
 * decimals. For those, find the fewest decimals k with which m / 10^k reads
 * back as @v: m and 10^k are exact doubles and IEEE division rounds
 * correctly, so the text "m/10^k" parses back to exactly @v. This avoids the
 * printf/strtod round trip below, which costs more than building the whole
 * rest of a message. Returns 0 when @v needs more than 9 decimals or
 * digits beyond 2^53. */
static size_t format_decimal(char *out, double v) {
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                 1e5, 1e6, 1e7, 1e8, 1e9};
  const double exact_limit = 9007199254740992.0; /* 2^53 */
  int k;

  if (v == 0 && signbit(v))
    return 0;
  for (k = 0; k < 10; k++) {
    double scaled = v * pow10[k];
    int64_t m;
    char digits[24];
    size_t n, len;

    if (!(scaled < exact_limit && scaled > -exact_limit))
      return 0;
    /* any rounding will do: the check below decides */
    m = (int64_t)(scaled + (scaled < 0 ? -0.5 : 0.5));
    if ((double)m / pow10[k] != v)
      continue;
    n = sbi_json_format_int64(digits, m < 0 ? -m : m);
    len = 0;
    if (m < 0)
      out[len++] = '-';
    if (n <= (size_t)k) { /* 0.00ddd */
      out[len++] = '0';
      out[len++] = '.';
      memset(out + len, '0', (size_t)k - n);
      len += (size_t)k - n;
      memcpy(out + len, digits, n);
      len += n;
    } else {
      memcpy(out + len, digits, n - (size_t)k);
      len += n - (size_t)k;
      if (k > 0) {
        out[len++] = '.';
        memcpy(out + len, digits + n - (size_t)k, (size_t)k);
        len += (size_t)k;
      }
    }
    out[len] = '\0';
    return len;
  }
  return 0;
}

size_t sbi_json_format_double(char *out, double v) {
  int prec;
  size_t len;

  assert(isfinite(v));
  len = format_decimal(out, v);
  if (len > 0)
    return len;
  /* 15 significant digits always survive a trip through double, so they
   * are exact whenever they read back as @v; 17 always read back. The text
   * is parsed back in the same locale it was printed in. */
  for (prec = 15; prec < 17; prec++) {
    snprintf(out, SBI_JSON_NUMBER_MAX, "%.*g", prec, v);
    if (strtod(out, NULL) == v)
      return fix_decimal_point(out);
  }
  snprintf(out, SBI_JSON_NUMBER_MAX, "%.17g", v);
  return fix_decimal_point(out);
}
