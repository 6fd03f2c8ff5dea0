/* A parsed webhook body: the tree, and each event with its status. */
#ifndef SBI_WEBHOOK_BATCH_H
#define SBI_WEBHOOK_BATCH_H

#include <stddef.h>

#include "core/json.h"

typedef struct sbi_webhook_event {
  const sbi_json *node;
  int err;         /* SEGB_OK or why the event is unusable */
  const char *why; /* static text: "" when err is SEGB_OK */
} sbi_webhook_event;

struct segb_webhook_batch_s {
  sbi_json *root;
  sbi_webhook_event *events;
  size_t count;
  size_t errors;
  size_t covered; /* events 0 .. covered-1 are covered by the X-Signature */
};

/* The status of one event: SEGB_OK, or an error code with *@why saying
 * which rule it breaks. */
int sbi_webhook_check_event(const sbi_json *ev, const char **why);

#endif
