/* SPDX-License-Identifier: Apache-2.0 */
/* Patterns that parse but can never match: inside one [...], AND must hold
 * on one object, so `[process:a = 1 AND file:b = 2]` is always false. The
 * object types that can satisfy a comparison expression are those of its
 * test (one type), the union over OR and the intersection over AND; an
 * empty set for a whole [...] means that observation expression never
 * holds. A person rarely means that, so the CLI and lint say so. */
#include <storm/pattern.h>

#include <string.h>

#include "pattern_int.h"

#define TYPES_MAX 16 /* more distinct types in one [...] is treated as "unknown" */

typedef struct type_set {
    bool unknown; /* too many to track: assume satisfiable */
    size_t n;
    const pat_path *of[TYPES_MAX];
} type_set;

static bool same_type(const pat_path *a, const pat_path *b)
{
    return a->object_type_len == b->object_type_len && memcmp(a->object_type, b->object_type, a->object_type_len) == 0;
}

static bool has(const type_set *s, const pat_path *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (same_type(s->of[i], p))
            return true;
    return false;
}

static void types_of(const pat_cmp *c, type_set *out, int depth)
{
    out->unknown = false;
    out->n = 0;
    if (!c || depth > STORM_PATTERN_MAX_DEPTH * 4) {
        out->unknown = true;
        return;
    }
    if (c->kind == PAT_CMP_TEST) {
        out->of[out->n++] = &c->path;
        return;
    }
    type_set l, r;
    types_of(c->left, &l, depth + 1);
    types_of(c->right, &r, depth + 1);
    if (l.unknown || r.unknown) {
        if (c->kind == PAT_CMP_AND && !l.unknown)
            *out = l;
        else if (c->kind == PAT_CMP_AND && !r.unknown)
            *out = r;
        else
            out->unknown = true;
        return;
    }
    if (c->kind == PAT_CMP_OR) {
        *out = l;
        for (size_t i = 0; i < r.n; i++) {
            if (has(out, r.of[i]))
                continue;
            if (out->n == TYPES_MAX) {
                out->unknown = true;
                return;
            }
            out->of[out->n++] = r.of[i];
        }
        return;
    }
    for (size_t i = 0; i < l.n; i++) /* AND */
        if (has(&r, l.of[i]))
            out->of[out->n++] = l.of[i];
}

bool storm_pattern_never_matches(const storm_pattern *p, storm_err *warn)
{
    for (unsigned i = 0; p && i < p->n_leaves; i++) {
        type_set s;
        types_of(p->leaves[i]->cmp, &s, 0);
        if (s.unknown || s.n)
            continue;
        const pat_cmp *c = p->leaves[i]->cmp;
        storm_err_clear(warn);
        storm_err_set(warn, STORM_ERR_VALUE, c->span.start,
                      "AND inside one [...] must hold on one object, but this one compares objects of different "
                      "types, so it can never match: write [a:x = 1] AND [b:y = 2] to mean two objects");
        if (warn) {
            warn->len = c->span.end - c->span.start;
            storm_err_locate(warn, p->text, p->len);
        }
        return true;
    }
    return false;
}
