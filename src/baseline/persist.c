/* SPDX-License-Identifier: Apache-2.0 */
/* Profiles in the store (storm/store_baseline.h: the store owns the tables
 * and their SQL). A save writes only what changed, atomically whether or not
 * the caller already has a transaction open on the store. */
#include "baseline_int.h"

#include <stdlib.h>
#include <string.h>

#include <storm/store_baseline.h>

static storm_rc load_profile(void *ctx, const storm_store_profile *row, storm_err *err)
{
    storm_baseline *b = ctx;
    bool full;
    bl_profile *p = bl_get_profile(b, row->workload, row->origin, &full);
    if (!p) {
        if (full) {
            b->stats.profile_overflow++;
            return STORM_OK;
        }
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading profiles");
    }
    p->row_id = row->row_id;
    p->events_learned = row->events_learned;
    p->events_at_last_new = row->events_at_last_new;
    p->first_seen = row->first_seen;
    p->last_seen = row->last_seen;
    p->last_new_feature = row->last_new_feature;
    p->overflow = row->overflow;
    p->explained = row->explained;
    p->unexplained = row->unexplained;
    p->dirty = false;
    return STORM_OK;
}

static storm_rc load_feature(void *ctx, const storm_store_feature *row, storm_err *err)
{
    storm_baseline *b = ctx;
    bl_profile *p = bl_find_profile(b, row->workload);
    if (!p)
        return STORM_OK; /* its profile did not fit (counted) */
    bool created;
    storm_rc ar = bl_add_entry(b, p, row->text, row->denied, row->hits, row->first_seen, &created);
    if (ar == STORM_ERR_NOMEM)
        return storm_err_set(err, ar, 0, "out of memory loading features");
    return STORM_OK;
}

storm_rc bl_db_load(storm_baseline *b, storm_err *err)
{
    storm_rc rc = storm_store_baseline_load(b->store, load_profile, load_feature, b, err);
    /* what was just read is what is stored */
    for (size_t i = 0; i < b->n_profiles; i++) {
        bl_profile *p = b->profiles[i];
        p->dirty = false;
        for (size_t k = 0; k < p->n; k++)
            p->items[k]->dirty = false;
    }
    return rc;
}

static storm_rc save_profile(storm_store_baseline_save *w, bl_profile *p, storm_err *err)
{
    storm_store_profile row = {
        .row_id = p->row_id,
        .workload = p->key,
        .origin = p->origin,
        .events_learned = p->events_learned,
        .events_at_last_new = p->events_at_last_new,
        .first_seen = p->first_seen,
        .last_seen = p->last_seen,
        .last_new_feature = p->last_new_feature,
        .overflow = p->overflow,
        .explained = p->explained,
        .unexplained = p->unexplained,
    };
    storm_rc rc = storm_store_baseline_put_profile(w, &row, &p->row_id, err);
    for (size_t i = 0; i < p->n && rc == STORM_OK; i++) {
        bl_feature *f = p->items[i];
        if (!f->dirty)
            continue;
        if (f->removed) {
            rc = storm_store_baseline_delete_feature(w, p->row_id, f->text, f->len, err);
        } else {
            storm_store_feature fr = {
                .text = f->text,
                .len = f->len,
                .denied = f->denied,
                .hits = f->hits,
                .first_seen = f->first_seen,
                .seq = (int64_t)i,
            };
            rc = storm_store_baseline_put_feature(w, p->row_id, &fr, err);
        }
    }
    return rc;
}

static storm_rc save_all(storm_store_baseline_save *w, storm_baseline *b, storm_err *err)
{
    for (bl_gone *g = b->gone; g; g = g->next) {
        storm_rc rc = storm_store_baseline_forget(w, g->key, err);
        if (rc != STORM_OK)
            return rc;
    }
    for (size_t i = 0; i < b->n_profiles; i++) {
        bl_profile *p = b->profiles[i];
        if (!p->dirty && p->row_id)
            continue;
        storm_rc rc = save_profile(w, p, err);
        if (rc != STORM_OK)
            return rc;
    }
    return STORM_OK;
}

storm_rc bl_db_save(storm_baseline *b, storm_err *err)
{
    storm_store_baseline_save *w = NULL;
    storm_rc rc = storm_store_baseline_save_begin(b->store, &w, err);
    if (rc != STORM_OK)
        return rc;
    rc = save_all(w, b, err);
    storm_rc end = storm_store_baseline_save_end(w, rc == STORM_OK, err);
    if (rc == STORM_OK)
        rc = end;
    if (rc != STORM_OK) {
        /* ids handed out inside the rolled-back savepoint are void */
        for (size_t i = 0; i < b->n_profiles; i++)
            if (b->profiles[i]->dirty)
                b->profiles[i]->row_id = 0;
        return rc;
    }
    while (b->gone) {
        bl_gone *g = b->gone;
        b->gone = g->next;
        free(g->key);
        free(g);
    }
    for (size_t i = 0; i < b->n_profiles; i++) {
        bl_profile *p = b->profiles[i];
        p->dirty = false;
        for (size_t k = 0; k < p->n; k++)
            p->items[k]->dirty = false;
        bl_profile_compact(p);
    }
    return STORM_OK;
}
