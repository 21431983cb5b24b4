/* SPDX-License-Identifier: Apache-2.0 */
/* Life cycle of a compiled pattern: copy the text, parse it (parse.c), let the
 * compiler attach matcher data (compile.c), free it all at once. */
#include <stdlib.h>
#include <string.h>

#include <storm/pattern.h>

#include "pattern_int.h"

/* The arena holds the text, the AST and the compiler's data. The AST of a
 * pattern is a few hundred bytes per comparison, at most ~60 times the text;
 * the cap keeps a hostile 1 MiB pattern from taking more than this. */
#define PATTERN_ARENA_CAP (256u << 20)

/* Fill p->leaves in source order (leaf_index order). The tree's height is
 * bounded by the parser, so recursion is safe. */
static void collect_leaves(pat_obs *o, pat_obs **leaves, unsigned n)
{
    if (!o)
        return;
    if (o->kind == PAT_OBS_LEAF) {
        if (o->leaf_index < n)
            leaves[o->leaf_index] = o;
        return;
    }
    collect_leaves(o->left, leaves, n);
    collect_leaves(o->right, leaves, n);
}

static storm_rc compile_with(storm_arena *shared, const char *text, size_t len, storm_spec spec, storm_pattern **out,
                             storm_err *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len > 0) || (spec != STORM_SPEC_20 && spec != STORM_SPEC_21))
        return storm_err_set(err, STORM_ERR_STATE, 0, "storm_pattern_compile: invalid argument");
    if (err)
        storm_err_clear(err);
    if (len > STORM_PATTERN_MAX_LEN) {
        storm_err_set(err, STORM_ERR_LIMIT, 0, "the pattern is %zu bytes long, more than the limit of %u bytes", len,
                      (unsigned)STORM_PATTERN_MAX_LEN);
        if (err)
            err->line = err->col = 1;
        return STORM_ERR_LIMIT;
    }
    /* small blocks: a compiled pattern uses a few KiB, and thousands are loaded */
    storm_arena *arena = shared ? shared : storm_arena_new(2048, PATTERN_ARENA_CAP);
    storm_pattern *p = arena ? storm_arena_calloc(arena, 1, sizeof *p) : NULL;
    char *copy = p ? storm_arena_strndup(arena, text ? text : "", len) : NULL;
    if (!copy) {
        if (!shared)
            storm_arena_free(arena);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling a pattern");
    }
    p->arena = arena;
    p->owns_arena = !shared;
    p->text = copy;
    p->len = len;
    p->spec = spec;
    storm_rc rc = pattern_parse(arena, copy, len, spec, &p->root, &p->n_leaves, err);
    if (rc == STORM_OK) {
        p->leaves = storm_arena_calloc(arena, p->n_leaves ? p->n_leaves : 1, sizeof *p->leaves);
        if (!p->leaves)
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling a pattern");
    }
    if (rc == STORM_OK) {
        collect_leaves(p->root, p->leaves, p->n_leaves);
        rc = pattern_compile_ast(p, err);
        if (rc != STORM_OK && err && err->rc != STORM_OK && err->line == 0)
            storm_err_locate(err, p->text, p->len);
    }
    if (rc != STORM_OK) {
        storm_pattern_free(p);
        return rc;
    }
    *out = p;
    return STORM_OK;
}

storm_rc storm_pattern_compile(const char *text, size_t len, storm_spec spec, storm_pattern **out, storm_err *err)
{
    return compile_with(NULL, text, len, spec, out, err);
}

storm_rc pattern_compile_in(storm_arena *arena, const char *text, size_t len, storm_spec spec, storm_pattern **out,
                            storm_err *err)
{
    if (!arena) {
        if (out)
            *out = NULL;
        return storm_err_set(err, STORM_ERR_STATE, 0, "pattern_compile_in: no arena");
    }
    return compile_with(arena, text, len, spec, out, err);
}

void storm_pattern_free(storm_pattern *p)
{
    if (!p)
        return;
    pattern_release_compiled(p);
    if (p->owns_arena)
        storm_arena_free(p->arena); /* p itself lives in the arena */
}

const char *storm_pattern_text(const storm_pattern *p)
{
    return p ? p->text : NULL;
}
