/* SPDX-License-Identifier: Apache-2.0 */
/* Kubescape's processTree: the container's process tree from its first
 * process down, children given either as "children": [...] (older agents)
 * or "childrenMap": {"<comm>\u241f<pid>": {...}} (newer), recursively. An
 * alert is about one process in it (BaseRuntimeMetadata.infectedPID); this
 * finds that process and the chain of its parents. */
#ifndef STORM_INGEST_KUBESCAPE_TREE_H
#define STORM_INGEST_KUBESCAPE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/value.h>

/* Deepest chain followed; deeper trees are not searched below it. */
#define KUBESCAPE_TREE_MAX_DEPTH 64

/* One node on a path through the tree, with its childrenMap key (NULL for
 * the root and for "children" array items). */
typedef struct kubescape_tree_step {
    const storm_value *node;
    const char *key;
    size_t key_len;
} kubescape_tree_step;

/* Search the tree under root (depth first) for the node whose pid is pid.
 * On success fills path[0..*n) (room for KUBESCAPE_TREE_MAX_DEPTH) with the
 * nodes from root down to it (path[*n-1] is the process, path[*n-2] its
 * parent) and returns true.
 * Nodes that are not objects, and children containers of the wrong type,
 * are passed over. A node without "pid" in a childrenMap takes the pid
 * written after the U+241F separator of its key. */
bool kubescape_tree_find(const storm_value *root, int64_t pid, kubescape_tree_step *path, size_t *n);

/* The pid of a node: its "pid" integer; else, for a childrenMap entry, the
 * number after U+241F in key (key may be NULL). false when neither. */
bool kubescape_tree_node_pid(const storm_value *node, const char *key, size_t key_len, int64_t *pid);

#endif
