/* The client's counters as the statistics callback's JSON object. */
#ifndef SBI_STATS_H
#define SBI_STATS_H

#include <stdint.h>

#include "core/buf.h"

/* Append {"enqueued":N,"delivered":N,...} to @out: the SEGB_STAT__COUNT
 * @values in segb_stat_t order, each keyed by segb_stat_name(). SEGB_OK or
 * SEGB_ERR_NOMEM (then @out may hold part of the object). */
int sbi_stats_json(const int64_t *values, sbi_buf *out);

#endif
