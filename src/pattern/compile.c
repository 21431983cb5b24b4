/* SPDX-License-Identifier: Apache-2.0 */
/* Compilation of a parsed pattern: everything the matcher can prepare once
 * instead of per observation. String literals used by LIKE and MATCHES are
 * NFC-normalised, regexes are compiled (PCRE2, JIT), IP literals parsed,
 * IN sets classified, and the observation-expression tree is flattened into
 * numbered nodes with parent links for the binding search (temporal.c).
 * Problems that the STIX reference reports only when matching (WITHIN 0,
 * REPEATS 0, a set of mixed types) are recorded here and reported by every
 * match, so that an invalid pattern is never silently "no match". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

static storm_rc compile_fail(storm_err *err, storm_rc rc, pat_span span, const char *msg)
{
    storm_err_set(err, rc, span.start, "%s", msg);
    if (err && err->rc == rc && err->offset == span.start)
        err->len = span.end > span.start ? span.end - span.start : 1;
    return rc;
}

static void late_error(storm_arena *arena, pattern_compiled *pc, pat_span span, const char *fmt, const char *what)
{
    if (pc->late_rc != STORM_OK)
        return;
    pc->late_rc = STORM_ERR_VALUE;
    pc->late_offset = span.start;
    pc->late_len = span.end > span.start ? span.end - span.start : 1;
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    const char *copy = storm_arena_strdup(arena, msg);
    pc->late_msg = copy ? copy : "the pattern cannot be matched";
}

/* Latin-1 bytes of UTF-8 text whose code points are all < 256, for
 * comparisons with binary values (the specification compares a string with
 * binary data only in that case). Returns false otherwise. */
static bool latin1_bytes(const char *s, size_t len, char *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out[o++] = (char)c;
            i++;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < len && c <= 0xC3) {
            out[o++] = (char)(((c & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F));
            i += 2;
        } else {
            return false;
        }
    }
    *out_len = o;
    return true;
}

static storm_rc compile_regex(storm_pattern *p, pat_cmp *t, test_compiled *tc, storm_err *err)
{
    int ecode;
    PCRE2_SIZE eoff;
    tc->re = pcre2_compile((PCRE2_SPTR)tc->nfc, tc->nfc_len, PCRE2_UTF | PCRE2_UCP, &ecode, &eoff, NULL);
    if (!tc->re) {
        char emsg[160], msg[256];
        pcre2_get_error_message(ecode, (PCRE2_UCHAR *)emsg, sizeof emsg);
        snprintf(msg, sizeof msg, "invalid regular expression for MATCHES (at character %zu of the regex): %s",
                 (size_t)eoff, emsg);
        return compile_fail(err, STORM_ERR_SYNTAX, t->values[0].span, msg);
    }
    /* JIT code is made on first use (compare.c), see test_compiled */
    if (tc->latin1) {
        char *bytes = storm_arena_alloc(p->arena, tc->nfc_len + 1);
        size_t n = 0;
        if (!bytes)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling a regex");
        latin1_bytes(tc->nfc, tc->nfc_len, bytes, &n);
        /* compiled on the first binary value (compare.c) */
        tc->bin = bytes;
        tc->bin_len = n;
    }
    return STORM_OK;
}

/* The microseconds of a t'...' literal (from the pattern text) or of a
 * STIX 2.0 START/STOP string. */
static bool literal_time_us(const storm_pattern *p, const pat_literal *l, int64_t *us)
{
    if (l->type == PAT_LIT_STRING)
        return stix_time_us(l->u.str.ptr, l->u.str.len, us);
    if (l->type != PAT_LIT_TIMESTAMP || l->span.end > p->len || l->span.end < l->span.start + 3)
        return false;
    return stix_time_us(p->text + l->span.start + 2, l->span.end - l->span.start - 3, us);
}

static bool lit_is_number(pat_lit_type t)
{
    return t == PAT_LIT_INT || t == PAT_LIT_FLOAT;
}

static storm_rc compile_test(storm_pattern *p, pattern_compiled *pc, pat_cmp *t, storm_err *err)
{
    test_compiled *tc = storm_arena_calloc(p->arena, 1, sizeof *tc);
    if (!tc)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
    t->compiled = tc;
    switch (t->op) {
    case PAT_OP_LIKE:
    case PAT_OP_MATCHES:
    case PAT_OP_ISSUBSET:
    case PAT_OP_ISSUPERSET:
        if (t->n_values != 1 || t->values[0].type != PAT_LIT_STRING)
            return compile_fail(err, STORM_ERR_SYNTAX, t->span, "this operator needs a string literal");
        break;
    default: break;
    }
    if (t->op == PAT_OP_LIKE || t->op == PAT_OP_MATCHES) {
        const pat_literal *l = &t->values[0];
        const char *nfc;
        size_t nlen;
        bool owned;
        if (!text_nfc(l->u.str.ptr, l->u.str.len, &nfc, &nlen, &owned))
            return compile_fail(err, STORM_ERR_SYNTAX, l->span, "string literal is not valid UTF-8");
        char *copy = storm_arena_strndup(p->arena, nfc, nlen);
        if (owned)
            free((void *)nfc);
        if (!copy)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
        tc->nfc = copy;
        tc->nfc_len = nlen;
        char *tmp = malloc(nlen + 1);
        size_t tl;
        if (!tmp)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
        tc->latin1 = latin1_bytes(copy, nlen, tmp, &tl);
        free(tmp);
        if (t->op == PAT_OP_LIKE) {
            if (!like_compile(p->arena, copy, nlen, &tc->like))
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
            tc->like_bytes.n = SIZE_MAX;
            if (!memchr(copy, '_', nlen) && !like_compile_bytes(p->arena, copy, nlen, &tc->like_bytes))
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
        } else {
            storm_rc rc = compile_regex(p, t, tc, err);
            if (rc != STORM_OK)
                return rc;
        }
    } else if (t->op == PAT_OP_ISSUBSET || t->op == PAT_OP_ISSUPERSET) {
        const pat_literal *l = &t->values[0];
        if (!storm_cidr_parse(l->u.str.ptr, l->u.str.len, &tc->ip))
            return compile_fail(err, STORM_ERR_SYNTAX, l->span,
                                "expected an IPv4 or IPv6 address or CIDR block such as '10.0.0.0/8' "
                                "(prefix 0-32 or 0-128, no leading zeros)");
    }
    /* t'...' literals in microseconds, from their text: the parser's
     * storm_time_ns saturates outside 1678..2261 */
    for (size_t i = 0; i < t->n_values; i++) {
        const pat_literal *l = &t->values[i];
        if (l->type != PAT_LIT_TIMESTAMP)
            continue;
        if (!tc->ts_us && !(tc->ts_us = storm_arena_calloc(p->arena, t->n_values, sizeof *tc->ts_us)))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
        if (!literal_time_us(p, l, &tc->ts_us[i]))
            tc->ts_us[i] = time_us(l->u.ts);
    }
    if (t->op == PAT_OP_IN) {
        for (size_t i = 1; i < t->n_values; i++) {
            pat_lit_type a = t->values[0].type, b = t->values[i].type;
            if (a != b && !(lit_is_number(a) && lit_is_number(b))) {
                tc->set_mixed = true;
                late_error(p->arena, pc, t->span, "%s", "the set mixes literals of different types");
                break;
            }
        }
        tc->set_ts = t->n_values > 0 && t->values[0].type == PAT_LIT_TIMESTAMP;
    }
    return STORM_OK;
}

static storm_rc compile_cmp(storm_pattern *p, pattern_compiled *pc, pat_cmp *c, unsigned depth, storm_err *err)
{
    if (depth > PATTERN_MAX_CMP_DEPTH)
        return compile_fail(err, STORM_ERR_LIMIT, c->span, "comparison expression nested too deeply");
    if (c->kind == PAT_CMP_TEST)
        return compile_test(p, pc, c, err);
    storm_rc rc = compile_cmp(p, pc, c->left, depth + 1, err);
    return rc != STORM_OK ? rc : compile_cmp(p, pc, c->right, depth + 1, err);
}

/* The object type every test of a comparison expression names, or NULL
 * when they differ (then each test checks its own type). */
static bool common_type(const pat_cmp *c, const char **type, size_t *len)
{
    while (c->kind != PAT_CMP_TEST) {
        if (!common_type(c->left, type, len))
            return false;
        c = c->right;
    }
    if (!*type) {
        *type = c->path.object_type;
        *len = c->path.object_type_len;
        return true;
    }
    return *len == c->path.object_type_len && memcmp(*type, c->path.object_type, *len) == 0;
}

static unsigned count_nodes(const pat_obs *o)
{
    /* iterative over the right spine keeps long AND/OR chains shallow enough */
    unsigned n = 0;
    while (o) {
        n++;
        if (o->kind == PAT_OBS_LEAF)
            break;
        if (o->kind == PAT_OBS_AND || o->kind == PAT_OBS_OR || o->kind == PAT_OBS_FOLLOWEDBY)
            n += count_nodes(o->left), o = o->right;
        else
            o = o->left;
    }
    return n;
}

static unsigned sat_add(unsigned a, unsigned b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static unsigned sat_mul(unsigned a, int64_t b)
{
    if (b <= 0)
        return 0;
    if (a != 0 && (uint64_t)b > UINT32_MAX / a)
        return UINT32_MAX;
    return (unsigned)(a * (uint64_t)b);
}

/* Number nodes in pre-order and fill parent links; returns the node id. */
static unsigned number_nodes(pattern_compiled *pc, pat_obs *o, unsigned parent, unsigned *next)
{
    unsigned id = (*next)++;
    pc->nodes[id] = o;
    pc->parent[id] = parent;
    pc->right[id] = UINT32_MAX;
    switch (o->kind) {
    case PAT_OBS_LEAF: pc->min_bound[id] = 1; break;
    case PAT_OBS_AND:
    case PAT_OBS_FOLLOWEDBY: {
        unsigned l = number_nodes(pc, o->left, id, next);
        unsigned r = number_nodes(pc, o->right, id, next);
        pc->right[id] = r;
        pc->min_bound[id] = sat_add(pc->min_bound[l], pc->min_bound[r]);
        break;
    }
    case PAT_OBS_OR: {
        unsigned l = number_nodes(pc, o->left, id, next);
        unsigned r = number_nodes(pc, o->right, id, next);
        pc->right[id] = r;
        pc->min_bound[id] = pc->min_bound[l] < pc->min_bound[r] ? pc->min_bound[l] : pc->min_bound[r];
        break;
    }
    case PAT_OBS_REPEATS: {
        unsigned c = number_nodes(pc, o->left, id, next);
        pc->min_bound[id] = sat_mul(pc->min_bound[c], o->repeats);
        break;
    }
    case PAT_OBS_WITHIN:
    case PAT_OBS_STARTSTOP: {
        unsigned c = number_nodes(pc, o->left, id, next);
        pc->min_bound[id] = pc->min_bound[c];
        break;
    }
    }
    return id;
}

storm_rc pattern_compile_ast(storm_pattern *p, storm_err *err)
{
    if (!p || !p->root)
        return storm_err_set(err, STORM_ERR_STATE, 0, "no parsed pattern to compile");
    pattern_compiled *pc = storm_arena_calloc(p->arena, 1, sizeof *pc);
    if (!pc)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
    p->compiled = pc;
    /* Bounds that keep every recursive walk of the tree (here, in match.c
     * and temporal.c) far from the stack's end. */
    if (p->n_leaves > PATTERN_MAX_LEAVES)
        return compile_fail(err, STORM_ERR_LIMIT, p->root->span,
                            "the pattern has more [...] expressions than Storm allows (4096)");
    unsigned n = count_nodes(p->root);
    if (n > PATTERN_MAX_NODES)
        return compile_fail(err, STORM_ERR_LIMIT, p->root->span,
                            "the pattern has more operators and qualifiers than Storm allows (16384)");
    pc->n_nodes = n;
    pc->nodes = storm_arena_calloc(p->arena, n, sizeof *pc->nodes);
    pc->parent = storm_arena_calloc(p->arena, n, sizeof *pc->parent);
    pc->right = storm_arena_calloc(p->arena, n, sizeof *pc->right);
    pc->min_bound = storm_arena_calloc(p->arena, n, sizeof *pc->min_bound);
    pc->within_us = storm_arena_calloc(p->arena, n, sizeof *pc->within_us);
    pc->start_us = storm_arena_calloc(p->arena, n, sizeof *pc->start_us);
    pc->stop_us = storm_arena_calloc(p->arena, n, sizeof *pc->stop_us);
    pc->leaf_node = storm_arena_calloc(p->arena, p->n_leaves ? p->n_leaves : 1, sizeof *pc->leaf_node);
    pc->leaf_type = storm_arena_calloc(p->arena, p->n_leaves ? p->n_leaves : 1, sizeof *pc->leaf_type);
    pc->leaf_type_len = storm_arena_calloc(p->arena, p->n_leaves ? p->n_leaves : 1, sizeof *pc->leaf_type_len);
    if (!pc->nodes || !pc->parent || !pc->right || !pc->leaf_type || !pc->leaf_type_len || !pc->min_bound ||
        !pc->within_us || !pc->start_us || !pc->stop_us || !pc->leaf_node)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory compiling the pattern");
    unsigned next = 0;
    number_nodes(pc, p->root, UINT32_MAX, &next);

    for (unsigned id = 0; id < n; id++) {
        pat_obs *o = pc->nodes[id];
        switch (o->kind) {
        case PAT_OBS_LEAF: {
            storm_rc rc = compile_cmp(p, pc, o->cmp, 0, err);
            if (rc != STORM_OK)
                return rc;
            if (o->leaf_index < p->n_leaves) {
                const char *type = NULL;
                size_t tlen = 0;
                pc->leaf_node[o->leaf_index] = id;
                if (common_type(o->cmp, &type, &tlen)) {
                    pc->leaf_type[o->leaf_index] = type;
                    pc->leaf_type_len[o->leaf_index] = tlen;
                }
            }
            break;
        }
        case PAT_OBS_WITHIN: {
            pc->timed = true;
            double secs = o->within.type == PAT_LIT_INT ? (double)o->within.u.i : o->within.u.f;
            if (!(secs > 0)) {
                late_error(p->arena, pc, o->qual_span, "%s", "WITHIN needs a positive number of seconds");
                pc->within_us[id] = 0;
            } else {
                double us = nearbyint(secs * 1e6);
                pc->within_us[id] = us >= 9.2e18 ? INT64_MAX : (int64_t)us;
            }
            break;
        }
        case PAT_OBS_STARTSTOP: {
            pc->timed = true;
            const pat_literal *bad = NULL;
            if (!literal_time_us(p, &o->start_lit, &pc->start_us[id])) {
                bad = &o->start_lit;
                pc->start_us[id] = time_us(o->start);
            }
            if (!literal_time_us(p, &o->stop_lit, &pc->stop_us[id])) {
                bad = bad ? bad : &o->stop_lit;
                pc->stop_us[id] = time_us(o->stop);
            }
            if (bad && (o->times_invalid || bad->type == PAT_LIT_STRING))
                late_error(p->arena, pc, bad->span, "%s",
                           "START and STOP need STIX timestamps such as '2020-01-31T12:00:00Z' "
                           "(upper-case T and Z, seconds required)");
            break;
        }
        case PAT_OBS_FOLLOWEDBY: pc->timed = true; break;
        case PAT_OBS_REPEATS:
            if (o->repeats <= 0)
                late_error(p->arena, pc, o->qual_span, "%s", "REPEATS needs a positive number of times");
            break;
        default: break;
        }
    }
    return STORM_OK;
}

static void release_cmp(pat_cmp *c)
{
    while (c) {
        if (c->kind == PAT_CMP_TEST) {
            test_compiled *tc = c->compiled;
            if (tc) {
                pcre2_code_free(tc->re);
                pcre2_code_free(tc->re_bin);
                tc->re = tc->re_bin = NULL;
            }
            return;
        }
        release_cmp(c->left);
        c = c->right;
    }
}

void pattern_release_compiled(storm_pattern *p)
{
    if (!p || !p->compiled)
        return;
    pattern_compiled *pc = p->compiled;
    for (unsigned id = 0; id < pc->n_nodes; id++)
        if (pc->nodes[id] && pc->nodes[id]->kind == PAT_OBS_LEAF)
            release_cmp(pc->nodes[id]->cmp);
    p->compiled = NULL;
}
