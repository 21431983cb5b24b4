/* SPDX-License-Identifier: Apache-2.0 */
/* storm run: the main job. Sensor records in (files, stdin, --follow,
 * --listen), typed events, baseline, STIX observations, the detector,
 * sightings out (STIX JSON Lines or text) and into the store (--db). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <storm/io.h>
#include <storm/arena.h>
#include <storm/baseline.h>
#include <storm/decode.h>
#include <storm/detect.h>
#include <storm/intake.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/share.h>
#include <storm/source.h>
#include <storm/stix.h>
#include <storm/store.h>

#include "cli.h"
#include "storm_config.h"

#define RECORD_ARENA_CAP ((size_t)512 << 20)
/* a record's parse tree and observation: a Tetragon record of 2 KB takes
 * about 50 KB, so with 256 KB blocks a record never mallocs (the arena keeps
 * one block across resets) */
#define RECORD_ARENA_CHUNK ((size_t)256 << 10)
#define REJECTS_SHOWN 100           /* bad lines reported on stderr one by one */
#define DB_BATCH_RECORDS 4096       /* records per store transaction */
#define OUT_FLUSH_BYTES (1u << 16)

static volatile sig_atomic_t run_stop;
static volatile sig_atomic_t run_report;

static void on_stop(int sig)
{
    (void)sig;
    run_stop = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    run_report = 1;
}

typedef enum out_format { OUT_STIX, OUT_TEXT } out_format;

typedef struct run_stats {
    uint64_t records_read;     /* input records: non-blank lines (an array on one line is one),
                                  and HTTP bodies' lines or whole-JSON bodies */
    uint64_t events_read;      /* events those records hold: each decoded event (an audit EventList
                                  of 5 is 5, as in storm convert), each skipped record, and each
                                  rejected record or array element (its events cannot be known) */
    uint64_t events_rejected;  /* malformed or of no known sensor (per record or array element) */
    uint64_t events_skipped;   /* known records that are not events (unknown types, logs, metrics) */
    uint64_t events_decoded;   /* typed events */
    uint64_t baseline_learned;
    uint64_t baseline_dropped; /* explained by the workload's profile */
    uint64_t anomalies;
    uint64_t db_errors;
    uint64_t bytes_read;
} run_stats;

typedef struct run_ctx {
    out_format format;
    FILE *out;
    storm_buf line;            /* output line */
    FILE *rejects;
    bool line_set_aside;       /* the current line is already in --rejects */
    storm_store *store;
    uint64_t records_in_tx;
    bool in_tx;
    storm_detector *det;
    storm_baseline *baseline;
    bool anomalies;
    storm_time_ns learn_for;   /* 0: no learning phase */
    bool learning_started;
    storm_time_ns learn_until;
    storm_arena *arena;        /* per record */
    storm_time_ns last_time;   /* for events without a time */
    run_stats st;
    struct timespec t0;
    double ready_wall, ready_cpu; /* when the models were loaded and the detector built */
    bool ext_written;          /* store: extension definitions and Storm identity put */
} run_ctx;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: storm run [options] [INPUT... | -]\n\n"
            "Streams sensor events (Tetragon, Kubernetes audit, Falco, Kubescape, Hubble; JSON Lines),\n"
            "matches every indicator of the attack models and writes STIX 2.1 sightings.\n\n"
            "  --models PATH       attack model file or directory (repeatable; default: the shipped models/)\n"
            "  --db FILE           SQLite store: observations, sightings, indicators and models (idempotent);\n"
            "                      the models in its indicators collection (storm pull --db) are used too\n"
            "  --no-db-models      do not use the models found in the --db store\n"
            "  --format stix|text  output: STIX bundles as JSON Lines (default) or one line per sighting\n"
            "  -o, --output FILE   write the output there instead of standard output\n"
            "  --correlate global|node|pod|lineage\n"
            "                      which observations may combine in one match (default pod)\n"
            "  --identity NAME     name of this cluster (the sightings' where_sighted_refs; default storm)\n"
            "  --horizon DURATION  how long partial matches are held (default 1h)\n"
            "  --window DURATION   matches in the same aligned window of this length update one sighting (default 1h)\n"
            "  --state-cap N       partial matches held per pattern node and scope (default 64)\n"
            "  --baseline FILE     drop events the learned profiles explain (Storm db, JSON export, Kubescape YAML)\n"
            "  --learn-for DURATION  learn profiles from the first DURATION of event time, then enforce\n"
            "  --anomalies         emit unexplained events of profiled workloads as observations\n"
            "  --follow            keep reading a growing file (across rotation and truncation)\n"
            "  --listen ADDR:PORT  accept records over HTTP POST (default address 127.0.0.1)\n"
            "  --max-body BYTES    largest HTTP body accepted (default 16 MiB)\n"
            "  --rejects FILE      write bad lines there\n"
            "  --stats-json FILE   write the statistics there at exit\n"
            "  -q, --quiet         no statistics on standard error\n\n"
            "DURATION is a number with s, m, h or d (plain numbers are seconds).\n"
            "kill -USR1 prints the statistics while running.\n");
}

static bool parse_duration(const char *s, storm_time_ns *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    double mult = 1;
    if (*end == 's' || *end == '\0')
        mult = 1;
    else if (*end == 'm')
        mult = 60;
    else if (*end == 'h')
        mult = 3600;
    else if (*end == 'd')
        mult = 86400;
    else
        return false;
    if (*end && end[1])
        return false;
    double ns = v * mult * 1e9;
    if (ns > 9e18)
        return false;
    *out = (storm_time_ns)ns;
    return true;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double elapsed(const run_ctx *c)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - c->t0.tv_sec) + (double)(t.tv_nsec - c->t0.tv_nsec) / 1e9;
}

/* ---- the store ---- */

static void db_put(run_ctx *c, const char *collection, const storm_value *obj)
{
    if (!c->store)
        return;
    storm_err err;
    storm_err_clear(&err);
    if (!c->in_tx) {
        if (storm_store_begin(c->store, &err) != STORM_OK) {
            if (c->st.db_errors++ == 0)
                fprintf(stderr, "storm run: --db: %s\n", err.msg);
            return;
        }
        c->in_tx = true;
    }
    if (storm_store_put(c->store, collection, obj, NULL, &err) != STORM_OK && c->st.db_errors++ < 10)
        fprintf(stderr, "storm run: --db: cannot store %s: %s\n", storm_v_get_str(obj, "id"), err.msg);
}

static void db_commit(run_ctx *c)
{
    if (!c->store || !c->in_tx)
        return;
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_commit(c->store, &err) != STORM_OK && c->st.db_errors++ < 10)
        fprintf(stderr, "storm run: --db: commit failed: %s\n", err.msg);
    c->in_tx = false;
    c->records_in_tx = 0;
}

/* The last stored version of a sighting, as JSON text (malloc'ed, caller
 * frees), or NULL. */
typedef struct stored_json {
    char *json;
    size_t len;
} stored_json;

static int take_json(void *ctx, const storm_store_row *row)
{
    stored_json *sj = ctx;
    free(sj->json);
    sj->json = row->json ? strndup(row->json, row->json_len) : NULL;
    sj->len = sj->json ? row->json_len : 0;
    return 0;
}

static bool time_prop(const storm_value *o, const char *key, storm_time_ns *t)
{
    const char *s = storm_v_get_str(o, key);
    return s && storm_time_parse(s, strlen(s), STORM_TIME_STIX_STRICT, t);
}

static bool has_str(const storm_value *arr, const storm_value *s)
{
    for (size_t i = 0; arr && arr->type == STORM_V_ARRAY && i < arr->u.a.len; i++)
        if (storm_v_equal(arr->u.a.items[i], s))
            return true;
    return false;
}

#define MERGED_REFS_CAP 32

/* A sighting version merged with the version already in the store (another
 * run over the same or overlapping input, in any order): first_seen the
 * earliest, last_seen the latest, count the larger (the same events counted
 * twice must not double it), observed_data_refs the union up to the cap,
 * created kept. Returns NULL when the store already says all this (nothing
 * to add: re-processing is idempotent), else the object to put (in a). */
static const storm_value *merge_stored_sighting(run_ctx *c, storm_arena *a, const storm_value *sg)
{
    const char *id = storm_v_get_str(sg, "id");
    if (!id)
        return sg;
    const char *ids[1] = {id};
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_SIGHTINGS;
    q.ids = ids;
    q.n_ids = 1;
    q.version_flags = STORM_STORE_VERSION_LAST;
    q.limit = 1;
    q.with_json = true;
    stored_json sj = {NULL, 0};
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_query_objects(c->store, &q, take_json, &sj, NULL, NULL, &err) != STORM_OK || !sj.json) {
        free(sj.json);
        return sg;
    }
    storm_value *old = NULL;
    storm_rc rc = storm_json_parse(a, sj.json, sj.len, STORM_JSON_DEFAULT, &old, NULL, &err);
    if (rc != STORM_OK || !old || old->type != STORM_V_OBJECT) {
        free(sj.json);
        return sg;
    }
    storm_time_ns of, ol, om, nf, nl, nm;
    if (!time_prop(old, "first_seen", &of) || !time_prop(old, "last_seen", &ol) || !time_prop(old, "modified", &om) ||
        !time_prop(sg, "first_seen", &nf) || !time_prop(sg, "last_seen", &nl) || !time_prop(sg, "modified", &nm)) {
        free(sj.json);
        return sg;
    }
    const storm_value *oc = storm_v_get(old, "count"), *nc = storm_v_get(sg, "count");
    int64_t ocount = oc && oc->type == STORM_V_INT ? oc->u.i : 0, ncount = nc && nc->type == STORM_V_INT ? nc->u.i : 0;
    const storm_value *orefs = storm_v_get(old, "observed_data_refs"), *nrefs = storm_v_get(sg, "observed_data_refs");
    storm_value *refs = storm_v_array(a);
    size_t n_old_refs = 0;
    for (size_t i = 0; refs && orefs && orefs->type == STORM_V_ARRAY && i < orefs->u.a.len; i++, n_old_refs++)
        storm_v_push(a, refs, orefs->u.a.items[i]);
    for (size_t i = 0; refs && nrefs && nrefs->type == STORM_V_ARRAY && i < nrefs->u.a.len; i++)
        if (refs->u.a.len < MERGED_REFS_CAP && !has_str(refs, nrefs->u.a.items[i]))
            storm_v_push(a, refs, nrefs->u.a.items[i]);
    storm_time_ns mf = nf < of ? nf : of, ml = nl > ol ? nl : ol;
    int64_t mcount = ncount > ocount ? ncount : ocount;
    bool changed = mf != of || ml != ol || mcount != ocount || (refs && refs->u.a.len != n_old_refs);
    if (!changed) {
        free(sj.json);
        return NULL;
    }
    storm_value *m = storm_v_copy(a, sg);
    if (!m || !refs) {
        free(sj.json);
        return sg;
    }
    char t[40];
    const char *created = storm_v_get_str(old, "created");
    if (created)
        storm_v_set_str(a, m, "created", created);
    storm_time_format_stix(mf, STORM_TIME_STIX_ANY, t);
    storm_v_set_str(a, m, "first_seen", t);
    storm_time_format_stix(ml, STORM_TIME_STIX_ANY, t);
    storm_v_set_str(a, m, "last_seen", t);
    storm_time_format_stix(nm > om ? nm : om + 1000000, STORM_TIME_STIX_MS, t); /* a new version needs a later modified */
    storm_v_set_str(a, m, "modified", t);
    storm_v_set_int(a, m, "count", mcount);
    if (refs->u.a.len)
        storm_v_set(a, m, "observed_data_refs", refs);
    free(sj.json);
    return m;
}

/* ---- models pulled into the store ---- */

typedef struct db_models {
    storm_models *m;
    storm_buf json; /* a JSON array of the objects to load */
    size_t n;
} db_models;

static int collect_model_row(void *ctx, const storm_store_row *row)
{
    db_models *dm = ctx;
    if (!row->json || storm_models_has_id(dm->m, row->id))
        return 0; /* the files given win; our own earlier run stored them too */
    storm_buf_putc(&dm->json, dm->n++ ? ',' : '[');
    storm_buf_append(&dm->json, row->json, row->json_len);
    return 0;
}

/* The attack models of the store's "indicators" collection (what `storm pull
 * --db` fetched from other clusters, and earlier runs' models): the last
 * version of each indicator, attack-pattern, relationship and intrusion-set
 * not loaded from a file. Returns how many were found. */
static size_t load_store_models(storm_models *m, storm_store *store, const char *db)
{
    static const char *const types[] = {"indicator", "attack-pattern", "relationship", "intrusion-set"};
    db_models dm = {m, {0}, 0};
    storm_buf_init(&dm.json, (size_t)1 << 30);
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_INDICATORS;
    q.types = types;
    q.n_types = sizeof types / sizeof types[0];
    q.version_flags = STORM_STORE_VERSION_LAST;
    q.limit = STORM_STORE_QUERY_LIMIT_MAX;
    q.with_json = true;
    bool more = true;
    while (more) {
        int64_t next = 0;
        storm_err err;
        storm_err_clear(&err);
        if (storm_store_query_objects(store, &q, collect_model_row, &dm, &more, &next, &err) != STORM_OK)
            break; /* no such collection yet: nothing pulled */
        q.after_key = next;
    }
    if (dm.n) {
        storm_buf_putc(&dm.json, ']');
        char name[PATH_MAX + 32];
        snprintf(name, sizeof name, "%s#indicators", db);
        storm_err err;
        storm_err_clear(&err);
        storm_models_load_text(m, name, dm.json.data, dm.json.len, &err);
    }
    storm_buf_free(&dm.json);
    return dm.n;
}

/* ---- output ---- */

static void out_flush(run_ctx *c, bool force)
{
    if (c->line.len && (force || c->line.len >= OUT_FLUSH_BYTES)) {
        fwrite(c->line.data, 1, c->line.len, c->out);
        storm_buf_reset(&c->line);
        if (force)
            fflush(c->out);
    }
}

/* The extension-definitions used by obj (its "extensions" keys). */
static void add_used_extensions(const storm_value *obj, bool used[STORM_STIX_EXT__COUNT])
{
    const storm_value *ext = storm_v_get(obj, "extensions");
    if (!ext || ext->type != STORM_V_OBJECT)
        return;
    for (size_t i = 0; i < ext->u.o.len; i++)
        for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
            const storm_stix_ext_info *info = storm_stix_ext_get((storm_stix_ext)e);
            if (info && strlen(info->id) == ext->u.o.members[i].key_len &&
                memcmp(info->id, ext->u.o.members[i].key, ext->u.o.members[i].key_len) == 0)
                used[e] = true;
        }
}

static void on_sighting(void *ctx, const storm_detect_sighting *s)
{
    run_ctx *c = ctx;
    storm_arena *a = storm_arena_new(0, 0);
    if (!a)
        return;
    bool used[STORM_STIX_EXT__COUNT] = {false};
    for (size_t i = 0; i < s->n_objects; i++)
        add_used_extensions(s->objects[i], used);
    storm_value *storm_id = storm_stix_identity(a);
    storm_value *defs[STORM_STIX_EXT__COUNT] = {0};
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
        if (used[e])
            defs[e] = storm_stix_extension_definition(a, (storm_stix_ext)e);
    const char *sid = storm_v_get_str(s->sighting, "id");
    const char *mod = storm_v_get_str(s->sighting, "modified");
    if (c->format == OUT_STIX) {
        storm_value *bundle = storm_v_object(a);
        storm_value *objs = storm_v_array(a);
        char name[512], uuid[37];
        snprintf(name, sizeof name, "%s|%s", sid ? sid : "", mod ? mod : "");
        storm_stix_uuid5(STORM_STIX_SCO_NAMESPACE, name, strlen(name), uuid);
        char bid[64];
        snprintf(bid, sizeof bid, "bundle--%s", uuid);
        if (bundle && objs) {
            storm_v_set_str(a, bundle, "type", "bundle");
            storm_v_set_str(a, bundle, "id", bid);
            storm_v_push(a, objs, (storm_value *)s->sighting);
            for (size_t i = 0; i < s->n_objects; i++)
                storm_v_push(a, objs, (storm_value *)s->objects[i]);
            /* every line stands alone (a consumer may read any one of
             * them): Storm's identity, the extension-definitions its SCOs
             * use, the indicator sighted and the TLP markings it carries */
            if (storm_id)
                storm_v_push(a, objs, storm_id);
            for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
                if (defs[e])
                    storm_v_push(a, objs, defs[e]);
            const storm_value *ind = s->indicator->object;
            if (ind) {
                storm_v_push(a, objs, (storm_value *)ind);
                const storm_value *marks = storm_v_get(ind, "object_marking_refs");
                for (size_t i = 0; marks && marks->type == STORM_V_ARRAY && i < marks->u.a.len; i++) {
                    const storm_value *mk = marks->u.a.items[i];
                    for (int t = STORM_TLP_CLEAR; mk->type == STORM_V_STRING && t <= STORM_TLP_RED; t++)
                        if (strcmp(mk->u.s.ptr, storm_tlp_marking_id((storm_tlp)t)) == 0) {
                            storm_value *md = storm_tlp_marking_definition(a, (storm_tlp)t);
                            if (md)
                                storm_v_push(a, objs, md);
                        }
                }
            }
            storm_v_set(a, bundle, "objects", objs);
            storm_json_write(&c->line, bundle, STORM_JSONW_COMPACT);
            storm_buf_putc(&c->line, '\n');
        }
    } else {
        char when[40];
        storm_time_format(s->last_seen, 3, when);
        storm_buf_printf(&c->line, "%s  %s  %s  %s  %s", when, s->place, s->step ? s->step->name : "-",
                         s->indicator->name, s->evidence);
        if (s->count > 1)
            storm_buf_printf(&c->line, "  (x%llu since %s)", (unsigned long long)s->count,
                             storm_v_get_str(s->sighting, "first_seen"));
        storm_buf_putc(&c->line, '\n');
    }
    if (c->store) {
        const storm_value *merged = merge_stored_sighting(c, a, s->sighting);
        if (merged)
            db_put(c, STORM_COLLECTION_SIGHTINGS, merged);
        for (size_t i = 0; i < s->n_objects; i++) {
            const char *type = storm_v_get_str(s->objects[i], "type");
            db_put(c, type && strcmp(type, "identity") == 0 ? STORM_COLLECTION_SIGHTINGS : STORM_COLLECTION_OBSERVATIONS,
                   s->objects[i]);
        }
        if (!c->ext_written) {
            c->ext_written = true;
            if (storm_id)
                db_put(c, STORM_COLLECTION_OBSERVATIONS, storm_id);
            for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
                storm_value *d = defs[e] ? defs[e] : storm_stix_extension_definition(a, (storm_stix_ext)e);
                if (d)
                    db_put(c, STORM_COLLECTION_OBSERVATIONS, d);
            }
        }
    }
    out_flush(c, c->format == OUT_TEXT);
    storm_arena_free(a);
}

/* ---- input ---- */

/* storm_err_clear zeroes 540 bytes; per event, only what storm_err_set and
 * the messages read need */
static inline void err_reset(storm_err *e)
{
    e->rc = STORM_OK;
    e->offset = e->len = 0;
    e->line = e->col = 0;
    e->msg[0] = '\0';
}

static void reject(run_ctx *c, const char *source, uint64_t line, const char *text, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void reject(run_ctx *c, const char *source, uint64_t line, const char *text, size_t len, const char *fmt, ...)
{
    c->st.events_rejected++;
    if (c->st.events_rejected <= REJECTS_SHOWN) {
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fprintf(stderr, "%s:%llu: %s\n", source, (unsigned long long)line, msg);
        if (c->st.events_rejected == REJECTS_SHOWN)
            fprintf(stderr, "storm run: further rejected lines are counted, not shown%s\n",
                    c->rejects ? " (all are in --rejects)" : "");
    }
    if (c->rejects && text && !c->line_set_aside) { /* a line with several bad elements goes once */
        c->line_set_aside = true;
        fwrite(text, 1, len, c->rejects);
        fputc('\n', c->rejects);
    }
}

static void emit_anomaly(run_ctx *c, const storm_observation *obs, const storm_baseline_result *res)
{
    c->st.anomalies++;
    if (c->format == OUT_STIX) {
        storm_stix_write_observation_bundle(&c->line, obs);
        storm_buf_putc(&c->line, '\n');
    } else {
        char when[40];
        storm_time_format(obs->first_observed, 3, when);
        storm_buf_printf(&c->line, "%s  anomaly  %s  %s\n", when, res->workload, res->reason);
    }
    if (c->store) {
        if (obs->sdo)
            db_put(c, STORM_COLLECTION_OBSERVATIONS, obs->sdo);
        for (size_t i = 0; i < obs->n_objects; i++)
            db_put(c, STORM_COLLECTION_OBSERVATIONS, obs->objects[i].value);
    }
    out_flush(c, false);
}

static void process_event(run_ctx *c, storm_event *ev, const char *record, size_t record_len, size_t index)
{
    c->st.events_decoded++;
    if (ev->has_time)
        c->last_time = ev->time;
    if (c->baseline) {
        if (c->learn_for > 0 && ev->has_time && !c->learning_started) {
            c->learning_started = true;
            c->learn_until = ev->time + c->learn_for;
        }
        bool learning = c->learn_for > 0 && (!c->learning_started || !ev->has_time || ev->time < c->learn_until);
        if (learning) {
            storm_err err;
            err_reset(&err);
            if (storm_baseline_learn(c->baseline, ev, NULL, &err) == STORM_OK)
                c->st.baseline_learned++;
        } else {
            storm_baseline_result res;
            storm_baseline_verdict v = storm_baseline_check(c->baseline, ev, c->anomalies ? &res : NULL);
            if (v == STORM_BASELINE_EXPLAINED) {
                c->st.baseline_dropped++;
                return;
            }
            if (v == STORM_BASELINE_UNEXPLAINED && c->anomalies) {
                storm_observation aobs;
                storm_err aerr;
                storm_err_clear(&aerr);
                storm_stix_opts so = {record, record_len, index, c->last_time, NULL};
                if (storm_stix_observe(c->arena, ev, &so, &aobs, &aerr) == STORM_OK)
                    emit_anomaly(c, &aobs, &res);
            }
        }
    }
    storm_observation obs;
    storm_err err;
    err_reset(&err);
    /* lazy ids: the detector computes them for the observations it reads */
    storm_stix_opts so = {record, record_len, index, c->last_time, NULL, true};
    storm_detect_context dc = {ev->k8s.node, ev->k8s.namespace_, ev->k8s.pod, ev->process.exec_id,
                               ev->process.parent_exec_id};
    /* most events interest no indicator: the index can often tell from the
     * event, and then its observation is never built */
    if (!storm_detector_wants(c->det, c->arena, ev, &so, &dc))
        return;
    if (storm_stix_observe(c->arena, ev, &so, &obs, &err) != STORM_OK) {
        reject(c, ev->source_name ? ev->source_name : "-", ev->source_line, NULL, 0, "cannot build the observation: %s",
               err.msg);
        return;
    }
    err_reset(&err);
    if (storm_detector_feed(c->det, &obs, &dc, &err) != STORM_OK)
        fprintf(stderr, "storm run: %s\n", err.msg);
}

/* One parsed record (an element of an array, a line, a body). */
static void process_record(run_ctx *c, const storm_value *root, const char *source, uint64_t line, const char *text,
                           size_t len)
{
    const storm_value *rec = storm_decode_unwrap(c->arena, root);
    const storm_decoder *dec = rec && rec->type == STORM_V_OBJECT ? storm_decoder_detect(rec) : NULL;
    if (!dec) {
        c->st.events_read++;
        reject(c, source, line, text, len, "not a record of a known sensor (tetragon, k8s-audit, falco, kubescape, hubble)");
        return;
    }
    storm_event_list list = {0};
    const char *skip = NULL;
    storm_err err;
    err_reset(&err);
    storm_rc rc = dec->decode(c->arena, rec, &list, &skip, &err);
    if (rc == STORM_ERR_UNSUPPORTED) {
        c->st.events_read++;
        c->st.events_skipped++;
        return;
    }
    if (rc != STORM_OK) {
        c->st.events_read++;
        reject(c, source, line, text, len, "%s record: %s", dec->name, err.msg[0] ? err.msg : storm_strerror(rc));
        return;
    }
    c->st.events_read += list.n;
    for (size_t i = 0; i < list.n; i++) {
        storm_event *ev = &list.items[i];
        ev->source_name = source;
        ev->source_line = line;
        process_event(c, ev, text, len, i);
    }
}

static void after_record(run_ctx *c)
{
    storm_arena_reset(c->arena);
    if (c->store && c->in_tx && ++c->records_in_tx >= DB_BATCH_RECORDS)
        db_commit(c);
    if (run_report) {
        run_report = 0;
        storm_detect_stats ds;
        storm_detector_get_stats(c->det, &ds);
        fprintf(stderr,
                "storm run: %llu events read, %llu rejected, %llu skipped, %llu dropped by the baseline, "
                "%llu observations matched, %llu sightings, %llu partial matches held, %llu evicted, %.1f s, "
                "%.0f events/s\n",
                (unsigned long long)c->st.events_read, (unsigned long long)c->st.events_rejected,
                (unsigned long long)c->st.events_skipped, (unsigned long long)c->st.baseline_dropped,
                (unsigned long long)ds.observations_matched, (unsigned long long)ds.sightings,
                (unsigned long long)ds.states_held, (unsigned long long)ds.states_evicted, elapsed(c),
                elapsed(c) > 0 ? (double)c->st.events_read / elapsed(c) : 0.0);
    }
}

/* A text holding one JSON value (object or array of records). */
static void process_text(run_ctx *c, const char *source, uint64_t line, const char *text, size_t len)
{
    c->st.bytes_read += len + 1;
    c->st.records_read++;
    c->line_set_aside = false;
    storm_value *root = NULL;
    storm_err err;
    err_reset(&err);
    if (storm_json_parse(c->arena, text, len, STORM_JSON_DEFAULT, &root, NULL, &err) != STORM_OK) {
        c->st.events_read++;
        storm_err_locate(&err, text, len);
        reject(c, source, line, text, len, "column %u: not JSON: %s", err.col, err.msg);
        after_record(c);
        return;
    }
    if (root->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < root->u.a.len; i++)
            process_record(c, root->u.a.items[i], source, line, text, len);
    } else {
        process_record(c, root, source, line, text, len);
    }
    after_record(c);
}

static int run_source(run_ctx *c, const char *path, bool follow)
{
    storm_source_opts so = {0};
    so.follow = follow;
    so.stop = &run_stop;
    storm_source *src = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_source_open(path, &so, &src, &err) != STORM_OK) {
        fprintf(stderr, "storm run: %s\n", err.msg);
        return CLI_FAIL;
    }
    /* Until a record brings a time, records without one are dated as
     * storm convert dates them: the file's modification time (stable across
     * re-runs), or for standard input the time of the run. */
    if (c->last_time == 0)
        c->last_time = storm_file_mtime(path, storm_time_now());
    storm_line ln;
    int rc = CLI_OK;
    for (;;) {
        storm_err_clear(&err);
        storm_rc r = storm_source_next(src, &ln, &err);
        if (r == STORM_ERR_NOTFOUND)
            break;
        if (r != STORM_OK) {
            fprintf(stderr, "storm run: %s: %s\n", path, err.msg);
            rc = CLI_FAIL;
            break;
        }
        if (ln.status == STORM_LINE_TOO_LONG) {
            c->st.records_read++;
            c->st.events_read++;
            c->st.bytes_read += ln.total_len;
            reject(c, ln.source, ln.number, NULL, 0, "line of %zu bytes is longer than the limit", ln.total_len);
            continue;
        }
        if (ln.status == STORM_LINE_BAD_UTF8) {
            c->st.records_read++;
            c->st.events_read++;
            c->line_set_aside = false;
            reject(c, ln.source, ln.number, ln.text, ln.len, "column %zu: invalid UTF-8", ln.bad_offset + 1);
            continue;
        }
        size_t s = 0, e = ln.len;
        while (s < e && (ln.text[s] == ' ' || ln.text[s] == '\t'))
            s++;
        while (e > s && (ln.text[e - 1] == ' ' || ln.text[e - 1] == '\t' || ln.text[e - 1] == '\r'))
            e--;
        if (s == e)
            continue; /* blank line */
        process_text(c, ln.source, ln.number, ln.text + s, e - s);
        if (run_stop)
            break;
    }
    storm_source_close(src);
    return rc;
}

/* An HTTP body: one JSON value, or JSON Lines. */
static void run_body(run_ctx *c, const char *body, size_t len, uint64_t request)
{
    char source[64];
    snprintf(source, sizeof source, "http#%llu", (unsigned long long)request);
    storm_value *root = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_json_parse(c->arena, body, len, STORM_JSON_DEFAULT, &root, NULL, &err) == STORM_OK) {
        c->st.bytes_read += len;
        c->st.records_read++;
        c->line_set_aside = false;
        if (root->type == STORM_V_ARRAY)
            for (size_t i = 0; i < root->u.a.len; i++)
                process_record(c, root->u.a.items[i], source, i + 1, NULL, 0);
        else
            process_record(c, root, source, 1, body, len);
        after_record(c);
        return;
    }
    storm_arena_reset(c->arena);
    size_t off = 0, n;
    uint64_t line = 0;
    const char *text;
    while (storm_json_lines_next(body, len, &off, &line, &text, &n))
        process_text(c, source, line, text, n);
}

/* ---- models ---- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shipped library: $STORM_MODELS, the installed data dir, the source
 * tree next to the binary (build/src/cli/storm -> models/), the source tree
 * known at configure time (a build directory anywhere), ./models. */
static const char *default_models(char *buf, size_t cap)
{
    const char *env = getenv("STORM_MODELS");
    if (env && is_dir(env))
        return env;
    snprintf(buf, cap, "%s/models", STORM_DATADIR);
    if (is_dir(buf))
        return buf;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        for (int up = 0; slash && up < 5; up++) {
            *slash = '\0';
            snprintf(buf, cap, "%s/models", exe);
            if (is_dir(buf) && strcmp(exe, "") != 0)
                return buf;
            slash = strrchr(exe, '/');
        }
    }
#ifdef STORM_SOURCE_MODELS
    if (is_dir(STORM_SOURCE_MODELS))
        return STORM_SOURCE_MODELS;
#endif
    if (is_dir("models"))
        return "models";
    return NULL;
}

static int write_stats_json(const run_ctx *c, const storm_detect_stats *ds, const char *path, double secs)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "storm run: --stats-json %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "{\"records_read\":%llu,\"events_read\":%llu,\"events_rejected\":%llu,\"events_skipped\":%llu,\"events_decoded\":%llu,"
            "\"baseline_learned\":%llu,\"baseline_dropped\":%llu,\"anomalies\":%llu,"
            "\"observations\":%llu,\"observations_built\":%llu,\"observations_matched\":%llu,\"candidates\":%llu,\"matches\":%llu,"
            "\"sightings\":%llu,\"sighting_updates\":%llu,\"states_held\":%llu,\"states_evicted\":%llu,"
            "\"scopes_held\":%llu,\"match_errors\":%llu,\"indicators\":%zu,\"leaves\":%zu,"
            "\"regex_prefiltered\":%zu,\"regex_unindexed\":%zu,\"db_errors\":%llu,\"bytes_read\":%llu,"
            "\"seconds\":%.6f,\"events_per_second\":%.1f,\"startup_seconds\":%.6f,\"processing_seconds\":%.6f,"
            "\"processing_cpu_seconds\":%.6f,\"events_per_cpu_second\":%.1f}\n",
            (unsigned long long)c->st.records_read, (unsigned long long)c->st.events_read,
            (unsigned long long)c->st.events_rejected, (unsigned long long)c->st.events_skipped,
            (unsigned long long)c->st.events_decoded,
            (unsigned long long)c->st.baseline_learned, (unsigned long long)c->st.baseline_dropped,
            (unsigned long long)c->st.anomalies, (unsigned long long)ds->observations,
            (unsigned long long)(ds->observations - ds->prefiltered), (unsigned long long)ds->observations_matched, (unsigned long long)ds->candidates,
            (unsigned long long)ds->matches, (unsigned long long)ds->sightings,
            (unsigned long long)ds->sighting_updates, (unsigned long long)ds->states_held,
            (unsigned long long)ds->states_evicted, (unsigned long long)ds->scopes_held,
            (unsigned long long)ds->match_errors, ds->indicators, ds->leaves, ds->regex_prefiltered,
            ds->regex_unindexed, (unsigned long long)c->st.db_errors, (unsigned long long)c->st.bytes_read, secs,
            secs > 0 ? (double)c->st.events_read / secs : 0.0, c->ready_wall, secs - c->ready_wall,
            cpu_now() - c->ready_cpu,
            cpu_now() - c->ready_cpu > 0 ? (double)c->st.events_read / (cpu_now() - c->ready_cpu) : 0.0);
    return fclose(f) == 0 ? 0 : -1;
}

enum {
    OPT_MODELS = 256, OPT_DB, OPT_FORMAT, OPT_CORRELATE, OPT_IDENTITY, OPT_BASELINE, OPT_LEARN_FOR, OPT_ANOMALIES,
    OPT_FOLLOW, OPT_LISTEN, OPT_REJECTS, OPT_STATS_JSON, OPT_HORIZON, OPT_WINDOW, OPT_STATE_CAP, OPT_MAX_BODY,
    OPT_NO_DB_MODELS,
};

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"models", required_argument, NULL, OPT_MODELS},
        {"db", required_argument, NULL, OPT_DB},
        {"no-db-models", no_argument, NULL, OPT_NO_DB_MODELS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"correlate", required_argument, NULL, OPT_CORRELATE},
        {"identity", required_argument, NULL, OPT_IDENTITY},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"learn-for", required_argument, NULL, OPT_LEARN_FOR},
        {"anomalies", no_argument, NULL, OPT_ANOMALIES},
        {"follow", no_argument, NULL, OPT_FOLLOW},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"rejects", required_argument, NULL, OPT_REJECTS},
        {"stats-json", required_argument, NULL, OPT_STATS_JSON},
        {"horizon", required_argument, NULL, OPT_HORIZON},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"state-cap", required_argument, NULL, OPT_STATE_CAP},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *models[64];
    size_t n_models = 0;
    const char *db = NULL, *output = NULL, *baseline = NULL, *listen = NULL, *rejects = NULL, *stats_json = NULL;
    bool follow = false, quiet = false, db_models_too = true;
    size_t max_body = 0;
    storm_detect_opts dopts = {0};
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.format = OUT_STIX;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_MODELS:
            if (n_models == sizeof models / sizeof models[0])
                return cli_usage_error("run", "at most %zu --models", sizeof models / sizeof models[0]);
            models[n_models++] = optarg;
            break;
        case OPT_DB: db = optarg; break;
        case OPT_NO_DB_MODELS: db_models_too = false; break;
        case 'o': output = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "stix") == 0 || strcmp(optarg, "json") == 0)
                c.format = OUT_STIX;
            else if (strcmp(optarg, "text") == 0)
                c.format = OUT_TEXT;
            else
                return cli_usage_error("run", "--format: expected stix or text, got '%s'", optarg);
            break;
        case OPT_CORRELATE:
            if (!storm_correlate_parse(optarg, &dopts.correlate))
                return cli_usage_error("run", "--correlate: expected global, node, pod or lineage, got '%s'", optarg);
            break;
        case OPT_IDENTITY: dopts.identity = optarg; break;
        case OPT_BASELINE: baseline = optarg; break;
        case OPT_LEARN_FOR:
            if (!parse_duration(optarg, &c.learn_for) || c.learn_for == 0)
                return cli_usage_error("run", "--learn-for: '%s' is not a duration like 30m", optarg);
            break;
        case OPT_ANOMALIES: c.anomalies = true; break;
        case OPT_FOLLOW: follow = true; break;
        case OPT_LISTEN: listen = optarg; break;
        case OPT_MAX_BODY: {
            char *end = NULL;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || v == 0)
                return cli_usage_error("run", "--max-body: '%s' is not a positive number of bytes", optarg);
            max_body = (size_t)v;
            break;
        }
        case OPT_REJECTS: rejects = optarg; break;
        case OPT_STATS_JSON: stats_json = optarg; break;
        case OPT_HORIZON:
            if (!parse_duration(optarg, &dopts.horizon) || dopts.horizon == 0)
                return cli_usage_error("run", "--horizon: '%s' is not a duration like 1h", optarg);
            break;
        case OPT_WINDOW:
            if (!parse_duration(optarg, &dopts.sighting_window) || dopts.sighting_window == 0)
                return cli_usage_error("run", "--window: '%s' is not a duration like 10m", optarg);
            break;
        case OPT_STATE_CAP: {
            char *end = NULL;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v == 0 || v > 1000000)
                return cli_usage_error("run", "--state-cap: expected 1..1000000, got '%s'", optarg);
            dopts.state_cap = v;
            break;
        }
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return CLI_OK;
        default:
            return cli_usage_error("run", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int n_inputs = argc - optind;
    if (follow && listen)
        return cli_usage_error("run", "--follow and --listen cannot be combined; run two storm processes");
    if (follow && n_inputs != 1)
        return cli_usage_error("run", "--follow takes exactly one input file");
    if (c.anomalies && !baseline && !c.learn_for)
        return cli_usage_error("run", "--anomalies needs --baseline or --learn-for");
    if (listen) {
        storm_err lerr;
        storm_err_clear(&lerr);
        if (storm_intake_check_listen(listen, &lerr) != STORM_OK)
            return cli_usage_error("run", "%s", lerr.msg);
    }

    clock_gettime(CLOCK_MONOTONIC, &c.t0);
    char defbuf[PATH_MAX + 16];
    if (!n_models) {
        const char *d = default_models(defbuf, sizeof defbuf);
        if (!d) {
            fprintf(stderr, "storm run: no --models given and the shipped models/ directory was not found "
                            "(set STORM_MODELS)\n");
            return CLI_USAGE;
        }
        models[n_models++] = d;
    }
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK)
        return CLI_FAIL;
    for (size_t i = 0; i < n_models; i++) {
        storm_err err;
        storm_err_clear(&err);
        storm_models_load_path(m, models[i], &err);
    }
    if (db) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_store_open(db, STORM_STORE_READWRITE, &c.store, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --db %s: %s\n", db, err.msg);
            storm_models_free(m);
            return CLI_FAIL;
        }
        size_t n = db_models_too ? load_store_models(m, c.store, db) : 0;
        if (n && !quiet)
            fprintf(stderr, "storm run: %zu model objects from %s (indicators collection) used as well\n", n, db);
    }
    storm_models_finish(m);
    size_t n_fatal = 0;
    for (size_t i = 0; i < storm_models_n_defects(m); i++)
        n_fatal += storm_models_defect(m, i)->fatal;
    if (!quiet && storm_models_n_defects(m))
        fprintf(stderr, "storm run: the models have %zu defects (%zu left an object out); see 'storm models lint'\n",
                storm_models_n_defects(m), n_fatal);
    if (!storm_models_n_indicators(m)) {
        fprintf(stderr, "storm run: no usable indicator in the models\n");
        if (c.store)
            storm_store_close(c.store);
        storm_models_free(m);
        return CLI_FAIL;
    }

    int rc = CLI_OK;
    storm_err err;
    storm_err_clear(&err);
    storm_intake *intake = NULL;
    storm_buf_init(&c.line, (size_t)1 << 30);
    c.out = stdout;
    c.arena = storm_arena_new(RECORD_ARENA_CHUNK, RECORD_ARENA_CAP);
    if (!c.arena) {
        if (c.store)
            storm_store_close(c.store);
        storm_models_free(m);
        return CLI_FAIL;
    }
    if (output && !(c.out = fopen(output, "w"))) {
        fprintf(stderr, "storm run: -o %s: %s\n", output, strerror(errno));
        rc = CLI_FAIL;
        goto done;
    }
    if (rejects && !(c.rejects = fopen(rejects, "w"))) {
        fprintf(stderr, "storm run: --rejects %s: %s\n", rejects, strerror(errno));
        rc = CLI_FAIL;
        goto done;
    }
    if (baseline) {
        storm_err_clear(&err);
        if (storm_baseline_open_file(baseline, NULL, &c.baseline, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --baseline %s: %s\n", baseline, err.msg);
            rc = CLI_FAIL;
            goto done;
        }
    } else if (c.learn_for) {
        storm_err_clear(&err);
        if (storm_baseline_open(c.store, NULL, &c.baseline, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --learn-for: %s\n", err.msg);
            rc = CLI_FAIL;
            goto done;
        }
    }
    storm_err_clear(&err);
    if (storm_detector_new(m, &dopts, on_sighting, &c, &c.det, &err) != STORM_OK) {
        fprintf(stderr, "storm run: %s\n", err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    if (c.store) { /* the models themselves, so that a TAXII client sees what was sighted */
        db_put(&c, STORM_COLLECTION_INDICATORS, storm_detector_identity(c.det));
        unsigned used = 0; /* the definitions of the x_* properties the patterns name */
        for (size_t i = 0; i < storm_models_n_objects(m); i++) {
            const storm_value *obj = storm_models_object(m, i);
            db_put(&c, STORM_COLLECTION_INDICATORS, obj);
            used |= storm_stix_ext_mask_of_pattern(storm_v_get_str(obj, "pattern"));
        }
        for (int e = 0; used && e < STORM_STIX_EXT__COUNT; e++)
            if (used & 1u << e)
                db_put(&c, STORM_COLLECTION_INDICATORS, storm_stix_extension_definition(c.arena, (storm_stix_ext)e));
        if (used)
            db_put(&c, STORM_COLLECTION_INDICATORS, storm_stix_identity(c.arena));
        storm_arena_reset(c.arena);
        db_commit(&c);
    }
    c.ready_wall = elapsed(&c);
    c.ready_cpu = cpu_now();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    if (n_inputs == 0 && !listen)
        rc = run_source(&c, "-", false);
    for (int i = 0; i < n_inputs && !run_stop; i++)
        if (run_source(&c, argv[optind + i], follow) != CLI_OK)
            rc = CLI_FAIL;
    if (listen && !run_stop) {
        storm_intake_opts io = {listen, max_body, 0, 0};
        storm_err_clear(&err);
        if (storm_intake_start(&io, &intake, &err) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg);
            rc = CLI_FAIL;
        } else {
            if (!quiet)
                fprintf(stderr, "storm run: listening on %s (port %u)\n", listen, storm_intake_port(intake));
            while (!run_stop) {
                char *body = NULL;
                size_t len = 0;
                uint64_t req = 0;
                if (storm_intake_next(intake, &body, &len, &req, 200) == STORM_OK) {
                    run_body(&c, body, len, req);
                    free(body);
                    db_commit(&c);
                    out_flush(&c, true);
                } else if (run_report) {
                    after_record(&c);
                }
            }
        }
    }
    storm_detector_flush(c.det);

done:;
    double secs = elapsed(&c);
    out_flush(&c, true);
    db_commit(&c);
    if (c.baseline) {
        storm_err_clear(&err);
        if (storm_baseline_save(c.baseline, &err) != STORM_OK)
            fprintf(stderr, "storm run: saving the baseline: %s\n", err.msg);
    }
    storm_detect_stats ds;
    memset(&ds, 0, sizeof ds);
    if (c.det)
        storm_detector_get_stats(c.det, &ds);
    if (!quiet && c.det) {
        fprintf(stderr,
                "storm run: %llu records, %llu events read (%.1f MB), %llu rejected, %llu skipped, %llu dropped by the baseline; "
                "%zu indicators; %llu observations matched, %llu sightings (%llu updates), %llu partial matches "
                "evicted; %.3f s, %.0f events/s\n",
                (unsigned long long)c.st.records_read, (unsigned long long)c.st.events_read,
                (double)c.st.bytes_read / 1e6,
                (unsigned long long)c.st.events_rejected, (unsigned long long)c.st.events_skipped,
                (unsigned long long)c.st.baseline_dropped, ds.indicators, (unsigned long long)ds.observations_matched,
                (unsigned long long)ds.sightings, (unsigned long long)ds.sighting_updates,
                (unsigned long long)ds.states_evicted, secs, secs > 0 ? (double)c.st.events_read / secs : 0.0);
    }
    if (stats_json && c.det && write_stats_json(&c, &ds, stats_json, secs) != 0)
        rc = CLI_FAIL;
    if (intake)
        storm_intake_stop(intake);
    storm_detector_free(c.det);
    if (c.baseline)
        storm_baseline_close(c.baseline);
    if (c.store)
        storm_store_close(c.store);
    if (c.rejects)
        fclose(c.rejects);
    if (c.out && c.out != stdout)
        fclose(c.out);
    storm_buf_free(&c.line);
    storm_arena_free(c.arena);
    storm_models_free(m);
    if (rc == CLI_OK && c.st.events_rejected)
        rc = CLI_FAIL; /* the stream went on, but some input was bad */
    return rc;
}
