#include "gzip.h"

#include <limits.h>
#include <string.h>

/* Makes next_in a pointer to const, so the input needs no cast-away. */
#define ZLIB_CONST
#include <zlib.h>

#include <segbridge/error.h>

/* 15 window bits plus 16 selects the gzip wrapper instead of zlib's. */
#define SBI_GZIP_WINDOW_BITS (15 + 16)
#define SBI_GZIP_MEM_LEVEL 8

int sbi_gzip(const char *in, size_t len, sbi_buf *out) {
  z_stream zs;
  size_t start = out->len;
  size_t left = len;
  size_t want;
  int zrc = Z_OK;

  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, SBI_GZIP_WINDOW_BITS,
                   SBI_GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK)
    return SEGB_ERR_NOMEM;
  zs.next_in = (const Bytef *)in;
  /* deflateBound covers the whole input, so one pass normally suffices. */
  want = deflateBound(&zs, (uLong)len);
  while (zrc != Z_STREAM_END) {
    size_t room;

    if ((zrc != Z_OK && zrc != Z_BUF_ERROR) ||
        sbi_buf_reserve(out, want) != SEGB_OK) {
      deflateEnd(&zs);
      out->len = start;
      if (out->data != NULL)
        out->data[start] = '\0';
      return SEGB_ERR_NOMEM;
    }
    /* avail_in and avail_out are uInt: feed huge buffers in slices. */
    if (zs.avail_in == 0 && left > 0) {
      zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
      left -= zs.avail_in;
    }
    room = out->cap - out->len - 1;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
    room = zs.avail_out;
    zrc = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
    out->len += room - zs.avail_out;
    out->data[out->len] = '\0';
    want = 4096;
  }
  deflateEnd(&zs);
  return SEGB_OK;
}
