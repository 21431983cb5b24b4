/* SPDX-License-Identifier: Apache-2.0 */
/* Attack-model loading and linting. Each file is parsed whole, objects are
 * checked one by one against the STIX 2.1 rules that matter for detection,
 * and every defect is recorded with file:line:column. What is sound is kept;
 * ids that are not type--UUID are replaced by a UUIDv5 of the bad id (the
 * same bad id always maps to the same good one, so references still line up
 * across files). Relationships are resolved once every file is in. */
#include <storm/model.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <storm/array.h>
#include <storm/hash.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/time.h>

#include "detect/ids.h"
#include "detect/models_int.h"
#include "pattern/leaf.h"
#include "pattern/pattern_int.h"
#include <storm/stix.h>

#define MODEL_FILE_MAX ((size_t)64 << 20) /* bytes of one model file */
#define MODEL_DIR_DEPTH 16

/* ---- small growable arrays (malloc; freed in storm_models_free) ---- */

#define GROW(arr, n, alloc) STORM_ARRAY_GROW(arr, (n) + 1, alloc, 16)

/* ---- id table: open addressing over arena strings ---- */

static uint64_t hash_str(const char *s)
{
    return storm_fnv1a(s, strlen(s));
}

static int idmap_put(model_idmap *t, const char *key, size_t val, const char *str)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        model_idmap_slot *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slots[i].key)
                continue;
            size_t j = hash_str(t->slots[i].key) & (ncap - 1);
            while (ns[j].key)
                j = (j + 1) & (ncap - 1);
            ns[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
    }
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j].key) {
        if (strcmp(t->slots[j].key, key) == 0) {
            t->slots[j].val = val;
            t->slots[j].str = str;
            return 0;
        }
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j].key = key;
    t->slots[j].val = val;
    t->slots[j].str = str;
    t->n++;
    return 0;
}

static const model_idmap_slot *idmap_find(const model_idmap *t, const char *key)
{
    if (!t->cap || !key)
        return NULL;
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j].key) {
        if (strcmp(t->slots[j].key, key) == 0)
            return &t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    return NULL;
}

bool model_idmap_get(const model_idmap *t, const char *key, size_t *val)
{
    if (!t->cap || !key)
        return false;
    size_t j = hash_str(key) & (t->cap - 1);
    while (t->slots[j].key) {
        if (strcmp(t->slots[j].key, key) == 0) {
            if (val)
                *val = t->slots[j].val;
            return true;
        }
        j = (j + 1) & (t->cap - 1);
    }
    return false;
}

/* ---- defects ---- */

typedef struct load_ctx {
    storm_models *m;
    size_t file;      /* index into m->files */
    const char *text; /* the file's text */
    size_t len;
    storm_arena *doc; /* the parsed document (freed once the file is loaded), or NULL */
} load_ctx;

/* line:column of offset, through the file's line index (built on first
 * use: a file may hold 10,000 objects, each located once or more) */
static void locate(const load_ctx *c, size_t offset, uint32_t *line, uint32_t *col)
{
    model_file *f = &c->m->files[c->file];
    *line = *col = 0;
    if (!c->text)
        return;
    if (!f->lines) {
        size_t n = 1;
        for (size_t i = 0; i < c->len; i++)
            n += c->text[i] == '\n';
        f->lines = malloc(n * sizeof *f->lines);
        if (!f->lines)
            return;
        f->lines[0] = 0;
        f->n_lines = 1;
        for (size_t i = 0; i < c->len; i++)
            if (c->text[i] == '\n')
                f->lines[f->n_lines++] = i + 1;
    }
    if (offset > c->len)
        offset = c->len;
    size_t lo = 0, hi = f->n_lines; /* the last line start <= offset */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    /* characters, not UTF-8 continuation bytes, as storm_err_locate; offsets
     * mostly grow while loading, so go on from the last one on this line
     * (a minified file is one line of megabytes) */
    size_t from = f->lines[lo];
    uint32_t ccount = 1;
    if (f->last_line == lo + 1 && f->last_off <= offset && f->last_off >= from) {
        from = f->last_off;
        ccount = f->last_col;
    }
    for (size_t i = from; i < offset; i++)
        ccount += ((unsigned char)c->text[i] & 0xC0) != 0x80;
    f->last_line = lo + 1;
    f->last_off = offset;
    f->last_col = ccount;
    *line = (uint32_t)(lo + 1);
    *col = ccount;
}

__attribute__((format(printf, 5, 6))) static void defect(load_ctx *c, size_t offset, const char *object_id,
                                                         bool fatal, const char *fmt, ...)
{
    storm_models *m = c->m;
    if (GROW(m->defects, m->n_defects, m->alloc_defects) != 0)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    storm_model_defect *d = &m->defects[m->n_defects++];
    memset(d, 0, sizeof *d);
    d->file = m->files[c->file].path;
    if (offset != STORM_POS_NONE && c->text)
        locate(c, offset, &d->line, &d->col);
    d->object_id = object_id ? storm_arena_strdup(m->arena, object_id) : NULL;
    d->message = storm_arena_strdup(m->arena, msg);
    d->fatal = fatal;
}

/* Offset of the key of the member whose value is v: walk back from the value
 * over ':' and blanks to the key's closing quote, then to its opening one. */
static size_t key_offset(const load_ctx *c, const storm_value *v)
{
    if (v->pos == STORM_POS_NONE || v->pos >= c->len)
        return v->pos;
    size_t i = v->pos;
    while (i > 0 && (c->text[i - 1] == ' ' || c->text[i - 1] == '\t' || c->text[i - 1] == '\n' ||
                     c->text[i - 1] == '\r' || c->text[i - 1] == ':'))
        i--;
    if (i == 0 || c->text[i - 1] != '"')
        return v->pos;
    i--;
    while (i > 0 && !(c->text[i - 1] == '"' && (i < 2 || c->text[i - 2] != '\\')))
        i--;
    return i > 0 ? i - 1 : v->pos;
}

/* Byte offset in the file of byte `k` of the decoded JSON string value v
 * (escapes in the raw text make the two differ). */
static size_t string_offset(const load_ctx *c, const storm_value *v, size_t k)
{
    if (v->pos == STORM_POS_NONE || v->pos >= c->len || c->text[v->pos] != '"')
        return v->pos;
    size_t i = v->pos + 1, decoded = 0;
    while (i < c->len && c->text[i] != '"' && decoded < k) {
        if (c->text[i] == '\\') {
            if (i + 1 < c->len && c->text[i + 1] == 'u') {
                /* \uXXXX is 1..3 bytes of UTF-8 (or half of a surrogate pair) */
                unsigned cp = (unsigned)strtoul((char[5]){c->text[i + 2], c->text[i + 3], c->text[i + 4],
                                                          c->text[i + 5], 0},
                                                NULL, 16);
                decoded += cp < 0x80 ? 1 : cp < 0x800 ? 2 : (cp >= 0xD800 && cp < 0xE000) ? 2 : 3;
                i += 6;
            } else {
                decoded++;
                i += 2;
            }
        } else {
            decoded++;
            i++;
        }
    }
    return i;
}

/* ---- STIX property tables ---- */

static const char *const common_props[] = {
    "type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels", "confidence",
    "lang", "external_references", "object_marking_refs", "granular_markings", "extensions", NULL};
static const char *const attack_pattern_props[] = {"name", "description", "aliases", "kill_chain_phases", NULL};
static const char *const indicator_props[] = {"name", "description", "indicator_types", "pattern", "pattern_type",
                                              "pattern_version", "valid_from", "valid_until", "kill_chain_phases",
                                              NULL};
static const char *const relationship_props[] = {"relationship_type", "description", "source_ref", "target_ref",
                                                 "start_time", "stop_time", NULL};
static const char *const intrusion_set_props[] = {"name", "description", "aliases", "first_seen", "last_seen",
                                                  "goals", "resource_level", "primary_motivation",
                                                  "secondary_motivations", NULL};
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

static void check_properties(load_ctx *c, const storm_value *obj, const char *id, const char *type,
                             const char *const *specific)
{
    for (size_t i = 0; i < obj->u.o.len; i++) {
        const storm_member *mb = &obj->u.o.members[i];
        if (in_list(common_props, mb->key, mb->key_len) || (specific && in_list(specific, mb->key, mb->key_len)))
            continue;
        if (is_custom_name(mb->key, mb->key_len))
            continue;
        defect(c, key_offset(c, mb->value), id, false,
               "property '%.*s' is not a STIX 2.1 property of %s (custom properties start with 'x_'); ignored",
               (int)mb->key_len, mb->key, type);
    }
}

/* ---- object loading ---- */

static const char *fixed_id(load_ctx *c, const storm_value *idv, const char *type, const char *what)
{
    storm_models *m = c->m;
    if (!idv || idv->type != STORM_V_STRING)
        return NULL;
    const char *raw = idv->u.s.ptr;
    size_t len = idv->u.s.len;
    if (storm_stix_id_valid(raw, len))
        return storm_arena_strndup(m->arena, raw, len);
    char buf[DETECT_ID_MAX];
    char tbuf[64];
    /* the type part of the bad id when it has one, else the object's type */
    const char *sep = strstr(raw, "--");
    if (sep && (size_t)(sep - raw) < sizeof tbuf) {
        memcpy(tbuf, raw, (size_t)(sep - raw));
        tbuf[sep - raw] = '\0';
    } else {
        snprintf(tbuf, sizeof tbuf, "%s", type);
    }
    detect_uuid5_id(tbuf, raw, len, false, buf, sizeof buf);
    char *good = storm_arena_strdup(m->arena, buf);
    char *bad = storm_arena_strndup(m->arena, raw, len);
    if (good && bad)
        idmap_put(&m->fixed, bad, 0, good);
    if (what)
        defect(c, idv->pos, bad, false, "%s id '%s' is not '<type>--<UUID>' (an RFC 4122 UUID: 8-4-4-4-12 hex digits, "
               "the fourth group starting with 8, 9, a or b); loaded as %s", what, bad, good);
    return good;
}

/* The fixed-up form of a reference: a bad id maps to its replacement. */
const char *model_ref(const storm_models *m, const char *ref)
{
    const model_idmap_slot *s = idmap_find(&m->fixed, ref);
    return s ? s->str : ref;
}

static bool check_timestamp(load_ctx *c, const storm_value *obj, const char *key, const char *id)
{
    const storm_value *v = storm_v_get(obj, key);
    if (!v)
        return false;
    storm_time_ns t;
    if (v->type != STORM_V_STRING || !storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_STIX_STRICT, &t)) {
        defect(c, v->pos, id, false, "'%s' is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", key);
        return false;
    }
    return true;
}

static bool time_of(const storm_value *obj, const char *key, storm_time_ns *t)
{
    const storm_value *v = storm_v_get(obj, key);
    return v && v->type == STORM_V_STRING && storm_time_parse(v->u.s.ptr, v->u.s.len, STORM_TIME_STIX_STRICT, t);
}

/* STIX 2.1 3.2: modified must be later than or equal to created. */
static void check_created_modified(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_time_ns created, modified;
    if (time_of(obj, "created", &created) && time_of(obj, "modified", &modified) && modified < created)
        defect(c, storm_v_get(obj, "modified")->pos, id, false, "'modified' is earlier than 'created'");
}

/* ---- compact copies of the kept objects ---- */

static uint64_t hash_mem(const char *s, size_t n)
{
    uint64_t h = storm_fnv1a(s, n);
    return h ^ (h >> 29);
}

/* The one copy of s[0..len) in the models' arena: found in m->strings, or
 * s itself when `borrow` (s must then live in one of the models' arenas,
 * NUL-terminated), or a new copy. NULL on OOM. */
static const char *intern(storm_models *m, const char *s, size_t len, bool borrow)
{
    model_strset *t = &m->strings;
    uint64_t h = hash_mem(s, len);
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        model_str_slot *ns = calloc(ncap, sizeof *ns);
        if (!ns) /* no sharing then, but still a copy */
            return borrow ? s : storm_arena_strndup(m->arena, s, len);
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slots[i].s)
                continue;
            size_t j = t->slots[i].hash & (ncap - 1);
            while (ns[j].s)
                j = (j + 1) & (ncap - 1);
            ns[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
    }
    size_t j = h & (t->cap - 1);
    for (; t->slots[j].s; j = (j + 1) & (t->cap - 1))
        if (t->slots[j].hash == h && t->slots[j].len == len && memcmp(t->slots[j].s, s, len) == 0)
            return t->slots[j].s;
    const char *keep = borrow ? s : storm_arena_strndup(m->arena, s, len);
    if (!keep)
        return NULL;
    t->slots[j] = (model_str_slot){keep, len, h};
    t->n++;
    return keep;
}

/* Deep copy of v into the models' arena, each array and member list at its
 * exact length and each string shared through intern(). The parsed
 * document holds every value of the file with the parser's growth slack,
 * the bundle and the ignored objects: a 10,000-indicator file took ~26 MB
 * that way, kept for the whole run. NULL on OOM. */
static storm_value *compact_copy(storm_models *m, const storm_value *v)
{
    storm_value *c = storm_arena_alloc(m->arena, sizeof *c);
    if (!c)
        return NULL;
    *c = *v;
    switch (v->type) {
    case STORM_V_STRING:
        c->u.s.ptr = intern(m, v->u.s.ptr, v->u.s.len, false);
        if (!c->u.s.ptr)
            return NULL;
        break;
    case STORM_V_ARRAY: {
        size_t n = v->u.a.len;
        c->u.a.items = n ? storm_arena_alloc(m->arena, n * sizeof *c->u.a.items) : NULL;
        c->u.a.len = c->u.a.alloc = n;
        if (n && !c->u.a.items)
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (!(c->u.a.items[i] = compact_copy(m, v->u.a.items[i])))
                return NULL;
        break;
    }
    case STORM_V_OBJECT: {
        size_t n = v->u.o.len;
        c->u.o.members = n ? storm_arena_alloc(m->arena, n * sizeof *c->u.o.members) : NULL;
        c->u.o.len = c->u.o.alloc = n;
        if (n && !c->u.o.members)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            const storm_member *src = &v->u.o.members[i];
            storm_member *dst = &c->u.o.members[i];
            dst->key = intern(m, src->key, src->key_len, false);
            dst->key_len = src->key_len;
            dst->value = dst->key ? compact_copy(m, src->value) : NULL;
            if (!dst->value)
                return NULL;
        }
        break;
    }
    default:
        break;
    }
    return c;
}

/* Returns the object with fixed ids and the required common properties
 * filled in (so the store accepts it), reporting what was missing. Its
 * original values are read first: the checks run before the fix-ups. */
static storm_value *normalised_copy(load_ctx *c, const storm_value *obj, const char *id, const char *type)
{
    storm_models *m = c->m;
    /* the fix-ups go into the parsed document (its arena is c->doc), which
     * is then copied compactly: the copy is what the models keep */
    storm_arena *doc = c->doc ? c->doc : m->arena;
    storm_value *copy = (storm_value *)obj;
    storm_v_set_str(doc, copy, "id", id);
    char missing[128] = "";
    const char *fill = "1970-01-01T00:00:00.000Z";
    const char *vf = storm_v_get_str(obj, "valid_from");
    storm_time_ns t;
    if (vf && storm_time_parse(vf, strlen(vf), STORM_TIME_STIX_STRICT, &t))
        fill = vf;
    const char *created = storm_v_get_str(obj, "created");
    if (!storm_v_get(obj, "spec_version")) {
        strcat(missing, " spec_version");
        storm_v_set_str(doc, copy, "spec_version", "2.1");
    }
    bool created_ok = check_timestamp(c, obj, "created", id);
    if (!created_ok) {
        if (!storm_v_get(obj, "created"))
            strcat(missing, " created");
        storm_v_set_str(doc, copy, "created", fill);
        created = fill;
    }
    if (!check_timestamp(c, obj, "modified", id)) {
        if (!storm_v_get(obj, "modified"))
            strcat(missing, " modified");
        storm_v_set_str(doc, copy, "modified", created ? created : fill);
    }
    if (missing[0])
        defect(c, obj->pos, id, false, "%s lacks required properties:%s; loaded with spec_version 2.1 and %s",
               type, missing, fill);
    intern(m, id, strlen(id), true); /* the copy's "id" shares the id string */
    return compact_copy(m, copy);
}

static int add_object(storm_models *m, storm_value *obj)
{
    if (GROW(m->objects, m->n_objects, m->alloc_objects) != 0)
        return -1;
    m->objects[m->n_objects++] = obj;
    return 0;
}

/* Record id as defined here; a second definition is a defect and is skipped. */
static size_t claim_id(load_ctx *c, const char *id, const storm_value *obj)
{
    storm_models *m = c->m;
    size_t prev;
    if (model_idmap_get(&m->defined, id, &prev)) {
        const model_origin *o = &m->origins[prev];
        defect(c, obj->pos, id, true, "duplicate id %s (first defined at %s:%u:%u); this definition is ignored", id,
               m->files[o->file].path, o->line, o->col);
        return SIZE_MAX;
    }
    if (GROW(m->origins, m->n_origins, m->alloc_origins) != 0)
        return SIZE_MAX;
    model_origin *o = &m->origins[m->n_origins];
    o->file = c->file;
    locate(c, obj->pos, &o->line, &o->col);
    o->kind = MODEL_NONE;
    o->index = 0;
    idmap_put(&m->defined, id, m->n_origins, NULL);
    return m->n_origins++;
}

static void set_origin(storm_models *m, size_t origin, model_kind kind, size_t index)
{
    m->origins[origin].kind = kind;
    m->origins[origin].index = index;
}

static void load_attack_pattern(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    check_properties(c, obj, id, "attack-pattern", attack_pattern_props);
    const char *name = storm_v_get_str(obj, "name");
    if (!name)
        defect(c, obj->pos, id, false, "attack-pattern lacks its required 'name'");
    size_t origin = claim_id(c, id, obj);
    if (origin == SIZE_MAX)
        return;
    storm_value *copy = normalised_copy(c, obj, id, "attack-pattern");
    if (!copy || GROW(m->steps, m->n_steps, m->alloc_steps) != 0)
        return;
    set_origin(m, origin, MODEL_STEP, m->n_steps);
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
    add_object(m, copy);
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
    size_t off = string_offset(c, pv, path->span.start);
    if (!props) {
        defect(c, off, id, false,
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
        defect(c, off, id, false,
               "'%.*s' is not a path of Storm's observation model (docs/mapping.md lists every path, e.g. "
               "process:x_hook_name, process:x_hook_args[0].value): this comparison never holds",
               (int)(path->span.end - path->span.start), text + path->span.start);
}

static void check_paths_cmp(load_ctx *c, const storm_value *pv, const char *id, const pat_cmp *cmp,
                            const char *text, int depth)
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

static void load_indicator(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    check_properties(c, obj, id, "indicator", indicator_props);
    const storm_value *pv = storm_v_get(obj, "pattern");
    const char *ptype = storm_v_get_str(obj, "pattern_type");
    if (!pv || pv->type != STORM_V_STRING) {
        defect(c, obj->pos, id, true, "indicator has no 'pattern' string; not loaded");
        return;
    }
    if (!ptype)
        defect(c, obj->pos, id, false, "indicator lacks its required 'pattern_type'; read as 'stix'");
    else if (strcmp(ptype, "stix") != 0) {
        defect(c, storm_v_get(obj, "pattern_type")->pos, id, true,
               "pattern_type '%s' is not supported (only 'stix'); not loaded", ptype);
        return;
    }
    if (!storm_v_get(obj, "valid_from"))
        defect(c, obj->pos, id, false, "indicator lacks its required 'valid_from'");
    else
        check_timestamp(c, obj, "valid_from", id);
    storm_time_ns valid_from = 0, valid_until = 0;
    bool has_until = storm_v_get(obj, "valid_until") != NULL;
    if (has_until && !check_timestamp(c, obj, "valid_until", id))
        has_until = false; /* reported; read as no end */
    if (has_until) {
        time_of(obj, "valid_until", &valid_until);
        if (valid_until <= 0)
            valid_until = 1; /* 0 means "no end" */
        if (time_of(obj, "valid_from", &valid_from) && valid_until <= valid_from) {
            defect(c, storm_v_get(obj, "valid_until")->pos, id, true,
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
        size_t off = string_offset(c, pv, perr.offset);
        defect(c, off, id, true, "pattern does not compile: %s (pattern column %u); not loaded",
               perr.msg[0] ? perr.msg : storm_strerror(rc), (unsigned)perr.offset + 1);
        return;
    }
    storm_err_clear(&perr);
    if (pattern_check_late(pat, &perr) != STORM_OK) { /* WITHIN 0 SECONDS, mixed IN sets, ... */
        defect(c, string_offset(c, pv, perr.offset), id, true, "pattern can never be matched: %s; not loaded",
               perr.msg);
        storm_pattern_free(pat);
        return;
    }
    size_t origin = claim_id(c, id, obj);
    if (origin == SIZE_MAX) {
        storm_pattern_free(pat);
        return;
    }
    for (unsigned k = 0; k < pat->n_leaves; k++)
        check_paths_cmp(c, pv, id, pat->leaves[k]->cmp, pat->text, 0);
    storm_err never;
    storm_err_clear(&never);
    if (storm_pattern_never_matches(pat, &never))
        defect(c, string_offset(c, pv, (uint32_t)never.offset), id, false, "%s", never.msg);
    /* the copy's "pattern" shares the compiled pattern's text */
    intern(m, pat->text, pat->len, true);
    storm_value *copy = normalised_copy(c, obj, id, "indicator");
    if (!copy || GROW(m->indicators, m->n_indicators, m->alloc_indicators) != 0 ||
        GROW(m->patterns, m->n_patterns, m->alloc_patterns) != 0) {
        storm_pattern_free(pat);
        return;
    }
    m->patterns[m->n_patterns++] = pat;
    set_origin(m, origin, MODEL_INDICATOR, m->n_indicators);
    storm_model_indicator *ind = &m->indicators[m->n_indicators++];
    memset(ind, 0, sizeof *ind);
    ind->id = id;
    const char *name = storm_v_get_str(copy, "name");
    ind->name = name && name[0] ? name : id;
    ind->pattern_text = storm_pattern_text(pat);
    ind->pattern = pat;
    ind->file = m->files[c->file].path;
    locate(c, obj->pos, &ind->line, &ind->col);
    ind->object = copy;
    ind->valid_until = has_until ? valid_until : 0;
    add_object(m, copy);
}

static void load_relationship(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    check_properties(c, obj, id, "relationship", relationship_props);
    const storm_value *rt = storm_v_get(obj, "relationship_type");
    const storm_value *src = storm_v_get(obj, "source_ref");
    const storm_value *tgt = storm_v_get(obj, "target_ref");
    if (!rt || rt->type != STORM_V_STRING || !src || src->type != STORM_V_STRING || !tgt ||
        tgt->type != STORM_V_STRING) {
        defect(c, obj->pos, id, true,
               "relationship needs string 'relationship_type', 'source_ref' and 'target_ref'; not loaded");
        return;
    }
    size_t origin = claim_id(c, id, obj);
    if (origin == SIZE_MAX)
        return;
    storm_value *copy = normalised_copy(c, obj, id, "relationship");
    if (!copy || GROW(m->rels, m->n_rels, m->alloc_rels) != 0)
        return;
    set_origin(m, origin, MODEL_REL, m->n_rels);
    add_object(m, copy);
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
        fixed_id(c, src, "x", NULL);
    if (!storm_stix_id_valid(tgt->u.s.ptr, tgt->u.s.len))
        fixed_id(c, tgt, "x", NULL);
}

static void load_intrusion_set(load_ctx *c, const storm_value *obj, const char *id)
{
    storm_models *m = c->m;
    check_properties(c, obj, id, "intrusion-set", intrusion_set_props);
    size_t origin = claim_id(c, id, obj);
    if (origin == SIZE_MAX)
        return;
    storm_value *copy = normalised_copy(c, obj, id, "intrusion-set");
    if (!copy || GROW(m->sets, m->n_sets, m->alloc_sets) != 0)
        return;
    set_origin(m, origin, MODEL_SET, m->n_sets);
    model_set *s = &m->sets[m->n_sets++];
    s->id = id;
    const char *name = storm_v_get_str(copy, "name");
    s->name = name ? name : id;
    add_object(m, copy);
}

static void load_object(load_ctx *c, const storm_value *obj)
{
    storm_models *m = c->m;
    if (obj->type != STORM_V_OBJECT) {
        defect(c, obj->pos, NULL, true, "expected a STIX object, found a JSON %s; skipped",
               obj->type == STORM_V_ARRAY ? "array" : "scalar");
        return;
    }
    const char *type = storm_v_get_str(obj, "type");
    const storm_value *idv = storm_v_get(obj, "id");
    if (!type) {
        defect(c, obj->pos, NULL, true, "object has no 'type'; skipped");
        return;
    }
    bool known = strcmp(type, "attack-pattern") == 0 || strcmp(type, "indicator") == 0 ||
                 strcmp(type, "relationship") == 0 || strcmp(type, "intrusion-set") == 0;
    if (!known) {
        m->n_ignored++; /* valid STIX that is not part of a model (observations, identities, ...) */
        return;
    }
    if (!idv || idv->type != STORM_V_STRING) {
        defect(c, obj->pos, NULL, true, "%s has no 'id' string; skipped", type);
        return;
    }
    const char *id = fixed_id(c, idv, type, type);
    if (!id)
        return;
    /* STIX 2.1 3.6: a revoked object must no longer be used; a stale copy
     * (pulled from a TAXII server, say) must not keep producing sightings */
    const storm_value *rv = storm_v_get(obj, "revoked");
    if (rv && rv->type == STORM_V_BOOL && rv->u.b) {
        defect(c, rv->pos, id, true, "%s is revoked (\"revoked\": true); not loaded", type);
        return;
    }
    check_created_modified(c, obj, id);
    if (strncmp(id, type, strlen(type)) != 0 || strncmp(id + strlen(type), "--", 2) != 0)
        defect(c, idv->pos, id, false, "id '%s' does not start with its type '%s--'", id, type);
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
        defect(c, b->pos, NULL, false, "bundle has no 'id' string");
    else if (!storm_stix_id_valid(idv->u.s.ptr, idv->u.s.len) || strncmp(idv->u.s.ptr, "bundle--", 8) != 0)
        defect(c, idv->pos, idv->u.s.ptr, false, "bundle id '%s' is not 'bundle--<UUID>'", idv->u.s.ptr);
    else
        id = idv->u.s.ptr;
    check_properties(c, b, id, "bundle", bundle_props);
    const storm_value *objs = storm_v_get(b, "objects");
    if (!objs) {
        defect(c, b->pos, id, false, "bundle has no 'objects'");
        return;
    }
    if (objs->type != STORM_V_ARRAY) {
        defect(c, objs->pos, id, true, "bundle 'objects' is not an array; skipped");
        return;
    }
    for (size_t i = 0; i < objs->u.a.len; i++)
        load_object(c, objs->u.a.items[i]);
}

static void load_root(load_ctx *c, const storm_value *v, int depth)
{
    if (v->type == STORM_V_ARRAY && depth == 0) {
        for (size_t i = 0; i < v->u.a.len; i++)
            load_root(c, v->u.a.items[i], depth + 1);
        return;
    }
    if (v->type == STORM_V_OBJECT && storm_v_is_str(storm_v_get(v, "type"), "bundle")) {
        load_bundle(c, v);
        return;
    }
    load_object(c, v);
}

/* ---- public API ---- */

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
    load_ctx c = {m, fi, text, len, doc};
    storm_value *root = NULL;
    storm_err jerr;
    storm_err_clear(&jerr);
    storm_rc rc = storm_json_parse(doc, text, len, STORM_JSON_DEFAULT, &root, NULL, &jerr);
    if (rc != STORM_OK) {
        defect(&c, jerr.offset, NULL, true, "not valid JSON: %s; file skipped",
               jerr.msg[0] ? jerr.msg : storm_strerror(rc));
        storm_arena_free(doc);
        return STORM_OK;
    }
    load_root(&c, root, 0);
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
            defect(&c, STORM_POS_NONE, NULL, true, "cannot read: %s", strerror(errno));
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
            defect(&c, STORM_POS_NONE, NULL, true, "%s", rerr.msg);
        }
        return storm_err_set(err, rc, 0, "%s", rerr.msg);
    }
    return load_owned_text(m, path, text, len, err);
}

storm_rc storm_models_load_path(storm_models *m, const char *path, storm_err *err)
{
    return load_path_depth(m, path, 0, err);
}

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
            defect(&c, r->src_pos, r->id, !(is_indicates || is_related || is_uses) ? false : true,
                   "source_ref '%s' names no attack-pattern, indicator or intrusion-set in the loaded models; "
                   "relationship not used",
                   r->src);
            continue;
        }
        if (tk == MODEL_NONE) {
            defect(&c, r->tgt_pos, r->id, true,
                   "target_ref '%s' names no attack-pattern, indicator or intrusion-set in the loaded models; "
                   "relationship not used",
                   r->tgt);
            continue;
        }
        if (is_indicates) {
            if (sk != MODEL_INDICATOR || tk != MODEL_STEP) {
                defect(&c, r->src_pos, r->id, true,
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
            defect(&c, ind->object->pos, ind->id, false,
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

size_t storm_models_n_defects(const storm_models *m) { return m->n_defects; }
const storm_model_defect *storm_models_defect(const storm_models *m, size_t i)
{
    return i < m->n_defects ? &m->defects[i] : NULL;
}
size_t storm_models_n_indicators(const storm_models *m) { return m->n_indicators; }
const storm_model_indicator *storm_models_indicator(const storm_models *m, size_t i)
{
    return i < m->n_indicators ? &m->indicators[i] : NULL;
}
size_t storm_models_n_steps(const storm_models *m) { return m->n_steps; }
const storm_model_step *storm_models_step(const storm_models *m, size_t i)
{
    return i < m->n_steps ? &m->steps[i] : NULL;
}
size_t storm_models_n_relationships(const storm_models *m) { return m->n_rels; }
size_t storm_models_n_intrusion_sets(const storm_models *m) { return m->n_sets; }
size_t storm_models_n_files(const storm_models *m) { return m->n_files; }
size_t storm_models_n_objects(const storm_models *m) { return m->n_objects; }
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
