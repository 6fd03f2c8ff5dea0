/* segbridge demo: the whole round trip on this machine, with no network and
 * no credentials. The bundled mock runs in this process on loopback and
 * stands in for Segment; the demo sends it the six event types with a write
 * key, a batch through OAuth with a key made on the spot, reads a profile
 * back, and hands a signed webhook to the webhook receiver. One or two
 * lines per step say what was sent, what came back and the verdict. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"
#include "receiver.h"

#define DEMO_WRITE_KEY "demo-write-key"
#define DEMO_CLIENT_ID "demo-app"
#define DEMO_KEY_ID "demo-key"
#define DEMO_WEBHOOK_SECRET "demo-webhook-secret"
#define DEMO_OAUTH_EVENTS 20
#define DEMO_PROFILE "user_id:u-1" /* one of the mock's profiles */
#define DEMO_CLOSE_MS 30000
#define DEMO_STEPS 5

typedef struct demo {
  sbm_mock *mock;
  char *private_pem;
  int passed; /* steps */
} demo;

/* The end of a step's last line: its verdict. */
static void verdict(demo *d, int passed, const char *why) {
  if (passed)
    printf(": passed\n");
  else
    printf(": FAILED (%s)\n", why);
  d->passed += passed;
  fflush(stdout);
}

/* The second line of a step that could not even begin. */
static void not_started(demo *d, const char *why) {
  printf("   nothing done");
  verdict(d, 0, why);
}

/* A config from NULL-terminated name, value pairs, with no proxy (the
 * mock is on loopback); NULL after saying why. */
static segb_config_t *demo_config(const char *const *settings) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  int rc = conf != NULL
               ? segb_config_set(conf, "http.proxy", "", err, sizeof err)
               : SEGB_ERR_NOMEM;

  for (; rc == SEGB_OK && settings[0] != NULL; settings += 2)
    rc = segb_config_set(conf, settings[0], settings[1], err, sizeof err);
  if (rc == SEGB_OK)
    return conf;
  fprintf(stderr, "segbridge: demo: %s\n",
          conf != NULL ? err : "out of memory");
  segb_config_destroy(conf);
  return NULL;
}

/* A client of @conf (taken) reporting to @tally; NULL after saying why. */
static segb_client_t *demo_client(segb_config_t *conf, cli_tally *tally) {
  char err[SEGB_ERRSTR_SIZE];
  segb_client_t *c;

  memset(tally, 0, sizeof *tally);
  segb_config_set_delivery_cb(conf, cli_tally_report);
  segb_config_set_opaque(conf, tally);
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "segbridge: demo: %s\n", err);
    segb_config_destroy(conf);
  }
  return c;
}

/* Close @c and say how its messages fared, on a line left open; whether
 * all @sent of them were delivered. */
static int close_and_tally(segb_client_t *c, const cli_tally *t,
                           unsigned sent) {
  int rc = segb_client_close(c, DEMO_CLOSE_MS);

  printf("   %llu delivered, %llu failed", (unsigned long long)t->delivered,
         (unsigned long long)t->failed);
  if (t->failed > 0)
    printf(" (first: %s: %s)", segb_err_name(t->first_err), t->first_errstr);
  else if (rc != SEGB_OK)
    printf(" (close: %s)", segb_err_name(rc));
  return rc == SEGB_OK && t->delivered == sent && t->failed == 0;
}

/* How many messages the mock has accepted so far. */
static size_t message_count(demo *d) {
  size_t n = 0;
  char *msg;

  for (; (msg = sbm_message(d->mock, n)) != NULL; n++)
    free(msg);
  return n;
}

/* The types of the mock's accepted messages from @first on, as "a, b, c"
 * into @out; how many there were. Each message is read with the webhook
 * parser, the library's reader of Segment events. */
static size_t received_types(demo *d, size_t first, char *out, size_t cap) {
  size_t n = 0, used = 0;
  char *msg;

  out[0] = '\0';
  for (; (msg = sbm_message(d->mock, first + n)) != NULL; n++) {
    segb_webhook_batch_t *event = NULL;
    const char *type = NULL;

    if (segb_webhook_parse(NULL, msg, strlen(msg), &event) == SEGB_OK)
      type = segb_webhook_event_type(event, 0);
    if (used < cap)
      used += (size_t)snprintf(out + used, cap - used, "%s%s",
                               n > 0 ? ", " : "", type != NULL ? type : "?");
    segb_webhook_batch_destroy(event);
    free(msg);
  }
  return n;
}

static void step_events(demo *d) {
  const char *const settings[] = {
      "write_key",     DEMO_WRITE_KEY, "endpoint", sbm_url(d->mock),
      "dispatch.mode", "thread",       NULL};
  segb_config_t *conf = demo_config(settings);
  segb_client_t *c = NULL;
  cli_tally tally;
  char types[256];
  size_t received;
  int ok = 1;

  printf("2. events:  identify, track, page, screen, group, alias sent with "
         "a write key by a client (thread mode)\n");
  if (conf == NULL || (c = demo_client(conf, &tally)) == NULL) {
    not_started(d, "no client");
    return;
  }
  ok &= segb_identify(c, "u-1", NULL,
                      "{\"name\":\"Jane Doe\",\"plan\":\"pro\"}") == SEGB_OK;
  ok &= segb_track(c, "u-1", NULL, "Demo Started",
                   "{\"source\":\"segbridge demo\"}") == SEGB_OK;
  ok &= segb_page(c, "u-1", NULL, "Pricing",
                  "{\"url\":\"https://example.com/pricing\"}") == SEGB_OK;
  ok &= segb_screen(c, "u-1", NULL, "Settings", NULL) == SEGB_OK;
  ok &= segb_group(c, "u-1", NULL, "g-1", "{\"name\":\"Initech\"}") == SEGB_OK;
  ok &= segb_alias(c, "u-1", "a-1") == SEGB_OK;
  ok &= close_and_tally(c, &tally, 6);
  received = received_types(d, 0, types, sizeof types);
  printf("; the mock accepted %zu: %s", received,
         received > 0 ? types : "none");
  verdict(d,
          ok && received == 6 &&
              strcmp(types, "identify, track, page, screen, group, "
                            "alias") == 0,
          "not every event was delivered as sent");
}

/* How many requests the mock has received so far. */
static size_t request_count(demo *d) {
  size_t n = 0;

  while (sbm_request_status(d->mock, n) != -1)
    n++;
  return n;
}

/* The Tracking API requests from @first on: how many, and in *@bearer how
 * many of them carried a Bearer token. */
static size_t tracking_requests(demo *d, size_t first, size_t *bearer) {
  size_t i, n = 0;

  *bearer = 0;
  for (i = first; sbm_request_status(d->mock, i) != -1; i++) {
    char *path = sbm_request_path(d->mock, i);
    char *auth = sbm_request_header(d->mock, i, "Authorization");

    if (path != NULL && strncmp(path, "/v1/", 4) == 0) {
      n++;
      *bearer += auth != NULL && strncmp(auth, "Bearer ", 7) == 0;
    }
    free(path);
    free(auth);
  }
  return n;
}

static void step_oauth(demo *d) {
  const char *const settings[] = {"write_key",
                                  DEMO_WRITE_KEY,
                                  "endpoint",
                                  sbm_url(d->mock),
                                  "oauth.server",
                                  sbm_url(d->mock),
                                  "oauth.client_id",
                                  DEMO_CLIENT_ID,
                                  "oauth.key_id",
                                  DEMO_KEY_ID,
                                  "oauth.private_key",
                                  d->private_pem,
                                  NULL};
  segb_config_t *conf = demo_config(settings);
  segb_client_t *c = NULL;
  sbm_oauth_stats os;
  cli_tally tally;
  char types[DEMO_OAUTH_EVENTS * 8];
  size_t first_message = message_count(d), first_request = request_count(d);
  size_t received, requests, bearer;
  int ok = 1, i;

  printf("3. oauth:   %d track events sent in a batch with an access token "
         "got for an RS256 assertion signed with the key\n",
         DEMO_OAUTH_EVENTS);
  if (conf == NULL || (c = demo_client(conf, &tally)) == NULL) {
    not_started(d, "no client");
    return;
  }
  for (i = 0; i < DEMO_OAUTH_EVENTS; i++) {
    char props[64];

    snprintf(props, sizeof props, "{\"n\":%d}", i + 1);
    ok &= segb_track(c, "u-1", NULL, "Demo Batched", props) == SEGB_OK;
  }
  ok &= close_and_tally(c, &tally, DEMO_OAUTH_EVENTS);
  sbm_get_oauth_stats(d->mock, &os);
  received = received_types(d, first_message, types, sizeof types);
  requests = tracking_requests(d, first_request, &bearer);
  printf("; the mock issued %llu token%s and accepted %zu events in %zu "
         "request%s, %zu with the token",
         (unsigned long long)os.tokens_issued, os.tokens_issued == 1 ? "" : "s",
         received, requests, requests == 1 ? "" : "s", bearer);
  verdict(d,
          ok && os.tokens_issued >= 1 && os.bearer_refused == 0 &&
              requests > 0 && bearer == requests &&
              received == DEMO_OAUTH_EVENTS,
          "the batch did not go through OAuth");
}

/* The string member @name of @obj, or "?". */
static const char *member(const segb_json_t *obj, const char *name) {
  const char *s = segb_json_get_string(obj, name);

  return s != NULL ? s : "?";
}

static void step_profile(demo *d) {
  const char *const settings[] = {"profile_api.endpoint",
                                  sbm_url(d->mock),
                                  "profile_api.token",
                                  "demo-profile-token",
                                  "profile_api.space_id",
                                  "spa_mock",
                                  NULL};
  segb_config_t *conf = demo_config(settings);
  segb_result_t *traits = NULL, *events = NULL;
  char err[SEGB_ERRSTR_SIZE];
  segb_reader_t *r = NULL;
  int rc_traits, rc_events;

  printf("4. profile: the traits and events of %s read with the Profile API "
         "(space spa_mock)\n",
         DEMO_PROFILE);
  if (conf != NULL && (r = segb_reader_new(conf, err, sizeof err)) == NULL) {
    fprintf(stderr, "segbridge: demo: %s\n", err);
    segb_config_destroy(conf);
  }
  if (r == NULL) {
    not_started(d, "no reader");
    return;
  }
  rc_traits = segb_profile_get(r, SEGB_PROFILE_TRAITS, DEMO_PROFILE, NULL, NULL,
                               &traits);
  rc_events = segb_profile_get(r, SEGB_PROFILE_EVENTS, DEMO_PROFILE, NULL, NULL,
                               &events);
  if (rc_traits == SEGB_OK && rc_events == SEGB_OK) {
    const segb_json_t *t = segb_result_data(traits);
    const segb_json_t *e = segb_result_data(events);

    printf("   %zu traits (name %s, email %s); %zu events on the first page, "
           "the newest \"%s\"",
           segb_json_count(t), member(t, "name"), member(t, "email"),
           segb_json_count(e), member(segb_json_at(e, 0), "event"));
    verdict(d,
            segb_json_type(t) == SEGB_JSON_OBJECT && segb_json_count(t) > 0 &&
                segb_json_type(e) == SEGB_JSON_ARRAY && segb_json_count(e) > 0,
            "the profile came back empty");
  } else {
    printf("   traits: %s, events: %s (%s)", segb_err_name(rc_traits),
           segb_err_name(rc_events), segb_last_error_message());
    verdict(d, 0, "the Profile API refused");
  }
  segb_result_destroy(traits);
  segb_result_destroy(events);
  segb_reader_destroy(r);
}

/* One webhook, as Segment would post it, handed to the webhook receiver's
 * request handler (the code `segbridge webhook-receiver` runs for each
 * request): once signed with the shared secret, once with a forged
 * signature. */
static void step_webhook(demo *d) {
  static const char body[] =
      "{\"type\":\"track\",\"event\":\"Demo Webhook\",\"userId\":\"u-1\","
      "\"messageId\":\"demo-webhook-1\","
      "\"timestamp\":\"2026-01-01T00:00:00.000Z\","
      "\"properties\":{\"source\":\"segbridge demo\"}}";
  char signature[41], *out = NULL, *log = NULL;
  size_t out_len = 0, log_len = 0;
  receiver_reply good, forged;
  segb_webhook_t *wh = segb_webhook_new();
  FILE *out_f = open_memstream(&out, &out_len);
  FILE *log_f = open_memstream(&log, &log_len);
  int ok;

  printf("5. webhook: a track event signed with HMAC-SHA1 handed to the "
         "webhook receiver, then again with a forged signature\n");
  ok = wh != NULL && out_f != NULL && log_f != NULL &&
       segb_webhook_add_secret(wh, DEMO_WEBHOOK_SECRET) == SEGB_OK &&
       demo_hmac_sha1_hex(DEMO_WEBHOOK_SECRET, body, strlen(body), signature) ==
           0;
  if (ok) {
    segb_receiver_handle(wh, NULL, signature, NULL, body, strlen(body), out_f,
                         log_f, &good);
    /* the same body, one digit of its signature changed */
    signature[0] = signature[0] == '0' ? '1' : '0';
    segb_receiver_handle(wh, NULL, signature, NULL, body, strlen(body), out_f,
                         log_f, &forged);
  }
  if (out_f != NULL)
    fclose(out_f);
  if (log_f != NULL)
    fclose(log_f);
  if (ok) {
    printf("   signed: answered %u, %s; forged: answered %u", good.status,
           out != NULL && strstr(out, "\"Demo Webhook\"") != NULL
               ? "the event printed"
               : "no event printed",
           forged.status);
    /* one event line: the forged request printed none */
    ok = good.status == 200 && forged.status == 401 && out != NULL &&
         strstr(out, "\"demo-webhook-1\"") != NULL &&
         strchr(out, '\n') == out + strlen(out) - 1;
    verdict(d, ok, "the webhook was not verified and parsed as sent");
  } else
    not_started(d, "no verifier or no signature");
  free(out);
  free(log);
  segb_webhook_destroy(wh);
}

/* Whether a TCP connection to the mock's port opens. A loopback interface
 * that is down (a fresh network namespace) still lets the mock bind, and
 * every later step would only fail after its retries. */
static int mock_reachable(const demo *d) {
  struct sockaddr_in addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(sbm_port(d->mock));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

/* Step 1: the key the OAuth step signs with, and the mock, which knows its
 * public half. */
static int step_start(demo *d) {
  sbm_options mo = {0};
  char err[256], *public_pem = NULL;

  printf("1. mock:    a local Segment (the bundled mock) on 127.0.0.1, and an "
         "RSA key for OAuth\n");
  /* libcurl reads the proxy variables at each request; none is wanted for
   * loopback. */
  if (setenv("no_proxy", "*", 1) != 0 || setenv("NO_PROXY", "*", 1) != 0 ||
      demo_rsa_key(2048, &d->private_pem, &public_pem) != 0) {
    not_started(d, "cannot make an RSA key");
    return -1;
  }
  mo.quiet = 1;
  mo.write_key = DEMO_WRITE_KEY;
  mo.oauth_public_key_pem = public_pem;
  mo.oauth_client_id = DEMO_CLIENT_ID;
  mo.oauth_key_id = DEMO_KEY_ID;
  d->mock = sbm_start(&mo, err, sizeof err);
  free(public_pem);
  if (d->mock == NULL) {
    printf("   the mock did not start: %s", err);
    verdict(d, 0, "no mock");
    return -1;
  }
  printf("   Tracking, OAuth, Public and Profile APIs on %s, for a write key "
         "and OAuth app %s, key %s (RSA, 2048 bits, made just now)",
         sbm_url(d->mock), DEMO_CLIENT_ID, DEMO_KEY_ID);
  if (!mock_reachable(d)) {
    verdict(d, 0,
            "no connection to it: is the loopback interface down? "
            "(ip link set lo up)");
    return -1;
  }
  verdict(d, 1, NULL);
  return 0;
}

int cli_demo(const char *name, const cli_opts *o, char **args) {
  demo d = {0};
  sbm_stats st;

  (void)name;
  (void)o;
  (void)args;
  printf("segbridge demo: libsegbridge %s, all on this machine (127.0.0.1), "
         "no network, no credentials\n",
         segb_version_str());
  if (step_start(&d) == 0) {
    step_events(&d);
    step_oauth(&d);
    step_profile(&d);
    step_webhook(&d);
  }
  if (d.mock != NULL) {
    sbm_get_stats(d.mock, &st);
    sbm_stop(d.mock);
    printf("the mock: %llu requests, %llu messages accepted, %llu rejected\n",
           (unsigned long long)st.requests, (unsigned long long)st.messages,
           (unsigned long long)st.rejected);
  }
  free(d.private_pem);
  printf("%s: %d of %d steps passed\n",
         d.passed == DEMO_STEPS ? "passed" : "FAILED", d.passed, DEMO_STEPS);
  return d.passed == DEMO_STEPS ? CLI_OK : CLI_OTHER;
}
