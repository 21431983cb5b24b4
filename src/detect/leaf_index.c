/* SPDX-License-Identifier: Apache-2.0 */
#include "leaf_index.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include <storm/decimal.h>
#include <storm/array.h>
#include <storm/buf.h>
#include <storm/hash.h>
#include <storm/pattern_plan.h>
#include <storm/stix_prefilter.h>
#include <storm/time.h>

#include "obs_path.h"
#include "storm_config.h"
#include "word_hash.h"

#if STORM_HAVE_HYPERSCAN
#include <hs/hs.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "regex_cache.h"
#include "regex_literals.h"

#define REGEX_BUILD_THREADS 8 /* most threads compiling Hyperscan databases at once */
#endif

#ifndef REGEX_DB_MAX
#define REGEX_DB_MAX 1100 /* regexes per Hyperscan database, about a thousand (see path_build_db) */
#endif
/* A path with this many regexes or more gives Hyperscan their literal
 * factors and prefix keys (path_factor) instead: compiling thousands of expressions is
 * most of a cold start at 10,000 indicators, while the few regexes of
 * hand-written models compile fast and stay exact prefilters. */
#ifndef REGEX_FACTOR_PATH_MIN
#define REGEX_FACTOR_PATH_MIN 256
#endif
#define EQ_KEY_MAX 4096 /* longer literals and values are not hashed (type key instead) */
#ifndef REGEX_MEMO_SLOTS
#define REGEX_MEMO_SLOTS 8192 /* remembered string results (a power of two; tests make it tiny) */
#endif
#define REGEX_MEMO_VALUE_MAX 1024 /* longer values are looked at every time: bounds the memo's memory */

/* One step of a leaf's program: the comparison expression in postfix
 * order, evaluated per object into a bit set of the objects it may hold on. */
typedef enum prog_op {
    OP_TEST, /* arg: test id; the objects its keys hit (or any, when it has none) */
    OP_AND,
    OP_OR,
} prog_op;

/* What a test step's test is, set once the index is built, so that a
 * decision reads the step alone (prog_step.flags). */
#define STEP_KEYLESS_EVENT 1 /* test_keyless on events */
#define STEP_KEYLESS_OBS 2   /* test_keyless on observations */
#define STEP_LAZY 4          /* leaf_test.lazy */

typedef struct prog_step {
    uint8_t op;
    uint8_t flags; /* OP_TEST: STEP_* */
    uint32_t arg;
} prog_step;

/* One comparison (a conjunct or disjunct of a leaf). */
typedef struct leaf_test {
    uint32_t leaf;
    int32_t path; /* index path of its keys, -1 when it has none (it may hold on any object of its type) */
    int kind;     /* its object type, index into leaf_index.kinds */
    bool keyed;   /* has keys (eq literals, a regex, EXISTS) */
    /* a hit of it puts its leaf on the list to decide: false when the leaf
     * has another test that must hit for it to hold (choose_triggers) */
    bool touches;
    bool lazy; /* its path is in a lazy group (event_group.lazy): read only when some leaf may still hold */
} leaf_test;

typedef struct leaf_entry {
    const storm_pattern *pat; /* borrowed: the first indicator pattern with this leaf */
    unsigned leaf;            /* its index there */
    const pat_cmp *cmp;
    char *text; /* owned, for dedupe */
    uint64_t hash;
    prog_step *prog; /* owned */
    size_t n_prog;
} leaf_entry;

typedef struct path_regex {
    char *re; /* owned */
    uint32_t test;
    bool rejected; /* Hyperscan could not compile it: its test has no key */
    /* a path with factors (index_path.factored): its expressions are
     * exprs[first_expr..first_expr + n_exprs): the literal factor the
     * fewest of the path's regexes share, or the regex itself when it has
     * none, or nothing when it has a prefix key */
    uint32_t first_expr;
    uint8_t n_exprs;
    /* its other factors, which a value the scan found that one in must
     * hold too: n_also NUL-terminated texts one after another (owned) */
    char *also;
    uint8_t n_also;
} path_regex;

/* One expression given to Hyperscan for a path with factors: one literal
 * factor of a regex (path_factor), or the regex itself when it has none. */
typedef struct path_expr {
    char *re;       /* owned, or the regex's own text (not owned) */
    uint32_t regex; /* index into index_path.regex */
} path_expr;

typedef struct index_path {
    const pat_path *path; /* borrowed from a leaf's pattern */
    char *canon;          /* owned: "type:step.step[0]" */
    uint64_t hash;
    bool has_eq;
    int event_path;  /* storm_stix_prefilter_path of it, -1 when not readable off events */
    bool on_process; /* a path on process objects: values come with their place */
    /* which values can hit an eq key at all, so that the others are not
     * turned into a key and hashed (a command line is hundreds of bytes):
     * bit (length % 64) of each ASCII string literal, any int, any bool */
    uint64_t eq_str_lens;
    bool eq_int, eq_bool;
    int kind;         /* index into leaf_index.kinds of the path's object type */
    uint32_t *exists; /* the EXISTS tests on this path (any value hits them) */
    size_t n_exists, alloc_exists;
    path_regex *regex;
    size_t n_regex, alloc_regex;
#if STORM_HAVE_HYPERSCAN
    hs_database_t **dbs; /* owned: the regexes in groups of at most REGEX_DB_MAX (ids: index into regex,
                            or into exprs when there are exprs) */
    size_t n_dbs;
    bool factored;    /* the path has REGEX_FACTOR_PATH_MIN regexes: Hyperscan compiles exprs */
    path_expr *exprs; /* owned; NULL when not factored (or every regex has a prefix key) */
    size_t n_exprs;
    /* the lengths of the path's prefix keys ("<path>p<text>" in the eq
     * table: a regex "^text..." whose value must start with text), ascending */
    uint16_t *prefix_lens; /* owned */
    size_t n_prefix_lens;
    /* owned: the literal conditions of the regexes in dbs (regex_literals.h):
     * an ASCII value none of whose non-exact regexes may match is not
     * scanned; NULL when some regex has none (every value is scanned) */
    regex_filter *filter;
    uint32_t *filter_test; /* owned: the test of each regex of filter */
#endif
} index_path;

typedef struct eq_slot {
    char *key; /* owned; NULL = empty. First 4 bytes: the path id */
    size_t key_len;
    uint64_t hash;
    uint32_t *tests;
    size_t n, alloc;
} eq_slot;

/* The index paths that read one prefilter handle (storm/stix_prefilter.h):
 * the event's values for it are read once and given to each of them. */
typedef struct event_group {
    int handle;
    bool on_process;
    bool has_regex;  /* some path of it has regex databases: string results are remembered */
    uint32_t *paths; /* owned: ids of its paths, ascending */
    size_t n_paths;
    /* a structured property's path (one per group): its steps, read below
     * the property (owned array; keys borrowed from the path's pattern) */
    storm_stix_step *steps;
    size_t n_steps;
    uint32_t reads; /* storm_stix_prefilter_reads of handle: the group is skipped on events without them */
    /* none of its tests puts a leaf on the list to decide (touches), nor
     * is one of a leaf decided on every event: read only when some leaf is
     * on the list (the tests then say on which objects it may hold) */
    bool lazy;
} event_group;

/* A remembered result: the tests that the equality keys and regex
 * databases of one group's paths hit on one string value. It depends on the
 * bytes only, and events repeat values (the same hook arguments, binaries
 * and command lines again and again), so most are looked up, not scanned. */
typedef struct regex_memo {
    uint32_t group;
    uint32_t len;
    uint32_t n_tests;
    /* owned: the n_tests test ids, then the value's len bytes, in one
     * block so that a hit reads one place */
    uint32_t *block;
    size_t cap; /* bytes of block */
} regex_memo;

/* An object type named by the index (borrowed from a test's path). */
typedef struct kind_name {
    const char *type;
    size_t len;
    bool process;
} kind_name;

struct leaf_index {
    leaf_entry *leaves;
    size_t n_leaves, alloc_leaves;
    index_path *paths;
    size_t n_paths, alloc_paths;
    eq_slot *eq;
    size_t eq_cap, eq_n;
    leaf_test *tests;
    size_t n_tests, alloc_tests;
    kind_name *kinds; /* the distinct object types of the tests */
    size_t n_kinds, alloc_kinds;
    uint32_t *dedupe; /* leaf text hash -> leaf id (UINT32_MAX empty) */
    size_t dedupe_cap;
    /* leaves that may hold with no key hit (all their tests keyless on some
     * object type): evaluated on every observation, resp. every event (where
     * a test on a path the event cannot give is keyless too) */
    uint32_t *free_obs, *free_event;
    size_t n_free_obs, n_free_event;
    size_t max_prog; /* longest program: the evaluation stack */
    uint64_t *stack;
    uint32_t *stamp; /* per leaf: generation it was last touched in */
    uint32_t *tgen;  /* per test: generation of tmask */
    uint64_t *tmask; /* per test: the objects its keys hit */
    uint32_t *kgen;  /* per kind: generation of kpresent */
    bool *kpresent;
    uint32_t gen;
    size_t n_prefiltered, n_unindexed;
    bool built;
    const char *cache_dir; /* borrowed during leaf_index_build: compiled databases kept there, or NULL */
    size_t n_cached;       /* databases loaded from it */
#if STORM_HAVE_HYPERSCAN
    hs_scratch_t *scratch;
    /* the value being scanned, for on_regex_hit to look for a regex's other
     * factors in */
    const char *scan_text;
    size_t scan_len;
    uint32_t *filter_hits; /* the regexes a path's filter found (the most of any path) */
#endif
    event_group *groups; /* event mode: paths by prefilter handle */
    size_t n_groups;
    /* the groups to read on an event with parts p (storm_stix_prefilter_parts,
     * PARTS_COMBOS of them): the eager ones, then the lazy ones, of list
     * 2 * p + lazy at group_list[group_start[i] .. group_start[i + 1]) */
    uint32_t *group_list;
    size_t group_start[2 * 32 + 1];
    /* REGEX_MEMO_SLOTS each: the hashes apart (0: empty), so that a probe
     * reads 8 bytes of a table that stays in cache */
    uint64_t *memo_hash;
    uint32_t *memo_used; /* generation of last use: the older of two slots goes */
    regex_memo *memo;
    uint32_t *rx_hits; /* the tests the scan of one value reported */
    size_t n_rx_hits, cap_rx_hits;
    bool rx_record; /* on_regex_hit appends to rx_hits instead of hitting */
    /* scan state of the current observation or event */
    uint32_t *touched; /* leaves with a key hit (then free ones) */
    size_t n_touched;
    uint32_t cur_path;
    uint32_t cur_group;
    uint64_t cur_bit;  /* the object of the value given now */
    uint64_t proc_all; /* the process objects (places) of the event */
    const storm_event *ev;
    const storm_observation *obs;
    const obs_types *obs_types;
    bool event_mode;
    storm_buf keybuf;
};

#define GROW(arr, n, alloc) STORM_ARRAY_GROW(arr, (n) + 1, alloc, 8)

static uint64_t hash_bytes(const void *p, size_t n)
{
    uint64_t h = storm_fnv1a(p, n);
    return h ^ (h >> 29);
}

/* A memo key's hash, the group in the seed's upper half. */
static uint64_t memo_hash(uint32_t group, const char *s, size_t n)
{
    return word_hash((uint64_t)group << 32, s, n);
}

/* The hash of an equality key (eq_key_lit): the path id and type letter
 * (its first 5 bytes) seed the word hash of the value text, so that a
 * string value is hashed where it lies, without being copied into a key. */
static uint64_t eq_hash(uint32_t path, char type, const char *s, size_t n)
{
    return memo_hash(path * 256u + (unsigned char)type, s, n);
}

static uint64_t eq_key_hash(const char *key, size_t len)
{
    uint32_t path;
    memcpy(&path, key, sizeof path);
    return eq_hash(path, key[4], key + 5, len - 5);
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
    for (size_t i = 0; i < x->n_leaves; i++) {
        free(x->leaves[i].text);
        free(x->leaves[i].prog);
    }
    for (size_t i = 0; i < x->n_paths; i++) {
        index_path *p = &x->paths[i];
        free(p->canon);
#if STORM_HAVE_HYPERSCAN
        for (size_t k = 0; k < p->n_exprs; k++)
            if (p->exprs[k].re != p->regex[p->exprs[k].regex].re)
                free(p->exprs[k].re);
        free(p->exprs);
        free(p->prefix_lens);
#endif
        for (size_t k = 0; k < p->n_regex; k++) {
            free(p->regex[k].re);
            free(p->regex[k].also);
        }
        free(p->regex);
        free(p->exists);
#if STORM_HAVE_HYPERSCAN
        for (size_t k = 0; k < p->n_dbs; k++)
            hs_free_database(p->dbs[k]);
        free(p->dbs);
        regex_filter_free(p->filter);
        free(p->filter_test);
#endif
    }
    for (size_t i = 0; i < x->eq_cap; i++) {
        free(x->eq[i].key);
        free(x->eq[i].tests);
    }
#if STORM_HAVE_HYPERSCAN
    if (x->scratch)
        hs_free_scratch(x->scratch);
    free(x->filter_hits);
#endif
    for (size_t i = 0; i < x->n_groups; i++) {
        free(x->groups[i].paths);
        free(x->groups[i].steps);
    }
    free(x->groups);
    free(x->group_list);
    if (x->memo)
        for (size_t i = 0; i < REGEX_MEMO_SLOTS; i++) {
            free(x->memo[i].block);
        }
    free(x->memo);
    free(x->memo_hash);
    free(x->memo_used);
    free(x->rx_hits);
    storm_buf_free(&x->keybuf);
    free(x->eq);
    free(x->tests);
    free(x->kinds);
    free(x->paths);
    free(x->leaves);
    free(x->free_obs);
    free(x->free_event);
    free(x->stack);
    free(x->touched);
    free(x->stamp);
    free(x->tgen);
    free(x->tmask);
    free(x->kgen);
    free(x->kpresent);
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
    l->prog = NULL;
    l->n_prog = 0;
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

#if STORM_HAVE_HYPERSCAN
/* A LIKE pattern as a regex: % any run, _ one character. Anchored at
 * either end, except where the pattern begins or ends with %: "^.*" and
 * ".*$" hold wherever the rest does (the databases match with DOTALL), and
 * without them a pattern such as '%/opt/app%' is a plain literal search. */
static char *like_to_regex(const char *s, size_t n)
{
    char *re = malloc(n * 2 + 8), *o = re;
    if (!re)
        return NULL;
    bool open_start = n && s[0] == '%', open_end = n && s[n - 1] == '%';
    while (n && s[0] == '%') {
        s++;
        n--;
    }
    while (n && s[n - 1] == '%')
        n--;
    if (!open_start)
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
    if (!open_end)
        *o++ = '$';
    *o = '\0';
    return re;
}
#endif

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

static int add_id_to(uint32_t **ids, size_t *n, size_t *alloc, uint32_t id)
{
    if (*n && (*ids)[*n - 1] == id)
        return 0; /* same test, second literal of one IN */
    if (storm_array_grow(ids, alloc, *n + 1, sizeof **ids, 8) != 0)
        return -1;
    (*ids)[(*n)++] = id;
    return 0;
}

/* The key text of an integer ("i" and its decimal, as "i%lld" writes it)
 * appended to b: without printf, which cost ~800 instructions for each
 * integer value of an event (hook arguments). */
static void int_key(storm_buf *b, long long v)
{
    char tmp[1 + STORM_DECIMAL_MAX];
    tmp[0] = 'i';
    storm_buf_append(b, tmp, 1 + storm_decimal((int64_t)v, tmp + 1));
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
        int_key(b, (long long)l->u.i);
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

/* eq_find of the key "<path><type><s[0..n)>": a string value's ('s') or a
 * prefix key ('p'). */
static const eq_slot *eq_find_typed(const leaf_index *x, uint32_t path, char type, const char *s, size_t n)
{
    if (!x->eq_cap)
        return NULL;
    uint64_t h = eq_hash(path, type, s, n);
    for (size_t j = h & (x->eq_cap - 1); x->eq[j].key; j = (j + 1) & (x->eq_cap - 1)) {
        const eq_slot *e = &x->eq[j];
        if (e->hash == h && e->key_len == n + 5 && memcmp(e->key, &path, sizeof path) == 0 && e->key[4] == type &&
            memcmp(e->key + 5, s, n) == 0)
            return e;
    }
    return NULL;
}

/* eq_find of the key of string value s[0..n) on path. */
static const eq_slot *eq_find_str(const leaf_index *x, uint32_t path, const char *s, size_t n)
{
    return eq_find_typed(x, path, 's', s, n);
}

static int eq_add(leaf_index *x, const char *key, size_t len, uint32_t test)
{
    uint64_t h = eq_key_hash(key, len);
    eq_slot *s = eq_find(x, key, len, h);
    if (s)
        return add_id_to(&s->tests, &s->n, &s->alloc, test);
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
    return add_id_to(&s->tests, &s->n, &s->alloc, test);
}

#if STORM_HAVE_HYPERSCAN
/* Expression e of path p as Hyperscan compiles it (database id e), and the
 * regex it stands for: without factors, expression e is regex e. */
static const char *path_expr_text(const index_path *p, size_t e)
{
    return p->factored ? p->exprs[e].re : p->regex[e].re;
}

static path_regex *path_expr_regex(index_path *p, size_t e)
{
    return &p->regex[p->factored ? p->exprs[e].regex : e];
}

/* The first expression of regex ri of path p (ri = n_regex: the end). */
static size_t path_expr_at(const index_path *p, size_t ri)
{
    if (!p->factored)
        return ri;
    return ri < p->n_regex ? p->regex[ri].first_expr : p->n_exprs;
}

/* One prefilter database to build: regexes [lo, hi) of a path. Groups
 * touch disjoint regexes and nothing else of the index, so that several
 * can be built at once (regex_groups_build). */
typedef struct regex_group {
    index_path *p;
    size_t lo, hi;         /* expressions (path_expr_text) */
    const char *cache_dir; /* or NULL */
    hs_database_t *db;     /* the result; NULL when every regex was rejected */
    bool cached;           /* db was loaded from cache_dir */
    int rc;                /* 0, or -1 on OOM */
} regex_group;

/* Compile the group's regexes into one database (g->db). An expression
 * Hyperscan rejects is taken out (its test then has no key) and the rest
 * compiled again. With a cache directory, the database compiled before
 * from the same expressions is loaded instead (regex_cache.h), and one
 * compiled here is stored there. */
static void regex_group_build(regex_group *g)
{
    const unsigned all_flags =
        HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_UTF8 | HS_FLAG_DOTALL;
    index_path *p = g->p;
    size_t lo = g->lo, hi = g->hi, cnt = hi - lo;
    if (cnt == 0) { /* every regex of the group has a prefix key */
        g->db = NULL;
        g->rc = 0;
        return;
    }
    const char **exprs = calloc(cnt, sizeof *exprs), **key_exprs = calloc(cnt, sizeof *key_exprs);
    unsigned *flags = calloc(cnt, sizeof *flags), *key_flags = calloc(cnt, sizeof *key_flags);
    unsigned *ids = calloc(cnt, sizeof *ids);
    bool *rejected = calloc(cnt, sizeof *rejected);
    g->rc = -1;
    if (!exprs || !key_exprs || !flags || !key_flags || !ids || !rejected)
        goto out;
    /* the key: every expression of the group, none rejected yet */
    for (size_t i = lo; i < hi; i++) {
        key_exprs[i - lo] = path_expr_text(p, i);
        key_flags[i - lo] = all_flags;
    }
    regex_cache_key key = {key_exprs, key_flags, (unsigned)cnt, (unsigned)lo};
    hs_database_t *built = g->cache_dir ? regex_cache_load(g->cache_dir, &key, rejected) : NULL;
    if (built) {
        g->cached = true;
        for (size_t i = lo; i < hi; i++)
            if (rejected[i - lo])
                path_expr_regex(p, i)->rejected = true;
    }
    bool compiled = false;
    while (!built) {
        unsigned n = 0;
        for (size_t i = lo; i < hi; i++) {
            if (path_expr_regex(p, i)->rejected)
                continue;
            exprs[n] = path_expr_text(p, i);
            /* prefilter: a superset of PCRE's matches; DOTALL widens it further */
            flags[n] = all_flags;
            ids[n] = (unsigned)i;
            n++;
        }
        if (n == 0)
            break;
        hs_compile_error_t *cerr = NULL;
        hs_database_t *db = NULL;
        if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &db, &cerr) == HS_SUCCESS) {
            built = db;
            compiled = true;
            break;
        }
        int bad = cerr ? cerr->expression : -1;
        if (cerr)
            hs_free_compile_error(cerr);
        if (bad < 0 || (unsigned)bad >= n) {
            for (size_t i = lo; i < hi; i++)
                path_expr_regex(p, i)->rejected = true;
            break;
        }
        path_expr_regex(p, ids[bad])->rejected = true;
    }
    if (compiled && g->cache_dir) {
        for (size_t i = lo; i < hi; i++)
            rejected[i - lo] = path_expr_regex(p, i)->rejected;
        regex_cache_store(g->cache_dir, &key, rejected, built);
    }
    g->db = built;
    g->rc = 0;
out:
    free(exprs);
    free(key_exprs);
    free(flags);
    free(key_flags);
    free(ids);
    free(rejected);
}

#define FACTORS_MAX 4    /* literal factors kept of a regex: the longest */
#define FACTOR_MIN_LEN 3 /* shorter ones are dropped */
#define FACTOR_NEEDED 4  /* some factor (or the prefix) must be this long to stand for the regex */
#define PREFIX_TEXT 256  /* a longer prefix keeps its start */

/* A literal every match of a regex holds (a clause of one literal of its
 * regex_literals condition). */
typedef struct factor {
    char text[REGEX_LITERAL_BYTES];
    size_t len;
} factor;

/* Regex r of path pid keyed by text[0..len), which every match starts
 * with: the key "<pid>p<text>" (eq table) and its length among the path's
 * prefix lengths. Hyperscan then has no expression for it (an anchored
 * literal compiles as slowly as a regex, and an unanchored one is looked
 * for in the whole value). -1 on OOM. */
static int prefix_key(leaf_index *x, uint32_t pid, const path_regex *r, const char *text, size_t len)
{
    index_path *p = &x->paths[pid];
    char key[5 + PREFIX_TEXT];
    memcpy(key, &pid, sizeof pid);
    key[4] = 'p';
    memcpy(key + 5, text, len);
    if (eq_add(x, key, len + 5, r->test) != 0)
        return -1;
    size_t at = 0;
    while (at < p->n_prefix_lens && p->prefix_lens[at] < len)
        at++;
    if (at < p->n_prefix_lens && p->prefix_lens[at] == len)
        return 0;
    uint16_t *ls = realloc(p->prefix_lens, (p->n_prefix_lens + 1) * sizeof *ls);
    if (!ls)
        return -1;
    memmove(ls + at + 1, ls + at, (p->n_prefix_lens - at) * sizeof *ls);
    ls[at] = (uint16_t)len;
    p->prefix_lens = ls;
    p->n_prefix_lens++;
    return 0;
}

/* Hyperscan's text for literal bytes: letters and digits as they are,
 * every other byte as \xHH. Owned by the caller (free); NULL on OOM. */
static char *literal_expr(const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *re = malloc(n * 4 + 1), *o = re;
    if (!re)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            *o++ = (char)c;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return re;
}

/* The factors of a regex whose condition is l (regex_literals_of): the
 * literals of its one-literal clauses of at least FACTOR_MIN_LEN bytes,
 * the FACTORS_MAX longest, longest first, into out; 0 when it has
 * alternatives at the top, or no factor of FACTOR_NEEDED bytes. */
static size_t factors_of(const regex_literals *l, factor out[FACTORS_MAX])
{
    if (l->n_units != 1)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        bool alone =
            (i == 0 || l->clause[i - 1] != l->clause[i]) && (i + 1 == l->n || l->clause[i + 1] != l->clause[i]);
        if (!alone || l->len[i] < FACTOR_MIN_LEN || (n == FACTORS_MAX && out[n - 1].len >= l->len[i]))
            continue;
        size_t at = n < FACTORS_MAX ? n++ : n - 1; /* full: the shortest goes */
        for (; at > 0 && out[at - 1].len < l->len[i]; at--)
            out[at] = out[at - 1];
        memcpy(out[at].text, l->lit[i], l->len[i]);
        out[at].len = l->len[i];
    }
    return n && out[0].len >= FACTOR_NEEDED ? n : 0;
}

static int factor_cmp(const void *a, const void *b)
{
    const factor *x = *(const factor *const *)a, *y = *(const factor *const *)b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->text, y->text, x->len);
}

/* How many of the sorted factors sorted[0..n) have f's text. */
static size_t factor_count(const factor *const *sorted, size_t n, const factor *f)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first not below f */
        size_t mid = lo + (hi - lo) / 2;
        if (factor_cmp(&sorted[mid], &f) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = lo;
    while (k < n && factor_cmp(&sorted[k], &f) == 0)
        k++;
    return k - lo;
}

/* Regex ri's expression: its factor fs[best] (the others kept in its
 * also, to be looked for once it is found), or the regex itself when nf
 * is 0. -1 on OOM. */
static int factor_expr(index_path *p, size_t ri, const factor *fs, size_t nf, size_t best, size_t *alloc)
{
    path_regex *r = &p->regex[ri];
    r->n_exprs = 1;
    if (nf > 1) {
        size_t len = 0;
        for (size_t k = 0; k < nf; k++)
            len += k == best ? 0 : fs[k].len + 1;
        if (!(r->also = malloc(len)))
            return -1;
        char *o = r->also;
        for (size_t k = 0; k < nf; k++) {
            if (k == best)
                continue;
            memcpy(o, fs[k].text, fs[k].len);
            o[fs[k].len] = '\0';
            o += fs[k].len + 1;
        }
        r->n_also = (uint8_t)(nf - 1);
    }
    char *re = nf ? literal_expr(fs[best].text, fs[best].len) : r->re;
    if (!re || GROW(p->exprs, p->n_exprs, *alloc) != 0) {
        if (re != r->re)
            free(re);
        return -1;
    }
    p->exprs[p->n_exprs++] = (path_expr){re, (uint32_t)ri};
    return 0;
}

/* Path pid's expressions (p->exprs): for each regex, the text every match
 * starts with as a prefix key; else one literal factor, the one fewest of
 * the path's regexes share (generated "%/opt/app5/%--flag-1234%" patterns
 * share their first part thirty ways: scanning for it would find it in
 * every such command line), its other factors looked for once it is found;
 * else the regex itself. One literal per regex keeps the databases small.
 * -1 on OOM. */
static int path_factor(leaf_index *x, uint32_t pid)
{
    size_t n = x->paths[pid].n_regex, n_sorted = 0, alloc = 0;
    regex_literals *l = malloc(sizeof *l);
    factor(*fs)[FACTORS_MAX] = malloc(n * sizeof *fs);
    size_t *nf = malloc(n * sizeof *nf);
    const factor **sorted = malloc(n * FACTORS_MAX * sizeof *sorted);
    int rc = -1;
    if (!l || !fs || !nf || !sorted)
        goto out;
    x->paths[pid].factored = true;
    for (size_t i = 0; i < n; i++) {
        const char *re = x->paths[pid].regex[i].re;
        nf[i] = regex_literals_of(re, strlen(re), l) ? factors_of(l, fs[i]) : 0;
        for (size_t k = 0; k < nf[i]; k++)
            sorted[n_sorted++] = &fs[i][k];
    }
    qsort(sorted, n_sorted, sizeof *sorted, factor_cmp);
    for (size_t i = 0; i < n; i++) {
        index_path *p = &x->paths[pid];
        path_regex *r = &p->regex[i];
        r->first_expr = (uint32_t)p->n_exprs;
        char prefix[PREFIX_TEXT];
        size_t plen = nf[i] ? regex_literals_prefix(r->re, strlen(r->re), prefix, sizeof prefix) : 0;
        if (plen >= FACTOR_NEEDED) {
            r->n_exprs = 0;
            if (prefix_key(x, pid, r, prefix, plen) != 0)
                goto out;
            continue;
        }
        size_t best = 0, best_count = SIZE_MAX;
        for (size_t k = 0; k < nf[i]; k++) { /* factors come longest first: ties keep the longer */
            size_t c = factor_count(sorted, n_sorted, &fs[i][k]);
            if (c < best_count) {
                best = k;
                best_count = c;
            }
        }
        if (factor_expr(p, i, fs[i], nf[i], best, &alloc) != 0)
            goto out;
    }
    rc = 0;
out:
    free(l);
    free(fs);
    free(nf);
    free(sorted);
    return rc;
}

/* The groups of every path with regexes, in path order: a path's regexes
 * in groups of at most REGEX_DB_MAX, one database each. Hyperscan's
 * compiler needs memory that grows faster than the number of expressions:
 * one database of the ~2,000 command-line regexes of 10,000 indicators was
 * the peak of Storm's whole life (~20 MB over what it keeps). Each value is
 * then scanned once per group. *out: an owned array (free; NULL when no
 * path has a regex) of *n_out groups. -1 on OOM. */
static int regex_groups_plan(leaf_index *x, regex_group **out, size_t *n_out)
{
    size_t n = 0, alloc = 0;
    regex_group *gs = NULL;
    for (size_t pi = 0; pi < x->n_paths; pi++) {
        index_path *p = &x->paths[pi];
        /* groups of equal size: 2,131 regexes make two of 1,066, not 1,024 + 1,024 + 83 */
        size_t groups = (p->n_regex + REGEX_DB_MAX - 1) / REGEX_DB_MAX;
        size_t per = groups ? (p->n_regex + groups - 1) / groups : 0;
        for (size_t lo = 0; lo < p->n_regex; lo += per) {
            size_t hi = p->n_regex - lo > per ? lo + per : p->n_regex;
            if (GROW(gs, n, alloc) != 0) {
                free(gs);
                return -1;
            }
            gs[n++] = (regex_group){p, path_expr_at(p, lo), path_expr_at(p, hi), x->cache_dir, NULL, false, 0};
        }
    }
    *out = gs;
    *n_out = n;
    return 0;
}

/* The groups to build, biggest first (a compilation takes longer the more
 * regexes it has), handed out one at a time to the building threads. */
typedef struct regex_queue {
    regex_group *groups;
    size_t *order;
    size_t n;
    atomic_size_t next;
} regex_queue;

static void *regex_queue_work(void *arg)
{
    regex_queue *q = arg;
    for (size_t k; (k = atomic_fetch_add(&q->next, 1)) < q->n;)
        regex_group_build(&q->groups[q->order[k]]);
    return NULL;
}

/* The CPUs this process may run on. */
static size_t usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? (size_t)n : 1;
}

/* Build every group, on as many threads as there are usable CPUs (at most
 * REGEX_BUILD_THREADS): at 10,000 indicators an empty cache means a dozen
 * databases and seconds of compiling. Each thread builds whole groups;
 * what a group yields does not depend on the thread or the order. */
static void regex_groups_build(regex_group *gs, size_t n)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) {
        for (size_t i = 0; i < n; i++)
            regex_group_build(&gs[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) { /* insertion sort: a dozen groups, biggest first, stable */
        size_t j = i;
        for (; j > 0 && gs[order[j - 1]].hi - gs[order[j - 1]].lo < gs[i].hi - gs[i].lo; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    regex_queue q = {gs, order, n, 0};
    size_t n_threads = usable_cpus();
    if (n_threads > REGEX_BUILD_THREADS)
        n_threads = REGEX_BUILD_THREADS;
    if (n_threads > n)
        n_threads = n;
    pthread_t tids[REGEX_BUILD_THREADS];
    size_t started = 0;
    for (size_t t = 1; t < n_threads; t++) /* the calling thread is one of them */
        if (pthread_create(&tids[started], NULL, regex_queue_work, &q) == 0)
            started++;
    regex_queue_work(&q);
    for (size_t t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    free(order);
}

/* The databases of every path, built (in parallel when CPUs allow) then
 * handed to their paths in path and group order, with scratch for them. */
static int paths_build_dbs(leaf_index *x)
{
    size_t n = 0;
    regex_group *gs = NULL;
    for (size_t i = 0; i < x->n_paths; i++)
        if (x->paths[i].n_regex >= REGEX_FACTOR_PATH_MIN && path_factor(x, (uint32_t)i) != 0)
            return -1;
    if (regex_groups_plan(x, &gs, &n) != 0)
        return -1;
    regex_groups_build(gs, n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        regex_group *g = &gs[i];
        if (rc == 0 && g->rc != 0)
            rc = -1;
        if (!g->db)
            continue;
        x->n_cached += g->cached;
        hs_database_t **dbs = rc == 0 ? realloc(g->p->dbs, (g->p->n_dbs + 1) * sizeof *dbs) : NULL;
        if (!dbs) {
            hs_free_database(g->db);
            rc = -1;
            continue;
        }
        g->p->dbs = dbs;
        g->p->dbs[g->p->n_dbs++] = g->db;
        if (hs_alloc_scratch(g->db, &x->scratch) != HS_SUCCESS)
            rc = -1;
    }
    free(gs);
    return rc;
}
#endif

#if STORM_HAVE_HYPERSCAN
/* Each path's regex_filter of the regexes in its databases, with the
 * scratch its hits are written to. 0, or -1 out of memory. */
static int paths_build_filters(leaf_index *x)
{
    size_t most = 0;
    for (size_t pi = 0; pi < x->n_paths; pi++) {
        index_path *p = &x->paths[pi];
        if (!p->n_dbs)
            continue;
        const char **res = malloc((p->n_regex + 1) * sizeof *res);
        p->filter_test = malloc((p->n_regex + 1) * sizeof *p->filter_test);
        if (!res || !p->filter_test) {
            free(res);
            return -1;
        }
        size_t n = 0;
        for (size_t k = 0; k < p->n_regex; k++) {
            if (p->regex[k].rejected || (p->factored && !p->regex[k].n_exprs)) /* not in a database */
                continue;
            res[n] = p->regex[k].re;
            p->filter_test[n++] = p->regex[k].test;
        }
        int rc = regex_filter_new(res, n, &p->filter);
        free(res);
        if (rc != 0)
            return -1;
        if (n > most)
            most = n;
    }
    x->filter_hits = malloc((most + 1) * sizeof *x->filter_hits);
    return x->filter_hits ? 0 : -1;
}
#endif

#define EVENT_STEPS_MAX 16 /* longer paths are not read off events */

/* A path's steps as the prefilter takes them (at most EVENT_STEPS_MAX). */
static void path_event_steps(const pat_path *p, storm_stix_step *steps)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        const pat_step *s = &p->steps[i];
        steps[i].key = s->kind == PAT_STEP_KEY ? s->key : NULL;
        steps[i].key_len = s->kind == PAT_STEP_KEY ? s->key_len : 0;
        steps[i].index = s->kind == PAT_STEP_INDEX ? s->index : -1;
    }
}

/* The prefilter's handle of an indexed path (storm/stix_prefilter.h). */
static int path_event_handle(const pat_path *p)
{
    storm_stix_step steps[EVENT_STEPS_MAX];
    if (p->n_steps > EVENT_STEPS_MAX)
        return -1;
    path_event_steps(p, steps);
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
    x->kinds[x->n_kinds] = (kind_name){type, len, len == 7 && memcmp(type, "process", 7) == 0};
    return (int)x->n_kinds++;
}

/* The bit of an object of a kind in an object set: process objects are bits
 * 0..31 (one per place), every other kind shares bit 32 + kind % 32 with
 * kinds 32 apart (they then look alike: more candidates, never fewer). */
static uint64_t kind_bit(const leaf_index *x, int kind)
{
    return x->kinds[kind].process ? 0 : (uint64_t)1 << (32 + (unsigned)kind % 32);
}

/* The keys of one comparison, added to the tables; test->keyed when it has
 * any. A negated comparison, one on a *_hex or *_bin property (compared as
 * the bytes it encodes), a non-ASCII regex (the engine compares Unicode-
 * normalised forms) and the other operators have none: the test then may
 * hold on any object of its type. */
static int test_keys(leaf_index *x, const pat_cmp *c, uint32_t tid, storm_buf *kb)
{
    leaf_test *t = &x->tests[tid];
    if (c->negated || path_is_binary(&c->path))
        return 0;
    uint32_t pid = 0;
    switch (c->op) {
    case PAT_OP_EQ:
    case PAT_OP_IN: {
        if (c->n_values == 0 || (c->op == PAT_OP_EQ && c->n_values != 1))
            return 0;
        for (size_t i = 0; i < c->n_values; i++)
            if (!lit_hashable(&c->values[i]))
                return 0;
        if (path_id(x, &c->path, &pid) != 0)
            return -1;
        index_path *ip = &x->paths[pid];
        for (size_t i = 0; i < c->n_values; i++) {
            const pat_literal *l = &c->values[i];
            ip->has_eq = true;
            if (l->type == PAT_LIT_STRING)
                ip->eq_str_lens |= (uint64_t)1 << (l->u.str.len & 63);
            else if (l->type == PAT_LIT_INT)
                ip->eq_int = true;
            else
                ip->eq_bool = true;
            eq_key_lit(kb, pid, l);
            if (!kb->data || eq_add(x, kb->data, kb->len, tid) != 0)
                return -1;
        }
        break;
    }
    case PAT_OP_MATCHES:
    case PAT_OP_LIKE: {
        if (c->n_values != 1 || c->values[0].type != PAT_LIT_STRING ||
            !is_ascii(c->values[0].u.str.ptr, c->values[0].u.str.len))
            return 0;
#if STORM_HAVE_HYPERSCAN
        const pat_literal *l = &c->values[0];
        char *re =
            c->op == PAT_OP_LIKE ? like_to_regex(l->u.str.ptr, l->u.str.len) : strndup(l->u.str.ptr, l->u.str.len);
        if (!re || path_id(x, &c->path, &pid) != 0) {
            free(re);
            return -1;
        }
        index_path *ip = &x->paths[pid];
        if (GROW(ip->regex, ip->n_regex, ip->alloc_regex) != 0) {
            free(re);
            return -1;
        }
        ip->regex[ip->n_regex++] = (path_regex){re, tid, false};
        break;
#else
        x->n_unindexed++;
        return 0;
#endif
    }
    case PAT_OP_EXISTS: {
        /* only a scalar property: an empty list or object exists too, and
         * gives no value */
        if (!storm_stix_prefilter_scalar(path_event_handle(&c->path)))
            return 0;
        if (path_id(x, &c->path, &pid) != 0)
            return -1;
        index_path *ip = &x->paths[pid];
        if (add_id_to(&ip->exists, &ip->n_exists, &ip->alloc_exists, tid) != 0)
            return -1;
        break;
    }
    default: return 0;
    }
    t = &x->tests[tid];
    t->keyed = true;
    t->path = (int32_t)pid;
    return 0;
}

/* The program of comparison expression c appended to leaf l's (postfix). */
static int compile_cmp(leaf_index *x, uint32_t leaf, const pat_cmp *c, storm_buf *kb, size_t *alloc)
{
    leaf_entry *l = &x->leaves[leaf];
    if (c->kind != PAT_CMP_TEST) {
        if (compile_cmp(x, leaf, c->left, kb, alloc) != 0 || compile_cmp(x, leaf, c->right, kb, alloc) != 0)
            return -1;
        l = &x->leaves[leaf];
        if (GROW(l->prog, l->n_prog, *alloc) != 0)
            return -1;
        l->prog[l->n_prog++] = (prog_step){(uint8_t)(c->kind == PAT_CMP_AND ? OP_AND : OP_OR), 0, 0};
        return 0;
    }
    int kind = kind_id(x, c->path.object_type, c->path.object_type_len);
    if (kind < 0 || GROW(x->tests, x->n_tests, x->alloc_tests) != 0)
        return -1;
    uint32_t tid = (uint32_t)x->n_tests++;
    x->tests[tid] = (leaf_test){leaf, -1, kind, false, true, false};
    if (test_keys(x, c, tid, kb) != 0)
        return -1;
    if (GROW(l->prog, l->n_prog, *alloc) != 0)
        return -1;
    l->prog[l->n_prog++] = (prog_step){OP_TEST, 0, tid};
    return 0;
}

/* May test t hold with none of its keys hit, on an event (event: a path the
 * event cannot give counts as no key) or an observation? */
static bool test_keyless(const leaf_index *x, uint32_t t, bool event)
{
    const leaf_test *lt = &x->tests[t];
    return !lt->keyed || (event && x->paths[lt->path].event_path < 0);
}

/* The objects of kind present in the current event or observation. */
static uint64_t kind_objects(leaf_index *x, int kind)
{
    if (x->kinds[kind].process) {
        if (x->event_mode)
            return x->proc_all;
    }
    if (x->kgen[kind] != x->gen) {
        x->kgen[kind] = x->gen;
        const kind_name *k = &x->kinds[kind];
        if (x->event_mode)
            x->kpresent[kind] = storm_stix_prefilter_may_have(x->ev, k->type, k->len);
        else
            x->kpresent[kind] = obs_types_has(x->obs, x->obs_types, k->type, k->len);
    }
    if (!x->kpresent[kind])
        return 0;
    return x->kinds[kind].process ? 1 : kind_bit(x, kind);
}

#define LEAF_EXACT (-1) /* leaf_objects: from the key hits */
#define LEAF_BOUND (-2) /* leaf_objects: the tests of lazy groups, not read yet, as hitting every object */

/* The objects leaf l may hold on: its program over the key hits. keyless
 * (build time, 0 or 1): every test without a hit, as if no key hit at all.
 * LEAF_BOUND: a superset of the LEAF_EXACT result whatever the lazy groups
 * give, since a program only ANDs and ORs test sets (a negated comparison
 * has no key: its set does not depend on hits). */
static uint64_t leaf_objects(leaf_index *x, uint32_t leaf, int build_keyless)
{
    const leaf_entry *l = &x->leaves[leaf];
    uint64_t *st = x->stack;
    size_t sp = 0;
    for (size_t i = 0; i < l->n_prog; i++) {
        const prog_step *p = &l->prog[i];
        if (p->op == OP_TEST) {
            uint32_t t = p->arg;
            uint64_t m;
            if (build_keyless >= 0)
                m = test_keyless(x, t, build_keyless) ? ~(uint64_t)0 : 0;
            else if (p->flags & (x->event_mode ? STEP_KEYLESS_EVENT : STEP_KEYLESS_OBS))
                m = kind_objects(x, x->tests[t].kind);
            else if (build_keyless == LEAF_BOUND && (p->flags & STEP_LAZY))
                m = ~(uint64_t)0;
            else
                m = x->tgen[t] == x->gen ? x->tmask[t] : 0;
            st[sp++] = m;
        } else {
            sp--;
            st[sp - 1] = p->op == OP_AND ? st[sp - 1] & st[sp] : st[sp - 1] | st[sp];
        }
    }
    return sp ? st[0] : 0;
}

/* How well test t serves as its leaf's trigger: 0 not at all (it may hold
 * with no key hit, on events or observations), 1 an EXISTS (most objects
 * have the property), 2 a key on a hook's name (a node has a few dozen
 * hooks, and a few of them are most of its events: a security_file_permission
 * key put seven shipped leaves on the list of a third of the quiet kprobe
 * stream's events, where their path regexes hit one in hundreds), 3 any
 * other equality or regex key. */
static int trigger_rank(const leaf_index *x, uint32_t t)
{
    const leaf_test *lt = &x->tests[t];
    if (!lt->keyed || lt->path < 0 || x->paths[lt->path].event_path < 0)
        return 0;
    const index_path *p = &x->paths[lt->path];
    for (size_t i = 0; i < p->n_exists; i++)
        if (p->exists[i] == t)
            return 1;
    const pat_path *pp = p->path;
    if (pp->n_steps == 1 && pp->steps[0].key && strcmp(pp->steps[0].key, "x_hook_name") == 0)
        return 2;
    return 3;
}

/* A leaf's objects are within those of each test of its top-level AND, so
 * when one of them (keyed, readable off events) hits nothing the leaf holds
 * on nothing: only that test's hits need to put the leaf on the list that
 * decide() evaluates; the others only record their objects. A leaf
 * without such a test is put there by any hit, as before. 0, or -1 out of
 * memory. */
static int choose_triggers(leaf_index *x)
{
    int64_t *st = malloc((x->max_prog + 1) * sizeof *st); /* test id, or -1 */
    if (!st)
        return -1;
    for (size_t li = 0; li < x->n_leaves; li++) {
        const leaf_entry *l = &x->leaves[li];
        size_t sp = 0;
        for (size_t i = 0; i < l->n_prog; i++) {
            const prog_step *ps = &l->prog[i];
            if (ps->op == OP_TEST) {
                st[sp++] = trigger_rank(x, ps->arg) ? (int64_t)ps->arg : -1;
                continue;
            }
            sp--;
            if (ps->op == OP_OR)
                st[sp - 1] = -1;
            else if (st[sp - 1] < 0 ||
                     (st[sp] >= 0 && trigger_rank(x, (uint32_t)st[sp]) > trigger_rank(x, (uint32_t)st[sp - 1])))
                st[sp - 1] = st[sp];
        }
        if (sp != 1 || st[0] < 0)
            continue;
        for (size_t i = 0; i < l->n_prog; i++)
            if (l->prog[i].op == OP_TEST)
                x->tests[l->prog[i].arg].touches = (int64_t)l->prog[i].arg == st[0];
    }
    free(st);
    return 0;
}

/* Which groups are lazy (event_group.lazy): those whose tests do not
 * touch and belong to no leaf of x->free_event. 0, or -1 out of memory. */
static int mark_lazy_groups(leaf_index *x)
{
    bool *is_free = calloc(x->n_leaves + 1, sizeof *is_free);
    uint32_t *group_of = malloc((x->n_paths + 1) * sizeof *group_of); /* path -> group, UINT32_MAX: none */
    if (!is_free || !group_of) {
        free(is_free);
        free(group_of);
        return -1;
    }
    for (size_t i = 0; i < x->n_free_event; i++)
        is_free[x->free_event[i]] = true;
    memset(group_of, 0xff, (x->n_paths + 1) * sizeof *group_of);
    for (size_t g = 0; g < x->n_groups; g++)
        for (size_t i = 0; i < x->groups[g].n_paths; i++)
            group_of[x->groups[g].paths[i]] = (uint32_t)g;
    for (size_t t = 0; t < x->n_tests; t++) {
        const leaf_test *lt = &x->tests[t];
        if (lt->path < 0 || group_of[lt->path] == UINT32_MAX)
            continue;
        if (lt->touches || is_free[lt->leaf])
            x->groups[group_of[lt->path]].lazy = false;
    }
    for (size_t t = 0; t < x->n_tests; t++) {
        leaf_test *lt = &x->tests[t];
        lt->lazy = lt->path >= 0 && group_of[lt->path] != UINT32_MAX && x->groups[group_of[lt->path]].lazy;
    }
    free(is_free);
    free(group_of);
    return 0;
}

#define PARTS_COMBOS 32 /* the combinations of the STORM_STIX_PART_* bits */
_Static_assert((STORM_STIX_PART_OTHER | STORM_STIX_PART_HOOK | STORM_STIX_PART_ALERT | STORM_STIX_PART_AUDIT |
                STORM_STIX_PART_APP) < PARTS_COMBOS,
               "every event part has a bit below PARTS_COMBOS");

/* x->group_list: for each combination of event parts, the groups that read
 * any of them, eager then lazy, so that an event visits only those. 0, or
 * -1 out of memory. */
static int list_groups(leaf_index *x)
{
    x->group_list = malloc((2 * PARTS_COMBOS * x->n_groups + 1) * sizeof *x->group_list);
    if (!x->group_list)
        return -1;
    size_t n = 0;
    for (uint32_t parts = 0; parts < PARTS_COMBOS; parts++)
        for (int lazy = 0; lazy < 2; lazy++) {
            x->group_start[2 * parts + (uint32_t)lazy] = n;
            for (size_t g = 0; g < x->n_groups; g++)
                if (x->groups[g].lazy == lazy && (x->groups[g].reads & parts))
                    x->group_list[n++] = (uint32_t)g;
        }
    x->group_start[2 * PARTS_COMBOS] = n;
    return 0;
}

/* The paths readable off events, grouped by prefilter handle (x->groups),
 * the regex memo and the leaves' triggers. 0, or -1 out of memory. */
static int build_event_groups(leaf_index *x)
{
    if (choose_triggers(x) != 0)
        return -1;
    size_t alloc = 0;
    for (size_t i = 0; i < x->n_paths; i++) {
        const index_path *p = &x->paths[i];
        if (p->event_path < 0)
            continue;
        /* a structured property's paths read different values: one group
         * each */
        bool structured = storm_stix_prefilter_structured(p->event_path);
        size_t g = 0;
        while (g < x->n_groups && (structured || x->groups[g].handle != p->event_path))
            g++;
        if (g == x->n_groups) {
            if (GROW(x->groups, x->n_groups, alloc) != 0)
                return -1;
            x->groups[g] = (event_group){
                p->event_path, p->on_process, false, NULL, 0, NULL, 0, storm_stix_prefilter_reads(p->event_path), true};
            x->n_groups++;
            if (structured) {
                x->groups[g].steps = malloc((p->path->n_steps + 1) * sizeof *x->groups[g].steps);
                if (!x->groups[g].steps)
                    return -1;
                path_event_steps(p->path, x->groups[g].steps);
                x->groups[g].n_steps = p->path->n_steps;
            }
        }
        event_group *eg = &x->groups[g];
        uint32_t *np = realloc(eg->paths, (eg->n_paths + 1) * sizeof *np);
        if (!np)
            return -1;
        eg->paths = np;
        eg->paths[eg->n_paths++] = (uint32_t)i;
#if STORM_HAVE_HYPERSCAN
        if (p->n_dbs || p->n_prefix_lens)
            eg->has_regex = true;
#endif
    }
    if (mark_lazy_groups(x) != 0 || list_groups(x) != 0)
        return -1;
    /* a test hits once per value by its equality key or a database scan,
     * twice with the NFC form */
    x->cap_rx_hits = 2 * x->n_tests + 1;
    x->rx_hits = malloc(x->cap_rx_hits * sizeof *x->rx_hits);
    x->memo = calloc(REGEX_MEMO_SLOTS, sizeof *x->memo);
    x->memo_hash = calloc(REGEX_MEMO_SLOTS, sizeof *x->memo_hash);
    x->memo_used = calloc(REGEX_MEMO_SLOTS, sizeof *x->memo_used);
    return x->rx_hits && x->memo && x->memo_hash && x->memo_used ? 0 : -1;
}

storm_rc leaf_index_build(leaf_index *x, const char *cache_dir, storm_err *err)
{
    if (x->built)
        return STORM_OK;
    x->built = true;
    x->cache_dir = cache_dir;
    storm_buf kb;
    storm_buf_init(&kb, EQ_KEY_MAX + 16);
    storm_rc rc = STORM_OK;
    for (size_t li = 0; li < x->n_leaves && rc == STORM_OK; li++) {
        size_t alloc = 0;
        if (compile_cmp(x, (uint32_t)li, x->leaves[li].cmp, &kb, &alloc) != 0)
            rc = STORM_ERR_NOMEM;
        else if (x->leaves[li].n_prog > x->max_prog)
            x->max_prog = x->leaves[li].n_prog;
    }
#if STORM_HAVE_HYPERSCAN
    if (rc == STORM_OK && paths_build_dbs(x) != 0)
        rc = STORM_ERR_NOMEM;
    if (rc == STORM_OK && paths_build_filters(x) != 0)
        rc = STORM_ERR_NOMEM;
    for (size_t i = 0; i < x->n_paths && rc == STORM_OK; i++) {
        index_path *p = &x->paths[i];
        for (size_t k = 0; k < p->n_regex; k++) {
            if (p->regex[k].rejected) {
                x->n_unindexed++;
                leaf_test *t = &x->tests[p->regex[k].test];
                t->keyed = false;
                t->path = -1;
            } else {
                x->n_prefiltered++;
            }
        }
    }
#endif
    for (size_t i = 0; i < x->n_paths && rc == STORM_OK; i++) {
        index_path *p = &x->paths[i];
        if ((p->kind = kind_id(x, p->path->object_type, p->path->object_type_len)) < 0)
            rc = STORM_ERR_NOMEM;
        p->event_path = path_event_handle(p->path);
        p->on_process = storm_stix_prefilter_on_process(p->event_path);
    }
    storm_buf_free(&kb);
    if (rc == STORM_OK) {
        x->stamp = calloc(x->n_leaves + 1, sizeof *x->stamp);
        x->touched = calloc(x->n_leaves + 1, sizeof *x->touched);
        x->free_obs = calloc(x->n_leaves + 1, sizeof *x->free_obs);
        x->free_event = calloc(x->n_leaves + 1, sizeof *x->free_event);
        x->stack = calloc(x->max_prog + 1, sizeof *x->stack);
        x->tgen = calloc(x->n_tests + 1, sizeof *x->tgen);
        x->tmask = calloc(x->n_tests + 1, sizeof *x->tmask);
        x->kgen = calloc(x->n_kinds + 1, sizeof *x->kgen);
        x->kpresent = calloc(x->n_kinds + 1, sizeof *x->kpresent);
        if (!x->stamp || !x->touched || !x->free_obs || !x->free_event || !x->stack || !x->tgen || !x->tmask ||
            !x->kgen || !x->kpresent)
            rc = STORM_ERR_NOMEM;
    }
    for (size_t li = 0; li < x->n_leaves && rc == STORM_OK; li++) {
        if (leaf_objects(x, (uint32_t)li, 0))
            x->free_obs[x->n_free_obs++] = (uint32_t)li;
        if (leaf_objects(x, (uint32_t)li, 1))
            x->free_event[x->n_free_event++] = (uint32_t)li;
    }
    if (rc == STORM_OK && build_event_groups(x) != 0)
        rc = STORM_ERR_NOMEM;
    for (size_t li = 0; li < x->n_leaves && rc == STORM_OK; li++)
        for (size_t i = 0; i < x->leaves[li].n_prog; i++) {
            prog_step *ps = &x->leaves[li].prog[i];
            if (ps->op == OP_TEST)
                ps->flags = (uint8_t)((test_keyless(x, ps->arg, true) ? STEP_KEYLESS_EVENT : 0) |
                                      (test_keyless(x, ps->arg, false) ? STEP_KEYLESS_OBS : 0) |
                                      (x->tests[ps->arg].lazy ? STEP_LAZY : 0));
        }

    x->cache_dir = NULL;
    if (rc != STORM_OK)
        return storm_err_set(err, rc, 0, "out of memory building the indicator index");
    return STORM_OK;
}

size_t leaf_index_regex_cached(const leaf_index *x)
{
    return x->n_cached;
}

/* ---- per observation or event ---- */

/* A key of test t hit the current object (x->cur_bit). */
static void hit(leaf_index *x, uint32_t t)
{
    if (x->tgen[t] != x->gen) {
        x->tgen[t] = x->gen;
        x->tmask[t] = 0;
        uint32_t leaf = x->tests[t].leaf;
        if (x->tests[t].touches && x->stamp[leaf] != x->gen) {
            x->stamp[leaf] = x->gen;
            x->touched[x->n_touched++] = leaf;
        }
    }
    x->tmask[t] |= x->cur_bit;
}

/* A key of test t hit the value looked at now: hit, or noted in
 * x->rx_hits while a value's hits are gathered for the memo. */
static void key_hit(leaf_index *x, uint32_t t)
{
    if (!x->rx_record)
        hit(x, t);
    else if (x->n_rx_hits < x->cap_rx_hits)
        x->rx_hits[x->n_rx_hits++] = t;
}

#if STORM_HAVE_HYPERSCAN
static int on_regex_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    leaf_index *x = ctx;
    index_path *p = &x->paths[x->cur_path];
    if (!p->factored) {
        key_hit(x, p->regex[id].test);
        return 0;
    }
    const path_regex *r = &p->regex[p->exprs[id].regex];
    const char *also = r->also;
    for (uint8_t k = 0; k < r->n_also; k++) {
        size_t n = strlen(also);
        if (!memmem(x->scan_text, x->scan_len, also, n))
            return 0;
        also += n + 1;
    }
    key_hit(x, r->test);
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

/* A value of the current path on the current object: its EXISTS keys hit. */
static void value_exists(leaf_index *x, const index_path *p)
{
    for (size_t i = 0; i < p->n_exists; i++)
        hit(x, p->exists[i]);
}

/* One value of the current path on the current object: its equality keys
 * hit (key_hit). */
static void value_eq(leaf_index *x, const index_path *p, const storm_value *v)
{
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
        if (v->type == STORM_V_STRING && v->u.s.len <= EQ_KEY_MAX && is_ascii(v->u.s.ptr, v->u.s.len)) {
            /* the key "<path>s<value>" compared where the value lies */
            const eq_slot *s = eq_find_str(x, x->cur_path, v->u.s.ptr, v->u.s.len);
            if (s)
                for (size_t i = 0; i < s->n; i++)
                    key_hit(x, s->tests[i]);
            return;
        }
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
        case STORM_V_INT: int_key(b, (long long)v->u.i); break;
        case STORM_V_FLOAT:
            if (v->u.f == (double)(long long)v->u.f && v->u.f > -9e18 && v->u.f < 9e18)
                int_key(b, (long long)v->u.f);
            else
                ok = false;
            break;
        case STORM_V_BOOL: storm_buf_printf(b, "b%d", v->u.b ? 1 : 0); break;
        default: ok = false;
        }
        if (ok && b->data) {
            eq_slot *s = eq_find(x, b->data, b->len, eq_key_hash(b->data, b->len));
            if (s)
                for (size_t i = 0; i < s->n; i++)
                    key_hit(x, s->tests[i]);
        }
    }
}

#if STORM_HAVE_HYPERSCAN
/* The regex keys of the current path that string value v hits (on_regex_hit). */
/* The prefix keys of the current path that string s[0..n) starts with. */
static void string_prefixes(leaf_index *x, const index_path *p, const char *s, size_t n)
{
    for (size_t i = 0; i < p->n_prefix_lens && p->prefix_lens[i] <= n; i++) {
        const eq_slot *e = eq_find_typed(x, x->cur_path, 'p', s, p->prefix_lens[i]);
        if (e)
            for (size_t k = 0; k < e->n; k++)
                key_hit(x, e->tests[k]);
    }
}

/* The prefix keys and regex databases of the current path that string
 * s[0..n) hits. */
static void string_regex(leaf_index *x, const index_path *p, const char *s, size_t n)
{
    string_prefixes(x, p, s, n);
    x->scan_text = s;
    x->scan_len = n;
    for (size_t k = 0; k < p->n_dbs; k++)
        hs_scan(p->dbs[k], s, (unsigned)n, 0, x->scratch, on_regex_hit, x);
}

static void value_regex(leaf_index *x, const index_path *p, const storm_value *v)
{
    if ((p->n_dbs || p->n_prefix_lens) && v->type == STORM_V_STRING && v->u.s.len <= 0xFFFFFFFFu) {
        /* an ASCII value that no regex needing a scan may match: the
         * regexes made of literals alone that it holds are its hits (a
         * non-ASCII one may have ASCII in its NFC form: scanned) */
        size_t n_hits;
        if (p->filter && is_ascii(v->u.s.ptr, v->u.s.len) &&
            !regex_filter_must_scan(p->filter, v->u.s.ptr, v->u.s.len, x->filter_hits, &n_hits)) {
            for (size_t i = 0; i < n_hits; i++)
                key_hit(x, p->filter_test[x->filter_hits[i]]);
            string_prefixes(x, p, v->u.s.ptr, v->u.s.len);
            return;
        }
        string_regex(x, p, v->u.s.ptr, v->u.s.len);
        /* the engine matches the value's NFC form: scan that too when it
         * differs (a decomposed "cafe\u0301" is "caf\u00e9" to a pattern) */
        if (!is_ascii(v->u.s.ptr, v->u.s.len)) {
            char *nfc = nfc_of(v->u.s.ptr, v->u.s.len);
            size_t n = nfc ? strlen((const char *)nfc) : 0;
            if (nfc && (n != v->u.s.len || memcmp(nfc, v->u.s.ptr, n) != 0) && n <= 0xFFFFFFFFu)
                string_regex(x, p, (const char *)nfc, n);
            free(nfc);
        }
    }
}
#endif

/* One value of the current path on the current object: its keys hit. */
static void on_value(void *ctx, const storm_value *v)
{
    leaf_index *x = ctx;
    const index_path *p = &x->paths[x->cur_path];
    value_exists(x, p);
    value_eq(x, p, v);
#if STORM_HAVE_HYPERSCAN
    value_regex(x, p, v);
#endif
}

/* The slot of the memo that holds (g, s[0..n)): *found when it does, else
 * the slot to fill (the emptier or older of two), -1 when v is too long to
 * remember. */
static long memo_slot(leaf_index *x, uint32_t g, const char *s, size_t n, uint64_t *hash, bool *found)
{
    *found = false;
    if (n > REGEX_MEMO_VALUE_MAX)
        return -1;
    uint64_t h = memo_hash(g, s, n);
    *hash = h;
    size_t i[2] = {h & (REGEX_MEMO_SLOTS - 1), (h >> 40) & (REGEX_MEMO_SLOTS - 1)};
    for (int k = 0; k < 2; k++) {
        const regex_memo *m = &x->memo[i[k]];
        if (x->memo_hash[i[k]] == h && m->group == g && m->len == n &&
            memcmp((const char *)(m->block + m->n_tests), s, n) == 0) {
            *found = true;
            return (long)i[k];
        }
    }
    if (!x->memo_hash[i[0]])
        return (long)i[0];
    if (!x->memo_hash[i[1]])
        return (long)i[1];
    return (int32_t)(x->memo_used[i[0]] - x->memo_used[i[1]]) <= 0 ? (long)i[0] : (long)i[1];
}

/* Keep x->rx_hits as the result of (g, s[0..n)) in slot i; on failure the
 * slot is left empty. */
static void memo_fill(leaf_index *x, size_t i, uint64_t h, uint32_t g, const char *s, size_t n)
{
    regex_memo *m = &x->memo[i];
    x->memo_hash[i] = 0;
    size_t need = x->n_rx_hits * sizeof *m->block + n;
    if (m->cap < need) {
        /* rounded up to 64 bytes (malloc's chunks are 16-byte steps
         * anyway): slots are refilled with other values (unique command
         * lines) over and over, and a block that only just fitted was
         * reallocated at most refills */
        size_t cap = (need + 63) & ~(size_t)63;
        uint32_t *nb = realloc(m->block, cap);
        if (!nb)
            return;
        m->block = nb;
        m->cap = cap;
    }
    if (x->n_rx_hits)
        memcpy(m->block, x->rx_hits, x->n_rx_hits * sizeof *m->block);
    memcpy((char *)(m->block + x->n_rx_hits), s, n);
    m->n_tests = (uint32_t)x->n_rx_hits;
    m->group = g;
    m->len = (uint32_t)n;
    x->memo_used[i] = x->gen;
    x->memo_hash[i] = h;
}

/* The tests the equality keys and regex databases of group g's paths hit
 * on string v, from the memo or looked up (then remembered):
 * x->rx_hits[0..n_rx_hits). */
static void group_string_hits(leaf_index *x, uint32_t g, const storm_value *v)
{
    const event_group *eg = &x->groups[g];
    const char *s = v->u.s.ptr;
    size_t n = v->u.s.len;
    uint64_t h = 0;
    bool found;
    long slot = memo_slot(x, g, s, n, &h, &found);
    if (found) {
        const regex_memo *m = &x->memo[slot];
        x->memo_used[slot] = x->gen;
        if (m->n_tests)
            memcpy(x->rx_hits, m->block, m->n_tests * sizeof *x->rx_hits);
        x->n_rx_hits = m->n_tests;
        return;
    }
    x->n_rx_hits = 0;
    x->rx_record = true;
    for (size_t i = 0; i < eg->n_paths; i++) {
        x->cur_path = eg->paths[i];
        const index_path *p = &x->paths[x->cur_path];
        value_eq(x, p, v);
#if STORM_HAVE_HYPERSCAN
        value_regex(x, p, v);
#endif
    }
    x->rx_record = false;
    if (slot >= 0)
        memo_fill(x, (size_t)slot, h, g, s, n);
}

/* A value of the current group given with its places lo..hi (event mode):
 * the keys of each of its paths hit all of them at once. */
static void on_group_value(void *ctx, int lo, int hi, const storm_value *v)
{
    leaf_index *x = ctx;
    const event_group *eg = &x->groups[x->cur_group];
    uint64_t places = 0;
    if (eg->on_process) /* places < 32 (storm_stix_prefilter_places) */
        places = lo < 0 ? x->proc_all : (((uint64_t)2 << hi) - 1) & ~(((uint64_t)1 << lo) - 1);
    for (size_t i = 0; i < eg->n_paths; i++) {
        x->cur_path = eg->paths[i];
        const index_path *p = &x->paths[x->cur_path];
        x->cur_bit = eg->on_process ? places : kind_bit(x, p->kind);
        value_exists(x, p);
        /* regexes read strings only; the equality keys of a group without
         * any are cheaper looked up than remembered */
        if (v->type != STORM_V_STRING || !eg->has_regex)
            value_eq(x, p, v);
    }
    if (v->type != STORM_V_STRING || !eg->has_regex)
        return;
    group_string_hits(x, x->cur_group, v);
    for (size_t i = 0; i < x->n_rx_hits; i++) {
        uint32_t t = x->rx_hits[i];
        x->cur_bit = eg->on_process ? places : kind_bit(x, x->tests[t].kind);
        hit(x, t);
    }
}

static void next_gen(leaf_index *x)
{
    if (++x->gen == 0) { /* wrapped: clear the stamps once every 4 billion observations */
        memset(x->stamp, 0, x->n_leaves * sizeof *x->stamp);
        memset(x->tgen, 0, x->n_tests * sizeof *x->tgen);
        memset(x->kgen, 0, x->n_kinds * sizeof *x->kgen);
        x->gen = 1;
    }
    x->n_touched = 0;
}

/* The candidates among the touched and the free leaves, into out. */
static size_t decide(leaf_index *x, const uint32_t *free_leaves, size_t n_free, uint32_t *out)
{
    for (size_t i = 0; i < n_free; i++)
        if (x->stamp[free_leaves[i]] != x->gen) {
            x->stamp[free_leaves[i]] = x->gen;
            x->touched[x->n_touched++] = free_leaves[i];
        }
    size_t n = 0;
    for (size_t i = 0; i < x->n_touched; i++)
        if (leaf_objects(x, x->touched[i], LEAF_EXACT))
            out[n++] = x->touched[i];
    return n;
}

size_t leaf_index_candidates(leaf_index *x, const storm_observation *obs, uint32_t *out)
{
    if (!x->built || !x->n_leaves)
        return 0;
    next_gen(x);
    x->event_mode = false;
    x->obs = obs;
    obs_types types;
    obs_types_of(obs, &types);
    x->obs_types = &types;
    /* the observation's objects are not told apart here: every value is on
     * one object per kind (a superset of the per-object decision) */
    if (types.n > OBS_TYPES_MAX) { /* rare: names compared for every path */
        for (size_t i = 0; i < x->n_paths; i++) {
            x->cur_path = (uint32_t)i;
            x->cur_bit = x->kinds[x->paths[i].kind].process ? 1 : kind_bit(x, x->paths[i].kind);
            obs_path_values_typed(obs, &types, x->paths[i].path, on_value, x);
        }
        return decide(x, x->free_obs, x->n_free_obs, out);
    }
    /* each object's type as the index numbers it, once; then paths compare
     * numbers */
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
    for (size_t i = 0; i < x->n_paths; i++) {
        int want = x->paths[i].kind;
        if (want < 64 && !((present >> want) & 1))
            continue;
        x->cur_path = (uint32_t)i;
        x->cur_bit = x->kinds[want].process ? 1 : kind_bit(x, want);
        obs_path_values_kind(obs, kind, want, x->paths[i].path, on_value, x);
    }
    return decide(x, x->free_obs, x->n_free_obs, out);
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

/* Whether a touched leaf may still hold on some object whatever the lazy
 * groups give (LEAF_BOUND): when none can, reading them changes no
 * candidate (their tests touch no leaf and belong to no free one). */
static bool may_hold(leaf_index *x)
{
    for (size_t i = 0; i < x->n_touched; i++)
        if (leaf_objects(x, x->touched[i], LEAF_BOUND))
            return true;
    return false;
}

int leaf_index_event_candidates(leaf_index *x, storm_arena *a, const storm_event *ev, const storm_stix_opts *opts,
                                uint32_t *out, size_t *n_out)
{
    *n_out = 0;
    if (!x->built || !x->n_leaves)
        return 0;
    next_gen(x);
    x->event_mode = true;
    x->ev = ev;
    size_t places = storm_stix_prefilter_places(ev);
    x->proc_all = places >= 32 ? 0xffffffffu : ((uint64_t)1 << places) - 1;
    /* paths the event cannot give are not in a group: their tests are
     * keyless on events */
    uint32_t parts = storm_stix_prefilter_parts(ev) % PARTS_COMBOS;
    /* the groups that put leaves on the list, then, when there are any,
     * the lazy ones that only say where they may hold */
    for (uint32_t lazy = 0; lazy < 2; lazy++) {
        if (lazy && !may_hold(x))
            break;
        size_t list = 2 * parts + lazy;
        for (size_t i = x->group_start[list]; i < x->group_start[list + 1]; i++) {
            uint32_t g = x->group_list[i];
            const event_group *eg = &x->groups[g];
            x->cur_group = g;
            if (!storm_stix_prefilter_path_values(a, ev, opts, eg->handle, eg->steps, eg->n_steps, places,
                                                  on_group_value, x))
                return -1;
        }
    }
    *n_out = decide(x, x->free_event, x->n_free_event, out);
    return 0;
}
