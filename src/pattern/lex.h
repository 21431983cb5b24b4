/* SPDX-License-Identifier: Apache-2.0 */
/* Lexer of the STIX patterning language (STIX 2.1 part 9 and its ANTLR
 * grammar): pattern text -> tokens with byte spans, plus the decoding of
 * literal tokens into values. Keywords are upper-case only; `true` and
 * `false` are lower-case. Whitespace (including the Unicode spaces the
 * grammar lists) and comments (slash-star ... star-slash, and // to end of
 * line) are skipped. The lexer allocates nothing; lex_literal allocates its
 * decoded value from the caller's arena. */
#ifndef STORM_PATTERN_LEX_H
#define STORM_PATTERN_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/arena.h>
#include <storm/err.h>

#include <storm/pattern_plan.h>

typedef enum lex_kind {
    TOK_EOF = 0,
    /* punctuation */
    TOK_LBRACK,
    TOK_RBRACK,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COLON,
    TOK_DOT,
    TOK_COMMA,
    TOK_STAR,
    /* comparison operators (== and <> are the grammar's synonyms of = and !=) */
    TOK_EQ,
    TOK_NE,
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    /* names: [A-Za-z_][A-Za-z0-9_-]*; lex_token.hyphen tells whether it holds a '-' */
    TOK_IDENT,
    /* literals */
    TOK_STRING, /* '...' with \' and \\ */
    TOK_INT,    /* [+-]?(0|[1-9][0-9]*) */
    TOK_FLOAT,  /* [+-]?[0-9]*.[0-9]+ */
    TOK_TRUE,
    TOK_FALSE,
    TOK_BINARY,    /* b'base64' (content checked by lex_literal) */
    TOK_HEX,       /* h'hex' */
    TOK_TIMESTAMP, /* t'...' */
    /* keywords (upper-case only) */
    TOK_AND,
    TOK_OR,
    TOK_NOT,
    TOK_FOLLOWEDBY,
    TOK_LIKE,
    TOK_MATCHES,
    TOK_ISSUBSET,
    TOK_ISSUPERSET,
    TOK_EXISTS,
    TOK_IN,
    TOK_START,
    TOK_STOP,
    TOK_SECONDS,
    TOK_WITHIN,
    TOK_REPEATS,
    TOK_TIMES,
    TOK_LAST, /* reserved by the grammar, used by nothing */
    TOK__COUNT
} lex_kind;

typedef struct lex_token {
    lex_kind kind;
    uint32_t start; /* byte offset of the first byte */
    uint32_t end;   /* one past the last byte */
    bool hyphen;    /* TOK_IDENT: contains '-' (allowed in object types only) */
} lex_token;

typedef struct lexer {
    const char *text; /* borrowed; need not be NUL-terminated */
    size_t len;
    size_t pos;
} lexer;

/* text[0..len) with len < UINT32_MAX (callers cap it at STORM_PATTERN_MAX_LEN). */
void lex_init(lexer *lx, const char *text, size_t len);

/* Scan the next token into *tok. Returns STORM_OK, or STORM_ERR_SYNTAX with err
 * at the bad bytes (unterminated string or comment, bad escape, character that
 * starts no token, invalid UTF-8, malformed number). */
storm_rc lex_next(lexer *lx, lex_token *tok, storm_err *err);

/* The keyword spelled exactly s[0..n), or TOK_IDENT when none. */
lex_kind lex_keyword(const char *s, size_t n);

/* How a token kind is named in messages: "']'", "AND", "a string". */
const char *lex_kind_name(lex_kind k);

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
