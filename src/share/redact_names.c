/* SPDX-License-Identifier: Apache-2.0 */
/* The names pseudonymised so far, found again inside other text.
 *
 * An Aho-Corasick automaton over every remembered name: one pass over a
 * string finds all occurrences of all names, whatever their number, so
 * redaction stays linear in the size of what is published and complete at
 * any volume (a bounded table of names, filled by exec ids first, let pod
 * names through; issue #11). Children are sibling lists (most nodes have one
 * or two) except at the root, which has a direct table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <storm/buf.h>

#include "redact_int.h"

#define NAMES_NODE_MAX (INT32_MAX / 2) /* far beyond any store; past it redaction refuses */
#define NAMES_OUT_MAX (64u << 20)      /* largest rewritten string */

typedef struct ac_node {
    int32_t child;   /* first child, -1 none */
    int32_t sibling; /* next child of the same parent, -1 none */
    int32_t fail;    /* longest proper suffix that is a trie node */
    int32_t out;     /* nearest node on the fail chain that ends a name, 0 none */
    int32_t name;    /* the name ending here, -1 none */
    unsigned char c;
} ac_node;

typedef struct ac_name {
    const char *pseudonym; /* borrowed */
    size_t len;            /* of the name */
} ac_name;

struct redact_names {
    ac_node *nodes;
    size_t n_nodes, alloc_nodes;
    int32_t root_next[256];
    ac_name *names;
    size_t n_names, alloc_names;
    bool built;
};

redact_names *redact_names_new(void)
{
    redact_names *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->nodes = malloc(64 * sizeof *n->nodes);
    if (!n->nodes) {
        free(n);
        return NULL;
    }
    n->alloc_nodes = 64;
    n->n_nodes = 1;
    n->nodes[0] = (ac_node){-1, -1, 0, 0, -1, 0};
    for (int c = 0; c < 256; c++)
        n->root_next[c] = -1;
    return n;
}

void redact_names_free(redact_names *n)
{
    if (!n)
        return;
    free(n->nodes);
    free(n->names);
    free(n);
}

size_t redact_names_count(const redact_names *n)
{
    return n ? n->n_names : 0;
}

static int32_t next_of(const redact_names *n, int32_t u, unsigned char c)
{
    if (u == 0)
        return n->root_next[c];
    for (int32_t v = n->nodes[u].child; v >= 0; v = n->nodes[v].sibling)
        if (n->nodes[v].c == c)
            return v;
    return -1;
}

static storm_rc grow(void **p, size_t *alloc, size_t need, size_t size, size_t max, storm_err *err)
{
    if (need <= *alloc)
        return STORM_OK;
    if (need > max)
        return storm_err_set(err, STORM_ERR_LIMIT, 0,
                             "redaction: more than %zu bytes of names to pseudonymise; nothing is published", max);
    size_t na = *alloc * 2 > need ? *alloc * 2 : need;
    if (na > max)
        na = max;
    void *np = realloc(*p, na * size);
    if (!np)
        return storm_err_set(err, STORM_ERR_NOMEM, 0,
                             "redaction: out of memory remembering names; nothing is published");
    *p = np;
    *alloc = na;
    return STORM_OK;
}

storm_rc redact_names_add(redact_names *n, const char *name, size_t len, const char *pseudonym, storm_err *err)
{
    if (n->built)
        return storm_err_set(err, STORM_ERR_STATE, 0, "redaction: names added after the search was built");
    int32_t u = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        int32_t v = next_of(n, u, c);
        if (v < 0) {
            storm_rc rc =
                grow((void **)&n->nodes, &n->alloc_nodes, n->n_nodes + 1, sizeof *n->nodes, NAMES_NODE_MAX, err);
            if (rc)
                return rc;
            v = (int32_t)n->n_nodes++;
            n->nodes[v] = (ac_node){-1, -1, 0, 0, -1, c};
            if (u == 0) {
                n->root_next[c] = v;
            } else {
                n->nodes[v].sibling = n->nodes[u].child;
                n->nodes[u].child = v;
            }
        }
        u = v;
    }
    if (u == 0 || n->nodes[u].name >= 0)
        return STORM_OK; /* empty, or known already (the same name keeps its first pseudonym) */
    storm_rc rc = grow((void **)&n->names, &n->alloc_names, n->n_names + 1, sizeof *n->names, NAMES_NODE_MAX, err);
    if (rc)
        return rc;
    n->names[n->n_names] = (ac_name){pseudonym, len};
    n->nodes[u].name = (int32_t)n->n_names++;
    return STORM_OK;
}

storm_rc redact_names_build(redact_names *n, storm_err *err)
{
    int32_t *queue = malloc(n->n_nodes * sizeof *queue);
    if (!queue)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "redaction: out of memory; nothing is published");
    size_t head = 0, tail = 0;
    for (int c = 0; c < 256; c++) {
        int32_t v = n->root_next[c];
        if (v >= 0) {
            n->nodes[v].fail = 0;
            n->nodes[v].out = 0;
            queue[tail++] = v;
        }
    }
    /* breadth first: a node's fail link is set before its children need it */
    while (head < tail) {
        int32_t u = queue[head++];
        for (int32_t v = n->nodes[u].child; v >= 0; v = n->nodes[v].sibling) {
            unsigned char c = n->nodes[v].c;
            int32_t f = n->nodes[u].fail, g;
            while ((g = next_of(n, f, c)) < 0 && f != 0)
                f = n->nodes[f].fail;
            int32_t fv = g >= 0 ? g : 0;
            n->nodes[v].fail = fv;
            n->nodes[v].out = n->nodes[fv].name >= 0 ? fv : n->nodes[fv].out;
            queue[tail++] = v;
        }
    }
    free(queue);
    n->built = true;
    return STORM_OK;
}

/* Every occurrence of every name in s: for each start offset, the furthest
 * end of a name starting there (reach) and that name. Returns false when
 * there is none (reach untouched). */
static bool find_all(const redact_names *n, const char *s, size_t len, uint32_t **reach, int32_t **which, bool *nomem)
{
    int32_t state = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int32_t g;
        while ((g = next_of(n, state, c)) < 0 && state != 0)
            state = n->nodes[state].fail;
        state = g >= 0 ? g : 0;
        for (int32_t t = n->nodes[state].name >= 0 ? state : n->nodes[state].out; t; t = n->nodes[t].out) {
            if (!*reach) {
                *reach = calloc(len, sizeof **reach);
                *which = malloc(len * sizeof **which);
                if (!*reach || !*which) {
                    *nomem = true;
                    return false;
                }
            }
            const ac_name *nm = &n->names[n->nodes[t].name];
            size_t start = i + 1 - nm->len;
            if (i + 1 > (*reach)[start]) {
                (*reach)[start] = (uint32_t)(i + 1);
                (*which)[start] = n->nodes[t].name;
            }
        }
    }
    return *reach != NULL;
}

storm_rc redact_names_replace(const redact_names *n, storm_arena *a, const char *s, size_t len, char **out,
                              size_t *out_len, size_t *count, storm_err *err)
{
    *out = NULL;
    if (!n || !n->n_names || !len)
        return STORM_OK;
    if (len > NAMES_OUT_MAX)
        return storm_err_set(err, STORM_ERR_LIMIT, 0,
                             "redaction: a string of %zu bytes is too large to redact; nothing is published", len);
    uint32_t *reach = NULL;
    int32_t *which = NULL;
    bool nomem = false;
    if (!find_all(n, s, len, &reach, &which, &nomem)) {
        free(reach);
        free(which);
        return nomem ? storm_err_set(err, STORM_ERR_NOMEM, 0, "redaction: out of memory; nothing is published")
                     : STORM_OK;
    }
    /* Every byte covered by some occurrence goes: at a covered offset the
     * occurrence reaching furthest among those started so far is replaced
     * by its pseudonym, then the walk goes on from its end. Overlapping
     * names (a namespace inside a pod name) thus leave nothing behind. */
    storm_buf b;
    storm_buf_init(&b, NAMES_OUT_MAX);
    storm_rc rc = STORM_OK;
    size_t i = 0, copied = 0;
    uint32_t run_end = 0;
    int32_t run_name = -1;
    while (i < len && !rc) {
        if (reach[i] > run_end) {
            run_end = reach[i];
            run_name = which[i];
        }
        if (run_end <= i) {
            i++;
            continue;
        }
        rc = storm_buf_append(&b, s + copied, i - copied);
        if (!rc)
            rc = storm_buf_puts(&b, n->names[run_name].pseudonym);
        (*count)++;
        size_t end = run_end;
        for (size_t k = i + 1; k < end; k++) /* occurrences starting inside this one */
            if (reach[k] > run_end) {
                run_end = reach[k];
                run_name = which[k];
            }
        i = copied = end;
    }
    if (!rc)
        rc = storm_buf_append(&b, s + copied, len - copied);
    free(reach);
    free(which);
    if (rc) {
        storm_buf_free(&b);
        return storm_err_set(err, rc, 0, "redaction: a rewritten string exceeds %u bytes; nothing is published",
                             NAMES_OUT_MAX);
    }
    *out = storm_arena_strndup(a, b.data ? b.data : "", b.len);
    *out_len = b.len;
    storm_buf_free(&b);
    if (!*out)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "redaction: out of memory; nothing is published");
    return STORM_OK;
}
