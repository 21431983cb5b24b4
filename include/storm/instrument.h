/* SPDX-License-Identifier: Apache-2.0 */
/* Instrument: from attack models to what a cluster needs to see them.
 *   - tripwires: Tetragon TracingPolicy manifests derived from the
 *     indicators that read kernel hooks (process:x_hook_name, x_hook_args),
 *     with selectors that push the indicators' literals into the kernel;
 *   - the Kubernetes audit Policy (audit.k8s.io/v1) the audit indicators need;
 *   - the kustomize overlay that adds both, and Storm itself, to an existing
 *     cluster template (storm instrument).
 * Reading policies back (coverage, offline replay) is in
 * <storm/tracingpolicy.h>. */
#ifndef STORM_INSTRUMENT_H
#define STORM_INSTRUMENT_H

#include <stdbool.h>
#include <stddef.h>

#include <storm/buf.h>
#include <storm/err.h>
#include <storm/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tetragon's documented limits (docs/concepts/tracing-policy/selectors.md)
 * that generation keeps to: selectors per hook, matchArgs per selector (one
 * per argument), values per operator (documented as 1, "can bump to 16 or
 * so"; 16 is what current releases take), namespace values. */
#define STORM_TP_MAX_SELECTORS 5
#define STORM_TP_MAX_MATCHARGS 5
#define STORM_TP_MAX_VALUES 16
#define STORM_TP_MAX_NS_VALUES 4
#define STORM_TP_MAX_STRING 128 /* bytes of one Prefix/Postfix/SubString value kept in the kernel */

/* Generated files: name (relative to the output directory) and text. */
typedef struct storm_gen_file {
    char *name;
    char *text;
} storm_gen_file;

typedef struct storm_gen_files {
    storm_gen_file *v;
    size_t n, cap;
} storm_gen_files;

/* Frees every name and text (not the struct itself). NULL-safe. */
void storm_gen_files_clear(storm_gen_files *f);
/* Writes every file under dir (created when missing, like mkdir -p);
 * an existing file of the same name is replaced. */
storm_rc storm_gen_files_write(const storm_gen_files *f, const char *dir, storm_err *err);

typedef struct storm_policy_gen_opts {
    const char *namespace_; /* non-NULL: TracingPolicyNamespaced in this namespace */
    bool no_substring;      /* never use the SubString operator (Tetragon releases before it) */
} storm_policy_gen_opts;

/* Figures of one generation, for the report. */
typedef struct storm_policy_gen_stats {
    size_t policies, hooks, selectors; /* TracingPolicies (files), distinct hooks, selectors */
    size_t hook_indicators;            /* indicators with at least one kernel hook */
    size_t exec_indicators;            /* need no policy: process_exec carries what they read */
    size_t audit_indicators;           /* served by the audit Policy */
    size_t alert_indicators;           /* read Falco/Kubescape alerts: nothing to generate */
    size_t widened;                    /* constraints left to Storm (comment in the manifest) */
    size_t split;                      /* hooks split over several policies (selector limit) */
    size_t audit_rules;
} storm_policy_gen_stats;

/* TracingPolicy manifests for the indicators of m, one file per hook
 * (storm-<hook>.yaml, storm-<hook>-2.yaml... when the selectors exceed
 * STORM_TP_MAX_SELECTORS), appended to out. report (may be NULL) receives
 * one line per indicator: what was generated for it, or why nothing is
 * needed, and every widening. */
storm_rc storm_policy_generate(const storm_models *m, const storm_policy_gen_opts *opts, storm_gen_files *out,
                               storm_buf *report, storm_policy_gen_stats *stats, storm_err *err);

/* The audit.k8s.io/v1 Policy for the audit indicators of m, as YAML text
 * appended to out: one rule per resource set, RequestResponse where a
 * pattern reads the request object, Metadata otherwise, then level None for
 * everything else. *n_rules (may be NULL) receives the rule count. */
storm_rc storm_audit_policy_generate(const storm_models *m, storm_buf *out, size_t *n_rules, storm_err *err);

typedef struct storm_overlay_opts {
    const char *out_dir;      /* where the overlay goes (created; a kustomize base is referenced from it) */
    const char *template_dir; /* a directory of manifests or a kustomize base */
    const char *deploy_dir;   /* Storm's own manifests (deploy/k8s) */
    const char *const *model_paths;
    size_t n_model_paths;   /* the model files copied into the ConfigMap (0: every *.json of the shipped models) */
    const char *listen;     /* non-NULL: a Deployment receiving events on this ADDR:PORT instead of the DaemonSet */
    const char *namespace_; /* TracingPolicyNamespaced in this namespace (NULL: cluster-wide TracingPolicy) */
    const char *bait_dir;   /* non-NULL: a directory of bait manifests added as they are */
    const char *image;      /* Storm's container image (NULL: the one in deploy/k8s) */
} storm_overlay_opts;

/* Storm's deployment manifests (deploy/k8s): $STORM_DEPLOY, the installed
 * data dir, the source tree. Returns buf or a static string, NULL when
 * none is found. */
const char *storm_instrument_default_deploy(char *buf, size_t cap);

/* The kustomize overlay (kustomization.yaml, template/ or a reference to
 * the base, tripwires/, storm/, bait/) and, beside it, audit-policy.yaml and
 * AUDIT-POLICY.md, appended to out. m: the models the tripwires come from. */
storm_rc storm_overlay_generate(const storm_models *m, const storm_overlay_opts *opts, storm_gen_files *out,
                                storm_buf *report, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
