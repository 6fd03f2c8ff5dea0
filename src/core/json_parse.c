/*
 * Strict RFC 8259 parser. It is iterative: open arrays and objects sit on an
 * explicit stack, so a large max_depth cannot overflow the C stack.
 *
 * Error codes: invalid raw bytes inside a string give SEGB_ERR_INVALID_UTF8;
 * everything else about the text, including bad or unpaired \u escapes,
 * gives SEGB_ERR_INVALID_JSON.
 */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>

#include "utf8.h"

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* An array or object being parsed, and where it starts in the text. */
struct open {
  sbi_json *node;
  size_t at;
};

/* Depths and objects most input stays within, served without allocating. */
#define INLINE_DEPTH 16
#define SMALL_OBJECT 8

typedef struct parser {
  const unsigned char *p;
  size_t len;
  size_t pos;
  char *why;
  size_t why_size;
  /* Decoded text of strings that contain escapes; strings without escapes
   * are used in place. Cleared after every node. */
  sbi_buf scratch;
  struct open *stack; /* open arrays and objects, innermost last */
  size_t depth;
  size_t stack_cap;
  struct open inline_stack[INLINE_DEPTH]; /* the stack until it grows */
  const sbi_json_opts *opts;
  size_t nodes; /* made so far */
  /* SBI_JSON_UNIQUE_KEYS: each object's members, sorted by key when it
   * closes, so twins end up side by side (O(n log n) whatever the keys). */
  const sbi_json **members;
  size_t members_cap;
} parser;

/* A decoded string: @ptr into the input, or, when @ptr is NULL, @off into
 * the scratch buffer (which may move while more is decoded). */
typedef struct span {
  const char *ptr;
  size_t off;
  size_t len;
} span;

/* The message names the place only: the input may hold a secret. */
static int fail(parser *ps, int code, const char *msg, size_t at) {
  if (ps->why != NULL && ps->why_size > 0)
    snprintf(ps->why, ps->why_size, "%s at byte %zu", msg, at);
  return code;
}

static int fail_end(parser *ps) {
  return fail(ps, SEGB_ERR_INVALID_JSON, "unexpected end of input", ps->len);
}

static void skip_ws(parser *ps) {
  while (ps->pos < ps->len) {
    unsigned char c = ps->p[ps->pos];

    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return;
    ps->pos++;
  }
}

/* Bytes that end a run of plain string content. */
static int is_special(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* Whether any of the eight bytes in @w is special. The classic "has a byte
 * below n" and "has a zero byte" tests are exact as yes/no answers. */
static int word_has_special(uint64_t w) {
  uint64_t q = w ^ (ONES * '"');
  uint64_t b = w ^ (ONES * '\\');
  uint64_t ctl = (w - ONES * 0x20) & ~w;

  q = (q - ONES) & ~q;
  b = (b - ONES) & ~b;
  return ((ctl | q | b | w) & HIGHS) != 0;
}

static size_t skip_plain(const unsigned char *p, size_t i, size_t len) {
  uint64_t w;

  while (len - i >= 8) {
    memcpy(&w, p + i, 8);
    if (word_has_special(w))
      break;
    i += 8;
  }
  while (i < len && !is_special(p[i]))
    i++;
  return i;
}

static long hex4(const unsigned char *p) {
  long v = 0;
  int k;

  for (k = 0; k < 4; k++) {
    unsigned char c = p[k];

    if (c >= '0' && c <= '9')
      v = v * 16 + (c - '0');
    else if (c >= 'a' && c <= 'f')
      v = v * 16 + (c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v = v * 16 + (c - 'A' + 10);
    else
      return -1;
  }
  return v;
}

static int put_utf8(sbi_buf *b, unsigned long cp) {
  char u[4];
  size_t n;

  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return sbi_buf_append(b, u, n);
}

/* Decode the escape at ps->p[*at] (a backslash) into the scratch buffer and
 * move *at past it. */
static int decode_escape(parser *ps, size_t *at) {
  const unsigned char *p = ps->p;
  size_t i = *at, n = 2;
  long cp, lo;
  char c;

  if (ps->len - i < 2)
    return fail_end(ps);
  switch (p[i + 1]) {
  case '"':
  case '\\':
  case '/':
    c = (char)p[i + 1];
    break;
  case 'b':
    c = '\b';
    break;
  case 'f':
    c = '\f';
    break;
  case 'n':
    c = '\n';
    break;
  case 'r':
    c = '\r';
    break;
  case 't':
    c = '\t';
    break;
  case 'u':
    if (ps->len - i < 6 || (cp = hex4(p + i + 2)) < 0)
      return fail(ps, SEGB_ERR_INVALID_JSON, "invalid \\u escape", i);
    n = 6;
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      /* A high surrogate must be followed at once by an escaped low one. */
      if (cp > 0xDBFF || ps->len - i < 12 || p[i + 6] != '\\' ||
          p[i + 7] != 'u' || (lo = hex4(p + i + 8)) < 0xDC00 || lo > 0xDFFF)
        return fail(ps, SEGB_ERR_INVALID_JSON, "unpaired surrogate escape", i);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      n = 12;
    }
    *at = i + n;
    return put_utf8(&ps->scratch, (unsigned long)cp);
  default:
    return fail(ps, SEGB_ERR_INVALID_JSON, "invalid escape", i);
  }
  *at = i + n;
  return sbi_buf_putc(&ps->scratch, c);
}

/* Parse the string starting at the '"' at ps->pos. */
static int parse_string(parser *ps, span *out) {
  const unsigned char *p = ps->p;
  size_t open = ps->pos, i = open + 1, seg = i;
  size_t scratch_start = ps->scratch.len;
  int escaped = 0, rc;

  for (;;) {
    unsigned char c;

    i = skip_plain(p, i, ps->len);
    if (i >= ps->len)
      return fail_end(ps);
    c = p[i];
    if (c == '"')
      break;
    if (c >= 0x80) {
      /* Any byte below 0x80 ends a UTF-8 sequence, so checking whole runs
       * of high bytes checks every sequence. */
      size_t end = i, ok;

      while (end < ps->len && p[end] >= 0x80)
        end++;
      ok = sbi_utf8_valid_prefix((const char *)p + i, end - i);
      if (ok != end - i)
        return fail(ps, SEGB_ERR_INVALID_UTF8, "invalid UTF-8", i + ok);
      i = end;
    } else if (c == '\\') {
      if (sbi_buf_append(&ps->scratch, p + seg, i - seg) != SEGB_OK)
        return fail(ps, SEGB_ERR_NOMEM, "out of memory", i);
      rc = decode_escape(ps, &i);
      if (rc == SEGB_ERR_NOMEM)
        return fail(ps, rc, "out of memory", i);
      if (rc != SEGB_OK)
        return rc;
      seg = i;
      escaped = 1;
    } else {
      return fail(ps, SEGB_ERR_INVALID_JSON, "control character in string", i);
    }
  }
  if (escaped) {
    if (sbi_buf_append(&ps->scratch, p + seg, i - seg) != SEGB_OK)
      return fail(ps, SEGB_ERR_NOMEM, "out of memory", i);
    out->ptr = NULL;
    out->off = scratch_start;
    out->len = ps->scratch.len - scratch_start;
  } else {
    out->ptr = (const char *)p + seg;
    out->len = i - seg;
  }
  ps->pos = i + 1;
  return SEGB_OK;
}

static int is_digit(const parser *ps, size_t i) {
  return i < ps->len && ps->p[i] >= '0' && ps->p[i] <= '9';
}

/* Check the number grammar from ps->pos and return the lexeme's length. */
static int scan_number(parser *ps, size_t *len) {
  size_t i = ps->pos;

  if (ps->p[i] == '-')
    i++;
  if (!is_digit(ps, i))
    return fail(ps, SEGB_ERR_INVALID_JSON, "invalid number", i);
  if (ps->p[i] == '0') {
    i++;
  } else {
    while (is_digit(ps, i))
      i++;
  }
  if (i < ps->len && ps->p[i] == '.') {
    i++;
    if (!is_digit(ps, i))
      return fail(ps, SEGB_ERR_INVALID_JSON, "invalid number", i);
    while (is_digit(ps, i))
      i++;
  }
  if (i < ps->len && (ps->p[i] == 'e' || ps->p[i] == 'E')) {
    i++;
    if (i < ps->len && (ps->p[i] == '+' || ps->p[i] == '-'))
      i++;
    if (!is_digit(ps, i))
      return fail(ps, SEGB_ERR_INVALID_JSON, "invalid number", i);
    while (is_digit(ps, i))
      i++;
  }
  *len = i - ps->pos;
  return SEGB_OK;
}

static int match_word(parser *ps, const char *word, size_t n) {
  if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
    return 0;
  ps->pos += n;
  return 1;
}

static const char *span_ptr(const parser *ps, const span *s) {
  return s->ptr != NULL ? s->ptr : ps->scratch.data + s->off;
}

/* Parse one value at ps->pos into a new node named @key (NULL for none).
 * An array or object comes back empty, with ps->pos past its bracket. */
static int parse_value(parser *ps, const span *key, sbi_json **node) {
  sbi_json_type type;
  span text = {NULL, 0, 0};
  const char *key_ptr = NULL;
  size_t key_len = 0, start = ps->pos;
  int rc;

  if (ps->pos >= ps->len)
    return fail_end(ps);
  if (ps->opts->max_nodes > 0 && ps->nodes == ps->opts->max_nodes)
    return fail(ps, SEGB_ERR_TOO_LARGE, "too many values", start);
  switch (ps->p[ps->pos]) {
  case '{':
    type = SBI_JSON_OBJECT;
    ps->pos++;
    break;
  case '[':
    type = SBI_JSON_ARRAY;
    ps->pos++;
    break;
  case '"':
    type = SBI_JSON_STRING;
    rc = parse_string(ps, &text);
    if (rc != SEGB_OK)
      return rc;
    break;
  case 't':
    type = SBI_JSON_TRUE;
    if (!match_word(ps, "true", 4))
      return fail(ps, SEGB_ERR_INVALID_JSON, "invalid literal", start);
    break;
  case 'f':
    type = SBI_JSON_FALSE;
    if (!match_word(ps, "false", 5))
      return fail(ps, SEGB_ERR_INVALID_JSON, "invalid literal", start);
    break;
  case 'n':
    type = SBI_JSON_NULL;
    if (!match_word(ps, "null", 4))
      return fail(ps, SEGB_ERR_INVALID_JSON, "invalid literal", start);
    break;
  default:
    if (ps->p[ps->pos] != '-' && !is_digit(ps, ps->pos))
      return fail(ps, SEGB_ERR_INVALID_JSON, "expected a value", start);
    type = SBI_JSON_NUMBER;
    rc = scan_number(ps, &text.len);
    if (rc != SEGB_OK)
      return rc;
    text.ptr = (const char *)ps->p + start;
    ps->pos += text.len;
    break;
  }
  /* Pointers into the scratch buffer are taken only now that it is done
   * growing. */
  if (key != NULL) {
    key_ptr = span_ptr(ps, key);
    key_len = key->len;
  }
  if (type == SBI_JSON_STRING)
    *node =
        sbi_json_new_string(key_ptr, key_len, span_ptr(ps, &text), text.len);
  else if (type == SBI_JSON_NUMBER)
    *node = sbi_json_new_number_text(key_ptr, key_len, text.ptr, text.len);
  else
    *node = sbi_json_new(type, key_ptr, key_len);
  if (*node == NULL)
    return fail(ps, SEGB_ERR_NOMEM, "out of memory", start);
  ps->nodes++;
  return SEGB_OK;
}

static int key_order(const void *a, const void *b) {
  const sbi_json *x = *(const sbi_json *const *)a;
  const sbi_json *y = *(const sbi_json *const *)b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = n > 0 ? memcmp(x->key, y->key, n) : 0;

  if (c != 0)
    return c;
  return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Refuse the object closed by the '}' at ps->pos for the duplicate key of
 * @twin. Unlike the other reasons this one names the key (escaped, cut
 * after 32 bytes): only message input asks for unique keys, and there a
 * key is a field name the caller has to find. */
static int refuse_twin(parser *ps, const sbi_json *twin) {
  static const char hex[] = "0123456789abcdef";
  char shown[32 * 4 + 4], msg[sizeof shown + 48];
  size_t i, o = 0, cut;

  /* Cut on a character boundary: keys are valid UTF-8. */
  cut = twin->key_len < 32 ? twin->key_len : 32;
  while (cut < twin->key_len && ((unsigned char)twin->key[cut] & 0xC0) == 0x80)
    cut--;
  for (i = 0; i < cut; i++) {
    unsigned char c = (unsigned char)twin->key[i];
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      shown[o++] = '\\';
      shown[o++] = 'x';
      shown[o++] = hex[c >> 4];
      shown[o++] = hex[c & 0xF];
    } else {
      shown[o++] = (char)c;
    }
  }
  if (cut < twin->key_len) {
    memcpy(shown + o, "...", 3);
    o += 3;
  }
  shown[o] = '\0';
  snprintf(msg, sizeof msg, "duplicate key \"%s\" in the object ending", shown);
  return fail(ps, SEGB_ERR_DUPLICATE_KEY, msg, ps->pos);
}

/* Refuse object @obj, closed by the '}' at ps->pos, when two of its members
 * share a key. */
static int check_unique(parser *ps, const sbi_json *obj) {
  const sbi_json *m, *twin = NULL;
  size_t n = 0, i;

  if (obj->count < 2)
    return SEGB_OK;
  if (obj->count <= SMALL_OBJECT) {
    /* Few members: each pair, without sorting; the least key with a twin,
     * as the sorted walk below finds. */
    for (m = obj->head; m != NULL; m = m->next)
      for (const sbi_json *later = m->next; later != NULL; later = later->next)
        if (key_order(&m, &later) == 0 &&
            (twin == NULL || key_order(&m, &twin) < 0))
          twin = later;
    return twin == NULL ? SEGB_OK : refuse_twin(ps, twin);
  }
  if (obj->count > ps->members_cap) {
    const sbi_json **a = realloc(ps->members, obj->count * sizeof *a);
    if (a == NULL)
      return fail(ps, SEGB_ERR_NOMEM, "out of memory", ps->pos);
    ps->members = a;
    ps->members_cap = obj->count;
  }
  for (m = obj->head; m != NULL; m = m->next)
    ps->members[n++] = m;
  qsort(ps->members, n, sizeof *ps->members, key_order);
  for (i = 1; i < n && twin == NULL; i++)
    if (key_order(&ps->members[i - 1], &ps->members[i]) == 0)
      twin = ps->members[i];
  return twin == NULL ? SEGB_OK : refuse_twin(ps, twin);
}

/* Open @node, whose bracket is the byte before ps->pos. */
static int push(parser *ps, sbi_json *node) {
  if (ps->depth == ps->stack_cap) {
    size_t cap = ps->stack_cap * 2;
    struct open *s;

    if (cap > SIZE_MAX / sizeof(*s))
      return fail(ps, SEGB_ERR_NOMEM, "out of memory", ps->pos);
    s = ps->stack == ps->inline_stack ? malloc(cap * sizeof(*s))
                                      : realloc(ps->stack, cap * sizeof(*s));
    if (s == NULL)
      return fail(ps, SEGB_ERR_NOMEM, "out of memory", ps->pos);
    if (ps->stack == ps->inline_stack)
      memcpy(s, ps->inline_stack, sizeof ps->inline_stack);
    ps->stack = s;
    ps->stack_cap = cap;
  }
  ps->stack[ps->depth].node = node;
  ps->stack[ps->depth].at = ps->pos - 1;
  ps->depth++;
  return SEGB_OK;
}

/* Call the item hook on the last value of the innermost open array or
 * object: @at NULL as it joins, else once it ends at ps->pos, having
 * started at *@at. */
static int item_hook(parser *ps, const size_t *at) {
  sbi_json_span where;
  int rc;

  if (ps->opts->on_item == NULL || ps->depth == 0)
    return SEGB_OK;
  if (at != NULL) {
    where.at = *at;
    where.len = ps->pos - *at;
  }
  rc = ps->opts->on_item(ps->opts->opaque, ps->stack[ps->depth - 1].node,
                         ps->depth, at != NULL ? &where : NULL);
  return rc == SEGB_OK ? rc : fail(ps, rc, "refused by a limit", ps->pos);
}

/* Parse one value with everything nested in it. Every node is linked into
 * *root as soon as it exists, so on error freeing *root frees them all. */
static int parse_tree(parser *ps, const span *key, unsigned max_depth,
                      sbi_json **root) {
  sbi_json *node;
  size_t at;
  int rc;

  skip_ws(ps);
  at = ps->pos;
  rc = parse_value(ps, key, root);
  if (rc != SEGB_OK)
    return rc;
  node = *root;
  for (;;) {
    sbi_json *top;
    span k;
    int want_item = 0;

    if (node->type == SBI_JSON_ARRAY || node->type == SBI_JSON_OBJECT) {
      char close = node->type == SBI_JSON_ARRAY ? ']' : '}';

      if (ps->depth >= max_depth)
        return fail(ps, SEGB_ERR_TOO_DEEP, "nesting too deep", ps->pos - 1);
      rc = push(ps, node);
      if (rc != SEGB_OK)
        return rc;
      skip_ws(ps);
      /* an empty one is closed below */
      want_item = ps->pos >= ps->len || ps->p[ps->pos] != close;
    } else if ((rc = item_hook(ps, &at)) != SEGB_OK) {
      return rc;
    }
    /* Close whatever is finished until a ',' asks for another item. */
    while (!want_item) {
      int is_array;

      skip_ws(ps);
      if (ps->depth == 0)
        return SEGB_OK;
      is_array = ps->stack[ps->depth - 1].node->type == SBI_JSON_ARRAY;
      if (ps->pos >= ps->len)
        return fail_end(ps);
      if (ps->p[ps->pos] == ',') {
        want_item = 1;
        ps->pos++;
      } else if (ps->p[ps->pos] == (is_array ? ']' : '}')) {
        if (!is_array && (ps->opts->flags & SBI_JSON_UNIQUE_KEYS) &&
            (rc = check_unique(ps, ps->stack[ps->depth - 1].node)) != SEGB_OK)
          return rc;
        ps->pos++;
        ps->depth--;
        if ((rc = item_hook(ps, &ps->stack[ps->depth].at)) != SEGB_OK)
          return rc;
      } else {
        return fail(ps, SEGB_ERR_INVALID_JSON,
                    is_array ? "expected ',' or ']'" : "expected ',' or '}'",
                    ps->pos);
      }
    }
    top = ps->stack[ps->depth - 1].node;
    skip_ws(ps);
    if (top->type == SBI_JSON_OBJECT) {
      if (ps->pos >= ps->len)
        return fail_end(ps);
      if (ps->p[ps->pos] != '"')
        return fail(ps, SEGB_ERR_INVALID_JSON, "expected a string key",
                    ps->pos);
      rc = parse_string(ps, &k);
      if (rc != SEGB_OK)
        return rc;
      skip_ws(ps);
      if (ps->pos >= ps->len)
        return fail_end(ps);
      if (ps->p[ps->pos] != ':')
        return fail(ps, SEGB_ERR_INVALID_JSON, "expected ':'", ps->pos);
      ps->pos++;
      skip_ws(ps);
    }
    at = ps->pos;
    rc = parse_value(ps, top->type == SBI_JSON_OBJECT ? &k : NULL, &node);
    if (rc != SEGB_OK)
      return rc;
    sbi_json_append(top, node);
    sbi_buf_clear(&ps->scratch);
    if ((rc = item_hook(ps, NULL)) != SEGB_OK)
      return rc;
  }
}

int sbi_json_parse_opts(const char *text, size_t len, const char *key,
                        size_t key_len, const sbi_json_opts *opts,
                        sbi_json **out, char *why, size_t why_size) {
  parser ps = {.p = (const unsigned char *)text,
               .len = len,
               .why = why,
               .why_size = why_size,
               .scratch = SBI_BUF_INIT,
               .stack_cap = INLINE_DEPTH,
               .opts = opts};
  span root_key = {key, 0, key_len};
  sbi_json *root = NULL;
  int rc;

  ps.stack = ps.inline_stack;
  *out = NULL;
  rc = parse_tree(&ps, key != NULL ? &root_key : NULL, opts->max_depth, &root);
  if (rc == SEGB_OK) {
    skip_ws(&ps);
    if (ps.pos != len)
      rc = fail(&ps, SEGB_ERR_INVALID_JSON, "unexpected data after the value",
                ps.pos);
  }
  if (ps.stack != ps.inline_stack)
    free(ps.stack);
  free(ps.members);
  sbi_buf_free(&ps.scratch);
  if (rc != SEGB_OK) {
    sbi_json_free(root);
    return rc;
  }
  *out = root;
  return SEGB_OK;
}

int sbi_json_parse(const char *text, size_t len, const char *key,
                   size_t key_len, unsigned max_depth, sbi_json **out,
                   char *why, size_t why_size) {
  sbi_json_opts opts = {max_depth, 0, 0, NULL, NULL};

  return sbi_json_parse_opts(text, len, key, key_len, &opts, out, why,
                             why_size);
}
