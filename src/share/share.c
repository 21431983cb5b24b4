/* SPDX-License-Identifier: Apache-2.0 */
/* The share step: what leaves the cluster is redacted, names its cluster's
 * identity, carries the extension-definitions it uses and the TLP marking,
 * in that order, the same for every command that shares (storm publish,
 * and the definitions of storm run's bundles). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <storm/share.h>
#include <storm/stix.h>

/* The objects the share step appends unchanged (Storm's identity, its
 * extension-definitions, the TLP marking-definitions), built once for the
 * process: storm run shares one bundle per sighting version, and building
 * them each time (a JSON schema text per definition) was most of its share
 * step. Only for output neither redacted nor marked, where nothing changes
 * them afterwards; NULL entries (out of memory) are built per call. */
static struct {
    storm_arena *arena; /* lives as long as the process */
    storm_value *definition[STORM_STIX_EXT__COUNT];
    storm_value *identity;
    storm_value *tlp[STORM_TLP_RED + 1];
    size_t id_len[STORM_STIX_EXT__COUNT];  /* strlen of each definition's id */
    const char *id[STORM_STIX_EXT__COUNT]; /* each definition's id */
} fixed;
static pthread_once_t fixed_once = PTHREAD_ONCE_INIT;

static void fixed_build(void)
{
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
        fixed.id[e] = storm_stix_ext_get((storm_stix_ext)e)->id;
        fixed.id_len[e] = strlen(fixed.id[e]);
    }
    fixed.arena = storm_arena_new(0, 0);
    if (!fixed.arena)
        return;
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
        fixed.definition[e] = storm_stix_extension_definition(fixed.arena, (storm_stix_ext)e);
    fixed.identity = storm_stix_identity(fixed.arena);
    for (int t = STORM_TLP_CLEAR; t <= STORM_TLP_RED; t++)
        fixed.tlp[t] = storm_tlp_marking_definition(fixed.arena, (storm_tlp)t);
}

bool storm_share_is_fixed(const storm_value *o)
{
    if (!o)
        return false;
    pthread_once(&fixed_once, fixed_build);
    if (o == fixed.identity)
        return true;
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
        if (o == fixed.definition[e])
            return true;
    for (int t = STORM_TLP_CLEAR; t <= STORM_TLP_RED; t++)
        if (o == fixed.tlp[t])
            return true;
    return false;
}

/* Mark in used the definitions an object's "extensions" value names. */
static void used_extensions_of(const storm_value *ext, bool used[STORM_STIX_EXT__COUNT])
{
    if (!ext || ext->type != STORM_V_OBJECT)
        return;
    pthread_once(&fixed_once, fixed_build);
    for (size_t i = 0; i < ext->u.o.len; i++) {
        const storm_member *m = &ext->u.o.members[i];
        for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
            /* the ids share their "extension-definition--" prefix: the last
             * byte tells most apart before the whole is compared */
            if (fixed.id_len[e] == m->key_len && m->key_len && m->key[m->key_len - 1] == fixed.id[e][m->key_len - 1] &&
                memcmp(fixed.id[e], m->key, m->key_len) == 0)
                used[e] = true;
    }
}

void storm_share_used_extensions(const storm_value *obj, bool used[STORM_STIX_EXT__COUNT])
{
    used_extensions_of(storm_v_get(obj, "extensions"), used);
}

storm_share_fields storm_share_fields_of(const storm_value *o)
{
    storm_share_fields f = {NULL, NULL, NULL, NULL, NULL};
    for (size_t i = 0; o && o->type == STORM_V_OBJECT && i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        if (m->key_len == 2 && memcmp(m->key, "id", 2) == 0)
            f.id = m->value;
        else if (m->key_len == 7 && memcmp(m->key, "pattern", 7) == 0)
            f.pattern = m->value;
        else if (m->key_len == 10 && memcmp(m->key, "extensions", 10) == 0)
            f.extensions = m->value;
        else if (m->key_len == 14 && memcmp(m->key, "created_by_ref", 14) == 0)
            f.created_by_ref = m->value;
        else if (m->key_len == 19 && memcmp(m->key, "object_marking_refs", 19) == 0)
            f.marks = m->value;
    }
    return f;
}

/* Is v the string s (n bytes), as storm_v_is_strn says? */
static bool is_str(const storm_value *v, const char *s, size_t n)
{
    return v && v->type == STORM_V_STRING && v->u.s.len == n && memcmp(v->u.s.ptr, s, n) == 0;
}

/* The fields of every object of an array, kept beside it while the share
 * step appends to it: each object's members are read once, not once per
 * question (its id, its definitions, its markings). */
typedef struct share_scan {
    storm_share_fields *f;
    size_t n, cap;
    storm_share_fields small[32]; /* a sighting bundle's objects, without an allocation */
    storm_arena *a;
} share_scan;

/* The fields of the process-wide objects (fixed): read once. */
enum { FIXED_IDENTITY = 0, FIXED_DEFINITION = 1, FIXED_TLP = FIXED_DEFINITION + STORM_STIX_EXT__COUNT };
static storm_share_fields fixed_fields[FIXED_TLP + STORM_TLP_RED + 1];
static pthread_once_t fixed_fields_once = PTHREAD_ONCE_INIT;

static void fixed_fields_build(void)
{
    pthread_once(&fixed_once, fixed_build);
    fixed_fields[FIXED_IDENTITY] = storm_share_fields_of(fixed.identity);
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
        fixed_fields[FIXED_DEFINITION + e] = storm_share_fields_of(fixed.definition[e]);
    for (int t = STORM_TLP_CLEAR; t <= STORM_TLP_RED; t++)
        fixed_fields[FIXED_TLP + t] = storm_share_fields_of(fixed.tlp[t]);
}

/* o's fields: of a process-wide object without reading it (most of a
 * sighting bundle's objects are those the step appended). */
static storm_share_fields scan_fields(const storm_value *o)
{
    if (o && o == fixed.identity)
        return fixed_fields[FIXED_IDENTITY];
    for (int e = 0; o && e < STORM_STIX_EXT__COUNT; e++)
        if (o == fixed.definition[e])
            return fixed_fields[FIXED_DEFINITION + e];
    for (int t = STORM_TLP_CLEAR; o && t <= STORM_TLP_RED; t++)
        if (o == fixed.tlp[t])
            return fixed_fields[FIXED_TLP + t];
    return storm_share_fields_of(o);
}

static bool scan_add(share_scan *sc, const storm_value *o)
{
    if (sc->n == sc->cap) {
        size_t cap = sc->cap * 2;
        storm_share_fields *f = storm_arena_alloc(sc->a, cap * sizeof *f);
        if (!f)
            return false;
        memcpy(f, sc->f, sc->n * sizeof *f);
        sc->f = f;
        sc->cap = cap;
    }
    sc->f[sc->n++] = scan_fields(o);
    return true;
}

/* sc over the objects of the array, from index sc->n on. */
static bool scan_to(share_scan *sc, const storm_value *objects)
{
    while (sc->n < objects->u.a.len)
        if (!scan_add(sc, objects->u.a.items[sc->n]))
            return false;
    return true;
}

static void scan_init(share_scan *sc, storm_arena *a)
{
    pthread_once(&fixed_fields_once, fixed_fields_build);
    sc->f = sc->small;
    sc->n = 0;
    sc->cap = sizeof sc->small / sizeof *sc->small;
    sc->a = a;
}

/* The extensions a pattern names (storm_stix_ext_mask_of_pattern), kept
 * for the last patterns of the thread: storm run shares the same few
 * indicators in bundle after bundle, and the scan of the text is most of
 * the step for them. A kept mask is used only for the same text (a copy
 * is compared), so it is always what the scan gives. */
#define PATTERN_MASKS 32
#define PATTERN_MASK_TEXT 512
static unsigned pattern_mask(const storm_value *pattern)
{
    static _Thread_local struct {
        size_t len; /* 0: empty */
        unsigned mask;
        char text[PATTERN_MASK_TEXT];
    } kept[PATTERN_MASKS];
    const char *text = pattern->u.s.ptr;
    size_t len = pattern->u.s.len;
    if (!len || len > PATTERN_MASK_TEXT || strlen(text) != len)
        return storm_stix_ext_mask_of_pattern(text);
    /* by address: an indicator's pattern is where it was the last time */
    size_t k = ((uintptr_t)text >> 4 ^ (uintptr_t)text >> 11) % PATTERN_MASKS;
    if (kept[k].len == len && memcmp(kept[k].text, text, len) == 0)
        return kept[k].mask;
    unsigned mask = storm_stix_ext_mask_of_pattern(text);
    memcpy(kept[k].text, text, len);
    kept[k].len = len;
    kept[k].mask = mask;
    return mask;
}

static const char *str_of(const storm_value *v)
{
    return v && v->type == STORM_V_STRING ? v->u.s.ptr : NULL;
}

static bool push(storm_arena *a, storm_value *objects, storm_value *o)
{
    return o && storm_v_push(a, objects, o) == 0;
}

/* The shared copy (fixed, above) when asked for and built, else a new one. */
static storm_value *definition(storm_arena *a, storm_stix_ext e, bool shared)
{
    return shared && fixed.definition[e] ? fixed.definition[e] : storm_stix_extension_definition(a, e);
}

static storm_value *storm_identity(storm_arena *a, bool shared)
{
    return shared && fixed.identity ? fixed.identity : storm_stix_identity(a);
}

static storm_value *tlp_definition(storm_arena *a, storm_tlp t, bool shared)
{
    return shared && fixed.tlp[t] ? fixed.tlp[t] : storm_tlp_marking_definition(a, t);
}

/* Appends the definitions the objects of sc (scanned up to the end of
 * objects) use and lack, then Storm's identity, and scans what it appends. */
static storm_rc add_definitions(share_scan *sc, storm_arena *a, storm_value *objects, bool shared)
{
    pthread_once(&fixed_once, fixed_build);
    bool used[STORM_STIX_EXT__COUNT] = {false}, present[STORM_STIX_EXT__COUNT] = {false}, any = false;
    bool have_identity = false;
    static const size_t identity_len = sizeof STORM_STIX_IDENTITY_ID - 1;
    if (!scan_to(sc, objects))
        return STORM_ERR_NOMEM;
    for (size_t i = 0; i < sc->n; i++) {
        const storm_share_fields *f = &sc->f[i];
        used_extensions_of(f->extensions, used);
        /* an indicator's pattern that names x_* properties needs their definitions too */
        unsigned pm = f->pattern && f->pattern->type == STORM_V_STRING ? pattern_mask(f->pattern) : 0;
        for (int e = 0; pm && e < STORM_STIX_EXT__COUNT; e++)
            used[e] |= (pm >> e) & 1u;
        /* the shipped models name Storm as their creator: it travels with them */
        any |= is_str(f->created_by_ref, STORM_STIX_IDENTITY_ID, identity_len);
        const char *id = str_of(f->id);
        /* only an extension-definition's id can be one of theirs */
        for (int e = 0; id && id[0] == 'e' && e < STORM_STIX_EXT__COUNT; e++)
            if (strcmp(id, fixed.id[e]) == 0)
                present[e] = true;
        have_identity |= id && id[0] == 'i' && strcmp(id, STORM_STIX_IDENTITY_ID) == 0;
    }
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) {
        any |= used[e];
        used[e] &= !present[e]; /* already there */
    }
    for (int e = 0; e < STORM_STIX_EXT__COUNT; e++)
        if (used[e] && !push(a, objects, definition(a, (storm_stix_ext)e, shared)))
            return STORM_ERR_NOMEM;
    if (any && !have_identity && !push(a, objects, storm_identity(a, shared)))
        return STORM_ERR_NOMEM;
    return scan_to(sc, objects) ? STORM_OK : STORM_ERR_NOMEM;
}

storm_rc storm_share_add_definitions(storm_arena *a, storm_value *objects)
{
    share_scan sc;
    scan_init(&sc, a);
    return add_definitions(&sc, a, objects, false);
}

static bool has_id(const share_scan *sc, const char *id)
{
    size_t n = strlen(id);
    for (size_t i = 0; i < sc->n; i++)
        if (is_str(sc->f[i].id, id, n))
            return true;
    return false;
}

/* The TLP 2.0 marking-definitions the objects refer to (object_marking_refs)
 * and the array lacks: an object whose creator chose its TLP level travels
 * with it, and its definition with it. sc: the objects scanned as they are
 * now (after any marking). False on OOM. */
static bool add_tlp_definitions(share_scan *sc, storm_arena *a, storm_value *objects, bool shared)
{
    if (!scan_to(sc, objects))
        return false;
    size_t n = objects->u.a.len; /* the definitions appended refer to none */
    for (size_t i = 0; i < n; i++) {
        const storm_value *marks = sc->f[i].marks;
        for (size_t k = 0; marks && marks->type == STORM_V_ARRAY && k < marks->u.a.len; k++) {
            const storm_value *mk = marks->u.a.items[k];
            for (int t = STORM_TLP_CLEAR; mk->type == STORM_V_STRING && t <= STORM_TLP_RED; t++)
                if (strcmp(mk->u.s.ptr, storm_tlp_marking_id((storm_tlp)t)) == 0 && !has_id(sc, mk->u.s.ptr) &&
                    (!push(a, objects, tlp_definition(a, (storm_tlp)t, shared)) || !scan_to(sc, objects)))
                    return false;
        }
    }
    return true;
}

/* storm_stix_cluster_identity_id, remembered for the last name of the
 * thread: storm run shares one bundle per sighting version, always for the
 * same cluster, and the id is a UUIDv5 (a SHA-1) of the name. */
static void cluster_identity_id(const char *name, char out[STORM_STIX_ID_MAX])
{
    static _Thread_local char last_name[256], last_id[STORM_STIX_ID_MAX];
    static _Thread_local bool have_last;
    const char *key = name ? name : "";
    size_t n = strlen(key);
    if (have_last && n < sizeof last_name && memcmp(last_name, key, n + 1) == 0) {
        memcpy(out, last_id, strlen(last_id) + 1);
        return;
    }
    storm_stix_cluster_identity_id(name, out);
    if (n < sizeof last_name) {
        memcpy(last_name, key, n + 1);
        memcpy(last_id, out, strlen(out) + 1);
        have_last = true;
    }
}

storm_rc storm_share_prepare(storm_arena *a, storm_value *objects, const storm_share_opts *opts,
                             storm_redact_stats *stats, storm_err *err)
{
    if (!objects || objects->type != STORM_V_ARRAY)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "the objects to share must be an array");
    if (opts->redactor) {
        storm_rc rc = storm_redact_objects(opts->redactor, a, objects, stats, err);
        if (rc != STORM_OK)
            return rc;
    }
    /* the cluster's identity: the same id as its sightings name
     * (storm_stix_cluster_identity_id), so one cluster has one identity */
    char identity_id[STORM_STIX_ID_MAX];
    cluster_identity_id(opts->identity, identity_id);
    share_scan sc;
    scan_init(&sc, a);
    if (!scan_to(&sc, objects))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    size_t identity_len = strlen(identity_id);
    bool have = false;
    for (size_t i = 0; i < sc.n && !have; i++)
        have = is_str(sc.f[i].id, identity_id, identity_len);
    if (!have && !push(a, objects, storm_stix_cluster_identity(a, opts->identity)))
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    /* nothing changes what is appended after this when unmarked and unredacted */
    bool shared = opts->unmarked && !opts->redactor;
    if (add_definitions(&sc, a, objects, shared) != STORM_OK)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    if (!opts->unmarked) {
        storm_rc rc = storm_mark_objects(a, objects, opts->tlp, identity_id, err);
        if (rc != STORM_OK)
            return rc;
        scan_init(&sc, a); /* marking changes and replaces objects: read them again */
    }
    return add_tlp_definitions(&sc, a, objects, shared) ? STORM_OK
                                                        : storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
}
