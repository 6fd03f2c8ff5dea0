/* The place of `segbridge import --spool DIR` in its input file, kept in
 * DIR/import.checkpoint: the offset after the last line the client accepted
 * (or skipped as invalid). An import killed and run again goes on from
 * there, while the client sends what the spool kept. The file is mapped,
 * so marking a line is a store, not a write(), and a kill leaves the last
 * mark in the page cache. The input file it belongs to is named in it by
 * device, inode, size and modification time: another input, or the same
 * one changed, is refused rather than resumed at a wrong place. */
#ifndef SEGB_CLI_CHECKPOINT_H
#define SEGB_CLI_CHECKPOINT_H

#include <stdint.h>

typedef struct cli_checkpoint {
  unsigned char *map; /* the file's bytes, NULL when none is open */
  char path[4200];
  uint64_t input_key; /* a hash of the input file's identity */
} cli_checkpoint;

/* Open or create @spool_dir's checkpoint for the regular file open as
 * @input_fd: *@offset and *@lineno get where the import resumes (0 and 0
 * for a new one). 0, or -1 after printing why (the checkpoint is another
 * input's, or cannot be made). */
int cli_checkpoint_open(cli_checkpoint *cp, const char *spool_dir, int input_fd,
                        uint64_t *offset, uint64_t *lineno);

/* Lines up to byte @offset (line @lineno) are taken care of. */
void cli_checkpoint_mark(cli_checkpoint *cp, uint64_t offset, uint64_t lineno);

/* A messageId for the line that starts at @offset and has none of its own:
 * the same on every run over the same input, so that a line sent again by
 * a resumed import is one Segment deduplicates. @out holds 64 bytes. */
void cli_checkpoint_message_id(const cli_checkpoint *cp, uint64_t offset,
                               char *out);

/* Let go of the checkpoint; with @complete (the whole input was taken care
 * of) it is removed, so the next import into the spool starts afresh. */
void cli_checkpoint_close(cli_checkpoint *cp, int complete);

#endif
