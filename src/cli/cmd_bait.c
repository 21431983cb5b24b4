/* SPDX-License-Identifier: Apache-2.0 */
/* storm bait generate | verify: options and wiring only; the bait itself is
 * src/bait (storm/bait.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/bait.h>
#include <storm/buf.h>
#include <storm/io.h>
#include <storm/model.h>

#include "cli.h"

#define BAIT_SEED_MAX 4096 /* bytes read from --seed-file */
#define BAIT_MAX_CLUSTERS 64
#define BAIT_USAGE                                                                                                     \
    "usage: storm bait generate --seed-file FILE --out DIR [--cluster NAME] [--namespace NS] [--models PATH]...\n"     \
    "       storm bait verify --seed-file FILE [--cluster NAME]... TOKEN"

static void usage(FILE *out)
{
    fprintf(out, BAIT_USAGE "\n"
                            "\n"
                            "Bait for a honeycluster: honeytoken secrets mounted where attackers look, an\n"
                            "admin-sounding service account on a forgotten-looking pod, a weak SSH entry\n"
                            "point, and the attack model (bait-model.json) whose indicators fire when any of\n"
                            "it is touched. Every honeytoken is derived from your seed: keep the seed file,\n"
                            "and storm bait verify tells which honeycluster a token seen anywhere came from.\n"
                            "\n"
                            "options:\n"
                            "  --seed-file FILE   the secret the honeytokens derive from (16 bytes or more:\n"
                            "                     32 random bytes from /dev/urandom, kept out of the cluster)\n"
                            "  --out DIR          generate: where the manifests and bait-model.json go\n"
                            "  --cluster NAME     the honeycluster's name (default honeycluster); verify:\n"
                            "                     repeat it for each honeycluster of the seed\n"
                            "  --namespace NS     generate: the bait objects' namespace (default ops-backup)\n"
                            "  --models PATH      generate: lint the bait model together with these models\n"
                            "                     (file or directory, repeatable), as storm run will load them\n"
                            "  -q, --quiet        print nothing but errors\n"
                            "  -h, --help         show this help\n"
                            "\n"
                            "exit status: 0 done (verify: the token is ours), 1 failure (verify: an unknown\n"
                            "token), 2 when the command line is wrong.\n"
                            "\n"
                            "example:\n"
                            "  storm bait generate --seed-file bait.seed --out bait/ --cluster hc-eu-1\n"
                            "  storm run --models models/ --models bait/ events.jsonl\n"
                            "  storm bait verify --seed-file bait.seed --cluster hc-eu-1 AKIA...\n");
}

typedef struct bait_args {
    const char *seed_file, *out, *ns;
    const char *clusters[BAIT_MAX_CLUSTERS];
    size_t n_clusters;
    const char *models[BAIT_MAX_CLUSTERS];
    size_t n_models;
    bool quiet;
} bait_args;

static void print_file(void *ctx, const char *path, const char *what)
{
    if (!*(bool *)ctx)
        printf("%s  %s\n", path, what);
}

/* Lint DIR's bait model beside the models the user will run with it. */
static int lint_with(const bait_args *a)
{
    storm_models *m = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_models_new(&m) != STORM_OK) {
        fprintf(stderr, "storm bait generate: out of memory\n");
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/" STORM_BAIT_MODEL_FILE, a->out);
    for (size_t i = 0; i <= a->n_models && rc == CLI_OK; i++) {
        const char *p = i < a->n_models ? a->models[i] : path;
        if (storm_models_load_path(m, p, &err) != STORM_OK) {
            fprintf(stderr, "storm bait generate: %s: %s\n", p, err.msg);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK) {
        storm_models_finish(m);
        storm_buf b;
        storm_buf_init(&b, 1 << 20);
        for (size_t i = 0; i < storm_models_n_defects(m); i++) {
            storm_buf_reset(&b);
            storm_model_defect_format(storm_models_defect(m, i), &b);
            fprintf(stderr, "%.*s\n", (int)b.len, b.data ? b.data : "");
            rc = CLI_FAIL;
        }
        storm_buf_free(&b);
        if (!a->quiet)
            printf("models: %zu indicators, %zu attack-patterns with the bait's%s\n", storm_models_n_indicators(m),
                   storm_models_n_steps(m), rc == CLI_OK ? "; no defects" : "; defects above");
    }
    storm_models_free(m);
    return rc;
}

static int read_seed(const char *cmd, const char *file, storm_bait_opts *o, char **seed)
{
    size_t len = 0;
    storm_err err;
    storm_err_clear(&err);
    if (!file)
        return cli_usage_error(cmd, "--seed-file FILE is required");
    if (storm_read_file(file, BAIT_SEED_MAX, seed, &len, &err) != STORM_OK) {
        fprintf(stderr, "storm %s: cannot read the seed %s: %s\n", cmd, file, err.msg);
        return CLI_FAIL;
    }
    /* a trailing newline (echo, an editor) is not part of the secret */
    while (len && ((*seed)[len - 1] == '\n' || (*seed)[len - 1] == '\r'))
        len--;
    o->seed = (const unsigned char *)*seed;
    o->seed_len = len;
    return CLI_OK;
}

static int generate(const bait_args *a)
{
    if (!a->out)
        return cli_usage_error("bait generate", "--out DIR is required");
    if (a->n_clusters > 1)
        return cli_usage_error("bait generate", "one --cluster NAME per deployment");
    storm_bait_opts o = {0};
    o.cluster = a->n_clusters ? a->clusters[0] : NULL;
    o.namespace_ = a->ns;
    char *seed = NULL;
    int rc = read_seed("bait generate", a->seed_file, &o, &seed);
    if (rc != CLI_OK)
        return rc;
    storm_err err;
    storm_err_clear(&err);
    bool quiet = a->quiet;
    if (storm_bait_generate(&o, a->out, print_file, &quiet, &err) != STORM_OK) {
        fprintf(stderr, "storm bait generate: %s\n", err.msg);
        rc = CLI_FAIL;
    } else {
        rc = lint_with(a);
    }
    free(seed);
    return rc;
}

static int verify(const bait_args *a, const char *token)
{
    if (a->out || a->ns || a->n_models)
        return cli_usage_error("bait verify", "--out, --namespace and --models are for generate");
    storm_bait_opts o = {0};
    char *seed = NULL;
    int rc = read_seed("bait verify", a->seed_file, &o, &seed);
    if (rc != CLI_OK)
        return rc;
    storm_err err;
    storm_err_clear(&err);
    if (storm_bait_check_opts(&o, &err) != STORM_OK) {
        fprintf(stderr, "storm bait verify: %s\n", err.msg);
        free(seed);
        return CLI_FAIL;
    }
    storm_bait_origin origin;
    storm_rc r = storm_bait_verify(&o, a->clusters, a->n_clusters, token, &origin);
    if (r == STORM_OK) {
        if (!a->quiet)
            printf("honeytoken %s of honeycluster %s: %s\n", storm_bait_token_name(origin.token), origin.cluster,
                   storm_bait_token_place(origin.token));
    } else {
        if (r == STORM_ERR_NOMEM)
            fprintf(stderr, "storm bait verify: out of memory\n");
        else if (!a->quiet)
            printf("not a honeytoken of this seed (clusters tried: %zu)\n", a->n_clusters ? a->n_clusters : 1);
        rc = CLI_FAIL;
    }
    free(seed);
    return rc;
}

int cmd_bait(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "generate") != 0 && strcmp(sub, "verify") != 0)
        return cli_usage_error("bait", "unknown subcommand '%s' (generate or verify)\n%s", sub, BAIT_USAGE);
    static const struct option longopts[] = {{"seed-file", required_argument, NULL, 's'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"cluster", required_argument, NULL, 'c'},
                                             {"namespace", required_argument, NULL, 'n'},
                                             {"models", required_argument, NULL, 'm'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bait_args a = {0};
    argc--;
    argv++;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("bait", BAIT_USAGE, argc, argv, "qh", longopts)) != -1) {
        switch (ch) {
        case 's': a.seed_file = optarg; break;
        case 'o': a.out = cli_dir_arg(optarg); break;
        case 'n': a.ns = optarg; break;
        case 'q': a.quiet = true; break;
        case 'c':
            if (a.n_clusters == BAIT_MAX_CLUSTERS)
                return cli_usage_error("bait", "at most %d --cluster", BAIT_MAX_CLUSTERS);
            a.clusters[a.n_clusters++] = optarg;
            break;
        case 'm':
            if (a.n_models == BAIT_MAX_CLUSTERS)
                return cli_usage_error("bait", "at most %d --models", BAIT_MAX_CLUSTERS);
            a.models[a.n_models++] = optarg;
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (strcmp(sub, "generate") == 0) {
        if (optind != argc)
            return cli_usage_error("bait generate", "unexpected argument '%s'", argv[optind]);
        return generate(&a);
    }
    if (optind + 1 != argc)
        return cli_usage_error("bait verify", "give exactly one TOKEN");
    return verify(&a, argv[optind]);
}
