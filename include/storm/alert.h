/* SPDX-License-Identifier: Apache-2.0 */
/* Alerts: a JSON POST to a webhook for every new attack session and every
 * step added to one (storm run --alert-webhook). Alerts are formatted on
 * the caller's thread and queued (bounded); one sender thread POSTs them
 * with retries and exponential backoff, so that a slow or dead receiver
 * never blocks ingest: when the queue is full the alert is dropped and
 * counted. Built only with libcurl (-Dtaxii=enabled): storm_alert_available. */
#ifndef STORM_ALERT_H
#define STORM_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/session.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_alert_format {
    STORM_ALERT_STORM = 0, /* Storm's own shape: kind, session, step */
    STORM_ALERT_FALCO,     /* Falco's JSON output (output, priority, rule, time, output_fields, source, tags,
                              hostname): what falcosidekick accepts as input */
} storm_alert_format;

/* A zero field takes the default shown. */
typedef struct storm_alert_opts {
    const char *url; /* http:// or https:// (required) */
    storm_alert_format format;
    size_t queue_cap;     /* alerts waiting to be sent: 1024 */
    unsigned attempts;    /* POSTs per alert before it is dropped: 4 */
    unsigned backoff_ms;  /* wait after the first failure, doubled after each: 250 (at most 8 s) */
    unsigned timeout_ms;  /* per POST: 5000 */
    unsigned drain_ms;    /* at close, longest wait for the queue to empty: 5000 */
    const char *hostname; /* falco's hostname (NULL: gethostname) */
} storm_alert_opts;

typedef struct storm_alert_stats {
    uint64_t queued;         /* alerts accepted into the queue */
    uint64_t sent;           /* answered 2xx */
    uint64_t retries;        /* POSTs repeated after a failure */
    uint64_t dropped_full;   /* not queued: the queue was full */
    uint64_t dropped_failed; /* every attempt failed, or still queued when close gave up */
} storm_alert_stats;

typedef struct storm_alert storm_alert;

/* Whether this build can send alerts (it has libcurl). */
bool storm_alert_available(void);

/* Start the sender thread. *out is owned (storm_alert_close). Fails on a
 * bad URL, without libcurl, or when the thread cannot start (err says why). */
storm_rc storm_alert_new(const storm_alert_opts *opts, storm_alert **out, storm_err *err);
/* A storm_session_fn (ctx: the storm_alert): OPENED and STEP_ADDED become
 * alerts; other events are ignored. Never blocks on the network. */
void storm_alert_on_session(void *ctx, const storm_session_event *ev);
/* Wait (at most drain_ms) for the queue to empty, stop the thread, free.
 * out (may be NULL) gets the final statistics. */
void storm_alert_close(storm_alert *a, storm_alert_stats *out);
void storm_alert_get_stats(storm_alert *a, storm_alert_stats *out);

/* The JSON body of one alert (appended to out). hostname is the falco
 * shape's. What the sender POSTs; public for the tests. */
storm_rc storm_alert_format_event(storm_buf *out, storm_alert_format format, const char *hostname,
                                  const storm_session_event *ev);

#ifdef __cplusplus
}
#endif
#endif
