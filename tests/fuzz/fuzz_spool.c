/*
 * libFuzzer target for the spool's reader: the input becomes segment
 * files of a spool directory left by a dead client, which is inspected,
 * opened, recovered (every other record acknowledged), appended to,
 * closed, then inspected and opened again. Nothing may crash or leak, and
 * the views must agree: the open finds the damage and the records the
 * inspection saw, the damage is cut off so that the second look finds
 * none, and what was acknowledged is gone.
 *
 * The first byte of the input chooses: bit 0, two segment files, split
 * where the second byte says; bit 1, their file headers made valid; bit
 * 2, their records' CRCs made valid, so that the fuzzer reaches the
 * flags, lengths and tails behind them. The rest is the files' bytes.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <segbridge/error.h>

#include "dispatch/spool.h"
#include "dispatch/spool_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], spool_dir[96];

static void empty_dir(void) {
  DIR *d = opendir(spool_dir);
  struct dirent *e;
  char p[256];

  if (d == NULL)
    return;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') {
      snprintf(p, sizeof p, "%s/%s", spool_dir, e->d_name);
      unlink(p);
    }
  closedir(d);
}

static void remove_dirs(void) {
  empty_dir();
  rmdir(spool_dir);
  rmdir(root);
}

static void log_line(int level, const char *context, const char *line,
                     void *opaque) {
  (void)level;
  (void)opaque;
  if (strcmp(context, "spool") != 0 || strlen(line) > 1000)
    abort();
}

static const sbi_logger logger = {log_line, NULL, 7, 0};

/* Make the CRC of each record that fits match, as far as they go. */
static void repair_records(unsigned char *p, size_t size) {
  size_t off = SBI_SPOOL_FILE_HEADER;

  while (size >= off && size - off >= SBI_SPOOL_RECORD_HEADER) {
    uint32_t len = sbi_spool_le32(p + off);

    if ((len == 0 && sbi_spool_le32(p + off + 4) == 0) ||
        sbi_spool_record_size(len) > size - off)
      return;
    sbi_spool_put32(p + off + 4, sbi_spool_record_crc(
                                     p + off + SBI_SPOOL_RECORD_HEADER, len));
    off += (size_t)sbi_spool_record_size(len);
  }
}

static void write_segment(uint64_t number, const uint8_t *data, size_t size,
                          unsigned mode) {
  char name[SBI_SPOOL_NAME_SIZE], path[160];
  unsigned char *copy = malloc(size + 1);
  int fd;

  if (copy == NULL)
    abort();
  memcpy(copy, data, size);
  if ((mode & 2) && size >= SBI_SPOOL_FILE_HEADER)
    sbi_spool_header_encode(copy, number);
  if (mode & 4)
    repair_records(copy, size);
  sbi_spool_segment_name(name, number, 0);
  snprintf(path, sizeof path, "%s/%s", spool_dir, name);
  fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0 || write(fd, copy, size) != (ssize_t)size)
    abort();
  close(fd);
  free(copy);
}

typedef struct walk {
  sbi_spool *s;
  uint64_t records, bytes, acked, sum;
  int ack_all;
} walk;

static int each(void *ctx, const char *data, size_t len, sbi_spool_ref ref) {
  walk *w = ctx;
  size_t i;

  for (i = 0; i < len; i++) /* every byte handed over is readable */
    w->sum += (unsigned char)data[i];
  if (w->ack_all || w->records % 2 == 0) {
    sbi_spool_ack(w->s, ref);
    w->acked++;
  }
  w->records++;
  w->bytes += len;
  return SEGB_OK;
}

static sbi_spool *open_spool(void) {
  sbi_spool_options o = {spool_dir, 1u << 20, 4096, SBI_SPOOL_FSYNC_NEVER,
                         1000,      &logger};
  sbi_spool *s = NULL;

  return sbi_spool_open(&o, &s) == SEGB_OK ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sbi_spool_status before, after;
  walk w = {0}, again = {0};
  sbi_spool_ref ref;
  unsigned mode;
  sbi_spool *s;
  int rc;

  if (root[0] == '\0') {
    strcpy(root, "/tmp/segb-fuzz-spool-XXXXXX");
    if (mkdtemp(root) == NULL)
      abort();
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", root);
    if (mkdir(spool_dir, 0700) != 0)
      abort();
    atexit(remove_dirs);
  }
  if (size < 2)
    return 0;
  empty_dir();
  mode = data[0];
  if (mode & 1) {
    size_t split = (size_t)data[1] * (size - 2) / 256;

    write_segment(1, data + 2, split, mode);
    write_segment(2, data + 2 + split, size - 2 - split, mode);
  } else
    write_segment(1, data + 1, size - 1, mode);

  rc = sbi_spool_inspect(spool_dir, &before);
  s = open_spool();
  if (rc != SEGB_OK) { /* a newer format version: left alone by both */
    if (rc != SEGB_ERR_SPOOL_IO || s != NULL)
      abort();
    return 0;
  }
  if (s == NULL || sbi_spool_damaged(s) != before.damaged ||
      before.holder_pid != 0)
    abort();
  w.s = s;
  if (sbi_spool_recover(s, each, &w) != SEGB_OK ||
      w.records != before.records || w.bytes != before.bytes)
    abort();
  if (sbi_spool_append(s, "{}", 2, &ref) != SEGB_OK)
    abort();
  sbi_spool_close(s);

  if (sbi_spool_inspect(spool_dir, &after) != SEGB_OK || after.damaged != 0 ||
      after.records != w.records - w.acked + 1)
    abort();
  s = open_spool();
  if (s == NULL || sbi_spool_damaged(s) != 0)
    abort();
  again.s = s;
  again.ack_all = 1;
  if (sbi_spool_recover(s, each, &again) != SEGB_OK ||
      again.records != after.records || again.bytes != after.bytes)
    abort();
  sbi_spool_close(s);
  return 0;
}
