/* SPDX-License-Identifier: Apache-2.0 */
/* The values an object path names in one observation, for the index: every
 * SCO of the path's type, steps applied in order, [*] fanning out, *_ref and
 * *_refs resolved among the observation's objects. Only the index uses this;
 * the full comparison is the pattern engine's. */
#ifndef STORM_DETECT_OBS_PATH_H
#define STORM_DETECT_OBS_PATH_H

#include <stddef.h>
#include <storm/observation.h>

#include <storm/pattern_plan.h>

#define OBS_PATH_MAX_VALUES 64 /* values gathered per path and observation */

/* Calls fn(ctx, value) for each scalar value found (strings, numbers, bools;
 * at most OBS_PATH_MAX_VALUES). */
void obs_path_values(const storm_observation *obs, const pat_path *path, void (*fn)(void *ctx, const storm_value *v),
                     void *ctx);

/* Does the observation hold an SCO of this type? */
bool obs_has_type(const storm_observation *obs, const char *type, size_t len);

/* The "type" of each SCO of an observation, looked up once per observation
 * rather than once per indexed path and object (the index walks hundreds of
 * paths per observation at 10,000 indicators). */
#define OBS_TYPES_MAX 64
typedef struct obs_types {
    size_t n; /* objects; beyond OBS_TYPES_MAX the plain functions above are used */
    const char *type[OBS_TYPES_MAX];
    size_t len[OBS_TYPES_MAX];
} obs_types;

void obs_types_of(const storm_observation *obs, obs_types *out);
/* As obs_path_values / obs_has_type, with the types of obs precomputed. */
void obs_path_values_typed(const storm_observation *obs, const obs_types *types, const pat_path *path,
                           void (*fn)(void *ctx, const storm_value *v), void *ctx);
bool obs_types_has(const storm_observation *obs, const obs_types *types, const char *type, size_t len);
/* As obs_path_values over the objects i of obs (at most OBS_TYPES_MAX) whose
 * kind[i] == want: the caller has classified the objects once per
 * observation (the index compares small integers instead of type names for
 * every path and object). */
void obs_path_values_kind(const storm_observation *obs, const int *kind, int want, const pat_path *path,
                          void (*fn)(void *ctx, const storm_value *v), void *ctx);

#endif
