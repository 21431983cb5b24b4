/* SPDX-License-Identifier: Apache-2.0 */
/* The attack-model set (storm/model.h): its lifecycle, reading model files
 * and directories, and what it holds. Each file is parsed whole and its
 * objects loaded one by one (model_load.c), checked against the STIX 2.1
 * rules that matter for detection (model_lint.c), with bad ids fixed
 * (model_ids.c) and every defect recorded with file:line:column
 * (model_defect.c). Relationships are resolved once every file is in
 * (model_link.c). */
#include <storm/model.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <storm/io.h>
#include <storm/json.h>

#include "models_int.h"

#define MODEL_FILE_MAX ((size_t)64 << 20) /* bytes of one model file */
#define MODEL_DIR_DEPTH 16
#define MODEL_FILE_HUGE ((size_t)4 << 20) /* a file this large gets arenas on huge pages */

storm_rc storm_models_new(storm_models **out)
{
    *out = NULL;
    storm_models *m = calloc(1, sizeof *m);
    if (!m)
        return STORM_ERR_NOMEM;
    m->arena = storm_arena_new(0, 0);
    m->pattern_arena = storm_arena_new(0, 0);
    if (!m->arena || !m->pattern_arena) {
        storm_arena_free(m->arena);
        storm_arena_free(m->pattern_arena);
        free(m);
        return STORM_ERR_NOMEM;
    }
    *out = m;
    return STORM_OK;
}

void storm_models_free(storm_models *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_patterns; i++)
        storm_pattern_free(m->patterns[i]);
    storm_arena_free(m->pattern_arena);
    for (size_t i = 0; i < m->n_files; i++) {
        free(m->files[i].text);
        free(m->files[i].lines);
    }
    free(m->patterns);
    free(m->files);
    free(m->defects);
    free(m->steps);
    free(m->indicators);
    free(m->rels);
    free(m->sets);
    free(m->objects);
    free(m->origins);
    free(m->defined.slots);
    free(m->fixed.slots);
    free(m->strings.slots);
    free(m->step_next);
    free(m->set_steps);
    storm_arena_free(m->arena);
    free(m);
}

static size_t add_file(storm_models *m, const char *name)
{
    if (GROW(m->files, m->n_files, m->alloc_files) != 0)
        return SIZE_MAX;
    model_file *f = &m->files[m->n_files];
    memset(f, 0, sizeof *f);
    f->path = storm_arena_strdup(m->arena, name);
    if (!f->path)
        return SIZE_MAX;
    return m->n_files++;
}

/* Takes ownership of text (malloc'ed). */
static storm_rc load_owned_text(storm_models *m, const char *name, char *text, size_t len, storm_err *err)
{
    size_t fi = add_file(m, name);
    if (fi == SIZE_MAX) {
        free(text);
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading %s", name);
    }
    m->files[fi].text = text;
    m->files[fi].len = len;
    /* the document lives only while its objects are loaded: what is kept
     * is copied out (compact_copy) */
    storm_arena *doc = storm_arena_new(0, 0);
    if (!doc)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading %s", name);
    if (len >= MODEL_FILE_HUGE) {
        /* a file of thousands of indicators: its parsed document is ~2.8
         * times its size, what is kept ~1.7 (copies) and ~1.9 (patterns);
         * touched once each, 4 KiB pages made page faults a third of the
         * start-up */
        storm_arena_use_huge_blocks(doc, len * 3);
        if (!m->huge_arenas) {
            storm_arena_use_huge_blocks(m->arena, len * 2);
            storm_arena_use_huge_blocks(m->pattern_arena, len * 2);
            m->huge_arenas = true;
        }
    }
    /* room for what a file of this size holds (a bundle of indicators:
     * ~240 bytes an object, ~170 a distinct string), so that the tables
     * are not grown and rehashed a dozen times on the way */
    model_strings_reserve(m, len / 170);
    model_ids_reserve(m, len / 240);
    load_ctx c = {m, fi, text, len, doc};
    storm_value *root = NULL;
    storm_err jerr;
    storm_err_clear(&jerr);
    storm_rc rc = storm_json_parse(doc, text, len, STORM_JSON_DEFAULT, &root, NULL, &jerr);
    if (rc != STORM_OK) {
        model_defect(&c, jerr.offset, NULL, true, "not valid JSON: %s; file skipped",
                     jerr.msg[0] ? jerr.msg : storm_strerror(rc));
        storm_arena_free(doc);
        return STORM_OK;
    }
    model_load_root(&c, root, 0);
    storm_arena_free(doc);
    return STORM_OK;
}

storm_rc storm_models_load_text(storm_models *m, const char *name, const char *text, size_t len, storm_err *err)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory loading %s", name);
    memcpy(copy, text, len);
    copy[len] = '\0';
    return load_owned_text(m, name, copy, len, err);
}

static bool has_json_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static storm_rc load_path_depth(storm_models *m, const char *path, int depth, storm_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        size_t fi = add_file(m, path);
        if (fi != SIZE_MAX) {
            load_ctx c = {m, fi, NULL, 0, NULL};
            model_defect(&c, STORM_POS_NONE, NULL, true, "cannot read: %s", strerror(errno));
        }
        return storm_err_set(err, STORM_ERR_IO, 0, "cannot read %s: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= MODEL_DIR_DEPTH)
            return storm_err_set(err, STORM_ERR_LIMIT, 0, "%s: directories nested too deep", path);
        struct dirent **names = NULL;
        int n = scandir(path, &names, NULL, alphasort);
        if (n < 0)
            return storm_err_set(err, STORM_ERR_IO, 0, "cannot list %s: %s", path, strerror(errno));
        storm_rc rc = STORM_OK;
        for (int i = 0; i < n; i++) {
            const char *nm = names[i]->d_name;
            if (nm[0] != '.') {
                size_t plen = strlen(path) + strlen(nm) + 2;
                char *child = malloc(plen);
                if (child) {
                    snprintf(child, plen, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", nm);
                    struct stat cst;
                    if (stat(child, &cst) == 0 &&
                        (S_ISDIR(cst.st_mode) || (S_ISREG(cst.st_mode) && has_json_suffix(nm)))) {
                        storm_rc r = load_path_depth(m, child, depth + 1, err);
                        if (r != STORM_OK && rc == STORM_OK)
                            rc = r;
                    }
                    free(child);
                }
            }
            free(names[i]);
        }
        free(names);
        return rc;
    }
    char *text = NULL;
    size_t len = 0;
    storm_err rerr;
    storm_err_clear(&rerr);
    storm_rc rc = storm_read_file(path, MODEL_FILE_MAX, &text, &len, &rerr);
    if (rc != STORM_OK) {
        size_t fi = add_file(m, path);
        if (fi != SIZE_MAX) {
            load_ctx c = {m, fi, NULL, 0, NULL};
            model_defect(&c, STORM_POS_NONE, NULL, true, "%s", rerr.msg);
        }
        return storm_err_set(err, rc, 0, "%s", rerr.msg);
    }
    return load_owned_text(m, path, text, len, err);
}

storm_rc storm_models_load_path(storm_models *m, const char *path, storm_err *err)
{
    return load_path_depth(m, path, 0, err);
}

size_t storm_models_n_defects(const storm_models *m)
{
    return m->n_defects;
}
const storm_model_defect *storm_models_defect(const storm_models *m, size_t i)
{
    return i < m->n_defects ? &m->defects[i] : NULL;
}
size_t storm_models_n_indicators(const storm_models *m)
{
    return m->n_indicators;
}
const storm_model_indicator *storm_models_indicator(const storm_models *m, size_t i)
{
    return i < m->n_indicators ? &m->indicators[i] : NULL;
}
size_t storm_models_n_steps(const storm_models *m)
{
    return m->n_steps;
}
const storm_model_step *storm_models_step(const storm_models *m, size_t i)
{
    return i < m->n_steps ? &m->steps[i] : NULL;
}
size_t storm_models_n_step_edges(const storm_models *m)
{
    return m->n_step_next;
}

void storm_models_step_edge(const storm_models *m, size_t i, size_t *from, size_t *to)
{
    *from = m->step_next[i].a;
    *to = m->step_next[i].b;
}

size_t storm_models_n_relationships(const storm_models *m)
{
    return m->n_rels;
}
size_t storm_models_n_intrusion_sets(const storm_models *m)
{
    return m->n_sets;
}
size_t storm_models_n_files(const storm_models *m)
{
    return m->n_files;
}
size_t storm_models_n_objects(const storm_models *m)
{
    return m->n_objects;
}
const storm_value *storm_models_object(const storm_models *m, size_t i)
{
    return i < m->n_objects ? m->objects[i] : NULL;
}

void storm_model_defect_format(const storm_model_defect *d, storm_buf *out)
{
    if (d->line)
        storm_buf_printf(out, "%s:%u:%u: %s", d->file, d->line, d->col, d->message);
    else
        storm_buf_printf(out, "%s: %s", d->file, d->message);
}

bool storm_models_has_id(const storm_models *m, const char *id)
{
    size_t v;
    return id && (model_idmap_get(&m->defined, model_ref(m, id), &v) || model_idmap_get(&m->defined, id, &v));
}
