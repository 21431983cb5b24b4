/* SPDX-License-Identifier: Apache-2.0 */
/* Finding the alerted process in a Kubescape processTree (see the header). */
#include "kubescape_tree.h"

#include <string.h>

/* U+241F SYMBOL FOR UNIT SEPARATOR, between comm and pid in childrenMap keys */
#define UNIT_SEPARATOR "\xe2\x90\x9f"

bool kubescape_tree_node_pid(const storm_value *node, const char *key, size_t key_len, int64_t *pid)
{
    const storm_value *v = storm_v_get(node, "pid");
    if (v && v->type == STORM_V_INT) {
        *pid = v->u.i;
        return true;
    }
    if (!key || key_len < 4)
        return false;
    /* the last separator: a comm may itself contain anything */
    const char *sep = NULL;
    for (size_t i = 0; i + 3 <= key_len; i++)
        if (memcmp(key + i, UNIT_SEPARATOR, 3) == 0)
            sep = key + i;
    if (!sep)
        return false;
    const char *d = sep + 3, *end = key + key_len;
    if (d == end || end - d > 18)
        return false;
    int64_t n = 0;
    for (; d < end; d++) {
        if (*d < '0' || *d > '9')
            return false;
        n = n * 10 + (*d - '0');
    }
    *pid = n;
    return true;
}

static bool search(const storm_value *node, const char *key, size_t key_len, int64_t pid, kubescape_tree_step *path,
                   size_t depth, size_t *n)
{
    if (!node || node->type != STORM_V_OBJECT || depth >= KUBESCAPE_TREE_MAX_DEPTH)
        return false;
    path[depth] = (kubescape_tree_step){node, key, key_len};
    int64_t node_pid;
    if (kubescape_tree_node_pid(node, key, key_len, &node_pid) && node_pid == pid) {
        *n = depth + 1;
        return true;
    }
    const storm_value *children = storm_v_get(node, "children");
    if (children && children->type == STORM_V_ARRAY)
        for (size_t i = 0; i < children->u.a.len; i++)
            if (search(children->u.a.items[i], NULL, 0, pid, path, depth + 1, n))
                return true;
    const storm_value *map = storm_v_get(node, "childrenMap");
    if (map && map->type == STORM_V_OBJECT)
        for (size_t i = 0; i < map->u.o.len; i++) {
            const storm_member *m = &map->u.o.members[i];
            if (search(m->value, m->key, m->key_len, pid, path, depth + 1, n))
                return true;
        }
    return false;
}

bool kubescape_tree_find(const storm_value *root, int64_t pid, kubescape_tree_step *path, size_t *n)
{
    *n = 0;
    return search(root, NULL, 0, pid, path, 0, n);
}
