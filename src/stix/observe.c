/* SPDX-License-Identifier: Apache-2.0 */
/* Typed sensor event -> STIX 2.1 observation (observed-data + SCOs) as value
 * trees in an arena. This is on the event hot path: nothing here mallocs,
 * parses or serialises JSON; strings are borrowed from the event, objects are
 * built with pre-sized member arrays, ids hash canonical JSON straight into
 * SHA-1. The model is documented in docs/mapping.md. */
#include <arpa/inet.h>
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <storm/decimal.h>
#include <storm/stix_prefilter.h>

#include "stix_int.h"

/* Bounds that keep one observation small whatever the input says. */
#define OBS_MAX_ANCESTORS 32

/* A process id whose text waits (opts->lazy_ids): the process (NULL for one
 * that nothing names), its role and slot, and the arena text to fill in (36
 * characters after "process--"). Its key digest is computed on finish too:
 * most observations are never finished. */
typedef struct pending_proc {
    char *uuid;
    const storm_process_info *p;
    bool keyed;     /* p names the process (exec id, or pid) */
    bool per_event; /* the id is only this observation's (with the record digest) */
    size_t slot;
} pending_proc;

/* One object of the observation as the builder tracks it, in the order
 * objects were added (children before the objects that reference them). */
typedef struct sco_info {
    const storm_value *sco;
    const storm_value *idv; /* the SCO's "id" value: its key text */
    char *uuid;             /* the 36 characters to fill after "<type>--"; NULL for a given id */
    stix_sco_kind kind;
    const storm_value *id_vals[STIX_ID_PROPS_MAX]; /* contributing values (kinds with UUIDv5 ids) */
} sco_info;

/* What storm_stix_observation_finish needs (arena, beside the observation).
 * SCO ids (UUIDv5 of the contributing properties) are computed on finish in
 * the order the objects were added, so that the ids a contributing
 * reference names (file -> directory, network-traffic -> addresses) are
 * final before the referencing object is hashed. */
struct storm_obs_pending {
    bool done;
    const storm_event *ev; /* the process keys name its sensor, node and container */
    const char *record;    /* NULL: nothing derived from the record is pending */
    size_t record_len;
    size_t record_index;
    char *od_uuid; /* 36 characters after "observed-data--" */
    const sco_info *scos;
    size_t n_scos;
    size_t n, cap;
    pending_proc procs[];
};

#define FILE_MEMO 8

typedef struct obs_ctx {
    stix_b b;
    const storm_event *ev;
    const storm_stix_opts *opts;
    const char *sensor;
    size_t sensor_len;
    const storm_value *time_v;         /* event time as STIX text, microseconds at most (shared by the
                                        * members that hold it; created/modified have their own) */
    unsigned char digest[20];          /* of the input record: per-observation ids */
    bool have_digest;                  /* digest computed (always, unless lazy) */
    struct storm_obs_pending *pending; /* lazy_ids: ids waiting for the digest */
    storm_obs_object *objs;
    sco_info *info; /* parallel to objs until the subject moves first */
    size_t n, cap;
    size_t seq;                    /* SCO id placeholders handed out */
    bool orphan_net, orphan_audit; /* net/audit fields with no object of their own */
    bool orphan_app;               /* an entry point's log line naming no address */
    /* addr_kind of the event's addresses, parsed once */
    stix_sco_kind src_kind, dst_kind, client_kind;
    /* The files of the paths and the unix user of the uid already added: a
     * process's binary and uid are mostly its parent's, and building the
     * same objects again would only find them duplicates (add_sco keeps
     * the first, whose id these are). */
    struct {
        const char *path;
        size_t len;
        const storm_value *idv;
    } file_memo[FILE_MEMO];
    size_t n_file_memo;
    bool have_unix_user;
    int64_t unix_uid;
    const storm_value *unix_user_idv;
} obs_ctx;

#define LIT(s) s, sizeof s - 1

static const char *sensor_text(storm_sensor s, size_t *len)
{
    switch (s) {
    case STORM_SENSOR_TETRAGON: *len = 8; return "tetragon";
    case STORM_SENSOR_K8S_AUDIT: *len = 9; return "k8s-audit";
    case STORM_SENSOR_FALCO: *len = 5; return "falco";
    case STORM_SENSOR_KUBESCAPE: *len = 9; return "kubescape";
    case STORM_SENSOR_HUBBLE: *len = 6; return "hubble";
    case STORM_SENSOR_SSHD: *len = 4; return "sshd";
    case STORM_SENSOR_HTTP_ACCESS: *len = 11; return "http-access";
    default: *len = 7; return "unknown";
    }
}

/* STIX timestamps have four-digit years; nanoseconds in an int64 span
 * 1677..2262, so every storm_time_ns qualifies. Kept as the one place that
 * says which times are usable. */
static bool time_ok(storm_time_ns t)
{
    (void)t;
    return true;
}

/* The STIX text of t as a string value (arena): storm_time_format_stix's,
 * so that python-stix2 reads it and hashes it as written (network-traffic's
 * start contributes to its id). */
static storm_value *time_value_digits(obs_ctx *c, storm_time_ns t, int min_digits)
{
    char *s = sb_alloc(&c->b, 40);
    if (!s) {
        c->b.oom = true;
        return NULL;
    }
    return sb_strn(&c->b, s, stix_time_text(t, min_digits, s));
}

static storm_value *time_value(obs_ctx *c, storm_time_ns t)
{
    return time_value_digits(c, t, STORM_TIME_STIX_ANY);
}

static bool nonempty(const char *s)
{
    return s && *s;
}

/* ---- objects ---- */

/* The extension markers ({"extension_type": "toplevel-property-extension"}),
 * the extensions dictionaries holding only markers, one per mask, and the
 * SCO type names: the same in every observation, so built once (static,
 * never freed; storm_stix_observe runs ext_dicts_build first) and shared by
 * all of them instead of being built per observation. Sharing is safe
 * because nothing changes a value nested in an observation once it is built
 * (storm_mark_objects and the writers touch top-level members only). */
static storm_value ext_marker_text = {STORM_V_STRING, STORM_POS_NONE, .u.s = {"toplevel-property-extension", 27}};
static storm_member ext_marker_member = {"extension_type", 14, &ext_marker_text};
static storm_value ext_marker_v = {STORM_V_OBJECT, STORM_POS_NONE, .u.o = {&ext_marker_member, 1, 1}};

#define EXT_MASKS (1u << STORM_STIX_EXT__COUNT)
static storm_value ext_dicts[EXT_MASKS];
static storm_member ext_dict_members[EXT_MASKS][STORM_STIX_EXT__COUNT];
static pthread_once_t ext_dicts_once = PTHREAD_ONCE_INIT;
static storm_value sco_types[STIX_SCO__COUNT];
/* Per kind, the id properties (id.c's table) and "<type>--" zero padded to a
 * fixed size, so that add_sco copies the id prefix in one fixed-size move. */
static const stix_id_props *sco_props[STIX_SCO__COUNT];
#define SCO_ID_PREFIX 24
static char sco_id_prefix[STIX_SCO__COUNT][SCO_ID_PREFIX];

static void ext_dicts_build(void)
{
    for (unsigned mask = 0; mask < EXT_MASKS; mask++) {
        size_t n = 0;
        for (int e = 0; e < STORM_STIX_EXT__COUNT; e++) /* extension order */
            if (mask & (1u << e))
                ext_dict_members[mask][n++] =
                    (storm_member){storm_stix_ext_get((storm_stix_ext)e)->id, STIX_EXT_ID_LEN, &ext_marker_v};
        ext_dicts[mask] = (storm_value){STORM_V_OBJECT, STORM_POS_NONE, .u.o = {ext_dict_members[mask], n, n}};
    }
    for (int k = 0; k < STIX_SCO__COUNT; k++) {
        const stix_id_props *ip = stix_id_props_get((stix_sco_kind)k);
        size_t len = 7;
        const char *t = ip ? stix_id_props_type(ip, &len) : "process";
        sco_types[k] = (storm_value){STORM_V_STRING, STORM_POS_NONE, .u.s = {t, len}};
        sco_props[k] = ip;
        memcpy(sco_id_prefix[k], t, len); /* len <= 20: "windows-registry-key" */
        memcpy(sco_id_prefix[k] + len, "--", 2);
    }
}

static storm_value *ext_marker(void)
{
    return &ext_marker_v;
}

static void put_markers(obs_ctx *c, storm_value *ext, unsigned mask)
{
    for (int e = 0; mask >> e; e++) /* the set bits only, in extension order */
        if (mask & (1u << e))
            sb_putn(&c->b, ext, storm_stix_ext_get((storm_stix_ext)e)->id, STIX_EXT_ID_LEN, ext_marker());
}

/* The extensions dictionary holding only the markers of mask (static,
 * shared: see above). */
static storm_value *ext_dict(unsigned mask)
{
    return &ext_dicts[mask & (EXT_MASKS - 1)];
}

/* The members every SCO starts with: its type, spec_version and an id
 * whose value add_sco sets (members[2]). Constant values, shared (static)
 * like the markers above. */
static storm_value spec_v = {STORM_V_STRING, STORM_POS_NONE, .u.s = {"2.1", 3}};
static storm_value unset_id_v = {STORM_V_STRING, STORM_POS_NONE, .u.s = {"?", 1}};

static storm_value *sco_new(obs_ctx *c, stix_sco_kind kind, size_t cap)
{
    storm_value *o = sb_obj(&c->b, cap + 4);
    if (o) {
        o->u.o.members[0] = (storm_member){"type", 4, &sco_types[kind]};
        o->u.o.members[1] = (storm_member){"spec_version", 12, &spec_v};
        o->u.o.members[2] = (storm_member){"id", 2, &unset_id_v};
        o->u.o.len = 3;
    }
    return o;
}

/* "zzzzzzzz-zzzz-zzzz-zzzz-" and seq in 12 digits 'g'..'v' (base 16, no
 * division): the length of a UUID, never one ('z' is no hex digit), unique
 * within the observation, so that references resolve, deduplication and
 * ordering treat it as the distinct id it stands for until finish writes
 * the UUID over it. */
static void placeholder(char out[37], size_t seq)
{
    memcpy(out, "zzzzzzzz-zzzz-zzzz-zzzz-gggggggggggg", 37);
    for (int i = 35; seq && i >= 24; i--, seq >>= 4)
        out[i] = (char)('g' + (seq & 15));
}

/* Attach the extensions dictionary (markers for mask, plus any predefined
 * extensions already in ext), set the id and add the object unless the
 * observation already holds one with the same id: a process's given id
 * (given_len bytes), else the spec's UUIDv5 of the contributing properties,
 * decided by comparing those properties (the UUID itself is computed when
 * the observation is finished, see fill_sco_ids). Returns the id value of
 * the object kept (arena, borrowed), NULL when nothing was added. */
static const storm_value *add_sco_vals(obs_ctx *c, storm_value *o, stix_sco_kind kind, unsigned mask, storm_value *ext,
                                       const char *given_id, size_t given_len,
                                       const storm_value *const given[STIX_ID_PROPS_MAX]);

static const storm_value *add_sco(obs_ctx *c, storm_value *o, stix_sco_kind kind, unsigned mask, storm_value *ext,
                                  const char *given_id, size_t given_len)
{
    return add_sco_vals(c, o, kind, mask, ext, given_id, given_len, NULL);
}

/* False when the contributing values x and y cannot have the same id:
 * one present where the other is absent, or strings of different lengths.
 * Most objects of one kind in an observation differ like that, and this
 * spares the full comparison (stix_id_values_equal) for them. */
static inline bool vals_may_equal(const storm_value *const x[STIX_ID_PROPS_MAX],
                                  const storm_value *const y[STIX_ID_PROPS_MAX])
{
    for (size_t i = 0; i < STIX_ID_PROPS_MAX; i++) {
        if (x[i] == y[i])
            continue;
        if (!x[i] || !y[i])
            return false;
        if (x[i]->type == STORM_V_STRING && y[i]->type == STORM_V_STRING && x[i]->u.s.len != y[i]->u.s.len)
            return false;
    }
    return true;
}

/* add_sco, with the contributing values of o (in the order of id.c's table)
 * given by the builder that just put them, when given is not NULL: the
 * builder knows them, and finding them again by name was a good part of
 * adding an object. They must be what stix_sco_id_values finds (checked in
 * debug builds). */
static const storm_value *add_sco_vals(obs_ctx *c, storm_value *o, stix_sco_kind kind, unsigned mask, storm_value *ext,
                                       const char *given_id, size_t given_len,
                                       const storm_value *const given[STIX_ID_PROPS_MAX])
{
    if (!o || c->b.oom)
        return NULL;
    if (mask) {
        if (ext)
            put_markers(c, ext, mask);
        else
            ext = ext_dict(mask);
    }
    if (ext && ext->u.o.len)
        sb_put(&c->b, o, "extensions", ext);
    if (c->b.oom)
        return NULL;
    const stix_id_props *ip = sco_props[kind];
    const storm_value *vals[STIX_ID_PROPS_MAX];
    if (ip) {
        size_t present = 0;
        if (given) {
            memcpy(vals, given, sizeof vals);
            for (size_t i = 0; i < STIX_ID_PROPS_MAX; i++)
                present += given[i] != NULL;
#ifndef NDEBUG
            const storm_value *found[STIX_ID_PROPS_MAX];
            assert(stix_sco_id_values(ip, o, 3, found) == present);
            for (size_t i = 0; i < STIX_ID_PROPS_MAX; i++)
                assert(found[i] == vals[i]);
#endif
        } else {
            present = stix_sco_id_values(ip, o, 3, vals); /* after type, spec_version, id (sco_new) */
        }
        if (!present)
            return NULL; /* no contributing property: the caller built nothing useful */
        for (size_t i = 0; i < c->n; i++)
            if (c->info[i].kind == kind && vals_may_equal(c->info[i].id_vals, vals) &&
                stix_id_values_equal(c->info[i].id_vals, vals))
                return c->info[i].idv;
    } else {
        if (!given_id)
            return NULL;
        for (size_t i = 0; i < c->n; i++)
            if (c->info[i].kind == kind && c->info[i].idv->u.s.len == given_len &&
                memcmp(c->info[i].idv->u.s.ptr, given_id, given_len) == 0)
                return c->info[i].idv;
    }
    const char *id = given_id;
    size_t len = given_len;
    char *uuid = NULL;
    if (ip) {
        size_t tl = sco_types[kind].u.s.len;
        len = tl + 2 + 36;
        /* room for the fixed-size prefix copy too (the shortest type, "url",
         * needs 42 bytes, more than SCO_ID_PREFIX) */
        char *s = sb_alloc(&c->b, len + 1 > SCO_ID_PREFIX ? len + 1 : SCO_ID_PREFIX);
        if (!s) {
            c->b.oom = true;
            return NULL;
        }
        memcpy(s, sco_id_prefix[kind], SCO_ID_PREFIX); /* "<type>--", the rest overwritten below */
        uuid = s + tl + 2;
        placeholder(uuid, c->seq++);
        id = s;
    }
    storm_value *idv = sb_strn(&c->b, id, len);
    if (!idv)
        return NULL;
    o->u.o.members[2].value = idv; /* sco_new put type, spec_version, id */
    if (c->n == c->cap) {
        size_t nc = c->cap * 2;
        storm_obs_object *no = sb_alloc(&c->b, nc * sizeof *no);
        sco_info *ni = sb_alloc(&c->b, nc * sizeof *ni);
        if (!no || !ni) {
            c->b.oom = true;
            return NULL;
        }
        memcpy(no, c->objs, c->n * sizeof *no);
        memcpy(ni, c->info, c->n * sizeof *ni);
        c->objs = no;
        c->info = ni;
        c->cap = nc;
    }
    c->objs[c->n] = (storm_obs_object){id, o};
    sco_info *in = &c->info[c->n++];
    in->sco = o;
    in->idv = idv;
    in->uuid = uuid;
    in->kind = kind;
    if (ip)
        memcpy(in->id_vals, vals, sizeof vals);
    return idv;
}

/* A reference to the object whose id value is idv: a value of its own (the
 * text is shared, so finishing the id completes every reference). */
static storm_value *ref(obs_ctx *c, const storm_value *idv)
{
    return idv ? sb_strn(&c->b, idv->u.s.ptr, idv->u.s.len) : NULL;
}

static storm_value *ref_list(obs_ctx *c, const storm_value *idv)
{
    if (!idv)
        return NULL;
    storm_value *a = sb_arr(&c->b, 1);
    sb_push(&c->b, a, ref(c, idv));
    return a;
}

/* The UUIDs of the SCOs added with a placeholder, in the order they were
 * added. */
static void fill_sco_ids(const sco_info *info, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!info[i].uuid)
            continue;
        char u[37];
        if (stix_sco_uuid(stix_id_props_get(info[i].kind), info[i].sco, u))
            memcpy(info[i].uuid, u, 36); /* identifiable: add_sco checked */
    }
}

/* ---- directory, file ---- */

static const storm_value *directory_sco(obs_ctx *c, const char *path, size_t len)
{
    char *p = sb_strndup(&c->b, path, len);
    if (!p) {
        c->b.oom = true;
        return NULL;
    }
    storm_value *o = sco_new(c, STIX_SCO_DIRECTORY, 1);
    const storm_value *vals[STIX_ID_PROPS_MAX] = {sb_strn(&c->b, p, len)}; /* path */
    sb_put(&c->b, o, "path", (storm_value *)vals[0]);
    return add_sco_vals(c, o, STIX_SCO_DIRECTORY, 0, NULL, NULL, 0, vals);
}

static const storm_value *file_sco(obs_ctx *c, const char *path)
{
    if (!nonempty(path) || stix_pseudo_path(path))
        return NULL;
    size_t full = strlen(path);
    for (size_t i = 0; i < c->n_file_memo; i++)
        if (c->file_memo[i].len == full && memcmp(c->file_memo[i].path, path, full) == 0)
            return c->file_memo[i].idv;
    stix_cut cut;
    stix_path_cut(path, &cut);
    const char *name = cut.name;
    size_t name_len = cut.name_len;
    const storm_value *dir_id = cut.dir_len ? directory_sco(c, path, cut.dir_len) : NULL;
    if (name + name_len != path + full) { /* trailing slashes cut: copy */
        name = sb_strndup(&c->b, name, name_len);
        if (!name) {
            c->b.oom = true;
            return NULL;
        }
    }
    storm_value *o = sco_new(c, STIX_SCO_FILE, 4);
    /* hashes, name, extensions (the markers add_sco puts), parent_directory_ref */
    const storm_value *vals[STIX_ID_PROPS_MAX] = {NULL, sb_strn(&c->b, name, name_len),
                                                  ext_dict(1u << STORM_STIX_EXT_FILE), ref(c, dir_id)};
    sb_put(&c->b, o, "name", (storm_value *)vals[1]);
    sb_put(&c->b, o, "parent_directory_ref", (storm_value *)vals[3]);
    sb_put(&c->b, o, "x_file_path", sb_strn(&c->b, path, full));
    const storm_value *idv =
        add_sco_vals(c, o, STIX_SCO_FILE, 1u << STORM_STIX_EXT_FILE, NULL, NULL, 0, o ? vals : NULL);
    if (idv && c->n_file_memo < FILE_MEMO) {
        c->file_memo[c->n_file_memo].path = path;
        c->file_memo[c->n_file_memo].len = full;
        c->file_memo[c->n_file_memo++].idv = idv;
    }
    return idv;
}

/* ---- addresses ---- */

/* STIX_SCO_IPV4_ADDR, STIX_SCO_IPV6_ADDR, or STIX_SCO_PROCESS (none) when s
 * is not an address (CIDR allowed). */
static stix_sco_kind addr_kind(const char *s)
{
    if (!nonempty(s))
        return STIX_SCO_PROCESS;
    char tmp[INET6_ADDRSTRLEN + 8];
    size_t n = strcspn(s, "/");
    if (n >= sizeof tmp)
        return STIX_SCO_PROCESS;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    unsigned char bin[16];
    if (inet_pton(AF_INET, tmp, bin) == 1)
        return STIX_SCO_IPV4_ADDR;
    if (inet_pton(AF_INET6, tmp, bin) == 1)
        return STIX_SCO_IPV6_ADDR;
    return STIX_SCO_PROCESS;
}

static bool is_addr(stix_sco_kind k)
{
    return k == STIX_SCO_IPV4_ADDR || k == STIX_SCO_IPV6_ADDR;
}

/* The address SCO of ip, whose addr_kind the caller knows. */
static const storm_value *addr_sco(obs_ctx *c, const char *ip, stix_sco_kind kind)
{
    if (!is_addr(kind))
        return NULL;
    storm_value *o = sco_new(c, kind, 1);
    sb_put_str(&c->b, o, "value", ip);
    return add_sco(c, o, kind, 0, NULL, NULL, 0);
}

static bool protocol_name_ok(const char *p)
{
    size_t n = 0;
    for (; p[n]; n++)
        if (!((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '-'))
            return false;
    return n >= 1 && n <= 15;
}

static const char *lower_copy(obs_ctx *c, const char *s)
{
    size_t n = strlen(s);
    char *d = sb_strndup(&c->b, s, n);
    if (!d) {
        c->b.oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] - 'A' + 'a');
    return d;
}

/* ---- subject properties (x_k8s, x_hook, x_alert, ...) ---- */

/* Pod labels as a list of "key=value" strings, exactly as the sensor gave
 * them (case and '.', '/' kept): label keys are not valid STIX dictionary
 * keys, and mapping them would merge `App` with `app`. A pattern reads
 * process:x_k8s_labels[*] = 'app.kubernetes.io/name=web'. Non-string values
 * (not Kubernetes labels) are left out. */
static storm_value *label_list(obs_ctx *c, const storm_value *labels)
{
    if (!labels || labels->type != STORM_V_OBJECT || !labels->u.o.len)
        return NULL;
    storm_value *arr = sb_arr(&c->b, labels->u.o.len);
    for (size_t i = 0; i < labels->u.o.len && arr; i++) {
        const storm_member *m = &labels->u.o.members[i];
        if (!m->key_len || m->value->type != STORM_V_STRING)
            continue;
        size_t vl = m->value->u.s.len;
        char *s = sb_alloc(&c->b, m->key_len + vl + 2);
        if (!s) {
            c->b.oom = true;
            return NULL;
        }
        memcpy(s, m->key, m->key_len);
        s[m->key_len] = '=';
        memcpy(s + m->key_len + 1, m->value->u.s.ptr, vl);
        s[m->key_len + 1 + vl] = '\0';
        sb_push(&c->b, arr, sb_strn(&c->b, s, m->key_len + 1 + vl));
    }
    return arr && arr->u.a.len ? arr : NULL;
}

static void put_k8s(obs_ctx *c, storm_value *o, unsigned *mask)
{
    const storm_k8s_ctx *k = &c->ev->k8s;
    size_t before = o->u.o.len;
    const char *cluster = nonempty(k->cluster) ? k->cluster : c->opts ? c->opts->cluster : NULL;
    sb_put_str(&c->b, o, "x_k8s_cluster", cluster);
    sb_put_str(&c->b, o, "x_k8s_node", k->node);
    sb_put_str(&c->b, o, "x_k8s_namespace", k->namespace_);
    sb_put_str(&c->b, o, "x_k8s_pod", k->pod);
    sb_put_str(&c->b, o, "x_k8s_container", k->container);
    sb_put_str(&c->b, o, "x_k8s_container_id", k->container_id);
    sb_put_str(&c->b, o, "x_k8s_image", k->image);
    sb_put_str(&c->b, o, "x_k8s_image_id", k->image_id);
    sb_put_str(&c->b, o, "x_k8s_workload", k->workload);
    sb_put_str(&c->b, o, "x_k8s_workload_kind", k->workload_kind);
    sb_put(&c->b, o, "x_k8s_labels", label_list(c, k->labels));
    if (o->u.o.len > before)
        *mask |= 1u << STORM_STIX_EXT_K8S;
}

static void put_hook(obs_ctx *c, storm_value *o, unsigned *mask)
{
    const storm_hook_info *h = &c->ev->hook;
    if (!h->present)
        return;
    size_t before = o->u.o.len;
    sb_put_str(&c->b, o, "x_hook_kind", h->kind);
    sb_put_str(&c->b, o, "x_hook_name", h->name);
    sb_put_str(&c->b, o, "x_hook_policy", h->policy);
    sb_put_str(&c->b, o, "x_hook_action", h->action);
    sb_put_str(&c->b, o, "x_hook_return_action", h->return_action);
    sb_put(&c->b, o, "x_hook_args", sb_sanitized(&c->b, h->args));
    sb_put(&c->b, o, "x_hook_return", sb_sanitized(&c->b, h->ret));
    sb_put_str(&c->b, o, "x_hook_message", h->message);
    sb_put(&c->b, o, "x_hook_tags", sb_sanitized(&c->b, h->tags));
    if (o->u.o.len > before)
        *mask |= 1u << STORM_STIX_EXT_HOOK;
}

static void put_alert(obs_ctx *c, storm_value *o, unsigned *mask)
{
    const storm_alert_info *al = &c->ev->alert;
    if (!al->present)
        return;
    size_t before = o->u.o.len;
    sb_put_str(&c->b, o, "x_alert_rule", al->rule);
    sb_put_str(&c->b, o, "x_alert_rule_id", al->rule_id);
    sb_put_str(&c->b, o, "x_alert_severity", al->severity);
    sb_put_str(&c->b, o, "x_alert_message", al->message);
    sb_put_str(&c->b, o, "x_alert_source", al->source);
    sb_put(&c->b, o, "x_alert_tags", sb_sanitized(&c->b, al->tags));
    sb_put(&c->b, o, "x_alert_fields", sb_sanitized(&c->b, al->fields));
    if (o->u.o.len > before)
        *mask |= 1u << STORM_STIX_EXT_ALERT;
}

static void put_net(obs_ctx *c, storm_value *o, unsigned *mask)
{
    const storm_net_info *n = &c->ev->net;
    size_t before = o->u.o.len;
    sb_put_str(&c->b, o, "x_net_direction", n->direction);
    sb_put_str(&c->b, o, "x_net_verdict", n->verdict);
    sb_put_str(&c->b, o, "x_net_state", n->state);
    sb_put_str(&c->b, o, "x_net_family", n->family);
    sb_put_str(&c->b, o, "x_net_dns_name", n->dns_name);
    sb_put(&c->b, o, "x_net_extra", sb_sanitized(&c->b, n->extra));
    if (o->u.o.len > before)
        *mask |= 1u << STORM_STIX_EXT_NET;
}

static void put_audit(obs_ctx *c, storm_value *o, unsigned *mask)
{
    const storm_audit_info *au = &c->ev->audit;
    if (!au->present)
        return;
    size_t before = o->u.o.len;
    sb_put_str(&c->b, o, "x_audit_verb", au->verb);
    sb_put_str(&c->b, o, "x_audit_resource", au->resource);
    sb_put_str(&c->b, o, "x_audit_subresource", au->subresource);
    sb_put_str(&c->b, o, "x_audit_api_group", au->api_group);
    sb_put_str(&c->b, o, "x_audit_api_version", au->api_version);
    sb_put_str(&c->b, o, "x_audit_namespace", au->object_namespace);
    sb_put_str(&c->b, o, "x_audit_name", au->object_name);
    sb_put_str(&c->b, o, "x_audit_user", au->user);
    sb_put(&c->b, o, "x_audit_user_groups", sb_sanitized(&c->b, au->groups));
    if (au->has_code)
        sb_put_int(&c->b, o, "x_audit_code", au->code);
    sb_put_str(&c->b, o, "x_audit_decision", au->decision);
    sb_put_str(&c->b, o, "x_audit_reason", au->reason);
    sb_put_str(&c->b, o, "x_audit_uri", au->request_uri);
    sb_put_str(&c->b, o, "x_audit_user_agent", au->user_agent);
    sb_put_str(&c->b, o, "x_audit_stage", au->stage);
    sb_put_str(&c->b, o, "x_audit_level", au->level);
    sb_put_str(&c->b, o, "x_audit_id", au->audit_id);
    sb_put(&c->b, o, "x_audit_request_object", sb_sanitized(&c->b, au->request_object));
    if (o->u.o.len > before)
        *mask |= 1u << STORM_STIX_EXT_AUDIT;
}

static void put_app(obs_ctx *c, storm_value *o, unsigned *mask)
{
    const storm_app_info *ap = &c->ev->app;
    if (!ap->present)
        return;
    size_t before = o->u.o.len;
    sb_put_str(&c->b, o, "x_app_program", ap->program);
    sb_put_str(&c->b, o, "x_app_message", ap->message);
    sb_put_str(&c->b, o, "x_app_auth_user", ap->auth_user);
    sb_put_str(&c->b, o, "x_app_auth_result", ap->auth_result);
    sb_put_str(&c->b, o, "x_app_auth_method", ap->auth_method);
    if (ap->has_http_status)
        sb_put_int(&c->b, o, "x_app_http_status", ap->http_status);
    if (ap->has_http_bytes)
        sb_put_int(&c->b, o, "x_app_http_bytes", ap->http_bytes);
    if (o->u.o.len > before)
        *mask |= 1u << STORM_STIX_EXT_APP;
}

/* The http-request-ext of an access log line (NULL without a method and
 * target). Header values are lists (STIX 2.1 section 6.12.3.2); the
 * version lower case as the specification writes it, the method as sent,
 * as for the audit requests (upper case). */
static storm_value *http_ext(obs_ctx *c)
{
    const storm_app_info *ap = &c->ev->app;
    if (!ap->present || !nonempty(ap->http_method) || !nonempty(ap->http_target))
        return NULL;
    storm_value *http = sb_obj(&c->b, 4);
    sb_put_str(&c->b, http, "request_method", ap->http_method);
    sb_put_str(&c->b, http, "request_value", ap->http_target);
    if (nonempty(ap->http_version))
        sb_put_str(&c->b, http, "request_version", lower_copy(c, ap->http_version));
    if (nonempty(ap->http_user_agent) || nonempty(ap->http_referer)) {
        storm_value *hdr = sb_obj(&c->b, 2);
        if (nonempty(ap->http_user_agent)) {
            storm_value *v = sb_arr(&c->b, 1);
            sb_push(&c->b, v, sb_str(&c->b, ap->http_user_agent));
            sb_put(&c->b, hdr, "User-Agent", v);
        }
        if (nonempty(ap->http_referer)) {
            storm_value *v = sb_arr(&c->b, 1);
            sb_push(&c->b, v, sb_str(&c->b, ap->http_referer));
            sb_put(&c->b, hdr, "Referer", v);
        }
        sb_put(&c->b, http, "request_header", hdr);
    }
    storm_value *ext = sb_obj(&c->b, STORM_STIX_EXT__COUNT + 1);
    sb_put(&c->b, ext, "http-request-ext", http);
    return ext;
}

/* The account an entry point's log line names (sshd: a unix account). */
static const storm_value *login_user_sco(obs_ctx *c)
{
    const storm_app_info *ap = &c->ev->app;
    if (!ap->present || !nonempty(ap->auth_user))
        return NULL;
    storm_value *o = sco_new(c, STIX_SCO_USER_ACCOUNT, 2);
    if (c->ev->sensor == STORM_SENSOR_SSHD)
        sb_put_str(&c->b, o, "account_type", "unix");
    sb_put_str(&c->b, o, "account_login", ap->auth_user);
    return add_sco(c, o, STIX_SCO_USER_ACCOUNT, 0, NULL, NULL, 0);
}

/* ---- network-traffic ---- */

/* strict validation wants both ports; 0 stands for "none" (docs/mapping.md) */
static int64_t port_or_0(bool has, int64_t port)
{
    return has && port >= 0 && port <= 65535 ? port : 0;
}

/* The flow of ev->net; NULL when it names no address. The subject's
 * properties go on it when it is the subject. */
static const storm_value *net_sco(obs_ctx *c, bool subject)
{
    const storm_net_info *n = &c->ev->net;
    const storm_value *src = addr_sco(c, n->src_ip, c->src_kind);
    const storm_value *dst = addr_sco(c, n->dst_ip, c->dst_kind);
    const storm_value *dom = NULL;
    if (nonempty(n->dns_name)) {
        storm_value *d = sco_new(c, STIX_SCO_DOMAIN_NAME, 2);
        sb_put_str(&c->b, d, "value", n->dns_name);
        sb_put(&c->b, d, "resolves_to_refs", ref_list(c, dst));
        dom = add_sco(c, d, STIX_SCO_DOMAIN_NAME, 0, NULL, NULL, 0);
    }
    if (!dst)
        dst = dom;
    if (!src && !dst)
        return NULL;
    storm_value *protos = sb_arr(&c->b, 2);
    const char *fam = NULL;
    stix_sco_kind t = is_addr(c->src_kind) ? c->src_kind : c->dst_kind;
    if (is_addr(t))
        fam = t == STIX_SCO_IPV4_ADDR ? "ipv4" : "ipv6";
    else if (n->family && (strcmp(n->family, "ipv4") == 0 || strcmp(n->family, "ipv6") == 0))
        fam = n->family;
    sb_push(&c->b, protos, sb_str(&c->b, fam));
    if (nonempty(n->protocol)) {
        const char *p = lower_copy(c, n->protocol);
        if (p && protocol_name_ok(p) && strncmp(p, "icmp", 4) != 0)
            sb_push(&c->b, protos, sb_str(&c->b, p));
    }
    if (protos && !protos->u.a.len)
        sb_push(&c->b, protos, sb_str(&c->b, dom ? "dns" : "ipv4"));
    if (c->ev->app.present) /* the application protocol of the entry point */
        sb_push(&c->b, protos, sb_str(&c->b, c->ev->sensor == STORM_SENSOR_SSHD ? "ssh" : "http"));
    storm_value *ext = http_ext(c);
    storm_value *o = sco_new(c, STIX_SCO_NETWORK_TRAFFIC, 30);
    sb_put(&c->b, o, "start", (storm_value *)c->time_v);
    sb_put(&c->b, o, "src_ref", ref(c, src));
    sb_put(&c->b, o, "dst_ref", ref(c, dst));
    sb_put_int(&c->b, o, "src_port", port_or_0(n->has_src_port, n->src_port));
    sb_put_int(&c->b, o, "dst_port", port_or_0(n->has_dst_port, n->dst_port));
    sb_put(&c->b, o, "protocols", protos);
    unsigned mask = 0;
    put_net(c, o, &mask);
    put_app(c, o, &mask);
    if (subject) {
        put_k8s(c, o, &mask);
        put_hook(c, o, &mask);
        put_alert(c, o, &mask);
    }
    return add_sco(c, o, STIX_SCO_NETWORK_TRAFFIC, mask, ext, NULL, 0);
}

static const char *http_method(const char *verb)
{
    static const struct {
        const char *verb, *method;
    } map[] = {{"get", "GET"},    {"list", "GET"},    {"watch", "GET"},     {"create", "POST"},
               {"update", "PUT"}, {"patch", "PATCH"}, {"delete", "DELETE"}, {"deletecollection", "DELETE"},
               {"proxy", "GET"}};
    if (!verb)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].verb, verb) == 0)
            return map[i].method;
    return NULL;
}

/* The Kubernetes API request of ev->audit; NULL without a client address. */
static const storm_value *audit_sco(obs_ctx *c, bool subject)
{
    const storm_audit_info *au = &c->ev->audit;
    const storm_value *src = addr_sco(c, au->source_ip, c->client_kind);
    if (!src)
        return NULL;
    storm_value *protos = sb_arr(&c->b, 3);
    sb_push(&c->b, protos, sb_strn(&c->b, c->client_kind == STIX_SCO_IPV4_ADDR ? "ipv4" : "ipv6", 4));
    sb_push(&c->b, protos, sb_strn(&c->b, LIT("tcp")));
    sb_push(&c->b, protos, sb_strn(&c->b, LIT("https")));
    storm_value *o = sco_new(c, STIX_SCO_NETWORK_TRAFFIC, 40);
    sb_put(&c->b, o, "start", (storm_value *)c->time_v);
    sb_put(&c->b, o, "src_ref", ref(c, src));
    sb_put_int(&c->b, o, "src_port", 0);
    sb_put_int(&c->b, o, "dst_port", 0);
    sb_put(&c->b, o, "protocols", protos);
    storm_value *ext = NULL;
    const char *method = http_method(au->verb);
    if (method && nonempty(au->request_uri)) {
        storm_value *http = sb_obj(&c->b, 3);
        sb_put_str(&c->b, http, "request_method", method);
        sb_put_str(&c->b, http, "request_value", au->request_uri);
        if (nonempty(au->user_agent)) {
            /* STIX 2.1 section 6.12.3.2: each header's value is a list (a
             * header can repeat), even for one value */
            storm_value *hdr = sb_obj(&c->b, 1), *agent = sb_arr(&c->b, 1);
            sb_push(&c->b, agent, sb_str(&c->b, au->user_agent));
            sb_put(&c->b, hdr, "User-Agent", agent);
            sb_put(&c->b, http, "request_header", hdr);
        }
        ext = sb_obj(&c->b, STORM_STIX_EXT__COUNT + 1);
        sb_put(&c->b, ext, "http-request-ext", http);
    }
    unsigned mask = 0;
    put_audit(c, o, &mask);
    if (subject) {
        put_k8s(c, o, &mask);
        put_hook(c, o, &mask);
        put_alert(c, o, &mask);
    }
    return add_sco(c, o, STIX_SCO_NETWORK_TRAFFIC, mask, ext, NULL, 0);
}

static const storm_value *user_sco(obs_ctx *c, storm_value *user_id, const char *account_type, size_t type_len)
{
    if (!user_id)
        return NULL;
    storm_value *o = sco_new(c, STIX_SCO_USER_ACCOUNT, 2);
    /* account_type, user_id, account_login */
    const storm_value *vals[STIX_ID_PROPS_MAX] = {sb_strn(&c->b, account_type, type_len), user_id};
    sb_put(&c->b, o, "user_id", user_id);
    sb_put(&c->b, o, "account_type", (storm_value *)vals[0]);
    return add_sco_vals(c, o, STIX_SCO_USER_ACCOUNT, 0, NULL, NULL, 0, vals);
}

/* ---- process ---- */

/* The user-account of a process's uid (arena id value; NULL on OOM). */
static const storm_value *unix_user(obs_ctx *c, int64_t uid)
{
    if (c->have_unix_user && c->unix_uid == uid)
        return c->unix_user_idv;
    char *text = sb_alloc(&c->b, 24);
    if (!text) {
        c->b.oom = true;
        return NULL;
    }
    const storm_value *idv = user_sco(c, sb_strn(&c->b, text, storm_decimal(uid, text)), LIT("unix"));
    if (idv) {
        c->have_unix_user = true;
        c->unix_uid = uid;
        c->unix_user_idv = idv;
    }
    return idv;
}

/* The message a process key digest hashes, gathered on the stack so that a
 * key seen before (the same process in event after event) is found in the
 * digest cache; a longer one than fits is streamed into SHA-1 as it comes
 * (the same digest either way). */
typedef struct key_msg {
    char buf[512];
    size_t n;
    bool streamed;
    stix_sha1 s;
} key_msg;

static void key_msg_put(key_msg *m, const void *p, size_t n)
{
    if (!m->streamed && n <= sizeof m->buf - m->n) {
        memcpy(m->buf + m->n, p, n);
        m->n += n;
        return;
    }
    if (!m->streamed) {
        m->streamed = true;
        stix_sha1_init(&m->s);
        stix_sha1_update(&m->s, m->buf, m->n);
    }
    stix_sha1_update(&m->s, p, n);
}

static void process_key_digest(const storm_event *ev, const char *sensor, size_t sensor_len,
                               const storm_process_info *p, unsigned char md[20], bool *ok)
{
    key_msg m;
    m.n = 0;
    m.streamed = false;
    key_msg_put(&m, "storm-process", 14);
    key_msg_put(&m, sensor, sensor_len + 1);
    const char *node = ev->k8s.node ? ev->k8s.node : "";
    key_msg_put(&m, node, strlen(node) + 1);
    *ok = true;
    if (nonempty(p->exec_id)) {
        key_msg_put(&m, "e", 1);
        key_msg_put(&m, p->exec_id, strlen(p->exec_id));
    } else if (p->has_pid) {
        char buf[64];
        size_t n = 0;
        buf[n++] = 'p';
        n += storm_decimal(p->pid, buf + n);
        buf[n++] = '/';
        n += storm_decimal(p->has_start_time ? p->start_time : 0, buf + n);
        key_msg_put(&m, buf, n);
        const char *cid = ev->k8s.container_id ? ev->k8s.container_id : "";
        key_msg_put(&m, cid, strlen(cid));
    } else {
        *ok = false; /* nothing names this process: it is only this observation's */
    }
    if (m.streamed)
        stix_sha1_final(&m.s, md);
    else
        stix_sha1_cached(m.buf, m.n, md);
}

/* The id digest of a process that is only this observation's: its key
 * digest with the observation digest (and its slot when unkeyed). */
static void per_event_digest(const unsigned char key_md[20], bool keyed, size_t slot, const unsigned char obs_md[20],
                             unsigned char out[20])
{
    stix_sha1 s;
    stix_sha1_init(&s);
    stix_sha1_update(&s, key_md, 20);
    stix_sha1_update(&s, obs_md, 20);
    if (!keyed) {
        unsigned char le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)((uint64_t)slot >> (8 * i));
        stix_sha1_update(&s, "slot", 4);
        stix_sha1_update(&s, le, 8);
    }
    stix_sha1_final(&s, out);
}

/* slot: where the process stands in the event (0 the actor, 1 the parent,
 * 2 + i ancestors[i]). A process without a key (no exec id, no pid) is only
 * this observation's: its id is the observation digest plus its slot, so that
 * an unkeyed actor and an unkeyed parent of one event never share an id (and
 * one would be deduplicated away). */
static bool process_keyed(const storm_process_info *p)
{
    return p && (nonempty(p->exec_id) || p->has_pid);
}

/* Keyed processes of one event with the same key message (process_key_digest:
 * sensor, node and container are the event's, so the exec id, else the pid
 * and start time, decide): the same id. */
static bool same_process_key(const storm_process_info *x, const storm_process_info *y)
{
    if (nonempty(x->exec_id) || nonempty(y->exec_id))
        return nonempty(x->exec_id) && nonempty(y->exec_id) && strcmp(x->exec_id, y->exec_id) == 0;
    return x->pid == y->pid && (x->has_start_time ? x->start_time : 0) == (y->has_start_time ? y->start_time : 0);
}

/* The id text of a pending process, computed from the record digest. */
static void pending_proc_uuid(const struct storm_obs_pending *pd, const pending_proc *pp,
                              const unsigned char obs_md[20])
{
    static const storm_process_info none = {0};
    unsigned char md[20];
    bool keyed;
    size_t sl;
    const char *sensor = sensor_text(pd->ev->sensor, &sl);
    process_key_digest(pd->ev, sensor, sl, pp->p ? pp->p : &none, md, &keyed);
    if (pp->per_event || !keyed)
        per_event_digest(md, keyed, pp->slot, obs_md, md);
    stix_uuid4_from_digest(md, pp->uuid);
}

/* slot: where the process stands in the event (0 the actor, 1 the parent,
 * 2 + i ancestors[i]). A process without a key (no exec id, no pid) is only
 * this observation's: its id is the observation digest plus its slot, so that
 * an unkeyed actor and an unkeyed parent of one event never share an id (and
 * one would be deduplicated away). p NULL: a process nothing names. */
static const char *process_id(obs_ctx *c, const storm_process_info *p, bool per_event, size_t slot)
{
    if (c->pending) {
        /* lazy: a placeholder, and the process with the same key already
         * here (which the eager id would name alike) found by its key */
        struct storm_obs_pending *pd = c->pending;
        bool keyed = process_keyed(p);
        if (keyed && !per_event)
            for (size_t i = 0; i < pd->n; i++)
                if (pd->procs[i].keyed && !pd->procs[i].per_event && same_process_key(pd->procs[i].p, p))
                    return pd->procs[i].uuid - 9;
        if (pd->n == pd->cap) {
            c->b.oom = true; /* cannot happen: sized for every process slot */
            return NULL;
        }
        char *id = sb_alloc(&c->b, 9 + 37);
        if (!id) {
            c->b.oom = true;
            return NULL;
        }
        memcpy(id, "process--", 9);
        placeholder(id + 9, pd->n);
        pd->procs[pd->n++] = (pending_proc){id + 9, keyed ? p : NULL, keyed, per_event, slot};
        return id;
    }
    static const storm_process_info none = {0};
    unsigned char md[20];
    bool keyed;
    process_key_digest(c->ev, c->sensor, c->sensor_len, p ? p : &none, md, &keyed);
    char *id = sb_alloc(&c->b, 9 + 37);
    if (!id) {
        c->b.oom = true;
        return NULL;
    }
    memcpy(id, "process--", 9);
    if (per_event || !keyed)
        per_event_digest(md, keyed, slot, c->digest, md);
    stix_uuid4_from_digest(md, id + 9);
    return id;
}

static bool env_key_ok(const char *k, size_t n)
{
    if (!n || n > 250)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
              k[i] == '_' || k[i] == '-'))
            return false;
    return true;
}

static void env_put(storm_value *env, const char *k, size_t klen, storm_value *v)
{
    if (!env || !v || !env_key_ok(k, klen))
        return;
    for (size_t i = 0; i < env->u.o.len; i++)
        if (env->u.o.members[i].key_len == klen && memcmp(env->u.o.members[i].key, k, klen) == 0) {
            env->u.o.members[i].value = v;
            return;
        }
    if (env->u.o.len < env->u.o.alloc)
        env->u.o.members[env->u.o.len++] = (storm_member){k, klen, v};
}

static storm_value *environment(obs_ctx *c, const storm_value *e)
{
    if (!e)
        return NULL;
    storm_value *env = NULL;
    if (e->type == STORM_V_OBJECT) {
        env = sb_obj(&c->b, e->u.o.len);
        for (size_t i = 0; i < e->u.o.len; i++) {
            const storm_member *m = &e->u.o.members[i];
            if (m->value->type == STORM_V_STRING)
                env_put(env, m->key, m->key_len, m->value);
        }
    } else if (e->type == STORM_V_ARRAY) {
        env = sb_obj(&c->b, e->u.a.len);
        for (size_t i = 0; i < e->u.a.len; i++) {
            const storm_value *s = e->u.a.items[i];
            if (s->type != STORM_V_STRING)
                continue;
            const char *eq = memchr(s->u.s.ptr, '=', s->u.s.len);
            if (!eq)
                continue;
            size_t klen = (size_t)(eq - s->u.s.ptr);
            char *k = sb_strndup(&c->b, s->u.s.ptr, klen);
            if (!k) {
                c->b.oom = true;
                return NULL;
            }
            /* an empty value is still an environment variable: keep it as "" is
             * not allowed in STIX strings, so it is left out */
            env_put(env, k, klen, sb_strn(&c->b, eq + 1, s->u.s.len - klen - 1));
        }
    }
    return env && env->u.o.len ? env : NULL;
}

static const char *command_line(obs_ctx *c, const storm_process_info *p)
{
    const char *args;
    const char *first = stix_command_line_parts(p, &args);
    if (!first || !args)
        return first;
    size_t bl = strlen(first), al = strlen(args);
    char *s = sb_alloc(&c->b, bl + al + 2);
    if (!s) {
        c->b.oom = true;
        return NULL;
    }
    memcpy(s, first, bl);
    s[bl] = ' ';
    memcpy(s + bl + 1, args, al + 1);
    return s;
}

typedef enum proc_role {
    PROC_RELATIVE, /* parent / ancestor: process facts only */
    PROC_SUBJECT,  /* the actor: carries the event's context */
} proc_role;

static const storm_value *process_sco(obs_ctx *c, const storm_process_info *p, proc_role role, size_t slot,
                                      const storm_value *parent_id, const storm_value *conn_id, bool fallback)
{
    const storm_event *ev = c->ev;
    bool per_event = role == PROC_SUBJECT && (ev->hook.present || ev->alert.present || fallback);
    /* a relative carries process facts only (about 25 members); the subject
     * the event's context too (grown on demand past this) */
    storm_value *o = sco_new(c, STIX_SCO_PROCESS, role == PROC_SUBJECT ? 64 : 28);
    unsigned mask = 0;
    if (p) {
        if (p->has_pid && p->pid >= 0)
            sb_put_int(&c->b, o, "pid", p->pid);
        sb_put_str(&c->b, o, "cwd", p->cwd);
        sb_put_str(&c->b, o, "command_line", command_line(c, p));
        if (p->has_start_time && p->start_time > 0 && time_ok(p->start_time))
            sb_put(&c->b, o, "created_time", time_value(c, p->start_time));
        sb_put(&c->b, o, "image_ref", ref(c, file_sco(c, p->binary)));
        sb_put(&c->b, o, "parent_ref", ref(c, parent_id));
        if (p->has_uid)
            sb_put(&c->b, o, "creator_user_ref", ref(c, unix_user(c, p->uid)));
        sb_put(&c->b, o, "environment_variables", environment(c, p->environment));
        sb_put(&c->b, o, "opened_connection_refs", ref_list(c, conn_id));
        size_t before = o->u.o.len;
        if (p->has_uid)
            sb_put_int(&c->b, o, "x_proc_uid", p->uid);
        if (p->has_gid)
            sb_put_int(&c->b, o, "x_proc_gid", p->gid);
        if (p->has_auid)
            sb_put_int(&c->b, o, "x_proc_auid", p->auid);
        if (p->has_tid)
            sb_put_int(&c->b, o, "x_proc_tid", p->tid);
        sb_put_str(&c->b, o, "x_proc_name", p->name);
        sb_put_str(&c->b, o, "x_proc_binary", p->binary);
        sb_put_str(&c->b, o, "x_proc_arguments", p->arguments);
        sb_put_str(&c->b, o, "x_proc_exec_id", p->exec_id);
        sb_put_str(&c->b, o, "x_proc_parent_exec_id", p->parent_exec_id);
        sb_put(&c->b, o, "x_proc_extra", sb_sanitized(&c->b, p->extra));
        if (o->u.o.len > before)
            mask |= 1u << STORM_STIX_EXT_PROC;
    }
    if (role == PROC_SUBJECT) {
        put_k8s(c, o, &mask);
        put_hook(c, o, &mask);
        put_alert(c, o, &mask);
        if (fallback && c->orphan_net)
            put_net(c, o, &mask);
        if (fallback && c->orphan_audit)
            put_audit(c, o, &mask);
        if (fallback && c->orphan_app)
            put_app(c, o, &mask);
    }
    if (o && o->u.o.len <= 3)
        return NULL; /* type, spec_version, id: nothing observed */
    const char *id = process_id(c, p, p ? per_event : true, slot);
    return add_sco(c, o, STIX_SCO_PROCESS, mask, NULL, id, 9 + 36);
}

static bool process_known(const storm_process_info *p)
{
    return p->present || p->has_pid || nonempty(p->binary) || nonempty(p->command_line) || nonempty(p->exec_id) ||
           nonempty(p->name);
}

/* ---- observation digest ---- */

static void digest_start(stix_sha1 *s, size_t record_index)
{
    stix_sha1_init(s);
    stix_sha1_update(s, "storm-observation", 18);
    uint64_t idx = (uint64_t)record_index;
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(idx >> (8 * i));
    stix_sha1_update(s, le, 8);
}

/* The end (exclusive) of the JSON object or array starting at text[pos],
 * or 0 when there is none there. */
static size_t json_value_end(const char *text, size_t len, size_t pos)
{
    if (pos >= len || (text[pos] != '{' && text[pos] != '['))
        return 0;
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = pos; i < len; i++) {
        char ch = text[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if ((ch == '}' || ch == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

static bool is_json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The bytes an event's ids are derived from: its own record's bytes. An
 * element of a JSON array or of an audit EventList is hashed alone (with
 * index 0: it holds that one event), not the whole text around it, whose
 * hash per event made an array of N events cost O(N^2) and gave the same
 * event different ids in different batches. Any other record (alone on its
 * line, or in a shipper's envelope) hashes the line with its index, as
 * always: ids of JSON Lines input do not change. The event's parsed record
 * must come from this text: the first key of the object is checked at its
 * position (a record unwrapped from an envelope's text was parsed from
 * another text; it keeps the line). */
static void own_record(const storm_event *ev, const storm_stix_opts *o, const char **rec, size_t *len, size_t *index)
{
    *rec = o->record;
    *len = o->record_len;
    *index = o->record_index;
    const storm_value *raw = ev->raw;
    if (!raw || raw->type != STORM_V_OBJECT || raw->pos == STORM_POS_NONE || !raw->u.o.len)
        return;
    size_t lead = 0;
    while (lead < o->record_len && is_json_space(o->record[lead]))
        lead++;
    if (!ev->batch_item && (lead == o->record_len || o->record[lead] != '['))
        return;
    size_t pos = raw->pos, end = json_value_end(o->record, o->record_len, pos);
    if (!end || o->record[pos] != '{')
        return;
    size_t k = pos + 1;
    while (k < end && is_json_space(o->record[k]))
        k++;
    const storm_member *first = &raw->u.o.members[0];
    if (k + first->key_len + 2 > end || o->record[k] != '"' ||
        memcmp(o->record + k + 1, first->key, first->key_len) != 0 || o->record[k + 1 + first->key_len] != '"')
        return;
    size_t before = 0, after = o->record_len;
    while (before < pos && is_json_space(o->record[before]))
        before++;
    while (after > end && is_json_space(o->record[after - 1]))
        after--;
    if (before == pos && after == end)
        return; /* the whole record */
    *rec = o->record + pos;
    *len = end - pos;
    *index = 0;
}

static void observation_digest(obs_ctx *c)
{
    const storm_event *ev = c->ev;
    const storm_stix_opts *o = c->opts;
    stix_sha1 s;
    const char *rec = NULL;
    size_t rec_len = 0, rec_index = o ? o->record_index : 0;
    if (o && o->record)
        own_record(ev, o, &rec, &rec_len, &rec_index);
    digest_start(&s, rec_index);
    c->have_digest = true;
    if (rec) {
        stix_sha1_update(&s, rec, rec_len);
    } else if (ev->raw) {
        stix_sha1_canonical(&s, ev->raw);
    } else {
        /* hand-built events: what distinguishes one from another */
        const char *parts[] = {c->sensor,
                               ev->type,
                               ev->process.exec_id,
                               ev->hook.name,
                               ev->alert.rule,
                               ev->audit.audit_id,
                               ev->net.src_ip,
                               ev->net.dst_ip,
                               ev->process.command_line,
                               ev->n_files ? ev->files[0].path : NULL};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            stix_sha1_update(&s, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) + 1 : 1);
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%lld/%lld", (long long)ev->time, (long long)ev->process.pid);
        stix_sha1_update(&s, buf, (size_t)n);
    }
    stix_sha1_final(&s, c->digest);
}

/* ---- the observation ---- */

storm_rc storm_stix_observe(storm_arena *a, const storm_event *ev, const storm_stix_opts *opts, storm_observation *out,
                            storm_err *err)
{
    if (!a || !ev || !out)
        return storm_err_set(err, STORM_ERR_STATE, 0, "storm_stix_observe: NULL argument");
    memset(out, 0, sizeof *out);
    pthread_once(&ext_dicts_once, ext_dicts_build); /* the shared constant values */
    obs_ctx c = {.b = {a, false}, .ev = ev, .opts = opts};
    c.sensor = sensor_text(ev->sensor, &c.sensor_len);
    size_t n_anc = ev->n_ancestors < OBS_MAX_ANCESTORS ? ev->n_ancestors : OBS_MAX_ANCESTORS;
    c.cap = 16 + 4 * (n_anc + 2) + 2 * STORM_EVENT_MAX_FILES;
    c.objs = sb_alloc(&c.b, c.cap * sizeof *c.objs);
    c.info = sb_alloc(&c.b, c.cap * sizeof *c.info);
    if (!c.objs || !c.info || c.b.oom)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory building the observation");

    storm_time_ns t = storm_stix_event_time(ev, opts); /* the prefilter dates skipped events alike */
    c.time_v = time_value(&c, t);
    if (opts && opts->lazy_ids && opts->record) {
        size_t pcap = n_anc + 3; /* ancestors, parent, actor or the context-only process */
        c.pending = sb_alloc(&c.b, sizeof *c.pending + pcap * sizeof c.pending->procs[0]);
        if (!c.pending)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory building the observation");
        c.pending->done = false;
        c.pending->ev = ev;
        own_record(ev, opts, &c.pending->record, &c.pending->record_len, &c.pending->record_index);
        c.pending->od_uuid = NULL;
        c.pending->scos = NULL;
        c.pending->n_scos = 0;
        c.pending->n = 0;
        c.pending->cap = pcap;
    } else {
        observation_digest(&c);
    }

    /* The subject: the acting process, else the flow, else the API request,
     * else a process that carries only context (docs/mapping.md). */
    bool has_proc = process_known(&ev->process);
    c.src_kind = c.dst_kind = c.client_kind = STIX_SCO_PROCESS;
    if (ev->net.present) {
        c.src_kind = addr_kind(ev->net.src_ip);
        c.dst_kind = addr_kind(ev->net.dst_ip);
    }
    if (ev->audit.present)
        c.client_kind = addr_kind(ev->audit.source_ip);
    bool net_subject =
        !has_proc && ev->net.present && (is_addr(c.src_kind) || is_addr(c.dst_kind) || nonempty(ev->net.dns_name));
    bool audit_subject = !has_proc && !net_subject && ev->audit.present && is_addr(c.client_kind);

    const storm_value *subject = NULL, *conn = NULL;
    if (ev->net.present)
        conn = net_sco(&c, net_subject);
    if (net_subject)
        subject = conn;
    const storm_value *req = ev->audit.present ? audit_sco(&c, audit_subject) : NULL;
    if (audit_subject)
        subject = req;
    if (ev->audit.present)
        user_sco(&c, sb_str(&c.b, nonempty(ev->audit.user) ? ev->audit.user : NULL), NULL, 0);
    if (ev->app.present)
        login_user_sco(&c);
    for (size_t i = 0; i < ev->n_files && i < STORM_EVENT_MAX_FILES; i++)
        file_sco(&c, ev->files[i].path);
    if (nonempty(ev->k8s.image)) {
        storm_value *sw = sco_new(&c, STIX_SCO_SOFTWARE, 1);
        sb_put_str(&c.b, sw, "name", ev->k8s.image);
        add_sco(&c, sw, STIX_SCO_SOFTWARE, 0, NULL, NULL, 0);
    }
    if (has_proc) {
        /* ancestors far to near, so each knows its parent's id; ancestors[0]
         * may repeat the parent itself */
        const storm_value *up = NULL;
        for (size_t i = n_anc; i-- > 0;) {
            const storm_process_info *p = &ev->ancestors[i];
            if (i == 0 && nonempty(p->exec_id) && nonempty(ev->parent.exec_id) &&
                strcmp(p->exec_id, ev->parent.exec_id) == 0)
                continue;
            if (process_known(p)) {
                const storm_value *id = process_sco(&c, p, PROC_RELATIVE, 2 + i, up, NULL, false);
                up = id ? id : up;
            }
        }
        if (process_known(&ev->parent)) {
            const storm_value *id = process_sco(&c, &ev->parent, PROC_RELATIVE, 1, up, NULL, false);
            up = id ? id : up;
        }
        subject = process_sco(&c, &ev->process, PROC_SUBJECT, 0, up, conn, false);
    }
    if (!subject) {
        /* Context, hook or alert with no actor STIX can name: a process that
         * carries only them; flow or request fields that found no object of
         * their own go there too. */
        c.orphan_net = ev->net.present && !conn;
        c.orphan_audit = ev->audit.present && !req;
        c.orphan_app = ev->app.present && !conn;
        subject = process_sco(&c, NULL, PROC_SUBJECT, 0, NULL, NULL, true);
    }
    if (c.b.oom)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory building the observation");
    if (!c.n)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "the event names nothing STIX can observe");
    /* The SCO ids: now, or when the observation is finished. Either way in
     * the order the objects were added (c.info), before the subject moves. */
    if (c.pending) {
        c.pending->scos = c.info;
        c.pending->n_scos = c.n;
    } else {
        fill_sco_ids(c.info, c.n);
    }
    /* subject first (add_sco hands out the kept object's own id text) */
    for (size_t i = 0; subject && i < c.n; i++)
        if (c.objs[i].key == subject->u.s.ptr) {
            storm_obs_object s = c.objs[i];
            memmove(c.objs + 1, c.objs, i * sizeof *c.objs);
            c.objs[0] = s;
            break;
        }

    /* observed-data */
    char *od_id = sb_alloc(&c.b, 15 + 37);
    if (!od_id)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory building the observation");
    memcpy(od_id, "observed-data--", 15);
    if (c.have_digest) {
        stix_uuid4_from_digest(c.digest, od_id + 15);
    } else {
        memcpy(od_id + 15, "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", 37);
        c.pending->od_uuid = od_id + 15;
    }
    storm_value *od = sb_obj(&c.b, 14);
    storm_value *time_v = (storm_value *)c.time_v;
    sb_put(&c.b, od, "type", sb_strn(&c.b, LIT("observed-data")));
    sb_put(&c.b, od, "spec_version", &spec_v);
    sb_put(&c.b, od, "id", sb_strn(&c.b, od_id, 15 + 36));
    sb_put(&c.b, od, "created_by_ref", sb_strn(&c.b, LIT(STORM_STIX_IDENTITY_ID)));
    storm_value *time_ms = time_value_digits(&c, t, STORM_TIME_STIX_MS);
    sb_put(&c.b, od, "created", time_ms);
    sb_put(&c.b, od, "modified", time_ms);
    sb_put(&c.b, od, "first_observed", time_v);
    sb_put(&c.b, od, "last_observed", time_v);
    sb_put_int(&c.b, od, "number_observed", 1);
    storm_value *refs = sb_arr(&c.b, c.n);
    for (size_t i = 0; i < c.n; i++)
        sb_push(&c.b, refs, ref(&c, c.objs[i].value->u.o.members[2].value));
    sb_put(&c.b, od, "object_refs", refs);
    sb_put(&c.b, od, "x_storm_sensor", sb_strn(&c.b, c.sensor, c.sensor_len));
    sb_put_str(&c.b, od, "x_storm_event_type", ev->type);
    sb_put(&c.b, od, "extensions", ext_dict(1u << STORM_STIX_EXT_STORM));
    if (c.b.oom)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory building the observation");

    out->id = od_id;
    out->index = opts ? opts->record_index : 0;
    out->first_observed = out->last_observed = t;
    out->number_observed = 1;
    out->sdo = od;
    out->n_objects = c.n;
    out->objects = c.objs;
    out->pending = c.pending;
    return STORM_OK;
}

void storm_stix_observation_finish(const storm_observation *obs)
{
    struct storm_obs_pending *pd = obs ? obs->pending : NULL;
    if (!pd || pd->done)
        return;
    /* processes first: no contributing property of an SCO names one, and
     * nothing of theirs depends on an SCO id */
    stix_sha1 s;
    unsigned char digest[20];
    digest_start(&s, pd->record_index);
    stix_sha1_update(&s, pd->record, pd->record_len);
    stix_sha1_final(&s, digest);
    for (size_t i = 0; i < pd->n; i++)
        pending_proc_uuid(pd, &pd->procs[i], digest);
    if (pd->od_uuid)
        stix_uuid4_from_digest(digest, pd->od_uuid);
    fill_sco_ids(pd->scos, pd->n_scos);
    pd->done = true;
}
