/* Internal ways into the client, for the CLI's --dry-run, the convenience
 * calls and tests. */
#ifndef SBI_CLIENT_INT_H
#define SBI_CLIENT_INT_H

#include <segbridge/client.h>

#include "transport/transport.h"

/* segb_client_new() with @transport (owned by the client from here on, also
 * on failure) instead of a libcurl one; NULL @transport means libcurl. */
segb_client_t *sbi_client_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size);

/* Count a refused enqueue: the convenience calls refuse some before a
 * message reaches segb_client_enqueue(). Any thread may call it. */
void sbi_client_refused(segb_client_t *c);

#endif
