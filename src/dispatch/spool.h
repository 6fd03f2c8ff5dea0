/*
 * The disk spool: accepted events kept in a directory so that they survive
 * the process being killed. Records go into memory-mapped segment files
 * (length- and CRC-framed, a format version in each file's header), so an
 * append is a copy into the page cache, not a write() per event; a record
 * is acknowledged in place once its event has a fate, and a segment whose
 * records are all acknowledged is deleted. One live spool per directory,
 * held by an advisory lock that dies with its holder.
 *
 * Not thread-safe: the dispatcher calls it under its lock.
 */
#ifndef SBI_DISPATCH_SPOOL_H
#define SBI_DISPATCH_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

typedef enum sbi_spool_fsync {
  SBI_SPOOL_FSYNC_NEVER,    /* survives a process crash, not a power cut */
  SBI_SPOOL_FSYNC_INTERVAL, /* synced every fsync_interval_ms */
  SBI_SPOOL_FSYNC_ALWAYS    /* synced before append returns */
} sbi_spool_fsync;

typedef struct sbi_spool_options {
  const char *path;   /* the directory; created (0700) when missing */
  uint64_t max_bytes; /* bound on the segment files together; not 0 */
  /* The size of one segment file (at most 1 GiB); 0 picks one: 4 MiB, at
   * most max_bytes / 4, at least 64 KiB. */
  uint64_t segment_bytes;
  sbi_spool_fsync fsync;
  /* interval: between syncs; also how long an acknowledgement waits for
   * its sync with fsync always. */
  int64_t fsync_interval_ms;
  /* Damage found, files that cannot be deleted; may be NULL. Must outlive
   * the spool. */
  const sbi_logger *log;
} sbi_spool_options;

typedef struct sbi_spool sbi_spool;

/* Where a record lives, to acknowledge it. */
typedef struct sbi_spool_ref {
  uint32_t segment; /* the spool's own id of the segment, never reused */
  uint32_t offset;  /* of the record's header in the segment */
} sbi_spool_ref;

/* What a spool directory holds (segb_spool_status). */
typedef struct sbi_spool_status {
  uint64_t records;    /* pending: written and not acknowledged */
  uint64_t bytes;      /* of the pending records' payloads */
  uint64_t file_bytes; /* of the segment files */
  uint32_t segments;   /* segment files */
  char oldest[40];     /* timestamp of the oldest pending record, or "" */
  /* Damage an open would cut off: tails, files without a valid header
   * (their bytes, or those from the damage to the last byte not zero). */
  uint64_t damaged;
  uint64_t damaged_bytes;
  long holder_pid; /* pid holding the lock, 0 when none */
} sbi_spool_status;

/* Open (creating) the spool in o->path and take its lock: *@out, or
 * SEGB_ERR_SPOOL_LOCKED naming the holder's pid, SEGB_ERR_SPOOL_IO (also
 * for a segment of a newer format version, left alone), or
 * SEGB_ERR_INVALID_VALUE (not a directory, an empty path, max_bytes 0),
 * with sbi_error() detail. Damage found in the segments is cut off,
 * counted and logged; segments with nothing pending are deleted. */
int sbi_spool_open(const sbi_spool_options *o, sbi_spool **out);

/* Each pending record, oldest first (the order they were appended): its
 * payload (valid during the call only) and where it lives. @each returns
 * SEGB_OK to go on; any other value stops the walk and is returned. @each
 * may acknowledge records and append (what it appends is not walked).
 * Called once, after open; a second call walks nothing. */
typedef int sbi_spool_each_fn(void *ctx, const char *data, size_t len,
                              sbi_spool_ref ref);
int sbi_spool_recover(sbi_spool *s, sbi_spool_each_fn *each, void *ctx);

/* 1 when a record of @len payload bytes fits within max_bytes now. */
int sbi_spool_fits(const sbi_spool *s, size_t len);

/* Append a record: *@ref tells where. SEGB_OK once it is in the page cache
 * (and, with fsync always, on disk); SEGB_ERR_QUEUE_FULL when it would
 * pass max_bytes; SEGB_ERR_SPOOL_IO when a new segment cannot be made (no
 * space, I/O error) or, with fsync always, the sync fails, with what was
 * written before untouched; SEGB_ERR_TOO_LARGE past 1 GiB; SEGB_ERR_NOMEM.
 * No system call unless a new segment is made or fsync is always. */
int sbi_spool_append(sbi_spool *s, const char *data, size_t len,
                     sbi_spool_ref *ref);

/* Mark the record at @ref acknowledged (its event has a fate); a segment
 * left with none pending, and not the one appended to, is deleted. A ref
 * acknowledged before, or of a deleted segment, is ignored. The mark is
 * synced with the next sync, never on its own. */
void sbi_spool_ack(sbi_spool *s, sbi_spool_ref ref);

/* When the next sync is due (monotonic ms): fsync_interval_ms after the
 * oldest write not synced (appends with fsync interval, acknowledgements
 * with interval and always); -1 when nothing waits for one (so always
 * with fsync never). */
int64_t sbi_spool_sync_due(const sbi_spool *s);

/* Sync what was written since the last sync. SEGB_OK or SEGB_ERR_SPOOL_IO
 * (what failed stays due, an interval later). */
int sbi_spool_sync(sbi_spool *s);

/* Damage found at open: tails cut off, files put aside as *.damaged. */
uint64_t sbi_spool_damaged(const sbi_spool *s);

/* In a child after fork(): let go of the parent's spool without touching
 * its files (unmap, close; the lock stays the parent's), then free. */
void sbi_spool_abandon(sbi_spool *s);

/* Sync, unmap, release the lock, free. Accepts NULL. */
void sbi_spool_close(sbi_spool *s);

/* Read @path's spool without taking it (a live client may hold it):
 * SEGB_OK, SEGB_ERR_NOT_FOUND when it holds no spool (no directory, or
 * neither a lock nor a segment), SEGB_ERR_SPOOL_IO (also for a segment of
 * a newer format version). Nothing is changed. */
int sbi_spool_inspect(const char *path, sbi_spool_status *st);

#endif
