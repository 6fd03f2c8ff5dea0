/* The libsegbridge demo: starts the local Segment mock on a loopback port,
 * builds one message of each of Segment's six types, sends them through a
 * client exactly as it would to Segment, and prints what the mock received.
 * Needs no network and no credentials. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define DEMO_WRITE_KEY "demo-write-key"

/* Stop at the first failure, with the library's own explanation. */
#define CHECK(call)                                                            \
  do {                                                                         \
    int rc_ = (call);                                                          \
    if (rc_ != SEGB_OK) {                                                      \
      fprintf(stderr, "demo: %s failed: %s (%s)\n", #call, segb_err_name(rc_), \
              segb_last_error_message());                                      \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static segb_message_t *identify(segb_message_t *m) {
  CHECK(segb_message_set_string(m, "userId", "lead_12345"));
  CHECK(segb_message_set_json(
      m, "traits", "{\"email\":\"ada@example.com\",\"plan\":\"pro\"}"));
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

static void on_report(segb_client_t *c, const segb_report_t *r, void *opaque) {
  int *delivered = opaque;

  (void)c;
  if (segb_report_err(r) == SEGB_OK)
    (*delivered)++;
  else
    fprintf(stderr, "demo: %s dropped: %s\n", segb_report_message_id(r),
            segb_report_errstr(r));
}

/* A client for the mock at @url, or NULL after saying why. */
static segb_client_t *demo_client(const char *url, int *delivered) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_client_t *c = NULL;

  if (conf != NULL &&
      segb_config_set(conf, "write_key", DEMO_WRITE_KEY, err, sizeof err) ==
          SEGB_OK &&
      segb_config_set(conf, "endpoint", url, err, sizeof err) == SEGB_OK) {
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, delivered);
    c = segb_client_new(conf, err, sizeof err);
  }
  if (c == NULL) {
    fprintf(stderr, "demo: %s\n", conf != NULL ? err : "out of memory");
    segb_config_destroy(conf);
  }
  return c;
}

int main(void) {
  static segb_message_t *(*const fill[])(segb_message_t *) = {
      identify, track, page, screen, group, alias};
  static const int types[] = {SEGB_MSG_IDENTIFY, SEGB_MSG_TRACK,
                              SEGB_MSG_PAGE,     SEGB_MSG_SCREEN,
                              SEGB_MSG_GROUP,    SEGB_MSG_ALIAS};
  sbm_options mo = {0};
  char err[256], *received;
  int delivered = 0, rc;
  segb_client_t *c;
  sbm_mock *mock;
  size_t i;

  mo.write_key = DEMO_WRITE_KEY;
  mo.quiet = 1;
  mock = sbm_start(&mo, err, sizeof err);
  if (mock == NULL) {
    fprintf(stderr, "demo: mock server: %s\n", err);
    return 1;
  }
  c = demo_client(sbm_url(mock), &delivered);
  if (c == NULL) {
    sbm_stop(mock);
    return 1;
  }
  printf("libsegbridge %s: sending one message of each type to the local "
         "Segment mock at %s\n",
         segb_version_str(), sbm_url(mock));
  for (i = 0; i < sizeof types / sizeof types[0]; i++) {
    segb_message_t *m = segb_message_new(types[i]);

    if (m == NULL || fill[i](m) == NULL) {
      fprintf(stderr, "demo: %s message: %s\n",
              segb_message_type_name(types[i]), segb_last_error_message());
      segb_message_destroy(m);
      continue;
    }
    segb_client_enqueue(c, m);
  }
  rc = segb_client_close(c, 5000);
  printf("delivered %d of 6 (%s); the mock received:\n", delivered,
         segb_err_name(rc));
  for (i = 0; (received = sbm_message(mock, i)) != NULL; i++) {
    printf("  %s\n", received);
    free(received);
  }
  sbm_stop(mock);
  return delivered == 6 ? 0 : 1;
}
