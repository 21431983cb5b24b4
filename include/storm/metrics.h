/* SPDX-License-Identifier: Apache-2.0 */
/* Metrics in the Prometheus text exposition format (version 0.0.4), served
 * at /metrics by storm run --listen and storm serve.
 *
 * A family is declared once (name, type, help); its series are set by
 * label values. The engine's thread writes snapshots of its statistics
 * (counters are set to the running totals it keeps, not incremented here);
 * an HTTP thread renders. Every call takes the object's lock, so both may
 * run at once. Sizes are capped: at most STORM_METRICS_MAX_SERIES series
 * per family (further label values are folded into one series labelled
 * "other"), so a stream of odd sensor names cannot grow memory. */
#ifndef STORM_METRICS_H
#define STORM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_METRICS_MAX_SERIES 64
#define STORM_METRICS_MAX_BUCKETS 16
#define STORM_METRICS_SEP "\x1f" /* between the values of a series with several labels */

typedef enum storm_metric_type {
    STORM_METRIC_COUNTER = 0,
    STORM_METRIC_GAUGE,
    STORM_METRIC_HISTOGRAM,
} storm_metric_type;

typedef struct storm_metrics storm_metrics;

/* A new, empty registry; NULL on OOM. Owned: storm_metrics_free. */
storm_metrics *storm_metrics_new(void);
void storm_metrics_free(storm_metrics *m);

/* Declare a family. name: [a-zA-Z_:][a-zA-Z0-9_:]* (counters end in
 * _total); label: the one label name its series carry, or NULL for a
 * single series. Histograms take n_bounds upper bounds, increasing (the
 * +Inf bucket is added). STORM_ERR_VALUE for a bad name or a second
 * declaration with another type. Several labels: their names separated by
 * commas ("endpoint,status"), and a series' values then separated by
 * STORM_METRICS_SEP ("objects" STORM_METRICS_SEP "200"). */
storm_rc storm_metrics_declare(storm_metrics *m, const char *name, storm_metric_type type, const char *help,
                               const char *label, const double *bounds, size_t n_bounds, storm_err *err);

/* Set a counter or gauge series (label_value NULL for the family without a
 * label). Unknown families are ignored. */
void storm_metrics_set(storm_metrics *m, const char *name, const char *label_value, double value);
/* Add to a counter or gauge series (requests served, from the HTTP threads). */
void storm_metrics_add(storm_metrics *m, const char *name, const char *label_value, double delta);
/* Set a histogram series from cumulative totals: counts[i] observations at
 * most bounds[i] (n_bounds of them, as declared), count in all, their sum. */
void storm_metrics_set_histogram(storm_metrics *m, const char *name, const char *label_value, const uint64_t *counts,
                                 uint64_t count, double sum);

/* Append the exposition text of every family (# HELP, # TYPE, samples) to
 * out. STORM_ERR_NOMEM when out's cap is reached. */
storm_rc storm_metrics_render(storm_metrics *m, storm_buf *out);

/* The content type of the rendered text. */
#define STORM_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#ifdef __cplusplus
}
#endif
#endif
