/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the matcher's files (compile.c, compare.c, like.c,
 * match.c, temporal.c). Not part of any API. */
#ifndef STORM_PATTERN_MATCH_INT_H
#define STORM_PATTERN_MATCH_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <storm/cidr.h>

#include "pattern_int.h"

/* A LIKE pattern compiled to code points (or bytes, for binary values):
 * '%' and '_' become wildcards, everything else is literal. No regex is
 * involved, so no escaping can go wrong. */
typedef enum like_shape {
    LIKE_GENERAL,  /* anything: the backtracking walk */
    LIKE_EXACT,    /* 'lit'     */
    LIKE_PREFIX,   /* 'lit%'    */
    LIKE_SUFFIX,   /* '%lit'    */
    LIKE_CONTAINS, /* '%lit%'   */
} like_shape;

typedef struct like_prog {
    uint32_t *units; /* LIKE_ANY_RUN, LIKE_ANY_ONE or a code point */
    size_t n;
    /* byte programs only: the common shapes run as memcmp/memmem on lit */
    like_shape shape;
    const char *lit;
    size_t lit_len;
} like_prog;
#define LIKE_ANY_RUN 0xFFFFFFFFu
#define LIKE_ANY_ONE 0xFFFFFFFEu

/* Matcher data attached to one PAT_CMP_TEST (pat_cmp.compiled). Arena-owned
 * except the PCRE2 codes, released by pattern_release_compiled. */
typedef struct test_compiled {
    /* LIKE / MATCHES: the literal in NFC */
    const char *nfc;
    size_t nfc_len;
    bool latin1;          /* every code point of the literal is < 256 */
    like_prog like;       /* LIKE over code points */
    like_prog like_bytes; /* LIKE over UTF-8 bytes, when the literal has no '_' (then
                           * byte and code point matching agree), else n == SIZE_MAX */
    pcre2_code *re;       /* MATCHES on strings (UTF, UCP) */
    /* MATCHES on binary values (bytes): the literal's Latin-1 bytes
     * (latin1 only, arena), compiled on the first binary value (nearly no
     * property is binary, and a compilation is ~15,000 instructions a
     * regex at every start); re_bin NULL if not expressible */
    const char *bin;
    size_t bin_len;
    pcre2_code *re_bin;
    /* JIT code is made on a regex's first use, not at compile time: with
     * thousands of indicators most regexes are never evaluated (the
     * prefilter rules them out) and JIT code is ~15 KiB each. The only
     * fields that change after compilation (atomically; re_bin under
     * re_bin_jit's lock, published by it). */
    _Atomic unsigned char re_jit, re_bin_jit;
    storm_cidr ip;  /* ISSUBSET / ISSUPERSET literal */
    int64_t *ts_us; /* per value: TIMESTAMP literals in microseconds */
    bool set_mixed; /* IN: members of different types -> error at match time */
    bool set_ts;    /* IN: members are timestamps */
} test_compiled;

#define PATTERN_MAX_LEAVES 4096     /* [...] per pattern */
#define PATTERN_MAX_NODES 16384     /* observation-expression nodes per pattern */
#define PATTERN_MAX_CMP_DEPTH 10000 /* nesting of AND/OR inside one [...] */
#define PATTERN_MAX_BOUND 1024      /* observations bound at once by one binding */
#define PATTERN_MAX_STEPS 2000000u  /* candidate tries per binding search (~10 ms) */

/* Per-pattern data (storm_pattern.compiled). */
typedef struct pattern_compiled {
    unsigned n_nodes;
    pat_obs **nodes;        /* observation-expression nodes in pre-order, node id = index */
    unsigned *parent;       /* parent id, UINT32_MAX for the root */
    unsigned *right;        /* binary nodes: the right child's id (the left child is id + 1) */
    unsigned *min_bound;    /* fewest observations a binding of the node needs (saturating) */
    unsigned *leaf_node;    /* leaf index -> node id */
    const char **leaf_type; /* leaf index -> the one object type all its tests name, or NULL */
    size_t *leaf_type_len;
    int64_t *within_us;          /* PAT_OBS_WITHIN: window in microseconds (<= 0: invalid) */
    int64_t *start_us, *stop_us; /* PAT_OBS_STARTSTOP, microseconds */
    bool timed;                  /* has WITHIN, FOLLOWEDBY or START/STOP */
    /* first problem found in the pattern that the reference reports only at
     * match time (WITHIN 0, REPEATS 0, a mixed-type set): reported by every match */
    storm_rc late_rc;
    size_t late_offset, late_len;
    const char *late_msg; /* arena; set with late_rc (a fixed buffer here cost 256 bytes per pattern) */
} pattern_compiled;

/* compare.c -------------------------------------------------------------- */

/* A value selected by an object path, after suffix conversion (_hex/_bin). */
typedef struct path_value {
    const storm_value *v; /* NULL when bin is set */
    const uint8_t *bin;   /* decoded binary value */
    size_t bin_len;
} path_value;

/* Evaluate one TEST's operator (without NOT) against one value.
 * Returns 1 (holds), 0 (does not) or -1 (cannot be compared: err set). */
int compare_value(const pat_cmp *t, const path_value *pv, storm_err *err);

/* like.c ------------------------------------------------------------------ */
/* Compile text (UTF-8) into prog (arena). Returns false on OOM. */
bool like_compile(storm_arena *a, const char *text, size_t len, like_prog *prog);
/* Whole-string match of code points s[0..n). */
bool like_match(const like_prog *prog, const uint32_t *s, size_t n);
/* Compile text into a program over its bytes ('%' only; false on OOM). */
bool like_compile_bytes(storm_arena *a, const char *text, size_t len, like_prog *prog);
/* Whole-value match of bytes s[0..n) (binary values: '_' is one byte). */
bool like_match_bytes(const like_prog *prog, const uint8_t *s, size_t n);

/* unicode helpers (compare.c) ------------------------------------------------ */
/* NFC of s[0..len): *out points at s (no copy) when s is already ASCII,
 * else at a malloc'd copy to free with free() (*owned set). False when s is
 * not valid UTF-8 or on OOM. */
bool text_nfc(const char *s, size_t len, const char **out, size_t *out_len, bool *owned);

/* temporal.c ---------------------------------------------------------------- */
/* Search for a binding of the whole pattern given, for each leaf, which
 * observations match it (hits[leaf][obs] != 0). See temporal.c. */
storm_rc temporal_search(const storm_pattern *p, const storm_observation *obs, size_t n, const uint8_t *const *hits,
                         storm_match *out, storm_err *err);

/* stix_time.c: strict STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z, any
 * four-digit year) to microseconds since the epoch, finer digits truncated. */
bool stix_time_us(const char *s, size_t len, int64_t *out);
/* Microseconds to storm_time_ns, saturating outside 1678..2261. */
storm_time_ns stix_us_to_ns(int64_t us);

/* Microsecond precision, as the reference matcher compares timestamps. */
static inline int64_t time_us(storm_time_ns t)
{
    return t / 1000 - (t % 1000 < 0); /* floor division */
}

#endif
