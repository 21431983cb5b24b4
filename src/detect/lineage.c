/* SPDX-License-Identifier: Apache-2.0 */
#include "detect/lineage.h"

#include <stdlib.h>
#include <string.h>

int detect_lineage_init(detect_lineage *l, size_t cap)
{
    memset(l, 0, sizeof *l);
    l->cap = cap < 2 ? 2 : cap;
    return 0;
}

static void free_values(strmap *m)
{
    for (size_t i = 0; i < m->n_buckets; i++)
        for (strmap_entry *e = m->buckets[i]; e; e = e->next)
            free(e->value);
    strmap_clear(m);
}

void detect_lineage_free(detect_lineage *l)
{
    free_values(&l->cur);
    free_values(&l->prev);
}

static const char *lookup(detect_lineage *l, const char *id)
{
    size_t len = strlen(id);
    const char *r = strmap_get(&l->cur, id, len);
    return r ? r : strmap_get(&l->prev, id, len);
}

const char *detect_lineage_root(detect_lineage *l, const char *exec_id, const char *parent_exec_id)
{
    const char *known = lookup(l, exec_id);
    if (known)
        return known;
    const char *root = exec_id;
    if (parent_exec_id && parent_exec_id[0]) {
        const char *pr = lookup(l, parent_exec_id);
        root = pr ? pr : parent_exec_id;
    }
    char *copy = strdup(root);
    if (!copy)
        return exec_id;
    if (l->cur.n >= l->cap / 2) {
        free_values(&l->prev);
        l->prev = l->cur;
        memset(&l->cur, 0, sizeof l->cur);
    }
    if (strmap_put(&l->cur, exec_id, strlen(exec_id), copy) != 0) {
        free(copy);
        return exec_id;
    }
    /* the parent belongs to the same tree */
    if (parent_exec_id && parent_exec_id[0] && !lookup(l, parent_exec_id)) {
        char *pc = strdup(copy);
        if (pc && strmap_put(&l->cur, parent_exec_id, strlen(parent_exec_id), pc) != 0)
            free(pc);
    }
    return copy;
}
