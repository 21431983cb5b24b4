/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP intake as a source of the storm run job: bodies taken as they
 * are acknowledged, the spool an earlier run left processed first, and the
 * drain at a stop signal. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run_int.h"

#define SPOOL_POSITION_KEY "storm run --listen spool" /* in the store, beside storm pull's positions */

/* Its results are committed when the queue runs empty (or with the store's
 * batches): one transaction per body would cost a disk sync each and let
 * the queue grow under load. With a spool, the body's end in it is
 * committed with its results, and the spool is emptied once everything in
 * it is committed. */
bool run_intake_body(storm_pipeline *p, storm_intake *intake, int wait_ms)
{
    char *body = NULL;
    size_t len = 0;
    uint64_t req = 0;
    char position[STORM_INTAKE_POSITION_MAX];
    if (storm_intake_next_spooled(intake, &body, &len, &req, position, wait_ms) != STORM_OK)
        return false;
    char source[64];
    snprintf(source, sizeof source, "http#%llu", (unsigned long long)req);
    storm_pipeline_feed_body(p, source, body, len);
    storm_intake_release(intake, body, len);
    if (position[0])
        storm_pipeline_set_position(p, SPOOL_POSITION_KEY, position);
    size_t bodies = 0, bytes = 0;
    storm_intake_pending(intake, &bodies, &bytes);
    if (!bodies) {
        storm_pipeline_stats before, after;
        storm_pipeline_get_stats(p, &before);
        storm_pipeline_sync(p);
        storm_pipeline_get_stats(p, &after);
        if (position[0] && after.db_errors == before.db_errors)
            storm_intake_spool_rotate(intake, position); /* all committed: nothing to replay */
    }
    return true;
}

static void replay_body(void *ctx, const char *body, size_t len, const char *position)
{
    storm_pipeline *p = ctx;
    storm_pipeline_feed_body(p, "spool", body, len);
    storm_pipeline_set_position(p, SPOOL_POSITION_KEY, position);
}

/* Bodies an earlier run acknowledged and did not commit (killed, or
 * stopped by --drain-timeout). */
storm_rc run_intake_replay(storm_pipeline *p, storm_store *store, const char *spool, bool quiet, const char *prog)
{
    char position[STORM_STORE_POSITION_MAX] = "";
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_pull_position_get(store, SPOOL_POSITION_KEY, position, &err) != STORM_OK) {
        fprintf(stderr, "%s: --listen: reading the spool position: %s\n", prog, err.msg);
        return STORM_ERR_IO;
    }
    uint64_t n = 0;
    storm_err_clear(&err);
    if (storm_intake_spool_replay(spool, position, (size_t)1 << 31, replay_body, p, &n, &err) != STORM_OK) {
        fprintf(stderr, "%s: --listen: %s\n", prog, err.msg);
        return STORM_ERR_IO;
    }
    storm_pipeline_stats before, after;
    storm_pipeline_get_stats(p, &before);
    storm_pipeline_sync(p);
    storm_pipeline_get_stats(p, &after);
    if (after.db_errors != before.db_errors) {
        fprintf(stderr, "%s: --listen: the spool's bodies could not be stored; %s is kept\n", prog, spool);
        return STORM_ERR_IO;
    }
    if (n && !quiet)
        fprintf(stderr, "%s: %llu acknowledged bodies an earlier run left in %s processed\n", prog,
                (unsigned long long)n, spool);
    return STORM_OK;
}

void run_intake_serve(storm_pipeline *p, storm_intake *intake, storm_metrics *metrics, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        if (!run_intake_body(p, intake, 200))
            storm_pipeline_sync(p); /* idle: kill -USR1 still answers */
        if (metrics)
            storm_pipeline_metrics_update(p, NULL, metrics);
    }
}

/* Every body already acknowledged with 202 is processed (for at most
 * limit, or until a second signal); what could not be is said, never
 * dropped silently. */
storm_rc run_intake_drain(storm_pipeline *p, storm_intake *intake, storm_time_ns limit, const char *spool,
                          volatile sig_atomic_t *stop, const char *prog)
{
    storm_intake_close(intake);
    size_t bodies = 0, bytes = 0;
    storm_intake_pending(intake, &bodies, &bytes);
    if (!bodies)
        return STORM_OK;
    fprintf(stderr,
            "%s: stopping: processing the %zu acknowledged bodies still queued (%zu bytes; "
            "at most %.0f s, --drain-timeout; a second signal stops at once)\n",
            prog, bodies, bytes, (double)limit / 1e9);
    *stop = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t = t0;
    while (!*stop && (storm_time_ns)(t.tv_sec - t0.tv_sec) * 1000000000 + (t.tv_nsec - t0.tv_nsec) < limit &&
           run_intake_body(p, intake, 0))
        clock_gettime(CLOCK_MONOTONIC, &t);
    storm_intake_pending(intake, &bodies, &bytes);
    if (!bodies)
        return STORM_OK;
    fprintf(stderr, "%s: %zu acknowledged bodies (%zu bytes) were NOT processed: %s%s%s\n", prog, bodies, bytes,
            *stop ? "stopped by a second signal" : "--drain-timeout passed",
            spool ? "; they stay in the spool and are processed at the next start with the same --db: " : "",
            spool ? spool : "");
    return STORM_ERR_IO;
}
