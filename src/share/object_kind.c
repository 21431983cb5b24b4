/* SPDX-License-Identifier: Apache-2.0 */
#include "object_kind.h"

#include <stddef.h>
#include <string.h>

bool share_is_sco(const char *type)
{
    static const char *const not_sco[] = {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
        "relationship",
        "sighting",
        "extension-definition",
        "language-content",
        "marking-definition",
        "bundle",
    };
    for (size_t i = 0; i < sizeof not_sco / sizeof *not_sco; i++)
        if (strcmp(type, not_sco[i]) == 0)
            return false;
    return true;
}

bool share_is_derived(const char *type)
{
    return share_is_sco(type) || strcmp(type, "observed-data") == 0 || strcmp(type, "sighting") == 0;
}
