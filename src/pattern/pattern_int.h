/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled pattern (internal to src/pattern). The parser (parse.c)
 * builds the AST (the plan, storm/pattern_plan.h); the compiler (compile.c)
 * attaches matcher data; the matcher (match.c) reads it, and other modules
 * walk it through storm/pattern_plan.h (plan.c). Immutable after compilation, so
 * one compiled pattern may be shared by threads. */
#ifndef STORM_PATTERN_INT_H
#define STORM_PATTERN_INT_H

#include <storm/arena.h>
#include <storm/pattern.h>

#include <storm/pattern_plan.h>

struct storm_pattern {
    storm_arena *arena; /* holds text, AST and compiled data */
    bool owns_arena;    /* false: the arena is shared (pattern_compile_in) */
    const char *text;   /* NUL-terminated copy of the source */
    size_t len;
    storm_spec spec;
    pat_obs *root;
    unsigned n_leaves;
    pat_obs **leaves; /* the [..] leaves in source order, leaves[i]->leaf_index == i */
    void *compiled;   /* compile.c's per-pattern data, or NULL */
};

/* parse.c: text -> AST in arena. On error returns STORM_ERR_SYNTAX/LIMIT with
 * err->offset/len at the offending token and a message a person can act on. */
storm_rc pattern_parse(storm_arena *arena, const char *text, size_t len, storm_spec spec, pat_obs **root,
                       unsigned *n_leaves, storm_err *err);

/* compile.c: attach matcher data to a parsed pattern (regexes, normalised
 * literals, checks that need no observation). Errors point into p->text. */
storm_rc pattern_compile_ast(storm_pattern *p, storm_err *err);
/* compile.c: release what pattern_compile_ast attached outside the arena (PCRE2 codes). */
void pattern_release_compiled(storm_pattern *p);

#endif
