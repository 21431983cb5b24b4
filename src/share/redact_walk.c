/* SPDX-License-Identifier: Apache-2.0 */
/* Walks STIX objects and applies the redactor's rules to every string value. */
#include <storm/buf.h>
#include <storm/share.h>

#include <string.h>

#include "redact_int.h"

#define SCRUB_OUT_MAX (1u << 20)

/* Values that identify or structure objects are never rewritten here (ids are
 * recomputed afterwards, as a whole). */
static bool is_structural_key(const char *key, size_t len)
{
    if ((len >= 4 && memcmp(key + len - 4, "_ref", 4) == 0) || (len >= 5 && memcmp(key + len - 5, "_refs", 5) == 0))
        return true;
    static const char *const keys[] = {"id",
                                       "type",
                                       "spec_version",
                                       "created",
                                       "modified",
                                       "first_observed",
                                       "last_observed",
                                       "first_seen",
                                       "last_seen",
                                       "valid_from",
                                       "valid_until",
                                       "pattern",
                                       "pattern_type",
                                       "pattern_version",
                                       "extension_type",
                                       "relationship_type",
                                       "hashes"};
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

/* The walk's state. The first failure stops it: a value left unredacted
 * would leak, so the caller then publishes nothing. */
typedef struct walk_ctx {
    storm_redactor *r;
    storm_arena *a;
    storm_redact_stats *st;
    redact_names *names;
    storm_err *err;
    storm_rc rc;
} walk_ctx;

#define SEEN_MIN_LEN 4 /* shorter names ("app", "0") would replace too much text */

static bool failed(walk_ctx *c, storm_rc rc, const char *what)
{
    if (!c->rc) {
        c->rc = rc;
        storm_err_set(c->err, rc, 0, "redaction: %s; nothing is published", what);
    }
    return true;
}

/* Masks IPv4 addresses written inside text (command lines, URLs) that fall
 * in a masked block. *res is a new arena string, or NULL when unchanged. */
static storm_rc mask_embedded_ipv4(const storm_redactor *r, storm_arena *a, const char *s, size_t len, size_t *count,
                                   char **res)
{
    *res = NULL;
    storm_buf out;
    storm_buf_init(&out, len * 4 + 64);
    storm_rc rc = STORM_OK;
    size_t i = 0, copied = 0;
    bool changed = false;
    while (i < len && !rc) {
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
                    rc = storm_buf_append(&out, s + copied, i - copied);
                    if (!rc)
                        rc = storm_buf_puts(&out, r->cidr_text[k]);
                    copied = j;
                    changed = true;
                    (*count)++;
                    break;
                }
            }
        }
        i = j > i ? j : i + 1;
    }
    if (changed && !rc)
        rc = storm_buf_append(&out, s + copied, len - copied);
    if (changed && !rc && !(*res = storm_arena_strndup(a, out.data, out.len)))
        rc = STORM_ERR_NOMEM;
    storm_buf_free(&out);
    return rc;
}

/* The scrub rules applied in turn. *res is a new arena string, or NULL when
 * no rule matched. */
static storm_rc scrub(const storm_redactor *r, storm_arena *a, const char *s, size_t len, char **res, size_t *out_len,
                      size_t *count)
{
    const char *cur = s;
    size_t cur_len = len;
    *res = NULL;
    for (size_t i = 0; i < r->n_scrub; i++) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->scrub[i].code, NULL);
        if (!md)
            return STORM_ERR_NOMEM;
        int rc = pcre2_match(r->scrub[i].code, (PCRE2_SPTR)cur, cur_len, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        if (rc == PCRE2_ERROR_NOMATCH)
            continue;
        if (rc < 0)
            return STORM_ERR_LIMIT; /* match limit: the secret may be there */
        PCRE2_SIZE olen = cur_len * 2 + 256;
        for (int attempt = 0; attempt < 2; attempt++) {
            if (olen > SCRUB_OUT_MAX)
                return STORM_ERR_LIMIT;
            PCRE2_UCHAR *buf = storm_arena_alloc(a, olen + 1);
            if (!buf)
                return STORM_ERR_NOMEM;
            int n =
                pcre2_substitute(r->scrub[i].code, (PCRE2_SPTR)cur, cur_len, 0,
                                 PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_EXTENDED | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
                                 NULL, NULL, (PCRE2_SPTR)r->scrub[i].replace, PCRE2_ZERO_TERMINATED, buf, &olen);
            if (n == PCRE2_ERROR_NOMEMORY)
                continue; /* olen is now the length needed */
            if (n < 0)
                return STORM_ERR_LIMIT;
            if (n > 0) {
                buf[olen] = 0;
                *res = (char *)buf;
                cur = *res;
                cur_len = olen;
                *count += (size_t)n;
            }
            break;
        }
    }
    *out_len = cur_len;
    return STORM_OK;
}

/* v's string becomes the pseudonym of its category; a label "key=value"
 * keeps its key. The name is remembered for the second pass. */
static void pseudonymise(walk_ctx *c, storm_value *v, const char *category)
{
    const char *s = v->u.s.ptr;
    size_t len = v->u.s.len, keep = 0;
    if (strcmp(category, "label") == 0) {
        const char *eq = memchr(s, '=', len);
        if (eq)
            keep = (size_t)(eq - s) + 1;
    }
    if (len == keep)
        return;
    const char *ps = storm_redactor_pseudonym(c->r, c->a, category, s + keep, len - keep);
    if (!ps) {
        failed(c, STORM_ERR_NOMEM, "out of memory");
        return;
    }
    if (len - keep >= SEEN_MIN_LEN) {
        storm_rc rc = redact_names_add(c->names, s + keep, len - keep, ps, c->err);
        if (rc) {
            c->rc = rc;
            return;
        }
    }
    size_t pl = strlen(ps);
    char *nv = storm_arena_alloc(c->a, keep + pl + 1);
    if (!nv) {
        failed(c, STORM_ERR_NOMEM, "out of memory");
        return;
    }
    memcpy(nv, s, keep);
    memcpy(nv + keep, ps, pl + 1);
    v->u.s.ptr = nv;
    v->u.s.len = keep + pl;
    c->st->names_pseudonymised++;
}

/* Every string inside v (an object or array under a pseudonymised key, such
 * as a labels map) pseudonymised in that category. */
static void pseudonymise_all(walk_ctx *c, storm_value *v, const char *category, int depth)
{
    if (!v || depth > 64 || c->rc)
        return;
    if (v->type == STORM_V_STRING)
        pseudonymise(c, v, category);
    else if (v->type == STORM_V_OBJECT)
        for (size_t i = 0; i < v->u.o.len; i++)
            pseudonymise_all(c, v->u.o.members[i].value, category, depth + 1);
    else if (v->type == STORM_V_ARRAY)
        for (size_t i = 0; i < v->u.a.len; i++)
            pseudonymise_all(c, v->u.a.items[i], category, depth + 1);
}

static const redact_prop *key_rule(const storm_redactor *r, const char *key, size_t key_len)
{
    char k[128];
    if (!key || key_len >= sizeof k)
        return NULL;
    memcpy(k, key, key_len);
    k[key_len] = '\0';
    return prop_rule(r, k);
}

/* Second pass: every occurrence of a remembered name inside other text.
 * Values of pseudonymised keys hold pseudonyms already. */
static void replace_seen(walk_ctx *c, storm_value *v, int depth)
{
    if (!v || depth > 64 || c->rc)
        return;
    if (v->type == STORM_V_OBJECT) {
        for (size_t i = 0; i < v->u.o.len; i++) {
            storm_member *m = &v->u.o.members[i];
            if (!is_structural_key(m->key, m->key_len) && !key_rule(c->r, m->key, m->key_len))
                replace_seen(c, m->value, depth + 1);
        }
        return;
    }
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            replace_seen(c, v->u.a.items[i], depth + 1);
        return;
    }
    if (v->type != STORM_V_STRING)
        return;
    char *out;
    size_t out_len;
    storm_rc rc = redact_names_replace(c->names, c->a, v->u.s.ptr, v->u.s.len, &out, &out_len,
                                       &c->st->names_pseudonymised, c->err);
    if (rc) {
        c->rc = rc;
        return;
    }
    if (out) {
        v->u.s.ptr = out;
        v->u.s.len = out_len;
    }
}

static void redact_value(walk_ctx *c, storm_value *v, const char *key, size_t key_len, int depth)
{
    storm_redactor *r = c->r;
    storm_arena *a = c->a;
    storm_redact_stats *st = c->st;
    if (!v || depth > 64 || c->rc)
        return;
    const redact_prop *p = key_rule(r, key, key_len);
    if (v->type == STORM_V_OBJECT) {
        if (p) {
            pseudonymise_all(c, v, p->category, depth);
            return;
        }
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
                if (!v->u.s.ptr)
                    failed(c, STORM_ERR_NOMEM, "out of memory");
                st->addresses_masked++;
                return;
            }
        return;
    }
    /* a name of a pseudonymised category */
    if (p) {
        pseudonymise(c, v, p->category);
        return;
    }
    size_t masked = 0, scrubbed = 0, nl = len;
    char *m;
    storm_rc rc = mask_embedded_ipv4(r, a, s, len, &masked, &m);
    if (rc) {
        failed(c, rc, "cannot mask the addresses of a string");
        return;
    }
    if (m) {
        s = m;
        len = strlen(m);
        st->addresses_masked += masked;
    }
    char *sc;
    if ((rc = scrub(r, a, s, len, &sc, &nl, &scrubbed))) {
        failed(c, rc,
               rc == STORM_ERR_NOMEM ? "out of memory scrubbing secrets"
                                     : "a scrub rule could not finish on a string (too long or too complex)");
        return;
    }
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
    walk_ctx c = {r, a, stats, redact_names_new(), err, STORM_OK};
    if (!c.names)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "redaction: out of memory; nothing is published");
    for (int pass = 0; pass < 2 && !c.rc; pass++) {
        if (pass == 1 && (c.rc = redact_names_build(c.names, err)))
            break;
        for (size_t i = 0; i < objects->u.a.len && !c.rc; i++) {
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
    redact_names_free(c.names);
    if (c.rc)
        return c.rc;
    return redact_rewrite_ids(r, a, objects, stats, err);
}
