/* segbridge webhook-receiver: the webhook receiver (tools/webhook_receiver),
 * run from the CLI. */
#include "cli.h"
#include "receiver.h"

int cli_webhook_main(int argc, char **argv) {
  receiver_options o;
  int rc = segb_receiver_parse_args(argc, argv, &o);

  if (rc != RECEIVER_OK)
    return rc < 0 ? CLI_OK : CLI_USAGE;
  return segb_receiver_run(&o) == RECEIVER_OK ? CLI_OK : CLI_OTHER;
}
