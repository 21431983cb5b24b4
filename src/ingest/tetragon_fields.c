/* SPDX-License-Identifier: Apache-2.0 */
/* Typed field readers for protojson records; see tetragon_fields.h. */
#include "ingest/tetragon_fields.h"

#include <stdarg.h>
#include <stdio.h>

/* Writes the path root-first into buf ("process_kprobe.args[1].sock_arg"). */
static size_t path_format(const tg_path *p, char *buf, size_t cap)
{
    if (!p || cap == 0)
        return 0;
    size_t n = path_format(p->up, buf, cap);
    int w;
    if (p->key)
        w = snprintf(buf + n, cap - n, "%s%s", n ? "." : "", p->key);
    else
        w = snprintf(buf + n, cap - n, "[%zu]", p->index);
    if (w < 0)
        return n;
    n += (size_t)w;
    return n < cap ? n : cap - 1;
}

storm_rc tg_fail(storm_err *err, const storm_value *at, const tg_path *path, const char *fmt, ...)
{
    char where[256], what[256];
    where[0] = '\0';
    path_format(path, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t off = at && at->pos != STORM_POS_NONE ? at->pos : 0;
    return storm_err_set(err, STORM_ERR_VALUE, off, "%s%s%s", where, where[0] ? ": " : "", what);
}

const char *tg_type_name(const storm_value *v)
{
    if (!v)
        return "nothing";
    switch (v->type) {
    case STORM_V_NULL: return "null";
    case STORM_V_BOOL: return "a boolean";
    case STORM_V_INT: return "an integer";
    case STORM_V_FLOAT: return "a fractional number";
    case STORM_V_STRING: return "a string";
    case STORM_V_ARRAY: return "an array";
    case STORM_V_OBJECT: return "an object";
    }
    return "an unknown value";
}

storm_rc tg_str(storm_err *err, const storm_value *v, const tg_path *path, const char **out)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != STORM_V_STRING)
        return tg_fail(err, v, path, "expected a string, got %s", tg_type_name(v));
    *out = v->u.s.ptr;
    return STORM_OK;
}

static storm_rc int_in_range(storm_err *err, const storm_value *v, const tg_path *path, int64_t lo, int64_t hi,
                             const char *what, int64_t *out, bool *has)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != STORM_V_INT)
        return tg_fail(err, v, path, "expected %s (a JSON integer), got %s", what, tg_type_name(v));
    if (v->u.i < lo || v->u.i > hi)
        return tg_fail(err, v, path, "%lld is out of range for %s", (long long)v->u.i, what);
    *out = v->u.i;
    if (has)
        *has = true;
    return STORM_OK;
}

storm_rc tg_u32(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has)
{
    return int_in_range(err, v, path, 0, UINT32_MAX, "an unsigned 32-bit integer", out, has);
}

storm_rc tg_port(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has)
{
    return int_in_range(err, v, path, 0, 65535, "a port number", out, has);
}

storm_rc tg_i32(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has)
{
    return int_in_range(err, v, path, INT32_MIN, INT32_MAX, "a signed 32-bit integer", out, has);
}

bool tg_parse_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len || len - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow uint64 */
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

storm_rc tg_i64(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type == STORM_V_INT) {
        *out = v->u.i;
    } else if (v->type == STORM_V_STRING) {
        if (!tg_parse_i64(v->u.s.ptr, v->u.s.len, out))
            return tg_fail(err, v, path, "expected a 64-bit integer (digits in a string), got \"%.40s\"",
                           v->u.s.ptr);
    } else {
        return tg_fail(err, v, path, "expected a 64-bit integer (a number or a string of digits), got %s",
                       tg_type_name(v));
    }
    if (has)
        *has = true;
    return STORM_OK;
}

storm_rc tg_bool(storm_err *err, const storm_value *v, const tg_path *path, bool *out, bool *has)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != STORM_V_BOOL)
        return tg_fail(err, v, path, "expected a boolean, got %s", tg_type_name(v));
    *out = v->u.b;
    if (has)
        *has = true;
    return STORM_OK;
}

storm_rc tg_time(storm_err *err, const storm_value *v, const tg_path *path, storm_time_ns *out, bool *has)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != STORM_V_STRING)
        return tg_fail(err, v, path, "expected an RFC 3339 timestamp string, got %s", tg_type_name(v));
    /* storm_time_ns spans 1677-09-21 .. 2262-04-11: refuse years outside it
     * before converting (a year like 9999 would overflow the nanoseconds) */
    const char *s = v->u.s.ptr;
    if (v->u.s.len >= 4 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
        s[2] <= '9' && s[3] >= '0' && s[3] <= '9') {
        int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        if (year < 1678 || year > 2261)
            return tg_fail(err, v, path, "timestamp \"%.40s\" is outside the years 1678..2261", s);
    }
    if (!storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_LENIENT, out))
        return tg_fail(err, v, path, "not an RFC 3339 timestamp: \"%.40s\"", v->u.s.ptr);
    if (has)
        *has = true;
    return STORM_OK;
}

storm_rc tg_object(storm_err *err, const storm_value *v, const tg_path *path, const storm_value **out)
{
    if (!v || v->type == STORM_V_NULL) {
        *out = NULL;
        return STORM_OK;
    }
    if (v->type != STORM_V_OBJECT)
        return tg_fail(err, v, path, "expected an object, got %s", tg_type_name(v));
    *out = v;
    return STORM_OK;
}

storm_rc tg_array(storm_err *err, const storm_value *v, const tg_path *path, const storm_value **out)
{
    if (!v || v->type == STORM_V_NULL) {
        *out = NULL;
        return STORM_OK;
    }
    if (v->type != STORM_V_ARRAY)
        return tg_fail(err, v, path, "expected an array, got %s", tg_type_name(v));
    *out = v;
    return STORM_OK;
}

storm_value *tg_obj_new(storm_arena *a, size_t hint)
{
    storm_value *o = storm_v_object(a);
    if (o && hint) {
        o->u.o.members = storm_arena_alloc(a, hint * sizeof *o->u.o.members);
        if (!o->u.o.members)
            return NULL;
        o->u.o.alloc = hint;
    }
    return o;
}

int tg_obj_add(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *v)
{
    if (!obj || !v)
        return -1;
    if (obj->u.o.len == obj->u.o.alloc) {
        size_t na = obj->u.o.alloc ? obj->u.o.alloc * 2 : 8;
        storm_member *ms = storm_arena_alloc(a, na * sizeof *ms);
        if (!ms)
            return -1;
        if (obj->u.o.len)
            memcpy(ms, obj->u.o.members, obj->u.o.len * sizeof *ms);
        obj->u.o.members = ms;
        obj->u.o.alloc = na;
    }
    obj->u.o.members[obj->u.o.len++] = (storm_member){key, key_len, v};
    return 0;
}

int tg_obj_put(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *v)
{
    if (!obj || !v)
        return -1;
    for (size_t i = 0; i < obj->u.o.len; i++) {
        storm_member *m = &obj->u.o.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
            m->value = v;
            return 0;
        }
    }
    return tg_obj_add(a, obj, key, key_len, v);
}

int tg_obj_copy_member(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *v)
{
    if (obj && obj->u.o.len < 32)
        return tg_obj_put(a, obj, key, key_len, v);
    return tg_obj_add(a, obj, key, key_len, v);
}

storm_value *tg_str_value(storm_arena *a, const char *s)
{
    return storm_v_str_borrow(a, s, strlen(s));
}
