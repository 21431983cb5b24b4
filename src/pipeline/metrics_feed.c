/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's statistics as Prometheus metrics: the families are declared
 * once and set from the running totals the pipeline, the detector and the
 * stream keep (so a scrape never slows the engine down). */
#include <stdio.h>
#include <string.h>

#include "pipeline_int.h"

typedef struct metric_decl {
    const char *name;
    storm_metric_type type;
    const char *label;
    const char *help;
} metric_decl;

static const metric_decl decls[] = {
    {"storm_events_read_total", STORM_METRIC_COUNTER, "sensor", "Events read, by sensor (unknown: not recognised)"},
    {"storm_events_rejected_total", STORM_METRIC_COUNTER, "sensor", "Events rejected (malformed, not observable)"},
    {"storm_events_dropped_total", STORM_METRIC_COUNTER, "sensor", "Events the baseline explained and dropped"},
    {"storm_records_read_total", STORM_METRIC_COUNTER, NULL, "Records (lines, bodies, messages) read"},
    {"storm_bytes_read_total", STORM_METRIC_COUNTER, NULL, "Bytes of records read"},
    {"storm_observations_built_total", STORM_METRIC_COUNTER, NULL, "STIX observations built and matched"},
    {"storm_matches_total", STORM_METRIC_COUNTER, NULL, "Complete pattern matches"},
    {"storm_sightings_total", STORM_METRIC_COUNTER, NULL, "Distinct sightings created"},
    {"storm_sighting_updates_total", STORM_METRIC_COUNTER, NULL, "Sighting versions emitted after the first"},
    {"storm_states_held", STORM_METRIC_GAUGE, NULL, "Partial matches held now"},
    {"storm_states_evicted_total", STORM_METRIC_COUNTER, NULL, "Partial matches dropped by the horizon or caps"},
    {"storm_scopes_held", STORM_METRIC_GAUGE, NULL, "(indicator, scope) states held now"},
    {"storm_store_errors_total", STORM_METRIC_COUNTER, NULL, "Store writes or commits that failed"},
    {"storm_consumer_messages_total", STORM_METRIC_COUNTER, NULL, "Messages taken from Kafka or Redis Streams"},
    {"storm_consumer_commits_total", STORM_METRIC_COUNTER, NULL,
     "Acknowledgements (Kafka offset commits, Redis XACK) after a store checkpoint"},
    {"storm_consumer_redelivered_total", STORM_METRIC_COUNTER, NULL,
     "Messages taken again: Redis entries claimed from dead consumers or left pending"},
    {"storm_consumer_uncommitted", STORM_METRIC_GAUGE, NULL, "Messages taken and not yet acknowledged"},
    {"storm_consumer_partitions", STORM_METRIC_GAUGE, NULL, "Kafka partitions or Redis shards this consumer holds now"},
    {"storm_sessions", STORM_METRIC_GAUGE, "state",
     "Attack sessions held in memory: open, or closed (no step for the quiet period; a new step reopens it)"},
    {"storm_sessions_opened_total", STORM_METRIC_COUNTER, NULL, "Attack sessions opened"},
    {"storm_sessions_merged_total", STORM_METRIC_COUNTER, NULL, "Attack sessions merged into another one"},
    {"storm_sessions_evicted_total", STORM_METRIC_COUNTER, NULL,
     "Attack sessions dropped from memory by the cap (written to the store first)"},
    {"storm_consumer_lag", STORM_METRIC_GAUGE, NULL,
     "Messages of the partitions (Redis: shards) this consumer holds that it has not taken yet, a former "
     "owner's unacknowledged Redis entries included; -1 while unknown"},
};

storm_rc storm_pipeline_metrics_declare(storm_metrics *m, storm_err *err)
{
    for (size_t i = 0; i < sizeof decls / sizeof decls[0]; i++) {
        storm_rc rc =
            storm_metrics_declare(m, decls[i].name, decls[i].type, decls[i].help, decls[i].label, NULL, 0, err);
        if (rc != STORM_OK)
            return rc;
    }
    return storm_metrics_declare(m, "storm_store_commit_seconds", STORM_METRIC_HISTOGRAM,
                                 "Time a store transaction took to commit", NULL, storm_pipeline_commit_bounds,
                                 STORM_PIPELINE_COMMIT_BUCKETS, err);
}

void storm_pipeline_metrics_update(storm_pipeline *p, storm_stream *s, storm_metrics *m)
{
    for (size_t i = 0; i < p->n_sensors; i++) {
        const pipeline_sensor *ps = &p->sensors[i];
        storm_metrics_set(m, "storm_events_read_total", ps->name, (double)ps->st.events_read);
        storm_metrics_set(m, "storm_events_rejected_total", ps->name, (double)ps->st.events_rejected);
        storm_metrics_set(m, "storm_events_dropped_total", ps->name, (double)ps->st.baseline_dropped);
    }
    storm_metrics_set(m, "storm_records_read_total", NULL, (double)p->st.records_read);
    storm_metrics_set(m, "storm_bytes_read_total", NULL, (double)p->st.bytes_read);
    storm_metrics_set(m, "storm_observations_built_total", NULL, (double)p->st.observations);
    storm_metrics_set(m, "storm_store_errors_total", NULL, (double)p->st.db_errors);
    if (p->det) {
        storm_detect_stats ds;
        storm_detector_get_stats(p->det, &ds);
        storm_metrics_set(m, "storm_matches_total", NULL, (double)ds.matches);
        storm_metrics_set(m, "storm_sightings_total", NULL, (double)ds.sightings);
        storm_metrics_set(m, "storm_sighting_updates_total", NULL, (double)ds.sighting_updates);
        storm_metrics_set(m, "storm_states_held", NULL, (double)ds.states_held);
        storm_metrics_set(m, "storm_states_evicted_total", NULL, (double)ds.states_evicted);
        storm_metrics_set(m, "storm_scopes_held", NULL, (double)ds.scopes_held);
    }
    storm_session_tracker *t = storm_pipeline_sessions(p);
    if (t) {
        storm_session_stats ss;
        storm_session_get_stats(t, &ss);
        size_t held = storm_session_count(t), closed = 0;
        for (size_t i = 0; i < held; i++)
            closed += storm_session_at(t, i)->quiet;
        storm_metrics_set(m, "storm_sessions", "open", (double)(held - closed));
        storm_metrics_set(m, "storm_sessions", "closed", (double)closed);
        storm_metrics_set(m, "storm_sessions_opened_total", NULL, (double)ss.opened);
        storm_metrics_set(m, "storm_sessions_merged_total", NULL, (double)ss.merged);
        storm_metrics_set(m, "storm_sessions_evicted_total", NULL, (double)ss.evicted);
    }
    storm_metrics_set_histogram(m, "storm_store_commit_seconds", NULL, p->st.commit_le, p->st.commits,
                                p->st.commit_seconds);
    if (s) {
        storm_stream_stats ss;
        storm_stream_get_stats(s, &ss);
        storm_metrics_set(m, "storm_consumer_messages_total", NULL, (double)ss.messages);
        storm_metrics_set(m, "storm_consumer_commits_total", NULL, (double)ss.commits);
        storm_metrics_set(m, "storm_consumer_redelivered_total", NULL, (double)ss.redelivered);
        storm_metrics_set(m, "storm_consumer_uncommitted", NULL, (double)ss.uncommitted);
        storm_metrics_set(m, "storm_consumer_lag", NULL, (double)ss.lag);
        storm_metrics_set(m, "storm_consumer_partitions", NULL, (double)ss.partitions);
    }
}
