#include "config/props.h"
#include "core/err.h"
#include "core/json.h"
#include "core/secret.h"
#include "core/url.h"
#include "core/utf8.h"

#include <segbridge/config.h>
#include <segbridge/error.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct segb_config_s {
  char *text[SBI_PROP__COUNT];   /* canonical text as set; NULL = default */
  int64_t val[SBI_PROP__COUNT];  /* parsed value of the current text */
  segb_delivery_cb *delivery_cb; /* callbacks have typed setters, not keys */
  segb_log_cb *log_cb;
  segb_stats_cb *stats_cb;
  void *opaque;
};

/* Longest part of a value or name quoted in an error message, and the room
 * its quoted form needs: every byte may become \xNN, plus "..." and NUL. */
#define ECHO_MAX 64
#define ECHO_SIZE (ECHO_MAX * 4 + 4)

/* Longest property name the edit distance looks at; names are far shorter. */
#define SUGGEST_NAME_MAX 48

/* Where a failing call reports: the caller's errstr, if any. */
typedef struct errout {
  char *buf;
  size_t size;
} errout;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(const errout *eo, int code, const char *fmt, ...) {
  char msg[SBI_ERR_DETAIL_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (eo != NULL && eo->buf != NULL && eo->size > 0) {
    size_t n = strlen(msg);
    if (n >= eo->size) {
      n = eo->size - 1;
      /* Cut before a character, never inside one. */
      while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
        n--;
    }
    memcpy(eo->buf, msg, n);
    eo->buf[n] = '\0';
  }
  return sbi_error(code, "%s", msg);
}

/* @s (@n bytes) made safe to quote: ASCII controls, and every non-ASCII byte
 * when @s is not valid UTF-8, become \xNN; cut after ECHO_MAX bytes on a
 * character boundary, marked with "...". Returns @out. */
static const char *echo(char out[ECHO_SIZE], const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  int utf8 = sbi_utf8_is_valid(s, n);
  size_t cut = n > ECHO_MAX ? ECHO_MAX : n;
  size_t i, o = 0;

  if (utf8)
    while (cut > 0 && cut < n && ((unsigned char)s[cut] & 0xC0) == 0x80)
      cut--;
  for (i = 0; i < cut; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 0xF];
    } else {
      out[o++] = (char)c;
    }
  }
  if (cut < n) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
  return out;
}

static char *copy_text(const char *s, size_t n) {
  char *t = malloc(n + 1);
  if (t != NULL) {
    memcpy(t, s, n);
    t[n] = '\0';
  }
  return t;
}

/* A URL may carry a proxy password, so it is wiped like a secret. */
static void free_text(const sbi_prop *p, char *s) {
  if (sbi_prop_is_secret(p) || p->type == SBI_PT_URL)
    sbi_secret_free(s);
  else
    free(s);
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* 1 when the @n bytes at @a and @b match, ASCII case ignored. */
static int same_ci(const char *a, const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
      return 0;
  return 1;
}

/* 1 when the @n bytes at @s spell the word @w, ASCII case ignored. */
static int is_word(const char *s, size_t n, const char *w) {
  return strlen(w) == n && same_ci(s, w, n);
}

/* Index of the choice in "a|b|c" spelled by the @n bytes at @s, or -1. */
static int choice_find(const char *choices, const char *s, size_t n) {
  const char *c = choices;
  int i;
  for (i = 0;; i++) {
    size_t len = strcspn(c, "|");
    if (len == n && same_ci(c, s, n))
      return i;
    if (c[len] == '\0')
      return -1;
    c += len + 1;
  }
}

/* Choice @i of "a|b|c"; its length goes to @len. */
static const char *choice_at(const char *choices, int64_t i, size_t *len) {
  const char *c = choices;
  for (; i > 0; i--)
    c += strcspn(c, "|") + 1;
  *len = strcspn(c, "|");
  return c;
}

static int choice_count(const char *choices) {
  int n = 1;
  for (; *choices != '\0'; choices++)
    n += *choices == '|';
  return n;
}

/* Strict decimal: an optional sign and digits only. 0 when @s is a number
 * that fits, 1 when it is a number beyond int64, -1 otherwise. Overflow is
 * caught before the digit that would cause it is added: checking after the
 * multiplication lets 2^64 + 5 wrap around to 5. */
static int parse_i64(const char *s, int64_t *out) {
  uint64_t acc = 0, limit = (uint64_t)INT64_MAX;
  int neg = 0, big = 0;

  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  if (neg)
    limit += 1; /* INT64_MIN has no positive twin */
  if (*s == '\0')
    return -1;
  for (; *s != '\0'; s++) {
    unsigned d;
    if (*s < '0' || *s > '9')
      return -1;
    d = (unsigned)(*s - '0');
    /* Once too big, keep scanning: "99...9x" is not a number at all. */
    if (big || acc > (limit - d) / 10)
      big = 1;
    else
      acc = acc * 10 + d;
  }
  if (big)
    return 1;
  /* Negate in unsigned arithmetic so INT64_MIN needs no special case. */
  *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
  return 0;
}

/* Offset of the first control character (C0, DEL or C1) of the valid UTF-8
 * @s, or @len when there is none. @lines lets tab, CR and LF through. */
static size_t find_control(const char *s, size_t len, int lines) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 && !(lines && (c == '\t' || c == '\n' || c == '\r')))
      return i;
    if (c == 0x7F)
      return i;
    /* U+0080..U+009F are encoded C2 80..C2 9F. */
    if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9F)
      return i;
  }
  return len;
}

/* http://..., https://... or a bare host[:port][/path]. */
static int url_ok(const char *v) {
  const char *sep = strstr(v, "://");
  size_t scheme;

  if (strchr(v, ' ') != NULL)
    return 0;
  if (sep == NULL)
    return v[0] != '/' && v[0] != ':';
  scheme = (size_t)(sep - v);
  if (!is_word(v, scheme, "http") && !is_word(v, scheme, "https"))
    return 0;
  return sep[3] != '\0' && sep[3] != '/' && sep[3] != ':';
}

/* The same normalization the client applies later, so that a value that
 * cannot become a URL is refused when it is set. */
static int check_endpoint(const sbi_prop *p, const char *v, const errout *eo) {
  sbi_buf url = SBI_BUF_INIT;
  int rc = sbi_endpoint_normalize(v, &url);

  sbi_buf_free(&url);
  if (rc == SEGB_OK)
    return SEGB_OK;
  return fail(eo, SEGB_ERR_INVALID_VALUE, "%s: %s", p->name,
              segb_last_error_message());
}

/* The text types: string, secret, PEM, URL, path. Secrets are never echoed,
 * and neither is other free text: a URL may carry proxy credentials. */
/* A context object: JSON, an object, without the library's own member. */
static int check_json_object(const sbi_prop *p, const char *v, size_t len,
                             const errout *eo) {
  char why[160];
  sbi_json *tree;
  int rc = sbi_json_parse(v, len, NULL, 0, SBI_CONF_JSON_DEPTH, &tree, why,
                          sizeof why);

  if (rc != SEGB_OK)
    return fail(eo, SEGB_ERR_INVALID_VALUE, "%s: value is not JSON: %s",
                p->name, why);
  rc = tree->type != SBI_JSON_OBJECT
           ? fail(eo, SEGB_ERR_INVALID_VALUE, "%s: value is not a JSON object",
                  p->name)
       : sbi_json_get(tree, "library", 7) != NULL
           ? fail(eo, SEGB_ERR_INVALID_VALUE,
                  "%s: library is set by libsegbridge", p->name)
           : SEGB_OK;
  sbi_json_free(tree);
  return rc;
}

static int check_text(const sbi_prop *p, const char *v, const errout *eo) {
  size_t len = strlen(v);
  size_t bad;

  if ((uint64_t)len > (uint64_t)p->max)
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: value is longer than %" PRId64 " bytes", p->name, p->max);
  if (!sbi_utf8_is_valid(v, len))
    return fail(eo, SEGB_ERR_INVALID_VALUE, "%s: value is not valid UTF-8",
                p->name);
  bad = find_control(v, len, p->type == SBI_PT_PEM || p->type == SBI_PT_JSON);
  if (bad < len)
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: value has a control character at byte %zu", p->name, bad);
  if ((uint64_t)len < (uint64_t)p->min)
    return fail(eo, SEGB_ERR_INVALID_VALUE, "%s: value must not be empty",
                p->name);
  if (len == 0)
    return SEGB_OK;
  if (p->type == SBI_PT_URL && !url_ok(v))
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: value is not a URL (expected http://host, "
                "https://host or a bare host, no spaces)",
                p->name);
  if (p->type == SBI_PT_ENDPOINT)
    return check_endpoint(p, v, eo);
  if (p->type == SBI_PT_JSON)
    return check_json_object(p, v, len, eo);
  if (p->type == SBI_PT_PEM && strstr(v, "-----BEGIN ") == NULL)
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: value is not PEM text (no -----BEGIN line)", p->name);
  return SEGB_OK;
}

static int parse_number(const sbi_prop *p, const char *v, int64_t *val,
                        const errout *eo) {
  char q[ECHO_SIZE];
  int64_t x = 0;
  int rc = parse_i64(v, &x);

  if (rc < 0)
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: \"%s\" is not %s (expected %" PRId64 "..%" PRId64 ")",
                p->name, echo(q, v, strlen(v)),
                p->type == SBI_PT_DURATION ? "a number of milliseconds"
                                           : "an integer",
                p->min, p->max);
  if (rc > 0 || x < p->min || x > p->max)
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: \"%s\" is out of range %" PRId64 "..%" PRId64, p->name,
                echo(q, v, strlen(v)), p->min, p->max);
  *val = x;
  return SEGB_OK;
}

static int parse_bool(const sbi_prop *p, const char *v, int64_t *val,
                      const errout *eo) {
  static const char *const words[][2] = {
      {"false", "true"}, {"0", "1"}, {"no", "yes"}, {"off", "on"}};
  char q[ECHO_SIZE];
  size_t n = strlen(v), i;

  for (i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (is_word(v, n, words[i][0]) || is_word(v, n, words[i][1])) {
      *val = is_word(v, n, words[i][1]);
      return SEGB_OK;
    }
  }
  return fail(eo, SEGB_ERR_INVALID_VALUE,
              "%s: \"%s\" is not a boolean (expected true/false, 1/0, "
              "yes/no or on/off)",
              p->name, echo(q, v, n));
}

static int parse_enum(const sbi_prop *p, const char *v, int64_t *val,
                      const errout *eo) {
  char q[ECHO_SIZE];
  size_t n = strlen(v);
  int i = choice_find(p->choices, v, n);

  if (i < 0)
    return fail(eo, SEGB_ERR_INVALID_VALUE, "%s: \"%s\" is not one of %s",
                p->name, echo(q, v, n), p->choices);
  *val = i;
  return SEGB_OK;
}

/* Comma list of choices, spaces around entries ignored; "none" adds
 * nothing and "all" every choice. A blank value is the empty set. */
static int parse_list(const sbi_prop *p, const char *v, int64_t *val,
                      const errout *eo) {
  int64_t all = ((int64_t)1 << choice_count(p->choices)) - 1;
  int64_t set = 0;
  char q[ECHO_SIZE];
  const char *s = v;

  if (v[strspn(v, " ")] == '\0') {
    *val = 0;
    return SEGB_OK;
  }
  for (;;) {
    size_t n = strcspn(s, ",");
    const char *b = s, *e = s + n;
    int i;

    while (b < e && *b == ' ')
      b++;
    while (e > b && e[-1] == ' ')
      e--;
    if (b == e)
      return fail(eo, SEGB_ERR_INVALID_VALUE, "%s: \"%s\" has an empty entry",
                  p->name, echo(q, v, strlen(v)));
    if (is_word(b, (size_t)(e - b), "all")) {
      set = all;
    } else if (!is_word(b, (size_t)(e - b), "none")) {
      i = choice_find(p->choices, b, (size_t)(e - b));
      if (i < 0)
        return fail(eo, SEGB_ERR_INVALID_VALUE,
                    "%s: \"%s\" is not one of none|all|%s", p->name,
                    echo(q, b, (size_t)(e - b)), p->choices);
      set |= (int64_t)1 << i;
    }
    if (s[n] == '\0')
      break;
    s += n + 1;
  }
  *val = set;
  return SEGB_OK;
}

/* Validate @v for @p and parse it into @val; on failure nothing changes. */
static int parse_value(const sbi_prop *p, const char *v, int64_t *val,
                       const errout *eo) {
  switch (p->type) {
  case SBI_PT_INT:
  case SBI_PT_DURATION:
    return parse_number(p, v, val, eo);
  case SBI_PT_BOOL:
    return parse_bool(p, v, val, eo);
  case SBI_PT_ENUM:
    return parse_enum(p, v, val, eo);
  case SBI_PT_LIST:
    return parse_list(p, v, val, eo);
  case SBI_PT_STRING:
  case SBI_PT_SECRET:
  case SBI_PT_PEM:
  case SBI_PT_URL:
  case SBI_PT_ENDPOINT:
  case SBI_PT_PATH:
  case SBI_PT_JSON:
    break;
  }
  *val = 0;
  return check_text(p, v, eo);
}

/* The list set @set as text: "none", "all" or its choices in table order. */
static char *list_text(const char *choices, int64_t set) {
  int n = choice_count(choices), i;
  char *t, *o;

  if (set == 0)
    return copy_text("none", 4);
  if (set == ((int64_t)1 << n) - 1)
    return copy_text("all", 3);
  /* A subset joined by ',' is never longer than "a|b|c". */
  t = malloc(strlen(choices) + 1);
  if (t == NULL)
    return NULL;
  o = t;
  for (i = 0; i < n; i++) {
    if (set & ((int64_t)1 << i)) {
      size_t len;
      const char *c = choice_at(choices, i, &len);
      if (o != t)
        *o++ = ',';
      memcpy(o, c, len);
      o += len;
    }
  }
  *o = '\0';
  return t;
}

/* Canonical text of a parsed value: what get returns for it. */
static char *canonical_text(const sbi_prop *p, const char *v, int64_t val) {
  char num[24];
  const char *c;
  size_t len;

  switch (p->type) {
  case SBI_PT_INT:
  case SBI_PT_DURATION:
    snprintf(num, sizeof num, "%" PRId64, val);
    return copy_text(num, strlen(num));
  case SBI_PT_BOOL:
    c = val ? "true" : "false";
    return copy_text(c, strlen(c));
  case SBI_PT_ENUM:
    c = choice_at(p->choices, val, &len);
    return copy_text(c, len);
  case SBI_PT_LIST:
    return list_text(p->choices, val);
  default:
    /* The text types, which parse_value() lists: kept as given. */
    return copy_text(v, strlen(v));
  }
}

int sbi_prop_parse(const sbi_prop *p, const char *v, int64_t *val, char **text,
                   char *errstr, size_t errstr_size) {
  const errout eo = {errstr, errstr_size};
  int64_t x = 0;
  int rc = parse_value(p, v, &x, &eo);

  if (rc != SEGB_OK)
    return rc;
  if (text != NULL && (*text = canonical_text(p, v, x)) == NULL)
    return fail(&eo, SEGB_ERR_NOMEM, "%s: out of memory", p->name);
  *val = x;
  return SEGB_OK;
}

/* A key this version does not read takes no value but the one that is what
 * the library does anyway (@text is the value's canonical text), so that a
 * setting that would do nothing fails where it is made. */
static int check_status(const sbi_prop *p, const char *text, const errout *eo) {
  switch (p->status) {
  case SBI_LIVE:
    return SEGB_OK;
  case SBI_NOT_YET_DEFAULT:
    /* Defaults are canonical text, so this compares values. */
    if (strcmp(text, p->def) == 0)
      return SEGB_OK;
    return fail(eo, SEGB_ERR_INVALID_VALUE,
                "%s: not implemented yet in this version; only %s, what the "
                "library does today, is accepted",
                p->name, p->def);
  case SBI_NOT_YET:
    break;
  }
  return fail(eo, SEGB_ERR_INVALID_VALUE,
              "%s: not implemented yet in this version; leave it unset",
              p->name);
}

/* Levenshtein distance of two strings of at most SUGGEST_NAME_MAX bytes,
 * ASCII case ignored. */
static size_t edit_distance(const char *a, size_t alen, const char *b,
                            size_t blen) {
  size_t row[SUGGEST_NAME_MAX + 1];
  size_t i, j;

  for (j = 0; j <= blen; j++)
    row[j] = j;
  for (i = 1; i <= alen; i++) {
    size_t diag = row[0]; /* row[i-1][j-1] */
    row[0] = i;
    for (j = 1; j <= blen; j++) {
      size_t up = row[j];
      size_t best = diag + (lower((unsigned char)a[i - 1]) !=
                            lower((unsigned char)b[j - 1]));
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[blen];
}

/* The property name closest to @name within 2 edits, or NULL. */
static const char *suggest(const char *name) {
  size_t alen = strlen(name), best = 3, i;
  const char *hit = NULL;

  if (alen > SUGGEST_NAME_MAX)
    return NULL;
  for (i = 0; i < sbi_prop_count(); i++) {
    const char *cand = sbi_prop_at(i)->name;
    size_t blen = strlen(cand), d;
    if (blen > SUGGEST_NAME_MAX || blen + 2 < alen || alen + 2 < blen)
      continue;
    d = edit_distance(name, alen, cand, blen);
    if (d < best) {
      best = d;
      hit = cand;
    }
  }
  return hit;
}

/* Id of property @name, or a negative error code reported through @eo. */
static int find_prop(const char *name, const errout *eo) {
  int id = sbi_prop_find(name);
  const char *near;
  char q[ECHO_SIZE];

  if (id >= 0)
    return id;
  near = suggest(name);
  echo(q, name, strlen(name));
  if (near != NULL)
    return fail(eo, SEGB_ERR_UNKNOWN_OPTION,
                "unknown property \"%s\" (did you mean %s?)", q, near);
  return fail(eo, SEGB_ERR_UNKNOWN_OPTION, "unknown property \"%s\"", q);
}

segb_config_t *segb_config_new(void) {
  segb_config_t *conf = calloc(1, sizeof *conf);
  size_t i;

  if (conf == NULL) {
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a configuration");
    return NULL;
  }
  /* A default that does not parse is a bug in the table, caught by the unit
   * tests; refuse it rather than run with a made-up value. */
  for (i = 0; i < SBI_PROP__COUNT; i++) {
    const sbi_prop *p = sbi_prop_at(i);
    if (sbi_prop_parse(p, p->def, &conf->val[i], NULL, NULL, 0) != SEGB_OK) {
      free(conf);
      return NULL;
    }
  }
  return conf;
}

segb_config_t *segb_config_dup(const segb_config_t *conf) {
  segb_config_t *copy;
  size_t i;

  if (conf == NULL)
    return NULL;
  copy = calloc(1, sizeof *copy);
  if (copy == NULL)
    goto nomem;
  memcpy(copy->val, conf->val, sizeof copy->val);
  copy->delivery_cb = conf->delivery_cb;
  copy->log_cb = conf->log_cb;
  copy->stats_cb = conf->stats_cb;
  copy->opaque = conf->opaque;
  for (i = 0; i < SBI_PROP__COUNT; i++) {
    if (conf->text[i] == NULL)
      continue;
    copy->text[i] = copy_text(conf->text[i], strlen(conf->text[i]));
    if (copy->text[i] == NULL) {
      segb_config_destroy(copy);
      goto nomem;
    }
  }
  return copy;
nomem:
  sbi_error(SEGB_ERR_NOMEM, "out of memory copying a configuration");
  return NULL;
}

void segb_config_destroy(segb_config_t *conf) {
  size_t i;

  if (conf == NULL)
    return;
  for (i = 0; i < SBI_PROP__COUNT; i++)
    free_text(sbi_prop_at(i), conf->text[i]);
  free(conf);
}

int segb_config_set(segb_config_t *conf, const char *name, const char *value,
                    char *errstr, size_t errstr_size) {
  const errout eo = {errstr, errstr_size};
  const sbi_prop *p;
  int64_t val = 0;
  char *text = NULL;
  int id, rc;

  if (conf == NULL || name == NULL)
    return fail(&eo, SEGB_ERR_INVALID_ARG, "segb_config_set: %s is NULL",
                conf == NULL ? "conf" : "name");
  id = find_prop(name, &eo);
  if (id < 0)
    return id;
  p = sbi_prop_at((size_t)id);
  /* NULL restores the default, which every status accepts. */
  rc = sbi_prop_parse(p, value != NULL ? value : p->def, &val,
                      value != NULL ? &text : NULL, errstr, errstr_size);
  if (rc == SEGB_OK && value != NULL) {
    rc = check_status(p, text, &eo);
    if (rc != SEGB_OK)
      free_text(p, text);
  }
  if (rc != SEGB_OK)
    return rc;
  free_text(p, conf->text[id]);
  conf->text[id] = text;
  conf->val[id] = val;
  if (errstr != NULL && errstr_size > 0)
    errstr[0] = '\0';
  return SEGB_OK;
}

/* The bytes [*from, *to) of the URL @v that hold the password of its
 * user:password@, if it has one; 0 when it has none. The userinfo ends at
 * the last '@', so a password with an unencoded '@' or '/' in it is still
 * covered whole: redacting too much is harmless, too little is a leak. */
static int url_password(const char *v, size_t *from, size_t *to) {
  const char *sep = strstr(v, "://");
  const char *start = sep != NULL ? sep + 3 : v;
  const char *at = strrchr(start, '@');
  const char *colon;

  if (at == NULL)
    return 0;
  colon = memchr(start, ':', (size_t)(at - start));
  if (colon == NULL || colon + 1 == at)
    return 0;
  *from = (size_t)(colon + 1 - v);
  *to = (size_t)(at - v);
  return 1;
}

/* What segb_config_get shows of @p's value @s: @s with the bytes
 * [*from, *to) replaced by the returned text. Secrets are hidden whole, a
 * URL's password alone (http://user:[redacted]@proxy:3128). */
static const char *redaction(const sbi_prop *p, const char *s, size_t *from,
                             size_t *to) {
  *from = *to = strlen(s);
  if (sbi_prop_is_secret(p) && *s != '\0') {
    *from = 0;
    return "[redacted]";
  }
  if (p->type == SBI_PT_URL && url_password(s, from, to))
    return "[redacted]";
  return "";
}

int segb_config_get(const segb_config_t *conf, const char *name, char *dest,
                    size_t *dest_size) {
  const sbi_prop *p;
  const char *s, *mask;
  size_t need, from, to, mask_len;
  int id;

  if (conf == NULL || name == NULL || dest_size == NULL)
    return fail(NULL, SEGB_ERR_INVALID_ARG, "segb_config_get: %s is NULL",
                conf == NULL   ? "conf"
                : name == NULL ? "name"
                               : "dest_size");
  id = find_prop(name, NULL);
  if (id < 0)
    return id;
  p = sbi_prop_at((size_t)id);
  s = conf->text[id] != NULL ? conf->text[id] : p->def;
  mask = redaction(p, s, &from, &to);
  mask_len = strlen(mask);
  need = from + mask_len + strlen(s + to) + 1;
  if (dest != NULL && *dest_size < need) {
    size_t have = *dest_size;
    *dest_size = need;
    return fail(NULL, SEGB_ERR_BUFFER_TOO_SMALL,
                "%s: the value needs %zu bytes, the buffer has %zu", p->name,
                need, have);
  }
  if (dest != NULL) {
    memcpy(dest, s, from);
    memcpy(dest + from, mask, mask_len);
    memcpy(dest + from + mask_len, s + to, need - from - mask_len);
  }
  *dest_size = need;
  return SEGB_OK;
}

const char *sbi_conf_str(const segb_config_t *conf, sbi_prop_id id) {
  const char *s =
      conf->text[id] != NULL ? conf->text[id] : sbi_prop_at(id)->def;
  return *s != '\0' ? s : NULL;
}

int64_t sbi_conf_int(const segb_config_t *conf, sbi_prop_id id) {
  return conf->val[id];
}

void segb_config_set_delivery_cb(segb_config_t *conf, segb_delivery_cb *cb) {
  if (conf != NULL)
    conf->delivery_cb = cb;
}

void segb_config_set_log_cb(segb_config_t *conf, segb_log_cb *cb) {
  if (conf != NULL)
    conf->log_cb = cb;
}

void segb_config_set_stats_cb(segb_config_t *conf, segb_stats_cb *cb) {
  if (conf != NULL)
    conf->stats_cb = cb;
}

void segb_config_set_opaque(segb_config_t *conf, void *opaque) {
  if (conf != NULL)
    conf->opaque = opaque;
}

segb_delivery_cb *sbi_conf_delivery_cb(const segb_config_t *conf) {
  return conf->delivery_cb;
}

void *sbi_conf_opaque(const segb_config_t *conf) { return conf->opaque; }

_Static_assert(SBI_DEBUG_HTTP == SBI_LOG_HTTP &&
                   SBI_DEBUG_BATCH == SBI_LOG_BATCH &&
                   SBI_DEBUG_AUTH == SBI_LOG_AUTH,
               "the debug setting's bits are the logger's contexts");

void sbi_conf_logger(const segb_config_t *conf, sbi_logger *out) {
  out->cb = conf->log_cb;
  out->opaque = conf->opaque;
  out->level = (int)conf->val[SBI_PROP_LOG_LEVEL];
  out->debug = (unsigned)conf->val[SBI_PROP_DEBUG];
}

segb_stats_cb *sbi_conf_stats_cb(const segb_config_t *conf) {
  return conf->stats_cb;
}
