/* SPDX-License-Identifier: Apache-2.0 */
/* The storm run job's end-of-run report: its clock, the sessions' and
 * alerts' lines beside the pipeline's statistics, and the statistics as
 * JSON with the alerts' counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "run_int.h"

double run_cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

double run_elapsed(const run_clock *c)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - c->t0.tv_sec) + (double)(t.tv_nsec - c->t0.tv_nsec) / 1e9;
}

void run_report_summary(storm_pipeline *p, const char *alert_url, const storm_alert_stats *as, const char *prog)
{
    if (p && storm_pipeline_sessions(p)) {
        storm_session_stats ss;
        storm_session_get_stats(storm_pipeline_sessions(p), &ss);
        fprintf(stderr, "%s: %llu attack sessions (%llu opened, %llu merged, %llu evicted)\n", prog,
                (unsigned long long)ss.held, (unsigned long long)ss.opened, (unsigned long long)ss.merged,
                (unsigned long long)ss.evicted);
    }
    if (alert_url)
        fprintf(stderr, "%s: %llu alerts sent to %s (%llu retries), %llu dropped (%llu queue full, %llu failed)\n",
                prog, (unsigned long long)as->sent, alert_url, (unsigned long long)as->retries,
                (unsigned long long)(as->dropped_full + as->dropped_failed), (unsigned long long)as->dropped_full,
                (unsigned long long)as->dropped_failed);
}

int run_report_stats_json(const run_clock *c, storm_pipeline *p, const storm_alert_stats *as, const char *path,
                          double secs, const char *prog)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: --stats-json %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    storm_pipeline_timing t = {secs, c->ready_wall, run_cpu_now() - c->ready_cpu};
    if (!as) {
        storm_pipeline_print_stats_json(p, f, &t);
        return fclose(f) == 0 ? 0 : -1;
    }
    /* the pipeline's object, with the alerts' counts added before its '}' */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        storm_pipeline_print_stats_json(p, m, &t);
        fclose(m);
    }
    while (len && (text[len - 1] == '\n' || text[len - 1] == '}'))
        len--;
    if (text)
        fwrite(text, 1, len, f);
    free(text);
    fprintf(f, ",\"alerts_queued\":%llu,\"alerts_sent\":%llu,\"alert_retries\":%llu,\"alerts_dropped\":%llu}\n",
            (unsigned long long)as->queued, (unsigned long long)as->sent, (unsigned long long)as->retries,
            (unsigned long long)(as->dropped_full + as->dropped_failed));
    return fclose(f) == 0 ? 0 : -1;
}
