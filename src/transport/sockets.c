#include "sockets.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <segbridge/error.h>

#include "core/fork.h"

static pthread_mutex_t sockets_lock = PTHREAD_MUTEX_INITIALIZER;
static int *sockets; /* under the lock */
static size_t count, room;
static sbi_fork_hook hook;
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

/* In the child, lock held: open(), dup2(), fcntl() and close() only. The
 * close-on-exec flag stays as it was. */
static void to_dev_null(void *ctx) {
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  size_t i;

  (void)ctx;
  if (null_fd < 0)
    return; /* out of descriptors: nothing safe is left to do */
  for (i = 0; i < count; i++) {
    int flags = fcntl(sockets[i], F_GETFD);

    if (flags >= 0 && dup2(null_fd, sockets[i]) >= 0)
      fcntl(sockets[i], F_SETFD, flags);
  }
  close(null_fd);
}

static void watch(void) {
  hook.lock = &sockets_lock;
  hook.child = to_dev_null;
  hook.rank = SBI_FORK_LEAF; /* taken under a dispatcher's as a multi closes */
  sbi_fork_watch(&hook);
}

void sbi_sockets_watch(void) { pthread_once(&hook_once, watch); }

int sbi_sockets_add(int fd) {
  int rc = SEGB_OK;

  pthread_mutex_lock(&sockets_lock);
  if (count == room) {
    size_t bigger = room > 0 ? room * 2 : 8;
    int *grown = realloc(sockets, bigger * sizeof *grown);

    if (grown != NULL) {
      sockets = grown;
      room = bigger;
    }
  }
  if (count < room)
    sockets[count++] = fd;
  else
    rc = SEGB_ERR_NOMEM;
  pthread_mutex_unlock(&sockets_lock);
  return rc;
}

void sbi_sockets_remove(int fd) {
  size_t i;

  pthread_mutex_lock(&sockets_lock);
  for (i = 0; i < count; i++)
    if (sockets[i] == fd) {
      sockets[i] = sockets[--count];
      break;
    }
  if (count == 0) {
    free(sockets);
    sockets = NULL;
    room = 0;
  }
  pthread_mutex_unlock(&sockets_lock);
}
