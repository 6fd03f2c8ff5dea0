/* One-line explanations of failed requests that tell the user what to do.
 * They name the host and the status, never a credential. */
#ifndef SBI_DISPATCH_ADVICE_H
#define SBI_DISPATCH_ADVICE_H

#include <stddef.h>

#include "transport/transport.h"

/* The error code a failed response stands for: the transport's error, or
 * SEGB_ERR_AUTH / _RATE_LIMITED / _REJECTED / _SERVER by status. */
int sbi_advice_code(const sbi_http_response *resp);

/* Write the advice for @resp, sent to @url, into @out. @auth_hint says
 * what to check when the credentials are refused (401/403); NULL for a
 * generic one. @auth is the Authorization line the request carried (or
 * NULL): a server may echo it, so it is redacted from the excerpt of the
 * server's answer. */
void sbi_advice(char *out, size_t size, const sbi_http_response *resp,
                const char *url, const char *auth_hint, const char *auth);

#endif
