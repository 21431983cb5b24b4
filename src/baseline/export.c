/* SPDX-License-Identifier: Apache-2.0 */
/* JSON export and import of profiles (docs/baseline.md, "Export format"). */
#include "baseline_int.h"

#include <inttypes.h>
#include <storm/json.h>
#include <string.h>

#define BL_EXPORT_TYPE "storm-baseline"
#define BL_EXPORT_VERSION 1
/* Caps for an import: a document, and the arena its parse tree lives in. */
#define BL_IMPORT_ARENA_CAP (256u << 20)

static storm_rc put_time(storm_buf *out, const char *key, storm_time_ns t)
{
    char ts[40];
    if (!t)
        return STORM_OK;
    storm_time_format_exact(t, ts);
    return storm_buf_printf(out, ",\"%s\":\"%s\"", key, ts);
}

static storm_rc export_profile(const storm_baseline *b, const bl_profile *p, storm_buf *out)
{
    storm_baseline_profile_info info;
    storm_baseline_profile_get(b, p->key, &info);
    storm_rc rc = storm_buf_puts(out, "{\"workload\":");
    if (!rc)
        rc = storm_json_write_string(out, p->key, strlen(p->key));
    if (!rc)
        rc = storm_buf_puts(out, ",\"origin\":");
    if (!rc)
        rc = storm_json_write_string(out, p->origin, strlen(p->origin));
    if (!rc)
        rc = storm_buf_printf(out,
                              ",\"events_learned\":%" PRIu64 ",\"events_at_last_new\":%" PRIu64 ",\"overflow\":%" PRIu64
                              ",\"explained\":%" PRIu64 ",\"unexplained\":%" PRIu64 ",\"settled\":%s",
                              p->events_learned, p->events_at_last_new, p->overflow, p->explained, p->unexplained,
                              info.settled ? "true" : "false");
    if (!rc)
        rc = put_time(out, "first_seen", p->first_seen);
    if (!rc)
        rc = put_time(out, "last_seen", p->last_seen);
    if (!rc)
        rc = put_time(out, "last_new_feature", p->last_new_feature);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        bool deny = pass == 1;
        rc = storm_buf_puts(out, deny ? ",\"denied\":[" : ",\"features\":[");
        bool first = true;
        for (size_t i = 0; i < p->n && !rc; i++) {
            const bl_feature *f = p->items[i];
            if (f->removed || f->denied != deny)
                continue;
            if (!first)
                rc = storm_buf_putc(out, ',');
            first = false;
            if (deny) {
                if (!rc)
                    rc = storm_json_write_string(out, f->text, f->len);
                continue;
            }
            if (!rc)
                rc = storm_buf_puts(out, "{\"feature\":");
            if (!rc)
                rc = storm_json_write_string(out, f->text, f->len);
            if (!rc)
                rc = storm_buf_printf(out, ",\"hits\":%" PRIu64, f->hits);
            if (!rc)
                rc = put_time(out, "first_seen", f->first_seen);
            if (!rc)
                rc = storm_buf_putc(out, '}');
        }
        if (!rc)
            rc = storm_buf_putc(out, ']');
    }
    if (!rc)
        rc = storm_buf_putc(out, '}');
    return rc;
}

storm_rc storm_baseline_export(const storm_baseline *b, const char *workload, storm_buf *out, storm_err *err)
{
    if (workload && !bl_find_profile(b, workload))
        return storm_err_set(err, STORM_ERR_NOTFOUND, 0, "no profile for workload '%s'", workload);
    storm_rc rc =
        storm_buf_printf(out, "{\"type\":\"%s\",\"version\":%d,\"profiles\":[", BL_EXPORT_TYPE, BL_EXPORT_VERSION);
    bool first = true;
    for (size_t i = 0; i < b->n_profiles && !rc; i++) {
        const bl_profile *p = b->profiles[i];
        if (workload && strcmp(p->key, workload) != 0)
            continue;
        if (!first)
            rc = storm_buf_putc(out, ',');
        first = false;
        if (!rc)
            rc = export_profile(b, p, out);
    }
    if (!rc)
        rc = storm_buf_puts(out, "]}\n");
    if (rc)
        return storm_err_set(err, rc, out->len, "the export does not fit its buffer (%zu bytes)", out->cap);
    return STORM_OK;
}

static uint64_t get_u64(const storm_value *o, const char *key)
{
    const storm_value *v = storm_v_get(o, key);
    return v && v->type == STORM_V_INT && v->u.i > 0 ? (uint64_t)v->u.i : 0;
}

static storm_time_ns get_time(const storm_value *o, const char *key)
{
    const storm_value *v = storm_v_get(o, key);
    storm_time_ns t = 0;
    if (v && v->type == STORM_V_STRING && storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_LENIENT, &t))
        return t;
    return 0;
}

/* Count a rejected entry; the first one's reason goes to err. */
static void reject(storm_baseline_import_stats *st, storm_err *err, const storm_value *at, const char *fmt,
                   const char *what)
{
    st->rejected++;
    storm_err_set(err, STORM_ERR_VALUE, at && at->pos != STORM_POS_NONE ? at->pos : 0, fmt, what);
}

static void import_entry(storm_baseline *b, bl_profile *p, const storm_value *fv, bool deny,
                         storm_baseline_import_stats *st, storm_err *err)
{
    const storm_value *text = fv;
    if (fv->type == STORM_V_OBJECT)
        text = storm_v_get(fv, "feature");
    if (!text || text->type != STORM_V_STRING || strlen(text->u.s.ptr) != text->u.s.len) {
        reject(st, err, fv, "%s: a feature must be a string or {\"feature\": string}", p->key);
        return;
    }
    char buf[STORM_BASELINE_FEATURE_MAX];
    bl_out o;
    bl_out_init(&o, buf, sizeof buf);
    storm_err ferr;
    storm_err_clear(&ferr);
    if (!bl_feature_parse(text->u.s.ptr, &o, &ferr)) {
        reject(st, err, fv, "%s", ferr.msg);
        return;
    }
    bool created = false;
    storm_rc rc = bl_add_entry(b, p, buf, deny, fv->type == STORM_V_OBJECT ? get_u64(fv, "hits") : 0,
                               fv->type == STORM_V_OBJECT ? get_time(fv, "first_seen") : 0, &created);
    if (rc != STORM_OK)
        reject(st, err, fv, "%s: the feature does not fit the profile (cap or memory)", p->key);
    else if (created)
        st->features++;
}

static void import_profile(storm_baseline *b, const storm_value *pv, storm_baseline_import_stats *st, storm_err *err)
{
    const char *key = storm_v_get_str(pv, "workload");
    if (!key || !*key || strlen(key) >= STORM_BASELINE_KEY_MAX) {
        reject(st, err, pv, "%s", "a profile needs a \"workload\" string (at most 511 bytes)");
        return;
    }
    const char *origin = storm_v_get_str(pv, "origin");
    bool existed = bl_find_profile(b, key) != NULL, full;
    bl_profile *p = bl_get_profile(b, key, origin ? origin : "json", &full);
    if (!p) {
        reject(st, err, pv, "%s: no room for another profile", key);
        return;
    }
    if (!existed) {
        /* a new profile keeps the representativeness it was exported with */
        p->events_learned = get_u64(pv, "events_learned");
        p->events_at_last_new = get_u64(pv, "events_at_last_new");
        if (p->events_at_last_new > p->events_learned)
            p->events_at_last_new = p->events_learned;
        p->overflow = get_u64(pv, "overflow");
        p->first_seen = get_time(pv, "first_seen");
        p->last_seen = get_time(pv, "last_seen");
        p->last_new_feature = get_time(pv, "last_new_feature");
    }
    st->profiles++;
    p->dirty = true;
    static const char *const lists[] = {"features", "denied"};
    for (int k = 0; k < 2; k++) {
        const storm_value *arr = storm_v_get(pv, lists[k]);
        if (!arr)
            continue;
        if (arr->type != STORM_V_ARRAY) {
            reject(st, err, arr, "%s: \"features\"/\"denied\" must be arrays", key);
            continue;
        }
        for (size_t i = 0; i < arr->u.a.len; i++)
            import_entry(b, p, arr->u.a.items[i], k == 1, st, err);
    }
}

storm_rc storm_baseline_import_json(storm_baseline *b, const char *text, size_t len, storm_baseline_import_stats *stats,
                                    storm_err *err)
{
    storm_baseline_import_stats local = {0};
    storm_baseline_import_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    storm_arena *a = storm_arena_new(0, BL_IMPORT_ARENA_CAP);
    if (!a)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_value *root;
    storm_rc rc = storm_json_parse(a, text, len, STORM_JSON_DEFAULT, &root, NULL, err);
    if (rc != STORM_OK) {
        storm_arena_free(a);
        return rc;
    }
    const storm_value *profiles = storm_v_get(root, "profiles");
    if (!storm_v_is_str(storm_v_get(root, "type"), BL_EXPORT_TYPE) || !profiles || profiles->type != STORM_V_ARRAY) {
        size_t pos = root->pos == STORM_POS_NONE ? 0 : root->pos;
        storm_arena_free(a);
        return storm_err_set(err, STORM_ERR_VALUE, pos,
                             "not a Storm baseline export: expected {\"type\": \"%s\", \"profiles\": [...]}",
                             BL_EXPORT_TYPE);
    }
    const storm_value *ver = storm_v_get(root, "version");
    if (ver && (ver->type != STORM_V_INT || ver->u.i != BL_EXPORT_VERSION)) {
        size_t pos = ver->pos == STORM_POS_NONE ? 0 : ver->pos;
        bool number = ver->type == STORM_V_INT;
        storm_arena_free(a);
        return storm_err_set(err, STORM_ERR_UNSUPPORTED, pos, "baseline export version %s is not supported (%d is)",
                             number ? "other" : "(not a number)", BL_EXPORT_VERSION);
    }
    for (size_t i = 0; i < profiles->u.a.len; i++) {
        const storm_value *pv = profiles->u.a.items[i];
        if (pv->type != STORM_V_OBJECT) {
            reject(st, err, pv, "%s", "each profile must be an object");
            continue;
        }
        import_profile(b, pv, st, err);
    }
    storm_arena_free(a);
    return STORM_OK;
}
