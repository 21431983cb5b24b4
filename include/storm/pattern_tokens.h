/* SPDX-License-Identifier: Apache-2.0 */
/* The tokens of the STIX patterning language (STIX 2.1 part 9 and its ANTLR
 * grammar): pattern text -> tokens with byte spans. The pattern module's
 * lexer, declared for tools outside it that rewrite pattern text token by
 * token (storm models import --from ksc, src/detect/ksc_import.c); the
 * parser reads the same tokens. Keywords are upper-case only; `true` and
 * `false` are lower-case. Whitespace (including the Unicode spaces the
 * grammar lists) and comments (slash-star ... star-slash, and // to end of
 * line) are skipped. The lexer allocates nothing. */
#ifndef STORM_PATTERN_TOKENS_H
#define STORM_PATTERN_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/err.h>

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

#endif
