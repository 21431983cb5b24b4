/* SPDX-License-Identifier: Apache-2.0 */
/* The engine: a parsed record -> decoded events -> baseline (learn, then
 * enforce) -> prefilter -> observation -> detector, whose sightings go to
 * the sinks (sink_out.c, sink_store.c). Without models, every observation
 * goes to the observation sink instead (storm convert); with an event sink,
 * every decoded event goes there and nothing else happens (storm baseline). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>
#include <storm/stix.h>

#include "pipeline_int.h"

#define RECORD_ARENA_CAP ((size_t)512 << 20)
/* a record's parse tree and observation: a Tetragon record of 2 KB takes
 * about 50 KB, so with 256 KB blocks a record never mallocs (the arena keeps
 * one block across resets) */
#define RECORD_ARENA_CHUNK ((size_t)256 << 10)
#define DEFAULT_MESSAGES_SHOWN 100
#define DB_BATCH_RECORDS 16384                        /* records per store transaction */
#define RELEASE_EVERY ((size_t)64 * DB_BATCH_RECORDS) /* records between two release_memory calls */

/* storm_err_clear zeroes 540 bytes; per event, only what storm_err_set and
 * the messages read need */
static inline void err_reset(storm_err *e)
{
    e->rc = STORM_OK;
    e->offset = e->len = 0;
    e->line = e->col = 0;
    e->msg[0] = '\0';
}

static double elapsed(const storm_pipeline *p)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
}

storm_rc storm_pipeline_new(const storm_pipeline_opts *opts, const storm_pipeline_sinks *sinks, storm_pipeline **out,
                            storm_err *err)
{
    *out = NULL;
    if (!opts->models && !sinks->observation && !sinks->event)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "a pipeline needs models, an observation sink or an event sink");
    storm_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    p->opts = *opts;
    p->sinks = *sinks;
    if (!p->opts.prog)
        p->opts.prog = "storm";
    if (!p->opts.messages_shown)
        p->opts.messages_shown = DEFAULT_MESSAGES_SHOWN;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    storm_buf_init(&p->line, (size_t)1 << 30);
    pipeline_pending_init(&p->pending);
    p->arena =
        sinks->event && sinks->event_arena ? sinks->event_arena : storm_arena_new(RECORD_ARENA_CHUNK, RECORD_ARENA_CAP);
    if (!p->arena) {
        storm_pipeline_free(p);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    if (opts->models && !sinks->observation && !sinks->event) {
        storm_rc rc = storm_detector_new(opts->models, &opts->detect, pipeline_on_sighting, p, &p->det, err);
        if (rc != STORM_OK) {
            storm_pipeline_free(p);
            return rc;
        }
        if ((rc = pipeline_sessions_new(p, err)) != STORM_OK) {
            storm_pipeline_free(p);
            return rc;
        }
        if (p->sinks.store) { /* the models themselves, so that a TAXII client sees what was sighted */
            pipeline_db_note_store(p);
            pipeline_db_put(p, STORM_COLLECTION_INDICATORS, storm_detector_identity(p->det));
            unsigned used = 0; /* the definitions of the x_* properties the patterns name */
            for (size_t i = 0; i < storm_models_n_objects(opts->models); i++) {
                const storm_value *obj = storm_models_object(opts->models, i);
                pipeline_db_put(p, STORM_COLLECTION_INDICATORS, obj);
                used |= storm_stix_ext_mask_of_pattern(storm_v_get_str(obj, "pattern"));
            }
            for (int e = 0; used && e < STORM_STIX_EXT__COUNT; e++)
                if (used & 1u << e)
                    pipeline_db_put(p, STORM_COLLECTION_INDICATORS,
                                    storm_stix_extension_definition(p->arena, (storm_stix_ext)e));
            if (used)
                pipeline_db_put(p, STORM_COLLECTION_INDICATORS, storm_stix_identity(p->arena));
            pipeline_arena_reset(p);
            pipeline_db_commit(p);
        }
    }
    *out = p;
    return STORM_OK;
}

void storm_pipeline_flush(storm_pipeline *p)
{
    if (p->workers) {
        pipeline_workers_drain(p, true);
        return;
    }
    if (p->det)
        storm_detector_flush(p->det);
    storm_pipeline_sync(p);
}

void storm_pipeline_sync(storm_pipeline *p)
{
    if (p->workers) {
        pipeline_workers_drain(p, false);
        pipeline_report(p);
        return;
    }
    pipeline_held_release(p);
    pipeline_out_flush(p, true);
    pipeline_db_commit(p);
    pipeline_report(p);
}

void storm_pipeline_free(storm_pipeline *p)
{
    if (!p)
        return;
    pipeline_workers_free(p);
    storm_detector_free(p->det);
    pipeline_pending_free(&p->pending);
    pipeline_held_free(&p->held);
    pipeline_hash_set_free(&p->written_sightings);
    storm_session_tracker_free(p->sessions);
    free(p->session_dirty);
    free(p->session_gone);
    for (size_t i = 0; i < p->n_skips; i++)
        free(p->skips[i].type);
    storm_buf_free(&p->line);
    bundle_text_free(&p->bundle_text);
    sco_text_free(&p->sco_text);
    obs_text_free(&p->obs_text);
    storm_arena_free(p->render_arena);
    if (p->arena != p->sinks.event_arena)
        storm_arena_free(p->arena);
    free(p);
}

void storm_pipeline_get_stats(const storm_pipeline *p, storm_pipeline_stats *out)
{
    *out = p->st;
}

storm_detector *storm_pipeline_detector(storm_pipeline *p)
{
    return p->det;
}

pipeline_sensor *pipeline_sensor_of(storm_pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->n_sensors; i++)
        if (strcmp(p->sensors[i].name, name) == 0)
            return &p->sensors[i];
    if (p->n_sensors == PIPELINE_SENSORS)
        return &p->sensors[PIPELINE_SENSORS - 1];
    p->sensors[p->n_sensors].name = p->n_sensors == PIPELINE_SENSORS - 1 ? "other" : name;
    return &p->sensors[p->n_sensors++];
}

bool storm_pipeline_sensor(const storm_pipeline *p, size_t i, const char **sensor, storm_pipeline_sensor_stats *out)
{
    if (i >= p->n_sensors)
        return false;
    *sensor = p->sensors[i].name;
    *out = p->sensors[i].st;
    return true;
}

storm_time_ns storm_pipeline_fed_latest(const storm_pipeline *p)
{
    return p->fed_latest;
}

storm_time_ns storm_pipeline_held_since(const storm_pipeline *p)
{
    return p->det ? storm_detector_held_since(p->det) : INT64_MAX;
}

bool storm_pipeline_checkpoint(storm_pipeline *p)
{
    if (p->det)
        storm_detector_emit_pending(p->det);
    storm_pipeline_sync(p);
    bool ok = p->st.db_errors == p->db_errors_at_check;
    p->db_errors_at_check = p->st.db_errors;
    return ok;
}

storm_session_tracker *storm_pipeline_sessions(storm_pipeline *p)
{
    if (p->workers)
        return pipeline_workers_sessions(p);
    return p->sessions;
}

bool storm_pipeline_skip_type(const storm_pipeline *p, size_t i, const char **type, uint64_t *n)
{
    if (i >= p->n_skips)
        return false;
    *type = p->skips[i].type;
    *n = p->skips[i].n;
    return true;
}

static void count_skip(storm_pipeline *p, const char *type)
{
    if (!type || !*type)
        type = "unknown";
    for (int pass = 0; pass < 2; pass++, type = "other") {
        for (size_t i = 0; i < p->n_skips; i++)
            if (strcmp(p->skips[i].type, type) == 0) {
                p->skips[i].n++;
                return;
            }
        if (p->n_skips + 1 < PIPELINE_SKIP_TYPES)
            break; /* room for it; the last row is kept for "other" */
    }
    char *copy = strdup(type);
    if (copy)
        p->skips[p->n_skips++] = (pipeline_skip){copy, 1};
}

void pipeline_reject(storm_pipeline *p, const char *source, uint64_t line, size_t col, const char *text, size_t len,
                     const char *fmt, ...)
{
    p->st.events_rejected++;
    if (p->sensor)
        p->sensor->st.events_rejected++;
    if (++p->messages <= p->opts.messages_shown) {
        pipeline_progress_clear(p);
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (col)
            fprintf(stderr, "%s:%llu:%zu: %s\n", source, (unsigned long long)line, col, msg);
        else
            fprintf(stderr, "%s:%llu: %s\n", source, (unsigned long long)line, msg);
        if (p->messages == p->opts.messages_shown)
            fprintf(stderr, "%s: further rejected lines are counted, not shown%s\n", p->opts.prog,
                    p->sinks.rejects ? " (all are in --rejects)" : "");
    }
    if (p->sinks.rejects && text && !p->line_set_aside) { /* a line with several bad elements goes once */
        p->line_set_aside = true;
        flockfile(p->sinks.rejects); /* --workers: the shards set lines aside too */
        fwrite(text, 1, len, p->sinks.rejects);
        fputc('\n', p->sinks.rejects);
        funlockfile(p->sinks.rejects);
    }
}

storm_time_ns pipeline_default_time(const storm_pipeline *p)
{
    return p->opts.dating == STORM_PIPELINE_DATE_SOURCE ? p->source_time : p->last_time;
}

/* Baseline: learn during the first learn_for of event time, then enforce.
 * Returns false when the event is explained (dropped). */
static bool baseline_step(storm_pipeline *p, storm_event *ev, const char *record, size_t record_len, size_t index)
{
    storm_baseline *b = p->opts.baseline;
    if (p->opts.learn_for > 0 && ev->has_time && !p->learning_started) {
        p->learning_started = true;
        p->learn_until = ev->time + p->opts.learn_for;
    }
    bool learning = p->opts.learn_for > 0 && (!p->learning_started || !ev->has_time || ev->time < p->learn_until);
    if (learning) {
        storm_err err;
        err_reset(&err);
        if (storm_baseline_learn(b, ev, NULL, &err) == STORM_OK)
            p->st.baseline_learned++;
        return true;
    }
    storm_baseline_result res;
    storm_baseline_verdict v = storm_baseline_check(b, ev, p->opts.anomalies ? &res : NULL);
    if (v == STORM_BASELINE_EXPLAINED) {
        p->st.baseline_dropped++;
        if (p->sensor)
            p->sensor->st.baseline_dropped++;
        return false;
    }
    if (v == STORM_BASELINE_UNEXPLAINED && p->opts.anomalies) {
        storm_observation aobs;
        storm_err aerr;
        storm_err_clear(&aerr);
        storm_stix_opts so = {record, record_len, index, pipeline_default_time(p), p->opts.cluster};
        if (storm_stix_observe(p->arena, ev, &so, &aobs, &aerr) == STORM_OK) {
            pipeline_emit_anomaly(p, &aobs, &res);
            pipeline_session_anomaly(p, &aobs, &res);
        }
    }
    return true;
}

void pipeline_detect_event(storm_pipeline *p, storm_event *ev, const char *record, size_t record_len, size_t index,
                           const char *text, size_t text_len)
{
    storm_observation obs;
    storm_err err;
    err_reset(&err);
    if (p->sinks.observation) {
        storm_stix_opts so = {.record = record,
                              .record_len = record_len,
                              .record_index = index,
                              .default_time = pipeline_default_time(p),
                              .cluster = p->opts.cluster};
        storm_rc rc = storm_stix_observe(p->arena, ev, &so, &obs, &err);
        if (rc == STORM_OK)
            rc = p->sinks.observation(p->sinks.observation_ctx, &obs, ev, &err);
        if (rc != STORM_OK) {
            pipeline_reject(p, ev->source_name ? ev->source_name : "-", ev->source_line, 0, text, text_len,
                            "event %zu (%s): cannot convert: %s", index + 1, ev->type ? ev->type : "?",
                            err.msg[0] ? err.msg : storm_strerror(rc));
            return;
        }
        p->st.observations++;
        return;
    }
    /* lazy ids: the detector computes them for the observations it reads */
    storm_stix_opts so = {record, record_len, index, pipeline_default_time(p), p->opts.cluster, true};
    storm_detect_context dc = {
        ev->k8s.node,        ev->k8s.namespace_,         ev->k8s.pod,
        ev->process.exec_id, ev->process.parent_exec_id, ev->app.present ? ev->net.src_ip : NULL};
    /* most events interest no indicator: the index can often tell from the
     * event, and then its observation is never built */
    bool keep = p->opts.keep_observations && p->sinks.store;
    if (!keep && !storm_detector_wants(p->det, p->arena, ev, &so, &dc))
        return;
    if (storm_stix_observe(p->arena, ev, &so, &obs, &err) != STORM_OK) {
        pipeline_reject(p, ev->source_name ? ev->source_name : "-", ev->source_line, 0, text, text_len,
                        "event %zu (%s): cannot convert: %s", index + 1, ev->type ? ev->type : "?", err.msg);
        return;
    }
    p->st.observations++;
    if (keep) /* for a later storm hunt: the observation as a detector reads it back */
        pipeline_keep_observation(p, &obs);
    err_reset(&err);
    p->cur_ev = ev;
    p->cur_obs = &obs;
    p->cur_obs_serial++;
    if (storm_detector_feed_wanted(p->det, &obs, &dc, &err) != STORM_OK)
        fprintf(stderr, "%s: %s\n", p->opts.prog, err.msg);
    p->cur_ev = NULL;
    p->cur_obs = NULL;
}

void storm_pipeline_feed_observation(storm_pipeline *p, const storm_observation *obs, const storm_detect_context *ctx)
{
    if (!p->det)
        return;
    storm_err err;
    err_reset(&err);
    p->st.records_read++;
    p->st.observations++;
    if (storm_detector_feed(p->det, obs, ctx, &err) != STORM_OK)
        fprintf(stderr, "%s: %s\n", p->opts.prog, err.msg);
    pipeline_after_record(p);
}

static void process_event(storm_pipeline *p, storm_event *ev, const char *record, size_t record_len, size_t index,
                          const char *text, size_t text_len)
{
    p->st.events_decoded++;
    if (ev->has_time)
        p->last_time = ev->time;
    storm_time_ns t = ev->has_time ? ev->time : pipeline_default_time(p);
    if (t > p->fed_latest)
        p->fed_latest = t;
    if (p->workers) { /* --workers: the rest happens in the event's shard */
        pipeline_workers_event(p, ev, record, record_len, index, text, text_len);
        return;
    }
    if (p->sinks.event) {
        if (p->sink_rc == STORM_OK) {
            storm_err_clear(&p->sink_err);
            p->sink_rc = p->sinks.event(p->sinks.event_ctx, ev, &p->sink_err);
        }
        return;
    }
    if (p->sessions) /* lineage, addresses, identities: from every event, explained or not */
        storm_session_observe(p->sessions, ev);
    if (p->opts.baseline && !baseline_step(p, ev, record, record_len, index))
        return;
    pipeline_detect_event(p, ev, record, record_len, index, text, text_len);
    /* an anomaly joins the session its own event's sightings may just have opened */
    pipeline_session_anomaly_flush(p, ev);
}

/* Where an envelope's embedded record starts in the line: the position of
 * the outermost "payload"/"message"/"log"/"msg" string (0 when unknown). */
static size_t embedded_pos(const storm_value *root)
{
    static const char *const keys[] = {"payload", "message", "log", "msg"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const storm_value *v = storm_v_get(root, keys[k]);
        if (v && v->type == STORM_V_STRING && v->pos != STORM_POS_NONE)
            return v->pos;
    }
    return 0;
}

/* The bytes of root as the rejects sink gets it when it has no text of its
 * own (an element of an HTTP body's array): compact JSON, in the arena. */
static const char *record_json(storm_pipeline *p, const storm_value *root, size_t *len)
{
    storm_buf b;
    storm_buf_init(&b, (size_t)1 << 30);
    storm_json_write(&b, root, STORM_JSONW_COMPACT);
    char *s = b.data ? storm_arena_strndup(p->arena, b.data, b.len) : NULL;
    *len = s ? b.len : 0;
    storm_buf_free(&b);
    return s;
}

void storm_pipeline_feed_record(storm_pipeline *p, const storm_value *root, const char *source, uint64_t line,
                                const char *text, size_t len)
{
    pipeline_workers_direct(p, true); /* --workers: after the lines read before */
    p->line_set_aside = false;
    p->text_events = 0;
    pipeline_record_in_text(p, root, source, line, text, len);
    pipeline_after_record(p);
    pipeline_workers_direct(p, false);
}

void pipeline_decode_record(storm_arena *a, const storm_value *root, const storm_decoder *forced, pipeline_decoded *d)
{
    memset(d, 0, sizeof *d);
    d->rec = root;
    storm_err err;
    err_reset(&err);
    /* the same rules as every reader: storm_decode_classify */
    d->classify_rc = storm_decode_classify(a, root, forced, &d->rec, &d->dec, &err);
    if (d->classify_rc == STORM_OK) {
        err_reset(&err);
        d->rc = d->dec->decode(a, d->rec, &d->list, &d->skip, &err);
    }
    if (d->classify_rc != STORM_OK || (d->rc != STORM_OK && d->rc != STORM_ERR_UNSUPPORTED)) {
        d->err_offset = err.offset;
        d->err_msg = err.msg[0] ? storm_arena_strdup(a, err.msg) : NULL;
        if (err.msg[0] && !d->err_msg)
            d->err_msg = "out of memory";
    }
}

void pipeline_record_in_text(storm_pipeline *p, const storm_value *root, const char *source, uint64_t line,
                             const char *text, size_t len)
{
    pipeline_decoded d;
    pipeline_decode_record(p->arena, root, p->opts.forced, &d);
    pipeline_record_decoded(p, root, &d, source, line, text, len);
}

void pipeline_record_decoded(storm_pipeline *p, const storm_value *root, const pipeline_decoded *d, const char *source,
                             uint64_t line, const char *text, size_t len)
{
    const char *set_aside = text;
    size_t set_aside_len = len;
    if (!text && p->sinks.rejects)
        set_aside = record_json(p, root, &set_aside_len);
    storm_rc rc = d->classify_rc;
    const char *msg = d->err_msg ? d->err_msg : "";
    p->sensor = pipeline_sensor_of(p, rc == STORM_OK && d->dec && d->dec->name ? d->dec->name : "unknown");
    if (rc != STORM_OK) {
        p->sensor->st.events_read++;
        p->st.events_read++;
        /* a malformed envelope has a position in the text; the rest do not */
        pipeline_reject(p, source, line, text && rc != STORM_ERR_VALUE ? d->err_offset + 1 : 0, set_aside,
                        set_aside_len, "%s", msg);
        return;
    }
    rc = d->rc;
    if (rc == STORM_ERR_UNSUPPORTED) {
        p->sensor->st.events_read++;
        p->st.events_read++;
        p->st.events_skipped++;
        count_skip(p, d->skip);
        return;
    }
    if (rc != STORM_OK) {
        p->sensor->st.events_read++;
        p->st.events_read++;
        /* err_offset is a byte offset in the text the record was parsed
         * from: the line, or the envelope's embedded text */
        if (d->rec == root)
            pipeline_reject(p, source, line, text ? d->err_offset + 1 : 0, set_aside, set_aside_len, "%s: %s",
                            d->dec->name, msg[0] ? msg : storm_strerror(rc));
        else
            pipeline_reject(p, source, line, text ? embedded_pos(root) + 1 : 0, set_aside, set_aside_len,
                            "%s: %s (at byte %zu of the embedded record)", d->dec->name,
                            msg[0] ? msg : storm_strerror(rc), d->err_offset);
        return;
    }
    const storm_event_list list = d->list;
    if (list.n == 0)
        count_skip(p, "empty");
    p->st.events_read += list.n;
    p->sensor->st.events_read += list.n;
    /* the events of a text's records are numbered across its array
     * elements: two records on one line get two observed-data ids */
    size_t first = p->text_events;
    p->text_events += list.n;
    for (size_t i = 0; i < list.n; i++) {
        storm_event *ev = &list.items[i];
        ev->source_name = source;
        ev->source_line = line;
        process_event(p, ev, text, len, first + i, set_aside, set_aside_len);
    }
}

void pipeline_arena_reset(storm_pipeline *p)
{
    if (p->arena != p->sinks.event_arena) /* the caller keeps the events there */
        storm_arena_reset(p->arena);
}

void pipeline_after_record(storm_pipeline *p)
{
    if (p->workers)
        pipeline_workers_after_record(p);
    pipeline_arena_reset(p);
    if (++p->records_out % DB_BATCH_RECORDS == 0) /* the output's flush points: every 16384th record */
        pipeline_held_release(p);
    size_t release_every = p->opts.release_every ? p->opts.release_every : RELEASE_EVERY;
    if (p->opts.release_memory && p->records_out % release_every == 0)
        p->opts.release_memory(p->opts.release_memory_ctx);
    if (p->sinks.store && ++p->records_in_tx >= DB_BATCH_RECORDS)
        pipeline_db_commit(p);
    pipeline_progress_tick(p);
    pipeline_report(p);
}

void pipeline_report(storm_pipeline *p)
{
    if (p->opts.report && *p->opts.report) {
        *p->opts.report = 0;
        storm_pipeline_print_summary(p, stderr, elapsed(p));
    }
}
