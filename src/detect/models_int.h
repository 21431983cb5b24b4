/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the attack-model set (models.c, model_tree.c). */
#ifndef STORM_DETECT_MODELS_INT_H
#define STORM_DETECT_MODELS_INT_H

#include <storm/model.h>

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
    size_t len;
    uint64_t hash;
} model_str_slot;

typedef struct model_strset {
    model_str_slot *slots;
    size_t cap, n;
} model_strset;

typedef struct model_file {
    const char *path; /* arena */
    char *text;       /* owned (malloc); defects and positions point into it */
    size_t len;
    size_t *lines;    /* owned: offsets of line starts (built on first use) */
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
    storm_pattern **patterns; /* owned (their memory is pattern_arena's) */
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
    model_idmap defined; /* id -> index into origins */
    model_idmap fixed;   /* bad id as written -> replacement (str) */
    model_strset strings; /* while loading: the distinct strings of the copies (freed by finish) */
    model_pair *step_next; /* related-to: step a -> step b */
    size_t n_step_next, alloc_step_next;
    model_pair *set_steps; /* uses: set a -> step b */
    size_t n_set_steps, alloc_set_steps;
    size_t n_ignored;      /* objects of other types (observations, identities) */
    bool finished;
};

bool model_idmap_get(const model_idmap *t, const char *key, size_t *val);
/* The fixed-up form of a reference as written. */
const char *model_ref(const storm_models *m, const char *ref);

#endif
