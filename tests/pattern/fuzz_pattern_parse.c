/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the pattern parser must never crash on any input, and what it
 * returns must be consistent. On success every node's span lies inside its
 * parent's and the leaves are numbered in source order; on failure the error
 * points inside the text and says something. What parses as STIX 2.1 must
 * parse as 2.0 (2.0 only adds plain-string START/STOP). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <storm/err.h>

#include "pattern_int.h"

static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_span(pat_span inner, pat_span outer)
{
    require(inner.start <= inner.end && outer.start <= inner.start && inner.end <= outer.end);
}

static void check_cmp(const pat_cmp *c)
{
    require(c != NULL);
    if (c->kind != PAT_CMP_TEST) {
        require(c->kind == PAT_CMP_AND || c->kind == PAT_CMP_OR);
        check_span(c->left->span, c->span);
        check_span(c->right->span, c->span);
        require(c->left->span.end <= c->right->span.start);
        check_cmp(c->left);
        check_cmp(c->right);
        return;
    }
    check_span(c->path.span, c->span);
    require(c->path.n_steps >= 1 && c->path.object_type && c->path.object_type_len > 0);
    for (size_t i = 0; i < c->path.n_steps; i++) {
        check_span(c->path.steps[i].span, c->path.span);
        if (c->path.steps[i].kind == PAT_STEP_KEY)
            require(c->path.steps[i].key != NULL);
    }
    if (c->op == PAT_OP_EXISTS) {
        require(c->n_values == 0);
        return;
    }
    require(c->op == PAT_OP_IN || c->n_values == 1);
    for (size_t i = 0; i < c->n_values; i++)
        check_span(c->values[i].span, c->span);
}

static void check_obs(const pat_obs *o, unsigned *next_leaf)
{
    require(o != NULL);
    switch (o->kind) {
    case PAT_OBS_LEAF:
        require(o->leaf_index == (*next_leaf)++);
        check_span(o->cmp->span, o->span);
        check_cmp(o->cmp);
        return;
    case PAT_OBS_AND:
    case PAT_OBS_OR:
    case PAT_OBS_FOLLOWEDBY:
        check_span(o->left->span, o->span);
        check_span(o->right->span, o->span);
        check_obs(o->left, next_leaf);
        check_obs(o->right, next_leaf);
        return;
    case PAT_OBS_WITHIN:
    case PAT_OBS_REPEATS:
    case PAT_OBS_STARTSTOP:
        check_span(o->left->span, o->span);
        check_span(o->qual_span, o->span);
        require(o->left->span.end <= o->qual_span.start);
        check_obs(o->left, next_leaf);
        return;
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > STORM_PATTERN_MAX_LEN)
        return 0;
    storm_arena *a = storm_arena_new(0, 256u << 20);
    if (!a)
        return 0;
    const char *text = (const char *)data;
    bool ok21 = false;
    for (int v = 0; v < 2; v++) {
        storm_spec spec = v == 0 ? STORM_SPEC_21 : STORM_SPEC_20;
        storm_arena_reset(a);
        pat_obs *root = NULL;
        unsigned n = 0;
        storm_err err;
        storm_err_clear(&err);
        storm_rc rc = pattern_parse(a, text, size, spec, &root, &n, &err);
        if (rc == STORM_OK) {
            require(root != NULL && err.rc == STORM_OK);
            pat_span all = {0, (uint32_t)size};
            check_span(root->span, all);
            unsigned leaves = 0;
            check_obs(root, &leaves);
            require(leaves == n && n >= 1);
            if (v == 0)
                ok21 = true;
        } else {
            require(root == NULL && n == 0);
            require(rc == STORM_ERR_SYNTAX || rc == STORM_ERR_LIMIT || rc == STORM_ERR_NOMEM);
            require(err.rc == rc && err.msg[0] != '\0');
            require(err.offset <= size && err.len <= size - err.offset);
            require(err.line >= 1 && err.col >= 1);
            require(v == 0 || !ok21);
            char buf[2048];
            require(storm_err_format(&err, "pattern", "fuzz", text, size, buf, sizeof buf) > 0);
        }
    }
    storm_arena_free(a);
    return 0;
}
