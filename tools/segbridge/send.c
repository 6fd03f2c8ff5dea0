/* segbridge identify|track|page|screen|group|alias: one message, sent, or
 * shown with --dry-run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The option values that become message fields, by path. */
static int fill(segb_message_t *m, const cli_opts *o) {
  const struct {
    const char *path, *value;
    int json;
  } fields[] = {
      {"userId", o->user_id, 0},
      {"anonymousId", o->anonymous_id, 0},
      {"event", o->event, 0},
      {"name", o->name, 0},
      {"category", o->category, 0},
      {"groupId", o->group_id, 0},
      {"previousId", o->previous_id, 0},
      {"timestamp", o->timestamp, 0},
      {"messageId", o->message_id, 0},
      {"properties", o->properties, 1},
      {"traits", o->traits, 1},
      {"context", o->context, 1},
      {"integrations", o->integrations, 1},
  };
  size_t i;

  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    int rc;
    if (fields[i].value == NULL)
      continue;
    rc = fields[i].json
             ? segb_message_set_json(m, fields[i].path, fields[i].value)
             : segb_message_set_string(m, fields[i].path, fields[i].value);
    if (rc != SEGB_OK)
      return rc;
  }
  return segb_message_seal(m);
}

/* The message type a send command names. */
static int message_type(const char *name) {
  int type;

  for (type = SEGB_MSG_IDENTIFY; type <= SEGB_MSG_ALIAS; type++)
    if (strcmp(name, segb_message_type_name(type)) == 0)
      return type;
  return -1;
}

int cli_send(const char *name, const cli_opts *o, char **args) {
  char err[SEGB_ERRSTR_SIZE];
  cli_dry_run dry_run = {0};
  cli_tally tally = {0, 0, SEGB_OK, "", o->verbose, NULL};
  int type = message_type(name);
  segb_config_t *conf;
  segb_message_t *m;
  segb_client_t *c;
  int rc;

  (void)args;
  m = segb_message_new(type);
  if (m == NULL || (rc = fill(m, o)) != SEGB_OK) {
    fprintf(stderr, "segbridge: invalid %s message: %s\n", name,
            segb_last_error_message());
    segb_message_destroy(m);
    return CLI_USAGE;
  }
  conf = cli_config(o, CLI_FOR_MESSAGE);
  if (conf == NULL) {
    segb_message_destroy(m);
    return CLI_USAGE;
  }
  segb_config_set_delivery_cb(conf, cli_tally_report);
  segb_config_set_opaque(conf, &tally);
  if (o->dry_run && (rc = cli_dry_run_start(&dry_run, o, conf)) != CLI_OK) {
    segb_config_destroy(conf);
    segb_message_destroy(m);
    return rc;
  }
  tally.dry_run = o->dry_run ? &dry_run : NULL;
  c = segb_client_new(conf, err, sizeof err);
  if (c == NULL) {
    cli_error(err);
    segb_config_destroy(conf);
    segb_message_destroy(m);
    cli_dry_run_stop(&dry_run);
    return cli_exit_code(segb_last_error());
  }
  segb_client_enqueue(c, m);
  segb_client_flush(c, o->timeout_ms);
  /* what the flush could not deliver in time is reported as dropped */
  segb_client_close(c, 0);
  cli_dry_run_stop(&dry_run);
  if (tally.failed > 0) {
    fprintf(stderr, "segbridge: %s: %s\n", segb_err_name(tally.first_err),
            tally.first_errstr);
    return cli_exit_code(tally.first_err);
  }
  return CLI_OK;
}
