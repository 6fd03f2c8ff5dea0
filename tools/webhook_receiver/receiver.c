/* segbridge-webhook-receiver: receive Segment webhooks on loopback, print
 * each verified event as a line of JSON. See receiver.h. */
#include "receiver.h"

int main(int argc, char **argv) {
  receiver_options o;
  int rc = segb_receiver_parse_args(argc, argv, &o);

  if (rc != RECEIVER_OK)
    return rc < 0 ? RECEIVER_OK : rc;
  return segb_receiver_run(&o);
}
