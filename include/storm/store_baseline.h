/* SPDX-License-Identifier: Apache-2.0 */
/* Baseline profiles in the store: the rows behind storm/baseline.h
 * (tables baseline_profile and baseline_feature, created by the store's
 * migrations like every other table). The baseline keeps its profiles in
 * memory and writes only what changed, in one save:
 *
 *     storm_store_baseline_save *w;
 *     storm_store_baseline_save_begin(store, &w, &err);
 *     storm_store_baseline_forget(w, "ns/Deployment/gone/c", &err);
 *     storm_store_baseline_put_profile(w, &profile, &row_id, &err);
 *     storm_store_baseline_put_feature(w, row_id, &feature, &err);
 *     storm_store_baseline_save_end(w, true, &err);   // or false: roll back
 *
 * A save is a SAVEPOINT, so it is atomic whether or not the caller already
 * has a transaction open on the store. */
#ifndef STORM_STORE_BASELINE_H
#define STORM_STORE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One workload's profile row. Strings are borrowed (by the store for the
 * duration of a call, or from the store during a load callback). */
typedef struct storm_store_profile {
    int64_t row_id;       /* on load: the row's id (features name it) */
    const char *workload; /* the workload key (unique) */
    const char *origin;   /* how it was made (learned, imported, ...) */
    uint64_t events_learned, events_at_last_new;
    int64_t first_seen, last_seen, last_new_feature; /* ns since the epoch */
    uint64_t overflow, explained, unexplained;
} storm_store_profile;

/* One feature row of a profile. */
typedef struct storm_store_feature {
    const char *workload; /* on load: its profile's workload */
    const char *text;     /* "<kind> <value>" */
    size_t len;
    bool denied;
    uint64_t hits;
    int64_t first_seen; /* ns since the epoch */
    int64_t seq;        /* position in its profile (loads come back in this order) */
} storm_store_feature;

/* Load every profile (on_profile, in no particular order), then every
 * feature (on_feature, by profile then seq). A callback returning other than
 * STORM_OK stops the load, which returns that code (the callback sets err). */
storm_rc storm_store_baseline_load(storm_store *s,
                                   storm_rc (*on_profile)(void *ctx, const storm_store_profile *p, storm_err *err),
                                   storm_rc (*on_feature)(void *ctx, const storm_store_feature *f, storm_err *err),
                                   void *ctx, storm_err *err);

typedef struct storm_store_baseline_save storm_store_baseline_save;

/* Open a save (a SAVEPOINT). *out is owned until storm_store_baseline_save_end. */
storm_rc storm_store_baseline_save_begin(storm_store *s, storm_store_baseline_save **out, storm_err *err);
/* Delete a workload's profile and its features (absent: nothing to do). */
storm_rc storm_store_baseline_forget(storm_store_baseline_save *w, const char *workload, storm_err *err);
/* Insert or update a profile by workload (origin is kept from the first
 * insert); *row_id gets its row id. */
storm_rc storm_store_baseline_put_profile(storm_store_baseline_save *w, const storm_store_profile *p, int64_t *row_id,
                                          storm_err *err);
/* Insert a feature of the profile row_id, or update its denied and hits. */
storm_rc storm_store_baseline_put_feature(storm_store_baseline_save *w, int64_t row_id, const storm_store_feature *f,
                                          storm_err *err);
/* Delete one feature of the profile row_id. */
storm_rc storm_store_baseline_delete_feature(storm_store_baseline_save *w, int64_t row_id, const char *text, size_t len,
                                             storm_err *err);
/* Release the savepoint when commit (rolled back if that fails) or roll it
 * back; frees w either way. */
storm_rc storm_store_baseline_save_end(storm_store_baseline_save *w, bool commit, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
