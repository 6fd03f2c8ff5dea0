/*
 * Byte-level views of JSON text that cJSON has already accepted: the mock
 * records what the client sent, minus insignificant whitespace, rather than
 * cJSON's re-serialization (which would rewrite numbers and escapes).
 */
#include "mock_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static int is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *sbm_json_minify(const char *s, size_t n, size_t *out_len) {
  char *out = malloc(n + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  int in_string = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (in_string) {
      out[o++] = c;
      if (c == '\\' && i + 1 < n)
        out[o++] = s[++i];
      else if (c == '"')
        in_string = 0;
    } else if (!is_json_space(c)) {
      out[o++] = c;
      in_string = c == '"';
    }
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

/* Index just past the string starting at s[i] (a quote). */
static size_t string_end(const char *s, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (s[i] == '\\')
      i++;
    else if (s[i] == '"')
      return i + 1;
  }
  return n;
}

/* Index just past the value starting at s[i], in minified text. */
static size_t value_end(const char *s, size_t n, size_t i) {
  if (i >= n)
    return n;
  if (s[i] == '"')
    return string_end(s, n, i);
  if (s[i] == '{' || s[i] == '[') {
    size_t depth = 0;
    while (i < n) {
      char c = s[i];
      if (c == '"') {
        i = string_end(s, n, i);
        continue;
      }
      if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && --depth == 0)
        return i + 1;
      i++;
    }
    return n;
  }
  while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']')
    i++;
  return i;
}

/* Whether the quoted key s[start, end) decodes to @key (escapes included). */
static int key_is(const char *s, size_t start, size_t end, const char *key) {
  cJSON *k = cJSON_ParseWithLength(s + start, end - start);
  int same = cJSON_IsString(k) && strcmp(k->valuestring, key) == 0;
  cJSON_Delete(k);
  return same;
}

int sbm_json_array_spans(const char *s, size_t n, const char *key,
                         sbm_span **out, size_t *count) {
  if (n == 0 || s[0] != '{')
    return -1;
  size_t i = 1;
  while (i < n && s[i] == '"') {
    size_t key_end = string_end(s, n, i);
    size_t v = key_end + 1; /* past the ':' */
    if (key_is(s, i, key_end, key)) {
      if (v >= n || s[v] != '[')
        return -1;
      size_t cap = 16, len = 0;
      sbm_span *spans = malloc(cap * sizeof *spans);
      if (!spans)
        return -1;
      size_t j = v + 1;
      while (j < n && s[j] != ']') {
        if (len == cap) {
          sbm_span *grown = realloc(spans, 2 * cap * sizeof *spans);
          if (!grown) {
            free(spans);
            return -1;
          }
          spans = grown;
          cap *= 2;
        }
        size_t e = value_end(s, n, j);
        spans[len].start = j;
        spans[len].end = e;
        len++;
        j = e < n && s[e] == ',' ? e + 1 : e;
      }
      *out = spans;
      *count = len;
      return 0;
    }
    i = value_end(s, n, v);
    if (i < n && s[i] == ',')
      i++;
  }
  return -1;
}
