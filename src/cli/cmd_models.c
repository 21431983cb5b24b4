/* SPDX-License-Identifier: Apache-2.0 */
/* storm models lint|tree PATH...: check attack models and draw their trees. */
#include <stdio.h>
#include <string.h>

#include <storm/model.h>

#include "cli.h"

static void models_usage(FILE *out)
{
    fprintf(out, "usage: storm models lint PATH...\n"
                 "       storm models tree PATH...\n\n"
                 "PATH is a STIX 2.1 bundle (or an array of bundles) or a directory of *.json files.\n"
                 "lint   reports every defect as FILE:LINE:COLUMN: message, then a summary;\n"
                 "       exit 0 when there is none, 1 otherwise.\n"
                 "tree   draws each attack: steps in related-to order, indicators under each step.\n");
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
    if (strcmp(sub, "lint") != 0 && strcmp(sub, "tree") != 0)
        return cli_usage_error("models", "unknown subcommand '%s' (lint or tree)", sub);
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
