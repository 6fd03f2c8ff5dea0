/* Process-wide libcurl setup, reference counted so that the application and
 * every client can each hold a reference. */
#include <pthread.h>

#include <curl/curl.h>

#include <segbridge/client.h>

#include "core/err.h"
#include "core/fork.h"
#include "transport.h"

static pthread_mutex_t sbi_global_lock = PTHREAD_MUTEX_INITIALIZER;
static int sbi_global_refs;
/* A child forked while another thread counted a reference would find the
 * lock held forever: it is taken across fork(). libcurl and OpenSSL 3 need
 * nothing after a fork, so the count simply carries on in the child. */
static sbi_fork_hook global_hook = {.lock = &sbi_global_lock,
                                    .rank = SBI_FORK_OBJECT};
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

static void watch(void) { sbi_fork_watch(&global_hook); }

int sbi_global_init(void) {
  int rc;

  pthread_once(&hook_once, watch);
  pthread_mutex_lock(&sbi_global_lock);
  if (sbi_global_refs == 0) {
    CURLcode crc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (crc != CURLE_OK) {
      pthread_mutex_unlock(&sbi_global_lock);
      return sbi_error(
          crc == CURLE_OUT_OF_MEMORY ? SEGB_ERR_NOMEM : SEGB_ERR_SYSTEM,
          "libcurl global initialization failed: %s", curl_easy_strerror(crc));
    }
  }
  rc = ++sbi_global_refs;
  pthread_mutex_unlock(&sbi_global_lock);
  return rc;
}

int sbi_global_cleanup(void) {
  int rc;

  pthread_mutex_lock(&sbi_global_lock);
  if (sbi_global_refs == 0) {
    pthread_mutex_unlock(&sbi_global_lock);
    return sbi_error(SEGB_ERR_INVALID_ARG,
                     "segb_global_cleanup() without a matching "
                     "segb_global_init()");
  }
  rc = --sbi_global_refs;
  if (rc == 0)
    curl_global_cleanup();
  pthread_mutex_unlock(&sbi_global_lock);
  return rc;
}

int segb_global_init(void) { return sbi_global_init(); }

int segb_global_cleanup(void) { return sbi_global_cleanup(); }
