/* SPDX-License-Identifier: Apache-2.0 */
/* Strict-mode STIX 2.1 checks (see stix_check.h). Sources: the STIX 2.1
 * specification, the cti-stix2-json-schemas and cti-stix-validator v21
 * musts.py/shoulds.py/enums.py (custom-prefix, uuid-check,
 * observable-dictionary-keys, network-traffic-ports, protocols,
 * account-type, extension-description, extension-properties, process UUIDv4,
 * timestamp formats and comparisons, reference resolution). */
#include "stix_check.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <storm/buf.h>
#include <storm/json.h>

typedef struct ck {
    char *msg;
    size_t cap, used;
    int problems;
    const storm_value *objects; /* the bundle's objects */
} ck;

static void fail(ck *c, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(ck *c, const char *id, const char *fmt, ...)
{
    c->problems++;
    if (!c->msg || c->used + 1 >= c->cap)
        return;
    int n = snprintf(c->msg + c->used, c->cap - c->used, "%s: ", id ? id : "?");
    if (n > 0)
        c->used += (size_t)n < c->cap - c->used ? (size_t)n : c->cap - c->used - 1;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(c->msg + c->used, c->cap - c->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->used += (size_t)n < c->cap - c->used ? (size_t)n : c->cap - c->used - 1;
    if (c->used + 1 < c->cap) {
        c->msg[c->used++] = '\n';
        c->msg[c->used] = '\0';
    }
}

static const char *str(const storm_value *o, const char *k)
{
    return storm_v_get_str(o, k);
}

static bool in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* ---- formats ---- */

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* RFC 4122 UUID text (lower case) with the given version (0 = any). */
static bool uuid_ok(const char *u, int version)
{
    if (strlen(u) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (u[i] != '-')
                return false;
        } else if (!is_hex(u[i])) {
            return false;
        }
    }
    if (!strchr("89ab", u[19])) /* variant */
        return false;
    return version == 0 || u[14] == '0' + version;
}

/* "type--uuid" with the object's type. */
static bool id_ok(const char *id, const char *type, int version)
{
    size_t tl = strlen(type);
    return id && strncmp(id, type, tl) == 0 && strncmp(id + tl, "--", 2) == 0 && uuid_ok(id + tl + 2, version);
}

/* YYYY-MM-DDTHH:MM:SS[.s+]Z with sane ranges; min_frac to 6 fractional
 * digits (python-stix2, the OASIS library, rejects more: Python datetimes
 * stop at microseconds) */
static bool timestamp_ok(const char *t, int min_frac)
{
    if (!t)
        return false;
    int y, mo, d, h, mi, s, n = 0;
    if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    const char *p = t + 19;
    int frac = 0;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            frac++;
        }
        if (!frac)
            return false;
    }
    return frac >= min_frac && frac <= 6 && p[0] == 'Z' && p[1] == '\0';
}

static bool prop_name_ok(const char *k)
{
    size_t n = strlen(k);
    if (n < 3 || n > 250)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/* custom-prefix (strict): ^x_.+_.+$ */
static bool custom_prefix_ok(const char *k)
{
    return strncmp(k, "x_", 2) == 0 && strlen(k) > 4 && strchr(k + 3, '_') && k[strlen(k) - 1] != '_';
}

/* ---- values: no null, no empty string/list/dictionary anywhere ---- */

static const char *const DICT_KEY_EXCEPTIONS[] = {"hashes",
                                                  "file_header_hashes",
                                                  "request_header",
                                                  "additional_header_fields",
                                                  "document_info_dict",
                                                  "exif_tags",
                                                  "ipfix",
                                                  "options",
                                                  "environment_variables",
                                                  "key",
                                                  "startup_info",
                                                  NULL};

static void check_values(ck *c, const char *id, const char *key, const storm_value *v, bool sco, int depth)
{
    switch (v->type) {
    case STORM_V_NULL: fail(c, id, "'%s' is null", key); break;
    case STORM_V_STRING:
        if (!v->u.s.len)
            fail(c, id, "'%s' is an empty string", key);
        break;
    case STORM_V_ARRAY:
        if (!v->u.a.len)
            fail(c, id, "'%s' is an empty list", key);
        for (size_t i = 0; i < v->u.a.len; i++)
            check_values(c, id, key, v->u.a.items[i], false /* lists are not recursed by the validator */, depth + 1);
        break;
    case STORM_V_OBJECT:
        if (!v->u.o.len && depth > 0)
            fail(c, id, "'%s' is an empty dictionary", key);
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            bool exempt = in_list(m->key, DICT_KEY_EXCEPTIONS);
            if (sco) /* observable-dictionary-keys: no upper case in SCO dictionary keys */
                for (size_t j = 0; j < m->key_len; j++)
                    if (m->key[j] >= 'A' && m->key[j] <= 'Z') {
                        fail(c, id, "dictionary key '%s' has upper case", m->key);
                        break;
                    }
            check_values(c, id, m->key, m->value, sco && !exempt && m->value->type == STORM_V_OBJECT, depth + 1);
        }
        break;
    default: break;
    }
}

/* STIX 2.1 section 2.7: every dictionary key (at any depth of an SCO's
 * custom properties, inside lists too) is ASCII letters, digits, '-', '_',
 * at most 250 characters; Storm's own dictionaries also keep to the
 * 3-character minimum of STIX 2.0 (environment variables are the sensor's). */
static void check_dict_keys(ck *c, const char *id, const char *key, const storm_value *v, int depth)
{
    if (depth > 64)
        return;
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            check_dict_keys(c, id, key, v->u.a.items[i], depth + 1);
        return;
    }
    if (v->type != STORM_V_OBJECT)
        return;
    for (size_t i = 0; i < v->u.o.len; i++) {
        const storm_member *m = &v->u.o.members[i];
        if (depth > 0) {
            bool ok = m->key_len <= 250 && m->key_len >= (strcmp(key, "environment_variables") == 0 ? 1u : 3u);
            for (size_t j = 0; ok && j < m->key_len; j++) {
                char ch = m->key[j];
                ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                     ch == '_';
            }
            if (!ok)
                fail(c, id, "dictionary key '%s' in '%s' is not 3..250 of [a-zA-Z0-9_-]", m->key, key);
        }
        check_dict_keys(c, id, depth == 0 ? m->key : key, m->value, depth + 1);
    }
}

/* ---- lookups in the bundle ---- */

static const storm_value *find(ck *c, const char *id)
{
    for (size_t i = 0; id && i < c->objects->u.a.len; i++) {
        const char *oid = str(c->objects->u.a.items[i], "id");
        if (oid && strcmp(oid, id) == 0)
            return c->objects->u.a.items[i];
    }
    return NULL;
}

static void check_ref(ck *c, const char *id, const char *prop, const storm_value *ref, const char *const *types)
{
    if (!ref || ref->type != STORM_V_STRING) {
        fail(c, id, "'%s' is not a reference", prop);
        return;
    }
    const storm_value *t = find(c, ref->u.s.ptr);
    if (!t) {
        fail(c, id, "'%s' %s is not in the bundle", prop, ref->u.s.ptr);
        return;
    }
    if (types && !in_list(str(t, "type"), types))
        fail(c, id, "'%s' points to a %s", prop, str(t, "type"));
}

/* ---- SCOs ---- */

typedef struct sco_spec {
    const char *type;
    const char *props[24];
} sco_spec;

static const char *const COMMON_SCO[] = {
    "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged", "extensions", NULL};

static const sco_spec SCOS[] = {
    {"process",
     {"is_hidden", "pid", "created_time", "cwd", "command_line", "environment_variables", "opened_connection_refs",
      "creator_user_ref", "image_ref", "parent_ref", "child_refs"}},
    {"file",
     {"hashes", "size", "name", "name_enc", "magic_number_hex", "mime_type", "ctime", "mtime", "atime",
      "parent_directory_ref", "contains_refs", "content_ref"}},
    {"directory", {"path", "path_enc", "ctime", "mtime", "atime", "contains_refs"}},
    {"network-traffic",
     {"start", "end", "is_active", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "src_byte_count",
      "dst_byte_count", "src_packets", "dst_packets", "ipfix", "src_payload_ref", "dst_payload_ref",
      "encapsulates_refs", "encapsulated_by_ref"}},
    {"ipv4-addr", {"value", "resolves_to_refs", "belongs_to_refs"}},
    {"ipv6-addr", {"value", "resolves_to_refs", "belongs_to_refs"}},
    {"domain-name", {"value", "resolves_to_refs"}},
    {"user-account",
     {"user_id", "credential", "account_login", "account_type", "display_name", "is_service_account", "is_privileged",
      "can_escalate_privs", "is_disabled", "account_created", "account_expires", "credential_last_changed",
      "account_first_login", "account_last_login"}},
    {"software", {"name", "cpe", "swid", "languages", "vendor", "version"}},
};

static const char *const SCO_EXTENSIONS_NT[] = {"http-request-ext", "icmp-ext", "socket-ext", "tcp-ext", NULL};
static const char *const ACCOUNT_TYPES[] = {"facebook", "ldap",    "nis",  "openid",        "radius",         "skype",
                                            "tacacs",   "twitter", "unix", "windows-local", "windows-domain", NULL};

static const char *const T_PROCESS[] = {"process", NULL};
static const char *const T_FILE[] = {"file", NULL};
static const char *const T_DIR[] = {"directory", NULL};
static const char *const T_USER[] = {"user-account", NULL};
static const char *const T_NT[] = {"network-traffic", NULL};
static const char *const T_ADDR[] = {"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name", NULL};
static const char *const T_RESOLVE[] = {"ipv4-addr", "ipv6-addr", "domain-name", NULL};

static bool ext_declares(const storm_value *def, const char *prop)
{
    const storm_value *props = storm_v_get(def, "extension_properties");
    for (size_t i = 0; props && props->type == STORM_V_ARRAY && i < props->u.a.len; i++)
        if (props->u.a.items[i]->type == STORM_V_STRING && strcmp(props->u.a.items[i]->u.s.ptr, prop) == 0)
            return true;
    return false;
}

/* The JSON Schema of a definition whose "schema" is JSON text (Storm's are;
 * a URL or prose is not checked), parsed once: a few definitions recur in
 * every bundle. Kept for the whole test run (static, never freed). */
static const storm_value *def_schema(const storm_value *def)
{
    static struct {
        char *text;
        const storm_value *schema;
    } cache[16];
    static storm_arena *arena;
    const char *text = str(def, "schema");
    if (!text || text[0] != '{')
        return NULL;
    size_t slot = 0;
    for (; slot < sizeof cache / sizeof cache[0] && cache[slot].text; slot++)
        if (strcmp(cache[slot].text, text) == 0)
            return cache[slot].schema;
    if (!arena)
        arena = storm_arena_new(0, 0);
    storm_value *v = NULL;
    storm_err err;
    if (!arena || storm_json_parse(arena, text, strlen(text), 0, &v, NULL, &err) != STORM_OK || !v ||
        v->type != STORM_V_OBJECT)
        v = NULL;
    if (slot < sizeof cache / sizeof cache[0]) {
        cache[slot].text = strdup(text);
        cache[slot].schema = v;
    }
    return v;
}

/* v meets the JSON Schema fragment s as far as Storm's schemas go: "type"
 * (string, integer, array, object), "enum" of strings, array "items". */
static bool schema_value_ok(const storm_value *s, const storm_value *v)
{
    const char *t = str(s, "type");
    if (t) {
        static const struct {
            const char *name;
            storm_vtype type;
        } types[] = {{"string", STORM_V_STRING},
                     {"integer", STORM_V_INT},
                     {"array", STORM_V_ARRAY},
                     {"object", STORM_V_OBJECT},
                     {"boolean", STORM_V_BOOL}};
        bool ok = false;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            ok |= strcmp(t, types[i].name) == 0 && v->type == types[i].type;
        if (!ok)
            return false;
    }
    const storm_value *en = storm_v_get(s, "enum");
    if (en && en->type == STORM_V_ARRAY) {
        bool in = false;
        for (size_t i = 0; i < en->u.a.len; i++)
            in |= v->type == STORM_V_STRING && storm_v_is_str(en->u.a.items[i], v->u.s.ptr);
        if (!in)
            return false;
    }
    const storm_value *items = storm_v_get(s, "items");
    for (size_t i = 0; items && v->type == STORM_V_ARRAY && i < v->u.a.len; i++)
        if (!schema_value_ok(items, v->u.a.items[i]))
            return false;
    return true;
}

/* A JSON Schema definition must describe each property it declares, and the
 * object's value must meet it: the schema is what other programs check. */
static void check_schema_value(ck *c, const char *id, const storm_value *def, const char *k, const storm_value *v)
{
    const storm_value *schema = def_schema(def);
    if (!schema)
        return;
    const char *path[] = {"properties", k, NULL};
    const storm_value *s = storm_v_path(schema, path);
    if (!s || s->type != STORM_V_OBJECT)
        fail(c, id, "the JSON Schema of %s does not describe '%s'", str(def, "id"), k);
    else if (!schema_value_ok(s, v))
        fail(c, id, "'%s' does not meet the JSON Schema of %s", k, str(def, "id"));
}

static void check_refs_list(ck *c, const char *id, const storm_value *o, const char *prop, const char *const *types)
{
    const storm_value *l = storm_v_get(o, prop);
    if (!l)
        return;
    if (l->type != STORM_V_ARRAY) {
        fail(c, id, "'%s' is not a list", prop);
        return;
    }
    for (size_t i = 0; i < l->u.a.len; i++)
        check_ref(c, id, prop, l->u.a.items[i], types);
}

static void check_ref_prop(ck *c, const char *id, const storm_value *o, const char *prop, const char *const *types)
{
    const storm_value *r = storm_v_get(o, prop);
    if (r)
        check_ref(c, id, prop, r, types);
}

static void check_int_range(ck *c, const char *id, const storm_value *o, const char *prop, int64_t lo, int64_t hi)
{
    const storm_value *v = storm_v_get(o, prop);
    if (v && (v->type != STORM_V_INT || v->u.i < lo || v->u.i > hi))
        fail(c, id, "'%s' is not an integer in %lld..%lld", prop, (long long)lo, (long long)hi);
}

/* The specification's deterministic id, computed independently of
 * src/stix/id.c: canonical JSON by the core writer (sorted keys; our keys are
 * ASCII, where byte order is RFC 8785's UTF-16 order) and SHA-1 by EVP. */
static void check_uuid5(ck *c, const storm_value *o, const char *type, const char *id)
{
    static const struct {
        const char *type;
        const char *props[8];
    } contributing[] = {
        {"directory", {"path"}},
        {"domain-name", {"value"}},
        {"file", {"hashes", "name", "extensions", "parent_directory_ref"}},
        {"ipv4-addr", {"value"}},
        {"ipv6-addr", {"value"}},
        {"network-traffic", {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"}},
        {"software", {"name", "cpe", "swid", "vendor", "version"}},
        {"user-account", {"account_type", "user_id", "account_login"}},
    };
    const char *const *props = NULL;
    for (size_t i = 0; i < sizeof contributing / sizeof contributing[0]; i++)
        if (strcmp(contributing[i].type, type) == 0)
            props = contributing[i].props;
    if (!props)
        return;
    storm_member ms[8];
    storm_value sub = {.type = STORM_V_OBJECT, .pos = STORM_POS_NONE};
    size_t n = 0;
    for (size_t i = 0; i < 8 && props[i]; i++) {
        storm_value *v = storm_v_get(o, props[i]);
        if (v)
            ms[n++] = (storm_member){props[i], strlen(props[i]), v};
    }
    sub.u.o.members = ms;
    sub.u.o.len = sub.u.o.alloc = n;
    storm_buf b;
    storm_buf_init(&b, 1 << 24);
    static const unsigned char ns[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                         0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};
    storm_buf_append(&b, ns, 16);
    if (storm_json_write(&b, &sub, STORM_JSONW_SORT_KEYS) != STORM_OK) {
        storm_buf_free(&b);
        return;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha1(), NULL);
    storm_buf_free(&b);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    char want[128];
    int k = snprintf(want, sizeof want, "%s--", type);
    for (int i = 0; i < 16 && k < 120; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            want[k++] = '-';
        k += snprintf(want + k, sizeof want - (size_t)k, "%02x", md[i]);
    }
    if (strcmp(want, id) != 0)
        fail(c, id, "id is not the deterministic UUIDv5 of its ID-contributing properties (%s)", want);
}

static void check_sco(ck *c, const storm_value *o, const char *type, const char *id)
{
    const sco_spec *spec = NULL;
    for (size_t i = 0; i < sizeof SCOS / sizeof SCOS[0]; i++)
        if (strcmp(SCOS[i].type, type) == 0)
            spec = &SCOS[i];
    if (!spec) {
        fail(c, id, "type '%s' is not one Storm writes", type);
        return;
    }
    /* uuid-check (strict) and the process MUST: UUIDv5 for SCOs, UUIDv4 for process */
    if (!id_ok(id, type, strcmp(type, "process") == 0 ? 4 : 5))
        fail(c, id, "id is not %s--<UUIDv%d>", type, strcmp(type, "process") == 0 ? 4 : 5);
    const char *sv = str(o, "spec_version");
    if (sv && strcmp(sv, "2.1") != 0)
        fail(c, id, "spec_version is not 2.1");
    const storm_value *ext = storm_v_get(o, "extensions");
    if (ext && ext->type != STORM_V_OBJECT)
        fail(c, id, "'extensions' is not a dictionary");
    /* properties: standard, or custom with the strict prefix and declared by
     * a toplevel-property-extension the object names */
    for (size_t i = 0; i < o->u.o.len; i++) {
        const char *k = o->u.o.members[i].key;
        if (in_list(k, COMMON_SCO) || in_list(k, spec->props))
            continue;
        if (!prop_name_ok(k) || !custom_prefix_ok(k)) {
            fail(c, id, "custom property '%s' does not match ^x_.+_.+$ (custom-prefix)", k);
            continue;
        }
        bool declared = false;
        for (size_t j = 0; ext && ext->type == STORM_V_OBJECT && j < ext->u.o.len; j++) {
            const storm_member *m = &ext->u.o.members[j];
            if (strncmp(m->key, "extension-definition--", 22) != 0)
                continue;
            const storm_value *def = find(c, m->key);
            if (def && ext_declares(def, k) &&
                storm_v_is_str(storm_v_get(m->value, "extension_type"), "toplevel-property-extension")) {
                declared = true;
                check_schema_value(c, id, def, k, o->u.o.members[i].value);
            }
        }
        if (!declared)
            fail(c, id, "custom property '%s' is declared by no toplevel-property-extension it names", k);
    }
    /* extensions: predefined names or extension-definitions in the bundle */
    for (size_t j = 0; ext && ext->type == STORM_V_OBJECT && j < ext->u.o.len; j++) {
        const storm_member *m = &ext->u.o.members[j];
        if (m->value->type != STORM_V_OBJECT) {
            fail(c, id, "extension '%s' is not an object", m->key);
            continue;
        }
        if (strncmp(m->key, "extension-definition--", 22) == 0) {
            if (!uuid_ok(m->key + 22, 0))
                fail(c, id, "extension key '%s' is not extension-definition--<uuid>", m->key);
            const storm_value *def = find(c, m->key);
            if (!def)
                fail(c, id, "extension '%s' is not defined in the bundle", m->key);
            const char *et = str(m->value, "extension_type");
            if (!et)
                fail(c, id, "extension '%s' lacks extension_type", m->key);
            continue;
        }
        if (!(strcmp(type, "network-traffic") == 0 && in_list(m->key, SCO_EXTENSIONS_NT)))
            fail(c, id, "extension '%s' is not predefined for %s", m->key, type);
        if (strcmp(m->key, "http-request-ext") == 0 &&
            (!str(m->value, "request_method") || !str(m->value, "request_value")))
            fail(c, id, "http-request-ext needs request_method and request_value");
        /* STIX 2.1 section 6.12.3.2: every header maps to a list of strings */
        const storm_value *hdr =
            strcmp(m->key, "http-request-ext") == 0 ? storm_v_get(m->value, "request_header") : NULL;
        if (hdr && hdr->type != STORM_V_OBJECT)
            fail(c, id, "http-request-ext request_header is not a dictionary");
        for (size_t h = 0; hdr && hdr->type == STORM_V_OBJECT && h < hdr->u.o.len; h++) {
            const storm_value *hv = hdr->u.o.members[h].value;
            bool list_ok = hv->type == STORM_V_ARRAY && hv->u.a.len > 0;
            for (size_t k = 0; list_ok && k < hv->u.a.len; k++)
                list_ok = hv->u.a.items[k]->type == STORM_V_STRING;
            if (!list_ok)
                fail(c, id, "http-request-ext request_header '%s' is not a list of strings", hdr->u.o.members[h].key);
        }
    }
    /* per type */
    if (strcmp(type, "process") == 0) {
        check_int_range(c, id, o, "pid", 0, INT64_MAX);
        const char *ct = str(o, "created_time");
        if (storm_v_get(o, "created_time") && !timestamp_ok(ct, 0))
            fail(c, id, "created_time is not a STIX timestamp");
        check_ref_prop(c, id, o, "parent_ref", T_PROCESS);
        check_ref_prop(c, id, o, "image_ref", T_FILE);
        check_ref_prop(c, id, o, "creator_user_ref", T_USER);
        check_refs_list(c, id, o, "opened_connection_refs", T_NT);
        check_refs_list(c, id, o, "child_refs", T_PROCESS);
        const storm_value *env = storm_v_get(o, "environment_variables");
        for (size_t i = 0; env && env->type == STORM_V_OBJECT && i < env->u.o.len; i++)
            if (env->u.o.members[i].value->type != STORM_V_STRING)
                fail(c, id, "environment variable '%s' is not a string", env->u.o.members[i].key);
        if (o->u.o.len <= 3)
            fail(c, id, "process has no property besides type, spec_version, id");
    } else if (strcmp(type, "file") == 0) {
        if (!str(o, "name") && !storm_v_get(o, "hashes"))
            fail(c, id, "file needs name or hashes");
        const char *fpath = str(o, "x_file_path") ? str(o, "x_file_path") : str(o, "name");
        if (fpath && (fpath[0] == '<' || fpath[0] == '['))
            fail(c, id, "file '%s' is a sensor pseudo-path, not a file", fpath);
        check_ref_prop(c, id, o, "parent_directory_ref", T_DIR);
    } else if (strcmp(type, "directory") == 0) {
        const char *dp = str(o, "path");
        if (!dp)
            fail(c, id, "directory needs path");
        /* the spec: "the path, as originally observed, to the directory":
         * Storm writes absolute paths only (a relative one names no place) */
        else if (dp[0] != '/')
            fail(c, id, "directory path '%s' is not absolute", dp);
    } else if (strcmp(type, "network-traffic") == 0) {
        if (!storm_v_get(o, "src_ref") && !storm_v_get(o, "dst_ref"))
            fail(c, id, "network-traffic needs src_ref or dst_ref");
        check_ref_prop(c, id, o, "src_ref", T_ADDR);
        check_ref_prop(c, id, o, "dst_ref", T_ADDR);
        /* network-traffic-ports (strict) */
        if (!storm_v_get(o, "src_port") || !storm_v_get(o, "dst_port"))
            fail(c, id, "network-traffic should have both src_port and dst_port");
        check_int_range(c, id, o, "src_port", 0, 65535);
        check_int_range(c, id, o, "dst_port", 0, 65535);
        const storm_value *p = storm_v_get(o, "protocols");
        if (!p || p->type != STORM_V_ARRAY || !p->u.a.len) {
            fail(c, id, "network-traffic needs protocols");
        } else {
            for (size_t i = 0; i < p->u.a.len; i++) {
                const storm_value *e = p->u.a.items[i];
                bool ok = e->type == STORM_V_STRING && e->u.s.len >= 1 && e->u.s.len <= 15;
                for (size_t j = 0; ok && j < e->u.s.len; j++) {
                    char ch = e->u.s.ptr[j];
                    ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
                }
                if (!ok)
                    fail(c, id, "protocol value is not a lower-case IANA service name");
            }
        }
        const char *st = str(o, "start"), *en = str(o, "end");
        if (storm_v_get(o, "start") && !timestamp_ok(st, 0))
            fail(c, id, "start is not a STIX timestamp");
        if (st && en && strcmp(en, st) <= 0)
            fail(c, id, "end is not later than start");
    } else if (strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0 || strcmp(type, "domain-name") == 0) {
        if (!str(o, "value"))
            fail(c, id, "%s needs value", type);
        check_refs_list(c, id, o, "resolves_to_refs", T_RESOLVE);
    } else if (strcmp(type, "user-account") == 0) {
        if (!str(o, "user_id") && !str(o, "account_login") && !str(o, "account_type"))
            fail(c, id, "user-account has no ID-contributing property (needs a UUIDv4 then)");
        const char *at = str(o, "account_type");
        if (at && !in_list(at, ACCOUNT_TYPES))
            fail(c, id, "account_type '%s' is not in account-type-ov", at);
    } else if (strcmp(type, "software") == 0) {
        if (!str(o, "name"))
            fail(c, id, "software needs name");
    }
    check_values(c, id, "(object)", o, true, 0);
    check_dict_keys(c, id, "(object)", o, 0);
    check_uuid5(c, o, type, id);
}

/* ---- SDOs and meta objects ---- */

static void check_common_sdo(ck *c, const storm_value *o, const char *type, const char *id)
{
    if (!id_ok(id, type, 4))
        fail(c, id, "id is not %s--<UUIDv4> (uuid-check)", type);
    if (!storm_v_is_str(storm_v_get(o, "spec_version"), "2.1"))
        fail(c, id, "spec_version must be \"2.1\"");
    const char *cr = str(o, "created"), *mo = str(o, "modified");
    if (!timestamp_ok(cr, 3))
        fail(c, id, "created is not a timestamp with millisecond precision");
    if (!timestamp_ok(mo, 3))
        fail(c, id, "modified is not a timestamp with millisecond precision");
    if (cr && mo && strcmp(mo, cr) < 0)
        fail(c, id, "modified is earlier than created");
    const storm_value *cb = storm_v_get(o, "created_by_ref");
    if (cb) {
        static const char *const t_identity[] = {"identity", NULL};
        check_ref(c, id, "created_by_ref", cb, t_identity);
    }
    for (size_t i = 0; i < o->u.o.len; i++) {
        const char *k = o->u.o.members[i].key;
        if (!prop_name_ok(k) && strcmp(k, "id") != 0)
            fail(c, id, "property name '%s' is not [a-z0-9_]{3,250}", k);
    }
    check_values(c, id, "(object)", o, false, 0);
}

static void check_observed_data(ck *c, const storm_value *o, const char *id)
{
    static const char *const props[] = {"type",
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
                                        "first_observed",
                                        "last_observed",
                                        "number_observed",
                                        "object_refs",
                                        NULL};
    const char *fo = str(o, "first_observed"), *lo = str(o, "last_observed");
    if (!timestamp_ok(fo, 0) || !timestamp_ok(lo, 0))
        fail(c, id, "first_observed/last_observed missing or malformed");
    else if (strcmp(lo, fo) < 0)
        fail(c, id, "last_observed is earlier than first_observed");
    check_int_range(c, id, o, "number_observed", 1, 999999999);
    if (!storm_v_get(o, "number_observed"))
        fail(c, id, "number_observed missing");
    if (storm_v_get(o, "objects"))
        fail(c, id, "'objects' is deprecated in 2.1 (deprecated-properties)");
    const storm_value *refs = storm_v_get(o, "object_refs");
    if (!refs || refs->type != STORM_V_ARRAY || !refs->u.a.len)
        fail(c, id, "object_refs missing or empty");
    else
        check_refs_list(c, id, o, "object_refs", NULL);
    const storm_value *ext = storm_v_get(o, "extensions");
    for (size_t i = 0; i < o->u.o.len; i++) {
        const char *k = o->u.o.members[i].key;
        if (in_list(k, props))
            continue;
        bool declared = false;
        for (size_t j = 0; ext && ext->type == STORM_V_OBJECT && j < ext->u.o.len; j++) {
            const storm_value *def = find(c, ext->u.o.members[j].key);
            if (def && ext_declares(def, k)) {
                declared = true;
                check_schema_value(c, id, def, k, o->u.o.members[i].value);
            }
        }
        if (!custom_prefix_ok(k) || !declared)
            fail(c, id, "custom property '%s' is not x_<source>_<name> declared by an extension it names", k);
    }
}

static void check_extension_definition(ck *c, const storm_value *o, const char *id)
{
    static const char *const ext_types[] = {
        "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension", NULL};
    for (const char *const *k = (const char *const[]){"name", "schema", "version", "created_by_ref", NULL}; *k; k++)
        if (!storm_v_get(o, *k))
            fail(c, id, "extension-definition lacks '%s'", *k);
    if (!str(o, "description"))
        fail(c, id, "extension-definition should have a description (extension-description)");
    const storm_value *t = storm_v_get(o, "extension_types");
    bool toplevel = false;
    if (!t || t->type != STORM_V_ARRAY || !t->u.a.len) {
        fail(c, id, "extension_types missing or empty");
    } else {
        for (size_t i = 0; i < t->u.a.len; i++) {
            const storm_value *e = t->u.a.items[i];
            if (e->type != STORM_V_STRING || !in_list(e->u.s.ptr, ext_types))
                fail(c, id, "extension_types has an unknown value");
            else if (strcmp(e->u.s.ptr, "toplevel-property-extension") == 0)
                toplevel = true;
        }
    }
    const storm_value *p = storm_v_get(o, "extension_properties");
    if (p && !toplevel)
        fail(c, id, "extension_properties without toplevel-property-extension");
    if (toplevel && (!p || p->type != STORM_V_ARRAY || !p->u.a.len))
        fail(c, id, "a toplevel-property-extension should list extension_properties (extension-properties)");
    for (size_t i = 0; p && p->type == STORM_V_ARRAY && i < p->u.a.len; i++)
        if (p->u.a.items[i]->type != STORM_V_STRING || !prop_name_ok(p->u.a.items[i]->u.s.ptr))
            fail(c, id, "extension_properties has an invalid property name");
}

static void check_identity(ck *c, const storm_value *o, const char *id)
{
    static const char *const classes[] = {"individual", "group", "system", "organization", "class", "unknown", NULL};
    if (!str(o, "name"))
        fail(c, id, "identity needs name");
    const char *ic = str(o, "identity_class");
    if (ic && !in_list(ic, classes))
        fail(c, id, "identity_class '%s' is not in identity-class-ov", ic);
}

static bool is_sco_type(const char *t)
{
    for (size_t i = 0; i < sizeof SCOS / sizeof SCOS[0]; i++)
        if (strcmp(SCOS[i].type, t) == 0)
            return true;
    return false;
}

int stix_check_bundle(const storm_value *bundle, char *msg, size_t cap)
{
    ck c = {.msg = msg, .cap = cap};
    if (msg && cap)
        msg[0] = '\0';
    if (!bundle || bundle->type != STORM_V_OBJECT || !storm_v_is_str(storm_v_get(bundle, "type"), "bundle")) {
        fail(&c, NULL, "not a bundle");
        return c.problems;
    }
    const char *bid = str(bundle, "id");
    if (!bid || !id_ok(bid, "bundle", 4))
        fail(&c, bid, "bundle id is not bundle--<UUIDv4>");
    if (storm_v_get(bundle, "spec_version"))
        fail(&c, bid, "a 2.1 bundle has no spec_version");
    const storm_value *objs = storm_v_get(bundle, "objects");
    if (!objs || objs->type != STORM_V_ARRAY || !objs->u.a.len) {
        fail(&c, bid, "bundle has no objects");
        return c.problems;
    }
    c.objects = objs;
    for (size_t i = 0; i < objs->u.a.len; i++) {
        const storm_value *o = objs->u.a.items[i];
        const char *type = str(o, "type"), *id = str(o, "id");
        if (o->type != STORM_V_OBJECT || !type || !id) {
            fail(&c, id, "object %zu lacks type or id", i);
            continue;
        }
        for (size_t j = 0; j < i; j++) /* duplicate-ids */
            if (storm_v_is_str(storm_v_get(objs->u.a.items[j], "id"), id))
                fail(&c, id, "duplicate id in the bundle");
        if (is_sco_type(type))
            check_sco(&c, o, type, id);
        else if (strcmp(type, "observed-data") == 0 || strcmp(type, "identity") == 0 ||
                 strcmp(type, "extension-definition") == 0) {
            check_common_sdo(&c, o, type, id);
            if (type[0] == 'o')
                check_observed_data(&c, o, id);
            else if (type[0] == 'i')
                check_identity(&c, o, id);
            else
                check_extension_definition(&c, o, id);
        } else {
            fail(&c, id, "type '%s' is not one Storm writes", type);
        }
    }
    return c.problems;
}
