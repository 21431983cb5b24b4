/* SPDX-License-Identifier: Apache-2.0 */
/* Evaluation of comparison expressions (the inside of one [...]) against
 * one observation, and storm_pattern_match, which evaluates every leaf
 * against every observation and hands the hits to the binding search
 * (temporal.c).
 *
 * A leaf holds on an observation when its comparison expression holds on
 * one of the observation's objects (the "root"): AND needs both sides on the
 * same root, OR either. A test holds on a root of its object type when the
 * object path selects at least one value for which the operator holds
 * (NOT flips the operator's result per value); a path that selects nothing
 * never holds, not even with '!=' or NOT. Paths follow the reference
 * matcher: [n] and [*] step into lists, *_ref and *_refs resolve only to
 * objects of the same observation, *_hex and *_bin values are binary. */
#include <stdlib.h>
#include <string.h>

#include <storm/pattern_plan.h>
#include "match_int.h"
#include <storm/codec.h>

#define MATCH_MAX_CELLS (1u << 30)

typedef struct walk {
    const pat_cmp *t;
    const storm_observation *obs;
    storm_err *err;
} walk;

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int eval_value(walk *w, const path_value *pv)
{
    int r = compare_value(w->t, pv, w->err);
    if (r < 0)
        return -1;
    return w->t->negated ? !r : r;
}

/* Decode a _hex or _bin property value into out (caller frees). */
static bool decode_binary(const char *s, size_t len, bool hex, uint8_t **out, size_t *out_len)
{
    uint8_t *buf = malloc(len / 2 + len + 1);
    size_t n = 0;
    if (!buf)
        return false;
    if (hex) {
        if (len % 2)
            goto bad;
        for (size_t i = 0; i < len; i += 2) {
            int hi = codec_hex_digit((unsigned char)s[i]), lo = codec_hex_digit((unsigned char)s[i + 1]);
            if (hi < 0 || lo < 0)
                goto bad;
            buf[n++] = (uint8_t)(hi << 4 | lo);
        }
    } else {
        if (len % 4)
            goto bad;
        for (size_t i = 0; i < len; i += 4) {
            int v[4];
            for (int k = 0; k < 4; k++)
                v[k] = s[i + k] == '=' ? -2 : codec_base64_digit((unsigned char)s[i + k]);
            if (v[0] < 0 || v[1] < 0 || v[2] == -1 || v[3] == -1 || (v[2] == -2 && v[3] != -2) ||
                ((v[2] == -2 || v[3] == -2) && i + 4 != len))
                goto bad;
            buf[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
            if (v[2] >= 0)
                buf[n++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
            if (v[3] >= 0)
                buf[n++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
        }
    }
    *out = buf;
    *out_len = n;
    return true;
bad:
    free(buf);
    return false;
}

static int walk_steps(walk *w, const storm_value *v, size_t step, bool ref_list);

/* Apply the remaining steps to the value a key step selected. */
static int after_key(walk *w, const pat_step *st, const storm_value *child, size_t step)
{
    const pat_path *path = &w->t->path;
    bool last = step + 1 == path->n_steps;
    if (ends_with(st->key, st->key_len, "_ref")) {
        if (child->type != STORM_V_STRING) {
            storm_err_set(w->err, STORM_ERR_VALUE, st->span.start,
                          "the data's '%s' is not a string, so it cannot be followed as a reference", st->key);
            return -1;
        }
        const storm_value *target = storm_observation_resolve(w->obs, child->u.s.ptr, child->u.s.len);
        return target ? walk_steps(w, target, step + 1, false) : 0;
    }
    if (ends_with(st->key, st->key_len, "_refs")) {
        if (child->type != STORM_V_ARRAY) {
            storm_err_set(w->err, STORM_ERR_VALUE, st->span.start,
                          "the data's '%s' is not a list, so it cannot be followed as references", st->key);
            return -1;
        }
        for (size_t i = 0; i < child->u.a.len; i++)
            if (child->u.a.items[i]->type != STORM_V_STRING) {
                storm_err_set(w->err, STORM_ERR_VALUE, st->span.start,
                              "the data's '%s' has an element that is not a string reference", st->key);
                return -1;
            }
        return walk_steps(w, child, step + 1, true);
    }
    if (last && child->type == STORM_V_STRING &&
        (ends_with(st->key, st->key_len, "_hex") || ends_with(st->key, st->key_len, "_bin"))) {
        uint8_t *bin;
        size_t blen;
        bool hex = ends_with(st->key, st->key_len, "_hex");
        if (!decode_binary(child->u.s.ptr, child->u.s.len, hex, &bin, &blen)) {
            storm_err_set(w->err, STORM_ERR_VALUE, st->span.start, "the data's '%s' is not valid %s", st->key,
                          hex ? "hexadecimal" : "base64");
            return -1;
        }
        path_value pv = {.v = NULL, .bin = bin, .bin_len = blen};
        int r = eval_value(w, &pv);
        free(bin);
        return r;
    }
    return walk_steps(w, child, step + 1, false);
}

/* ref_list: v is a *_refs list whose elements are still references. */
static int walk_steps(walk *w, const storm_value *v, size_t step, bool ref_list)
{
    const pat_path *path = &w->t->path;
    if (step == path->n_steps) {
        path_value pv = {.v = v};
        return eval_value(w, &pv);
    }
    const pat_step *st = &path->steps[step];
    switch (st->kind) {
    case PAT_STEP_KEY: {
        if (ref_list || v->type != STORM_V_OBJECT)
            return 0;
        const storm_value *child = storm_v_getn(v, st->key, st->key_len);
        return child ? after_key(w, st, child, step) : 0;
    }
    case PAT_STEP_INDEX: {
        if (v->type != STORM_V_ARRAY || st->index < 0)
            return 0;
        if (!ref_list)
            return (size_t)st->index < v->u.a.len ? walk_steps(w, v->u.a.items[st->index], step + 1, false) : 0;
        /* the reference drops unresolved references before indexing */
        int64_t seen = 0;
        for (size_t i = 0; i < v->u.a.len; i++) {
            const storm_value *r = v->u.a.items[i];
            const storm_value *target = storm_observation_resolve(w->obs, r->u.s.ptr, r->u.s.len);
            if (target && seen++ == st->index)
                return walk_steps(w, target, step + 1, false);
        }
        return 0;
    }
    case PAT_STEP_ANY:
        if (v->type != STORM_V_ARRAY)
            return 0;
        for (size_t i = 0; i < v->u.a.len; i++) {
            const storm_value *e = v->u.a.items[i];
            if (ref_list) {
                e = storm_observation_resolve(w->obs, e->u.s.ptr, e->u.s.len);
                if (!e)
                    continue;
            }
            int r = walk_steps(w, e, step + 1, false);
            if (r != 0)
                return r;
        }
        return 0;
    }
    return 0;
}

static int eval_test(const pat_cmp *t, const storm_observation *obs, const storm_value *root, const char *type,
                     size_t type_len, storm_err *err)
{
    if (!type || type_len != t->path.object_type_len || memcmp(type, t->path.object_type, type_len) != 0)
        return 0;
    walk w = {.t = t, .obs = obs, .err = err};
    if (t->op == PAT_OP_EXISTS) {
        /* evaluate "some value exists" without the NOT, then apply it */
        pat_cmp probe = *t;
        probe.negated = false;
        w.t = &probe;
        int r = walk_steps(&w, root, 0, false);
        if (r < 0)
            return -1;
        return t->negated ? !r : r;
    }
    return walk_steps(&w, root, 0, false);
}

/* exhaustive: evaluate both sides of AND/OR even when one decides, so that
 * a value that cannot be compared is reported wherever it is, as the
 * reference matcher does (used by storm_pattern_match; streaming stops early). */
static int eval_cmp(const pat_cmp *c, const storm_observation *obs, const storm_value *root, const char *type,
                    size_t type_len, bool exhaustive, storm_err *err)
{
    while (c->kind != PAT_CMP_TEST) {
        int l = eval_cmp(c->left, obs, root, type, type_len, exhaustive, err);
        if (l < 0)
            return -1;
        if (exhaustive) {
            int r = eval_cmp(c->right, obs, root, type, type_len, exhaustive, err);
            if (r < 0)
                return -1;
            return c->kind == PAT_CMP_AND ? (l && r) : (l || r);
        }
        if (c->kind == PAT_CMP_AND ? !l : l)
            return l;
        c = c->right;
    }
    return eval_test(c, obs, root, type, type_len, err);
}

/* 1: the leaf holds on obs, 0: it does not, -1: error (err set).
 * exhaustive: go on through every object after a hit (see eval_cmp). */
static int eval_leaf(const storm_pattern *p, unsigned leaf, const storm_observation *obs, bool exhaustive,
                     storm_err *err)
{
    int hit = 0;
    const pat_cmp *cmp = p->leaves[leaf]->cmp;
    const pattern_compiled *pc = p->compiled;
    const char *want = pc->leaf_type[leaf];
    size_t want_len = pc->leaf_type_len[leaf];
    for (size_t i = 0; i < obs->n_objects; i++) {
        const storm_value *root = obs->objects[i].value;
        if (!root || root->type != STORM_V_OBJECT)
            continue;
        const storm_value *type = storm_v_get(root, "type");
        if (!type || type->type != STORM_V_STRING)
            continue;
        /* most leaves name one object type: skip other objects at once */
        if (want && (type->u.s.len != want_len || memcmp(type->u.s.ptr, want, want_len) != 0))
            continue;
        int r = eval_cmp(cmp, obs, root, type->u.s.ptr, type->u.s.len, exhaustive, err);
        if (r < 0) {
            if (err)
                storm_err_locate(err, p->text, p->len);
            return -1;
        }
        if (r > 0) {
            if (!exhaustive)
                return 1;
            hit = 1;
        }
    }
    return hit;
}

/* --- leaf-by-leaf evaluation (storm/pattern_plan.h) ---------------------- */

bool pattern_is_single_leaf(const storm_pattern *p)
{
    return p && p->root && p->root->kind == PAT_OBS_LEAF;
}

bool pattern_leaf_match(const storm_pattern *p, unsigned leaf, const storm_observation *obs, storm_err *err)
{
    if (!p || !obs || leaf >= p->n_leaves || !p->compiled) {
        storm_err_set(err, STORM_ERR_STATE, 0, "pattern_leaf_match: no such leaf or pattern not compiled");
        return false;
    }
    return eval_leaf(p, leaf, obs, false, err) > 0;
}

storm_rc pattern_check_late(const storm_pattern *p, storm_err *err)
{
    const pattern_compiled *pc = p ? p->compiled : NULL;
    if (!pc)
        return storm_err_set(err, STORM_ERR_STATE, 0, "pattern not compiled");
    if (pc->late_rc == STORM_OK)
        return STORM_OK;
    storm_err_set(err, pc->late_rc, pc->late_offset, "%s", pc->late_msg);
    if (err && err->offset == pc->late_offset) {
        err->len = pc->late_len;
        storm_err_locate(err, p->text, p->len);
    }
    return pc->late_rc;
}

int64_t pattern_horizon_ns(const storm_pattern *p)
{
    const pattern_compiled *pc = p ? p->compiled : NULL;
    int64_t best = 0;
    if (!pc)
        return 0;
    for (unsigned id = 0; id < pc->n_nodes; id++) {
        const pat_obs *o = pc->nodes[id];
        int64_t h = 0;
        if (o->kind == PAT_OBS_WITHIN)
            h = pc->within_us[id] > INT64_MAX / 1000 ? INT64_MAX : pc->within_us[id] * 1000;
        else if (o->kind == PAT_OBS_STARTSTOP && o->stop > o->start)
            h = o->stop - o->start;
        if (h > best)
            best = h;
    }
    return best;
}

storm_rc pattern_match_hits(const storm_pattern *p, const storm_observation *obs, size_t n, const uint8_t *const *hits,
                            storm_match *out, storm_err *err)
{
    if (!out)
        return storm_err_set(err, STORM_ERR_STATE, 0, "no result to fill");
    memset(out, 0, sizeof *out);
    storm_rc rc = pattern_check_late(p, err);
    if (rc != STORM_OK)
        return rc;
    return temporal_search(p, obs, n, hits, out, err);
}

/* --- public API ----------------------------------------------------------- */

storm_rc storm_pattern_match(const storm_pattern *p, const storm_observation *obs, size_t n, storm_match *out,
                             storm_err *err)
{
    if (!out)
        return storm_err_set(err, STORM_ERR_STATE, 0, "storm_pattern_match: out is NULL");
    memset(out, 0, sizeof *out);
    if (!p || !p->compiled || (n && !obs))
        return storm_err_set(err, STORM_ERR_STATE, 0, "storm_pattern_match: pattern not compiled or no observations");
    storm_rc rc = pattern_check_late(p, err);
    if (rc != STORM_OK)
        return rc;
    unsigned nl = p->n_leaves;
    if (nl == 0 || n == 0)
        return STORM_OK;
    /* one byte per leaf and observation */
    if (n > (size_t)MATCH_MAX_CELLS / nl)
        return storm_err_set(err, STORM_ERR_LIMIT, 0,
                             "%zu observations x %u [...] expressions is more than one match handles (%u); "
                             "split the input",
                             n, nl, MATCH_MAX_CELLS);
    uint8_t *cells = calloc(n * nl, 1);
    const uint8_t **hits = calloc(nl, sizeof *hits);
    if (!cells || !hits) {
        free(cells);
        free(hits);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory matching %zu observations", n);
    }
    /* Every leaf is evaluated on every observation, as the reference does, so
     * a value that cannot be compared is reported wherever it is. */
    for (unsigned l = 0; l < nl && rc == STORM_OK; l++) {
        hits[l] = cells + (size_t)l * n;
        for (size_t k = 0; k < n; k++) {
            int r = eval_leaf(p, l, &obs[k], true, err);
            if (r < 0) {
                rc = err && err->rc != STORM_OK ? err->rc : STORM_ERR_VALUE;
                break;
            }
            cells[(size_t)l * n + k] = (uint8_t)r;
        }
    }
    if (rc == STORM_OK)
        rc = temporal_search(p, obs, n, hits, out, err);
    free(cells);
    free(hits);
    return rc;
}

void storm_match_clear(storm_match *m)
{
    if (!m)
        return;
    free(m->bound);
    m->bound = NULL;
    m->n_bound = 0;
    m->matched = false;
}
