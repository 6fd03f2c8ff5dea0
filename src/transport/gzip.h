/* gzip (RFC 1952) compression of request bodies. */
#ifndef SBI_TRANSPORT_GZIP_H
#define SBI_TRANSPORT_GZIP_H

#include <stddef.h>

#include "core/buf.h"

/* Append the gzip encoding of @len bytes at @in to @out. SEGB_OK or
 * SEGB_ERR_NOMEM; on failure @out keeps its earlier contents. */
int sbi_gzip(const char *in, size_t len, sbi_buf *out);

#endif
