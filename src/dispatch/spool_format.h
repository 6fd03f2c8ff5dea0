/*
 * The spool's files on disk (docs/DURABILITY.md). A segment file
 * "seg-<16 hex digits>.spool" holds a 32-byte file header, then records
 * at 8-byte aligned offsets, then zeros to its end:
 *
 *   file header: magic "SEGBSPL\0", u32 version, u32 header size,
 *                u64 segment number, u32 reserved 0, u32 CRC-32 of the
 *                28 bytes before it
 *   record:      u32 payload length, u32 CRC-32 of the length's 4 bytes
 *                and the payload, u32 flags (bit 0: acknowledged; outside
 *                the CRC, written in place), u32 reserved 0, the payload,
 *                zeros to the next multiple of 8
 *
 * Integers are little-endian. A record header of zeros ends the records;
 * anything else that is not an intact record is damage, and so is every
 * byte that is not zero after the intact records end. Reading is shared
 * by the live spool, its inspection and the fuzz target.
 */
#ifndef SBI_DISPATCH_SPOOL_FORMAT_H
#define SBI_DISPATCH_SPOOL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define SBI_SPOOL_MAGIC "SEGBSPL" /* with its NUL: 8 bytes */
#define SBI_SPOOL_VERSION 1u
#define SBI_SPOOL_FILE_HEADER 32u
#define SBI_SPOOL_RECORD_HEADER 16u
#define SBI_SPOOL_ACKED 1u
/* Largest segment file: record offsets are 32-bit. */
#define SBI_SPOOL_SEGMENT_MAX (1u << 30)
/* "seg-" 16 hex digits ".spool" ".damaged" and a NUL */
#define SBI_SPOOL_NAME_SIZE 40

static inline uint32_t sbi_spool_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static inline uint64_t sbi_spool_le64(const unsigned char *p) {
  return (uint64_t)sbi_spool_le32(p) | (uint64_t)sbi_spool_le32(p + 4) << 32;
}

static inline void sbi_spool_put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static inline void sbi_spool_put64(unsigned char *p, uint64_t v) {
  sbi_spool_put32(p, (uint32_t)v);
  sbi_spool_put32(p + 4, (uint32_t)(v >> 32));
}

/* Bytes a record of @len payload bytes takes, header and padding. */
static inline uint64_t sbi_spool_record_size(uint64_t len) {
  return SBI_SPOOL_RECORD_HEADER + ((len + 7) & ~(uint64_t)7);
}

/* The CRC-32 (zlib's) a record of @len bytes at @payload carries. */
uint32_t sbi_spool_record_crc(const void *payload, uint32_t len);

/* The file header of segment @number. */
void sbi_spool_header_encode(unsigned char out[SBI_SPOOL_FILE_HEADER],
                             uint64_t number);

typedef enum sbi_spool_header_state {
  SBI_SPOOL_HEADER_OK,
  SBI_SPOOL_HEADER_DAMAGED, /* not a header of segment @number */
  SBI_SPOOL_HEADER_NEWER    /* a format version this library cannot read */
} sbi_spool_header_state;

/* What the first @size bytes at @p say of the file named as segment
 * @number; *@version gets the version found when NEWER. */
sbi_spool_header_state sbi_spool_header_check(const unsigned char *p,
                                              size_t size, uint64_t number,
                                              uint32_t *version);

/* What a segment's records hold. */
typedef struct sbi_spool_scan {
  uint32_t end;           /* where the intact records end */
  uint32_t first_pending; /* offset of the first not acknowledged, or 0 */
  uint32_t pending;       /* intact records not acknowledged */
  uint64_t pending_bytes; /* their payloads */
  /* Bytes from end to the last byte that is not zero: 0 when the rest is
   * zeros, else the tail is damaged and cut off at end. */
  uint64_t damaged_bytes;
} sbi_spool_scan;

/* Read the records of a segment of @size bytes (its header checked) at
 * @p. Never reads outside the @size bytes. */
void sbi_spool_scan_records(const unsigned char *p, uint32_t size,
                            sbi_spool_scan *out);

/* The name of segment @number, and of it put aside as damaged. */
void sbi_spool_segment_name(char out[SBI_SPOOL_NAME_SIZE], uint64_t number,
                            int damaged);

/* The numbers of the segment files in directory @dirfd, ascending, into
 * *@numbers (malloc'd; NULL when none) and *@count; *@highest is the
 * highest number named by a segment or a damaged segment, 0 for none.
 * SEGB_OK, SEGB_ERR_NOMEM or SEGB_ERR_SPOOL_IO (errno kept). */
int sbi_spool_list(int dirfd, uint64_t **numbers, size_t *count,
                   uint64_t *highest);

/* The pid written in the lock file @fd, 0 when it holds none. */
long sbi_spool_lock_pid(int fd);

#endif
