/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory JSON value tree. STIX objects, observations and events are
 * all held as storm_value trees allocated from an arena: the pattern engine
 * matches them directly and JSON is written only for what leaves Storm. */
#ifndef STORM_VALUE_H
#define STORM_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <storm/arena.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_vtype {
    STORM_V_NULL = 0,
    STORM_V_BOOL,
    STORM_V_INT,    /* JSON number without fraction/exponent that fits int64 */
    STORM_V_FLOAT,  /* any other JSON number */
    STORM_V_STRING, /* UTF-8, NUL-terminated, may contain NUL (use len) */
    STORM_V_ARRAY,
    STORM_V_OBJECT, /* members keep input order; duplicate keys: last wins on lookup */
} storm_vtype;

#define STORM_POS_NONE UINT32_MAX

typedef struct storm_value storm_value;

typedef struct storm_member {
    const char *key;
    size_t key_len;
    storm_value *value;
} storm_member;

struct storm_value {
    storm_vtype type;
    uint32_t pos; /* byte offset in the source text, STORM_POS_NONE when built */
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *ptr;
            size_t len;
        } s;
        struct {
            storm_value **items;
            size_t len, alloc;
        } a;
        struct {
            storm_member *members;
            size_t len, alloc;
        } o;
    } u;
};

/* Constructors: all memory comes from the arena; NULL on OOM. Strings are copied. */
storm_value *storm_v_null(storm_arena *a);
storm_value *storm_v_bool(storm_arena *a, bool b);
storm_value *storm_v_int(storm_arena *a, int64_t i);
storm_value *storm_v_float(storm_arena *a, double f);
storm_value *storm_v_str(storm_arena *a, const char *s);
storm_value *storm_v_strn(storm_arena *a, const char *s, size_t len);
/* Does not copy: s must outlive the value (e.g. a literal or arena string). */
storm_value *storm_v_str_borrow(storm_arena *a, const char *s, size_t len);
storm_value *storm_v_array(storm_arena *a);
storm_value *storm_v_object(storm_arena *a);

/* Append to an array; returns 0 or -1 on OOM. */
int storm_v_push(storm_arena *a, storm_value *arr, storm_value *item);
/* Set key (copied) on an object, replacing an existing member of that key.
 * Returns 0 or -1 on OOM. value may not be NULL. */
int storm_v_set(storm_arena *a, storm_value *obj, const char *key, storm_value *value);
int storm_v_setn(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *value);
/* Append a member without looking for an existing one with that key (lookups
 * take the last) and without copying the key: it must outlive the object
 * (a literal, or arena text). Returns 0 or -1 on OOM. */
int storm_v_append(storm_arena *a, storm_value *obj, const char *key, size_t key_len, storm_value *value);
/* Convenience setters (skip silently when s is NULL). */
int storm_v_set_str(storm_arena *a, storm_value *obj, const char *key, const char *s);
int storm_v_set_int(storm_arena *a, storm_value *obj, const char *key, int64_t i);
int storm_v_set_bool(storm_arena *a, storm_value *obj, const char *key, bool b);

/* Lookups: borrowed pointers, NULL when absent or of another type. */
storm_value *storm_v_get(const storm_value *obj, const char *key);
storm_value *storm_v_getn(const storm_value *obj, const char *key, size_t key_len);
/* Lookups by a literal key are on every decoder's hot path: as macros the
 * key's length is known at compile time instead of a strlen per lookup. The
 * functions stay for function pointers and other languages. */
#define storm_v_get(obj, key) storm_v_getn((obj), (key), strlen(key))
/* Follow a NULL-terminated list of object keys from obj. */
storm_value *storm_v_path(const storm_value *obj, const char *const *keys);
const char *storm_v_get_str(const storm_value *obj, const char *key); /* NULL unless a string */
bool storm_v_is_str(const storm_value *v, const char *s);             /* v is a string equal to s */
#define storm_v_get_str(obj, key) storm_v_get_strn((obj), (key), strlen(key))
#define storm_v_is_str(v, s) storm_v_is_strn((v), (s), strlen(s))
const char *storm_v_get_strn(const storm_value *obj, const char *key, size_t key_len);
bool storm_v_is_strn(const storm_value *v, const char *s, size_t n);
size_t storm_v_len(const storm_value *v); /* members, items or string bytes */

/* Deep structural equality (int 1 == float 1.0 is false here: JSON identity). */
bool storm_v_equal(const storm_value *x, const storm_value *y);
/* Deep copy into another arena. */
storm_value *storm_v_copy(storm_arena *a, const storm_value *v);

#ifdef __cplusplus
}
#endif
#endif
