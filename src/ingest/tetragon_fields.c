/* SPDX-License-Identifier: Apache-2.0 */
/* Typed field readers for protojson records; see tetragon_fields.h. */
#include "tetragon_fields.h"
#include "decoders.h"

#include <stdarg.h>
#include <stdint.h>
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

storm_rc tg_str_slow(storm_err *err, const storm_value *v, const tg_path *path, const char **out)
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
    if (ingest_number_out_of_range(v))
        return tg_fail(err, v, path, "the number is out of range for %s", what);
    if (v->type != STORM_V_INT)
        return tg_fail(err, v, path, "expected %s (a JSON integer), got %s", what, tg_type_name(v));
    if (v->u.i < lo || v->u.i > hi)
        return tg_fail(err, v, path, "%lld is out of range for %s", (long long)v->u.i, what);
    *out = v->u.i;
    if (has)
        *has = true;
    return STORM_OK;
}

storm_rc tg_u32_slow(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has)
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
            return tg_fail(err, v, path, "expected a 64-bit integer (digits in a string), got \"%.40s\"", v->u.s.ptr);
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

/* Two ASCII digits at s as a number, or -1. */
static int two_digits(const char *s)
{
    unsigned hi = (unsigned)(unsigned char)s[0] - '0', lo = (unsigned)(unsigned char)s[1] - '0';
    return hi < 10 && lo < 10 ? (int)(hi * 10 + lo) : -1;
}

/* The time of day of the shape "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" in
 * nanoseconds (a leap second kept inside its minute, as storm_time_parse
 * does); false for any other shape. The date is not looked at. */
static bool time_of_day(const char *s, size_t len, storm_time_ns *tod)
{
    if (len < 20 || len > 30 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len - 1] != 'Z')
        return false;
    int h = two_digits(s + 11), mi = two_digits(s + 14), se = two_digits(s + 17);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return false;
    int64_t frac = 0;
    if (len > 20) {
        if (s[19] != '.' || len == 21)
            return false;
        for (size_t i = 20; i < len - 1; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                return false;
            frac = frac * 10 + d;
        }
        for (size_t nd = len - 21; nd < 9; nd++)
            frac *= 10;
    }
    *tod = (int64_t)(h * 3600 + mi * 60 + (se == 60 ? 59 : se)) * 1000000000LL + frac;
    return true;
}

/* Tetragon's timestamps (the event's, the processes' starts, the
 * container's) fall on a few days (26 dates in the quiet kprobe stream's
 * 83,000 times of 20,000 events): the midnights of dates parsed are kept per
 * thread, one per slot of a small table by a hash of the date, so that a
 * time of one of them costs its time of day and one compare (four entries
 * in turn missed 15% of the times). Only a date storm_time_parse accepted
 * (in full, from a string of the same shape) is kept, and its years are
 * inside 1678..2261 (tg_time refuses others first), so that every time of
 * day of it is in range as well. */
#define DATE_CACHE 64 /* a power of two */

typedef struct date_ent {
    char date[10]; /* "YYYY-MM-DD" */
    bool used;
    storm_time_ns midnight;
} date_ent;

static _Thread_local date_ent date_cache[DATE_CACHE];

/* The ten bytes "YYYY-MM-DD" at s: two loads, no call (it runs for every
 * Tetragon time). s holds at least 20 bytes (time_of_day). */
static inline void date_words(const char *s, uint64_t *x, uint16_t *u)
{
    memcpy(x, s, 8);
    memcpy(u, s + 8, 2);
}

static inline date_ent *date_slot(uint64_t x, uint16_t u)
{
    return &date_cache[((x ^ (uint64_t)u << 48) * 0x9E3779B97F4A7C15ull) >> 58 & (DATE_CACHE - 1)];
}

static const date_ent *date_find(const char *s)
{
    uint64_t x, y;
    uint16_t u, v;
    date_words(s, &x, &u);
    const date_ent *e = date_slot(x, u);
    if (!e->used)
        return NULL;
    date_words(e->date, &y, &v);
    return x == y && u == v ? e : NULL;
}

static void date_keep(const char *s, storm_time_ns midnight)
{
    uint64_t x;
    uint16_t u;
    date_words(s, &x, &u);
    date_ent *e = date_slot(x, u);
    memcpy(e->date, s, 10);
    e->midnight = midnight;
    e->used = true;
}

/* The midnight of the date "YYYY-MM-DD" at s when it is one storm_time_parse
 * accepts and its year is inside 1678..2261 (where every time of day is in
 * range too); false otherwise (the caller then takes the full parse and its
 * errors). A date the cache does not hold costs this, not a full parse. */
static bool date_midnight(const char *s, storm_time_ns *midnight)
{
    int c = two_digits(s), y = two_digits(s + 2), mo = two_digits(s + 5), d = two_digits(s + 8);
    if (c < 0 || y < 0 || mo < 1 || mo > 12 || d < 1 || s[4] != '-' || s[7] != '-')
        return false;
    int year = c * 100 + y;
    if (year < 1678 || year > 2261)
        return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return false;
    *midnight = storm_days_from_civil(year, (unsigned)mo, (unsigned)d) * 86400LL * 1000000000LL;
    return true;
}

storm_rc tg_time(storm_err *err, const storm_value *v, const tg_path *path, storm_time_ns *out, bool *has)
{
    if (!v || v->type == STORM_V_NULL)
        return STORM_OK;
    if (v->type != STORM_V_STRING)
        return tg_fail(err, v, path, "expected an RFC 3339 timestamp string, got %s", tg_type_name(v));
    storm_time_ns tod;
    bool shaped = time_of_day(v->u.s.ptr, v->u.s.len, &tod);
    const date_ent *day = shaped ? date_find(v->u.s.ptr) : NULL;
    storm_time_ns midnight;
    if (day || (shaped && date_midnight(v->u.s.ptr, &midnight))) {
        if (!day)
            date_keep(v->u.s.ptr, midnight);
        *out = (day ? day->midnight : midnight) + tod;
        if (has)
            *has = true;
        return STORM_OK;
    }
    /* storm_time_ns spans 1677-09-21 .. 2262-04-11: refuse years outside it
     * before converting (a year like 9999 would overflow the nanoseconds) */
    const char *s = v->u.s.ptr;
    if (v->u.s.len >= 4 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
        s[3] >= '0' && s[3] <= '9') {
        int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        if (year < 1678 || year > 2261)
            return tg_fail(err, v, path, "timestamp \"%.40s\" is outside the years 1678..2261", s);
    }
    if (!storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_LENIENT, out))
        return tg_fail(err, v, path, "not an RFC 3339 timestamp: \"%.40s\"", v->u.s.ptr);
    if (shaped)
        date_keep(v->u.s.ptr, *out - tod);
    if (has)
        *has = true;
    return STORM_OK;
}

storm_rc tg_object_slow(storm_err *err, const storm_value *v, const tg_path *path, const storm_value **out)
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
    /* the value and its first members in one piece: one arena call */
    storm_value *o = storm_arena_alloc(a, sizeof *o + hint * sizeof(storm_member));
    if (!o)
        return NULL;
    o->type = STORM_V_OBJECT;
    o->pos = STORM_POS_NONE;
    o->u.o.members = hint ? (storm_member *)(void *)(o + 1) : NULL;
    o->u.o.len = 0;
    o->u.o.alloc = hint;
    return o;
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
    return storm_v_append(a, obj, key, key_len, v);
}

int tg_obj_copy_member(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *v)
{
    if (obj && obj->u.o.len < 32)
        return tg_obj_put(a, obj, key, key_len, v);
    return storm_v_append(a, obj, key, key_len, v);
}

storm_value *tg_str_value(storm_arena *a, const char *s)
{
    return storm_v_str_borrow(a, s, strlen(s));
}
