/* SPDX-License-Identifier: Apache-2.0 */
/* The literals a regular expression (or a LIKE pattern) forces on every
 * string it matches, so that a tripwire can filter on them in the kernel:
 * the whole language when it is a few strings, the anchored prefixes or
 * suffixes, or a substring every match contains. Anything the analysis does
 * not understand counts as "any text", so the result is never narrower than
 * the regex (it may be wider: Storm still checks the regex itself). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instrument_int.h"

#define RE_MAX_DEPTH 16

/* What one piece of a regex matches. */
typedef struct frag {
    bool exact; /* matches exactly the strings in e (no anchors inside) */
    lit_set e;  /* kind LIT_EXACT when exact */
    lit_set p;  /* every match starts with one of p ("" = nothing known) */
    lit_set s;  /* every match ends with one of s */
} frag;

typedef struct re_parser {
    const char *re;
    size_t i, n;
    int depth;
} re_parser;

static void set_one(lit_set *l, lit_kind k, const char *s)
{
    l->kind = k;
    l->n = 1;
    snprintf(l->s[0], LIT_MAX_LEN, "%s", s);
}

static void frag_any(frag *f)
{
    f->exact = false;
    set_one(&f->e, LIT_NONE, "");
    f->e.n = 0;
    set_one(&f->p, LIT_PREFIX, "");
    set_one(&f->s, LIT_SUFFIX, "");
}

static void frag_lit(frag *f, char c)
{
    char s[2] = {c, 0};
    f->exact = true;
    set_one(&f->e, LIT_EXACT, s);
    set_one(&f->p, LIT_PREFIX, s);
    set_one(&f->s, LIT_SUFFIX, s);
}

/* a = a x b (concatenation; b after a when !before, before a otherwise).
 * false when the product is too large or too long (a unchanged then). */
static bool cross(lit_set *a, const lit_set *b, bool before)
{
    if (a->n * b->n > LIT_MAX)
        return false;
    lit_set *r = malloc(sizeof *r);
    if (!r)
        return false;
    r->kind = a->kind;
    r->n = 0;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++) {
            const char *x = before ? b->s[j] : a->s[i], *y = before ? a->s[i] : b->s[j];
            if (strlen(x) + strlen(y) >= LIT_MAX_LEN) {
                free(r);
                return false;
            }
            size_t nx = strlen(x), ny = strlen(y); /* checked above: fits */
            memcpy(r->s[r->n], x, nx);
            memcpy(r->s[r->n] + nx, y, ny + 1);
            r->n++;
        }
    *a = *r;
    free(r);
    return true;
}

/* a = a u b; false when too many. */
static bool unite(lit_set *a, const lit_set *b)
{
    for (size_t j = 0; j < b->n; j++) {
        bool dup = false;
        for (size_t i = 0; i < a->n && !dup; i++)
            dup = strcmp(a->s[i], b->s[j]) == 0;
        if (dup)
            continue;
        if (a->n >= LIT_MAX)
            return false;
        memcpy(a->s[a->n++], b->s[j], LIT_MAX_LEN);
    }
    return true;
}

static bool parse_alt(re_parser *r, frag *out, bool *anch_start, bool *anch_end);

/* One atom at r->i (a literal, a class, a group...), then its quantifier. */
static void parse_atom(re_parser *r, frag *f)
{
    char c = r->re[r->i];
    if (c == '(') {
        r->i++;
        bool plain = true;
        if (r->re[r->i] == '?') {
            plain = r->re[r->i + 1] == ':';
            r->i += 2;
        }
        bool as = false, ae = false;
        if (r->depth >= RE_MAX_DEPTH || !parse_alt(r, f, &as, &ae) || !plain || as || ae)
            frag_any(f); /* anchors inside a group: leave it to Storm */
        else {
            /* parse_alt stopped at ')' */
        }
        /* skip to the matching ')' if parse_alt failed early */
        int level = 0;
        while (r->i < r->n && !(r->re[r->i] == ')' && level == 0)) {
            if (r->re[r->i] == '\\')
                r->i++;
            else if (r->re[r->i] == '(')
                level++;
            else if (r->re[r->i] == ')')
                level--;
            r->i++;
        }
        if (r->i < r->n)
            r->i++;
    } else if (c == '[') {
        /* a class of one literal character ([.]) is that character */
        size_t j = r->i + 1;
        if (r->re[j] != '^' && r->re[j] && r->re[j] != '\\' && r->re[j + 1] == ']') {
            frag_lit(f, r->re[j]);
            r->i = j + 2;
        } else {
            frag_any(f);
            j = r->i + 1;
            if (r->re[j] == '^')
                j++;
            if (r->re[j] == ']')
                j++;
            while (j < r->n && r->re[j] != ']') {
                if (r->re[j] == '\\')
                    j++;
                j++;
            }
            r->i = j < r->n ? j + 1 : r->n;
        }
    } else if (c == '\\') {
        char d = r->re[r->i + 1];
        if (d && !((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9')))
            frag_lit(f, d);
        else
            frag_any(f); /* \d \s \w \b, back-references... */
        r->i += d ? 2 : 1;
    } else if (c == '.') {
        frag_any(f);
        r->i++;
    } else {
        frag_lit(f, c);
        r->i++;
    }
    /* quantifier */
    char q = r->re[r->i];
    if (q == '?' || q == '*' || q == '+' || q == '{') {
        bool at_least_one = q == '+';
        if (q == '{') {
            size_t j = r->i + 1;
            at_least_one = r->re[j] >= '1' && r->re[j] <= '9';
            while (j < r->n && r->re[j] != '}')
                j++;
            r->i = j < r->n ? j + 1 : r->n;
        } else {
            r->i++;
        }
        if (r->re[r->i] == '?' || r->re[r->i] == '+')
            r->i++; /* lazy or possessive */
        if (q == '?' && f->exact) {
            lit_set empty;
            set_one(&empty, LIT_EXACT, "");
            if (unite(&f->e, &empty)) {
                f->p = f->e;
                f->p.kind = LIT_PREFIX;
                f->s = f->e;
                f->s.kind = LIT_SUFFIX;
                return;
            }
        }
        if (at_least_one) {
            f->exact = false;
            return;
        }
        frag_any(f);
    }
}

/* A sequence up to '|' or ')' or the end. */
static bool parse_seq(re_parser *r, frag *out, bool *anch_start, bool *anch_end)
{
    *anch_start = *anch_end = false;
    frag *el = malloc(sizeof *el);
    if (!el)
        return false;
    out->exact = true;
    set_one(&out->e, LIT_EXACT, "");
    set_one(&out->p, LIT_PREFIX, "");
    set_one(&out->s, LIT_SUFFIX, "");
    bool prefix_open = true; /* still extending p */
    bool first = true;
    while (r->i < r->n && r->re[r->i] != '|' && r->re[r->i] != ')') {
        if (r->re[r->i] == '^' && first) {
            *anch_start = true;
            r->i++;
            continue;
        }
        if (r->re[r->i] == '$' && (r->i + 1 == r->n || r->re[r->i + 1] == '|' || r->re[r->i + 1] == ')')) {
            *anch_end = true;
            r->i++;
            continue;
        }
        first = false;
        if (r->re[r->i] == '^' || r->re[r->i] == '$') {
            frag_any(el);
            r->i++;
        } else {
            r->depth++;
            parse_atom(r, el);
            r->depth--;
        }
        /* prefix: extend while the elements are exact */
        if (prefix_open) {
            if (el->exact) {
                if (!cross(&out->p, &el->e, false))
                    prefix_open = false;
            } else {
                cross(&out->p, &el->p, false);
                prefix_open = false;
            }
        }
        /* suffix: restart at every inexact element */
        if (el->exact) {
            if (!cross(&out->s, &el->e, false)) {
                set_one(&out->s, LIT_SUFFIX, "");
            }
        } else {
            out->s = el->s;
            out->s.kind = LIT_SUFFIX;
        }
        if (out->exact && (!el->exact || !cross(&out->e, &el->e, false)))
            out->exact = false;
    }
    free(el);
    return true;
}

/* Alternatives up to ')' or the end. */
static bool parse_alt(re_parser *r, frag *out, bool *anch_start, bool *anch_end)
{
    frag *f = malloc(sizeof *f);
    if (!f)
        return false;
    bool ok = true, firstalt = true;
    *anch_start = *anch_end = false;
    for (;;) {
        bool as, ae;
        if (!parse_seq(r, f, &as, &ae)) {
            ok = false;
            break;
        }
        if (firstalt) {
            *out = *f;
        } else {
            if (out->exact && (!f->exact || !unite(&out->e, &f->e)))
                out->exact = false;
            if (!unite(&out->p, &f->p))
                set_one(&out->p, LIT_PREFIX, "");
            if (!unite(&out->s, &f->s))
                set_one(&out->s, LIT_SUFFIX, "");
        }
        *anch_start |= as;
        *anch_end |= ae;
        firstalt = false;
        if (r->i < r->n && r->re[r->i] == '|') {
            r->i++;
            continue;
        }
        break;
    }
    free(f);
    return ok;
}

/* Drop strings that another string of the set already covers (a prefix of
 * them for PREFIX, a suffix for SUFFIX, a substring for CONTAINS). */
static void minimise(lit_set *l)
{
    if (l->kind == LIT_EXACT)
        return;
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        bool covered = false;
        for (size_t j = 0; j < l->n && !covered; j++) {
            if (i == j)
                continue;
            size_t ni = strlen(l->s[i]), nj = strlen(l->s[j]);
            if (nj > ni || (nj == ni && j > i))
                continue;
            if (l->kind == LIT_PREFIX)
                covered = strncmp(l->s[i], l->s[j], nj) == 0;
            else if (l->kind == LIT_SUFFIX)
                covered = memcmp(l->s[i] + ni - nj, l->s[j], nj) == 0;
            else
                covered = strstr(l->s[i], l->s[j]) != NULL;
        }
        if (!covered) {
            if (k != i)
                memcpy(l->s[k], l->s[i], LIT_MAX_LEN);
            k++;
        }
    }
    l->n = k;
}

static size_t min_len(const lit_set *l)
{
    size_t m = (size_t)-1;
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->s[i]) < m)
            m = strlen(l->s[i]);
    return l->n ? m : 0;
}

/* The longest run of literal characters outside groups, in one top-level
 * alternative; "" when none. */
static void literal_run(const char *re, size_t from, size_t to, char *out)
{
    char cur[LIT_MAX_LEN];
    size_t n = 0;
    out[0] = 0;
    int level = 0;
    for (size_t i = from; i < to; i++) {
        char c = re[i], lit = 0;
        bool quantified_next = false;
        size_t next = i + 1;
        if (c == '\\' && i + 1 < to) {
            char d = re[i + 1];
            if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9')))
                lit = d;
            next = i + 2;
        } else if (c == '[' && i + 2 < to && re[i + 1] != '^' && re[i + 1] != '\\' && re[i + 2] == ']') {
            lit = re[i + 1];
            next = i + 3;
        } else if (c == '(') {
            level++;
        } else if (c == ')') {
            level--;
        } else if (c == '{') { /* a quantifier: {2}, {1,}, {1,3} */
            size_t j = i + 1;
            while (j < to && re[j] != '}')
                j++;
            next = j + 1;
        } else if (c == '[') {
            size_t j = i + 1;
            while (j < to && re[j] != ']')
                j += re[j] == '\\' ? 2 : 1;
            next = j + 1;
        } else if (!strchr(".^$|*+?{}", c)) {
            lit = c;
        }
        if (next < to && strchr("?*{", re[next]))
            quantified_next = true;
        if (lit && level == 0 && !quantified_next && n + 1 < LIT_MAX_LEN) {
            cur[n++] = lit;
            cur[n] = 0;
            if (n > strlen(out))
                memcpy(out, cur, n + 1);
        } else {
            n = 0;
        }
        i = next - 1;
    }
}

void regex_literals(const char *re, lit_set *out)
{
    out->kind = LIT_NONE;
    out->n = 0;
    size_t n = strlen(re);
    /* inline options ((?i), (?x)...), verbs ((*UTF)) and \Q..\E change what
     * every later character means: no analysis */
    for (size_t i = 0; i + 1 < n; i++) {
        if (re[i] == '\\') {
            if (re[i + 1] == 'Q')
                return;
            i++;
        } else if (re[i] == '(' && (re[i + 1] == '*' || (re[i + 1] == '?' && re[i + 2] != ':'))) {
            return;
        }
    }
    /* the top-level alternatives, each analysed on its own */
    size_t starts_at[LIT_MAX + 1], k = 0;
    int level = 0;
    starts_at[k++] = 0;
    for (size_t i = 0; i < n; i++) {
        if (re[i] == '\\') {
            i++;
        } else if (re[i] == '[') {
            i++;
            while (i < n && re[i] != ']')
                i += re[i] == '\\' ? 2 : 1;
        } else if (re[i] == '(') {
            level++;
        } else if (re[i] == ')') {
            level--;
        } else if (re[i] == '|' && level == 0) {
            if (k >= LIT_MAX)
                return;
            starts_at[k++] = i + 1;
        }
    }
    starts_at[k] = n + 1;
    lit_set *ex = calloc(1, sizeof *ex), *pre = calloc(1, sizeof *pre), *suf = calloc(1, sizeof *suf),
            *con = calloc(1, sizeof *con);
    frag *f = malloc(sizeof *f);
    if (!ex || !pre || !suf || !con || !f)
        goto done;
    ex->kind = LIT_EXACT;
    pre->kind = LIT_PREFIX;
    suf->kind = LIT_SUFFIX;
    con->kind = LIT_CONTAINS;
    bool all_exact = true, all_pre = true, all_suf = true, all_con = true;
    for (size_t a = 0; a < k; a++) {
        size_t from = starts_at[a], to = starts_at[a + 1] - 1;
        char *sub = strndup(re + from, to - from);
        if (!sub)
            goto done;
        re_parser r = {.re = sub, .n = to - from};
        bool as = false, ae = false;
        bool ok = parse_seq(&r, f, &as, &ae) && r.i == r.n;
        if (ok) {
            lit_set p = f->p, s = f->s;
            if (f->exact) {
                p = f->e;
                s = f->e;
            }
            all_exact = all_exact && f->exact && as && ae && unite(ex, &f->e);
            all_pre = all_pre && as && min_len(&p) > 0 && unite(pre, &p);
            all_suf = all_suf && ae && min_len(&s) > 0 && unite(suf, &s);
        } else {
            all_exact = all_pre = all_suf = false;
        }
        char run[LIT_MAX_LEN];
        literal_run(sub, 0, to - from, run);
        free(sub);
        lit_set one;
        set_one(&one, LIT_CONTAINS, run);
        all_con = all_con && run[0] && unite(con, &one);
    }
    if (all_exact) {
        *out = *ex;
    } else if (all_pre || all_suf) {
        minimise(pre);
        minimise(suf);
        if (all_pre && (!all_suf || min_len(pre) >= min_len(suf)))
            *out = *pre;
        else
            *out = *suf;
    } else if (all_con) {
        minimise(con);
        *out = *con;
    }
done:
    free(ex);
    free(pre);
    free(suf);
    free(con);
    free(f);
}

void like_literals(const char *like, lit_set *out)
{
    out->kind = LIT_NONE;
    out->n = 0;
    size_t n = strlen(like);
    if (n >= LIT_MAX_LEN || strchr(like, '_'))
        return; /* '_' inside: leave it to Storm */
    const char *pct = strchr(like, '%');
    if (!pct) {
        set_one(out, LIT_EXACT, like);
    } else if (pct == like + n - 1 && n > 1) {
        set_one(out, LIT_PREFIX, like);
        out->s[0][n - 1] = 0;
    } else if (pct == like && !strchr(like + 1, '%') && n > 1) {
        set_one(out, LIT_SUFFIX, like + 1);
    } else if (pct == like && like[n - 1] == '%' && n > 2 && !memchr(like + 1, '%', n - 2)) {
        set_one(out, LIT_CONTAINS, like + 1);
        out->s[0][n - 2] = 0;
    }
}
