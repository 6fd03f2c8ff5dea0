/* Message lifecycle and the dotted-path setters. Every setter builds the new
 * value completely, checks it against the field rules, and only then links
 * it in, so a failed call leaves the message as it was. */
#include "message.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/uuid.h"

#define PATH_MAX_SEGMENTS 32
#define PATH_MAX_BYTES 1024
/* Nesting allowed inside a value given as JSON text. */
#define JSON_MAX_DEPTH 64
/* How JSON text given to a message is parsed: a key given twice is refused,
 * as a setter on it could only replace one of the twins. */
static const sbi_json_opts message_json = {JSON_MAX_DEPTH, SBI_JSON_UNIQUE_KEYS,
                                           0, NULL, NULL};
/* Room for a parse error's reason, a quoted key included. */
#define WHY_SIZE 256
/* Most bytes of a path or number an error message shows. */
#define SHOWN_MAX 200
#define NUMBER_SHOWN_MAX 32

/* A field path split into unescaped segments. */
typedef struct path {
  const char *seg[PATH_MAX_SEGMENTS];
  size_t seg_len[PATH_MAX_SEGMENTS];
  size_t count;
  const char *shown; /* the path as the caller wrote it, for messages */
  int shown_len;
  char text[PATH_MAX_BYTES]; /* backing store for unescaped segments */
} path;

static const char *const type_names[] = {NULL,     "identify", "track", "page",
                                         "screen", "group",    "alias"};

const char *segb_message_type_name(int type) {
  return type >= SEGB_MSG_IDENTIFY && type <= SEGB_MSG_ALIAS ? type_names[type]
                                                             : NULL;
}

segb_message_t *segb_message_new(int type) {
  segb_message_t *msg;

  if (segb_message_type_name(type) == NULL) {
    sbi_error(SEGB_ERR_INVALID_ARG, "unknown message type %d", type);
    return NULL;
  }
  /* Not calloc, which glibc serves past its thread cache: a message is
   * made for every event. */
  msg = malloc(sizeof *msg);
  if (msg != NULL)
    *msg = (segb_message_t){0};
  if (msg == NULL ||
      (msg->fields = sbi_json_new(SBI_JSON_OBJECT, NULL, 0)) == NULL) {
    free(msg);
    sbi_error(SEGB_ERR_NOMEM, "out of memory creating a %s message",
              type_names[type]);
    return NULL;
  }
  msg->type = type;
  sbi_uuid4(msg->message_id);
  sbi_time_format_iso_ms(msg->timestamp, sbi_clock_now_ms());
  return msg;
}

void segb_message_destroy(segb_message_t *msg) {
  if (msg == NULL)
    return;
  sbi_json_free(msg->fields);
  sbi_buf_free(&msg->json);
  free(msg->errstr);
  free(msg);
}

int segb_message_type(const segb_message_t *msg) {
  return msg != NULL ? msg->type : 0;
}

const char *segb_message_id(const segb_message_t *msg) {
  return msg != NULL ? msg->message_id : NULL;
}

const char *segb_message_timestamp(const segb_message_t *msg) {
  return msg != NULL ? msg->timestamp : NULL;
}

/* Split "properties.a\.b" into "properties" and "a.b". */
static int path_parse(path *p, const char *raw) {
  size_t raw_len, i, out = 0, start = 0;

  if (raw == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "field path is NULL");
  raw_len = strlen(raw);
  if (!sbi_utf8_is_valid(raw, raw_len))
    return sbi_error(SEGB_ERR_INVALID_UTF8,
                     "field path is not valid UTF-8 (byte %zu)",
                     sbi_utf8_valid_prefix(raw, raw_len));
  p->shown = raw;
  p->shown_len = raw_len > 200 ? 200 : (int)raw_len;
  if (raw_len >= PATH_MAX_BYTES)
    return sbi_error(SEGB_ERR_INVALID_FIELD,
                     "field path '%.*s...' is longer than %d bytes",
                     p->shown_len, raw, PATH_MAX_BYTES - 1);
  p->count = 0;
  for (i = 0; i <= raw_len; i++) {
    char c = raw[i];
    if (c == '\\') {
      if (raw[i + 1] != '.' && raw[i + 1] != '\\')
        return sbi_error(SEGB_ERR_INVALID_FIELD,
                         "field path '%.*s': only \\. and \\\\ are escapes",
                         p->shown_len, raw);
      p->text[out++] = raw[++i];
      continue;
    }
    if (c != '.' && c != '\0') {
      p->text[out++] = c;
      continue;
    }
    if (out == start)
      return sbi_error(SEGB_ERR_INVALID_FIELD,
                       "field path '%.*s' has an empty segment", p->shown_len,
                       raw);
    if (p->count == PATH_MAX_SEGMENTS)
      return sbi_error(SEGB_ERR_INVALID_FIELD,
                       "field path '%.*s' has more than %d segments",
                       p->shown_len, raw, PATH_MAX_SEGMENTS);
    p->seg[p->count] = p->text + start;
    p->seg_len[p->count++] = out - start;
    start = out;
  }
  return SEGB_OK;
}

static int same(const char *a, size_t a_len, const char *b) {
  return strlen(b) == a_len && memcmp(a, b, a_len) == 0;
}

/* Length of a UTF-8 string in UTF-16 code units, as Segment's JavaScript
 * servers count characters. */
static size_t utf16_length(const char *s, size_t len) {
  size_t i, units = 0;

  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c & 0xC0) != 0x80)
      units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

/* Check a single-segment value against its field's rules. For messageId and
 * timestamp the value is copied into the message here. */
static int check_top_level(segb_message_t *msg, const sbi_field *field,
                           const sbi_json *v) {
  const char *name = field->name;

  if (field->kind == SBI_FIELD_OBJECT) {
    if (v->type != SBI_JSON_OBJECT)
      return sbi_error(SEGB_ERR_JSON_TYPE, "%s must be a JSON object", name);
    if (strcmp(name, "context") == 0 && sbi_json_get(v, "library", 7) != NULL)
      return sbi_error(SEGB_ERR_INVALID_FIELD,
                       "context.library is set by libsegbridge");
    return SEGB_OK;
  }
  if (v->type != SBI_JSON_STRING)
    return sbi_error(SEGB_ERR_JSON_TYPE, "%s must be a string", name);
  if (v->str_len == 0)
    return sbi_error(SEGB_ERR_EMPTY_FIELD, "%s must not be empty", name);
  switch (field->kind) {
  case SBI_FIELD_MESSAGE_ID:
    if (memchr(v->str, '\0', v->str_len) != NULL)
      return sbi_error(SEGB_ERR_INVALID_FIELD,
                       "messageId must not contain a NUL byte");
    if (utf16_length(v->str, v->str_len) > SEGB_MESSAGE_ID_MAX)
      return sbi_error(SEGB_ERR_MESSAGE_ID_TOO_LONG,
                       "messageId has %zu characters; the limit is %d",
                       utf16_length(v->str, v->str_len), SEGB_MESSAGE_ID_MAX);
    memcpy(msg->message_id, v->str, v->str_len + 1);
    return SEGB_OK;
  case SBI_FIELD_TIMESTAMP:
    if (v->str_len > SBI_TIMESTAMP_MAX ||
        !sbi_time_is_iso8601(v->str, v->str_len))
      return sbi_error(SEGB_ERR_INVALID_TIMESTAMP,
                       "timestamp must be an ISO-8601 date-time such as "
                       "2026-04-19T10:00:00.000Z");
    memcpy(msg->timestamp, v->str, v->str_len + 1);
    return SEGB_OK;
  default:
    return SEGB_OK;
  }
}

/* Link @leaf (whose key is the last segment) in at @p. Takes ownership of
 * @leaf in every case. */
static int attach(segb_message_t *msg, const path *p, sbi_json *leaf) {
  const sbi_field *field = sbi_field_find(p->seg[0], p->seg_len[0]);
  sbi_json *node = msg->fields, *chain;
  size_t depth, i;
  int rc;

  if (field == NULL) {
    rc = sbi_error(SEGB_ERR_INVALID_FIELD,
                   "'%.*s' is not a Segment message field", p->shown_len,
                   p->shown);
    goto fail;
  }
  if (!sbi_field_allowed(field, msg->type)) {
    rc = sbi_error(SEGB_ERR_INVALID_FIELD, "%s is not a field of %s messages",
                   field->name, type_names[msg->type]);
    goto fail;
  }
  if (p->count == 1) {
    rc = check_top_level(msg, field, leaf);
    if (rc != SEGB_OK)
      goto fail;
    if (field->kind == SBI_FIELD_MESSAGE_ID ||
        field->kind == SBI_FIELD_TIMESTAMP)
      sbi_json_free(leaf);
    else
      sbi_json_put(msg->fields, leaf);
    return SEGB_OK;
  }
  if (field->kind != SBI_FIELD_OBJECT) {
    rc = sbi_error(SEGB_ERR_JSON_TYPE, "'%.*s': %s is a string, not an object",
                   p->shown_len, p->shown, field->name);
    goto fail;
  }
  if (same(p->seg[0], p->seg_len[0], "context") &&
      same(p->seg[1], p->seg_len[1], "library")) {
    rc = sbi_error(SEGB_ERR_INVALID_FIELD,
                   "context.library is set by libsegbridge");
    goto fail;
  }
  /* Walk the objects that already exist... */
  for (depth = 0; depth + 1 < p->count; depth++) {
    sbi_json *child = sbi_json_get(node, p->seg[depth], p->seg_len[depth]);
    if (child == NULL)
      break;
    if (child->type != SBI_JSON_OBJECT) {
      rc = sbi_error(SEGB_ERR_JSON_TYPE,
                     "'%.*s': segment %zu holds a value that is not an object",
                     p->shown_len, p->shown, depth + 1);
      goto fail;
    }
    node = child;
  }
  /* ...then wrap the leaf in the ones that do not, before touching the
   * message, so running out of memory changes nothing. */
  chain = leaf;
  for (i = p->count - 1; i-- > depth;) {
    sbi_json *obj = sbi_json_new(SBI_JSON_OBJECT, p->seg[i], p->seg_len[i]);
    if (obj == NULL) {
      sbi_json_free(chain);
      return sbi_error(SEGB_ERR_NOMEM, "out of memory setting '%.*s'",
                       p->shown_len, p->shown);
    }
    sbi_json_append(obj, chain);
    chain = obj;
  }
  sbi_json_put(node, chain);
  return SEGB_OK;

fail:
  sbi_json_free(leaf);
  return rc;
}

/* The checks every setter starts with. */
static int begin_set(segb_message_t *msg, const char *raw, path *p) {
  if (msg == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "message is NULL");
  if (msg->sealed)
    return sbi_error(SEGB_ERR_SEALED,
                     "message %s is sealed; it can no longer change",
                     msg->message_id);
  return path_parse(p, raw);
}

#define LAST_SEGMENT(p) (p).seg[(p).count - 1], (p).seg_len[(p).count - 1]

static int set_leaf(segb_message_t *msg, const path *p, sbi_json *leaf) {
  if (leaf == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory setting '%.*s'",
                     p->shown_len, p->shown);
  return attach(msg, p, leaf);
}

int segb_message_set_string_len(segb_message_t *msg, const char *field,
                                const char *value, size_t len) {
  size_t valid;
  path p;
  int rc = begin_set(msg, field, &p);

  if (rc != SEGB_OK)
    return rc;
  if (value == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "'%.*s': value is NULL", p.shown_len,
                     p.shown);
  valid = sbi_utf8_valid_prefix(value, len);
  if (valid != len)
    return sbi_error(SEGB_ERR_INVALID_UTF8,
                     "'%.*s': value is not valid UTF-8 (byte %zu)", p.shown_len,
                     p.shown, valid);
  return set_leaf(msg, &p, sbi_json_new_string(LAST_SEGMENT(p), value, len));
}

int segb_message_set_string(segb_message_t *msg, const char *field,
                            const char *value) {
  return segb_message_set_string_len(msg, field, value,
                                     value != NULL ? strlen(value) : 0);
}

int segb_message_set_int64(segb_message_t *msg, const char *field,
                           int64_t value) {
  path p;
  int rc = begin_set(msg, field, &p);

  if (rc != SEGB_OK)
    return rc;
  return set_leaf(msg, &p, sbi_json_new_int64(LAST_SEGMENT(p), value));
}

int segb_message_set_double(segb_message_t *msg, const char *field,
                            double value) {
  path p;
  int rc = begin_set(msg, field, &p);

  if (rc != SEGB_OK)
    return rc;
  if (!isfinite(value))
    return sbi_error(SEGB_ERR_INVALID_NUMBER,
                     "'%.*s': NaN and infinities have no JSON form",
                     p.shown_len, p.shown);
  return set_leaf(msg, &p, sbi_json_new_double(LAST_SEGMENT(p), value));
}

int segb_message_set_bool(segb_message_t *msg, const char *field, int value) {
  path p;
  int rc = begin_set(msg, field, &p);

  if (rc != SEGB_OK)
    return rc;
  return set_leaf(
      msg, &p,
      sbi_json_new(value ? SBI_JSON_TRUE : SBI_JSON_FALSE, LAST_SEGMENT(p)));
}

int segb_message_set_null(segb_message_t *msg, const char *field) {
  path p;
  int rc = begin_set(msg, field, &p);

  if (rc != SEGB_OK)
    return rc;
  return set_leaf(msg, &p, sbi_json_new(SBI_JSON_NULL, LAST_SEGMENT(p)));
}

/* The path of a value inside a message, as an error message shows it. */
typedef struct shown_path {
  char text[SHOWN_MAX + 4];
  size_t len;
  int cut;
} shown_path;

/* Append the @n bytes at @s to @w: control bytes as \xNN and, with
 * @segment, '.' and '\' as the setters' escapes. Past SHOWN_MAX bytes
 * the path ends in "...", never inside a character. */
static void shown_put(shown_path *w, const char *s, size_t n, int segment) {
  static const char hex[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < n && !w->cut; i++) {
    unsigned char c = (unsigned char)s[i];
    char e[4];
    size_t k = 1, room = 0;

    e[0] = (char)c;
    if (segment && (c == '.' || c == '\\')) {
      e[0] = '\\';
      e[1] = (char)c;
      k = 2;
    } else if (c < 0x20 || c == 0x7F) {
      e[0] = '\\';
      e[1] = 'x';
      e[2] = hex[c >> 4];
      e[3] = hex[c & 0xF];
      k = 4;
    } else if (c >= 0xC0) {
      room = 3; /* the rest of the character must fit too */
    }
    if ((c & 0xC0) != 0x80 && w->len + k + room > SHOWN_MAX) {
      memcpy(w->text + w->len, "...", 3);
      w->len += 3;
      w->cut = 1;
      break;
    }
    memcpy(w->text + w->len, e, k);
    w->len += k;
  }
}

/* The first number at or under @v that a double cannot hold, depth first,
 * or NULL. @chain[0..*depth] gets the values from @v down to it. */
static const sbi_json *find_huge(const sbi_json *v, const sbi_json **chain,
                                 size_t at, size_t *depth) {
  const sbi_json *c, *hit = NULL;

  chain[at] = v;
  *depth = at;
  if (v->type == SBI_JSON_NUMBER)
    return sbi_json_number_overflows(v->str, v->str_len) ? v : NULL;
  if (v->type == SBI_JSON_ARRAY || v->type == SBI_JSON_OBJECT)
    for (c = v->head; c != NULL && hit == NULL; c = c->next)
      hit = find_huge(c, chain, at + 1, depth);
  return hit;
}

/* Refuse JSON text given to a message that holds a number beyond the range
 * of a double: Segment's servers would read it as an infinity and store
 * null. @v is the parsed text, @where its path in the message ("" for a
 * whole event); the error names the number's path. Other numbers are kept
 * as written, whatever their precision. */
static int check_numbers(const sbi_json *v, const char *where,
                         size_t where_len) {
  const sbi_json *chain[JSON_MAX_DEPTH + 1];
  shown_path w = {{0}, 0, 0};
  const sbi_json *hit;
  size_t depth, i;

  hit = find_huge(v, chain, 0, &depth);
  if (hit == NULL)
    return SEGB_OK;
  shown_put(&w, where, where_len, 0);
  for (i = 1; i <= depth; i++) {
    if (chain[i - 1]->type == SBI_JSON_ARRAY) {
      const sbi_json *c;
      char index[24];
      size_t n = 0;

      for (c = chain[i - 1]->head; c != chain[i]; c = c->next)
        n++;
      snprintf(index, sizeof index, "[%zu]", n);
      shown_put(&w, index, strlen(index), 0);
    } else {
      if (w.len > 0)
        shown_put(&w, ".", 1, 0);
      shown_put(&w, chain[i]->key, chain[i]->key_len, 1);
    }
  }
  return sbi_error(
      SEGB_ERR_INVALID_NUMBER,
      "'%.*s': the number %.*s%s is beyond the range of a "
      "double",
      (int)w.len, w.text,
      (int)(hit->str_len > NUMBER_SHOWN_MAX ? NUMBER_SHOWN_MAX : hit->str_len),
      hit->str, hit->str_len > NUMBER_SHOWN_MAX ? "..." : "");
}

int segb_message_set_json_len(segb_message_t *msg, const char *field,
                              const char *json, size_t len) {
  char why[WHY_SIZE];
  sbi_json *value;
  path p;
  int rc = begin_set(msg, field, &p);

  if (rc != SEGB_OK)
    return rc;
  if (json == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "'%.*s': JSON text is NULL",
                     p.shown_len, p.shown);
  rc = sbi_json_parse_opts(json, len, LAST_SEGMENT(p), &message_json, &value,
                           why, sizeof why);
  if (rc != SEGB_OK)
    return sbi_error(rc, "'%.*s': %s", p.shown_len, p.shown, why);
  rc = check_numbers(value, p.shown, strlen(p.shown));
  if (rc != SEGB_OK) {
    sbi_json_free(value);
    return rc;
  }
  return attach(msg, &p, value);
}

int segb_message_set_json(segb_message_t *msg, const char *field,
                          const char *json) {
  return segb_message_set_json_len(msg, field, json,
                                   json != NULL ? strlen(json) : 0);
}

/* What an import does with a member of an exported event that is no field
 * a new message has (docs/IMPORT.md gives the reasons): the sender sets
 * sentAt and writeKey per request, Segment's servers the ones dropped here;
 * channel and _metadata describe the original sending and go through. */
static const struct {
  const char *name;
  int keep;           /* else dropped */
  sbi_json_type type; /* of a kept value */
} import_only[] = {
    {"sentAt", 0, SBI_JSON_NULL},     {"writeKey", 0, SBI_JSON_NULL},
    {"receivedAt", 0, SBI_JSON_NULL}, {"originalTimestamp", 0, SBI_JSON_NULL},
    {"version", 0, SBI_JSON_NULL},    {"projectId", 0, SBI_JSON_NULL},
    {"channel", 1, SBI_JSON_STRING},  {"_metadata", 1, SBI_JSON_OBJECT},
};

/* An identifier given as a whole JSON number (userId 42), which an import
 * turns into its digits. */
static int is_numeric_id(const sbi_json *m) {
  static const char *const ids[] = {"userId", "anonymousId", "groupId",
                                    "previousId"};
  size_t i, digits = m->str_len > 0 && m->str[0] == '-';

  if (m->type != SBI_JSON_NUMBER || digits == m->str_len)
    return 0;
  for (; digits < m->str_len; digits++)
    if (m->str[digits] < '0' || m->str[digits] > '9')
      return 0;
  for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
    if (same(m->key, m->key_len, ids[i]))
      return 1;
  return 0;
}

/* Unlink and return the member of @obj named @key, or NULL. */
static sbi_json *take_member(sbi_json *obj, const char *key, size_t key_len) {
  sbi_json **link, *prev = NULL;

  for (link = &obj->head; *link != NULL; prev = *link, link = &(*link)->next) {
    sbi_json *m = *link;
    if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
      *link = m->next;
      if (obj->tail == m)
        obj->tail = prev;
      obj->count--;
      m->next = NULL;
      return m;
    }
  }
  return NULL;
}

/* Move one member of an imported event into @msg, through the setters'
 * checks, with the import's own rules first: a null is an absent member;
 * a whole number as an identifier becomes its digits as a string, as
 * Segment coerces numeric IDs; context.library names the library that first
 * sent the event and is kept. Takes ownership of @member. */
static int import_member(segb_message_t *msg, sbi_json *member) {
  sbi_json *library = NULL, *context;
  size_t i;
  path p;
  int rc;

  if (member->type == SBI_JSON_NULL ||
      same(member->key, member->key_len, "type")) {
    sbi_json_free(member);
    return SEGB_OK;
  }
  for (i = 0; i < sizeof import_only / sizeof import_only[0]; i++) {
    if (!same(member->key, member->key_len, import_only[i].name))
      continue;
    if (!import_only[i].keep) {
      sbi_json_free(member);
      return SEGB_OK;
    }
    if (member->type != import_only[i].type) {
      rc = sbi_error(
          SEGB_ERR_JSON_TYPE, "%s must be a JSON %s", import_only[i].name,
          import_only[i].type == SBI_JSON_STRING ? "string" : "object");
      sbi_json_free(member);
      return rc;
    }
    sbi_json_put(msg->fields, member);
    return SEGB_OK;
  }
  if (is_numeric_id(member)) {
    sbi_json *digits = sbi_json_new_string(member->key, member->key_len,
                                           member->str, member->str_len);
    sbi_json_free(member);
    if (digits == NULL)
      return sbi_error(SEGB_ERR_NOMEM, "out of memory importing an ID");
    member = digits;
  }
  if (member->type == SBI_JSON_OBJECT &&
      same(member->key, member->key_len, "context")) {
    library = take_member(member, "library", 7);
    if (library != NULL && library->type != SBI_JSON_OBJECT) {
      sbi_json_free(library);
      sbi_json_free(member);
      return sbi_error(SEGB_ERR_JSON_TYPE,
                       "context.library must be a JSON object");
    }
  }
  p.seg[0] = member->key;
  p.seg_len[0] = member->key_len;
  p.count = 1;
  p.shown = member->key;
  p.shown_len = member->key_len > 200 ? 200 : (int)member->key_len;
  rc = attach(msg, &p, member);
  if (rc == SEGB_OK && library != NULL &&
      (context = sbi_json_get(msg->fields, "context", 7)) != NULL) {
    sbi_json_append(context, library);
    library = NULL;
  }
  sbi_json_free(library);
  return rc;
}

static int type_from_json(const sbi_json *root) {
  const sbi_json *t = sbi_json_get(root, "type", 4);
  int type;

  if (t == NULL)
    return sbi_error(SEGB_ERR_MISSING_FIELD, "message has no \"type\"");
  if (t->type != SBI_JSON_STRING)
    return sbi_error(SEGB_ERR_JSON_TYPE, "\"type\" must be a string");
  for (type = SEGB_MSG_IDENTIFY; type <= SEGB_MSG_ALIAS; type++)
    if (same(t->str, t->str_len, type_names[type]))
      return type;
  return sbi_error(SEGB_ERR_INVALID_FIELD,
                   "\"type\" must be identify, track, page, screen, group or "
                   "alias");
}

segb_message_t *segb_message_new_from_json(const char *json, size_t len) {
  char why[WHY_SIZE];
  sbi_json *root, *member;
  segb_message_t *msg;
  int rc;

  if (json == NULL) {
    sbi_error(SEGB_ERR_INVALID_ARG, "JSON text is NULL");
    return NULL;
  }
  rc = sbi_json_parse_opts(json, len, NULL, 0, &message_json, &root, why,
                           sizeof why);
  if (rc != SEGB_OK) {
    sbi_error(rc, "message: %s", why);
    return NULL;
  }
  if (root->type != SBI_JSON_OBJECT) {
    sbi_json_free(root);
    sbi_error(SEGB_ERR_JSON_TYPE, "message must be a JSON object");
    return NULL;
  }
  if (check_numbers(root, "", 0) != SEGB_OK) {
    sbi_json_free(root);
    return NULL;
  }
  rc = type_from_json(root);
  msg = rc > 0 ? segb_message_new(rc) : NULL;
  /* Move each member into the message by the import's rules. */
  while (msg != NULL && (member = root->head) != NULL) {
    root->head = member->next;
    root->count--;
    member->next = NULL;
    if (import_member(msg, member) != SEGB_OK) {
      segb_message_destroy(msg);
      msg = NULL;
    }
  }
  sbi_json_free(root);
  return msg;
}

/* A string member @name of @root that fits @size bytes with its NUL into
 * @dst; 0 when there is none such. */
static int copy_string(const sbi_json *root, const char *name, char *dst,
                       size_t size) {
  const sbi_json *v = sbi_json_get(root, name, strlen(name));

  if (v == NULL || v->type != SBI_JSON_STRING || v->str_len == 0 ||
      v->str_len >= size || memchr(v->str, '\0', v->str_len) != NULL)
    return 0;
  memcpy(dst, v->str, v->str_len + 1);
  return 1;
}

/* Give the new @msg what the tree @root of its sealed bytes @json says, and
 * the bytes themselves. SEGB_OK or the error. */
static int refill_sealed(segb_message_t *msg, const sbi_json *root,
                         const char *json, size_t len) {
  if (!copy_string(root, "messageId", msg->message_id,
                   sizeof msg->message_id) ||
      !copy_string(root, "timestamp", msg->timestamp, sizeof msg->timestamp))
    return sbi_error(SEGB_ERR_MISSING_FIELD,
                     "sealed message has no messageId or timestamp");
  if (sbi_buf_append(&msg->json, json, len) != SEGB_OK)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory reading a sealed message");
  sbi_buf_fit(&msg->json);
  return SEGB_OK;
}

int sbi_message_from_sealed(const char *json, size_t len,
                            segb_message_t **out) {
  char why[WHY_SIZE];
  segb_message_t *msg;
  sbi_json *root;
  int rc;

  *out = NULL;
  rc = sbi_json_parse_opts(json, len, NULL, 0, &message_json, &root, why,
                           sizeof why);
  if (rc != SEGB_OK)
    return sbi_error(rc, "sealed message: %s", why);
  rc = root->type == SBI_JSON_OBJECT
           ? type_from_json(root)
           : sbi_error(SEGB_ERR_JSON_TYPE, "sealed message is not an object");
  msg = rc > 0 ? segb_message_new(rc) : NULL;
  rc = msg == NULL ? segb_last_error() : refill_sealed(msg, root, json, len);
  if (rc != SEGB_OK) {
    segb_message_destroy(msg);
    sbi_json_free(root);
    return rc;
  }
  /* The bytes stay as they were sealed; the tree only tells whose. */
  sbi_json_free(msg->fields);
  msg->fields = root;
  msg->user_key = sbi_message_user_key(msg);
  sbi_json_free(msg->fields);
  msg->fields = NULL;
  msg->sealed = 1;
  *out = msg;
  return SEGB_OK;
}

int sbi_message_default_context(segb_message_t *msg, const sbi_json *defaults) {
  sbi_json *context;
  const sbi_json *m;

  if (msg->sealed || defaults->count == 0)
    return SEGB_OK;
  context = sbi_json_get(msg->fields, "context", 7);
  if (context == NULL) {
    context = sbi_json_new(SBI_JSON_OBJECT, "context", 7);
    if (context == NULL)
      return sbi_error(SEGB_ERR_NOMEM, "out of memory adding a context");
    sbi_json_append(msg->fields, context);
  }
  for (m = defaults->head; m != NULL; m = m->next) {
    sbi_json *copy;

    if (sbi_json_get(context, m->key, m->key_len) != NULL)
      continue; /* the event's own wins */
    copy = sbi_json_clone(m, m->key, m->key_len);
    if (copy == NULL)
      return sbi_error(SEGB_ERR_NOMEM, "out of memory adding a context");
    sbi_json_append(context, copy);
  }
  return SEGB_OK;
}
