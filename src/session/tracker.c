/* SPDX-License-Identifier: Apache-2.0 */
/* The session tracker: steps come in (sightings, anomalies) with their
 * events; each is linked to the sessions that hold one of its keys and lie
 * within the quiet period, those sessions are merged, and the listeners
 * hear of it. See storm/session.h and docs/sessions.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/stix.h>

#include "tracker_int.h"

#define DEFAULT_QUIET ((storm_time_ns)3600 * 1000000000)
#define DEFAULT_SESSIONS_CAP 4096
#define DEFAULT_KEYS_CAP 256
#define DEFAULT_CONTEXT_CAP 262144
#define DEFAULT_STEPS_CAP 1024
#define DEFAULT_HELPER ((storm_time_ns)1000000000)
/* a namespace for session ids (UUIDv5 of the earliest step's sighting id) */
#define SESSION_NAMESPACE "5b0e6c52-8f3b-5d0e-9c1a-2f4a7d3c9e61"

storm_rc storm_session_tracker_new(const storm_session_opts *opts, storm_session_tracker **out, storm_err *err)
{
    *out = NULL;
    storm_session_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    if (opts)
        t->o = *opts;
    if (!t->o.quiet)
        t->o.quiet = DEFAULT_QUIET;
    if (!t->o.sessions_cap)
        t->o.sessions_cap = DEFAULT_SESSIONS_CAP;
    if (!t->o.keys_cap)
        t->o.keys_cap = DEFAULT_KEYS_CAP;
    if (!t->o.context_cap)
        t->o.context_cap = DEFAULT_CONTEXT_CAP;
    if (!t->o.steps_cap)
        t->o.steps_cap = DEFAULT_STEPS_CAP;
    if (!t->o.helper)
        t->o.helper = DEFAULT_HELPER;
    if (!key_index_init(&t->keys) || !key_index_init(&t->by_sighting) || !str_pool_init(&t->strings) ||
        !lineage_map_init(&t->lineage, t->o.context_cap, &t->st.context_evicted) ||
        !ctx_map_init(&t->addresses, t->o.context_cap / 4 + 1, &t->st.context_evicted) ||
        !ctx_map_init(&t->accounts, t->o.context_cap / 4 + 1, &t->st.context_evicted)) {
        storm_session_tracker_free(t);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    *out = t;
    return STORM_OK;
}

/* pool NULL: the tracker is going and its pool with it */
static void step_free(str_pool *pool, storm_session_step *st)
{
    free(st->evidence);
    if (!pool)
        return;
    str_pool_release(pool, st->sighting_id);
    str_pool_release(pool, st->indicator_id);
    str_pool_release(pool, st->indicator_name);
    str_pool_release(pool, st->step_id);
    str_pool_release(pool, st->step_name);
    str_pool_release(pool, st->tactic);
    str_pool_release(pool, st->pod);
    str_pool_release(pool, st->node);
    str_pool_release(pool, st->link);
}

static void sess_free(storm_session_tracker *t, sess *s)
{
    for (size_t i = 0; i < s->n_keys; i++) {
        if (t)
            key_index_remove(&t->keys, s->keys[i], s);
        free(s->keys[i]);
    }
    free(s->keys);
    for (size_t i = 0; i < s->pub.n_steps; i++) {
        if (t && s->pub.steps[i].sighting_id)
            key_index_remove(&t->by_sighting, s->pub.steps[i].sighting_id, s);
        step_free(t ? &t->strings : NULL, &s->pub.steps[i]);
    }
    free(s->pub.steps);
    free(s);
}

void storm_session_tracker_free(storm_session_tracker *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        sess_free(NULL, t->s[i]);
    free(t->s);
    key_index_free(&t->keys);
    key_index_free(&t->by_sighting);
    str_pool_free(&t->strings);
    lineage_map_free(&t->lineage);
    ctx_map_free(&t->addresses);
    ctx_map_free(&t->accounts);
    free(t);
}

storm_rc storm_session_listen(storm_session_tracker *t, storm_session_fn fn, void *ctx)
{
    if (t->n_listeners >= TRACKER_LISTENERS)
        return STORM_ERR_STATE;
    t->listeners[t->n_listeners++] = (listener){fn, ctx};
    return STORM_OK;
}

static void emit(storm_session_tracker *t, storm_session_event_kind kind, const sess *s, const storm_session_step *st,
                 const char *replaces)
{
    storm_session_event ev = {kind, &s->pub, st, replaces};
    for (size_t i = 0; i < t->n_listeners; i++)
        t->listeners[i].fn(t->listeners[i].ctx, &ev);
}

void storm_session_observe(storm_session_tracker *t, const storm_event *ev)
{
    if (ev->has_time && ev->time > t->latest)
        t->latest = ev->time;
    link_observe(t, ev);
}

/* ---- sessions ---- */

static bool within(const storm_session_tracker *t, const sess *s, storm_time_ns first, storm_time_ns last)
{
    return last >= storm_time_sub(s->pub.first_seen, t->o.quiet) && first <= s->pub.last_seen + t->o.quiet;
}

static int step_cmp(const void *a, const void *b)
{
    const storm_session_step *x = a, *y = b;
    if (x->first_seen != y->first_seen)
        return x->first_seen < y->first_seen ? -1 : 1;
    return strcmp(x->sighting_id, y->sighting_id);
}

/* Sort steps stably by step_cmp. A session's steps are sorted but for the
 * one just added or updated, so insertion costs O(n) where qsort cost
 * O(n log n) per sighting; many moves (a merge) go to qsort, whose stable
 * order is the same. */
static void sort_steps(storm_session_step *v, size_t n)
{
    size_t moves = 0;
    for (size_t i = 1; i < n; i++) {
        if (step_cmp(&v[i - 1], &v[i]) <= 0)
            continue;
        storm_session_step x = v[i];
        size_t j = i;
        for (; j > 0 && step_cmp(&v[j - 1], &x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
        moves += i - j;
        if (moves > 2 * n + 16) {
            qsort(v, n, sizeof *v, step_cmp);
            return;
        }
    }
}

/* Put v[k] in its place among the other n - 1 steps, which are in order:
 * found by binary search, where sort_steps compared every neighbouring
 * pair (a strcmp for each pair seen at the same time: a session of
 * steps_cap steps did a thousand per sighting). Within a session no two
 * steps have the same sighting id, so the order is total and the result is
 * the one sort_steps gives. */
static void place_step(storm_session_step *v, size_t n, size_t k)
{
    if ((k == 0 || step_cmp(&v[k - 1], &v[k]) <= 0) && (k + 1 >= n || step_cmp(&v[k], &v[k + 1]) <= 0))
        return; /* in place already (an added step seen last, an update that kept its first_seen) */
    storm_session_step x = v[k];
    memmove(&v[k], &v[k + 1], (n - k - 1) * sizeof *v);
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (step_cmp(&v[mid], &x) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&v[lo + 1], &v[lo], (n - 1 - lo) * sizeof *v);
    v[lo] = x;
}

#define REFRESH_ALL SIZE_MAX /* refresh: a new session, or steps moved in bulk (a merge) */

/* Order the steps, recompute the times, size and id (UUIDv5 of the earliest
 * step's sighting id). changed: the one step added or updated since the
 * last refresh (whose count was old_count: 0 when added), n_steps when
 * none was, or REFRESH_ALL. Steps only ever join a session and their times
 * and counts only grow apart from first_seen, so with one step changed the
 * times and size follow from it and the first step, without a pass over
 * up to steps_cap steps per sighting. */
static void refresh(sess *s, size_t changed, uint64_t old_count)
{
    storm_session *p = &s->pub;
    if (changed == REFRESH_ALL) {
        sort_steps(p->steps, p->n_steps);
        p->size = 0;
        for (size_t i = 0; i < p->n_steps; i++) {
            const storm_session_step *st = &p->steps[i];
            if (i == 0 || st->first_seen < p->first_seen)
                p->first_seen = st->first_seen;
            if (i == 0 || st->last_seen > p->last_seen)
                p->last_seen = st->last_seen;
            p->size += st->count;
        }
    } else if (changed < p->n_steps) {
        const storm_session_step *c = &p->steps[changed];
        if (c->last_seen > p->last_seen)
            p->last_seen = c->last_seen;
        p->size += c->count - old_count;
        place_step(p->steps, p->n_steps, changed);
        p->first_seen = p->steps[0].first_seen; /* in order of first_seen */
    }
    /* anomalies join sessions, never open them: the id is the earliest sighting's */
    size_t f = 0;
    while (f < p->n_steps && p->steps[f].anomaly)
        f++;
    if (f == p->n_steps)
        f = 0;
    /* the same earliest sighting as last time: the same id, without a
     * SHA-1 per step added (pooled ids compare by address; the string
     * id_from names is a step of this session, held as long as it is) */
    char uuid[37];
    if (p->n_steps && p->steps[f].sighting_id != s->id_from &&
        storm_stix_uuid5(SESSION_NAMESPACE, p->steps[f].sighting_id, strlen(p->steps[f].sighting_id), uuid)) {
        snprintf(p->id, sizeof p->id, "session--%s", uuid);
        s->id_from = p->steps[f].sighting_id;
    }
}

/* Whether the index says s is among the sessions holding key (hashed to h). */
static bool indexed(const key_index *x, const char *key, uint64_t h, const sess *s)
{
    const key_slot *k = key_index_get_h(x, key, h);
    for (size_t i = 0; k && i < k->n; i++)
        if (k->v[i] == s)
            return true;
    return false;
}

/* s holds key, whose hash (key_index_hash) is h. */
static bool hold_key(storm_session_tracker *t, sess *s, const char *key, uint64_t h)
{
    if (indexed(&t->keys, key, h, s)) /* every held key is in the index */
        return true;
    if (s->n_keys >= t->o.keys_cap) {
        t->st.keys_dropped++;
        return true;
    }
    char *k = strdup(key);
    if (!k || STORM_ARRAY_GROW(s->keys, s->n_keys + 1, s->keys_alloc, 8) != 0 || !key_index_add_h(&t->keys, k, h, s)) {
        free(k);
        return false;
    }
    s->keys[s->n_keys++] = k;
    return true;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The step of s whose sighting id is the pooled string id (str_pool.h:
 * compared by address, not by content: a session holds up to steps_cap
 * steps and an updated sighting was looked for twice), or NULL. From the
 * last step back: the sighting updated is mostly a recent one, among the
 * last in order of first_seen (a pass from the first step over a large
 * session's 112-byte steps was most of a sighting's session work on the
 * mixed bench stream); no two steps share an id, so it is the same step. */
static storm_session_step *step_of(sess *s, const char *id)
{
    for (size_t i = s->pub.n_steps; id && i-- > 0;)
        if (s->pub.steps[i].sighting_id == id)
            return &s->pub.steps[i];
    return NULL;
}

/* The step of s with sighting id sighting_id (hashed to h by key_index_hash). */
static storm_session_step *find_step(storm_session_tracker *t, sess *s, const char *sighting_id, uint64_t h)
{
    /* most look-ups are for a sighting the session does not hold (a new
     * step): the index answers without looking at every step */
    if (!indexed(&t->by_sighting, sighting_id, h, s))
        return NULL;
    return step_of(s, str_pool_find(&t->strings, sighting_id, h));
}

static bool append_step(storm_session_tracker *t, sess *s, const storm_session_step_in *in, const storm_event *ev,
                        const char *link)
{
    if (s->pub.n_steps >= t->o.steps_cap) {
        /* counted in steps_dropped only: size is the sum of the steps'
         * counts (refresh once recomputed it from them after this) */
        s->pub.steps_dropped++;
        t->st.steps_dropped++;
        return true;
    }
    if (STORM_ARRAY_GROW(s->pub.steps, s->pub.n_steps + 1, s->steps_alloc, 4) != 0)
        return false;
    storm_session_step *st = &s->pub.steps[s->pub.n_steps];
    memset(st, 0, sizeof *st);
    char pod[LINK_KEY_LEN];
    str_pool *sp = &t->strings;
    st->sighting_id = str_pool_take(sp, in->sighting_id);
    st->indicator_id = str_pool_take(sp, in->indicator_id);
    st->indicator_name = str_pool_take(sp, in->indicator_name);
    st->step_id = str_pool_take(sp, in->step_id);
    st->step_name = str_pool_take(sp, in->step_name);
    st->tactic = str_pool_take(sp, in->tactic);
    st->evidence = dup_or_null(in->evidence);
    st->pod = str_pool_take(sp, ev && link_pod_name(ev, pod, sizeof pod) ? pod : NULL);
    st->node = ev ? str_pool_take(sp, ev->k8s.node) : NULL;
    st->link = str_pool_take(sp, link);
    st->first_seen = in->first_seen;
    st->last_seen = in->last_seen;
    st->count = in->count ? in->count : 1;
    st->anomaly = in->anomaly;
    if (!st->sighting_id || !st->link || !key_index_add(&t->by_sighting, st->sighting_id, s)) {
        step_free(&t->strings, st);
        return false;
    }
    s->pub.n_steps++;
    return true;
}

/* Move b's steps and keys into a; b is freed. */
static bool absorb(storm_session_tracker *t, sess *a, sess *b)
{
    for (size_t i = 0; i < b->pub.n_steps; i++) {
        storm_session_step *st = &b->pub.steps[i];
        uint64_t h = key_index_hash(st->sighting_id);
        if (indexed(&t->by_sighting, st->sighting_id, h, a) && step_of(a, st->sighting_id))
            continue;
        if (a->pub.n_steps >= t->o.steps_cap) {
            a->pub.steps_dropped++;
            continue;
        }
        if (STORM_ARRAY_GROW(a->pub.steps, a->pub.n_steps + 1, a->steps_alloc, 4) != 0)
            return false;
        if (!key_index_add_h(&t->by_sighting, st->sighting_id, h, a))
            return false;
        key_index_remove(&t->by_sighting, st->sighting_id, b);
        a->pub.steps[a->pub.n_steps++] = *st;
        memset(st, 0, sizeof *st); /* moved */
    }
    a->pub.steps_dropped += b->pub.steps_dropped;
    for (size_t i = 0; i < b->n_keys; i++)
        if (!hold_key(t, a, b->keys[i], key_index_hash(b->keys[i])))
            return false;
    return true;
}

static void remove_at(storm_session_tracker *t, size_t i)
{
    sess_free(t, t->s[i]);
    memmove(&t->s[i], &t->s[i + 1], (t->n - i - 1) * sizeof *t->s);
    t->n--;
}

static size_t index_of(const storm_session_tracker *t, const sess *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->s[i] == s)
            return i;
    return t->n;
}

/* Room for one more: the least recently changed session goes. */
static void make_room(storm_session_tracker *t)
{
    while (t->n >= t->o.sessions_cap && t->n > 0) {
        size_t old = 0;
        for (size_t i = 1; i < t->n; i++)
            if (t->s[i]->touched < t->s[old]->touched)
                old = i;
        emit(t, STORM_SESSION_EVICTED, t->s[old], NULL, NULL);
        remove_at(t, old);
        t->st.evicted++;
    }
}

static void mark_quiet(storm_session_tracker *t)
{
    for (size_t i = 0; i < t->n; i++) {
        sess *s = t->s[i];
        if (!s->pub.quiet && s->pub.last_seen + t->o.quiet < t->latest) {
            s->pub.quiet = true;
            emit(t, STORM_SESSION_QUIET, s, NULL, NULL);
        }
    }
}

/* Sessions holding a looked-up key within the quiet period, and the rule
 * of the first key that found one. */
static size_t candidates(storm_session_tracker *t, const link_key *keys, size_t n_keys, storm_time_ns first,
                         storm_time_ns last, sess **out, size_t cap, const char **link)
{
    size_t n = 0;
    *link = NULL;
    for (size_t k = 0; k < n_keys; k++) {
        if (!keys[k].look)
            continue;
        key_slot *slot = keys[k].key[0] ? key_index_get_h(&t->keys, keys[k].key, keys[k].hash)
                                        : key_index_get_hash(&t->keys, keys[k].hash);
        for (size_t i = 0; slot && i < slot->n; i++) {
            sess *s = slot->v[i];
            if (!within(t, s, first, last))
                continue;
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = out[j] == s;
            if (seen || n >= cap)
                continue;
            out[n++] = s;
            if (!*link)
                *link = link_kind_name(keys[k].kind);
        }
    }
    return n;
}

/* The kernel helper rule: the session with a step on the same node at most
 * opts.helper before the helper started. */
static sess *helper_parent(storm_session_tracker *t, const storm_event *ev, storm_time_ns when)
{
    sess *best = NULL;
    storm_time_ns best_t = 0;
    for (size_t i = 0; i < t->n; i++) {
        sess *s = t->s[i];
        for (size_t j = 0; j < s->pub.n_steps; j++) {
            const storm_session_step *st = &s->pub.steps[j];
            if (!st->pod || !st->node || strcmp(st->node, ev->k8s.node) != 0)
                continue;
            if (st->first_seen <= when && when - st->first_seen <= t->o.helper && (!best || st->first_seen > best_t)) {
                best = s;
                best_t = st->first_seen;
            }
        }
    }
    return best;
}

static int sess_order(const sess *a, const sess *b)
{
    if (a->pub.first_seen != b->pub.first_seen)
        return a->pub.first_seen < b->pub.first_seen ? -1 : 1;
    return strcmp(a->pub.id, b->pub.id);
}

#define CANDIDATES_MAX 64

storm_rc storm_session_add(storm_session_tracker *t, const storm_session_step_in *in, const storm_event *ev,
                           storm_err *err)
{
    if (!in->sighting_id)
        return STORM_OK;
    if (ev && ev->has_time && ev->time > t->latest)
        t->latest = ev->time;
    if (in->last_seen > t->latest)
        t->latest = in->last_seen;
    t->clock++;
    /* a step already held: update it */
    sess *holder = NULL;
    storm_session_step *known = NULL;
    /* the first session (in opening order) with a step of this sighting */
    uint64_t sid_hash = key_index_hash(in->sighting_id);
    const key_slot *ks = key_index_get_h(&t->by_sighting, in->sighting_id, sid_hash);
    size_t first = t->n;
    for (size_t k = 0; ks && k < ks->n; k++) {
        size_t at = ks->n > 1 ? index_of(t, ks->v[k]) : 0;
        if (ks->n == 1 || at < first) {
            first = at;
            holder = ks->v[k];
        }
    }
    if (holder) /* holder is in the index: only its steps to look at */
        known = step_of(holder, str_pool_find(&t->strings, in->sighting_id, sid_hash));
    if (known) {
        char old[64];
        snprintf(old, sizeof old, "%s", holder->pub.id);
        if (in->first_seen < known->first_seen)
            known->first_seen = in->first_seen;
        if (in->last_seen > known->last_seen)
            known->last_seen = in->last_seen;
        uint64_t old_count = known->count;
        if (in->count > known->count)
            known->count = in->count;
        free(known->evidence);
        known->evidence = dup_or_null(in->evidence);
        const char *id = known->sighting_id; /* the step moves when sorted, its pooled id with it */
        refresh(holder, (size_t)(known - holder->pub.steps), old_count);
        holder->touched = t->clock;
        holder->pub.quiet = false;
        t->st.updates++;
        emit(t, STORM_SESSION_STEP_UPDATED, holder, step_of(holder, id), strcmp(old, holder->pub.id) != 0 ? old : NULL);
        mark_quiet(t);
        if (!ev)
            return STORM_OK;
    }
    if (!ev)
        return STORM_OK;

    link_key keys[LINK_KEYS_MAX];
    size_t n_keys = link_keys_of_event(t, ev, keys);
    sess *found[CANDIDATES_MAX];
    const char *link = NULL;
    size_t n_found = candidates(t, keys, n_keys, in->first_seen, in->last_seen, found, CANDIDATES_MAX, &link);
    if (link_is_kernel_helper(ev) && n_found < CANDIDATES_MAX) {
        sess *p = helper_parent(t, ev, in->first_seen);
        bool seen = false;
        for (size_t j = 0; p && j < n_found; j++)
            seen = found[j] == p;
        if (p && !seen) {
            found[n_found++] = p;
            if (!link)
                link = link_kind_name(LINK_HELPER);
        }
    }
    if (known) { /* the updated step's session links too */
        bool seen = false;
        for (size_t j = 0; j < n_found; j++)
            seen |= found[j] == holder;
        if (!seen && n_found < CANDIDATES_MAX)
            found[n_found++] = holder;
        if (n_found == 1)
            return STORM_OK;
    }
    if (n_found == 0) {
        if (in->anomaly) {
            t->st.anomalies_unlinked++;
            return STORM_OK;
        }
        make_room(t);
        sess *s = calloc(1, sizeof *s);
        if (!s || STORM_ARRAY_GROW(t->s, t->n + 1, t->alloc, 16) != 0 || !append_step(t, s, in, ev, "first")) {
            free(s);
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        }
        t->s[t->n++] = s;
        for (size_t k = 0; k < n_keys; k++)
            if (keys[k].hold && !hold_key(t, s, keys[k].key, keys[k].hash))
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        refresh(s, REFRESH_ALL, 0);
        s->touched = t->clock;
        t->st.opened++;
        t->st.steps++;
        emit(t, STORM_SESSION_OPENED, s, &s->pub.steps[0], NULL);
        mark_quiet(t);
        return STORM_OK;
    }
    /* the earliest session survives; the others merge into it */
    sess *keep = found[0];
    for (size_t j = 1; j < n_found; j++)
        if (sess_order(found[j], keep) < 0)
            keep = found[j];
    char old[64];
    snprintf(old, sizeof old, "%s", keep->pub.id);
    for (size_t j = 0; j < n_found; j++) {
        sess *b = found[j];
        if (b == keep)
            continue;
        char gone[64];
        snprintf(gone, sizeof gone, "%s", b->pub.id);
        if (!absorb(t, keep, b))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        remove_at(t, index_of(t, b));
        refresh(keep, REFRESH_ALL, 0);
        t->st.merged++;
        emit(t, STORM_SESSION_MERGED, keep, NULL, gone);
    }
    bool added = false;
    const char *added_id = NULL; /* the new step's pooled id (none past steps_cap) */
    if (!find_step(t, keep, in->sighting_id, sid_hash)) {
        size_t before = keep->pub.n_steps;
        if (!append_step(t, keep, in, ev, in->anomaly ? (link ? link : "pod") : link ? link : "pod"))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        added = true;
        if (keep->pub.n_steps > before)
            added_id = keep->pub.steps[before].sighting_id;
    }
    for (size_t k = 0; k < n_keys; k++)
        if (keys[k].hold && !hold_key(t, keep, keys[k].key, keys[k].hash))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    /* in order since the merges (or since it last changed) but for the step added */
    refresh(keep, added_id ? keep->pub.n_steps - 1 : keep->pub.n_steps, 0);
    keep->touched = t->clock;
    keep->pub.quiet = false;
    if (added) {
        if (in->anomaly)
            t->st.anomalies++;
        else
            t->st.steps++;
        emit(t, STORM_SESSION_STEP_ADDED, keep, step_of(keep, added_id), strcmp(old, keep->pub.id) != 0 ? old : NULL);
    } else if (strcmp(old, keep->pub.id) != 0) {
        emit(t, STORM_SESSION_MERGED, keep, NULL, old);
    }
    mark_quiet(t);
    return STORM_OK;
}

void storm_session_get_stats(const storm_session_tracker *t, storm_session_stats *out)
{
    *out = t->st;
    /* the lineage sets still queued (lineage_map.h) count as applied */
    out->context_evicted += lineage_map_pending_evictions(&t->lineage);
    out->held = t->n;
}

size_t storm_session_count(const storm_session_tracker *t)
{
    return t->n;
}

const storm_session *storm_session_at(const storm_session_tracker *t, size_t i)
{
    return i < t->n ? &t->s[i]->pub : NULL;
}
