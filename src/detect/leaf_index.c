/* SPDX-License-Identifier: Apache-2.0 */
#include "leaf_index.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include <storm/array.h>
#include <storm/buf.h>
#include <storm/hash.h>
#include <storm/pattern_plan.h>
#include <storm/stix_prefilter.h>
#include <storm/time.h>

#include "obs_path.h"
#include "storm_config.h"

#if STORM_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

#ifndef REGEX_DB_MAX
#define REGEX_DB_MAX 1100 /* regexes per Hyperscan database, about a thousand (see path_build_db) */
#endif
#define EQ_KEY_MAX 4096 /* longer literals and values are not hashed (type key instead) */

typedef enum key_kind { KEY_EQ = 1, KEY_RE = 2, KEY_TYPE = 3 } key_kind;

typedef struct leaf_key {
    key_kind kind;
    const pat_path *path;   /* EQ, RE */
    const pat_literal *lit; /* EQ */
    char *re;               /* RE: owned */
} leaf_key;

typedef struct keyset {
    leaf_key *k;
    size_t n, alloc;
    int rank; /* the worst kind in the set */
} keyset;

typedef struct leaf_entry {
    const storm_pattern *pat; /* borrowed: the first indicator pattern with this leaf */
    unsigned leaf;            /* its index there */
    const pat_cmp *cmp;
    char *text; /* owned, for dedupe */
    uint64_t hash;
} leaf_entry;

typedef struct path_regex {
    char *re; /* owned */
    uint32_t leaf;
    bool rejected; /* Hyperscan could not compile it: its leaf got a type key */
} path_regex;

typedef struct index_path {
    const pat_path *path; /* borrowed from a leaf's pattern */
    char *canon;          /* owned: "type:step.step[0]" */
    uint64_t hash;
    bool has_eq;
    int event_path; /* storm_stix_prefilter_path of it, -1 when not readable off events */
    /* which values can hit an eq key at all, so that the others are not
     * turned into a key and hashed (a command line is hundreds of bytes):
     * bit (length % 64) of each ASCII string literal, any int, any bool */
    uint64_t eq_str_lens;
    bool eq_int, eq_bool;
    int kind; /* index into leaf_index.kinds of the path's object type */
    path_regex *regex;
    size_t n_regex, alloc_regex;
#if STORM_HAVE_HYPERSCAN
    hs_database_t **dbs; /* owned: the regexes in groups of at most REGEX_DB_MAX (ids: index into regex) */
    size_t n_dbs;
#endif
} index_path;

typedef struct eq_slot {
    char *key; /* owned; NULL = empty. First 4 bytes: the path id */
    size_t key_len;
    uint64_t hash;
    uint32_t *leaves;
    size_t n, alloc;
} eq_slot;

typedef struct type_entry {
    char *type;
    size_t type_len;
    int kind; /* index into leaf_index.kinds */
    uint32_t *leaves;
    size_t n, alloc;
} type_entry;

/* An object type named by the index (borrowed from a path or type entry). */
typedef struct kind_name {
    const char *type;
    size_t len;
} kind_name;

struct leaf_index {
    leaf_entry *leaves;
    size_t n_leaves, alloc_leaves;
    index_path *paths;
    size_t n_paths, alloc_paths;
    eq_slot *eq;
    size_t eq_cap, eq_n;
    type_entry *types;
    size_t n_types, alloc_types;
    kind_name *kinds; /* the distinct object types of paths and type entries */
    size_t n_kinds, alloc_kinds;
    uint32_t *dedupe; /* leaf text hash -> leaf id (UINT32_MAX empty) */
    size_t dedupe_cap;
    uint32_t *stamp; /* per leaf: generation of the last mark */
    uint32_t gen;
    size_t n_prefiltered, n_unindexed;
    bool built;
#if STORM_HAVE_HYPERSCAN
    hs_scratch_t *scratch;
#endif
    /* scan state of the current observation */
    uint32_t *out;
    size_t n_out;
    uint32_t cur_path;
    storm_buf keybuf;
};

#define GROW(arr, n, alloc) STORM_ARRAY_GROW(arr, (n) + 1, alloc, 8)

static uint64_t hash_bytes(const void *p, size_t n)
{
    uint64_t h = storm_fnv1a(p, n);
    return h ^ (h >> 29);
}

storm_rc leaf_index_new(leaf_index **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return STORM_ERR_NOMEM;
    storm_buf_init(&(*out)->keybuf, EQ_KEY_MAX + 16);
    return STORM_OK;
}

void leaf_index_free(leaf_index *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_leaves; i++)
        free(x->leaves[i].text);
    for (size_t i = 0; i < x->n_paths; i++) {
        index_path *p = &x->paths[i];
        free(p->canon);
        for (size_t k = 0; k < p->n_regex; k++)
            free(p->regex[k].re);
        free(p->regex);
#if STORM_HAVE_HYPERSCAN
        for (size_t k = 0; k < p->n_dbs; k++)
            hs_free_database(p->dbs[k]);
        free(p->dbs);
#endif
    }
    for (size_t i = 0; i < x->eq_cap; i++) {
        free(x->eq[i].key);
        free(x->eq[i].leaves);
    }
    for (size_t i = 0; i < x->n_types; i++) {
        free(x->types[i].type);
        free(x->types[i].leaves);
    }
#if STORM_HAVE_HYPERSCAN
    if (x->scratch)
        hs_free_scratch(x->scratch);
#endif
    storm_buf_free(&x->keybuf);
    free(x->eq);
    free(x->types);
    free(x->kinds);
    free(x->paths);
    free(x->leaves);
    free(x->stamp);
    free(x->dedupe);
    free(x);
}

size_t leaf_index_count(const leaf_index *x)
{
    return x->n_leaves;
}
size_t leaf_index_regex_prefiltered(const leaf_index *x)
{
    return x->n_prefiltered;
}
size_t leaf_index_regex_unindexed(const leaf_index *x)
{
    return x->n_unindexed;
}

storm_rc leaf_index_add(leaf_index *x, const storm_pattern *p, unsigned leaf, const char *text, size_t len,
                        uint32_t *id, storm_err *err)
{
    uint64_t h = hash_bytes(text, len);
    if (!x->dedupe_cap || (x->n_leaves + 1) * 2 > x->dedupe_cap) {
        size_t ncap = x->dedupe_cap ? x->dedupe_cap * 2 : 256;
        uint32_t *nd = malloc(ncap * sizeof *nd);
        if (!nd)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        memset(nd, 0xff, ncap * sizeof *nd);
        for (size_t i = 0; i < x->n_leaves; i++) {
            size_t j = x->leaves[i].hash & (ncap - 1);
            while (nd[j] != UINT32_MAX)
                j = (j + 1) & (ncap - 1);
            nd[j] = (uint32_t)i;
        }
        free(x->dedupe);
        x->dedupe = nd;
        x->dedupe_cap = ncap;
    }
    size_t j = h & (x->dedupe_cap - 1);
    for (; x->dedupe[j] != UINT32_MAX; j = (j + 1) & (x->dedupe_cap - 1)) {
        const leaf_entry *e = &x->leaves[x->dedupe[j]];
        if (e->hash == h && strlen(e->text) == len && memcmp(e->text, text, len) == 0) {
            *id = x->dedupe[j];
            return STORM_OK;
        }
    }
    const pat_obs *node = pattern_plan_leaf(p, leaf);
    if (!node || !node->cmp)
        return storm_err_set(err, STORM_ERR_STATE, 0, "leaf %u of '%s' is not a comparison expression", leaf,
                             storm_pattern_text(p));
    if (GROW(x->leaves, x->n_leaves, x->alloc_leaves) != 0)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    leaf_entry *l = &x->leaves[x->n_leaves];
    l->pat = p;
    l->leaf = leaf;
    l->cmp = node->cmp;
    l->text = strndup(text, len);
    l->hash = h;
    if (!l->text)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    x->dedupe[j] = (uint32_t)x->n_leaves;
    *id = (uint32_t)x->n_leaves++;
    return STORM_OK;
}

/* ---- key selection ---- */

/* Eight bytes at a time: every string value of an indexed path is checked. */
static bool is_ascii(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        if (w & 0x8080808080808080ull)
            return false;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* Can this literal be compared by hash with exact equality? Strings that read
 * as timestamps are left to the engine (a timestamp property compares by time). */
static bool lit_hashable(const pat_literal *l)
{
    switch (l->type) {
    case PAT_LIT_STRING: {
        if (l->u.str.len > EQ_KEY_MAX || !is_ascii(l->u.str.ptr, l->u.str.len))
            return false;
        storm_time_ns t;
        return !storm_time_parse(l->u.str.ptr, l->u.str.len, STORM_TIME_LENIENT, &t);
    }
    case PAT_LIT_INT:
    case PAT_LIT_BOOL: return true;
    default: return false;
    }
}

static void keyset_free(keyset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->k[i].re);
    free(s->k);
    memset(s, 0, sizeof *s);
}

static int keyset_add(keyset *s, leaf_key k)
{
    if (GROW(s->k, s->n, s->alloc) != 0) {
        free(k.re);
        return -1;
    }
    s->k[s->n++] = k;
    if ((int)k.kind > s->rank)
        s->rank = (int)k.kind;
    return 0;
}

/* A LIKE pattern as an anchored regex: % any run, _ one character. */
static char *like_to_regex(const char *s, size_t n)
{
    char *re = malloc(n * 2 + 8), *o = re;
    if (!re)
        return NULL;
    *o++ = '^';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            *o++ = '.';
            *o++ = '*';
        } else if (c == '_') {
            *o++ = '.';
        } else {
            if (strchr("\\^$.|?*+()[]{}", c))
                *o++ = '\\';
            *o++ = c;
        }
    }
    *o++ = '$';
    *o = '\0';
    return re;
}

static bool key_ends_with(const pat_step *st, const char *suffix)
{
    return st->kind == PAT_STEP_KEY && st->key_len >= 4 && memcmp(st->key + st->key_len - 4, suffix, 4) == 0;
}

/* Does the path end at a binary-valued property (a key ending in _hex/_bin)? */
static bool path_is_binary(const pat_path *p)
{
    if (p->n_steps == 0)
        return false;
    const pat_step *last = &p->steps[p->n_steps - 1];
    return key_ends_with(last, "_hex") || key_ends_with(last, "_bin");
}

static int select_keys(const pat_cmp *c, keyset *out)
{
    if (c->kind == PAT_CMP_AND) {
        keyset l = {0}, r = {0};
        if (select_keys(c->left, &l) != 0 || select_keys(c->right, &r) != 0) {
            keyset_free(&l);
            keyset_free(&r);
            return -1;
        }
        bool take_left = l.rank < r.rank || (l.rank == r.rank && l.n <= r.n);
        *out = take_left ? l : r;
        keyset_free(take_left ? &r : &l);
        return 0;
    }
    if (c->kind == PAT_CMP_OR) {
        if (select_keys(c->left, out) != 0)
            return -1;
        keyset r = {0};
        if (select_keys(c->right, &r) != 0) {
            keyset_free(&r);
            return -1;
        }
        for (size_t i = 0; i < r.n; i++) {
            if (keyset_add(out, r.k[i]) != 0) {
                r.k[i].re = NULL;
                keyset_free(&r);
                return -1;
            }
            r.k[i].re = NULL; /* moved */
        }
        keyset_free(&r);
        return 0;
    }
    leaf_key type_key = {KEY_TYPE, &c->path, NULL, NULL};
    /* a *_hex or *_bin property compares as the bytes it encodes, not as
     * its text (STIX 2.1 binary and hex types; see pattern/match.c): the
     * index would look up the text, so its object type decides */
    if (c->negated || path_is_binary(&c->path))
        return keyset_add(out, type_key);
    switch (c->op) {
    case PAT_OP_EQ:
        if (c->n_values == 1 && lit_hashable(&c->values[0]))
            return keyset_add(out, (leaf_key){KEY_EQ, &c->path, &c->values[0], NULL});
        break;
    case PAT_OP_IN: {
        if (c->n_values == 0)
            break;
        bool all = true;
        for (size_t i = 0; i < c->n_values; i++)
            all = all && lit_hashable(&c->values[i]);
        if (!all)
            break;
        for (size_t i = 0; i < c->n_values; i++)
            if (keyset_add(out, (leaf_key){KEY_EQ, &c->path, &c->values[i], NULL}) != 0)
                return -1;
        return 0;
    }
    case PAT_OP_MATCHES:
    case PAT_OP_LIKE:
        /* a non-ASCII pattern: the engine compares Unicode-normalised
         * forms, the regex database raw bytes; its object type decides */
        if (c->n_values == 1 && c->values[0].type == PAT_LIT_STRING &&
            is_ascii(c->values[0].u.str.ptr, c->values[0].u.str.len)) {
            const pat_literal *l = &c->values[0];
            char *re =
                c->op == PAT_OP_LIKE ? like_to_regex(l->u.str.ptr, l->u.str.len) : strndup(l->u.str.ptr, l->u.str.len);
            if (!re)
                return -1;
            return keyset_add(out, (leaf_key){KEY_RE, &c->path, NULL, re});
        }
        break;
    default: break;
    }
    return keyset_add(out, type_key);
}

/* ---- tables ---- */

static void path_canon(const pat_path *p, storm_buf *b)
{
    storm_buf_reset(b);
    storm_buf_append(b, p->object_type, p->object_type_len);
    storm_buf_putc(b, ':');
    for (size_t i = 0; i < p->n_steps; i++) {
        const pat_step *s = &p->steps[i];
        if (s->kind == PAT_STEP_KEY) {
            if (i)
                storm_buf_putc(b, '.');
            storm_buf_putc(b, '\'');
            storm_buf_append(b, s->key, s->key_len);
            storm_buf_putc(b, '\'');
        } else if (s->kind == PAT_STEP_INDEX) {
            storm_buf_printf(b, "[%lld]", (long long)s->index);
        } else {
            storm_buf_puts(b, "[*]");
        }
    }
}

static int path_id(leaf_index *x, const pat_path *p, uint32_t *id)
{
    storm_buf b;
    storm_buf_init(&b, 1 << 16);
    path_canon(p, &b);
    if (!b.data) {
        storm_buf_free(&b);
        return -1;
    }
    uint64_t h = hash_bytes(b.data, b.len);
    for (size_t i = 0; i < x->n_paths; i++)
        if (x->paths[i].hash == h && strcmp(x->paths[i].canon, b.data) == 0) {
            storm_buf_free(&b);
            *id = (uint32_t)i;
            return 0;
        }
    if (GROW(x->paths, x->n_paths, x->alloc_paths) != 0) {
        storm_buf_free(&b);
        return -1;
    }
    index_path *ip = &x->paths[x->n_paths];
    memset(ip, 0, sizeof *ip);
    ip->path = p;
    ip->canon = storm_buf_take(&b, NULL);
    ip->hash = h;
    storm_buf_free(&b);
    *id = (uint32_t)x->n_paths++;
    return 0;
}

static int add_leaf_to(uint32_t **leaves, size_t *n, size_t *alloc, uint32_t leaf)
{
    if (*n && (*leaves)[*n - 1] == leaf)
        return 0; /* same leaf, second literal of one IN */
    if (storm_array_grow(leaves, alloc, *n + 1, sizeof **leaves, 8) != 0)
        return -1;
    (*leaves)[(*n)++] = leaf;
    return 0;
}

static int type_add(leaf_index *x, const char *type, size_t len, uint32_t leaf)
{
    for (size_t i = 0; i < x->n_types; i++)
        if (x->types[i].type_len == len && memcmp(x->types[i].type, type, len) == 0)
            return add_leaf_to(&x->types[i].leaves, &x->types[i].n, &x->types[i].alloc, leaf);
    if (GROW(x->types, x->n_types, x->alloc_types) != 0)
        return -1;
    type_entry *t = &x->types[x->n_types];
    memset(t, 0, sizeof *t);
    t->type = strndup(type, len);
    t->type_len = len;
    if (!t->type)
        return -1;
    x->n_types++;
    return add_leaf_to(&t->leaves, &t->n, &t->alloc, leaf);
}

/* key bytes: 4 bytes path id, then a type letter and the value */
static void eq_key_lit(storm_buf *b, uint32_t path, const pat_literal *l)
{
    storm_buf_reset(b);
    storm_buf_append(b, &path, sizeof path);
    if (l->type == PAT_LIT_STRING) {
        storm_buf_putc(b, 's');
        storm_buf_append(b, l->u.str.ptr, l->u.str.len);
    } else if (l->type == PAT_LIT_INT) {
        storm_buf_printf(b, "i%lld", (long long)l->u.i);
    } else {
        storm_buf_printf(b, "b%d", l->u.b ? 1 : 0);
    }
}

static eq_slot *eq_find(leaf_index *x, const char *key, size_t len, uint64_t h)
{
    if (!x->eq_cap)
        return NULL;
    size_t j = h & (x->eq_cap - 1);
    while (x->eq[j].key) {
        if (x->eq[j].hash == h && x->eq[j].key_len == len && memcmp(x->eq[j].key, key, len) == 0)
            return &x->eq[j];
        j = (j + 1) & (x->eq_cap - 1);
    }
    return NULL;
}

static int eq_add(leaf_index *x, const char *key, size_t len, uint32_t leaf)
{
    uint64_t h = hash_bytes(key, len);
    eq_slot *s = eq_find(x, key, len, h);
    if (s)
        return add_leaf_to(&s->leaves, &s->n, &s->alloc, leaf);
    if ((x->eq_n + 1) * 2 > x->eq_cap) {
        size_t ncap = x->eq_cap ? x->eq_cap * 2 : 256;
        eq_slot *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < x->eq_cap; i++) {
            if (!x->eq[i].key)
                continue;
            size_t j = x->eq[i].hash & (ncap - 1);
            while (ns[j].key)
                j = (j + 1) & (ncap - 1);
            ns[j] = x->eq[i];
        }
        free(x->eq);
        x->eq = ns;
        x->eq_cap = ncap;
    }
    size_t j = h & (x->eq_cap - 1);
    while (x->eq[j].key)
        j = (j + 1) & (x->eq_cap - 1);
    s = &x->eq[j];
    s->key = malloc(len);
    if (!s->key)
        return -1;
    memcpy(s->key, key, len);
    s->key_len = len;
    s->hash = h;
    x->eq_n++;
    return add_leaf_to(&s->leaves, &s->n, &s->alloc, leaf);
}

#if STORM_HAVE_HYPERSCAN
/* Compile regexes [lo, hi) of the path into one prefilter database, added
 * to p->dbs. An expression Hyperscan rejects is taken out (its leaf falls
 * back to a type key) and the rest compiled again. */
static int path_build_group(leaf_index *x, index_path *p, size_t lo, size_t hi)
{
    size_t cnt = hi - lo;
    const char **exprs = calloc(cnt, sizeof *exprs);
    unsigned *flags = calloc(cnt, sizeof *flags);
    unsigned *ids = calloc(cnt, sizeof *ids);
    hs_database_t **dbs = realloc(p->dbs, (p->n_dbs + 1) * sizeof *dbs);
    if (dbs)
        p->dbs = dbs;
    if (!exprs || !flags || !ids || !dbs) {
        free(exprs);
        free(flags);
        free(ids);
        return -1;
    }
    hs_database_t *built = NULL;
    for (;;) {
        unsigned n = 0;
        for (size_t i = lo; i < hi; i++) {
            if (p->regex[i].rejected)
                continue;
            exprs[n] = p->regex[i].re;
            /* prefilter: a superset of PCRE's matches; DOTALL widens it further */
            flags[n] = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_UTF8 | HS_FLAG_DOTALL;
            ids[n] = (unsigned)i;
            n++;
        }
        if (n == 0)
            break;
        hs_compile_error_t *cerr = NULL;
        hs_database_t *db = NULL;
        if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &db, &cerr) == HS_SUCCESS) {
            built = db;
            break;
        }
        int bad = cerr ? cerr->expression : -1;
        if (cerr)
            hs_free_compile_error(cerr);
        if (bad < 0 || (unsigned)bad >= n) {
            for (size_t i = lo; i < hi; i++)
                p->regex[i].rejected = true;
            break;
        }
        p->regex[ids[bad]].rejected = true;
    }
    free(exprs);
    free(flags);
    free(ids);
    if (!built)
        return 0;
    p->dbs[p->n_dbs++] = built;
    return hs_alloc_scratch(built, &x->scratch) == HS_SUCCESS ? 0 : -1;
}

/* The path's regexes in groups of at most REGEX_DB_MAX, one database each.
 * Hyperscan's compiler needs memory that grows faster than the number of
 * expressions: one database of the ~2,000 command-line regexes of 10,000
 * indicators was the peak of Storm's whole life (~20 MB over what it
 * keeps). Each value is then scanned once per group. */
static int path_build_db(leaf_index *x, index_path *p)
{
    /* groups of equal size: 2,131 regexes make two of 1,066, not 1,024 + 1,024 + 83 */
    size_t groups = (p->n_regex + REGEX_DB_MAX - 1) / REGEX_DB_MAX;
    size_t per = groups ? (p->n_regex + groups - 1) / groups : 0;
    for (size_t lo = 0; lo < p->n_regex; lo += per) {
        size_t hi = p->n_regex - lo > per ? lo + per : p->n_regex;
        if (path_build_group(x, p, lo, hi) != 0)
            return -1;
    }
    return 0;
}
#endif

/* The prefilter's handle of an indexed path (storm/stix_prefilter.h). */
static int path_event_handle(const pat_path *p)
{
    storm_stix_step steps[16];
    if (p->n_steps > sizeof steps / sizeof steps[0])
        return -1;
    for (size_t i = 0; i < p->n_steps; i++) {
        const pat_step *s = &p->steps[i];
        steps[i].key = s->kind == PAT_STEP_KEY ? s->key : NULL;
        steps[i].key_len = s->kind == PAT_STEP_KEY ? s->key_len : 0;
        steps[i].index = s->kind == PAT_STEP_INDEX ? s->index : -1;
    }
    return storm_stix_prefilter_path(p->object_type, p->object_type_len, steps, p->n_steps);
}

/* The number of an object type among x->kinds (added when new; type is
 * borrowed and must outlive the index); -1 on OOM. */
static int kind_id(leaf_index *x, const char *type, size_t len)
{
    for (size_t i = 0; i < x->n_kinds; i++)
        if (x->kinds[i].len == len && memcmp(x->kinds[i].type, type, len) == 0)
            return (int)i;
    if (GROW(x->kinds, x->n_kinds, x->alloc_kinds) != 0)
        return -1;
    x->kinds[x->n_kinds] = (kind_name){type, len};
    return (int)x->n_kinds++;
}

storm_rc leaf_index_build(leaf_index *x, storm_err *err)
{
    if (x->built)
        return STORM_OK;
    x->built = true;
    x->stamp = calloc(x->n_leaves + 1, sizeof *x->stamp);
    if (!x->stamp)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory building the indicator index");
    storm_buf kb;
    storm_buf_init(&kb, EQ_KEY_MAX + 16);
    storm_rc rc = STORM_OK;
    for (size_t li = 0; li < x->n_leaves && rc == STORM_OK; li++) {
        keyset ks = {0};
        if (select_keys(x->leaves[li].cmp, &ks) != 0) {
            keyset_free(&ks);
            rc = STORM_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < ks.n && rc == STORM_OK; i++) {
            leaf_key *k = &ks.k[i];
            uint32_t pid = 0;
            int r = 0;
            if (k->kind == KEY_TYPE) {
                r = type_add(x, k->path->object_type, k->path->object_type_len, (uint32_t)li);
            } else if (k->kind == KEY_EQ) {
                r = path_id(x, k->path, &pid);
                if (r == 0) {
                    index_path *ip = &x->paths[pid];
                    ip->has_eq = true;
                    if (k->lit->type == PAT_LIT_STRING)
                        ip->eq_str_lens |= (uint64_t)1 << (k->lit->u.str.len & 63);
                    else if (k->lit->type == PAT_LIT_INT)
                        ip->eq_int = true;
                    else
                        ip->eq_bool = true;
                    eq_key_lit(&kb, pid, k->lit);
                    r = kb.data ? eq_add(x, kb.data, kb.len, (uint32_t)li) : -1;
                }
            } else {
#if STORM_HAVE_HYPERSCAN
                r = path_id(x, k->path, &pid);
                index_path *p = r == 0 ? &x->paths[pid] : NULL;
                if (p && GROW(p->regex, p->n_regex, p->alloc_regex) == 0) {
                    p->regex[p->n_regex++] = (path_regex){k->re, (uint32_t)li, false};
                    k->re = NULL; /* moved */
                } else {
                    r = -1;
                }
#else
                x->n_unindexed++;
                r = type_add(x, k->path->object_type, k->path->object_type_len, (uint32_t)li);
#endif
            }
            if (r != 0)
                rc = STORM_ERR_NOMEM;
        }
        keyset_free(&ks);
    }
#if STORM_HAVE_HYPERSCAN
    for (size_t i = 0; i < x->n_paths && rc == STORM_OK; i++) {
        index_path *p = &x->paths[i];
        if (!p->n_regex)
            continue;
        if (path_build_db(x, p) != 0) {
            rc = STORM_ERR_NOMEM;
            break;
        }
        for (size_t k = 0; k < p->n_regex; k++) {
            if (p->regex[k].rejected) {
                x->n_unindexed++;
                if (type_add(x, p->path->object_type, p->path->object_type_len, p->regex[k].leaf) != 0)
                    rc = STORM_ERR_NOMEM;
            } else {
                x->n_prefiltered++;
            }
        }
    }
#endif
    for (size_t i = 0; i < x->n_paths && rc == STORM_OK; i++)
        if ((x->paths[i].kind = kind_id(x, x->paths[i].path->object_type, x->paths[i].path->object_type_len)) < 0)
            rc = STORM_ERR_NOMEM;
    for (size_t i = 0; i < x->n_types && rc == STORM_OK; i++)
        if ((x->types[i].kind = kind_id(x, x->types[i].type, x->types[i].type_len)) < 0)
            rc = STORM_ERR_NOMEM;
    for (size_t i = 0; i < x->n_paths; i++)
        x->paths[i].event_path = path_event_handle(x->paths[i].path);
    storm_buf_free(&kb);
    if (rc != STORM_OK)
        return storm_err_set(err, rc, 0, "out of memory building the indicator index");
    return STORM_OK;
}

/* ---- per observation ---- */

static void mark(leaf_index *x, uint32_t leaf)
{
    if (x->stamp[leaf] == x->gen)
        return;
    x->stamp[leaf] = x->gen;
    x->out[x->n_out++] = leaf;
}

#if STORM_HAVE_HYPERSCAN
static int on_regex_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    leaf_index *x = ctx;
    mark(x, x->paths[x->cur_path].regex[id].leaf);
    return 0;
}
#endif

/* The NFC form of s[0..len) (malloc'd, NUL-terminated; the caller frees)
 * or NULL. Bounded by len: a value handed over by the prefilter may be a
 * piece of a longer string (a file name cut from its path). */
static char *nfc_of(const char *s, size_t len)
{
    utf8proc_uint8_t *out = NULL;
    if (len > (size_t)(SIZE_MAX / 16))
        return NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &out,
                                      (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (n < 0) {
        free(out);
        return NULL;
    }
    return (char *)out;
}

static void on_value(void *ctx, const storm_value *v)
{
    leaf_index *x = ctx;
    index_path *p = &x->paths[x->cur_path];
    bool maybe_eq = p->has_eq;
    if (maybe_eq) {
        switch (v->type) {
        case STORM_V_STRING: /* a non-ASCII value may have an ASCII NFC of another length */
            maybe_eq = v->u.s.len <= EQ_KEY_MAX &&
                       ((p->eq_str_lens >> (v->u.s.len & 63)) & 1 || !is_ascii(v->u.s.ptr, v->u.s.len));
            break;
        case STORM_V_INT:
        case STORM_V_FLOAT: maybe_eq = p->eq_int; break;
        case STORM_V_BOOL: maybe_eq = p->eq_bool; break;
        default: maybe_eq = false;
        }
    }
    if (maybe_eq) {
        storm_buf *b = &x->keybuf;
        storm_buf_reset(b);
        storm_buf_append(b, &x->cur_path, sizeof x->cur_path);
        bool ok = true;
        switch (v->type) {
        case STORM_V_STRING:
            if (v->u.s.len > EQ_KEY_MAX) {
                ok = false;
            } else if (is_ascii(v->u.s.ptr, v->u.s.len)) {
                storm_buf_putc(b, 's');
                storm_buf_append(b, v->u.s.ptr, v->u.s.len);
            } else {
                /* the engine compares NFC forms; literals in the hash are ASCII */
                char *nfc = nfc_of(v->u.s.ptr, v->u.s.len);
                if (nfc && is_ascii((const char *)nfc, strlen((const char *)nfc))) {
                    storm_buf_putc(b, 's');
                    storm_buf_puts(b, (const char *)nfc);
                } else {
                    ok = false;
                }
                free(nfc);
            }
            break;
        case STORM_V_INT: storm_buf_printf(b, "i%lld", (long long)v->u.i); break;
        case STORM_V_FLOAT:
            if (v->u.f == (double)(long long)v->u.f && v->u.f > -9e18 && v->u.f < 9e18)
                storm_buf_printf(b, "i%lld", (long long)v->u.f);
            else
                ok = false;
            break;
        case STORM_V_BOOL: storm_buf_printf(b, "b%d", v->u.b ? 1 : 0); break;
        default: ok = false;
        }
        if (ok && b->data) {
            eq_slot *s = eq_find(x, b->data, b->len, hash_bytes(b->data, b->len));
            if (s)
                for (size_t i = 0; i < s->n; i++)
                    mark(x, s->leaves[i]);
        }
    }
#if STORM_HAVE_HYPERSCAN
    if (p->n_dbs && v->type == STORM_V_STRING && v->u.s.len <= 0xFFFFFFFFu) {
        for (size_t k = 0; k < p->n_dbs; k++)
            hs_scan(p->dbs[k], v->u.s.ptr, (unsigned)v->u.s.len, 0, x->scratch, on_regex_hit, x);
        /* the engine matches the value's NFC form: scan that too when it
         * differs (a decomposed "cafe\u0301" is "caf\u00e9" to a pattern) */
        if (!is_ascii(v->u.s.ptr, v->u.s.len)) {
            char *nfc = nfc_of(v->u.s.ptr, v->u.s.len);
            size_t n = nfc ? strlen((const char *)nfc) : 0;
            if (nfc && (n != v->u.s.len || memcmp(nfc, v->u.s.ptr, n) != 0) && n <= 0xFFFFFFFFu)
                for (size_t k = 0; k < p->n_dbs; k++)
                    hs_scan(p->dbs[k], (const char *)nfc, (unsigned)n, 0, x->scratch, on_regex_hit, x);
            free(nfc);
        }
    }
#endif
}

/* on_value for leaf_index_event_any: only whether any leaf is hit counts. */
static void on_value_first(void *ctx, const storm_value *v)
{
    leaf_index *x = ctx;
    if (!x->n_out)
        on_value(ctx, v);
}

size_t leaf_index_candidates(leaf_index *x, const storm_observation *obs, uint32_t *out)
{
    if (!x->built || !x->n_leaves)
        return 0;
    if (++x->gen == 0) { /* wrapped: clear the stamps once every 4 billion observations */
        memset(x->stamp, 0, x->n_leaves * sizeof *x->stamp);
        x->gen = 1;
    }
    x->out = out;
    x->n_out = 0;
    obs_types types;
    obs_types_of(obs, &types);
    if (types.n > OBS_TYPES_MAX) { /* rare: names compared for every path */
        for (size_t i = 0; i < x->n_types; i++)
            if (obs_types_has(obs, &types, x->types[i].type, x->types[i].type_len))
                for (size_t k = 0; k < x->types[i].n; k++)
                    mark(x, x->types[i].leaves[k]);
        for (size_t i = 0; i < x->n_paths; i++) {
            x->cur_path = (uint32_t)i;
            obs_path_values_typed(obs, &types, x->paths[i].path, on_value, x);
        }
        return x->n_out;
    }
    /* each object's type as the index numbers it, once; then paths and
     * type keys compare numbers (same order of marks as by name) */
    int kind[OBS_TYPES_MAX];
    uint64_t present = 0; /* kinds < 64 that the observation holds */
    for (size_t i = 0; i < types.n; i++) {
        kind[i] = -1;
        for (size_t k = 0; k < x->n_kinds; k++)
            if (x->kinds[k].len == types.len[i] && memcmp(x->kinds[k].type, types.type[i], types.len[i]) == 0) {
                kind[i] = (int)k;
                if (k < 64)
                    present |= (uint64_t)1 << k;
                break;
            }
    }
    for (size_t i = 0; i < x->n_types; i++) {
        int want = x->types[i].kind;
        bool has = want < 64 ? (present >> want) & 1 : false;
        for (size_t o = 0; !has && want >= 64 && o < types.n; o++)
            has = kind[o] == want;
        if (has)
            for (size_t k = 0; k < x->types[i].n; k++)
                mark(x, x->types[i].leaves[k]);
    }
    for (size_t i = 0; i < x->n_paths; i++) {
        int want = x->paths[i].kind;
        if (want < 64 && !((present >> want) & 1))
            continue;
        x->cur_path = (uint32_t)i;
        obs_path_values_kind(obs, kind, want, x->paths[i].path, on_value, x);
    }
    return x->n_out;
}

int leaf_index_eval(const leaf_index *x, uint32_t id, const storm_observation *obs)
{
    storm_err err;
    err.rc = STORM_OK; /* pattern_leaf_match only sets it; a full clear costs 512 bytes a call */
    bool hit = pattern_leaf_match(x->leaves[id].pat, x->leaves[id].leaf, obs, &err);
    if (err.rc != STORM_OK)
        return -1;
    return hit ? 1 : 0;
}

int leaf_index_event_any(leaf_index *x, storm_arena *a, const storm_event *ev, const storm_stix_opts *opts,
                         uint32_t *out)
{
    if (!x->built || !x->n_leaves)
        return 0;
    for (size_t i = 0; i < x->n_types; i++)
        if (x->types[i].n && storm_stix_prefilter_may_have(ev, x->types[i].type, x->types[i].type_len))
            return 1;
    if (++x->gen == 0) {
        memset(x->stamp, 0, x->n_leaves * sizeof *x->stamp);
        x->gen = 1;
    }
    x->out = out;
    x->n_out = 0;
    for (size_t i = 0; i < x->n_paths; i++) {
        const index_path *p = &x->paths[i];
        if (p->event_path < 0) {
            if (storm_stix_prefilter_may_have(ev, p->path->object_type, p->path->object_type_len))
                return -1;
            continue;
        }
        x->cur_path = (uint32_t)i;
        /* the first hit is enough to say "build it" */
        if (!storm_stix_prefilter_values(a, ev, opts, p->event_path, on_value_first, x))
            return -1;
        if (x->n_out)
            return 1;
    }
    return 0;
}
