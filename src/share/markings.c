/* SPDX-License-Identifier: Apache-2.0 */
/* TLP 2.0 marking definitions, as OASIS publishes them (the TLP 2.0
 * extension-definition and its five fixed marking-definition objects), and
 * marking of outgoing objects. */
#include <storm/share.h>
#include <storm/time.h>

#include <string.h>
#include <strings.h>

#include "object_kind.h"

#define TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

static const struct {
    const char *key; /* tlp_2_0 value */
    const char *name;
    const char *id;
} tlp_table[] = {
    [STORM_TLP_CLEAR] = {"clear", "TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
    [STORM_TLP_GREEN] = {"green", "TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
    [STORM_TLP_AMBER] = {"amber", "TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
    [STORM_TLP_AMBER_STRICT] = {"amber+strict", "TLP:AMBER+STRICT",
                                "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
    [STORM_TLP_RED] = {"red", "TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
};

bool storm_tlp_parse(const char *text, storm_tlp *out)
{
    if (!text)
        return false;
    if (strncasecmp(text, "TLP:", 4) == 0)
        text += 4;
    if (strcasecmp(text, "white") == 0) { /* TLP 1.0 name of CLEAR */
        *out = STORM_TLP_CLEAR;
        return true;
    }
    for (size_t i = 0; i < sizeof tlp_table / sizeof tlp_table[0]; i++) {
        if (strcasecmp(text, tlp_table[i].key) == 0 ||
            (i == STORM_TLP_AMBER_STRICT && strcasecmp(text, "amber-strict") == 0)) {
            *out = (storm_tlp)i;
            return true;
        }
    }
    return false;
}

const char *storm_tlp_name(storm_tlp tlp)
{
    return tlp_table[tlp].name;
}
const char *storm_tlp_marking_id(storm_tlp tlp)
{
    return tlp_table[tlp].id;
}

bool storm_tlp_is_marking_id(const char *id)
{
    for (size_t i = 0; i < sizeof tlp_table / sizeof tlp_table[0]; i++)
        if (strcmp(id, tlp_table[i].id) == 0)
            return true;
    return false;
}

storm_value *storm_tlp_marking_definition(storm_arena *a, storm_tlp tlp)
{
    storm_value *md = storm_v_object(a);
    storm_value *exts = storm_v_object(a);
    storm_value *ext = storm_v_object(a);
    if (!md || !exts || !ext)
        return NULL;
    if (storm_v_set_str(a, md, "type", "marking-definition") || storm_v_set_str(a, md, "spec_version", "2.1") ||
        storm_v_set_str(a, md, "id", tlp_table[tlp].id) ||
        storm_v_set_str(a, md, "created", "2022-10-01T00:00:00.000Z") ||
        storm_v_set_str(a, md, "name", tlp_table[tlp].name) ||
        storm_v_set_str(a, ext, "extension_type", "property-extension") ||
        storm_v_set_str(a, ext, "tlp_2_0", tlp_table[tlp].key) || storm_v_set(a, exts, TLP2_EXTENSION, ext) ||
        storm_v_set(a, md, "extensions", exts))
        return NULL;
    return md;
}

static bool has_tlp(const storm_value *refs)
{
    for (size_t k = 0; refs && refs->type == STORM_V_ARRAY && k < refs->u.a.len; k++)
        if (refs->u.a.items[k]->type == STORM_V_STRING && storm_tlp_is_marking_id(refs->u.a.items[k]->u.s.ptr))
            return true;
    return false;
}

/* A new version of an object we mark but did not derive: `modified` one
 * millisecond later, so that the same input always gives the same version
 * (re-publishing stays idempotent) and no content changes under an old one. */
static storm_rc bump_modified(storm_arena *a, storm_value *o, storm_err *err)
{
    const char *m = storm_v_get_str(o, "modified");
    if (!m)
        return STORM_OK; /* unversioned (e.g. marking-definition style); nothing to bump */
    storm_time_ns t;
    if (!storm_time_parse(m, strlen(m), STORM_TIME_STIX_STRICT, &t))
        return storm_err_set(err, STORM_ERR_VALUE, o->pos == STORM_POS_NONE ? 0 : o->pos,
                             "object %s has an invalid modified timestamp '%s'", storm_v_get_str(o, "id"), m);
    char buf[40];
    storm_time_format_stix(t + 1000000, STORM_TIME_STIX_MS, buf);
    return storm_v_set_str(a, o, "modified", buf) ? storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory") : STORM_OK;
}

storm_rc storm_mark_objects(storm_arena *a, storm_value *objects, storm_tlp tlp, const char *identity_id,
                            storm_err *err)
{
    if (!objects || objects->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_STATE, 0, "objects to mark must be a JSON array");
    const char *mid = tlp_table[tlp].id;
    bool have_definition = false;
    for (size_t i = 0; i < objects->u.a.len; i++) {
        storm_value *o = objects->u.a.items[i];
        const char *type = storm_v_get_str(o, "type");
        const char *id = storm_v_get_str(o, "id");
        if (!type || !id)
            return storm_err_set(err, STORM_ERR_VALUE, o->pos == STORM_POS_NONE ? 0 : o->pos,
                                 "object %zu has no type or id", i);
        if (strcmp(type, "marking-definition") == 0) {
            if (strcmp(id, mid) == 0)
                have_definition = true;
            continue; /* markings are not themselves marked */
        }
        storm_value *refs = storm_v_get(o, "object_marking_refs");
        bool derived = share_is_derived(type);
        if (!derived && has_tlp(refs))
            continue; /* its creator chose a TLP level: it travels unchanged */
        if (!derived) {
            storm_rc rc = bump_modified(a, o, err);
            if (rc)
                return rc;
        }
        if (!refs || refs->type != STORM_V_ARRAY) {
            refs = storm_v_array(a);
            if (!refs || storm_v_set(a, o, "object_marking_refs", refs))
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory marking objects");
        }
        /* one TLP level per object: replace any other TLP 2.0 marking */
        size_t w = 0;
        bool present = false;
        for (size_t k = 0; k < refs->u.a.len; k++) {
            storm_value *r = refs->u.a.items[k];
            if (r->type == STORM_V_STRING && storm_tlp_is_marking_id(r->u.s.ptr)) {
                if (strcmp(r->u.s.ptr, mid) != 0 || present)
                    continue;
                present = true;
            }
            refs->u.a.items[w++] = r;
        }
        refs->u.a.len = w;
        if (!present && storm_v_push(a, refs, storm_v_str(a, mid)))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory marking objects");
        /* attribution only for what this cluster derived: never claim someone else's model */
        if (identity_id && derived && !share_is_sco(type) && strcmp(id, identity_id) != 0)
            if (storm_v_set_str(a, o, "created_by_ref", identity_id))
                return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory marking objects");
    }
    if (!have_definition) {
        storm_value *md = storm_tlp_marking_definition(a, tlp);
        if (!md || storm_v_push(a, objects, md))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory marking objects");
    }
    return STORM_OK;
}
