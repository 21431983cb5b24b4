/* SPDX-License-Identifier: Apache-2.0 */
#include "ids.h"

#include <stdio.h>
#include <string.h>

#include <storm/stix.h>

void detect_uuid5_id(const char *type, const char *name, size_t len, bool sco, char *out, size_t cap)
{
    char u[37];
    storm_stix_uuid5(sco ? STORM_STIX_SCO_NAMESPACE : STORM_STIX_DETECT_NAMESPACE, name, len, u);
    snprintf(out, cap, "%s--%s", type, u);
}
