/**
 * @file
 * libsegbridge - configuration object.
 *
 * A segb_config_t holds string key/value settings checked against one
 * property table; docs/CONFIGURATION.md lists every key, its type, range and
 * default. New settings are new keys, never new symbols.
 *
 * Ownership: the caller owns a config until segb_client_new() or
 * segb_reader_new() succeeds with it; when they fail the caller still owns
 * it and destroys it. Names and values are copied. The callbacks and the
 * opaque pointer set on it are kept, never owned or freed, by each client
 * made from it until segb_client_close() returns.
 *
 * Threading: a config object may be used by one thread at a time.
 *
 * Errors: functions that can fail return SEGB_OK or a negative segb_err_t
 * and record the detail for the calling thread (segb_last_error_message());
 * an errstr buffer, when given, gets the same one-line text.
 */
#ifndef SEGBRIDGE_CONFIG_H
#define SEGBRIDGE_CONFIG_H

#include <segbridge/export.h>

#include <stddef.h>

/** Recommended size of the errstr buffers this library fills. */
#define SEGB_ERRSTR_SIZE 256

/** Settings for a client or a reader: segb_config_new(), freed with
 *  segb_config_destroy() unless segb_client_new() or segb_reader_new()
 *  took it. */
typedef struct segb_config_s segb_config_t;

/** Receives one log line: @p level is a syslog level (3 error, 4 warning,
 *  6 info, 7 debug), @p context one of "client", "dispatch", "http",
 *  "batch", "auth", @p line one line of text without a newline, never
 *  holding a secret or an event's payload. It may be called from the
 *  library's threads (the dispatcher thread, libcurl's callbacks never),
 *  never with a library lock held; it must not call back into the object
 *  that logs. */
typedef void segb_log_cb(int level, const char *context, const char *line,
                         void *opaque);

SEGB_BEGIN_DECLS

/** Send the library's log lines to @p cb (NULL: nowhere, the default:
 *  without a callback the library writes nothing anywhere). log.level
 *  bounds what reaches it; the contexts named in debug reach it at level 7
 *  whatever log.level says. @p cb gets the config's opaque pointer
 *  (segb_config_set_opaque()). @since 0.2 */
SEGB_API void segb_config_set_log_cb(segb_config_t *conf, segb_log_cb *cb);

/** A new configuration with every property at its default.
 *  @returns NULL only when out of memory. @since 0.1 */
SEGB_API segb_config_t *segb_config_new(void);

/** Copy of @p conf, secrets, callbacks and opaque pointer included, owned by
 *  the caller. NULL when @p conf is NULL or out of memory. @since 0.1 */
SEGB_API segb_config_t *segb_config_dup(const segb_config_t *conf);

/** Free @p conf; secrets are wiped first. Accepts NULL. @since 0.1 */
SEGB_API void segb_config_destroy(segb_config_t *conf);

/**
 * Set property @p name to @p value (UTF-8 text); a NULL @p value restores
 * the default.
 *
 * @returns SEGB_OK; SEGB_ERR_UNKNOWN_OPTION when no property has that name;
 *          SEGB_ERR_INVALID_VALUE when the value has the wrong type or is out
 *          of range; SEGB_ERR_INVALID_ARG for NULL @p conf or @p name.
 *          On error the property keeps its previous value and, when
 *          @p errstr is not NULL, a one-line reason is written to it
 *          (truncated to @p errstr_size, always NUL-terminated). Secret
 *          values are never echoed back in errstr. @since 0.1
 */
SEGB_API int segb_config_set(segb_config_t *conf, const char *name,
                             const char *value, char *errstr,
                             size_t errstr_size);

/**
 * Read property @p name as text into @p dest.
 *
 * On entry *@p dest_size is the size of @p dest; on return it is the size
 * needed, NUL included, so a caller can call again with a larger buffer.
 * @p dest may be NULL to ask for the size only. Secret properties read as
 * "[redacted]" when set and "" when unset, and the password of a URL with
 * user:password@ (http.proxy) reads as "[redacted]" in place
 * ("http://user:[redacted]@proxy:3128"): the library never hands a secret
 * back. Endpoint properties refuse credentials in the URL altogether.
 *
 * @returns SEGB_OK; SEGB_ERR_BUFFER_TOO_SMALL (nothing written);
 *          SEGB_ERR_UNKNOWN_OPTION; SEGB_ERR_INVALID_ARG. @since 0.1
 */
SEGB_API int segb_config_get(const segb_config_t *conf, const char *name,
                             char *dest, size_t *dest_size);

SEGB_END_DECLS

#endif /* SEGBRIDGE_CONFIG_H */
