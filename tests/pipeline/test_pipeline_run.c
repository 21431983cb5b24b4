/* SPDX-License-Identifier: Apache-2.0 */
/* storm_pipeline_run (storm/pipeline_run.h): the storm run job as a
 * library call, used as a front end other than the CLI would. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <storm/pipeline_run.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static char tmp[] = "/tmp/storm-test-run-XXXXXX";
static char path_out[PATH_MAX], path_rej[PATH_MAX], path_stats[PATH_MAX], path_bad[PATH_MAX], path_in[PATH_MAX];
static const char *models[1];
static int n_ready;

static void on_ready(void *ctx)
{
    (void)ctx;
    n_ready++;
}

/* Lines of a file (-1: it does not exist). */
static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static storm_pipeline_run_opts base_opts(const char *const *inputs, size_t n_inputs)
{
    storm_pipeline_run_opts o = {0};
    o.pipeline.prog = "test_pipeline_run";
    o.format = STORM_PIPELINE_TEXT;
    o.models = models;
    o.n_models = 1;
    o.output = path_out;
    o.rejects = path_rej;
    o.stats_json = path_stats;
    o.no_cache = true;
    o.quiet = true;
    o.inputs = inputs;
    o.n_inputs = n_inputs;
    o.ready = on_ready;
    return o;
}

static void runs_files(void)
{
    const char *in[] = {path_in};
    storm_pipeline_run_opts o = base_opts(in, 1);
    n_ready = 0;
    CHECK(storm_pipeline_run(&o) == STORM_OK);
    CHECK(n_ready == 1);
    CHECK(count_lines(path_out) > 0);  /* the corpus file's sightings, one text line each */
    CHECK(count_lines(path_rej) == 0); /* nothing rejected */
    CHECK(count_lines(path_stats) == 1);
}

static void rejects_fail(void)
{
    const char *in[] = {path_in, path_bad};
    storm_pipeline_run_opts o = base_opts(in, 2);
    CHECK(storm_pipeline_run(&o) == STORM_ERR_VALUE); /* it ran, but some input was bad */
    CHECK(count_lines(path_rej) == 1);
    CHECK(count_lines(path_out) > 0);
}

static void bad_models(void)
{
    const char *missing[] = {"/nonexistent/models"};
    const char *in[] = {path_in};
    storm_pipeline_run_opts o = base_opts(in, 1);
    o.models = missing;
    unlink(path_out);
    n_ready = 0;
    CHECK(storm_pipeline_run(&o) != STORM_OK);
    CHECK(n_ready == 0);                /* never built */
    CHECK(count_lines(path_out) == -1); /* nothing opened */
}

static void stopped(void)
{
    static volatile sig_atomic_t stop = 1; /* a signal before the first input */
    const char *in[] = {path_in};
    storm_pipeline_run_opts o = base_opts(in, 1);
    o.pipeline.stop = &stop;
    CHECK(storm_pipeline_run(&o) == STORM_OK);
    CHECK(count_lines(path_out) == 0);
    FILE *f = fopen(path_stats, "r");
    char line[4096] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    CHECK(strstr(line, "\"records_read\":0,") != NULL);
}

int main(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    if (!root || !mkdtemp(tmp)) {
        fprintf(stderr, "test_pipeline_run: STORM_SOURCE_ROOT unset or no temporary directory\n");
        return 1;
    }
    static char models_dir[PATH_MAX];
    snprintf(models_dir, sizeof models_dir, "%s/models", root);
    models[0] = models_dir;
    snprintf(path_in, sizeof path_in, "%s/tests/data/corpus/falco/falco-website-alerts.jsonl", root);
    snprintf(path_out, sizeof path_out, "%s/out", tmp);
    snprintf(path_rej, sizeof path_rej, "%s/rejects", tmp);
    snprintf(path_stats, sizeof path_stats, "%s/stats.json", tmp);
    snprintf(path_bad, sizeof path_bad, "%s/bad.jsonl", tmp);
    FILE *f = fopen(path_bad, "w");
    if (f) {
        fputs("{\"not a sensor record\n", f);
        fclose(f);
    }
    RUN(runs_files);
    RUN(rejects_fail);
    RUN(bad_models);
    RUN(stopped);
    unlink(path_out);
    unlink(path_rej);
    unlink(path_stats);
    unlink(path_bad);
    rmdir(tmp);
    return test_report("test_pipeline_run");
}
