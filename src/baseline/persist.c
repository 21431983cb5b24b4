/* SPDX-License-Identifier: Apache-2.0 */
/* Profiles in the store's SQLite file: tables baseline_meta,
 * baseline_profile and baseline_feature. A save writes only what changed,
 * inside a SAVEPOINT, so it is atomic whether or not the caller already has a
 * transaction open on the same connection. */
#include "baseline_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define BL_SCHEMA_VERSION "1"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS baseline_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS baseline_profile("
    "  id INTEGER PRIMARY KEY,"
    "  workload TEXT NOT NULL UNIQUE,"
    "  origin TEXT NOT NULL,"
    "  events_learned INTEGER NOT NULL DEFAULT 0,"
    "  events_at_last_new INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL DEFAULT 0,"
    "  last_seen INTEGER NOT NULL DEFAULT 0,"
    "  last_new_feature INTEGER NOT NULL DEFAULT 0,"
    "  overflow INTEGER NOT NULL DEFAULT 0,"
    "  explained INTEGER NOT NULL DEFAULT 0,"
    "  unexplained INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS baseline_feature("
    "  profile_id INTEGER NOT NULL REFERENCES baseline_profile(id) ON DELETE CASCADE,"
    "  feature TEXT NOT NULL,"
    "  denied INTEGER NOT NULL DEFAULT 0,"
    "  hits INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL DEFAULT 0,"
    "  seq INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY(profile_id, feature));"
    "INSERT OR IGNORE INTO baseline_meta(key, value) VALUES('schema_version', '" BL_SCHEMA_VERSION "');";

static storm_rc db_err(sqlite3 *db, storm_err *err, const char *what)
{
    return storm_err_set(err, STORM_ERR_IO, 0, "baseline store: %s: %s", what, sqlite3_errmsg(db));
}

static sqlite3 *db_of(storm_baseline *b)
{
    return storm_store_db(b->store);
}

storm_rc bl_db_init(storm_baseline *b, storm_err *err)
{
    sqlite3 *db = db_of(b);
    if (!db)
        return storm_err_set(err, STORM_ERR_STATE, 0, "baseline store: the store has no database handle");
    if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(db, err, "creating the baseline tables");
    return STORM_OK;
}

static bool table_exists(sqlite3 *db)
{
    sqlite3_stmt *st;
    bool yes = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='baseline_profile'", -1,
                           &st, NULL) != SQLITE_OK)
        return false;
    yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

storm_rc bl_db_load(storm_baseline *b, storm_err *err)
{
    sqlite3 *db = db_of(b);
    if (!db)
        return storm_err_set(err, STORM_ERR_STATE, 0, "baseline store: the store has no database handle");
    if (!table_exists(db))
        return STORM_OK; /* read-only open of a file that never had a baseline */
    sqlite3_stmt *st = NULL;
    storm_rc rc = STORM_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, workload, origin, events_learned, events_at_last_new, first_seen, last_seen,"
                           " last_new_feature, overflow, explained, unexplained FROM baseline_profile",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(db, err, "reading profiles");
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        bool full;
        bl_profile *p = bl_get_profile(b, col_text(st, 1), col_text(st, 2), &full);
        if (!p) {
            if (full) {
                b->stats.profile_overflow++;
                continue;
            }
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading profiles");
            break;
        }
        p->row_id = sqlite3_column_int64(st, 0);
        p->events_learned = (uint64_t)sqlite3_column_int64(st, 3);
        p->events_at_last_new = (uint64_t)sqlite3_column_int64(st, 4);
        p->first_seen = sqlite3_column_int64(st, 5);
        p->last_seen = sqlite3_column_int64(st, 6);
        p->last_new_feature = sqlite3_column_int64(st, 7);
        p->overflow = (uint64_t)sqlite3_column_int64(st, 8);
        p->explained = (uint64_t)sqlite3_column_int64(st, 9);
        p->unexplained = (uint64_t)sqlite3_column_int64(st, 10);
        p->dirty = false;
    }
    if (rc == STORM_OK && r != SQLITE_DONE)
        rc = db_err(db, err, "reading profiles");
    sqlite3_finalize(st);
    if (rc != STORM_OK)
        return rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT p.workload, f.feature, f.denied, f.hits, f.first_seen FROM baseline_feature f"
                           " JOIN baseline_profile p ON p.id = f.profile_id ORDER BY f.profile_id, f.seq",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(db, err, "reading features");
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        bl_profile *p = bl_find_profile(b, col_text(st, 0));
        if (!p)
            continue;
        bool created;
        storm_rc ar = bl_add_entry(b, p, col_text(st, 1), sqlite3_column_int(st, 2) != 0,
                                   (uint64_t)sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), &created);
        if (ar == STORM_ERR_NOMEM) {
            rc = storm_err_set(err, ar, 0, "out of memory loading features");
            break;
        }
    }
    if (rc == STORM_OK && r != SQLITE_DONE)
        rc = db_err(db, err, "reading features");
    sqlite3_finalize(st);
    /* what was just read is what is stored */
    for (size_t i = 0; i < b->n_profiles; i++) {
        bl_profile *p = b->profiles[i];
        p->dirty = false;
        for (size_t k = 0; k < p->n; k++)
            p->items[k]->dirty = false;
    }
    return rc;
}

typedef struct save_stmts {
    sqlite3_stmt *upsert_profile, *profile_id, *upsert_feature, *delete_feature, *delete_features,
        *delete_profile;
} save_stmts;

static void finalize_all(save_stmts *s)
{
    sqlite3_finalize(s->upsert_profile);
    sqlite3_finalize(s->profile_id);
    sqlite3_finalize(s->upsert_feature);
    sqlite3_finalize(s->delete_feature);
    sqlite3_finalize(s->delete_features);
    sqlite3_finalize(s->delete_profile);
}

static bool step_done(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE || r == SQLITE_ROW;
}

static storm_rc save_profile(sqlite3 *db, save_stmts *s, bl_profile *p, storm_err *err)
{
    sqlite3_stmt *u = s->upsert_profile;
    sqlite3_bind_text(u, 1, p->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(u, 2, p->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(u, 3, (int64_t)p->events_learned);
    sqlite3_bind_int64(u, 4, (int64_t)p->events_at_last_new);
    sqlite3_bind_int64(u, 5, p->first_seen);
    sqlite3_bind_int64(u, 6, p->last_seen);
    sqlite3_bind_int64(u, 7, p->last_new_feature);
    sqlite3_bind_int64(u, 8, (int64_t)p->overflow);
    sqlite3_bind_int64(u, 9, (int64_t)p->explained);
    sqlite3_bind_int64(u, 10, (int64_t)p->unexplained);
    if (!step_done(u))
        return db_err(db, err, "writing a profile");
    if (!p->row_id) {
        sqlite3_bind_text(s->profile_id, 1, p->key, -1, SQLITE_STATIC);
        if (sqlite3_step(s->profile_id) == SQLITE_ROW)
            p->row_id = sqlite3_column_int64(s->profile_id, 0);
        sqlite3_reset(s->profile_id);
        if (!p->row_id)
            return db_err(db, err, "reading a profile id");
    }
    for (size_t i = 0; i < p->n; i++) {
        bl_feature *f = p->items[i];
        if (!f->dirty)
            continue;
        sqlite3_stmt *st = f->removed ? s->delete_feature : s->upsert_feature;
        sqlite3_bind_int64(st, 1, p->row_id);
        sqlite3_bind_text(st, 2, f->text, (int)f->len, SQLITE_STATIC);
        if (!f->removed) {
            sqlite3_bind_int(st, 3, f->denied);
            sqlite3_bind_int64(st, 4, (int64_t)f->hits);
            sqlite3_bind_int64(st, 5, f->first_seen);
            sqlite3_bind_int64(st, 6, (int64_t)i);
        }
        if (!step_done(st))
            return db_err(db, err, "writing a feature");
    }
    return STORM_OK;
}

static storm_rc save_all(sqlite3 *db, storm_baseline *b, save_stmts *s, storm_err *err)
{
    static const struct {
        size_t off;
        const char *sql;
    } prep[] = {
        {offsetof(save_stmts, upsert_profile),
         "INSERT INTO baseline_profile(workload, origin, events_learned, events_at_last_new, first_seen, last_seen,"
         " last_new_feature, overflow, explained, unexplained) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
         " ON CONFLICT(workload) DO UPDATE SET events_learned=?3, events_at_last_new=?4, first_seen=?5,"
         " last_seen=?6, last_new_feature=?7, overflow=?8, explained=?9, unexplained=?10"},
        {offsetof(save_stmts, profile_id), "SELECT id FROM baseline_profile WHERE workload=?1"},
        {offsetof(save_stmts, upsert_feature),
         "INSERT INTO baseline_feature(profile_id, feature, denied, hits, first_seen, seq) VALUES(?1,?2,?3,?4,?5,?6)"
         " ON CONFLICT(profile_id, feature) DO UPDATE SET denied=?3, hits=?4"},
        {offsetof(save_stmts, delete_feature), "DELETE FROM baseline_feature WHERE profile_id=?1 AND feature=?2"},
        {offsetof(save_stmts, delete_features),
         "DELETE FROM baseline_feature WHERE profile_id IN (SELECT id FROM baseline_profile WHERE workload=?1)"},
        {offsetof(save_stmts, delete_profile), "DELETE FROM baseline_profile WHERE workload=?1"},
    };
    for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++)
        if (sqlite3_prepare_v2(db, prep[i].sql, -1, (sqlite3_stmt **)((char *)s + prep[i].off), NULL) != SQLITE_OK)
            return db_err(db, err, "preparing the baseline save");
    for (bl_gone *g = b->gone; g; g = g->next) {
        sqlite3_bind_text(s->delete_features, 1, g->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->delete_profile, 1, g->key, -1, SQLITE_STATIC);
        if (!step_done(s->delete_features) || !step_done(s->delete_profile))
            return db_err(db, err, "deleting a profile");
    }
    for (size_t i = 0; i < b->n_profiles; i++) {
        bl_profile *p = b->profiles[i];
        if (!p->dirty && p->row_id)
            continue;
        storm_rc rc = save_profile(db, s, p, err);
        if (rc != STORM_OK)
            return rc;
    }
    return STORM_OK;
}

storm_rc bl_db_save(storm_baseline *b, storm_err *err)
{
    sqlite3 *db = db_of(b);
    if (!db)
        return storm_err_set(err, STORM_ERR_STATE, 0, "baseline store: the store has no database handle");
    if (sqlite3_exec(db, "SAVEPOINT baseline_save", NULL, NULL, NULL) != SQLITE_OK)
        return db_err(db, err, "starting the save");
    save_stmts s = {0};
    storm_rc rc = save_all(db, b, &s, err);
    finalize_all(&s);
    if (rc != STORM_OK) {
        sqlite3_exec(db, "ROLLBACK TO baseline_save; RELEASE baseline_save", NULL, NULL, NULL);
        /* ids handed out inside the rolled-back savepoint are void */
        for (size_t i = 0; i < b->n_profiles; i++)
            if (b->profiles[i]->dirty)
                b->profiles[i]->row_id = 0;
        return rc;
    }
    if (sqlite3_exec(db, "RELEASE baseline_save", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(db, err, "committing the save");
        sqlite3_exec(db, "ROLLBACK TO baseline_save; RELEASE baseline_save", NULL, NULL, NULL);
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
