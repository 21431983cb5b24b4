/* SPDX-License-Identifier: Apache-2.0 */
/* The values an object path names in one observation, for the index: every
 * SCO of the path's type, steps applied in order, [*] fanning out, *_ref and
 * *_refs resolved among the observation's objects. Only the index uses this;
 * the full comparison is the pattern engine's. */
#ifndef STORM_DETECT_OBS_PATH_H
#define STORM_DETECT_OBS_PATH_H

#include <stddef.h>
#include <storm/observation.h>

#include "pattern/ast.h"

#define OBS_PATH_MAX_VALUES 64 /* values gathered per path and observation */

/* Calls fn(ctx, value) for each scalar value found (strings, numbers, bools;
 * at most OBS_PATH_MAX_VALUES). */
void obs_path_values(const storm_observation *obs, const pat_path *path,
                     void (*fn)(void *ctx, const storm_value *v), void *ctx);

/* Does the observation hold an SCO of this type? */
bool obs_has_type(const storm_observation *obs, const char *type, size_t len);

#endif
