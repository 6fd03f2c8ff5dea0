/* The event the delivery benchmarks send: a track with five small
 * properties, from one of BENCH_USERS users picked pseudo-randomly by the
 * event's number. The users matter: with dispatch.ordering=per_user, events
 * of one user never ride in two requests at once, so a single user would
 * allow one request at a time. analytics-node/compare.sh generates the
 * same events as NDJSON. */
#ifndef SEGB_BENCH_EVENTS_H
#define SEGB_BENCH_EVENTS_H

#include <stdint.h>
#include <stdio.h>

#define BENCH_USERS 1000
#define BENCH_EVENT_NAME "Order Completed"

typedef struct bench_event {
  char user_id[24];
  char properties[112];
} bench_event;

static inline void bench_event_make(bench_event *e, long i) {
  /* Knuth's multiplicative hash scatters consecutive numbers. */
  uint32_t user = (uint32_t)((uint64_t)i * 2654435761u) % BENCH_USERS;

  snprintf(e->user_id, sizeof e->user_id, "user-%u", (unsigned)user);
  snprintf(e->properties, sizeof e->properties,
           "{\"plan\":\"pro\",\"items\":%ld,\"revenue\":19.99,\"gift\":false,"
           "\"currency\":\"EUR\"}",
           i);
}

#endif
