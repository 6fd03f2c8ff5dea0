/* Nurture & Conversion (both directions): a Segment webhook reports the end
 * of a conversation; the program verifies and parses it, reads the
 * customer's 360 (traits and recent events) from the Profile API, and sends
 * the outcome back to Segment: "Conversation Converted" when the
 * conversation ended in a sale, "Conversation Nurtured" otherwise, with
 * what the profile says about the customer.
 *
 * Usage: nurture_conversion [-s X_SIGNATURE] [-a AUTHORIZATION] [BODY_FILE]
 *   The body is read from BODY_FILE, or from standard input without one or
 *   with "-"; -s and -a are the X-Signature and Authorization headers of
 *   the request as a web server received them. A webhook handler would call
 *   the same functions with its request. Events look like
 *   {"type":"track","userId":"u-1","event":"Conversation Ended",
 *    "properties":{"outcome":"converted","conversation_id":"c-77"}}
 *
 * Environment:
 *   SEGMENT_WEBHOOK_SECRET    the destination's shared secret (X-Signature)
 *   SEGMENT_WEBHOOK_API_KEY   the API key of Basic Authorization; at least
 *                             one of the two is required
 *   SEGMENT_WRITE_KEY         the source's write key (required)
 *   SEGMENT_PROFILE_TOKEN     the Unify space's access token (required)
 *   SEGMENT_SPACE_ID          the Unify space ID (required)
 *   SEGMENT_REGION            us (default) or eu, for both directions
 *   SEGMENT_ENDPOINT          Tracking API URL instead of the region's
 *   SEGMENT_PROFILE_ENDPOINT  Profile API URL instead of the region's
 *
 * Exit status: 0 when the request verified and every outcome was
 * delivered, 1 otherwise. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLOSE_TIMEOUT_MS 10000

/* Set @name from environment variable @var when it is set; 0 on success. */
static int set_from_env(segb_config_t *conf, const char *name, const char *var,
                        int required) {
  const char *value = getenv(var);
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL || *value == '\0') {
    if (required)
      fprintf(stderr, "nurture_conversion: set %s\n", var);
    return required ? -1 : 0;
  }
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "nurture_conversion: %s: %s\n", var, err);
    return -1;
  }
  return 0;
}

/* The whole of @f, NUL-terminated, its length in *@len; NULL on error. */
static char *read_all(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap), *bigger;

  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (ferror(f))
      break;
    if (feof(f)) {
      buf[n] = '\0';
      *len = n;
      return buf;
    }
    if (n + 1 == cap) {
      bigger = realloc(buf, cap * 2);
      if (bigger == NULL)
        break;
      buf = bigger;
      cap *= 2;
    }
  }
  free(buf);
  return NULL;
}

/* A verifier with the secret and/or API key of the environment, or NULL. */
static segb_webhook_t *new_verifier(void) {
  const char *secret = getenv("SEGMENT_WEBHOOK_SECRET");
  const char *api_key = getenv("SEGMENT_WEBHOOK_API_KEY");
  segb_webhook_t *wh;

  if ((secret == NULL || *secret == '\0') &&
      (api_key == NULL || *api_key == '\0')) {
    fprintf(stderr, "nurture_conversion: set SEGMENT_WEBHOOK_SECRET or "
                    "SEGMENT_WEBHOOK_API_KEY\n");
    return NULL;
  }
  wh = segb_webhook_new();
  if (wh == NULL ||
      (secret != NULL && *secret != '\0' &&
       segb_webhook_add_secret(wh, secret) != SEGB_OK) ||
      (api_key != NULL && *api_key != '\0' &&
       segb_webhook_add_api_key(wh, api_key) != SEGB_OK)) {
    fprintf(stderr, "nurture_conversion: verifier: %s\n",
            segb_last_error_message());
    segb_webhook_destroy(wh);
    return NULL;
  }
  return wh;
}

/* The Profile API reader of the environment, or NULL. */
static segb_reader_t *new_reader(void) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_reader_t *reader = NULL;

  if (conf != NULL &&
      set_from_env(conf, "profile_api.token", "SEGMENT_PROFILE_TOKEN", 1) ==
          0 &&
      set_from_env(conf, "profile_api.space_id", "SEGMENT_SPACE_ID", 1) == 0 &&
      set_from_env(conf, "region", "SEGMENT_REGION", 0) == 0 &&
      set_from_env(conf, "profile_api.endpoint", "SEGMENT_PROFILE_ENDPOINT",
                   0) == 0) {
    reader = segb_reader_new(conf, err, sizeof err); /* takes conf */
    if (reader == NULL)
      fprintf(stderr, "nurture_conversion: %s\n", err);
  }
  if (reader == NULL)
    segb_config_destroy(conf);
  return reader;
}

/* Counts the fates of the outcomes sent. */
static void on_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque) {
  int *delivered = opaque;

  (void)client;
  if (segb_report_err(report) == SEGB_OK)
    (*delivered)++;
  else
    fprintf(stderr, "nurture_conversion: outcome %s dropped: %s\n",
            segb_report_message_id(report), segb_report_errstr(report));
}

/* The sending client of the environment, or NULL. */
static segb_client_t *new_client(int *delivered) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_client_t *client = NULL;

  if (conf != NULL &&
      set_from_env(conf, "write_key", "SEGMENT_WRITE_KEY", 1) == 0 &&
      set_from_env(conf, "region", "SEGMENT_REGION", 0) == 0 &&
      set_from_env(conf, "endpoint", "SEGMENT_ENDPOINT", 0) == 0) {
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, delivered);
    client = segb_client_new(conf, err, sizeof err); /* takes conf */
    if (client == NULL)
      fprintf(stderr, "nurture_conversion: %s\n", err);
  }
  if (client == NULL)
    segb_config_destroy(conf);
  return client;
}

/* What the customer's 360 adds to the outcome: its plan and name from the
 * traits, how many events it has lately. A profile Segment does not know
 * adds nothing; any other failure is returned. */
static int add_customer_360(segb_reader_t *reader, const char *user_id,
                            segb_message_t *outcome) {
  static const char *const recent[] = {"limit", "20", NULL};
  segb_result_t *traits = NULL, *events = NULL;
  char id[512];
  int rc;

  snprintf(id, sizeof id, "user_id:%s", user_id);
  rc = segb_profile_get(reader, SEGB_PROFILE_TRAITS, id, NULL, NULL, &traits);
  if (rc == SEGB_OK)
    rc = segb_profile_get(reader, SEGB_PROFILE_EVENTS, id, recent, NULL,
                          &events);
  if (rc == SEGB_OK) {
    const segb_json_t *t = segb_result_data(traits);
    const char *plan = segb_json_get_string(t, "plan");
    const char *name = segb_json_get_string(t, "name");
    size_t n = segb_json_count(segb_result_data(events));

    printf("  360 of %s: %s, plan %s, %zu recent events\n", id,
           name != NULL ? name : "no name", plan != NULL ? plan : "none", n);
    if (plan != NULL)
      rc = segb_message_set_string(outcome, "properties.plan", plan);
    if (rc == SEGB_OK)
      rc = segb_message_set_int64(outcome, "properties.recent_events",
                                  (int64_t)n);
  } else if (rc == SEGB_ERR_NOT_FOUND) {
    printf("  no profile %s yet\n", id);
    rc = SEGB_OK;
  } else {
    fprintf(stderr, "nurture_conversion: reading %s: %s\n", id,
            segb_last_error_message());
  }
  segb_result_destroy(events);
  segb_result_destroy(traits);
  return rc;
}

/* Turn event @i of @batch into its outcome and enqueue it. 0 when sent, 1
 * when the event is not a conversation's end (skipped), -1 on failure. */
static int handle_event(const segb_webhook_batch_t *batch, size_t i,
                        segb_reader_t *reader, segb_client_t *client) {
  const segb_json_t *ev = segb_webhook_event(batch, i);
  const char *user_id = segb_webhook_event_user_id(batch, i);
  const char *outcome = segb_json_get_string(ev, "properties.outcome");
  const char *conversation =
      segb_json_get_string(ev, "properties.conversation_id");
  int converted = outcome != NULL && strcmp(outcome, "converted") == 0;
  segb_message_t *msg;
  int rc;

  /* only what the signature covers is trusted (a batch's signature may
   * cover its first event only: docs/WEBHOOKS.md) */
  if (segb_webhook_event_err(batch, i) != SEGB_OK ||
      !segb_webhook_event_signed(batch, i) || user_id == NULL ||
      outcome == NULL)
    return 1;
  printf("conversation %s of %s ended: %s\n",
         conversation != NULL ? conversation : "-", user_id, outcome);
  msg = segb_message_new(SEGB_MSG_TRACK);
  if (msg == NULL)
    return -1;
  rc = segb_message_set_string(msg, "userId", user_id);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(msg, "event",
                                 converted ? "Conversation Converted"
                                           : "Conversation Nurtured");
  if (rc == SEGB_OK && conversation != NULL)
    rc = segb_message_set_string(msg, "properties.conversation_id",
                                 conversation);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(msg, "properties.outcome", outcome);
  if (rc == SEGB_OK)
    rc = add_customer_360(reader, user_id, msg);
  if (rc != SEGB_OK) {
    segb_message_destroy(msg);
    return -1;
  }
  if (segb_client_enqueue(client, msg) != SEGB_OK) { /* takes msg */
    fprintf(stderr, "nurture_conversion: outcome refused: %s\n",
            segb_last_error_message());
    return -1;
  }
  return 0;
}

/* Verify and parse the request, then handle each event; the number of
 * outcomes enqueued, or -1 when the request or any outcome failed. */
static int handle_request(const char *signature, const char *authorization,
                          const char *body, size_t len) {
  segb_webhook_batch_t *batch = NULL;
  segb_webhook_t *wh = new_verifier();
  segb_reader_t *reader = NULL;
  segb_client_t *client = NULL;
  int delivered = 0, sent = 0, failed = 0, rc, closed;
  size_t i, n;

  if (wh == NULL)
    return -1;
  rc = segb_webhook_receive(wh, authorization, signature, body, len, &batch);
  segb_webhook_destroy(wh);
  if (rc != SEGB_OK) {
    /* a web server would answer 401 (docs/WEBHOOKS.md has the table) */
    fprintf(stderr, "nurture_conversion: request refused: %s: %s\n",
            segb_err_name(rc), segb_last_error_message());
    return -1;
  }
  n = segb_webhook_batch_count(batch);
  printf("webhook verified: %zu event(s)\n", n);
  reader = new_reader();
  client = reader != NULL ? new_client(&delivered) : NULL;
  for (i = 0; client != NULL && i < n; i++) {
    int r = handle_event(batch, i, reader, client);

    sent += r == 0;
    failed += r < 0;
  }
  segb_webhook_batch_destroy(batch);
  segb_reader_destroy(reader);
  if (client == NULL)
    return -1;
  closed = segb_client_close(client, CLOSE_TIMEOUT_MS);
  printf("%d outcome(s) sent, %d delivered\n", sent, delivered);
  return failed == 0 && closed == SEGB_OK && delivered == sent ? sent : -1;
}

int main(int argc, char **argv) {
  const char *signature = NULL, *authorization = NULL;
  FILE *in = stdin;
  size_t len;
  char *body;
  int opt, sent;

  while ((opt = getopt(argc, argv, "s:a:")) != -1) {
    if (opt == 's')
      signature = optarg;
    else if (opt == 'a')
      authorization = optarg;
    else {
      fprintf(stderr, "usage: nurture_conversion [-s X_SIGNATURE] "
                      "[-a AUTHORIZATION] [BODY_FILE]\n");
      return 1;
    }
  }
  if (optind < argc && strcmp(argv[optind], "-") != 0 &&
      (in = fopen(argv[optind], "rb")) == NULL) {
    perror(argv[optind]);
    return 1;
  }
  body = read_all(in, &len);
  if (in != stdin)
    fclose(in);
  if (body == NULL) {
    fprintf(stderr, "nurture_conversion: cannot read the body\n");
    return 1;
  }
  sent = handle_request(signature, authorization, body, len);
  free(body);
  return sent >= 0 ? 0 : 1;
}
