/* SPDX-License-Identifier: Apache-2.0 */
/* The identity of a cluster Storm watches: the where_sighted_refs and
 * created_by_ref of its sightings, and the creator of what it publishes.
 * One name, one id, one object, wherever it is made (the detector, storm
 * publish): two derivations once gave one cluster two identities. */
#include <stdio.h>
#include <string.h>

#include <storm/stix.h>

/* Fixed creation time: the object is the same in every run. */
#define CLUSTER_CREATED "2020-01-01T00:00:00.000Z"

void storm_stix_cluster_identity_id(const char *name, char out[STORM_STIX_ID_MAX])
{
    if (!name || !*name)
        name = STORM_STIX_CLUSTER_DEFAULT;
    char key[600];
    int n = snprintf(key, sizeof key, "storm-cluster:%s", name);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof key ? sizeof key - 1 : (size_t)n;
    char uuid[37];
    storm_stix_uuid5(STORM_STIX_DETECT_NAMESPACE, key, len, uuid); /* Storm's own namespace (stix.h) */
    snprintf(out, STORM_STIX_ID_MAX, "identity--%s", uuid);
}

storm_value *storm_stix_cluster_identity(storm_arena *a, const char *name)
{
    if (!name || !*name)
        name = STORM_STIX_CLUSTER_DEFAULT;
    char id[STORM_STIX_ID_MAX];
    storm_stix_cluster_identity_id(name, id);
    storm_value *o = storm_v_object(a);
    if (!o)
        return NULL;
    storm_v_set_str(a, o, "type", "identity");
    storm_v_set_str(a, o, "spec_version", "2.1");
    storm_v_set_str(a, o, "id", id);
    storm_v_set_str(a, o, "created", CLUSTER_CREATED);
    storm_v_set_str(a, o, "modified", CLUSTER_CREATED);
    storm_v_set_str(a, o, "name", name);
    storm_v_set_str(a, o, "description", "Kubernetes cluster watched by Storm");
    storm_v_set_str(a, o, "identity_class", "system");
    return o;
}
