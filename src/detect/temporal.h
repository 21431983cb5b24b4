/* SPDX-License-Identifier: Apache-2.0 */
/* Patterns over several observations, matched on a stream.
 *
 * A pattern's observation expression becomes a small plan of nodes. When an
 * observation arrives, each node computes its NEW complete matches (sets of
 * observations with their earliest and latest time) from its children's new
 * matches and from what it stored before:
 *   leaf        the observation, if the comparison holds;
 *   OR          new of either side;
 *   AND         new of one side x stored or new of the other (disjoint);
 *   FOLLOWEDBY  the same, with every left observation not after any right one;
 *   REPEATS n   a new child match plus n-1 stored disjoint ones;
 *   WITHIN s    only combinations spanning at most s (checked while combining);
 *   START/STOP  only matches inside [start, stop).
 * Children of AND, FOLLOWEDBY and REPEATS store their matches per scope:
 * at most `cap` per node (the oldest is evicted), none older than the
 * horizon (the pattern's own WITHIN when tighter) behind the newest time
 * seen. Every drop is counted. Observations held by stored matches are
 * packed copies shared by reference count. */
#ifndef STORM_DETECT_TEMPORAL_H
#define STORM_DETECT_TEMPORAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#include "obs_pack.h"

#define TMATCH_MAX_OBS 32   /* observations recorded per match (REPEATS beyond keeps the latest) */
#define TEMPORAL_NEW_MAX 16 /* new matches a node passes up per observation */

/* An observation a partial match holds, shared by the matches that hold it:
 * its id, its time and the observation packed (obs_pack.h); unpacked only
 * when a complete match is written as a sighting. */
typedef struct kept_obs {
    int refs;
    storm_time_ns time;
    char *id; /* NULL when the observation had none */
    uint8_t *packed;
    size_t packed_len;
    obs_packer *pk; /* borrowed: the packer whose dictionary the bytes may need (the detector's) */
} kept_obs;

/* Pack obs into a new kept_obs with one reference; NULL on OOM. */
kept_obs *kept_obs_new(obs_packer *pk, const storm_observation *obs);
void kept_obs_ref(kept_obs *k);
void kept_obs_unref(kept_obs *k);
/* The observation k holds, rebuilt in arena a (as a deep copy of the
 * original would be). false on OOM. */
bool kept_obs_unpack(const kept_obs *k, storm_arena *a, storm_observation *out);

typedef struct tmatch {
    storm_time_ns tmin, tmax;
    uint32_t n;
    kept_obs *obs[TMATCH_MAX_OBS];
} tmatch;

typedef struct tplan tplan;

/* Build the plan of a compiled pattern (its leaves keep the pattern's leaf
 * numbering; the caller maps them to index ids itself). NULL on OOM; free
 * with tplan_free. tplan_stateless tells whether every match is a single
 * observation (no state needed). */
tplan *tplan_new(const storm_pattern *p, storm_time_ns horizon);
void tplan_free(tplan *t);
bool tplan_stateless(const tplan *t);
unsigned tplan_n_leaves(const tplan *t);
/* The earliest time a stored match can still be useful, relative to the
 * newest time: the horizon, or the pattern's outermost WITHIN if shorter. */
storm_time_ns tplan_horizon(const tplan *t);

/* Stateless plans: does the current observation (time t) alone match, given
 * which leaves it satisfies? */
bool tplan_eval_single(const tplan *t, const bool *leaf_true, storm_time_ns time);

/* The stored state of one plan in one scope. */
typedef struct tstate tstate;

tstate *tstate_new(const tplan *t);
/* Frees the state and its stored matches; adds how many it held to *dropped. */
void tstate_free(tstate *s, uint64_t *dropped);
/* Matches held now. */
size_t tstate_held(const tstate *s);
/* The earliest time of an observation a held match holds (INT64_MAX: none). */
storm_time_ns tstate_oldest(const tstate *s);

typedef struct tcounters {
    uint64_t evicted; /* stored matches dropped by cap or horizon */
    uint64_t held;    /* net change of stored matches (added - removed) */
} tcounters;

/* Feed the current observation (held as cur, which the state references when
 * it stores it). leaf_true[i] says whether leaf i holds on it. watermark is
 * the newest event time seen. Complete matches of the whole pattern are
 * written to out (at most TEMPORAL_NEW_MAX); returns how many. The caller
 * releases them with tmatch_release. */
size_t tstate_feed(tstate *s, const tplan *t, kept_obs *cur, const bool *leaf_true, storm_time_ns watermark, size_t cap,
                   tcounters *c, tmatch **out);
void tmatch_release(tmatch *m);

#endif
