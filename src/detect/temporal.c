/* SPDX-License-Identifier: Apache-2.0 */
#include "temporal.h"

#include "obs_pack.h"

#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/pattern_plan.h>

#define TIME_MAX INT64_MAX

/* ---- kept observations ---- */

kept_obs *kept_obs_new(obs_packer *pk, const storm_observation *obs)
{
    kept_obs *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->refs = 1;
    k->time = obs->first_observed;
    k->id = obs->id ? strdup(obs->id) : NULL;
    k->pk = pk;
    k->packed = obs_pack(pk, obs, &k->packed_len);
    if ((obs->id && !k->id) || !k->packed) {
        free(k->id);
        free(k->packed);
        free(k);
        return NULL;
    }
    return k;
}

bool kept_obs_unpack(const kept_obs *k, storm_arena *a, storm_observation *out)
{
    return obs_unpack(k->pk, k->packed, k->packed_len, k->id, a, out);
}

void kept_obs_ref(kept_obs *k)
{
    if (k)
        k->refs++;
}

void kept_obs_unref(kept_obs *k)
{
    if (k && --k->refs == 0) {
        free(k->id);
        free(k->packed);
        free(k);
    }
}

/* ---- plan ---- */

typedef struct tnode {
    pat_obs_kind kind;
    int left, right;           /* children (-1 none) */
    unsigned leaf;             /* LEAF: index among the pattern's leaves */
    storm_time_ns within;      /* WITHIN: ns */
    int64_t repeats;           /* REPEATS */
    storm_time_ns start, stop; /* STARTSTOP */
    bool stored;               /* the parent combines with its history */
    storm_time_ns keep;        /* how long its stored matches stay useful */
} tnode;

struct tplan {
    tnode *nodes;
    size_t n, alloc;
    int root;
    unsigned n_leaves;
    bool stateless;
    storm_time_ns horizon;
};

static int plan_node(tplan *t, const pat_obs *o, int depth)
{
    if (!o || depth > STORM_PATTERN_MAX_DEPTH * 2)
        return -1;
    if (STORM_ARRAY_GROW(t->nodes, t->n + 1, t->alloc, 8))
        return -1;
    int i = (int)t->n++;
    tnode *nd = &t->nodes[i];
    memset(nd, 0, sizeof *nd);
    nd->kind = o->kind;
    nd->left = nd->right = -1;
    switch (o->kind) {
    case PAT_OBS_LEAF:
        nd->leaf = o->leaf_index;
        if (o->leaf_index + 1 > t->n_leaves)
            t->n_leaves = o->leaf_index + 1;
        return i;
    case PAT_OBS_WITHIN: {
        double s = o->within.type == PAT_LIT_FLOAT ? o->within.u.f : (double)o->within.u.i;
        storm_time_ns w = s <= 0 ? 0 : s > 9e9 ? TIME_MAX : (storm_time_ns)(s * 1e9);
        t->nodes[i].within = w;
        break;
    }
    case PAT_OBS_REPEATS: t->nodes[i].repeats = o->repeats; break;
    case PAT_OBS_STARTSTOP:
        t->nodes[i].start = o->start;
        t->nodes[i].stop = o->stop;
        break;
    default: break;
    }
    int l = plan_node(t, o->left, depth + 1);
    if (l < 0)
        return -1;
    t->nodes[i].left = l;
    if (o->kind == PAT_OBS_AND || o->kind == PAT_OBS_OR || o->kind == PAT_OBS_FOLLOWEDBY) {
        int r = plan_node(t, o->right, depth + 1);
        if (r < 0)
            return -1;
        t->nodes[i].right = r;
    }
    return i;
}

static bool node_stateless(const tplan *t, int i)
{
    const tnode *n = &t->nodes[i];
    switch (n->kind) {
    case PAT_OBS_LEAF: return true;
    case PAT_OBS_OR: return node_stateless(t, n->left) && node_stateless(t, n->right);
    case PAT_OBS_WITHIN:
    case PAT_OBS_STARTSTOP: return node_stateless(t, n->left);
    case PAT_OBS_REPEATS: return n->repeats <= 1 && node_stateless(t, n->left);
    default: return false;
    }
}

/* Mark stored children and how long their history stays useful. */
static void plan_mark(tplan *t, int i, storm_time_ns keep)
{
    tnode *n = &t->nodes[i];
    /* A node's own complete matches are useful as long as its ancestors
     * allow; a WITHIN bounds how far apart the parts of one of its matches
     * lie, so it shortens what its descendants keep, not what it keeps
     * ("[a] WITHIN 1 SECONDS AND [b]" holds for an a an hour before b). */
    n->keep = keep;
    if (n->kind == PAT_OBS_WITHIN && n->within < keep)
        keep = n->within;
    if (n->left >= 0) {
        if (n->kind == PAT_OBS_AND || n->kind == PAT_OBS_FOLLOWEDBY || n->kind == PAT_OBS_REPEATS)
            t->nodes[n->left].stored = true;
        plan_mark(t, n->left, keep);
    }
    if (n->right >= 0) {
        if (n->kind == PAT_OBS_AND || n->kind == PAT_OBS_FOLLOWEDBY)
            t->nodes[n->right].stored = true;
        plan_mark(t, n->right, keep);
    }
}

/* Nodes of the observation expression (bounded by the parser's depth and
 * node limits, so the recursion is safe). */
static size_t count_plan_nodes(const pat_obs *o, int depth)
{
    if (!o || depth > STORM_PATTERN_MAX_DEPTH * 2)
        return 0;
    return 1 + count_plan_nodes(o->left, depth + 1) +
           (o->kind == PAT_OBS_AND || o->kind == PAT_OBS_OR || o->kind == PAT_OBS_FOLLOWEDBY
                ? count_plan_nodes(o->right, depth + 1)
                : 0);
}

tplan *tplan_new(const storm_pattern *p, storm_time_ns horizon)
{
    tplan *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->horizon = horizon;
    /* exactly as many nodes as the pattern has: one plan per indicator, and
     * most are a single leaf (growing by doubling from 8 cost ~0.5 KiB each) */
    size_t n = count_plan_nodes(pattern_plan_root(p), 0);
    t->nodes = n ? malloc(n * sizeof *t->nodes) : NULL;
    if (!t->nodes) {
        free(t);
        return NULL;
    }
    t->alloc = n;
    t->root = plan_node(t, pattern_plan_root(p), 0);
    if (t->root < 0) {
        tplan_free(t);
        return NULL;
    }
    t->stateless = node_stateless(t, t->root);
    plan_mark(t, t->root, horizon);
    return t;
}

void tplan_free(tplan *t)
{
    if (!t)
        return;
    free(t->nodes);
    free(t);
}

bool tplan_stateless(const tplan *t)
{
    return t->stateless;
}
unsigned tplan_n_leaves(const tplan *t)
{
    return t->n_leaves;
}
storm_time_ns tplan_horizon(const tplan *t)
{
    const tnode *r = &t->nodes[t->root];
    return r->kind == PAT_OBS_WITHIN && r->within < r->keep ? r->within : r->keep;
}

static bool single(const tplan *t, int i, const bool *leaf_true, storm_time_ns time)
{
    const tnode *n = &t->nodes[i];
    switch (n->kind) {
    case PAT_OBS_LEAF: return leaf_true[n->leaf];
    case PAT_OBS_OR: return single(t, n->left, leaf_true, time) || single(t, n->right, leaf_true, time);
    case PAT_OBS_WITHIN:
    case PAT_OBS_REPEATS: return single(t, n->left, leaf_true, time);
    case PAT_OBS_STARTSTOP: return time >= n->start && time < n->stop && single(t, n->left, leaf_true, time);
    default: return false;
    }
}

bool tplan_eval_single(const tplan *t, const bool *leaf_true, storm_time_ns time)
{
    return single(t, t->root, leaf_true, time);
}

/* ---- state ---- */

typedef struct mlist {
    tmatch **items; /* oldest first */
    size_t n, alloc;
} mlist;

struct tstate {
    size_t n_nodes;
    size_t held;
    mlist lists[]; /* per plan node (used only where stored) */
};

tstate *tstate_new(const tplan *t)
{
    tstate *s = calloc(1, sizeof *s + t->n * sizeof(mlist));
    if (s)
        s->n_nodes = t->n;
    return s;
}

void tmatch_release(tmatch *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n; i++)
        kept_obs_unref(m->obs[i]);
    free(m);
}

void tstate_free(tstate *s, uint64_t *dropped)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_nodes; i++) {
        for (size_t k = 0; k < s->lists[i].n; k++)
            tmatch_release(s->lists[i].items[k]);
        free(s->lists[i].items);
    }
    if (dropped)
        *dropped += s->held;
    free(s);
}

size_t tstate_held(const tstate *s)
{
    return s->held;
}

storm_time_ns tstate_oldest(const tstate *s)
{
    storm_time_ns t = INT64_MAX;
    for (size_t i = 0; i < s->n_nodes; i++)
        for (size_t k = 0; k < s->lists[i].n; k++)
            if (s->lists[i].items[k]->tmin < t)
                t = s->lists[i].items[k]->tmin;
    return t;
}

typedef struct feed_ctx {
    tstate *s;
    const tplan *t;
    kept_obs *cur;
    const bool *leaf_true;
    storm_time_ns watermark;
    size_t cap;
    tcounters *c;
} feed_ctx;

static tmatch *tmatch_dup(const tmatch *m)
{
    tmatch *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = *m;
    for (uint32_t i = 0; i < d->n; i++)
        kept_obs_ref(d->obs[i]);
    return d;
}

static bool disjoint(const tmatch *a, const tmatch *b)
{
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t k = 0; k < b->n; k++)
            if (a->obs[i] == b->obs[k])
                return false;
    return true;
}

static storm_time_ns span_of(const tmatch *a, const tmatch *b)
{
    storm_time_ns lo = a->tmin < b->tmin ? a->tmin : b->tmin;
    storm_time_ns hi = a->tmax > b->tmax ? a->tmax : b->tmax;
    return hi - lo;
}

static tmatch *combine(const tmatch *a, const tmatch *b)
{
    tmatch *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    m->tmin = a->tmin < b->tmin ? a->tmin : b->tmin;
    m->tmax = a->tmax > b->tmax ? a->tmax : b->tmax;
    m->n = 0;
    for (uint32_t i = 0; i < a->n && m->n < TMATCH_MAX_OBS; i++)
        m->obs[m->n++] = a->obs[i];
    for (uint32_t i = 0; i < b->n && m->n < TMATCH_MAX_OBS; i++)
        m->obs[m->n++] = b->obs[i];
    for (uint32_t i = 0; i < m->n; i++)
        kept_obs_ref(m->obs[i]);
    return m;
}

static void list_prune(feed_ctx *f, int node)
{
    mlist *l = &f->s->lists[node];
    storm_time_ns keep = f->t->nodes[node].keep;
    if (keep >= TIME_MAX / 4)
        return; /* no horizon: only the cap bounds this list */
    storm_time_ns limit = storm_time_sub(f->watermark, keep);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->items[i]->tmax < limit) {
            tmatch_release(l->items[i]);
            f->s->held--;
            f->c->held--;
            f->c->evicted++;
        } else {
            l->items[w++] = l->items[i];
        }
    }
    l->n = w;
}

static void list_store(feed_ctx *f, int node, tmatch **m, size_t n)
{
    mlist *l = &f->s->lists[node];
    for (size_t i = 0; i < n; i++) {
        if (l->n >= f->cap && l->n > 0) {
            /* the oldest goes: it is the least likely to still combine */
            tmatch_release(l->items[0]);
            memmove(l->items, l->items + 1, (l->n - 1) * sizeof *l->items);
            l->n--;
            f->s->held--;
            f->c->held--;
            f->c->evicted++;
        }
        if (l->n == l->alloc) {
            size_t na = l->alloc ? l->alloc * 2 : 4;
            if (na > f->cap && f->cap >= 1)
                na = f->cap;
            tmatch **ni = realloc(l->items, na * sizeof *ni);
            if (!ni)
                return;
            l->items = ni;
            l->alloc = na;
        }
        tmatch *d = tmatch_dup(m[i]);
        if (!d)
            return;
        l->items[l->n++] = d;
        f->s->held++;
        f->c->held++;
    }
}

static size_t eval_node(feed_ctx *f, int i, storm_time_ns span, tmatch **out);

static void release_all(tmatch **m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tmatch_release(m[i]);
}

/* Append combinations of a with partners (newest first), keeping order when
 * ordered (a before b if a_left, else b before a). */
static size_t pair_up(const tmatch *a, bool a_left, bool ordered, tmatch *const *partners, size_t n_partners,
                      storm_time_ns span, tmatch **out, size_t n_out)
{
    for (size_t k = n_partners; k-- > 0 && n_out < TEMPORAL_NEW_MAX;) {
        const tmatch *b = partners[k];
        if (!disjoint(a, b) || span_of(a, b) > span)
            continue;
        if (ordered) {
            const tmatch *l = a_left ? a : b, *r = a_left ? b : a;
            if (l->tmax > r->tmin)
                continue;
        }
        tmatch *m = combine(a, b);
        if (m)
            out[n_out++] = m;
    }
    return n_out;
}

static size_t eval_node(feed_ctx *f, int i, storm_time_ns span, tmatch **out)
{
    const tnode *nd = &f->t->nodes[i];
    size_t n = 0;
    switch (nd->kind) {
    case PAT_OBS_LEAF:
        if (f->leaf_true[nd->leaf]) {
            tmatch *m = malloc(sizeof *m);
            if (m) {
                m->tmin = m->tmax = f->cur->time;
                m->n = 1;
                m->obs[0] = f->cur;
                kept_obs_ref(f->cur);
                out[n++] = m;
            }
        }
        break;
    case PAT_OBS_OR: {
        n = eval_node(f, nd->left, span, out);
        tmatch *r[TEMPORAL_NEW_MAX];
        size_t nr = eval_node(f, nd->right, span, r);
        for (size_t k = 0; k < nr; k++) {
            if (n < TEMPORAL_NEW_MAX)
                out[n++] = r[k];
            else
                tmatch_release(r[k]);
        }
        break;
    }
    case PAT_OBS_AND:
    case PAT_OBS_FOLLOWEDBY: {
        bool ordered = nd->kind == PAT_OBS_FOLLOWEDBY;
        tmatch *l[TEMPORAL_NEW_MAX], *r[TEMPORAL_NEW_MAX];
        size_t nl = eval_node(f, nd->left, span, l);
        size_t nr = eval_node(f, nd->right, span, r);
        list_prune(f, nd->left);
        list_prune(f, nd->right);
        mlist *sl = &f->s->lists[nd->left], *sr = &f->s->lists[nd->right];
        for (size_t a = 0; a < nl; a++) {
            n = pair_up(l[a], true, ordered, r, nr, span, out, n);
            n = pair_up(l[a], true, ordered, sr->items, sr->n, span, out, n);
        }
        for (size_t b = 0; b < nr; b++)
            n = pair_up(r[b], false, ordered, sl->items, sl->n, span, out, n);
        list_store(f, nd->left, l, nl);
        list_store(f, nd->right, r, nr);
        release_all(l, nl);
        release_all(r, nr);
        break;
    }
    case PAT_OBS_WITHIN: {
        storm_time_ns s = nd->within < span ? nd->within : span;
        tmatch *c[TEMPORAL_NEW_MAX];
        size_t nc = eval_node(f, nd->left, s, c);
        for (size_t k = 0; k < nc; k++) {
            if (storm_time_sub(c[k]->tmax, c[k]->tmin) <= s && nd->within > 0)
                out[n++] = c[k];
            else
                tmatch_release(c[k]);
        }
        break;
    }
    case PAT_OBS_STARTSTOP: {
        tmatch *c[TEMPORAL_NEW_MAX];
        size_t nc = eval_node(f, nd->left, span, c);
        for (size_t k = 0; k < nc; k++) {
            if (c[k]->tmin >= nd->start && c[k]->tmax < nd->stop)
                out[n++] = c[k];
            else
                tmatch_release(c[k]);
        }
        break;
    }
    case PAT_OBS_REPEATS: {
        tmatch *c[TEMPORAL_NEW_MAX];
        size_t nc = eval_node(f, nd->left, span, c);
        list_prune(f, nd->left);
        mlist *st = &f->s->lists[nd->left];
        for (size_t k = 0; k < nc && n < TEMPORAL_NEW_MAX; k++) {
            if (nd->repeats <= 1) {
                tmatch *d = tmatch_dup(c[k]);
                if (d)
                    out[n++] = d;
                continue;
            }
            /* the new match plus the most recent disjoint stored ones */
            tmatch *acc = tmatch_dup(c[k]);
            int64_t have = 1;
            for (size_t j = st->n; acc && j-- > 0 && have < nd->repeats;) {
                if (!disjoint(acc, st->items[j]) || span_of(acc, st->items[j]) > span)
                    continue;
                tmatch *m = combine(acc, st->items[j]);
                tmatch_release(acc);
                acc = m;
                have++;
            }
            if (acc && have >= nd->repeats)
                out[n++] = acc;
            else
                tmatch_release(acc);
        }
        list_store(f, nd->left, c, nc);
        release_all(c, nc);
        break;
    }
    }
    return n;
}

size_t tstate_feed(tstate *s, const tplan *t, kept_obs *cur, const bool *leaf_true, storm_time_ns watermark, size_t cap,
                   tcounters *c, tmatch **out)
{
    feed_ctx f = {s, t, cur, leaf_true, watermark, cap ? cap : 1, c};
    return eval_node(&f, t->root, TIME_MAX, out);
}
