/* SPDX-License-Identifier: Apache-2.0 */
/* The STIX 2.1 checks a model object goes through before it is kept:
 * properties of its type, timestamps, created/modified order, and the
 * pattern's object paths against Storm's observation model. Each problem is
 * a defect at the spot; none stops the object from loading. */
#include <string.h>

#include <storm/stix.h>
#include <storm/time.h>

#include "models_int.h"
#include <storm/pattern_plan.h>

/* ---- STIX property tables ---- */

static const char *const common_props[] = {"type",
                                           "spec_version",
                                           "id",
                                           "created_by_ref",
                                           "created",
                                           "modified",
                                           "revoked",
                                           "labels",
                                           "confidence",
                                           "lang",
                                           "external_references",
                                           "object_marking_refs",
                                           "granular_markings",
                                           "extensions",
                                           NULL};
static const char *const attack_pattern_props[] = {"name", "description", "aliases", "kill_chain_phases", NULL};
static const char *const indicator_props[] = {
    "name",       "description", "indicator_types",   "pattern", "pattern_type", "pattern_version",
    "valid_from", "valid_until", "kill_chain_phases", NULL};
static const char *const relationship_props[] = {"relationship_type", "description", "source_ref", "target_ref",
                                                 "start_time",        "stop_time",   NULL};
static const char *const intrusion_set_props[] = {"name",
                                                  "description",
                                                  "aliases",
                                                  "first_seen",
                                                  "last_seen",
                                                  "goals",
                                                  "resource_level",
                                                  "primary_motivation",
                                                  "secondary_motivations",
                                                  NULL};
static const char *const bundle_props[] = {"type", "id", "objects", NULL};

static bool in_list(const char *const *list, const char *key, size_t key_len)
{
    for (; *list; list++)
        if (strlen(*list) == key_len && memcmp(*list, key, key_len) == 0)
            return true;
    return false;
}

/* Custom properties are allowed when they follow the spec's naming rule
 * (x_ prefix, or anything inside an extension). */
static bool is_custom_name(const char *key, size_t key_len)
{
    return key_len > 2 && key[0] == 'x' && key[1] == '_';
}

/* The properties of a type besides the common ones (NULL: none known). */
static const char *const *specific_props(const char *type)
{
    if (strcmp(type, "attack-pattern") == 0)
        return attack_pattern_props;
    if (strcmp(type, "indicator") == 0)
        return indicator_props;
    if (strcmp(type, "relationship") == 0)
        return relationship_props;
    if (strcmp(type, "intrusion-set") == 0)
        return intrusion_set_props;
    if (strcmp(type, "bundle") == 0)
        return bundle_props;
    return NULL;
}

void model_check_properties(load_ctx *c, const storm_value *obj, const char *id, const char *type)
{
    const char *const *specific = specific_props(type);
    for (size_t i = 0; i < obj->u.o.len; i++) {
        const storm_member *mb = &obj->u.o.members[i];
        if (in_list(common_props, mb->key, mb->key_len) || (specific && in_list(specific, mb->key, mb->key_len)))
            continue;
        if (is_custom_name(mb->key, mb->key_len))
            continue;
        model_defect(c, model_key_offset(c, mb->value), id, false,
                     "property '%.*s' is not a STIX 2.1 property of %s (custom properties start with 'x_'); ignored",
                     (int)mb->key_len, mb->key, type);
    }
}

bool model_check_timestamp(load_ctx *c, const storm_value *obj, const char *key, const char *id)
{
    const storm_value *v = storm_v_get(obj, key);
    if (!v)
        return false;
    storm_time_ns t;
    if (v->type != STORM_V_STRING || !storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_STIX_STRICT, &t)) {
        model_defect(c, v->pos, id, false, "'%s' is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", key);
        return false;
    }
    return true;
}

bool model_time_of(const storm_value *obj, const char *key, storm_time_ns *t)
{
    const storm_value *v = storm_v_get(obj, key);
    return v && v->type == STORM_V_STRING && storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_STIX_STRICT, t);
}

/* STIX 2.1 3.2: modified must be later than or equal to created. */
void model_check_created_modified(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_time_ns created, modified;
    if (model_time_of(obj, "created", &created) && model_time_of(obj, "modified", &modified) && modified < created)
        model_defect(c, storm_v_get(obj, "modified")->pos, id, false, "'modified' is earlier than 'created'");
}

/* ---- pattern paths against the observation model ---- */

static bool known_key(const char *const *props, const char *key, size_t len)
{
    for (; props && *props; props++)
        if (strlen(*props) == len && memcmp(*props, key, len) == 0)
            return true;
    return false;
}

/* A comparison on a path Storm never writes can never hold on Storm's
 * observations (the upstream models' process:extensions.function_name is
 * the common case): loaded, but reported. */
static void check_path(load_ctx *c, const storm_value *pv, const char *id, const pat_path *path, const char *text)
{
    char type[64];
    if (path->object_type_len >= sizeof type || path->n_steps == 0)
        return;
    memcpy(type, path->object_type, path->object_type_len);
    type[path->object_type_len] = '\0';
    const char *const *props = storm_stix_known_properties(type);
    const pat_step *s0 = &path->steps[0];
    size_t off = model_string_offset(c, pv, path->span.start);
    if (!props) {
        model_defect(c, off, id, false,
                     "Storm's observations hold no '%s' objects (docs/mapping.md): this comparison never holds", type);
        return;
    }
    if (s0->kind != PAT_STEP_KEY)
        return;
    bool ok = known_key(props, s0->key, s0->key_len);
    if (ok && s0->key_len == 10 && memcmp(s0->key, "extensions", 10) == 0 && path->n_steps > 1 &&
        path->steps[1].kind == PAT_STEP_KEY) {
        const pat_step *s1 = &path->steps[1];
        ok = (s1->key_len > 4 && memcmp(s1->key + s1->key_len - 4, "-ext", 4) == 0) ||
             (s1->key_len > 22 && memcmp(s1->key, "extension-definition--", 22) == 0);
    }
    if (!ok)
        model_defect(c, off, id, false,
                     "'%.*s' is not a path of Storm's observation model (docs/mapping.md lists every path, e.g. "
                     "process:x_hook_name, process:x_hook_args[0].value): this comparison never holds",
                     (int)(path->span.end - path->span.start), text + path->span.start);
}

static void check_paths_cmp(load_ctx *c, const storm_value *pv, const char *id, const pat_cmp *cmp, const char *text,
                            int depth)
{
    if (!cmp || depth > STORM_PATTERN_MAX_DEPTH)
        return;
    if (cmp->kind == PAT_CMP_TEST) {
        check_path(c, pv, id, &cmp->path, text);
        return;
    }
    check_paths_cmp(c, pv, id, cmp->left, text, depth + 1);
    check_paths_cmp(c, pv, id, cmp->right, text, depth + 1);
}

void model_check_pattern_paths(load_ctx *c, const storm_value *pv, const char *id, const storm_pattern *pat)
{
    for (unsigned k = 0; k < pattern_leaf_count(pat); k++)
        check_paths_cmp(c, pv, id, pattern_plan_leaf(pat, k)->cmp, storm_pattern_text(pat), 0);
}
