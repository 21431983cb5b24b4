/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON text of the objects of the observation being matched, kept
 * while its record is processed: an event that matches several indicators
 * gives one sighting bundle each, and every one of them lists the same
 * observed-data and process objects (on the mixed bench stream, a third of
 * the process objects written). Those objects are the observation's own,
 * which live and stay unchanged until the record ends, so the same address
 * in the same record is the same text. Private to src/pipeline; one per
 * pipeline. */
#ifndef STORM_PIPELINE_OBS_TEXT_H
#define STORM_PIPELINE_OBS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/value.h>

#define OBS_TEXT_MAX 64 /* objects kept per record: an observation has a handful */

typedef struct obs_text_entry {
    const storm_value *v;
    size_t off, len; /* in text */
} obs_text_entry;

typedef struct obs_text {
    uint64_t record; /* what the entries are of (pipeline cur_obs_serial) */
    size_t n;
    obs_text_entry e[OBS_TEXT_MAX];
    storm_buf text; /* the entries' text, one after the other */
} obs_text;

/* Append the text kept for v in record to out: false when none is. */
bool obs_text_write_kept(obs_text *c, uint64_t record, const storm_value *v, storm_buf *out);
/* Keep text[0..len) as v's in record (the entries of another record are
 * forgotten first); nothing when full or out of memory. */
void obs_text_keep(obs_text *c, uint64_t record, const storm_value *v, const char *text, size_t len);
void obs_text_free(obs_text *c);

#endif
