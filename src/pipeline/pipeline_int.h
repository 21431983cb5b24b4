/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline object shared by its files: the reader (reader.c), the
 * engine (pipeline.c), the output sinks (sink_out.c) and the store sink
 * (sink_store.c). Private to src/pipeline. */
#ifndef STORM_PIPELINE_INT_H
#define STORM_PIPELINE_INT_H

#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/decode.h>
#include <storm/pipeline.h>
#include <storm/stix.h>
#include <time.h>

#include "bundle_text.h"
#include "obs_text.h"
#include "sco_text.h"

#define PIPELINE_SKIP_TYPES 64
#define PIPELINE_SENSORS 16 /* decoders are few; the last row takes the rest */

typedef struct pipeline_sensor {
    const char *name; /* the decoder's name (static) */
    storm_pipeline_sensor_stats st;
} pipeline_sensor;

typedef struct pipeline_skip {
    char *type;
    uint64_t n;
} pipeline_skip;

/* One object waiting for the store (sink_pending.c). */
typedef struct pipeline_pending_item {
    const char *collection; /* a STORM_COLLECTION_* constant */
    const char *id;         /* in obj */
    storm_value *obj;       /* in the pending arena */
    bool is_sighting;       /* a version of a sighting (the last one given, merged with the earlier ones);
                               merged with its stored version when written */
} pipeline_pending_item;

/* The store sink's writes until the next commit: one item per id, a later
 * sighting version replacing the earlier one in place. */
typedef struct pipeline_pending {
    storm_arena *arena; /* the copies; reset at each commit */
    pipeline_pending_item *items;
    size_t n, cap;
    size_t *slots; /* open addressing by id: item index + 1, 0 = empty */
    size_t n_slots;
    uint64_t versions_coalesced; /* sighting versions replaced before being written */
} pipeline_pending;

/* A sighting update held back from the output (sink_held.c): its last
 * version, with every object the versions it replaced brought. */
typedef struct pipeline_held_item {
    storm_detect_sighting s; /* copies in the table's arena; objects = objs */
    const storm_value **objs;
    size_t alloc_objs;
    bool live;     /* not written yet */
    uint32_t span; /* spans of it written so far: its objects held are this span's */
} pipeline_held_item;

/* A held object's id, in the set of every held item's (sink_held.c). */
typedef struct pipeline_held_obj {
    uint64_t hash;  /* of the id and the item */
    const char *id; /* a copy */
    size_t len;
    size_t item;
    uint32_t span; /* the item's span it was held in */
    uint32_t gen;  /* the table's obj_gen when held: another one is an empty slot */
} pipeline_held_obj;

/* The output's held updates until the next flush point, in the order they
 * were first held. */
typedef struct pipeline_held {
    storm_arena *arena; /* the copies; reset at each release */
    pipeline_held_item *items;
    size_t n, cap;
    size_t *slots; /* open addressing by sighting id: item index + 1, 0 = empty */
    size_t n_slots;
    uint64_t folded;              /* versions replaced by a later one before being written */
    storm_buf text;               /* an object's text while it is held (held_object) */
    pipeline_held_obj *obj_slots; /* open addressing by object id and item: the objects held */
    size_t n_obj_slots, n_objs;
    uint32_t obj_gen; /* the generation of the objects held now (0 until the first) */
} pipeline_held;

/* A set of id hashes that may say yes wrongly, never no (hash_set.c). */
typedef struct pipeline_hash_set {
    uint64_t *slots; /* 0 = empty */
    size_t n_slots, n;
    bool full; /* past its cap: every id may be in it */
} pipeline_hash_set;

struct storm_pipeline {
    storm_pipeline_opts opts;
    storm_pipeline_sinks sinks;
    storm_buf line; /* output not yet written */
    /* the JSON of the objects every sighting bundle repeats */
    bundle_text bundle_text;
    sco_text sco_text;         /* and of the content-named SCOs they repeat */
    obs_text obs_text;         /* and of the objects of the observation being matched */
    storm_arena *render_arena; /* one sighting's bundle at a time: reset, not freed, after each */
    bool line_set_aside;       /* the current line is already in the rejects sink */
    uint64_t records_in_tx;
    uint64_t records_out; /* records read: every 16384th is a flush point of the output (pipeline_held_release) */
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
    pipeline_pending pending;
    pipeline_held held; /* sighting updates not written yet (sinks.coalesce_updates) */
    /* sightings this run stored; with a store that held no sighting when the
     * run began, one not in it has no stored version to merge with */
    pipeline_hash_set written_sightings;
    bool store_had_sightings;
    char position_key[128]; /* storm_pipeline_set_position: committed with the results */
    char position[STORM_STORE_POSITION_MAX];
    bool position_dirty;
    pipeline_sensor sensors[PIPELINE_SENSORS];
    size_t n_sensors;
    pipeline_sensor *sensor;     /* of the record being processed ("unknown" before it is classified) */
    uint64_t db_errors_at_check; /* st.db_errors at the last checkpoint */
    storm_time_ns fed_latest;    /* of the last storm_pipeline_feed_body */
    /* the progress line (opts.progress), report.c */
    bool progress_shown;
    uint64_t progress_records;
    storm_time_ns progress_last; /* monotonic, when last drawn */
    char progress_source[256];   /* the source being read ("" between sources) */
    uint64_t progress_size;      /* its size when a regular file not followed, else 0 */
    uint64_t progress_bytes0;    /* bytes_read when it was opened */
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
    /* its observation, whose objects live unchanged until the record ends
     * (obs_text), or NULL; cur_obs_serial tells one record's from the next */
    const storm_observation *cur_obs;
    uint64_t cur_obs_serial;
    /* storm run --workers (workers.c): with workers, this pipeline only
     * reads and decodes, and hands each event to the shards */
    struct pipeline_workers *workers;
    /* a shard's pipeline: its sightings go here instead of the sinks */
    void (*sighting_tap)(void *ctx, const storm_detect_sighting *s);
    void *sighting_tap_ctx;
    bool det_sum_valid; /* det_sum holds the shards' detector statistics */
    storm_detect_stats det_sum;
    bool sum_store; /* the shards' results go to a store */
};

/* A rejected record: counted, reported on stderr (up to messages_shown) as
 * SOURCE:LINE[:COLUMN]: reason, and text copied to the rejects sink once per
 * line (text NULL: nothing to copy). */
void pipeline_reject(storm_pipeline *p, const char *source, uint64_t line, size_t col, const char *text, size_t len,
                     const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* A record decoded (pipeline_decode_record: classified and decoded, no
 * pipeline state touched, so that any thread may do it), for
 * pipeline_record_decoded to count, set aside or hand on in input order. */
typedef struct pipeline_decoded {
    storm_rc classify_rc, rc; /* rc: the decoder's (when classified) */
    const storm_value *rec;   /* the record (an envelope's embedded one) */
    const storm_decoder *dec;
    storm_event_list list;
    const char *skip;    /* STORM_ERR_UNSUPPORTED: the type skipped */
    size_t err_offset;   /* an error's position and message (NULL: none) */
    const char *err_msg; /* in the arena */
} pipeline_decoded;
/* root's record decoded into d (allocations in a). */
void pipeline_decode_record(storm_arena *a, const storm_value *root, const storm_decoder *forced, pipeline_decoded *d);
/* pipeline_record_in_text with the record decoded already. */
void pipeline_record_decoded(storm_pipeline *p, const storm_value *root, const pipeline_decoded *d, const char *source,
                             uint64_t line, const char *text, size_t len);
/* A line of text parsed (pipeline_line_parse: no pipeline state touched):
 * its JSON value, or the log line's record, or the parse error; with its
 * records decoded when asked. */
typedef struct pipeline_line {
    storm_rc rc;             /* of the JSON parse */
    const storm_value *root; /* rc OK: the value; else the log line's record, or NULL */
    size_t err_offset;       /* rc not OK: the parser's position and message */
    const char *err_msg;
    pipeline_decoded *recs; /* root's records (root, or each element of an array) decoded, or NULL */
    size_t n_recs;
} pipeline_line;
/* Parse text (allocations in a); ref_time dates a log line without a year
 * or zone (the source's time); with forced/decode, its records decoded too. */
void pipeline_line_parse(storm_arena *a, const char *text, size_t len, storm_time_ns ref_time, bool decode,
                         const storm_decoder *forced, pipeline_line *out);
/* What storm_pipeline_feed_text does after parsing, with ln parsed. */
void pipeline_line_feed(storm_pipeline *p, const char *source, uint64_t line, const char *text, size_t len,
                        const pipeline_line *ln);
/* A record of a text (a line, a body) the reader framed: its events are
 * numbered after those of the text's earlier records (text_events), and a
 * bad record sets the text aside once (line_set_aside). */
void pipeline_record_in_text(storm_pipeline *p, const storm_value *root, const char *source, uint64_t line,
                             const char *text, size_t len);
/* Forget the record's allocations (not in the caller's sinks.event_arena). */
void pipeline_arena_reset(storm_pipeline *p);
/* After each record: reset the arena, commit a full store batch, report. */
void pipeline_after_record(storm_pipeline *p);
/* The counters of the sensor named (a decoder's static name). */
pipeline_sensor *pipeline_sensor_of(storm_pipeline *p, const char *name);
/* Print the statistics when opts.report asks (kill -USR1), and reset it. */
void pipeline_report(storm_pipeline *p);

/* The detector statistics (the shards' sum with --workers); false when
 * there is no detector. */
bool pipeline_detect_stats(const storm_pipeline *p, storm_detect_stats *ds);
/* The time an event without one is dated with. */
storm_time_ns pipeline_default_time(const storm_pipeline *p);
/* After the baseline: the observation sink, or prefilter -> observe ->
 * detect (record: the bytes the ids derive from; text: the rejects copy). */
void pipeline_detect_event(storm_pipeline *p, storm_event *ev, const char *record, size_t record_len, size_t index,
                           const char *text, size_t text_len);

/* workers.c (storm run --workers): the reading pipeline's hooks */
/* A decoded event (record, text as for pipeline_detect_event), to its shard. */
void pipeline_workers_event(storm_pipeline *p, storm_event *ev, const char *record, size_t record_len, size_t index,
                            const char *text, size_t text_len);
/* A line read, framed for the workers to decode (false: the reader is to
 * decode it itself, as without workers). */
bool pipeline_workers_line(storm_pipeline *p, const char *source, uint64_t number, const char *text, size_t len);
/* Every line framed so far decoded and fed, so that what the reader does
 * next comes after them (no-op without workers). */
void pipeline_workers_settle(storm_pipeline *p);
/* on: the reader decodes what it reads until off (a body, whose records
 * are numbered and dated by the body): settled first. */
void pipeline_workers_direct(storm_pipeline *p, bool on);
/* A line's text, copied where its events will live until the shards are done. */
const char *pipeline_workers_text(storm_pipeline *p, const char *text, size_t len);
/* After each record: hand a full batch to the shards. */
void pipeline_workers_after_record(storm_pipeline *p);
/* The input has nothing more for now (--follow): the batch being filled
 * goes to the shards, and its output is flushed once written. */
void pipeline_workers_idle(storm_pipeline *p);
/* Everything read so far through the shards and the sinks (end: the
 * detectors flushed too); statistics gathered. */
void pipeline_workers_drain(storm_pipeline *p, bool end);
void pipeline_workers_free(storm_pipeline *p);
storm_session_tracker *pipeline_workers_sessions(storm_pipeline *p);
/* The statistics JSON's keys of the threads: ,"workers":N,
 * "reader_cpu_seconds" (the caller's thread, start-up included),
 * "shard_cpu_seconds":[...] (one per thread, the caller's first; as of the
 * last drain). */
void pipeline_workers_stats_json(const storm_pipeline *p, FILE *f);

/* shard_key.c: a hash of what bounds the correlation scope of ev (its
 * shard): equal scopes give equal keys. */
uint64_t pipeline_shard_key(const storm_event *ev, storm_correlate c);

/* report.c: the progress line. tick after each record (draws at most twice
 * a second); source at the start (start) and end of each source; clear
 * before any other message on the same stream. No-ops without
 * opts.progress. */
void pipeline_progress_tick(storm_pipeline *p);
void pipeline_progress_source(storm_pipeline *p, const char *path, bool start);
void pipeline_progress_clear(storm_pipeline *p);

/* sink_out.c */
void pipeline_out_flush(storm_pipeline *p, bool force);
void pipeline_on_sighting(void *ctx, const storm_detect_sighting *s);
/* pipeline_on_sighting in two: the output line(s) into p->line, then the
 * store, the sessions and the output flush (--workers: a shard renders,
 * the sink keeps). */
void pipeline_sighting_render(storm_pipeline *p, const storm_detect_sighting *s);
/* Append the compact JSON of o, one of a sighting's objects, to out: the
 * text kept of it when it is the current observation's (obs_text) or a
 * content-named SCO (sco_text), else written. */
void pipeline_object_text(storm_pipeline *p, storm_buf *out, const storm_value *o);
void pipeline_sighting_keep(storm_pipeline *p, const storm_detect_sighting *s);
void pipeline_emit_anomaly(storm_pipeline *p, const storm_observation *obs, const storm_baseline_result *res);

/* sink_held.c: the output's coalesced updates */
/* s into the output: a first version is rendered at once (after what is held
 * of its id), an update held until pipeline_held_release (without sinks.coalesce_updates:
 * rendered at once). Nothing without sinks.out. */
void pipeline_sighting_out(storm_pipeline *p, const storm_detect_sighting *s);
/* Keep a copy of update s, replacing the version held of its id and adding
 * the objects it brings (STIX output: their text, see
 * pipeline_held_text); false (nothing held of s) when out of memory. */
bool pipeline_held_add(storm_pipeline *p, const storm_detect_sighting *s);
/* A held object's compact JSON text (*len bytes), or NULL when o is not
 * one: a held update's objects are their text and the members the share
 * step reads, not copies of the objects. */
const char *pipeline_held_text(const storm_value *o, size_t *len);
/* Hold update s when the output coalesces updates (true), else false: s is
 * to be written now. */
bool pipeline_held_update(storm_pipeline *p, const storm_detect_sighting *s);
/* The version held of id, marked written (the caller writes it now, before a
 * later first version of the id), or NULL; valid until pipeline_held_reset. */
const storm_detect_sighting *pipeline_held_take(storm_pipeline *p, const char *id);
/* fn for every held update not written yet, in the order first held, each
 * then marked written; the versions stay valid until pipeline_held_reset. */
void pipeline_held_drain(storm_pipeline *p, void (*fn)(void *ctx, const storm_detect_sighting *s), void *ctx);
void pipeline_held_reset(pipeline_held *h);
/* Render every held update in the order first held, and forget them: at each
 * flush point (every 16384th record, storm_pipeline_sync). */
void pipeline_held_release(storm_pipeline *p);
void pipeline_held_free(pipeline_held *h);
/* keep_observations: the observation into the store (sink_store.c) */
void pipeline_keep_observation(storm_pipeline *p, const storm_observation *obs);

/* sink_pending.c */
void pipeline_pending_init(pipeline_pending *pd);
void pipeline_pending_free(pipeline_pending *pd);
/* Forget every item (after they are written). */
void pipeline_pending_reset(pipeline_pending *pd);
/* Keep a copy of obj for collection: a sighting replaces its earlier
 * pending version, another object already pending is not added again.
 * False on OOM or an object without an id. */
bool pipeline_pending_add(pipeline_pending *pd, const char *collection, const storm_value *obj);

/* hash_set.c */
/* The hash of a STIX id the pipeline's id tables use (hash_set.c; the
 * store's pending writes and the output's held updates index by it too). */
uint64_t pipeline_id_hash(const char *id);
bool pipeline_hash_set_maybe_has(const pipeline_hash_set *set, const char *id);
void pipeline_hash_set_add(pipeline_hash_set *set, const char *id);
void pipeline_hash_set_free(pipeline_hash_set *set);

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
/* Queue obj for the store: written at the next commit (a sighting's
 * versions coalesced, and merged with its stored version). */
void pipeline_db_put(storm_pipeline *p, const char *collection, const storm_value *obj);
/* Whether the store holds sightings already (at the start of the run). */
void pipeline_db_note_store(storm_pipeline *p);
/* Write what is pending (and the position) in one transaction. */
void pipeline_db_commit(storm_pipeline *p);
/* Two versions of one sighting merged (in a); NULL when old says all sg
 * says. */
const storm_value *pipeline_merge_sighting_versions(storm_arena *a, const storm_value *old, const storm_value *sg);
/* The sighting to store for sg, merged with its stored version (in a), or
 * NULL when the store already says everything it says. *found: whether a
 * stored version was there. */
const storm_value *pipeline_merge_stored_sighting(storm_pipeline *p, storm_arena *a, const storm_value *sg,
                                                  bool *found);

#endif
