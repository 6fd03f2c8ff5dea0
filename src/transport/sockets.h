/* The sockets libcurl opened for the library, process-wide, so that a
 * forked child can let go of its copies of the parent's connections
 * without writing to them: in the child every recorded descriptor is
 * turned into one of /dev/null (dup2), so that whatever later closes it
 * there (a TLS close_notify, a handle's cleanup) closes the child's copy
 * only and writes nowhere. The parent's connections go on untouched. */
#ifndef SBI_TRANSPORT_SOCKETS_H
#define SBI_TRANSPORT_SOCKETS_H

/* Start watching for fork(): before the first socket, by a thread that
 * holds no lock (sbi_fork_watch()). */
void sbi_sockets_watch(void);

/* Record @fd, just opened. SEGB_OK, or SEGB_ERR_NOMEM (then the caller
 * closes it and fails the connection: no socket goes unrecorded). */
int sbi_sockets_add(int fd);

/* Forget @fd, about to be closed. */
void sbi_sockets_remove(int fd);

#endif
