/* Internal ways into the client, for the CLI's --dry-run and for tests. */
#ifndef SBI_CLIENT_INT_H
#define SBI_CLIENT_INT_H

#include <segbridge/client.h>

#include "transport/transport.h"

/* segb_client_new() with @transport (owned by the client from here on, also
 * on failure) instead of a libcurl one; NULL @transport means libcurl. */
segb_client_t *sbi_client_new(segb_config_t *conf, sbi_transport *transport,
                              char *errstr, size_t errstr_size);

#endif
