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

/* ---- values by object: whole conjunctions per object ----
 * A comparison expression's AND must hold on one object. To decide that on
 * the event, process values are given with their place: 0 the subject (the
 * acting process, and the subject's context such as x_k8s_pod or
 * x_hook_name), 1 its parent, 2 + i ancestors[i]. Every value that process
 * object k of the observation holds on the path is given for the place of
 * k (a superset, as above: a value may be given to several places, and
 * places that the observation has no object for may get values). */
#define STORM_STIX_PREFILTER_ANY (-1)      /* the place of a value on a path not on process objects */
#define STORM_STIX_PREFILTER_PLACES_MAX 30 /* more process places: one place for all */

/* Whether the path of handle names one scalar that the observation holds
 * only when it is not empty: then "EXISTS path" holds on an object exactly
 * when some value is given for it. */
bool storm_stix_prefilter_scalar(int handle);
/* Whether the path of handle starts at process objects (places apply). */
bool storm_stix_prefilter_on_process(int handle);
/* The number of process places of ev, or 1 when the observation could
 * merge two of its processes into one object (same key): then place 0
 * stands for every process, and every value is given to it. */
size_t storm_stix_prefilter_places(const storm_event *ev);
/* As storm_stix_prefilter_values, fn(ctx, lo, hi, v): v is given to every
 * place in [lo, hi], within [0, storm_stix_prefilter_places(ev)), for a path
 * on process objects, else lo = hi = STORM_STIX_PREFILTER_ANY. One call per
 * value and range, so that a value given to several places is looked at
 * once. */
bool storm_stix_prefilter_place_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                                       void (*fn)(void *ctx, int lo, int hi, const storm_value *v), void *ctx);

/* Whether handle names a structured property (x_hook_args, x_alert_fields,
 * x_proc_extra...) whose values depend on the path's steps below it. */
bool storm_stix_prefilter_structured(int handle);
/* As storm_stix_prefilter_place_values for the path steps[0..n_steps) that
 * storm_stix_prefilter_path turned into handle (borrowed during the call),
 * with places = storm_stix_prefilter_places(ev) (computed once per event
 * by the caller): below a structured property only the values at the
 * path's steps are given, not every scalar inside it (a superset of what
 * the observation holds there: the sensor's value is read as observe.c
 * sanitizes it, items dropped and keys mapped). */
bool storm_stix_prefilter_path_values(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, int handle,
                                      const storm_stix_step *steps, size_t n_steps, size_t places,
                                      void (*fn)(void *ctx, int lo, int hi, const storm_value *v), void *ctx);

/* The parts of an event a handle's values come from, and the parts an
 * event has: a handle gives no value on ev when
 * (storm_stix_prefilter_reads(handle) & storm_stix_prefilter_parts(ev)) is
 * 0, so that a caller with many handles skips most of them on an event
 * without calling for each. */
#define STORM_STIX_PART_OTHER 1u /* processes, files, Kubernetes context, flows: always there */
#define STORM_STIX_PART_HOOK 2u  /* ev->hook */
#define STORM_STIX_PART_ALERT 4u /* ev->alert */
#define STORM_STIX_PART_AUDIT 8u /* ev->audit */
#define STORM_STIX_PART_APP 16u  /* ev->app */
uint32_t storm_stix_prefilter_reads(int handle);
uint32_t storm_stix_prefilter_parts(const storm_event *ev);

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
