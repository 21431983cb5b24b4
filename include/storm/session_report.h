/* SPDX-License-Identifier: Apache-2.0 */
/* Reading stored attack sessions back (storm/store_session.h): one summary
 * line per session (storm sessions), and reports (storm report): each
 * session's steps placed on the attack-model graph (the attack path: steps
 * reached in order, modelled steps skipped, how far along the deepest path
 * of the model, steps no model edge predicted, anomalies inside), written
 * as text, Markdown, one self-contained HTML page, or STIX 2.1 (a report
 * per session and every object it references, from the store). Output is
 * deterministic for the same store: ids are UUIDv5, order is by time then id.
 * docs/sessions.md describes the path and the report. */
#ifndef STORM_SESSION_REPORT_H
#define STORM_SESSION_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/model.h>
#include <storm/store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_report_format {
    STORM_REPORT_TEXT = 0,
    STORM_REPORT_MARKDOWN,
    STORM_REPORT_HTML,
    STORM_REPORT_STIX,
} storm_report_format;

/* "text", "markdown", "html", "stix"; false when unknown. */
bool storm_report_format_parse(const char *s, storm_report_format *out);

typedef struct storm_report storm_report;

/* A report over the sessions added to it. models (may be NULL: then no
 * path is placed) and store (needed for STIX: the objects referenced) are
 * borrowed and must outlive it. *out is owned (storm_report_free). */
storm_rc storm_report_new(storm_report_format format, const storm_models *models, storm_store *store,
                          storm_report **out, storm_err *err);
void storm_report_free(storm_report *r);

/* One session in its stored JSON form (copied). A session that does not
 * parse is an error (err says where). */
storm_rc storm_report_add(storm_report *r, const char *json, size_t len, storm_err *err);

/* Write the whole report (every session added, in order of first_seen then
 * id). STIX: one bundle. */
storm_rc storm_report_write(storm_report *r, storm_buf *out, storm_err *err);

/* After a STIX write: reports and objects in the bundle. */
void storm_report_counts(const storm_report *r, size_t *reports, size_t *objects);

/* storm sessions: one line for the stored session json: first and last
 * seen, id, entry point, steps reached in order, pods and nodes touched,
 * size. No newline. */
storm_rc storm_session_summary(const char *json, size_t len, storm_buf *out, storm_err *err);

/* The attack path of one stored session json as one JSON object appended
 * to out: {"reached":[{step_id, name, tactic, status, from, skipped[]}],
 * "deepest":[{step_id, name, reached}], "deepest_reached", "anomalies"}.
 * status is "entry", "modelled", "skipped", "unpredicted" or
 * "not-in-models" (docs/sessions.md, "Attack paths"). models may be NULL. */
storm_rc storm_session_path_json(const storm_models *models, const char *json, size_t len, storm_buf *out,
                                 storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
