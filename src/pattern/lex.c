/* SPDX-License-Identifier: Apache-2.0 */
/* Lexer of the STIX patterning language. Hand-written rather than generated:
 * every token keeps its byte span, and each way a token can be malformed gets
 * its own message, pointed at the offending bytes. The token set follows the
 * STIX 2.1 ANTLR grammar (STIXPattern.g4); where that grammar would silently
 * split a malformed literal into other tokens (t'2020-01-01' becomes the name
 * t and a string), we report the literal as invalid instead, which is what a
 * person needs to read. */
#include "lex.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/time.h>

#include <storm/utf8.h>
#include <storm/codec.h>

storm_rc lex_error(storm_err *err, storm_rc rc, size_t start, size_t end, const char *fmt, ...)
{
    if (!err || err->rc != STORM_OK)
        return rc;
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    storm_err_set(err, rc, start, "%s", msg);
    err->len = end > start ? end - start : 0;
    return rc;
}

void lex_init(lexer *lx, const char *text, size_t len)
{
    lx->text = text;
    lx->len = len;
    lx->pos = 0;
}

static const struct {
    const char *word;
    lex_kind kind;
} keywords[] = {
    {"AND", TOK_AND},         {"OR", TOK_OR},           {"NOT", TOK_NOT},           {"FOLLOWEDBY", TOK_FOLLOWEDBY},
    {"LIKE", TOK_LIKE},       {"MATCHES", TOK_MATCHES}, {"ISSUBSET", TOK_ISSUBSET}, {"ISSUPERSET", TOK_ISSUPERSET},
    {"EXISTS", TOK_EXISTS},   {"IN", TOK_IN},           {"START", TOK_START},       {"STOP", TOK_STOP},
    {"SECONDS", TOK_SECONDS}, {"WITHIN", TOK_WITHIN},   {"REPEATS", TOK_REPEATS},   {"TIMES", TOK_TIMES},
    {"LAST", TOK_LAST},       {"true", TOK_TRUE},       {"false", TOK_FALSE},
};

lex_kind lex_keyword(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, s, n) == 0)
            return keywords[i].kind;
    return TOK_IDENT;
}

const char *lex_kind_name(lex_kind k)
{
    static const char *const names[TOK__COUNT] = {
        [TOK_EOF] = "the end of the pattern",
        [TOK_LBRACK] = "'['",
        [TOK_RBRACK] = "']'",
        [TOK_LPAREN] = "'('",
        [TOK_RPAREN] = "')'",
        [TOK_COLON] = "':'",
        [TOK_DOT] = "'.'",
        [TOK_COMMA] = "','",
        [TOK_STAR] = "'*'",
        [TOK_EQ] = "'='",
        [TOK_NE] = "'!='",
        [TOK_LT] = "'<'",
        [TOK_LE] = "'<='",
        [TOK_GT] = "'>'",
        [TOK_GE] = "'>='",
        [TOK_IDENT] = "a name",
        [TOK_STRING] = "a string",
        [TOK_INT] = "an integer",
        [TOK_FLOAT] = "a float",
        [TOK_TRUE] = "true",
        [TOK_FALSE] = "false",
        [TOK_BINARY] = "a binary literal b'...'",
        [TOK_HEX] = "a hex literal h'...'",
        [TOK_TIMESTAMP] = "a timestamp t'...'",
        [TOK_AND] = "AND",
        [TOK_OR] = "OR",
        [TOK_NOT] = "NOT",
        [TOK_FOLLOWEDBY] = "FOLLOWEDBY",
        [TOK_LIKE] = "LIKE",
        [TOK_MATCHES] = "MATCHES",
        [TOK_ISSUBSET] = "ISSUBSET",
        [TOK_ISSUPERSET] = "ISSUPERSET",
        [TOK_EXISTS] = "EXISTS",
        [TOK_IN] = "IN",
        [TOK_START] = "START",
        [TOK_STOP] = "STOP",
        [TOK_SECONDS] = "SECONDS",
        [TOK_WITHIN] = "WITHIN",
        [TOK_REPEATS] = "REPEATS",
        [TOK_TIMES] = "TIMES",
        [TOK_LAST] = "LAST",
    };
    if ((unsigned)k >= TOK__COUNT || !names[k])
        return "a token";
    return names[k];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c) || c == '-';
}

/* Length of the whitespace character at s (ASCII or one of the Unicode
 * spaces the grammar's WS rule lists), 0 when s starts no whitespace. */
static size_t space_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
        return 1;
    uint32_t cp;
    size_t k = storm_utf8_decode(str, n, &cp);
    if (k < 2)
        return 0;
    bool ws = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
              cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    return ws ? k : 0;
}

/* Skip whitespace and comments. */
static storm_rc skip_space(lexer *lx, storm_err *err)
{
    const char *t = lx->text;
    for (;;) {
        size_t k = space_len(t + lx->pos, lx->len - lx->pos);
        if (k) {
            lx->pos += k;
            continue;
        }
        if (lx->pos + 1 < lx->len && t[lx->pos] == '/' && t[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && t[lx->pos] != '\n' && t[lx->pos] != '\r')
                lx->pos++;
            continue;
        }
        if (lx->pos + 1 < lx->len && t[lx->pos] == '/' && t[lx->pos + 1] == '*') {
            size_t start = lx->pos;
            size_t i = start + 2;
            while (i + 1 < lx->len && !(t[i] == '*' && t[i + 1] == '/'))
                i++;
            if (i + 1 >= lx->len)
                return lex_error(err, STORM_ERR_SYNTAX, start, start + 2,
                                 "unterminated comment: this '/*' has no closing '*/'");
            lx->pos = i + 2;
            continue;
        }
        return STORM_OK;
    }
}

/* A quoted body starting at the quote q: returns the index of the closing
 * quote. Strings allow only the escapes \' and \\ (STIX 2.1, 9.3); typed
 * literals (t'', b'', h'') have no escapes at all. */
static storm_rc scan_quoted(lexer *lx, size_t q, bool escapes, size_t *close, storm_err *err)
{
    const char *t = lx->text;
    size_t i = q + 1;
    while (i < lx->len) {
        unsigned char c = (unsigned char)t[i];
        if (c == '\'') {
            *close = i;
            return STORM_OK;
        }
        if (c == '\\' && escapes) {
            if (i + 1 >= lx->len)
                break; /* unterminated */
            char e = t[i + 1];
            if (e == '\'' || e == '\\') {
                i += 2;
                continue;
            }
            uint32_t cp;
            size_t k = storm_utf8_decode(t + i + 1, lx->len - i - 1, &cp);
            if (k == 0)
                k = 1;
            return lex_error(err, STORM_ERR_SYNTAX, i, i + 1 + k,
                             "invalid escape '\\%.*s' in a string: only \\' and \\\\ are escapes "
                             "(write \\\\ for a backslash, e.g. in a regular expression '\\\\d+')",
                             (int)k, t + i + 1);
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = storm_utf8_decode(t + i, lx->len - i, &cp);
            if (k == 0)
                return lex_error(err, STORM_ERR_SYNTAX, i, i + 1,
                                 "invalid UTF-8 byte 0x%02x in a string: patterns are UTF-8 text", c);
            i += k;
            continue;
        }
        i++;
    }
    return lex_error(err, STORM_ERR_SYNTAX, q, q + 1,
                     "unterminated string: this quote has no closing quote (write \\' for a quote inside a string)");
}

static storm_rc scan_number(lexer *lx, lex_token *tok, storm_err *err)
{
    const char *t = lx->text;
    size_t start = lx->pos, i = start;
    if (t[i] == '+' || t[i] == '-')
        i++;
    size_t int_start = i;
    while (i < lx->len && is_digit(t[i]))
        i++;
    size_t int_digits = i - int_start;
    if (i < lx->len && t[i] == '.') {
        size_t frac_start = ++i;
        while (i < lx->len && is_digit(t[i]))
            i++;
        if (i == frac_start)
            return lex_error(err, STORM_ERR_SYNTAX, start, i,
                             "'%.*s' is not a number: a decimal point must be followed by digits (write %.*s.0)",
                             (int)(i - start), t + start, (int)(i - 1 - start), t + start);
        tok->kind = TOK_FLOAT;
    } else {
        if (int_digits > 1 && t[int_start] == '0')
            return lex_error(err, STORM_ERR_SYNTAX, start, i, "'%.*s' is not a number: integers have no leading zeros",
                             (int)(i - start), t + start);
        tok->kind = TOK_INT;
    }
    tok->start = (uint32_t)start;
    tok->end = (uint32_t)i;
    lx->pos = i;
    return STORM_OK;
}

static storm_rc bad_char(lexer *lx, storm_err *err)
{
    const char *t = lx->text;
    size_t i = lx->pos;
    unsigned char c = (unsigned char)t[i];
    if (c >= 0x80) {
        uint32_t cp;
        size_t k = storm_utf8_decode(t + i, lx->len - i, &cp);
        if (k == 0)
            return lex_error(err, STORM_ERR_SYNTAX, i, i + 1, "invalid UTF-8 byte 0x%02x: patterns are UTF-8 text", c);
        return lex_error(err, STORM_ERR_SYNTAX, i, i + k, "unexpected character '%.*s' (U+%04X)", (int)k, t + i,
                         (unsigned)cp);
    }
    if (c < 0x20 || c == 0x7F)
        return lex_error(err, STORM_ERR_SYNTAX, i, i + 1, "unexpected control character U+%04X", c);
    const char *hint = "";
    if (c == '"')
        hint = " (strings are written in single quotes: 'text')";
    else if (c == '/')
        hint = " (a regular expression is written as a string: MATCHES '^/bin/.*sh$')";
    else if (c == '!')
        hint = " (the operator is '!=', or NOT before an operator)";
    else if (c == '&' || c == '|')
        hint = " (the boolean operators are AND and OR)";
    else if (c == '+' || c == '-')
        hint = " (a sign must be followed by digits)";
    return lex_error(err, STORM_ERR_SYNTAX, i, i + 1, "unexpected character '%c'%s", c, hint);
}

storm_rc lex_next(lexer *lx, lex_token *tok, storm_err *err)
{
    storm_rc rc = skip_space(lx, err);
    if (rc != STORM_OK)
        return rc;
    const char *t = lx->text;
    size_t i = lx->pos;
    tok->hyphen = false;
    tok->start = tok->end = (uint32_t)i;
    if (i >= lx->len) {
        tok->kind = TOK_EOF;
        return STORM_OK;
    }
    char c = t[i];
    char n = i + 1 < lx->len ? t[i + 1] : '\0';
    size_t width = 1;
    switch (c) {
    case '[': tok->kind = TOK_LBRACK; break;
    case ']': tok->kind = TOK_RBRACK; break;
    case '(': tok->kind = TOK_LPAREN; break;
    case ')': tok->kind = TOK_RPAREN; break;
    case ':': tok->kind = TOK_COLON; break;
    case ',': tok->kind = TOK_COMMA; break;
    case '*': tok->kind = TOK_STAR; break;
    case '=':
        tok->kind = TOK_EQ;
        width = n == '=' ? 2 : 1;
        break;
    case '!':
        if (n != '=')
            return bad_char(lx, err);
        tok->kind = TOK_NE;
        width = 2;
        break;
    case '<':
        tok->kind = n == '=' ? TOK_LE : n == '>' ? TOK_NE : TOK_LT;
        width = n == '=' || n == '>' ? 2 : 1;
        break;
    case '>':
        tok->kind = n == '=' ? TOK_GE : TOK_GT;
        width = n == '=' ? 2 : 1;
        break;
    case '.':
        if (is_digit(n))
            return scan_number(lx, tok, err);
        tok->kind = TOK_DOT;
        break;
    case '+':
    case '-':
        if (is_digit(n) || (n == '.' && i + 2 < lx->len && is_digit(t[i + 2])))
            return scan_number(lx, tok, err);
        return bad_char(lx, err);
    case '\'': {
        size_t close;
        if ((rc = scan_quoted(lx, i, true, &close, err)) != STORM_OK)
            return rc;
        tok->kind = TOK_STRING;
        width = close + 1 - i;
        break;
    }
    default:
        if (is_digit(c))
            return scan_number(lx, tok, err);
        if ((c == 't' || c == 'b' || c == 'h') && n == '\'') {
            size_t close;
            if ((rc = scan_quoted(lx, i + 1, false, &close, err)) != STORM_OK)
                return rc;
            tok->kind = c == 't' ? TOK_TIMESTAMP : c == 'b' ? TOK_BINARY : TOK_HEX;
            width = close + 1 - i;
            break;
        }
        if (is_ident_start(c)) {
            size_t j = i + 1;
            while (j < lx->len && is_ident_char(t[j])) {
                if (t[j] == '-')
                    tok->hyphen = true;
                j++;
            }
            tok->kind = lex_keyword(t + i, j - i);
            width = j - i;
            break;
        }
        return bad_char(lx, err);
    }
    tok->end = (uint32_t)(i + width);
    lx->pos = i + width;
    return STORM_OK;
}

/* ---- literal values ---- */

/* Printable excerpt of a token for messages: at most 40 bytes, cut on a
 * character boundary. */
static int excerpt_len(const char *s, size_t n)
{
    if (n <= 40)
        return (int)n;
    size_t k = 37;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}
#define EXCERPT(s, n) excerpt_len((s), (n)), (s), ((n) > 40 ? "..." : "")

/* base64 of the STIX 2.1 grammar: groups of four characters of
 * [A-Za-z0-9+/], the last one possibly padded with '=' or '=='. */
static storm_rc decode_base64(storm_arena *a, const char *text, size_t s, size_t e, const lex_token *tok,
                              pat_literal *out, storm_err *err)
{
    size_t n = e - s;
    const char *tt = text + tok->start;
    size_t tn = tok->end - tok->start;
    if (n == 0)
        return lex_error(err, STORM_ERR_SYNTAX, tok->start, tok->end,
                         "invalid binary literal b'': base64 text needs at least one group of four characters");
    size_t pad = 0;
    for (size_t i = s; i < e; i++) {
        char c = text[i];
        if (c == '=') {
            if (i + 2 < e || (i + 2 == e && text[i + 1] != '='))
                return lex_error(err, STORM_ERR_SYNTAX, i, i + 1, "invalid base64 in %.*s%s: '=' may only pad the end",
                                 EXCERPT(tt, tn));
            pad++;
            continue;
        }
        if (codec_base64_digit(c) < 0) {
            uint32_t cp;
            size_t k = storm_utf8_decode(text + i, e - i, &cp);
            return lex_error(err, STORM_ERR_SYNTAX, i, i + (k ? k : 1),
                             "invalid base64 in %.*s%s: '%.*s' is not a base64 character (A-Z a-z 0-9 + /)",
                             EXCERPT(tt, tn), (int)(k ? k : 1), text + i);
        }
    }
    if (n % 4 != 0)
        return lex_error(err, STORM_ERR_SYNTAX, tok->start, tok->end,
                         "invalid base64 in %.*s%s: its length (%zu) is not a multiple of 4; pad it with '='",
                         EXCERPT(tt, tn), n);
    size_t cap = n / 4 * 3;
    uint8_t *bytes = storm_arena_alloc(a, cap + 1);
    if (!bytes)
        return lex_error(err, STORM_ERR_NOMEM, tok->start, tok->end, "out of memory decoding a binary literal");
    size_t o = 0;
    for (size_t i = s; i < e; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = text[i + k] == '=' ? 0 : codec_base64_digit(text[i + k]);
            v = (v << 6) | (uint32_t)d;
        }
        bytes[o++] = (uint8_t)(v >> 16);
        bytes[o++] = (uint8_t)(v >> 8);
        bytes[o++] = (uint8_t)v;
    }
    o -= pad;
    bytes[o] = 0;
    out->type = PAT_LIT_BINARY;
    out->u.bin.ptr = bytes;
    out->u.bin.len = o;
    out->u.bin.hex = false;
    return STORM_OK;
}

static storm_rc decode_hex(storm_arena *a, const char *text, size_t s, size_t e, const lex_token *tok, pat_literal *out,
                           storm_err *err)
{
    const char *tt = text + tok->start;
    size_t tn = tok->end - tok->start;
    for (size_t i = s; i < e; i++) {
        if (codec_hex_digit(text[i]) < 0) {
            uint32_t cp;
            size_t k = storm_utf8_decode(text + i, e - i, &cp);
            return lex_error(err, STORM_ERR_SYNTAX, i, i + (k ? k : 1),
                             "invalid hex literal %.*s%s: '%.*s' is not a hex digit (0-9 a-f A-F)", EXCERPT(tt, tn),
                             (int)(k ? k : 1), text + i);
        }
    }
    if ((e - s) % 2 != 0)
        return lex_error(err, STORM_ERR_SYNTAX, tok->start, tok->end,
                         "invalid hex literal %.*s%s: it has an odd number of digits (two per byte)", EXCERPT(tt, tn));
    size_t n = (e - s) / 2;
    uint8_t *bytes = storm_arena_alloc(a, n + 1);
    if (!bytes)
        return lex_error(err, STORM_ERR_NOMEM, tok->start, tok->end, "out of memory decoding a hex literal");
    for (size_t i = 0; i < n; i++)
        bytes[i] = (uint8_t)(codec_hex_digit(text[s + 2 * i]) << 4 | codec_hex_digit(text[s + 2 * i + 1]));
    bytes[n] = 0;
    out->type = PAT_LIT_BINARY;
    out->u.bin.ptr = bytes;
    out->u.bin.len = n;
    out->u.bin.hex = true;
    return STORM_OK;
}

/* storm_time_ns holds years 1678..2261 only, and storm_time_parse must not
 * see a year outside that range (its arithmetic would overflow). STIX allows
 * any four-digit year (the OASIS vectors compare against t'3012-...'), so
 * such a timestamp is checked with an in-range year of the same leap-ness and
 * its value saturates: it still orders correctly against every time Storm can
 * represent. */
static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool parse_time(const char *s, size_t n, int flags, storm_time_ns *out)
{
    unsigned y = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i >= n || !is_digit(s[i]))
            return false;
        y = y * 10 + (unsigned)(s[i] - '0');
    }
    if (y >= 1678 && y <= 2261)
        return storm_time_parse(s, n, flags, out);
    /* the date and time fields, then the fraction and zone checked by hand */
    char head[20];
    if (n < 20)
        return false;
    memcpy(head, is_leap(y) ? "2000" : "2001", 4);
    memcpy(head + 4, s + 4, 15);
    head[19] = 'Z';
    storm_time_ns ignored;
    if (!storm_time_parse(head, 20, flags, &ignored))
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t d = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return false;
    }
    if (!(i + 1 == n && (s[i] == 'Z' || (!(flags & STORM_TIME_STIX_STRICT) && s[i] == 'z'))))
        return false;
    *out = y < 1678 ? INT64_MIN : INT64_MAX;
    return true;
}

bool lex_parse_time(const char *s, size_t n, storm_time_ns *out)
{
    return parse_time(s, n, STORM_TIME_STIX_STRICT, out);
}

/* Why s[0..n) is not a STIX timestamp, in words a person can act on. */
static const char *timestamp_problem(const char *s, size_t n)
{
    storm_time_ns ns;
    if (parse_time(s, n, STORM_TIME_LENIENT, &ns)) {
        if (n > 10 && s[10] != 'T')
            return "the date and time must be separated by an upper-case 'T'";
        if (s[n - 1] == 'z')
            return "the zone must be an upper-case 'Z'";
        return "the time must be UTC, written with a final 'Z' (no offset such as +02:00)";
    }
    /* YYYY-MM-DDTHH:MM:SS with digits where digits belong: then a field is out of range */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    bool shaped = n >= sizeof shape - 1;
    for (size_t i = 0; shaped && i < sizeof shape - 1; i++) {
        char c = s[i];
        if (shape[i] == 'd' ? !is_digit(c) : (c != shape[i] && !(shape[i] == 'T' && c == 't')))
            shaped = false;
    }
    if (shaped && s[n - 1] != 'Z' && s[n - 1] != 'z')
        return "it must end with 'Z' (UTC)";
    if (shaped)
        return "no such date or time (month 01-12, a day the month has, hour 00-23, minute 00-59, second 00-60)";
    return "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z, e.g. t'2024-05-01T12:00:00Z'";
}

storm_rc lex_timestamp(const char *text, size_t s, size_t e, size_t err_start, size_t err_end, storm_time_ns *out,
                       storm_err *err)
{
    if (parse_time(text + s, e - s, STORM_TIME_STIX_STRICT, out))
        return STORM_OK;
    const char *tt = text + err_start;
    size_t tn = err_end - err_start;
    return lex_error(err, STORM_ERR_SYNTAX, err_start, err_end, "invalid timestamp %.*s%s: %s", EXCERPT(tt, tn),
                     timestamp_problem(text + s, e - s));
}

static storm_rc decode_int(const char *text, const lex_token *tok, int64_t *out, storm_err *err)
{
    size_t i = tok->start;
    bool neg = false;
    if (text[i] == '+' || text[i] == '-')
        neg = text[i++] == '-';
    uint64_t v = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < tok->end; i++) {
        uint64_t d = (uint64_t)(text[i] - '0');
        if (v > (limit - d) / 10)
            return lex_error(err, STORM_ERR_SYNTAX, tok->start, tok->end,
                             "integer %.*s%s is out of range: integers are 64-bit (at most 9223372036854775807)",
                             EXCERPT(text + tok->start, (size_t)(tok->end - tok->start)));
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return STORM_OK;
}

storm_rc lex_literal(storm_arena *a, const char *text, const lex_token *tok, pat_literal *out, storm_err *err)
{
    memset(out, 0, sizeof *out);
    out->span.start = tok->start;
    out->span.end = tok->end;
    size_t s = tok->start, e = tok->end;
    switch (tok->kind) {
    case TOK_STRING: {
        char *str = storm_arena_alloc(a, e - s);
        if (!str)
            return lex_error(err, STORM_ERR_NOMEM, s, e, "out of memory copying a string");
        size_t o = 0;
        for (size_t i = s + 1; i + 1 < e; i++) {
            if (text[i] == '\\')
                i++; /* the lexer allowed only \' and \\ */
            str[o++] = text[i];
        }
        str[o] = '\0';
        out->type = PAT_LIT_STRING;
        out->u.str.ptr = str;
        out->u.str.len = o;
        return STORM_OK;
    }
    case TOK_INT: out->type = PAT_LIT_INT; return decode_int(text, tok, &out->u.i, err);
    case TOK_FLOAT: {
        char *copy = storm_arena_strndup(a, text + s, e - s);
        if (!copy)
            return lex_error(err, STORM_ERR_NOMEM, s, e, "out of memory reading a number");
        double f = strtod(copy, NULL);
        if (!isfinite(f))
            return lex_error(err, STORM_ERR_SYNTAX, s, e, "number %.*s%s is too large", EXCERPT(text + s, e - s));
        out->type = PAT_LIT_FLOAT;
        out->u.f = f;
        return STORM_OK;
    }
    case TOK_TRUE:
    case TOK_FALSE:
        out->type = PAT_LIT_BOOL;
        out->u.b = tok->kind == TOK_TRUE;
        return STORM_OK;
    case TOK_BINARY: return decode_base64(a, text, s + 2, e - 1, tok, out, err);
    case TOK_HEX: return decode_hex(a, text, s + 2, e - 1, tok, out, err);
    case TOK_TIMESTAMP: out->type = PAT_LIT_TIMESTAMP; return lex_timestamp(text, s + 2, e - 1, s, e, &out->u.ts, err);
    default:
        return lex_error(err, STORM_ERR_STATE, s, e, "internal error: %s is not a literal", lex_kind_name(tok->kind));
    }
}
