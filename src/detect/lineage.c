/* SPDX-License-Identifier: Apache-2.0 */
#include "lineage.h"

#include <stdio.h>
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

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

bool detect_lineage_describe(const char *exec_id, char *buf, size_t cap)
{
    /* Tetragon's exec id is base64("NODE:KTIME:PID"): people want the
     * node and the pid, not the encoding */
    char raw[256];
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = exec_id; *p && *p != '='; p++) {
        int v = b64_value(*p);
        if (v < 0)
            return false;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= sizeof raw)
                return false;
            raw[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[n] = '\0';
    char *last = strrchr(raw, ':');
    if (!last || last == raw)
        return false;
    *last = '\0';
    char *mid = strrchr(raw, ':');
    if (!mid)
        return false;
    *mid = '\0';
    for (const char *p = last + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    for (const char *p = raw; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    if (!last[1] || !raw[0])
        return false;
    snprintf(buf, cap, "pid %s on %s", last + 1, raw);
    return true;
}
