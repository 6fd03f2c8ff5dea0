/**
 * @file
 * libsegbridge - read-only views of JSON documents the library hands out:
 * webhook events, Profile API traits, Public API sources.
 *
 * A view is borrowed from the object that returned it (an event, a page of
 * results) and lives as long as that object. No view is ever freed on its
 * own, and nothing here changes a document.
 *
 * Paths are dotted member names ("context.library.name"); a segment of
 * digits indexes an array ("items.0.sku"); "\." is a literal dot.
 *
 * Threading: a view may be read from any number of threads at once while
 * its owner lives. Every function accepts NULL views; lookups that find
 * nothing return NULL, never an error.
 */
#ifndef SEGBRIDGE_JSON_H
#define SEGBRIDGE_JSON_H

#include <segbridge/export.h>

#include <stddef.h>
#include <stdint.h>

/** JSON value types; the values are part of the ABI. */
#define SEGB_JSON_NULL 0
#define SEGB_JSON_FALSE 1  /**< false */
#define SEGB_JSON_TRUE 2   /**< true */
#define SEGB_JSON_NUMBER 3 /**< a number */
#define SEGB_JSON_STRING 4 /**< a string */
#define SEGB_JSON_ARRAY 5  /**< an array */
#define SEGB_JSON_OBJECT 6 /**< an object */

/** A read-only view of one JSON value, borrowed from the object that
 *  returned it. */
typedef struct segb_json_s segb_json_t;

SEGB_BEGIN_DECLS

/** SEGB_JSON_* of @p v; -1 for NULL. @since 0.1 */
SEGB_API int segb_json_type(const segb_json_t *v);

/** The value at @p path below @p v, or NULL when there is none. An empty
 *  path gives @p v itself. @since 0.1 */
SEGB_API const segb_json_t *segb_json_get(const segb_json_t *v,
                                          const char *path);

/** Number of elements of an array or members of an object; 0 otherwise.
 *  @since 0.1 */
SEGB_API size_t segb_json_count(const segb_json_t *v);

/** The @p i-th element of an array or member value of an object, in
 *  document order; NULL past the end. It walks from the first one, so it
 *  costs O(@p i): to visit them all, use segb_json_first() and
 *  segb_json_next(). @since 0.1 */
SEGB_API const segb_json_t *segb_json_at(const segb_json_t *v, size_t i);

/** The first element of an array or member value of an object; NULL when
 *  @p v is empty, not an array or object, or NULL. With segb_json_next() it
 *  visits them in document order at O(1) a step, keeping no state, so any
 *  number of threads may walk one view at once:
 *
 *      for (e = segb_json_first(v); e != NULL; e = segb_json_next(e))
 *        use(segb_json_key(e), e);
 *
 *  @since 0.2 */
SEGB_API const segb_json_t *segb_json_first(const segb_json_t *v);

/** The value after @p v in the array or object that holds it; NULL after
 *  the last one, for a value nothing holds (a document's root) and for
 *  NULL. @since 0.2 */
SEGB_API const segb_json_t *segb_json_next(const segb_json_t *v);

/** The member name of @p v when it sits in an object, else NULL.
 *  @since 0.1 */
SEGB_API const char *segb_json_key(const segb_json_t *v);

/** The bytes of a string value (NUL-terminated; *@p len, when not NULL,
 *  counts them and any NUL inside); NULL when @p v is not a string.
 *  @since 0.1 */
SEGB_API const char *segb_json_string(const segb_json_t *v, size_t *len);

/** The string at @p path, or NULL. @since 0.1 */
SEGB_API const char *segb_json_get_string(const segb_json_t *v,
                                          const char *path);

/** A number written as an integer that fits int64_t, into *@p out.
 *  @returns SEGB_OK, SEGB_ERR_JSON_TYPE (not an integer number) or
 *  SEGB_ERR_INVALID_NUMBER (out of range). @since 0.1 */
SEGB_API int segb_json_int64(const segb_json_t *v, int64_t *out);

/** Any number as the nearest double. SEGB_OK or SEGB_ERR_JSON_TYPE.
 *  @since 0.1 */
SEGB_API int segb_json_double(const segb_json_t *v, double *out);

/** true or false as 1 or 0. SEGB_OK or SEGB_ERR_JSON_TYPE. @since 0.1 */
SEGB_API int segb_json_bool(const segb_json_t *v, int *out);

/** Compact JSON text of @p v (numbers and strings as they were received),
 *  NUL-terminated, *@p len bytes; free it with segb_free(). NULL when out of
 *  memory or @p v is NULL. @since 0.1 */
SEGB_API char *segb_json_text(const segb_json_t *v, size_t *len);

/** Free memory the library returned to the caller as char *
 *  (segb_json_text(), segb_oauth_fetch_token(), segb_spool_status()); never
 *  the host's free(). Accepts NULL. Any thread. @since 0.1 */
SEGB_API void segb_free(void *p);

SEGB_END_DECLS

#endif /* SEGBRIDGE_JSON_H */
