/* SPDX-License-Identifier: Apache-2.0 */
/* What the observation of an event could hold, read off the typed event
 * without building the observation. The detector's prefilter: most events
 * match no indicator, and building their observation (the SCO graph) costs
 * more than parsing and decoding them. For a path it knows, this gives a
 * superset of the values storm_stix_observe would put there (more values
 * are harmless: the index only proposes candidates; fewer would lose
 * matches, and the test test_prefilter.c checks on every corpus event that
 * none is missing). For a path it does not know it says so, and the caller
 * builds the observation. */
#ifndef STORM_STIX_PREFILTER_H
#define STORM_STIX_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/event.h>
#include <storm/stix.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One step of an object path after "type:": a key (key != NULL), an index
 * [index] (key == NULL, index >= 0) or [*] (key == NULL, index < 0). */
typedef struct storm_stix_step {
    const char *key;
    size_t key_len;
    int64_t index;
} storm_stix_step;

/* A path this module can read off events; -1 when it cannot (then the
 * observation must be built to know its values). */
int storm_stix_prefilter_path(const char *type, size_t type_len, const storm_stix_step *steps, size_t n_steps);

/* Calls fn(ctx, v) for each value path `handle` (from
 * storm_stix_prefilter_path) may have in the observation of ev: a superset.
 * Temporary values (and strings built, e.g. a command line) live on the stack
 * or in arena a, valid during the call. False when not every value could be
 * given (the arena is full): then build the observation. */
bool storm_stix_prefilter_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                                 void (*fn)(void *ctx, const storm_value *v), void *ctx);

/* False only when the observation of ev surely holds no SCO of this type. */
bool storm_stix_prefilter_may_have(const storm_event *ev, const char *type, size_t type_len);

/* True when storm_stix_observe surely builds an observation of ev (short of
 * running out of memory): an event for which it is false is built anyway,
 * so that an event STIX cannot observe is still reported. */
bool storm_stix_prefilter_observable(const storm_event *ev);

/* The time of the observation of ev (first_observed), as storm_stix_observe
 * sets it. */
storm_time_ns storm_stix_event_time(const storm_event *ev, const storm_stix_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
