/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the pattern lexer and parser: tokens and spans, AST shapes
 * and precedence, literal decoding, positioned errors, limits, and the
 * parse-only half of the OASIS conformance vectors. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/io.h>
#include <storm/json.h>

#include "lex.h"
#include "pattern_int.h"
#include "test.h"

/* ---- helpers ---- */

/* Token kinds of text as a space-separated list, or "ERR@offset+len". */
static const char *lex_all(const char *text)
{
    static char out[1024];
    lexer lx;
    lex_init(&lx, text, strlen(text));
    size_t o = 0;
    out[0] = '\0';
    for (;;) {
        lex_token t;
        storm_err e = {0};
        if (lex_next(&lx, &t, &e) != STORM_OK) {
            snprintf(out + o, sizeof out - o, "%sERR@%zu+%zu", o ? " " : "", e.offset, e.len);
            return out;
        }
        if (t.kind == TOK_EOF)
            return out;
        const char *name = lex_kind_name(t.kind);
        if (t.kind == TOK_IDENT || t.kind == TOK_STRING || t.kind == TOK_INT || t.kind == TOK_FLOAT ||
            t.kind == TOK_BINARY || t.kind == TOK_HEX || t.kind == TOK_TIMESTAMP)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s<%.*s>", o ? " " : "", (int)(t.end - t.start),
                                  text + t.start);
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", o ? " " : "", name);
        if (o >= sizeof out)
            return out;
    }
}

typedef struct sbuf {
    char s[4096];
    size_t n;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->n = b->n + (size_t)k < sizeof b->s ? b->n + (size_t)k : sizeof b->s - 1;
}

static void dump_lit(sbuf *b, const pat_literal *l)
{
    switch (l->type) {
    case PAT_LIT_STRING: put(b, "'%s'", l->u.str.ptr); break;
    case PAT_LIT_INT: put(b, "%" PRId64, l->u.i); break;
    case PAT_LIT_FLOAT: put(b, "%gf", l->u.f); break;
    case PAT_LIT_BOOL: put(b, "%s", l->u.b ? "true" : "false"); break;
    case PAT_LIT_BINARY:
        put(b, "%s:", l->u.bin.hex ? "hex" : "b64");
        for (size_t i = 0; i < l->u.bin.len; i++)
            put(b, "%02x", l->u.bin.ptr[i]);
        break;
    case PAT_LIT_TIMESTAMP: put(b, "ts:%" PRId64, l->u.ts); break;
    }
}

static const char *op_name(pat_op op)
{
    static const char *const n[] = {
        "=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"};
    return n[op];
}

static void dump_cmp(sbuf *b, const pat_cmp *c)
{
    if (c->kind != PAT_CMP_TEST) {
        put(b, "(%s ", c->kind == PAT_CMP_AND ? "and" : "or");
        dump_cmp(b, c->left);
        put(b, " ");
        dump_cmp(b, c->right);
        put(b, ")");
        return;
    }
    if (c->op == PAT_OP_EXISTS)
        put(b, "EXISTS ");
    put(b, "%s:", c->path.object_type);
    for (size_t i = 0; i < c->path.n_steps; i++) {
        const pat_step *s = &c->path.steps[i];
        if (s->kind == PAT_STEP_KEY)
            put(b, "%s%s", i ? "." : "", s->key);
        else if (s->kind == PAT_STEP_INDEX)
            put(b, "[%" PRId64 "]", s->index);
        else
            put(b, "[*]");
    }
    if (c->op == PAT_OP_EXISTS)
        return;
    const char *op = op_name(c->op);
    put(b, "%s%s", c->negated ? " NOT " : op[0] >= 'A' && op[0] <= 'Z' ? " " : "", op);
    if (c->op == PAT_OP_IN) {
        put(b, "(");
        for (size_t i = 0; i < c->n_values; i++) {
            if (i)
                put(b, ",");
            dump_lit(b, &c->values[i]);
        }
        put(b, ")");
    } else {
        dump_lit(b, &c->values[0]);
    }
}

static void dump_obs(sbuf *b, const pat_obs *o)
{
    switch (o->kind) {
    case PAT_OBS_LEAF:
        put(b, "[");
        dump_cmp(b, o->cmp);
        put(b, "]");
        return;
    case PAT_OBS_AND:
    case PAT_OBS_OR:
    case PAT_OBS_FOLLOWEDBY:
        put(b, "(%s ", o->kind == PAT_OBS_AND ? "AND" : o->kind == PAT_OBS_OR ? "OR" : "FOLLOWEDBY");
        dump_obs(b, o->left);
        put(b, " ");
        dump_obs(b, o->right);
        put(b, ")");
        return;
    case PAT_OBS_WITHIN:
        put(b, "(WITHIN ");
        dump_lit(b, &o->within);
        put(b, " ");
        break;
    case PAT_OBS_REPEATS: put(b, "(REPEATS %" PRId64 " ", o->repeats); break;
    case PAT_OBS_STARTSTOP: put(b, "(STARTSTOP %" PRId64 " %" PRId64 " ", o->start, o->stop); break;
    }
    dump_obs(b, o->left);
    put(b, ")");
}

static storm_arena *arena;
static storm_err last_err;

static pat_obs *parse_spec(const char *text, storm_spec spec)
{
    storm_arena_reset(arena);
    pat_obs *root = NULL;
    unsigned n = 0;
    storm_err_clear(&last_err);
    if (pattern_parse(arena, text, strlen(text), spec, &root, &n, &last_err) != STORM_OK)
        return NULL;
    return root;
}

/* The AST of text as an S-expression, or "ERROR: <line>:<col>+<len>: msg". */
static const char *shape_spec(const char *text, storm_spec spec)
{
    static sbuf b;
    b.n = 0;
    b.s[0] = '\0';
    pat_obs *root = parse_spec(text, spec);
    if (!root)
        put(&b, "ERROR: %u:%u+%zu: %s", last_err.line, last_err.col, last_err.len, last_err.msg);
    else
        dump_obs(&b, root);
    return b.s;
}

static const char *shape(const char *text)
{
    return shape_spec(text, STORM_SPEC_21);
}

/* "col+len: message" of the error text produces (or "ok"). */
static const char *error_of(const char *text)
{
    static char out[700];
    if (parse_spec(text, STORM_SPEC_21))
        return "ok";
    snprintf(out, sizeof out, "%u+%zu: %s", last_err.col, last_err.len, last_err.msg);
    return out;
}

static unsigned obs_height(const pat_obs *o);
static unsigned cmp_height(const pat_cmp *c)
{
    if (c->kind == PAT_CMP_TEST)
        return 1;
    unsigned l = cmp_height(c->left), r = cmp_height(c->right);
    return 1 + (l > r ? l : r);
}
static unsigned obs_height(const pat_obs *o)
{
    if (o->kind == PAT_OBS_LEAF)
        return 1 + cmp_height(o->cmp);
    unsigned l = obs_height(o->left), r = o->right ? obs_height(o->right) : 0;
    return 1 + (l > r ? l : r);
}

/* ---- lexer ---- */

static void test_lex_tokens(void)
{
    CHECK_STR(lex_all("[process:name = 'nsenter']"), "'[' <process> ':' <name> '=' <'nsenter'> ']'");
    CHECK_STR(lex_all("= == != <> < <= > >="), "'=' '=' '!=' '!=' '<' '<=' '>' '>='");
    CHECK_STR(lex_all("AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUBSET ISSUPERSET EXISTS IN"),
              "AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUBSET ISSUPERSET EXISTS IN");
    CHECK_STR(lex_all("START STOP WITHIN SECONDS REPEATS TIMES LAST true false"),
              "START STOP WITHIN SECONDS REPEATS TIMES LAST true false");
    /* keywords are upper-case only: the rest are names */
    CHECK_STR(lex_all("and Or within TRUE"), "<and> <Or> <within> <TRUE>");
    CHECK_STR(lex_all("x-custom-type a_b"), "<x-custom-type> <a_b>");
    CHECK_STR(lex_all("0 42 -7 +3 1.5 -0.25 .5 +.5 00.5"), "<0> <42> <-7> <+3> <1.5> <-0.25> <.5> <+.5> <00.5>");
    CHECK_STR(lex_all("b'AQID' h'0a0B' t'2020-01-01T00:00:00Z'"), "<b'AQID'> <h'0a0B'> <t'2020-01-01T00:00:00Z'>");
    CHECK_STR(lex_all("'it\\'s' 'a\\\\b' ''"), "<'it\\'s'> <'a\\\\b'> <''>");
    CHECK_STR(lex_all("( ) [ ] , . : *"), "'(' ')' '[' ']' ',' '.' ':' '*'");
    /* comments and Unicode whitespace (NBSP, ideographic space) are skipped */
    CHECK_STR(lex_all("/* c */ [ // to the end\n a\xc2\xa0:\xe3\x80\x80"
                      "b ]"),
              "'[' <a> ':' <b> ']'");
    /* a name then a string, not a typed literal, when the letter is not t/b/h */
    CHECK_STR(lex_all("x'a'"), "<x> <'a'>");
}

static void test_lex_errors(void)
{
    CHECK_STR(lex_all("'abc"), "ERR@0+1");                               /* unterminated: points at the quote */
    CHECK_STR(lex_all("[a:b = 'x\\n']"), "'[' <a> ':' <b> '=' ERR@9+2"); /* \n is no escape */
    CHECK_STR(lex_all("a /* open"), "<a> ERR@2+2");
    CHECK_STR(lex_all("a \"b\""), "<a> ERR@2+1");
    CHECK_STR(lex_all("a \x01"), "<a> ERR@2+1");
    CHECK_STR(lex_all("a \xff"), "<a> ERR@2+1");     /* invalid UTF-8 */
    CHECK_STR(lex_all("a \xc3\xa9"), "<a> ERR@2+2"); /* é starts no token */
    CHECK_STR(lex_all("'\xc3('"), "ERR@1+1");        /* invalid UTF-8 inside a string */
    CHECK_STR(lex_all("007"), "ERR@0+3");            /* leading zeros */
    CHECK_STR(lex_all("5."), "ERR@0+2");
    CHECK_STR(lex_all("- 5"), "ERR@0+1");
    CHECK_STR(lex_all("t'2020"), "ERR@1+1");
    CHECK_STR(lex_all("!x"), "ERR@0+1");
}

/* ---- literals ---- */

static void test_literals(void)
{
    CHECK_STR(shape("[a:b = 'it\\'s \\\\ ok']"), "[a:b='it's \\ ok']");
    CHECK_STR(shape("[a:b = -9223372036854775808]"), "[a:b=-9223372036854775808]");
    CHECK_STR(shape("[a:b = 9223372036854775807]"), "[a:b=9223372036854775807]");
    CHECK(strstr(shape("[a:b = 9223372036854775808]"), "out of range") != NULL);
    CHECK_STR(shape("[a:b = +.5]"), "[a:b=0.5f]");
    CHECK_STR(shape("[a:b = -0.25]"), "[a:b=-0.25f]");
    CHECK_STR(shape("[a:b = true AND a:c != false]"), "[(and a:b=true a:c!=false)]");
    CHECK_STR(shape("[a:b = b'YWxpY2U=']"), "[a:b=b64:616c696365]");
    CHECK_STR(shape("[a:b = b'YWI=']"), "[a:b=b64:6162]");
    CHECK_STR(shape("[a:b = b'YQ==']"), "[a:b=b64:61]");
    CHECK_STR(shape("[a:b = h'616C69']"), "[a:b=hex:616c69]");
    CHECK_STR(shape("[a:b = h'']"), "[a:b=hex:]");
    CHECK_STR(shape("[a:b = t'1970-01-01T00:00:01Z']"), "[a:b=ts:1000000000]");
    CHECK_STR(shape("[a:b = t'1970-01-01T00:00:00.123456Z']"), "[a:b=ts:123456000]");
    /* years storm_time_ns cannot hold saturate, so they still order correctly */
    CHECK_STR(shape("[a:b < t'3012-08-17T17:43:55.5Z']"), "[a:b<ts:9223372036854775807]");
    CHECK_STR(shape("[a:b > t'0001-01-01T00:00:00Z']"), "[a:b>ts:-9223372036854775808]");
    CHECK(strstr(shape("[a:b > t'3012-02-30T00:00:00Z']"), "no such date") != NULL);
    CHECK(strstr(shape("[a:b > t'3012-02-29T00:00:00Z']"), "ERROR") == NULL); /* 3012 is a leap year */
    CHECK(strstr(shape("[a:b > t'3013-02-29T00:00:00Z']"), "no such date") != NULL);
    CHECK(strstr(shape("[a:b > t'9999-12-31T23:59:59z']"), "upper-case 'Z'") != NULL);
    /* invalid content, each pointing at the literal or the bad character */
    CHECK_STR(error_of("[a:b = b'']"), "8+3: invalid binary literal b'': base64 text needs at least one group of "
                                       "four characters");
    CHECK_STR(error_of("[a:b = b'YW=I']"), "12+1: invalid base64 in b'YW=I': '=' may only pad the end");
    CHECK_STR(error_of("[a:b = b'Y*=='] "),
              "11+1: invalid base64 in b'Y*==': '*' is not a base64 character (A-Z a-z 0-9 + /)");
    CHECK_STR(error_of("[a:b = h'0g']"), "11+1: invalid hex literal h'0g': 'g' is not a hex digit (0-9 a-f A-F)");
    CHECK_STR(error_of("[a:b = t'2010-05-21T13:21:43z']"),
              "8+23: invalid timestamp t'2010-05-21T13:21:43z': the zone must be an upper-case 'Z'");
    CHECK_STR(error_of("[a:b = t'2010-05-21t13:21:43Z']"),
              "8+23: invalid timestamp t'2010-05-21t13:21:43Z': the date and time must be separated by an "
              "upper-case 'T'");
    CHECK_STR(error_of("[a:b = t'2010-02-30T13:21:43Z']"),
              "8+23: invalid timestamp t'2010-02-30T13:21:43Z': no such date or time (month 01-12, a day the month "
              "has, hour 00-23, minute 00-59, second 00-60)");
    CHECK_STR(error_of("[a:b = t'2010-05-21T13:21:43']"),
              "8+22: invalid timestamp t'2010-05-21T13:21:43': it must end with 'Z' (UTC)");
    CHECK_STR(error_of("[a:b = t'2010-05-21T13:21:43+02:00']"),
              "8+28: invalid timestamp t'2010-05-21T13:21:43+02:00': the time must be UTC, written with a final 'Z' "
              "(no offset such as +02:00)");
}

/* ---- shapes and precedence ---- */

static void test_shapes(void)
{
    CHECK_STR(shape("[process:name = 'nsenter']"), "[process:name='nsenter']");
    /* comparison: AND binds tighter than OR; parentheses regroup */
    CHECK_STR(shape("[a:x = 1 OR a:y = 2 AND a:z = 3]"), "[(or a:x=1 (and a:y=2 a:z=3))]");
    CHECK_STR(shape("[(a:x = 1 OR a:y = 2) AND a:z = 3]"), "[(and (or a:x=1 a:y=2) a:z=3)]");
    CHECK_STR(shape("[a:x = 1 AND a:y = 2 AND a:z = 3]"), "[(and (and a:x=1 a:y=2) a:z=3)]");
    /* observation: FOLLOWEDBY < OR < AND */
    CHECK_STR(shape("[a:x = 1] FOLLOWEDBY [a:y = 2] OR [a:z = 3] AND [a:w = 4]"),
              "(FOLLOWEDBY [a:x=1] (OR [a:y=2] (AND [a:z=3] [a:w=4])))");
    CHECK_STR(shape("[a:x = 1] AND [a:y = 2] OR [a:z = 3] FOLLOWEDBY [a:w = 4]"),
              "(FOLLOWEDBY (OR (AND [a:x=1] [a:y=2]) [a:z=3]) [a:w=4])");
    CHECK_STR(shape("[a:x = 1] FOLLOWEDBY [a:y = 2] FOLLOWEDBY [a:z = 3]"),
              "(FOLLOWEDBY (FOLLOWEDBY [a:x=1] [a:y=2]) [a:z=3])");
    CHECK_STR(shape("([a:x = 1] FOLLOWEDBY [a:y = 2]) AND [a:z = 3]"), "(AND (FOLLOWEDBY [a:x=1] [a:y=2]) [a:z=3])");
    CHECK_STR(shape("[a:x = 1] OR [a:y = 2] OR [a:z = 3]"), "(OR (OR [a:x=1] [a:y=2]) [a:z=3])");
    /* qualifiers bind to the observation expression just before them, and chain */
    CHECK_STR(shape("[a:x = 1] AND [a:y = 2] WITHIN 5 SECONDS"), "(AND [a:x=1] (WITHIN 5 [a:y=2]))");
    CHECK_STR(shape("([a:x = 1] AND [a:y = 2]) WITHIN 2.5 SECONDS"), "(WITHIN 2.5f (AND [a:x=1] [a:y=2]))");
    CHECK_STR(shape("[a:x = 1] REPEATS 3 TIMES WITHIN 60 SECONDS"), "(WITHIN 60 (REPEATS 3 [a:x=1]))");
    CHECK_STR(shape("[a:x = 1] START t'1970-01-01T00:00:01Z' STOP t'1970-01-01T00:00:02Z'"),
              "(STARTSTOP 1000000000 2000000000 [a:x=1])");
    CHECK_STR(shape("[a:x = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS"), "(WITHIN 6 (WITHIN 5 [a:x=1]))");
    CHECK_STR(shape("[a:x = 1] WITHIN .5 SECONDS"), "(WITHIN 0.5f [a:x=1])");
    CHECK_STR(shape("[a:x = 1] REPEATS 0 TIMES"), "(REPEATS 0 [a:x=1])"); /* 0 is an error when matching */
    /* every operator, NOT, sets */
    CHECK_STR(shape("[a:b != 1 AND a:b < 1 AND a:b <= 1 AND a:b > 1 AND a:b >= 1]"),
              "[(and (and (and a:b!=1 a:b<1) a:b<=1) (and a:b>1 a:b>=1))]");
    CHECK_STR(shape("[a:b == 1 OR a:b <> 1]"), "[(or a:b=1 a:b!=1)]");
    CHECK_STR(shape("[a:b NOT IN ('x', 2, 3.5, true, h'01') AND a:c IN ()]"),
              "[(and a:b NOT IN('x',2,3.5f,true,hex:01) a:c IN())]");
    CHECK_STR(shape("[a:b NOT LIKE 'a%' OR a:b MATCHES '^x\\\\d$' OR a:b ISSUBSET '10.0.0.0/8' OR "
                    "a:b NOT ISSUPERSET '10.0.0.0/8']"),
              "[(or (or a:b NOT LIKE'a%' a:b MATCHES'^x\\d$') (or a:b ISSUBSET'10.0.0.0/8' a:b NOT "
              "ISSUPERSET'10.0.0.0/8'))]");
    CHECK_STR(shape("[a:b NOT = 1 AND a:b NOT < 2]"), "[(and a:b NOT =1 a:b NOT <2)]");
    CHECK_STR(shape("[EXISTS process:parent_ref.name]"), "[EXISTS process:parent_ref.name]");
    /* object paths: quoted components, indexes, any, hyphenated type */
    CHECK_STR(shape("[file:hashes.'SHA-256' = 'x']"), "[file:hashes.SHA-256='x']");
    CHECK_STR(shape("[x-k8s-pod:spec.containers[0].'security-context'.privileged = true]"),
              "[x-k8s-pod:spec.containers[0].security-context.privileged=true]");
    CHECK_STR(shape("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'curl%']"),
              "[network-traffic:extensions.http-request-ext.request_header.User-Agent LIKE'curl%']");
    CHECK_STR(shape("[a:b[*].c[-1] = 1]"), "[a:b[*].c[-1]=1]");
    CHECK_STR(shape("[a:'quoted first' = 1]"), "[a:quoted first=1]");
    /* whitespace is free between tokens, and no whitespace is needed */
    CHECK_STR(shape("( [ ( a:b IN(443,6443) AND a:c!=0 ) ] )"), "[(and a:b IN(443,6443) a:c!=0)]");
    CHECK_STR(shape("[a:b='x']AND[a:c MATCHES'y']"), "(AND [a:b='x'] [a:c MATCHES'y'])");
    /* balanced chains: same operands, in source order, logarithmic depth */
    CHECK_STR(shape("[a:b=1 OR a:b=2 OR a:b=3 OR a:b=4]"), "[(or (or a:b=1 a:b=2) (or a:b=3 a:b=4))]");
}

static void test_spec_versions(void)
{
    const char *p20 = "[a:b = 1] START '1994-11-29T13:37:57Z' STOP '1994-11-29T13:37:58Z'";
    pat_obs *o = parse_spec(p20, STORM_SPEC_20);
    CHECK(o && o->kind == PAT_OBS_STARTSTOP && !o->times_invalid);
    CHECK(o && o->start == 786116277LL * 1000000000LL && o->stop == 786116278LL * 1000000000LL);
    CHECK(o && o->start_lit.type == PAT_LIT_STRING && o->start_lit.span.start == 16 && o->stop_lit.span.end == 66);
    /* a 2.0 string that is no timestamp parses; the matcher reports it */
    o = parse_spec("[a:b = 1] START '1994-11-29t13:37:58Z' STOP '1994-11-29T13:37:58Z'", STORM_SPEC_20);
    CHECK(o && o->kind == PAT_OBS_STARTSTOP && o->times_invalid);
    /* 2.1 needs t'...' */
    CHECK(parse_spec(p20, STORM_SPEC_21) == NULL);
    CHECK(strstr(last_err.msg, "plain strings are STIX 2.0") != NULL);
    CHECK(parse_spec("[a:b = 1] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'", STORM_SPEC_20));
    /* the 2.1 language (NOT with =, EXISTS, float WITHIN) is accepted for 2.0 too */
    CHECK(parse_spec("[EXISTS a:b AND a:c NOT = 1] WITHIN .5 SECONDS", STORM_SPEC_20));
}

/* ---- spans ---- */

static void test_spans(void)
{
    const char *t = "([a:b.c[0] = 'x'] OR [d:e IN (1, 2)]) WITHIN 5 SECONDS";
    pat_obs *o = parse_spec(t, STORM_SPEC_21);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK(o->kind == PAT_OBS_WITHIN);
    CHECK(o->span.start == 0 && o->span.end == strlen(t));
    CHECK(o->qual_span.start == 38 && o->qual_span.end == strlen(t));
    CHECK(o->within.span.start == 45 && o->within.span.end == 46);
    pat_obs *orr = o->left;
    CHECK(orr->kind == PAT_OBS_OR && orr->span.start == 1 && orr->span.end == 36);
    pat_obs *l = orr->left, *r = orr->right;
    CHECK(l->kind == PAT_OBS_LEAF && l->leaf_index == 0 && l->span.start == 1 && l->span.end == 17);
    CHECK(r->kind == PAT_OBS_LEAF && r->leaf_index == 1 && r->span.start == 21 && r->span.end == 36);
    const pat_cmp *c = l->cmp;
    CHECK(c->span.start == 2 && c->span.end == 16);
    CHECK(c->path.span.start == 2 && c->path.span.end == 10);
    CHECK(c->path.n_steps == 3);
    CHECK(c->path.steps[0].span.start == 4 && c->path.steps[0].span.end == 5);  /* b */
    CHECK(c->path.steps[1].span.start == 6 && c->path.steps[1].span.end == 7);  /* c */
    CHECK(c->path.steps[2].span.start == 7 && c->path.steps[2].span.end == 10); /* [0] */
    CHECK(c->values[0].span.start == 13 && c->values[0].span.end == 16);
    const pat_cmp *in = r->cmp;
    CHECK(in->op == PAT_OP_IN && in->n_values == 2 && in->span.start == 22 && in->span.end == 35);
    CHECK(in->values[1].span.start == 33 && in->values[1].span.end == 34);
    /* a binary node spans its operands' parentheses */
    o = parse_spec("([a:b = 1]) AND ([c:d = 2])", STORM_SPEC_21);
    CHECK(o && o->kind == PAT_OBS_AND && o->span.start == 0 && o->span.end == 27);
    CHECK(o && o->left->span.start == 1 && o->left->span.end == 10);
}

/* ---- errors ---- */

static void test_errors(void)
{
    CHECK_STR(error_of("[process:name MATCH '^sh$']"),
              "15+5: expected a comparison operator after 'process:name', found 'MATCH' (did you mean 'MATCHES'?)");
    CHECK_STR(error_of("[process:name like 'ns%']"),
              "15+4: expected a comparison operator after 'process:name', found 'like' (keywords are upper-case: "
              "write 'LIKE')");
    CHECK_STR(error_of(""), "1+0: the pattern is empty: expected an observation expression such as "
                            "[file:name = 'token']");
    CHECK_STR(error_of("  /* only a comment */ "), "24+0: the pattern is empty: expected an observation expression "
                                                   "such as [file:name = 'token']");
    CHECK_STR(error_of("[a:b = 1] and [c:d = 2]"),
              "11+3: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found 'and' "
              "(keywords are upper-case: write 'AND')");
    CHECK_STR(error_of("[a:b = 1] [c:d = 2]"),
              "11+1: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found '[' "
              "(join observation expressions with AND, OR or FOLLOWEDBY)");
    CHECK_STR(error_of("[a:b = 1"),
              "9+0: expected AND, OR or ']' after the comparison, found the end of the pattern (the '[' at column 1 "
              "is not closed)");
    CHECK_STR(error_of("([a:b = 1] OR [a:c = 2]"),
              "24+0: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or ')', found the end of the pattern (the "
              "'(' at column 1 is not closed)");
    CHECK_STR(error_of("[a:b = 1] WITHIN 5"), "19+0: expected SECONDS after 'WITHIN 5', found the end of the pattern");
    CHECK_STR(error_of("[a:b = 'it's']"),
              "12+1: expected AND, OR or ']' after the comparison, found 's' (a quote inside a string is written \\')");
    CHECK_STR(error_of("[a:b = 1] WITHIN 5 second"),
              "20+6: expected SECONDS after 'WITHIN 5', found 'second' (did you mean 'SECONDS'?)");
    CHECK_STR(error_of("[a:b = 1] WITHIN -5 SECONDS"),
              "18+2: WITHIN needs a positive number of seconds, found the number -5");
    CHECK_STR(error_of("[a:b = 1] WITHIN SECONDS"),
              "18+7: expected a number of seconds after WITHIN, as in WITHIN 300 SECONDS, found 'SECONDS'");
    CHECK_STR(error_of("[a:b = 1] REPEATS 2.5 TIMES"),
              "19+3: expected a whole number after REPEATS, as in REPEATS 5 TIMES, found the number 2.5");
    CHECK_STR(error_of("[a:b = 1] REPEATS 2"), "20+0: expected TIMES after 'REPEATS 2', found the end of the pattern");
    CHECK_STR(error_of("[a:b = 1] START t'2020-01-01T00:00:00Z'"),
              "40+0: expected STOP after the START time, found the end of the pattern");
    CHECK_STR(error_of("[file.size = 1]"),
              "6+1: expected ':' after the object type 'file' (an object path is type:property, e.g. "
              "process:command_line), found '.'");
    CHECK_STR(error_of("[file = 1]"),
              "7+1: expected ':' after the object type 'file' (an object path is type:property, e.g. "
              "process:command_line), found '='");
    CHECK_STR(error_of("[file: = 1]"), "8+1: expected a property name after 'file:', found '='");
    CHECK_STR(error_of("[file:a. = 1]"), "10+1: expected a property name after '.', found '='");
    CHECK_STR(error_of("[file:a[x] = 1]"),
              "9+1: expected a list index (a whole number or '*') after '[' in an object path, found 'x'");
    CHECK_STR(error_of("[file:a[0 = 1]"), "11+1: expected ']' to close the list index, found '='");
    CHECK_STR(error_of("[file:IN = 1]"), "7+2: 'IN' is a reserved word: quote it to use it as a property name ('IN')");
    CHECK_STR(error_of("[AND:b = 1]"),
              "2+3: expected an object path (type:property) or EXISTS, found the reserved word 'AND'");
    CHECK_STR(error_of("file:size = 1"),
              "1+4: expected '[' or '(' to start an observation expression, found 'file' (comparisons go inside "
              "square brackets: [file:name = 'token'])");
    CHECK_STR(error_of("[a:b = 1] )"),
              "11+1: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found ')' (this "
              "')' has no matching '(')");
    CHECK_STR(error_of("[a:b = ]"),
              "8+1: expected a value after '=' (a string 'x', a number, true, false, b'...', h'...' or t'...'), found "
              "']'");
    CHECK_STR(error_of("[a:b IN 'x']"),
              "9+3: expected a set in parentheses after IN, e.g. ('nsenter', 'unshare'), found the string 'x'");
    CHECK_STR(error_of("[a:b IN ('x' 'y')]"), "14+3: expected ',' or ')' in the set, found the string 'y'");
    CHECK_STR(error_of("[a:b MATCHES 5]"), "14+1: expected a string after MATCHES, found the number 5");
    CHECK_STR(error_of("[a:b = TRUE]"),
              "8+4: expected a value after '=' (a string 'x', a number, true, false, b'...', h'...' or t'...'), found "
              "'TRUE' (booleans are lower-case: true, false)");
    CHECK_STR(error_of("[NOT a:b = 1]"),
              "2+3: NOT goes between the object path and the operator, as in file:name NOT = 'token'");
    CHECK_STR(error_of("[a:b NOT]"), "9+1: expected a comparison operator after NOT, found ']'");
    CHECK_STR(error_of("[(a:b = 1]"),
              "10+1: expected AND, OR or ')' after the comparison, found ']' (the '(' at column 2 "
              "is not closed)");
    CHECK_STR(error_of("[a:b = 'x' AND]"),
              "15+1: expected a comparison such as file:name = 'token' inside '[ ]', found ']'");
    CHECK_STR(error_of("[a:b = 1] STOP t'2020-01-01T00:00:00Z'"),
              "11+4: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found 'STOP' "
              "(STOP comes after START t'...')");
    /* the position counts characters, not bytes */
    CHECK_STR(error_of("[a:b = 'é' OR]"),
              "14+1: expected a comparison such as file:name = 'token' inside '[ ]', found ']'");
    /* a multi-line pattern: line and column */
    CHECK(parse_spec("[a:b = 1]\n  AND [c:d = 2\n]]", STORM_SPEC_21) == NULL);
    CHECK(last_err.line == 3 && last_err.col == 2 && last_err.offset == 26);
    /* err may be NULL; a prior error in err is kept (first error wins) */
    pat_obs *root;
    unsigned n;
    CHECK(pattern_parse(arena, "[", 1, STORM_SPEC_21, &root, &n, NULL) == STORM_ERR_SYNTAX && root == NULL);
    storm_err e;
    storm_err_clear(&e);
    storm_err_set(&e, STORM_ERR_IO, 3, "earlier");
    CHECK(pattern_parse(arena, "[", 1, STORM_SPEC_21, &root, &n, &e) == STORM_ERR_SYNTAX);
    CHECK_STR(e.msg, "earlier");
}

/* ---- limits ---- */

static char *repeat_pattern(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * times + tl + 1);
    if (!s)
        return NULL;
    memcpy(s, head, hl);
    for (size_t i = 0; i < times; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * times, tail, tl + 1);
    return s;
}

static void test_limits(void)
{
    /* 255 '(' plus the '[' nest 256 levels: allowed; one more is not */
    char *s = repeat_pattern("", "(", 255, "[a:b = 1]");
    size_t n = strlen(s);
    s = realloc(s, n + 256);
    memset(s + n, ')', 255);
    s[n + 255] = '\0';
    CHECK(parse_spec(s, STORM_SPEC_21) != NULL);
    free(s);
    s = repeat_pattern("", "(", 256, "[a:b = 1]");
    CHECK(parse_spec(s, STORM_SPEC_21) == NULL && last_err.rc == STORM_ERR_LIMIT);
    CHECK(strstr(last_err.msg, "more than 256 levels") != NULL && last_err.offset == 256);
    free(s);
    /* very deep nesting never recurses deeply: an error, not a crash */
    s = repeat_pattern("[", "(", 200000, "");
    CHECK(parse_spec(s, STORM_SPEC_21) == NULL && last_err.rc == STORM_ERR_LIMIT);
    free(s);
    /* 80 000 ORed comparisons: accepted, and the tree stays shallow */
    s = repeat_pattern("[a:b = 0", " OR a:b = 1", 80000, "]");
    pat_obs *o = parse_spec(s, STORM_SPEC_21);
    CHECK(o != NULL);
    CHECK(o && obs_height(o) <= 20);
    free(s);
    s = repeat_pattern("[a:b = 0]", " AND [a:b = 1]", 50000, "");
    o = parse_spec(s, STORM_SPEC_21);
    CHECK(o && obs_height(o) <= 20);
    free(s);
    /* long FOLLOWEDBY and qualifier chains are deep by nature: refused past the limit */
    s = repeat_pattern("[a:b = 0]", " FOLLOWEDBY [a:b = 1]", 2000, "");
    CHECK(parse_spec(s, STORM_SPEC_21) == NULL && last_err.rc == STORM_ERR_LIMIT);
    free(s);
    s = repeat_pattern("[a:b = 0]", " REPEATS 2 TIMES", 2000, "");
    CHECK(parse_spec(s, STORM_SPEC_21) == NULL && last_err.rc == STORM_ERR_LIMIT);
    free(s);
    s = repeat_pattern("[a:b = 0]", " FOLLOWEDBY [a:b = 1]", 500, "");
    CHECK(parse_spec(s, STORM_SPEC_21) != NULL);
    free(s);
    /* the length cap */
    pat_obs *root;
    unsigned nl;
    storm_err e = {0};
    s = repeat_pattern("[a:b = '", "x", STORM_PATTERN_MAX_LEN, "']");
    CHECK(pattern_parse(arena, s, strlen(s), STORM_SPEC_21, &root, &nl, &e) == STORM_ERR_LIMIT);
    CHECK(e.offset == 0 && e.line == 1 && e.col == 1);
    free(s);
}

/* ---- the public API: storm_pattern_compile / text / free ---- */

static void test_public_api(void)
{
    const char *t = "[process:x_proc_name = 'nsenter'] FOLLOWEDBY [file:name = 'token'] WITHIN 60 SECONDS";
    storm_pattern *p = NULL;
    storm_err e;
    storm_err_clear(&e);
    CHECK(storm_pattern_compile(t, strlen(t), STORM_SPEC_21, &p, &e) == STORM_OK && p != NULL);
    CHECK(e.rc == STORM_OK);
    CHECK_STR(storm_pattern_text(p), t);
    CHECK(p && p->n_leaves == 2 && p->leaves[0]->leaf_index == 0 && p->leaves[1]->leaf_index == 1);
    CHECK(p && p->leaves[0]->span.start == 0 && p->leaves[1]->span.start == 45);
    storm_pattern_free(p);
    storm_pattern_free(NULL);
    /* the text is copied: the caller's buffer may go away; it need not be NUL-terminated */
    char buf[] = "[a:b = 1]XXXX";
    p = NULL;
    CHECK(storm_pattern_compile(buf, 9, STORM_SPEC_20, &p, NULL) == STORM_OK);
    memset(buf, 'Z', sizeof buf - 1);
    CHECK_STR(storm_pattern_text(p), "[a:b = 1]");
    storm_pattern_free(p);
    /* errors: rc, message, position of the offending token */
    const char *bad = "[process:name MATCH 'x']";
    p = (storm_pattern *)1;
    CHECK(storm_pattern_compile(bad, strlen(bad), STORM_SPEC_21, &p, &e) == STORM_ERR_SYNTAX && p == NULL);
    CHECK(e.rc == STORM_ERR_SYNTAX && e.offset == 14 && e.len == 5 && e.line == 1 && e.col == 15);
    CHECK_STR(e.msg, "expected a comparison operator after 'process:name', found 'MATCH' (did you mean 'MATCHES'?)");
    char out[1024];
    storm_err_format(&e, "pattern", "test", bad, strlen(bad), out, sizeof out);
    CHECK_STR(out, "pattern error at test, line 1, column 15: expected a comparison operator after 'process:name', "
                   "found 'MATCH' (did you mean 'MATCHES'?)\n[process:name MATCH 'x']\n              ^^^^^");
    /* a stale error in err is replaced: compile reports this pattern's problem */
    storm_err_set(&e, STORM_ERR_IO, 0, "stale");
    CHECK(storm_pattern_compile("[", 1, STORM_SPEC_21, &p, &e) == STORM_ERR_SYNTAX && e.rc == STORM_ERR_SYNTAX);
    CHECK(storm_pattern_compile("[a:b = 1]", 9, (storm_spec)3, &p, &e) == STORM_ERR_STATE && p == NULL);
}

/* ---- the OASIS vectors, parse only ---- */

static void test_conformance(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/conformance/stix-pattern-cases.jsonl", root ? root : ".");
    char *data = NULL;
    size_t len = 0;
    storm_err e = {0};
    CHECK(storm_read_file(path, 64u << 20, &data, &len, &e) == STORM_OK);
    if (!data)
        return;
    storm_arena *ja = storm_arena_new(0, 0);
    int cases = 0, must_fail = 0;
    for (char *line = data; line < data + len;) {
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(data + len - line);
        storm_arena_reset(ja);
        storm_value *v = NULL;
        if (ll > 0 && storm_json_parse(ja, line, ll, 0, &v, NULL, NULL) == STORM_OK) {
            const char *pattern = storm_v_get_str(v, "pattern");
            const char *sv = storm_v_get_str(v, "spec_version");
            const char *error = storm_v_get_str(v, "error");
            bool want_fail = error && strcmp(error, "ParseException") == 0;
            storm_spec spec = sv && strcmp(sv, "2.0") == 0 ? STORM_SPEC_20 : STORM_SPEC_21;
            bool parsed = pattern && parse_spec(pattern, spec) != NULL;
            if (parsed == want_fail) {
                test_failed++;
                fprintf(stderr, "FAIL conformance %s: %s (%s)\n", storm_v_get_str(v, "id"), pattern,
                        parsed ? "parsed but must not" : last_err.msg);
            } else {
                test_passed++;
            }
            cases++;
            must_fail += want_fail;
        }
        line += ll + 1;
    }
    CHECK(cases == 570);
    CHECK(must_fail > 10);
    storm_arena_free(ja);
    free(data);
}

/* Valid patterns that can never match: AND over different types in one [...] */
static void test_never_matches(void)
{
    static const struct {
        const char *text;
        bool never;
    } cases[] = {
        {"[process:pid = 1 AND file:name = 'x']", true},
        {"[process:pid = 1 AND process:name = 'x']", false},
        {"[process:pid = 1 OR file:name = 'x']", false},
        {"[(process:pid = 1 OR file:name = 'x') AND file:size = 2]", false},
        {"[(process:pid = 1 OR file:name = 'x') AND user-account:user_id = '0']", true},
        {"[process:pid = 1] AND [file:name = 'x']", false},
        {"[a:x = 1] FOLLOWEDBY [a:y = 1 AND b:z = 2]", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        storm_pattern *p = NULL;
        storm_err err;
        storm_err_clear(&err);
        CHECK(storm_pattern_compile(cases[i].text, strlen(cases[i].text), STORM_SPEC_21, &p, &err) == STORM_OK);
        storm_err warn;
        storm_err_clear(&warn);
        bool never = storm_pattern_never_matches(p, &warn);
        if (never != cases[i].never)
            fprintf(stderr, "  never_matches(%s) = %d\n", cases[i].text, never);
        CHECK(never == cases[i].never);
        if (never)
            CHECK(warn.line == 1 && warn.col > 1 && strstr(warn.msg, "never match") != NULL);
        storm_pattern_free(p);
    }
}

int main(void)
{
    arena = storm_arena_new(0, 0);
    RUN(test_lex_tokens);
    RUN(test_lex_errors);
    RUN(test_literals);
    RUN(test_shapes);
    RUN(test_spec_versions);
    RUN(test_spans);
    RUN(test_errors);
    RUN(test_limits);
    RUN(test_public_api);
    RUN(test_conformance);
    RUN(test_never_matches);
    storm_arena_free(arena);
    return test_report("test_parse");
}
