/*
 * A program built against an installed libsegbridge, using only its public
 * headers and API: version agreement, error names, a config, and one sealed
 * track message printed as JSON.
 */
#include <segbridge/segbridge.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  segb_config_t *conf = NULL;
  segb_message_t *msg = NULL;
  const char *json;
  int rc = 1;

  printf("libsegbridge %s\n", segb_version_str());
  if (segb_version() != SEGB_VERSION_NUM) {
    fprintf(stderr, "runtime version 0x%06" PRIx32 " != headers' 0x%06x\n",
            segb_version(), (unsigned)SEGB_VERSION_NUM);
    return 1;
  }
  if (strcmp(segb_err_name(SEGB_ERR_NOMEM), "SEGB_ERR_NOMEM") != 0) {
    fprintf(stderr, "segb_err_name(SEGB_ERR_NOMEM) = %s\n",
            segb_err_name(SEGB_ERR_NOMEM));
    return 1;
  }

  conf = segb_config_new();
  msg = segb_message_new(SEGB_MSG_TRACK);
  if (conf == NULL || msg == NULL ||
      segb_message_set_string(msg, "userId", "u-42") != SEGB_OK ||
      segb_message_set_string(msg, "event", "Install Checked") != SEGB_OK ||
      segb_message_seal(msg) != SEGB_OK) {
    fprintf(stderr, "message: %s\n", segb_last_error_message());
    goto out;
  }
  json = segb_message_json(msg, NULL);
  if (json == NULL) {
    fprintf(stderr, "sealed message has no JSON\n");
    goto out;
  }
  printf("%s\n", json);
  rc = 0;
out:
  segb_message_destroy(msg);
  segb_config_destroy(conf);
  return rc;
}
