/* `segbridge import --spool`: the input offset the import resumes from. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "SEGBCKP1"
/* magic, input key, offset, line number: 8 bytes each */
#define FILE_BYTES 32
#define AT_KEY 8
#define AT_OFFSET 16
#define AT_LINENO 24

static uint64_t load(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static void store(unsigned char *p, uint64_t v) { memcpy(p, &v, sizeof v); }

/* FNV-1a over the identity of the input file. */
static uint64_t input_key(const struct stat *sb) {
  uint64_t parts[4] = {(uint64_t)sb->st_dev, (uint64_t)sb->st_ino,
                       (uint64_t)sb->st_size,
                       (uint64_t)sb->st_mtim.tv_sec * 1000000000u +
                           (uint64_t)sb->st_mtim.tv_nsec};
  const unsigned char *b = (const unsigned char *)parts;
  uint64_t h = 14695981039346656037u;
  size_t i;

  for (i = 0; i < sizeof parts; i++)
    h = (h ^ b[i]) * 1099511628211u;
  return h;
}

int cli_checkpoint_open(cli_checkpoint *cp, const char *spool_dir, int input_fd,
                        uint64_t *offset, uint64_t *lineno) {
  struct stat sb, own;
  int fd, fresh;

  memset(cp, 0, sizeof *cp);
  *offset = *lineno = 0;
  if (fstat(input_fd, &sb) != 0) {
    fprintf(stderr, "segbridge: cannot read the input's size: %s\n",
            strerror(errno));
    return -1;
  }
  cp->input_key = input_key(&sb);
  snprintf(cp->path, sizeof cp->path, "%s/import.checkpoint", spool_dir);
  fd = open(cp->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || fstat(fd, &own) != 0 ||
      (own.st_size == 0 && ftruncate(fd, FILE_BYTES) != 0)) {
    fprintf(stderr, "segbridge: cannot make %s: %s\n", cp->path,
            strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  fresh = own.st_size == 0;
  if (!fresh && own.st_size != FILE_BYTES) {
    fprintf(stderr, "segbridge: %s is not a checkpoint of segbridge import\n",
            cp->path);
    close(fd);
    return -1;
  }
  cp->map = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (cp->map == MAP_FAILED) {
    cp->map = NULL;
    fprintf(stderr, "segbridge: cannot map %s: %s\n", cp->path,
            strerror(errno));
    return -1;
  }
  if (fresh) {
    store(cp->map + AT_KEY, cp->input_key);
    memcpy(cp->map, MAGIC, 8);
    return 0;
  }
  if (memcmp(cp->map, MAGIC, 8) != 0 ||
      load(cp->map + AT_KEY) != cp->input_key ||
      load(cp->map + AT_OFFSET) > (uint64_t)sb.st_size) {
    fprintf(stderr,
            "segbridge: %s belongs to another input, or the input changed "
            "since that import stopped; finish that import first, or remove "
            "the file to start this one from its first line\n",
            cp->path);
    munmap(cp->map, FILE_BYTES);
    cp->map = NULL;
    return -1;
  }
  *offset = load(cp->map + AT_OFFSET);
  *lineno = load(cp->map + AT_LINENO);
  return 0;
}

void cli_checkpoint_mark(cli_checkpoint *cp, uint64_t offset, uint64_t lineno) {
  if (cp->map == NULL)
    return;
  /* The line number only names lines in messages: the offset decides. */
  store(cp->map + AT_LINENO, lineno);
  store(cp->map + AT_OFFSET, offset);
}

void cli_checkpoint_message_id(const cli_checkpoint *cp, uint64_t offset,
                               char *out) {
  snprintf(out, 64, "import-%016" PRIx64 "-%" PRIu64, cp->input_key, offset);
}

void cli_checkpoint_close(cli_checkpoint *cp, int complete) {
  if (cp->map == NULL)
    return;
  munmap(cp->map, FILE_BYTES);
  cp->map = NULL;
  if (complete)
    unlink(cp->path);
}
