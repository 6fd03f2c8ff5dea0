/* Assembly of /v1/batch request bodies from sealed messages. */
#ifndef SBI_DISPATCH_BATCH_H
#define SBI_DISPATCH_BATCH_H

#include <stddef.h>

#include "core/buf.h"

/* Bytes a body adds around its messages besides the commas between them:
 * {"batch":[ ... ],"sentAt":"YYYY-MM-DDTHH:MM:SS.mmmZ"} */
#define SBI_BATCH_FRAME_BYTES (sizeof "{\"batch\":[],\"sentAt\":\"\"}" - 1 + 24)

/* Start a body: {"batch":[ */
int sbi_batch_open(sbi_buf *out);
/* Add one message's JSON; @first is 1 for the first of the body. */
int sbi_batch_add(sbi_buf *out, const char *json, size_t len, int first);
/* Close with sentAt (an ISO timestamp) and @members (auth members, each
 * starting with a comma, may be empty). */
int sbi_batch_close(sbi_buf *out, const char *sent_at, const char *members,
                    size_t members_len);

#endif
