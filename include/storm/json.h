/* SPDX-License-Identifier: Apache-2.0 */
/* JSON text <-> storm_value. The parser is an arena-backed scanner written for
 * the event hot path; it is tested differentially against cJSON (tests/core/test_json.c
 * and tests/core/fuzz_json.c) and benchmarked against it (bench/). */
#ifndef STORM_JSON_H
#define STORM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_JSON_MAX_DEPTH 512

typedef enum storm_json_flags {
    STORM_JSON_DEFAULT = 0,
    STORM_JSON_ALLOW_TRAILING = 1 << 0, /* stop after the first value; *consumed says where */
} storm_json_flags;

/* Parse text[0..len) into a tree allocated from arena. On error returns
 * STORM_ERR_SYNTAX (or NOMEM/LIMIT) with err->offset/line/col at the problem.
 * Strings must be valid UTF-8; an escaped NUL (\u0000) becomes U+FFFD, so
 * that no consumer of C strings loses what follows it. Numbers are INT when
 * integral and in range.
 * *out is borrowed from the arena. consumed may be NULL. */
storm_rc storm_json_parse(storm_arena *arena, const char *text, size_t len, int flags, storm_value **out,
                          size_t *consumed, storm_err *err);

/* The next non-blank line of a JSON Lines text (an HTTP body) from *off:
 * *line, *line_len the line without the spaces, tabs and CRs around it,
 * *number its 1-based line number (blank lines count). Advances *off past
 * the line. Returns false at the end of the text. */
bool storm_json_lines_next(const char *text, size_t len, size_t *off, uint64_t *number, const char **line,
                           size_t *line_len);

/* The next JSON value of a stream of values (JSON Lines, or values one after
 * another) in text[0..len), from *off: skips whitespace, parses one value,
 * and advances *off past it. *start (may be NULL) receives the offset where
 * the value begins, so that positions inside it (storm_value.pos) can be
 * made absolute. Returns STORM_ERR_NOTFOUND at the end of the text; on a
 * parse error, err->offset/line/col are positions in the whole text. */
storm_rc storm_json_parse_next(storm_arena *arena, const char *text, size_t len, size_t *off, storm_value **out,
                               size_t *start, storm_err *err);

typedef enum storm_json_write_flags {
    STORM_JSONW_COMPACT = 0,
    STORM_JSONW_PRETTY = 1 << 0,    /* two-space indentation */
    STORM_JSONW_SORT_KEYS = 1 << 1, /* canonical order (RFC 8785 for the keys we produce) */
} storm_json_write_flags;

/* Append the JSON text of v to out. */
storm_rc storm_json_write(storm_buf *out, const storm_value *v, int flags);
/* Append s[0..len) as a JSON string literal with quotes. */
storm_rc storm_json_write_string(storm_buf *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
