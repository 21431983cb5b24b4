/* SPDX-License-Identifier: Apache-2.0 */
/* The storm run job (storm/pipeline_run.h): the models, the store, the
 * sinks and the baseline opened, the pipeline built with its alerts, the
 * sources read in order (a stream, or the inputs, then the HTTP intake),
 * and everything reported and closed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storm/pipeline_run.h>

#include "run_int.h"

/* What one run holds; everything is released by job_close. */
typedef struct run_job {
    const storm_pipeline_run_opts *o;
    const char *prog;
    volatile sig_atomic_t *stop;
    run_clock clk;
    storm_models *models;
    storm_store *store;
    storm_baseline *baseline;
    storm_pipeline_sinks sinks;
    storm_pipeline *p;
    storm_alert *alerts;
    storm_alert_stats alert_st;
    storm_metrics *metrics;
    storm_intake *intake;
    char *spool; /* <db>-intake-spool, with --listen --db */
    storm_stream *stream;
    char default_cache[4096];
} run_job;

/* The model files, then the store (opened here) and its models. */
static storm_rc job_load_models(run_job *j)
{
    const storm_pipeline_run_opts *o = j->o;
    if (storm_models_new(&j->models) != STORM_OK)
        return STORM_ERR_NOMEM;
    for (size_t i = 0; i < o->n_models; i++) {
        storm_err err;
        storm_err_clear(&err);
        /* a path that cannot be read at all is a mistake on the command
         * line (a typo would otherwise run without those models), -q or not */
        if (storm_models_load_path(j->models, o->models[i], &err) != STORM_OK) {
            fprintf(stderr, "%s: --models %s: %s\n", j->prog, o->models[i],
                    err.msg[0] ? err.msg : storm_strerror(err.rc));
            return STORM_ERR_IO;
        }
    }
    if (o->db) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_store_open(o->db, STORM_STORE_READWRITE | STORM_STORE_BULK, &j->store, &err) != STORM_OK) {
            fprintf(stderr, "%s: --db %s: %s\n", j->prog, o->db, err.msg);
            return STORM_ERR_IO;
        }
        size_t n = 0;
        if (!o->no_db_models && storm_pipeline_load_store_models(j->models, j->store, o->db, &n, &err) != STORM_OK) {
            fprintf(stderr, "%s: --db %s: %s\n", j->prog, o->db, err.msg);
            return STORM_ERR_IO;
        }
        if (n && !o->quiet)
            fprintf(stderr, "%s: %zu model objects from %s (indicators collection) used as well\n", j->prog, n, o->db);
    }
    storm_models_finish(j->models);
    size_t n_fatal = 0;
    for (size_t i = 0; i < storm_models_n_defects(j->models); i++)
        n_fatal += storm_models_defect(j->models, i)->fatal;
    if (!o->quiet && storm_models_n_defects(j->models))
        fprintf(stderr, "%s: the models have %zu defects (%zu left an object out); see 'storm models lint'\n", j->prog,
                storm_models_n_defects(j->models), n_fatal);
    if (!storm_models_n_indicators(j->models)) {
        fprintf(stderr, "%s: no usable indicator in the models\n", j->prog);
        return STORM_ERR_VALUE;
    }
    return STORM_OK;
}

/* Compiled regex databases kept between runs (XDG base directories). */
static const char *job_cache_dir(run_job *j)
{
    if (j->o->no_cache)
        return NULL;
    if (j->o->cache_dir)
        return j->o->cache_dir;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        snprintf(j->default_cache, sizeof j->default_cache, "%s/storm", xdg);
    else if (home && *home == '/')
        snprintf(j->default_cache, sizeof j->default_cache, "%s/.cache/storm", home);
    else
        return NULL;
    return j->default_cache;
}

/* The output, rejects and baseline opened, the pipeline built, the alerts
 * listening to its sessions. */
static storm_rc job_build(run_job *j)
{
    const storm_pipeline_run_opts *o = j->o;
    storm_err err;
    j->sinks.out = stdout;
    j->sinks.format = o->format;
    j->sinks.coalesce_updates = o->coalesce_updates;
    j->sinks.store = j->store;
    if (o->output && !(j->sinks.out = fopen(o->output, "w"))) {
        fprintf(stderr, "%s: -o %s: %s\n", j->prog, o->output, strerror(errno));
        return STORM_ERR_IO;
    }
    if (o->rejects && !(j->sinks.rejects = fopen(o->rejects, "w"))) {
        fprintf(stderr, "%s: --rejects %s: %s\n", j->prog, o->rejects, strerror(errno));
        return STORM_ERR_IO;
    }
    if (o->baseline) {
        storm_err_clear(&err);
        if (storm_baseline_open_file(o->baseline, NULL, &j->baseline, &err) != STORM_OK) {
            fprintf(stderr, "%s: --baseline %s: %s\n", j->prog, o->baseline, err.msg);
            return STORM_ERR_IO;
        }
    } else if (o->pipeline.learn_for) {
        storm_err_clear(&err);
        if (storm_baseline_open(j->store, NULL, &j->baseline, &err) != STORM_OK) {
            fprintf(stderr, "%s: --learn-for: %s\n", j->prog, err.msg);
            return STORM_ERR_IO;
        }
    }
    storm_pipeline_opts po = o->pipeline;
    po.models = j->models;
    po.baseline = j->baseline;
    po.progress = !o->quiet && isatty(STDERR_FILENO) ? stderr : NULL; /* quiet in pipes */
    po.detect.cache_dir = job_cache_dir(j);
    storm_err_clear(&err);
    if (storm_pipeline_new_workers(&po, &j->sinks, o->workers ? o->workers : 1, &j->p, &err) != STORM_OK) {
        fprintf(stderr, "%s: %s\n", j->prog, err.msg);
        return STORM_ERR_STATE;
    }
    if (o->alerts) {
        storm_err_clear(&err);
        if (!storm_pipeline_sessions(j->p)) {
            fprintf(stderr, "%s: --alert-webhook: this run keeps no attack sessions\n", j->prog);
            return STORM_ERR_STATE;
        }
        if (storm_alert_new(o->alerts, &j->alerts, &err) != STORM_OK ||
            storm_session_listen(storm_pipeline_sessions(j->p), storm_alert_on_session, j->alerts) != STORM_OK) {
            fprintf(stderr, "%s: %s\n", j->prog, err.msg[0] ? err.msg : "--alert-webhook: cannot listen to sessions");
            return STORM_ERR_STATE;
        }
    }
    return STORM_OK;
}

static storm_rc job_start_intake(run_job *j)
{
    storm_intake_opts io = {j->o->listen, j->o->max_body, 0, 0, j->spool, j->metrics};
    storm_err err;
    storm_err_clear(&err);
    if (storm_intake_start(&io, &j->intake, &err) != STORM_OK) {
        fprintf(stderr, "%s: %s\n", j->prog, err.msg);
        return STORM_ERR_IO;
    }
    if (!j->o->quiet)
        fprintf(stderr, "%s: listening on %s (port %u)\n", j->prog, j->o->listen, storm_intake_port(j->intake));
    return STORM_OK;
}

/* The consume loop's tick: the HTTP intake beside the stream, and the
 * metrics it serves. */
static void on_tick(void *ctx, storm_pipeline *p, storm_stream *s)
{
    run_job *j = ctx;
    if (j->intake)
        while (!*j->stop && run_intake_body(p, j->intake, 0))
            ;
    if (j->metrics)
        storm_pipeline_metrics_update(p, s, j->metrics);
}

/* The --kafka or --redis consumer group. */
static storm_rc job_open_stream(run_job *j)
{
    const storm_pipeline_run_opts *o = j->o;
    storm_err err;
    storm_err_clear(&err);
    storm_rc rc = o->kafka ? storm_stream_kafka_open(o->kafka, &j->stream, &err)
                           : storm_stream_redis_open(o->redis, &j->stream, &err);
    if (rc != STORM_OK) {
        fprintf(stderr, "%s: %s\n", j->prog, err.msg);
        return rc;
    }
    if (!o->quiet)
        fprintf(stderr, "%s: consuming %s\n", j->prog, storm_stream_describe(j->stream));
    return STORM_OK;
}

static storm_rc job_consume(run_job *j)
{
    storm_pipeline_consume_opts co = {0, 0, (unsigned)(j->o->idle_exit / 1000000), on_tick, j};
    storm_err err;
    storm_err_clear(&err);
    storm_rc rc = storm_pipeline_consume(j->p, j->stream, &co, &err);
    if (rc != STORM_OK)
        fprintf(stderr, "%s: %s\n", j->prog, err.msg);
    return rc;
}

/* The sources in order: the spool an earlier run left, then a stream (the
 * intake beside it) or the inputs followed by the intake, which is drained
 * at the stop signal. */
static storm_rc job_read(run_job *j)
{
    const storm_pipeline_run_opts *o = j->o;
    bool streaming = o->kafka || o->redis;
    storm_rc rc = STORM_OK;
    storm_err err;
    if (o->listen) { /* GET /metrics beside the intake */
        storm_err_clear(&err);
        if (!(j->metrics = storm_metrics_new()) || storm_pipeline_metrics_declare(j->metrics, &err) != STORM_OK) {
            fprintf(stderr, "%s: metrics: %s\n", j->prog, err.msg[0] ? err.msg : "out of memory");
            return STORM_ERR_NOMEM;
        }
        storm_pipeline_metrics_update(j->p, NULL, j->metrics);
    }
    /* <db>-intake-spool: acknowledged bodies outlive the process. Not beside
     * --kafka/--redis: there the listener serves /metrics for each of several
     * consumers of one store, and the spool admits one process per store */
    if (o->listen && j->store && !streaming) {
        /* a database URL (PostgreSQL) has no "beside": ./storm-intake-spool */
        const char *stem = storm_store_is_url(o->db) ? "storm" : o->db;
        size_t n = strlen(stem) + sizeof "-intake-spool";
        if (!(j->spool = malloc(n)))
            return STORM_ERR_NOMEM;
        snprintf(j->spool, n, "%s-intake-spool", stem);
        if ((rc = run_intake_replay(j->p, j->store, j->spool, o->quiet, j->prog)) != STORM_OK)
            return rc;
    }
    if (o->listen && (streaming || !o->n_inputs) && !*j->stop && (rc = job_start_intake(j)) != STORM_OK)
        return rc;
    if (streaming && (rc = job_open_stream(j)) != STORM_OK)
        return rc;
    if (streaming)
        rc = job_consume(j);
    for (size_t i = 0; !streaming && (i < o->n_inputs || (i == 0 && o->n_inputs == 0 && !o->listen)); i++) {
        const char *path = o->n_inputs ? o->inputs[i] : "-";
        storm_err_clear(&err);
        if (*j->stop)
            break;
        if (storm_pipeline_feed_source(j->p, path, o->follow, &err) != STORM_OK) {
            fprintf(stderr, "%s: %s\n", j->prog, err.msg);
            rc = STORM_ERR_IO;
        }
    }
    if (o->listen && !streaming && o->n_inputs && !*j->stop && job_start_intake(j) != STORM_OK)
        rc = STORM_ERR_IO; /* the files first, then the intake */
    if (j->intake && !streaming)
        run_intake_serve(j->p, j->intake, j->metrics, j->stop);
    if (j->intake && run_intake_drain(j->p, j->intake, o->drain_timeout, j->spool, j->stop, j->prog) != STORM_OK)
        rc = STORM_ERR_IO;
    storm_pipeline_flush(j->p);
    return rc;
}

/* The statistics said and written, the baseline saved, everything closed. */
static storm_rc job_close(run_job *j, storm_rc rc)
{
    const storm_pipeline_run_opts *o = j->o;
    double secs = run_elapsed(&j->clk);
    storm_pipeline_stats st;
    memset(&st, 0, sizeof st);
    if (j->p) {
        storm_pipeline_sync(j->p);
        storm_pipeline_get_stats(j->p, &st);
    }
    if (j->alerts) { /* the queue gets its drain time; what is left is counted as dropped */
        storm_alert_close(j->alerts, &j->alert_st);
        j->alerts = NULL;
    }
    if (j->baseline) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_baseline_save(j->baseline, &err) != STORM_OK)
            fprintf(stderr, "%s: saving the baseline: %s\n", j->prog, err.msg);
    }
    if (!o->quiet && j->p)
        storm_pipeline_print_summary(j->p, stderr, secs);
    if (!o->quiet)
        run_report_summary(j->p, o->alerts ? o->alerts->url : NULL, &j->alert_st, j->prog);
    if (o->stats_json && j->p &&
        run_report_stats_json(&j->clk, j->p, o->alerts ? &j->alert_st : NULL, o->stats_json, secs, j->prog) != 0)
        rc = STORM_ERR_IO;
    if (j->intake)
        storm_intake_stop(j->intake);
    free(j->spool);
    storm_stream_close(j->stream); /* before the pipeline: leaving the group may ask for a checkpoint */
    storm_pipeline_free(j->p);
    storm_metrics_free(j->metrics);
    if (j->baseline)
        storm_baseline_close(j->baseline);
    if (j->store)
        storm_store_close(j->store);
    if (j->sinks.rejects)
        fclose(j->sinks.rejects);
    if (j->sinks.out && j->sinks.out != stdout)
        fclose(j->sinks.out);
    storm_models_free(j->models);
    if (rc == STORM_OK && st.events_rejected)
        rc = STORM_ERR_VALUE; /* the stream went on, but some input was bad */
    return rc;
}

storm_rc storm_pipeline_run(const storm_pipeline_run_opts *opts)
{
    static volatile sig_atomic_t never_stop;
    run_job *j = calloc(1, sizeof *j);
    if (!j)
        return STORM_ERR_NOMEM;
    j->o = opts;
    j->prog = opts->pipeline.prog ? opts->pipeline.prog : "storm run";
    j->stop = opts->pipeline.stop ? opts->pipeline.stop : &never_stop;
    clock_gettime(CLOCK_MONOTONIC, &j->clk.t0);
    storm_rc rc = job_load_models(j);
    if (rc != STORM_OK) { /* nothing ran: no statistics */
        if (j->store)
            storm_store_close(j->store);
        storm_models_free(j->models);
        free(j);
        return rc;
    }
    if ((rc = job_build(j)) == STORM_OK) {
        j->clk.ready_wall = run_elapsed(&j->clk);
        j->clk.ready_cpu = run_cpu_now();
        if (opts->ready)
            opts->ready(opts->ready_ctx);
        rc = job_read(j);
    }
    rc = job_close(j, rc);
    free(j);
    return rc;
}
