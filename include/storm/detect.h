/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming detection engine: feed observations (one per event, in
 * stream order), get STIX sightings of the loaded indicators.
 *
 * - Single-observation patterns decide on the observation itself.
 * - Patterns over several observations (AND, OR, FOLLOWEDBY, WITHIN,
 *   REPEATS, START/STOP) keep partial matches per correlation scope, bounded
 *   by a time horizon (event time) and by caps; what is dropped is counted
 *   (states_evicted), so memory stays bounded on an endless stream.
 * - An index keeps the cost per observation nearly independent of the number
 *   of indicators: equality literals by hash, MATCHES/LIKE through Hyperscan
 *   (when built with it), full evaluation only for candidates.
 * - Repeated matches of one indicator in one scope within the sighting window
 *   update one sighting (count, last_seen, observed_data_refs up to a cap).
 * Sighting ids are deterministic (UUIDv5 of the indicator id, the scope and
 * the aligned sighting window holding the match's earliest observation), so
 * re-processing the same events, in any order, yields the same objects.
 * Not thread-safe: one detector per thread. */
#ifndef STORM_DETECT_H
#define STORM_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/model.h>
#include <storm/observation.h>
#include <storm/stix.h>
#include <storm/time.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_detector storm_detector;

/* Which observations may combine in one match (and share one sighting). */
typedef enum storm_correlate {
    STORM_CORRELATE_POD = 0, /* same namespace/pod (host processes: same node) - the default */
    STORM_CORRELATE_GLOBAL,  /* everything together */
    STORM_CORRELATE_NODE,    /* same node */
    STORM_CORRELATE_LINEAGE, /* same process tree (by exec ids), else same pod */
} storm_correlate;

/* Parse "global", "node", "pod", "lineage"; false when unknown. */
bool storm_correlate_parse(const char *s, storm_correlate *out);
const char *storm_correlate_name(storm_correlate c);

/* Limits and windows; a zero field takes the default shown. */
typedef struct storm_detect_opts {
    storm_correlate correlate;
    storm_time_ns horizon;         /* partial matches older than this (event time) are dropped: 1 h */
    size_t state_cap;              /* partial matches held per pattern node and scope: 64 */
    size_t states_cap;             /* partial matches held in all (the least recently used scope
                                      state goes first): 4096 */
    size_t scopes_cap;             /* (indicator, scope) states held in all: 4096 */
    storm_time_ns sighting_window; /* matches in the same aligned window of this length (by the
                                      first observation's time) update one sighting: 1 h */
    size_t sighting_refs_cap;      /* observed_data_refs kept per sighting: 32 */
    size_t open_sightings_cap;     /* sightings kept open for updates (the least recently updated
                                      is closed first): 8192 */
    size_t lineage_cap;            /* exec ids remembered for lineage correlation: 262144 */
    const char *identity;          /* name of this cluster (where_sighted_refs): "storm" */
    const char *cache_dir;         /* where compiled regex databases are kept between runs
                                      (files hs-<digest>.db); NULL: compiled every time */
} storm_detect_opts;

/* Where an observation happened, from its event (all may be NULL). */
typedef struct storm_detect_context {
    const char *node;
    const char *namespace_;
    const char *pod;
    const char *exec_id;
    const char *parent_exec_id;
    /* the client address of an entry point's log line (sshd, HTTP access):
     * observations of different clients of one place never combine (one
     * brute force per source), and the place names the client */
    const char *client;
} storm_detect_context;

/* One emitted version of a sighting. Everything is borrowed and valid only
 * during the callback. */
typedef struct storm_detect_sighting {
    const storm_value *sighting; /* the STIX sighting object */
    size_t n_objects;
    const storm_value *const *objects; /* observed-data and SCOs not emitted before (new evidence) */
    const storm_model_indicator *indicator;
    const storm_model_step *step; /* the first attack step it indicates, or NULL */
    const char *scope;            /* e.g. "pod default/web-1", "node n1", "global" */
    const char *place;            /* where the last match happened: "pod ns/name", "node n1" or
                                     "cluster", whatever the correlation scope; with lineage
                                     correlation followed by ", process tree of pid P on NODE" */
    storm_time_ns first_seen, last_seen;
    uint64_t count;
    bool is_update;       /* a later version of a sighting emitted before */
    const char *evidence; /* one line for people: what the last match saw */
} storm_detect_sighting;

typedef void (*storm_detect_sighting_fn)(void *ctx, const storm_detect_sighting *s);

/* Build a detector over models (borrowed: must outlive it; finished with
 * storm_models_finish). on_sighting is called for every new sighting and
 * every update; ctx is passed through. *out is owned (storm_detector_free).
 * Fails only on OOM or a bad option. */
storm_rc storm_detector_new(const storm_models *models, const storm_detect_opts *opts,
                            storm_detect_sighting_fn on_sighting, void *ctx, storm_detector **out, storm_err *err);
void storm_detector_free(storm_detector *d);

/* The identity object (where_sighted_refs) the sightings name; borrowed. */
const storm_value *storm_detector_identity(const storm_detector *d);

/* Match one observation. obs (and what it borrows) only needs to live during
 * the call: what partial matches keep is copied. ctx may be NULL. Returns
 * STORM_OK (whether or not anything matched), or NOMEM. A pattern that cannot
 * compare a value is counted in stats.match_errors, not returned. */
storm_rc storm_detector_feed(storm_detector *d, const storm_observation *obs, const storm_detect_context *ctx,
                             storm_err *err);

/* Whether the observation of ev is worth building and feeding: false when
 * the indicator index finds, on the event itself, that no indicator can
 * care (storm/stix_prefilter.h); the event is then accounted (time, process
 * tree, statistics) as if fed, and need not be built. opts must be the ones
 * the observation would be built with; strings built on the way come from
 * arena a. */
bool storm_detector_wants(storm_detector *d, storm_arena *a, const storm_event *ev, const storm_stix_opts *opts,
                          const storm_detect_context *ctx);

/* storm_detector_feed for the observation of the event storm_detector_wants
 * last returned true for: the candidate indicators it found on the event are
 * evaluated, and the observation is not searched for them again. Anything
 * else fed in between (storm_detector_feed) makes it a plain feed. */
storm_rc storm_detector_feed_wanted(storm_detector *d, const storm_observation *obs, const storm_detect_context *ctx,
                                    storm_err *err);

/* Emit the pending updates of every open sighting (count grew since it was
 * last emitted) and close them. Call at the end of the stream; also useful
 * before a checkpoint. */
void storm_detector_flush(storm_detector *d);
/* The stream's clock moved to event time t (an event fed to another
 * detector: storm run --workers gives each shard's detector every event's
 * time): sightings whose window passed are closed and partial matches
 * idle beyond the horizon dropped, as feeding an event of that time would;
 * nothing is matched or counted. */
void storm_detector_advance(storm_detector *d, storm_time_ns t);
/* Emit the pending updates of every open sighting, keeping them open (a
 * checkpoint of a stream that goes on: storm run --kafka, --redis). */
void storm_detector_emit_pending(storm_detector *d);
/* The earliest event time that what the detector holds depends on: open
 * sightings (their first_seen) and stored partial matches (their earliest
 * observation); INT64_MAX when it holds nothing. Events older than this
 * can no longer change any result: a stream consumer may acknowledge them
 * for good (a consumer taking over replays the rest and rebuilds the same
 * state). */
storm_time_ns storm_detector_held_since(const storm_detector *d);

/* One complete match of an indicator, as a detector records it into its
 * sightings. Everything is borrowed and valid only during the callback. */
typedef struct storm_detect_match {
    const storm_model_indicator *indicator;
    const char *scope, *place;
    const storm_observation *const *obs; /* what matched (the observations in pattern order) */
    size_t n_obs;
    storm_time_ns tmin, tmax;
    bool obs_fed; /* obs[0] is the observation being fed (a stateless match): the same one for every
                     stateless match of that feed; otherwise each observation is rebuilt for the call */
} storm_detect_match;

typedef void (*storm_detect_match_fn)(void *ctx, const storm_detect_match *m);

/* storm run --workers: the matches of d go to fn (ctx passed through)
 * instead of into its own sightings, which then stay empty; another
 * detector, the one book of sightings, takes every shard's matches in input
 * order (storm_detector_record_*), so that which sighting a cap closes, and
 * when, is what one detector fed the whole stream would do. */
void storm_detector_tap_matches(storm_detector *d, storm_detect_match_fn fn, void *ctx);
/* On the book: what feeding one event did to a tapped detector's
 * sightings, step by step: the event's time (t: storm_detector_advance),
 * each of its matches in the order the tap gave them, then (after the
 * event's last match) the open sightings' cap. */
void storm_detector_record_match(storm_detector *d, const storm_detect_match *m);
void storm_detector_record_done(storm_detector *d);

typedef struct storm_detect_stats {
    uint64_t observations;         /* fed */
    uint64_t observations_matched; /* satisfied at least one indicator's comparison */
    uint64_t candidates;           /* leaf evaluations the index let through */
    uint64_t matches;              /* complete pattern matches */
    uint64_t sightings;            /* distinct sightings created */
    uint64_t sighting_updates;     /* versions emitted after the first */
    uint64_t states_held;          /* partial matches held now */
    uint64_t states_evicted;       /* partial matches dropped by horizon or caps */
    uint64_t scopes_held;          /* (indicator, scope) states now */
    uint64_t match_errors;         /* values a pattern could not compare */
    size_t indicators;             /* indicators in use */
    size_t leaves;                 /* distinct comparison expressions */
    size_t regex_prefiltered;      /* MATCHES/LIKE leaves in the multi-regex database */
    size_t regex_unindexed;        /* rejected by it, evaluated with PCRE2 when their object type is present */
    size_t regex_cached;           /* regex databases loaded from opts.cache_dir instead of compiled */
    uint64_t prefiltered;          /* observations not built: storm_detector_wants found no candidate */
} storm_detect_stats;

void storm_detector_get_stats(const storm_detector *d, storm_detect_stats *out);

#ifdef __cplusplus
}
#endif
#endif
