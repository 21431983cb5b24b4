/* SPDX-License-Identifier: Apache-2.0 */
/* Lexer of the STIX patterning language, the parser's side: the tokens
 * themselves are declared in storm/pattern_tokens.h; here the decoding of
 * literal tokens into values (lex_literal allocates its decoded value from
 * the caller's arena), timestamps, and positioned errors. */
#ifndef STORM_PATTERN_LEX_H
#define STORM_PATTERN_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/arena.h>
#include <storm/err.h>

#include <storm/pattern_plan.h>
#include <storm/pattern_tokens.h>

/* Decode a literal token (STRING, INT, FLOAT, TRUE/FALSE, BINARY, HEX,
 * TIMESTAMP) of text into *out, allocating from arena. Returns STORM_OK, or
 * STORM_ERR_SYNTAX with err at the token when its content is invalid (a bad
 * timestamp, base64 or hex, an integer out of range), STORM_ERR_NOMEM. */
storm_rc lex_literal(storm_arena *arena, const char *text, const lex_token *tok, pat_literal *out, storm_err *err);

/* Strict STIX timestamp s[0..n) -> *out; a year outside what storm_time_ns
 * holds (1678..2261) saturates to INT64_MIN/INT64_MAX. False when malformed. */
bool lex_parse_time(const char *s, size_t n, storm_time_ns *out);

/* Parse the STIX timestamp text[s..e) (YYYY-MM-DDTHH:MM:SS[.f]Z, upper-case T
 * and Z) into *out; on failure report why, at text[err_start..err_end). Used
 * for t'...' and for the plain strings of STIX 2.0 START/STOP. */
storm_rc lex_timestamp(const char *text, size_t s, size_t e, size_t err_start, size_t err_end, storm_time_ns *out,
                       storm_err *err);

/* Record a positioned error: err at text[start..end) (first error wins). */
storm_rc lex_error(storm_err *err, storm_rc rc, size_t start, size_t end, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
