/* gzip request bodies (Content-Encoding: gzip), decoded with a size cap. */
#include "mock_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

sbm_inflate_rc sbm_gunzip(const char *in, size_t in_len, size_t limit,
                          char **out, size_t *out_len) {
  if (in_len > UINT_MAX)
    return SBM_INFLATE_TOO_BIG;
  z_stream z = {0};
  /* 16 + MAX_WBITS: a gzip wrapper, not raw deflate or zlib. */
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return SBM_INFLATE_NOMEM;
  /* Room for the cap plus one byte, so that overflowing it is visible. */
  size_t cap = in_len * 4 + 64 < limit + 1 ? in_len * 4 + 64 : limit + 1;
  char *buf = malloc(cap + 1);
  if (!buf) {
    inflateEnd(&z);
    return SBM_INFLATE_NOMEM;
  }
  z.next_in = (Bytef *)(uintptr_t)in; /* zlib never writes to its input */
  z.avail_in = (uInt)in_len;
  size_t len = 0;
  sbm_inflate_rc rc = SBM_INFLATE_OK;
  for (;;) {
    if (len == cap) {
      if (cap > limit) {
        rc = SBM_INFLATE_TOO_BIG;
        break;
      }
      size_t grown_cap = cap * 2 < limit + 1 ? cap * 2 : limit + 1;
      char *grown = realloc(buf, grown_cap + 1);
      if (!grown) {
        rc = SBM_INFLATE_NOMEM;
        break;
      }
      buf = grown;
      cap = grown_cap;
    }
    size_t room = cap - len < UINT_MAX ? cap - len : UINT_MAX;
    z.next_out = (Bytef *)buf + len;
    z.avail_out = (uInt)room;
    int zrc = inflate(&z, Z_NO_FLUSH);
    len += room - z.avail_out;
    if (zrc == Z_STREAM_END) {
      /* Bytes after the gzip member are not part of a valid body. */
      if (z.avail_in != 0)
        rc = SBM_INFLATE_MALFORMED;
      else if (len > limit)
        rc = SBM_INFLATE_TOO_BIG;
      break;
    }
    if (zrc == Z_MEM_ERROR) {
      rc = SBM_INFLATE_NOMEM;
      break;
    }
    /* Z_BUF_ERROR with output room left means the input ended early. */
    if (zrc != Z_OK && !(zrc == Z_BUF_ERROR && z.avail_out == 0)) {
      rc = SBM_INFLATE_MALFORMED;
      break;
    }
  }
  inflateEnd(&z);
  if (rc != SBM_INFLATE_OK) {
    free(buf);
    return rc;
  }
  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  return SBM_INFLATE_OK;
}
