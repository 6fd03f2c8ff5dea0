/* segbridge identify|track|page|screen|group|alias: one message, sent, or
 * shown with --dry-run. */
#include <stdio.h>

#include "cli.h"
#include "client_int.h"

/* The option values that become message fields, by path. */
static int fill(segb_message_t *m, const cli_opts *o) {
  const struct {
    const char *path, *value;
    int json;
  } fields[] = {
      {"userId", o->user_id, 0},         {"anonymousId", o->anonymous_id, 0},
      {"event", o->event, 0},            {"name", o->name, 0},
      {"category", o->category, 0},      {"groupId", o->group_id, 0},
      {"previousId", o->previous_id, 0}, {"timestamp", o->timestamp, 0},
      {"messageId", o->message_id, 0},   {"properties", o->properties, 1},
      {"traits", o->traits, 1},          {"context", o->context, 1},
      {"integrations", o->integrations, 1},
  };
  size_t i;

  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    int rc;
    if (fields[i].value == NULL)
      continue;
    rc = fields[i].json ? segb_message_set_json(m, fields[i].path, fields[i].value)
                        : segb_message_set_string(m, fields[i].path,
                                                  fields[i].value);
    if (rc != SEGB_OK)
      return rc;
  }
  return segb_message_seal(m);
}

int cli_send(int type, const cli_opts *o) {
  char err[SEGB_ERRSTR_SIZE];
  cli_tally tally = {0, 0, SEGB_OK, "", o->verbose, o->dry_run};
  segb_config_t *conf;
  segb_message_t *m;
  segb_client_t *c;
  sbi_transport *dry_run = NULL;
  int rc;

  m = segb_message_new(type);
  if (m == NULL || (rc = fill(m, o)) != SEGB_OK) {
    fprintf(stderr, "segbridge: invalid %s message: %s\n",
            segb_message_type_name(type), segb_last_error_message());
    segb_message_destroy(m);
    return CLI_USAGE;
  }
  conf = cli_config(o);
  if (conf == NULL) {
    segb_message_destroy(m);
    return CLI_USAGE;
  }
  segb_config_set_delivery_cb(conf, cli_tally_report);
  segb_config_set_opaque(conf, &tally);
  if (o->dry_run && (dry_run = cli_dry_run_transport_new(o->gzip)) == NULL) {
    fprintf(stderr, "segbridge: out of memory\n");
    segb_config_destroy(conf);
    segb_message_destroy(m);
    return CLI_OTHER;
  }
  c = sbi_client_new(conf, dry_run, err, sizeof err);
  if (c == NULL) {
    fprintf(stderr, "segbridge: %s\n", err);
    segb_config_destroy(conf);
    segb_message_destroy(m);
    return cli_exit_code(segb_last_error());
  }
  segb_client_enqueue(c, m);
  segb_client_flush(c, o->timeout_ms);
  /* what the flush could not deliver in time is reported as dropped */
  segb_client_close(c, 0);
  if (tally.failed > 0) {
    fprintf(stderr, "segbridge: %s: %s\n", segb_err_name(tally.first_err),
            tally.first_errstr);
    return cli_exit_code(tally.first_err);
  }
  return CLI_OK;
}
