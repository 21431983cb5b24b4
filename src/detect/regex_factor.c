/* SPDX-License-Identifier: Apache-2.0 */
/* Literal factors of a regular expression (regex_factor.h). The walk reads
 * the expression's top level only: a group, a class, a dot or an escape
 * class ends the current run of literal characters, and a quantifier that
 * allows zero takes its character out of the run. Anything it does not
 * know for certain makes it give up (no factors), since a factor that a
 * match need not contain would lose matches. */
#include "regex_factor.h"

#include <string.h>

#define RUNS_KEPT 32 /* runs remembered before the longest are chosen */

typedef struct runs {
    regex_factor kept[RUNS_KEPT];
    size_t n;
    regex_factor cur;
} runs;

static void run_end(runs *r)
{
    if (r->cur.len >= REGEX_FACTOR_MIN_LEN) {
        size_t at = r->n;
        if (r->n < RUNS_KEPT) {
            r->n++;
        } else { /* full: replace the shortest when this one is longer */
            at = 0;
            for (size_t i = 1; i < r->n; i++)
                if (r->kept[i].len < r->kept[at].len)
                    at = i;
            if (r->kept[at].len >= r->cur.len)
                at = RUNS_KEPT;
        }
        if (at < RUNS_KEPT)
            r->kept[at] = r->cur;
    }
    r->cur.len = 0;
}

static void run_add(runs *r, char c, bool at_start)
{
    if (r->cur.len == 0)
        r->cur.at_start = at_start;
    /* a run longer than a factor keeps its start, which a match holds too */
    if (r->cur.len < REGEX_FACTOR_TEXT)
        r->cur.text[r->cur.len++] = c;
}

/* Index just past the class that starts at re[i] ('['), or 0 when it does
 * not end. */
static size_t skip_class(const char *re, size_t i)
{
    size_t j = i + 1;
    if (re[j] == '^')
        j++;
    if (re[j] == ']') /* a leading ']' is a member */
        j++;
    while (re[j]) {
        if (re[j] == '\\') {
            if (!re[j + 1])
                return 0;
            j += 2;
        } else if (re[j] == '[' && re[j + 1] == ':') { /* [:alpha:] */
            const char *end = strstr(re + j + 2, ":]");
            if (!end)
                return 0;
            j = (size_t)(end - re) + 2;
        } else if (re[j] == ']') {
            return j + 1;
        } else {
            j++;
        }
    }
    return 0;
}

/* Index just past the group that starts at re[i] ('('), or 0 when it does
 * not end. */
static size_t skip_group(const char *re, size_t i)
{
    size_t depth = 0, j = i;
    while (re[j]) {
        if (re[j] == '\\') {
            if (!re[j + 1])
                return 0;
            j += 2;
        } else if (re[j] == '[') {
            if (!(j = skip_class(re, j)))
                return 0;
        } else {
            if (re[j] == '(')
                depth++;
            else if (re[j] == ')' && --depth == 0)
                return j + 1;
            j++;
        }
    }
    return 0;
}

enum { Q_NONE, Q_OPTIONAL, Q_REPEATED, Q_BAD };

/* The quantifier at re[*i], if any, read past (with a lazy or possessive
 * mark): none, one that allows zero, one that needs at least one, or a
 * '{' that is not a quantifier (PCRE reads it as text; not vouched for). */
static int quantifier(const char *re, size_t *i)
{
    size_t j = *i;
    int q = Q_NONE;
    if (re[j] == '*' || re[j] == '?') {
        q = Q_OPTIONAL;
        j++;
    } else if (re[j] == '+') {
        q = Q_REPEATED;
        j++;
    } else if (re[j] == '{') {
        size_t k = j + 1, min = 0, digits = 0;
        while (re[k] >= '0' && re[k] <= '9') {
            min = min > 1000 ? min : min * 10 + (size_t)(re[k] - '0');
            k++;
            digits++;
        }
        if (!digits)
            return Q_BAD;
        if (re[k] == ',') {
            k++;
            while (re[k] >= '0' && re[k] <= '9')
                k++;
        }
        if (re[k] != '}')
            return Q_BAD;
        q = min == 0 ? Q_OPTIONAL : Q_REPEATED;
        j = k + 1;
    }
    if (q != Q_NONE && (re[j] == '?' || re[j] == '+'))
        j++;
    *i = j;
    return q;
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t regex_factors(const char *re, regex_factor out[REGEX_FACTORS_MAX])
{
    runs r;
    r.n = 0;
    r.cur.len = 0;
    size_t i = 0;
    while (re[i]) {
        size_t atom = i;
        char c = re[i], lit = 0;
        bool literal = false;
        switch (c) {
        case '|': /* an alternation: no text is common to every branch */
        case ')':
        case '*':
        case '+':
        case '?':
        case '{': return 0;
        case '^':
        case '$': i++; break;
        case '.': i++; break;
        case '[':
            if (!(i = skip_class(re, i)))
                return 0;
            break;
        case '(':
            /* (?i), (?x), (?#...) change how the rest reads; (?:...) not */
            if (re[i + 1] == '?' && re[i + 2] != ':')
                return 0;
            if (!(i = skip_group(re, i)))
                return 0;
            break;
        case '\\': {
            char d = re[i + 1];
            if ((unsigned char)d >= 0x80 || (unsigned char)d < 0x20)
                return 0;
            if (is_alnum(d)) {
                /* classes and assertions take no fixed text; any other
                 * lettered escape (\x, \Q, \p, \1...) is not vouched for */
                if (!strchr("dDwWsShHvVbBAzZG", d))
                    return 0;
            } else {
                literal = true;
                lit = d;
            }
            i += 2;
            break;
        }
        default:
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) {
                literal = true;
                lit = c;
            }
            i++;
        }
        int q = quantifier(re, &i);
        if (q == Q_BAD)
            return 0;
        if (literal && q != Q_OPTIONAL) {
            run_add(&r, lit, atom == 1 && re[0] == '^');
            if (q == Q_REPEATED)
                run_end(&r);
        } else {
            run_end(&r);
        }
    }
    run_end(&r);
    /* the longest first (selection: few runs) */
    size_t n = 0;
    while (n < REGEX_FACTORS_MAX && n < r.n) {
        size_t best = n;
        for (size_t k = n + 1; k < r.n; k++)
            if (r.kept[k].len > r.kept[best].len)
                best = k;
        regex_factor t = r.kept[n];
        r.kept[n] = r.kept[best];
        r.kept[best] = t;
        out[n] = r.kept[n];
        n++;
    }
    return n && out[0].len >= REGEX_FACTOR_NEEDED ? n : 0;
}
