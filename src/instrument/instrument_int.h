/* SPDX-License-Identifier: Apache-2.0 */
/* The instrument module's private types: literal sets taken from pattern
 * comparisons, the hook needs of an indicator, the table of hook signatures. */
#ifndef STORM_INSTRUMENT_INT_H
#define STORM_INSTRUMENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/buf.h>
#include <storm/instrument.h>
#include <storm/model.h>
#include <storm/pattern_plan.h>

#define LIT_MAX 48       /* strings in one literal set */
#define LIT_MAX_LEN 128  /* bytes of one string, NUL included */
#define NEED_MAX_ALTS 32 /* conjunctions of one [...] */
#define NEED_MAX_TESTS 24
#define NEED_MAX_HOOKS 16

/* ---- literal sets (literal_set.c, regex_literals.c) ---- */

/* What every value a comparison accepts must look like. */
typedef enum lit_kind {
    LIT_NONE,     /* nothing known */
    LIT_EXACT,    /* the value is one of s[] */
    LIT_PREFIX,   /* the value starts with one of s[] */
    LIT_SUFFIX,   /* the value ends with one of s[] */
    LIT_CONTAINS, /* the value contains one of s[] */
} lit_kind;

typedef struct lit_set {
    lit_kind kind;
    size_t n;
    char s[LIT_MAX][LIT_MAX_LEN];
} lit_set;

/* The best literal set for a regular expression (PCRE syntax): exact when
 * the whole language is a few strings, else the more selective of the
 * anchored prefixes and suffixes, else a required substring, else
 * LIT_NONE. Never wrong: every string the regex matches satisfies the set. */
void regex_literals(const char *re, lit_set *out);
/* The same for a LIKE pattern (% and _ wildcards). */
void like_literals(const char *like, lit_set *out);
/* Does value satisfy the set? (LIT_NONE: true.) */
bool lit_set_admits(const lit_set *s, const char *value);
/* Does every string satisfying a satisfy b? (b LIT_NONE: true.) */
bool lit_set_implies(const lit_set *a, const lit_set *b);

/* ---- indicator needs (needs.c) ---- */

typedef enum need_kind {
    NEED_HOOK,  /* kernel hooks: a TracingPolicy */
    NEED_EXEC,  /* what process_exec carries (binary, command line, pod): no policy */
    NEED_AUDIT, /* Kubernetes audit events: the audit Policy */
    NEED_ALERT, /* Falco / Kubescape alerts: their own rules */
    NEED_OTHER, /* network flows, files of other sensors... */
} need_kind;

/* One conjunction of a [...] (its comparisons after OR is distributed). */
typedef struct need_alt {
    const char *hooks[NEED_MAX_HOOKS]; /* x_hook_name values, as written */
    size_t n_hooks;
    bool hook_unknown; /* reads x_hook_args without naming the hook, or a negated hook name */
    const pat_cmp *tests[NEED_MAX_TESTS];
    size_t n_tests;
} need_alt;

typedef struct need_leaf {
    need_kind kind;
    unsigned leaf;
    need_alt alts[NEED_MAX_ALTS];
    size_t n_alts;
    bool truncated; /* more conjunctions than NEED_MAX_ALTS: the rest are not generated */
} need_leaf;

/* Every [...] of the indicator's pattern, classified. *out is malloc'ed
 * (free it); n_out leaves. */
storm_rc needs_of_pattern(const storm_pattern *p, need_leaf **out, size_t *n_out);

/* The argument a comparison reads: process:x_hook_args[N].<field>; false
 * when it reads something else. */
bool needs_arg_path(const pat_cmp *t, int64_t *index, const char **field);
/* process:image_ref.name */
bool needs_is_binary(const pat_cmp *t);
/* The object type and first step as "type:step" equality. */
bool needs_path_is(const pat_cmp *t, const char *type, const char *step0);
/* The literal set a comparison accepts for a string value (EQ, IN, LIKE,
 * MATCHES, not negated); LIT_NONE otherwise. */
void needs_string_set(const pat_cmp *t, lit_set *out);

/* Can conjunction a hold on an event of hook call (normalised)? False when
 * it reads an argument the hook does not have, or compares text with a
 * numeric argument: such a conjunction needs no selector there. */
bool needs_alt_fits_hook(const need_alt *a, const char *call);

/* ---- hook signatures (hook_table.c) ---- */

typedef enum hook_kind { HOOK_KPROBE, HOOK_TRACEPOINT, HOOK_LSM } hook_kind;

typedef struct hook_sig {
    const char *call; /* the name in the policy: sys_openat, security_file_permission, subsys/event */
    hook_kind kind;
    bool syscall;
    const char *args[6];   /* Tetragon argument types, in the function's order (NULL: not captured) */
    const char *fields[6]; /* the x_hook_args field Storm reads: value, path, ... */
} hook_sig;

/* The policy-side name of an event's hook name: __x64_sys_openat and
 * __arm64_sys_openat -> sys_openat; others unchanged. buf receives it. */
const char *hook_normalize(const char *name, char *buf, size_t cap);
/* The signature of a normalised hook name; NULL when not in the table. */
const hook_sig *hook_lookup(const char *call);
size_t hook_table_size(void);
const hook_sig *hook_table_entry(size_t i);
/* Is t a numeric Tetragon type (int, uint64...)? */
bool hook_type_is_int(const char *type);

/* ---- YAML text (yaml_out.c) ---- */

/* s as a double-quoted YAML scalar. */
void yaml_quote(storm_buf *b, const char *s);

#endif
