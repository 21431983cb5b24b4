/* SPDX-License-Identifier: Apache-2.0 */
/* What an indicator needs to be seen: each [...] of its pattern becomes
 * conjunctions of comparisons (OR distributed), classified by the sensor
 * that can produce them: kernel hooks (a TracingPolicy), process_exec
 * (nothing to generate), Kubernetes audit (the audit Policy), alerts. */
#include <stdlib.h>
#include <string.h>

#include "instrument_int.h"

static bool key_is(const pat_step *s, const char *k)
{
    return s->kind == PAT_STEP_KEY && strcmp(s->key, k) == 0;
}

bool needs_path_is(const pat_cmp *t, const char *type, const char *step0)
{
    return t->kind == PAT_CMP_TEST && strcmp(t->path.object_type, type) == 0 && t->path.n_steps >= 1 &&
           (!step0 || key_is(&t->path.steps[0], step0));
}

bool needs_arg_path(const pat_cmp *t, int64_t *index, const char **field)
{
    if (!needs_path_is(t, "process", "x_hook_args") || t->path.n_steps < 2 || t->path.steps[1].kind != PAT_STEP_INDEX)
        return false;
    *index = t->path.steps[1].index;
    *field = t->path.n_steps >= 3 && t->path.steps[2].kind == PAT_STEP_KEY ? t->path.steps[2].key : "value";
    return true;
}

bool needs_is_binary(const pat_cmp *t)
{
    return needs_path_is(t, "process", "image_ref") && t->path.n_steps == 2 && key_is(&t->path.steps[1], "name");
}

void needs_string_set(const pat_cmp *t, lit_set *out)
{
    out->kind = LIT_NONE;
    out->n = 0;
    if (t->negated)
        return;
    if (t->op == PAT_OP_EQ || t->op == PAT_OP_IN) {
        out->kind = LIT_EXACT;
        for (size_t i = 0; i < t->n_values; i++) {
            if (t->values[i].type != PAT_LIT_STRING || out->n >= LIT_MAX || t->values[i].u.str.len >= LIT_MAX_LEN) {
                out->kind = LIT_NONE;
                out->n = 0;
                return;
            }
            memcpy(out->s[out->n], t->values[i].u.str.ptr, t->values[i].u.str.len + 1);
            out->n++;
        }
    } else if (t->op == PAT_OP_MATCHES && t->n_values == 1 && t->values[0].type == PAT_LIT_STRING) {
        regex_literals(t->values[0].u.str.ptr, out);
    } else if (t->op == PAT_OP_LIKE && t->n_values == 1 && t->values[0].type == PAT_LIT_STRING) {
        like_literals(t->values[0].u.str.ptr, out);
    }
}

/* Conjunctions of a comparison tree, appended to alts (at most cap). */
typedef struct dnf {
    need_alt *alts;
    size_t n, cap;
    bool truncated;
} dnf;

static void dnf_of(const pat_cmp *c, dnf *d)
{
    if (c->kind == PAT_CMP_TEST) {
        if (d->n == 0) {
            if (d->cap == 0) {
                d->truncated = true;
                return;
            }
            memset(&d->alts[0], 0, sizeof d->alts[0]);
            d->n = 1;
        }
        for (size_t i = 0; i < d->n; i++) {
            if (d->alts[i].n_tests < NEED_MAX_TESTS)
                d->alts[i].tests[d->alts[i].n_tests++] = c;
            else
                d->truncated = true;
        }
        return;
    }
    if (c->kind == PAT_CMP_AND) {
        dnf_of(c->left, d);
        /* every conjunction so far, extended by each conjunction of the right */
        dnf r = {.alts = calloc(NEED_MAX_ALTS, sizeof(need_alt)), .cap = NEED_MAX_ALTS};
        if (!r.alts) {
            d->truncated = true;
            return;
        }
        dnf_of(c->right, &r);
        d->truncated |= r.truncated;
        size_t n0 = d->n;
        need_alt *old = malloc(n0 * sizeof *old + 1);
        if (!old) {
            free(r.alts);
            d->truncated = true;
            return;
        }
        memcpy(old, d->alts, n0 * sizeof *old);
        d->n = 0;
        for (size_t i = 0; i < n0; i++)
            for (size_t j = 0; j < r.n; j++) {
                if (d->n >= d->cap) {
                    d->truncated = true;
                    continue;
                }
                need_alt *a = &d->alts[d->n++];
                *a = old[i];
                for (size_t k = 0; k < r.alts[j].n_tests; k++) {
                    if (a->n_tests < NEED_MAX_TESTS)
                        a->tests[a->n_tests++] = r.alts[j].tests[k];
                    else
                        d->truncated = true;
                }
            }
        free(old);
        free(r.alts);
        return;
    }
    /* OR: the conjunctions of each side, side by side (each may AND with
     * what came before: handled by the caller's cross product) */
    dnf l = {.alts = calloc(NEED_MAX_ALTS, sizeof(need_alt)), .cap = NEED_MAX_ALTS};
    dnf r = {.alts = calloc(NEED_MAX_ALTS, sizeof(need_alt)), .cap = NEED_MAX_ALTS};
    if (!l.alts || !r.alts) {
        free(l.alts);
        free(r.alts);
        d->truncated = true;
        return;
    }
    dnf_of(c->left, &l);
    dnf_of(c->right, &r);
    d->truncated |= l.truncated || r.truncated;
    size_t n0 = d->n ? d->n : 1;
    need_alt *old = calloc(n0, sizeof *old);
    if (!old) {
        free(l.alts);
        free(r.alts);
        d->truncated = true;
        return;
    }
    if (d->n)
        memcpy(old, d->alts, n0 * sizeof *old);
    d->n = 0;
    for (size_t i = 0; i < n0; i++)
        for (int side = 0; side < 2; side++) {
            dnf *s = side ? &r : &l;
            for (size_t j = 0; j < s->n; j++) {
                if (d->n >= d->cap) {
                    d->truncated = true;
                    continue;
                }
                need_alt *a = &d->alts[d->n++];
                *a = old[i];
                for (size_t k = 0; k < s->alts[j].n_tests; k++)
                    if (a->n_tests < NEED_MAX_TESTS)
                        a->tests[a->n_tests++] = s->alts[j].tests[k];
            }
        }
    free(old);
    free(l.alts);
    free(r.alts);
}

static need_kind classify_test(const pat_cmp *t)
{
    if (needs_path_is(t, "process", "x_hook_name") || needs_path_is(t, "process", "x_hook_args"))
        return NEED_HOOK;
    if (strcmp(t->path.object_type, "network-traffic") == 0 && t->path.steps[0].kind == PAT_STEP_KEY &&
        strncmp(t->path.steps[0].key, "x_audit_", 8) == 0)
        return NEED_AUDIT;
    if (t->path.steps[0].kind == PAT_STEP_KEY && strncmp(t->path.steps[0].key, "x_alert_", 8) == 0)
        return NEED_ALERT;
    if (strcmp(t->path.object_type, "process") == 0)
        return NEED_EXEC;
    return NEED_OTHER;
}

static void fill_hooks(need_alt *a)
{
    for (size_t i = 0; i < a->n_tests; i++) {
        const pat_cmp *t = a->tests[i];
        if (needs_path_is(t, "process", "x_hook_name")) {
            if (t->negated || (t->op != PAT_OP_EQ && t->op != PAT_OP_IN)) {
                a->hook_unknown = true;
                continue;
            }
            for (size_t v = 0; v < t->n_values; v++)
                if (t->values[v].type == PAT_LIT_STRING && a->n_hooks < NEED_MAX_HOOKS)
                    a->hooks[a->n_hooks++] = t->values[v].u.str.ptr;
        }
    }
    if (a->n_hooks == 0)
        a->hook_unknown = true;
}

storm_rc needs_of_pattern(const storm_pattern *p, need_leaf **out, size_t *n_out)
{
    unsigned n = pattern_leaf_count(p);
    need_leaf *leaves = calloc(n ? n : 1, sizeof *leaves);
    if (!leaves)
        return STORM_ERR_NOMEM;
    for (unsigned i = 0; i < n; i++) {
        need_leaf *l = &leaves[i];
        l->leaf = i;
        dnf d = {.alts = l->alts, .cap = NEED_MAX_ALTS};
        dnf_of(pattern_plan_leaf(p, i)->cmp, &d);
        l->n_alts = d.n;
        l->truncated = d.truncated;
        /* the leaf's kind: the strongest sensor any conjunction needs */
        l->kind = NEED_OTHER;
        bool any_hook = false, any_audit = false, any_alert = false, any_exec = false;
        for (size_t a = 0; a < l->n_alts; a++) {
            bool hook = false;
            for (size_t k = 0; k < l->alts[a].n_tests; k++) {
                need_kind c = classify_test(l->alts[a].tests[k]);
                hook |= c == NEED_HOOK;
                any_audit |= c == NEED_AUDIT;
                any_alert |= c == NEED_ALERT;
                any_exec |= c == NEED_EXEC;
            }
            if (hook)
                fill_hooks(&l->alts[a]);
            any_hook |= hook;
        }
        l->kind = any_hook    ? NEED_HOOK
                  : any_audit ? NEED_AUDIT
                  : any_alert ? NEED_ALERT
                  : any_exec  ? NEED_EXEC
                              : NEED_OTHER;
    }
    *out = leaves;
    *n_out = n;
    return STORM_OK;
}

bool needs_alt_fits_hook(const need_alt *a, const char *call)
{
    const hook_sig *sig = hook_lookup(call);
    if (!sig)
        return true; /* unknown signature: cannot tell */
    for (size_t k = 0; k < a->n_tests; k++) {
        const pat_cmp *t = a->tests[k];
        int64_t idx;
        const char *field;
        if (!needs_arg_path(t, &idx, &field) || t->negated || t->op == PAT_OP_NE)
            continue;
        const char *type = idx >= 0 && idx < 6 ? sig->args[idx] : NULL;
        if (!type)
            return false; /* the hook has no such argument */
        bool strs = false;
        for (size_t i = 0; i < t->n_values; i++)
            strs |= t->values[i].type == PAT_LIT_STRING;
        if (strs && hook_type_is_int(type) && strcmp(type, "fd") != 0 &&
            (t->op == PAT_OP_MATCHES || t->op == PAT_OP_LIKE || t->op == PAT_OP_EQ || t->op == PAT_OP_IN))
            return false; /* a text comparison on a number */
    }
    return true;
}
