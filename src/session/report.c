/* SPDX-License-Identifier: Apache-2.0 */
/* Reports over stored sessions: reading them back, ordering them, and the
 * one-line summary of storm sessions. The writers are in report_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/array.h>
#include <storm/json.h>

#include "report_int.h"

bool storm_report_format_parse(const char *s, storm_report_format *out)
{
    static const char *const names[] = {"text", "markdown", "html", "stix"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (storm_report_format)i;
            return true;
        }
    return false;
}

const char *rs_str(const storm_value *o, const char *key)
{
    return storm_v_get_str(o, key);
}

storm_time_ns rs_time(const storm_value *o, const char *key)
{
    const char *s = storm_v_get_str(o, key);
    storm_time_ns t = 0;
    if (s && !storm_time_parse(s, strlen(s), STORM_TIME_STIX_STRICT, &t))
        t = 0;
    return t;
}

void rs_place(const storm_value *step, char *buf, size_t cap)
{
    const char *pod = rs_str(step, "pod"), *node = rs_str(step, "node");
    if (pod)
        snprintf(buf, cap, "pod %s", pod);
    else if (node)
        snprintf(buf, cap, "node %s", node);
    else
        snprintf(buf, cap, "cluster");
}

storm_rc storm_report_new(storm_report_format format, const storm_models *models, storm_store *store,
                          storm_report **out, storm_err *err)
{
    storm_report *r = calloc(1, sizeof *r);
    if (!r || !(r->arena = storm_arena_new(0, 0))) {
        free(r);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    }
    r->format = format;
    r->models = models;
    r->store = store;
    *out = r;
    return STORM_OK;
}

void storm_report_free(storm_report *r)
{
    if (!r)
        return;
    storm_arena_free(r->arena);
    free(r->s);
    free(r);
}

static storm_rc parse_session(storm_arena *a, const char *json, size_t len, rsession *s, storm_err *err)
{
    storm_value *v = NULL;
    storm_rc rc = storm_json_parse(a, json, len, 0, &v, NULL, err);
    if (rc != STORM_OK)
        return rc;
    memset(s, 0, sizeof *s);
    s->v = v;
    s->id = rs_str(v, "id");
    s->first_seen = rs_time(v, "first_seen");
    s->last_seen = rs_time(v, "last_seen");
    s->steps = storm_v_get(v, "steps");
    if (!s->id || !s->steps || s->steps->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "a stored session without id or steps");
    return STORM_OK;
}

storm_rc storm_report_add(storm_report *r, const char *json, size_t len, storm_err *err)
{
    if (STORM_ARRAY_GROW(r->s, r->n + 1, r->alloc, 16) != 0)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_rc rc = parse_session(r->arena, json, len, &r->s[r->n], err);
    if (rc != STORM_OK)
        return rc;
    path_compute(r, &r->s[r->n]);
    r->n++;
    return STORM_OK;
}

static int session_cmp(const void *a, const void *b)
{
    const rsession *x = a, *y = b;
    if (x->first_seen != y->first_seen)
        return x->first_seen < y->first_seen ? -1 : 1;
    return strcmp(x->id, y->id);
}

storm_rc storm_report_write(storm_report *r, storm_buf *out, storm_err *err)
{
    qsort(r->s, r->n, sizeof *r->s, session_cmp);
    switch (r->format) {
    case STORM_REPORT_TEXT: return report_write_text(r, out, false);
    case STORM_REPORT_MARKDOWN: return report_write_text(r, out, true);
    case STORM_REPORT_HTML: return report_write_html(r, out);
    case STORM_REPORT_STIX: return report_write_stix(r, out, err);
    }
    return storm_err_set(err, STORM_ERR_VALUE, 0, "unknown report format");
}

void storm_report_counts(const storm_report *r, size_t *reports, size_t *objects)
{
    *reports = r->n_reports;
    *objects = r->n_objects;
}

static void put_list(storm_buf *out, const storm_value *arr, const char *none)
{
    size_t n = arr && arr->type == STORM_V_ARRAY ? arr->u.a.len : 0;
    for (size_t i = 0; i < n; i++) {
        const storm_value *x = arr->u.a.items[i];
        storm_buf_printf(out, "%s%s", i ? "," : "", x->type == STORM_V_STRING ? x->u.s.ptr : "?");
    }
    if (!n)
        storm_buf_puts(out, none);
}

storm_rc storm_session_summary(const char *json, size_t len, storm_buf *out, storm_err *err)
{
    storm_arena *a = storm_arena_new(0, 0);
    if (!a)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    rsession s;
    storm_rc rc = parse_session(a, json, len, &s, err);
    if (rc != STORM_OK) {
        storm_arena_free(a);
        return rc;
    }
    /* The entry is the first reached model step, as the report and the UI name it;
     * a baseline anomaly before it is context, not the entry (unless it is all there is). */
    const storm_value *first = s.steps->u.a.len ? s.steps->u.a.items[0] : NULL;
    for (size_t i = 0; i < s.steps->u.a.len; i++) {
        const storm_value *an = storm_v_get(s.steps->u.a.items[i], "anomaly");
        if (!(an && an->type == STORM_V_BOOL && an->u.b)) {
            first = s.steps->u.a.items[i];
            break;
        }
    }
    char place[512];
    if (first)
        rs_place(first, place, sizeof place);
    storm_buf_printf(
        out, "%s  %s  %s  entry: %s in %s  steps: ", rs_str(s.v, "first_seen"), rs_str(s.v, "last_seen"), s.id,
        first ? (rs_str(first, "step_name") ? rs_str(first, "step_name") : rs_str(first, "indicator_name")) : "-",
        first ? place : "-");
    /* the distinct steps reached, in order */
    size_t shown = 0, anomalies = 0;
    for (size_t i = 0; i < s.steps->u.a.len; i++) {
        const storm_value *st = s.steps->u.a.items[i];
        const storm_value *an = storm_v_get(st, "anomaly");
        if (an && an->type == STORM_V_BOOL && an->u.b) {
            anomalies++;
            continue;
        }
        const char *name = rs_str(st, "step_name") ? rs_str(st, "step_name") : rs_str(st, "indicator_name");
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            const storm_value *o = s.steps->u.a.items[j];
            const char *on = rs_str(o, "step_name") ? rs_str(o, "step_name") : rs_str(o, "indicator_name");
            dup = name && on && strcmp(name, on) == 0;
        }
        if (!dup && name)
            storm_buf_printf(out, "%s%s", shown++ ? " > " : "", name);
    }
    if (anomalies)
        storm_buf_printf(out, "%s(%zu anomal%s)", shown ? " " : "", anomalies, anomalies == 1 ? "y" : "ies");
    storm_buf_puts(out, "  pods: ");
    put_list(out, storm_v_get(s.v, "pods"), "-");
    storm_buf_puts(out, "  nodes: ");
    put_list(out, storm_v_get(s.v, "nodes"), "-");
    const storm_value *size = storm_v_get(s.v, "size");
    storm_buf_printf(out, "  size: %lld", size && size->type == STORM_V_INT ? (long long)size->u.i : 0LL);
    storm_arena_free(a);
    return STORM_OK;
}
