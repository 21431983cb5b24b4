/* SPDX-License-Identifier: Apache-2.0 */
/* Abstract syntax of a STIX pattern (internal to src/pattern and src/detect).
 * Every node carries the byte span of its source text, so errors found after
 * parsing (at compile or match time) can still point at the spot. All nodes
 * are allocated from the arena owned by the storm_pattern. */
#ifndef STORM_PATTERN_AST_H
#define STORM_PATTERN_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
        struct { const char *ptr; size_t len; } str; /* NUL-terminated */
        int64_t i;
        double f;
        bool b;
        struct { const uint8_t *ptr; size_t len; bool hex; } bin;
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
    int64_t index;   /* PAT_STEP_INDEX */
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
    PAT_OP_EQ, PAT_OP_NE, PAT_OP_LT, PAT_OP_LE, PAT_OP_GT, PAT_OP_GE,
    PAT_OP_IN, PAT_OP_LIKE, PAT_OP_MATCHES, PAT_OP_ISSUBSET, PAT_OP_ISSUPERSET,
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
    void *compiled;      /* matcher-owned data (e.g. a compiled regex), NULL until compiled */
    /* PAT_CMP_AND / PAT_CMP_OR */
    struct pat_cmp *left, *right;
} pat_cmp;

typedef enum pat_obs_kind {
    PAT_OBS_LEAF,        /* [ cmp ] */
    PAT_OBS_AND,
    PAT_OBS_OR,
    PAT_OBS_FOLLOWEDBY,
    PAT_OBS_WITHIN,      /* child WITHIN seconds SECONDS */
    PAT_OBS_REPEATS,     /* child REPEATS count TIMES */
    PAT_OBS_STARTSTOP,   /* child START t'..' STOP t'..' */
} pat_obs_kind;

/* Observation expression. Parentheses leave no node of their own. */
typedef struct pat_obs {
    pat_obs_kind kind;
    pat_span span;
    pat_cmp *cmp;               /* PAT_OBS_LEAF */
    unsigned leaf_index;        /* PAT_OBS_LEAF: 0-based, in source order */
    struct pat_obs *left;       /* binary kinds; the child of a qualifier */
    struct pat_obs *right;      /* binary kinds */
    pat_literal within;         /* PAT_OBS_WITHIN: INT or FLOAT seconds (> 0 checked at match) */
    int64_t repeats;            /* PAT_OBS_REPEATS */
    storm_time_ns start, stop;  /* PAT_OBS_STARTSTOP */
    pat_span qual_span;         /* the qualifier's own text, for errors */
    /* PAT_OBS_STARTSTOP, added by the parser: the two literals as written
     * (TIMESTAMP, or STRING in STIX 2.0, which writes START '...' STOP '...').
     * A 2.0 string that is not a valid timestamp still parses, as in the
     * reference implementation; times_invalid is then true, start/stop are 0,
     * and the matcher must report a value error pointing at the literal. */
    pat_literal start_lit, stop_lit;
    bool times_invalid;
} pat_obs;

#endif
