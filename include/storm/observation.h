/* SPDX-License-Identifier: Apache-2.0 */
/* An observation: one observed-data and the cyber-observable objects it
 * references, held as value trees. This is what patterns match. Decoders
 * build observations directly from sensor events; STIX input (bundles,
 * observed-data) is loaded into the same shape. */
#ifndef STORM_OBSERVATION_H
#define STORM_OBSERVATION_H

#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/time.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_spec {
    STORM_SPEC_20 = 20, /* observed-data with an inline "objects" map */
    STORM_SPEC_21 = 21, /* observed-data whose object_refs name SCOs in the bundle */
} storm_spec;

typedef struct storm_obs_object {
    const char *key;          /* 2.0: the key in "objects" ("0", "1", ...); 2.1: the SCO id */
    const storm_value *value; /* the SCO (borrowed) */
} storm_obs_object;

typedef struct storm_observation {
    const char *id; /* observed-data id; NULL when the input had none */
    size_t index;   /* 0-based position among the input's observed-data */
    storm_time_ns first_observed;
    storm_time_ns last_observed;
    int64_t number_observed; /* >= 1; counts as that many observations */
    const storm_value *sdo;  /* the observed-data object (borrowed; may be NULL) */
    size_t n_objects;
    storm_obs_object *objects; /* only these resolve *_ref / *_refs */
    /* Non-NULL while ids derived from the input record are still to be
     * computed (storm_stix_observe with lazy_ids; storm_stix_observation_finish
     * fills them in). Zero-initialised observations have none. */
    struct storm_obs_pending *pending;
} storm_observation;

/* Resolve a reference (a 2.0 key or a 2.1 id) among obs->objects; NULL if absent. */
const storm_value *storm_observation_resolve(const storm_observation *obs, const char *ref, size_t ref_len);

/* Load observations from parsed JSON: a bundle, an observed-data, an array of
 * either (or of bundles' objects). For 2.1, each observed-data's object_refs
 * are resolved among all SCOs given in the input. Observations are appended to
 * *out (arena-allocated array, *n updated). Objects that are neither are
 * skipped. Returns STORM_ERR_VALUE with err set on malformed observed-data
 * (missing/invalid first_observed, last_observed, number_observed, dangling
 * refs are allowed and simply do not resolve). */
storm_rc storm_observations_load(storm_arena *arena, const storm_value *root, storm_spec spec, storm_observation **out,
                                 size_t *n, storm_err *err);

#ifdef __cplusplus
}
#endif
#endif
