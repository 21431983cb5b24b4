/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON text of the SCOs sighting bundles repeat: a file, directory,
 * user-account, software or address SCO has a UUIDv5 id made of its
 * content, and the same one comes back in bundle after bundle (a third of
 * a sightings-heavy stream's freshly written text). Its text is kept under
 * its id with a copy of the object, and reused only when the object is
 * exactly the copy (same members in the same order, same values), so the
 * bytes are always what writing it would give. Private to src/pipeline;
 * one per pipeline. */
#ifndef STORM_PIPELINE_SCO_TEXT_H
#define STORM_PIPELINE_SCO_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/value.h>

typedef struct sco_text_entry {
    const char *id; /* in the arena; NULL: a free slot */
    size_t id_len;
    uint64_t hash;
    const storm_value *copy; /* in the arena */
    const char *text;        /* in the arena */
    size_t len;
} sco_text_entry;

typedef struct sco_text {
    sco_text_entry *e; /* open addressing; NULL until the first entry */
    size_t n, cap;
    storm_arena *arena; /* ids, copies and texts; all dropped when full */
} sco_text;

/* Is v's text worth keeping: an object whose id is a UUIDv5 ("x--" then
 * a version 5 UUID)? */
bool sco_text_wanted(const storm_value *v);
/* Append the compact JSON of v to out, as storm_json_write writes it: the
 * kept text when v is exactly the object kept under its id, else written
 * (and kept, replacing an older one, while there is room). */
storm_rc sco_text_write(sco_text *c, storm_buf *out, const storm_value *v);
void sco_text_free(sco_text *c);

#endif
