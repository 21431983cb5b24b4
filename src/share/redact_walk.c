/* SPDX-License-Identifier: Apache-2.0 */
/* Walks STIX objects and applies the redactor's rules to every string value. */
#include <storm/buf.h>
#include <storm/share.h>

#include <string.h>

#include "share/redact_int.h"

#define SCRUB_OUT_MAX (1u << 20)

/* Values that identify or structure objects are never rewritten here (ids are
 * recomputed afterwards, as a whole). */
static bool is_structural_key(const char *key, size_t len)
{
    if ((len >= 4 && memcmp(key + len - 4, "_ref", 4) == 0) || (len >= 5 && memcmp(key + len - 5, "_refs", 5) == 0))
        return true;
    static const char *const keys[] = {"id", "type", "spec_version", "created", "modified", "first_observed",
                                       "last_observed", "first_seen", "last_seen", "valid_from", "valid_until",
                                       "pattern", "pattern_type", "pattern_version", "extension_type",
                                       "relationship_type", "hashes"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strlen(keys[i]) == len && memcmp(keys[i], key, len) == 0)
            return true;
    return false;
}

static const redact_prop *prop_rule(const storm_redactor *r, const char *key)
{
    for (size_t i = 0; i < r->n_props; i++)
        if (strcmp(r->props[i].name, key) == 0)
            return &r->props[i];
    return NULL;
}

/* Masks IPv4 addresses written inside text (command lines, URLs) that fall
 * in a masked block. Returns a new arena string or NULL when unchanged. */
static char *mask_embedded_ipv4(const storm_redactor *r, storm_arena *a, const char *s, size_t len,
                                size_t *count)
{
    storm_buf out;
    storm_buf_init(&out, len * 4 + 64);
    size_t i = 0, copied = 0;
    bool changed = false;
    while (i < len) {
        if (s[i] < '0' || s[i] > '9' || (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.'))) {
            i++;
            continue;
        }
        size_t j = i;
        int dots = 0;
        while (j < len && ((s[j] >= '0' && s[j] <= '9') || (s[j] == '.' && dots < 3 && ++dots)))
            j++;
        if (j > i && s[j - 1] == '.')
            j--, dots--;
        storm_cidr addr;
        if (dots == 3 && storm_cidr_parse(s + i, j - i, &addr)) {
            for (size_t k = 0; k < r->n_cidrs; k++) {
                if (storm_cidr_contains(&r->cidrs[k], &addr)) {
                    storm_buf_append(&out, s + copied, i - copied);
                    storm_buf_puts(&out, r->cidr_text[k]);
                    copied = j;
                    changed = true;
                    (*count)++;
                    break;
                }
            }
        }
        i = j > i ? j : i + 1;
    }
    char *res = NULL;
    if (changed) {
        storm_buf_append(&out, s + copied, len - copied);
        res = storm_arena_strndup(a, out.data, out.len);
    }
    storm_buf_free(&out);
    return res;
}

static char *scrub(const storm_redactor *r, storm_arena *a, const char *s, size_t len, size_t *out_len,
                   size_t *count)
{
    const char *cur = s;
    size_t cur_len = len;
    char *result = NULL;
    for (size_t i = 0; i < r->n_scrub; i++) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->scrub[i].code, NULL);
        if (!md)
            continue;
        int rc = pcre2_match(r->scrub[i].code, (PCRE2_SPTR)cur, cur_len, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        if (rc < 0)
            continue;
        PCRE2_SIZE olen = cur_len * 2 + 256;
        if (olen > SCRUB_OUT_MAX)
            olen = SCRUB_OUT_MAX;
        PCRE2_UCHAR *buf = storm_arena_alloc(a, olen + 1);
        if (!buf)
            return result;
        int n = pcre2_substitute(r->scrub[i].code, (PCRE2_SPTR)cur, cur_len, 0,
                                 PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_EXTENDED, NULL, NULL,
                                 (PCRE2_SPTR)r->scrub[i].replace, PCRE2_ZERO_TERMINATED, buf, &olen);
        if (n > 0) {
            buf[olen] = 0;
            result = (char *)buf;
            cur = result;
            cur_len = olen;
            *count += (size_t)n;
        }
    }
    *out_len = cur_len;
    return result;
}

/* Names pseudonymised so far: their other occurrences (inside messages and
 * command lines) are replaced in a second pass. */
typedef struct seen_name {
    const char *name, *pseudonym;
    size_t len;
} seen_name;

typedef struct walk_ctx {
    storm_redactor *r;
    storm_arena *a;
    storm_redact_stats *st;
    seen_name *seen;
    size_t n_seen, alloc_seen;
} walk_ctx;

#define SEEN_MAX 4096
#define SEEN_MIN_LEN 4 /* shorter names ("app", "0") would replace too much text */

static void remember(walk_ctx *c, const char *name, size_t len, const char *pseudonym)
{
    if (len < SEEN_MIN_LEN || c->n_seen >= SEEN_MAX)
        return;
    for (size_t i = 0; i < c->n_seen; i++)
        if (c->seen[i].len == len && memcmp(c->seen[i].name, name, len) == 0)
            return;
    if (c->n_seen == c->alloc_seen) {
        size_t na = c->alloc_seen ? c->alloc_seen * 2 : 16;
        seen_name *ns = storm_arena_alloc(c->a, na * sizeof *ns);
        if (!ns)
            return;
        if (c->n_seen)
            memcpy(ns, c->seen, c->n_seen * sizeof *ns);
        c->seen = ns;
        c->alloc_seen = na;
    }
    c->seen[c->n_seen++] = (seen_name){name, pseudonym, len};
}

/* Replace every occurrence of a remembered name inside v's string. */
static void replace_seen(walk_ctx *c, storm_value *v, int depth)
{
    if (!v || depth > 64)
        return;
    if (v->type == STORM_V_OBJECT) {
        for (size_t i = 0; i < v->u.o.len; i++)
            if (!is_structural_key(v->u.o.members[i].key, v->u.o.members[i].key_len))
                replace_seen(c, v->u.o.members[i].value, depth + 1);
        return;
    }
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            replace_seen(c, v->u.a.items[i], depth + 1);
        return;
    }
    if (v->type != STORM_V_STRING)
        return;
    for (size_t k = 0; k < c->n_seen; k++) {
        const seen_name *n = &c->seen[k];
        if (v->u.s.len < n->len || !memmem(v->u.s.ptr, v->u.s.len, n->name, n->len))
            continue;
        storm_buf b;
        storm_buf_init(&b, SCRUB_OUT_MAX);
        const char *s = v->u.s.ptr, *end = s + v->u.s.len, *hit;
        while ((hit = memmem(s, (size_t)(end - s), n->name, n->len))) {
            storm_buf_append(&b, s, (size_t)(hit - s));
            storm_buf_puts(&b, n->pseudonym);
            s = hit + n->len;
            c->st->names_pseudonymised++;
        }
        storm_buf_append(&b, s, (size_t)(end - s));
        char *copy = storm_arena_strndup(c->a, b.data ? b.data : "", b.len);
        if (copy) {
            v->u.s.ptr = copy;
            v->u.s.len = b.len;
        }
        storm_buf_free(&b);
    }
}

static void redact_value(walk_ctx *c, storm_value *v, const char *key, size_t key_len, int depth)
{
    storm_redactor *r = c->r;
    storm_arena *a = c->a;
    storm_redact_stats *st = c->st;
    if (!v || depth > 64)
        return;
    if (v->type == STORM_V_OBJECT) {
        for (size_t i = 0; i < v->u.o.len; i++) {
            storm_member *m = &v->u.o.members[i];
            if (is_structural_key(m->key, m->key_len))
                continue;
            redact_value(c, m->value, m->key, m->key_len, depth + 1);
        }
        return;
    }
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            redact_value(c, v->u.a.items[i], key, key_len, depth + 1);
        return;
    }
    if (v->type != STORM_V_STRING)
        return;
    const char *s = v->u.s.ptr;
    size_t len = v->u.s.len;
    /* a whole value that is an address */
    storm_cidr addr;
    if (len < 64 && storm_cidr_parse(s, len, &addr)) {
        for (size_t k = 0; k < r->n_cidrs; k++)
            if (storm_cidr_contains(&r->cidrs[k], &addr)) {
                v->u.s.ptr = storm_arena_strdup(a, r->cidr_text[k]);
                v->u.s.len = strlen(r->cidr_text[k]);
                st->addresses_masked++;
                return;
            }
        return;
    }
    /* a name of a pseudonymised category */
    char k[128];
    if (key && key_len < sizeof k) {
        memcpy(k, key, key_len);
        k[key_len] = '\0';
        const redact_prop *p = prop_rule(r, k);
        if (p) {
            const char *ps = storm_redactor_pseudonym(r, a, p->category, s, len);
            if (ps) {
                remember(c, s, len, ps);
                v->u.s.ptr = ps;
                v->u.s.len = strlen(ps);
                st->names_pseudonymised++;
            }
            return;
        }
    }
    size_t masked = 0, scrubbed = 0, nl = len;
    char *m = mask_embedded_ipv4(r, a, s, len, &masked);
    if (m) {
        s = m;
        len = strlen(m);
        st->addresses_masked += masked;
    }
    char *sc = scrub(r, a, s, len, &nl, &scrubbed);
    if (sc) {
        s = sc;
        len = nl;
        st->secrets_scrubbed += scrubbed;
    }
    v->u.s.ptr = s;
    v->u.s.len = len;
}

storm_rc storm_redact_objects(storm_redactor *r, storm_arena *a, storm_value *objects, storm_redact_stats *stats,
                              storm_err *err)
{
    storm_redact_stats local = {0};
    if (!stats)
        stats = &local;
    if (!objects || objects->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_STATE, 0, "objects to redact must be a JSON array");
    walk_ctx c = {r, a, stats, NULL, 0, 0};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < objects->u.a.len; i++) {
            storm_value *o = objects->u.a.items[i];
            const char *type = storm_v_get_str(o, "type");
            /* definitions (markings, extensions) hold no cluster data */
            if (type && (strcmp(type, "marking-definition") == 0 || strcmp(type, "extension-definition") == 0))
                continue;
            if (pass == 0)
                redact_value(&c, o, NULL, 0, 0);
            else
                replace_seen(&c, o, 0);
        }
    }
    return redact_rewrite_ids(r, a, objects, stats, err);
}
