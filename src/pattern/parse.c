/* SPDX-License-Identifier: Apache-2.0 */
/* Recursive-descent parser of the STIX patterning language (STIX 2.1 part 9,
 * grammar STIXPattern.g4), one token of lookahead. Precedence, loosest first:
 *
 *   observation:  FOLLOWEDBY  <  OR  <  AND  <  qualifiers (WITHIN, REPEATS,
 *                 START/STOP bind to the observation expression before them
 *                 and may follow one another)  <  [ ... ] and ( ... )
 *   comparison:   OR  <  AND  <  test and ( ... )
 *
 * All binary operators are left-associative in the grammar. FOLLOWEDBY trees
 * are built left-deep as written. A chain of the same AND or OR is built as a
 * balanced tree instead: both are associative (AND: all hold; OR: any holds;
 * the binding of observations does not depend on grouping), a chain of three
 * still comes out left-deep, and a list of 100 000 ORed hashes (real feeds
 * have such patterns) then nests 17 levels, not 100 000, so no later
 * recursive walk over the tree can exhaust the stack.
 *
 * Limits: at most STORM_PATTERN_MAX_DEPTH nested '(' and '['; at most
 * PARSE_MAX_HEIGHT levels in the finished tree (observation levels plus the
 * comparison levels inside a leaf). Parser recursion happens only at '(' and
 * '[', so it is bounded by the first limit.
 *
 * Errors: the first one wins (storm_err); it points at the offending token
 * and says what was expected, after what, and what was found. */
#include "pattern_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <storm/pattern.h>

#include "lex.h"

#define PARSE_MAX_HEIGHT 1024

typedef struct parser {
    storm_arena *arena;
    const char *text;
    size_t len;
    storm_spec spec;
    lexer lx;
    lex_token tok;  /* lookahead */
    lex_token prev; /* the token before it */
    storm_err *err;
    unsigned depth; /* open '(' and '[' */
    unsigned n_leaves;
} parser;

/* A parsed operand: the node, its text including any parentheses around it
 * (binary nodes span their operands' outer text), and its tree height. */
typedef struct item {
    void *node;
    pat_span outer;
    unsigned height;
} item;

typedef struct item_list {
    item *v;
    size_t n, cap;
    item local[4];
} item_list;

/* ---- errors ---- */

static storm_rc fail(parser *p, storm_rc rc, size_t start, size_t end, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static storm_rc fail(parser *p, storm_rc rc, size_t start, size_t end, const char *fmt, ...)
{
    char msg[sizeof p->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lex_error(p->err, rc, start, end, "%s", msg);
}

static storm_rc nomem(parser *p)
{
    return fail(p, STORM_ERR_NOMEM, p->tok.start, p->tok.end, "out of memory while parsing the pattern");
}

/* Length to print of s[0..n): at most 40 bytes, cut on a character boundary. */
static int excerpt_len(const char *s, size_t n)
{
    if (n <= 40)
        return (int)n;
    size_t k = 37;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}

/* Control characters (a newline inside a quoted string) would break the
 * one-line message: show them as spaces. */
static char *printable(char *buf)
{
    for (char *c = buf; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return buf;
}

/* "'process:name'" for the text of a span, shortened when long. */
static const char *quote_span(parser *p, pat_span sp, char *buf, size_t cap)
{
    const char *s = p->text + sp.start;
    size_t n = sp.end - sp.start;
    snprintf(buf, cap, "'%.*s%s'", excerpt_len(s, n), s, n > 40 ? "..." : "");
    return printable(buf);
}

/* How the token is named after "found": 'MATCH', the string 'x', the end of
 * the pattern. */
static const char *describe(parser *p, const lex_token *t, char *buf, size_t cap)
{
    const char *s = p->text + t->start;
    size_t n = t->end - t->start;
    const char *what = "";
    switch (t->kind) {
    case TOK_EOF: return "the end of the pattern";
    case TOK_STRING: what = "the string "; break;
    case TOK_INT:
    case TOK_FLOAT: what = "the number "; break;
    case TOK_BINARY: what = "the binary literal "; break;
    case TOK_HEX: what = "the hex literal "; break;
    case TOK_TIMESTAMP: what = "the timestamp "; break;
    default: break;
    }
    bool quote = t->kind != TOK_STRING && t->kind != TOK_BINARY && t->kind != TOK_HEX && t->kind != TOK_TIMESTAMP &&
                 t->kind != TOK_INT && t->kind != TOK_FLOAT;
    snprintf(buf, cap, "%s%s%.*s%s%s", what, quote ? "'" : "", excerpt_len(s, n), s, n > 40 ? "..." : "",
             quote ? "'" : "");
    return printable(buf);
}

/* Column (1-based, in characters) of a byte offset, for "the '[' at column N". */
static unsigned column_of(parser *p, size_t off)
{
    storm_err e = {0};
    e.offset = off;
    storm_err_locate(&e, p->text, p->len);
    return e.col;
}

static size_t edit_distance_ci(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 16 || nb > 16)
        return 99;
    size_t d[17][17];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = toupper((unsigned char)a[i - 1]) != toupper((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

/* A hint for a found token that was probably meant as one of the expected
 * keywords: lower-case keywords, near misses (MATCH for MATCHES), "null",
 * unquoted strings. Returns "" or " (...)". */
static const char *keyword_hint(parser *p, const lex_token *t, const lex_kind *expected, size_t n_expected, char *buf,
                                size_t cap)
{
    if (t->kind != TOK_IDENT)
        return "";
    const char *s = p->text + t->start;
    size_t n = t->end - t->start;
    char up[24] = {0};
    if (n < sizeof up) {
        for (size_t i = 0; i < n; i++)
            up[i] = (char)toupper((unsigned char)s[i]);
        lex_kind k = lex_keyword(up, n);
        if (k != TOK_IDENT && k != TOK_TRUE && k != TOK_FALSE) {
            snprintf(buf, cap, " (keywords are upper-case: write '%.*s')", (int)n, up);
            return buf;
        }
        char low[24] = {0};
        for (size_t i = 0; i < n; i++)
            low[i] = (char)tolower((unsigned char)s[i]);
        k = lex_keyword(low, n);
        if (k == TOK_TRUE || k == TOK_FALSE) {
            snprintf(buf, cap, " (booleans are lower-case: write '%.*s')", (int)n, low);
            return buf;
        }
    }
    size_t best = 99;
    const char *best_word = NULL;
    for (size_t i = 0; i < n_expected; i++) {
        const char *w = lex_kind_name(expected[i]);
        if (!isupper((unsigned char)w[0]))
            continue; /* only keywords have names spelled as themselves */
        size_t d = edit_distance_ci(s, n, w, strlen(w));
        if (d < best) {
            best = d;
            best_word = w;
        }
    }
    if (best_word && n >= 3 && best <= 2) {
        snprintf(buf, cap, " (did you mean '%s'?)", best_word);
        return buf;
    }
    return "";
}

/* ---- tokens ---- */

static storm_rc advance(parser *p)
{
    p->prev = p->tok;
    return lex_next(&p->lx, &p->tok, p->err);
}

/* 'it's' lexes as the string 'it' and the name s: say how to quote a quote. */
static const char *quote_hint(parser *p)
{
    if (p->prev.kind == TOK_STRING && p->prev.end == p->tok.start &&
        (p->tok.kind == TOK_IDENT || p->tok.kind == TOK_STRING || (p->tok.kind >= TOK_AND && p->tok.kind < TOK__COUNT)))
        return " (a quote inside a string is written \\')";
    return "";
}

static storm_rc open_nesting(parser *p)
{
    if (++p->depth > STORM_PATTERN_MAX_DEPTH)
        return fail(p, STORM_ERR_LIMIT, p->tok.start, p->tok.end,
                    "too deeply nested: more than %d levels of '(' and '['", STORM_PATTERN_MAX_DEPTH);
    return STORM_OK;
}

static storm_rc check_height(parser *p, unsigned height, pat_span at)
{
    if (height > PARSE_MAX_HEIGHT)
        return fail(p, STORM_ERR_LIMIT, at.start, at.end,
                    "the pattern nests too deeply: more than %d levels of operators and qualifiers "
                    "(split it into several patterns)",
                    PARSE_MAX_HEIGHT);
    return STORM_OK;
}

/* ---- operand lists and balanced trees ---- */

static void list_init(item_list *l)
{
    l->v = l->local;
    l->n = 0;
    l->cap = sizeof l->local / sizeof l->local[0];
}

static storm_rc list_push(parser *p, item_list *l, item it)
{
    if (l->n == l->cap) {
        /* grown in the arena: the old block is wasted, at most as much again */
        item *nv = storm_arena_alloc(p->arena, l->cap * 2 * sizeof *nv);
        if (!nv)
            return nomem(p);
        memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap *= 2;
    }
    l->v[l->n++] = it;
    return STORM_OK;
}

static unsigned max_u(unsigned a, unsigned b)
{
    return a > b ? a : b;
}

/* Balanced tree over v[lo..hi) joined by one operator. The left half gets the
 * extra operand, so three operands give ((a b) c) as the grammar does. */
static item build_obs(parser *p, item *v, size_t lo, size_t hi, pat_obs_kind kind, bool *oom)
{
    if (hi - lo == 1)
        return v[lo];
    size_t mid = lo + (hi - lo + 1) / 2;
    item l = build_obs(p, v, lo, mid, kind, oom);
    item r = build_obs(p, v, mid, hi, kind, oom);
    item out = {NULL, {l.outer.start, r.outer.end}, 1 + max_u(l.height, r.height)};
    pat_obs *o = storm_arena_calloc(p->arena, 1, sizeof *o);
    if (!o) {
        *oom = true;
        return out;
    }
    o->kind = kind;
    o->span = out.outer;
    o->left = l.node;
    o->right = r.node;
    out.node = o;
    return out;
}

static item build_cmp(parser *p, item *v, size_t lo, size_t hi, pat_cmp_kind kind, bool *oom)
{
    if (hi - lo == 1)
        return v[lo];
    size_t mid = lo + (hi - lo + 1) / 2;
    item l = build_cmp(p, v, lo, mid, kind, oom);
    item r = build_cmp(p, v, mid, hi, kind, oom);
    item out = {NULL, {l.outer.start, r.outer.end}, 1 + max_u(l.height, r.height)};
    pat_cmp *c = storm_arena_calloc(p->arena, 1, sizeof *c);
    if (!c) {
        *oom = true;
        return out;
    }
    c->kind = kind;
    c->span = out.outer;
    c->left = l.node;
    c->right = r.node;
    out.node = c;
    return out;
}

/* ---- comparison expressions ---- */

static storm_rc parse_cmp_or(parser *p, item *out);

static const lex_kind operator_kinds[] = {TOK_EQ, TOK_NE,   TOK_LT,      TOK_LE,       TOK_GT,         TOK_GE,
                                          TOK_IN, TOK_LIKE, TOK_MATCHES, TOK_ISSUBSET, TOK_ISSUPERSET, TOK_NOT};

/* A property name: a name without '-', or a quoted string. */
static storm_rc parse_key(parser *p, pat_step *step, const char *after)
{
    char fb[96];
    lex_token t = p->tok;
    const char *s = p->text + t.start;
    size_t n = t.end - t.start;
    step->kind = PAT_STEP_KEY;
    step->span.start = t.start;
    step->span.end = t.end;
    if (t.kind == TOK_IDENT) {
        if (t.hyphen)
            return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                        "the property name '%.*s%s' contains '-': quote it, as in hashes.'SHA-256'", excerpt_len(s, n),
                        s, n > 40 ? "..." : "");
        step->key = storm_arena_strndup(p->arena, s, n);
        if (!step->key)
            return nomem(p);
        step->key_len = n;
        return advance(p);
    }
    if (t.kind == TOK_STRING) {
        pat_literal lit;
        storm_rc rc = lex_literal(p->arena, p->text, &t, &lit, p->err);
        if (rc != STORM_OK)
            return rc;
        step->key = lit.u.str.ptr;
        step->key_len = lit.u.str.len;
        return advance(p);
    }
    if (t.kind >= TOK_AND || t.kind == TOK_TRUE || t.kind == TOK_FALSE)
        return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                    "'%.*s' is a reserved word: quote it to use it as a property name ('%.*s')", (int)n, s, (int)n, s);
    return fail(p, STORM_ERR_SYNTAX, t.start, t.end, "expected a property name after %s, found %s", after,
                describe(p, &t, fb, sizeof fb));
}

/* object-type ':' property ( '.' property | '[' index ']' )* */
static storm_rc parse_path(parser *p, pat_path *path, const char *context)
{
    char fb[96], pb[96];
    storm_rc rc;
    lex_token t = p->tok;
    if (t.kind != TOK_IDENT) {
        if (t.kind >= TOK_AND || t.kind == TOK_TRUE || t.kind == TOK_FALSE)
            return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                        "expected an object path (type:property) %s, found the reserved word %s", context,
                        describe(p, &t, fb, sizeof fb));
        return fail(p, STORM_ERR_SYNTAX, t.start, t.end, "expected an object path (type:property) %s, found %s",
                    context, describe(p, &t, fb, sizeof fb));
    }
    path->span.start = t.start;
    path->object_type = storm_arena_strndup(p->arena, p->text + t.start, t.end - t.start);
    if (!path->object_type)
        return nomem(p);
    path->object_type_len = t.end - t.start;
    if ((rc = advance(p)) != STORM_OK)
        return rc;
    if (p->tok.kind != TOK_COLON)
        return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                    "expected ':' after the object type %s (an object path is type:property, e.g. "
                    "process:command_line), found %s",
                    quote_span(p, (pat_span){t.start, t.end}, pb, sizeof pb), describe(p, &p->tok, fb, sizeof fb));
    pat_span colon = {p->tok.start, p->tok.end};
    if ((rc = advance(p)) != STORM_OK)
        return rc;

    pat_step local[8];
    pat_step *steps = local;
    size_t n = 0, cap = 8;
    for (;;) {
        if (n == cap) {
            pat_step *ns = storm_arena_alloc(p->arena, cap * 2 * sizeof *ns);
            if (!ns)
                return nomem(p);
            memcpy(ns, steps, n * sizeof *ns);
            steps = ns;
            cap *= 2;
        }
        pat_step *st = &steps[n];
        memset(st, 0, sizeof *st);
        if (n == 0) {
            char after[96];
            quote_span(p, (pat_span){t.start, colon.end}, after, sizeof after);
            if ((rc = parse_key(p, st, after)) != STORM_OK)
                return rc;
        } else if (p->tok.kind == TOK_DOT) {
            if ((rc = advance(p)) != STORM_OK)
                return rc;
            if ((rc = parse_key(p, st, "'.'")) != STORM_OK)
                return rc;
        } else if (p->tok.kind == TOK_LBRACK) {
            st->span.start = p->tok.start;
            if ((rc = advance(p)) != STORM_OK)
                return rc;
            lex_token it = p->tok;
            if (it.kind == TOK_STAR) {
                st->kind = PAT_STEP_ANY;
            } else if (it.kind == TOK_INT) {
                pat_literal lit;
                if ((rc = lex_literal(p->arena, p->text, &it, &lit, p->err)) != STORM_OK)
                    return rc;
                st->kind = PAT_STEP_INDEX;
                st->index = lit.u.i;
            } else {
                return fail(p, STORM_ERR_SYNTAX, it.start, it.end,
                            "expected a list index (a whole number or '*') after '[' in an object path, found %s",
                            describe(p, &it, fb, sizeof fb));
            }
            if ((rc = advance(p)) != STORM_OK)
                return rc;
            if (p->tok.kind != TOK_RBRACK)
                return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                            "expected ']' to close the list index, found %s", describe(p, &p->tok, fb, sizeof fb));
            st->span.end = p->tok.end;
            if ((rc = advance(p)) != STORM_OK)
                return rc;
        } else {
            break;
        }
        n++;
    }
    path->steps = storm_arena_alloc(p->arena, n * sizeof *steps);
    if (!path->steps)
        return nomem(p);
    memcpy(path->steps, steps, n * sizeof *steps);
    path->n_steps = n;
    path->span.end = steps[n - 1].span.end;
    return STORM_OK;
}

static bool is_literal(lex_kind k)
{
    return k == TOK_STRING || k == TOK_INT || k == TOK_FLOAT || k == TOK_TRUE || k == TOK_FALSE || k == TOK_BINARY ||
           k == TOK_HEX || k == TOK_TIMESTAMP;
}

/* Hint for a token found where a value belongs. */
static const char *value_hint(parser *p, const lex_token *t)
{
    if (t->kind != TOK_IDENT)
        return "";
    const char *s = p->text + t->start;
    size_t n = t->end - t->start;
    if (n == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "NULL", 4) == 0 || memcmp(s, "None", 4) == 0))
        return " (STIX patterns have no null: test the property with EXISTS instead)";
    if ((n == 4 && memcmp(s, "TRUE", 4) == 0) || (n == 5 && memcmp(s, "FALSE", 5) == 0) ||
        (n == 4 && memcmp(s, "True", 4) == 0) || (n == 5 && memcmp(s, "False", 5) == 0))
        return " (booleans are lower-case: true, false)";
    return " (strings are written in single quotes: 'text')";
}

static storm_rc parse_value(parser *p, pat_op op, const lex_token *op_tok, pat_literal *out)
{
    char fb[96];
    lex_token t = p->tok;
    const char *opname = p->text + op_tok->start;
    int opn = (int)(op_tok->end - op_tok->start);
    switch (op) {
    case PAT_OP_LIKE:
    case PAT_OP_MATCHES:
    case PAT_OP_ISSUBSET:
    case PAT_OP_ISSUPERSET:
        if (t.kind != TOK_STRING)
            return fail(p, STORM_ERR_SYNTAX, t.start, t.end, "expected a string after %.*s, found %s%s", opn, opname,
                        describe(p, &t, fb, sizeof fb), value_hint(p, &t));
        break;
    case PAT_OP_LT:
    case PAT_OP_LE:
    case PAT_OP_GT:
    case PAT_OP_GE:
        if (t.kind == TOK_TRUE || t.kind == TOK_FALSE)
            return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                        "'%.*s' compares ordered values (a number, string, binary or timestamp), not a boolean", opn,
                        opname);
        /* fall through */
    default:
        if (!is_literal(t.kind))
            return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                        "expected a value after '%.*s' (a string 'x', a number, true, false, b'...', h'...' or "
                        "t'...'), found %s%s",
                        opn, opname, describe(p, &t, fb, sizeof fb), value_hint(p, &t));
        break;
    }
    storm_rc rc = lex_literal(p->arena, p->text, &t, out, p->err);
    if (rc != STORM_OK)
        return rc;
    return advance(p);
}

/* '(' [ literal (',' literal)* ] ')' after IN */
static storm_rc parse_set(parser *p, pat_cmp *c)
{
    char fb[96];
    storm_rc rc;
    if (p->tok.kind != TOK_LPAREN)
        return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                    "expected a set in parentheses after IN, e.g. ('nsenter', 'unshare'), found %s%s",
                    describe(p, &p->tok, fb, sizeof fb),
                    p->tok.kind == TOK_LBRACK ? " (sets use '(' and ')', not '[')" : "");
    if ((rc = advance(p)) != STORM_OK)
        return rc;
    pat_literal local[8];
    pat_literal *v = local;
    size_t n = 0, cap = 8;
    if (p->tok.kind != TOK_RPAREN) {
        for (;;) {
            lex_token t = p->tok;
            if (!is_literal(t.kind))
                return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                            "expected a value in the set (a string 'x', a number, true, false, b'...', h'...' or "
                            "t'...'), found %s%s",
                            describe(p, &t, fb, sizeof fb), value_hint(p, &t));
            if (n == cap) {
                pat_literal *nv = storm_arena_alloc(p->arena, cap * 2 * sizeof *nv);
                if (!nv)
                    return nomem(p);
                memcpy(nv, v, n * sizeof *nv);
                v = nv;
                cap *= 2;
            }
            if ((rc = lex_literal(p->arena, p->text, &t, &v[n++], p->err)) != STORM_OK)
                return rc;
            if ((rc = advance(p)) != STORM_OK)
                return rc;
            if (p->tok.kind == TOK_COMMA) {
                if ((rc = advance(p)) != STORM_OK)
                    return rc;
                continue;
            }
            if (p->tok.kind == TOK_RPAREN)
                break;
            return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end, "expected ',' or ')' in the set, found %s%s",
                        describe(p, &p->tok, fb, sizeof fb),
                        p->tok.kind == TOK_EOF || p->tok.kind == TOK_RBRACK ? " (the set's '(' is not closed)" : "");
        }
    }
    c->values = storm_arena_alloc(p->arena, (n ? n : 1) * sizeof *v);
    if (!c->values)
        return nomem(p);
    memcpy(c->values, v, n * sizeof *v);
    c->n_values = n;
    c->span.end = p->tok.end; /* the ')' */
    return advance(p);
}

static storm_rc parse_cmp_test(parser *p, item *out)
{
    char fb[96], hb[128];
    storm_rc rc;
    lex_token t = p->tok;
    if (t.kind == TOK_LPAREN) {
        if ((rc = open_nesting(p)) != STORM_OK || (rc = advance(p)) != STORM_OK)
            return rc;
        if ((rc = parse_cmp_or(p, out)) != STORM_OK)
            return rc;
        if (p->tok.kind != TOK_RPAREN) {
            static const lex_kind exp[] = {TOK_AND, TOK_OR};
            char extra[64] = "";
            if (p->tok.kind == TOK_EOF || p->tok.kind == TOK_RBRACK)
                snprintf(extra, sizeof extra, " (the '(' at column %u is not closed)", column_of(p, t.start));
            const char *hint = quote_hint(p);
            if (!*hint)
                hint = keyword_hint(p, &p->tok, exp, 2, hb, sizeof hb);
            return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                        "expected AND, OR or ')' after the comparison, found %s%s%s",
                        describe(p, &p->tok, fb, sizeof fb), hint, extra);
        }
        p->depth--;
        out->outer.start = t.start;
        out->outer.end = p->tok.end;
        return advance(p);
    }
    pat_cmp *c = storm_arena_calloc(p->arena, 1, sizeof *c);
    if (!c)
        return nomem(p);
    c->kind = PAT_CMP_TEST;
    c->span.start = t.start;
    out->node = c;
    out->height = 1;
    if (t.kind == TOK_EXISTS) {
        if ((rc = advance(p)) != STORM_OK)
            return rc;
        if ((rc = parse_path(p, &c->path, "after EXISTS")) != STORM_OK)
            return rc;
        c->op = PAT_OP_EXISTS;
        c->span.end = c->path.span.end;
        out->outer = c->span;
        return STORM_OK;
    }
    if (t.kind == TOK_RBRACK)
        return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                    "expected a comparison such as file:name = 'token' inside '[ ]', found ']'");
    if (t.kind == TOK_NOT)
        return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                    "NOT goes between the object path and the operator, as in file:name NOT = 'token'");
    if ((rc = parse_path(p, &c->path, "or EXISTS")) != STORM_OK)
        return rc;
    char path_text[96];
    quote_span(p, c->path.span, path_text, sizeof path_text);
    if (p->tok.kind == TOK_NOT) {
        c->negated = true;
        if ((rc = advance(p)) != STORM_OK)
            return rc;
        if (p->tok.kind == TOK_EXISTS)
            return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                        "EXISTS cannot be negated: STIX patterning has no NOT EXISTS, and EXISTS comes before the "
                        "path (EXISTS %.*s)",
                        (int)(c->path.span.end - c->path.span.start), p->text + c->path.span.start);
    }
    lex_token op_tok = p->tok;
    switch (op_tok.kind) {
    case TOK_EQ: c->op = PAT_OP_EQ; break;
    case TOK_NE: c->op = PAT_OP_NE; break;
    case TOK_LT: c->op = PAT_OP_LT; break;
    case TOK_LE: c->op = PAT_OP_LE; break;
    case TOK_GT: c->op = PAT_OP_GT; break;
    case TOK_GE: c->op = PAT_OP_GE; break;
    case TOK_IN: c->op = PAT_OP_IN; break;
    case TOK_LIKE: c->op = PAT_OP_LIKE; break;
    case TOK_MATCHES: c->op = PAT_OP_MATCHES; break;
    case TOK_ISSUBSET: c->op = PAT_OP_ISSUBSET; break;
    case TOK_ISSUPERSET: c->op = PAT_OP_ISSUPERSET; break;
    default:
        return fail(
            p, STORM_ERR_SYNTAX, op_tok.start, op_tok.end, "expected a comparison operator after %s, found %s%s",
            c->negated ? "NOT" : path_text, describe(p, &op_tok, fb, sizeof fb),
            keyword_hint(p, &op_tok, operator_kinds,
                         sizeof operator_kinds / sizeof operator_kinds[0] - (c->negated ? 1 : 0), hb, sizeof hb));
    }
    if ((rc = advance(p)) != STORM_OK)
        return rc;
    if (c->op == PAT_OP_IN) {
        if ((rc = parse_set(p, c)) != STORM_OK)
            return rc;
    } else {
        c->values = storm_arena_alloc(p->arena, sizeof *c->values);
        if (!c->values)
            return nomem(p);
        c->n_values = 1;
        if ((rc = parse_value(p, c->op, &op_tok, c->values)) != STORM_OK)
            return rc;
        c->span.end = c->values->span.end;
    }
    out->outer = c->span;
    return STORM_OK;
}

static storm_rc parse_cmp_and(parser *p, item *out)
{
    item_list l;
    list_init(&l);
    storm_rc rc;
    for (;;) {
        item it = {0};
        if ((rc = parse_cmp_test(p, &it)) != STORM_OK || (rc = list_push(p, &l, it)) != STORM_OK)
            return rc;
        if (p->tok.kind != TOK_AND)
            break;
        if ((rc = advance(p)) != STORM_OK)
            return rc;
    }
    bool oom = false;
    *out = build_cmp(p, l.v, 0, l.n, PAT_CMP_AND, &oom);
    return oom ? nomem(p) : check_height(p, out->height, out->outer);
}

static storm_rc parse_cmp_or(parser *p, item *out)
{
    item_list l;
    list_init(&l);
    storm_rc rc;
    for (;;) {
        item it = {0};
        if ((rc = parse_cmp_and(p, &it)) != STORM_OK || (rc = list_push(p, &l, it)) != STORM_OK)
            return rc;
        if (p->tok.kind != TOK_OR)
            break;
        if ((rc = advance(p)) != STORM_OK)
            return rc;
    }
    bool oom = false;
    *out = build_cmp(p, l.v, 0, l.n, PAT_CMP_OR, &oom);
    return oom ? nomem(p) : check_height(p, out->height, out->outer);
}

/* ---- observation expressions ---- */

static storm_rc parse_obs_followedby(parser *p, item *out);

static const lex_kind after_obs_kinds[] = {TOK_AND,   TOK_OR,      TOK_FOLLOWEDBY, TOK_WITHIN, TOK_REPEATS,
                                           TOK_START, TOK_SECONDS, TOK_TIMES,      TOK_STOP};

static storm_rc parse_obs_primary(parser *p, item *out)
{
    char fb[96], hb[128];
    storm_rc rc;
    lex_token open = p->tok;
    if (open.kind == TOK_LBRACK) {
        if ((rc = open_nesting(p)) != STORM_OK || (rc = advance(p)) != STORM_OK)
            return rc;
        item cmp = {0};
        if ((rc = parse_cmp_or(p, &cmp)) != STORM_OK)
            return rc;
        if (p->tok.kind != TOK_RBRACK) {
            static const lex_kind exp[] = {TOK_AND, TOK_OR};
            char extra[64] = "";
            if (p->tok.kind == TOK_EOF || p->tok.kind == TOK_RPAREN)
                snprintf(extra, sizeof extra, " (the '[' at column %u is not closed)", column_of(p, open.start));
            const char *hint = quote_hint(p);
            if (!*hint)
                hint = keyword_hint(p, &p->tok, exp, 2, hb, sizeof hb);
            return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                        "expected AND, OR or ']' after the comparison, found %s%s%s",
                        describe(p, &p->tok, fb, sizeof fb), hint, extra);
        }
        p->depth--;
        pat_obs *o = storm_arena_calloc(p->arena, 1, sizeof *o);
        if (!o)
            return nomem(p);
        o->kind = PAT_OBS_LEAF;
        o->span.start = open.start;
        o->span.end = p->tok.end;
        o->cmp = cmp.node;
        o->leaf_index = p->n_leaves++;
        out->node = o;
        out->outer = o->span;
        out->height = 1 + cmp.height;
        if ((rc = check_height(p, out->height, o->span)) != STORM_OK)
            return rc;
        return advance(p);
    }
    if (open.kind == TOK_LPAREN) {
        if ((rc = open_nesting(p)) != STORM_OK || (rc = advance(p)) != STORM_OK)
            return rc;
        if ((rc = parse_obs_followedby(p, out)) != STORM_OK)
            return rc;
        if (p->tok.kind != TOK_RPAREN) {
            char extra[64] = "";
            if (p->tok.kind == TOK_EOF)
                snprintf(extra, sizeof extra, " (the '(' at column %u is not closed)", column_of(p, open.start));
            return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end,
                        "expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or ')', found %s%s%s",
                        describe(p, &p->tok, fb, sizeof fb),
                        keyword_hint(p, &p->tok, after_obs_kinds, sizeof after_obs_kinds / sizeof after_obs_kinds[0],
                                     hb, sizeof hb),
                        extra);
        }
        p->depth--;
        out->outer.start = open.start;
        out->outer.end = p->tok.end;
        return advance(p);
    }
    const char *hint = "";
    if (open.kind == TOK_IDENT || open.kind == TOK_EXISTS)
        hint = " (comparisons go inside square brackets: [file:name = 'token'])";
    return fail(p, STORM_ERR_SYNTAX, open.start, open.end,
                "expected '[' or '(' to start an observation expression, found %s%s", describe(p, &open, fb, sizeof fb),
                hint);
}

static storm_rc expect_unit(parser *p, lex_kind unit, pat_span qual, const char *help)
{
    char fb[96], hb[128], qb[96];
    if (p->tok.kind == unit)
        return STORM_OK;
    lex_kind exp[] = {unit};
    const char *hint = keyword_hint(p, &p->tok, exp, 1, hb, sizeof hb);
    return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end, "expected %s after %s, found %s%s", lex_kind_name(unit),
                quote_span(p, qual, qb, sizeof qb), describe(p, &p->tok, fb, sizeof fb),
                *hint                      ? hint
                : p->tok.kind == TOK_IDENT ? help
                                           : "");
}

static bool negative(parser *p, const lex_token *t)
{
    return p->text[t->start] == '-';
}

/* START t'..' STOP t'..' (STIX 2.0 also writes plain strings) */
static storm_rc parse_time_bound(parser *p, const char *kw, pat_literal *lit, storm_time_ns *ns, bool *invalid)
{
    char fb[96];
    lex_token t = p->tok;
    storm_rc rc;
    if (t.kind == TOK_TIMESTAMP) {
        if ((rc = lex_literal(p->arena, p->text, &t, lit, p->err)) != STORM_OK)
            return rc;
        *ns = lit->u.ts;
        return advance(p);
    }
    if (t.kind == TOK_STRING && p->spec == STORM_SPEC_20) {
        if ((rc = lex_literal(p->arena, p->text, &t, lit, p->err)) != STORM_OK)
            return rc;
        /* checked when matching, as the reference does for STIX 2.0 */
        if (!lex_parse_time(lit->u.str.ptr, lit->u.str.len, ns)) {
            *ns = 0;
            *invalid = true;
        }
        return advance(p);
    }
    return fail(p, STORM_ERR_SYNTAX, t.start, t.end,
                "expected a timestamp t'YYYY-MM-DDTHH:MM:SSZ' after %s, found %s%s", kw, describe(p, &t, fb, sizeof fb),
                t.kind == TOK_STRING ? " (STIX 2.1 writes timestamps as t'...'; plain strings are STIX 2.0)" : "");
}

static storm_rc parse_qualifier(parser *p, item *inout)
{
    char fb[96];
    storm_rc rc;
    lex_token kw = p->tok;
    pat_obs *o = storm_arena_calloc(p->arena, 1, sizeof *o);
    if (!o)
        return nomem(p);
    o->left = inout->node;
    o->qual_span.start = kw.start;
    if ((rc = advance(p)) != STORM_OK)
        return rc;
    lex_token v = p->tok;
    if (kw.kind == TOK_WITHIN) {
        o->kind = PAT_OBS_WITHIN;
        if ((v.kind == TOK_INT || v.kind == TOK_FLOAT) && negative(p, &v))
            return fail(p, STORM_ERR_SYNTAX, v.start, v.end, "WITHIN needs a positive number of seconds, found %s",
                        describe(p, &v, fb, sizeof fb));
        if (v.kind != TOK_INT && v.kind != TOK_FLOAT)
            return fail(p, STORM_ERR_SYNTAX, v.start, v.end,
                        "expected a number of seconds after WITHIN, as in WITHIN 300 SECONDS, found %s",
                        describe(p, &v, fb, sizeof fb));
        if ((rc = lex_literal(p->arena, p->text, &v, &o->within, p->err)) != STORM_OK || (rc = advance(p)) != STORM_OK)
            return rc;
        if ((rc = expect_unit(p, TOK_SECONDS, (pat_span){kw.start, v.end},
                              " (the only unit is SECONDS: convert minutes and hours to seconds)")) != STORM_OK)
            return rc;
    } else if (kw.kind == TOK_REPEATS) {
        o->kind = PAT_OBS_REPEATS;
        if (v.kind == TOK_INT && negative(p, &v))
            return fail(p, STORM_ERR_SYNTAX, v.start, v.end, "REPEATS needs a positive whole number, found %s",
                        describe(p, &v, fb, sizeof fb));
        if (v.kind != TOK_INT)
            return fail(p, STORM_ERR_SYNTAX, v.start, v.end,
                        "expected a whole number after REPEATS, as in REPEATS 5 TIMES, found %s",
                        describe(p, &v, fb, sizeof fb));
        pat_literal lit;
        if ((rc = lex_literal(p->arena, p->text, &v, &lit, p->err)) != STORM_OK || (rc = advance(p)) != STORM_OK)
            return rc;
        o->repeats = lit.u.i;
        if ((rc = expect_unit(p, TOK_TIMES, (pat_span){kw.start, v.end}, "")) != STORM_OK)
            return rc;
    } else {
        o->kind = PAT_OBS_STARTSTOP;
        if ((rc = parse_time_bound(p, "START", &o->start_lit, &o->start, &o->times_invalid)) != STORM_OK)
            return rc;
        if (p->tok.kind != TOK_STOP) {
            lex_kind exp[] = {TOK_STOP};
            char hb[128];
            return fail(p, STORM_ERR_SYNTAX, p->tok.start, p->tok.end, "expected STOP after the START time, found %s%s",
                        describe(p, &p->tok, fb, sizeof fb), keyword_hint(p, &p->tok, exp, 1, hb, sizeof hb));
        }
        if ((rc = advance(p)) != STORM_OK)
            return rc;
        if ((rc = parse_time_bound(p, "STOP", &o->stop_lit, &o->stop, &o->times_invalid)) != STORM_OK)
            return rc;
        /* parse_time_bound moved past the timestamp: the qualifier ends where it did */
        o->qual_span.end = o->stop_lit.span.end;
        goto done;
    }
    o->qual_span.end = p->tok.end; /* SECONDS or TIMES */
    if ((rc = advance(p)) != STORM_OK)
        return rc;
done:
    o->span.start = inout->outer.start;
    o->span.end = o->qual_span.end;
    inout->node = o;
    inout->outer = o->span;
    inout->height += 1;
    return check_height(p, inout->height, o->qual_span);
}

static storm_rc parse_obs_qualified(parser *p, item *out)
{
    storm_rc rc = parse_obs_primary(p, out);
    while (rc == STORM_OK && (p->tok.kind == TOK_WITHIN || p->tok.kind == TOK_REPEATS || p->tok.kind == TOK_START))
        rc = parse_qualifier(p, out);
    return rc;
}

static storm_rc parse_obs_chain(parser *p, item *out, lex_kind op, pat_obs_kind kind,
                                storm_rc (*operand)(parser *, item *))
{
    item_list l;
    list_init(&l);
    storm_rc rc;
    for (;;) {
        item it = {0};
        if ((rc = operand(p, &it)) != STORM_OK || (rc = list_push(p, &l, it)) != STORM_OK)
            return rc;
        if (p->tok.kind != op)
            break;
        if ((rc = advance(p)) != STORM_OK)
            return rc;
    }
    bool oom = false;
    *out = build_obs(p, l.v, 0, l.n, kind, &oom);
    return oom ? nomem(p) : check_height(p, out->height, out->outer);
}

static storm_rc parse_obs_and(parser *p, item *out)
{
    return parse_obs_chain(p, out, TOK_AND, PAT_OBS_AND, parse_obs_qualified);
}

static storm_rc parse_obs_or(parser *p, item *out)
{
    return parse_obs_chain(p, out, TOK_OR, PAT_OBS_OR, parse_obs_and);
}

/* FOLLOWEDBY stays left-deep, as written: ((a FOLLOWEDBY b) FOLLOWEDBY c). */
static storm_rc parse_obs_followedby(parser *p, item *out)
{
    storm_rc rc = parse_obs_or(p, out);
    while (rc == STORM_OK && p->tok.kind == TOK_FOLLOWEDBY) {
        if ((rc = advance(p)) != STORM_OK)
            return rc;
        item r = {0};
        if ((rc = parse_obs_or(p, &r)) != STORM_OK)
            return rc;
        pat_obs *o = storm_arena_calloc(p->arena, 1, sizeof *o);
        if (!o)
            return nomem(p);
        o->kind = PAT_OBS_FOLLOWEDBY;
        o->left = out->node;
        o->right = r.node;
        o->span.start = out->outer.start;
        o->span.end = r.outer.end;
        out->node = o;
        out->outer = o->span;
        out->height = 1 + max_u(out->height, r.height);
        rc = check_height(p, out->height, o->span);
    }
    return rc;
}

storm_rc pattern_parse(storm_arena *arena, const char *text, size_t len, storm_spec spec, pat_obs **root,
                       unsigned *n_leaves, storm_err *err)
{
    storm_err local;
    storm_err_clear(&local);
    if (!text)
        text = len == 0 ? "" : NULL;
    if (!text || !arena || !root || !n_leaves)
        return storm_err_set(err, STORM_ERR_STATE, 0, "pattern_parse: invalid argument");
    parser p = {.arena = arena, .text = text, .len = len, .spec = spec, .err = &local};
    storm_rc rc;
    *root = NULL;
    *n_leaves = 0;
    if (len > STORM_PATTERN_MAX_LEN) {
        rc = lex_error(&local, STORM_ERR_LIMIT, 0, 0, "the pattern is %zu bytes long, more than the limit of %u bytes",
                       len, (unsigned)STORM_PATTERN_MAX_LEN);
        local.line = local.col = 1;
        if (err && err->rc == STORM_OK)
            *err = local;
        return rc;
    }
    lex_init(&p.lx, text, len);
    if ((rc = advance(&p)) != STORM_OK)
        goto out;
    if (p.tok.kind == TOK_EOF) {
        rc = fail(&p, STORM_ERR_SYNTAX, p.tok.start, p.tok.end,
                  "the pattern is empty: expected an observation expression such as [file:name = 'token']");
        goto out;
    }
    item top = {0};
    if ((rc = parse_obs_followedby(&p, &top)) != STORM_OK)
        goto out;
    if (p.tok.kind != TOK_EOF) {
        char fb[96], hb[128];
        const char *hint = keyword_hint(&p, &p.tok, after_obs_kinds, sizeof after_obs_kinds / sizeof after_obs_kinds[0],
                                        hb, sizeof hb);
        if (!*hint && p.tok.kind == TOK_LBRACK)
            hint = " (join observation expressions with AND, OR or FOLLOWEDBY)";
        else if (!*hint && p.tok.kind == TOK_RPAREN)
            hint = " (this ')' has no matching '(')";
        else if (!*hint && p.tok.kind == TOK_RBRACK)
            hint = " (this ']' has no matching '[')";
        else if (!*hint && p.tok.kind == TOK_STOP)
            hint = " (STOP comes after START t'...')";
        rc = fail(&p, STORM_ERR_SYNTAX, p.tok.start, p.tok.end,
                  "expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found %s%s",
                  describe(&p, &p.tok, fb, sizeof fb), hint);
        goto out;
    }
    *root = top.node;
    *n_leaves = p.n_leaves;
    rc = STORM_OK;
out:
    if (rc != STORM_OK) {
        if (local.rc == STORM_OK) /* a path that forgot to say why */
            lex_error(&local, rc, p.tok.start, p.tok.end, "%s", storm_strerror(rc));
        storm_err_locate(&local, text, len < STORM_PATTERN_MAX_LEN ? len : STORM_PATTERN_MAX_LEN);
        if (err && err->rc == STORM_OK)
            *err = local;
        *root = NULL;
        *n_leaves = 0;
    }
    return rc;
}
