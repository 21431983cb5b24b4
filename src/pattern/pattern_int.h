/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled pattern (internal). The parser (parse.c) builds the AST; the
 * compiler (compile.c) attaches matcher data; the matcher (match.c) and the
 * streaming detector (src/detect) read it. Immutable after compilation, so
 * one compiled pattern may be shared by threads. */
#ifndef STORM_PATTERN_INT_H
#define STORM_PATTERN_INT_H

#include <storm/arena.h>
#include <storm/pattern.h>

#include "pattern/ast.h"

struct storm_pattern {
    storm_arena *arena;   /* holds text, AST and compiled data */
    bool owns_arena;      /* false: the arena is shared (pattern_compile_in) */
    const char *text;     /* NUL-terminated copy of the source */
    size_t len;
    storm_spec spec;
    pat_obs *root;
    unsigned n_leaves;
    pat_obs **leaves;     /* the [..] leaves in source order, leaves[i]->leaf_index == i */
    void *compiled;       /* compile.c's per-pattern data, or NULL */
};

/* storm_pattern_compile with text, AST and compiled data allocated from
 * arena (borrowed: must outlive *out) instead of an arena of the pattern's
 * own. For sets of thousands of patterns that live and die together (the
 * attack models): one shared arena wastes no partly used block per pattern.
 * storm_pattern_free releases what lives outside the arena (regex codes);
 * the arena's memory, including that of a pattern that failed to compile,
 * goes when the arena is freed. Without the per-pattern cap of
 * storm_pattern_compile: the text's length limit bounds what one takes. */
storm_rc pattern_compile_in(storm_arena *arena, const char *text, size_t len, storm_spec spec, storm_pattern **out,
                            storm_err *err);

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
