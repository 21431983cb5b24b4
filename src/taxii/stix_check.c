/* SPDX-License-Identifier: Apache-2.0 */
/* What a POSTed object must be before it is stored: a STIX 2.1 object whose
 * id is "<type>--<UUID>", whose spec_version is 2.1 (required on SDOs, SROs
 * and meta objects, optional on SCOs), whose timestamps are STIX timestamps
 * (RFC 3339, UTC, "Z") and in order (modified >= created, and the like).
 * Anything else would be stored and handed to every reader. */
#include "taxii_int.h"

#include <stdio.h>
#include <string.h>

#include <storm/pattern.h>
#include <storm/stix.h>
#include <storm/uuid.h>
#include <storm/time.h>

/* Top-level properties that STIX 2.1 defines as timestamps (SDOs, SROs,
 * meta objects and SCOs). */
static const char *const timestamp_props[] = {
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
    "published",
    "start_time",
    "stop_time",
    "submitted",
    "analysis_started",
    "analysis_ended",
    "ctime",
    "mtime",
    "atime",
    "created_time",
    "modified_time",
    "date",
    "start",
    "end",
    "validity_not_before",
    "validity_not_after",
    "account_created",
    "account_expires",
    "credential_last_changed",
    "account_first_login",
    "account_last_login",
};

/* Pairs (earlier, later) that must be in order; strict: the later one
 * must be greater (STIX: valid_until, stop_time), else equal is fine. */
static const struct {
    const char *earlier, *later;
    bool strict;
} ordered_props[] = {
    {"created", "modified", false},     {"valid_from", "valid_until", true},
    {"first_seen", "last_seen", false}, {"first_observed", "last_observed", false},
    {"start_time", "stop_time", true},  {"validity_not_before", "validity_not_after", false},
};

static bool timestamp_of(const storm_value *obj, const char *key, storm_time_ns *t, bool *present)
{
    storm_value *v = storm_v_get(obj, key);
    *present = v != NULL;
    return !v || (v->type == STORM_V_STRING && storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_STIX_STRICT, t));
}

bool taxii_stix_check(const storm_value *obj, char *why, size_t cap)
{
    if (!obj || obj->type != STORM_V_OBJECT)
        return snprintf(why, cap, "not a JSON object"), false;
    storm_value *tv = storm_v_get(obj, "type");
    if (!tv || tv->type != STORM_V_STRING)
        return snprintf(why, cap, "no 'type' string"), false;
    const char *type = tv->u.s.ptr;
    size_t tl = tv->u.s.len;
    if (!storm_stix_type_valid(type, tl))
        return snprintf(why, cap, "type '%.64s' is not a STIX type name (3-250 of a-z 0-9 -)", type), false;
    storm_value *iv = storm_v_get(obj, "id");
    if (!iv || iv->type != STORM_V_STRING)
        return snprintf(why, cap, "no 'id' string"), false;
    const char *id = iv->u.s.ptr;
    if (strncmp(id, type, tl) != 0 || strncmp(id + tl, "--", 2) != 0)
        return snprintf(why, cap, "id '%.100s' does not start with its type '%.64s--'", id, type), false;
    if (!storm_uuid_parse(id + tl + 2, iv->u.s.len - tl - 2, NULL))
        return snprintf(why, cap, "id '%.100s' is not '%.64s--' followed by a UUID (RFC 4122 variant)", id, type),
               false;
    storm_value *sv = storm_v_get(obj, "spec_version");
    bool has_created = storm_v_get(obj, "created") != NULL;
    if (sv && (sv->type != STORM_V_STRING || strcmp(sv->u.s.ptr, "2.1") != 0))
        return snprintf(why, cap, "spec_version %.40s: this collection accepts " STORM_STIX_MEDIA_TYPE,
                        sv->type == STORM_V_STRING ? sv->u.s.ptr : "(not a string)"),
               false;
    if (!sv && has_created) /* an SDO, SRO or meta object: STIX 2.1 requires it */
        return snprintf(why, cap, "no spec_version (STIX 2.1 objects with 'created' must say \"2.1\")"), false;
    for (size_t i = 0; i < sizeof timestamp_props / sizeof *timestamp_props; i++) {
        storm_time_ns t;
        bool present;
        if (!timestamp_of(obj, timestamp_props[i], &t, &present))
            return snprintf(why, cap, "'%s' is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", timestamp_props[i]),
                   false;
    }
    if (storm_v_get(obj, "modified") && !has_created)
        return snprintf(why, cap, "'modified' without 'created'"), false;
    for (size_t i = 0; i < sizeof ordered_props / sizeof *ordered_props; i++) {
        storm_time_ns a = 0, b = 0;
        bool pa, pb;
        timestamp_of(obj, ordered_props[i].earlier, &a, &pa);
        timestamp_of(obj, ordered_props[i].later, &b, &pb);
        if (pa && pb && (ordered_props[i].strict ? b <= a : b < a))
            return snprintf(why, cap, "'%s' is %s '%s'", ordered_props[i].later,
                            ordered_props[i].strict ? "not after" : "before", ordered_props[i].earlier),
                   false;
    }
    /* an indicator in the STIX pattern language must carry a valid pattern:
     * whoever pulls it would otherwise load a broken indicator */
    if (tl == 9 && memcmp(type, "indicator", 9) == 0) {
        const storm_value *pt = storm_v_get(obj, "pattern_type");
        const storm_value *pat = storm_v_get(obj, "pattern");
        if (!pat || pat->type != STORM_V_STRING)
            return snprintf(why, cap, "indicator without a 'pattern' string"), false;
        if (!pt || (pt->type == STORM_V_STRING && strcmp(pt->u.s.ptr, "stix") == 0)) {
            storm_pattern *p = NULL;
            storm_err perr;
            storm_err_clear(&perr);
            if (storm_pattern_compile(pat->u.s.ptr, pat->u.s.len, STORM_SPEC_21, &p, &perr) != STORM_OK)
                return snprintf(why, cap, "'pattern' is not a valid STIX pattern: line %u, column %u: %.300s",
                                perr.line, perr.col, perr.msg),
                       false;
            storm_pattern_free(p);
        }
    }
    return true;
}
