/* SPDX-License-Identifier: Apache-2.0 */
/* The session sink: every sighting (with the event that caused it) and
 * every anomaly goes to the session tracker, and with a store the sessions
 * that changed are written there before each commit (a merged or renamed
 * session's old row is removed, so the store holds each session once; a
 * session evicted from memory is written at once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/store_session.h>

#include "pipeline_int.h"

#define DIRTY_MAX 4096 /* changed sessions remembered before writing early */

static void write_session(storm_pipeline *p, const storm_session *s)
{
    if (!pipeline_db_begin(p))
        return;
    storm_err err;
    storm_err_clear(&err);
    storm_buf b;
    storm_buf_init(&b, (size_t)1 << 30);
    if (storm_session_to_json(s, &b) == STORM_OK && b.data &&
        storm_store_session_put(p->sinks.store, s->id, s->first_seen, s->last_seen, b.data, b.len, &err) != STORM_OK &&
        p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: %s\n", p->opts.prog, err.msg);
    storm_buf_free(&b);
}

/* Remove id from a list of ids; true when it was there. */
static bool drop_id(char (*ids)[64], size_t *n, const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(ids[i], id) == 0) {
            memmove(&ids[i], &ids[i + 1], (*n - i - 1) * sizeof *ids);
            (*n)--;
            return true;
        }
    return false;
}

static bool add_id(char (**ids)[64], size_t *n, size_t *alloc, const char *id)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*ids)[i], id) == 0)
            return true;
    if (storm_array_grow(ids, alloc, *n + 1, sizeof **ids, 16) != 0)
        return false;
    snprintf((*ids)[(*n)++], 64, "%s", id);
    return true;
}

void pipeline_sessions_write(storm_pipeline *p)
{
    if (!p->sessions || !p->sinks.store || (!p->n_session_dirty && !p->n_session_gone))
        return;
    if (!pipeline_db_begin(p))
        return;
    storm_err err;
    for (size_t i = 0; i < p->n_session_gone; i++) {
        storm_err_clear(&err);
        if (storm_store_session_delete(p->sinks.store, p->session_gone[i], &err) != STORM_OK && p->st.db_errors++ < 10)
            fprintf(stderr, "%s: --db: %s\n", p->opts.prog, err.msg);
    }
    p->n_session_gone = 0;
    size_t n = storm_session_count(p->sessions);
    for (size_t i = 0; i < n && p->n_session_dirty; i++) {
        const storm_session *s = storm_session_at(p->sessions, i);
        if (drop_id(p->session_dirty, &p->n_session_dirty, s->id))
            write_session(p, s);
    }
    p->n_session_dirty = 0; /* what is left is no longer held (written when evicted) */
}

static void store_session(void *ctx, const storm_session_event *ev)
{
    storm_pipeline *p = ctx;
    if (ev->kind == STORM_SESSION_EVICTED) { /* its last chance */
        drop_id(p->session_dirty, &p->n_session_dirty, ev->session->id);
        write_session(p, ev->session);
        return;
    }
    bool ok = true;
    if (ev->replaces) {
        drop_id(p->session_dirty, &p->n_session_dirty, ev->replaces);
        ok = add_id(&p->session_gone, &p->n_session_gone, &p->alloc_session_gone, ev->replaces);
    }
    drop_id(p->session_gone, &p->n_session_gone, ev->session->id);
    ok = ok && add_id(&p->session_dirty, &p->n_session_dirty, &p->alloc_session_dirty, ev->session->id);
    if (!ok || p->n_session_dirty >= DIRTY_MAX || p->n_session_gone >= DIRTY_MAX) {
        if (!ok) /* out of memory for the lists: write this one now */
            write_session(p, ev->session);
        pipeline_sessions_write(p);
    }
}

storm_rc pipeline_sessions_new(storm_pipeline *p, storm_err *err)
{
    if (p->opts.no_sessions)
        return STORM_OK;
    storm_rc rc = storm_session_tracker_new(&p->opts.sessions, &p->sessions, err);
    if (rc == STORM_OK && p->sinks.store)
        rc = storm_session_listen(p->sessions, store_session, p);
    return rc;
}

void pipeline_session_sighting(storm_pipeline *p, const storm_detect_sighting *s)
{
    if (!p->sessions)
        return;
    const storm_model_step *st = s->step;
    storm_session_step_in in = {
        .sighting_id = storm_v_get_str(s->sighting, "id"),
        .indicator_id = s->indicator->id,
        .indicator_name = s->indicator->name,
        .step_id = st ? st->id : NULL,
        .step_name = st ? st->name : NULL,
        .tactic = st ? st->tactic : NULL,
        .evidence = s->evidence,
        .first_seen = s->first_seen,
        .last_seen = s->last_seen,
        .count = s->count,
    };
    storm_err err;
    storm_err_clear(&err);
    if (storm_session_add(p->sessions, &in, p->cur_ev, &err) != STORM_OK)
        fprintf(stderr, "%s: sessions: %s\n", p->opts.prog, err.msg);
}

void pipeline_session_anomaly(storm_pipeline *p, const storm_observation *obs, const storm_baseline_result *res)
{
    if (!p->sessions || !obs->id)
        return;
    p->anomaly_pending = true;
    snprintf(p->anomaly_id, sizeof p->anomaly_id, "%s", obs->id);
    p->anomaly_first = obs->first_observed;
    p->anomaly_last = obs->last_observed;
    snprintf(p->anomaly_evidence, sizeof p->anomaly_evidence, "anomaly: %s", res->reason);
}

void pipeline_session_anomaly_flush(storm_pipeline *p, const storm_event *ev)
{
    if (!p->anomaly_pending)
        return;
    p->anomaly_pending = false;
    storm_session_step_in in = {
        .sighting_id = p->anomaly_id,
        .indicator_name = "baseline anomaly",
        .evidence = p->anomaly_evidence,
        .first_seen = p->anomaly_first,
        .last_seen = p->anomaly_last,
        .count = 1,
        .anomaly = true,
    };
    storm_err err;
    storm_err_clear(&err);
    if (storm_session_add(p->sessions, &in, ev, &err) != STORM_OK)
        fprintf(stderr, "%s: sessions: %s\n", p->opts.prog, err.msg);
}
