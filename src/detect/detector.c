/* SPDX-License-Identifier: Apache-2.0 */
/* The detector: index -> exact leaf evaluation -> per-indicator decision
 * (stateless at once, stateful through the per-scope temporal state) ->
 * sightings. */
#include <storm/detect.h>
#include <storm/pattern_plan.h>
#include <storm/stix.h>
#include <storm/stix_prefilter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "leaf_index.h"
#include "lineage.h"
#include "sightings.h"
#include "strmap.h"
#include "temporal.h"

#define HOUR_NS ((storm_time_ns)3600 * 1000000000)

typedef struct ind_rt {
    const storm_model_indicator *ind;
    tplan *plan;
    uint32_t *leaf_ids; /* global leaf id per pattern leaf */
    unsigned n_leaves;
    bool stateless;
} ind_rt;

/* The temporal state of one indicator in one scope, on an LRU list. */
typedef struct scope_state {
    struct scope_state *prev, *next;
    char *key; /* owned: "<indicator>\x1f<scope>" */
    size_t key_len;
    tstate *state;
    storm_time_ns last_time;  /* newest event time seen in this scope: its own clock */
    storm_time_ns touched_at; /* the stream's clock (watermark) when last used */
} scope_state;

struct storm_detector {
    const storm_models *models;
    obs_packer *packer; /* for the observations partial matches keep (NULL: one each) */
    storm_detect_opts opts;
    leaf_index *index;
    ind_rt *inds;
    size_t n_inds;
    /* leaf -> indicators using it (CSR) */
    uint32_t *users;
    size_t *users_start;
    /* per-feed scratch */
    uint32_t *cand;
    size_t n_event_cand;   /* candidates storm_detector_wants found on the event */
    bool event_cand_valid; /* ... for the observation storm_detector_feed_wanted is given next */
    uint32_t *leaf_gen;    /* per leaf: feed generation in which it held */
    uint32_t *ind_gen;     /* per indicator: feed generation in which it was touched */
    uint32_t *touched;
    uint32_t gen;
    bool *leaf_true;
    unsigned max_leaves;
    /* some leaf names an "id" property: the index may look ids up, so they
     * are completed before it (storm_stix_observation_finish) */
    bool leaves_read_ids;
    /* state */
    strmap states;
    scope_state *lru_head, *lru_tail; /* head = most recent */
    storm_time_ns watermark;
    bool have_watermark;
    detect_lineage lineage;
    detect_sightings *sightings;
    storm_arena *unpacked;           /* a complete temporal match's held observations, while it is recorded */
    storm_detect_match_fn match_tap; /* storm_detector_tap_matches: matches go there, not to sightings */
    void *match_tap_ctx;
    storm_detect_stats stats;
};

bool storm_correlate_parse(const char *s, storm_correlate *out)
{
    static const char *const names[] = {"pod", "global", "node", "lineage"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (storm_correlate)i;
            return true;
        }
    return false;
}

const char *storm_correlate_name(storm_correlate c)
{
    switch (c) {
    case STORM_CORRELATE_GLOBAL: return "global";
    case STORM_CORRELATE_NODE: return "node";
    case STORM_CORRELATE_LINEAGE: return "lineage";
    default: return "pod";
    }
}

static void apply_defaults(storm_detect_opts *o)
{
    if (o->horizon <= 0)
        o->horizon = HOUR_NS;
    if (!o->state_cap)
        o->state_cap = 64;
    if (!o->states_cap)
        o->states_cap = 4096;
    if (!o->scopes_cap)
        o->scopes_cap = 4096;
    if (o->sighting_window <= 0)
        o->sighting_window = HOUR_NS;
    if (!o->sighting_refs_cap)
        o->sighting_refs_cap = 32;
    if (!o->open_sightings_cap)
        o->open_sightings_cap = 8192;
    if (!o->lineage_cap)
        o->lineage_cap = 262144;
    if (!o->identity || !o->identity[0])
        o->identity = "storm";
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool key_ends(const pat_step *st, const char *suffix)
{
    size_t n = strlen(suffix);
    return st->kind == PAT_STEP_KEY && st->key_len >= n && memcmp(st->key + st->key_len - n, suffix, n) == 0;
}

/* Whether a comparison reads an object id, which lazy observations hold as a
 * placeholder until finished: a step "id" anywhere in a path (process:id,
 * file:parent_directory_ref.id, file: id, 'id'), or a path whose last key
 * is a reference (compared as its id text). Read off the parsed pattern, so
 * that however the path is spelled (spaces, quotes) it is seen. */
static bool cmp_reads_ids(const pat_cmp *c)
{
    if (!c)
        return false;
    if (c->kind != PAT_CMP_TEST)
        return cmp_reads_ids(c->left) || cmp_reads_ids(c->right);
    const pat_step *last_key = NULL;
    for (size_t i = 0; i < c->path.n_steps; i++) {
        const pat_step *st = &c->path.steps[i];
        if (st->kind != PAT_STEP_KEY)
            continue;
        if (st->key_len == 2 && memcmp(st->key, "id", 2) == 0)
            return true;
        last_key = st;
    }
    return last_key && (key_ends(last_key, "_ref") || key_ends(last_key, "_refs"));
}

/* The text of leaf i of p: "[...]" at its span. */
static bool leaf_text(const storm_pattern *p, unsigned i, const char **text, size_t *len)
{
    const pat_obs *leaf = pattern_plan_leaf(p, i);
    const char *src = storm_pattern_text(p);
    size_t plen = pattern_text_len(p);
    if (!leaf)
        return false;
    size_t s = leaf->span.start, e = leaf->span.end;
    if (e > plen || s >= e)
        return false;
    /* the span may or may not include the brackets: widen to them */
    while (s > 0 && src[s] != '[')
        s--;
    if (src[s] != '[')
        return false;
    int depth = 0;
    size_t k = s;
    bool in_str = false;
    for (; k < plen; k++) {
        char c = src[k];
        if (in_str) {
            if (c == '\\')
                k++;
            else if (c == '\'')
                in_str = false;
            continue;
        }
        if (c == '\'')
            in_str = true;
        else if (c == '[')
            depth++;
        else if (c == ']' && --depth == 0)
            break;
    }
    if (k >= plen)
        return false;
    *text = src + s;
    *len = k + 1 - s;
    return true;
}

storm_rc storm_detector_new(const storm_models *models, const storm_detect_opts *opts,
                            storm_detect_sighting_fn on_sighting, void *ctx, storm_detector **out, storm_err *err)
{
    *out = NULL;
    storm_detector *d = calloc(1, sizeof *d);
    if (!d)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    d->models = models;
    d->packer = obs_packer_new(); /* NULL (no memory now): each packing makes its own state */
    if (opts)
        d->opts = *opts;
    apply_defaults(&d->opts);
    storm_rc rc = leaf_index_new(&d->index);
    size_t n = storm_models_n_indicators(models);
    d->inds = calloc(n + 1, sizeof *d->inds);
    if (rc != STORM_OK || !d->inds) {
        storm_detector_free(d);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const storm_model_indicator *ind = storm_models_indicator(models, i);
        const storm_pattern *p = ind->pattern;
        ind_rt *r = &d->inds[d->n_inds];
        r->ind = ind;
        r->plan = tplan_new(p, d->opts.horizon);
        r->n_leaves = pattern_leaf_count(p);
        r->leaf_ids = calloc(r->n_leaves + 1, sizeof *r->leaf_ids);
        if (!r->plan || !r->leaf_ids) {
            tplan_free(r->plan);
            free(r->leaf_ids);
            storm_detector_free(d);
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        }
        bool ok = true;
        for (unsigned k = 0; k < r->n_leaves && ok; k++) {
            const char *t;
            size_t len;
            storm_err lerr;
            storm_err_clear(&lerr);
            ok =
                leaf_text(p, k, &t, &len) && leaf_index_add(d->index, p, k, t, len, &r->leaf_ids[k], &lerr) == STORM_OK;
            if (ok && cmp_reads_ids(pattern_plan_leaf(p, k)->cmp))
                d->leaves_read_ids = true;
        }
        if (!ok) {
            /* cannot happen for a pattern that compiled; skip it rather than fail the run */
            tplan_free(r->plan);
            free(r->leaf_ids);
            memset(r, 0, sizeof *r);
            continue;
        }
        r->stateless = tplan_stateless(r->plan);
        if (r->n_leaves > d->max_leaves)
            d->max_leaves = r->n_leaves;
        d->n_inds++;
    }
    rc = leaf_index_build(d->index, d->opts.cache_dir, err);
    if (rc != STORM_OK) {
        storm_detector_free(d);
        return rc;
    }
    size_t nl = leaf_index_count(d->index);
    d->users_start = calloc(nl + 2, sizeof *d->users_start);
    size_t total = 0;
    for (size_t i = 0; i < d->n_inds; i++)
        total += d->inds[i].n_leaves;
    d->users = calloc(total + 1, sizeof *d->users);
    d->cand = calloc(nl + 1, sizeof *d->cand);
    d->leaf_gen = calloc(nl + 1, sizeof *d->leaf_gen);
    d->ind_gen = calloc(d->n_inds + 1, sizeof *d->ind_gen);
    d->touched = calloc(d->n_inds + 1, sizeof *d->touched);
    d->leaf_true = calloc(d->max_leaves + 1, sizeof *d->leaf_true);
    if (!d->users_start || !d->users || !d->cand || !d->leaf_gen || !d->ind_gen || !d->touched || !d->leaf_true) {
        storm_detector_free(d);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    /* CSR of leaf -> indicators; an indicator listing a leaf twice appears once */
    for (size_t i = 0; i < d->n_inds; i++)
        for (unsigned k = 0; k < d->inds[i].n_leaves; k++)
            d->users_start[d->inds[i].leaf_ids[k] + 1]++;
    for (size_t l = 0; l < nl; l++)
        d->users_start[l + 1] += d->users_start[l];
    size_t *fill = calloc(nl + 1, sizeof *fill);
    if (!fill) {
        storm_detector_free(d);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < d->n_inds; i++)
        for (unsigned k = 0; k < d->inds[i].n_leaves; k++) {
            uint32_t l = d->inds[i].leaf_ids[k];
            d->users[d->users_start[l] + fill[l]++] = (uint32_t)i;
        }
    free(fill);
    d->sightings = detect_sightings_new(models, &d->opts, on_sighting, ctx);
    d->unpacked = storm_arena_new(0, 0);
    if (!d->sightings || !d->unpacked || detect_lineage_init(&d->lineage, d->opts.lineage_cap) != 0) {
        storm_detector_free(d);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    /* no malloc_trim here: the temporaries of compiling the patterns are
     * ~1 MiB, and the stream took their pages back at once (~500 page
     * faults, more than the model loading's own on a 1,000-indicator set;
     * and it split the heap's huge pages, run_memory.c in the CLI) */
    d->stats.indicators = d->n_inds;
    d->stats.leaves = nl;
    d->stats.regex_prefiltered = leaf_index_regex_prefiltered(d->index);
    d->stats.regex_unindexed = leaf_index_regex_unindexed(d->index);
    d->stats.regex_cached = leaf_index_regex_cached(d->index);
    *out = d;
    return STORM_OK;
}

static void state_unlink(storm_detector *d, scope_state *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        d->lru_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        d->lru_tail = s->prev;
    s->prev = s->next = NULL;
}

static void state_push_front(storm_detector *d, scope_state *s)
{
    s->prev = NULL;
    s->next = d->lru_head;
    if (d->lru_head)
        d->lru_head->prev = s;
    d->lru_head = s;
    if (!d->lru_tail)
        d->lru_tail = s;
}

static void state_drop(storm_detector *d, scope_state *s)
{
    state_unlink(d, s);
    strmap_remove(&d->states, s->key, s->key_len);
    uint64_t dropped = 0;
    size_t held = tstate_held(s->state);
    tstate_free(s->state, &dropped);
    d->stats.states_evicted += dropped;
    d->stats.states_held -= held;
    d->stats.scopes_held--;
    free(s->key);
    free(s);
}

void storm_detector_free(storm_detector *d)
{
    if (!d)
        return;
    obs_packer_free(d->packer);
    while (d->lru_head) {
        scope_state *s = d->lru_head;
        state_unlink(d, s);
        tstate_free(s->state, NULL);
        free(s->key);
        free(s);
    }
    strmap_clear(&d->states);
    for (size_t i = 0; i < d->n_inds; i++) {
        tplan_free(d->inds[i].plan);
        free(d->inds[i].leaf_ids);
    }
    detect_sightings_free(d->sightings);
    storm_arena_free(d->unpacked);
    detect_lineage_free(&d->lineage);
    leaf_index_free(d->index);
    free(d->inds);
    free(d->users);
    free(d->users_start);
    free(d->cand);
    free(d->leaf_gen);
    free(d->ind_gen);
    free(d->touched);
    free(d->leaf_true);
    free(d);
}

const storm_value *storm_detector_identity(const storm_detector *d)
{
    return detect_sightings_identity(d->sightings);
}

/* ", client ADDR" after a place or scope, when the context has a client */
static void add_client(const storm_detect_context *c, char *buf, size_t cap)
{
    size_t n = strlen(buf);
    if (c && c->client && c->client[0] && n < cap)
        snprintf(buf + n, cap - n, ", client %s", c->client);
}

/* Where an observation happened, for people: the pod, else the node. */
static void place_of(const storm_detect_context *c, char *buf, size_t cap)
{
    if (c && c->pod)
        snprintf(buf, cap, "pod %s/%s", c->namespace_ ? c->namespace_ : "", c->pod);
    else if (c && c->node && c->node[0])
        snprintf(buf, cap, "node %s", c->node);
    else
        snprintf(buf, cap, "cluster");
    add_client(c, buf, cap);
}

/* The correlation scope of an observation, written into buf. */
static void scope_of(storm_detector *d, const storm_detect_context *c, char *buf, size_t cap)
{
    const char *node = c && c->node ? c->node : "";
    switch (d->opts.correlate) {
    case STORM_CORRELATE_GLOBAL: snprintf(buf, cap, "global"); return;
    case STORM_CORRELATE_NODE: snprintf(buf, cap, node[0] ? "node %s" : "cluster", node); return;
    case STORM_CORRELATE_LINEAGE:
        if (c && c->exec_id) {
            const char *root = detect_lineage_root(&d->lineage, c->exec_id, c->parent_exec_id);
            snprintf(buf, cap, "lineage %s", root);
            return;
        }
        /* no process key: the pod is the next best scope */
        __attribute__((fallthrough));
    case STORM_CORRELATE_POD:
    default:
        if (c && c->pod)
            snprintf(buf, cap, "pod %s/%s", c->namespace_ ? c->namespace_ : "", c->pod);
        else if (node[0])
            snprintf(buf, cap, "node %s", node);
        else /* API requests and alerts without a place: the cluster as a whole */
            snprintf(buf, cap, "cluster");
        add_client(c, buf, cap);
        return;
    }
}

static scope_state *state_get(storm_detector *d, size_t ind, const char *scope)
{
    char key[600];
    int n = snprintf(key, sizeof key, "%zu\x1f%s", ind, scope);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof key ? sizeof key - 1 : (size_t)n;
    scope_state *s = strmap_get(&d->states, key, len);
    if (s) {
        state_unlink(d, s);
        state_push_front(d, s);
        return s;
    }
    while (d->stats.scopes_held >= d->opts.scopes_cap && d->lru_tail)
        state_drop(d, d->lru_tail);
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->last_time = INT64_MIN;
    s->key = strndup(key, len);
    s->key_len = len;
    s->state = tstate_new(d->inds[ind].plan);
    if (!s->key || !s->state || strmap_put(&d->states, s->key, len, s) != 0) {
        tstate_free(s->state, NULL);
        free(s->key);
        free(s);
        return NULL;
    }
    state_push_front(d, s);
    d->stats.scopes_held++;
    return s;
}

/* Drop scope states idle beyond the horizon, and the least recently used
 * ones while more partial matches are held than allowed. */
static void sweep(storm_detector *d)
{
    /* by the stream's clock, not the state's own: inputs mix old and new
     * files, and a scope must not die just because another scope is newer */
    while (d->lru_tail && storm_time_sub(d->watermark, d->lru_tail->touched_at) > d->opts.horizon)
        state_drop(d, d->lru_tail);
    while (d->lru_tail && d->stats.states_held > d->opts.states_cap)
        state_drop(d, d->lru_tail);
}

/* What every event does to the detector, built or not: its time moves the
 * watermark (expiring sightings), its process joins its tree. */
static void account_event(storm_detector *d, storm_time_ns t, const storm_detect_context *ctx)
{
    d->stats.observations++;
    if (!d->have_watermark || t > d->watermark) {
        d->watermark = t;
        d->have_watermark = true;
    }
    detect_sightings_expire(d->sightings, d->watermark, &d->stats);
    if (d->opts.correlate == STORM_CORRELATE_LINEAGE && ctx && ctx->exec_id)
        detect_lineage_root(&d->lineage, ctx->exec_id, ctx->parent_exec_id);
}

bool storm_detector_wants(storm_detector *d, storm_arena *a, const storm_event *ev, const storm_stix_opts *opts,
                          const storm_detect_context *ctx)
{
    d->event_cand_valid = false;
    if (d->leaves_read_ids || !storm_stix_prefilter_observable(ev))
        return true;
    if (leaf_index_event_candidates(d->index, a, ev, opts, d->cand, &d->n_event_cand) != 0)
        return true;
    if (d->n_event_cand) {
        d->event_cand_valid = true;
        return true;
    }
    /* fed as an observation with no candidate would be */
    account_event(d, storm_stix_event_time(ev, opts), ctx);
    d->stats.prefiltered++;
    if (d->lru_tail)
        sweep(d);
    return false;
}

/* A complete match into the sightings, or to the tap. */
static void record_match(storm_detector *d, const ind_rt *r, const char *scope, const char *place,
                         const storm_observation *const *obs, size_t n, storm_time_ns tmin, storm_time_ns tmax,
                         bool obs_fed)
{
    if (d->match_tap) {
        storm_detect_match m = {r->ind, scope, place, obs, n, tmin, tmax, obs_fed};
        d->match_tap(d->match_tap_ctx, &m);
        return;
    }
    detect_sightings_record(d->sightings, r->ind, scope, place, obs, n, tmin, tmax, &d->stats);
}

static storm_rc feed(storm_detector *d, const storm_observation *obs, const storm_detect_context *ctx, bool from_event,
                     storm_err *err)
{
    storm_time_ns t = obs->first_observed;
    account_event(d, t, ctx);
    if (++d->gen == 0) {
        memset(d->leaf_gen, 0, leaf_index_count(d->index) * sizeof *d->leaf_gen);
        memset(d->ind_gen, 0, d->n_inds * sizeof *d->ind_gen);
        d->gen = 1;
    }
    /* Ids left pending by the observation builder (lazy_ids) are computed
     * only for observations that something reads. Leaves that name no id
     * evaluate alike on the placeholders (unique within the observation, so
     * references resolve to the same objects): the ids wait until a leaf
     * holds and the observation may be kept or listed as evidence. Most
     * candidates hold no leaf (on a node's normal noise, 19 of 20). */
    if (d->leaves_read_ids)
        storm_stix_observation_finish(obs);
    /* the candidates the event gave (storm_detector_wants), else the
     * observation's */
    size_t nc = from_event ? d->n_event_cand : leaf_index_candidates(d->index, obs, d->cand);
    d->stats.candidates += nc;
    size_t n_touched = 0;
    for (size_t i = 0; i < nc; i++) {
        uint32_t l = d->cand[i];
        int r = leaf_index_eval(d->index, l, obs);
        if (r < 0)
            d->stats.match_errors++;
        if (r != 1)
            continue;
        d->leaf_gen[l] = d->gen;
        for (size_t k = d->users_start[l]; k < d->users_start[l + 1]; k++) {
            uint32_t ind = d->users[k];
            if (d->ind_gen[ind] != d->gen) {
                d->ind_gen[ind] = d->gen;
                d->touched[n_touched++] = ind;
            }
        }
    }
    if (!n_touched) {
        if (d->lru_tail)
            sweep(d);
        return STORM_OK;
    }
    storm_stix_observation_finish(obs);
    d->stats.observations_matched++;
    /* indicators in the order they were loaded, whatever order the index
     * found them in (hash slots, Hyperscan databases and their groups): the
     * sightings of one event come out in a stable order */
    if (n_touched > 1)
        qsort(d->touched, n_touched, sizeof *d->touched, cmp_u32);
    char scope[512], place[512];
    scope_of(d, ctx, scope, sizeof scope);
    place_of(ctx, place, sizeof place);
    if (strncmp(scope, "lineage ", 8) == 0) {
        /* the scope is an exec id: say which process tree, readably */
        char tree[300];
        size_t pl = strlen(place);
        if (detect_lineage_describe(scope + 8, tree, sizeof tree))
            snprintf(place + pl, sizeof place - pl, ", process tree of %s", tree);
    }
    kept_obs *cur = NULL;
    for (size_t i = 0; i < n_touched; i++) {
        ind_rt *r = &d->inds[d->touched[i]];
        /* expired as of the event's own time (STIX: not to be used after
         * valid_until), so that a replayed recording is judged as it was */
        if (r->ind->valid_until && t >= r->ind->valid_until)
            continue;
        for (unsigned k = 0; k < r->n_leaves; k++)
            d->leaf_true[k] = d->leaf_gen[r->leaf_ids[k]] == d->gen;
        if (r->stateless) {
            if (tplan_eval_single(r->plan, d->leaf_true, t)) {
                d->stats.matches++;
                const storm_observation *one[1] = {obs};
                record_match(d, r, scope, place, one, 1, t, t, true);
            }
            continue;
        }
        if (!cur) {
            cur = kept_obs_new(d->packer, obs);
            if (!cur)
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory keeping an observation");
        }
        scope_state *s = state_get(d, d->touched[i], scope);
        if (!s)
            continue;
        s->last_time = t > s->last_time ? t : s->last_time;
        s->touched_at = d->watermark;
        tcounters c = {0, 0};
        tmatch *m[TEMPORAL_NEW_MAX];
        size_t nm = tstate_feed(s->state, r->plan, cur, d->leaf_true, s->last_time, d->opts.state_cap, &c, m);
        d->stats.states_evicted += c.evicted;
        d->stats.states_held += c.held;
        for (size_t k = 0; k < nm; k++) {
            d->stats.matches++;
            /* the held observations are packed: rebuilt for the sighting */
            storm_observation held[TMATCH_MAX_OBS];
            const storm_observation *list[TMATCH_MAX_OBS];
            storm_arena_reset(d->unpacked);
            bool ok = true;
            for (uint32_t j = 0; j < m[k]->n && ok; j++) {
                ok = kept_obs_unpack(m[k]->obs[j], d->unpacked, &held[j]);
                list[j] = &held[j];
            }
            if (!ok) {
                for (size_t j = k; j < nm; j++)
                    tmatch_release(m[j]);
                kept_obs_unref(cur);
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory rebuilding a held observation");
            }
            record_match(d, r, scope, place, list, m[k]->n, m[k]->tmin, m[k]->tmax, false);
            tmatch_release(m[k]);
        }
    }
    kept_obs_unref(cur);
    detect_sightings_enforce_cap(d->sightings, &d->stats);
    sweep(d);
    return STORM_OK;
}

storm_rc storm_detector_feed(storm_detector *d, const storm_observation *obs, const storm_detect_context *ctx,
                             storm_err *err)
{
    d->event_cand_valid = false;
    return feed(d, obs, ctx, false, err);
}

storm_rc storm_detector_feed_wanted(storm_detector *d, const storm_observation *obs, const storm_detect_context *ctx,
                                    storm_err *err)
{
    bool from_event = d->event_cand_valid;
    d->event_cand_valid = false;
    return feed(d, obs, ctx, from_event, err);
}

void storm_detector_flush(storm_detector *d)
{
    detect_sightings_flush(d->sightings, &d->stats);
}

void storm_detector_advance(storm_detector *d, storm_time_ns t)
{
    if (!d->have_watermark || t > d->watermark) {
        d->watermark = t;
        d->have_watermark = true;
    }
    detect_sightings_expire(d->sightings, d->watermark, &d->stats);
    /* as after an event fed: scopes idle beyond the horizon are dropped
     * now, not found again by this detector's next event */
    if (d->lru_tail)
        sweep(d);
}

void storm_detector_tap_matches(storm_detector *d, storm_detect_match_fn fn, void *ctx)
{
    d->match_tap = fn;
    d->match_tap_ctx = ctx;
}

void storm_detector_record_match(storm_detector *d, const storm_detect_match *m)
{
    detect_sightings_record(d->sightings, m->indicator, m->scope, m->place, m->obs, m->n_obs, m->tmin, m->tmax,
                            &d->stats);
}

void storm_detector_record_done(storm_detector *d)
{
    detect_sightings_enforce_cap(d->sightings, &d->stats);
}

void storm_detector_emit_pending(storm_detector *d)
{
    detect_sightings_emit_pending(d->sightings, &d->stats);
}

storm_time_ns storm_detector_held_since(const storm_detector *d)
{
    storm_time_ns t = detect_sightings_oldest(d->sightings);
    for (const scope_state *s = d->lru_head; s; s = s->next) {
        storm_time_ns o = s->state ? tstate_oldest(s->state) : INT64_MAX;
        if (o < t)
            t = o;
    }
    return t;
}

void storm_detector_get_stats(const storm_detector *d, storm_detect_stats *out)
{
    *out = d->stats;
}
