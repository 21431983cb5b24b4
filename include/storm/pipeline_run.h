/* SPDX-License-Identifier: Apache-2.0 */
/* The storm run job as one call: the engine assembled from its parts and
 * run to the end. It loads the models (files, and the store's indicators
 * collection), opens the store, the output, the rejects file and the
 * baseline, builds the pipeline (storm/pipeline.h) with its alerts, then
 * reads the sources (input files or a followed file, a Kafka or Redis
 * consumer group, the HTTP intake of --listen with its spool), drains what
 * the intake acknowledged when stopped, and reports: the statistics on
 * standard error, the JSON statistics file, the baseline saved. Messages
 * go to standard error prefixed with opts->pipeline.prog. A front end
 * (storm run) parses and checks options, owns the process's signals, and
 * calls this. */
#ifndef STORM_PIPELINE_RUN_H
#define STORM_PIPELINE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/alert.h>
#include <storm/err.h>
#include <storm/pipeline.h>
#include <storm/stream.h>
#include <storm/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything is borrowed for the call. */
typedef struct storm_pipeline_run_opts {
    /* prog, detect, sessions, learn_for, anomalies, keep_observations, stop
     * and report as for storm_pipeline_new; the job sets models, baseline,
     * progress and detect.cache_dir. *stop ends reading (a signal); while
     * draining the intake it is reset, and a second one stops at once. */
    storm_pipeline_opts pipeline;
    storm_pipeline_format format;
    const char *const *models; /* attack model files or directories; at least one */
    size_t n_models;
    const char *db;            /* the store (NULL: none): results, and models from its indicators collection */
    bool no_db_models;         /* do not use the store's models */
    const char *output;        /* sightings there (NULL: standard output) */
    bool coalesce_updates;     /* storm_pipeline_sinks.coalesce_updates */
    const char *rejects;       /* bad lines there (NULL: nowhere) */
    const char *baseline;      /* profiles to enforce (a file); NULL with pipeline.learn_for: learned into db */
    const char *cache_dir;     /* compiled regex databases (NULL: $XDG_CACHE_HOME/storm, else ~/.cache/storm) */
    bool no_cache;             /* keep none */
    const char *const *inputs; /* files ("-": standard input), read in order; none without listen or a stream:
                                  standard input */
    size_t n_inputs;
    bool follow; /* keep reading the one input as it grows */
    /* The HTTP intake (NULL: none): after the inputs, until *stop; with a
     * store and no stream, every acknowledged body is spooled to
     * <db>-intake-spool first and a spool left by an earlier run is
     * processed before listening. Serves GET /metrics too. */
    const char *listen;
    size_t max_body;               /* largest body (0: the intake's default) */
    storm_time_ns drain_timeout;   /* longest time spent on acknowledged bodies once stopped */
    const storm_kafka_opts *kafka; /* consume this instead of inputs (at most one of kafka, redis) */
    const storm_redis_opts *redis;
    storm_time_ns idle_exit;        /* with a stream: stop after this long without a message (0: never) */
    const storm_alert_opts *alerts; /* a webhook per session change (NULL: none) */
    const char *stats_json;         /* the statistics as JSON there at the end (NULL: none) */
    bool quiet;                     /* no statistics, notes or progress line on standard error */
    unsigned workers;               /* matching threads, the input shared out by correlation scope
                                       (0 or 1: one, in the calling thread; more: inputs only, no
                                       listen, follow, stream or baseline: storm_pipeline_new_workers) */
    /* Called once the engine is built, before any input is read (NULL:
     * none): where a front end installs its signal handlers, so that a
     * signal during start-up keeps its default action. */
    void (*ready)(void *ctx);
    void *ready_ctx;
} storm_pipeline_run_opts;

/* Run the job to its end. STORM_OK when everything worked; STORM_ERR_VALUE
 * when it ran but some input was rejected; another code when something
 * could not be opened, read or stored, or acknowledged bodies were left
 * (each said on standard error). */
storm_rc storm_pipeline_run(const storm_pipeline_run_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
