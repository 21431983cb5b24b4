/* SPDX-License-Identifier: Apache-2.0 */
/* Per-leaf evaluation of a compiled pattern, for streaming detection
 * (src/detect). A pattern's leaves are its [...] comparison expressions in
 * source order (storm_pattern.leaves). A detector evaluates each leaf
 * against each observation as it arrives, keeps the observations that hit,
 * and decides the observation expression (AND, OR, FOLLOWEDBY, WITHIN,
 * REPEATS, START/STOP) over what it kept with pattern_match_hits, which
 * runs the same bounded binding search as storm_pattern_match.
 *
 * Typical use:
 *     if (pattern_is_single_leaf(p))          // most indicators
 *         hit = pattern_leaf_match(p, 0, obs, &err);
 *     else {
 *         for each leaf i: hits[i][k] = pattern_leaf_match(p, i, obs[k], &err);
 *         pattern_match_hits(p, obs, n, hits, &m, &err);
 *     }
 * The compiled pattern is read-only: any number of threads may call these
 * on one pattern at once. */
#ifndef STORM_PATTERN_LEAF_H
#define STORM_PATTERN_LEAF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/pattern.h>

/* Number of [...] leaves. */
unsigned pattern_leaf_count(const storm_pattern *p);

/* True when the pattern is one [...] without qualifiers: a single
 * observation decides it (no state to keep). */
bool pattern_is_single_leaf(const storm_pattern *p);

/* Does leaf `leaf` (0-based, source order) hold on observation obs? Returns
 * false with err->rc != STORM_OK when a value cannot be compared (a string
 * that is not a timestamp compared with t'...', an invalid _hex value...).
 * The caller clears err (storm_err_clear) before the call. */
bool pattern_leaf_match(const storm_pattern *p, unsigned leaf, const storm_observation *obs, storm_err *err);

/* Problems the specification reports only at match time (WITHIN 0 SECONDS,
 * REPEATS 0 TIMES, an IN set of mixed types): STORM_OK when there are none,
 * else the code with err set. A detector checks once when it loads the pattern. */
storm_rc pattern_check_late(const storm_pattern *p, storm_err *err);

/* Decide the observation expression over obs[0..n) given the leaf results
 * hits[leaf][k] (non-zero when leaf holds on obs[k]), as
 * storm_pattern_match does. The search is bounded: past its step budget it
 * returns STORM_ERR_LIMIT rather than run on. out is filled as by
 * storm_pattern_match (storm_match_clear it). */
storm_rc pattern_match_hits(const storm_pattern *p, const storm_observation *obs, size_t n,
                            const uint8_t *const *hits, storm_match *out, storm_err *err);

/* The window a pattern's temporal qualifiers span, in nanoseconds: the
 * largest WITHIN (or the START..STOP length); 0 when unbounded (a detector
 * then chooses its own horizon). Observations older than this relative to
 * the newest can be evicted without losing matches of WITHIN patterns. */
int64_t pattern_horizon_ns(const storm_pattern *p);

#endif
