/* SPDX-License-Identifier: Apache-2.0 */
/* storm models lint|tree PATH...: check attack models and draw their trees.
 * storm models import --from ksc FILE... [-o OUT]: translate KSC models. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <storm/json.h>
#include <storm/ksc_import.h>
#include <storm/model.h>

#include "cli.h"

static void models_usage(FILE *out)
{
    fprintf(out, "usage: storm models lint PATH...\n"
                 "       storm models tree PATH...\n"
                 "       storm models import --from ksc FILE... [-o OUT]\n\n"
                 "PATH is a STIX 2.1 bundle (or an array of bundles) or a directory of *.json files.\n"
                 "lint   reports every defect as FILE:LINE:COLUMN: message, then a summary;\n"
                 "       exit 0 when there is none, 1 otherwise.\n"
                 "tree   draws each attack: steps in related-to order, indicators under each step.\n"
                 "import translates the indicator patterns of models written for the Kubernetes Storm\n"
                 "       Center pipeline (process:extensions.function_name, ...kprobe_arguments.*, file:path)\n"
                 "       into Storm's observation model; the original pattern stays in x_ksc_pattern.\n"
                 "       Writes one FILE's translation, or an array of every bundle of several, to OUT\n"
                 "       (standard output by default); an existing directory OUT gets one file per FILE.\n"
                 "       Reports what it fixed, approximated or could not translate on standard error as\n"
                 "       FILE:LINE:COLUMN: ID: pattern offset N: ...; exit 1 when something was not\n"
                 "       translated or a FILE could not be read, 0 otherwise.\n");
}

static storm_models *load_all(int argc, char **argv)
{
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK) {
        fprintf(stderr, "storm models: out of memory\n");
        return NULL;
    }
    for (int i = 0; i < argc; i++) {
        storm_err err;
        storm_err_clear(&err);
        storm_models_load_path(m, argv[i], &err); /* unreadable paths are recorded as defects */
    }
    storm_models_finish(m);
    return m;
}

static void print_defects(const storm_models *m, FILE *out)
{
    storm_buf line;
    storm_buf_init(&line, 8192);
    for (size_t i = 0; i < storm_models_n_defects(m); i++) {
        storm_buf_reset(&line);
        storm_model_defect_format(storm_models_defect(m, i), &line);
        fprintf(out, "%s\n", line.data ? line.data : "");
    }
    storm_buf_free(&line);
}

static int write_doc(const char *path, const storm_value *doc)
{
    storm_buf b;
    storm_buf_init(&b, (size_t)1 << 30);
    if (storm_json_write(&b, doc, STORM_JSONW_PRETTY) != STORM_OK || storm_buf_putc(&b, '\n') != STORM_OK) {
        storm_buf_free(&b);
        fprintf(stderr, "storm models import: out of memory\n");
        return CLI_FAIL;
    }
    FILE *f = path ? fopen(path, "w") : stdout;
    int rc = CLI_OK;
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || (path && fclose(f) != 0)) {
        fprintf(stderr, "storm models import: cannot write %s: %s\n", path ? path : "standard output", strerror(errno));
        rc = CLI_FAIL;
    }
    storm_buf_free(&b);
    return rc;
}

static int cmd_models_import(int argc, char **argv)
{
    const char *from = NULL, *out = NULL;
    int nfiles = 0;
    char **files = argv; /* FILE arguments are packed to the front */
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("models import", "unknown option '%s'", argv[i]);
        else
            files[nfiles++] = argv[i];
    }
    if (!from || strcmp(from, "ksc") != 0)
        return cli_usage_error("models import", "--from ksc is required (the only format known so far)");
    if (!nfiles)
        return cli_usage_error("models import", "no FILE to import");
    struct stat st;
    bool out_dir = out && stat(out, &st) == 0 && S_ISDIR(st.st_mode);
    storm_ksc_import *imp = NULL;
    if (storm_ksc_import_new(&imp) != STORM_OK) {
        fprintf(stderr, "storm models import: out of memory\n");
        return CLI_FAIL;
    }
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *all = a ? storm_v_array(a) : NULL;
    int rc = a && all ? CLI_OK : CLI_FAIL;
    size_t done = 0;
    for (int i = 0; i < nfiles && all; i++) {
        const storm_value *doc = NULL;
        storm_err err;
        storm_err_clear(&err);
        if (storm_ksc_import_file(imp, files[i], &doc, &err) != STORM_OK) {
            fprintf(stderr, "%s:%u:%u: %s (file not imported)\n", files[i], err.line, err.col, err.msg);
            rc = CLI_FAIL;
            continue;
        }
        done++;
        if (out_dir) {
            const char *base = strrchr(files[i], '/');
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", out, base ? base + 1 : files[i]);
            if (write_doc(path, doc) != CLI_OK)
                rc = CLI_FAIL;
        } else if (doc->type == STORM_V_ARRAY) {
            for (size_t k = 0; k < doc->u.a.len; k++)
                if (storm_v_push(a, all, doc->u.a.items[k]) != 0)
                    rc = CLI_FAIL;
        } else if (storm_v_push(a, all, (storm_value *)doc) != 0) {
            rc = CLI_FAIL;
        }
        if (!out_dir && nfiles == 1 && write_doc(out, doc) != CLI_OK) /* one file: its own shape */
            rc = CLI_FAIL;
    }
    if (all && !out_dir && nfiles > 1 && write_doc(out, all) != CLI_OK)
        rc = CLI_FAIL;
    storm_buf line;
    storm_buf_init(&line, 8192);
    for (size_t i = 0; i < storm_ksc_import_n_notes(imp); i++) {
        storm_buf_reset(&line);
        storm_ksc_note_format(storm_ksc_import_note(imp, i), &line);
        fprintf(stderr, "%s\n", line.data ? line.data : "");
    }
    storm_buf_free(&line);
    size_t n_ind, n_changed, n_untr;
    storm_ksc_import_counts(imp, &n_ind, &n_changed, &n_untr);
    fprintf(stderr, "storm models import: %zu of %d files, %zu indicators, %zu patterns translated, "
                    "%zu comparisons not translated\n", done, nfiles, n_ind, n_changed, n_untr);
    if (n_untr)
        rc = CLI_FAIL;
    storm_arena_free(a);
    storm_ksc_import_free(imp);
    return rc;
}

int cmd_models(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        models_usage(stdout);
        return CLI_OK;
    }
    if (argc < 3) {
        models_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "import") == 0)
        return cmd_models_import(argc - 2, argv + 2);
    if (strcmp(sub, "lint") != 0 && strcmp(sub, "tree") != 0)
        return cli_usage_error("models", "unknown subcommand '%s' (lint, tree or import)", sub);
    storm_models *m = load_all(argc - 2, argv + 2);
    if (!m)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (strcmp(sub, "lint") == 0) {
        print_defects(m, stdout);
        size_t fatal = 0;
        for (size_t i = 0; i < storm_models_n_defects(m); i++)
            fatal += storm_models_defect(m, i)->fatal;
        printf("%zu files: %zu indicators, %zu attack-patterns, %zu relationships, %zu intrusion-sets loaded; "
               "%zu defects (%zu left an object out)\n",
               storm_models_n_files(m), storm_models_n_indicators(m), storm_models_n_steps(m),
               storm_models_n_relationships(m), storm_models_n_intrusion_sets(m), storm_models_n_defects(m), fatal);
        rc = storm_models_n_defects(m) ? CLI_FAIL : CLI_OK;
    } else {
        storm_buf out;
        storm_buf_init(&out, (size_t)256 << 20);
        if (storm_models_render_tree(m, &out) != STORM_OK) {
            fprintf(stderr, "storm models tree: out of memory\n");
            rc = CLI_FAIL;
        } else if (out.data) {
            fputs(out.data, stdout);
        }
        storm_buf_free(&out);
        if (storm_models_n_defects(m)) {
            fprintf(stderr, "storm models tree: %zu defects (see 'storm models lint')\n", storm_models_n_defects(m));
        }
    }
    storm_models_free(m);
    return rc;
}
