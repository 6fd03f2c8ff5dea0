/*
 * libFuzzer target for the pagers' cursor handling (api/pager.c over
 * api/result.c): the input is a run of response bodies split at NUL bytes,
 * served as 200s one per request, then a last page. The first byte picks
 * the Public API's or the Profile API's cursors. Whatever cursors the
 * bodies name, a walk ends, and it never requests the same URL twice.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/api.h>
#include <segbridge/error.h>

#include "api/reader.h"
#include "setup.h"
#include "transport/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAGES 64

typedef struct feed {
  sbi_transport base; /* first: the transport pointer is the feed */
  const char *bodies[MAX_PAGES];
  size_t lens[MAX_PAGES];
  size_t count, next;
  int profile;
  char *urls[MAX_PAGES + 1];
} feed;

static int feed_send(sbi_transport *t, const sbi_http_request *req,
                     sbi_http_response *resp) {
  static const char last_public[] =
      "{\"data\":{\"sources\":[],\"pagination\":{\"next\":null}}}";
  static const char last_profile[] =
      "{\"traits\":{},\"cursor\":{\"has_more\":false}}";
  feed *f = (feed *)t;
  size_t i = f->next++, n = strlen(req->url) + 1;

  if (i > f->count)
    abort(); /* asked past the last page */
  f->urls[i] = malloc(n);
  if (f->urls[i] == NULL)
    abort();
  memcpy(f->urls[i], req->url, n);
  sbi_http_response_reset(resp);
  resp->status = 200;
  if (i < f->count)
    return sbi_buf_append(&resp->body, f->bodies[i], f->lens[i]);
  return sbi_buf_puts(&resp->body, f->profile ? last_profile : last_public);
}

static void feed_destroy(sbi_transport *t) { (void)t; }

static segb_reader_t *reader_for(feed *f) {
  static const char *const settings[] = {"public_api.token",
                                         "tok",
                                         "profile_api.token",
                                         "ptok",
                                         "profile_api.space_id",
                                         "spa",
                                         "retry.max_attempts",
                                         "0",
                                         NULL};
  segb_config_t *conf = segb_config_new();
  char err[SEGB_ERRSTR_SIZE];
  size_t i;

  for (i = 0; settings[i] != NULL; i += 2)
    if (segb_config_set(conf, settings[i], settings[i + 1], err, sizeof err) !=
        SEGB_OK)
      abort();
  f->base.send = feed_send;
  f->base.destroy = feed_destroy;
  return sbi_reader_new(conf, &f->base, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static feed f;
  static segb_reader_t *r;
  const char *p = (const char *)data + 1, *end = (const char *)data + size;
  segb_pager_t *pager = NULL;
  segb_result_t *page;
  size_t i, j;

  if (size == 0)
    return 0;
  if (r == NULL && (r = reader_for(&f)) == NULL)
    abort();
  f.profile = data[0] & 1;
  f.count = f.next = 0;
  while (p < end && f.count < MAX_PAGES) {
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    size_t len = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);

    f.bodies[f.count] = p;
    f.lens[f.count++] = len;
    p += len + 1;
  }
  if ((f.profile ? segb_profile_pager(r, SEGB_PROFILE_TRAITS, "user_id:u", NULL,
                                      &pager)
                 : segb_sources_pager(r, 0, &pager)) != SEGB_OK)
    abort();
  /* An error ends this walk: asking again would rightly ask again. */
  while (segb_pager_next(pager, &page) == SEGB_OK && page != NULL)
    segb_result_destroy(page);
  segb_pager_destroy(pager);
  for (i = 0; i < f.next; i++)
    for (j = i + 1; j < f.next; j++)
      if (strcmp(f.urls[i], f.urls[j]) == 0)
        abort();
  for (i = 0; i < f.next; i++)
    free(f.urls[i]);
  return 0;
}
