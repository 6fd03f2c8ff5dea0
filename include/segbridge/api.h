/**
 * @file
 * libsegbridge - reading from Segment: the Public API (workspace, sources),
 * the Profile API (a customer's traits, events, external ids, metadata),
 * and Test Connection, which checks every configured direction.
 *
 *     char err[SEGB_ERRSTR_SIZE];
 *     segb_config_t *conf = segb_config_new();
 *     segb_config_set(conf, "profile_api.token", token, err, sizeof err);
 *     segb_config_set(conf, "profile_api.space_id", space, err, sizeof err);
 *     segb_reader_t *r = segb_reader_new(conf, err, sizeof err);
 *     segb_result_t *res;
 *     if (segb_profile_get(r, SEGB_PROFILE_TRAITS, "user_id:u-42", NULL,
 *                          NULL, &res) == SEGB_OK) {
 *       const char *plan = segb_json_get_string(segb_result_data(res), "plan");
 *       segb_result_destroy(res);
 *     }
 *     segb_reader_destroy(r);
 *
 * Settings: public_api.token (Bearer), profile_api.token (HTTP Basic with
 * the token as user name), profile_api.space_id, region (us/eu picks
 * api.segmentapis.com or eu1.api.segmentapis.com, profiles.segment.com or
 * profiles.euw1.segment.com), public_api.endpoint and profile_api.endpoint
 * (overrides), http.* and retry.*: a call retries network errors, 408,
 * 429 and 5xx (not 501/505) with backoff, waits as long as a 429 asks
 * (Retry-After, data.msBeforeNext, X-RateLimit-Reset), and gives up after
 * retry.max_attempts retries or retry.total_timeout_ms from its first
 * failure, whichever comes first. api.timeout_ms (60 s by default) bounds
 * each call as a whole: every request is cut at what is left of it, a wait
 * that would end past it is not started, and the call then fails with
 * SEGB_ERR_TIMED_OUT.
 *
 * Errors: every call returns SEGB_OK or a negative segb_err_t, with the
 * detail in segb_last_error_message(): the host, the status and the
 * server's own message. SEGB_ERR_AUTH for a rejected token,
 * SEGB_ERR_NOT_FOUND for a profile or source that does not exist (the
 * request itself worked), SEGB_ERR_RATE_LIMITED, SEGB_ERR_SERVER and the
 * network codes when retries ran out, SEGB_ERR_TIMED_OUT when
 * api.timeout_ms did, SEGB_ERR_REJECTED for other 4xx,
 * SEGB_ERR_BAD_RESPONSE for a body that is truncated, is not JSON, or lacks
 * what the call returns. Text the server sends back is quoted with the
 * reader's own credential redacted, should the server echo it.
 *
 * Ownership: a result owns its parsed document; every segb_json_t view and
 * string read from it lives until segb_result_destroy(). Results do not
 * depend on the reader and may outlive it. A pager borrows its reader:
 * destroy the pager first.
 *
 * Threading: a reader (and its pagers) may be used by one thread at a time;
 * separate readers are independent. Results may move between threads.
 * Tokens are wiped when the reader is destroyed and never appear in errors.
 */
#ifndef SEGBRIDGE_API_H
#define SEGBRIDGE_API_H

#include <segbridge/export.h>
#include <segbridge/config.h>
#include <segbridge/json.h>

#include <stddef.h>
#include <stdint.h>

/** A reader of the Public and Profile APIs: segb_reader_new(), freed with
 *  segb_reader_destroy(). */
typedef struct segb_reader_s segb_reader_t;
/** One response: owns its document and every view read from it; freed with
 *  segb_result_destroy(). */
typedef struct segb_result_s segb_result_t;
/** A walk over the pages of a list; borrows its reader; freed with
 *  segb_pager_destroy(). */
typedef struct segb_pager_s segb_pager_t;
/** The outcome of segb_test_connection(), per direction; freed with
 *  segb_conntest_destroy(). */
typedef struct segb_conntest_s segb_conntest_t;

/** What segb_profile_get() reads; the values are part of the ABI. */
#define SEGB_PROFILE_TRAITS 0       /**< .../traits: data() is an object */
#define SEGB_PROFILE_EVENTS 1       /**< .../events: data() is an array */
#define SEGB_PROFILE_EXTERNAL_IDS 2 /**< .../external_ids: an array */
#define SEGB_PROFILE_METADATA 3     /**< .../metadata: an object */

/** Test Connection directions, indexes of a segb_conntest_t. */
#define SEGB_CHECK_SEND 0     /**< Tracking API: the write key */
#define SEGB_CHECK_RECEIVE 1  /**< Public API: the token and region */
#define SEGB_CHECK_PROFILES 2 /**< Profile API: token, space and region */
#define SEGB_CHECK_COUNT 3    /**< directions there are */

/** Verdicts of one direction. */
#define SEGB_VERDICT_PASSED 0  /**< configured and working */
#define SEGB_VERDICT_FAILED 1  /**< configured and refused or unreachable */
#define SEGB_VERDICT_SKIPPED 2 /**< not configured */

/** segb_test_connection() flag: authenticate the send direction with an
 *  empty batch instead of sending the "Integration Test" event. */
#define SEGB_TEST_NO_SEND (1u << 0)

SEGB_BEGIN_DECLS

/** New reader for the Public API and/or the Profile API, from
 *  public_api.token and/or profile_api.token (at least one). Takes
 *  ownership of @p conf only when it returns non-NULL; on failure the
 *  caller keeps @p conf and @p errstr says why. @since 0.1 */
SEGB_API segb_reader_t *segb_reader_new(segb_config_t *conf, char *errstr,
                                        size_t errstr_size);

/** Free @p reader and its config, wiping the tokens. Accepts NULL.
 *  @since 0.1 */
SEGB_API void segb_reader_destroy(segb_reader_t *reader);

/* ---- Public API --------------------------------------------------------
 * On SEGB_OK *out is a new result the caller destroys; on error it is NULL.
 */

/** GET / (Get Workspace): data() is {"id","slug","name"}. Also the
 *  cheapest way to check a token. @since 0.1 */
SEGB_API int segb_workspace_get(segb_reader_t *reader, segb_result_t **out);

/** GET /sources/{id}: data() is the SourceV1 object. SEGB_ERR_NOT_FOUND
 *  when there is no such source; SEGB_ERR_INVALID_ARG, with nothing sent,
 *  for an empty id and for "." and "..", which are path steps and not
 *  ids. @since 0.1 */
SEGB_API int segb_source_get(segb_reader_t *reader, const char *source_id,
                             segb_result_t **out);

/** One page of GET /sources: data() is the array of sources. @p count is
 *  the page size, 1..1000, or 0 for Segment's default (200); @p cursor is
 *  NULL for the first page, else segb_result_next_cursor() of the page
 *  before. @since 0.1 */
SEGB_API int segb_sources_list(segb_reader_t *reader, int32_t count,
                               const char *cursor, segb_result_t **out);

/** A pager over every page of GET /sources, @p count per page (0: 200).
 *  @since 0.1 */
SEGB_API int segb_sources_pager(segb_reader_t *reader, int32_t count,
                                segb_pager_t **out);

/* ---- Profile API -------------------------------------------------------
 * @p identifier is "type:value": user_id:u-42, anonymous_id:a-1,
 * email:jane@example.com, group_id:g-7 (read from the accounts collection;
 * every other type from users). The type is a token of letters, digits,
 * '_', '.' and '-'; the value is UTF-8 and is percent-encoded here, so pass
 * it as is ("phone_number:+15555550123"). Segment matches values exactly:
 * external ids are stored in lower case.
 *
 * @p params are optional query parameters as name, value pairs ending in
 * NULL ({"limit", "50", "include", "email,plan", NULL}), or NULL for none.
 * Known names: traits limit, include, class, verbose; events start, end,
 * include, exclude, limit, sort; external ids include, limit, verbose;
 * metadata verbose. Others are refused (SEGB_ERR_INVALID_ARG). `limit` is
 * the page size. The space is profile_api.space_id; one that is unset, "."
 * or ".." fails with SEGB_ERR_INVALID_VALUE before anything is sent.
 */

/** One page of a profile's traits, events, external ids or metadata
 *  (@p what: SEGB_PROFILE_*). @p cursor is NULL for the first page, else
 *  segb_result_next_cursor() of the page before. SEGB_ERR_NOT_FOUND (not a
 *  failure of the request) when the space has no such profile.
 *  @since 0.1 */
SEGB_API int segb_profile_get(segb_reader_t *reader, int32_t what,
                              const char *identifier, const char *const *params,
                              const char *cursor, segb_result_t **out);

/** A pager over every page of segb_profile_get(); @p identifier and
 *  @p params are copied. @since 0.1 */
SEGB_API int segb_profile_pager(segb_reader_t *reader, int32_t what,
                                const char *identifier,
                                const char *const *params, segb_pager_t **out);

/* ---- Pages ------------------------------------------------------------ */

/** The next page, into *@p page (a new result the caller destroys), or
 *  *@p page = NULL once every page has been returned. Each page is
 *  requested once: a server that hands back a cursor of the same walk
 *  again (a cycle, A -> B -> A, or a page pointing at itself), or whose
 *  cursors do not end within 1,000,000 pages, ends the walk with
 *  SEGB_ERR_BAD_RESPONSE. After any other error the same page can be
 *  asked for again. @since 0.1 */
SEGB_API int segb_pager_next(segb_pager_t *pager, segb_result_t **page);

/** Free @p pager (not its reader). Accepts NULL. @since 0.1 */
SEGB_API void segb_pager_destroy(segb_pager_t *pager);

/* ---- Results ---------------------------------------------------------- */

/** The whole response document. @since 0.1 */
SEGB_API const segb_json_t *segb_result_json(const segb_result_t *result);

/** What the call returns: data.workspace, data.source, data.sources, or
 *  the Profile API's traits, data (events, external ids) or metadata.
 *  @since 0.1 */
SEGB_API const segb_json_t *segb_result_data(const segb_result_t *result);

/** The cursor of the page after this one, or NULL on the last page (and
 *  for calls without pages). @since 0.1 */
SEGB_API const char *segb_result_next_cursor(const segb_result_t *result);

/** The response body as received (NUL-terminated; *@p len bytes when
 *  @p len is not NULL), for callers that parse JSON themselves. Lives as
 *  long as @p result. @since 0.1 */
SEGB_API const char *segb_result_text(const segb_result_t *result, size_t *len);

/** Free @p result and every view read from it. Accepts NULL. @since 0.1 */
SEGB_API void segb_result_destroy(segb_result_t *result);

/* ---- Test Connection -------------------------------------------------- */

/**
 * Check each configured direction of @p conf (not modified): send (write
 * key set: a track event "Integration Test" from user
 * "segbridge-test-connection" is sent and must be accepted, or with
 * SEGB_TEST_NO_SEND an empty batch only authenticates), receive
 * (public_api.token set: GET / must accept the token in the configured
 * region) and profiles (profile_api.token and space set: looking up a
 * profile that does not exist must get 404, not 401). The direction
 * setting limits the checks to its side: send skips receive and profiles,
 * receive skips send (each skipped one says so in its detail). In each
 * direction a request is cut at @p timeout_ms (> 0) and retries stop
 * @p timeout_ms after the first failure.
 *
 * Segment may accept events for an unknown write key and drop them later;
 * a passed send check says to confirm the event in the source's Debugger.
 *
 * @returns SEGB_OK when every configured direction passed; the first
 *          failed direction's code; SEGB_ERR_NO_CREDENTIALS when nothing is
 *          configured; SEGB_ERR_INVALID_ARG, SEGB_ERR_NOMEM. *@p out gets a
 *          report (destroy it) in all but the last two cases. @since 0.1
 */
SEGB_API int segb_test_connection(const segb_config_t *conf, uint32_t flags,
                                  int32_t timeout_ms, segb_conntest_t **out);

/** SEGB_VERDICT_* of @p direction (SEGB_CHECK_*); -1 when out of range.
 *  @since 0.1 */
SEGB_API int segb_conntest_verdict(const segb_conntest_t *test,
                                   int32_t direction);

/** SEGB_OK for a passed or skipped direction, else why it failed.
 *  @since 0.1 */
SEGB_API int segb_conntest_err(const segb_conntest_t *test, int32_t direction);

/** What was checked and what happened (host, status, server message).
 *  Never NULL; "" out of range. Lives as long as @p test. @since 0.1 */
SEGB_API const char *segb_conntest_detail(const segb_conntest_t *test,
                                          int32_t direction);

/** What to do, from the integration guide's troubleshooting table. Never
 *  NULL; "" when there is nothing to do. @since 0.1 */
SEGB_API const char *segb_conntest_advice(const segb_conntest_t *test,
                                          int32_t direction);

/** Free @p test. Accepts NULL. @since 0.1 */
SEGB_API void segb_conntest_destroy(segb_conntest_t *test);

SEGB_END_DECLS

#endif /* SEGBRIDGE_API_H */
