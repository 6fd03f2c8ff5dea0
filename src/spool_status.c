/* segb_spool_status: what a spool directory holds, as JSON, for
 * `segbridge spool status` and for hosts that watch their spool. */
#include <segbridge/client.h>
#include <segbridge/error.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "dispatch/spool.h"

static int put_count(sbi_buf *out, const char *name, uint64_t v, int first) {
  char member[64];

  snprintf(member, sizeof member, "%s\"%s\":%" PRIu64, first ? "{" : ",", name,
           v);
  return sbi_buf_puts(out, member);
}

static int status_json(const sbi_spool_status *st, sbi_buf *out) {
  int rc = put_count(out, "records", st->records, 1);

  rc = rc ? rc : put_count(out, "bytes", st->bytes, 0);
  rc = rc ? rc : put_count(out, "file_bytes", st->file_bytes, 0);
  rc = rc ? rc : put_count(out, "segments", st->segments, 0);
  rc = rc ? rc : sbi_buf_puts(out, ",\"oldest\":");
  rc = rc ? rc : sbi_json_write_string(out, st->oldest, strlen(st->oldest));
  rc = rc ? rc : put_count(out, "damaged", st->damaged, 0);
  rc = rc ? rc : put_count(out, "damaged_bytes", st->damaged_bytes, 0);
  rc = rc ? rc
          : put_count(out, "holder_pid",
                      st->holder_pid > 0 ? (uint64_t)st->holder_pid : 0, 0);
  return rc ? rc : sbi_buf_putc(out, '}');
}

int segb_spool_status(const char *dir, char **json, size_t *len) {
  sbi_spool_status st;
  sbi_buf out = SBI_BUF_INIT;
  int rc;

  if (json != NULL)
    *json = NULL;
  if (len != NULL)
    *len = 0;
  if (dir == NULL || json == NULL)
    return sbi_error(SEGB_ERR_INVALID_ARG, "segb_spool_status: %s is NULL",
                     dir == NULL ? "dir" : "json");
  rc = sbi_spool_inspect(dir, &st);
  if (rc != SEGB_OK)
    return rc;
  if (status_json(&st, &out) != SEGB_OK) {
    sbi_buf_free(&out);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory describing a spool");
  }
  *json = out.data;
  if (len != NULL)
    *len = out.len;
  return SEGB_OK;
}
