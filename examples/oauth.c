/* Sending with OAuth 2.0 instead of the write key alone: the client signs a
 * short-lived JWT with the OAuth app's RSA private key, trades it for an
 * access token at the authorization server, and sends its batches with
 * that token (Bearer), renewing it before it expires. docs/OAUTH.md has the
 * details; setting the three oauth.* values is all it takes.
 *
 * Usage: oauth [USER_ID]   (default u-42)
 *
 * Environment:
 *   SEGMENT_WRITE_KEY        the source's write key (required: Segment
 *                            still wants it in the batch body)
 *   SEGMENT_OAUTH_CLIENT_ID  the OAuth app's ID (required)
 *   SEGMENT_OAUTH_KEY_ID     the ID Segment shows for the uploaded public
 *                            key (required)
 *   SEGMENT_OAUTH_KEY_FILE   the RSA private key, PEM (required)
 *   SEGMENT_OAUTH_SCOPE      default tracking_api:write
 *   SEGMENT_OAUTH_SERVER     authorization server instead of the region's
 *                            (the mock: http://127.0.0.1:PORT)
 *   SEGMENT_REGION           us (default) or eu: the OAuth server and the
 *                            Tracking API together
 *   SEGMENT_ENDPOINT         Tracking API URL instead of the region's
 *
 * Exit status: 0 when both events were delivered, 1 otherwise. */
#include <segbridge/segbridge.h>

#include <stdio.h>
#include <stdlib.h>

#define CLOSE_TIMEOUT_MS 10000

static void on_report(segb_client_t *client, const segb_report_t *report,
                      void *opaque) {
  int *delivered = opaque;

  (void)client;
  if (segb_report_err(report) == SEGB_OK) {
    (*delivered)++;
    printf("delivered %s\n", segb_report_message_id(report));
  } else {
    /* an OAuth failure names its cause here (a wrong key ID, scope, ...),
     * never the key or the token */
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
      fprintf(stderr, "oauth: set %s\n", var);
    return required ? -1 : 0;
  }
  if (segb_config_set(conf, name, value, err, sizeof err) != SEGB_OK) {
    fprintf(stderr, "oauth: %s: %s\n", var, err);
    return -1;
  }
  return 0;
}

static segb_client_t *new_client(int *delivered) {
  static const struct {
    const char *name, *var;
    int required;
  } settings[] = {
      {"write_key", "SEGMENT_WRITE_KEY", 1},
      {"oauth.client_id", "SEGMENT_OAUTH_CLIENT_ID", 1},
      {"oauth.key_id", "SEGMENT_OAUTH_KEY_ID", 1},
      {"oauth.private_key_file", "SEGMENT_OAUTH_KEY_FILE", 1},
      {"oauth.scope", "SEGMENT_OAUTH_SCOPE", 0},
      {"region", "SEGMENT_REGION", 0}, /* before the URLs it chooses */
      {"oauth.server", "SEGMENT_OAUTH_SERVER", 0},
      {"endpoint", "SEGMENT_ENDPOINT", 0},
  };
  char err[SEGB_ERRSTR_SIZE];
  segb_config_t *conf = segb_config_new();
  segb_client_t *client = NULL;
  size_t i;

  for (i = 0; conf != NULL && i < sizeof settings / sizeof settings[0]; i++)
    if (set_from_env(conf, settings[i].name, settings[i].var,
                     settings[i].required) != 0)
      break;
  if (conf != NULL && i == sizeof settings / sizeof settings[0]) {
    segb_config_set_delivery_cb(conf, on_report);
    segb_config_set_opaque(conf, delivered);
    /* reads and checks the private key now: a bad file fails here */
    client = segb_client_new(conf, err, sizeof err); /* takes conf */
    if (client == NULL)
      fprintf(stderr, "oauth: %s\n", err);
  }
  if (client == NULL)
    segb_config_destroy(conf);
  return client;
}

int main(int argc, char **argv) {
  const char *user_id = argc > 1 ? argv[1] : "u-42";
  int delivered = 0, rc, closed;
  segb_client_t *client = new_client(&delivered);

  if (client == NULL)
    return 1;
  /* the first batch fetches the token; both events share it */
  rc = segb_identify(client, user_id, NULL, "{\"plan\":\"pro\"}");
  if (rc == SEGB_OK)
    rc = segb_track(client, user_id, NULL, "Signed Up",
                    "{\"plan\":\"pro\",\"auth\":\"oauth\"}");
  if (rc != SEGB_OK)
    fprintf(stderr, "oauth: refused: %s\n", segb_last_error_message());
  closed = segb_client_close(client, CLOSE_TIMEOUT_MS);
  printf("sent with OAuth 2.0: %d of 2 delivered (%s)\n", delivered,
         segb_err_name(closed));
  return rc == SEGB_OK && closed == SEGB_OK && delivered == 2 ? 0 : 1;
}
