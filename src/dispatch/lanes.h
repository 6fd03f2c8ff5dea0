/* The users with a batch under way, for dispatch.ordering=per_user: a set
 * of user keys (open addressing, linear probing) sized once, so that the
 * dispatcher asks "is this user busy?" in constant time while it gathers a
 * batch past the queued events of busy users. */
#ifndef SBI_DISPATCH_LANES_H
#define SBI_DISPATCH_LANES_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbi_lanes {
  uint64_t *slots; /* 0: empty */
  size_t mask;     /* slot count - 1 */
  int shift;       /* 64 - log2(slot count) */
} sbi_lanes;

/* Room for @most keys at once. SEGB_OK or SEGB_ERR_NOMEM. */
int sbi_lanes_init(sbi_lanes *l, size_t most);
void sbi_lanes_free(sbi_lanes *l);

int sbi_lanes_has(const sbi_lanes *l, uint64_t key);
/* Add @key, not in the set, with the set holding fewer than @most. */
void sbi_lanes_add(sbi_lanes *l, uint64_t key);
/* Take out @key, which is in the set. */
void sbi_lanes_remove(sbi_lanes *l, uint64_t key);

#endif
