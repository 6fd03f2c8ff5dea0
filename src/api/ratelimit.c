/* msBeforeNext and X-RateLimit-Reset dates; the date is read by the
 * transport's HTTP-date wrapper (curl_getdate()), zone offsets included. */
#include "ratelimit.h"

#include "api/errbody.h"
#include "transport/retry.h"

int sbi_api_server_wait(const sbi_http_response *resp, int64_t now_ms,
                        int64_t *wait_ms) {
  char value[64];

  if (sbi_api_ms_before_next(resp->body.data, resp->body.len, wait_ms))
    return 1;
  return sbi_http_header(resp, "X-RateLimit-Reset", value, sizeof value) &&
         sbi_http_date_wait(value, now_ms, wait_ms);
}
