/* Webhook verification: X-Signature vectors computed independently with the
 * openssl command line, Basic credentials, rotation, limits, and every way
 * a request can be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <segbridge/error.h>
#include <segbridge/webhook.h>

#include "webhook/webhook_int.h"

#define SECRET "s3cr3t"
#define NEW_SECRET "new-secret"

/* A single track event, as the Webhooks destination sends it. */
static const char body1[] =
    "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"Order Completed\","
    "\"messageId\":\"m-1\",\"timestamp\":\"2024-01-02T03:04:05.678Z\","
    "\"properties\":{\"plan\":\"pro\",\"revenue\":19.99}}";
/* printf '%s' "$BODY1" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG1 "1e43c794b638bc3b5ac6d82b9051f30988cdf927"
#define SIG1_UPPER "1E43C794B638BC3B5AC6D82B9051F30988CDF927"
/* printf '%s' "$BODY1" | openssl dgst -sha1 -hmac new-secret */
#define SIG1_NEW "cd8af8948b37996d229d6e8227b9df538ed7decf"

/* A batch of two, as the Actions webhook sends it: JSON.stringify(array). */
#define EVENT0 "{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"A\"}"
#define EVENT1 "{\"type\":\"identify\",\"anonymousId\":\"a-2\"}"
static const char body2[] = "[" EVENT0 "," EVENT1 "]";
/* printf '%s' "$EVENT0" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG_FIRST "c285ba35ce23dce69c01adc3e473e298bb2ecdda"
/* printf '%s' "$BODY2" | openssl dgst -sha1 -hmac s3cr3t */
#define SIG2_WHOLE "84896d689163ac437e9c2beaf87563a422ed06b6"
/* printf '%s' '' | openssl dgst -sha1 -hmac s3cr3t */
#define SIG_EMPTY "319e5f42b6b9dc5daa3b1d411df1a3f7c891f358"

/* printf '%s' 'abc123:' | openssl base64, and so on. */
#define BASIC_ABC "Basic YWJjMTIzOg==" /* abc123: */
#define BASIC_NEW "Basic bmV3LWtleTo=" /* new-key: */
#define BASIC_PW "Basic YWJjMTIzOnB3"  /* abc123:pw */
#define BASIC_NOCOLON "Basic YWJjMTIz" /* abc123 */

static segb_webhook_t *with_secret(const char *secret) {
  segb_webhook_t *wh = segb_webhook_new();

  assert_non_null(wh);
  assert_int_equal(segb_webhook_add_secret(wh, secret), SEGB_OK);
  return wh;
}

static segb_webhook_t *with_key(const char *key) {
  segb_webhook_t *wh = segb_webhook_new();

  assert_non_null(wh);
  assert_int_equal(segb_webhook_add_api_key(wh, key), SEGB_OK);
  return wh;
}

static int sig(const segb_webhook_t *wh, const char *signature,
               const char *body) {
  return segb_webhook_verify(wh, NULL, signature, body, strlen(body));
}

/* Neither credential ever shows up in an error message. */
static void assert_no_secret_in_error(void) {
  const char *msg = segb_last_error_message();

  assert_null(strstr(msg, SECRET));
  assert_null(strstr(msg, NEW_SECRET));
  assert_null(strstr(msg, "abc123"));
  assert_null(strstr(msg, "YWJjMTIz"));
}

static void test_signature_vectors(void **state) {
  segb_webhook_t *wh = with_secret(SECRET);
  (void)state;

  assert_int_equal(sig(wh, SIG1, body1), SEGB_OK);
  assert_int_equal(sig(wh, SIG1_UPPER, body1), SEGB_OK);
  assert_int_equal(sig(wh, "  " SIG1 "\t", body1), SEGB_OK);
  assert_int_equal(segb_webhook_verify(wh, NULL, SIG_EMPTY, NULL, 0), SEGB_OK);
  assert_int_equal(segb_webhook_verify(wh, NULL, SIG_EMPTY, "", 0), SEGB_OK);
  /* Another secret's signature of the same body */
  assert_int_equal(sig(wh, SIG1_NEW, body1), SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  assert_no_secret_in_error();
  segb_webhook_destroy(wh);
}

/* Any single bit flipped, in the body or in the signature, is refused. */
static void test_signature_bit_flips(void **state) {
  segb_webhook_t *wh = with_secret(SECRET);
  char body[sizeof body1], hex[] = SIG1;
  size_t i;
  int bit;
  (void)state;

  for (i = 0; i < sizeof body1 - 1; i++) {
    for (bit = 0; bit < 8; bit++) {
      memcpy(body, body1, sizeof body1);
      body[i] = (char)(body[i] ^ (1 << bit));
      assert_int_equal(
          segb_webhook_verify(wh, NULL, SIG1, body, sizeof body1 - 1),
          SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
    }
  }
  for (i = 0; i < sizeof hex - 1; i++) {
    memcpy(hex, SIG1, sizeof hex);
    /* '0'<->'1', 'e'<->'d' ...: still a hex digit, one bit apart */
    hex[i] = (char)(hex[i] ^ 1);
    if (strchr("0123456789abcdefABCDEF", hex[i]) == NULL)
      continue;
    assert_int_equal(sig(wh, hex, body1), SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  }
  /* one byte short of the body */
  assert_int_equal(segb_webhook_verify(wh, NULL, SIG1, body1, sizeof body1 - 2),
                   SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  segb_webhook_destroy(wh);
}

static void test_signature_malformed(void **state) {
  static const char *const malformed[] = {
      "1e43c794b638bc3b5ac6d82b9051f30988cdf92",   /* 39 digits */
      "1e43c794b638bc3b5ac6d82b9051f30988cdf9270", /* 41 digits */
      "1e43c794b638bc3b5ac6d82b9051f30988cdf92g",  /* not hex */
      "1e43c794b638bc3b5ac6d82b9051f30988cd f927", /* space inside */
      "sha1=1e43c794b638bc3b5ac6d82b9051f30988cdf927",
      /* a SHA-256 HMAC's length */
      "1e43c794b638bc3b5ac6d82b9051f30988cdf9271e43c794b638bc3b5ac6d82b905",
      "0x1e43c794b638bc3b5ac6d82b9051f30988cdf9",
  };
  segb_webhook_t *wh = with_secret(SECRET);
  size_t i;
  (void)state;

  for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
    assert_int_equal(sig(wh, malformed[i], body1),
                     SEGB_ERR_WEBHOOK_BAD_SIGNATURE);
  assert_int_equal(sig(wh, NULL, body1), SEGB_ERR_WEBHOOK_NO_SIGNATURE);
  assert_int_equal(sig(wh, "", body1), SEGB_ERR_WEBHOOK_NO_SIGNATURE);
  assert_int_equal(sig(wh, "  ", body1), SEGB_ERR_WEBHOOK_NO_SIGNATURE);
  assert_no_secret_in_error();
  segb_webhook_destroy(wh);
}

/* A batch is signed over its first event (docs/WEBHOOKS.md); a signature
 * over the whole body is accepted too. */
static void test_signature_batches(void **state) {
  static const char wrapped[] = "{\"batch\":[" EVENT0 "," EVENT1 "]}";
  static const char spaced[] = " [ " EVENT0 " ,\n" EVENT1 " ] ";
  segb_webhook_t *wh = with_secret(SECRET);
  (void)state;

  assert_int_equal(sig(wh, SIG_FIRST, body2), SEGB_OK);
  assert_int_equal(sig(wh, SIG2_WHOLE, body2), SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, wrapped), SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, spaced), SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, "[" EVENT0 "]"), SEGB_OK);
  /* the second event's bytes are not signed on their own */
  assert_int_equal(sig(wh, SIG_FIRST, "[" EVENT1 "," EVENT0 "]"),
                   SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  /* With first-event signatures off, only the whole body counts. */
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT, 0),
      SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, body2), SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  assert_int_equal(sig(wh, SIG2_WHOLE, body2), SEGB_OK);
  segb_webhook_destroy(wh);
}

/* Bodies that would pass on a signed first element the parser does not take
 * as an event of the batch. */
static void test_signature_batch_lookalikes(void **state) {
  static const char *const forged[] = {
      /* a single event (it has a "type") carrying a "batch" member */
      "{\"type\":\"track\",\"userId\":\"evil\",\"batch\":[" EVENT0 "]}",
      "{\"batch\":[" EVENT0 "],\"type\":\"track\",\"userId\":\"evil\"}",
      /* the same with the key escaped */
      "{\"typ\\u0065\":\"track\",\"userId\":\"evil\",\"batch\":[" EVENT0 "]}",
      /* two "batch" members: the parser keeps the last */
      "{\"batch\":[" EVENT0 "],\"batch\":[{\"type\":\"track\"}]}",
      /* "batch" not an array, or not at the top */
      "{\"batch\":" EVENT0 "}",
      "{\"x\":{\"batch\":[" EVENT0 "]}}",
      /* unterminated */
      "{\"batch\":[" EVENT0,
      "[" EVENT0 "\"",
      /* not JSON after the first element: no batch, so no first event */
      "[" EVENT0 ",x]",
      "{\"batch\":[" EVENT0 "],}",
  };
  segb_webhook_t *wh = with_secret(SECRET);
  size_t i;
  (void)state;

  for (i = 0; i < sizeof forged / sizeof forged[0]; i++)
    assert_int_equal(sig(wh, SIG_FIRST, forged[i]),
                     SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  segb_webhook_destroy(wh);
}

static void test_signature_rotation(void **state) {
  segb_webhook_t *wh = with_secret(SECRET);
  segb_webhook_t *only_new = with_secret(NEW_SECRET);
  (void)state;

  assert_int_equal(segb_webhook_add_secret(wh, NEW_SECRET), SEGB_OK);
  assert_int_equal(sig(wh, SIG1, body1), SEGB_OK);
  assert_int_equal(sig(wh, SIG1_NEW, body1), SEGB_OK);
  assert_int_equal(sig(only_new, SIG1_NEW, body1), SEGB_OK);
  assert_int_equal(sig(only_new, SIG1, body1),
                   SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  segb_webhook_destroy(wh);
  segb_webhook_destroy(only_new);
}

static void test_basic_auth(void **state) {
  segb_webhook_t *wh = with_key("abc123");
  (void)state;

  assert_int_equal(segb_webhook_verify(wh, BASIC_ABC, NULL, "{}", 2), SEGB_OK);
  assert_int_equal(
      segb_webhook_verify(wh, "basic   YWJjMTIzOg==  ", NULL, "{}", 2),
      SEGB_OK);
  assert_int_equal(segb_webhook_verify(wh, "BASIC\tYWJjMTIzOg", NULL, "", 0),
                   SEGB_OK);
  segb_webhook_destroy(wh);
}

static void test_basic_auth_refused(void **state) {
  static const struct {
    const char *header;
    int err;
  } cases[] = {
      {NULL, SEGB_ERR_WEBHOOK_NO_AUTH},
      {"", SEGB_ERR_WEBHOOK_NO_AUTH},
      {"   ", SEGB_ERR_WEBHOOK_NO_AUTH},
      {"Bearer YWJjMTIzOg==", SEGB_ERR_WEBHOOK_NOT_BASIC},
      {"BasicYWJjMTIzOg==", SEGB_ERR_WEBHOOK_NOT_BASIC},
      {"Basi YWJjMTIzOg==", SEGB_ERR_WEBHOOK_NOT_BASIC},
      {"YWJjMTIzOg==", SEGB_ERR_WEBHOOK_NOT_BASIC},
      {"Basic YWJj!TIzOg==", SEGB_ERR_INVALID_BASE64},
      {"Basic YWJjMTIzOg=", SEGB_ERR_INVALID_BASE64},
      {"Basic YWJj MTIzOg==", SEGB_ERR_INVALID_BASE64},
      {BASIC_PW, SEGB_ERR_WEBHOOK_PASSWORD},
      {BASIC_NOCOLON, SEGB_ERR_WEBHOOK_PASSWORD},
      {"Basic", SEGB_ERR_WEBHOOK_PASSWORD},
      {BASIC_NEW, SEGB_ERR_WEBHOOK_WRONG_KEY},
      {"Basic Og==", SEGB_ERR_WEBHOOK_WRONG_KEY},         /* ":" */
      {"Basic YWJjMTI6", SEGB_ERR_WEBHOOK_WRONG_KEY},     /* "abc12:" */
      {"Basic YWJjMTIzNDo=", SEGB_ERR_WEBHOOK_WRONG_KEY}, /* "abc1234:" */
  };
  segb_webhook_t *wh = with_key("abc123");
  size_t i;
  (void)state;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(segb_webhook_verify(wh, cases[i].header, NULL, "{}", 2),
                     cases[i].err);
    assert_no_secret_in_error();
  }
  segb_webhook_destroy(wh);
}

static void test_basic_rotation(void **state) {
  segb_webhook_t *wh = with_key("abc123");
  (void)state;

  assert_int_equal(segb_webhook_verify(wh, BASIC_NEW, NULL, "", 0),
                   SEGB_ERR_WEBHOOK_WRONG_KEY);
  assert_int_equal(segb_webhook_add_api_key(wh, "new-key"), SEGB_OK);
  assert_int_equal(segb_webhook_verify(wh, BASIC_NEW, NULL, "", 0), SEGB_OK);
  assert_int_equal(segb_webhook_verify(wh, BASIC_ABC, NULL, "", 0), SEGB_OK);
  segb_webhook_destroy(wh);
}

/* With a key and a secret, both must pass: Authorization is checked first. */
static void test_key_and_secret(void **state) {
  segb_webhook_t *wh = with_key("abc123");
  (void)state;

  assert_int_equal(segb_webhook_add_secret(wh, SECRET), SEGB_OK);
  assert_int_equal(
      segb_webhook_verify(wh, BASIC_ABC, SIG1, body1, sizeof body1 - 1),
      SEGB_OK);
  assert_int_equal(
      segb_webhook_verify(wh, BASIC_ABC, NULL, body1, sizeof body1 - 1),
      SEGB_ERR_WEBHOOK_NO_SIGNATURE);
  assert_int_equal(segb_webhook_verify(wh, NULL, SIG1, body1, sizeof body1 - 1),
                   SEGB_ERR_WEBHOOK_NO_AUTH);
  assert_int_equal(
      segb_webhook_verify(wh, BASIC_NEW, SIG1_NEW, body1, sizeof body1 - 1),
      SEGB_ERR_WEBHOOK_WRONG_KEY);
  segb_webhook_destroy(wh);
}

static void test_body_limit(void **state) {
  segb_webhook_t *wh = with_secret(SECRET);
  (void)state;

  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES,
                                           sizeof body1 - 1),
                   SEGB_OK);
  assert_int_equal(sig(wh, SIG1, body1), SEGB_OK);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES,
                                           sizeof body1 - 2),
                   SEGB_OK);
  /* refused before any signature work, whatever the signature */
  assert_int_equal(sig(wh, SIG1, body1), SEGB_ERR_BODY_TOO_LARGE);
  assert_int_equal(sig(wh, NULL, body1), SEGB_ERR_BODY_TOO_LARGE);
  segb_webhook_destroy(wh);
}

static void test_verify_bad_arguments(void **state) {
  segb_webhook_t *empty = segb_webhook_new();
  segb_webhook_t *wh = with_secret(SECRET);
  (void)state;

  assert_int_equal(segb_webhook_verify(NULL, NULL, SIG1, body1, 3),
                   SEGB_ERR_INVALID_ARG);
  /* a verifier with nothing to check lets nothing through */
  assert_int_equal(segb_webhook_verify(empty, BASIC_ABC, SIG1, body1, 3),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_verify(wh, NULL, SIG1, NULL, 3),
                   SEGB_ERR_INVALID_ARG);
  segb_webhook_destroy(empty);
  segb_webhook_destroy(wh);
  segb_webhook_destroy(NULL);
}

static void test_credentials_refused(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  char name[16], big[SBI_WEBHOOK_CREDENTIAL_MAX + 2];
  int i;
  (void)state;

  assert_int_equal(segb_webhook_add_api_key(NULL, "k"), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_add_secret(NULL, "s"), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_add_api_key(wh, NULL), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_add_api_key(wh, ""), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_add_api_key(wh, "a:b"), SEGB_ERR_INVALID_ARG);
  assert_null(strstr(segb_last_error_message(), "a:b"));
  assert_int_equal(segb_webhook_add_secret(wh, NULL), SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_add_secret(wh, ""), SEGB_ERR_INVALID_ARG);
  memset(big, 'k', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(segb_webhook_add_secret(wh, big), SEGB_ERR_INVALID_ARG);
  big[sizeof big - 2] = '\0';
  assert_int_equal(segb_webhook_add_secret(wh, big), SEGB_OK);
  for (i = 0; i < SEGB_WEBHOOK_MAX_CREDENTIALS; i++) {
    snprintf(name, sizeof name, "key-%d", i);
    assert_int_equal(segb_webhook_add_api_key(wh, name), SEGB_OK);
  }
  assert_int_equal(segb_webhook_add_api_key(wh, "one-too-many"),
                   SEGB_ERR_INVALID_ARG);
  segb_webhook_destroy(wh);
}

static void test_options(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  (void)state;

  assert_int_equal(segb_webhook_option(NULL, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES),
                   4 * 1024 * 1024);
  assert_int_equal(segb_webhook_option(NULL, SEGB_WEBHOOK_OPT_MAX_DEPTH), 64);
  assert_int_equal(segb_webhook_option(NULL, SEGB_WEBHOOK_OPT_MAX_EVENTS),
                   4000);
  assert_int_equal(
      segb_webhook_option(NULL, SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT), 1);
  assert_int_equal(segb_webhook_option(wh, 99), 0);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH, 256),
                   SEGB_OK);
  assert_int_equal(segb_webhook_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH), 256);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH, 257),
                   SEGB_ERR_INVALID_VALUE);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_DEPTH, 0),
                   SEGB_ERR_INVALID_VALUE);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 0),
                   SEGB_ERR_INVALID_VALUE);
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 0),
      SEGB_ERR_INVALID_VALUE);
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT, 2),
      SEGB_ERR_INVALID_VALUE);
  assert_int_equal(segb_webhook_set_option(wh, 0, 1), SEGB_ERR_UNKNOWN_OPTION);
  assert_int_equal(segb_webhook_set_option(NULL, SEGB_WEBHOOK_OPT_MAX_DEPTH, 8),
                   SEGB_ERR_INVALID_ARG);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 7),
                   SEGB_OK);
  assert_int_equal(segb_webhook_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS), 7);
  segb_webhook_destroy(wh);
}

/* An event appended to a signed one: the signature still verifies, as
 * Segment signs batches over their first event only. */
#define EVIL "{\"type\":\"track\",\"userId\":\"evil\",\"event\":\"Refund\"}"
static const char appended[] = "[" EVENT0 "," EVIL "]";

static segb_webhook_batch_t *receive_ok(const segb_webhook_t *wh,
                                        const char *auth, const char *sig_,
                                        const char *body) {
  segb_webhook_batch_t *b = NULL;

  assert_int_equal(segb_webhook_receive(wh, auth, sig_, body, strlen(body), &b),
                   SEGB_OK);
  assert_non_null(b);
  return b;
}

/* segb_webhook_receive() tells each event whether the signature covers
 * it. */
static void test_receive_coverage(void **state) {
  static const char wrapped[] = "{\"batch\":[" EVENT0 "," EVENT1 "]}";
  segb_webhook_t *wh = with_secret(SECRET);
  segb_webhook_t *key_only = with_key("abc123");
  segb_webhook_batch_t *b;
  (void)state;

  /* the first event signed: it alone is covered */
  b = receive_ok(wh, NULL, SIG_FIRST, appended);
  assert_int_equal(segb_webhook_batch_count(b), 2);
  assert_int_equal(segb_webhook_batch_errors(b), 0);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  assert_int_equal(segb_webhook_event_signed(b, 1), 0);
  assert_string_equal(segb_webhook_event_user_id(b, 1), "evil");
  assert_int_equal(segb_webhook_event_signed(b, 2), 0);
  segb_webhook_batch_destroy(b);
  b = receive_ok(wh, NULL, SIG_FIRST, wrapped);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  assert_int_equal(segb_webhook_event_signed(b, 1), 0);
  segb_webhook_batch_destroy(b);
  /* the whole body signed, a batch of one, a single event: all covered */
  b = receive_ok(wh, NULL, SIG2_WHOLE, body2);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  assert_int_equal(segb_webhook_event_signed(b, 1), 1);
  segb_webhook_batch_destroy(b);
  b = receive_ok(wh, NULL, SIG_FIRST, " [ " EVENT0 " ] ");
  assert_int_equal(segb_webhook_batch_count(b), 1);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  segb_webhook_batch_destroy(b);
  b = receive_ok(wh, NULL, SIG1, body1);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  segb_webhook_batch_destroy(b);
  /* no secret, so nothing signed: Basic credentials vouch for the sender,
   * not for the bytes */
  b = receive_ok(key_only, BASIC_ABC, NULL, body2);
  assert_int_equal(segb_webhook_event_signed(b, 0), 0);
  assert_int_equal(segb_webhook_event_signed(b, 1), 0);
  segb_webhook_batch_destroy(b);
  /* segb_webhook_parse() sees no signature */
  assert_int_equal(segb_webhook_parse(wh, body1, sizeof body1 - 1, &b),
                   SEGB_OK);
  assert_int_equal(segb_webhook_event_signed(b, 0), 0);
  segb_webhook_batch_destroy(b);
  assert_int_equal(segb_webhook_event_signed(NULL, 0), 0);
  segb_webhook_destroy(wh);
  segb_webhook_destroy(key_only);
}

/* The signed bytes are where the parser read event 0, wherever the body's
 * spelling puts them: an escaped "batch" key is the batch it names. */
static void test_signature_parser_span(void **state) {
  static const char escaped[] = "{\"b\\u0061tch\":[" EVENT0 "," EVIL "]}";
  static const char spaced[] = "\r\n{ \"batch\" :\t[\n" EVENT0 "\n] }";
  static const char wrapped[] = "{\"batch\":[" EVENT0 "," EVENT1 "]}";
  segb_webhook_t *wh = with_secret(SECRET);
  segb_webhook_batch_t *b;
  (void)state;

  b = receive_ok(wh, NULL, SIG_FIRST, escaped);
  assert_int_equal(segb_webhook_batch_count(b), 2);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  assert_int_equal(segb_webhook_event_signed(b, 1), 0);
  assert_string_equal(segb_webhook_event_user_id(b, 0), "u-1");
  segb_webhook_batch_destroy(b);
  b = receive_ok(wh, NULL, SIG_FIRST, spaced);
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  segb_webhook_batch_destroy(b);
  /* A limit that stops a root array after its first event leaves that
   * event in place: the signature passes and the limit is the answer. An
   * object the limit stops has no settled first event (a later "type" or
   * "batch" could change it), so there only the whole body can match. */
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 1),
                   SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, body2), SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, wrapped),
                   SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 1),
      SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, body2), SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS);
  segb_webhook_destroy(wh);
}

/* receive() fails as verify() does, then as parse() does, with no batch. */
static void test_receive_refused(void **state) {
  segb_webhook_t *wh = with_secret(SECRET);
  segb_webhook_batch_t *b = (segb_webhook_batch_t *)&b;
  (void)state;

  assert_int_equal(
      segb_webhook_receive(wh, NULL, SIG_FIRST, body1, sizeof body1 - 1, &b),
      SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  assert_null(b);
  b = (segb_webhook_batch_t *)&b;
  assert_int_equal(segb_webhook_receive(wh, NULL, SIG_EMPTY, NULL, 0, &b),
                   SEGB_ERR_INVALID_JSON);
  assert_null(b);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS, 1),
                   SEGB_OK);
  assert_int_equal(
      segb_webhook_receive(wh, NULL, SIG_FIRST, body2, sizeof body2 - 1, &b),
      SEGB_ERR_TOO_MANY_EVENTS);
  assert_null(b);
  assert_int_equal(
      segb_webhook_receive(NULL, NULL, SIG1, body1, sizeof body1 - 1, &b),
      SEGB_ERR_INVALID_ARG);
  assert_int_equal(
      segb_webhook_receive(wh, NULL, SIG1, body1, sizeof body1 - 1, NULL),
      SEGB_ERR_INVALID_ARG);
  segb_webhook_destroy(wh);
}

/* SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED: a batch with events the signature does not
 * cover fails, with a code of its own, in verify() and receive() alike. */
static void test_refuse_unsigned(void **state) {
  segb_webhook_t *wh = with_secret(SECRET);
  segb_webhook_t *key_only = with_key("abc123");
  segb_webhook_batch_t *b = (segb_webhook_batch_t *)&b;
  (void)state;

  assert_int_equal(segb_webhook_option(NULL, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED),
                   0);
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 2),
      SEGB_ERR_INVALID_VALUE);
  assert_int_equal(
      segb_webhook_set_option(wh, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 1),
      SEGB_OK);
  assert_int_equal(segb_webhook_option(wh, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED),
                   1);

  assert_int_equal(sig(wh, SIG_FIRST, appended),
                   SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS);
  assert_non_null(strstr(segb_last_error_message(), "first event"));
  assert_no_secret_in_error();
  assert_int_equal(sig(wh, SIG_FIRST, body2), SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS);
  assert_int_equal(segb_webhook_receive(wh, NULL, SIG_FIRST, appended,
                                        sizeof appended - 1, &b),
                   SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS);
  assert_null(b);
  /* covered throughout: still accepted */
  assert_int_equal(sig(wh, SIG2_WHOLE, body2), SEGB_OK);
  assert_int_equal(sig(wh, SIG_FIRST, "[" EVENT0 "]"), SEGB_OK);
  assert_int_equal(sig(wh, SIG1, body1), SEGB_OK);
  b = receive_ok(wh, NULL, SIG_FIRST, "{\"batch\":[" EVENT0 "]}");
  assert_int_equal(segb_webhook_event_signed(b, 0), 1);
  segb_webhook_batch_destroy(b);
  assert_int_equal(sig(wh, SIG_FIRST, " [ " EVENT0 " ]\n"), SEGB_OK);
  /* one signed event, but members beside the list that nobody signed: a
   * batch-wide context someone added must not ride on that signature */
  assert_int_equal(
      sig(wh, SIG_FIRST, "{\"batch\":[" EVENT0 "],\"context\":{\"evil\":1}}"),
      SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS);
  assert_int_equal(
      sig(wh, SIG_FIRST, "{\"context\":{\"evil\":1},\"batch\":[" EVENT0 "]}"),
      SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS);
  /* a wrong signature stays a wrong signature */
  assert_int_equal(sig(wh, SIG1, body2), SEGB_ERR_WEBHOOK_WRONG_SIGNATURE);
  assert_string_equal(segb_err_name(SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS),
                      "SEGB_ERR_WEBHOOK_UNSIGNED_EVENTS");

  /* without a secret nothing could ever be covered: a setup error */
  assert_int_equal(
      segb_webhook_set_option(key_only, SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 1),
      SEGB_OK);
  assert_int_equal(
      segb_webhook_verify(key_only, BASIC_ABC, NULL, body1, sizeof body1 - 1),
      SEGB_ERR_INVALID_ARG);
  assert_non_null(strstr(segb_last_error_message(), "needs a secret"));
  segb_webhook_destroy(wh);
  segb_webhook_destroy(key_only);
}

/* Where a batch's first element lies, as the parser read it, and whether
 * more elements follow it. */
static void test_first_element(void **state) {
  static const struct {
    const char *body;
    const char *first; /* NULL: no candidate */
    int more;
  } cases[] = {
      {"[1,2]", "1", 1},
      {"[ \"a,]\" , 2]", "\"a,]\"", 1},
      {"[{\"s\":\"}\\\"]\"},2]", "{\"s\":\"}\\\"]\"}", 1},
      {"[[1,[2]],3]", "[1,[2]]", 1},
      {"{\"batch\":[true]}", "true", 0},
      {"{\"context\":{\"batch\":1},\"batch\":[{}]}", "{}", 0},
      {"[ 7 ]", "7", 0},
      {"{\"batch\":[{} ,{}]}", "{}", 1},
      {"[]", NULL, 0},
      {"[ ]", NULL, 0},
      {"", NULL, 0},
      {"   ", NULL, 0},
      {"1", NULL, 0},
      {"{}", NULL, 0},
      {"{\"batch\":[]}", NULL, 0},
      /* the parser reads the key as "batch", so the batch is its array */
      {"{\"b\\u0061tch\":[1]}", "1", 0},
      {"[\"open", NULL, 0},
      {"[{", NULL, 0},
      {"{\"batch\":[1]", NULL, 0},
      /* a first element a later "batch" replaced, or an emptied one */
      {"{\"batch\":[1],\"batch\":[ 2 ,3]}", "2", 1},
      {"{\"batch\":[1],\"batch\":[]}", NULL, 0},
      {"{\"batch\":[1],\"type\":\"track\"}", NULL, 0},
      {"[\"\\u00e9\" , 2]", "\"\\u00e9\"", 1},
  };
  sbi_webhook_limits lim;
  size_t i;
  (void)state;

  sbi_webhook_limits_of(NULL, &lim);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *b = cases[i].body;
    segb_webhook_batch_t *batch = NULL;
    sbi_json_span first;
    int rc = sbi_webhook_parse(&lim, b, strlen(b), &batch, &first);

    if (cases[i].first == NULL) {
      assert_int_equal(first.len, 0);
      segb_webhook_batch_destroy(batch);
      continue;
    }
    assert_int_equal(rc, SEGB_OK);
    assert_int_equal(first.len, strlen(cases[i].first));
    assert_memory_equal(b + first.at, cases[i].first, first.len);
    assert_int_equal(segb_webhook_batch_count(batch) > 1, cases[i].more);
    segb_webhook_batch_destroy(batch);
  }
}

/* The option names of 0.1 still compile, as aliases of the same values. */
static void test_deprecated_option_names(void **state) {
  segb_webhook_t *wh = segb_webhook_new();
  (void)state;

  assert_non_null(wh);
  assert_int_equal(SEGB_WEBHOOK_MAX_BODY_BYTES,
                   SEGB_WEBHOOK_OPT_MAX_BODY_BYTES);
  assert_int_equal(SEGB_WEBHOOK_MAX_DEPTH, SEGB_WEBHOOK_OPT_MAX_DEPTH);
  assert_int_equal(SEGB_WEBHOOK_MAX_EVENTS, SEGB_WEBHOOK_OPT_MAX_EVENTS);
  assert_int_equal(SEGB_WEBHOOK_SIGNED_FIRST_EVENT,
                   SEGB_WEBHOOK_OPT_SIGNED_FIRST_EVENT);
  assert_int_equal(SEGB_WEBHOOK_REFUSE_UNSIGNED,
                   SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED);
  /* the values are the ABI's */
  assert_int_equal(SEGB_WEBHOOK_OPT_MAX_BODY_BYTES, 1);
  assert_int_equal(SEGB_WEBHOOK_OPT_REFUSE_UNSIGNED, 5);
  assert_int_equal(segb_webhook_set_option(wh, SEGB_WEBHOOK_MAX_EVENTS, 9),
                   SEGB_OK);
  assert_int_equal(segb_webhook_option(wh, SEGB_WEBHOOK_OPT_MAX_EVENTS), 9);
  segb_webhook_destroy(wh);
}

static void test_error_names(void **state) {
  (void)state;

  assert_string_equal(segb_err_name(SEGB_ERR_WEBHOOK_WRONG_SIGNATURE),
                      "SEGB_ERR_WEBHOOK_WRONG_SIGNATURE");
  assert_string_equal(segb_err_name(SEGB_ERR_INVALID_BASE64),
                      "SEGB_ERR_INVALID_BASE64");
  assert_true(segb_err_min() <= SEGB_ERR_MISSING_IDENTITY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_signature_vectors),
      cmocka_unit_test(test_signature_bit_flips),
      cmocka_unit_test(test_signature_malformed),
      cmocka_unit_test(test_signature_batches),
      cmocka_unit_test(test_signature_batch_lookalikes),
      cmocka_unit_test(test_signature_rotation),
      cmocka_unit_test(test_basic_auth),
      cmocka_unit_test(test_basic_auth_refused),
      cmocka_unit_test(test_basic_rotation),
      cmocka_unit_test(test_key_and_secret),
      cmocka_unit_test(test_body_limit),
      cmocka_unit_test(test_verify_bad_arguments),
      cmocka_unit_test(test_credentials_refused),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_receive_coverage),
      cmocka_unit_test(test_receive_refused),
      cmocka_unit_test(test_signature_parser_span),
      cmocka_unit_test(test_refuse_unsigned),
      cmocka_unit_test(test_first_element),
      cmocka_unit_test(test_deprecated_option_names),
      cmocka_unit_test(test_error_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
