/* SPDX-License-Identifier: Apache-2.0 */
/* storm models lint|tree [--db FILE] PATH...: check attack models and draw their trees.
 * storm models import --from ksc FILE... [-o OUT]: translate KSC models. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <storm/json.h>
#include <storm/ksc_import.h>
#include <storm/model.h>
#include <storm/pipeline.h>

#include "cli.h"

static void models_usage(FILE *out)
{
    fprintf(out, "usage: storm models lint [--db FILE] [PATH...]\n"
                 "       storm models tree [--db FILE] [PATH...]\n"
                 "       storm models import --from ksc FILE... [-o OUT]\n\n"
                 "PATH is a STIX 2.1 bundle (or an array of bundles) or a directory of *.json files.\n"
                 "options of lint and tree:\n"
                 "  --db FILE      also the models stored in this store's indicators collection (what\n"
                 "                 storm pull and storm run --db put there), as storm run --db reads them\n"
                 "options of import:\n"
                 "  --from ksc     the format of FILE (the only one known so far)\n"
                 "  -o, --output OUT  where to write (a file, or an existing directory)\n\n"
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

/* Every PATH, then the models of --db not loaded from a PATH. *unreadable
 * counts the PATHs (or the db) that could not be read at all. Owned by the
 * caller (storm_models_free); NULL after printing why. */
static storm_models *load_all(const char *cmd, bool lint, int argc, char **argv, const char *db, size_t *unreadable)
{
    storm_models *m = NULL;
    *unreadable = 0;
    if (storm_models_new(&m) != STORM_OK) {
        fprintf(stderr, "storm %s: out of memory\n", cmd);
        return NULL;
    }
    for (int i = 0; i < argc; i++) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_models_load_path(m, argv[i], &err) != STORM_OK) { /* also recorded as a defect */
            if (!lint)                                              /* lint prints the defects anyway */
                fprintf(stderr, "storm %s: %s: %s\n", cmd, argv[i], err.msg);
            (*unreadable)++;
        }
    }
    if (db) {
        size_t n = 0;
        storm_err err;
        storm_err_clear(&err);
        storm_store *store = NULL;
        if (storm_store_open(db, STORM_STORE_READONLY, &store, &err) != STORM_OK ||
            storm_pipeline_load_store_models(m, store, db, &n, &err) != STORM_OK) {
            fprintf(stderr, "storm %s: --db %s: %s\n", cmd, db, err.msg);
            (*unreadable)++;
        }
        storm_store_close(store);
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
    static const char usage_line[] = "usage: storm models import --from ksc FILE... [-o OUT]";
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *from = NULL, *out = NULL;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("models import", usage_line, argc, argv, "o:h", opts)) != -1) {
        switch (ch) {
        case 'f': from = optarg; break;
        case 'o': out = optarg; break;
        case 'h': models_usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    int nfiles = argc - optind;
    char **files = argv + optind;
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
    fprintf(stderr,
            "storm models import: %zu of %d files, %zu indicators, %zu patterns translated, "
            "%zu comparisons not translated\n",
            done, nfiles, n_ind, n_changed, n_untr);
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
    if (argc < 2) {
        models_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "import") == 0)
        return cmd_models_import(argc - 1, argv + 1);
    if (strcmp(sub, "lint") != 0 && strcmp(sub, "tree") != 0)
        return cli_usage_error("models", "unknown subcommand '%s' (lint, tree or import)", sub);
    bool lint = strcmp(sub, "lint") == 0;
    const char *cmd = lint ? "models lint" : "models tree";
    const char *usage_line =
        lint ? "usage: storm models lint [--db FILE] [PATH...]" : "usage: storm models tree [--db FILE] [PATH...]";
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *db = NULL;
    argc--, argv++; /* getopt starts after the subcommand */
    optind = 1;
    int ch;
    while ((ch = cli_getopt(cmd, usage_line, argc, argv, "h", opts)) != -1) {
        switch (ch) {
        case 'd': db = optarg; break;
        case 'h': models_usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (optind >= argc && !db)
        return cli_usage_error(cmd, "give a PATH (file or directory of models) or --db FILE");
    size_t unreadable = 0;
    storm_models *m = load_all(cmd, lint, argc - optind, argv + optind, db, &unreadable);
    if (!m)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (lint) {
        print_defects(m, stdout);
        size_t fatal = 0;
        for (size_t i = 0; i < storm_models_n_defects(m); i++)
            fatal += storm_models_defect(m, i)->fatal;
        printf("%zu files: %zu indicators, %zu attack-patterns, %zu relationships, %zu intrusion-sets loaded; "
               "%zu defects (%zu left an object out)\n",
               storm_models_n_files(m), storm_models_n_indicators(m), storm_models_n_steps(m),
               storm_models_n_relationships(m), storm_models_n_intrusion_sets(m), storm_models_n_defects(m), fatal);
        rc = storm_models_n_defects(m) || unreadable ? CLI_FAIL : CLI_OK;
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
        if (unreadable) { /* a tree of what could be read would look complete: fail */
            fprintf(stderr, "storm models tree: %zu of the models given could not be read\n", unreadable);
            rc = CLI_FAIL;
        }
    }
    storm_models_free(m);
    return rc;
}
