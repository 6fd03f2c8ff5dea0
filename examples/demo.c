/* The libsegbridge demo: builds one message of each of Segment's six types
 * with the public API and prints the /v1/batch request body a client would
 * send. Needs no network and no credentials. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Stop at the first failure, with the library's own explanation. */
#define CHECK(call)                                                         \
  do {                                                                      \
    int rc_ = (call);                                                       \
    if (rc_ != SEGB_OK) {                                                   \
      fprintf(stderr, "demo: %s failed: %s (%s)\n", #call,                  \
              segb_err_name(rc_), segb_last_error_message());               \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

static segb_message_t *identify(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "userId", "lead_12345"));
  CHECK(segb_message_set_json(m, "traits",
                              "{\"email\":\"ada@example.com\",\"plan\":\"pro\"}"));
  return m;
}

static segb_message_t *track(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "userId", "lead_12345"));
  CHECK(segb_message_set_string(m, "event", "Lead Qualified"));
  CHECK(segb_message_set_int64(m, "properties.score", 85));
  CHECK(segb_message_set_string(m, "properties.source", "WhatsApp"));
  CHECK(segb_message_set_string(m, "properties.campaign", "Spring Sale 2026"));
  return m;
}

static segb_message_t *page(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "anonymousId", "anon-7f3c"));
  CHECK(segb_message_set_string(m, "name", "Pricing"));
  CHECK(segb_message_set_string(m, "properties.url",
                                "https://example.com/pricing"));
  return m;
}

static segb_message_t *screen(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "userId", "lead_12345"));
  CHECK(segb_message_set_string(m, "name", "Settings"));
  CHECK(segb_message_set_string(m, "category", "Account"));
  return m;
}

static segb_message_t *group(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "userId", "lead_12345"));
  CHECK(segb_message_set_string(m, "groupId", "org_42"));
  CHECK(segb_message_set_string(m, "traits.name", "Initech"));
  CHECK(segb_message_set_int64(m, "traits.employees", 120));
  return m;
}

static segb_message_t *alias(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "previousId", "anon-7f3c"));
  CHECK(segb_message_set_string(m, "userId", "lead_12345"));
  return m;
}

int main(void) {
  static segb_message_t *(*const fill[])(segb_message_t *) = {
      identify, track, page, screen, group, alias};
  static const int types[] = {SEGB_MSG_IDENTIFY, SEGB_MSG_TRACK,
                              SEGB_MSG_PAGE,     SEGB_MSG_SCREEN,
                              SEGB_MSG_GROUP,    SEGB_MSG_ALIAS};
  char sent_at[32];
  time_t now = time(NULL);
  struct tm tm;
  size_t i;

  fprintf(stderr, "libsegbridge %s: one message of each type, as the body of "
                  "POST /v1/batch\n\n", segb_version_str());
  printf("{\"batch\":[");
  for (i = 0; i < sizeof types / sizeof types[0]; i++) {
    segb_message_t *m = segb_message_new(types[i]);
    size_t len;
    const char *json;

    if (m == NULL || fill[i](m) == NULL || segb_message_seal(m) != SEGB_OK) {
      fprintf(stderr, "demo: %s message: %s\n",
              segb_message_type_name(types[i]), segb_last_error_message());
      segb_message_destroy(m);
      return 1;
    }
    json = segb_message_json(m, &len);
    printf("%s\n  %.*s", i ? "," : "", (int)len, json);
    segb_message_destroy(m);
  }
  gmtime_r(&now, &tm);
  strftime(sent_at, sizeof sent_at, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  printf("\n],\"sentAt\":\"%s\"}\n", sent_at);
  return 0;
}
