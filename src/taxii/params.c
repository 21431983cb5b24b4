/* SPDX-License-Identifier: Apache-2.0 */
/* Query parameters: limit, next, added_after and the match[...] filters.
 * Lists are comma-separated (and repeated parameters add to them); every
 * value is checked, a bad one is a 400 that names it. */
#include "taxii_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <storm/time.h>

typedef struct str_list {
    const char **items;
    size_t n;
} str_list;

static bool add_csv(storm_arena *a, const char *key, const char *value, str_list *l, taxii_response *rs)
{
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return taxii_error(rs, 400, "Bad filter", "%s has an empty value in '%s'", key, value);
        if (l->n >= STORM_STORE_QUERY_LIST_MAX)
            return taxii_error(rs, 400, "Too many filter values", "%s has more than %d values", key,
                               STORM_STORE_QUERY_LIST_MAX);
        if (!l->items) {
            l->items = storm_arena_alloc(a, STORM_STORE_QUERY_LIST_MAX * sizeof *l->items);
            if (!l->items)
                return taxii_error(rs, 500, "Out of memory", "cannot hold the filter values");
        }
        char *v = storm_arena_strndup(a, p, len);
        if (!v)
            return taxii_error(rs, 500, "Out of memory", "cannot hold the filter values");
        l->items[l->n++] = v;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

static bool parse_uint(const char *s, unsigned long long *out)
{
    if (!*s || strlen(s) > 19)
        return false;
    unsigned long long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    *out = v;
    return true;
}

static bool add_versions(storm_arena *a, const char *value, storm_store_query *q, taxii_response *rs)
{
    str_list l = {0};
    if (!add_csv(a, "match[version]", value, &l, rs))
        return false;
    int64_t *versions = (int64_t *)q->versions;
    for (size_t i = 0; i < l.n; i++) {
        const char *v = l.items[i];
        if (strcmp(v, "last") == 0)
            q->version_flags |= STORM_STORE_VERSION_LAST;
        else if (strcmp(v, "first") == 0)
            q->version_flags |= STORM_STORE_VERSION_FIRST;
        else if (strcmp(v, "all") == 0)
            q->version_flags |= STORM_STORE_VERSION_ALL;
        else {
            storm_time_ns t;
            if (!storm_time_parse(v, strlen(v), STORM_TIME_LENIENT, &t))
                return taxii_error(rs, 400, "Bad filter",
                                   "match[version] value '%s' is not first, last, all or a timestamp", v);
            if (q->n_versions >= STORM_STORE_QUERY_LIST_MAX)
                return taxii_error(rs, 400, "Too many filter values", "match[version] has more than %d values",
                                   STORM_STORE_QUERY_LIST_MAX);
            if (!versions) {
                versions = storm_arena_alloc(a, STORM_STORE_QUERY_LIST_MAX * sizeof *versions);
                if (!versions)
                    return taxii_error(rs, 500, "Out of memory", "cannot hold the filter values");
                q->versions = versions;
            }
            /* the store keeps 0 for "no timestamp": see put.c */
            versions[q->n_versions++] = t ? t : 1;
        }
    }
    return true;
}

bool taxii_params_query(const taxii_ctx *ctx, const taxii_request *rq, unsigned allowed, storm_arena *a,
                        storm_store_query *q, taxii_response *rs)
{
    str_list ids = {0}, types = {0}, specs = {0};
    q->limit = ctx->cfg.page_default;
    for (size_t i = 0; i < rq->n_params; i++) {
        const char *k = rq->params[i].key, *v = rq->params[i].value ? rq->params[i].value : "";
        if ((allowed & TAXII_FILTER_PAGE) && strcmp(k, "limit") == 0) {
            unsigned long long n;
            if (!parse_uint(v, &n) || n == 0)
                return taxii_error(rs, 400, "Bad limit", "limit must be a positive integer, not '%s'", v);
            q->limit = n > ctx->cfg.page_max ? ctx->cfg.page_max : (size_t)n;
        } else if ((allowed & TAXII_FILTER_PAGE) && strcmp(k, "next") == 0) {
            unsigned long long n;
            if (!parse_uint(v, &n) || n == 0 || n > INT64_MAX)
                return taxii_error(rs, 400, "Bad next",
                                   "next '%s' is not a value this server handed out in a previous page", v);
            q->after_key = (int64_t)n;
        } else if ((allowed & TAXII_FILTER_ADDED_AFTER) && strcmp(k, "added_after") == 0) {
            storm_time_ns t;
            if (!storm_time_parse(v, strlen(v), STORM_TIME_LENIENT, &t))
                return taxii_error(rs, 400, "Bad added_after", "added_after '%s' is not an RFC 3339 timestamp", v);
            /* date_added is whole µs: "> t" is "> floor(t / 1µs)" */
            int64_t us = t / 1000 - (t % 1000 < 0 ? 1 : 0);
            q->added_after_us = us > 0 ? us : 0;
        } else if ((allowed & TAXII_FILTER_ID) && strcmp(k, "match[id]") == 0) {
            if (!add_csv(a, k, v, &ids, rs))
                return false;
        } else if ((allowed & TAXII_FILTER_TYPE) && strcmp(k, "match[type]") == 0) {
            if (!add_csv(a, k, v, &types, rs))
                return false;
        } else if ((allowed & TAXII_FILTER_SPEC_VERSION) && strcmp(k, "match[spec_version]") == 0) {
            if (!add_csv(a, k, v, &specs, rs))
                return false;
        } else if ((allowed & TAXII_FILTER_VERSION) && strcmp(k, "match[version]") == 0) {
            if (!add_versions(a, v, q, rs))
                return false;
        }
        /* anything else (other match[] fields, unknown names) is ignored */
    }
    q->ids = ids.items;
    q->n_ids = ids.n;
    q->types = types.items;
    q->n_types = types.n;
    q->spec_versions = specs.items;
    q->n_spec_versions = specs.n;
    return true;
}
