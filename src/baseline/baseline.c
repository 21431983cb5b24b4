/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline: a sorted table of profiles, learning, checking, hand edits
 * and the representativeness accessors (include/storm/baseline.h). */
#include "baseline_int.h"

#include <storm/array.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *storm_baseline_verdict_name(storm_baseline_verdict v)
{
    switch (v) {
    case STORM_BASELINE_EXPLAINED: return "explained";
    case STORM_BASELINE_UNEXPLAINED: return "unexplained";
    default: return "unprofiled";
    }
}

storm_rc storm_baseline_open(storm_store *store, const storm_baseline_opts *opts, storm_baseline **out, storm_err *err)
{
    *out = NULL;
    storm_baseline *b = calloc(1, sizeof *b);
    if (!b)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory opening the baseline");
    if (opts)
        b->opts = *opts;
    if (!b->opts.max_profiles)
        b->opts.max_profiles = BL_DEFAULT_MAX_PROFILES;
    if (!b->opts.max_features)
        b->opts.max_features = BL_DEFAULT_MAX_FEATURES;
    if (!b->opts.settle_events)
        b->opts.settle_events = BL_DEFAULT_SETTLE_EVENTS;
    if (!b->opts.collapse_threshold)
        b->opts.collapse_threshold = BL_DEFAULT_COLLAPSE_THRESHOLD;
    b->store = store;
    if (store) {
        storm_rc rc = bl_db_load(b, err); /* the store's migrations made the tables */
        if (rc != STORM_OK) {
            storm_baseline_close(b);
            return rc;
        }
    }
    *out = b;
    return STORM_OK;
}

void storm_baseline_close(storm_baseline *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_profiles; i++)
        bl_profile_free(b->profiles[i]);
    free(b->profiles);
    free(b->index);
    while (b->gone) {
        bl_gone *g = b->gone;
        b->gone = g->next;
        free(g->key);
        free(g);
    }
    if (b->owns_store)
        storm_store_close(b->store);
    free(b);
}

storm_rc storm_baseline_save(storm_baseline *b, storm_err *err)
{
    if (!b->store || b->opts.read_only)
        return STORM_OK;
    return bl_db_save(b, err);
}

/* Binary search; *at gets the insertion point. */
static bl_profile *lookup(const storm_baseline *b, const char *key, size_t *at)
{
    size_t lo = 0, hi = b->n_profiles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(b->profiles[mid]->key, key);
        if (c == 0) {
            if (at)
                *at = mid;
            return b->profiles[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (at)
        *at = lo;
    return NULL;
}

/* ---- the profile index (by key hash) ---- */

static void index_put(bl_profile **idx, size_t cap, bl_profile *p)
{
    size_t s = (size_t)p->key_hash & (cap - 1);
    while (idx[s])
        s = (s + 1) & (cap - 1);
    idx[s] = p;
}

/* Rebuild the index with room for want profiles; false (index dropped, the
 * binary search takes over) when memory runs out. */
static bool index_rebuild(storm_baseline *b, size_t want)
{
    size_t cap = 64;
    while (cap < want * 2)
        cap *= 2;
    bl_profile **idx = calloc(cap, sizeof *idx);
    free(b->index);
    b->index = idx;
    b->index_cap = idx ? cap : 0;
    if (!idx)
        return false;
    for (size_t i = 0; i < b->n_profiles; i++)
        index_put(idx, cap, b->profiles[i]);
    return true;
}

/* Linear-probing delete: empty the slot, then re-place the rest of its cluster. */
static void index_remove(storm_baseline *b, const bl_profile *p)
{
    if (!b->index)
        return;
    size_t mask = b->index_cap - 1, s = (size_t)p->key_hash & mask;
    while (b->index[s] && b->index[s] != p)
        s = (s + 1) & mask;
    if (!b->index[s])
        return;
    b->index[s] = NULL;
    for (s = (s + 1) & mask; b->index[s]; s = (s + 1) & mask) {
        bl_profile *q = b->index[s];
        b->index[s] = NULL;
        index_put(b->index, b->index_cap, q);
    }
}

bl_profile *bl_find_profile_n(const storm_baseline *b, const char *key, size_t len)
{
    if (!b->index)
        return b->n_profiles ? lookup(b, key, NULL) : NULL;
    uint64_t h = bl_hash(key, len);
    size_t mask = b->index_cap - 1;
    for (size_t s = (size_t)h & mask; b->index[s]; s = (s + 1) & mask) {
        const bl_profile *p = b->index[s];
        if (p->key_hash == h && p->key_len == len && memcmp(p->key, key, len) == 0)
            return b->index[s];
    }
    return NULL;
}

bl_profile *bl_find_profile(const storm_baseline *b, const char *key)
{
    return bl_find_profile_n(b, key, strlen(key));
}

bl_profile *bl_get_profile(storm_baseline *b, const char *key, const char *origin, bool *full)
{
    size_t at;
    *full = false;
    bl_profile *p = bl_find_profile(b, key);
    if (p)
        return p;
    if (b->n_profiles >= b->opts.max_profiles) {
        *full = true;
        return NULL;
    }
    if (STORM_ARRAY_GROW(b->profiles, b->n_profiles + 1, b->profiles_alloc, 16))
        return NULL;
    p = bl_profile_new(key, origin);
    if (!p)
        return NULL;
    lookup(b, key, &at);
    memmove(b->profiles + at + 1, b->profiles + at, (b->n_profiles - at) * sizeof *b->profiles);
    b->profiles[at] = p;
    b->n_profiles++;
    b->generation++;
    if (b->index && b->n_profiles * 2 <= b->index_cap)
        index_put(b->index, b->index_cap, p);
    else
        index_rebuild(b, b->n_profiles); /* on failure lookups use the binary search */
    return p;
}

storm_rc bl_add_entry(storm_baseline *b, bl_profile *p, const char *text, bool deny, uint64_t hits,
                      storm_time_ns first_seen, bool *created)
{
    bool made = false;
    if (created)
        *created = false;
    /* a deny may always be recorded: it only makes the profile stricter */
    if (p->live >= b->opts.max_features && !deny) {
        const bl_feature *there = bl_profile_find(p, text, strlen(text), bl_hash(text, strlen(text)));
        if (there && !there->removed)
            return STORM_OK;
        p->overflow++;
        b->stats.feature_overflow++;
        p->dirty = true;
        return STORM_ERR_LIMIT;
    }
    bl_feature *f = bl_profile_add(p, text, strlen(text), &made);
    if (!f)
        return STORM_ERR_NOMEM;
    if (f->denied != deny) {
        f->denied = deny;
        f->dirty = true;
        p->dirty = true;
        if (deny)
            p->denied++;
        else if (p->denied)
            p->denied--;
    } else if (made && deny) {
        p->denied++;
    }
    if (made) {
        f->hits = hits;
        f->first_seen = first_seen;
    }
    if (created)
        *created = made;
    return STORM_OK;
}

storm_rc storm_baseline_learn(storm_baseline *b, const storm_event *ev, size_t *new_features, storm_err *err)
{
    char key[STORM_BASELINE_KEY_MAX];
    if (new_features)
        *new_features = 0;
    b->stats.learned++;
    if (!storm_baseline_workload_key(ev, key, sizeof key)) {
        b->stats.learned_unattributed++;
        return STORM_OK;
    }
    bool full;
    bl_profile *p = bl_get_profile(b, key, "learned", &full);
    if (!p) {
        if (full) {
            b->stats.profile_overflow++;
            return STORM_OK;
        }
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory learning a profile for %s", key);
    }
    bl_features fs;
    bl_event_features(ev, &fs);
    storm_time_ns t = ev->has_time ? ev->time : 0;
    p->events_learned++;
    p->dirty = true;
    if (t) {
        if (!p->first_seen || t < p->first_seen)
            p->first_seen = t;
        if (t > p->last_seen)
            p->last_seen = t;
    }
    size_t added = 0;
    for (size_t i = 0; i < fs.n; i++) {
        uint64_t h = bl_hash(fs.text[i], fs.len[i]);
        bl_feature *f = bl_profile_find(p, fs.text[i], fs.len[i], h);
        if (f && !f->removed) {
            /* a denied feature stays denied: learning does not bring it back */
            f->hits++;
            f->dirty = true;
            continue;
        }
        bool is_file = fs.len[i] > 5 && memcmp(fs.text[i], "file ", 5) == 0;
        if (is_file && p->n_patterns && (f = bl_collapsed_by(p, fs.text[i]))) {
            /* a file of a collapsed directory: already covered */
            f->hits++;
            f->dirty = true;
            continue;
        }
        bool made = false;
        storm_rc rc = bl_add_entry(b, p, fs.text[i], false, 1, t, &made);
        if (rc == STORM_OK && made && is_file)
            rc = bl_collapse_after_add(b, p, fs.text[i], fs.len[i]);
        if (rc == STORM_ERR_NOMEM)
            return storm_err_set(err, rc, 0, "out of memory learning a feature of %s", key);
        if (made)
            added++;
    }
    if (added) {
        p->events_at_last_new = p->events_learned;
        if (t)
            p->last_new_feature = t;
    }
    if (new_features)
        *new_features = added;
    return STORM_OK;
}

static bool settled(const storm_baseline *b, const bl_profile *p)
{
    uint64_t since = p->events_learned - p->events_at_last_new;
    return since >= b->opts.settle_events && since * 2 >= p->events_learned;
}

storm_baseline_verdict storm_baseline_check(storm_baseline *b, const storm_event *ev, storm_baseline_result *res)
{
    char keybuf[STORM_BASELINE_KEY_MAX];
    char *key = res ? res->workload : keybuf;
    if (res) {
        res->feature[0] = '\0';
        res->reason[0] = '\0';
        res->denied = false;
        res->settled = false;
    }
    b->stats.checked++;
    bl_profile *p = NULL;
    bl_last_key *last = &b->last;
    if (bl_last_key_match(last, ev)) {
        /* the same pod and container as the last event: same key */
        if (res)
            memcpy(key, last->key, last->key_len + 1);
        if (last->generation != b->generation) {
            last->profile = bl_find_profile_n(b, last->key, last->key_len);
            last->generation = b->generation;
        }
        p = last->profile;
    } else {
        bl_out ko;
        bl_out_init(&ko, key, STORM_BASELINE_KEY_MAX);
        if (bl_workload_key(ev, &ko))
            p = bl_find_profile_n(b, key, ko.len);
        bl_last_key_store(last, ev, key, ko.len);
        last->profile = p;
        last->generation = b->generation;
    }
    if (!p) {
        b->stats.unprofiled++;
        if (res)
            res->verdict = STORM_BASELINE_UNPROFILED;
        return STORM_BASELINE_UNPROFILED;
    }
    bl_features fs;
    bl_event_features(ev, &fs);
    for (size_t i = 0; i < fs.n; i++) {
        bool denied;
        if (bl_profile_explains(p, fs.text[i], fs.len[i], &denied))
            continue;
        p->unexplained++;
        p->dirty = true;
        b->stats.unexplained++;
        if (res) {
            res->verdict = STORM_BASELINE_UNEXPLAINED;
            res->denied = denied;
            res->settled = settled(b, p);
            snprintf(res->feature, sizeof res->feature, "%s", fs.text[i]);
            snprintf(res->reason, sizeof res->reason, "%s: %s %s the profile (%s, %llu events learned)", p->key,
                     fs.text[i], denied ? "is denied by" : "is not in", res->settled ? "settled" : "still learning",
                     (unsigned long long)p->events_learned);
        }
        return STORM_BASELINE_UNEXPLAINED;
    }
    p->explained++;
    p->dirty = true;
    b->stats.explained++;
    if (res) {
        res->verdict = STORM_BASELINE_EXPLAINED;
        res->settled = settled(b, p);
    }
    return STORM_BASELINE_EXPLAINED;
}

/* ---- hand edits ---- */

static const char *const feature_kinds[] = {"exec", "file", "net", "hook", "api", "syscall", "cap", "alert", "event"};

bool bl_feature_parse(const char *text, bl_out *out, storm_err *err)
{
    while (*text == ' ' || *text == '\t')
        text++;
    const char *sp = strchr(text, ' ');
    size_t kl = sp ? (size_t)(sp - text) : strlen(text);
    bool known = false;
    for (size_t i = 0; i < sizeof feature_kinds / sizeof feature_kinds[0]; i++)
        if (strlen(feature_kinds[i]) == kl && strncmp(text, feature_kinds[i], kl) == 0)
            known = true;
    if (!known) {
        storm_err_set(err, STORM_ERR_VALUE, 0,
                      "feature '%.60s' must start with a kind: exec, file, net, hook, api, syscall, cap, alert or "
                      "event",
                      text);
        return false;
    }
    const char *value = sp ? sp + 1 : "";
    while (*value == ' ')
        value++;
    size_t vl = strlen(value);
    while (vl && (value[vl - 1] == ' ' || value[vl - 1] == '\n' || value[vl - 1] == '\r' || value[vl - 1] == '\t'))
        vl--;
    if (!vl) {
        storm_err_set(err, STORM_ERR_VALUE, kl, "feature '%.*s' has no value after its kind", (int)kl, text);
        return false;
    }
    if (kl + 1 + vl >= STORM_BASELINE_FEATURE_MAX) {
        storm_err_set(err, STORM_ERR_LIMIT, 0, "feature is longer than %d bytes", STORM_BASELINE_FEATURE_MAX - 1);
        return false;
    }
    for (size_t i = 0; i < vl; i++)
        if ((unsigned char)value[i] < 0x20) {
            storm_err_set(err, STORM_ERR_VALUE, kl + 1 + i, "feature holds a control character at byte %zu",
                          kl + 1 + i);
            return false;
        }
    if (kl == 3 && strncmp(text, "net", 3) == 0) {
        size_t fields = 1;
        for (size_t i = 0; i < vl; i++)
            if (value[i] == ' ')
                fields++;
        if (fields != 4) {
            storm_err_set(err, STORM_ERR_VALUE, kl + 1,
                          "a net feature is 'net <egress|ingress> <protocol> <peer> <port>' (4 fields, got %zu)",
                          fields);
            return false;
        }
    }
    /* stored as written (no normalisation): hand entries may name placeholders
     * ("<n>") or wildcards themselves */
    bl_out_putn(out, text, kl);
    bl_out_putc(out, ' ');
    bl_out_putn(out, value, vl);
    return !out->truncated;
}

static storm_rc hand_edit(storm_baseline *b, const char *workload, const char *feature, bool deny, storm_err *err)
{
    char buf[STORM_BASELINE_FEATURE_MAX];
    bl_out o;
    bl_out_init(&o, buf, sizeof buf);
    if (!workload || !*workload || strlen(workload) >= STORM_BASELINE_KEY_MAX)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "a workload key is needed (see 'storm baseline show')");
    if (!bl_feature_parse(feature, &o, err))
        return err ? err->rc : STORM_ERR_VALUE;
    bool full;
    bl_profile *p = bl_get_profile(b, workload, "hand", &full);
    if (!p)
        return full ? storm_err_set(err, STORM_ERR_LIMIT, 0, "the baseline already holds %zu profiles (the cap)",
                                    b->opts.max_profiles)
                    : storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_rc rc = bl_add_entry(b, p, buf, deny, 0, 0, NULL);
    if (rc == STORM_ERR_LIMIT)
        return storm_err_set(err, rc, 0, "profile %s already holds %zu features (the cap)", workload,
                             b->opts.max_features);
    if (rc != STORM_OK)
        return storm_err_set(err, rc, 0, "out of memory");
    return STORM_OK;
}

storm_rc storm_baseline_allow(storm_baseline *b, const char *workload, const char *feature, storm_err *err)
{
    return hand_edit(b, workload, feature, false, err);
}

storm_rc storm_baseline_deny(storm_baseline *b, const char *workload, const char *feature, storm_err *err)
{
    return hand_edit(b, workload, feature, true, err);
}

storm_rc storm_baseline_forget(storm_baseline *b, const char *workload, storm_err *err)
{
    size_t at;
    bl_profile *p = lookup(b, workload, &at);
    if (!p)
        return storm_err_set(err, STORM_ERR_NOTFOUND, 0, "no profile for workload '%s'", workload);
    if (p->row_id) {
        bl_gone *g = calloc(1, sizeof *g);
        if (!g || !(g->key = strdup(p->key))) {
            free(g);
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
        }
        g->next = b->gone;
        b->gone = g;
    }
    index_remove(b, p);
    b->generation++;
    bl_profile_free(p);
    memmove(b->profiles + at, b->profiles + at + 1, (b->n_profiles - at - 1) * sizeof *b->profiles);
    b->n_profiles--;
    return STORM_OK;
}

/* ---- representativeness ---- */

static void fill_info(const storm_baseline *b, const bl_profile *p, storm_baseline_profile_info *o)
{
    memset(o, 0, sizeof *o);
    o->workload = p->key;
    o->origin = p->origin;
    o->events_learned = p->events_learned;
    o->n_features = p->live - p->denied;
    o->n_denied = p->denied;
    o->events_at_last_new = p->events_at_last_new;
    o->first_seen = p->first_seen;
    o->last_seen = p->last_seen;
    o->last_new_feature = p->last_new_feature;
    o->overflow = p->overflow;
    o->explained = p->explained;
    o->unexplained = p->unexplained;
    o->settled = settled(b, p);
}

size_t storm_baseline_profile_count(const storm_baseline *b)
{
    return b->n_profiles;
}

bool storm_baseline_profile_at(const storm_baseline *b, size_t i, storm_baseline_profile_info *out)
{
    if (i >= b->n_profiles)
        return false;
    fill_info(b, b->profiles[i], out);
    return true;
}

bool storm_baseline_profile_get(const storm_baseline *b, const char *workload, storm_baseline_profile_info *out)
{
    const bl_profile *p = bl_find_profile(b, workload);
    if (!p)
        return false;
    fill_info(b, p, out);
    return true;
}

storm_rc storm_baseline_features(const storm_baseline *b, const char *workload,
                                 void (*fn)(void *ctx, const storm_baseline_feature_info *f), void *ctx)
{
    const bl_profile *p = bl_find_profile(b, workload);
    if (!p)
        return STORM_ERR_NOTFOUND;
    for (size_t i = 0; i < p->n; i++) {
        const bl_feature *f = p->items[i];
        if (f->removed)
            continue;
        storm_baseline_feature_info fi = {f->text, f->denied, f->hits, f->first_seen};
        fn(ctx, &fi);
    }
    return STORM_OK;
}

void storm_baseline_get_stats(const storm_baseline *b, storm_baseline_stats *out)
{
    *out = b->stats;
    out->profiles = b->n_profiles;
}
