/*
 * The disk spool (spool.h): its lock, its segment files mapped into
 * memory, appends, acknowledgements and syncs. The format and its reading
 * are in spool_format.c, the read-only view in spool_inspect.c.
 *
 * An append copies the payload into the current segment's mapping, then
 * stores the record's length and CRC: the page cache holds it from there
 * on, so a kill of the process loses nothing, and no system call is made
 * until a segment fills up (or fsync=always asks for one).
 */
#include "spool.h"

#include <segbridge/error.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "spool_format.h"

/* The segment size picked when none is given: this, at most a quarter of
 * max_bytes (so acknowledged space comes back in steps), at least the
 * minimum. */
#define DEFAULT_SEGMENT (4u << 20)
#define MIN_DEFAULT_SEGMENT (64u << 10)
/* Tries at the lock, and the wait between two. */
#define LOCK_TRIES 3
#define LOCK_RETRY_MS 2

typedef struct segment {
  uint64_t number; /* in its file's name */
  uint32_t id;     /* sbi_spool_ref.segment */
  int fd;
  unsigned char *map;
  size_t map_len;
  uint32_t size;    /* of the file: the records lie below it */
  uint32_t used;    /* where the records end */
  uint32_t pending; /* records not acknowledged */
  /* Written since the last sync: bytes dirty_lo..dirty_hi; 0 0: none. */
  uint32_t dirty_lo, dirty_hi;
} segment;

struct sbi_spool {
  char *path;
  int dirfd, lockfd;
  const sbi_logger *log;
  sbi_spool_fsync fsync;
  int64_t fsync_interval_ms;
  uint64_t max_bytes;
  uint32_t segment_bytes;
  size_t page;
  segment **segs; /* ascending ids, which is the order of their records */
  size_t nsegs, cap;
  segment *cur;     /* appended to; NULL until the first append */
  segment *walking; /* being recovered: kept even with nothing pending */
  uint32_t next_id;
  uint32_t found; /* the segments found at open have ids below it */
  uint64_t next_number;
  uint64_t file_bytes; /* of the segments held */
  int64_t dirty_since; /* when the oldest unsynced write was, or -1 */
  int recovered;       /* the walk is done */
  uint64_t damaged;
};

static int io_error(const sbi_spool *s, const char *what, const char *name) {
  return sbi_error(SEGB_ERR_SPOOL_IO, "spool.path %s: cannot %s%s%s: %s",
                   s->path, what, name[0] ? " " : "", name, strerror(errno));
}

/* Index of the first segment whose id is not below @id. */
static size_t lower_bound(const sbi_spool *s, uint32_t id) {
  size_t lo = 0, hi = s->nsegs;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (s->segs[mid]->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static segment *find(const sbi_spool *s, uint32_t id) {
  size_t i;

  if (s->cur != NULL && s->cur->id == id)
    return s->cur;
  i = lower_bound(s, id);
  return i < s->nsegs && s->segs[i]->id == id ? s->segs[i] : NULL;
}

/* Room for one more segment in s->segs. */
static int reserve(sbi_spool *s) {
  size_t cap = s->cap ? 2 * s->cap : 8;
  segment **grown;

  if (s->nsegs < s->cap)
    return SEGB_OK;
  grown = realloc(s->segs, cap * sizeof *grown);
  if (grown == NULL)
    return sbi_error(SEGB_ERR_NOMEM, "out of memory in the spool");
  s->segs = grown;
  s->cap = cap;
  return SEGB_OK;
}

static void add(sbi_spool *s, segment *g) {
  g->id = s->next_id++;
  s->segs[s->nsegs++] = g;
  s->file_bytes += g->size;
}

static void release(segment *g) {
  if (g->map != NULL)
    munmap(g->map, g->map_len);
  close(g->fd);
  free(g);
}

/* Delete @g, which holds nothing pending: its file and its memory. */
static void drop(sbi_spool *s, segment *g) {
  size_t i = lower_bound(s, g->id);
  char name[SBI_SPOOL_NAME_SIZE];

  memmove(s->segs + i, s->segs + i + 1, (s->nsegs - i - 1) * sizeof *s->segs);
  s->nsegs--;
  s->file_bytes -= g->size;
  if (s->cur == g)
    s->cur = NULL;
  sbi_spool_segment_name(name, g->number, 0);
  release(g);
  /* Left behind, it is deleted by the next open: all of it acknowledged. */
  if (unlinkat(s->dirfd, name, 0) != 0)
    sbi_log(s->log, 4, "spool", "spool.path %s: cannot delete %s: %s", s->path,
            name, strerror(errno));
}

/* @g holds nothing pending and is neither appended to nor recovered. */
static int droppable(const sbi_spool *s, const segment *g) {
  return g->pending == 0 && g != s->cur && g != s->walking;
}

static void mark_dirty(sbi_spool *s, segment *g, uint32_t lo, uint32_t hi) {
  if (g->dirty_hi == 0 || lo < g->dirty_lo)
    g->dirty_lo = lo;
  if (hi > g->dirty_hi)
    g->dirty_hi = hi;
  if (s->dirty_since < 0)
    s->dirty_since = sbi_clock_mono_ms();
}

/* msync(MS_SYNC) of bytes lo..hi of @g, from the page lo is on. */
static int sync_range(const sbi_spool *s, const segment *g, uint32_t lo,
                      uint32_t hi) {
  size_t from = lo & ~(s->page - 1);
  char name[SBI_SPOOL_NAME_SIZE];

  if (msync(g->map + from, hi - from, MS_SYNC) == 0)
    return SEGB_OK;
  sbi_spool_segment_name(name, g->number, 0);
  return io_error(s, "sync", name);
}

static int open_directory(sbi_spool *s) {
  if (mkdir(s->path, 0700) != 0 && errno != EEXIST && errno != ENOTDIR)
    return io_error(s, "create the directory", "");
  s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd >= 0)
    return SEGB_OK;
  if (errno == ENOTDIR)
    return sbi_error(SEGB_ERR_INVALID_VALUE, "spool.path %s is not a directory",
                     s->path);
  return io_error(s, "open the directory", "");
}

/* flock(LOCK_EX | LOCK_NB), tried a few times over some milliseconds: an
 * inspection holds a shared lock for an instant. */
static int try_lock(int fd) {
  int tries = 0;

  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || ++tries == LOCK_TRIES)
      return -1;
    sbi_sleep_ms(LOCK_RETRY_MS);
  }
  return 0;
}

/* flock, not fcntl locks: two opens conflict also within one process, and
 * the lock dies with its holder, so a killed client's is simply taken. */
static int take_lock(sbi_spool *s) {
  char text[24];
  int n;

  s->lockfd = openat(s->dirfd, "lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (s->lockfd < 0)
    return io_error(s, "open", "lock");
  if (try_lock(s->lockfd) != 0) {
    long pid;

    if (errno != EWOULDBLOCK)
      return io_error(s, "lock", "lock");
    pid = sbi_spool_lock_pid(s->lockfd);
    if (pid == 0) /* taken an instant ago: its pid is not written yet */
      return sbi_error(SEGB_ERR_SPOOL_LOCKED,
                       "spool.path %s is held by another process", s->path);
    return sbi_error(SEGB_ERR_SPOOL_LOCKED,
                     "spool.path %s is held by process %ld", s->path, pid);
  }
  n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
  if (ftruncate(s->lockfd, 0) != 0 ||
      pwrite(s->lockfd, text, (size_t)n, 0) != n)
    return io_error(s, "write its pid into", "lock");
  return SEGB_OK;
}

/* A file named like segment @number whose header is not one: counted,
 * renamed out of the way and left alone. */
static void put_aside(sbi_spool *s, uint64_t number, const char *name,
                      uint64_t size) {
  char aside[SBI_SPOOL_NAME_SIZE];

  s->damaged++;
  sbi_spool_segment_name(aside, number, 1);
  if (renameat(s->dirfd, name, s->dirfd, aside) == 0)
    sbi_log(s->log, 4, "spool",
            "spool.path %s: %s has no valid segment header; its %" PRIu64
            " bytes are kept aside as %s",
            s->path, name, size, aside);
  else
    sbi_log(s->log, 4, "spool",
            "spool.path %s: %s has no valid segment header, and cannot be "
            "renamed: %s",
            s->path, name, strerror(errno));
}

/* Damage after the intact records of @g: counted, logged, cut off. */
static void cut_damage(sbi_spool *s, segment *g, const char *name,
                       const sbi_spool_scan *scan) {
  s->damaged++;
  sbi_log(s->log, 4, "spool",
          "spool.path %s: %s is damaged at byte %" PRIu32 ": %" PRIu64
          " bytes cut off, the %" PRIu32 " pending records before kept",
          s->path, name, scan->end, scan->damaged_bytes, scan->pending);
  if (g->pending == 0) /* the file goes anyway */
    return;
  if (ftruncate(g->fd, g->used) == 0)
    g->size = g->used; /* past it the mapping is never touched */
  else
    sbi_log(s->log, 4, "spool", "spool.path %s: cannot cut %s: %s", s->path,
            name, strerror(errno));
}

/* Take over segment @number of an earlier client. */
static int load_segment(sbi_spool *s, uint64_t number) {
  char name[SBI_SPOOL_NAME_SIZE];
  unsigned char head[SBI_SPOOL_FILE_HEADER];
  sbi_spool_header_state state;
  sbi_spool_scan scan;
  uint32_t version = 0;
  struct stat st;
  segment *g;
  ssize_t got = 0;
  int fd;

  sbi_spool_segment_name(name, number, 0);
  fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return io_error(s, "open", name);
  if (fstat(fd, &st) != 0 || (got = pread(fd, head, sizeof head, 0)) < 0) {
    int rc = io_error(s, "read", name);

    close(fd);
    return rc;
  }
  if (st.st_size == 0) { /* its maker was killed before it wrote a byte */
    close(fd);
    unlinkat(s->dirfd, name, 0);
    return SEGB_OK;
  }
  state = sbi_spool_header_check(head, (size_t)got, number, &version);
  if (state == SBI_SPOOL_HEADER_NEWER) {
    close(fd);
    return sbi_error(SEGB_ERR_SPOOL_IO,
                     "spool.path %s: %s has format version %" PRIu32
                     ", newer than this library's %u: left alone",
                     s->path, name, version, SBI_SPOOL_VERSION);
  }
  if (state != SBI_SPOOL_HEADER_OK || st.st_size > SBI_SPOOL_SEGMENT_MAX) {
    close(fd);
    put_aside(s, number, name, (uint64_t)st.st_size);
    return SEGB_OK;
  }
  g = calloc(1, sizeof *g);
  if (g == NULL || reserve(s) != SEGB_OK) {
    free(g);
    close(fd);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory opening the spool");
  }
  g->number = number;
  g->fd = fd;
  g->size = (uint32_t)st.st_size;
  g->map_len = g->size;
  g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (g->map == MAP_FAILED) {
    int rc = io_error(s, "map", name);

    g->map = NULL;
    release(g);
    return rc;
  }
  sbi_spool_scan_records(g->map, g->size, &scan);
  g->used = scan.end;
  g->pending = scan.pending;
  if (scan.damaged_bytes > 0)
    cut_damage(s, g, name, &scan);
  add(s, g);
  if (g->pending == 0)
    drop(s, g);
  return SEGB_OK;
}

/* The segments left by earlier clients, in the order they were made. */
static int load_segments(sbi_spool *s) {
  uint64_t *numbers, highest;
  size_t n, i;
  int rc = sbi_spool_list(s->dirfd, &numbers, &n, &highest);

  if (rc == SEGB_ERR_NOMEM)
    return sbi_error(rc, "out of memory opening the spool");
  if (rc != SEGB_OK)
    return io_error(s, "read the directory", "");
  for (i = 0; i < n && rc == SEGB_OK; i++)
    rc = load_segment(s, numbers[i]);
  free(numbers);
  s->found = s->next_id;
  s->next_number = highest + 1;
  return rc;
}

/* Let go of every segment and descriptor, touching no file. */
static void free_spool(sbi_spool *s) {
  size_t i;

  for (i = 0; i < s->nsegs; i++)
    release(s->segs[i]);
  if (s->lockfd >= 0)
    close(s->lockfd);
  if (s->dirfd >= 0)
    close(s->dirfd);
  free(s->segs);
  free(s->path);
  free(s);
}

static uint32_t pick_segment_bytes(const sbi_spool_options *o) {
  uint64_t size = o->segment_bytes;

  if (size == 0) {
    size =
        o->max_bytes / 4 < DEFAULT_SEGMENT ? o->max_bytes / 4 : DEFAULT_SEGMENT;
    if (size < MIN_DEFAULT_SEGMENT)
      size = MIN_DEFAULT_SEGMENT;
  }
  if (size < SBI_SPOOL_FILE_HEADER + SBI_SPOOL_RECORD_HEADER)
    size = SBI_SPOOL_FILE_HEADER + SBI_SPOOL_RECORD_HEADER;
  if (size > SBI_SPOOL_SEGMENT_MAX)
    size = SBI_SPOOL_SEGMENT_MAX;
  return (uint32_t)((size + 7) & ~(uint64_t)7);
}

int sbi_spool_open(const sbi_spool_options *o, sbi_spool **out) {
  sbi_spool *s;
  int rc;

  *out = NULL;
  if (o->path == NULL || o->path[0] == '\0')
    return sbi_error(SEGB_ERR_INVALID_VALUE, "spool.path is empty");
  if (o->max_bytes == 0)
    return sbi_error(SEGB_ERR_INVALID_VALUE, "spool.max_bytes is 0");
  s = calloc(1, sizeof *s);
  if (s == NULL || (s->path = strdup(o->path)) == NULL) {
    free(s);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory opening the spool");
  }
  s->dirfd = s->lockfd = -1;
  s->log = o->log;
  s->fsync = o->fsync;
  s->fsync_interval_ms = o->fsync_interval_ms;
  s->max_bytes = o->max_bytes;
  s->segment_bytes = pick_segment_bytes(o);
  s->page = (size_t)sysconf(_SC_PAGESIZE);
  s->dirty_since = -1;
  rc = open_directory(s);
  rc = rc ? rc : take_lock(s);
  rc = rc ? rc : load_segments(s);
  if (rc != SEGB_OK) {
    free_spool(s); /* closing the lock's only descriptor lets it go */
    return rc;
  }
  *out = s;
  return SEGB_OK;
}

int sbi_spool_recover(sbi_spool *s, sbi_spool_each_fn *each, void *ctx) {
  uint32_t id = 0;
  size_t i;
  int rc = SEGB_OK;

  if (s->recovered)
    return SEGB_OK;
  s->recovered = 1;
  /* By id, not index: @each may acknowledge (deleting other segments) or
   * append (adding some, which are not walked). */
  while (rc == SEGB_OK && (i = lower_bound(s, id)) < s->nsegs &&
         s->segs[i]->id < s->found) {
    segment *g = s->segs[i];
    uint32_t off, len;

    s->walking = g;
    for (off = SBI_SPOOL_FILE_HEADER; rc == SEGB_OK && off < g->used;
         off += (uint32_t)sbi_spool_record_size(len)) {
      sbi_spool_ref ref = {g->id, off};

      len = sbi_spool_le32(g->map + off);
      if ((sbi_spool_le32(g->map + off + 8) & SBI_SPOOL_ACKED) == 0)
        rc = each(ctx, (const char *)g->map + off + SBI_SPOOL_RECORD_HEADER,
                  len, ref);
    }
    s->walking = NULL;
    id = g->id + 1;
    if (droppable(s, g))
      drop(s, g);
  }
  return rc;
}

/* Bytes of a new segment to hold a record of @len, 0 when none can: the
 * segment size, or a segment of its own for a record larger than that. */
static uint64_t segment_size(const sbi_spool *s, size_t len) {
  uint64_t need;

  if (len > SBI_SPOOL_SEGMENT_MAX)
    return 0;
  need = SBI_SPOOL_FILE_HEADER + sbi_spool_record_size(len);
  if (need <= s->segment_bytes)
    return s->segment_bytes;
  need = (need + s->page - 1) & ~(uint64_t)(s->page - 1);
  return need <= SBI_SPOOL_SEGMENT_MAX ? need : 0;
}

/* 1 when the current segment goes as a new one is made: nothing in it is
 * pending. */
static int current_goes(const sbi_spool *s) {
  return s->cur != NULL && s->cur->pending == 0 && s->cur != s->walking;
}

/* 1 when a new segment of @size bytes stays within max_bytes. */
static int room_for(const sbi_spool *s, uint64_t size) {
  uint64_t held = s->file_bytes;

  if (current_goes(s))
    held -= s->cur->size;
  return size != 0 && held + size <= s->max_bytes;
}

static int fits_current(const sbi_spool *s, size_t len) {
  const segment *g = s->cur;

  return g != NULL && len <= SBI_SPOOL_SEGMENT_MAX &&
         sbi_spool_record_size(len) <= g->size - g->used;
}

int sbi_spool_fits(const sbi_spool *s, size_t len) {
  return fits_current(s, len) || room_for(s, segment_size(s, len));
}

/* Make the current segment a new one with room for a record of @len:
 * created, header written, all its blocks allocated (so a full disk shows
 * here, not as SIGBUS on a write into the mapping later), mapped. */
static int new_segment(sbi_spool *s, size_t len) {
  uint64_t size = segment_size(s, len);
  unsigned char head[SBI_SPOOL_FILE_HEADER];
  char name[SBI_SPOOL_NAME_SIZE];
  const char *failed;
  ssize_t wrote;
  segment *g;
  int rc, err;

  if (size == 0)
    return sbi_error(SEGB_ERR_TOO_LARGE,
                     "a record of %zu bytes is larger than a spool segment "
                     "can hold",
                     len);
  if (!room_for(s, size))
    return sbi_error(SEGB_ERR_QUEUE_FULL,
                     "the spool's files would pass spool.max_bytes (%" PRIu64
                     " bytes)",
                     s->max_bytes);
  g = calloc(1, sizeof *g);
  if (g == NULL || reserve(s) != SEGB_OK) {
    free(g);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory in the spool");
  }
  if (current_goes(s))
    drop(s, s->cur);
  g->number = s->next_number++;
  sbi_spool_segment_name(name, g->number, 0);
  g->fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (g->fd < 0) {
    rc = io_error(s, "create", name);
    free(g);
    return rc;
  }
  sbi_spool_header_encode(head, g->number);
  failed = "write";
  wrote = pwrite(g->fd, head, sizeof head, 0);
  if (wrote != (ssize_t)sizeof head) {
    if (wrote >= 0)
      errno = EIO;
    goto fail;
  }
  failed = "allocate";
  if ((err = posix_fallocate(g->fd, 0, (off_t)size)) != 0) {
    errno = err;
    goto fail;
  }
  failed = "map";
  g->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
  if (g->map == MAP_FAILED) {
    g->map = NULL;
    goto fail;
  }
  failed = "sync";
  if (s->fsync != SBI_SPOOL_FSYNC_NEVER &&
      (fsync(g->fd) != 0 || fsync(s->dirfd) != 0))
    goto fail;
  g->size = (uint32_t)size;
  g->map_len = size;
  g->used = SBI_SPOOL_FILE_HEADER;
  add(s, g);
  s->cur = g;
  return SEGB_OK;
fail:
  rc = io_error(s, failed, name);
  release(g);
  unlinkat(s->dirfd, name, 0);
  return rc;
}

int sbi_spool_append(sbi_spool *s, const char *data, size_t len,
                     sbi_spool_ref *ref) {
  unsigned char head[8];
  segment *g;
  uint32_t off;

  if (!fits_current(s, len)) {
    int rc = new_segment(s, len);

    if (rc != SEGB_OK)
      return rc;
  }
  g = s->cur;
  off = g->used;
  if (len > 0)
    memcpy(g->map + off + SBI_SPOOL_RECORD_HEADER, data, len);
  sbi_spool_put32(head, (uint32_t)len);
  sbi_spool_put32(head + 4, sbi_spool_record_crc(data, (uint32_t)len));
  /* The payload is in place before its length and CRC (one 8-byte store):
   * a kill in between leaves a header of zeros, where the records end. */
  atomic_signal_fence(memory_order_release);
  memcpy(g->map + off, head, sizeof head);
  g->used += (uint32_t)sbi_spool_record_size(len);
  g->pending++;
  ref->segment = g->id;
  ref->offset = off;
  if (s->fsync == SBI_SPOOL_FSYNC_INTERVAL)
    mark_dirty(s, g, off, g->used);
  else if (s->fsync == SBI_SPOOL_FSYNC_ALWAYS) {
    int rc = sync_range(s, g, off, g->used);

    if (rc != SEGB_OK) { /* refused: not for the next client either */
      sbi_spool_ack(s, *ref);
      return rc;
    }
  }
  return SEGB_OK;
}

void sbi_spool_ack(sbi_spool *s, sbi_spool_ref ref) {
  segment *g = find(s, ref.segment);
  unsigned char *flags;

  if (g == NULL || ref.offset < SBI_SPOOL_FILE_HEADER ||
      ref.offset >= g->used || ref.offset % 8 != 0)
    return;
  flags = g->map + ref.offset + 8;
  if ((sbi_spool_le32(flags) & SBI_SPOOL_ACKED) != 0 || g->pending == 0)
    return;
  sbi_spool_put32(flags, sbi_spool_le32(flags) | SBI_SPOOL_ACKED);
  /* A lost acknowledgement is a duplicate, not a loss: it waits for the
   * next sync, also with fsync=always. */
  if (s->fsync != SBI_SPOOL_FSYNC_NEVER)
    mark_dirty(s, g, ref.offset + 8, ref.offset + 12);
  if (--g->pending == 0 && droppable(s, g))
    drop(s, g);
}

int64_t sbi_spool_sync_due(const sbi_spool *s) {
  if (s->dirty_since < 0)
    return -1;
  return s->dirty_since + (s->fsync_interval_ms > 0 ? s->fsync_interval_ms : 0);
}

int sbi_spool_sync(sbi_spool *s) {
  int rc = SEGB_OK;
  size_t i;

  for (i = 0; i < s->nsegs; i++) {
    segment *g = s->segs[i];

    if (g->dirty_hi == 0)
      continue;
    if (sync_range(s, g, g->dirty_lo, g->dirty_hi) != SEGB_OK) {
      rc = SEGB_ERR_SPOOL_IO; /* kept dirty, tried again next time */
      continue;
    }
    g->dirty_lo = g->dirty_hi = 0;
  }
  /* After a failure the next try waits an interval, not a busy loop. */
  s->dirty_since = rc == SEGB_OK ? -1 : sbi_clock_mono_ms();
  return rc;
}

uint64_t sbi_spool_damaged(const sbi_spool *s) { return s->damaged; }

void sbi_spool_abandon(sbi_spool *s) {
  /* No flock(LOCK_UN): the lock belongs to the open file description the
   * parent shares, and unlocking would let go of the parent's. */
  if (s != NULL)
    free_spool(s);
}

void sbi_spool_close(sbi_spool *s) {
  if (s == NULL)
    return;
  if (s->fsync != SBI_SPOOL_FSYNC_NEVER && sbi_spool_sync(s) != SEGB_OK)
    sbi_log(s->log, 3, "spool", "%s", segb_last_error_message());
  s->cur = NULL; /* so that an empty one goes with the others */
  while (s->nsegs > 0) {
    segment *g = s->segs[s->nsegs - 1];

    if (g->pending == 0) {
      drop(s, g);
      continue;
    }
    /* Zeros past the records (the last one made has them) go. */
    if (g->used < g->size) {
      munmap(g->map, g->map_len);
      g->map = NULL;
      if (ftruncate(g->fd, g->used) != 0)
        sbi_log(s->log, 4, "spool", "spool.path %s: cannot trim a segment: %s",
                s->path, strerror(errno));
    }
    release(g);
    s->nsegs--;
  }
  /* Explicitly: a child that inherited the descriptor keeps it open. */
  flock(s->lockfd, LOCK_UN);
  free_spool(s);
}
