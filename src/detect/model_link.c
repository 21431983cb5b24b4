/* SPDX-License-Identifier: Apache-2.0 */
/* Resolving the relationships once every model file is in: indicator ->
 * attack-pattern (indicates), step -> step (related-to), intrusion-set ->
 * step (uses); what names nothing loaded is a defect. Then the loading-only
 * memory (file texts, the string set) is released. */
#include <stdlib.h>
#include <string.h>

#include "models_int.h"

/* Which kind of model object does id name? */
static model_kind find_ref(const storm_models *m, const char *id, size_t *index)
{
    size_t o;
    if (!model_idmap_get(&m->defined, id, &o))
        return MODEL_NONE;
    *index = m->origins[o].index;
    return m->origins[o].kind == MODEL_REL ? MODEL_NONE : m->origins[o].kind;
}

static int pair_cmp(const void *x, const void *y)
{
    const model_pair *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* Pairs are few per model (edges of one attack tree), except indicator ->
 * step pairs, which are deduplicated after sorting. */
static int add_pair(model_pair **arr, size_t *n, size_t *alloc, size_t a, size_t b, bool dedupe)
{
    for (size_t i = 0; dedupe && i < *n; i++)
        if ((*arr)[i].a == a && (*arr)[i].b == b)
            return 0;
    if (storm_array_grow(arr, alloc, *n + 1, sizeof **arr, 16) != 0)
        return -1;
    (*arr)[(*n)++] = (model_pair){a, b};
    return 0;
}

void storm_models_finish(storm_models *m)
{
    if (m->finished)
        return;
    m->finished = true;
    /* per indicator: the steps it indicates, collected then copied to the arena */
    model_pair *ind_steps = NULL;
    size_t n_ind_steps = 0, alloc_ind_steps = 0;
    for (size_t i = 0; i < m->n_rels; i++) {
        model_rel *r = &m->rels[i];
        load_ctx c = {m, r->file, m->files[r->file].text, m->files[r->file].len, NULL};
        const char *src = model_ref(m, r->src), *tgt = model_ref(m, r->tgt);
        /* keep the stored copy consistent with the fixed ids (only a fixed
         * one is set: setting costs a value in the arena) */
        if (src != r->src)
            storm_v_set_str(m->arena, r->object, "source_ref", src);
        if (tgt != r->tgt)
            storm_v_set_str(m->arena, r->object, "target_ref", tgt);
        size_t si = 0, ti = 0;
        model_kind sk = find_ref(m, src, &si), tk = find_ref(m, tgt, &ti);
        bool is_indicates = strcmp(r->type, "indicates") == 0;
        bool is_related = strcmp(r->type, "related-to") == 0;
        bool is_uses = strcmp(r->type, "uses") == 0;
        if (sk == MODEL_NONE) {
            model_defect(&c, r->src_pos, r->id, !(is_indicates || is_related || is_uses) ? false : true,
                         "source_ref '%s' names no attack-pattern, indicator or intrusion-set in the loaded models; "
                         "relationship not used",
                         r->src);
            continue;
        }
        if (tk == MODEL_NONE) {
            model_defect(&c, r->tgt_pos, r->id, true,
                         "target_ref '%s' names no attack-pattern, indicator or intrusion-set in the loaded models; "
                         "relationship not used",
                         r->tgt);
            continue;
        }
        if (is_indicates) {
            if (sk != MODEL_INDICATOR || tk != MODEL_STEP) {
                model_defect(&c, r->src_pos, r->id, true,
                             "'indicates' should go from an indicator to an attack-pattern; relationship not used");
                continue;
            }
            add_pair(&ind_steps, &n_ind_steps, &alloc_ind_steps, si, ti, false);
        } else if (is_related) {
            if (sk == MODEL_STEP && tk == MODEL_STEP)
                add_pair(&m->step_next, &m->n_step_next, &m->alloc_step_next, si, ti, true);
        } else if (is_uses) {
            if (sk == MODEL_SET && tk == MODEL_STEP)
                add_pair(&m->set_steps, &m->n_set_steps, &m->alloc_set_steps, si, ti, true);
        }
    }
    if (n_ind_steps)
        qsort(ind_steps, n_ind_steps, sizeof *ind_steps, pair_cmp);
    size_t k = 0;
    for (size_t i = 0; i < m->n_indicators; i++) {
        size_t first = k;
        while (k < n_ind_steps && ind_steps[k].a == i)
            k++;
        size_t n = k - first;
        size_t *steps = n ? storm_arena_alloc(m->arena, n * sizeof *steps) : NULL;
        size_t j = 0;
        for (size_t x = first; x < k && steps; x++)
            if (j == 0 || steps[j - 1] != ind_steps[x].b)
                steps[j++] = ind_steps[x].b;
        n = j;
        m->indicators[i].steps = steps;
        m->indicators[i].n_steps = steps ? n : 0;
        if (!n) {
            storm_model_indicator *ind = &m->indicators[i];
            size_t fi = 0;
            for (size_t f = 0; f < m->n_files; f++)
                if (m->files[f].path == ind->file)
                    fi = f;
            load_ctx c = {m, fi, m->files[fi].text, m->files[fi].len, NULL};
            model_defect(&c, ind->object->pos, ind->id, false,
                         "indicator indicates no attack-pattern; its sightings will name no attack step");
        }
    }
    free(ind_steps);
    /* no more copies to share strings with */
    free(m->strings.slots);
    memset(&m->strings, 0, sizeof m->strings);
    /* every defect is located by now and the value trees hold copies of
     * their strings: the file texts (megabytes with many indicators) can go */
    for (size_t i = 0; i < m->n_files; i++) {
        free(m->files[i].text);
        free(m->files[i].lines);
        m->files[i].text = NULL;
        m->files[i].lines = NULL;
        m->files[i].len = 0;
        m->files[i].n_lines = 0;
    }
}
