/* SPDX-License-Identifier: Apache-2.0 */
/* A set of STIX ids (borrowed strings) with a number each, for the TAXII
 * client's linear bookkeeping: what is already collected, which envelope
 * object a status success names. Open addressing, grows by doubling. */
#ifndef STORM_TAXII_ID_SET_H
#define STORM_TAXII_ID_SET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct taxii_id_set {
    const char **keys; /* borrowed; NULL = empty slot */
    size_t *values;
    size_t cap, len;
} taxii_id_set;

/* Empty set; nothing allocated until the first add. */
void taxii_id_set_init(taxii_id_set *s);
void taxii_id_set_free(taxii_id_set *s);
/* Add id with value unless present. Returns 1 when added, 0 when it was
 * already there (its value unchanged), -1 when out of memory. */
int taxii_id_set_add(taxii_id_set *s, const char *id, size_t value);
/* The value of id, or false when absent. */
bool taxii_id_set_get(const taxii_id_set *s, const char *id, size_t *value);

#endif
