/* SPDX-License-Identifier: Apache-2.0 */
/* Which STIX objects are cyber-observables, and which ones a cluster derives
 * from its own data (internal to src/share). */
#ifndef STORM_SHARE_OBJECT_KIND_H
#define STORM_SHARE_OBJECT_KIND_H

#include <stdbool.h>

/* An SCO: any type that is not an SDO, an SRO, a meta object
 * (marking-definition, extension-definition, language-content) or a bundle. */
bool share_is_sco(const char *type);

/* Derived from the cluster's data: SCOs, observed-data and sightings. Their
 * ids are recomputed by redaction; they are the cluster's own to mark. */
bool share_is_derived(const char *type);

#endif
