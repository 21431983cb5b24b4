/* SPDX-License-Identifier: Apache-2.0 */
/* Attack models: STIX 2.1 bundles of attack-patterns (the steps),
 * indicators (STIX patterns that reveal a step), relationships (indicates,
 * related-to, uses) and intrusion-sets, loaded from files and directories.
 *
 * Loading is forgiving on purpose: models from the field carry defects (ids
 * that are not type--UUID, patterns that do not parse, properties that are
 * not STIX). Every defect is recorded with its file and line:column, and
 * whatever is sound is loaded; one bad indicator never refuses the set. */
#ifndef STORM_MODEL_H
#define STORM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/pattern.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_models storm_models;

/* A defect found while loading: where, which object, what is wrong. */
typedef struct storm_model_defect {
    const char *file;      /* path as given (borrowed from the models) */
    uint32_t line, col;    /* 1-based; 0 when unknown */
    const char *object_id; /* id of the object at fault, or NULL */
    const char *message;   /* what is wrong and what was done about it */
    bool fatal;            /* the object was not loaded (false: loaded anyway, with a fix-up) */
} storm_model_defect;

/* A step of an attack (attack-pattern). */
typedef struct storm_model_step {
    const char *id; /* type--UUID (a non-UUID id from the file is replaced, see defects) */
    const char *name;
    const char *description;   /* may be NULL */
    const char *tactic;        /* first kill_chain_phases phase_name, or NULL */
    const char *technique;     /* first external_references external_id (e.g. T1611), or NULL */
    const storm_value *object; /* the (id-fixed) STIX object, borrowed */
} storm_model_step;

/* An indicator that compiled. */
typedef struct storm_model_indicator {
    const char *id;
    const char *name;
    const char *pattern_text;
    const storm_pattern *pattern; /* compiled, owned by the models */
    size_t n_steps;
    const size_t *steps; /* indices into the steps it indicates */
    const char *file;    /* where it came from */
    uint32_t line, col;
    const storm_value *object; /* the (id-fixed) STIX object, borrowed */
    int64_t valid_until;       /* ns since the epoch; 0 = no end. The detector ignores the
                                  indicator for events at or after it (event time, not the
                                  clock: a replayed recording is judged as of its own time) */
} storm_model_indicator;

/* New empty set; *out owned (storm_models_free). */
storm_rc storm_models_new(storm_models **out);
void storm_models_free(storm_models *m);

/* Load a file (.json: a bundle, an array of bundles, an object or an array of
 * objects) or every *.json file of a directory (recursively, sorted by name,
 * so ids and output are stable). Defects are recorded, not returned: the
 * return value is an error only when the path cannot be read at all (then it
 * is also recorded as a defect). Relationships are resolved by
 * storm_models_finish. */
storm_rc storm_models_load_path(storm_models *m, const char *path, storm_err *err);
/* Load JSON text held by the caller (copied). name is used in defects. */
storm_rc storm_models_load_text(storm_models *m, const char *name, const char *text, size_t len, storm_err *err);
/* Resolve relationships across all loaded files; dangling references become
 * defects. Call once after the last load. */
void storm_models_finish(storm_models *m);

size_t storm_models_n_defects(const storm_models *m);
const storm_model_defect *storm_models_defect(const storm_models *m, size_t i);
size_t storm_models_n_indicators(const storm_models *m);
const storm_model_indicator *storm_models_indicator(const storm_models *m, size_t i);
size_t storm_models_n_steps(const storm_models *m);
const storm_model_step *storm_models_step(const storm_models *m, size_t i);
/* Counts of other loaded objects. */
size_t storm_models_n_relationships(const storm_models *m);
size_t storm_models_n_intrusion_sets(const storm_models *m);
size_t storm_models_n_files(const storm_models *m);

/* The related-to edges between steps (source step -> next step), as step
 * indices: the attack graph that sessions' paths are placed on. */
size_t storm_models_n_step_edges(const storm_models *m);
void storm_models_step_edge(const storm_models *m, size_t i, size_t *from, size_t *to);

/* Every loaded model object (attack-patterns, indicators, relationships,
 * intrusion-sets), ids fixed, for storing. Borrowed. */
size_t storm_models_n_objects(const storm_models *m);
const storm_value *storm_models_object(const storm_models *m, size_t i);

/* True when an object with this id (as fixed) is loaded: for merging sets
 * from several sources without duplicate-id defects. */
bool storm_models_has_id(const storm_models *m, const char *id);

/* Print one defect as "FILE:LINE:COL: message [id]". */
void storm_model_defect_format(const storm_model_defect *d, storm_buf *out);

/* Render the attack tree: per intrusion-set (or, for steps used by none, per
 * chain), steps in related-to order, and under each step its indicators. */
storm_rc storm_models_render_tree(const storm_models *m, storm_buf *out);

#ifdef __cplusplus
}
#endif
#endif
