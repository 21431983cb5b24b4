/* SPDX-License-Identifier: Apache-2.0 */
/* Loading one parsed model file: bundles and arrays of objects, and each
 * attack-pattern, indicator, relationship and intrusion-set checked
 * (model_lint.c), copied (model_copy.c) and added to the set. What is sound
 * is kept; every problem is a defect with file:line:column. */
#include <stdlib.h>
#include <string.h>

#include <storm/stix.h>
#include <storm/time.h>

#include "ids.h"
#include "models_int.h"
#include <storm/pattern_plan.h>

static void load_attack_pattern(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    model_check_properties(c, obj, id, "attack-pattern");
    const char *name = storm_v_get_str(obj, "name");
    if (!name)
        model_defect(c, obj->pos, id, false, "attack-pattern lacks its required 'name'");
    size_t origin = model_claim_id(c, id, obj);
    if (origin == SIZE_MAX)
        return;
    storm_value *copy = model_normalised_copy(c, obj, id, "attack-pattern");
    if (!copy || GROW(m->steps, m->n_steps, m->alloc_steps) != 0)
        return;
    model_set_origin(m, origin, MODEL_STEP, m->n_steps);
    storm_model_step *s = &m->steps[m->n_steps++];
    memset(s, 0, sizeof *s);
    s->id = id;
    name = storm_v_get_str(copy, "name"); /* the strings the models keep are the copy's */
    s->name = name ? name : id;
    s->description = storm_v_get_str(copy, "description");
    const storm_value *kc = storm_v_get(copy, "kill_chain_phases");
    if (kc && kc->type == STORM_V_ARRAY && kc->u.a.len)
        s->tactic = storm_v_get_str(kc->u.a.items[0], "phase_name");
    const storm_value *er = storm_v_get(copy, "external_references");
    if (er && er->type == STORM_V_ARRAY)
        for (size_t i = 0; i < er->u.a.len && !s->technique; i++)
            s->technique = storm_v_get_str(er->u.a.items[i], "external_id");
    s->object = copy;
    model_add_object(m, copy);
}

static void load_indicator(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    model_check_properties(c, obj, id, "indicator");
    const storm_value *pv = storm_v_get(obj, "pattern");
    const char *ptype = storm_v_get_str(obj, "pattern_type");
    if (!pv || pv->type != STORM_V_STRING) {
        model_defect(c, obj->pos, id, true, "indicator has no 'pattern' string; not loaded");
        return;
    }
    if (!ptype)
        model_defect(c, obj->pos, id, false, "indicator lacks its required 'pattern_type'; read as 'stix'");
    else if (strcmp(ptype, "stix") != 0) {
        model_defect(c, storm_v_get(obj, "pattern_type")->pos, id, true,
                     "pattern_type '%s' is not supported (only 'stix'); not loaded", ptype);
        return;
    }
    if (!storm_v_get(obj, "valid_from"))
        model_defect(c, obj->pos, id, false, "indicator lacks its required 'valid_from'");
    else
        model_check_timestamp(c, obj, "valid_from", id);
    storm_time_ns valid_from = 0, valid_until = 0;
    bool has_until = storm_v_get(obj, "valid_until") != NULL;
    if (has_until && !model_check_timestamp(c, obj, "valid_until", id))
        has_until = false; /* reported; read as no end */
    if (has_until) {
        model_time_of(obj, "valid_until", &valid_until);
        if (valid_until <= 0)
            valid_until = 1; /* 0 means "no end" */
        if (model_time_of(obj, "valid_from", &valid_from) && valid_until <= valid_from) {
            model_defect(c, storm_v_get(obj, "valid_until")->pos, id, true,
                         "'valid_until' is not later than 'valid_from': the indicator is never valid; not loaded");
            return;
        }
    }
    storm_spec spec = storm_v_is_str(storm_v_get(obj, "spec_version"), "2.0") ? STORM_SPEC_20 : STORM_SPEC_21;
    storm_pattern *pat = NULL;
    storm_err perr;
    storm_err_clear(&perr);
    storm_rc rc = pattern_compile_in(m->pattern_arena, pv->u.s.ptr, pv->u.s.len, spec, &pat, &perr);
    if (rc != STORM_OK) {
        size_t off = model_string_offset(c, pv, perr.offset);
        model_defect(c, off, id, true, "pattern does not compile: %s (pattern column %u); not loaded",
                     perr.msg[0] ? perr.msg : storm_strerror(rc), (unsigned)perr.offset + 1);
        return;
    }
    storm_err_clear(&perr);
    if (pattern_check_late(pat, &perr) != STORM_OK) { /* WITHIN 0 SECONDS, mixed IN sets, ... */
        model_defect(c, model_string_offset(c, pv, perr.offset), id, true,
                     "pattern can never be matched: %s; not loaded", perr.msg);
        storm_pattern_free(pat);
        return;
    }
    size_t origin = model_claim_id(c, id, obj);
    if (origin == SIZE_MAX) {
        storm_pattern_free(pat);
        return;
    }
    model_check_pattern_paths(c, pv, id, pat);
    storm_err never;
    storm_err_clear(&never);
    if (storm_pattern_never_matches(pat, &never))
        model_defect(c, model_string_offset(c, pv, (uint32_t)never.offset), id, false, "%s", never.msg);
    /* the copy's "pattern" shares the compiled pattern's text */
    model_intern(m, storm_pattern_text(pat), pattern_text_len(pat), true);
    storm_value *copy = model_normalised_copy(c, obj, id, "indicator");
    if (!copy || GROW(m->indicators, m->n_indicators, m->alloc_indicators) != 0 ||
        GROW(m->patterns, m->n_patterns, m->alloc_patterns) != 0) {
        storm_pattern_free(pat);
        return;
    }
    m->patterns[m->n_patterns++] = pat;
    model_set_origin(m, origin, MODEL_INDICATOR, m->n_indicators);
    storm_model_indicator *ind = &m->indicators[m->n_indicators++];
    memset(ind, 0, sizeof *ind);
    ind->id = id;
    const char *name = storm_v_get_str(copy, "name");
    ind->name = name && name[0] ? name : id;
    ind->pattern_text = storm_pattern_text(pat);
    ind->pattern = pat;
    ind->file = m->files[c->file].path;
    model_locate(c, obj->pos, &ind->line, &ind->col);
    ind->object = copy;
    ind->valid_until = has_until ? valid_until : 0;
    model_add_object(m, copy);
}

static void load_relationship(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    model_check_properties(c, obj, id, "relationship");
    const storm_value *rt = storm_v_get(obj, "relationship_type");
    const storm_value *src = storm_v_get(obj, "source_ref");
    const storm_value *tgt = storm_v_get(obj, "target_ref");
    if (!rt || rt->type != STORM_V_STRING || !src || src->type != STORM_V_STRING || !tgt ||
        tgt->type != STORM_V_STRING) {
        model_defect(c, obj->pos, id, true,
                     "relationship needs string 'relationship_type', 'source_ref' and 'target_ref'; not loaded");
        return;
    }
    size_t origin = model_claim_id(c, id, obj);
    if (origin == SIZE_MAX)
        return;
    storm_value *copy = model_normalised_copy(c, obj, id, "relationship");
    if (!copy || GROW(m->rels, m->n_rels, m->alloc_rels) != 0)
        return;
    model_set_origin(m, origin, MODEL_REL, m->n_rels);
    model_add_object(m, copy);
    model_rel *r = &m->rels[m->n_rels++];
    memset(r, 0, sizeof *r);
    r->id = id;
    /* the copy's strings (source_ref and target_ref as written) */
    r->type = storm_v_get_str(copy, "relationship_type");
    r->src = storm_v_get_str(copy, "source_ref");
    r->tgt = storm_v_get_str(copy, "target_ref");
    r->file = c->file;
    r->src_pos = src->pos;
    r->tgt_pos = tgt->pos;
    r->object = copy;
    /* refs that are not ids are reported at resolution; ids that are bad are fixed */
    if (!storm_stix_id_valid(src->u.s.ptr, src->u.s.len))
        model_fixed_id(c, src, "x", NULL);
    if (!storm_stix_id_valid(tgt->u.s.ptr, tgt->u.s.len))
        model_fixed_id(c, tgt, "x", NULL);
}

static void load_intrusion_set(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    model_check_properties(c, obj, id, "intrusion-set");
    size_t origin = model_claim_id(c, id, obj);
    if (origin == SIZE_MAX)
        return;
    storm_value *copy = model_normalised_copy(c, obj, id, "intrusion-set");
    if (!copy || GROW(m->sets, m->n_sets, m->alloc_sets) != 0)
        return;
    model_set_origin(m, origin, MODEL_SET, m->n_sets);
    model_set *s = &m->sets[m->n_sets++];
    s->id = id;
    const char *name = storm_v_get_str(copy, "name");
    s->name = name ? name : id;
    model_add_object(m, copy);
}

static void load_object(load_ctx *c, const storm_value *obj)
{
    storm_models *m = c->m;
    if (obj->type != STORM_V_OBJECT) {
        model_defect(c, obj->pos, NULL, true, "expected a STIX object, found a JSON %s; skipped",
                     obj->type == STORM_V_ARRAY ? "array" : "scalar");
        return;
    }
    const char *type = storm_v_get_str(obj, "type");
    const storm_value *idv = storm_v_get(obj, "id");
    if (!type) {
        model_defect(c, obj->pos, NULL, true, "object has no 'type'; skipped");
        return;
    }
    bool known = strcmp(type, "attack-pattern") == 0 || strcmp(type, "indicator") == 0 ||
                 strcmp(type, "relationship") == 0 || strcmp(type, "intrusion-set") == 0;
    if (!known) {
        m->n_ignored++; /* valid STIX that is not part of a model (observations, identities, ...) */
        return;
    }
    if (!idv || idv->type != STORM_V_STRING) {
        model_defect(c, obj->pos, NULL, true, "%s has no 'id' string; skipped", type);
        return;
    }
    const char *id = model_fixed_id(c, idv, type, type);
    if (!id)
        return;
    /* STIX 2.1 3.6: a revoked object must no longer be used; a stale copy
     * (pulled from a TAXII server, say) must not keep producing sightings */
    const storm_value *rv = storm_v_get(obj, "revoked");
    if (rv && rv->type == STORM_V_BOOL && rv->u.b) {
        model_defect(c, rv->pos, id, true, "%s is revoked (\"revoked\": true); not loaded", type);
        return;
    }
    model_check_created_modified(c, obj, id);
    if (strncmp(id, type, strlen(type)) != 0 || strncmp(id + strlen(type), "--", 2) != 0)
        model_defect(c, idv->pos, id, false, "id '%s' does not start with its type '%s--'", id, type);
    if (strcmp(type, "attack-pattern") == 0)
        load_attack_pattern(c, obj, id);
    else if (strcmp(type, "indicator") == 0)
        load_indicator(c, obj, id);
    else if (strcmp(type, "relationship") == 0)
        load_relationship(c, obj, id);
    else
        load_intrusion_set(c, obj, id);
}

static void load_bundle(load_ctx *c, const storm_value *b)
{
    const storm_value *idv = storm_v_get(b, "id");
    const char *id = NULL;
    if (!idv || idv->type != STORM_V_STRING)
        model_defect(c, b->pos, NULL, false, "bundle has no 'id' string");
    else if (!storm_stix_id_valid(idv->u.s.ptr, idv->u.s.len) || strncmp(idv->u.s.ptr, "bundle--", 8) != 0)
        model_defect(c, idv->pos, idv->u.s.ptr, false, "bundle id '%s' is not 'bundle--<UUID>'", idv->u.s.ptr);
    else
        id = idv->u.s.ptr;
    model_check_properties(c, b, id, "bundle");
    const storm_value *objs = storm_v_get(b, "objects");
    if (!objs) {
        model_defect(c, b->pos, id, false, "bundle has no 'objects'");
        return;
    }
    if (objs->type != STORM_V_ARRAY) {
        model_defect(c, objs->pos, id, true, "bundle 'objects' is not an array; skipped");
        return;
    }
    for (size_t i = 0; i < objs->u.a.len; i++)
        load_object(c, objs->u.a.items[i]);
}

void model_load_root(load_ctx *c, const storm_value *v, int depth)
{
    if (v->type == STORM_V_ARRAY && depth == 0) {
        for (size_t i = 0; i < v->u.a.len; i++)
            model_load_root(c, v->u.a.items[i], depth + 1);
        return;
    }
    if (v->type == STORM_V_OBJECT && storm_v_is_str(storm_v_get(v, "type"), "bundle")) {
        load_bundle(c, v);
        return;
    }
    load_object(c, v);
}
