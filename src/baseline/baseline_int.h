/* SPDX-License-Identifier: Apache-2.0 */
/* Private structures of the baseline module. */
#ifndef STORM_BASELINE_INT_H
#define STORM_BASELINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/baseline.h>

#include "normalize.h"

#define BL_DEFAULT_MAX_PROFILES 10000
#define BL_DEFAULT_MAX_FEATURES 4096
#define BL_DEFAULT_SETTLE_EVENTS 100
#define BL_DEFAULT_COLLAPSE_THRESHOLD 50
/* Most features one event yields (exec + hook + files + net + alert ...). */
#define BL_EVENT_MAX_FEATURES 8

/* One feature of a profile, allocated in one piece with its text (text
 * points just past the struct), so that a lookup touches one allocation. */
typedef struct bl_feature {
    uint64_t hash;
    size_t len;
    char *text;
    uint64_t hits;
    storm_time_ns first_seen;
    bool denied;
    bool pattern; /* holds a wildcard or CIDR: matched by scan, not by hash */
    bool dirty;   /* changed since the last save */
    bool removed; /* deleted by hand: the row goes at the next save, then the slot */
} bl_feature;

/* A profile: features in insertion order plus an open-addressing index of
 * exact entries (by hash) and a list of pattern entries. All owned. */
typedef struct bl_profile {
    /* what check() reads first, together in the first cache line */
    uint64_t key_hash; /* bl_hash(key): the baseline's profile index */
    uint32_t key_len;  /* < STORM_BASELINE_KEY_MAX */
    bool dirty;        /* changed since the last save */
    char *key;
    bl_feature **index; /* exact entries by hash (NULL = empty slot) */
    size_t index_cap;   /* power of two */
    size_t n_patterns;
    uint64_t explained, unexplained;
    /* the rest */
    char *origin;
    int64_t row_id; /* baseline_profile.id, 0 until saved */
    bl_feature **items;
    size_t n, alloc; /* items (removed ones included until saved) */
    size_t live, denied;
    size_t *patterns; /* item numbers of pattern entries */
    size_t patterns_alloc;
    uint64_t events_learned, events_at_last_new, overflow;
    storm_time_ns first_seen, last_seen, last_new_feature;
} bl_profile;

/* A deleted profile whose rows must go at the next save. */
typedef struct bl_gone {
    char *key;
    struct bl_gone *next;
} bl_gone;

/* The identity of the last container event checked: its six inputs
 * (namespace, pod, workload, kind, container, image; copied, each
 * NUL-terminated), the key built from them and the profile found for it.
 * Events of one pod come in runs, and building a key is about a fifth of
 * check(); a hit compares every input, so it is exact. The profile is
 * trusted only while the baseline's generation (bumped whenever a profile
 * is created or dropped) is the one it was found in. */
#define BL_LAST_KEY_FIELDS 6
typedef struct bl_last_key {
    bool valid;
    uint16_t off[BL_LAST_KEY_FIELDS];
    char raw[1024];
    char key[STORM_BASELINE_KEY_MAX];
    size_t key_len;
    bl_profile *profile;
    uint64_t generation;
} bl_last_key;

struct storm_baseline {
    storm_baseline_opts opts;
    storm_store *store; /* borrowed, or owned when owns_store */
    bool owns_store;
    bl_profile **profiles; /* sorted by key (listing, insertion point) */
    size_t n_profiles, profiles_alloc;
    /* Open-addressing index of profiles by key hash (linear probing, load
     * under 1/2): check() finds its profile in one probe instead of a binary
     * search of string compares. NULL only after an allocation failure, when
     * lookups fall back to the binary search. */
    bl_profile **index;
    size_t index_cap; /* power of two */
    bl_gone *gone;
    storm_baseline_stats stats;
    uint64_t generation; /* bumped when a profile is created or dropped */
    bl_last_key last;    /* check()'s identity cache */
};

/* ---- hashing, matching (match.c) ---- */
uint64_t bl_hash(const char *s, size_t n);
/* Does text match pattern: '*' any run, "⋯" one path segment (no '/'), a peer
 * "a.b.c.d/len" or IPv6 CIDR in a net entry, everything else literal. */
bool bl_pattern_match(const char *pattern, const char *text);
bool bl_is_pattern(const char *text);

/* ---- profiles (profile.c) ---- */
bl_profile *bl_profile_new(const char *key, const char *origin);
void bl_profile_free(bl_profile *p);
/* Exact lookup; NULL when absent. */
bl_feature *bl_profile_find(const bl_profile *p, const char *text, size_t len, uint64_t hash);
/* Add (or return) a feature; *created says whether it is new. NULL on OOM. */
bl_feature *bl_profile_add(bl_profile *p, const char *text, size_t len, bool *created);
/* Is text explained: an exact live entry or a matching pattern entry. Sets
 * *denied when the entry found (exact) is a deny. */
bool bl_profile_explains(const bl_profile *p, const char *text, size_t len, bool *denied);
/* Drop removed entries (after a save). */
void bl_profile_compact(bl_profile *p);

/* ---- the baseline's profile table (baseline.c) ---- */
bl_profile *bl_find_profile(const storm_baseline *b, const char *key);
bl_profile *bl_find_profile_n(const storm_baseline *b, const char *key, size_t len);
/* Find or create (respecting max_profiles: NULL and *full when it is reached). */
bl_profile *bl_get_profile(storm_baseline *b, const char *key, const char *origin, bool *full);
/* Validate and canonicalise a hand-written feature "<kind> <value>" into out.
 * Returns false with a reason in err. */
bool bl_feature_parse(const char *text, bl_out *out, storm_err *err);
/* Add a feature by hand or import (counts overflow); returns STORM_OK,
 * STORM_ERR_LIMIT (cap reached) or NOMEM. */
storm_rc bl_add_entry(storm_baseline *b, bl_profile *p, const char *text, bool deny, uint64_t hits,
                      storm_time_ns first_seen, bool *created);

/* ---- event -> identity and features (identity.c, features.c) ---- */
/* storm_baseline_workload_key into a cursor (o->len is the key's length);
 * false and o emptied when the event carries no identity. */
bool bl_workload_key(const storm_event *ev, bl_out *o);
/* Does ev carry the same identity inputs as the cached ones (container
 * events only)? */
bool bl_last_key_match(const bl_last_key *c, const storm_event *ev);
/* Remember ev's identity inputs and its key (len bytes); c->valid stays
 * false when ev is not a container event or its inputs do not fit. */
void bl_last_key_store(bl_last_key *c, const storm_event *ev, const char *key, size_t len);
/* Features of ev as NUL-separated lines in buf; returns how many (0..max). */
typedef struct bl_features {
    size_t n;
    const char *text[BL_EVENT_MAX_FEATURES];
    size_t len[BL_EVENT_MAX_FEATURES];
    char buf[BL_EVENT_MAX_FEATURES * 600];
    size_t used;
} bl_features;
void bl_event_features(const storm_event *ev, bl_features *out);

/* ---- directory collapse (collapse.c) ---- */
/* The learned or hand "file <op> <dir>/⋯" entry (allowed) that covers text,
 * or NULL: learning counts a hit there instead of adding the file again. */
bl_feature *bl_collapsed_by(const bl_profile *p, const char *text);
/* text (len bytes) is a file feature just learned: when its directory now
 * holds more than opts.collapse_threshold files of that operation, they are
 * replaced by "file <op> <dir>/⋯" (not in protected directories). OK or NOMEM. */
storm_rc bl_collapse_after_add(storm_baseline *b, bl_profile *p, const char *text, size_t len);

/* ---- persistence (persist.c) ---- */
storm_rc bl_db_load(storm_baseline *b, storm_err *err);
storm_rc bl_db_save(storm_baseline *b, storm_err *err);

#endif
