/* SPDX-License-Identifier: Apache-2.0 */
/* The STIX 2.x patterning language: compile once, match many times. */
#ifndef STORM_PATTERN_H
#define STORM_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <storm/err.h>
#include <storm/observation.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORM_PATTERN_MAX_LEN (1u << 20) /* bytes of pattern text */
#define STORM_PATTERN_MAX_DEPTH 256      /* nesting of parentheses / brackets */

typedef struct storm_pattern storm_pattern;

/* Parse and compile text[0..len). On success *out is owned by the caller
 * (storm_pattern_free). On error returns STORM_ERR_SYNTAX (or LIMIT/NOMEM)
 * with err->offset/len/line/col at the problem and err->msg such as
 * "expected a comparison operator after 'process:name', found 'MATCH'". */
storm_rc storm_pattern_compile(const char *text, size_t len, storm_spec spec, storm_pattern **out, storm_err *err);
void storm_pattern_free(storm_pattern *p);
/* The source text (borrowed, NUL-terminated). */
const char *storm_pattern_text(const storm_pattern *p);

/* True when p parses but can never match: a [...] whose AND joins
 * comparisons of different object types (AND inside [...] holds on one
 * object). warn (may be NULL) receives a message and the position. */
bool storm_pattern_never_matches(const storm_pattern *p, storm_err *warn);

/* Result of matching: which observations satisfied the pattern. */
typedef struct storm_match {
    bool matched;
    size_t n_bound; /* number of entries in bound */
    size_t *bound;  /* indices into the observation array, in binding order (owned; storm_match_clear) */
} storm_match;

/* Match p against obs[0..n). Returns STORM_OK with out->matched set, or
 * STORM_ERR_VALUE when a value cannot be compared (e.g. WITHIN 0 SECONDS, an
 * invalid timestamp in the data, a mixed-type set) with err set. */
storm_rc storm_pattern_match(const storm_pattern *p, const storm_observation *obs, size_t n, storm_match *out,
                             storm_err *err);
void storm_match_clear(storm_match *m);

#ifdef __cplusplus
}
#endif
#endif
