/* The receiver's request handler (tools/webhook_receiver/
 * receiver_handle.c) without its HTTP server: the status and JSON answer,
 * the events printed, and what the log says about each event, above all
 * whether the X-Signature covers it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/webhook.h>

#include "receiver.h"

#define SECRET "s3cr3t"
#define EVENT0 "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"A\"}"
#define EVENT1 "{\"type\":\"identify\",\"anonymousId\":\"a-2\"}"
#define EVIL "{\"type\":\"track\",\"userId\":\"evil\",\"event\":\"Refund\"}"
/* printf '%s' "$EVENT0" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG_FIRST "c285ba35ce23dce69c01adc3e473e298bb2ecdda"
/* printf '%s' "[$EVENT0,$EVENT1]" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG2_WHOLE "84896d689163ac437e9c2beaf87563a422ed06b6"
/* printf '%s' 'not json' | openssl dgst -sha1 -hmac s3cr3t */
#define SIG_NOT_JSON "50163713a2a8550e1f7410187e5e617a4f1b4ca2"
#define BASIC_ABC "Basic YWJjMTIzOg==" /* abc123: */

typedef struct handled {
  receiver_reply reply;
  char *out, *log;
} handled;

static handled handle(const segb_webhook_t *wh, const char *auth,
                      const char *sig, const char *body) {
  handled h;
  size_t out_len = 0, log_len = 0;
  FILE *out = open_memstream(&h.out, &out_len);
  FILE *log = open_memstream(&h.log, &log_len);

  assert_non_null(out);
  assert_non_null(log);
  memset(&h.reply, 0, sizeof h.reply);
  segb_receiver_handle(wh, auth, sig, NULL, body, strlen(body), out, log,
                       &h.reply);
  fclose(out);
  fclose(log);
  return h;
}

static void done(handled *h) {
  free(h->out);
  free(h->log);
}

/* An event appended to a batch's signed first event is printed, and
 * marked unsigned in the answer and on the log. */
static void test_marks_unsigned_events(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  handled h;
  (void)state;

  assert_int_equal(segb_webhook_add_secret(wh, SECRET), SEGB_OK);
  h = handle(wh, NULL, SIG_FIRST, "[" EVENT0 "," EVIL "]");
  assert_int_equal(h.reply.status, 200);
  assert_string_equal(h.reply.body,
                      "{\"accepted\":2,\"rejected\":0,\"unsigned\":1}");
  assert_string_equal(h.out, EVENT0 "\n" EVIL "\n");
  assert_string_equal(h.log,
                      "event 1 unsigned: X-Signature covers event 0 only\n");
  done(&h);
  /* the whole body signed: nothing to mark */
  h = handle(wh, NULL, SIG2_WHOLE, "[" EVENT0 "," EVENT1 "]");
  assert_int_equal(h.reply.status, 200);
  assert_string_equal(h.reply.body,
                      "{\"accepted\":2,\"rejected\":0,\"unsigned\":0}");
  assert_string_equal(h.log, "");
  done(&h);
  /* a refused event is neither accepted nor counted as unsigned */
  h = handle(wh, NULL, SIG_FIRST, "[" EVENT0 ",{\"type\":\"bogus\"}," EVIL "]");
  assert_string_equal(h.reply.body,
                      "{\"accepted\":2,\"rejected\":1,\"unsigned\":1}");
  assert_non_null(strstr(h.log, "event 1 skipped"));
  assert_non_null(strstr(h.log, "event 2 unsigned"));
  done(&h);

  /* told to refuse them, the host answers 401 and prints nothing */
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 1),
      SEGB_OK);
  h = handle(wh, NULL, SIG_FIRST, "[" EVENT0 "," EVIL "]");
  assert_int_equal(h.reply.status, 401);
  assert_non_null(strstr(h.reply.body, "SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS"));
  assert_string_equal(h.out, "");
  done(&h);
  segb_webhook_destroy(wh);
}

/* With API keys only, no event is signed, and no line says so per event. */
static void test_key_only_receiver(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  handled h;
  (void)state;

  assert_int_equal(segb_webhook_add_api_key(wh, "abc123"), SEGB_OK);
  h = handle(wh, BASIC_ABC, NULL, "[" EVENT0 "," EVENT1 "]");
  assert_int_equal(h.reply.status, 200);
  assert_string_equal(h.reply.body,
                      "{\"accepted\":2,\"rejected\":0,\"unsigned\":2}");
  assert_string_equal(h.log, "");
  done(&h);
  segb_webhook_destroy(wh);
}

/* Verifying and parsing in one call keeps each refusal's status. */
static void test_statuses(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  handled h;
  (void)state;

  assert_int_equal(segb_webhook_add_api_key(wh, "abc123"), SEGB_OK);
  assert_int_equal(segb_webhook_add_secret(wh, SECRET), SEGB_OK);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 1),
                   SEGB_OK);
  h = handle(wh, "Basic !!", SIG_FIRST, "[" EVENT0 "]");
  assert_int_equal(h.reply.status, 401);
  assert_non_null(strstr(h.reply.body, "SEGB_ERR_INVALID_BASE64"));
  done(&h);
  h = handle(wh, BASIC_ABC, SIG2_WHOLE, "[" EVENT0 "]");
  assert_int_equal(h.reply.status, 401);
  assert_non_null(strstr(h.reply.body, "SEGB_ERR_WEBHOOK_WRONG_SIGNATURE"));
  done(&h);
  h = handle(wh, BASIC_ABC, SIG_NOT_JSON, "not json");
  assert_int_equal(h.reply.status, 400);
  assert_non_null(strstr(h.reply.body, "SEGB_ERR_INVALID_JSON"));
  done(&h);
  h = handle(wh, BASIC_ABC, SIG_FIRST, "[" EVENT0 "," EVENT1 "]");
  assert_int_equal(h.reply.status, 413);
  assert_non_null(strstr(h.reply.body, "SEGB_ERR_TOO_MANY_EVENTS"));
  done(&h);
  segb_webhook_destroy(wh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_marks_unsigned_events),
      cmocka_unit_test(test_key_only_receiver),
      cmocka_unit_test(test_statuses),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
