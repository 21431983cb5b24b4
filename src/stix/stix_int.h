/* SPDX-License-Identifier: Apache-2.0 */
/* Internal helpers of the STIX module: building value trees without
 * per-member copies (keys are literals, strings are borrowed from the event),
 * and the id primitives shared by observe.c and bundle.c. */
#ifndef STORM_STIX_INT_H
#define STORM_STIX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <storm/stix.h>

/* A builder: one arena and a sticky out-of-memory flag, so that building code
 * reads straight and checks once at the end. */
typedef struct stix_b {
    storm_arena *a;
    bool oom;
    /* Everything built is carved from blocks taken from the arena at once
     * (sb_alloc): an observation is a few hundred small pieces, and one
     * arena call each was a measurable part of building it. */
    char *cur;
    size_t left;
} stix_b;

/* size bytes (8-byte aligned) from the builder's block, inline; a new block,
 * or the arena directly for a large piece, in sb_alloc_slow. Borrowed from
 * the arena; NULL (and b->oom) when it is exhausted. */
void *sb_alloc_slow(stix_b *b, size_t size);
static inline void *sb_alloc(stix_b *b, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (size && size <= b->left) {
        void *p = b->cur;
        b->cur += size;
        b->left -= size;
        return p;
    }
    return sb_alloc_slow(b, size);
}
/* Copy of s[0..len) with a NUL (sb_alloc). */
char *sb_strndup(stix_b *b, const char *s, size_t len);

/* An empty object (array) with room for cap members (items), the value and
 * its room in one piece (sb_alloc); NULL (and b->oom) when out of memory.
 * Inline: an observation makes dozens. */
static inline storm_value *sb_obj(stix_b *b, size_t cap)
{
    storm_value *v = (storm_value *)sb_alloc(b, sizeof *v + cap * sizeof(storm_member));
    if (!v) {
        b->oom = true;
        return NULL;
    }
    v->type = STORM_V_OBJECT;
    v->pos = STORM_POS_NONE;
    v->u.o.members = cap ? (storm_member *)(void *)(v + 1) : NULL;
    v->u.o.len = 0;
    v->u.o.alloc = cap;
    return v;
}
static inline storm_value *sb_arr(stix_b *b, size_t cap)
{
    storm_value *v = (storm_value *)sb_alloc(b, sizeof *v + cap * sizeof(storm_value *));
    if (!v) {
        b->oom = true;
        return NULL;
    }
    v->type = STORM_V_ARRAY;
    v->pos = STORM_POS_NONE;
    v->u.a.items = cap ? (storm_value **)(void *)(v + 1) : NULL;
    v->u.a.len = 0;
    v->u.a.alloc = cap;
    return v;
}
/* Append key[0..klen) (a literal or arena string, not copied) -> v; v NULL
 * is ignored. The sb_put* macros take string-literal keys and spare a strlen
 * per member: this is the event hot path. */
void sb_putn_grow(stix_b *b, storm_value *obj, const char *key, size_t klen, storm_value *v);
static inline void sb_putn(stix_b *b, storm_value *obj, const char *key, size_t klen, storm_value *v)
{
    /* inline: most members are absent (v NULL) or fit the pre-sized array */
    if (!obj || !v)
        return;
    if (obj->u.o.len < obj->u.o.alloc)
        obj->u.o.members[obj->u.o.len++] = (storm_member){key, klen, v};
    else
        sb_putn_grow(b, obj, key, klen, v);
}
#define sb_put(b, obj, key, v) sb_putn((b), (obj), (key), sizeof(key "") - 1, (v))
#define sb_put_str(b, obj, key, s) sb_putn((b), (obj), (key), sizeof(key "") - 1, sb_str((b), (s)))
#define sb_put_int(b, obj, key, i) sb_putn((b), (obj), (key), sizeof(key "") - 1, sb_int((b), (i)))
/* Append v (NULL is ignored) to arr, grown in sb_push_grow when full.
 * Inline, as sb_putn: most arrays are pre-sized. */
void sb_push_grow(stix_b *b, storm_value *arr, storm_value *v);
static inline void sb_push(stix_b *b, storm_value *arr, storm_value *v)
{
    if (arr && v && arr->u.a.len < arr->u.a.alloc)
        arr->u.a.items[arr->u.a.len++] = v;
    else
        sb_push_grow(b, arr, v);
}
/* Borrowed string value; NULL for NULL or "" (STIX has no empty strings). */
static inline storm_value *sb_value(stix_b *b)
{
    return (storm_value *)sb_alloc(b, sizeof(storm_value));
}
/* Borrowed string value; NULL for NULL or "" (STIX has no empty strings). */
static inline storm_value *sb_strn(stix_b *b, const char *s, size_t len)
{
    if (!s || !len)
        return NULL;
    storm_value *v = sb_value(b);
    if (v) {
        v->type = STORM_V_STRING;
        v->pos = STORM_POS_NONE;
        v->u.s.ptr = s;
        v->u.s.len = len;
    }
    return v;
}
static inline storm_value *sb_str(stix_b *b, const char *s)
{
    return s && *s ? sb_strn(b, s, strlen(s)) : NULL;
}
storm_value *sb_int(stix_b *b, int64_t i);
/* A copy of a sensor value fit for an SCO: object keys made valid STIX
 * dictionary keys (lower case, bytes outside [a-z0-9_-] -> '_', 3..250
 * characters, collisions suffixed "_2", "_3", ...; see build.c), null members
 * and empty strings/arrays/objects dropped, strings borrowed. The value
 * itself when it is already fit. NULL when nothing is left. depth-limited. */
storm_value *sb_sanitized(stix_b *b, const storm_value *v);

/* RFC 3339 UTC text of t as storm_time_format_stix(t, min_digits) writes it
 * (microseconds at most, truncated; trailing zeros dropped down to
 * min_digits; years 1677..2262 fit int64 ns), without printf: it runs
 * several times per event. Returns the length. */
size_t stix_time_text(storm_time_ns t, int min_digits, char out[40]);

/* strlen("extension-definition--") + 36 */
#define STIX_EXT_ID_LEN 58

/* Canonical JSON (RFC 8785) into a SHA-1 state; see id.c. */
typedef struct stix_sha1 {
    unsigned char opaque[128]; /* SHA_CTX */
} stix_sha1;
void stix_sha1_init(stix_sha1 *s);
void stix_sha1_update(stix_sha1 *s, const void *p, size_t n);
void stix_sha1_final(stix_sha1 *s, unsigned char md[20]);
void stix_sha1_canonical(stix_sha1 *s, const storm_value *v);
/* SHA-1 of a short message that repeats from event to event (process keys),
 * through a small per-thread cache keyed by a 128-bit hash of the bytes (as
 * the SCO id cache: equal keys mean equal messages short of a collision). */
void stix_sha1_cached(const void *data, size_t len, unsigned char md[20]);
/* UUIDv4-shaped text from a 20-byte digest. */
void stix_uuid4_from_digest(const unsigned char md[20], char out[37]);

/* ---- SCO identity (id.c) ----
 * The SCO types with deterministic ids (STIX 2.1 section 2.9), in the order
 * of id.c's table; kinds from STIX_SCO__IDENTIFIED on have no contributing
 * properties (their ids are given: process). */
typedef enum stix_sco_kind {
    STIX_SCO_ARTIFACT = 0,
    STIX_SCO_AUTONOMOUS_SYSTEM,
    STIX_SCO_DIRECTORY,
    STIX_SCO_DOMAIN_NAME,
    STIX_SCO_EMAIL_ADDR,
    STIX_SCO_EMAIL_MESSAGE,
    STIX_SCO_FILE,
    STIX_SCO_IPV4_ADDR,
    STIX_SCO_IPV6_ADDR,
    STIX_SCO_MAC_ADDR,
    STIX_SCO_MUTEX,
    STIX_SCO_NETWORK_TRAFFIC,
    STIX_SCO_SOFTWARE,
    STIX_SCO_URL,
    STIX_SCO_USER_ACCOUNT,
    STIX_SCO_WINDOWS_REGISTRY_KEY,
    STIX_SCO_X509_CERTIFICATE,
    STIX_SCO__IDENTIFIED,
    STIX_SCO_PROCESS = STIX_SCO__IDENTIFIED,
    STIX_SCO__COUNT
} stix_sco_kind;

typedef struct stix_id_props stix_id_props;
/* The contributing properties of kind k (static); NULL for process. */
const stix_id_props *stix_id_props_get(stix_sco_kind k);
/* The type name (static) and its length. */
const char *stix_id_props_type(const stix_id_props *ip, size_t *len);
#define STIX_ID_PROPS_MAX 8
/* The values of sco's (of ip's type) contributing properties into vals, in
 * the table's order, NULL for those absent; returns how many are present
 * (none: the SCO has no id). Members before from are not looked at (no
 * contributing property is type, spec_version or id, which the observation
 * builder puts first). Borrowed from sco. */
size_t stix_sco_id_values(const stix_id_props *ip, const storm_value *sco, size_t from,
                          const storm_value *vals[STIX_ID_PROPS_MAX]);
/* Two SCOs of one type whose contributing values are x and y have the same
 * id: the canonical JSON of those properties is the same. Decided on the
 * values, without hashing: how the observation builder deduplicates before
 * ids exist. The text of references is compared as it stands, so references
 * to objects whose ids are still placeholders compare as those objects' ids
 * will. */
bool stix_id_values_equal(const storm_value *const x[STIX_ID_PROPS_MAX], const storm_value *const y[STIX_ID_PROPS_MAX]);
/* The UUIDv5 of sco (of ip's type) into out (36 characters + NUL), through
 * the per-thread id cache; false when no contributing property is present. */
bool stix_sco_uuid(const stix_id_props *ip, const storm_value *sco, char out[37]);

/* ---- cut.c: how sensor values are cut into properties ---- */

/* A sensor's name for something that is not a file on disk: "<kernel>",
 * "<NA>", "[vdso]", "pipe:[1234]", "anon_inode:[eventpoll]". It stays in the
 * x_* property that carries the sensor's value (x_proc_binary, x_hook_args,
 * x_alert_fields), never a file SCO. */
bool stix_pseudo_path(const char *path);

/* A file path as a file SCO holds it: the name after the last '/' (trailing
 * slashes ignored), and the directory before it when the path is absolute
 * (dir_len 0: none). Borrowed from path. */
typedef struct stix_cut {
    const char *name;
    size_t name_len;
    size_t dir_len; /* path[0..dir_len) */
    size_t full;    /* strlen(path) */
} stix_cut;

void stix_path_cut(const char *path, stix_cut *out);

/* process:command_line: the sensor's command line, else the executable,
 * followed (when *args is set) by a space and its arguments; NULL when there
 * is none. */
const char *stix_command_line_parts(const storm_process_info *p, const char **args);

#endif
