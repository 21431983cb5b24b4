/* SPDX-License-Identifier: Apache-2.0 */
/* The session sink: every sighting (with the event that caused it) and
 * every anomaly goes to the session tracker, and with a store every change
 * of a session is written there (a merged or renamed session's old row is
 * removed, so the store holds each session once). */
#include <stdio.h>
#include <string.h>

#include <storm/store_session.h>

#include "pipeline_int.h"

static void store_session(void *ctx, const storm_session_event *ev)
{
    storm_pipeline *p = ctx;
    if (!pipeline_db_begin(p))
        return;
    storm_err err;
    storm_err_clear(&err);
    if (ev->replaces && storm_store_session_delete(p->sinks.store, ev->replaces, &err) != STORM_OK &&
        p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: %s\n", p->opts.prog, err.msg);
    storm_buf b;
    storm_buf_init(&b, (size_t)1 << 30);
    if (storm_session_to_json(ev->session, &b) == STORM_OK && b.data &&
        storm_store_session_put(p->sinks.store, ev->session->id, ev->session->first_seen, ev->session->last_seen,
                                b.data, b.len, &err) != STORM_OK &&
        p->st.db_errors++ < 10)
        fprintf(stderr, "%s: --db: %s\n", p->opts.prog, err.msg);
    storm_buf_free(&b);
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

void pipeline_session_anomaly(storm_pipeline *p, const storm_observation *obs, const storm_event *ev,
                              const storm_baseline_result *res)
{
    if (!p->sessions || !obs->id)
        return;
    char evidence[STORM_BASELINE_FEATURE_MAX + STORM_BASELINE_KEY_MAX + 80];
    snprintf(evidence, sizeof evidence, "anomaly: %s", res->reason);
    storm_session_step_in in = {
        .sighting_id = obs->id,
        .indicator_name = "baseline anomaly",
        .evidence = evidence,
        .first_seen = obs->first_observed,
        .last_seen = obs->last_observed,
        .count = 1,
        .anomaly = true,
    };
    storm_err err;
    storm_err_clear(&err);
    if (storm_session_add(p->sessions, &in, ev, &err) != STORM_OK)
        fprintf(stderr, "%s: sessions: %s\n", p->opts.prog, err.msg);
}
