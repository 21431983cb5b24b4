/* SPDX-License-Identifier: Apache-2.0 */
/* The Kubernetes audit Policy (audit.k8s.io/v1) the audit indicators need:
 * for each conjunction that names resources, subresources or verbs, a rule
 * logging exactly those, at RequestResponse when the pattern reads the
 * request or response object and at Metadata otherwise (the user, the verb,
 * the response code are all in Metadata). The API server takes the first
 * rule that matches a request, so the RequestResponse rules come first and
 * a final rule drops the rest (level None). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instrument_int.h"

#define AUDIT_MAX_RULES 128

typedef struct audit_rule {
    bool full; /* RequestResponse */
    lit_set *verbs, *resources, *subresources;
    char *text;
    char *why;
} audit_rule;

static const char *group_of(const char *resource)
{
    static const struct {
        const char *group;
        const char *resources[12];
    } G[] = {
        {"apps", {"deployments", "daemonsets", "statefulsets", "replicasets", "controllerrevisions"}},
        {"batch", {"jobs", "cronjobs"}},
        {"rbac.authorization.k8s.io", {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}},
        {"authorization.k8s.io",
         {"selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews", "localsubjectaccessreviews"}},
        {"authentication.k8s.io", {"selfsubjectreviews", "tokenreviews"}},
        {"networking.k8s.io", {"networkpolicies", "ingresses"}},
        {"certificates.k8s.io", {"certificatesigningrequests"}},
    };
    for (size_t i = 0; i < sizeof G / sizeof G[0]; i++)
        for (size_t k = 0; k < 12 && G[i].resources[k]; k++)
            if (strcmp(G[i].resources[k], resource) == 0)
                return G[i].group;
    return ""; /* the core group: pods, secrets, serviceaccounts, nodes... */
}

static bool audit_field(const pat_cmp *t, const char *name)
{
    return t->kind == PAT_CMP_TEST && strcmp(t->path.object_type, "network-traffic") == 0 &&
           t->path.steps[0].kind == PAT_STEP_KEY && strcmp(t->path.steps[0].key, name) == 0;
}

static void strings_of(const pat_cmp *t, lit_set **slot)
{
    if (t->negated || (t->op != PAT_OP_EQ && t->op != PAT_OP_IN))
        return; /* NOT IN, LIKE...: every value is possible */
    lit_set *s = calloc(1, sizeof *s);
    if (!s)
        return;
    needs_string_set(t, s);
    if (s->kind != LIT_EXACT) {
        free(s);
        return;
    }
    free(*slot);
    *slot = s;
}

static void list_yaml(storm_buf *b, const lit_set *s)
{
    storm_buf_putc(b, '[');
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            storm_buf_puts(b, ", ");
        yaml_quote(b, s->s[i]);
    }
    storm_buf_putc(b, ']');
}

static void rule_text(audit_rule *r)
{
    storm_buf b;
    storm_buf_init(&b, 1u << 20);
    storm_buf_printf(&b, "  - level: %s\n", r->full ? "RequestResponse" : "Metadata");
    if (r->verbs) {
        storm_buf_puts(&b, "    verbs: ");
        list_yaml(&b, r->verbs);
        storm_buf_putc(&b, '\n');
    }
    if (r->resources) {
        storm_buf_puts(&b, "    resources:\n");
        /* one GroupResources per API group, in the order first seen */
        bool done[LIT_MAX] = {false};
        for (size_t i = 0; i < r->resources->n; i++) {
            if (done[i])
                continue;
            const char *g = group_of(r->resources->s[i]);
            storm_buf_puts(&b, "      - group: ");
            yaml_quote(&b, g);
            storm_buf_puts(&b, "\n        resources: [");
            bool first = true;
            for (size_t k = i; k < r->resources->n; k++) {
                if (done[k] || strcmp(group_of(r->resources->s[k]), g) != 0)
                    continue;
                done[k] = true;
                size_t nsub = r->subresources ? r->subresources->n : 0;
                for (size_t s = 0; s < (nsub ? nsub : 1); s++) {
                    char name[2 * LIT_MAX_LEN + 2];
                    if (nsub)
                        snprintf(name, sizeof name, "%s/%s", r->resources->s[k], r->subresources->s[s]);
                    else
                        snprintf(name, sizeof name, "%s", r->resources->s[k]);
                    if (!first)
                        storm_buf_puts(&b, ", ");
                    yaml_quote(&b, name);
                    first = false;
                }
            }
            storm_buf_puts(&b, "]\n");
        }
    }
    r->text = storm_buf_take(&b, NULL);
    storm_buf_free(&b);
}

storm_rc storm_audit_policy_generate(const storm_models *m, storm_buf *out, size_t *n_rules, storm_err *err)
{
    audit_rule *rules = calloc(AUDIT_MAX_RULES, sizeof *rules);
    if (!rules)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < storm_models_n_indicators(m); i++) {
        const storm_model_indicator *ind = storm_models_indicator(m, i);
        need_leaf *leaves = NULL;
        size_t nl = 0;
        if (needs_of_pattern(ind->pattern, &leaves, &nl) != STORM_OK)
            continue;
        for (size_t l = 0; l < nl; l++) {
            for (size_t a = 0; a < leaves[l].n_alts; a++) {
                const need_alt *alt = &leaves[l].alts[a];
                audit_rule r = {0};
                bool audit = false;
                for (size_t k = 0; k < alt->n_tests; k++) {
                    const pat_cmp *t = alt->tests[k];
                    if (t->kind != PAT_CMP_TEST || strcmp(t->path.object_type, "network-traffic") != 0 ||
                        t->path.steps[0].kind != PAT_STEP_KEY || strncmp(t->path.steps[0].key, "x_audit_", 8) != 0)
                        continue;
                    audit = true;
                    if (audit_field(t, "x_audit_verb"))
                        strings_of(t, &r.verbs);
                    else if (audit_field(t, "x_audit_resource"))
                        strings_of(t, &r.resources);
                    else if (audit_field(t, "x_audit_subresource"))
                        strings_of(t, &r.subresources);
                    else if (audit_field(t, "x_audit_request_object") || audit_field(t, "x_audit_response_object"))
                        r.full = true;
                }
                if (!audit) {
                    free(r.verbs);
                    free(r.resources);
                    free(r.subresources);
                    continue;
                }
                if (r.subresources && !r.resources) { /* a subresource of any resource */
                    free(r.subresources);
                    r.subresources = NULL;
                }
                rule_text(&r);
                free(r.verbs);
                free(r.resources);
                free(r.subresources);
                r.verbs = r.resources = r.subresources = NULL;
                bool dup = false;
                for (size_t k = 0; k < n && !dup && r.text; k++)
                    if (strcmp(rules[k].text, r.text) == 0) {
                        dup = true;
                        size_t len = strlen(rules[k].why) + strlen(ind->name ? ind->name : ind->id) + 8;
                        char *w = malloc(len);
                        if (w) {
                            snprintf(w, len, "%s; %s", rules[k].why, ind->name ? ind->name : ind->id);
                            free(rules[k].why);
                            rules[k].why = w;
                        }
                    }
                if (dup || !r.text || n >= AUDIT_MAX_RULES) {
                    free(r.text);
                    continue;
                }
                r.why = strdup(ind->name ? ind->name : ind->id);
                rules[n++] = r;
            }
        }
        free(leaves);
    }
    storm_buf_puts(out, "# Written by storm policy generate: the Kubernetes audit Policy the attack models'\n"
                        "# audit indicators need. Not an API object: the API server reads it from a file\n"
                        "# (kube-apiserver --audit-policy-file=...). The first matching rule wins, so the\n"
                        "# RequestResponse rules come first and the last rule drops everything else.\n"
                        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages:\n  - \"RequestReceived\"\nrules:\n");
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < n; k++)
            if (rules[k].full == (pass == 0)) {
                storm_buf_printf(out, "  # for: %s\n", rules[k].why ? rules[k].why : "");
                storm_buf_puts(out, rules[k].text);
            }
    storm_buf_puts(out, "  - level: None\n");
    for (size_t k = 0; k < n; k++) {
        free(rules[k].text);
        free(rules[k].why);
    }
    free(rules);
    if (n_rules)
        *n_rules = n + 1;
    return STORM_OK;
}
