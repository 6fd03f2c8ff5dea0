/* --dry-run: a transport that prints each request on standard output, with
 * the credentials redacted, instead of sending it, and answers 200 as
 * Segment would. Printing as requests come keeps a dry-run import's memory
 * flat, however long the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_int.h"

typedef struct dry_run {
  sbi_transport base; /* first, so the transport pointer is the dry run */
  int gzip;
} dry_run;

/* Print a body with the value of "writeKey" replaced. The sender's bodies
 * are NUL-terminated (an sbi_buf). */
static void print_redacted_body(const char *body, size_t len) {
  static const char key[] = "\"writeKey\":\"";
  const char *at = strstr(body, key);
  const char *end;

  if (at == NULL) {
    printf("%.*s\n", (int)len, body);
    return;
  }
  at += sizeof key - 1;
  for (end = at; *end != '\0' && *end != '"'; end++)
    if (*end == '\\' && end[1] != '\0')
      end++;
  printf("%.*s[redacted]%s\n", (int)(at - body), body, end);
}

static int dry_run_send(sbi_transport *t, const sbi_http_request *r,
                        sbi_http_response *resp) {
  static const char reply[] = "{\"success\":true}";
  const dry_run *d = (const dry_run *)t;
  size_t h;

  printf("%s %s\n", r->method, r->url);
  printf("User-Agent: " SBI_USER_AGENT_PREFIX "%s\n", segb_version_str());
  if (d->gzip)
    printf("Content-Encoding: gzip (the body below is before compression)\n");
  for (h = 0; h < r->header_count; h++) {
    if (strncmp(r->headers[h], "Authorization:", 14) == 0) {
      const char *scheme = r->headers[h] + 15;
      printf("Authorization: %.*s [redacted]\n", (int)strcspn(scheme, " "),
             scheme);
    } else {
      printf("%s\n", r->headers[h]);
    }
  }
  printf("\n");
  print_redacted_body(r->body != NULL ? r->body : "", r->body_len);
  sbi_http_response_reset(resp);
  if (sbi_buf_append(&resp->body, reply, sizeof reply - 1) != SEGB_OK) {
    snprintf(resp->error_text, sizeof resp->error_text,
             "out of memory in a dry run");
    return resp->error = SEGB_ERR_NOMEM;
  }
  resp->status = 200;
  return SEGB_OK;
}

static void dry_run_destroy(sbi_transport *t) { free(t); }

sbi_transport *cli_dry_run_transport_new(int gzip) {
  dry_run *d = calloc(1, sizeof *d);

  if (d == NULL)
    return NULL;
  d->base.send = dry_run_send;
  d->base.destroy = dry_run_destroy;
  d->gzip = gzip;
  return &d->base;
}
