/* SPDX-License-Identifier: Apache-2.0 */
/* Preparing intelligence to leave the cluster: redaction (masked CIDRs,
 * keyed pseudonyms, scrubbed secrets) and TLP 2.0 markings. */
#ifndef STORM_SHARE_H
#define STORM_SHARE_H

#include <stdbool.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/stix.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_tlp {
    STORM_TLP_CLEAR,
    STORM_TLP_GREEN,
    STORM_TLP_AMBER,
    STORM_TLP_AMBER_STRICT,
    STORM_TLP_RED,
} storm_tlp;

/* "clear" (or "white"), "green", "amber", "amber+strict", "red"; an optional
 * "TLP:" prefix; any case. */
bool storm_tlp_parse(const char *text, storm_tlp *out);
const char *storm_tlp_name(storm_tlp tlp);       /* "TLP:AMBER+STRICT" */
const char *storm_tlp_marking_id(storm_tlp tlp); /* the official marking-definition id */
/* The official TLP 2.0 marking-definition object (OASIS TLP 2.0 extension). */
storm_value *storm_tlp_marking_definition(storm_arena *a, storm_tlp tlp);
/* True when id is one of the five official TLP 2.0 marking-definition ids. */
bool storm_tlp_is_marking_id(const char *id);

typedef struct storm_redactor storm_redactor;

/* Load redaction rules (JSON, see docs/redaction.md). *out is owned
 * (storm_redactor_free). Errors carry the file position. */
storm_rc storm_redactor_load(const char *path, storm_redactor **out, storm_err *err);
/* From parsed rules; base_dir resolves a relative "secret_file". */
storm_rc storm_redactor_from_value(const storm_value *rules, const char *base_dir, storm_redactor **out,
                                   storm_err *err);
/* Built-in defaults (private ranges masked, standard secret scrubbers) with
 * the given HMAC key. */
storm_rc storm_redactor_default(const unsigned char *key, size_t key_len, storm_redactor **out, storm_err *err);
void storm_redactor_free(storm_redactor *r);

/* Counters of what a redactor changed, for reports and tests. */
typedef struct storm_redact_stats {
    size_t addresses_masked;
    size_t names_pseudonymised;
    size_t secrets_scrubbed;
    size_t ids_rewritten;
} storm_redact_stats;

/* Redact every object of the array `objects` in place (values are replaced
 * by new arena values), then recompute the deterministic ids of the SCOs
 * whose ID-contributing properties changed and rewrite every reference to
 * them, so that no id leaks an original value. */
storm_rc storm_redact_objects(storm_redactor *r, storm_arena *a, storm_value *objects, storm_redact_stats *stats,
                              storm_err *err);

/* Mark the objects of the array with the TLP marking (object_marking_refs)
 * and append the marking-definition object when not already present.
 * Objects derived from this cluster's data (SCOs, observed-data, sightings,
 * whose ids redaction derives) get the marking, and on SDOs/SROs
 * created_by_ref = identity_id (when given). Other objects (indicators,
 * attack patterns of a model, identities, definitions) are left unchanged
 * when they already carry a TLP marking; otherwise they get the marking in a
 * new version (modified + 1 ms, deterministic) and keep their creator. */
storm_rc storm_mark_objects(storm_arena *a, storm_value *objects, storm_tlp tlp, const char *identity_id,
                            storm_err *err);

/* ---- the share step ---- */

/* Mark in used the extension-definitions obj uses (its "extensions" keys). */
void storm_share_used_extensions(const storm_value *obj, bool used[STORM_STIX_EXT__COUNT]);
/* Append to the array objects the extension-definitions its objects use and
 * it lacks, and Storm's identity (their creator, and the shipped models')
 * when any is used or an object names it as created_by_ref: what is shared
 * is self-contained. STORM_ERR_NOMEM on OOM. */
storm_rc storm_share_add_definitions(storm_arena *a, storm_value *objects);
/* Is o one of the objects storm_share_prepare appends unchanged and shares
 * for the whole process (unmarked, unredacted output: Storm's identity,
 * its extension-definitions, the TLP marking-definitions)? Such an object
 * never changes nor moves, so its text can be kept by its address. */
bool storm_share_is_fixed(const storm_value *o);

/* The members of an object storm_share_prepare reads (NULL where absent),
 * found in one pass: the last of a repeated key, as storm_v_get finds it.
 * Borrowed from o. */
typedef struct storm_share_fields {
    const storm_value *extensions, *pattern, *id, *created_by_ref, *marks; /* marks: object_marking_refs */
} storm_share_fields;
storm_share_fields storm_share_fields_of(const storm_value *o);

typedef struct storm_share_opts {
    storm_redactor *redactor; /* NULL: not redacted (--no-redact) */
    storm_tlp tlp;
    const char *identity; /* the cluster's name (NULL: "storm"), as the detector's --identity */
    bool unmarked;        /* the cluster's own copy (storm run's output): tlp not applied */
} storm_share_opts;

/* Prepare the array objects to leave the cluster, in place, in one order:
 * redact (when a redactor is given; stats may be NULL) -> the cluster's
 * identity (storm_stix_cluster_identity, the one its sightings name) ->
 * extension-definitions and Storm's identity -> TLP markings with
 * created_by_ref = that identity (unless unmarked) -> the TLP
 * marking-definitions objects refer to that the array lacks, so that what
 * is written stands alone. storm run's bundles and storm publish go
 * through it. Errors say which step failed. Unmarked and unredacted, the
 * definitions and Storm's identity appended are one shared copy for the
 * process (built once, never freed): read them, do not change them. */
storm_rc storm_share_prepare(storm_arena *a, storm_value *objects, const storm_share_opts *opts,
                             storm_redact_stats *stats, storm_err *err);

/* Keyed pseudonym of a name: "<category>-<16 hex digits of HMAC-SHA256>". */
const char *storm_redactor_pseudonym(storm_redactor *r, storm_arena *a, const char *category, const char *name,
                                     size_t name_len);

#ifdef __cplusplus
}
#endif
#endif
