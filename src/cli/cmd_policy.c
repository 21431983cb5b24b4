/* SPDX-License-Identifier: Apache-2.0 */
/* storm policy generate|coverage|test: Tetragon TracingPolicies (and the
 * Kubernetes audit Policy) from the attack models, what existing policies
 * let the models see, and an offline replay of events through policies. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/instrument.h>
#include <storm/io.h>
#include <storm/model.h>
#include <storm/pipeline.h>
#include <storm/tracingpolicy.h>

#include "cli.h"

#define MAX_PATHS 256

static void policy_usage(FILE *out)
{
    fprintf(out, "usage: storm policy generate [--models PATH]... [--namespace NS] [--out DIR] [--no-substring] [-q]\n"
                 "       storm policy coverage [--models PATH]... --policies PATH... [--format text|json]\n"
                 "       storm policy test --policies PATH... [--models PATH]... [--format text|json] EVENTS...\n\n"
                 "generate  writes Tetragon TracingPolicies (one per hook) for the indicators that read kernel\n"
                 "          hooks, with selectors holding the indicators' literals, and audit-policy.yaml for the\n"
                 "          audit indicators; reports what each indicator got (exec-only ones need no policy).\n"
                 "coverage  says, per indicator, whether the policies let it see its events: covered (by which\n"
                 "          policy and hook) or not, and why; exit 1 when a hook indicator is not covered.\n"
                 "test      replays Tetragon events through the policies' selectors as the kernel would and\n"
                 "          reports which would have been emitted and which dropped; with --models, exit 1 when\n"
                 "          an event an indicator's hook comparisons accept would have been dropped.\n\n"
                 "  --models PATH     attack model file or directory (repeatable; default: the shipped models/)\n"
                 "  --namespace NS    TracingPolicyNamespaced in NS instead of cluster-wide TracingPolicy\n"
                 "  --out DIR         where generate writes (default: policies/)\n"
                 "  --no-substring    generate: never use the SubString operator (Tetragon releases without it)\n"
                 "  --policies PATH   a TracingPolicy YAML file or a directory of them (repeatable)\n"
                 "  --format text|json  output of coverage and test (default text)\n"
                 "  -q, --quiet       generate: only the summary line\n");
}

/* The models of paths (default: the shipped library). Owned by the caller;
 * NULL after printing why. */
static storm_models *load_models(const char *cmd, const char **paths, size_t n)
{
    char defbuf[PATH_MAX];
    const char *def[1];
    if (n == 0) {
        def[0] = storm_pipeline_default_models(defbuf, sizeof defbuf);
        if (!def[0]) {
            fprintf(stderr,
                    "storm %s: no --models given and the shipped models/ directory was not found "
                    "(set STORM_MODELS)\n",
                    cmd);
            return NULL;
        }
        paths = def;
        n = 1;
    }
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_models_load_path(m, paths[i], &err) != STORM_OK) {
            fprintf(stderr, "storm %s: %s: %s\n", cmd, paths[i], err.msg);
            storm_models_free(m);
            return NULL;
        }
    }
    storm_models_finish(m);
    return m;
}

static int policy_generate(int argc, char **argv)
{
    static const struct option opts[] = {{"models", required_argument, 0, 'm'},
                                         {"namespace", required_argument, 0, 'n'},
                                         {"out", required_argument, 0, 'o'},
                                         {"no-substring", no_argument, 0, 's'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *models[MAX_PATHS];
    size_t n_models = 0;
    const char *out_dir = "policies";
    bool quiet = false;
    storm_policy_gen_opts o = {0};
    int c;
    optind = 1;
    while ((c = cli_getopt("policy generate",
                           "usage: storm policy generate [--models PATH]... [--namespace NS] "
                           "[--out DIR] [--no-substring] [-q]",
                           argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'm':
            if (n_models >= MAX_PATHS)
                return cli_usage_error("policy generate", "more than %d --models", MAX_PATHS);
            models[n_models++] = optarg;
            break;
        case 'n': o.namespace_ = optarg; break;
        case 'o': out_dir = cli_dir_arg(optarg); break;
        case 's': o.no_substring = true; break;
        case 'q': quiet = true; break;
        case 'h': policy_usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("policy generate", "unexpected argument '%s'", argv[optind]);
    storm_models *m = load_models("policy generate", models, n_models);
    if (!m)
        return CLI_FAIL;
    storm_gen_files files = {0};
    storm_buf report, audit;
    storm_buf_init(&report, 64u << 20);
    storm_buf_init(&audit, 16u << 20);
    storm_policy_gen_stats st;
    size_t n_rules = 0;
    storm_err err;
    storm_err_clear(&err);
    int rc = CLI_OK;
    if (storm_policy_generate(m, &o, &files, &report, &st, &err) != STORM_OK ||
        storm_audit_policy_generate(m, &audit, &n_rules, &err) != STORM_OK) {
        fprintf(stderr, "storm policy generate: %s\n", err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    char *audit_text = storm_buf_take(&audit, NULL);
    storm_gen_file af = {.name = strdup("audit-policy.yaml"), .text = audit_text};
    if (STORM_ARRAY_GROW(files.v, files.n + 1, files.cap, 8) == 0 && af.name && af.text) {
        files.v[files.n++] = af;
    } else {
        free(af.name);
        free(af.text);
    }
    if (storm_gen_files_write(&files, out_dir, &err) != STORM_OK) {
        fprintf(stderr, "storm policy generate: %s\n", err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    if (!quiet && report.data)
        fputs(report.data, stdout);
    printf("%zu TracingPolicies (%zu hooks, %zu selectors) for %zu hook indicators; %zu indicators need no policy "
           "(exec), %zu read alerts; audit-policy.yaml: %zu rules for %zu audit indicators; %zu widened, %zu "
           "split; written to %s/\n",
           st.policies, st.hooks, st.selectors, st.hook_indicators, st.exec_indicators, st.alert_indicators, n_rules,
           st.audit_indicators, st.widened, st.split, out_dir);
done:
    storm_gen_files_clear(&files);
    storm_buf_free(&report);
    storm_buf_free(&audit);
    storm_models_free(m);
    return rc;
}

/* --policies PATHs into a set; problems printed. NULL after printing why. */
static storm_tp_set *load_policies(const char *cmd, const char **paths, size_t n)
{
    storm_tp_set *s = NULL;
    if (storm_tp_set_new(&s) != STORM_OK)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_tp_set_load_path(s, paths[i], &err) != STORM_OK) {
            fprintf(stderr, "storm %s: %s\n", cmd, err.msg);
            storm_tp_set_free(s);
            return NULL;
        }
    }
    for (size_t i = 0; i < storm_tp_set_n_problems(s); i++)
        fprintf(stderr, "storm %s: %s\n", cmd, storm_tp_set_problem(s, i));
    return s;
}

static int parse_format(const char *cmd, const char *v, bool *json)
{
    if (strcmp(v, "json") == 0)
        *json = true;
    else if (strcmp(v, "text") == 0)
        *json = false;
    else
        return cli_usage_error(cmd, "--format must be text or json, not '%s'", v);
    return CLI_OK;
}

/* The options storm policy coverage and test share. */
typedef struct policy_args {
    const char *models[MAX_PATHS], *policies[MAX_PATHS];
    size_t n_models, n_policies;
    bool json;
} policy_args;

#define POLICY_HELP (-1) /* parse_policy_args printed the help: exit 0 */

/* --models, --policies, --format and --help into a; CLI_OK, POLICY_HELP or
 * CLI_USAGE (said). */
static int parse_policy_args(const char *cmd, const char *usage_line, int argc, char **argv, policy_args *a)
{
    static const struct option opts[] = {{"models", required_argument, 0, 'm'},
                                         {"policies", required_argument, 0, 'p'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(cmd, usage_line, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'm':
            if (a->n_models >= MAX_PATHS)
                return cli_usage_error(cmd, "more than %d --models", MAX_PATHS);
            a->models[a->n_models++] = optarg;
            break;
        case 'p':
            if (a->n_policies >= MAX_PATHS)
                return cli_usage_error(cmd, "more than %d --policies", MAX_PATHS);
            a->policies[a->n_policies++] = optarg;
            break;
        case 'f':
            if (parse_format(cmd, optarg, &a->json) != CLI_OK)
                return CLI_USAGE;
            break;
        case 'h': policy_usage(stdout); return POLICY_HELP;
        default: return CLI_USAGE;
        }
    }
    return CLI_OK;
}

static int policy_coverage(int argc, char **argv)
{
    policy_args a = {0};
    int prc = parse_policy_args(
        "policy coverage", "usage: storm policy coverage [--models PATH]... --policies PATH... [--format text|json]",
        argc, argv, &a);
    if (prc != CLI_OK)
        return prc == POLICY_HELP ? CLI_OK : prc;
    if (optind < argc)
        return cli_usage_error("policy coverage", "unexpected argument '%s'", argv[optind]);
    if (a.n_policies == 0)
        return cli_usage_error("policy coverage", "--policies PATH is required");
    storm_models *m = load_models("policy coverage", a.models, a.n_models);
    if (!m)
        return CLI_FAIL;
    storm_tp_set *s = load_policies("policy coverage", a.policies, a.n_policies);
    if (!s) {
        storm_models_free(m);
        return CLI_FAIL;
    }
    storm_buf out;
    storm_buf_init(&out, 256u << 20);
    storm_coverage_stats st;
    storm_err err;
    storm_err_clear(&err);
    int rc = CLI_OK;
    if (storm_policy_coverage(m, s, a.json, &out, &st, &err) != STORM_OK) {
        fprintf(stderr, "storm policy coverage: %s\n", err.msg);
        rc = CLI_FAIL;
    } else {
        if (out.data)
            fputs(out.data, stdout);
        fprintf(a.json ? stderr : stdout,
                "%zu hook indicators: %zu covered, %zu partly, %zu not covered; %zu indicators need no "
                "TracingPolicy; %zu policies, %zu hooks read\n",
                st.hook_indicators, st.covered, st.partial, st.uncovered, st.not_needed, storm_tp_set_n_policies(s),
                storm_tp_set_n_hooks(s));
        if (st.partial || st.uncovered)
            rc = CLI_FAIL;
    }
    storm_buf_free(&out);
    storm_tp_set_free(s);
    storm_models_free(m);
    return rc;
}

static int policy_test(int argc, char **argv)
{
    policy_args a = {0};
    int prc = parse_policy_args("policy test",
                                "usage: storm policy test --policies PATH... [--models PATH]... [--format text|json] "
                                "EVENTS...",
                                argc, argv, &a);
    if (prc != CLI_OK)
        return prc == POLICY_HELP ? CLI_OK : prc;
    if (a.n_policies == 0)
        return cli_usage_error("policy test", "--policies PATH is required");
    if (optind >= argc)
        return cli_usage_error("policy test", "no EVENTS file given");
    storm_models *m = NULL;
    if (a.n_models && !(m = load_models("policy test", a.models, a.n_models)))
        return CLI_FAIL;
    storm_tp_set *s = load_policies("policy test", a.policies, a.n_policies);
    if (!s) {
        storm_models_free(m);
        return CLI_FAIL;
    }
    storm_replay_stats st = {0};
    int rc = CLI_OK;
    for (int i = optind; i < argc; i++) {
        char *text = NULL;
        size_t len = 0;
        storm_err err;
        storm_err_clear(&err);
        if (storm_read_file(argv[i], 1u << 30, &text, &len, &err) != STORM_OK) {
            fprintf(stderr, "storm policy test: %s: %s\n", argv[i], err.msg);
            rc = CLI_FAIL;
            continue;
        }
        storm_buf out;
        storm_buf_init(&out, 1u << 30);
        if (storm_policy_replay(s, m, argv[i], text, len, a.json, &out, &st, &err) != STORM_OK) {
            fprintf(stderr, "storm policy test: %s: %s\n", argv[i], err.msg);
            rc = CLI_FAIL;
        }
        if (out.data)
            fputs(out.data, stdout);
        storm_buf_free(&out);
        free(text);
    }
    fprintf(a.json ? stderr : stdout,
            "%zu lines, %zu hook events: %zu traced by the policies' hooks (what they emit without selectors), "
            "%zu emitted with selectors (%zu with filters assumed), %zu dropped; %zu not JSON",
            st.lines, st.hook_events, st.traced, st.emitted, st.assumed, st.dropped, st.bad);
    if (m)
        fprintf(a.json ? stderr : stdout, "; %zu needed by hook indicators, %zu of them lost", st.needed,
                st.needed_lost);
    fputc('\n', a.json ? stderr : stdout);
    if (st.needed_lost || st.bad)
        rc = CLI_FAIL;
    storm_tp_set_free(s);
    storm_models_free(m);
    return rc;
}

int cmd_policy(int argc, char **argv)
{
    if (argc < 2) {
        policy_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        policy_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(sub, "generate") == 0)
        return policy_generate(argc - 1, argv + 1);
    if (strcmp(sub, "coverage") == 0)
        return policy_coverage(argc - 1, argv + 1);
    if (strcmp(sub, "test") == 0)
        return policy_test(argc - 1, argv + 1);
    fprintf(stderr, "storm policy: unknown subcommand '%s'\n", sub);
    policy_usage(stderr);
    return CLI_USAGE;
}
