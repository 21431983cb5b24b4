/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled plan of a STIX pattern, read-only, for the modules that
 * evaluate it leaf by leaf (the streaming detector, src/detect): the
 * observation-expression tree (AND, OR, FOLLOWEDBY, WITHIN, REPEATS,
 * START/STOP), its [...] leaves (comparison expressions) in source order,
 * each comparison's object path, operator and literals, and the per-leaf
 * evaluation. This is the one interface through which code outside
 * src/pattern sees a pattern's structure; struct storm_pattern itself stays
 * private.
 *
 * Every node carries the byte span of its source text (offsets into
 * storm_pattern_text), so errors found after parsing can still point at the
 * spot. Nodes live in the pattern's arena: they are valid while the pattern
 * is, and never change after compilation (any number of threads may read
 * them and call the functions below on one pattern at once).
 *
 * Typical use:
 *     if (pattern_is_single_leaf(p))          // most indicators
 *         hit = pattern_leaf_match(p, 0, obs, &err);
 *     else {
 *         for each leaf i: hits[i][k] = pattern_leaf_match(p, i, obs[k], &err);
 *         pattern_match_hits(p, obs, n, hits, &m, &err);
 *     }
 */
#ifndef STORM_PATTERN_PLAN_H
#define STORM_PATTERN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/arena.h>
#include <storm/pattern.h>
#include <storm/time.h>

typedef struct pat_span {
    uint32_t start; /* byte offset of the first byte */
    uint32_t end;   /* byte offset one past the last byte */
} pat_span;

typedef enum pat_lit_type {
    PAT_LIT_STRING,    /* 'text' (escapes \' and \\ resolved), UTF-8 */
    PAT_LIT_INT,       /* 42, -7 */
    PAT_LIT_FLOAT,     /* 1.5, -0.25 */
    PAT_LIT_BOOL,      /* true, false */
    PAT_LIT_BINARY,    /* b'base64' or h'hex', decoded bytes */
    PAT_LIT_TIMESTAMP, /* t'2020-01-01T00:00:00Z' */
} pat_lit_type;

typedef struct pat_literal {
    pat_lit_type type;
    pat_span span;
    union {
        struct {
            const char *ptr;
            size_t len;
        } str; /* NUL-terminated */
        int64_t i;
        double f;
        bool b;
        struct {
            const uint8_t *ptr;
            size_t len;
            bool hex;
        } bin;
        storm_time_ns ts;
    } u;
} pat_literal;

typedef enum pat_step_kind {
    PAT_STEP_KEY,   /* .name or .'quoted name' (the first step follows ':') */
    PAT_STEP_INDEX, /* [3] */
    PAT_STEP_ANY,   /* [*] */
} pat_step_kind;

typedef struct pat_step {
    pat_step_kind kind;
    pat_span span;
    const char *key; /* PAT_STEP_KEY: NUL-terminated, quotes removed */
    size_t key_len;
    int64_t index; /* PAT_STEP_INDEX */
} pat_step;

/* object-type ':' steps. A step whose key ends in _ref or _refs is
 * dereferenced by the matcher before the next step is applied. */
typedef struct pat_path {
    pat_span span;
    const char *object_type; /* e.g. "process", "x-custom" */
    size_t object_type_len;
    pat_step *steps;
    size_t n_steps; /* >= 1 */
} pat_path;

typedef enum pat_op {
    PAT_OP_EQ,
    PAT_OP_NE,
    PAT_OP_LT,
    PAT_OP_LE,
    PAT_OP_GT,
    PAT_OP_GE,
    PAT_OP_IN,
    PAT_OP_LIKE,
    PAT_OP_MATCHES,
    PAT_OP_ISSUBSET,
    PAT_OP_ISSUPERSET,
    PAT_OP_EXISTS,
} pat_op;

typedef enum pat_cmp_kind {
    PAT_CMP_TEST, /* path op value(s) */
    PAT_CMP_AND,  /* both on the same object */
    PAT_CMP_OR,
} pat_cmp_kind;

/* Comparison expression: the inside of one [...] */
typedef struct pat_cmp {
    pat_cmp_kind kind;
    pat_span span;
    /* PAT_CMP_TEST */
    pat_path path;
    pat_op op;
    bool negated;        /* NOT before the operator */
    pat_literal *values; /* 1 value, or the set members for IN (may be 0 for "()") */
    size_t n_values;
    void *compiled; /* private to src/pattern (compiled regex, ...); NULL until compiled */
    /* PAT_CMP_AND / PAT_CMP_OR */
    struct pat_cmp *left, *right;
} pat_cmp;

typedef enum pat_obs_kind {
    PAT_OBS_LEAF, /* [ cmp ] */
    PAT_OBS_AND,
    PAT_OBS_OR,
    PAT_OBS_FOLLOWEDBY,
    PAT_OBS_WITHIN,    /* child WITHIN seconds SECONDS */
    PAT_OBS_REPEATS,   /* child REPEATS count TIMES */
    PAT_OBS_STARTSTOP, /* child START t'..' STOP t'..' */
} pat_obs_kind;

/* Observation expression. Parentheses leave no node of their own. */
typedef struct pat_obs {
    pat_obs_kind kind;
    pat_span span;
    pat_cmp *cmp;              /* PAT_OBS_LEAF */
    unsigned leaf_index;       /* PAT_OBS_LEAF: 0-based, in source order */
    struct pat_obs *left;      /* binary kinds; the child of a qualifier */
    struct pat_obs *right;     /* binary kinds */
    pat_literal within;        /* PAT_OBS_WITHIN: INT or FLOAT seconds (> 0 checked at match) */
    int64_t repeats;           /* PAT_OBS_REPEATS */
    storm_time_ns start, stop; /* PAT_OBS_STARTSTOP */
    pat_span qual_span;        /* the qualifier's own text, for errors */
    /* PAT_OBS_STARTSTOP, added by the parser: the two literals as written
     * (TIMESTAMP, or STRING in STIX 2.0, which writes START '...' STOP '...').
     * A 2.0 string that is not a valid timestamp still parses, as in the
     * reference implementation; times_invalid is then true, start/stop are 0,
     * and the matcher must report a value error pointing at the literal. */
    pat_literal start_lit, stop_lit;
    bool times_invalid;
} pat_obs;

/* ---- walking the plan ---- */

/* The root of the observation expression. */
const pat_obs *pattern_plan_root(const storm_pattern *p);
/* Number of [...] leaves. */
unsigned pattern_leaf_count(const storm_pattern *p);
/* Leaf `leaf` (0-based, source order; leaf_index == leaf), a PAT_OBS_LEAF
 * node whose cmp is the comparison expression; NULL when out of range. */
const pat_obs *pattern_plan_leaf(const storm_pattern *p, unsigned leaf);
/* Length in bytes of storm_pattern_text(p). */
size_t pattern_text_len(const storm_pattern *p);

/* ---- compiling a set of patterns ---- */

/* storm_pattern_compile with text, plan and compiled data allocated from
 * arena (borrowed: must outlive *out) instead of an arena of the pattern's
 * own. For sets of thousands of patterns that live and die together (the
 * attack models): one shared arena wastes no partly used block per pattern.
 * storm_pattern_free releases what lives outside the arena (regex codes);
 * the arena's memory, including that of a pattern that failed to compile,
 * goes when the arena is freed. Without the per-pattern cap of
 * storm_pattern_compile: the text's length limit bounds what one takes. */
storm_rc pattern_compile_in(storm_arena *arena, const char *text, size_t len, storm_spec spec, storm_pattern **out,
                            storm_err *err);

/* ---- evaluating leaf by leaf ---- */

/* True when the pattern is one [...] without qualifiers: a single
 * observation decides it (no state to keep). */
bool pattern_is_single_leaf(const storm_pattern *p);

/* Does leaf `leaf` (0-based, source order) hold on observation obs? Returns
 * false with err->rc != STORM_OK when a value cannot be compared (a string
 * that is not a timestamp compared with t'...', an invalid _hex value...).
 * The caller clears err (storm_err_clear) before the call. */
bool pattern_leaf_match(const storm_pattern *p, unsigned leaf, const storm_observation *obs, storm_err *err);

/* Problems the specification reports only at match time (WITHIN 0 SECONDS,
 * REPEATS 0 TIMES, an IN set of mixed types): STORM_OK when there are none,
 * else the code with err set. A detector checks once when it loads the pattern. */
storm_rc pattern_check_late(const storm_pattern *p, storm_err *err);

/* Decide the observation expression over obs[0..n) given the leaf results
 * hits[leaf][k] (non-zero when leaf holds on obs[k]), as
 * storm_pattern_match does. The search is bounded: past its step budget it
 * returns STORM_ERR_LIMIT rather than run on. out is filled as by
 * storm_pattern_match (storm_match_clear it). */
storm_rc pattern_match_hits(const storm_pattern *p, const storm_observation *obs, size_t n, const uint8_t *const *hits,
                            storm_match *out, storm_err *err);

/* The window a pattern's temporal qualifiers span, in nanoseconds: the
 * largest WITHIN (or the START..STOP length); 0 when unbounded (a detector
 * then chooses its own horizon). Observations older than this relative to
 * the newest can be evicted without losing matches of WITHIN patterns. */
int64_t pattern_horizon_ns(const storm_pattern *p);

#endif
