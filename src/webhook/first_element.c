/* Finding the raw bytes of a batch's first event, the part Segment signs
 * (spec §8.10), without parsing: a lexical scan with a depth counter.
 *
 * What counts as a batch must agree with segb_webhook_parse(), or a body
 * could pass verification on a signed first element that the parser then
 * does not treat as one of its events. So the scan gives up (no candidate;
 * only the whole body is tried) on anything it cannot read as the parser
 * would: an escape inside a top-level key, a repeated "batch", a "type". */
#include "webhook_int.h"

#include <string.h>

typedef struct scan {
  const char *p;
  size_t len;
  size_t i;
} scan;

static void skip_ws(scan *s) {
  while (s->i < s->len && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
                           s->p[s->i] == '\n' || s->p[s->i] == '\r'))
    s->i++;
}

/* Past the string whose '"' is at s->i; *@escaped says whether it holds a
 * backslash. 0 when it does not end. */
static int skip_string(scan *s, int *escaped) {
  size_t i = s->i + 1;

  *escaped = 0;
  while (i < s->len && s->p[i] != '"') {
    if (s->p[i] == '\\') {
      *escaped = 1;
      i++;
    }
    i++;
  }
  if (i >= s->len)
    return 0;
  s->i = i + 1;
  return 1;
}

/* Past the value at s->i: a string, a bracketed value (brackets counted,
 * strings skipped), or a scalar up to the next delimiter. 0 when the input
 * ends first. */
static int skip_value(scan *s) {
  size_t depth = 0;
  int escaped;

  if (s->i >= s->len)
    return 0;
  if (s->p[s->i] == '"')
    return skip_string(s, &escaped);
  if (s->p[s->i] != '[' && s->p[s->i] != '{') {
    while (s->i < s->len && strchr(",]} \t\r\n", s->p[s->i]) == NULL)
      s->i++;
    return 1;
  }
  while (s->i < s->len) {
    char c = s->p[s->i];

    if (c == '"') {
      if (!skip_string(s, &escaped))
        return 0;
      continue;
    }
    if (c == '[' || c == '{')
      depth++;
    else if ((c == ']' || c == '}') && --depth == 0) {
      s->i++;
      return 1;
    }
    s->i++;
  }
  return 0;
}

/* The first element of the array whose '[' is at s->i. */
static int first_of_array(scan *s, size_t *start, size_t *end, int *more) {
  s->i++;
  skip_ws(s);
  if (s->i >= s->len || s->p[s->i] == ']')
    return 0;
  *start = s->i;
  if (!skip_value(s))
    return 0;
  *end = s->i;
  skip_ws(s);
  *more = s->i < s->len && s->p[s->i] == ',';
  return *end > *start && s->i < s->len && (*more || s->p[s->i] == ']');
}

static int key_is(const scan *s, size_t open, const char *name) {
  size_t n = strlen(name);

  return s->i - open == n + 2 && memcmp(s->p + open + 1, name, n) == 0;
}

/* The "batch" array of the object whose '{' is at s->i, read member by
 * member to its closing brace. */
static int first_of_batch(scan *s, size_t *start, size_t *end, int *more) {
  size_t batch_at = 0;
  int batches = 0, escaped;

  s->i++;
  for (;;) {
    size_t open;
    int is_batch;

    skip_ws(s);
    if (s->i >= s->len || s->p[s->i] != '"')
      return 0;
    open = s->i;
    if (!skip_string(s, &escaped) || escaped || key_is(s, open, "type"))
      return 0;
    is_batch = key_is(s, open, "batch");
    batches += is_batch;
    skip_ws(s);
    if (s->i >= s->len || s->p[s->i] != ':')
      return 0;
    s->i++;
    skip_ws(s);
    if (is_batch)
      batch_at = s->i;
    if (!skip_value(s))
      return 0;
    skip_ws(s);
    if (s->i < s->len && s->p[s->i] == ',') {
      s->i++;
      continue;
    }
    if (s->i >= s->len || s->p[s->i] != '}' || batches != 1 ||
        s->p[batch_at] != '[')
      return 0;
    s->i = batch_at;
    return first_of_array(s, start, end, more);
  }
}

int sbi_webhook_first_element(const char *body, size_t len, size_t *start,
                              size_t *end, int *more) {
  scan s = {body, len, 0};

  skip_ws(&s);
  if (s.i >= len)
    return 0;
  if (body[s.i] == '[')
    return first_of_array(&s, start, end, more);
  if (body[s.i] == '{')
    return first_of_batch(&s, start, end, more);
  return 0;
}
