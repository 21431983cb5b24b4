/* SPDX-License-Identifier: Apache-2.0 */
/* storm policy generate: Tetragon TracingPolicies from the indicators that
 * read kernel hooks. One policy per hook (split when its selectors exceed
 * Tetragon's limit), one selector per conjunction of an indicator, with
 * the literals the conjunction compares pushed into matchArgs and
 * matchBinaries. What cannot be pushed is widened (left to Storm, which
 * checks the whole pattern anyway) and said in a comment. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>

#include "instrument_int.h"

#define GEN_MAX_HOOKS 96
#define GEN_MAX_SELECTORS 128

typedef struct gen_selector {
    char *yaml;    /* the selector's filters (list item text, indented for the policy) */
    char *comment; /* "# <indicator>" lines */
} gen_selector;

typedef struct gen_hook {
    char call[96];
    const hook_sig *sig;
    gen_selector sels[GEN_MAX_SELECTORS];
    size_t n_sels;
    bool unfiltered; /* one conjunction needs every call: no selectors at all */
    storm_buf notes; /* comment lines about widening */
} gen_hook;

typedef struct gen_state {
    gen_hook *hooks;
    size_t n_hooks;
    const storm_policy_gen_opts *opts;
    storm_buf *report;
    storm_policy_gen_stats *st;
} gen_state;

void storm_gen_files_clear(storm_gen_files *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].text);
    }
    free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}

static gen_hook *hook_get(gen_state *g, const char *call)
{
    for (size_t i = 0; i < g->n_hooks; i++)
        if (strcmp(g->hooks[i].call, call) == 0)
            return &g->hooks[i];
    if (g->n_hooks >= GEN_MAX_HOOKS)
        return NULL;
    gen_hook *h = &g->hooks[g->n_hooks++];
    memset(h, 0, sizeof *h);
    snprintf(h->call, sizeof h->call, "%s", call);
    h->sig = hook_lookup(call);
    storm_buf_init(&h->notes, 1u << 20);
    return h;
}

static void note(gen_state *g, gen_hook *h, const storm_model_indicator *ind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A widening: a comment in the manifest and a line of the report. */
static void note(gen_state *g, gen_hook *h, const storm_model_indicator *ind, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    storm_buf_printf(&h->notes, "# widened for \"%s\": %s\n", ind->name ? ind->name : ind->id, msg);
    if (g->report)
        storm_buf_printf(g->report, "  widened: %s: %s: %s\n", ind->name ? ind->name : ind->id, h->call, msg);
    g->st->widened++;
}

static void values_yaml(storm_buf *b, const char *indent, const lit_set *s)
{
    storm_buf_printf(b, "%svalues:\n", indent);
    for (size_t i = 0; i < s->n; i++) {
        storm_buf_printf(b, "%s  - ", indent);
        yaml_quote(b, s->s[i]);
        storm_buf_putc(b, '\n');
    }
}

/* The integers a test accepts (EQ/IN) or rejects (NE, NOT IN); false when
 * the values are not all integers. */
static bool int_values(const pat_cmp *t, lit_set *out)
{
    out->kind = LIT_EXACT;
    out->n = 0;
    for (size_t i = 0; i < t->n_values; i++) {
        if (t->values[i].type != PAT_LIT_INT || out->n >= LIT_MAX)
            return false;
        snprintf(out->s[out->n++], LIT_MAX_LEN, "%lld", (long long)t->values[i].u.i);
    }
    return out->n > 0;
}

/* One matchArgs entry for test t on argument `index` of type `type`.
 * Returns 1 when written, 0 when widened (note made), -1 when the test can
 * never hold on this hook (a string comparison on a number...). */
static int match_arg(gen_state *g, gen_hook *h, const storm_model_indicator *ind, const pat_cmp *t, int64_t index,
                     const char *type, storm_buf *b)
{
    const char *ind8 = "              ";
    lit_set *s = calloc(1, sizeof *s);
    if (!s)
        return 0;
    const char *op = NULL;
    int rc = 0;
    bool is_int = hook_type_is_int(type);
    bool str_type = !is_int;
    if (is_int) {
        bool strs = false;
        for (size_t i = 0; i < t->n_values; i++)
            strs |= t->values[i].type == PAT_LIT_STRING;
        if (strs && (t->op == PAT_OP_MATCHES || t->op == PAT_OP_LIKE || t->op == PAT_OP_EQ || t->op == PAT_OP_IN) &&
            !t->negated) {
            free(s);
            return -1;
        }
        if ((t->op == PAT_OP_EQ || t->op == PAT_OP_IN) && int_values(t, s))
            op = t->negated ? "NotEqual" : "Equal";
        else if (t->op == PAT_OP_NE && int_values(t, s))
            op = t->negated ? "Equal" : "NotEqual";
        else if ((t->op == PAT_OP_GT || t->op == PAT_OP_LT) && !t->negated && int_values(t, s))
            op = t->op == PAT_OP_GT ? "GT" : "LT";
    } else if (str_type) {
        if (t->op == PAT_OP_NE && !t->negated) {
            s->kind = LIT_EXACT;
            s->n = 0;
            if (t->n_values == 1 && t->values[0].type == PAT_LIT_STRING && t->values[0].u.str.len < LIT_MAX_LEN) {
                snprintf(s->s[0], LIT_MAX_LEN, "%s", t->values[0].u.str.ptr);
                s->n = 1;
                op = "NotEqual";
            }
        } else if (t->negated && (t->op == PAT_OP_EQ || t->op == PAT_OP_IN)) {
            pat_cmp pos = *t;
            pos.negated = false;
            needs_string_set(&pos, s);
            if (s->kind == LIT_EXACT)
                op = "NotEqual";
        } else {
            needs_string_set(t, s);
            op = s->kind == LIT_EXACT                                ? "Equal"
                 : s->kind == LIT_PREFIX                             ? "Prefix"
                 : s->kind == LIT_SUFFIX                             ? "Postfix"
                 : s->kind == LIT_CONTAINS && !g->opts->no_substring ? "SubString"
                                                                     : NULL;
        }
    }
    if (!op) {
        note(g, h, ind, "argument %lld: the comparison has no literal Tetragon can test; Storm checks it",
             (long long)index);
    } else if (s->n > STORM_TP_MAX_VALUES) {
        note(g, h, ind, "argument %lld: more values than Tetragon takes per operator (16); Storm checks them",
             (long long)index);
        op = NULL;
    } else {
        for (size_t i = 0; i < s->n; i++)
            if (strlen(s->s[i]) >= STORM_TP_MAX_STRING) {
                note(g, h, ind, "argument %lld: a value longer than Tetragon keeps; Storm checks it", (long long)index);
                op = NULL;
                break;
            }
    }
    if (op) {
        storm_buf_printf(b, "            - index: %lld\n%soperator: \"%s\"\n", (long long)index, ind8, op);
        values_yaml(b, ind8, s);
        rc = 1;
    }
    free(s);
    return rc;
}

/* The selector of one conjunction on one hook. */
static void add_selector(gen_state *g, gen_hook *h, const storm_model_indicator *ind, const need_alt *a)
{
    storm_buf args, bins;
    storm_buf_init(&args, 1u << 20);
    storm_buf_init(&bins, 1u << 20);
    bool seen[64] = {false};
    size_t n_args = 0;
    bool never = false;
    for (size_t k = 0; k < a->n_tests && !never; k++) {
        const pat_cmp *t = a->tests[k];
        int64_t idx;
        const char *field;
        if (needs_arg_path(t, &idx, &field)) {
            if (t->op == PAT_OP_EXISTS)
                continue;
            const char *type = h->sig && idx >= 0 && idx < 6 ? h->sig->args[idx] : NULL;
            if (!type && h->sig) { /* the hook has no such argument: the comparison never holds */
                never = true;
                continue;
            }
            if (!type) {
                note(g, h, ind, "argument %lld: the hook is not in Storm's table of signatures; Storm checks it",
                     (long long)idx);
                continue;
            }
            if (idx >= 64 || seen[idx] || n_args >= STORM_TP_MAX_MATCHARGS) {
                note(g, h, ind, "argument %lld: one filter per argument and selector; Storm checks the rest",
                     (long long)idx);
                continue;
            }
            int r = match_arg(g, h, ind, t, idx, type, &args);
            if (r < 0)
                never = true;
            if (r > 0) {
                seen[idx] = true;
                n_args++;
            }
        } else if (needs_is_binary(t)) {
            if (bins.len) {
                note(g, h, ind, "binary: one matchBinaries filter per selector; Storm checks the rest");
                continue;
            }
            lit_set *s = calloc(1, sizeof *s);
            if (!s)
                continue;
            pat_cmp pos = *t;
            bool neg = t->negated || t->op == PAT_OP_NE;
            pos.negated = false;
            if (pos.op == PAT_OP_NE)
                pos.op = PAT_OP_EQ;
            needs_string_set(&pos, s);
            if (s->kind == LIT_EXACT && s->n <= STORM_TP_MAX_VALUES) {
                /* image_ref.name is the file name: the binary's path ends in /name */
                for (size_t i = 0; i < s->n; i++) {
                    char tmp[LIT_MAX_LEN];
                    snprintf(tmp, sizeof tmp, "/%.*s", LIT_MAX_LEN - 2, s->s[i]);
                    memcpy(s->s[i], tmp, LIT_MAX_LEN);
                }
                storm_buf_printf(&bins, "          matchBinaries:\n            - operator: \"%s\"\n",
                                 neg ? "NotPostfix" : "Postfix");
                values_yaml(&bins, "              ", s);
            } else {
                note(g, h, ind, "the binary's name: no literal set Tetragon can test; Storm checks it");
            }
            free(s);
        }
    }
    if (never) {
        if (g->report)
            storm_buf_printf(g->report, "  %s: one alternative cannot hold on %s (argument type); no selector\n",
                             ind->name ? ind->name : ind->id, h->call);
    } else if (!args.len && !bins.len) {
        h->unfiltered = true;
        storm_buf_printf(&h->notes, "# unfiltered: \"%s\" needs every call of this hook\n",
                         ind->name ? ind->name : ind->id);
    } else {
        storm_buf y;
        storm_buf_init(&y, 1u << 20);
        if (args.len) {
            storm_buf_puts(&y, "          matchArgs:\n");
            storm_buf_append(&y, args.data, args.len);
        }
        if (bins.len)
            storm_buf_append(&y, bins.data, bins.len);
        /* the first line of a selector is its list item */
        char *text = storm_buf_take(&y, NULL);
        if (text) {
            memcpy(text, "        - ", 10);
            bool merged = false;
            for (size_t i = 0; i < h->n_sels && !merged; i++)
                if (strcmp(h->sels[i].yaml, text) == 0) {
                    size_t n = strlen(h->sels[i].comment) + strlen(ind->name ? ind->name : ind->id) + 32;
                    char *c = malloc(n);
                    if (c) {
                        snprintf(c, n, "%s        # and \"%s\"\n", h->sels[i].comment, ind->name ? ind->name : ind->id);
                        free(h->sels[i].comment);
                        h->sels[i].comment = c;
                    }
                    merged = true;
                }
            if (merged) {
                free(text);
            } else if (h->n_sels < GEN_MAX_SELECTORS) {
                size_t n = strlen(ind->name ? ind->name : ind->id) + strlen(ind->id) + 48;
                char *c = malloc(n);
                if (c)
                    snprintf(c, n, "        # \"%s\" (%s)\n", ind->name ? ind->name : ind->id, ind->id);
                h->sels[h->n_sels].yaml = text;
                h->sels[h->n_sels].comment = c;
                h->n_sels++;
            } else {
                free(text);
                h->unfiltered = true;
            }
        }
        storm_buf_free(&y);
    }
    storm_buf_free(&args);
    storm_buf_free(&bins);
}

static void policy_name(const char *call, int part, char *out, size_t cap)
{
    char n[128];
    size_t k = 0;
    for (const char *p = call; *p && k + 1 < sizeof n; p++)
        n[k++] = (*p == '_' || *p == '/') ? '-' : (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    n[k] = 0;
    if (part > 1)
        snprintf(out, cap, "storm-%s-%d", n, part);
    else
        snprintf(out, cap, "storm-%s", n);
}

static storm_rc add_file(storm_gen_files *out, const char *name, char *text)
{
    if (STORM_ARRAY_GROW(out->v, out->n + 1, out->cap, 8) != 0) {
        free(text);
        return STORM_ERR_NOMEM;
    }
    out->v[out->n].name = strdup(name);
    out->v[out->n].text = text;
    if (!out->v[out->n].name) {
        free(text);
        return STORM_ERR_NOMEM;
    }
    out->n++;
    return STORM_OK;
}

/* The policies of one hook. */
static storm_rc write_hook(gen_state *g, gen_hook *h, storm_gen_files *out)
{
    size_t per = STORM_TP_MAX_SELECTORS;
    size_t n_sel = h->unfiltered ? 0 : h->n_sels;
    size_t parts = n_sel ? (n_sel + per - 1) / per : 1;
    if (parts > 1)
        g->st->split++;
    g->st->hooks++;
    for (size_t part = 0; part < parts; part++) {
        char name[160], file[200];
        policy_name(h->call, (int)part + 1, name, sizeof name);
        snprintf(file, sizeof file, "%s.yaml", name);
        storm_buf b;
        storm_buf_init(&b, 16u << 20);
        storm_buf_printf(&b, "# Written by storm policy generate from the attack models' indicators on the hook %s.\n",
                         h->call);
        if (parts > 1)
            storm_buf_printf(&b,
                             "# Split: part %zu of %zu (Tetragon takes at most %d selectors per hook; each part "
                             "loads its own probe).\n",
                             part + 1, parts, STORM_TP_MAX_SELECTORS);
        if (!h->sig)
            storm_buf_puts(&b, "# The hook is not in Storm's table of signatures: no arguments are captured.\n");
        storm_buf_puts(&b, "# EXISTS process:x_k8s_pod is left to Storm: a namespace selector would miss a process\n"
                           "# that joined the host's namespaces, which is the escape itself.\n");
        if (h->notes.len)
            storm_buf_append(&b, h->notes.data, h->notes.len);
        storm_buf_printf(&b, "apiVersion: cilium.io/v1alpha1\nkind: %s\nmetadata:\n  name: \"%s\"\n",
                         g->opts->namespace_ ? "TracingPolicyNamespaced" : "TracingPolicy", name);
        if (g->opts->namespace_) {
            storm_buf_puts(&b, "  namespace: ");
            yaml_quote(&b, g->opts->namespace_);
            storm_buf_putc(&b, '\n');
        }
        storm_buf_puts(&b, "  labels:\n    app.kubernetes.io/managed-by: \"storm\"\nspec:\n");
        hook_kind kind = h->sig ? h->sig->kind : HOOK_KPROBE;
        if (kind == HOOK_TRACEPOINT) {
            const char *slash = strchr(h->call, '/');
            storm_buf_printf(&b, "  tracepoints:\n    - subsystem: \"%.*s\"\n      event: \"%s\"\n",
                             (int)(slash - h->call), h->call, slash + 1);
        } else if (kind == HOOK_LSM) {
            storm_buf_printf(&b, "  lsmhooks:\n    - hook: \"%s\"\n", h->call);
        } else {
            storm_buf_printf(&b, "  kprobes:\n    - call: \"%s\"\n      syscall: %s\n", h->call,
                             h->sig && h->sig->syscall ? "true" : "false");
        }
        if (h->sig && h->sig->args[0] && kind != HOOK_TRACEPOINT) {
            storm_buf_puts(&b, "      args:\n");
            for (int i = 0; i < 6 && h->sig->args[i]; i++)
                storm_buf_printf(&b, "        - index: %d\n          type: \"%s\"\n", i, h->sig->args[i]);
        }
        size_t from = part * per, to = from + per < n_sel ? from + per : n_sel;
        if (to > from) {
            storm_buf_puts(&b, "      selectors:\n");
            for (size_t i = from; i < to; i++) {
                if (h->sels[i].comment)
                    storm_buf_puts(&b, h->sels[i].comment);
                storm_buf_puts(&b, h->sels[i].yaml);
            }
            g->st->selectors += to - from;
        }
        g->st->policies++;
        storm_rc rc = add_file(out, file, storm_buf_take(&b, NULL));
        storm_buf_free(&b);
        if (rc != STORM_OK)
            return rc;
    }
    return STORM_OK;
}

static const char *kind_word(need_kind k)
{
    switch (k) {
    case NEED_HOOK: return "hook";
    case NEED_EXEC: return "exec";
    case NEED_AUDIT: return "audit";
    case NEED_ALERT: return "alert";
    case NEED_OTHER: break;
    }
    return "other";
}

storm_rc storm_policy_generate(const storm_models *m, const storm_policy_gen_opts *opts, storm_gen_files *out,
                               storm_buf *report, storm_policy_gen_stats *stats, storm_err *err)
{
    static const storm_policy_gen_opts none = {0};
    storm_policy_gen_stats st0;
    gen_state g = {.opts = opts ? opts : &none, .report = report, .st = stats ? stats : &st0};
    memset(g.st, 0, sizeof *g.st);
    g.hooks = calloc(GEN_MAX_HOOKS, sizeof *g.hooks);
    if (!g.hooks)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_rc rc = STORM_OK;
    for (size_t i = 0; i < storm_models_n_indicators(m) && rc == STORM_OK; i++) {
        const storm_model_indicator *ind = storm_models_indicator(m, i);
        need_leaf *leaves = NULL;
        size_t n = 0;
        if (needs_of_pattern(ind->pattern, &leaves, &n) != STORM_OK) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
            break;
        }
        need_kind best = NEED_OTHER;
        storm_buf hooks_line;
        storm_buf_init(&hooks_line, 1u << 16);
        for (size_t l = 0; l < n; l++) {
            if (leaves[l].kind < best)
                best = leaves[l].kind;
            if (leaves[l].kind != NEED_HOOK)
                continue;
            for (size_t a = 0; a < leaves[l].n_alts; a++) {
                const need_alt *alt = &leaves[l].alts[a];
                if (alt->n_hooks == 0)
                    continue;
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
                    gen_hook *h = hook_get(&g, call);
                    if (!h) {
                        rc = storm_err_set(err, STORM_ERR_LIMIT, 0, "more than %d distinct hooks", GEN_MAX_HOOKS);
                        break;
                    }
                    add_selector(&g, h, ind, alt);
                    if (!strstr(hooks_line.data ? hooks_line.data : "", call))
                        storm_buf_printf(&hooks_line, "%s%s", hooks_line.len ? ", " : "", call);
                }
            }
            if (leaves[l].truncated && report)
                storm_buf_printf(report, "  %s: more than %d alternatives; only the first are generated\n",
                                 ind->name ? ind->name : ind->id, NEED_MAX_ALTS);
        }
        const char *name = ind->name ? ind->name : ind->id;
        switch (best) {
        case NEED_HOOK:
            g.st->hook_indicators++;
            if (report)
                storm_buf_printf(report, "tripwire  %s: %s\n", name, hooks_line.data ? hooks_line.data : "");
            break;
        case NEED_EXEC:
            g.st->exec_indicators++;
            if (report)
                storm_buf_printf(report,
                                 "no policy %s: reads only what process_exec carries (binary, command "
                                 "line, pod)\n",
                                 name);
            break;
        case NEED_AUDIT:
            g.st->audit_indicators++;
            if (report)
                storm_buf_printf(report, "audit     %s: Kubernetes audit events (audit-policy.yaml)\n", name);
            break;
        default:
            if (best == NEED_ALERT)
                g.st->alert_indicators++;
            if (report)
                storm_buf_printf(report, "no policy %s: reads %s events of another sensor\n", name, kind_word(best));
            break;
        }
        storm_buf_free(&hooks_line);
        free(leaves);
    }
    for (size_t i = 0; i < g.n_hooks && rc == STORM_OK; i++)
        rc = write_hook(&g, &g.hooks[i], out);
    if (rc == STORM_ERR_NOMEM)
        storm_err_set(err, rc, 0, "out of memory");
    for (size_t i = 0; i < g.n_hooks; i++) {
        for (size_t k = 0; k < g.hooks[i].n_sels; k++) {
            free(g.hooks[i].sels[k].yaml);
            free(g.hooks[i].sels[k].comment);
        }
        storm_buf_free(&g.hooks[i].notes);
    }
    free(g.hooks);
    return rc;
}
