/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON text of the objects every sighting bundle repeats: the indicator
 * sighted, the cluster's identity and the definitions the share step adds
 * (extension-definitions, Storm's identity, TLP markings) are the same
 * objects in every version of every sighting, so each is written once and
 * its text copied after (a bundle is ~10 KB; these are about half of it).
 * Private to src/pipeline; one per pipeline. */
#ifndef STORM_PIPELINE_BUNDLE_TEXT_H
#define STORM_PIPELINE_BUNDLE_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/value.h>

typedef struct bundle_text_entry {
    const void *ptr; /* the object itself (NULL: keyed by id) */
    char *id;        /* owned: the id of an object made anew each time (NULL: keyed by ptr) */
    uint64_t hash;
    char *text; /* owned */
    size_t len;
} bundle_text_entry;

typedef struct bundle_text {
    bundle_text_entry *e; /* open addressing; NULL until the first entry */
    size_t n, cap;
} bundle_text;

/* Append the compact JSON of v to out. by_ptr: v itself never changes while
 * the pipeline lives (a model's indicator, the detector's identity), its
 * text is cached under its address; otherwise under its "id" (an object the
 * share step makes, whose content its id fixes). A miss writes v as
 * storm_json_write does and keeps the text; without memory it only writes. */
storm_rc bundle_text_write(bundle_text *c, storm_buf *out, const storm_value *v, bool by_ptr);
void bundle_text_free(bundle_text *c);

#endif
