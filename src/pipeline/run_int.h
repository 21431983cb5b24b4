/* SPDX-License-Identifier: Apache-2.0 */
/* The parts of the storm run job (storm/pipeline_run.h) shared by its
 * files: the job (run.c), the HTTP intake as its source (run_intake.c) and
 * its end-of-run report (run_report.c). Private to src/pipeline. */
#ifndef STORM_PIPELINE_RUN_INT_H
#define STORM_PIPELINE_RUN_INT_H

#include <signal.h>
#include <stdbool.h>
#include <storm/alert.h>
#include <storm/intake.h>
#include <storm/metrics.h>
#include <storm/pipeline.h>
#include <storm/store.h>
#include <storm/time.h>
#include <time.h>

/* timing of the run, for the statistics */
typedef struct run_clock {
    struct timespec t0;
    double ready_wall, ready_cpu; /* when the models were loaded and the pipeline built */
} run_clock;

/* CPU time of the process so far, and wall time since c->t0 (seconds). */
double run_cpu_now(void);
double run_elapsed(const run_clock *c);

/* Feed the next body the intake acknowledged (waiting at most wait_ms);
 * false when none came. */
bool run_intake_body(storm_pipeline *p, storm_intake *intake, int wait_ms);
/* Bodies an earlier run left in spool, processed and committed before
 * listening. STORM_OK, else said on stderr. */
storm_rc run_intake_replay(storm_pipeline *p, storm_store *store, const char *spool, bool quiet, const char *prog);
/* Take bodies until *stop, keeping metrics (may be NULL) current. */
void run_intake_serve(storm_pipeline *p, storm_intake *intake, storm_metrics *metrics, volatile sig_atomic_t *stop);
/* Stop accepting and process what was acknowledged (at most limit, or until
 * a second *stop). STORM_OK when nothing is left, else said on stderr. */
storm_rc run_intake_drain(storm_pipeline *p, storm_intake *intake, storm_time_ns limit, const char *spool,
                          volatile sig_atomic_t *stop, const char *prog);

/* The end-of-run statistics on stderr beside the pipeline's own: sessions
 * (p may be NULL: none), and alerts when alert_url is set. */
void run_report_summary(storm_pipeline *p, const char *alert_url, const storm_alert_stats *as, const char *prog);
/* The statistics as JSON to path, the alerts' counts added when as is not
 * NULL. 0, or -1 after saying why on stderr. */
int run_report_stats_json(const run_clock *c, storm_pipeline *p, const storm_alert_stats *as, const char *path,
                          double secs, const char *prog);

#endif
