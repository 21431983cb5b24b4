/* SPDX-License-Identifier: Apache-2.0 */
/* storm run --workers N: one pipeline reads (on the caller's thread), N
 * shard pipelines match and one sink pipeline keeps the sightings and
 * writes, so that the results are those of a single pipeline on the same
 * input:
 *   - the reader only cuts the input into lines, in batches; parsing and
 *     decoding a line touches no pipeline state (pipeline_line_parse), so
 *     the lines of a batch are parsed and decoded in parts, at most
 *     DECODE_AHEAD batches ahead of the slowest shard; the reader then
 *     feeds the decoded lines in input order (pipeline_line_feed: the
 *     statistics, rejects, skipped types, the times of events without one,
 *     as one pipeline counts them);
 *   - each decoded event goes to the shard of its correlation scope
 *     (shard_key.c): every partial match and process tree lives in one
 *     shard's detector;
 *   - every shard still sees every event's time (storm_detector_advance):
 *     the stream's clock, which ages partial matches, is the same in all of
 *     them;
 *   - the events go in batches (one arena of records, parse trees and
 *     events), each batch to every shard; a shard's detector hands its
 *     matches to a tap (storm_detector_tap_matches) that copies them, with
 *     what it did with each event (took its time, fed it);
 *   - the sink takes a batch once every shard is done with it and replays
 *     it in input order into its own detector, the one book of sightings:
 *     each event to the session tracker, then its time, its matches and the
 *     open sightings' cap (storm_detector_record_*). Which sighting the
 *     clock or the cap closes, and when, is therefore what one detector
 *     decides, and the output lines, store rows and sessions come out in
 *     one detector's order.
 * Threads: N in all, the caller's and N - 1 workers, none for a stage
 * alone (2 cores with a reader, 2 shard and a sink thread spent their time
 * switching and waking each other: 17,700 context switches on 200k events,
 * 1,200 now). Each stage is a task any thread takes when free (run_task,
 * under mu): a chunk of the output the sink waits for, the sink's next
 * batch (one thread at a time, in order), its own shard's next batch,
 * a part to decode, else another shard's next batch (a shard is busy
 * while a thread matches it or renders with its pipeline). The caller's
 * thread alone feeds (the reader pipeline is its own) and reads; it takes
 * tasks only while the ring is full or it waits for the rest (settle,
 * drain, a pause of --follow), so what it reads goes on while the others
 * work. A thread sleeps only when no task is left for it, on its own
 * condition, and is woken (wake_idle) only when one is.
 * Backpressure: at most WORKERS_IN_FLIGHT batches are between the reader
 * and the sink; the reader works on them beyond that. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storm/array.h>
#include <storm/stix_prefilter.h>

#include "pipeline_int.h"

#define WORKERS_MAX 64
#define BATCH_EVENTS 512             /* events per batch */
#define BATCH_LINES 64               /* lines per batch the workers decode */
#define BATCH_TEXT ((size_t)1 << 20) /* or this much text */
/* batches decoded ahead of the slowest shard: what a shard decodes is
 * still in its cache when it matches it (decoding further ahead, or in the
 * reader, cost more CPU in all: the shards then read cold parse trees) */
#define DECODE_AHEAD 2
#define PART_LINES 16                         /* lines per decoding task */
#define PART_ARENA_CHUNK ((size_t)512 << 10)  /* a part's parse trees and events: one block for most */
#define BATCH_BYTES ((size_t)4 << 20)         /* or this much arena (records, trees, events) */
#define BATCH_ARENA_CHUNK ((size_t)256 << 10) /* as a pipeline's record arena */
#define BATCH_ARENA_CAP ((size_t)512 << 20)
#define WORKERS_IN_FLIGHT 4      /* batches between reader and sink: with BATCH_BYTES, the memory cap */
#define SINK_BATCH_RECORDS 16384 /* records per store transaction, as a single pipeline's */
#define RENDER_CHUNK 4           /* sighting versions per rendering task */

/* One decoded event of a batch. */
typedef struct wk_item {
    storm_event *ev; /* in the batch arena */
    const char *record, *text;
    size_t record_len, text_len, index;
    storm_time_ns default_time; /* the reader's, for an event without a time */
    storm_time_ns t;            /* its time as a detector reads it */
    unsigned shard;
} wk_item;

/* What a shard's detector did with one of its events, for the sink: the
 * event's mark (accounted or fed), or one of its matches. */
enum { WK_EVENT = 0, WK_MATCH = 1 };

typedef struct wk_entry {
    uint64_t seq; /* the batch item it came from */
    uint8_t kind;
    bool accounted;       /* WK_EVENT: the detector took its time (not: it could not be converted) */
    bool fed;             /* WK_EVENT: its observation was built and fed */
    storm_detect_match m; /* WK_MATCH: copies in the result's arena */
} wk_entry;

typedef struct wk_result {
    storm_arena *arena;
    wk_entry *e;
    size_t n, alloc;
} wk_result;

/* A line the reader framed, for the workers to parse and decode. */
typedef struct wk_line {
    const char *source, *text; /* in the batch arena */
    size_t len;
    uint64_t number;
    bool parsed; /* parsed (and decoded) in its part's arena; else parsed when fed */
    pipeline_line ln;
    /* the shard of each event of ln's records (in order), found by the
     * thread that decoded them while they are in its cache; NULL: found
     * when fed */
    unsigned *shards;
} wk_line;

typedef struct wk_batch {
    storm_arena *arena; /* the records' text, parse trees and events */
    wk_item *items;
    size_t n, alloc;
    /* lines to decode (a batch holds lines or events the reader decoded
     * itself, not both) */
    wk_line *lines;
    size_t n_lines, alloc_lines, text_bytes;
    storm_time_ns source_time; /* of the lines' source */
    storm_arena **part_arenas; /* one per part of PART_LINES lines: the lines' parse trees and events */
    size_t n_part_arenas;
    size_t n_parts, parts_taken, parts_done; /* under mu once posted */
    uint64_t records;
    bool flush;         /* end of stream: the shards flush their detectors */
    bool idle;          /* the input paused after it (--follow): the output is flushed once written */
    unsigned done;      /* shards finished with it */
    wk_result *results; /* one per shard */
    const char *source; /* the last source name copied into the arena */
} wk_batch;

typedef struct wk_shard {
    struct pipeline_workers *w;
    unsigned index;
    storm_pipeline *p;
    pthread_t thread;
    bool started;
    uint64_t next;  /* ring position of its next batch */
    wk_result *cur; /* being filled */
    uint64_t seq;
    /* the copy of the observation being fed, for its event's stateless matches */
    const storm_observation *fed_orig, *fed_copy;
    double cpu;        /* its thread's CPU time, as of the last drain */
    pthread_cond_t cv; /* its thread sleeps on it (the caller's thread: shard 0, on reader_cv) */
    bool sleeping;     /* under mu: it sleeps, and nobody signalled it yet */
    bool busy;         /* under mu: a thread matches a batch of it */
} wk_shard;

/* A sighting version the book emitted, to be rendered (copies in the
 * render arena; its objects live in the batch's results until it is
 * written). */
typedef struct wk_version {
    storm_detect_sighting s;
} wk_version;

/* Versions [first, first + n) rendered by one thread, in order. */
typedef struct wk_chunk {
    size_t first, n;
    storm_buf text;
} wk_chunk;

/* What the caller's thread, when it waits, waits for (besides work it can
 * do): room in the ring, every posted batch fed, the ring empty, a spare
 * batch. */
enum { UNTIL_NOWAIT, UNTIL_ROOM, UNTIL_FED, UNTIL_EMPTY, UNTIL_SPARE };

struct pipeline_workers {
    unsigned n;
    storm_correlate correlate;
    wk_shard *shards;
    storm_pipeline *reader; /* the caller's pipeline: feeds the decoded lines */
    storm_pipeline *sink;   /* output, store and sessions, fed in input order */
    bool sink_busy;         /* a thread runs the sink on the batch at head */
    pthread_mutex_t mu;
    /* each thread waits on its own condition, woken only when there is
     * something it can do (a wakeup is a futex call and a context switch) */
    pthread_cond_t reader_cv; /* the caller's thread */
    pthread_cond_t sink_cv;   /* the thread running the sink: its chunks rendered */
    bool reader_sleeping;     /* the caller's thread sleeps on reader_cv, not signalled yet */
    int reader_until;         /* what it waits for (UNTIL_*) */
    bool sink_waits;          /* the sink's thread sleeps on sink_cv */
    wk_batch *ring[WORKERS_IN_FLIGHT];
    /* the sink takes at head, the reader adds at tail; the batches before
     * applied are fed (their lines decoded and fed in order): the shards
     * take those */
    uint64_t head, applied, tail;
    uint64_t decode_from; /* the first batch that may have parts to decode */
    const storm_decoder *forced;
    bool quit;
    wk_batch *cur;      /* being filled by the reader */
    wk_batch *applying; /* being fed by the reader: its events go there */
    int direct;         /* the reader decodes what it reads itself (bodies) */
    wk_batch *spare[WORKERS_IN_FLIGHT + 1];
    size_t n_spare;
    uint64_t records;        /* read so far */
    uint64_t rejected_added; /* the shards' rejects already in the reader's statistics */
    bool failed;             /* out of memory somewhere: said once */
    double reader_cpu;       /* the caller's thread's CPU time (start-up included) */
    /* the output of a batch's sighting versions (STIX bundles, the costly
     * part), rendered by the sink and the idle shards together, then
     * written by the sink in order */
    bool defer_render;
    storm_arena *render_arena; /* the versions' copies; reset per batch */
    wk_version *versions;
    size_t n_versions, alloc_versions;
    wk_chunk *chunks;
    size_t n_chunks, alloc_chunks;  /* posted for the batch */
    size_t n_chunk_bufs;            /* chunks whose text buffer is initialised (kept from batch to batch) */
    size_t chunk_next, chunks_done; /* under mu, while render_posted */
    bool render_posted;
    bool unflushed;         /* batches went to the shards since the input last paused (--follow) */
    const wk_line *feeding; /* the decoded line apply_batch feeds */
};

static void wake_idle(struct pipeline_workers *w);

/* The CPU time of a thread, read from any thread (a system call: read
 * when the statistics are gathered, not after each batch). */
static double thread_cpu(pthread_t thread)
{
    clockid_t clock;
    struct timespec t;
    if (pthread_getcpuclockid(thread, &clock) != 0 || clock_gettime(clock, &t) != 0)
        return 0;
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void say_nomem(struct pipeline_workers *w, const char *prog, const char *what)
{
    if (!__atomic_exchange_n(&w->failed, true, __ATOMIC_RELAXED)) /* any thread */
        fprintf(stderr, "%s: --workers: out of memory (%s); results may be missing\n", prog, what);
}

static wk_batch *batch_new(unsigned n)
{
    wk_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->arena = storm_arena_new(BATCH_ARENA_CHUNK, BATCH_ARENA_CAP);
    b->results = calloc(n, sizeof *b->results);
    if (!b->arena || !b->results) {
        storm_arena_free(b->arena);
        free(b->results);
        free(b);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++)
        if (!(b->results[i].arena = storm_arena_new(0, 0))) {
            for (unsigned k = 0; k < i; k++)
                storm_arena_free(b->results[k].arena);
            storm_arena_free(b->arena);
            free(b->results);
            free(b);
            return NULL;
        }
    return b;
}

static void batch_free(wk_batch *b, unsigned n)
{
    if (!b)
        return;
    for (unsigned i = 0; i < n; i++) {
        storm_arena_free(b->results[i].arena);
        free(b->results[i].e);
    }
    free(b->results);
    free(b->items);
    free(b->lines);
    for (size_t i = 0; i < b->n_part_arenas; i++)
        storm_arena_free(b->part_arenas[i]);
    free(b->part_arenas);
    storm_arena_free(b->arena);
    free(b);
}

static void batch_reset(wk_batch *b)
{
    storm_arena_reset(b->arena);
    for (size_t i = 0; i < b->n_parts && i < b->n_part_arenas; i++)
        storm_arena_reset(b->part_arenas[i]);
    b->n = 0;
    b->n_lines = b->text_bytes = 0;
    b->n_parts = b->parts_taken = b->parts_done = 0;
    b->records = 0;
    b->flush = false;
    b->idle = false;
    b->done = 0;
    b->source = NULL;
}

/* ---- decoding ---- */

/* The next posted batch with a part nobody took yet, or NULL. Under mu. */
static wk_batch *decodable(struct pipeline_workers *w)
{
    if (w->quit)
        return NULL;
    if (w->decode_from < w->applied) /* those are decoded (and their slots may be reused) */
        w->decode_from = w->applied;
    uint64_t slowest = w->applied;
    for (unsigned i = 0; i < w->n; i++)
        if (w->shards[i].next < slowest)
            slowest = w->shards[i].next;
    for (; w->decode_from < w->tail && w->decode_from < slowest + DECODE_AHEAD; w->decode_from++) {
        wk_batch *b = w->ring[w->decode_from % WORKERS_IN_FLIGHT];
        if (b->parts_taken < b->n_parts)
            return b;
    }
    return NULL;
}

/* Parse and decode a part of a batch's lines: no pipeline state, only the
 * part's arena. */
static void decode_part(struct pipeline_workers *w, wk_batch *b, size_t part)
{
    storm_arena *a = b->part_arenas[part];
    size_t end = (part + 1) * PART_LINES < b->n_lines ? (part + 1) * PART_LINES : b->n_lines;
    for (size_t i = part * PART_LINES; i < end; i++) {
        wk_line *l = &b->lines[i];
        pipeline_line_parse(a, l->text, l->len, b->source_time, true, w->forced, &l->ln);
        l->parsed = true;
        size_t n = 0;
        for (size_t r = 0; r < l->ln.n_recs; r++)
            n += l->ln.recs[r].list.n;
        l->shards = n ? storm_arena_alloc(a, n * sizeof *l->shards) : NULL;
        if (l->shards)
            for (size_t r = 0, k = 0; r < l->ln.n_recs; r++)
                for (size_t e = 0; e < l->ln.recs[r].list.n; e++)
                    l->shards[k++] = (unsigned)(pipeline_shard_key(&l->ln.recs[r].list.items[e], w->correlate) % w->n);
    }
}

/* Take a part to decode and decode it; false when none is left. Called
 * with mu held (released while decoding). */
static bool decode_some(struct pipeline_workers *w)
{
    wk_batch *b = decodable(w);
    if (!b)
        return false;
    size_t part = b->parts_taken++;
    pthread_mutex_unlock(&w->mu);
    decode_part(w, b, part);
    pthread_mutex_lock(&w->mu);
    if (++b->parts_done == b->n_parts) /* the caller's thread may feed it */
        wake_idle(w);
    return true;
}

/* ---- shards ---- */

/* A value of a match copied once: objects shared between its observations
 * stay shared (a sighting lists an object twice as once). */
typedef struct wk_copied {
    const storm_value *from, *to;
} wk_copied;

static const storm_value *copy_shared(storm_arena *a, const storm_value *v, wk_copied *seen, size_t *n, size_t cap)
{
    if (!v)
        return NULL;
    for (size_t i = 0; i < *n; i++)
        if (seen[i].from == v)
            return seen[i].to;
    const storm_value *c = storm_v_copy(a, v);
    if (c && *n < cap)
        seen[(*n)++] = (wk_copied){v, c};
    return c;
}

/* A copy of an observation as sightings read it (its id, objects and
 * observed-data), in a; NULL without memory. */
static const storm_observation *copy_observation(storm_arena *a, const storm_observation *o, wk_copied *seen,
                                                 size_t *n_seen, size_t cap)
{
    storm_observation *c = storm_arena_calloc(a, 1, sizeof *c);
    if (!c)
        return NULL;
    *c = *o;
    c->pending = NULL; /* finished: the detector read its ids */
    c->id = o->id ? storm_arena_strdup(a, o->id) : NULL;
    c->sdo = copy_shared(a, o->sdo, seen, n_seen, cap);
    c->objects = o->n_objects ? storm_arena_calloc(a, o->n_objects, sizeof *c->objects) : NULL;
    bool ok = (!o->id || c->id) && (!o->sdo || c->sdo) && (!o->n_objects || c->objects);
    for (size_t i = 0; ok && i < o->n_objects; i++) {
        c->objects[i].key = o->objects[i].key ? storm_arena_strdup(a, o->objects[i].key) : NULL;
        c->objects[i].value = copy_shared(a, o->objects[i].value, seen, n_seen, cap);
        ok = (!o->objects[i].key || c->objects[i].key) && (!o->objects[i].value || c->objects[i].value);
    }
    return ok ? c : NULL;
}

static wk_entry *entry_add(wk_shard *k, uint8_t kind)
{
    wk_result *r = k->cur;
    if (STORM_ARRAY_GROW(r->e, r->n + 1, r->alloc, 64) != 0)
        return NULL;
    wk_entry *e = &r->e[r->n++];
    memset(e, 0, sizeof *e);
    e->seq = k->seq;
    e->kind = kind;
    return e;
}

/* The match tap of a shard's detector: a copy of the match, for the sink's
 * book of sightings. */
static void on_shard_match(void *ctx, const storm_detect_match *m)
{
    wk_shard *k = ctx;
    storm_arena *a = k->cur->arena;
    wk_copied seen[64];
    size_t n_seen = 0;
    const storm_observation **obs = storm_arena_calloc(a, m->n_obs ? m->n_obs : 1, sizeof *obs);
    bool ok = obs != NULL;
    for (size_t i = 0; ok && i < m->n_obs; i++) {
        if (m->obs_fed && i == 0 && k->fed_orig == m->obs[0] && k->fed_copy) {
            obs[i] = k->fed_copy; /* another indicator matched the same observation */
            continue;
        }
        ok = (obs[i] = copy_observation(a, m->obs[i], seen, &n_seen, sizeof seen / sizeof seen[0])) != NULL;
        if (ok && m->obs_fed && i == 0) {
            k->fed_orig = m->obs[0];
            k->fed_copy = obs[0];
        }
    }
    const char *scope = m->scope ? storm_arena_strdup(a, m->scope) : NULL;
    const char *place = m->place ? storm_arena_strdup(a, m->place) : NULL;
    wk_entry *e = ok && (scope || !m->scope) && (place || !m->place) ? entry_add(k, WK_MATCH) : NULL;
    if (!e) {
        say_nomem(k->w, k->p->opts.prog, "a match");
        return;
    }
    e->m = *m;
    e->m.obs = obs;
    e->m.scope = scope;
    e->m.place = place;
}

/* An event about to be read: another thread decoded it, so that its first
 * read otherwise waits for memory (most of a shard's and the sink's extra
 * time over one pipeline's, after the parse itself). */
static inline void prefetch_event(const storm_event *ev)
{
    for (size_t off = 0; off < sizeof *ev; off += 64)
        __builtin_prefetch((const char *)ev + off);
}

#define PREFETCH_AHEAD 2 /* events ahead of the one being read */

static void shard_batch(wk_shard *k, wk_batch *b)
{
    wk_result *r = &b->results[k->index];
    storm_arena_reset(r->arena);
    r->n = 0;
    k->cur = r;
    storm_pipeline *p = k->p;
    if (b->flush) /* its sightings are the sink's (the book): nothing held here to close */
        return;
    size_t pf = 0;       /* the items before pf are prefetched, or others' */
    unsigned queued = 0; /* own events prefetched after the one being read */
    for (size_t i = 0; i < b->n; i++) {
        const wk_item *it = &b->items[i];
        k->seq = i;
        if (it->shard != k->index) {
            /* another shard's event: only its time (its own event's is
             * taken when it is fed, as one detector takes it) */
            storm_detector_advance(p->det, it->t);
            continue;
        }
        /* the next PREFETCH_AHEAD own events on their way */
        if (queued)
            queued--; /* this one */
        if (pf <= i) {
            pf = i + 1;
            queued = 0;
        }
        for (; pf < b->n && queued < PREFETCH_AHEAD; pf++)
            if (b->items[pf].shard == k->index) {
                prefetch_event(b->items[pf].ev);
                queued++;
            }
        storm_detect_stats before, after;
        storm_detector_get_stats(p->det, &before);
        uint64_t built = p->st.observations;
        p->last_time = p->source_time = it->default_time;
        k->fed_orig = k->fed_copy = NULL;
        pipeline_detect_event(p, it->ev, it->record, it->record_len, it->index, it->text, it->text_len);
        pipeline_arena_reset(p);
        storm_detector_get_stats(p->det, &after);
        wk_entry *e = entry_add(k, WK_EVENT);
        if (!e) {
            say_nomem(k->w, p->opts.prog, "an event");
            continue;
        }
        e->accounted = after.observations > before.observations;
        e->fed = p->st.observations > built;
    }
}

/* Render chunk c with pipeline p (its bundle text cache and line buffer):
 * the text goes to the chunk's buffer. */
static void render_chunk(struct pipeline_workers *w, storm_pipeline *p, wk_chunk *c)
{
    storm_buf line = p->line;
    p->line = c->text;
    storm_buf_reset(&p->line);
    for (size_t i = 0; i < c->n; i++)
        pipeline_sighting_render(p, &w->versions[c->first + i].s);
    c->text = p->line;
    p->line = line;
}

/* Take a posted chunk and render it with the sink's pipeline (the sink's
 * thread) or shard k's (another thread: its pipeline busy meanwhile, so that
 * no thread matches that shard; a shard busy matching on another thread
 * renders nothing); false when none is left. Called with mu held (released
 * while rendering). */
static bool render_some(struct pipeline_workers *w, wk_shard *k)
{
    if (!w->render_posted || w->chunk_next >= w->n_chunks || (k && k->busy))
        return false;
    wk_chunk *c = &w->chunks[w->chunk_next++];
    if (k)
        k->busy = true;
    pthread_mutex_unlock(&w->mu);
    render_chunk(w, k ? k->p : w->sink, c);
    pthread_mutex_lock(&w->mu);
    if (k)
        k->busy = false;
    if (++w->chunks_done == w->n_chunks && w->sink_waits)
        pthread_cond_signal(&w->sink_cv);
    return true;
}

/* ---- the sink ---- */

/* The book's sighting versions, in the sink: kept (store, sessions) at
 * once, in order; their output rendered after the batch (defer_render: a
 * copy of the version for that) or not at all (no output). */
/* A version for render_and_write: copied (copy) or, a held update's
 * (sink_held.c), borrowed until the held table is reset after the batch. */
static void defer_version(struct pipeline_workers *w, const storm_detect_sighting *s, bool copy)
{
    if (!copy) {
        if (STORM_ARRAY_GROW(w->versions, w->n_versions + 1, w->alloc_versions, 64) == 0)
            w->versions[w->n_versions++].s = *s;
        else
            say_nomem(w, w->sink->opts.prog, "a sighting's output");
        return;
    }
    {
        storm_arena *a = w->render_arena;
        wk_version *v = STORM_ARRAY_GROW(w->versions, w->n_versions + 1, w->alloc_versions, 64) == 0
                            ? &w->versions[w->n_versions]
                            : NULL;
        const storm_value **objs = s->n_objects ? storm_arena_alloc(a, s->n_objects * sizeof *objs) : NULL;
        if (v && (objs || !s->n_objects)) {
            v->s = *s;
            /* the objects are the identity, the models' and the batch's
             * copies of what matched: they outlive the rendering */
            if (objs)
                memcpy(objs, s->objects, s->n_objects * sizeof *objs);
            v->s.objects = objs;
            v->s.sighting = storm_v_copy(a, s->sighting);
            v->s.scope = s->scope ? storm_arena_strdup(a, s->scope) : NULL;
            v->s.place = s->place ? storm_arena_strdup(a, s->place) : NULL;
            v->s.evidence = s->evidence ? storm_arena_strdup(a, s->evidence) : NULL;
            if (v->s.sighting && (v->s.scope || !s->scope) && (v->s.place || !s->place) &&
                (v->s.evidence || !s->evidence))
                w->n_versions++;
            else
                v = NULL;
        }
        if (!v)
            say_nomem(w, w->sink->opts.prog, "a sighting's output");
    }
}

static void defer_held(void *ctx, const storm_detect_sighting *s)
{
    defer_version(ctx, s, false);
}

static void on_book_sighting(void *ctx, const storm_detect_sighting *s)
{
    struct pipeline_workers *w = ctx;
    /* an update is held until the next flush point, as a single pipeline's
     * (pipeline_sighting_out); a first version goes after what is held of
     * its id */
    if (w->defer_render && !pipeline_held_update(w->sink, s)) {
        const storm_detect_sighting *held = pipeline_held_take(w->sink, storm_v_get_str(s->sighting, "id"));
        if (held)
            defer_version(w, held, false);
        defer_version(w, s, true);
    }
    pipeline_sighting_keep(w->sink, s);
}

/* The batch's sighting versions rendered (by the sink and the shards) and
 * written in order. */
static void render_and_write(struct pipeline_workers *w)
{
    storm_pipeline *s = w->sink;
    size_t n_chunks = (w->n_versions + RENDER_CHUNK - 1) / RENDER_CHUNK;
    if (STORM_ARRAY_GROW(w->chunks, n_chunks, w->alloc_chunks, 16) != 0) {
        say_nomem(w, s->opts.prog, "a batch's output");
        n_chunks = 0;
    }
    for (; w->n_chunk_bufs < n_chunks; w->n_chunk_bufs++)
        storm_buf_init(&w->chunks[w->n_chunk_bufs].text, (size_t)1 << 30);
    for (size_t i = 0; i < n_chunks; i++) {
        w->chunks[i].first = i * RENDER_CHUNK;
        w->chunks[i].n = i + 1 < n_chunks ? RENDER_CHUNK : w->n_versions - i * RENDER_CHUNK;
    }
    pthread_mutex_lock(&w->mu);
    w->n_chunks = n_chunks;
    w->chunk_next = w->chunks_done = 0;
    w->render_posted = n_chunks > 0;
    if (n_chunks > 1)
        wake_idle(w);
    while (render_some(w, NULL))
        ;
    while (w->chunks_done < n_chunks) {
        w->sink_waits = true;
        pthread_cond_wait(&w->sink_cv, &w->mu);
        w->sink_waits = false;
    }
    w->render_posted = false;
    pthread_mutex_unlock(&w->mu);
    /* nothing else writes the output (the sink's line stays empty): the
     * chunks go out as they are */
    for (size_t i = 0; i < n_chunks; i++)
        if (w->chunks[i].text.len)
            fwrite(w->chunks[i].text.data, 1, w->chunks[i].text.len, s->sinks.out);
    w->n_versions = 0;
    storm_arena_reset(w->render_arena);
}

/* The sink's book of sightings takes a batch in input order: each event
 * to the session tracker, then what its shard's detector did with it (its
 * time, its matches, the cap), as one detector fed the whole stream does;
 * the sightings it emits go to the output, the store and the sessions. */
static void sink_batch(struct pipeline_workers *w, wk_batch *b)
{
    storm_pipeline *s = w->sink;
    storm_detector *book = s->det;
    size_t cursor[WORKERS_MAX] = {0};
    for (size_t i = 0; i < b->n && !b->flush; i++) {
        const wk_item *it = &b->items[i];
        const storm_event *ev = it->ev;
        if (i + PREFETCH_AHEAD < b->n)
            prefetch_event(b->items[i + PREFETCH_AHEAD].ev);
        if (s->sessions) /* lineage, addresses, identities: from every event */
            storm_session_observe(s->sessions, ev);
        const wk_result *r = &b->results[it->shard];
        size_t j = cursor[it->shard], end = j;
        while (end < r->n && r->e[end].seq == i)
            end++;
        cursor[it->shard] = end;
        const wk_entry *mark = end > j && r->e[end - 1].kind == WK_EVENT ? &r->e[end - 1] : NULL;
        if (!mark) /* out of memory in the shard: said there */
            continue;
        /* as one detector: what the clock closes while an event is fed
         * goes to the sessions with that event */
        s->cur_ev = mark->fed ? ev : NULL;
        if (mark->accounted)
            storm_detector_advance(book, it->t);
        s->cur_ev = ev;
        for (size_t m = j; m < end - 1; m++)
            storm_detector_record_match(book, &r->e[m].m);
        if (end - 1 > j)
            storm_detector_record_done(book);
        s->cur_ev = NULL;
    }
    if (b->flush)
        storm_detector_flush(book);
    /* the output's flush points, as a single pipeline's: every 16384th
     * record (a batch ends there), a pause of the input, the end */
    s->records_out += b->records;
    bool release = b->flush || b->idle || (b->records && s->records_out % SINK_BATCH_RECORDS == 0);
    if (release && w->defer_render) /* rendered with the batch's versions, after them */
        pipeline_held_drain(s, defer_held, w);
    if (w->defer_render)
        render_and_write(w);
    if (release)
        pipeline_held_release(s); /* text: rendered here; STIX: written above, only reset */
    s->records_in_tx += b->records;
    if (s->sinks.store && s->records_in_tx >= SINK_BATCH_RECORDS)
        pipeline_db_commit(s);
    if (b->idle && s->sinks.out) {
        pipeline_out_flush(s, true);
        fflush(s->sinks.out);
    }
}

/* ---- the reader's side ---- */

/* Feed a decoded batch's lines in input order: what one pipeline does
 * after parsing each (statistics, rejects, the events to their shards). */
static void apply_batch(storm_pipeline *p, wk_batch *b)
{
    struct pipeline_workers *w = p->workers;
    storm_time_ns source_time = p->source_time;
    storm_arena *arena = p->arena;
    w->applying = b;
    p->source_time = b->source_time;
    p->arena = p->sinks.event_arena = b->arena; /* kept: not reset after each record */
    for (size_t i = 0; i < b->n_lines; i++) {
        const wk_line *l = &b->lines[i];
        pipeline_line here;
        const pipeline_line *ln = &l->ln;
        if (!l->parsed) { /* its part had no arena */
            pipeline_line_parse(b->arena, l->text, l->len, b->source_time, false, NULL, &here);
            ln = &here;
        }
        w->feeding = l->parsed ? l : NULL;
        pipeline_line_feed(p, l->source, l->number, l->text, l->len, ln);
    }
    w->feeding = NULL;
    w->applying = NULL;
    p->source_time = source_time;
    p->arena = p->sinks.event_arena = arena;
}

/* ---- scheduling: N threads in all, each doing any stage's tasks ---- */

/* Under mu: the sink may take the batch at head (every shard done with it). */
static bool sink_ready(const struct pipeline_workers *w)
{
    return !w->sink_busy && w->head < w->applied && w->ring[w->head % WORKERS_IN_FLIGHT]->done == w->n;
}

static bool render_ready(const struct pipeline_workers *w)
{
    return w->render_posted && w->chunk_next < w->n_chunks;
}

/* The next batch to feed is decoded (the caller's thread feeds it). */
static bool feed_ready(const struct pipeline_workers *w)
{
    if (w->applied == w->tail)
        return false;
    const wk_batch *b = w->ring[w->applied % WORKERS_IN_FLIGHT];
    return b->parts_done == b->n_parts;
}

static bool shard_ready(const struct pipeline_workers *w, unsigned k)
{
    return !w->shards[k].busy && w->shards[k].next < w->applied;
}

/* Another shard whose next batch may be matched (by a thread with nothing
 * else to do), or NULL. */
static wk_shard *shard_to_steal(struct pipeline_workers *w, unsigned k)
{
    for (unsigned i = 1; i < w->n; i++)
        if (shard_ready(w, (k + i) % w->n))
            return &w->shards[(k + i) % w->n];
    return NULL;
}

/* What the caller's thread waits for holds. */
static bool until_reached(const struct pipeline_workers *w)
{
    switch (w->reader_until) {
    case UNTIL_ROOM: return w->tail - w->head < WORKERS_IN_FLIGHT;
    case UNTIL_FED: return w->applied == w->tail;
    case UNTIL_EMPTY: return w->head == w->tail;
    case UNTIL_SPARE: return w->n_spare > 0;
    default: return true;
    }
}

/* The caller's thread, waiting for room to read on, takes only what
 * brings the next batch nearer (feeding, decoding, its own shard), not the
 * sink, the output or other shards: it alone reads and feeds, so the rest
 * is left to the others (with the sighting-heavy mixed stream it was the
 * busiest thread, 2.4 s of CPU against 1.7 s, and the others waited for
 * what it fed). */
static bool lean(const struct pipeline_workers *w, unsigned k)
{
    return k == 0 && w->reader_until == UNTIL_ROOM;
}

/* Thread k (0: the caller's) has something to do. Under mu. */
static bool has_work(struct pipeline_workers *w, unsigned k)
{
    if (w->quit || shard_ready(w, k))
        return true;
    if (k == 0 && (feed_ready(w) || until_reached(w)))
        return true;
    if (decodable(w) != NULL)
        return true;
    if (lean(w, k))
        return false;
    return (render_ready(w) && !w->shards[k].busy) || sink_ready(w) || shard_to_steal(w, k) != NULL;
}

/* After any change, under mu: the sleeping threads that now have
 * something to do woken, each once. */
static void wake_idle(struct pipeline_workers *w)
{
    if (w->reader_sleeping && has_work(w, 0)) {
        w->reader_sleeping = false;
        pthread_cond_signal(&w->reader_cv);
    }
    for (unsigned k = 1; k < w->n; k++)
        if (w->shards[k].sleeping && has_work(w, k)) {
            w->shards[k].sleeping = false;
            pthread_cond_signal(&w->shards[k].cv);
        }
}

/* The tasks: each called with mu held, released while it runs. */

/* Shard k matches its next batch. */
static void match_task(struct pipeline_workers *w, wk_shard *k)
{
    wk_batch *b = w->ring[k->next % WORKERS_IN_FLIGHT];
    k->busy = true;
    pthread_mutex_unlock(&w->mu);
    shard_batch(k, b);
    pthread_mutex_lock(&w->mu);
    k->busy = false;
    k->next++;
    b->done++;
    wake_idle(w); /* the sink may take it; it may have been the slowest: the others decode further */
}

/* The sink takes the batch at head. */
static void sink_task(struct pipeline_workers *w)
{
    wk_batch *b = w->ring[w->head % WORKERS_IN_FLIGHT];
    w->sink_busy = true;
    pthread_mutex_unlock(&w->mu);
    sink_batch(w, b);
    batch_reset(b);
    pthread_mutex_lock(&w->mu);
    w->head++;
    w->sink_busy = false;
    if (w->n_spare < sizeof w->spare / sizeof w->spare[0])
        w->spare[w->n_spare++] = b;
    else
        batch_free(b, w->n);
    wake_idle(w);
}

/* The caller's thread feeds the next decoded batch. */
static void feed_task(struct pipeline_workers *w)
{
    wk_batch *b = w->ring[w->applied % WORKERS_IN_FLIGHT];
    pthread_mutex_unlock(&w->mu);
    if (b->n_lines)
        apply_batch(w->reader, b);
    pthread_mutex_lock(&w->mu);
    w->applied++;
    wake_idle(w);
}

/* One task for thread k, the most urgent first: a chunk of the output the
 * sink waits for, the lines to feed (the caller's thread), the sink, its
 * shard, a part to decode. False: nothing to do. */
static bool run_task(struct pipeline_workers *w, unsigned k)
{
    bool all = !lean(w, k);
    if (all && render_some(w, &w->shards[k]))
        return true;
    if (k == 0 && feed_ready(w)) {
        feed_task(w);
        return true;
    }
    if (all && sink_ready(w)) {
        sink_task(w);
        return true;
    }
    if (shard_ready(w, k)) {
        match_task(w, &w->shards[k]);
        return true;
    }
    if (decode_some(w))
        return true;
    wk_shard *other = all ? shard_to_steal(w, k) : NULL;
    if (other) {
        match_task(w, other);
        return true;
    }
    return false;
}

/* Workers 1..N-1 (worker 0 is the caller's thread). */
static void *worker_main(void *arg)
{
    wk_shard *k = arg;
    struct pipeline_workers *w = k->w;
    char name[16];
    snprintf(name, sizeof name, "storm-worker%u", k->index % 100);
    pthread_setname_np(pthread_self(), name); /* for top -H and perf */
    pthread_mutex_lock(&w->mu);
    while (!w->quit) {
        if (run_task(w, k->index))
            continue;
        k->sleeping = true;
        pthread_cond_wait(&k->cv, &w->mu);
        k->sleeping = false;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* The caller's thread: feed the posted batches whose lines are decoded, in
 * order, then, unless until is UNTIL_NOWAIT, do what there is to do until
 * until holds. */
static void pump(storm_pipeline *p, int until)
{
    struct pipeline_workers *w = p->workers;
    pthread_mutex_lock(&w->mu);
    w->reader_until = until;
    for (;;) {
        if (feed_ready(w)) {
            feed_task(w);
            continue;
        }
        if (until == UNTIL_NOWAIT || until_reached(w))
            break;
        if (run_task(w, 0))
            continue;
        w->reader_sleeping = true;
        pthread_cond_wait(&w->reader_cv, &w->mu);
        w->reader_sleeping = false;
    }
    w->reader_until = UNTIL_NOWAIT;
    pthread_mutex_unlock(&w->mu);
}

/* Arenas for the parts of b's lines; a part without one is decoded when
 * fed. */
static void part_arenas(struct pipeline_workers *w, storm_pipeline *p, wk_batch *b)
{
    size_t n = (b->n_lines + PART_LINES - 1) / PART_LINES;
    if (n > b->n_part_arenas) {
        storm_arena **a = realloc(b->part_arenas, n * sizeof *a);
        if (a) {
            b->part_arenas = a;
            for (; b->n_part_arenas < n; b->n_part_arenas++)
                if (!(a[b->n_part_arenas] = storm_arena_new(PART_ARENA_CHUNK, BATCH_ARENA_CAP)))
                    break;
        }
        if (n > b->n_part_arenas) {
            say_nomem(w, p->opts.prog, "a batch's decoding");
            n = b->n_part_arenas;
        }
    }
    b->n_parts = n;
    b->parts_taken = b->parts_done = 0;
}

/* Post the batch being filled (waiting while too many are in flight) and
 * start another. */
static void dispatch(storm_pipeline *p, bool flush)
{
    struct pipeline_workers *w = p->workers;
    wk_batch *b = w->cur;
    b->flush = flush;
    w->unflushed = true;
    part_arenas(w, p, b);
    pump(p, UNTIL_ROOM);
    pthread_mutex_lock(&w->mu);
    w->ring[w->tail % WORKERS_IN_FLIGHT] = b;
    w->tail++;
    wake_idle(w);
    wk_batch *next = w->n_spare ? w->spare[--w->n_spare] : NULL;
    pthread_mutex_unlock(&w->mu);
    if (!next && !(next = batch_new(w->n))) {
        /* no memory for another: wait for this one to come back */
        say_nomem(w, p->opts.prog, "a batch");
        pump(p, UNTIL_SPARE);
        pthread_mutex_lock(&w->mu);
        next = w->spare[--w->n_spare];
        pthread_mutex_unlock(&w->mu);
    }
    w->cur = next;
    p->arena = p->sinks.event_arena = next->arena;
    pump(p, UNTIL_NOWAIT); /* what is decoded already, to the shards */
}

/* Every line read so far decoded and fed (its events with the shards). */
static void settle(storm_pipeline *p)
{
    struct pipeline_workers *w = p->workers;
    if (w->cur->n_lines)
        dispatch(p, false);
    pump(p, UNTIL_FED);
}

void pipeline_workers_settle(storm_pipeline *p)
{
    if (p->workers)
        settle(p);
}

void pipeline_workers_direct(storm_pipeline *p, bool on)
{
    struct pipeline_workers *w = p->workers;
    if (!w)
        return;
    if (on) {
        settle(p); /* what it decodes comes after the lines read before */
        w->direct++;
    } else {
        w->direct--;
    }
}

/* name as b's arena holds it ("-" when there is no memory): a source name
 * must outlive its source, which is closed before the batch's lines are fed
 * and its events written. One copy per run of the same source. */
static const char *batch_source(wk_batch *b, const char *name)
{
    if (name != b->source && (!b->source || strcmp(b->source, name) != 0)) /* a fed line's events carry b's copy */
        b->source = storm_arena_strdup(b->arena, name);
    return b->source ? b->source : "-";
}

bool pipeline_workers_line(storm_pipeline *p, const char *source, uint64_t number, const char *text, size_t len)
{
    struct pipeline_workers *w = p->workers;
    if (w->direct)
        return false;
    wk_batch *b = w->cur;
    /* a batch of lines, from one source (its time dates log lines) */
    if (b->n || b->records || (b->n_lines && b->source_time != p->source_time)) {
        dispatch(p, false);
        b = w->cur;
    }
    if (STORM_ARRAY_GROW(b->lines, b->n_lines + 1, b->alloc_lines, BATCH_LINES) != 0) {
        say_nomem(w, p->opts.prog, "a line");
        settle(p);
        return false;
    }
    char *copy = storm_arena_strndup(b->arena, text, len);
    if (!copy && b->n_lines) { /* the batch arena is at its cap: the line starts the next batch */
        dispatch(p, false);
        b = w->cur;
        if (STORM_ARRAY_GROW(b->lines, b->n_lines + 1, b->alloc_lines, BATCH_LINES) == 0)
            copy = storm_arena_strndup(b->arena, text, len);
    }
    if (!copy) {
        settle(p);
        return false; /* the reader's own way */
    }
    if (!b->n_lines)
        b->source_time = p->source_time;
    wk_line *l = &b->lines[b->n_lines++];
    l->source = batch_source(b, source);
    l->text = copy;
    l->len = len;
    l->number = number;
    l->parsed = false;
    b->text_bytes += len;
    /* a batch ends where a single pipeline writes the updates it held and
     * commits the store (see pipeline_workers_after_record) */
    bool flush_point = ++w->records % SINK_BATCH_RECORDS == 0;
    if (flush_point || b->n_lines >= BATCH_LINES || b->text_bytes >= BATCH_TEXT)
        dispatch(p, false);
    return true;
}

const char *pipeline_workers_text(storm_pipeline *p, const char *text, size_t len)
{
    char *copy = storm_arena_strndup(p->arena, text, len);
    if (!copy) { /* the batch arena is at its cap: the line starts the next batch */
        dispatch(p, false);
        copy = storm_arena_strndup(p->arena, text, len);
    }
    return copy ? copy : text;
}

/* The shard of ev: as its decoder found it, when it is an event of the
 * line being fed. */
static unsigned event_shard(const struct pipeline_workers *w, const storm_event *ev)
{
    const wk_line *l = w->feeding;
    if (l && l->shards)
        for (size_t r = 0, k = 0; r < l->ln.n_recs; r++) {
            const storm_event_list *list = &l->ln.recs[r].list;
            if (ev >= list->items && ev < list->items + list->n)
                return l->shards[k + (size_t)(ev - list->items)];
            k += list->n;
        }
    return (unsigned)(pipeline_shard_key(ev, w->correlate) % w->n);
}

void pipeline_workers_event(storm_pipeline *p, storm_event *ev, const char *record, size_t record_len, size_t index,
                            const char *text, size_t text_len)
{
    struct pipeline_workers *w = p->workers;
    wk_batch *b = w->applying ? w->applying : w->cur;
    if (STORM_ARRAY_GROW(b->items, b->n + 1, b->alloc, BATCH_EVENTS) != 0) {
        say_nomem(w, p->opts.prog, "an event");
        return;
    }
    if (ev->source_name)
        ev->source_name = batch_source(b, ev->source_name);
    wk_item *it = &b->items[b->n++];
    it->ev = ev;
    it->record = record;
    it->record_len = record_len;
    it->index = index;
    it->text = text;
    it->text_len = text_len;
    it->default_time = pipeline_default_time(p);
    storm_stix_opts so = {record, record_len, index, it->default_time, p->opts.cluster, true};
    it->t = storm_stix_event_time(ev, &so);
    it->shard = event_shard(w, ev);
}

void pipeline_workers_after_record(storm_pipeline *p)
{
    struct pipeline_workers *w = p->workers;
    if (w->applying) { /* a decoded line fed: the batch ends where it was cut */
        w->applying->records++;
        return;
    }
    wk_batch *b = w->cur;
    b->records++;
    /* a batch also ends where a single pipeline commits the store and
     * writes the updates it held: the same versions of a sighting are then
     * folded into one row and one output line (counted before the other
     * tests, which would skip the count) */
    bool flush_point = ++w->records % SINK_BATCH_RECORDS == 0;
    if (flush_point || b->n >= BATCH_EVENTS || storm_arena_used(b->arena) >= BATCH_BYTES)
        dispatch(p, false);
}

void pipeline_workers_idle(storm_pipeline *p)
{
    struct pipeline_workers *w = p->workers;
    /* an empty batch too when others went since the last pause: the
     * output of those is flushed after it */
    if (!w->cur->n && !w->cur->records && !w->cur->n_lines && !w->unflushed)
        return;
    w->cur->idle = true;
    dispatch(p, false);
    /* what was read is matched and written while the input waits (the
     * caller's thread matches a shard: it does not go back to waiting for
     * input before) */
    pump(p, UNTIL_EMPTY);
    w->unflushed = false;
}

/* The shards' and the sink's statistics into the reader's. */
static void collect(storm_pipeline *p)
{
    struct pipeline_workers *w = p->workers;
    const storm_pipeline_stats *ss = &w->sink->st;
    storm_pipeline_stats *st = &p->st;
    st->db_errors = ss->db_errors;
    st->sightings_stored = ss->sightings_stored;
    st->sightings_stored_new = ss->sightings_stored_new;
    st->updates_folded = ss->updates_folded;
    st->commits = ss->commits;
    st->commit_seconds = ss->commit_seconds;
    memcpy(st->commit_le, ss->commit_le, sizeof st->commit_le);
    uint64_t observations = 0, rejected = 0;
    storm_detect_stats sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned i = 0; i < w->n; i++) {
        const storm_pipeline *sp = w->shards[i].p;
        observations += sp->st.observations;
        rejected += sp->st.events_rejected;
        storm_detect_stats ds;
        storm_detector_get_stats(sp->det, &ds);
        sum.observations += ds.observations;
        sum.observations_matched += ds.observations_matched;
        sum.candidates += ds.candidates;
        sum.matches += ds.matches;
        sum.states_held += ds.states_held;
        sum.states_evicted += ds.states_evicted;
        sum.scopes_held += ds.scopes_held;
        sum.match_errors += ds.match_errors;
        sum.prefiltered += ds.prefiltered;
        if (i == 0) { /* the same models in every shard */
            sum.indicators = ds.indicators;
            sum.leaves = ds.leaves;
            sum.regex_prefiltered = ds.regex_prefiltered;
            sum.regex_unindexed = ds.regex_unindexed;
            sum.regex_cached = ds.regex_cached;
        }
    }
    storm_detect_stats book;
    storm_detector_get_stats(w->sink->det, &book); /* the sightings are the sink's */
    sum.sightings = book.sightings;
    sum.sighting_updates = book.sighting_updates;
    st->observations = observations;
    st->events_rejected += rejected - w->rejected_added;
    w->rejected_added = rejected;
    p->det_sum = sum;
    p->det_sum_valid = true;
    w->reader_cpu = w->shards[0].cpu = thread_cpu(pthread_self());
    for (unsigned i = 1; i < w->n; i++)
        if (w->shards[i].started)
            w->shards[i].cpu = thread_cpu(w->shards[i].thread);
}

void pipeline_workers_stats_json(const storm_pipeline *p, FILE *f)
{
    const struct pipeline_workers *w = p->workers;
    fprintf(f, ",\"workers\":%u,\"reader_cpu_seconds\":%.6f,\"shard_cpu_seconds\":[", w->n, w->reader_cpu);
    for (unsigned i = 0; i < w->n; i++)
        fprintf(f, "%s%.6f", i ? "," : "", w->shards[i].cpu);
    fputc(']', f);
}

void pipeline_workers_drain(storm_pipeline *p, bool end)
{
    struct pipeline_workers *w = p->workers;
    if (w->cur->n || w->cur->records || w->cur->n_lines)
        dispatch(p, false);
    if (end)
        dispatch(p, true);
    pump(p, UNTIL_EMPTY);
    storm_pipeline_sync(w->sink);
    collect(p);
}

storm_session_tracker *pipeline_workers_sessions(storm_pipeline *p)
{
    return p->workers->sink->sessions;
}

void pipeline_workers_free(storm_pipeline *p)
{
    struct pipeline_workers *w = p->workers;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    for (unsigned i = 1; i < w->n; i++)
        pthread_cond_signal(&w->shards[i].cv);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 1; i < w->n; i++)
        if (w->shards[i].started)
            pthread_join(w->shards[i].thread, NULL);
    for (unsigned i = 0; i < w->n; i++) {
        storm_pipeline_free(w->shards[i].p);
        pthread_cond_destroy(&w->shards[i].cv);
    }
    free(w->shards);
    storm_pipeline_free(w->sink);
    for (uint64_t i = w->head; i < w->tail; i++) /* a run stopped without draining */
        batch_free(w->ring[i % WORKERS_IN_FLIGHT], w->n);
    for (size_t i = 0; i < w->n_spare; i++)
        batch_free(w->spare[i], w->n);
    batch_free(w->cur, w->n);
    for (size_t i = 0; i < w->n_chunk_bufs; i++)
        storm_buf_free(&w->chunks[i].text);
    free(w->chunks);
    free(w->versions);
    storm_arena_free(w->render_arena);
    pthread_cond_destroy(&w->reader_cv);
    pthread_cond_destroy(&w->sink_cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    p->workers = NULL;
    p->arena = p->sinks.event_arena = NULL; /* was the batch's */
}

/* A shard's pipeline, built in a thread of its own. */
typedef struct wk_build {
    const storm_pipeline_opts *opts;
    const storm_pipeline_sinks *sinks;
    pthread_t thread;
    bool started;
    storm_pipeline *p;
    storm_rc rc;
    storm_err err;
} wk_build;

static void *build_main(void *arg)
{
    wk_build *b = arg;
    storm_err_clear(&b->err);
    b->rc = storm_pipeline_new(b->opts, b->sinks, &b->p, &b->err);
    return NULL;
}

/* The reading pipeline never calls its event sink (pipeline_workers_event
 * comes first): it is only there so that it builds no detector. */
static storm_rc no_event(void *ctx, storm_event *ev, storm_err *err)
{
    (void)ctx;
    (void)ev;
    (void)err;
    return STORM_OK;
}

storm_rc storm_pipeline_new_workers(const storm_pipeline_opts *opts, const storm_pipeline_sinks *sinks, unsigned n,
                                    storm_pipeline **out, storm_err *err)
{
    *out = NULL;
    if (n <= 1)
        return storm_pipeline_new(opts, sinks, out, err);
    if (n > WORKERS_MAX)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "--workers: at most %d", WORKERS_MAX);
    if (!opts->models || sinks->observation || sinks->event)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "--workers: only detection runs on several workers");
    if (opts->baseline)
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                             "--workers: a baseline (--baseline, --learn-for, --anomalies) needs one worker");
    if (opts->keep_observations)
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "--workers: --keep-observations needs one worker");
    if (opts->detect.correlate == STORM_CORRELATE_GLOBAL)
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                             "--workers: --correlate global has one scope, nothing to share out: use one worker, "
                             "or --correlate node, pod or lineage");
    struct pipeline_workers *w = calloc(1, sizeof *w);
    wk_batch *first = w ? batch_new(n) : NULL;
    wk_shard *shards = w ? calloc(n, sizeof *shards) : NULL;
    if (!w || !first || !shards) {
        free(w);
        batch_free(first, n);
        free(shards);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    w->n = n;
    w->correlate = opts->detect.correlate;
    w->forced = opts->forced;
    w->shards = shards;
    w->cur = first;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->reader_cv, NULL);
    pthread_cond_init(&w->sink_cv, NULL);
    for (unsigned i = 0; i < n; i++)
        pthread_cond_init(&shards[i].cv, NULL);

    /* the reader: decoding only, its rejects to the caller's sink */
    storm_pipeline_sinks rs = {.rejects = sinks->rejects, .event = no_event, .event_arena = first->arena};
    storm_pipeline *p = NULL;
    storm_rc rc = storm_pipeline_new(opts, &rs, &p, err);
    if (rc != STORM_OK) {
        batch_free(first, n);
        for (unsigned i = 0; i < n; i++)
            pthread_cond_destroy(&shards[i].cv);
        free(shards);
        pthread_cond_destroy(&w->reader_cv);
        pthread_cond_destroy(&w->sink_cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return rc;
    }
    p->workers = w;
    w->reader = p;
    p->sum_store = sinks->store != NULL;
    /* the sink: the caller's output, store and sessions; its own detector
     * only names the identity and puts the models in the store */
    storm_pipeline_opts so = *opts;
    so.stop = NULL;
    so.report = NULL;
    so.progress = NULL;
    /* the shards: detection only; conversion rejects to the caller's sink */
    storm_pipeline_opts ko = so;
    ko.no_sessions = true;
    storm_pipeline_sinks ks = {.rejects = sinks->rejects, .format = sinks->format};
    /* the detectors build at the same time: each shard's in a thread of its
     * own, the sink's here */
    wk_build *builds = calloc(n, sizeof *builds);
    if (!builds) {
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < n; i++) {
        shards[i].w = w;
        shards[i].index = i;
        builds[i].opts = &ko;
        builds[i].sinks = &ks;
        builds[i].started = pthread_create(&builds[i].thread, NULL, build_main, &builds[i]) == 0;
        if (!builds[i].started)
            build_main(&builds[i]);
    }
    rc = storm_pipeline_new(&so, sinks, &w->sink, err);
    for (unsigned i = 0; i < n; i++) {
        if (builds[i].started)
            pthread_join(builds[i].thread, NULL);
        shards[i].p = builds[i].p;
        if (rc == STORM_OK && builds[i].rc != STORM_OK) {
            rc = builds[i].rc;
            *err = builds[i].err;
        }
    }
    free(builds);
    if (rc != STORM_OK)
        goto fail;
    for (unsigned i = 0; i < n; i++)
        storm_detector_tap_matches(shards[i].p->det, on_shard_match, &shards[i]);
    /* the book's versions: the bundles rendered in parallel after each
     * batch; without an output, not rendered */
    w->defer_render = sinks->out && sinks->format == STORM_PIPELINE_STIX;
    if (w->defer_render && !(w->render_arena = storm_arena_new(0, 0))) {
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        goto fail;
    }
    if (w->defer_render || !sinks->out) {
        w->sink->sighting_tap = on_book_sighting;
        w->sink->sighting_tap_ctx = w;
    }
    for (unsigned i = 1; i < n; i++) { /* shard 0 is the caller's thread's */
        if (pthread_create(&shards[i].thread, NULL, worker_main, &shards[i]) != 0) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "--workers: cannot start a thread");
            goto fail;
        }
        shards[i].started = true;
    }
    *out = p;
    return STORM_OK;
fail:
    storm_pipeline_free(p); /* joins what started, frees the rest */
    return rc;
}
