/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: pattern x observations. The input is
 *   <spec byte><pattern text>\n<JSON observations>
 * (spec byte odd: STIX 2.0, even: 2.1). Whatever the input, compiling,
 * loading and matching must neither crash nor hang, the result must be
 * consistent with the per-leaf API, and bound indices must be in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/json.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#include <storm/pattern_plan.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    storm_spec spec = (data[0] & 1) ? STORM_SPEC_20 : STORM_SPEC_21;
    const char *text = (const char *)data + 1;
    size_t rest = size - 1;
    const char *nl = memchr(text, '\n', rest);
    size_t plen = nl ? (size_t)(nl - text) : rest;
    const char *json = nl ? nl + 1 : "";
    size_t jlen = nl ? rest - plen - 1 : 0;

    storm_err err;
    storm_err_clear(&err);
    storm_pattern *p = NULL;
    if (storm_pattern_compile(text, plen, spec, &p, &err) != STORM_OK)
        return 0;
    storm_arena *a = storm_arena_new(0, 64u << 20);
    storm_value *root = NULL;
    storm_observation *obs = NULL;
    size_t n = 0;
    storm_err_clear(&err);
    if (a && storm_json_parse(a, json, jlen, 0, &root, NULL, &err) == STORM_OK &&
        storm_observations_load(a, root, spec, &obs, &n, &err) == STORM_OK) {
        storm_match m;
        storm_err_clear(&err);
        storm_rc rc = storm_pattern_match(p, obs, n, &m, &err);
        if (rc == STORM_OK) {
            for (size_t i = 0; i < m.n_bound; i++)
                if (m.bound[i] >= n)
                    abort();
            if (m.matched && m.n_bound == 0)
                abort();
            /* a single [..] matches exactly when some observation hits its leaf */
            if (pattern_is_single_leaf(p)) {
                bool any = false;
                for (size_t k = 0; k < n && !any; k++) {
                    storm_err e2;
                    storm_err_clear(&e2);
                    any = pattern_leaf_match(p, 0, &obs[k], &e2);
                }
                if (any != m.matched)
                    abort();
            }
        } else if (err.rc == STORM_OK) {
            abort(); /* an error always says why */
        }
        storm_match_clear(&m);
    }
    storm_arena_free(a);
    storm_pattern_free(p);
    return 0;
}
