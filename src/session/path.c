/* SPDX-License-Identifier: Apache-2.0 */
/* A session's attack path: its steps placed on the attack-model graph
 * (related-to edges between attack-patterns). For every step reached, in
 * order of first sighting: does a model edge lead to it from a step reached
 * before (modelled), a model path through steps not seen (skipped), or
 * nothing the model predicted (unpredicted)? And the model path, from a
 * step nothing leads to, that the session got furthest along. */
#include <stdint.h>
#include <string.h>

#include "report_int.h"

#define DEEP_PATHS_MAX 4096 /* model paths enumerated per session */
#define DEEP_DEPTH_MAX 64

static size_t step_index(const storm_models *m, const char *id)
{
    for (size_t i = 0; m && id && i < storm_models_n_steps(m); i++)
        if (strcmp(storm_models_step(m, i)->id, id) == 0)
            return i;
    return SIZE_MAX;
}

/* Shortest model path a -> b (BFS); writes the steps strictly between into
 * mid (arena) and returns the edge count, 0 when there is none. */
static size_t shortest(storm_arena *ar, const storm_models *m, size_t a, size_t b, size_t **mid)
{
    size_t n = storm_models_n_steps(m), ne = storm_models_n_step_edges(m);
    size_t *prev = storm_arena_alloc(ar, (n + 1) * sizeof *prev);
    size_t *queue = storm_arena_alloc(ar, (n + 1) * sizeof *queue);
    if (!prev || !queue)
        return 0;
    for (size_t i = 0; i < n; i++)
        prev[i] = SIZE_MAX;
    size_t head = 0, tail = 0;
    queue[tail++] = a;
    prev[a] = a;
    while (head < tail && prev[b] == SIZE_MAX) {
        size_t x = queue[head++];
        for (size_t e = 0; e < ne; e++) {
            size_t f, t;
            storm_models_step_edge(m, e, &f, &t);
            if (f == x && prev[t] == SIZE_MAX) {
                prev[t] = x;
                queue[tail++] = t;
            }
        }
    }
    if (prev[b] == SIZE_MAX || a == b)
        return 0;
    size_t len = 0;
    for (size_t x = b; x != a; x = prev[x])
        len++;
    *mid = storm_arena_alloc(ar, (len + 1) * sizeof **mid);
    if (!*mid)
        return 0;
    size_t k = len - 1;
    for (size_t x = prev[b]; x != a; x = prev[x])
        (*mid)[--k] = x;
    return len;
}

/* Whether model step s is among the first n steps reached. */
static bool reached_before(const session_path *p, size_t n, size_t s)
{
    for (size_t i = 0; i < n; i++)
        if (p->reached[i].model == s)
            return true;
    return false;
}

typedef struct deep_ctx {
    const storm_models *m;
    const bool *hit; /* per model step: reached */
    size_t stack[DEEP_DEPTH_MAX], depth;
    size_t best[DEEP_DEPTH_MAX], n_best, best_reach, best_hits;
    size_t paths;
} deep_ctx;

static void consider(deep_ctx *c)
{
    size_t reach = 0, hits = 0;
    for (size_t i = 0; i < c->depth; i++)
        if (c->hit[c->stack[i]]) {
            reach = i + 1;
            hits++;
        }
    /* most steps reached on it, then fewest modelled steps skipped before
     * the furthest one, then the shortest path */
    size_t skipped = reach - hits, best_skipped = c->best_reach - c->best_hits;
    if (hits > c->best_hits || (hits == c->best_hits && hits && skipped < best_skipped) ||
        (hits == c->best_hits && hits && skipped == best_skipped && c->depth < c->n_best)) {
        c->best_reach = reach;
        c->best_hits = hits;
        c->n_best = c->depth;
        memcpy(c->best, c->stack, c->depth * sizeof *c->stack);
    }
}

static void walk(deep_ctx *c, size_t s)
{
    if (c->paths >= DEEP_PATHS_MAX || c->depth >= DEEP_DEPTH_MAX)
        return;
    for (size_t i = 0; i < c->depth; i++)
        if (c->stack[i] == s)
            return; /* a cycle */
    c->stack[c->depth++] = s;
    bool leaf = true;
    size_t ne = storm_models_n_step_edges(c->m);
    for (size_t e = 0; e < ne; e++) {
        size_t f, t;
        storm_models_step_edge(c->m, e, &f, &t);
        if (f == s) {
            leaf = false;
            walk(c, t);
        }
    }
    if (leaf) {
        c->paths++;
        consider(c);
    }
    c->depth--;
}

void path_compute(storm_report *r, rsession *s)
{
    session_path *p = &s->path;
    memset(p, 0, sizeof *p);
    size_t n = s->steps->u.a.len;
    p->reached = storm_arena_alloc(r->arena, (n + 1) * sizeof *p->reached);
    if (!p->reached)
        return;
    const storm_models *m = r->models;
    for (size_t i = 0; i < n; i++) {
        const storm_value *st = s->steps->u.a.items[i];
        const storm_value *an = storm_v_get(st, "anomaly");
        if (an && an->type == STORM_V_BOOL && an->u.b) {
            p->n_anomalies++;
            continue;
        }
        const char *id = rs_str(st, "step_id");
        if (!id)
            continue;
        bool dup = false;
        for (size_t j = 0; j < p->n_reached && !dup; j++)
            dup = strcmp(p->reached[j].step_id, id) == 0;
        if (dup)
            continue;
        path_node *node = &p->reached[p->n_reached++];
        memset(node, 0, sizeof *node);
        node->step_id = id;
        node->name = rs_str(st, "step_name");
        node->tactic = rs_str(st, "tactic");
        node->first_seen = rs_time(st, "first_seen");
        node->model = step_index(m, id);
    }
    size_t n_steps = m ? storm_models_n_steps(m) : 0;
    bool *incoming = n_steps ? storm_arena_alloc(r->arena, n_steps * sizeof *incoming) : NULL;
    for (size_t i = 0; incoming && i < n_steps; i++)
        incoming[i] = false;
    for (size_t e = 0; incoming && e < storm_models_n_step_edges(m); e++) {
        size_t f, t;
        storm_models_step_edge(m, e, &f, &t);
        incoming[t] = true;
    }
    for (size_t i = 0; i < p->n_reached; i++) {
        path_node *node = &p->reached[i];
        if (node->model == SIZE_MAX) {
            node->via = VIA_NOT_IN_MODELS;
            continue;
        }
        /* the earlier step whose shortest model path here passes the
         * fewest steps the session did not reach (the latest one on ties) */
        size_t best_unseen = SIZE_MAX, best_len = 0, *best_mid = NULL;
        const char *from = NULL;
        for (size_t j = i; j-- > 0;) {
            if (p->reached[j].model == SIZE_MAX)
                continue;
            size_t *mid = NULL;
            size_t len = shortest(r->arena, m, p->reached[j].model, node->model, &mid);
            if (!len)
                continue;
            size_t unseen = 0;
            for (size_t k = 0; k + 1 < len; k++)
                unseen += !reached_before(p, i, mid[k]);
            if (unseen < best_unseen) {
                best_unseen = unseen;
                from = p->reached[j].name;
                best_len = len;
                best_mid = mid;
            }
        }
        if (from) {
            node->from = from;
            node->via = best_unseen == 0 ? VIA_MODELLED : VIA_SKIPPED;
            if (best_unseen) {
                node->skipped = storm_arena_alloc(r->arena, best_unseen * sizeof *node->skipped);
                for (size_t k = 0; node->skipped && k + 1 < best_len; k++)
                    if (!reached_before(p, i, best_mid[k]))
                        node->skipped[node->n_skipped++] = storm_models_step(m, best_mid[k])->name;
            }
        } else
            node->via = i == 0 || !incoming || !incoming[node->model] ? VIA_ENTRY : VIA_UNPREDICTED;
    }
    if (!n_steps)
        return;
    /* the deepest model path: from every step nothing leads to */
    bool *hit = storm_arena_alloc(r->arena, n_steps * sizeof *hit);
    deep_ctx *c = storm_arena_alloc(r->arena, sizeof *c);
    if (!hit || !c)
        return;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n_steps; i++)
        hit[i] = false;
    for (size_t i = 0; i < p->n_reached; i++)
        if (p->reached[i].model != SIZE_MAX)
            hit[p->reached[i].model] = true;
    c->m = m;
    c->hit = hit;
    for (size_t s0 = 0; s0 < n_steps; s0++)
        if (!incoming[s0])
            walk(c, s0);
    if (!c->best_reach)
        return;
    p->n_deep = c->n_best;
    p->deep_reached = c->best_reach;
    p->deep = storm_arena_alloc(r->arena, c->n_best * sizeof *p->deep);
    p->deep_hit = storm_arena_alloc(r->arena, c->n_best * sizeof *p->deep_hit);
    if (!p->deep || !p->deep_hit) {
        p->n_deep = 0;
        return;
    }
    for (size_t i = 0; i < c->n_best; i++) {
        p->deep[i] = c->best[i];
        p->deep_hit[i] = hit[c->best[i]];
    }
}
