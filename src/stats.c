/* The counters' names (segb_stat_name()) and the statistics callback's
 * JSON object built from them. */
#include "stats.h"

#include <segbridge/client.h>
#include <segbridge/error.h>

#include "core/json.h"

/* Indexed by segb_stat_t: a name never changes once published. */
static const char *const stat_names[SEGB_STAT__COUNT] = {
    [SEGB_STAT_ENQUEUED] = "enqueued",
    [SEGB_STAT_DELIVERED] = "delivered",
    [SEGB_STAT_DROPPED] = "dropped",
    [SEGB_STAT_QUEUED] = "queued",
    [SEGB_STAT_IN_FLIGHT] = "in_flight",
    [SEGB_STAT_QUEUED_BYTES] = "queued_bytes",
    [SEGB_STAT_REFUSED] = "refused",
    [SEGB_STAT_FILTERED] = "filtered",
    [SEGB_STAT_RECOVERED] = "recovered",
    [SEGB_STAT_RETRIES] = "retries",
    [SEGB_STAT_REQUESTS] = "requests",
    [SEGB_STAT_LAST_STATUS] = "last_status",
};

const char *segb_stat_name(int stat) {
  return stat >= 0 && stat < SEGB_STAT__COUNT ? stat_names[stat] : NULL;
}

int sbi_stats_json(const int64_t *values, sbi_buf *out) {
  char number[SBI_JSON_NUMBER_MAX];
  int i;

  for (i = 0; i < SEGB_STAT__COUNT; i++) {
    sbi_json_format_int64(number, values[i]);
    /* The names are plain lower-case words: nothing to escape. */
    if (sbi_buf_puts(out, i == 0 ? "{\"" : ",\"") != SEGB_OK ||
        sbi_buf_puts(out, stat_names[i]) != SEGB_OK ||
        sbi_buf_puts(out, "\":") != SEGB_OK ||
        sbi_buf_puts(out, number) != SEGB_OK)
      return SEGB_ERR_NOMEM;
  }
  return sbi_buf_putc(out, '}') != SEGB_OK ? SEGB_ERR_NOMEM : SEGB_OK;
}
