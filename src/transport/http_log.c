/* The debug=http line of an exchange. Only the method, host and path of
 * the URL are named: userinfo and query may hold credentials, and headers
 * and bodies are never looked at. */
#include <string.h>

#include <segbridge/error.h>

#include "transport.h"

/* [*host, *host_end) is host[:port] and [*host_end, *path_end) the path
 * of @url, without scheme, userinfo, query or fragment. */
static void split_url(const char *url, const char **host, const char **host_end,
                      const char **path_end) {
  const char *p = strstr(url, "://");
  const char *at;

  *host = p != NULL ? p + 3 : url;
  *host_end = *host + strcspn(*host, "/?#");
  /* The last '@' ends the userinfo, which may itself hold an '@'. */
  for (at = *host_end; at > *host; at--)
    if (at[-1] == '@') {
      *host = at;
      break;
    }
  *path_end = *host_end + strcspn(*host_end, "?#");
}

void sbi_http_log(const sbi_logger *log, const sbi_http_request *req,
                  size_t sent_bytes, const sbi_http_response *resp) {
  const char *host, *host_end, *path_end;
  long long ms = (long long)(resp->elapsed_us / 1000);

  if (!sbi_log_enabled(log, 7, SBI_LOG_HTTP))
    return;
  split_url(req->url, &host, &host_end, &path_end);
  if (resp->error == SEGB_OK)
    sbi_log(log, 7, "http", "%s %.*s%.*s -> %d in %lld ms, %zu bytes",
            req->method, (int)(host_end - host), host,
            (int)(path_end - host_end), host_end, resp->status, ms, sent_bytes);
  else
    sbi_log(log, 7, "http", "%s %.*s%.*s -> %s in %lld ms, %zu bytes: %s",
            req->method, (int)(host_end - host), host,
            (int)(path_end - host_end), host_end, segb_err_name(resp->error),
            ms, sent_bytes, resp->error_text);
}
