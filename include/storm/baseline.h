/* SPDX-License-Identifier: Apache-2.0 */
/* Baseline: per-workload profiles of normal behaviour, learned from typed
 * events (storm_event) and used to remove what they explain.
 *
 * A profile belongs to one workload identity (storm_baseline_workload_key):
 *   container workloads  "<namespace>/<kind>/<workload>/<container>"
 *                        (workload falls back to the pod name with its hash
 *                        suffix collapsed, container to the image name);
 *   host processes       "host/<binary>" (for exec events: the parent binary,
 *                        the process that did the exec);
 *   Kubernetes API users "user/<username>" (audit events).
 * A profile is a set of features, each one line of text "<kind> <value>":
 *   exec <binary> [argument shape]     file <op> <path>
 *   net <direction> <proto> <peer> <port>      hook <name> [arg classes]
 *   api <verb> <resource> <namespace>  syscall <name>   cap <name>
 *   alert <rule>
 * Volatile parts (pids, pod-hash suffixes, container ids, UUIDs, timestamps,
 * projected-volume "..2024_05_30_15_39_47.1234" directories, numeric and hex
 * runs) are replaced by placeholders (<n>, <hex>, <id>, <uuid>, <ts>, <pod>)
 * so that a profile survives restarts. Hand-written or imported entries may
 * use wildcards: "*" (any text), "⋯" (one path segment, as Kubescape), and
 * a CIDR as network peer; learning itself folds many files of one directory
 * into "file <op> <dir>/⋯" (opts.collapse_threshold). docs/baseline.md
 * documents all of it.
 *
 * Online use in `storm run` (one storm_baseline per run, single-threaded):
 *   storm_baseline_open(store, &opts, &b, &err)     or storm_baseline_open_file
 *   --learn-for D: storm_baseline_learn(b, ev, ...) for events until D has
 *                  passed, storm_baseline_save() now and then and at the end,
 *                  then storm_baseline_check() as below;
 *   --baseline F:  storm_baseline_check(b, ev, &res) for each event:
 *                    EXPLAINED   -> drop the event (counted per workload);
 *                    UNEXPLAINED -> keep it; with --anomalies also emit an
 *                                   anomaly observation from res.workload,
 *                                   res.feature and res.reason;
 *                    UNPROFILED  -> keep it (nothing is known about it);
 *   at the end:    storm_baseline_save() (keeps the per-workload counters),
 *                  storm_baseline_close().
 * Memory is bounded: at most opts.max_profiles profiles and
 * opts.max_features features per profile; what does not fit is counted
 * (overflow) and reported by storm_baseline_show-style accessors below. */
#ifndef STORM_BASELINE_H
#define STORM_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/store.h>
#include <storm/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_baseline storm_baseline;

/* Limits and the settling rule; a zero field takes the default. */
typedef struct storm_baseline_opts {
    size_t max_profiles;       /* default 10000 */
    size_t max_features;       /* per profile, default 4096 */
    uint64_t settle_events;    /* default 100: a profile is "settled" when at least this many events
                                  were learned since its last new feature AND they are at least half
                                  of all events it learned; otherwise it is "learning" */
    bool read_only;            /* never write the store (storm baseline show, export) */
    size_t collapse_threshold; /* default 50 (Kubescape's OpenDynamicThreshold): when more than this many
                                  distinct files of one directory were learned for one operation, they
                                  become one entry "file <op> <dir>/⋯" (outside protected directories,
                                  docs/baseline.md); SIZE_MAX never collapses */
} storm_baseline_opts;

/* Open the profiles kept in store's SQLite file (tables baseline_*; created
 * when missing unless read_only). store is borrowed and must outlive b; NULL
 * gives an in-memory baseline (tests, benchmarks, JSON-only use). opts may be
 * NULL. *out is owned: storm_baseline_close. */
storm_rc storm_baseline_open(storm_store *store, const storm_baseline_opts *opts, storm_baseline **out, storm_err *err);

/* Convenience for `storm run --baseline FILE`: FILE is either a Storm SQLite
 * file (opened through storm_store_open, owned by b), a JSON export
 * (storm_baseline_export) or a Kubescape ApplicationProfile YAML; the latter
 * two give an in-memory baseline. *out is owned: storm_baseline_close. */
storm_rc storm_baseline_open_file(const char *path, const storm_baseline_opts *opts, storm_baseline **out,
                                  storm_err *err);

/* Frees b. Does NOT save: call storm_baseline_save first to keep changes. */
void storm_baseline_close(storm_baseline *b);

/* Write changed profiles, features and counters to the store in one
 * transaction (no-op for an in-memory or read-only baseline). */
storm_rc storm_baseline_save(storm_baseline *b, storm_err *err);

/* Learn one event: add its features to its workload's profile (creating the
 * profile). *new_features (may be NULL) counts features that were new. Events
 * without an identity, or past the caps, are counted, not errors. Returns
 * STORM_ERR_NOMEM only when memory really runs out. */
storm_rc storm_baseline_learn(storm_baseline *b, const storm_event *ev, size_t *new_features, storm_err *err);

typedef enum storm_baseline_verdict {
    STORM_BASELINE_UNPROFILED = 0, /* no profile for the workload, or no identity: keep the event */
    STORM_BASELINE_EXPLAINED,      /* every feature of the event is in its profile: drop it */
    STORM_BASELINE_UNEXPLAINED,    /* the workload has a profile that lacks (or denies) a feature: anomaly */
} storm_baseline_verdict;

const char *storm_baseline_verdict_name(storm_baseline_verdict v); /* "unprofiled", "explained", "unexplained" */

#define STORM_BASELINE_KEY_MAX 512
#define STORM_BASELINE_FEATURE_MAX 1024

typedef struct storm_baseline_result {
    storm_baseline_verdict verdict;
    char workload[STORM_BASELINE_KEY_MAX];    /* identity key; "" when the event has none */
    char feature[STORM_BASELINE_FEATURE_MAX]; /* UNEXPLAINED: the first feature the profile lacks */
    bool denied;                              /* UNEXPLAINED: that feature was denied by hand */
    bool settled;                             /* the profile's learning had settled (see opts) */
    char reason[STORM_BASELINE_FEATURE_MAX + STORM_BASELINE_KEY_MAX + 64]; /* one line for humans */
} storm_baseline_result;

/* Classify one event against its workload's profile and count it in that
 * profile's explained/unexplained counters. res may be NULL. Never fails:
 * an event it cannot read is UNPROFILED. Not thread-safe (counters). */
storm_baseline_verdict storm_baseline_check(storm_baseline *b, const storm_event *ev, storm_baseline_result *res);

/* The identity key of ev's workload into buf (NUL-terminated, truncated to
 * cap). Returns false (buf = "") when the event carries no identity. */
bool storm_baseline_workload_key(const storm_event *ev, char *buf, size_t cap);

/* Hand edits. feature is "<kind> <value>" as above (validated; wildcards and
 * CIDR allowed). allow adds it (creating the profile, and lifting a deny);
 * deny removes a learned entry and records a deny, so that learning does not
 * bring it back and check reports it as denied. */
storm_rc storm_baseline_allow(storm_baseline *b, const char *workload, const char *feature, storm_err *err);
storm_rc storm_baseline_deny(storm_baseline *b, const char *workload, const char *feature, storm_err *err);
/* Drop a whole profile. STORM_ERR_NOTFOUND when there is none. */
storm_rc storm_baseline_forget(storm_baseline *b, const char *workload, storm_err *err);

/* Representativeness of one profile (strings borrowed from b, valid until the
 * next call that changes b). Times are event times (0 when unknown). */
typedef struct storm_baseline_profile_info {
    const char *workload;
    const char *origin; /* "learned", "json", "kubescape", "hand" (where it came from first) */
    uint64_t events_learned;
    size_t n_features;
    size_t n_denied;
    uint64_t events_at_last_new; /* events_learned when the last new feature appeared */
    storm_time_ns first_seen, last_seen, last_new_feature;
    uint64_t overflow;               /* features not kept: the per-profile cap was reached */
    uint64_t explained, unexplained; /* check() counters (kept across saves) */
    bool settled;
} storm_baseline_profile_info;

size_t storm_baseline_profile_count(const storm_baseline *b);
/* i in [0, count); profiles are sorted by key. false when out of range. */
bool storm_baseline_profile_at(const storm_baseline *b, size_t i, storm_baseline_profile_info *out);
bool storm_baseline_profile_get(const storm_baseline *b, const char *workload, storm_baseline_profile_info *out);

typedef struct storm_baseline_feature_info {
    const char *text; /* "<kind> <value>" */
    bool denied;
    uint64_t hits; /* events that had it, while learning */
    storm_time_ns first_seen;
} storm_baseline_feature_info;

/* Call fn for every feature of a profile, in the order they were added.
 * STORM_ERR_NOTFOUND when there is no such profile. */
storm_rc storm_baseline_features(const storm_baseline *b, const char *workload,
                                 void (*fn)(void *ctx, const storm_baseline_feature_info *f), void *ctx);

/* Totals over the whole baseline. */
typedef struct storm_baseline_stats {
    size_t profiles;
    uint64_t learned, learned_unattributed; /* events learned; of them without identity */
    uint64_t profile_overflow;              /* events whose new profile did not fit max_profiles */
    uint64_t feature_overflow;              /* features not kept in any profile (per-profile caps) */
    uint64_t checked, explained, unexplained, unprofiled;
} storm_baseline_stats;

void storm_baseline_get_stats(const storm_baseline *b, storm_baseline_stats *out);

/* Export as JSON (docs/baseline.md, "Export format"): all profiles, or only
 * the one named workload (NULL = all). Appends to out. */
storm_rc storm_baseline_export(const storm_baseline *b, const char *workload, storm_buf *out, storm_err *err);

/* Import results: what was added, and what was set aside (with the reason of
 * the first rejected entry in err->msg when rejected > 0). */
typedef struct storm_baseline_import_stats {
    size_t profiles; /* profiles created or extended */
    size_t features; /* features added */
    size_t rejected; /* entries that could not be read (counted, skipped) */
} storm_baseline_import_stats;

/* Import a JSON export (merging into existing profiles). A document that is
 * not JSON or not an export fails with a positioned error; bad entries inside
 * a valid document are counted in stats->rejected. */
storm_rc storm_baseline_import_json(storm_baseline *b, const char *text, size_t len, storm_baseline_import_stats *stats,
                                    storm_err *err);

/* Import a Kubescape ApplicationProfile (YAML or JSON; one or more documents):
 * one profile per container, identity from the kubescape.io/workload-* labels
 * (namespace, kind, name) and the container name. namespace/workload override
 * the labels when non-NULL (templated profiles carry "$values..."). execs ->
 * exec, opens -> file open, syscalls -> syscall, capabilities -> cap. */
storm_rc storm_baseline_import_kubescape(storm_baseline *b, const char *text, size_t len, const char *namespace_,
                                         const char *workload, storm_baseline_import_stats *stats, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
