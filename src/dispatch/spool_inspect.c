/*
 * A spool directory seen without taking it (sbi_spool_inspect): its files
 * are read with pread() (a mapping would fault if the holder trimmed a file
 * meanwhile), nothing is locked for longer than a test, nothing is
 * deleted, renamed or cut.
 */
#include "spool.h"

#include <segbridge/error.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "spool_format.h"

/* Deep enough for any sealed message; the timestamp is at the top. */
#define PAYLOAD_DEPTH 64

static int io_error(const char *path, const char *name) {
  return sbi_error(SEGB_ERR_SPOOL_IO, "spool.path %s: cannot read %s: %s", path,
                   name, strerror(errno));
}

/* 1 when a client holds the lock of file @fd; *@pid its pid, 0 when not
 * written yet. */
static int held(int fd, long *pid) {
  int err;

  *pid = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return 0;
  }
  err = errno;
  *pid = sbi_spool_lock_pid(fd);
  return err == EWOULDBLOCK;
}

/* The "timestamp" of the sealed message @payload, when it is one. */
static void timestamp_of(const unsigned char *payload, uint32_t len,
                         sbi_spool_status *st) {
  sbi_json *root = NULL;
  const sbi_json *ts;

  if (sbi_json_parse((const char *)payload, len, NULL, 0, PAYLOAD_DEPTH, &root,
                     NULL, 0) != SEGB_OK)
    return;
  ts =
      root->type == SBI_JSON_OBJECT ? sbi_json_get(root, "timestamp", 9) : NULL;
  if (ts != NULL && ts->type == SBI_JSON_STRING &&
      ts->str_len < sizeof st->oldest &&
      sbi_time_is_iso8601(ts->str, ts->str_len)) {
    memcpy(st->oldest, ts->str, ts->str_len);
    st->oldest[ts->str_len] = '\0';
  }
  sbi_json_free(root);
}

/* Up to @size bytes of @fd into @buf: how many there were, -1 on error. */
static ssize_t read_all(int fd, unsigned char *buf, size_t size) {
  size_t got = 0;

  while (got < size) {
    ssize_t n = pread(fd, buf + got, size - got, (off_t)got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0) /* trimmed by its holder meanwhile */
      break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

/* Add the @size bytes of segment @number at @p to @st. @live: it may be
 * appended to right now, so bytes past its end may be a record being
 * written, not damage. */
static int add_bytes(const unsigned char *p, size_t size, uint64_t number,
                     int live, const char *path, const char *name,
                     sbi_spool_status *st) {
  uint32_t version = 0;
  sbi_spool_scan scan;

  switch (sbi_spool_header_check(p, size, number, &version)) {
  case SBI_SPOOL_HEADER_NEWER:
    return sbi_error(SEGB_ERR_SPOOL_IO,
                     "spool.path %s: %s has format version %" PRIu32
                     ", newer than this library's %u",
                     path, name, version, SBI_SPOOL_VERSION);
  case SBI_SPOOL_HEADER_DAMAGED:
    st->damaged++;
    st->damaged_bytes += size;
    return SEGB_OK;
  case SBI_SPOOL_HEADER_OK:
    break;
  }
  sbi_spool_scan_records(p, (uint32_t)size, &scan);
  /* the first segment with records pending holds the oldest */
  if (st->records == 0 && scan.pending > 0)
    timestamp_of(p + scan.first_pending + SBI_SPOOL_RECORD_HEADER,
                 sbi_spool_le32(p + scan.first_pending), st);
  st->segments++;
  st->file_bytes += size;
  st->records += scan.pending;
  st->bytes += scan.pending_bytes;
  if (scan.damaged_bytes > 0 && !live) {
    st->damaged++;
    st->damaged_bytes += scan.damaged_bytes;
  }
  return SEGB_OK;
}

static int add_segment(int dirfd, const char *path, uint64_t number, int live,
                       sbi_spool_status *st) {
  char name[SBI_SPOOL_NAME_SIZE];
  unsigned char *buf;
  struct stat sb;
  ssize_t got;
  int fd, rc;

  sbi_spool_segment_name(name, number, 0);
  fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) /* deleted by its holder since the listing */
    return errno == ENOENT ? SEGB_OK : io_error(path, name);
  if (fstat(fd, &sb) != 0) {
    rc = io_error(path, name);
    close(fd);
    return rc;
  }
  if (sb.st_size > SBI_SPOOL_SEGMENT_MAX) { /* no segment is that large */
    close(fd);
    st->damaged++;
    st->damaged_bytes += (uint64_t)sb.st_size;
    return SEGB_OK;
  }
  buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
  if (buf == NULL) {
    close(fd);
    return sbi_error(SEGB_ERR_NOMEM, "out of memory reading the spool");
  }
  got = read_all(fd, buf, (size_t)sb.st_size);
  if (got < 0)
    rc = io_error(path, name);
  else if (got == 0) /* being made, or its maker killed at once */
    rc = SEGB_OK;
  else
    rc = add_bytes(buf, (size_t)got, number, live, path, name, st);
  close(fd);
  free(buf);
  return rc;
}

int sbi_spool_inspect(const char *path, sbi_spool_status *st) {
  uint64_t *numbers = NULL, highest;
  size_t n = 0, i;
  int dirfd, lockfd, live = 0, rc;

  memset(st, 0, sizeof *st);
  dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return sbi_error(SEGB_ERR_NOT_FOUND, "spool.path %s holds no spool: %s",
                     path, strerror(errno));
  if (dirfd < 0)
    return io_error(path, "the directory");
  lockfd = openat(dirfd, "lock", O_RDONLY | O_CLOEXEC);
  if (lockfd < 0 && errno != ENOENT) {
    rc = io_error(path, "lock");
    close(dirfd);
    return rc;
  }
  if (lockfd >= 0) {
    live = held(lockfd, &st->holder_pid);
    close(lockfd);
  }
  rc = sbi_spool_list(dirfd, &numbers, &n, &highest);
  if (rc == SEGB_ERR_SPOOL_IO)
    rc = io_error(path, "the directory");
  else if (rc == SEGB_ERR_NOMEM)
    rc = sbi_error(rc, "out of memory reading the spool");
  else if (lockfd < 0 && n == 0)
    rc = sbi_error(SEGB_ERR_NOT_FOUND, "spool.path %s holds no spool", path);
  /* Only the newest segment of a live spool is appended to. */
  for (i = 0; rc == SEGB_OK && i < n; i++)
    rc = add_segment(dirfd, path, numbers[i], live && i + 1 == n, st);
  free(numbers);
  close(dirfd);
  return rc;
}
