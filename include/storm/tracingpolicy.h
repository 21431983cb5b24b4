/* SPDX-License-Identifier: Apache-2.0 */
/* Tetragon TracingPolicies read back: load them (generated or written by
 * hand), say which indicators of attack models they let Storm see
 * (coverage), and replay recorded Tetragon events through their selectors
 * as the kernel would (docs/instrument.md lists the selector semantics
 * modelled and those that are not). */
#ifndef STORM_TRACINGPOLICY_H
#define STORM_TRACINGPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <storm/buf.h>
#include <storm/err.h>
#include <storm/model.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_tp_set storm_tp_set;

/* One hook of one policy. */
typedef struct storm_tp_hook {
    const char *policy;      /* metadata.name */
    const char *file;        /* the file it came from */
    const char *kind;        /* "kprobe", "tracepoint", "lsm", "uprobe" */
    const char *call;        /* normalised: sys_openat (for __x64_sys_openat too), security_file_permission,
                                subsystem/event for a tracepoint */
    const storm_value *spec; /* the hook object (args, selectors...), borrowed */
} storm_tp_hook;

/* Owned by the caller: storm_tp_set_free. */
storm_rc storm_tp_set_new(storm_tp_set **out);
void storm_tp_set_free(storm_tp_set *s);
/* Load a YAML file (one or more documents) or every *.yaml / *.yml of a
 * directory (sorted, recursively). Documents of other kinds are skipped; a
 * TracingPolicy without spec, or a file that does not parse, is recorded as
 * a problem ("FILE:LINE:COL: message") and loading goes on. Returns an
 * error only when path cannot be read at all. */
storm_rc storm_tp_set_load_path(storm_tp_set *s, const char *path, storm_err *err);
/* The same for YAML text held by the caller (copied); name is used in problems. */
storm_rc storm_tp_set_load_text(storm_tp_set *s, const char *name, const char *text, size_t len, storm_err *err);
size_t storm_tp_set_n_policies(const storm_tp_set *s);
size_t storm_tp_set_n_hooks(const storm_tp_set *s);
const storm_tp_hook *storm_tp_set_hook(const storm_tp_set *s, size_t i);
size_t storm_tp_set_n_problems(const storm_tp_set *s);
const char *storm_tp_set_problem(const storm_tp_set *s, size_t i);

typedef struct storm_coverage_stats {
    size_t hook_indicators; /* indicators that read kernel hooks */
    size_t covered, partial, uncovered;
    size_t not_needed; /* exec, audit, alert indicators: no TracingPolicy involved */
} storm_coverage_stats;

/* Per indicator of m: covered (which policy and hook), partly, or not, and
 * why (hook not traced, argument not captured, a selector that filters out
 * values the pattern needs). Text (a table) or JSON (an array of objects)
 * appended to out. */
storm_rc storm_policy_coverage(const storm_models *m, const storm_tp_set *s, bool json, storm_buf *out,
                               storm_coverage_stats *st, storm_err *err);

typedef struct storm_replay_stats {
    size_t lines;       /* input lines */
    size_t bad;         /* lines that are not JSON */
    size_t hook_events; /* process_kprobe / process_tracepoint / process_lsm / process_uprobe */
    size_t traced;      /* hook_events whose hook a policy traces: what the policies emit without selectors */
    size_t emitted;     /* traced events a selector accepts (or that have none) */
    size_t dropped;     /* traced events every selector rejects */
    size_t assumed;     /* emitted events where a filter could not be evaluated and was taken as passing */
    size_t needed;      /* with models: hook events a hook indicator's [...] accepts */
    size_t needed_lost; /* needed events the policies would not have emitted */
} storm_replay_stats;

/* Replay the Tetragon events of the JSON Lines text[0..len) (source names
 * it in the output) through the selectors of s. m (may be NULL): also
 * decide which events an indicator that reads hooks accepts, and report
 * those that would be lost. One line per hook event (text) or one JSON
 * object per line (json) appended to out; counts added to st. */
storm_rc storm_policy_replay(const storm_tp_set *s, const storm_models *m, const char *source, const char *text,
                             size_t len, bool json, storm_buf *out, storm_replay_stats *st, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
