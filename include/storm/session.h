/* SPDX-License-Identifier: Apache-2.0 */
/* Attack sessions: the sightings (and baseline anomalies) attributed to one
 * attacker, linked as the stream goes (docs/sessions.md gives every rule):
 *   - pod: steps in the same pod (namespace/name) or container;
 *   - lineage: a step's process, its parent and the ancestors the tracker
 *     saw being started (exec ids), so a host shell that nsenter starts from
 *     a pod continues the pod's session;
 *   - address: the source address of an API request (audit sourceIPs) or of
 *     a flow, and the pod known to own that address (loopback never links);
 *   - identity: a service-account token read in a pod, then used (audit
 *     user.username system:serviceaccount:NS:SA, or the pod the token is
 *     bound to in user.extra) from another pod or from outside;
 *   - creation: a pod created by a step continues in that pod;
 *   - kernel helper: a host process the kernel starts (parent <kernel>)
 *     belongs to the step on the same node just before it.
 * Two steps link only when they fall within the quiet period of each other
 * (event time, order-independent); a later event that links two sessions
 * merges them. State is bounded: sessions, keys per session and the
 * context remembered (lineage, addresses, identities) have caps, and what
 * is dropped is counted.
 *
 * Listeners (the store sink, alerts) get an event when a session opens,
 * gains or updates a step, merges, or goes quiet. Session ids are UUIDv5
 * of the session's earliest sighting, so the same events give the same ids.
 * Not thread-safe: one tracker per pipeline. */
#ifndef STORM_SESSION_H
#define STORM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_session_tracker storm_session_tracker;

/* Limits; a zero field takes the default shown. */
typedef struct storm_session_opts {
    storm_time_ns quiet;  /* steps further apart than this never link: 1 h */
    size_t sessions_cap;  /* sessions held (the least recently changed goes first): 4096 */
    size_t keys_cap;      /* link keys per session: 256 */
    size_t context_cap;   /* lineage, address and identity facts remembered: 262144 */
    size_t steps_cap;     /* steps kept per session (later ones counted in steps_dropped, not in size): 1024 */
    storm_time_ns helper; /* kernel helper rule: how soon after the step: 1 s */
} storm_session_opts;

/* One step of a session: a sighting (or an anomaly) and where it was seen.
 * Strings are owned by the tracker. */
typedef struct storm_session_step {
    char *sighting_id; /* sighting--UUID; for an anomaly the observed-data id */
    char *indicator_id, *indicator_name;
    char *step_id, *step_name, *tactic; /* attack-pattern; NULL for an anomaly or a step-less indicator */
    char *pod;                          /* "ns/name", or NULL */
    char *node;                         /* or NULL */
    char *evidence;                     /* one line for people */
    char *link;                         /* the rule that tied it to the session: "first", "pod", "lineage",
                                           "address", "identity", "creation", "helper" */
    storm_time_ns first_seen, last_seen;
    uint64_t count;
    bool anomaly;
} storm_session_step;

/* A session as the listeners and the store see it. Borrowed. */
typedef struct storm_session {
    char id[64]; /* "session--UUID" (UUIDv5 of the earliest sighting's id; anomalies do not count) */
    storm_time_ns first_seen, last_seen;
    size_t n_steps;
    storm_session_step *steps; /* in order of first_seen, then sighting id */
    uint64_t size;             /* matches and anomalies it holds (sum of counts) */
    uint64_t steps_dropped;    /* steps past steps_cap */
    bool quiet;                /* no step for the quiet period (as of the latest event time) */
} storm_session;

typedef enum storm_session_event_kind {
    STORM_SESSION_OPENED = 0,   /* a new session with its first step */
    STORM_SESSION_STEP_ADDED,   /* a step joined (step says which) */
    STORM_SESSION_STEP_UPDATED, /* a step's sighting was seen again (count, last_seen) */
    STORM_SESSION_MERGED,       /* replaced (an absorbed session) was merged into session */
    STORM_SESSION_QUIET,        /* nothing for the quiet period */
    STORM_SESSION_EVICTED,      /* about to be dropped from memory by sessions_cap (last call with it) */
} storm_session_event_kind;

typedef struct storm_session_event {
    storm_session_event_kind kind;
    const storm_session *session;
    const storm_session_step *step; /* OPENED, STEP_ADDED, STEP_UPDATED */
    const char *replaces;           /* an id no longer valid (merged away, or the session's old id when an earlier
                                       step renamed it), or NULL */
} storm_session_event;

typedef void (*storm_session_fn)(void *ctx, const storm_session_event *ev);

/* A new tracker; *out is owned (storm_session_tracker_free). */
storm_rc storm_session_tracker_new(const storm_session_opts *opts, storm_session_tracker **out, storm_err *err);
void storm_session_tracker_free(storm_session_tracker *t);

/* Add a listener (up to 8): called synchronously for every session event. */
storm_rc storm_session_listen(storm_session_tracker *t, storm_session_fn fn, void *ctx);

/* Every decoded event, step or not: what it tells about lineage (exec ids),
 * addresses (which pod holds an IP) and identities (a pod's service
 * account). Cheap; never opens a session. */
void storm_session_observe(storm_session_tracker *t, const storm_event *ev);

/* What is known of a step besides its event. Borrowed for the call. */
typedef struct storm_session_step_in {
    const char *sighting_id;
    const char *indicator_id, *indicator_name;
    const char *step_id, *step_name, *tactic;
    const char *evidence;
    storm_time_ns first_seen, last_seen;
    uint64_t count;
    bool anomaly; /* a baseline anomaly: joins a session it links to, never opens one */
} storm_session_step_in;

/* A sighting (new or updated) or an anomaly, with the event that caused it
 * (NULL for an update without one: then only a step already held is
 * updated). Returns NOMEM only. */
storm_rc storm_session_add(storm_session_tracker *t, const storm_session_step_in *in, const storm_event *ev,
                           storm_err *err);

typedef struct storm_session_stats {
    uint64_t opened, merged, steps, updates, anomalies;
    uint64_t held;               /* sessions in memory now */
    uint64_t evicted;            /* sessions dropped by the cap */
    uint64_t keys_dropped;       /* link keys over keys_cap */
    uint64_t context_evicted;    /* lineage/address/identity facts dropped by context_cap */
    uint64_t steps_dropped;      /* steps over steps_cap */
    uint64_t anomalies_unlinked; /* anomalies that linked to no session */
} storm_session_stats;

void storm_session_get_stats(const storm_session_tracker *t, storm_session_stats *out);

/* Every session held, oldest first (for a final flush). */
size_t storm_session_count(const storm_session_tracker *t);
const storm_session *storm_session_at(const storm_session_tracker *t, size_t i);

/* The stored form of a session: one JSON object (id, first_seen, last_seen,
 * size, pods, nodes, steps[...]), appended to out. */
storm_rc storm_session_to_json(const storm_session *s, storm_buf *out);

#ifdef __cplusplus
}
#endif
#endif
