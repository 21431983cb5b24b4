/* SPDX-License-Identifier: Apache-2.0 */
/* What the pipeline tells people: the summary (at the end and on kill
 * -USR1), in words that say what the numbers count, and the progress line
 * drawn on a terminal during long work. The words are documented in
 * docs/run.md ("Statistics"); tests read them. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pipeline_int.h"

#define PROGRESS_CHECK_RECORDS 1024      /* look at the clock this often */
#define PROGRESS_INTERVAL_NS 500000000LL /* redraw at most twice a second */

static storm_time_ns mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (storm_time_ns)t.tv_sec * 1000000000 + t.tv_nsec;
}

static unsigned long long u(uint64_t v)
{
    return (unsigned long long)v;
}

bool pipeline_detect_stats(const storm_pipeline *p, storm_detect_stats *ds)
{
    memset(ds, 0, sizeof *ds);
    if (p->det) {
        storm_detector_get_stats(p->det, ds);
        return true;
    }
    if (p->det_sum_valid) /* --workers: the shards' detectors, summed */
        *ds = p->det_sum;
    return p->det_sum_valid;
}

void storm_pipeline_print_summary(storm_pipeline *p, FILE *f, double secs)
{
    pipeline_progress_clear(p);
    const storm_pipeline_stats *st = &p->st;
    storm_detect_stats ds;
    bool has_det = pipeline_detect_stats(p, &ds);
    const char *prog = p->opts.prog;
    fprintf(f,
            "%s: %llu records, %llu events read (%.1f MB), %llu rejected, %llu skipped, %llu dropped by the baseline\n",
            prog, u(st->records_read), u(st->events_read), (double)st->bytes_read / 1e6, u(st->events_rejected),
            u(st->events_skipped), u(st->baseline_dropped));
    if (has_det) {
        /* one output line per version written: the first of a sighting, then
         * one each time a match adds evidence to it, less the updates folded
         * into a later one before a flush point (sink_held.c) */
        uint64_t updated = ds.sighting_updates - st->updates_folded;
        fprintf(f,
                "%s: %zu indicators; %llu observations matched; %llu sightings written (%llu new, %llu updated with "
                "more evidence)\n",
                prog, ds.indicators, u(ds.observations_matched), u(ds.sightings + updated), u(ds.sightings),
                u(updated));
        if (st->updates_folded)
            fprintf(f,
                    "%s: %llu more updates were folded into a later version of their sighting before being "
                    "written (--coalesce-updates)\n",
                    prog, u(st->updates_folded));
        if (p->sinks.store || p->sum_store)
            /* versions of one sighting within a store batch are coalesced
             * into the last (docs/run.md), so fewer rows than versions */
            fprintf(f,
                    "%s: stored %llu sighting rows (%llu new sightings, %llu updates); %llu versions were folded "
                    "into a later one or stored already\n",
                    prog, u(st->sightings_stored), u(st->sightings_stored_new),
                    u(st->sightings_stored - st->sightings_stored_new),
                    u(ds.sightings + ds.sighting_updates - st->sightings_stored));
        if (ds.states_evicted)
            fprintf(f,
                    "%s: %llu partial matches of multi-event indicators (FOLLOWEDBY, AND across events) dropped "
                    "before completing (older than --horizon, or over --state-cap)\n",
                    prog, u(ds.states_evicted));
    }
    if (st->anomalies)
        fprintf(f, "%s: %llu anomalies (events of profiled workloads their profile does not explain)\n", prog,
                u(st->anomalies));
    fprintf(f, "%s: %.3f s, %.0f events/s\n", prog, secs, secs > 0 ? (double)st->events_read / secs : 0.0);
}

void storm_pipeline_print_stats_json(storm_pipeline *p, FILE *f, const storm_pipeline_timing *t)
{
    const storm_pipeline_stats *st = &p->st;
    storm_detect_stats ds;
    pipeline_detect_stats(p, &ds);
    double secs = t->seconds, cpu = t->processing_cpu_seconds;
    fprintf(f,
            "{\"records_read\":%llu,\"events_read\":%llu,\"events_rejected\":%llu,\"events_skipped\":%llu,"
            "\"events_decoded\":%llu,\"baseline_learned\":%llu,\"baseline_dropped\":%llu,\"anomalies\":%llu,"
            "\"observations\":%llu,\"observations_built\":%llu,\"observations_matched\":%llu,\"candidates\":%llu,"
            "\"matches\":%llu,\"sightings\":%llu,\"sighting_updates\":%llu,\"states_held\":%llu,"
            "\"states_evicted\":%llu,\"scopes_held\":%llu,\"match_errors\":%llu,\"indicators\":%zu,\"leaves\":%zu,"
            "\"regex_prefiltered\":%zu,\"regex_unindexed\":%zu,\"regex_cached\":%zu,\"db_errors\":%llu,\"sightings_"
            "stored\":%llu,"
            "\"sightings_stored_new\":%llu,\"bytes_read\":%llu,\"seconds\":%.6f,\"events_per_second\":%.1f,"
            "\"startup_seconds\":%.6f,\"processing_seconds\":%.6f,\"processing_cpu_seconds\":%.6f,"
            "\"events_per_cpu_second\":%.1f",
            u(st->records_read), u(st->events_read), u(st->events_rejected), u(st->events_skipped),
            u(st->events_decoded), u(st->baseline_learned), u(st->baseline_dropped), u(st->anomalies),
            u(ds.observations), u(ds.observations - ds.prefiltered), u(ds.observations_matched), u(ds.candidates),
            u(ds.matches), u(ds.sightings), u(ds.sighting_updates), u(ds.states_held), u(ds.states_evicted),
            u(ds.scopes_held), u(ds.match_errors), ds.indicators, ds.leaves, ds.regex_prefiltered, ds.regex_unindexed,
            ds.regex_cached, u(st->db_errors), u(st->sightings_stored), u(st->sightings_stored_new), u(st->bytes_read),
            secs, secs > 0 ? (double)st->events_read / secs : 0.0, t->startup_seconds, secs - t->startup_seconds, cpu,
            cpu > 0 ? (double)st->events_read / cpu : 0.0);
    fprintf(f, ",\"sighting_updates_folded\":%llu", u(st->updates_folded));
    if (p->workers)
        pipeline_workers_stats_json(p, f);
    fputs("}\n", f);
}

/* ---- progress ---- */

void pipeline_progress_clear(storm_pipeline *p)
{
    if (p->progress_shown) {
        fputs("\r\033[K", p->opts.progress);
        fflush(p->opts.progress);
        p->progress_shown = false;
    }
}

static void progress_draw(storm_pipeline *p)
{
    storm_detect_stats ds;
    pipeline_detect_stats(p, &ds);
    FILE *f = p->opts.progress;
    fprintf(f, "\r\033[K%s: ", p->opts.prog);
    if (p->progress_source[0]) {
        fprintf(f, "%s", p->progress_source);
        if (p->progress_size > 0) {
            uint64_t done = p->st.bytes_read - p->progress_bytes0;
            double pct = 100.0 * (double)done / (double)p->progress_size;
            fprintf(f, " %.0f%%", pct > 100 ? 100.0 : pct);
        }
        fputs(", ", f);
    }
    fprintf(f, "%llu events, %llu sightings", u(p->st.events_read), u(ds.sightings));
    fflush(f);
    p->progress_shown = true;
    p->progress_last = mono_now();
}

void pipeline_progress_tick(storm_pipeline *p)
{
    if (!p->opts.progress || ++p->progress_records % PROGRESS_CHECK_RECORDS)
        return;
    if (mono_now() - p->progress_last >= PROGRESS_INTERVAL_NS)
        progress_draw(p);
}

void pipeline_progress_source(storm_pipeline *p, const char *path, bool start)
{
    if (!p->opts.progress)
        return;
    if (start) {
        snprintf(p->progress_source, sizeof p->progress_source, "%s", strcmp(path, "-") ? path : "standard input");
        struct stat sb;
        p->progress_size = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
        p->progress_bytes0 = p->st.bytes_read;
        p->progress_last = mono_now();
        return;
    }
    /* the source's last state, then erased: what stays on the terminal is
     * the summary, and a message never lands in the middle of the line */
    progress_draw(p);
    pipeline_progress_clear(p);
    p->progress_source[0] = '\0';
}
