/* SPDX-License-Identifier: Apache-2.0 */
/* Sightings: matches of one indicator in one scope within the sighting
 * window accumulate in one sighting (count, first_seen/last_seen,
 * observed_data_refs up to a cap). A sighting is emitted when created and
 * whenever a match brings new evidence (observations not listed yet, while
 * under the cap); matches without new evidence only update it, and the last
 * version is emitted when it closes (window passed, eviction, flush). */
#ifndef STORM_DETECT_SIGHTINGS_H
#define STORM_DETECT_SIGHTINGS_H

#include <storm/detect.h>

#include "lineage.h"

typedef struct detect_sightings detect_sightings;

detect_sightings *detect_sightings_new(const storm_models *models, const storm_detect_opts *opts,
                                       storm_detect_sighting_fn fn, void *ctx);
void detect_sightings_free(detect_sightings *s);
const storm_value *detect_sightings_identity(const detect_sightings *s);

/* One complete match of ind in scope: obs[0..n) (borrowed for the call). */
void detect_sightings_record(detect_sightings *s, const storm_model_indicator *ind, const char *scope,
                             const char *place, const storm_observation *const *obs, size_t n, storm_time_ns tmin,
                             storm_time_ns tmax, storm_detect_stats *stats);
/* Close the least recently touched sightings while more than the cap are
 * open. Called once an event's matches are all recorded, so that the cap
 * never closes a sighting the same event still updates (the event's own
 * are the most recently touched). */
void detect_sightings_enforce_cap(detect_sightings *s, storm_detect_stats *stats);
/* Close sightings whose window has passed at event time watermark. */
void detect_sightings_expire(detect_sightings *s, storm_time_ns watermark, storm_detect_stats *stats);
/* Close every open sighting. */
void detect_sightings_flush(detect_sightings *s, storm_detect_stats *stats);
/* Emit every open sighting whose count grew since it was last emitted,
 * keeping it open (a checkpoint: the store then says what the detector
 * knows). */
void detect_sightings_emit_pending(detect_sightings *s, storm_detect_stats *stats);
/* The earliest first_seen of an open sighting (INT64_MAX: none). */
storm_time_ns detect_sightings_oldest(const detect_sightings *s);

#endif
