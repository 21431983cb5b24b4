/* SPDX-License-Identifier: Apache-2.0 */
/* storm policy coverage: for each indicator that reads kernel hooks, does
 * some loaded policy trace each hook it names, capture each argument it
 * reads at the position Storm reads it, and have a selector that lets
 * through every value the comparison accepts? A selector's filter is
 * "implied" by the indicator when every event the indicator accepts passes
 * it (decided on the literal sets of the comparisons: exact values,
 * prefixes, suffixes, substrings); a selector with a filter the indicator
 * does not imply may drop events the indicator needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

#include "tp_int.h"

#define REASON_MAX 400

static bool path_type(const char *t)
{
    return strcmp(t, "file") == 0 || strcmp(t, "path") == 0 || strcmp(t, "linux_binprm") == 0 ||
           strcmp(t, "dentry") == 0 || strcmp(t, "fd") == 0;
}

/* The test of alternative a on argument idx; NULL when none. */
static const pat_cmp *arg_test(const need_alt *a, long long idx)
{
    for (size_t k = 0; k < a->n_tests; k++) {
        int64_t i;
        const char *f;
        if (needs_arg_path(a->tests[k], &i, &f) && i == idx && a->tests[k]->op != PAT_OP_EXISTS)
            return a->tests[k];
    }
    return NULL;
}

static void values_set(const storm_value *vals, lit_kind k, lit_set *out)
{
    out->kind = k;
    out->n = 0;
    if (!vals || vals->type != STORM_V_ARRAY)
        return;
    for (size_t i = 0; i < vals->u.a.len && out->n < LIT_MAX; i++) {
        const storm_value *v = vals->u.a.items[i];
        if (v->type == STORM_V_STRING)
            snprintf(out->s[out->n++], LIT_MAX_LEN, "%s", v->u.s.ptr);
        else if (v->type == STORM_V_INT)
            snprintf(out->s[out->n++], LIT_MAX_LEN, "%lld", (long long)v->u.i);
    }
}

/* Numbers a test accepts (EQ/IN, not negated) into out (as decimal
 * strings), or rejects (negated / NE) into rej. */
static void int_sets(const pat_cmp *t, lit_set *acc, lit_set *rej)
{
    acc->kind = rej->kind = LIT_NONE;
    acc->n = rej->n = 0;
    lit_set *dst = NULL;
    if ((t->op == PAT_OP_EQ || t->op == PAT_OP_IN) && !t->negated)
        dst = acc;
    else if (((t->op == PAT_OP_EQ || t->op == PAT_OP_IN) && t->negated) || (t->op == PAT_OP_NE && !t->negated))
        dst = rej;
    if (!dst)
        return;
    dst->kind = LIT_EXACT;
    for (size_t i = 0; i < t->n_values && dst->n < LIT_MAX; i++) {
        if (t->values[i].type != PAT_LIT_INT) {
            dst->kind = LIT_NONE;
            dst->n = 0;
            return;
        }
        snprintf(dst->s[dst->n++], LIT_MAX_LEN, "%lld", (long long)t->values[i].u.i);
    }
}

/* Is the matchArgs filter f implied by the indicator's test t (NULL: the
 * indicator does not restrict that argument)? */
static bool arg_filter_implied(const storm_value *f, const pat_cmp *t, bool is_int, char *why, size_t cap)
{
    const char *op = tp_str(f, "operator");
    long long idx = -1;
    tp_int(storm_v_get(f, "index"), &idx);
    if (!op)
        op = "Equal";
    if (!t) {
        snprintf(why, cap, "a selector filters argument %lld (%s), which the indicator does not restrict", idx, op);
        return false;
    }
    lit_set *sel = calloc(1, sizeof *sel), *ind = calloc(1, sizeof *ind), *rej = calloc(1, sizeof *rej);
    bool ok = false;
    if (!sel || !ind || !rej)
        goto done;
    if (is_int) {
        int_sets(t, ind, rej);
        values_set(storm_v_get(f, "values"), LIT_EXACT, sel);
        /* normalise the selector's numbers (0x.., 0..) to decimal */
        for (size_t i = 0; i < sel->n; i++) {
            long long x;
            storm_value tmp = {.type = STORM_V_STRING, .u.s = {sel->s[i], strlen(sel->s[i])}};
            if (tp_int(&tmp, &x))
                snprintf(sel->s[i], LIT_MAX_LEN, "%lld", x);
        }
        if (strcmp(op, "Equal") == 0)
            ok = ind->kind == LIT_EXACT && lit_set_implies(ind, sel);
        else if (strcmp(op, "NotEqual") == 0) {
            ok = true; /* every value the selector rejects, the indicator rejects too */
            for (size_t i = 0; i < sel->n && ok; i++) {
                if (ind->kind == LIT_EXACT)
                    ok = !lit_set_admits(ind, sel->s[i]);
                else
                    ok = rej->kind == LIT_EXACT && lit_set_admits(rej, sel->s[i]);
            }
        } else if (strcmp(op, "Mask") == 0 && ind->kind == LIT_EXACT) {
            ok = true;
            for (size_t i = 0; i < ind->n && ok; i++) {
                long long v = atoll(ind->s[i]), any = 0;
                for (size_t k = 0; k < sel->n; k++)
                    any |= v & atoll(sel->s[k]);
                ok = any != 0;
            }
        } else if ((strcmp(op, "GT") == 0 || strcmp(op, "GreaterThan") == 0 || strcmp(op, "LT") == 0 ||
                    strcmp(op, "LessThan") == 0) &&
                   ind->kind == LIT_EXACT && sel->n >= 1) {
            bool gt = op[0] == 'G';
            long long lim = atoll(sel->s[0]);
            ok = true;
            for (size_t i = 0; i < ind->n && ok; i++)
                ok = gt ? atoll(ind->s[i]) > lim : atoll(ind->s[i]) < lim;
        }
    } else {
        needs_string_set(t, ind);
        if (strcmp(op, "Equal") == 0) {
            values_set(storm_v_get(f, "values"), LIT_EXACT, sel);
            ok = lit_set_implies(ind, sel);
        } else if (strcmp(op, "Prefix") == 0) {
            values_set(storm_v_get(f, "values"), LIT_PREFIX, sel);
            ok = lit_set_implies(ind, sel);
        } else if (strcmp(op, "Postfix") == 0) {
            values_set(storm_v_get(f, "values"), LIT_SUFFIX, sel);
            ok = lit_set_implies(ind, sel);
        } else if (strcmp(op, "SubString") == 0) {
            values_set(storm_v_get(f, "values"), LIT_CONTAINS, sel);
            ok = lit_set_implies(ind, sel);
        } else if (strcmp(op, "NotEqual") == 0 || strcmp(op, "NotPrefix") == 0 || strcmp(op, "NotPostfix") == 0) {
            values_set(storm_v_get(f, "values"), LIT_EXACT, sel);
            /* implied when no value the selector rejects could satisfy the indicator */
            ok = ind->kind == LIT_EXACT;
            for (size_t i = 0; i < sel->n && ok; i++)
                for (size_t k = 0; k < ind->n && ok; k++) {
                    const char *a = ind->s[k], *v = sel->s[i];
                    size_t na = strlen(a), nv = strlen(v);
                    if (op[3] == 'E')
                        ok = strcmp(a, v) != 0;
                    else if (op[3] == 'P' && op[4] == 'r')
                        ok = strncmp(a, v, nv) != 0;
                    else
                        ok = !(nv <= na && memcmp(a + na - nv, v, nv) == 0);
                }
        }
    }
    if (!ok) {
        char vals[160] = "";
        const storm_value *vv = storm_v_get(f, "values");
        if (vv && vv->type == STORM_V_ARRAY && vv->u.a.len && vv->u.a.items[0]->type == STORM_V_STRING)
            snprintf(vals, sizeof vals, " \"%s\"%s", vv->u.a.items[0]->u.s.ptr, vv->u.a.len > 1 ? "..." : "");
        snprintf(why, cap, "a selector keeps only argument %lld %s%s, which drops values the indicator needs", idx, op,
                 vals);
    }
done:
    free(sel);
    free(ind);
    free(rej);
    return ok;
}

static bool binary_filter_implied(const storm_value *f, const need_alt *a, char *why, size_t cap)
{
    const char *op = tp_str(f, "operator");
    const pat_cmp *t = NULL;
    for (size_t k = 0; k < a->n_tests && !t; k++)
        if (needs_is_binary(a->tests[k]))
            t = a->tests[k];
    if (!op)
        op = "In";
    lit_set *sel = calloc(1, sizeof *sel), *names = calloc(1, sizeof *names);
    bool ok = false;
    if (!sel || !names)
        goto done;
    values_set(storm_v_get(f, "values"), LIT_EXACT, sel);
    bool neg = t && (t->negated || t->op == PAT_OP_NE);
    if (t) {
        pat_cmp pos = *t;
        pos.negated = false;
        if (pos.op == PAT_OP_NE)
            pos.op = PAT_OP_EQ;
        needs_string_set(&pos, names);
    }
    if (t && names->kind == LIT_EXACT && !neg &&
        (strcmp(op, "In") == 0 || strcmp(op, "Postfix") == 0 || strcmp(op, "Prefix") == 0)) {
        /* every binary the indicator names has a value of the selector that fits its file name */
        ok = true;
        for (size_t i = 0; i < names->n && ok; i++) {
            char slash[LIT_MAX_LEN + 1];
            snprintf(slash, sizeof slash, "/%s", names->s[i]);
            bool any = false;
            for (size_t k = 0; k < sel->n && !any; k++) {
                size_t nv = strlen(sel->s[k]), ns = strlen(slash);
                if (op[0] == 'P' && op[1] == 'o')
                    any = nv <= ns ? memcmp(slash + ns - nv, sel->s[k], nv) == 0 : false;
                else if (op[0] == 'I')
                    any = nv >= ns && memcmp(sel->s[k] + nv - ns, slash, ns) == 0; /* approximation: that path */
            }
            ok = any;
        }
    } else if (t && names->kind == LIT_EXACT && neg && (strcmp(op, "NotIn") == 0 || strcmp(op, "NotPostfix") == 0)) {
        ok = true; /* each binary the selector excludes, the indicator excludes too */
        for (size_t k = 0; k < sel->n && ok; k++) {
            const char *base = strrchr(sel->s[k], '/');
            ok = lit_set_admits(names, base ? base + 1 : sel->s[k]);
        }
    }
    if (!ok)
        snprintf(why, cap, "a selector keeps only binaries %s \"%s\"%s, which drops binaries the indicator accepts", op,
                 sel->n ? sel->s[0] : "", sel->n > 1 ? "..." : "");
done:
    free(sel);
    free(names);
    return ok;
}

static bool in_pod(const need_alt *a)
{
    for (size_t k = 0; k < a->n_tests; k++)
        if (needs_path_is(a->tests[k], "process", "x_k8s_pod") && a->tests[k]->op == PAT_OP_EXISTS &&
            !a->tests[k]->negated)
            return true;
    return false;
}

/* Does selector sel of hook h let through every event alternative a accepts? */
static bool selector_admits(const storm_tp_hook *h, const storm_value *sel, const need_alt *a, char *why, size_t cap)
{
    for (size_t m = 0; m < sel->u.o.len; m++) {
        const char *key = sel->u.o.members[m].key;
        const storm_value *v = sel->u.o.members[m].value;
        if (!v || (v->type == STORM_V_ARRAY && v->u.a.len == 0) || v->type == STORM_V_NULL)
            continue;
        if (strcmp(key, "matchArgs") == 0 && v->type == STORM_V_ARRAY) {
            for (size_t i = 0; i < v->u.a.len; i++) {
                long long idx = -1;
                tp_int(storm_v_get(v->u.a.items[i], "index"), &idx);
                const char *type = tp_arg_type(h, idx, NULL);
                bool is_int = type && hook_type_is_int(type) && strcmp(type, "fd") != 0;
                if (!arg_filter_implied(v->u.a.items[i], arg_test(a, idx), is_int, why, cap))
                    return false;
            }
        } else if (strcmp(key, "matchBinaries") == 0 && v->type == STORM_V_ARRAY) {
            for (size_t i = 0; i < v->u.a.len; i++)
                if (!binary_filter_implied(v->u.a.items[i], a, why, cap))
                    return false;
        } else if (strcmp(key, "matchNamespaces") == 0 && v->type == STORM_V_ARRAY) {
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *op = tp_str(v->u.a.items[i], "operator");
                const storm_value *vals = storm_v_get(v->u.a.items[i], "values");
                bool host_only = vals && vals->type == STORM_V_ARRAY && vals->u.a.len == 1 &&
                                 storm_v_is_str(vals->u.a.items[0], "host_ns");
                /* "not in the host's namespace": what "in a pod" means, nearly */
                if (!(op && strcmp(op, "NotIn") == 0 && host_only && in_pod(a))) {
                    snprintf(why, cap,
                             "a selector keeps only some namespaces (matchNamespaces), which the "
                             "indicator does not restrict");
                    return false;
                }
            }
        } else if (strcmp(key, "matchActions") == 0 && v->type == STORM_V_ARRAY) {
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *act = tp_str(v->u.a.items[i], "action");
                if (act && strcmp(act, "NoPost") == 0) {
                    snprintf(why, cap, "a selector's action is NoPost: no event is sent");
                    return false;
                }
            }
        } else if (strcmp(key, "matchReturnActions") == 0) {
            continue; /* actions on return: the event is still posted */
        } else {
            snprintf(why, cap, "a selector filters on %s, which the indicator does not restrict", key);
            return false;
        }
    }
    return true;
}

typedef struct hook_verdict {
    bool covered;
    const storm_tp_hook *by;
    char why[REASON_MAX];
} hook_verdict;

/* Is the hook call of alternative a covered by one of the policies? */
static void hook_covered(const storm_tp_set *s, const char *call, const need_alt *a, hook_verdict *out)
{
    out->covered = false;
    out->by = NULL;
    snprintf(out->why, sizeof out->why, "hook %s is not traced by any policy", call);
    bool found = false;
    for (size_t i = 0; i < s->n_hooks && !out->covered; i++) {
        const storm_tp_hook *h = &s->hooks[i];
        if (strcmp(h->call, call) != 0)
            continue;
        char why[REASON_MAX] = "";
        bool ok = true;
        /* every argument read, captured at the position Storm reads it */
        for (size_t k = 0; k < a->n_tests && ok; k++) {
            int64_t idx;
            const char *field;
            if (!needs_arg_path(a->tests[k], &idx, &field))
                continue;
            long long at = tp_arg_index_at(h, (size_t)idx);
            size_t pos = 0;
            const char *type = tp_arg_type(h, idx, &pos);
            if (at != idx) {
                if (type)
                    snprintf(why, sizeof why,
                             "argument %lld is captured at position %zu, but the pattern reads x_hook_args[%lld]",
                             (long long)idx, pos, (long long)idx);
                else
                    snprintf(why, sizeof why, "argument %lld, which the pattern reads, is not captured",
                             (long long)idx);
                ok = false;
            } else if (type && (strcmp(field, "path") == 0) != path_type(type)) {
                snprintf(why, sizeof why, "argument %lld is captured as %s, which has no .%s", (long long)idx, type,
                         field);
                ok = false;
            }
        }
        const storm_value *sels = storm_v_get(h->spec, "selectors");
        if (ok && sels && sels->type == STORM_V_ARRAY && sels->u.a.len > 0) {
            bool any = false;
            for (size_t k = 0; k < sels->u.a.len && !any; k++)
                if (sels->u.a.items[k]->type == STORM_V_OBJECT)
                    any = selector_admits(h, sels->u.a.items[k], a, why, sizeof why);
            ok = any;
        }
        if (ok) {
            out->covered = true;
            out->by = h;
        } else if (!found) {
            if (snprintf(out->why, sizeof out->why, "%s in %s: %s", call, h->policy, why) >= (int)sizeof out->why)
                memcpy(out->why + sizeof out->why - 4, "...", 4); /* cut short: say so */
        }
        found = true;
    }
}

static void json_str(storm_buf *b, const char *s)
{
    storm_json_write_string(b, s ? s : "", s ? strlen(s) : 0);
}

storm_rc storm_policy_coverage(const storm_models *m, const storm_tp_set *s, bool json, storm_buf *out,
                               storm_coverage_stats *st, storm_err *err)
{
    memset(st, 0, sizeof *st);
    if (json)
        storm_buf_puts(out, "[");
    bool first = true;
    for (size_t i = 0; i < storm_models_n_indicators(m); i++) {
        const storm_model_indicator *ind = storm_models_indicator(m, i);
        need_leaf *leaves = NULL;
        size_t nl = 0;
        if (needs_of_pattern(ind->pattern, &leaves, &nl) != STORM_OK)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        bool hook = false;
        size_t pairs = 0, pairs_ok = 0;
        storm_buf detail;
        storm_buf_init(&detail, 1u << 20);
        for (size_t l = 0; l < nl; l++) {
            if (leaves[l].kind != NEED_HOOK)
                continue;
            hook = true;
            for (size_t a = 0; a < leaves[l].n_alts; a++) {
                const need_alt *alt = &leaves[l].alts[a];
                char done[NEED_MAX_HOOKS][96];
                size_t n_done = 0;
                for (size_t k = 0; k < alt->n_hooks; k++) {
                    char call[96];
                    hook_normalize(alt->hooks[k], call, sizeof call);
                    bool dup = false;
                    for (size_t d = 0; d < n_done && !dup; d++)
                        dup = strcmp(done[d], call) == 0;
                    if (dup)
                        continue;
                    memcpy(done[n_done++], call, sizeof call);
                    if (!needs_alt_fits_hook(alt, call))
                        continue; /* this alternative never holds on that hook */
                    hook_verdict v;
                    hook_covered(s, call, alt, &v);
                    pairs++;
                    pairs_ok += v.covered;
                    if (json) {
                        storm_buf_puts(&detail, detail.len ? ",{\"hook\":" : "{\"hook\":");
                        json_str(&detail, call);
                        storm_buf_printf(&detail, ",\"covered\":%s", v.covered ? "true" : "false");
                        if (v.covered) {
                            storm_buf_puts(&detail, ",\"policy\":");
                            json_str(&detail, v.by->policy);
                            storm_buf_puts(&detail, ",\"file\":");
                            json_str(&detail, v.by->file);
                        } else {
                            storm_buf_puts(&detail, ",\"reason\":");
                            json_str(&detail, v.why);
                        }
                        storm_buf_putc(&detail, '}');
                    } else {
                        const char *base = v.covered ? strrchr(v.by->file, '/') : NULL;
                        if (v.covered)
                            storm_buf_printf(&detail, "      %s: by %s (%s)\n", call, v.by->policy,
                                             base ? base + 1 : v.by->file);
                        else
                            storm_buf_printf(&detail, "      %s\n", v.why);
                    }
                }
            }
        }
        free(leaves);
        const char *status;
        if (!hook) {
            st->not_needed++;
            status = "no-policy-needed";
        } else {
            st->hook_indicators++;
            if (pairs && pairs_ok == pairs) {
                st->covered++;
                status = "covered";
            } else if (pairs_ok) {
                st->partial++;
                status = "partial";
            } else {
                st->uncovered++;
                status = "uncovered";
            }
        }
        const char *name = ind->name ? ind->name : ind->id;
        if (json) {
            storm_buf_puts(out, first ? "\n{\"indicator\":" : ",\n{\"indicator\":");
            json_str(out, ind->id);
            storm_buf_puts(out, ",\"name\":");
            json_str(out, name);
            storm_buf_puts(out, ",\"file\":");
            json_str(out, ind->file);
            storm_buf_puts(out, ",\"status\":");
            json_str(out, status);
            storm_buf_printf(out, ",\"hooks\":[%s]}", detail.data ? detail.data : "");
        } else if (hook) {
            const char *base = ind->file ? strrchr(ind->file, '/') : NULL;
            storm_buf_printf(out, "%-10s %s  [%s]\n%s", status, name, base ? base + 1 : (ind->file ? ind->file : ""),
                             detail.data ? detail.data : "");
        }
        first = false;
        storm_buf_free(&detail);
    }
    if (json)
        storm_buf_puts(out, "\n]\n");
    return STORM_OK;
}
