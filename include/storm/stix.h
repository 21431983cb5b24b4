/* SPDX-License-Identifier: Apache-2.0 */
/* The STIX 2.1 observation model: a typed sensor event becomes an
 * observed-data and the SCOs it references, built as value trees in an arena
 * (what the pattern engine matches), and written as JSON only for output.
 * The model (which SCOs, which x_<group>_<name> properties, which
 * extension-definitions) is documented in docs/mapping.md. */
#ifndef STORM_STIX_H
#define STORM_STIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/observation.h>
#include <storm/time.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "type--xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx": longest SCO type we write
 * (network-traffic) + 2 + 36 + NUL fits in 64. */
#define STORM_STIX_ID_MAX 80

/* The SCO namespace of the STIX 2.1 specification (section 2.9). */
#define STORM_STIX_SCO_NAMESPACE "00abedb4-aa42-466c-9c01-fed23315a9b7"

/* Storm's identity (created_by_ref of everything Storm writes). */
#define STORM_STIX_IDENTITY_ID "identity--016f8401-f37e-4a6b-851d-8e204aaa8f91"

/* The extension-definitions Storm publishes (all toplevel-property-extension). */
typedef enum storm_stix_ext {
    STORM_STIX_EXT_K8S = 0, /* x_k8s_*   Kubernetes context */
    STORM_STIX_EXT_PROC,    /* x_proc_*  process details */
    STORM_STIX_EXT_HOOK,    /* x_hook_*  kernel hook hit */
    STORM_STIX_EXT_AUDIT,   /* x_audit_* Kubernetes API request */
    STORM_STIX_EXT_ALERT,   /* x_alert_* sensor rule alert */
    STORM_STIX_EXT_NET,     /* x_net_*   flow details */
    STORM_STIX_EXT_FILE,    /* x_file_*  file path */
    STORM_STIX_EXT_STORM,   /* x_storm_* event origin, on observed-data */
    STORM_STIX_EXT_APP,     /* x_app_*   entry-point log line (sshd, HTTP access) */
    STORM_STIX_EXT__COUNT
} storm_stix_ext;

typedef struct storm_stix_ext_info {
    const char *id;   /* "extension-definition--<uuid>" */
    const char *name; /* short name, e.g. "storm-k8s-context" */
    const char *description;
    const char *const *properties; /* NULL-terminated list of property names */
} storm_stix_ext_info;

/* Static description of one extension-definition; NULL when out of range. */
const storm_stix_ext_info *storm_stix_ext_get(storm_stix_ext e);
/* Which extension declares a top-level property name ("x_k8s_pod"); -1 if none. */
int storm_stix_ext_of_property(const char *name, size_t len);

/* The extensions whose properties a STIX pattern names (bit e set for
 * storm_stix_ext e): every x_<group>_<name> token of the text that one of
 * them declares. A token inside a string literal counts too, which only
 * adds a definition. For the definitions that go with indicators. */
unsigned storm_stix_ext_mask_of_pattern(const char *pattern);

/* The top-level properties Storm may write on an object of this type
 * (standard and x_<group>_<name>), NULL-terminated; NULL for a type Storm
 * does not write. For tools that check pattern paths against the model
 * (e.g. a models linter warning about `process:extensions.function_name`). */
const char *const *storm_stix_known_properties(const char *type);

/* Build the extension-definition object e (arena-allocated, borrowed). */
storm_value *storm_stix_extension_definition(storm_arena *a, storm_stix_ext e);
/* Build Storm's identity object (arena-allocated, borrowed). */
storm_value *storm_stix_identity(storm_arena *a);

/* The cluster a Storm instance watches, when not named (--identity). */
#define STORM_STIX_CLUSTER_DEFAULT "storm"
/* The id of the identity of the cluster named name (NULL or "": the
 * default): one id per name, wherever it is derived. */
void storm_stix_cluster_identity_id(const char *name, char out[STORM_STIX_ID_MAX]);
/* The cluster's identity object (arena-allocated; NULL on OOM): where its
 * sightings were seen and who created them and what it publishes. */
storm_value *storm_stix_cluster_identity(storm_arena *a, const char *name);

/* ---- identifiers ---- */

/* Storm's own UUIDv5 namespace for the objects the detector creates
 * (sightings, the cluster identity, fixed-up model ids): sixteen fixed bytes,
 * not derived from any name. Every such id depends on it: never change it. */
#define STORM_STIX_DETECT_NAMESPACE "6b1f3a52-9d0e-5c41-8a77-2e63c4901d5f"

/* STIX 2.1 identifiers, the one check of Storm (model loader, TAXII
 * server's object check):
 * - a type name is 3 to 250 of a-z 0-9 '-', neither starting nor ending with
 *   '-', without "--" (STIX 2.1 sections 2.9 and 11.1);
 * - an identifier is "<type>--<UUID>", the UUID as storm_uuid_parse
 *   (storm/uuid.h: RFC 4122 variant, either case); length-counted, so an
 *   embedded NUL makes it invalid. */
bool storm_stix_type_valid(const char *t, size_t len);
bool storm_stix_id_valid(const char *s, size_t len);

/* UUIDv5 (RFC 4122 section 4.3, SHA-1) of name[0..len) in namespace ns (text
 * form). out receives 36 characters + NUL. Returns false on a malformed ns. */
bool storm_stix_uuid5(const char *ns, const void *name, size_t len, char out[37]);
/* A UUIDv4-shaped id (version 4, RFC 4122 variant) from the first 16 bytes of
 * SHA-1(data): stable for the same data. out receives 36 characters + NUL. */
void storm_stix_uuid4_stable(const void *data, size_t len, char out[37]);
/* RFC 8785 canonical JSON of v appended to out (sorted keys, minimal escapes). */
storm_rc storm_stix_canonical_json(storm_buf *out, const storm_value *v);
/* The deterministic id of an SCO value tree (its "type" member decides the
 * ID-contributing properties): "<type>--<uuidv5>". Writes into out (size
 * STORM_STIX_ID_MAX). STORM_ERR_VALUE when the type has no contributing
 * property present, or is process (which takes a stable UUIDv4). */
storm_rc storm_stix_sco_id(const storm_value *sco, char out[STORM_STIX_ID_MAX]);

/* ---- observation ---- */

typedef struct storm_stix_opts {
    /* Bytes of the input record the event came from and its index in that
     * record: the observed-data id is derived from them (idempotent
     * re-processing). NULL: derived from the canonical JSON of the objects. */
    const char *record;
    size_t record_len;
    size_t record_index;
    /* Used when the event has neither a time nor a process start time. */
    storm_time_ns default_time;
    /* Filled into x_k8s_cluster when the event carries no cluster name. */
    const char *cluster;
    /* Leave every id (the observed-data id derived from the record, process
     * ids and the key digests they come from, the UUIDv5 of every other
     * SCO) as a placeholder of the same length, to be computed by
     * storm_stix_observation_finish only for the observations that need
     * them: hashing the record and the SCOs' contributing properties is a
     * large part of building an observation, and most observations match
     * nothing. Placeholders are "zzzzzzzz-zzzz-zzzz-zzzz-" plus 12 letters
     * g..v after the type's "--": never a UUID, unique within the
     * observation, so references resolve and duplicates are merged exactly
     * as with the final ids (the objects, their order and references are
     * the same either way). Only taken when record is given; record and the
     * event must then stay valid until the observation is finished. */
    bool lazy_ids;
} storm_stix_opts;

/* Build the observation of ev in arena a: out->sdo is the observed-data,
 * out->objects the SCOs (key = id), out->id the observed-data id, times and
 * number_observed set. Every string is either borrowed from ev (which must
 * outlive the observation) or arena-allocated. opts may be NULL.
 * Returns STORM_ERR_NOMEM when the arena is exhausted. */
storm_rc storm_stix_observe(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, storm_observation *out,
                            storm_err *err);

/* Compute the ids storm_stix_observe left pending (opts->lazy_ids) in place:
 * obs->id, the observed-data "id", the SCO keys, "id" members and references
 * all share the same text, so every one of them is complete afterwards, and
 * byte for byte what an observation built without lazy_ids holds. Does
 * nothing for an observation with nothing pending; calling it again is free.
 * Must be called before anything reads the text of those ids (the detector
 * calls it once a candidate's leaf holds, or up front when a leaf names an
 * "id"; the bundle writers call it too). Following references (*_ref, *_refs,
 * object_refs) needs no finish: placeholders resolve like the ids. */
void storm_stix_observation_finish(const storm_observation *obs);

/* ---- output ---- */

/* Collects objects for one bundle: the observed-data and SCOs of any number
 * of observations; an id is written once (the first object added with it
 * wins: deterministic SCO ids name the same thing, and what varies per event
 * lives on per-event objects, see docs/mapping.md "Identifiers"). The
 * identity and the extension-definitions used are added on write. Owns its
 * memory (free with storm_stix_bundle_free). */
typedef struct storm_stix_bundle storm_stix_bundle;

storm_stix_bundle *storm_stix_bundle_new(void);
void storm_stix_bundle_free(storm_stix_bundle *b);
/* Forget the collected objects (keeps the memory). */
void storm_stix_bundle_reset(storm_stix_bundle *b);
/* Write the observation's objects (observed-data then SCOs) as JSON into the
 * bundle's own storage; obs may be freed afterwards. */
storm_rc storm_stix_bundle_add(storm_stix_bundle *b, const storm_observation *obs);
size_t storm_stix_bundle_count(const storm_stix_bundle *b); /* objects added (deduplicated) */
/* Append the bundle JSON (one line, no newline) to out. The bundle id is
 * derived from the ids of its objects. */
storm_rc storm_stix_bundle_write(const storm_stix_bundle *b, storm_buf *out);

/* One observation as one bundle, appended to out: the fast path of
 * `storm convert` (no intermediate storage). */
storm_rc storm_stix_write_observation_bundle(storm_buf *out, const storm_observation *obs);

#ifdef __cplusplus
}
#endif
#endif
