/* The spool's files: headers, records, names (spool_format.h). */
#include "spool_format.h"

#include <segbridge/error.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

uint32_t sbi_spool_record_crc(const void *payload, uint32_t len) {
  unsigned char le[4];
  uLong crc;

  sbi_spool_put32(le, len);
  crc = crc32(0, le, sizeof le);
  /* zlib's crc32() of a NULL buffer is 0, whatever the CRC before */
  return (uint32_t)(len > 0 ? crc32(crc, payload, len) : crc);
}

void sbi_spool_header_encode(unsigned char out[SBI_SPOOL_FILE_HEADER],
                             uint64_t number) {
  memcpy(out, SBI_SPOOL_MAGIC, 8);
  sbi_spool_put32(out + 8, SBI_SPOOL_VERSION);
  sbi_spool_put32(out + 12, SBI_SPOOL_FILE_HEADER);
  sbi_spool_put64(out + 16, number);
  sbi_spool_put32(out + 24, 0);
  sbi_spool_put32(out + 28, (uint32_t)crc32(0, out, 28));
}

sbi_spool_header_state sbi_spool_header_check(const unsigned char *p,
                                              size_t size, uint64_t number,
                                              uint32_t *version) {
  /* A newer version may lay out the rest of its header differently, so
   * the magic and the version are all that is read of it. */
  if (size < 12 || memcmp(p, SBI_SPOOL_MAGIC, 8) != 0)
    return SBI_SPOOL_HEADER_DAMAGED;
  *version = sbi_spool_le32(p + 8);
  if (*version > SBI_SPOOL_VERSION)
    return SBI_SPOOL_HEADER_NEWER;
  if (size < SBI_SPOOL_FILE_HEADER || *version != SBI_SPOOL_VERSION ||
      sbi_spool_le32(p + 12) != SBI_SPOOL_FILE_HEADER ||
      sbi_spool_le64(p + 16) != number || sbi_spool_le32(p + 24) != 0 ||
      sbi_spool_le32(p + 28) != (uint32_t)crc32(0, p, 28))
    return SBI_SPOOL_HEADER_DAMAGED;
  return SBI_SPOOL_HEADER_OK;
}

/* 1 when the record header at @p, with @room bytes from it to the end of
 * the segment, starts an intact record. */
static int intact(const unsigned char *p, uint32_t room) {
  uint32_t len = sbi_spool_le32(p);

  return sbi_spool_record_size(len) <= room &&
         (sbi_spool_le32(p + 8) & ~SBI_SPOOL_ACKED) == 0 &&
         sbi_spool_le32(p + 12) == 0 &&
         sbi_spool_le32(p + 4) ==
             sbi_spool_record_crc(p + SBI_SPOOL_RECORD_HEADER, len);
}

void sbi_spool_scan_records(const unsigned char *p, uint32_t size,
                            sbi_spool_scan *out) {
  uint32_t off = SBI_SPOOL_FILE_HEADER, last;

  memset(out, 0, sizeof *out);
  while (size - off >= SBI_SPOOL_RECORD_HEADER &&
         (sbi_spool_le32(p + off) != 0 || sbi_spool_le32(p + off + 4) != 0) &&
         intact(p + off, size - off)) {
    uint32_t len = sbi_spool_le32(p + off);

    if ((sbi_spool_le32(p + off + 8) & SBI_SPOOL_ACKED) == 0) {
      if (out->pending++ == 0)
        out->first_pending = off;
      out->pending_bytes += len;
    }
    off += (uint32_t)sbi_spool_record_size(len);
  }
  out->end = off;
  for (last = size; last > off && p[last - 1] == 0; last--)
    ;
  out->damaged_bytes = last - off;
}

void sbi_spool_segment_name(char out[SBI_SPOOL_NAME_SIZE], uint64_t number,
                            int damaged) {
  snprintf(out, SBI_SPOOL_NAME_SIZE, "seg-%016llx.spool%s",
           (unsigned long long)number, damaged ? ".damaged" : "");
}

/* 1 for a segment's name, 2 for a damaged segment's, 0 for another. */
static int parse_name(const char *name, uint64_t *number) {
  static const char hex[] = "0123456789abcdef";
  size_t i;

  if (strncmp(name, "seg-", 4) != 0 || strspn(name + 4, hex) != 16 ||
      strncmp(name + 20, ".spool", 6) != 0)
    return 0;
  *number = 0;
  for (i = 4; i < 20; i++)
    *number = *number << 4 | (uint64_t)(strchr(hex, name[i]) - hex);
  if (name[26] == '\0')
    return 1;
  return strcmp(name + 26, ".damaged") == 0 ? 2 : 0;
}

static int ascending(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return (x > y) - (x < y);
}

int sbi_spool_list(int dirfd, uint64_t **numbers, size_t *count,
                   uint64_t *highest) {
  int fd = dup(dirfd);
  DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  uint64_t *list = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  int rc = SEGB_OK, err = 0;

  *numbers = NULL;
  *count = 0;
  *highest = 0;
  if (dir == NULL) {
    err = errno;
    if (fd >= 0)
      close(fd);
    errno = err;
    return SEGB_ERR_SPOOL_IO;
  }
  rewinddir(dir); /* the dup shares the original's position */
  while (rc == SEGB_OK && (errno = 0, e = readdir(dir)) != NULL) {
    uint64_t number;
    int kind = parse_name(e->d_name, &number);

    if (kind == 0)
      continue;
    if (number > *highest)
      *highest = number;
    if (kind != 1)
      continue;
    if (n == cap) {
      uint64_t *grown =
          realloc(list, (cap = cap ? 2 * cap : 16) * sizeof *list);

      if (grown == NULL) {
        rc = SEGB_ERR_NOMEM;
        break;
      }
      list = grown;
    }
    list[n++] = number;
  }
  if (rc == SEGB_OK && errno != 0) {
    err = errno;
    rc = SEGB_ERR_SPOOL_IO;
  }
  closedir(dir);
  if (rc != SEGB_OK) {
    free(list);
    errno = err;
    return rc;
  }
  if (n > 0)
    qsort(list, n, sizeof *list, ascending);
  *numbers = list;
  *count = n;
  return SEGB_OK;
}

long sbi_spool_lock_pid(int fd) {
  char text[24];
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  char *end;
  long pid;

  if (n <= 0)
    return 0;
  text[n] = '\0';
  pid = strtol(text, &end, 10);
  return end != text && (*end == '\n' || *end == '\0') && pid > 0 ? pid : 0;
}
