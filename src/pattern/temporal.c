/* SPDX-License-Identifier: Apache-2.0 */
/* The binding search: does some assignment of observations to the
 * pattern's [...] leaves satisfy the observation expression?
 *
 * Semantics (STIX 2.1 patterning, section 9, as the OASIS reference matcher
 * implements it). Each observation k stands for number_observed[k]
 * interchangeable instances observed somewhere in [first_observed,
 * last_observed]; a binding uses each instance at most once.
 *   A AND B         bindings of A and B on distinct instances
 *   A OR B          a binding of A or of B
 *   A FOLLOWEDBY B  as AND, and every B observation's last_observed >= every
 *                   A observation's first_observed (times can be chosen in
 *                   the intervals so that A comes no later than B)
 *   X WITHIN d      max(first_observed) - min(last_observed) <= d over all
 *                   bound observations (one window of d seconds touches
 *                   every interval)
 *   X REPEATS n     n bindings of X on distinct instances
 *   X START s STOP e  every bound interval meets [s, e): first < e, last >= s
 * Timestamps are compared in microseconds.
 *
 * The search is depth-first with continuations: enumerate(node, k) tries
 * each binding of the node and calls k to bind the rest of the pattern.
 * Every time constraint is checked as soon as an observation is bound
 * (a WITHIN's window can only widen, a FOLLOWEDBY's right side must end
 * after its left side began, START/STOP is per observation), and each
 * leaf's candidates are sorted by first_observed so that a binary search
 * skips those outside the window. Before searching, impossible patterns
 * are recognised without search: more instances needed than exist, a node
 * whose leaves hit too few observations (mark_dead), leaves that must all
 * be bound competing for too few observations (groups_impossible, Hall's
 * condition). During the search, REPEATS accepts its n bindings only in
 * non-decreasing candidate order (removing the n! orderings of one set),
 * AND binds its tighter side first, and the left side of FOLLOWEDBY may
 * not begin after the last time its right side can end. What is left is
 * bounded: after PATTERN_MAX_STEPS candidate tries the search gives up
 * with STORM_ERR_LIMIT instead of running for hours on adversarial input.
 * test_match.c checks the search against a brute-force enumeration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>

#include "match_int.h"

typedef struct span {
    int64_t maxf; /* latest first_observed among the bound observations */
    int64_t minl; /* earliest last_observed */
    bool any;
} span;

typedef struct trail_ent {
    unsigned node;
    span old;
} trail_ent;

typedef struct bind_ent {
    unsigned leaf;
    size_t obs;
    size_t rank; /* position of obs in the leaf's candidate list */
} bind_ent;

typedef struct srch {
    const storm_pattern *p;
    const pattern_compiled *pc;
    size_t n;
    int64_t *first, *last; /* microseconds */
    int64_t *count, *used;
    size_t **cand; /* per leaf: observations that hit, sorted by first */
    size_t *n_cand;
    int64_t *maxdur;     /* per leaf: longest last - first among candidates */
    size_t *min_rank;    /* per leaf: first candidate position to try (REPEATS of a leaf) */
    span *spans;         /* per node: what its current activation has bound */
    uint8_t *dead;       /* per node: needs more instances than its leaves can ever hit */
    int64_t *right_last; /* per FOLLOWEDBY node: latest last_observed its right side can bind */
    double *est;         /* per node: rough count of its bindings, to bind AND's tighter side first */
    trail_ent *trail;
    size_t trail_len, trail_cap;
    bind_ent *bind;
    size_t bind_len;
    uint64_t steps;
    storm_rc rc;
    storm_err *err;
    storm_match *out;
} srch;

typedef struct kont kont;
typedef bool (*kont_fn)(srch *s, const kont *k);
struct kont {
    kont_fn fn;
    const kont *next;
    unsigned node;
    int64_t rep;                 /* REPEATS: index of the repetition being bound */
    size_t start;                /* REPEATS: bind[] position where it started */
    size_t prev_start, prev_end; /* REPEATS: the previous repetition's bindings */
};

static bool enumerate(srch *s, unsigned id, const kont *k);

static bool abort_search(srch *s, storm_rc rc, const char *msg)
{
    if (s->rc == STORM_OK) {
        s->rc = rc;
        storm_err_set(s->err, rc, 0, "%s", msg);
    }
    return true; /* true stops every enumeration */
}

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static bool trail_push(srch *s, unsigned node)
{
    if (STORM_ARRAY_GROW(s->trail, s->trail_len + 1, s->trail_cap, 256))
        return false;
    s->trail[s->trail_len].node = node;
    s->trail[s->trail_len].old = s->spans[node];
    s->trail_len++;
    return true;
}

/* May observation o be bound to leaf node id now? Checks every ancestor's
 * time constraint against what is already bound. */
static bool fits(const srch *s, unsigned id, size_t o)
{
    const pattern_compiled *pc = s->pc;
    int64_t f = s->first[o], l = s->last[o];
    for (unsigned c = id, a = pc->parent[id]; a != UINT32_MAX; c = a, a = pc->parent[a]) {
        const pat_obs *P = pc->nodes[a];
        if (P->kind == PAT_OBS_WITHIN) {
            const span *sp = &s->spans[a];
            int64_t maxf = sp->any && sp->maxf > f ? sp->maxf : f;
            int64_t minl = sp->any && sp->minl < l ? sp->minl : l;
            if (maxf > sat_add(minl, pc->within_us[a]))
                return false;
        } else if (P->kind == PAT_OBS_STARTSTOP) {
            if (!(f < pc->stop_us[a] && l >= pc->start_us[a]))
                return false;
        } else if (P->kind == PAT_OBS_FOLLOWEDBY && pc->nodes[c] == P->right) {
            unsigned left = a + 1; /* pre-order: the left child follows its parent */
            if (s->spans[left].any && l < s->spans[left].maxf)
                return false;
        }
    }
    return true;
}

static bool enum_leaf(srch *s, unsigned id, const kont *k)
{
    const pattern_compiled *pc = s->pc;
    unsigned leaf = pc->nodes[id]->leaf_index;
    /* bounds implied by the ancestors: first <= hi_first, last >= lo_last */
    int64_t hi_first = INT64_MAX, lo_last = INT64_MIN;
    for (unsigned c = id, a = pc->parent[id]; a != UINT32_MAX; c = a, a = pc->parent[a]) {
        const pat_obs *P = pc->nodes[a];
        if (P->kind == PAT_OBS_WITHIN && s->spans[a].any) {
            int64_t h = sat_add(s->spans[a].minl, pc->within_us[a]);
            int64_t lo = sat_add(s->spans[a].maxf, -pc->within_us[a]);
            hi_first = h < hi_first ? h : hi_first;
            lo_last = lo > lo_last ? lo : lo_last;
        } else if (P->kind == PAT_OBS_STARTSTOP) {
            int64_t st = pc->start_us[a], sp = pc->stop_us[a];
            if (st >= sp)
                return false;
            hi_first = sp - 1 < hi_first ? sp - 1 : hi_first;
            lo_last = st > lo_last ? st : lo_last;
        } else if (P->kind == PAT_OBS_FOLLOWEDBY && pc->nodes[c] == P->right && s->spans[a + 1].any) {
            lo_last = s->spans[a + 1].maxf > lo_last ? s->spans[a + 1].maxf : lo_last;
        } else if (P->kind == PAT_OBS_FOLLOWEDBY && c == a + 1 && s->right_last) {
            /* the left side must begin before the right side can end */
            hi_first = s->right_last[a] < hi_first ? s->right_last[a] : hi_first;
        }
    }
    const size_t *cand = s->cand[leaf];
    size_t nc = s->n_cand[leaf], lo = 0, hi = nc;
    /* last >= lo_last implies first >= lo_last - maxdur */
    int64_t min_first = sat_add(lo_last, -s->maxdur[leaf]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->first[cand[mid]] < min_first)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->min_rank[leaf] > lo)
        lo = s->min_rank[leaf];
    for (size_t j = lo; j < nc; j++) {
        size_t o = cand[j];
        if (s->first[o] > hi_first)
            break;
        if (++s->steps > PATTERN_MAX_STEPS)
            return abort_search(s, STORM_ERR_LIMIT,
                                "the search for observations that satisfy the pattern gave up after "
                                "2000000 tries; narrow the pattern (e.g. with WITHIN) or the input");
        if (s->last[o] < lo_last || s->used[o] >= s->count[o] || !fits(s, id, o))
            continue;
        if (s->bind_len >= PATTERN_MAX_BOUND)
            return abort_search(s, STORM_ERR_LIMIT, "the pattern needs more than 1024 observations at once");
        /* bind o, updating the span of the leaf and of every ancestor */
        size_t mark = s->trail_len;
        for (unsigned a = id; a != UINT32_MAX; a = pc->parent[a]) {
            if (!trail_push(s, a))
                return abort_search(s, STORM_ERR_NOMEM, "out of memory in the binding search");
            span *sp = &s->spans[a];
            if (!sp->any) {
                sp->maxf = s->first[o];
                sp->minl = s->last[o];
                sp->any = true;
            } else {
                if (s->first[o] > sp->maxf)
                    sp->maxf = s->first[o];
                if (s->last[o] < sp->minl)
                    sp->minl = s->last[o];
            }
        }
        s->used[o]++;
        s->bind[s->bind_len].leaf = leaf;
        s->bind[s->bind_len].obs = o;
        s->bind[s->bind_len].rank = j;
        s->bind_len++;
        bool r = k->fn(s, k);
        s->bind_len--;
        s->used[o]--;
        while (s->trail_len > mark) {
            s->trail_len--;
            s->spans[s->trail[s->trail_len].node] = s->trail[s->trail_len].old;
        }
        if (r)
            return true;
    }
    return false;
}

static bool k_pair_right(srch *s, const kont *k)
{
    return k->next->fn(s, k->next);
}

/* k->rep holds the id of the child to bind second */
static bool k_pair_left(srch *s, const kont *k)
{
    kont k2 = {.fn = k_pair_right, .next = k->next, .node = k->node};
    return enumerate(s, (unsigned)k->rep, &k2);
}

static int bind_cmp(const bind_ent *a, size_t an, const bind_ent *b, size_t bn)
{
    for (size_t i = 0; i < an && i < bn; i++) {
        if (a[i].leaf != b[i].leaf)
            return a[i].leaf < b[i].leaf ? -1 : 1;
        if (a[i].rank != b[i].rank)
            return a[i].rank < b[i].rank ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

static bool rep_step(srch *s, unsigned id, int64_t i, size_t prev_start, size_t prev_end, const kont *k);

static bool k_rep(srch *s, const kont *k)
{
    size_t cur_start = k->start, cur_end = s->bind_len;
    /* accept the repetitions only in non-decreasing order */
    if (k->rep > 0 &&
        bind_cmp(&s->bind[cur_start], cur_end - cur_start, &s->bind[k->prev_start], k->prev_end - k->prev_start) < 0)
        return false;
    return rep_step(s, k->node, k->rep + 1, cur_start, cur_end, k->next);
}

static bool rep_step(srch *s, unsigned id, int64_t i, size_t prev_start, size_t prev_end, const kont *k)
{
    const pat_obs *o = s->pc->nodes[id];
    if (i >= o->repeats)
        return k->fn(s, k);
    kont kr = {.fn = k_rep,
               .next = k,
               .node = id,
               .rep = i,
               .start = s->bind_len,
               .prev_start = prev_start,
               .prev_end = prev_end};
    const pat_obs *child = s->pc->nodes[id + 1];
    if (child->kind != PAT_OBS_LEAF)
        return enumerate(s, id + 1, &kr);
    /* repetitions of one leaf are accepted in candidate order: start this
     * one where the previous one is (the same observation may serve again
     * when number_observed allows) */
    unsigned leaf = child->leaf_index;
    size_t saved = s->min_rank[leaf];
    s->min_rank[leaf] = i > 0 ? s->bind[prev_start].rank : 0;
    bool r = enumerate(s, id + 1, &kr);
    s->min_rank[leaf] = saved;
    return r;
}

static bool enumerate(srch *s, unsigned id, const kont *k)
{
    const pattern_compiled *pc = s->pc;
    const pat_obs *o = pc->nodes[id];
    if (s->dead && s->dead[id])
        return false;
    span saved = s->spans[id];
    s->spans[id] = (span){0};
    bool r = false;
    switch (o->kind) {
    case PAT_OBS_LEAF: r = enum_leaf(s, id, k); break;
    case PAT_OBS_OR: {
        r = enumerate(s, id + 1, k);
        if (!r)
            r = enumerate(s, pc->right[id], k);
        break;
    }
    case PAT_OBS_AND:
    case PAT_OBS_FOLLOWEDBY: {
        /* FOLLOWEDBY binds its left side first (its right side's checks
         * read the left side's span); AND, being symmetric, binds first the
         * side with fewer bindings, which fails fast when nothing fits */
        unsigned first = id + 1, second = pc->right[id];
        if (o->kind == PAT_OBS_AND && s->est && s->est[second] < s->est[first]) {
            first = second;
            second = id + 1;
        }
        kont k1 = {.fn = k_pair_left, .next = k, .node = id, .rep = second};
        r = enumerate(s, first, &k1);
        break;
    }
    case PAT_OBS_WITHIN:
    case PAT_OBS_STARTSTOP:
        /* their constraints are checked as each observation is bound */
        r = enumerate(s, id + 1, k);
        break;
    case PAT_OBS_REPEATS: r = rep_step(s, id, 0, 0, 0, k); break;
    }
    s->spans[id] = saved;
    return r;
}

/* The whole pattern is bound: copy the distinct observations, in binding
 * order, before the search unwinds. */
static bool k_found(srch *s, const kont *k)
{
    (void)k;
    storm_match *out = s->out;
    out->matched = true;
    out->bound = malloc((s->bind_len ? s->bind_len : 1) * sizeof *out->bound);
    if (!out->bound)
        return abort_search(s, STORM_ERR_NOMEM, "out of memory recording the match");
    for (size_t i = 0; i < s->bind_len; i++) {
        size_t o = s->bind[i].obs, j;
        for (j = 0; j < out->n_bound && out->bound[j] != o; j++)
            ;
        if (j == out->n_bound)
            out->bound[out->n_bound++] = o;
    }
    return true;
}

/* A node that needs more instances than all observations hitting its
 * leaves hold can never be bound (e.g. ten ANDed copies of a leaf that nine
 * observations hit): mark it so the search does not try the n! orders.
 * Work is bounded: skipped on very large inputs. */
static void mark_dead(srch *s)
{
    const pattern_compiled *pc = s->pc;
    unsigned nn = pc->n_nodes;
    uint64_t work = 0;
    for (unsigned l = 0; l < s->p->n_leaves; l++)
        work += s->n_cand[l];
    if (work * nn > 20000000u)
        return;
    unsigned *size = calloc(nn, sizeof *size);
    unsigned *stamp = calloc(s->n, sizeof *stamp);
    s->dead = calloc(nn, 1);
    s->right_last = malloc(nn * sizeof *s->right_last);
    s->est = malloc(nn * sizeof *s->est);
    if (!size || !stamp || !s->dead || !s->right_last || !s->est) {
        free(size);
        free(stamp);
        free(s->dead);
        free(s->right_last);
        free(s->est);
        s->dead = NULL;
        s->right_last = NULL;
        s->est = NULL;
        return;
    }
    for (unsigned id = nn; id-- > 0;) {
        const pat_obs *o = pc->nodes[id];
        unsigned r = pc->right[id];
        size[id] = 1;
        if (o->kind != PAT_OBS_LEAF)
            size[id] += size[id + 1];
        if (r != UINT32_MAX)
            size[id] += size[r];
        switch (o->kind) {
        case PAT_OBS_LEAF: s->est[id] = (double)s->n_cand[o->leaf_index]; break;
        case PAT_OBS_AND:
        case PAT_OBS_FOLLOWEDBY: s->est[id] = s->est[id + 1] * s->est[r]; break;
        case PAT_OBS_OR: s->est[id] = s->est[id + 1] + s->est[r]; break;
        case PAT_OBS_REPEATS: s->est[id] = pow(s->est[id + 1], (double)(o->repeats > 64 ? 64 : o->repeats)); break;
        default: s->est[id] = s->est[id + 1]; break;
        }
    }
    for (unsigned id = 0; id < nn; id++) {
        uint64_t have = 0;
        for (unsigned j = id; j < id + size[id]; j++) {
            if (pc->nodes[j]->kind != PAT_OBS_LEAF)
                continue;
            unsigned leaf = pc->nodes[j]->leaf_index;
            for (size_t c = 0; c < s->n_cand[leaf]; c++) {
                size_t o = s->cand[leaf][c];
                if (stamp[o] != id + 1) {
                    stamp[o] = id + 1;
                    have += (uint64_t)s->count[o];
                }
            }
        }
        s->dead[id] = pc->min_bound[id] > have;
        s->right_last[id] = INT64_MAX;
    }
    for (unsigned id = 0; id < nn; id++) {
        if (pc->nodes[id]->kind != PAT_OBS_FOLLOWEDBY)
            continue;
        int64_t latest = INT64_MIN;
        unsigned r = pc->right[id];
        for (unsigned j = r; j < r + size[r]; j++) {
            if (pc->nodes[j]->kind != PAT_OBS_LEAF)
                continue;
            unsigned leaf = pc->nodes[j]->leaf_index;
            for (size_t c = 0; c < s->n_cand[leaf]; c++)
                if (s->last[s->cand[leaf][c]] > latest)
                    latest = s->last[s->cand[leaf][c]];
        }
        s->right_last[id] = latest;
    }
    free(size);
    free(stamp);
}

/* Leaves that every binding must bind, with how many times (REPEATS
 * multiplies). OR stops the walk: its sides are alternatives. */
static void mandatory(const srch *s, unsigned id, uint64_t mult, uint64_t *times)
{
    const pattern_compiled *pc = s->pc;
    for (;;) {
        const pat_obs *o = pc->nodes[id];
        switch (o->kind) {
        case PAT_OBS_LEAF: times[o->leaf_index] += mult; return;
        case PAT_OBS_OR: return;
        case PAT_OBS_AND:
        case PAT_OBS_FOLLOWEDBY:
            mandatory(s, id + 1, mult, times);
            id = pc->right[id];
            break;
        case PAT_OBS_REPEATS:
            mult =
                o->repeats > 0 && mult <= UINT32_MAX / (uint64_t)o->repeats ? mult * (uint64_t)o->repeats : UINT32_MAX;
            id++;
            break;
        default: id++; break;
        }
    }
}

/* Hall's condition on the leaves that every binding must bind: the leaves
 * whose observations all lie inside leaf a's observations compete for
 * a's instances; if together they need more, nothing can match. This
 * catches "[x:y = 1] AND ... AND [x:y = 1]" with fewer such observations
 * than copies (and nested variants such as [name < 'c'] AND [name < 'd'])
 * up front, sparing the search from trying every order of the other
 * leaves. Work is bounded: skipped for very many leaves or candidates. */
static bool groups_impossible(const srch *s)
{
    unsigned nl = s->p->n_leaves;
    uint64_t *times = calloc(nl, sizeof *times);
    uint8_t *in_a = calloc(s->n ? s->n : 1, 1);
    bool impossible = false;
    if (!times || !in_a)
        goto out;
    mandatory(s, 0, 1, times);
    uint64_t cands = 0, leaves = 0;
    for (unsigned l = 0; l < nl; l++)
        if (times[l]) {
            cands += s->n_cand[l];
            leaves++;
        }
    if (leaves * (cands + leaves) > 20000000u)
        goto out;
    for (unsigned a = 0; a < nl && !impossible; a++) {
        if (!times[a])
            continue;
        for (size_t c = 0; c < s->n_cand[a]; c++)
            in_a[s->cand[a][c]] = 1;
        uint64_t need = 0, have = 0;
        for (unsigned b = 0; b < nl; b++) {
            if (!times[b] || s->n_cand[b] > s->n_cand[a])
                continue;
            size_t c = 0;
            while (c < s->n_cand[b] && in_a[s->cand[b][c]])
                c++;
            if (c == s->n_cand[b])
                need += times[b];
        }
        for (size_t c = 0; c < s->n_cand[a]; c++) {
            have += (uint64_t)s->count[s->cand[a][c]];
            in_a[s->cand[a][c]] = 0;
        }
        impossible = need > have;
    }
out:
    free(times);
    free(in_a);
    return impossible;
}

static int cmp_first(const void *a, const void *b, void *ctx)
{
    const int64_t *first = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (first && first[x] != first[y])
        return first[x] < first[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

storm_rc temporal_search(const storm_pattern *p, const storm_observation *obs, size_t n, const uint8_t *const *hits,
                         storm_match *out, storm_err *err)
{
    const pattern_compiled *pc = p->compiled;
    memset(out, 0, sizeof *out);
    if (n == 0 || p->n_leaves == 0)
        return STORM_OK;
    /* not enough instances in all: no binding can exist */
    uint64_t total = 0;
    for (size_t k = 0; k < n && total < UINT32_MAX; k++)
        total += obs[k].number_observed > 0 ? (uint64_t)obs[k].number_observed : 1;
    if (pc->min_bound[0] > total)
        return STORM_OK;

    srch s = {.p = p, .pc = pc, .n = n, .err = err, .out = out};
    unsigned nl = p->n_leaves;
    s.first = malloc(n * sizeof *s.first);
    s.last = malloc(n * sizeof *s.last);
    s.count = malloc(n * sizeof *s.count);
    s.used = calloc(n, sizeof *s.used);
    s.cand = calloc(nl, sizeof *s.cand);
    s.n_cand = calloc(nl, sizeof *s.n_cand);
    s.maxdur = calloc(nl, sizeof *s.maxdur);
    s.min_rank = calloc(nl, sizeof *s.min_rank);
    s.spans = calloc(pc->n_nodes, sizeof *s.spans);
    s.bind = malloc(PATTERN_MAX_BOUND * sizeof *s.bind);
    storm_rc rc = STORM_OK;
    if (!s.first || !s.last || !s.count || !s.used || !s.cand || !s.n_cand || !s.maxdur || !s.min_rank || !s.spans ||
        !s.bind) {
        rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory in the binding search");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        s.first[k] = time_us(obs[k].first_observed);
        s.last[k] = time_us(obs[k].last_observed);
        if (s.last[k] < s.first[k]) /* tolerate reversed input: treat as a point */
            s.last[k] = s.first[k];
        s.count[k] = obs[k].number_observed > 0 ? obs[k].number_observed : 1;
    }
    for (unsigned l = 0; l < nl; l++) {
        size_t c = 0;
        for (size_t k = 0; k < n; k++)
            c += hits[l][k] != 0;
        s.cand[l] = malloc((c ? c : 1) * sizeof **s.cand);
        if (!s.cand[l]) {
            rc = storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory in the binding search");
            goto done;
        }
        c = 0;
        for (size_t k = 0; k < n; k++)
            if (hits[l][k]) {
                s.cand[l][c++] = k;
                int64_t d = s.last[k] - s.first[k];
                if (d > s.maxdur[l])
                    s.maxdur[l] = d;
            }
        s.n_cand[l] = c;
        /* Without time constraints, input order gives the same first binding
         * as the reference; with them, time order lets a binary search skip
         * candidates outside the window. */
        if (pc->timed)
            qsort_r(s.cand[l], c, sizeof **s.cand, cmp_first, s.first);
    }
    if (pc->min_bound[0] > PATTERN_MAX_BOUND) {
        rc = storm_err_set(err, STORM_ERR_LIMIT, 0, "the pattern needs more than %u observations at once",
                           PATTERN_MAX_BOUND);
        goto done;
    }
    if (groups_impossible(&s))
        goto done;
    mark_dead(&s);
    kont fin = {.fn = k_found};
    (void)enumerate(&s, 0, &fin);
    if (s.rc != STORM_OK) {
        rc = s.rc;
        storm_match_clear(out);
    }
done:
    free(s.first);
    free(s.last);
    free(s.count);
    free(s.used);
    if (s.cand)
        for (unsigned l = 0; l < nl; l++)
            free(s.cand[l]);
    free(s.cand);
    free(s.n_cand);
    free(s.maxdur);
    free(s.min_rank);
    free(s.spans);
    free(s.dead);
    free(s.right_last);
    free(s.est);
    free(s.trail);
    free(s.bind);
    return rc;
}
