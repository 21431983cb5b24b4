/* SPDX-License-Identifier: Apache-2.0 */
/* The indicator index. Every comparison expression (the inside of one [...],
 * a "leaf") of every indicator is evaluated through the indicator's own
 * compiled pattern (storm/pattern_plan.h); identical leaves are shared. Each
 * comparison of a leaf (a "test") gets keys, one of which hits when the test
 * may hold on an object:
 *   eq     (path, literal) - '=' and IN literals, looked up by hash;
 *   regex  (path, regex)   - MATCHES and LIKE, one Hyperscan database per
 *                            object path in prefilter mode (a superset),
 *                            not scanned on a value that lacks the literals
 *                            every regex of the path needs (regex_literals.h);
 *   exists (path)          - EXISTS of a scalar property: any value;
 * everything else (!=, <, NOT, regexes Hyperscan rejects) has none and may
 * hold on any object of its type. One pass over the values gives each test
 * the set of objects its keys hit; the leaf's AND/OR of its tests over those
 * sets says on which objects it may hold, and it is a candidate when that is
 * not empty. The candidates are a superset of the true leaves; the pattern
 * engine then decides each exactly. */
#ifndef STORM_DETECT_LEAF_INDEX_H
#define STORM_DETECT_LEAF_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/err.h>
#include <storm/observation.h>
#include <storm/pattern.h>
#include <storm/stix.h>

typedef struct leaf_index leaf_index;

/* Empty index; *out owned (leaf_index_free). */
storm_rc leaf_index_new(leaf_index **out);
void leaf_index_free(leaf_index *x);

/* Add leaf `leaf` of the compiled pattern p (borrowed: must outlive the
 * index), whose source text is text[0..len); identical text returns the id
 * of the first one, which is then evaluated for all (pattern_leaf_match). */
storm_rc leaf_index_add(leaf_index *x, const storm_pattern *p, unsigned leaf, const char *text, size_t len,
                        uint32_t *id, storm_err *err);
/* Build the hash tables and regex databases; call once after the last add.
 * cache_dir (borrowed during the call; NULL: none): where compiled regex
 * databases are kept between runs (regex_cache.h). */
storm_rc leaf_index_build(leaf_index *x, const char *cache_dir, storm_err *err);

size_t leaf_index_count(const leaf_index *x);
size_t leaf_index_regex_prefiltered(const leaf_index *x);
size_t leaf_index_regex_unindexed(const leaf_index *x);
/* Regex databases loaded from the cache directory instead of compiled. */
size_t leaf_index_regex_cached(const leaf_index *x);

/* The candidate leaves of one observation: ids written to out (each once),
 * returns how many (at most leaf_index_count). out needs leaf_index_count
 * entries. */
size_t leaf_index_candidates(leaf_index *x, const storm_observation *obs, uint32_t *out);

/* The candidate leaves of the observation of ev, decided on the event itself
 * (storm/stix_prefilter.h), each comparison per object (the subject, its
 * parent, each ancestor; one object per other type): a superset of the
 * leaves that hold on the observation storm_stix_observe builds of ev.
 * Writes the ids to out (leaf_index_count entries) and their number to
 * *n_out; returns 0, or -1 when the event cannot tell (out of arena memory):
 * then build the observation and ask leaf_index_candidates. Strings built on
 * the way come from arena a. */
int leaf_index_event_candidates(leaf_index *x, storm_arena *a, const storm_event *ev, const storm_stix_opts *opts,
                                uint32_t *out, size_t *n_out);

/* Decide leaf id on one observation exactly. Returns 1 (true), 0 (false), -1
 * when a value could not be compared. */
int leaf_index_eval(const leaf_index *x, uint32_t id, const storm_observation *obs);

#endif
