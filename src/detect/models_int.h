/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the attack-model set, shared by its files: models.c (the set,
 * reading files), model_load.c, model_lint.c, model_ids.c, model_copy.c,
 * model_defect.c, model_link.c and model_tree.c. */
#ifndef STORM_DETECT_MODELS_INT_H
#define STORM_DETECT_MODELS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <storm/array.h>
#include <storm/model.h>
#include <storm/pattern.h>
#include <storm/time.h>
#include <storm/value.h>

typedef struct model_idmap_slot {
    const char *key; /* NULL = empty */
    size_t val;
    const char *str;
} model_idmap_slot;

/* id -> value, open addressing, power-of-two capacity. Keys are borrowed. */
typedef struct model_idmap {
    model_idmap_slot *slots;
    size_t cap, n;
} model_idmap;

/* A set of distinct strings (open addressing), so that the kept model
 * objects hold one copy of each: keys, timestamps, types and ids repeat
 * across thousands of objects. Strings are borrowed from the models' arena. */
typedef struct model_str_slot {
    const char *s; /* NULL = empty */
    uint32_t len;  /* a model file is at most 64 MiB */
    uint32_t hash; /* low bits of the string's hash */
} model_str_slot;

/* The last strings interned, by a cheap hash of a few of their bytes:
 * property names, timestamps and types repeat in every object, and are
 * found here without hashing them whole or probing the big table. */
#define MODEL_RECENT_SLOTS 256
#define MODEL_RECENT_MAX 40 /* longest string kept there (a timestamp, an id) */

typedef struct model_strset {
    model_str_slot *slots;
    size_t cap, n;
    model_str_slot recent[MODEL_RECENT_SLOTS];
} model_strset;

typedef struct model_file {
    const char *path; /* arena */
    char *text;       /* owned (malloc); defects and positions point into it */
    size_t len;
    size_t *lines; /* owned: offsets of line starts (built on first use) */
    size_t n_lines;
    size_t last_line, last_off; /* the last position located, to go on from */
    uint32_t last_col;
} model_file;

typedef enum model_kind { MODEL_NONE, MODEL_STEP, MODEL_INDICATOR, MODEL_SET, MODEL_REL } model_kind;

/* Where an id was first defined, and what it is. */
typedef struct model_origin {
    size_t file;
    uint32_t line, col;
    model_kind kind;
    size_t index;
} model_origin;

typedef struct model_rel {
    const char *id, *type, *src, *tgt; /* src/tgt as written (fixed up through model_ref) */
    size_t file;
    uint32_t src_pos, tgt_pos;
    storm_value *object;
} model_rel;

typedef struct model_set {
    const char *id, *name;
} model_set;

typedef struct model_pair {
    size_t a, b;
} model_pair;

struct storm_models {
    storm_arena *arena; /* compact copies of the kept objects, strings */
    model_file *files;
    size_t n_files, alloc_files;
    storm_model_defect *defects;
    size_t n_defects, alloc_defects;
    storm_model_step *steps;
    size_t n_steps, alloc_steps;
    storm_model_indicator *indicators;
    size_t n_indicators, alloc_indicators;
    storm_pattern **patterns;   /* owned (their memory is pattern_arena's) */
    storm_arena *pattern_arena; /* the compiled patterns, shared: see pattern_compile_in */
    size_t n_patterns, alloc_patterns;
    model_rel *rels;
    size_t n_rels, alloc_rels;
    model_set *sets;
    size_t n_sets, alloc_sets;
    storm_value **objects;
    size_t n_objects, alloc_objects;
    model_origin *origins;
    size_t n_origins, alloc_origins;
    model_idmap defined;   /* id -> index into origins */
    model_idmap fixed;     /* bad id as written -> replacement (str) */
    model_strset strings;  /* while loading: the distinct strings of the copies (freed by finish) */
    model_pair *step_next; /* related-to: step a -> step b */
    size_t n_step_next, alloc_step_next;
    model_pair *set_steps; /* uses: set a -> step b */
    size_t n_set_steps, alloc_set_steps;
    size_t n_ignored; /* objects of other types (observations, identities) */
    bool huge_arenas; /* arena and pattern_arena take huge blocks (a large file was loaded) */
    bool finished;
};

/* One file being loaded. */
typedef struct load_ctx {
    storm_models *m;
    size_t file;      /* index into m->files */
    const char *text; /* the file's text */
    size_t len;
    storm_arena *doc; /* the parsed document (freed once the file is loaded), or NULL */
} load_ctx;

/* Grow a malloc'd array to hold n + 1 elements (0, or -1 on OOM; freed in
 * storm_models_free). */
#define GROW(arr, n, alloc) STORM_ARRAY_GROW(arr, (n) + 1, alloc, 16)

/* model_load.c: load the objects of a parsed file (a bundle, an object, or
 * an array of those at the top level). */
void model_load_root(load_ctx *c, const storm_value *v, int depth);

/* model_defect.c: record a defect at byte offset (STORM_POS_NONE: no
 * position) of the file being loaded; strings are copied to the arena. */
__attribute__((format(printf, 5, 6))) void model_defect(load_ctx *c, size_t offset, const char *object_id, bool fatal,
                                                        const char *fmt, ...);
/* line:column (characters) of offset in the file being loaded */
void model_locate(const load_ctx *c, size_t offset, uint32_t *line, uint32_t *col);
/* Offset of the key of the member whose value is v. */
size_t model_key_offset(const load_ctx *c, const storm_value *v);
/* Byte offset in the file of byte k of the decoded JSON string value v. */
size_t model_string_offset(const load_ctx *c, const storm_value *v, size_t k);

/* model_lint.c: the checks, each reporting defects (none rejects an object). */
/* Properties that are neither common, of the type, nor custom (x_). */
void model_check_properties(load_ctx *c, const storm_value *obj, const char *id, const char *type);
/* Is obj[key] a STIX timestamp? false (and a defect when present but bad) if not. */
bool model_check_timestamp(load_ctx *c, const storm_value *obj, const char *key, const char *id);
/* obj[key] as a time; false when absent or not a timestamp. */
bool model_time_of(const storm_value *obj, const char *key, storm_time_ns *t);
/* STIX 2.1 3.2: modified >= created. */
void model_check_created_modified(load_ctx *c, const storm_value *obj, const char *id);
/* Object paths of the pattern that Storm's observations never hold. pv is
 * the indicator's "pattern" value (for positions). */
void model_check_pattern_paths(load_ctx *c, const storm_value *pv, const char *id, const storm_pattern *pat);

/* model_ids.c */
bool model_idmap_get(const model_idmap *t, const char *key, size_t *val);
/* Room in the table of defined ids for n more without growing (a hint:
 * nothing happens on OOM). */
void model_ids_reserve(storm_models *m, size_t n);
/* The fixed-up form of a reference as written. */
const char *model_ref(const storm_models *m, const char *ref);
/* The id in idv (arena copy), or its UUIDv5 replacement when it is not
 * type--UUID (reported as a defect when what is not NULL). NULL when idv is
 * not a string. */
const char *model_fixed_id(load_ctx *c, const storm_value *idv, const char *type, const char *what);
/* Record id as defined at obj; returns its origin index, or SIZE_MAX when it
 * is a duplicate (reported) or on OOM. */
size_t model_claim_id(load_ctx *c, const char *id, const storm_value *obj);
void model_set_origin(storm_models *m, size_t origin, model_kind kind, size_t index);

/* model_copy.c */
/* The one copy of s[0..len) in the models' arena (borrowed when borrow: s
 * must then live in one of the models' arenas). NULL on OOM. */
const char *model_intern(storm_models *m, const char *s, size_t len, bool borrow);
/* Room in the string set for n more strings without growing (a hint:
 * nothing happens on OOM). */
void model_strings_reserve(storm_models *m, size_t n);
/* obj with id fixed and missing common properties filled in (reported),
 * copied compactly into the models' arena. NULL on OOM. */
storm_value *model_normalised_copy(load_ctx *c, const storm_value *obj, const char *id, const char *type);
/* Append obj to the set's objects (0, or -1 on OOM). */
int model_add_object(storm_models *m, storm_value *obj);

#endif
