/* SPDX-License-Identifier: Apache-2.0 */
/* The shard of an event under storm run --workers: a hash of what bounds
 * its correlation scope (the detector's scope_of, storm/detect.h), so that
 * every observation that may combine with another, and every sighting id,
 * stays in one shard. The key may be coarser than the scope (an entry
 * point's client address is left out), never finer:
 *   node     the node, else the cluster;
 *   pod      namespace/pod, else the node, else the cluster;
 *   lineage  a process (exec id) by its node: a process tree never spans
 *            nodes, and its root is found among the same node's events;
 *            without an exec id, as pod. */
#include <string.h>

#include "pipeline_int.h"

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t mix(uint64_t h, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        h = (h ^ *c) * FNV_PRIME;
    return (h ^ 0x1f) * FNV_PRIME; /* a separator: ("ab","c") differs from ("a","bc") */
}

static uint64_t node_key(const storm_event *ev, const char *kind)
{
    const char *node = ev->k8s.node ? ev->k8s.node : "";
    return node[0] ? mix(mix(FNV_OFFSET, kind), node) : mix(FNV_OFFSET, "cluster");
}

static uint64_t pod_key(const storm_event *ev)
{
    if (ev->k8s.pod) /* an empty pod name is a pod scope too, as in scope_of */
        return mix(mix(mix(FNV_OFFSET, "pod"), ev->k8s.namespace_ ? ev->k8s.namespace_ : ""), ev->k8s.pod);
    return node_key(ev, "node");
}

uint64_t pipeline_shard_key(const storm_event *ev, storm_correlate c)
{
    switch (c) {
    case STORM_CORRELATE_GLOBAL: return FNV_OFFSET; /* one scope: one shard */
    case STORM_CORRELATE_NODE: return node_key(ev, "node");
    case STORM_CORRELATE_LINEAGE:
        if (ev->process.exec_id)
            return node_key(ev, "lineage");
        return pod_key(ev);
    case STORM_CORRELATE_POD:
    default: return pod_key(ev);
    }
}
