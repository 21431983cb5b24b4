/* SPDX-License-Identifier: Apache-2.0 */
/* Baseline profiles and features in the store (storm/store_baseline.h). The
 * tables are created by migration 2 (schema.c); the baseline module sees no
 * SQL, only these rows. */
#include <storm/store_baseline.h>

#include <stddef.h>
#include <stdlib.h>

#include "store_int.h"

/* A store opened read-only may predate the baseline's tables (schema.c). */
static bool have_tables(storm_store *s)
{
    return s->be->has_table(s, "baseline_feature");
}

static const char *col_text(store_stmt *st, int i)
{
    const char *t = store_column_text(st, i);
    return t ? t : "";
}

storm_rc storm_store_baseline_load(storm_store *s,
                                   storm_rc (*on_profile)(void *ctx, const storm_store_profile *p, storm_err *err),
                                   storm_rc (*on_feature)(void *ctx, const storm_store_feature *f, storm_err *err),
                                   void *ctx, storm_err *err)
{
    if (!have_tables(s))
        return STORM_OK; /* nothing stored yet */
    store_stmt *st = NULL;
    storm_rc rc = STORM_OK;
    if ((rc = store_prepare_once(
             s,
             "SELECT id, workload, origin, events_learned, events_at_last_new, first_seen, last_seen,"
             " last_new_feature, overflow, explained, unexplained FROM baseline_profile",
             &st, err)))
        return rc;
    int r;
    while ((r = store_step(st)) == STORE_STEP_ROW) {
        storm_store_profile p = {
            .row_id = store_column_int64(st, 0),
            .workload = col_text(st, 1),
            .origin = col_text(st, 2),
            .events_learned = (uint64_t)store_column_int64(st, 3),
            .events_at_last_new = (uint64_t)store_column_int64(st, 4),
            .first_seen = store_column_int64(st, 5),
            .last_seen = store_column_int64(st, 6),
            .last_new_feature = store_column_int64(st, 7),
            .overflow = (uint64_t)store_column_int64(st, 8),
            .explained = (uint64_t)store_column_int64(st, 9),
            .unexplained = (uint64_t)store_column_int64(st, 10),
        };
        if ((rc = on_profile(ctx, &p, err)) != STORM_OK)
            break;
    }
    if (rc == STORM_OK && r != STORE_STEP_DONE)
        rc = store_db_err(s, err, "reading baseline profiles");
    store_finalize(st);
    if (rc != STORM_OK)
        return rc;
    if ((rc = store_prepare_once(
             s,
             "SELECT p.workload, f.feature, f.denied, f.hits, f.first_seen, f.seq FROM baseline_feature f"
             " JOIN baseline_profile p ON p.id = f.profile_id ORDER BY f.profile_id, f.seq",
             &st, err)))
        return rc;
    while ((r = store_step(st)) == STORE_STEP_ROW) {
        storm_store_feature f = {
            .workload = col_text(st, 0),
            .text = col_text(st, 1),
            .len = (size_t)store_column_bytes(st, 1),
            .denied = store_column_int64(st, 2) != 0,
            .hits = (uint64_t)store_column_int64(st, 3),
            .first_seen = store_column_int64(st, 4),
            .seq = store_column_int64(st, 5),
        };
        if ((rc = on_feature(ctx, &f, err)) != STORM_OK)
            break;
    }
    if (rc == STORM_OK && r != STORE_STEP_DONE)
        rc = store_db_err(s, err, "reading baseline features");
    store_finalize(st);
    return rc;
}

struct storm_store_baseline_save {
    storm_store *s;
    bool own_tx; /* begun here (no transaction was open): committed or rolled back at the end */
    store_stmt *upsert_profile, *profile_id, *upsert_feature, *delete_feature, *delete_features, *delete_profile;
};

static void finalize_all(storm_store_baseline_save *w)
{
    store_finalize(w->upsert_profile);
    store_finalize(w->profile_id);
    store_finalize(w->upsert_feature);
    store_finalize(w->delete_feature);
    store_finalize(w->delete_features);
    store_finalize(w->delete_profile);
}

/* Run a bound statement once and reset it (bindings are rebound each use). */
static bool step_done(store_stmt *st)
{
    int r = store_step(st);
    store_reset(st);
    return r == STORE_STEP_DONE || r == STORE_STEP_ROW;
}

storm_rc storm_store_baseline_save_begin(storm_store *s, storm_store_baseline_save **out, storm_err *err)
{
    *out = NULL;
    storm_store_baseline_save *w = calloc(1, sizeof *w);
    if (!w)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "store: out of memory saving the baseline");
    w->s = s;
    static const struct {
        size_t off;
        const char *sql;
    } prep[] = {
        {offsetof(storm_store_baseline_save, upsert_profile),
         "INSERT INTO baseline_profile(workload, origin, events_learned, events_at_last_new, first_seen, last_seen,"
         " last_new_feature, overflow, explained, unexplained) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
         " ON CONFLICT(workload) DO UPDATE SET events_learned=?3, events_at_last_new=?4, first_seen=?5,"
         " last_seen=?6, last_new_feature=?7, overflow=?8, explained=?9, unexplained=?10"},
        {offsetof(storm_store_baseline_save, profile_id), "SELECT id FROM baseline_profile WHERE workload=?1"},
        {offsetof(storm_store_baseline_save, upsert_feature),
         "INSERT INTO baseline_feature(profile_id, feature, denied, hits, first_seen, seq) VALUES(?1,?2,?3,?4,?5,?6)"
         " ON CONFLICT(profile_id, feature) DO UPDATE SET denied=?3, hits=?4"},
        {offsetof(storm_store_baseline_save, delete_feature),
         "DELETE FROM baseline_feature WHERE profile_id=?1 AND feature=?2"},
        {offsetof(storm_store_baseline_save, delete_features),
         "DELETE FROM baseline_feature WHERE profile_id IN (SELECT id FROM baseline_profile WHERE workload=?1)"},
        {offsetof(storm_store_baseline_save, delete_profile), "DELETE FROM baseline_profile WHERE workload=?1"},
    };
    /* PostgreSQL has savepoints only inside a transaction: outside one,
     * the save is its own transaction. */
    w->own_tx = !store_in_tx(s);
    storm_rc rc = w->own_tx ? storm_store_begin(s, err) : store_exec(s, "SAVEPOINT baseline_save", err);
    if (rc) {
        free(w);
        return rc;
    }
    for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++)
        if ((rc = store_prepare_once(s, prep[i].sql, (store_stmt **)((char *)w + prep[i].off), err))) {
            storm_store_baseline_save_end(w, false, NULL);
            return rc;
        }
    *out = w;
    return STORM_OK;
}

storm_rc storm_store_baseline_forget(storm_store_baseline_save *w, const char *workload, storm_err *err)
{
    store_bind_text(w->delete_features, 1, workload);
    store_bind_text(w->delete_profile, 1, workload);
    if (!step_done(w->delete_features) || !step_done(w->delete_profile))
        return store_db_err(w->s, err, "deleting a baseline profile");
    return STORM_OK;
}

storm_rc storm_store_baseline_put_profile(storm_store_baseline_save *w, const storm_store_profile *p, int64_t *row_id,
                                          storm_err *err)
{
    store_stmt *u = w->upsert_profile;
    store_bind_text(u, 1, p->workload);
    store_bind_text(u, 2, p->origin);
    store_bind_int64(u, 3, (int64_t)p->events_learned);
    store_bind_int64(u, 4, (int64_t)p->events_at_last_new);
    store_bind_int64(u, 5, p->first_seen);
    store_bind_int64(u, 6, p->last_seen);
    store_bind_int64(u, 7, p->last_new_feature);
    store_bind_int64(u, 8, (int64_t)p->overflow);
    store_bind_int64(u, 9, (int64_t)p->explained);
    store_bind_int64(u, 10, (int64_t)p->unexplained);
    if (!step_done(u))
        return store_db_err(w->s, err, "writing a baseline profile");
    *row_id = p->row_id;
    if (!*row_id) { /* a new row: ask for its id (an update keeps the one the caller knows) */
        store_bind_text(w->profile_id, 1, p->workload);
        if (store_step(w->profile_id) == STORE_STEP_ROW)
            *row_id = store_column_int64(w->profile_id, 0);
        store_reset(w->profile_id);
        if (!*row_id)
            return store_db_err(w->s, err, "reading a baseline profile id");
    }
    return STORM_OK;
}

storm_rc storm_store_baseline_put_feature(storm_store_baseline_save *w, int64_t row_id, const storm_store_feature *f,
                                          storm_err *err)
{
    store_stmt *st = w->upsert_feature;
    store_bind_int64(st, 1, row_id);
    store_bind_textn(st, 2, f->text, f->len);
    store_bind_int64(st, 3, f->denied);
    store_bind_int64(st, 4, (int64_t)f->hits);
    store_bind_int64(st, 5, f->first_seen);
    store_bind_int64(st, 6, f->seq);
    if (!step_done(st))
        return store_db_err(w->s, err, "writing a baseline feature");
    return STORM_OK;
}

storm_rc storm_store_baseline_delete_feature(storm_store_baseline_save *w, int64_t row_id, const char *text, size_t len,
                                             storm_err *err)
{
    store_stmt *st = w->delete_feature;
    store_bind_int64(st, 1, row_id);
    store_bind_textn(st, 2, text, len);
    if (!step_done(st))
        return store_db_err(w->s, err, "deleting a baseline feature");
    return STORM_OK;
}

storm_rc storm_store_baseline_save_end(storm_store_baseline_save *w, bool commit, storm_err *err)
{
    storm_rc rc = STORM_OK;
    finalize_all(w);
    if (commit && (rc = w->own_tx ? storm_store_commit(w->s, err) : store_exec(w->s, "RELEASE baseline_save", err)))
        commit = false;
    if (!commit && w->own_tx)
        storm_store_rollback(w->s);
    else if (!commit)
        store_exec(w->s, "ROLLBACK TO baseline_save; RELEASE baseline_save", NULL);
    free(w);
    return rc;
}
