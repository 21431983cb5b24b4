/* SPDX-License-Identifier: Apache-2.0 */
/* Typed field readers for protojson records (Tetragon events, Hubble flows).
 *
 * Both sensors export protobuf messages as JSON, with the same quirks: zero
 * values are omitted (absent means 0/false/unknown), 64-bit integers may be
 * written as strings, enums are names. The readers below never trust the
 * input's types: a field of the wrong type yields STORM_ERR_VALUE with the
 * byte position of the offending value and its field path
 * ("process_kprobe.args[1].sock_arg.sport: ..."), and an absent field leaves
 * the output untouched and returns STORM_OK.
 *
 * Field paths cost nothing on the success path: a tg_path is a chain of stack
 * nodes that is only walked to format an error. */
#ifndef STORM_INGEST_TETRAGON_FIELDS_H
#define STORM_INGEST_TETRAGON_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/time.h>
#include <storm/value.h>

/* One step of a field path: an object key, or an array index when key is NULL. */
typedef struct tg_path {
    const struct tg_path *up;
    const char *key;
    size_t index;
} tg_path;

#define TG_KEY(parent, k) ((tg_path){(parent), (k), 0})
#define TG_INDEX(parent, i) ((tg_path){(parent), NULL, (i)})

/* Does member m have exactly the key lit (a string literal)? */
#define TG_KEY_IS(m, lit) ((m)->key_len == sizeof(lit) - 1 && memcmp((m)->key, (lit), sizeof(lit) - 1) == 0)

/* Record STORM_ERR_VALUE at value `at` (its pos; 0 when NULL or built) with
 * the message "<path>: <fmt...>". Returns STORM_ERR_VALUE. */
storm_rc tg_fail(storm_err *err, const storm_value *at, const tg_path *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "a string", "an object", ... for error messages. */
const char *tg_type_name(const storm_value *v);

/* Typed conversions of one value v found at path. Each returns STORM_OK and
 * fills *out, or STORM_ERR_VALUE (err set) when v has the wrong type/range.
 * A JSON null is treated as absent (STORM_OK, *out untouched, *has false). */
/* tg_str, tg_u32 and tg_object run for most members of every record: the
 * value of the expected type is handled inline (and the caller's path,
 * needed only for an error, is then never built); the *_slow functions do
 * the rest (null, wrong type, out of range). */
storm_rc tg_str_slow(storm_err *err, const storm_value *v, const tg_path *path, const char **out);
static inline storm_rc tg_str(storm_err *err, const storm_value *v, const tg_path *path, const char **out)
{
    if (v && v->type == STORM_V_STRING) {
        *out = v->u.s.ptr;
        return STORM_OK;
    }
    return tg_str_slow(err, v, path, out);
}
/* A uint32 protobuf field: a JSON integer in [0, 4294967295]. */
storm_rc tg_u32_slow(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has);
static inline storm_rc tg_u32(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has)
{
    if (v && v->type == STORM_V_INT && v->u.i >= 0 && v->u.i <= (int64_t)UINT32_MAX) {
        *out = v->u.i;
        if (has)
            *has = true;
        return STORM_OK;
    }
    return tg_u32_slow(err, v, path, out, has);
}
/* A TCP/UDP/SCTP port: a JSON integer in [0, 65535]. */
storm_rc tg_port(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has);
/* An int32 protobuf field: a JSON integer in [-2^31, 2^31-1]. */
storm_rc tg_i32(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has);
/* A 64-bit protobuf field: a JSON integer or a string of decimal digits (as
 * protojson writes int64/uint64). Values above INT64_MAX fail. */
storm_rc tg_i64(storm_err *err, const storm_value *v, const tg_path *path, int64_t *out, bool *has);
storm_rc tg_bool(storm_err *err, const storm_value *v, const tg_path *path, bool *out, bool *has);
/* An RFC 3339 timestamp string (google.protobuf.Timestamp). */
storm_rc tg_time(storm_err *err, const storm_value *v, const tg_path *path, storm_time_ns *out, bool *has);
/* Type checks for containers (null counts as absent: *out = NULL). */
storm_rc tg_object_slow(storm_err *err, const storm_value *v, const tg_path *path, const storm_value **out);
static inline storm_rc tg_object(storm_err *err, const storm_value *v, const tg_path *path, const storm_value **out)
{
    if (v && v->type == STORM_V_OBJECT) {
        *out = v;
        return STORM_OK;
    }
    return tg_object_slow(err, v, path, out);
}
storm_rc tg_array(storm_err *err, const storm_value *v, const tg_path *path, const storm_value **out);

/* Parse s[0..len) as a decimal int64 (optional '-'); false when it is not one
 * or does not fit. */
bool tg_parse_i64(const char *s, size_t len, int64_t *out);

/* Object builder: an object with room for hint members; members are then
 * appended with storm_v_append (no duplicate-key scan; callers add each key
 * once; keys borrowed: literals or arena strings). */
storm_value *tg_obj_new(storm_arena *a, size_t hint);
/* Like storm_v_append, but replaces the value of an existing key (the input may
 * repeat a key; what we build keeps one, the last, as lookups do). */
int tg_obj_put(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *v);
/* For copying an input object member by member: replaces repeated keys like
 * tg_obj_put while the object is small (every real one), appends past that so
 * that a hostile object of a million keys costs linear time (lookups still
 * find the last value). */
int tg_obj_copy_member(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *v);
#define TG_OBJ_ADD_LIT(a, obj, lit, v) tg_obj_put((a), (obj), (lit), sizeof(lit) - 1, (v))
/* Borrowing string value (s must outlive it; NUL-terminated). */
storm_value *tg_str_value(storm_arena *a, const char *s);

#endif
