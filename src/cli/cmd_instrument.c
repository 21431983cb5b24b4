/* SPDX-License-Identifier: Apache-2.0 */
/* storm instrument --template DIR --out DIR: a kustomize overlay that adds
 * the models' tripwires and Storm itself to an existing cluster template. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <storm/instrument.h>
#include <storm/model.h>
#include <storm/pipeline.h>

#include "cli.h"

#define MAX_PATHS 256

static const char USAGE_LINE[] = "usage: storm instrument --template DIR --out DIR [--models PATH]... [--listen "
                                 "ADDR:PORT] [--namespace NS] [--image IMAGE] [--bait DIR] [--deploy DIR] [-q]";

static void instrument_usage(FILE *out)
{
    fprintf(out,
            "%s\n\n"
            "Writes a kustomize overlay to --out that adds to the cluster template (a directory of manifests,\n"
            "a rendered Helm chart, or a kustomize base) the Tetragon TracingPolicies of the attack models\n"
            "and Storm itself, leaving the template's objects untouched; beside it, audit-policy.yaml and\n"
            "AUDIT-POLICY.md (how the API server loads it). Render with kubectl kustomize DIR.\n\n"
            "  --template DIR   the cluster template\n"
            "  --out DIR        where the overlay is written (created)\n"
            "  --models PATH    attack model file or directory (repeatable; default: the shipped models/)\n"
            "  --listen ADDR:PORT  run Storm as a Deployment receiving events over HTTP on this address\n"
            "                   (default: a DaemonSet following Tetragon's export file on every node)\n"
            "  --namespace NS   TracingPolicyNamespaced in NS instead of cluster-wide TracingPolicy\n"
            "  --image IMAGE    Storm's container image (default storm:0.1.0, as in deploy/k8s)\n"
            "  --bait DIR       bait (storm bait generate): its manifests added as they are, its *.json\n"
            "                   attack model added to the models\n"
            "  --deploy DIR     Storm's own manifests (default: the installed or source deploy/k8s)\n"
            "  -q, --quiet      no report\n",
            USAGE_LINE);
}

int cmd_instrument(int argc, char **argv)
{
    static const struct option opts[] = {{"template", required_argument, 0, 't'},
                                         {"out", required_argument, 0, 'o'},
                                         {"models", required_argument, 0, 'm'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"namespace", required_argument, 0, 'n'},
                                         {"image", required_argument, 0, 'i'},
                                         {"bait", required_argument, 0, 'b'},
                                         {"deploy", required_argument, 0, 'd'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *models[MAX_PATHS];
    size_t n_models = 0;
    storm_overlay_opts o = {0};
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = cli_getopt("instrument", USAGE_LINE, argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 't': o.template_dir = cli_dir_arg(optarg); break;
        case 'o': o.out_dir = cli_dir_arg(optarg); break;
        case 'm':
            if (n_models >= MAX_PATHS)
                return cli_usage_error("instrument", "more than %d --models", MAX_PATHS);
            models[n_models++] = optarg;
            break;
        case 'l': o.listen = optarg; break;
        case 'n': o.namespace_ = optarg; break;
        case 'i': o.image = optarg; break;
        case 'b': o.bait_dir = cli_dir_arg(optarg); break;
        case 'd': o.deploy_dir = cli_dir_arg(optarg); break;
        case 'q': quiet = true; break;
        case 'h': instrument_usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("instrument", "unexpected argument '%s'", argv[optind]);
    if (!o.template_dir || !o.out_dir)
        return cli_usage_error("instrument", "--template DIR and --out DIR are required");
    char defbuf[PATH_MAX], depbuf[PATH_MAX];
    if (n_models == 0) {
        const char *d = storm_pipeline_default_models(defbuf, sizeof defbuf);
        if (!d) {
            fprintf(stderr, "storm instrument: no --models given and the shipped models/ directory was not found "
                            "(set STORM_MODELS)\n");
            return CLI_USAGE;
        }
        models[n_models++] = d;
    }
    if (!o.deploy_dir && !(o.deploy_dir = storm_instrument_default_deploy(depbuf, sizeof depbuf))) {
        fprintf(stderr, "storm instrument: Storm's deploy/k8s manifests were not found: give --deploy DIR (or set "
                        "STORM_DEPLOY)\n");
        return CLI_USAGE;
    }
    /* the bait's own attack model (storm bait generate writes DIR/bait-model.json):
     * its tripwires are generated and it goes into the models ConfigMap */
    char bait_models[16][PATH_MAX];
    size_t n_bait = 0;
    if (o.bait_dir) {
        DIR *d = opendir(o.bait_dir);
        struct dirent *de;
        while (d && (de = readdir(d)) && n_bait < 16) {
            size_t nl = strlen(de->d_name);
            if (de->d_name[0] == '.' || nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
                continue;
            snprintf(bait_models[n_bait], PATH_MAX, "%.*s/%s", PATH_MAX - 300, o.bait_dir, de->d_name);
            if (n_models < MAX_PATHS)
                models[n_models++] = bait_models[n_bait++];
        }
        if (d)
            closedir(d);
    }
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK)
        return CLI_FAIL;
    int rc = CLI_OK;
    for (size_t i = 0; i < n_models; i++) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_models_load_path(m, models[i], &err) != STORM_OK) {
            fprintf(stderr, "storm instrument: %s: %s\n", models[i], err.msg);
            storm_models_free(m);
            return CLI_FAIL;
        }
    }
    storm_models_finish(m);
    o.model_paths = models;
    o.n_model_paths = n_models;
    storm_gen_files files = {0};
    storm_buf report;
    storm_buf_init(&report, 16u << 20);
    storm_err err;
    storm_err_clear(&err);
    if (storm_overlay_generate(m, &o, &files, &report, &err) != STORM_OK ||
        storm_gen_files_write(&files, o.out_dir, &err) != STORM_OK) {
        fprintf(stderr, "storm instrument: %s\n", err.msg);
        rc = CLI_FAIL;
    } else if (!quiet) {
        if (report.data)
            fputs(report.data, stdout);
        printf("overlay written to %s/ (%zu files): kubectl kustomize %s | kubectl apply -f -\n", o.out_dir, files.n,
               o.out_dir);
    }
    storm_buf_free(&report);
    storm_gen_files_clear(&files);
    storm_models_free(m);
    return rc;
}
