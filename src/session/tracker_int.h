/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker's state, shared by its files: the tracker (tracker.c),
 * the link keys an event gives (link_keys.c) and the stored form
 * (session_json.c). Private to src/session. */
#ifndef STORM_SESSION_TRACKER_INT_H
#define STORM_SESSION_TRACKER_INT_H

#include <storm/session.h>

#include "ctx_map.h"
#include "lineage_map.h"
#include "str_pool.h"

#define TRACKER_LISTENERS 8
#define LINK_KEYS_MAX 40
#define LINK_KEY_LEN 320
#define LINEAGE_DEPTH 8 /* ancestors walked through the lineage context */

/* The rules, in the order a step's link is named when several hold. */
typedef enum link_kind {
    LINK_LINEAGE = 0,
    LINK_POD,
    LINK_CREATION,
    LINK_IDENTITY,
    LINK_ADDRESS,
    LINK_HELPER,
} link_kind;

const char *link_kind_name(link_kind k);

/* One key of an event: looked up (links to the sessions holding it) and/or
 * registered (held by the session the step joins). An ancestor found in the
 * lineage context has only its hash (lineage_map.h): key is "" and it is
 * only looked up. */
typedef struct link_key {
    char key[LINK_KEY_LEN];
    uint64_t hash; /* key_index_hash of key */
    link_kind kind;
    bool look, hold;
} link_key;

typedef struct sess {
    storm_session pub; /* steps' ids, names, tactic, pod, node and link are the tracker's strings */
    size_t steps_alloc;
    char **keys; /* held, owned; each also in the tracker's key index */
    size_t n_keys, keys_alloc;
    uint64_t touched;    /* tracker clock at the last change: the cap drops the least recent */
    const char *id_from; /* the pooled sighting id pub.id was made from (refresh) */
} sess;

typedef struct listener {
    storm_session_fn fn;
    void *ctx;
} listener;

struct storm_session_tracker {
    storm_session_opts o;
    listener listeners[TRACKER_LISTENERS];
    size_t n_listeners;
    sess **s; /* held sessions, in opening order */
    size_t n, alloc;
    key_index keys;
    /* sighting id -> the sessions with a step of it (no scan of every step) */
    key_index by_sighting;
    str_pool strings;    /* the step strings many steps share */
    lineage_map lineage; /* exec id -> parent exec id (hashed; LINEAGE_ROOT when a shared root) */
    ctx_map addresses;   /* IP -> "ns/pod" */
    ctx_map accounts;    /* "ns/pod" -> service account name */
    uint64_t clock;
    storm_time_ns latest; /* latest event time seen */
    storm_session_stats st;
};

/* The keys of a step's event (see docs/sessions.md); anomaly steps too.
 * Returns how many were written to out (at most LINK_KEYS_MAX). */
size_t link_keys_of_event(storm_session_tracker *t, const storm_event *ev, link_key *out);
/* The context an event gives (storm_session_observe). */
void link_observe(storm_session_tracker *t, const storm_event *ev);
/* "ns/name" of ev's pod into buf, or false. */
bool link_pod_name(const storm_event *ev, char *buf, size_t cap);
/* Whether ev was started by the kernel on a node (a usermode helper: parent <kernel>). */
bool link_is_kernel_helper(const storm_event *ev);

#endif
