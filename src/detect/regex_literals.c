/* SPDX-License-Identifier: Apache-2.0 */
#include "regex_literals.h"

#include <stdlib.h>
#include <string.h>

#include "word_hash.h"

/* ---- literal conditions ----
 * A small reader of the regex syntax the models use: literal characters,
 * escaped punctuation, one-character classes ("[.]"), classes, '.', anchors,
 * \d \s \w and their negations, \b \B, (...) and (?:...) groups with '|',
 * and the quantifiers ? * + {n} {n,} {n,m} (lazy or possessive). Anything
 * else fails the whole regex, so that what it returns is always required. */

#define GROUP_DEPTH_MAX 16

typedef struct reader {
    const char *s;
    size_t n, i;
    int depth;
    bool fail;
} reader;

/* Literals one of which a match of a part of the regex holds. pure: the
 * part matches exactly the texts that are one of them. */
typedef struct lset {
    char lit[REGEX_LITERALS_MAX][REGEX_LITERAL_BYTES];
    unsigned char len[REGEX_LITERALS_MAX];
    size_t n;
    bool pure;
} lset;

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t min_len(const lset *r)
{
    size_t m = SIZE_MAX;
    for (size_t i = 0; i < r->n; i++)
        if (r->len[i] < m)
            m = r->len[i];
    return m;
}

/* Is a a better choice than b: longer literals (rarer), then fewer? */
static bool better(const lset *a, const lset *b)
{
    size_t ma = min_len(a), mb = min_len(b);
    return ma > mb || (ma == mb && a->n < b->n);
}

/* A clause of a sequence: kept as the best so far, and added to unit u of
 * out when out is given (a clause that does not fit is left out: a weaker
 * condition). */
static void offer(lset *best, bool *have, const lset *c, regex_literals *out, unsigned u)
{
    if (!*have || better(c, best)) {
        *best = *c;
        *have = true;
    }
    if (!out || out->n_clauses[u] >= REGEX_CLAUSES_MAX || out->n + c->n > REGEX_LITERALS_MAX)
        return;
    for (size_t i = 0; i < c->n; i++) {
        memcpy(out->lit[out->n], c->lit[i], c->len[i]);
        out->len[out->n] = c->len[i];
        out->unit[out->n] = (unsigned char)u;
        out->clause[out->n] = out->n_clauses[u];
        out->n++;
    }
    out->n_clauses[u]++;
}

/* The run of literal characters read so far, offered when it ends. */
static void end_run(char *run, size_t *rlen, lset *best, bool *have, regex_literals *out, unsigned u)
{
    if (!*rlen)
        return;
    static _Thread_local lset c; /* large: not on the stack of every level */
    c.n = 1;
    memcpy(c.lit[0], run, *rlen);
    c.len[0] = (unsigned char)*rlen;
    c.pure = false;
    offer(best, have, &c, out, u);
    *rlen = 0;
}
size_t regex_literals_prefix(const char *re, size_t n, char *out, size_t cap)
{
    if (n == 0 || re[0] != '^')
        return 0;
    size_t i = 1, len = 0;
    while (i < n) {
        unsigned char c = (unsigned char)re[i], lit = c;
        size_t width = 1;
        if (c == '\\') {
            if (i + 1 >= n || is_alnum((unsigned char)re[i + 1]) || (unsigned char)re[i + 1] < 0x20 ||
                (unsigned char)re[i + 1] >= 0x80)
                break; /* a class, an assertion, or an escape not read here */
            lit = (unsigned char)re[i + 1];
            width = 2;
        } else if (c < 0x20 || c >= 0x80 || strchr(".[]()|*+?{}^$", c)) {
            break;
        }
        char q = i + width < n ? re[i + width] : '\0';
        if (q == '?' || q == '*' || q == '{')
            break;
        if (len < cap)
            out[len++] = (char)lit;
        i += width;
        if (q == '+')
            break;
    }
    return len;
}

/* A class at r->i ('['): the one character it holds when it is a single
 * plain character, else -1. */
static int read_class(reader *r)
{
    r->i++;
    bool neg = r->i < r->n && r->s[r->i] == '^';
    if (neg)
        r->i++;
    size_t items = 0;
    int ch = -1;
    if (r->i < r->n && r->s[r->i] == ']') { /* first ']' is a member */
        ch = ']';
        items++;
        r->i++;
    }
    while (r->i < r->n && r->s[r->i] != ']') {
        char c = r->s[r->i];
        if (c == '[' && r->i + 1 < r->n && (r->s[r->i + 1] == ':' || r->s[r->i + 1] == '.' || r->s[r->i + 1] == '=')) {
            const char *end = NULL;
            for (size_t k = r->i + 2; k + 1 < r->n; k++)
                if (r->s[k] == r->s[r->i + 1] && r->s[k + 1] == ']') {
                    end = r->s + k;
                    break;
                }
            if (!end) {
                r->fail = true;
                return -1;
            }
            r->i = (size_t)(end - r->s) + 2;
            items += 2;
        } else if (c == '\\') {
            r->i += 2;
            items += 2;
        } else {
            ch = (unsigned char)c;
            items += c == '-' && items ? 2 : 1;
            r->i++;
        }
    }
    if (r->i >= r->n) {
        r->fail = true;
        return -1;
    }
    r->i++; /* ']' */
    return !neg && items == 1 ? ch : -1;
}

/* A quantifier at r->i, if any: *min the fewest repeats (1 without one).
 * Returns whether there was one. */
static bool read_quant(reader *r, size_t *min)
{
    *min = 1;
    if (r->i >= r->n)
        return false;
    char c = r->s[r->i];
    if (c == '*' || c == '?') {
        *min = 0;
        r->i++;
    } else if (c == '+') {
        r->i++;
    } else if (c == '{') {
        size_t k = r->i + 1, lo = 0, digits = 0;
        while (k < r->n && r->s[k] >= '0' && r->s[k] <= '9') {
            lo = lo < 100000 ? lo * 10 + (size_t)(r->s[k] - '0') : lo;
            k++;
            digits++;
        }
        if (k < r->n && r->s[k] == ',') {
            k++;
            while (k < r->n && r->s[k] >= '0' && r->s[k] <= '9') {
                k++;
                digits++;
            }
        }
        if (k >= r->n || r->s[k] != '}' || !digits) { /* PCRE2 reads it otherwise: not followed here */
            r->fail = true;
            return false;
        }
        *min = lo;
        r->i = k + 1;
    } else {
        return false;
    }
    if (r->i < r->n && (r->s[r->i] == '?' || r->s[r->i] == '+')) /* lazy, possessive */
        r->i++;
    return true;
}

static bool read_alt(reader *r, lset *out);

/* One branch up to '|', ')' or the end: its best clause into *best (false:
 * it has none), every clause into unit u of out when out is given.
 * best->pure: the branch is plain characters only, or one pure group. */
static bool read_seq(reader *r, lset *best, regex_literals *out, unsigned u)
{
    bool have = false;
    char run[REGEX_LITERAL_BYTES];
    size_t rlen = 0, atoms = 0;
    bool plain = true, cut = false, one_group = false;
    lset *group = malloc(sizeof *group);
    if (!group) {
        r->fail = true;
        return false;
    }
    while (!r->fail && r->i < r->n && r->s[r->i] != '|' && r->s[r->i] != ')') {
        unsigned char c = (unsigned char)r->s[r->i];
        int lit = -1;
        bool is_group = false, group_ok = false, zero_width = false;
        atoms++;
        switch (c) {
        case '(':
            r->i++;
            if (r->i < r->n && r->s[r->i] == '?') {
                if (r->i + 1 < r->n && r->s[r->i + 1] == ':') {
                    r->i += 2;
                } else { /* options, lookarounds, names: not read */
                    r->fail = true;
                    break;
                }
            }
            if (++r->depth > GROUP_DEPTH_MAX) {
                r->fail = true;
                break;
            }
            group_ok = read_alt(r, group);
            r->depth--;
            if (r->fail || r->i >= r->n || r->s[r->i] != ')') {
                r->fail = true;
                break;
            }
            r->i++;
            is_group = true;
            break;
        case '[': lit = read_class(r); break;
        case '.': r->i++; break;
        case '^':
        case '$':
            r->i++;
            zero_width = true;
            break;
        case '\\': {
            if (r->i + 1 >= r->n) {
                r->fail = true;
                break;
            }
            unsigned char e = (unsigned char)r->s[r->i + 1];
            r->i += 2;
            if (!is_alnum(e))
                lit = e; /* escaped punctuation or space: itself */
            else if (e == 'b' || e == 'B')
                zero_width = true;
            else if (!strchr("dDsSwW", e)) /* \x, \Q, \p, back references...: not read */
                r->fail = true;
            break;
        }
        case '*':
        case '+':
        case '?':
        case '{':
        case ']':
        case '}': r->fail = true; break;
        default:
            lit = c;
            r->i++;
            break;
        }
        if (r->fail)
            break;
        size_t min;
        bool quant = read_quant(r, &min);
        if (r->fail || (zero_width && quant)) {
            r->fail = true;
            break;
        }
        one_group = is_group && group_ok && !quant && group->pure && atoms == 1;
        if (lit < 0 || quant)
            plain = false;
        if (lit >= 0 && (!quant || min >= 1)) {
            if (rlen < REGEX_LITERAL_BYTES)
                run[rlen++] = (char)lit;
            else
                cut = true; /* the prefix is required too */
            if (quant)      /* what follows a repeat is not next to its first character */
                end_run(run, &rlen, best, &have, out, u);
            continue;
        }
        end_run(run, &rlen, best, &have, out, u);
        if (is_group && group_ok && min >= 1)
            offer(best, &have, group, out, u);
    }
    end_run(run, &rlen, best, &have, out, u);
    free(group);
    if (r->fail)
        return false;
    if (have)
        best->pure = ((plain && !cut) || (one_group && atoms == 1));
    return have;
}

/* Branches separated by '|' up to ')' or the end: every branch's best
 * literals, when each has some. */
static bool read_alt(reader *r, lset *out)
{
    bool all = true;
    out->n = 0;
    out->pure = true;
    lset *branch = malloc(sizeof *branch);
    if (!branch) {
        r->fail = true;
        return false;
    }
    for (;;) {
        bool ok = read_seq(r, branch, NULL, 0);
        if (r->fail)
            break;
        if (!ok || out->n + branch->n > REGEX_LITERALS_MAX) {
            all = false;
        } else if (all) {
            memcpy(out->lit[out->n], branch->lit, branch->n * sizeof branch->lit[0]);
            memcpy(out->len + out->n, branch->len, branch->n);
            out->n += branch->n;
            out->pure = out->pure && branch->pure;
        }
        if (r->i < r->n && r->s[r->i] == '|') {
            r->i++;
            continue;
        }
        break;
    }
    free(branch);
    return !r->fail && all && out->n > 0;
}

/* Leave out of each unit the clauses of one-byte literals when it has a
 * longer one: a byte such as '/' or ' ' is in most values, and looking
 * for it costs at each occurrence (fewer clauses: a weaker condition). */
static void drop_weak_clauses(regex_literals *o)
{
    unsigned char shortest[REGEX_UNITS_MAX][REGEX_CLAUSES_MAX];
    memset(shortest, 0xff, sizeof shortest);
    for (size_t i = 0; i < o->n; i++)
        if (o->len[i] < shortest[o->unit[i]][o->clause[i]])
            shortest[o->unit[i]][o->clause[i]] = o->len[i];
    unsigned char renumber[REGEX_UNITS_MAX][REGEX_CLAUSES_MAX];
    for (unsigned u = 0; u < o->n_units; u++) {
        bool longer = false;
        for (unsigned c = 0; c < o->n_clauses[u]; c++)
            longer = longer || shortest[u][c] > 1;
        unsigned kept = 0;
        for (unsigned c = 0; c < o->n_clauses[u]; c++)
            renumber[u][c] = longer && shortest[u][c] <= 1 ? 0xff : (unsigned char)kept++;
        o->n_clauses[u] = (unsigned char)kept;
    }
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++) {
        unsigned char c = renumber[o->unit[i]][o->clause[i]];
        if (c == 0xff)
            continue;
        if (n != i) {
            memcpy(o->lit[n], o->lit[i], o->len[i]);
            o->len[n] = o->len[i];
            o->unit[n] = o->unit[i];
        }
        o->clause[n++] = c;
    }
    o->n = n;
}

bool regex_literals_of(const char *re, size_t n, regex_literals *out)
{
    reader r = {re, n, 0, 0, false};
    memset(out->n_clauses, 0, sizeof out->n_clauses);
    out->n = 0;
    out->n_units = 0;
    out->exact = true;
    lset *best = malloc(sizeof *best);
    if (!best)
        return false;
    bool ok = true;
    for (;;) {
        if (out->n_units >= REGEX_UNITS_MAX) {
            ok = false;
            break;
        }
        unsigned u = out->n_units++;
        bool have = read_seq(&r, best, out, u);
        if (r.fail || !have || !out->n_clauses[u]) {
            ok = false;
            break;
        }
        out->exact = out->exact && best->pure && out->n_clauses[u] == 1;
        if (r.i < r.n && r.s[r.i] == '|') {
            r.i++;
            continue;
        }
        break;
    }
    free(best);
    if (!ok || r.i != r.n) { /* a stray ')' */
        out->n = 0;
        out->n_units = 0;
        return false;
    }
    drop_weak_clauses(out);
    return true;
}

/* ---- the filter ----
 * Each position of a text is tested against three bitmaps: the byte of
 * one-byte literals, the first two bytes of two- and three-byte ones, a
 * hash of the last four bytes of longer ones. A bit set is checked against
 * the literals, and each literal found sets its clause's bit in its unit;
 * a unit with all of its clauses is a regex that may match. */

#define BITS16 (65536 / 64)
#define FIRST_ONE 1
#define FIRST_SHORT 2

typedef struct lit_entry {
    char *s; /* owned */
    size_t len;
    uint32_t key;  /* one byte: the byte; short: the first two bytes; long: hash16 of the last four */
    uint32_t unit; /* index into the filter's units */
    uint32_t bit;  /* its clause's bit there */
} lit_entry;

typedef struct lit_list {
    lit_entry *e;
    size_t n, alloc;
} lit_list;

/* A text split at its first space (command lines: the binary, a space, the
 * arguments) is looked at part by part: the literals of each part are
 * remembered (binaries and arguments repeat, their joins seldom), and the
 * literals that hold the space itself are checked where it is. */
#define PART_MEMO_SLOTS 8192 /* a power of two */
#define PART_MAX 256         /* longer parts are scanned every time */
#define PART_LITS_MAX 32     /* literals remembered of one part (more: the text is scanned whole) */
#define CROSS_MAX 4096       /* literal spaces (more: no split) */

typedef struct cross_lit {
    const lit_entry *e;
    size_t at; /* the offset of a space in it */
} cross_lit;

/* The literals found in one part (a text's bytes). */
typedef struct part_memo {
    uint64_t hash; /* 0: empty */
    uint32_t len, n;
    uint32_t used; /* part_gen of the last use: the older of two slots goes */
    /* owned: n literal pointers, then the part's len bytes */
    const lit_entry **block;
    size_t cap; /* bytes of block */
} part_memo;

struct regex_filter {
    /* per byte: FIRST_ONE, a one-byte literal is it; FIRST_SHORT, a two-
     * or three-byte literal starts with it */
    uint8_t first[256];
    uint64_t b2[BITS16];
    uint8_t b4[65536 / 8];
    lit_list ones, shorts, longs; /* each sorted by key */
    uint16_t ones_at[257];        /* the one-byte literals of byte b: ones.e[ones_at[b] .. ones_at[b + 1]) */
    uint32_t *unit_need, *unit_have, *unit_gen, *unit_regex;
    size_t n_units;
    bool *exact;       /* per regex */
    uint32_t *hit_gen; /* per regex: generation it was reported in */
    size_t n_regex;
    uint32_t gen;
    /* the literals with a space (each space of each: the literal and the
     * offset), which alone may hold a text's first space (split_scan);
     * split false when there are too many of them */
    cross_lit *cross; /* by the byte before the space (at > 0), then by the byte after it (at 0) */
    uint16_t before_at[257], after_at[257]; /* cross[before_at[b] .. before_at[b + 1]): byte b before */
    size_t n_cross;
    bool split;
    part_memo *parts; /* PART_MEMO_SLOTS, made at the first split; NULL before */
    uint32_t part_gen;
    /* record mode (rec non-NULL): found() notes the literal instead */
    const lit_entry **rec;
    size_t n_rec;
    bool rec_over; /* more than PART_LITS_MAX found */
};

static uint32_t hash16(uint32_t w)
{
    return (w * 0x9E3779B1u) >> 16;
}

static bool bit(const uint64_t *b, uint32_t k)
{
    return (b[k >> 6] >> (k & 63)) & 1;
}

static void set_bit(uint64_t *b, uint32_t k)
{
    b[k >> 6] |= (uint64_t)1 << (k & 63);
}

static void list_free(lit_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].s);
    free(l->e);
}

void regex_filter_free(regex_filter *f)
{
    if (!f)
        return;
    list_free(&f->ones);
    list_free(&f->shorts);
    list_free(&f->longs);
    free(f->unit_need);
    free(f->unit_have);
    free(f->unit_gen);
    free(f->unit_regex);
    free(f->exact);
    free(f->hit_gen);
    free(f->cross);
    if (f->parts)
        for (size_t i = 0; i < PART_MEMO_SLOTS; i++)
            free(f->parts[i].block);
    free(f->parts);
    free(f);
}

/* Add e (its text copied) to l, sorted by key. 0, or -1 out of memory. */
static int list_add(lit_list *l, lit_entry e, const char *s)
{
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 16;
        lit_entry *p = realloc(l->e, na * sizeof *p);
        if (!p)
            return -1;
        l->e = p;
        l->alloc = na;
    }
    e.s = malloc(e.len);
    if (!e.s)
        return -1;
    memcpy(e.s, s, e.len);
    size_t j = l->n;
    while (j > 0 && l->e[j - 1].key > e.key) {
        l->e[j] = l->e[j - 1];
        j--;
    }
    l->e[j] = e;
    l->n++;
    return 0;
}

static int filter_add(regex_filter *f, const char *s, size_t len, uint32_t unit, uint32_t clause_bit)
{
    lit_entry e = {NULL, len, 0, unit, clause_bit};
    if (len == 1) {
        e.key = (unsigned char)s[0];
        f->first[e.key] |= FIRST_ONE;
        return list_add(&f->ones, e, s);
    }
    if (len < 4) {
        e.key = (unsigned char)s[0] | (uint32_t)(unsigned char)s[1] << 8;
        f->first[(unsigned char)s[0]] |= FIRST_SHORT;
        set_bit(f->b2, e.key);
        return list_add(&f->shorts, e, s);
    }
    uint32_t w;
    memcpy(&w, s + len - 4, sizeof w);
    e.key = hash16(w);
    f->b4[e.key >> 3] |= (uint8_t)(1u << (e.key & 7));
    return list_add(&f->longs, e, s);
}

/* The bucket of a literal space: 0..255 the byte before it, 256..511 the
 * byte after it (a literal that starts with it), 512 neither (" "). */
static unsigned cross_bucket(const cross_lit *c)
{
    if (c->at > 0)
        return (unsigned char)c->e->s[c->at - 1];
    return c->e->len > 1 ? 256 + (unsigned char)c->e->s[1] : 512;
}

static int cross_cmp(const void *a, const void *b)
{
    unsigned x = cross_bucket(a), y = cross_bucket(b);
    return x < y ? -1 : x > y;
}

/* f->cross from the literals (their lists are final), by bucket, and the
 * bucket starts. 0, or -1 out of memory. */
static int cross_build(regex_filter *f)
{
    const lit_list *lists[3] = {&f->ones, &f->shorts, &f->longs};
    size_t n = 0;
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            for (size_t k = 0; k < lists[l]->e[i].len; k++)
                n += lists[l]->e[i].s[k] == ' ';
    f->split = n <= CROSS_MAX;
    if (!f->split || !n)
        return 0;
    f->cross = malloc(n * sizeof *f->cross);
    if (!f->cross)
        return -1;
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            for (size_t k = 0; k < lists[l]->e[i].len; k++)
                if (lists[l]->e[i].s[k] == ' ')
                    f->cross[f->n_cross++] = (cross_lit){&lists[l]->e[i], k};
    qsort(f->cross, f->n_cross, sizeof *f->cross, cross_cmp);
    for (unsigned b = 0, k = 0; b <= 512; b++) {
        while (k < f->n_cross && cross_bucket(&f->cross[k]) < b)
            k++;
        if (b <= 256)
            f->before_at[b] = (uint16_t)k;
        if (b >= 256)
            f->after_at[b - 256] = (uint16_t)k;
    }
    return 0;
}

int regex_filter_new(const char *const *res, size_t n, regex_filter **out)
{
    *out = NULL;
    regex_literals *rl = malloc(sizeof *rl);
    regex_filter *f = calloc(1, sizeof *f);
    int rc = -1;
    if (!rl || !f)
        goto done;
    f->n_regex = n;
    f->exact = calloc(n + 1, sizeof *f->exact);
    f->hit_gen = calloc(n + 1, sizeof *f->hit_gen);
    size_t cap = n * REGEX_UNITS_MAX + 1;
    f->unit_need = calloc(cap, sizeof *f->unit_need);
    f->unit_have = calloc(cap, sizeof *f->unit_have);
    f->unit_gen = calloc(cap, sizeof *f->unit_gen);
    f->unit_regex = calloc(cap, sizeof *f->unit_regex);
    if (!f->exact || !f->hit_gen || !f->unit_need || !f->unit_have || !f->unit_gen || !f->unit_regex)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (!regex_literals_of(res[i], strlen(res[i]), rl)) { /* no filter: every value is scanned */
            rc = 0;
            goto done;
        }
        f->exact[i] = rl->exact;
        size_t base = f->n_units;
        for (unsigned u = 0; u < rl->n_units; u++) {
            f->unit_need[base + u] = rl->n_clauses[u] >= 32 ? UINT32_MAX : ((uint32_t)1 << rl->n_clauses[u]) - 1;
            f->unit_regex[base + u] = (uint32_t)i;
        }
        f->n_units += rl->n_units;
        for (size_t k = 0; k < rl->n; k++)
            if (filter_add(f, rl->lit[k], rl->len[k], (uint32_t)(base + rl->unit[k]), (uint32_t)1 << rl->clause[k]) !=
                0)
                goto done;
    }
    if (f->ones.n > UINT16_MAX)
        goto done;
    for (unsigned b = 0, k = 0; b <= 256; b++) {
        while (k < f->ones.n && f->ones.e[k].key < b)
            k++;
        f->ones_at[b] = (uint16_t)k;
    }
    if (cross_build(f) != 0)
        goto done;
    *out = f;
    f = NULL;
    rc = 0;
done:
    regex_filter_free(f);
    free(rl);
    return rc;
}

/* Literal e was found: its clause holds. True when that makes a regex that
 * is not exact possible (the text must be scanned). */
static bool found(regex_filter *f, const lit_entry *e, uint32_t *hits, size_t *n_hits)
{
    if (f->rec) { /* a part's literals are gathered (split_scan) */
        if (f->n_rec < PART_LITS_MAX)
            f->rec[f->n_rec++] = e;
        else
            f->rec_over = true;
        return false;
    }
    uint32_t u = e->unit;
    if (f->unit_gen[u] != f->gen) {
        f->unit_gen[u] = f->gen;
        f->unit_have[u] = 0;
    }
    f->unit_have[u] |= e->bit;
    if (f->unit_have[u] != f->unit_need[u])
        return false;
    uint32_t rx = f->unit_regex[u];
    if (!f->exact[rx])
        return true;
    if (f->hit_gen[rx] != f->gen) {
        f->hit_gen[rx] = f->gen;
        hits[(*n_hits)++] = rx;
    }
    return false;
}

/* May a one-, two- or three-byte literal be at t[i] (fl: first[t[i]])?
 * Inline: '-' starts "-t" and is in most command lines. */
static inline bool short_may(const regex_filter *f, const unsigned char *t, size_t n, size_t i, uint8_t fl)
{
    return (fl & FIRST_ONE) || ((fl & FIRST_SHORT) && i + 1 < n && bit(f->b2, t[i] | (uint32_t)t[i + 1] << 8));
}

/* The one-, two- and three-byte literals at text[i]. True: must scan. */
static bool short_at(regex_filter *f, const char *text, size_t n, size_t i, uint32_t *hits, size_t *n_hits)
{
    const unsigned char *t = (const unsigned char *)text;
    uint8_t fl = f->first[t[i]];
    if (fl & FIRST_ONE)
        for (size_t k = f->ones_at[t[i]]; k < f->ones_at[t[i] + 1]; k++)
            if (found(f, &f->ones.e[k], hits, n_hits))
                return true;
    if ((fl & FIRST_SHORT) && i + 1 < n && bit(f->b2, t[i] | (uint32_t)t[i + 1] << 8))
        for (size_t k = 0; k < f->shorts.n; k++) {
            const lit_entry *e = &f->shorts.e[k];
            if (i + e->len <= n && memcmp(text + i, e->s, e->len) == 0 && found(f, e, hits, n_hits))
                return true;
        }
    return false;
}

/* The long literals whose last four bytes hash to key and end at
 * text[end - 1]. True: must scan. */
static bool long_at(regex_filter *f, uint32_t key, const char *text, size_t end, uint32_t *hits, size_t *n_hits)
{
    size_t lo = 0, hi = f->longs.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->longs.e[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < f->longs.n && f->longs.e[lo].key == key; lo++) {
        const lit_entry *e = &f->longs.e[lo];
        if (e->len <= end && memcmp(text + end - e->len, e->s, e->len) == 0 && found(f, e, hits, n_hits))
            return true;
    }
    return false;
}

/* Every literal in text[0..n) to found() (the first true ends the scan):
 * the hot loop, a table byte and a bitmap byte per position. */
static inline bool scan(regex_filter *f, const char *text, size_t n, uint32_t *hits, size_t *n_hits)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0;
    for (; i + 4 <= n; i++) {
        uint8_t fl = f->first[t[i]];
        if (fl && short_may(f, t, n, i, fl) && short_at(f, text, n, i, hits, n_hits))
            return true;
        uint32_t w;
        memcpy(&w, t + i, sizeof w);
        uint32_t key = hash16(w);
        if ((f->b4[key >> 3] >> (key & 7)) & 1 && long_at(f, key, text, i + 4, hits, n_hits))
            return true;
    }
    for (; i < n; i++)
        if (f->first[t[i]] && short_at(f, text, n, i, hits, n_hits))
            return true;
    return false;
}

/* The literals in part p[0..n) (every occurrence), into out (room for
 * PART_LITS_MAX): remembered, or scanned then remembered. Their number, or
 * -1 when there are more (or no memory for the memo). */
static int part_lits(regex_filter *f, const char *p, size_t n, const lit_entry **out)
{
    uint64_t h = 0;
    part_memo *slot = NULL;
    if (n <= PART_MAX) {
        h = word_hash(0, p, n);
        part_memo *c[2] = {&f->parts[h & (PART_MEMO_SLOTS - 1)], &f->parts[(h >> 40) & (PART_MEMO_SLOTS - 1)]};
        for (int k = 0; k < 2; k++)
            if (c[k]->hash == h && c[k]->len == n && (!n || memcmp(c[k]->block + c[k]->n, p, n) == 0)) {
                c[k]->used = f->part_gen;
                if (c[k]->n) /* an empty part may have no block */
                    memcpy(out, c[k]->block, c[k]->n * sizeof *out);
                return (int)c[k]->n;
            }
        slot = !c[0]->hash ? c[0] : !c[1]->hash ? c[1] : (int32_t)(c[0]->used - c[1]->used) <= 0 ? c[0] : c[1];
    }
    f->rec = out;
    f->n_rec = 0;
    f->rec_over = false;
    (void)scan(f, p, n, NULL, NULL); /* found() records: never true */
    f->rec = NULL;
    if (f->rec_over)
        return -1;
    if (slot) {
        size_t need = f->n_rec * sizeof *out + n;
        slot->hash = 0;
        if (slot->cap < need) {
            size_t cap = (need + 63) & ~(size_t)63;
            const lit_entry **nb = realloc(slot->block, cap);
            if (!nb)
                return (int)f->n_rec; /* not remembered */
            slot->block = nb;
            slot->cap = cap;
        }
        if (f->n_rec)
            memcpy(slot->block, out, f->n_rec * sizeof *out);
        if (n)
            memcpy(slot->block + f->n_rec, p, n);
        slot->len = (uint32_t)n;
        slot->n = (uint32_t)f->n_rec;
        slot->used = f->part_gen;
        slot->hash = h;
    }
    return (int)f->n_rec;
}

/* regex_filter_must_scan of text[0..n) whose first space is at s: the
 * literals of the part before it and of the part after it (each from the
 * memo when it was seen) and those that hold the space itself, given to
 * found() (which literals a text holds does not depend on where the scan
 * meets them, and the caller takes the hits as a set). 1 or 0, or -1 when
 * the parts hold too many literals (the caller scans the whole text). */
static int split_scan(regex_filter *f, const char *text, size_t n, size_t s, uint32_t *hits, size_t *n_hits)
{
    if (!f->parts && !(f->parts = calloc(PART_MEMO_SLOTS, sizeof *f->parts))) {
        f->split = false;
        return -1;
    }
    f->part_gen++;
    const lit_entry *left[PART_LITS_MAX], *right[PART_LITS_MAX];
    int nl = part_lits(f, text, s, left);
    int nr = nl < 0 ? -1 : part_lits(f, text + s + 1, n - s - 1, right);
    if (nr < 0)
        return -1;
    for (int i = 0; i < nl; i++)
        if (found(f, left[i], hits, n_hits))
            return 1;
    for (int i = 0; i < nr; i++)
        if (found(f, right[i], hits, n_hits))
            return 1;
    /* the literal spaces whose neighbour is the split's: those with a byte
     * before theirs, those that start with it, then " " alone */
    const unsigned char *t = (const unsigned char *)text;
    size_t ranges[3][2] = {{s > 0 ? f->before_at[t[s - 1]] : 0, s > 0 ? f->before_at[t[s - 1] + 1] : 0},
                           {s + 1 < n ? f->after_at[t[s + 1]] : 0, s + 1 < n ? f->after_at[t[s + 1] + 1] : 0},
                           {f->after_at[256], f->n_cross}};
    for (int r = 0; r < 3; r++)
        for (size_t i = ranges[r][0]; i < ranges[r][1]; i++) {
            const cross_lit *c = &f->cross[i];
            if (c->at <= s && s - c->at + c->e->len <= n && memcmp(text + s - c->at, c->e->s, c->e->len) == 0 &&
                found(f, c->e, hits, n_hits))
                return 1;
        }
    return 0;
}

static void next_gen(regex_filter *f)
{
    if (++f->gen == 0) { /* wrapped: clear the stamps */
        memset(f->unit_gen, 0, f->n_units * sizeof *f->unit_gen);
        memset(f->hit_gen, 0, f->n_regex * sizeof *f->hit_gen);
        f->gen = 1;
    }
}

bool regex_filter_must_scan(regex_filter *f, const char *text, size_t n, uint32_t *hits, size_t *n_hits)
{
    *n_hits = 0;
    next_gen(f);
    const char *sp = f->split ? memchr(text, ' ', n) : NULL;
    if (sp) {
        int r = split_scan(f, text, n, (size_t)(sp - text), hits, n_hits);
        if (r >= 0)
            return r == 1;
        /* the parts could not be used: nothing was given to found() */
    }
    return scan(f, text, n, hits, n_hits);
}
