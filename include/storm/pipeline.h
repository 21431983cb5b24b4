/* SPDX-License-Identifier: Apache-2.0 */
/* The engine as one object: records in, sightings (or observations) out.
 *
 * A reader frames records from files, standard input, a followed file or an
 * HTTP body (JSON Lines; a JSON array of records on a line or as a whole
 * body; log-shipper envelopes), checks UTF-8 and the line cap, and reports
 * every bad record as SOURCE:LINE[:COLUMN]: reason, counted and copied to the
 * rejects sink. Each record then goes through
 *     decode -> baseline (learn, then enforce) -> prefilter -> observe -> detect
 * and the sightings to the sinks: STIX bundles as JSON Lines or one text
 * line each, and the store (batched transactions, each sighting merged with
 * its stored version). Every command that reads sensor records (storm run,
 * storm convert, storm baseline learn|check, the --listen intake) uses it, so
 * the same input gives the same events and the same rejects everywhere.
 * Not thread-safe: one pipeline per thread. */
#ifndef STORM_PIPELINE_H
#define STORM_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <storm/arena.h>
#include <storm/baseline.h>
#include <storm/decode.h>
#include <storm/detect.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/metrics.h>
#include <storm/model.h>
#include <storm/observation.h>
#include <storm/session.h>
#include <storm/store.h>
#include <storm/stream.h>
#include <storm/time.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_pipeline storm_pipeline;

typedef enum storm_pipeline_format {
    STORM_PIPELINE_STIX = 0, /* one self-contained STIX bundle per sighting version, JSON Lines */
    STORM_PIPELINE_TEXT,     /* one line per sighting for people */
} storm_pipeline_format;

/* How an event without any time is dated. */
typedef enum storm_pipeline_dating {
    STORM_PIPELINE_DATE_LAST_EVENT = 0, /* the last event time seen (a stream: storm run); before any, the first
                                           source's modification time */
    STORM_PIPELINE_DATE_SOURCE,         /* its source's modification time, standard input the time of the run
                                           (stable per file: storm convert) */
} storm_pipeline_dating;

/* Every event's observation (no detection): obs and ev are valid during the
 * call only. A non-OK return rejects the event (counted, its line set aside). */
typedef storm_rc (*storm_pipeline_observation_fn)(void *ctx, const storm_observation *obs, const storm_event *ev,
                                                  storm_err *err);
/* Every decoded event, and nothing else is done with it (baseline learning
 * from recordings). A non-OK return stops the source being read (err says
 * why). ev lives until the next record unless sinks.event_arena is given. */
typedef storm_rc (*storm_pipeline_event_fn)(void *ctx, storm_event *ev, storm_err *err);

/* Where results go. Everything is borrowed and must outlive the pipeline. */
typedef struct storm_pipeline_sinks {
    FILE *out; /* sightings and anomalies (NULL: none) */
    storm_pipeline_format format;
    storm_store *store;    /* sightings, their evidence and the models (NULL: none) */
    FILE *rejects;         /* every rejected record's line, as read (NULL: none) */
    bool coalesce_updates; /* the updates of a sighting between two flush points (a batch of records, the end of
                              an input, a drained queue) are written once, as the last version with all the
                              evidence of those it replaces; unset: each update as it is made */
    storm_pipeline_observation_fn observation; /* instead of detection: every observation */
    void *observation_ctx;
    storm_pipeline_event_fn event; /* instead of everything after decoding: every event */
    void *event_ctx;
    storm_arena *event_arena; /* with event: each record is parsed and decoded here and never reset, so the
                                 events stay valid while it lives (a test holding a whole file's events);
                                 NULL: valid during the call only */
} storm_pipeline_sinks;

typedef struct storm_pipeline_opts {
    const char *prog;           /* prefix of messages: "storm run" */
    const storm_models *models; /* finished; borrowed. Required unless an observation or event sink is given */
    storm_detect_opts detect;
    storm_baseline *baseline;    /* borrowed; NULL: no baseline */
    storm_time_ns learn_for;     /* with baseline: learn from the first learn_for of event time, then enforce */
    bool anomalies;              /* unexplained events of profiled workloads become observations */
    const storm_decoder *forced; /* decode every record with this one (NULL: detect per record) */
    const char *cluster;         /* x_k8s_cluster when the event names none */
    storm_pipeline_dating dating;
    size_t max_line;               /* longest line read (0: STORM_SOURCE_DEFAULT_MAX_LINE) */
    unsigned follow_idle_ms;       /* --follow: stop after this long without data (0: never) */
    size_t messages_shown;         /* rejects reported one by one on stderr (0: 100) */
    volatile sig_atomic_t *stop;   /* reading stops when nonzero (signal handlers); may be NULL */
    volatile sig_atomic_t *report; /* when nonzero, the statistics are printed and it is reset; may be NULL */
    FILE *progress;                /* a terminal to draw a progress line on, redrawn in place and erased before other
                                      messages (NULL: none; callers pass stderr only when it is a terminal, without -q) */
    storm_session_opts sessions;   /* attack sessions kept from the sightings (storm/session.h) */
    bool no_sessions;              /* keep none */
    bool keep_observations;        /* with a store sink: every observation built goes into the store's
                                      observations collection (not only sightings' evidence), and every
                                      event's observation is built (no prefilter): what storm hunt reads */
    /* called at every release_every-th record (0: 1,048,576, every 64th
     * output flush point): the fewest temporaries are alive then, so it is
     * when a long run gives the free pages of its heap back to the system
     * (storm run: malloc_trim). With workers, on the reading thread. May be
     * NULL. */
    void (*release_memory)(void *ctx);
    void *release_memory_ctx;
    size_t release_every;
} storm_pipeline_opts;

#define STORM_PIPELINE_COMMIT_BUCKETS 10
/* Upper bounds (seconds) of the store commit latency histogram. */
extern const double storm_pipeline_commit_bounds[STORM_PIPELINE_COMMIT_BUCKETS];

typedef struct storm_pipeline_stats {
    uint64_t records_read;    /* non-blank lines (an array on one line is one) and whole-JSON bodies */
    uint64_t events_read;     /* each decoded event (an audit EventList of 5 is 5), each skipped record and
                                 each rejected record or array element (its events cannot be known) */
    uint64_t events_rejected; /* malformed, of no known sensor, or not observable */
    uint64_t events_skipped;  /* known records that are not events (unknown types, logs, metrics) */
    uint64_t events_decoded;  /* typed events */
    uint64_t observations;    /* observations built (detection: those the prefilter let through) */
    uint64_t baseline_learned;
    uint64_t baseline_dropped; /* explained by the workload's profile */
    uint64_t anomalies;
    uint64_t db_errors;
    uint64_t sightings_stored;     /* sighting versions the store did not hold yet (rows added) */
    uint64_t sightings_stored_new; /* of those, the first version of a sighting id in the store */
    uint64_t updates_folded;       /* sighting updates not written out: a later version of the same sighting, written
                                      at the next flush point, carries their evidence (without sinks.coalesce_updates: 0) */
    uint64_t bytes_read;
    uint64_t source_rotations, source_truncations; /* --follow */
    /* store transactions committed and how long each took (a histogram:
     * commit_le[i] commits took at most storm_pipeline_commit_bounds[i] s) */
    uint64_t commits;
    double commit_seconds;
    uint64_t commit_le[STORM_PIPELINE_COMMIT_BUCKETS];
} storm_pipeline_stats;

/* What a sensor's events came to (storm_pipeline_sensor). */
typedef struct storm_pipeline_sensor_stats {
    uint64_t events_read, events_rejected, baseline_dropped;
} storm_pipeline_sensor_stats;

/* A new pipeline; the detector is built over opts->models when given.
 * *out is owned (storm_pipeline_free). Fails on a bad option, OOM, or when
 * the detector cannot be built (err says why). */
storm_rc storm_pipeline_new(const storm_pipeline_opts *opts, const storm_pipeline_sinks *sinks, storm_pipeline **out,
                            storm_err *err);
/* storm_pipeline_new with the matching shared out over n threads (storm
 * run --workers; n <= 1: storm_pipeline_new): the calling thread reads and
 * decodes, each event goes to the shard of its correlation scope (node,
 * pod, or the process tree's node, following opts->detect.correlate), and
 * one more thread writes the results to the sinks in input order, so that
 * the sightings, the store and the sessions are those of one pipeline.
 * The feed functions and the rest of this API are used as usual (the
 * statistics are the shards' summed once storm_pipeline_sync or _flush
 * returned). Refused (STORM_ERR_UNSUPPORTED, err says why) with a baseline,
 * keep_observations, or global correlation. */
storm_rc storm_pipeline_new_workers(const storm_pipeline_opts *opts, const storm_pipeline_sinks *sinks, unsigned n,
                                    storm_pipeline **out, storm_err *err);
/* Flush the detector's pending sighting updates (end of stream), commit the
 * store and flush the output. Feeding may go on afterwards. */
void storm_pipeline_flush(storm_pipeline *p);
/* Commit the store and flush the output without closing open sightings (the
 * end of an HTTP body: what was acknowledged is stored). */
void storm_pipeline_sync(storm_pipeline *p);
void storm_pipeline_free(storm_pipeline *p);
/* With a store: record value under key (storm_store_pull_position_get reads
 * it back) in the transaction of the next commit, so that it is committed
 * together with the results of everything fed before this call (the
 * --listen spool's processed offset). Both are copied; key up to 127 bytes,
 * value up to STORM_STORE_POSITION_MAX - 1. */
void storm_pipeline_set_position(storm_pipeline *p, const char *key, const char *value);

void storm_pipeline_get_stats(const storm_pipeline *p, storm_pipeline_stats *out);
/* The detector (NULL without models): its statistics and identity. */
storm_detector *storm_pipeline_detector(storm_pipeline *p);
/* Per sensor (the decoder's name; "unknown" for records of no known
 * sensor): i < n; false past the end. */
bool storm_pipeline_sensor(const storm_pipeline *p, size_t i, const char **sensor, storm_pipeline_sensor_stats *out);
/* The session tracker (NULL without a detector or with no_sessions): add
 * listeners to it (alerts) before feeding. With a store sink, every session
 * change is written to the store (storm/store_session.h). */
storm_session_tracker *storm_pipeline_sessions(storm_pipeline *p);
/* Skipped record types and how many of each (i < n; false past the end). */
bool storm_pipeline_skip_type(const storm_pipeline *p, size_t i, const char **type, uint64_t *n);

/* The statistics for people, a few lines on f (their words are documented
 * in docs/run.md, "Statistics"): what was read, what matched, the sighting
 * versions written and, with a store, those it took; the partial matches
 * dropped; secs, the wall time to report. */
void storm_pipeline_print_summary(storm_pipeline *p, FILE *f, double secs);

/* Times the pipeline cannot know, for the statistics as JSON. */
typedef struct storm_pipeline_timing {
    double seconds;                /* wall time of the run, start-up included */
    double startup_seconds;        /* of which loading models and building the pipeline */
    double processing_cpu_seconds; /* CPU time after start-up */
} storm_pipeline_timing;
/* The statistics as one JSON object on one line (docs/run.md lists the keys). */
void storm_pipeline_print_stats_json(storm_pipeline *p, FILE *f, const storm_pipeline_timing *t);

/* ---- the reader ---- */

/* Read a file ("-": standard input) to its end (follow: until *opts->stop
 * or the idle time). STORM_ERR_IO when it cannot be opened or read (err says
 * why); bad lines are rejects, not errors. */
storm_rc storm_pipeline_feed_source(storm_pipeline *p, const char *path, bool follow, storm_err *err);
/* One line of text holding one JSON value: a record or an array of records.
 * source/line name it in messages; text need not be NUL-terminated. */
void storm_pipeline_feed_text(storm_pipeline *p, const char *source, uint64_t line, const char *text, size_t len);
/* An HTTP body: one JSON value (a record, an array of records, an audit
 * EventList), else JSON Lines where each line counts on its own. */
void storm_pipeline_feed_body(storm_pipeline *p, const char *source, const char *body, size_t len);
/* A message of a log engine (storm_pipeline_consume), read as a body; its
 * events without a time of their own are dated `logged` (when the message
 * was written to the log; 0: as storm_pipeline_feed_body does). */
void storm_pipeline_feed_message(storm_pipeline *p, const char *source, const char *data, size_t len,
                                 storm_time_ns logged);
/* One parsed record (root may be a shipper envelope; owned by the caller,
 * not allocated from the pipeline), from the text it was parsed from (text
 * may be NULL: then the observed-data id comes from the objects, and the
 * rejects sink gets the record as compact JSON). Counts as one record's
 * events, not as a record read. */
void storm_pipeline_feed_record(storm_pipeline *p, const storm_value *root, const char *source, uint64_t line,
                                const char *text, size_t len);

/* ---- log engines (storm run --kafka, --redis) ---- */

/* Make the results of everything fed so far durable: the detector's
 * pending sighting updates are emitted (sightings stay open), the store is
 * committed and the output flushed. False when the store reported an error
 * since the last checkpoint (what was fed may not all be stored). */
bool storm_pipeline_checkpoint(storm_pipeline *p);

/* The latest time of the events the last storm_pipeline_feed_body fed (an
 * untimed event counts with the time it was dated by); INT64_MIN when it
 * had none. */
storm_time_ns storm_pipeline_fed_latest(const storm_pipeline *p);
/* storm_detector_held_since of its detector (INT64_MAX without one). */
storm_time_ns storm_pipeline_held_since(const storm_pipeline *p);

typedef struct storm_pipeline_consume_opts {
    size_t checkpoint_messages; /* messages between checkpoints (0: 1000) */
    unsigned checkpoint_ms;     /* most time between checkpoints while messages come (0: 1000) */
    unsigned idle_exit_ms;      /* once a message came, stop after this long without one (0: never) */
    /* called about every 100 ms, busy or idle (metrics, other sources); may be NULL */
    void (*tick)(void *ctx, storm_pipeline *p, storm_stream *s);
    void *tick_ctx;
} storm_pipeline_consume_opts;

/* Feed every message of s (each a record, an array or JSON Lines) until
 * *opts->stop (of storm_pipeline_new), the idle time, or a failure. At each
 * checkpoint the messages taken are acknowledged to s only after
 * storm_pipeline_checkpoint succeeded, so a crash loses nothing (they are
 * delivered again). Backpressure is the loop itself: the next message is
 * taken only when the last one's results are written. STORM_ERR_IO when
 * the stream failed or the store could not commit (err says why; the
 * messages since the last checkpoint stay unacknowledged). */
storm_rc storm_pipeline_consume(storm_pipeline *p, storm_stream *s, const storm_pipeline_consume_opts *opts,
                                storm_err *err);

/* ---- metrics (GET /metrics of storm run --listen) ---- */

/* Declare the engine's metric families in m: events read, rejected and
 * dropped by the baseline per sensor, observations, matches, sightings,
 * partial-match states held and evicted, store commits (a latency
 * histogram) and errors, and the log-engine consumer's messages and lag. */
storm_rc storm_pipeline_metrics_declare(storm_metrics *m, storm_err *err);
/* Set them from p's statistics and (when not NULL) s's. Call from the
 * pipeline's thread; the HTTP thread renders m meanwhile. */
void storm_pipeline_metrics_update(storm_pipeline *p, storm_stream *s, storm_metrics *m);

/* One observation read back from the store (storm hunt): matched by the
 * detector like an event's, its sightings going to the sinks. obs and ctx
 * (may be NULL) are borrowed for the call only. Counts as one record. */
void storm_pipeline_feed_observation(storm_pipeline *p, const storm_observation *obs, const storm_detect_context *ctx);

/* ---- models ---- */

/* The attack models of a store's "indicators" collection (what `storm pull
 * --db` fetched, and earlier runs' models) loaded into m before
 * storm_models_finish, those loaded from files winning; they are named
 * "<name>#indicators" in defects, and *n_found counts them. A store without
 * that collection holds no models (STORM_OK, 0). What storm run --db and
 * storm models lint --db read. */
storm_rc storm_pipeline_load_store_models(storm_models *m, storm_store *store, const char *name, size_t *n_found,
                                          storm_err *err);
/* The shipped model library: $STORM_MODELS, the installed data dir, the
 * source tree near the executable or known at configure time, ./models.
 * Returns buf or a static string, NULL when none is found. */
const char *storm_pipeline_default_models(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
