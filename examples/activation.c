/* Activation (send): when a lead is qualified, tell Segment, which routes the
 * event on to the marketing tools. The lead is identified with its traits,
 * then "Lead Qualified" is tracked with the score and where the lead came
 * from. A delivery callback prints the fate of each event; the program
 * flushes and closes with timeouts, and fails unless both were delivered.
 *
 * Usage: activation [USER_ID [EMAIL [SCORE [SOURCE]]]]
 *   defaults: lead_12345 ada@example.com 85 WhatsApp
 *
 * Environment:
 *   SEGMENT_WRITE_KEY  the source's write key (required)
 *   SEGMENT_REGION     us (default) or eu
 *   SEGMENT_ENDPOINT   Tracking API URL instead of the region's (a proxy,
 *                      or the mock: http://127.0.0.1:PORT)
 *
 * Exit status: 0 when every event was delivered, 1 otherwise. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>

/* A lead counts as qualified from this score on. */
#define QUALIFIED_SCORE 70

/* Longest waits for delivery, in milliseconds. */
#define FLUSH_TIMEOUT_MS 10000
#define CLOSE_TIMEOUT_MS 5000

typedef struct fates {
  int delivered, dropped;
} fates;

/* Called once per event with its fate, on the client's sending thread. */
static void on_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque) {
  fates *f = opaque;

  (void)client;
  if (segb_report_err(report) == SEGB_OK) {
    f->delivered++;
    printf("delivered %s (HTTP %d, %d attempt(s))\n",
           segb_report_message_id(report), segb_report_http_status(report),
           segb_report_attempts(report));
  } else {
    f->dropped++;
    printf("dropped %s: %s\n", segb_report_message_id(report),
           segb_report_errstr(report));
  }
}

/* Set @name from environment variable @var when it is set; 0 on success. */
static int set_from_env(segb_config_t *conf, const char *name, const char *var,
                        int required) {
  const char *value = getenv(var);
  char err[SEGB_ERRSTR_SIZE];

  if (value == NULL || *value == '\0') {
    if (required)
      fprintf(stderr, "activation: set %s\n", var);
    return required ? -1 : 0;
  }
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "activation: %s: %s\n", var, err);
    return -1;
  }
  return 0;
}

/* A client configured from the environment, or NULL after saying why. */
static segb_client_t *new_client(fates *f) {
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_client_t *client;

  if (conf == NULL) {
    fprintf(stderr, "activation: out of memory\n");
    return NULL;
  }
  if (set_from_env(conf, "write_key", "SEGMENT_WRITE_KEY", 1) != 0 ||
      set_from_env(conf, "region", "SEGMENT_REGION", 0) != 0 ||
      set_from_env(conf, "endpoint", "SEGMENT_ENDPOINT", 0) != 0) {
    segb_config_destroy(conf);
    return NULL;
  }
  segb_config_set_delivery_cb(conf, on_report);
  segb_config_set_opaque(conf, f);
  client = segb_client_new(conf, err, sizeof err); /* takes conf */
  if (client == NULL) {
    fprintf(stderr, "activation: %s\n", err);
    segb_config_destroy(conf);
  }
  return client;
}

/* Identify the lead with its traits, then track "Lead Qualified" with its
 * properties; SEGB_OK when the client accepted both. Each setter returns
 * SEGB_OK or why it refused the value; the library copies every string. */
static int send_qualified_lead(segb_client_t *client, const char *user_id,
                               const char *email, long score,
                               const char *source) {
  segb_message_t *identify = segb_message_new(SEGB_MSG_IDENTIFY);
  segb_message_t *track = segb_message_new(SEGB_MSG_TRACK);
  int rc = identify != NULL && track != NULL ? SEGB_OK : SEGB_ERR_NOMEM;

  if (rc == SEGB_OK)
    rc = segb_message_set_string(identify, "userId", user_id);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(identify, "traits.email", email);
  if (rc == SEGB_OK)
    rc = segb_message_set_int64(identify, "traits.lead_score", score);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(identify, "traits.lead_source", source);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(track, "userId", user_id);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(track, "event", "Lead Qualified");
  if (rc == SEGB_OK)
    rc = segb_message_set_int64(track, "properties.score", score);
  if (rc == SEGB_OK)
    rc = segb_message_set_string(track, "properties.source", source);
  if (rc != SEGB_OK) {
    segb_message_destroy(identify);
    segb_message_destroy(track);
    return rc;
  }
  /* enqueue takes the message, also when it refuses it */
  rc = segb_client_enqueue(client, identify);
  if (rc != SEGB_OK) {
    segb_message_destroy(track);
    return rc;
  }
  return segb_client_enqueue(client, track);
}

int main(int argc, char **argv) {
  const char *user_id = argc > 1 ? argv[1] : "lead_12345";
  const char *email = argc > 2 ? argv[2] : "ada@example.com";
  long score = argc > 3 ? strtol(argv[3], NULL, 10) : 85;
  const char *source = argc > 4 ? argv[4] : "WhatsApp";
  fates f = {0, 0};
  segb_client_t *client;
  int rc, closed;

  if (score < QUALIFIED_SCORE) {
    printf("%s scores %ld, below %d: not qualified, nothing sent\n", user_id,
           score, QUALIFIED_SCORE);
    return 0;
  }
  client = new_client(&f);
  if (client == NULL)
    return 1;
  rc = send_qualified_lead(client, user_id, email, score, source);
  if (rc != SEGB_OK)
    fprintf(stderr, "activation: refused: %s\n", segb_last_error_message());
  /* flush waits for the reports of what was enqueued; close then stops the
   * client, waiting for anything left (none here) at most CLOSE_TIMEOUT_MS */
  if (segb_client_flush(client, FLUSH_TIMEOUT_MS) != SEGB_OK)
    fprintf(stderr, "activation: flush: %s\n", segb_last_error_message());
  closed = segb_client_close(client, CLOSE_TIMEOUT_MS);
  if (closed != SEGB_OK)
    fprintf(stderr, "activation: close: %s\n", segb_err_name(closed));
  printf("lead %s qualified with score %ld: %d delivered, %d dropped\n",
         user_id, score, f.delivered, f.dropped);
  return rc == SEGB_OK && closed == SEGB_OK && f.delivered == 2 ? 0 : 1;
}
