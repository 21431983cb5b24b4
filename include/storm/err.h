/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes and positioned error details shared by every Storm module. */
#ifndef STORM_ERR_H
#define STORM_ERR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_rc {
    STORM_OK = 0,
    STORM_ERR_NOMEM,       /* allocation failed or a cap was reached */
    STORM_ERR_SYNTAX,      /* input does not parse (JSON, pattern, ...) */
    STORM_ERR_VALUE,       /* parses, but a value is invalid or cannot be compared */
    STORM_ERR_LIMIT,       /* a size, depth or count limit was exceeded */
    STORM_ERR_IO,          /* read/write failure; errno-based detail in msg */
    STORM_ERR_NOTFOUND,    /* a looked-up thing does not exist */
    STORM_ERR_UNSUPPORTED, /* valid input Storm does not handle (e.g. unknown event type) */
    STORM_ERR_STATE,       /* API misuse: wrong call order or argument */
    STORM_ERR_AUTH,        /* authentication or permission failure */
    STORM_ERR__COUNT
} storm_rc;

/* Details of the first error, filled by the callee when the caller passes one.
 * offset/len locate the problem in the input as byte offsets; line and col are
 * 1-based (0 when unknown). */
typedef struct storm_err {
    storm_rc rc;
    size_t offset;
    size_t len;
    uint32_t line;
    uint32_t col;
    char msg[512];
} storm_err;

/* Static text for a code; never NULL. */
const char *storm_strerror(storm_rc rc);

/* Reset to STORM_OK with an empty message. NULL-safe. */
void storm_err_clear(storm_err *err);

/* Record an error unless one is already recorded (the first error wins, as in
 * SQLite's Parse context). Returns rc so callers can `return storm_err_set(...)`.
 * NULL-safe: err may be NULL. */
storm_rc storm_err_set(storm_err *err, storm_rc rc, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fill line/col of err from its offset within text[0..len). */
void storm_err_locate(storm_err *err, const char *text, size_t len);

/* Print a jq-style report to buf: "<what> error at <where>, line L, column C: msg"
 * ("<what> at ..." when what ends in "warning"),
 * then the source line and a caret (^) under the spot. Returns bytes written
 * (truncated to cap, always NUL-terminated when cap > 0). */
size_t storm_err_format(const storm_err *err, const char *what, const char *where, const char *text, size_t text_len,
                        char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
