/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline object shared by its files: the reader (reader.c), the
 * engine (pipeline.c), the output sinks (sink_out.c) and the store sink
 * (sink_store.c). Private to src/pipeline. */
#ifndef STORM_PIPELINE_INT_H
#define STORM_PIPELINE_INT_H

#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/pipeline.h>
#include <storm/stix.h>
#include <time.h>

#define PIPELINE_SKIP_TYPES 64

typedef struct pipeline_skip {
    char *type;
    uint64_t n;
} pipeline_skip;

struct storm_pipeline {
    storm_pipeline_opts opts;
    storm_pipeline_sinks sinks;
    storm_buf line;      /* output not yet written */
    bool line_set_aside; /* the current line is already in the rejects sink */
    uint64_t records_in_tx;
    bool in_tx;
    storm_detector *det;
    bool learning_started;
    storm_time_ns learn_until;
    storm_arena *arena;        /* per record */
    storm_time_ns last_time;   /* DATE_LAST_EVENT: for events without a time */
    storm_time_ns source_time; /* DATE_SOURCE: the current source's time */
    size_t text_events;        /* events already taken from the current text (array elements) */
    storm_pipeline_stats st;
    uint64_t messages; /* reject messages printed */
    pipeline_skip skips[PIPELINE_SKIP_TYPES];
    size_t n_skips;
    storm_rc sink_rc; /* an event sink failed: reading stops */
    storm_err sink_err;
    struct timespec t0;
    bool ext_written; /* store: extension definitions and Storm identity put */
    storm_session_tracker *sessions;
    /* sessions changed since the last commit (written then: a session that
     * gains many steps is written once per batch) and ids to delete */
    char (*session_dirty)[64];
    size_t n_session_dirty, alloc_session_dirty;
    char (*session_gone)[64];
    size_t n_session_gone, alloc_session_gone;
    bool anomaly_pending; /* the current event's anomaly, for the tracker */
    char anomaly_id[STORM_STIX_ID_MAX];
    storm_time_ns anomaly_first, anomaly_last;
    char anomaly_evidence[STORM_BASELINE_FEATURE_MAX + STORM_BASELINE_KEY_MAX + 80];
    const storm_event *cur_ev; /* the event being matched (its sightings' event), or NULL */
};

/* A rejected record: counted, reported on stderr (up to messages_shown) as
 * SOURCE:LINE[:COLUMN]: reason, and text copied to the rejects sink once per
 * line (text NULL: nothing to copy). */
void pipeline_reject(storm_pipeline *p, const char *source, uint64_t line, size_t col, const char *text, size_t len,
                     const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* A record of a text (a line, a body) the reader framed: its events are
 * numbered after those of the text's earlier records (text_events), and a
 * bad record sets the text aside once (line_set_aside). */
void pipeline_record_in_text(storm_pipeline *p, const storm_value *root, const char *source, uint64_t line,
                             const char *text, size_t len);
/* After each record: reset the arena, commit a full store batch, report. */
void pipeline_after_record(storm_pipeline *p);
/* Print the statistics when opts.report asks (kill -USR1), and reset it. */
void pipeline_report(storm_pipeline *p);

/* sink_out.c */
void pipeline_out_flush(storm_pipeline *p, bool force);
void pipeline_on_sighting(void *ctx, const storm_detect_sighting *s);
void pipeline_emit_anomaly(storm_pipeline *p, const storm_observation *obs, const storm_baseline_result *res);
/* keep_observations: the observation into the store (sink_store.c) */
void pipeline_keep_observation(storm_pipeline *p, const storm_observation *obs);

/* sink_session.c */
/* Create the tracker (when sessions are kept) and its store listener. */
storm_rc pipeline_sessions_new(storm_pipeline *p, storm_err *err);
void pipeline_session_sighting(storm_pipeline *p, const storm_detect_sighting *s);
/* An anomaly is kept until its event has been through detection, then
 * given to the tracker with that event (pipeline_session_anomaly_flush). */
void pipeline_session_anomaly(storm_pipeline *p, const storm_observation *obs, const storm_baseline_result *res);
void pipeline_session_anomaly_flush(storm_pipeline *p, const storm_event *ev);
/* Write the sessions changed since the last commit (before each commit). */
void pipeline_sessions_write(storm_pipeline *p);
/* Begin a store transaction unless one is open; false when the store failed. */
bool pipeline_db_begin(storm_pipeline *p);

/* sink_store.c */
void pipeline_db_put(storm_pipeline *p, const char *collection, const storm_value *obj);
void pipeline_db_commit(storm_pipeline *p);
/* The sighting to store for sg, merged with its stored version (in a), or
 * NULL when the store already says everything it says. */
const storm_value *pipeline_merge_stored_sighting(storm_pipeline *p, storm_arena *a, const storm_value *sg);

#endif
