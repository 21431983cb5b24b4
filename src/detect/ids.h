/* SPDX-License-Identifier: Apache-2.0 */
/* Deterministic identifiers for what the detector creates (sightings,
 * identities, bundles, fixed-up model ids): UUIDv5 under Storm's namespace,
 * so re-processing the same events yields the same ids. */
#ifndef STORM_DETECT_IDS_H
#define STORM_DETECT_IDS_H

#include <stdbool.h>
#include <stddef.h>

/* "<type>--" + 36 chars + NUL fits in this many bytes for every STIX type. */
#define DETECT_ID_MAX 128

/* Write "<type>--<uuid5(namespace, name[0..len))>" into out (cap bytes). The
 * namespace is the STIX SCO namespace when sco is true, else Storm's own
 * (STORM_STIX_DETECT_NAMESPACE). */
void detect_uuid5_id(const char *type, const char *name, size_t len, bool sco, char *out, size_t cap);

#endif
