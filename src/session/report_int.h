/* SPDX-License-Identifier: Apache-2.0 */
/* Reports over stored sessions, shared by their files: loading
 * (report.c), the attack path (path.c) and the writers (report_text.c,
 * report_html.c, report_stix.c). Private to src/session. */
#ifndef STORM_SESSION_REPORT_INT_H
#define STORM_SESSION_REPORT_INT_H

#include <storm/arena.h>
#include <storm/session_report.h>
#include <storm/time.h>
#include <storm/value.h>

/* How a reached step follows the steps before it on the model graph. */
typedef enum path_via {
    VIA_ENTRY = 0,     /* the first step, or a step the model starts with */
    VIA_MODELLED,      /* a model path from an earlier reached step through reached steps only */
    VIA_SKIPPED,       /* a model path from an earlier step, through steps not seen */
    VIA_UNPREDICTED,   /* no model path from any earlier reached step */
    VIA_NOT_IN_MODELS, /* the step is not in the loaded models */
} path_via;

typedef struct path_node {
    const char *step_id, *name, *tactic;
    size_t model; /* index in the models, SIZE_MAX when absent */
    storm_time_ns first_seen;
    path_via via;
    const char *from;     /* name of the earlier step it follows (MODELLED, SKIPPED) */
    const char **skipped; /* names of the steps in between (SKIPPED) */
    size_t n_skipped;
} path_node;

typedef struct session_path {
    path_node *reached; /* distinct steps in order of first sighting */
    size_t n_reached;
    size_t *deep; /* the model path the session got furthest along: step indices */
    size_t n_deep;
    size_t deep_reached; /* how many steps of it, up to the furthest reached one */
    bool *deep_hit;      /* per deep step: reached */
    size_t n_anomalies;
} session_path;

/* One session as read from the store. */
typedef struct rsession {
    const storm_value *v; /* the stored JSON, parsed */
    const char *id;
    storm_time_ns first_seen, last_seen;
    const storm_value *steps; /* array */
    session_path path;
} rsession;

struct storm_report {
    storm_report_format format;
    const storm_models *models;
    storm_store *store;
    storm_arena *arena; /* every parsed session and path */
    rsession *s;
    size_t n, alloc;
    size_t n_reports, n_objects;
};

/* Place s on the models' graph (arena allocations). */
void path_compute(storm_report *r, rsession *s);

/* "2025-01-07T12:19:15.404Z" of a stored time string (as stored: returned as is). */
const char *rs_str(const storm_value *o, const char *key);
/* Time of a stored string property (0 when absent). */
storm_time_ns rs_time(const storm_value *o, const char *key);
/* Where a step happened: "pod ns/name", "node N" or "cluster". */
void rs_place(const storm_value *step, char *buf, size_t cap);

/* The attack path of s as lines for people, each starting with bullet. */
void report_path_lines(const storm_report *r, const rsession *s, storm_buf *out, const char *bullet);
storm_rc report_write_text(storm_report *r, storm_buf *out, bool markdown);
storm_rc report_write_html(storm_report *r, storm_buf *out);
storm_rc report_write_stix(storm_report *r, storm_buf *out, storm_err *err);

#endif
