/* SPDX-License-Identifier: Apache-2.0 */
/* STIX identifiers: the specification's deterministic UUIDv5 ids for SCOs
 * (section 2.9: namespace 00abedb4-..., name = RFC 8785 canonical JSON of the
 * ID-contributing properties), and stable UUIDv4-shaped ids for objects that
 * take a UUIDv4 but must come out the same when the same input is processed
 * again (process, observed-data, bundle). */

/* The low-level SHA-1 interface is allocation-free and fast for the short
 * names hashed here; it is deprecated, not removed, in OpenSSL 3. */
#define OPENSSL_API_COMPAT 10101
#include <openssl/sha.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>
#include <storm/uuid.h>

#include "stix_int.h"
#include <storm/codec.h>

_Static_assert(sizeof(SHA_CTX) <= sizeof(((stix_sha1 *)0)->opaque), "stix_sha1 too small for SHA_CTX");

void stix_sha1_init(stix_sha1 *s)
{
    SHA1_Init((SHA_CTX *)(void *)s->opaque);
}

void stix_sha1_update(stix_sha1 *s, const void *p, size_t n)
{
    SHA1_Update((SHA_CTX *)(void *)s->opaque, p, n);
}

void stix_sha1_final(stix_sha1 *s, unsigned char md[20])
{
    SHA1_Final(md, (SHA_CTX *)(void *)s->opaque);
}

static const char hexdig[] = "0123456789abcdef";

bool storm_stix_type_valid(const char *t, size_t len)
{
    if (len < 3 || len > 250 || t[0] == '-' || t[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && t[i + 1] == '-')
            return false;
    }
    return true;
}

bool storm_stix_id_valid(const char *s, size_t len)
{
    /* the UUID has no "--", so the type ends 38 bytes before the end */
    return len > 38 && s[len - 38] == '-' && s[len - 37] == '-' && storm_stix_type_valid(s, len - 38) &&
           storm_uuid_parse(s + len - 36, 36, NULL);
}

void stix_uuid4_from_digest(const unsigned char md[20], char out[37])
{
    unsigned char u[16];
    memcpy(u, md, 16);
    storm_uuid_format(u, 4, out);
}

bool storm_stix_uuid5(const char *ns, const void *name, size_t len, char out[37])
{
    unsigned char nsb[16], md[20];
    if (!ns || !storm_uuid_parse(ns, strlen(ns), nsb))
        return false;
    stix_sha1 s;
    stix_sha1_init(&s);
    stix_sha1_update(&s, nsb, 16);
    stix_sha1_update(&s, name, len);
    stix_sha1_final(&s, md);
    storm_uuid_format(md, 5, out);
    return true;
}

void storm_stix_uuid4_stable(const void *data, size_t len, char out[37])
{
    unsigned char md[20];
    SHA1(data, len, md);
    stix_uuid4_from_digest(md, out);
}

/* ---- RFC 8785 canonical JSON, written to a sink (a buffer or a SHA-1) ---- */

typedef struct canon_sink {
    storm_buf *buf; /* either this ... */
    stix_sha1 *sha; /* ... or this */
    char tmp[512];  /* batches small writes into the hash */
    size_t n;
    storm_rc rc;
} canon_sink;

static void sink_flush(canon_sink *k)
{
    if (k->sha && k->n)
        stix_sha1_update(k->sha, k->tmp, k->n);
    k->n = 0;
}

static void sink_put(canon_sink *k, const char *p, size_t n)
{
    if (k->rc)
        return;
    if (k->buf) {
        k->rc = storm_buf_append(k->buf, p, n);
        return;
    }
    if (n > sizeof k->tmp - k->n) {
        sink_flush(k);
        if (n > sizeof k->tmp) {
            stix_sha1_update(k->sha, p, n);
            return;
        }
    }
    memcpy(k->tmp + k->n, p, n);
    k->n += n;
}

/* RFC 8785 section 3.2.2.2: only '"', '\\' and control characters are
 * escaped; \b \t \n \f \r in short form, others as \u00xx (lower-case hex). */
static void sink_string(canon_sink *k, const char *s, size_t len)
{
    sink_put(k, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sink_put(k, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sink_put(k, "\\\"", 2); break;
        case '\\': sink_put(k, "\\\\", 2); break;
        case '\b': sink_put(k, "\\b", 2); break;
        case '\t': sink_put(k, "\\t", 2); break;
        case '\n': sink_put(k, "\\n", 2); break;
        case '\f': sink_put(k, "\\f", 2); break;
        case '\r': sink_put(k, "\\r", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};
            sink_put(k, e, 6);
        }
        }
    }
    sink_put(k, s + run, len - run);
    sink_put(k, "\"", 1);
}

/* Next UTF-16 code unit of a UTF-8 string (input is valid UTF-8: the JSON
 * parser guarantees it); *pending holds a low surrogate still to deliver. */
static unsigned next_utf16(const unsigned char *s, size_t len, size_t *i, unsigned *pending)
{
    if (*pending) {
        unsigned u = *pending;
        *pending = 0;
        return u;
    }
    unsigned c = s[*i];
    unsigned cp;
    size_t n;
    if (c < 0x80) {
        cp = c;
        n = 1;
    } else if (c < 0xe0) {
        cp = c & 0x1f;
        n = 2;
    } else if (c < 0xf0) {
        cp = c & 0x0f;
        n = 3;
    } else {
        cp = c & 0x07;
        n = 4;
    }
    for (size_t j = 1; j < n && *i + j < len; j++)
        cp = (cp << 6) | (s[*i + j] & 0x3f);
    *i += n;
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *pending = 0xdc00 | (cp & 0x3ff);
        return 0xd800 | (cp >> 10);
    }
    return cp;
}

/* Key order of RFC 8785 section 3.2.3: by UTF-16 code units. */
static int key_cmp_utf16(const storm_member *x, const storm_member *y)
{
    const unsigned char *a = (const unsigned char *)x->key, *b = (const unsigned char *)y->key;
    size_t i = 0, j = 0;
    unsigned pa = 0, pb = 0;
    while ((i < x->key_len || pa) && (j < y->key_len || pb)) {
        unsigned ua = next_utf16(a, x->key_len, &i, &pa);
        unsigned ub = next_utf16(b, y->key_len, &j, &pb);
        if (ua != ub)
            return ua < ub ? -1 : 1;
    }
    bool more_a = i < x->key_len || pa, more_b = j < y->key_len || pb;
    return more_a == more_b ? 0 : more_a ? 1 : -1;
}

static void sink_value(canon_sink *k, const storm_value *v, int depth)
{
    char tmp[40];
    if (k->rc)
        return;
    if (depth > STORM_JSON_MAX_DEPTH) {
        k->rc = STORM_ERR_LIMIT;
        return;
    }
    switch (v->type) {
    case STORM_V_NULL: sink_put(k, "null", 4); return;
    case STORM_V_BOOL: v->u.b ? sink_put(k, "true", 4) : sink_put(k, "false", 5); return;
    case STORM_V_INT: {
        int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
        sink_put(k, tmp, (size_t)n);
        return;
    }
    case STORM_V_FLOAT: {
        /* ES6 Number.prototype.toString for the doubles Storm meets:
         * integral values print without a fraction, others with the shortest
         * round-tripping %g form. (No ID-contributing property is a float.) */
        double f = v->u.f;
        if (!isfinite(f)) { /* JSON has no NaN/Infinity; the writer prints null too */
            sink_put(k, "null", 4);
            return;
        }
        if (isfinite(f) && f == floor(f) && fabs(f) < 1e21) {
            int n = snprintf(tmp, sizeof tmp, "%.0f", f == 0 ? 0.0 : f); /* -0 prints as 0 */
            sink_put(k, tmp, (size_t)n);
            return;
        }
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, f);
            if (strtod(tmp, NULL) == f)
                break;
        }
        sink_put(k, tmp, strlen(tmp));
        return;
    }
    case STORM_V_STRING: sink_string(k, v->u.s.ptr, v->u.s.len); return;
    case STORM_V_ARRAY:
        sink_put(k, "[", 1);
        for (size_t i = 0; i < v->u.a.len; i++) {
            if (i)
                sink_put(k, ",", 1);
            sink_value(k, v->u.a.items[i], depth + 1);
        }
        sink_put(k, "]", 1);
        return;
    case STORM_V_OBJECT: {
        size_t n = v->u.o.len;
        const storm_member *stack[32];
        const storm_member **order = n <= 32 ? stack : malloc(n * sizeof *order);
        if (!order) {
            k->rc = STORM_ERR_NOMEM;
            return;
        }
        /* insertion sort: objects here are small; duplicate keys keep the last */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const storm_member *e = &v->u.o.members[i];
            size_t j = m;
            while (j > 0 && key_cmp_utf16(order[j - 1], e) > 0)
                j--;
            if (j > 0 && key_cmp_utf16(order[j - 1], e) == 0) {
                order[j - 1] = e;
                continue;
            }
            memmove(order + j + 1, order + j, (m - j) * sizeof *order);
            order[j] = e;
            m++;
        }
        sink_put(k, "{", 1);
        for (size_t i = 0; i < m; i++) {
            if (i)
                sink_put(k, ",", 1);
            sink_string(k, order[i]->key, order[i]->key_len);
            sink_put(k, ":", 1);
            sink_value(k, order[i]->value, depth + 1);
        }
        sink_put(k, "}", 1);
        if (order != stack)
            free(order);
        return;
    }
    }
}

storm_rc storm_stix_canonical_json(storm_buf *out, const storm_value *v)
{
    canon_sink k = {.buf = out};
    sink_value(&k, v, 0);
    return k.rc;
}

void stix_sha1_canonical(stix_sha1 *s, const storm_value *v)
{
    canon_sink k = {.sha = s};
    sink_value(&k, v, 0);
    sink_flush(&k);
}

/* ID-contributing properties per SCO type (STIX 2.1, each type's section),
 * in the order of stix_sco_kind. Names carry their lengths: the id of an
 * SCO is looked up member by member on the event path. */
#define P(s)                                                                                                           \
    {                                                                                                                  \
        s, sizeof s - 1                                                                                                \
    }
struct stix_id_props {
    const char *type;
    size_t type_len;
    bool cacheable; /* no per-event property (network-traffic has "start"): the id cache may hit */
    struct {
        const char *name;
        size_t len;
    } props[STIX_ID_PROPS_MAX];
};

static const stix_id_props ID_PROPS[STIX_SCO__IDENTIFIED] = {
    [STIX_SCO_ARTIFACT] = {"artifact", 8, true, {P("hashes"), P("payload_bin")}},
    [STIX_SCO_AUTONOMOUS_SYSTEM] = {"autonomous-system", 17, true, {P("number")}},
    [STIX_SCO_DIRECTORY] = {"directory", 9, true, {P("path")}},
    [STIX_SCO_DOMAIN_NAME] = {"domain-name", 11, true, {P("value")}},
    [STIX_SCO_EMAIL_ADDR] = {"email-addr", 10, true, {P("value")}},
    [STIX_SCO_EMAIL_MESSAGE] = {"email-message", 13, true, {P("from_ref"), P("subject"), P("body")}},
    [STIX_SCO_FILE] = {"file", 4, true, {P("hashes"), P("name"), P("extensions"), P("parent_directory_ref")}},
    [STIX_SCO_IPV4_ADDR] = {"ipv4-addr", 9, true, {P("value")}},
    [STIX_SCO_IPV6_ADDR] = {"ipv6-addr", 9, true, {P("value")}},
    [STIX_SCO_MAC_ADDR] = {"mac-addr", 8, true, {P("value")}},
    [STIX_SCO_MUTEX] = {"mutex", 5, true, {P("name")}},
    [STIX_SCO_NETWORK_TRAFFIC] = {"network-traffic",
                                  15,
                                  false,
                                  {P("start"), P("end"), P("src_ref"), P("dst_ref"), P("src_port"), P("dst_port"),
                                   P("protocols"), P("extensions")}},
    [STIX_SCO_SOFTWARE] = {"software", 8, true, {P("name"), P("cpe"), P("swid"), P("vendor"), P("version")}},
    [STIX_SCO_URL] = {"url", 3, true, {P("value")}},
    [STIX_SCO_USER_ACCOUNT] = {"user-account", 12, true, {P("account_type"), P("user_id"), P("account_login")}},
    [STIX_SCO_WINDOWS_REGISTRY_KEY] = {"windows-registry-key", 20, true, {P("key"), P("values")}},
    [STIX_SCO_X509_CERTIFICATE] = {"x509-certificate", 16, true, {P("hashes"), P("serial_number")}},
};
#undef P

const stix_id_props *stix_id_props_get(stix_sco_kind k)
{
    return (unsigned)k < STIX_SCO__IDENTIFIED ? &ID_PROPS[k] : NULL;
}

const char *stix_id_props_type(const stix_id_props *ip, size_t *len)
{
    *len = ip->type_len;
    return ip->type;
}

/* The contributing members of sco present, in the SCO's member order (as
 * the id cache keys them): one pass over the members, the last of duplicate
 * keys wins (as in storm_v_get). Returns how many. */
static size_t id_members(const stix_id_props *ip, const storm_value *sco, storm_member ms[8])
{
    size_t n = 0;
    for (size_t m = 0; m < sco->u.o.len; m++) {
        const storm_member *mb = &sco->u.o.members[m];
        if (!mb->key_len)
            continue;
        for (size_t i = 0; i < 8 && ip->props[i].name; i++) {
            /* most members are not contributing: the length and first byte
             * spare nearly every comparison */
            if (mb->key_len != ip->props[i].len || mb->key[0] != ip->props[i].name[0] ||
                memcmp(mb->key, ip->props[i].name, mb->key_len) != 0)
                continue;
            size_t j = 0;
            while (j < n && ms[j].key != ip->props[i].name)
                j++;
            ms[j] = (storm_member){ip->props[i].name, mb->key_len, mb->value};
            if (j == n)
                n++;
            break;
        }
    }
    return n;
}

size_t stix_sco_id_values(const stix_id_props *ip, const storm_value *sco, size_t from,
                          const storm_value *vals[STIX_ID_PROPS_MAX])
{
    size_t n = 0, np = 0;
    while (np < STIX_ID_PROPS_MAX && ip->props[np].name)
        np++;
    for (size_t i = 0; i < STIX_ID_PROPS_MAX; i++)
        vals[i] = NULL;
    for (size_t m = from; m < sco->u.o.len; m++) {
        const storm_member *mb = &sco->u.o.members[m];
        if (!mb->key_len)
            continue;
        for (size_t i = 0; i < np; i++)
            if (mb->key_len == ip->props[i].len && mb->key[0] == ip->props[i].name[0] &&
                memcmp(mb->key, ip->props[i].name, mb->key_len) == 0) {
                n += !vals[i];
                vals[i] = mb->value; /* the last of duplicate keys wins */
                break;
            }
    }
    return n;
}

/* Canonical JSON of x and y equal, by writing both: for what the structural
 * comparison below does not decide itself (floats, whose text is not their
 * bits; mixed int/float; nesting past the canonical writer's limit). Rare:
 * no contributing property Storm writes is a float. */
static bool canon_bytes_equal(const storm_value *x, const storm_value *y)
{
    storm_buf bx, by;
    storm_buf_init(&bx, 64);
    storm_buf_init(&by, 64);
    storm_rc rx = storm_stix_canonical_json(&bx, x), ry = storm_stix_canonical_json(&by, y);
    bool eq = rx == ry && bx.len == by.len && (!bx.len || memcmp(bx.data, by.data, bx.len) == 0);
    storm_buf_free(&bx);
    storm_buf_free(&by);
    return eq;
}

/* The value of the last member of o named k (storm_v_getn's rule). */
static const storm_value *last_member(const storm_value *o, const char *k, size_t klen, size_t *at)
{
    for (size_t i = o->u.o.len; i-- > 0;)
        if (o->u.o.members[i].key_len == klen && memcmp(o->u.o.members[i].key, k, klen) == 0) {
            *at = i;
            return o->u.o.members[i].value;
        }
    return NULL;
}

/* Whether x and y have the same RFC 8785 canonical JSON, without writing
 * it: strings by bytes, integers by value, arrays in order, objects as maps
 * (keys sorted and duplicates resolved to the last alike on both sides). */
static bool canon_equal(const storm_value *x, const storm_value *y, int depth)
{
    if (x == y)
        return true;
    if (depth > STORM_JSON_MAX_DEPTH || x->type == STORM_V_FLOAT || y->type == STORM_V_FLOAT)
        return canon_bytes_equal(x, y);
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case STORM_V_NULL: return true;
    case STORM_V_BOOL: return x->u.b == y->u.b;
    case STORM_V_INT: return x->u.i == y->u.i;
    case STORM_V_FLOAT: return canon_bytes_equal(x, y); /* not reached */
    case STORM_V_STRING: return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
    case STORM_V_ARRAY:
        if (x->u.a.len != y->u.a.len)
            return false;
        for (size_t i = 0; i < x->u.a.len; i++)
            if (!canon_equal(x->u.a.items[i], y->u.a.items[i], depth + 1))
                return false;
        return true;
    case STORM_V_OBJECT: {
        /* every distinct key of x, at its last occurrence, has an equal value
         * under the same key in y, and y has no other key */
        size_t kx = 0, ky = 0, at;
        for (size_t i = 0; i < x->u.o.len; i++) {
            const storm_member *m = &x->u.o.members[i];
            if (last_member(x, m->key, m->key_len, &at) && at != i)
                continue; /* a later duplicate decides */
            kx++;
            const storm_value *yv = last_member(y, m->key, m->key_len, &at);
            if (!yv || !canon_equal(m->value, yv, depth + 1))
                return false;
        }
        for (size_t i = 0; i < y->u.o.len; i++) {
            const storm_member *m = &y->u.o.members[i];
            if (last_member(y, m->key, m->key_len, &at) && at == i)
                ky++;
        }
        return kx == ky;
    }
    }
    return false;
}

bool stix_id_values_equal(const storm_value *const x[STIX_ID_PROPS_MAX], const storm_value *const y[STIX_ID_PROPS_MAX])
{
    for (size_t i = 0; i < STIX_ID_PROPS_MAX; i++)
        if (!x[i] != !y[i] || (x[i] && !canon_equal(x[i], y[i], 1)))
            return false;
    return true;
}

/* ---- the SCO id cache ----
 * Key: a 128-bit structural hash of the SCO type and its contributing
 * members (names, value types, bytes, in the SCO's member order). Equal keys
 * mean equal canonical JSON, hence equal ids, short of a 128-bit collision;
 * a different member order only misses. Direct-mapped, bounded (1024
 * entries, ~72 KiB per thread: small enough to stay in L2), per thread so
 * that no lock is needed. */
#define ID_CACHE_SLOTS 1024

typedef struct id_key {
    uint64_t h1, h2;
} id_key;

typedef struct id_cache_entry {
    uint64_t h1, h2;
    size_t type_len;
    bool used;
    char uuid[37];
} id_cache_entry;

static _Thread_local id_cache_entry id_cache[ID_CACHE_SLOTS];

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline void key_word(id_key *k, uint64_t w)
{
    k->h1 = (k->h1 ^ w) * 0x9e3779b97f4a7c15ULL;
    k->h1 ^= k->h1 >> 32;
    k->h2 = rotl64(k->h2 + w * 0xc2b2ae3d27d4eb4fULL, 31) * 0x165667b19e3779f9ULL;
}

static void key_bytes(id_key *k, const char *p, size_t n)
{
    key_word(k, (uint64_t)n ^ 0x5bd1e995ULL << 32);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        key_word(k, w);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        key_word(k, w);
    }
}

static void key_value(id_key *k, const storm_value *v, int depth)
{
    if (depth > STORM_JSON_MAX_DEPTH) {
        key_word(k, 0xdeadULL); /* the id computation reports the error */
        return;
    }
    key_word(k, (uint64_t)v->type + 1);
    switch (v->type) {
    case STORM_V_NULL: break;
    case STORM_V_BOOL: key_word(k, v->u.b ? 1 : 0); break;
    case STORM_V_INT: key_word(k, (uint64_t)v->u.i); break;
    case STORM_V_FLOAT: {
        uint64_t w;
        memcpy(&w, &v->u.f, 8);
        key_word(k, w);
        break;
    }
    case STORM_V_STRING: key_bytes(k, v->u.s.ptr, v->u.s.len); break;
    case STORM_V_ARRAY:
        key_word(k, v->u.a.len);
        for (size_t i = 0; i < v->u.a.len; i++)
            key_value(k, v->u.a.items[i], depth + 1);
        break;
    case STORM_V_OBJECT:
        key_word(k, v->u.o.len);
        for (size_t i = 0; i < v->u.o.len; i++) {
            key_bytes(k, v->u.o.members[i].key, v->u.o.members[i].key_len);
            key_value(k, v->u.o.members[i].value, depth + 1);
        }
        break;
    }
}

static void id_key_of(id_key *k, const char *type, size_t type_len, const storm_member *ms, size_t n)
{
    k->h1 = 0x243f6a8885a308d3ULL;
    k->h2 = 0x13198a2e03707344ULL;
    key_bytes(k, type, type_len);
    key_word(k, n);
    for (size_t i = 0; i < n; i++) {
        key_bytes(k, ms[i].key, ms[i].key_len);
        key_value(k, ms[i].value, 1);
    }
}

/* ---- the digest cache of stix_sha1_cached ----
 * Direct-mapped like the id cache; 1024 entries of 56 bytes per thread. */
#define DIGEST_CACHE_SLOTS 1024

typedef struct digest_cache_entry {
    uint64_t h1, h2;
    size_t len;
    bool used;
    unsigned char md[20];
} digest_cache_entry;

static _Thread_local digest_cache_entry digest_cache[DIGEST_CACHE_SLOTS];

void stix_sha1_cached(const void *data, size_t len, unsigned char md[20])
{
    id_key key = {0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL};
    key_bytes(&key, data, len);
    digest_cache_entry *ce = &digest_cache[key.h1 & (DIGEST_CACHE_SLOTS - 1)];
    if (ce->used && ce->h1 == key.h1 && ce->h2 == key.h2 && ce->len == len) {
        memcpy(md, ce->md, 20);
        return;
    }
    /* the low-level calls: one-shot SHA1() goes through the EVP layer in
     * OpenSSL 3, several times the cost for a message this short */
    stix_sha1 s;
    stix_sha1_init(&s);
    stix_sha1_update(&s, data, len);
    stix_sha1_final(&s, md);
    ce->used = true;
    ce->h1 = key.h1;
    ce->h2 = key.h2;
    ce->len = len;
    memcpy(ce->md, md, 20);
}

bool stix_sco_uuid(const stix_id_props *ip, const storm_value *sco, char out[37])
{
    storm_member ms[8];
    size_t n = id_members(ip, sco, ms);
    if (!n)
        return false;
    /* Files, directories, addresses, users, images repeat from event to
     * event: a hit in the cache spares the canonical JSON and the SHA-1.
     * A type with a per-event contributing property would only miss, so it
     * does not pay for the key. */
    id_key key;
    id_cache_entry *ce = NULL;
    if (ip->cacheable) {
        id_key_of(&key, ip->type, ip->type_len, ms, n);
        ce = &id_cache[key.h1 & (ID_CACHE_SLOTS - 1)];
        if (ce->used && ce->h1 == key.h1 && ce->h2 == key.h2 && ce->type_len == ip->type_len) {
            memcpy(out, ce->uuid, 37);
            return true;
        }
    }
    storm_value obj = {.type = STORM_V_OBJECT, .pos = STORM_POS_NONE};
    obj.u.o.members = ms;
    obj.u.o.len = obj.u.o.alloc = n;
    /* STORM_STIX_SCO_NAMESPACE as bytes (test_stix checks them against the text) */
    static const unsigned char nsb[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                          0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};
    unsigned char md[20];
    stix_sha1 s;
    stix_sha1_init(&s);
    stix_sha1_update(&s, nsb, 16);
    stix_sha1_canonical(&s, &obj);
    stix_sha1_final(&s, md);
    storm_uuid_format(md, 5, out);
    if (ce) {
        ce->used = true;
        ce->h1 = key.h1;
        ce->h2 = key.h2;
        ce->type_len = ip->type_len;
        memcpy(ce->uuid, out, 37);
    }
    return true;
}

storm_rc storm_stix_sco_id(const storm_value *sco, char out[STORM_STIX_ID_MAX])
{
    const storm_value *t = storm_v_get(sco, "type");
    if (!t || t->type != STORM_V_STRING)
        return STORM_ERR_VALUE;
    const stix_id_props *ip = NULL;
    /* types are unique in the table: the first match is the one */
    for (size_t i = 0; i < STIX_SCO__IDENTIFIED; i++)
        if (ID_PROPS[i].type[0] == t->u.s.ptr[0] && strcmp(ID_PROPS[i].type, t->u.s.ptr) == 0) {
            ip = &ID_PROPS[i];
            break;
        }
    if (!ip || t->u.s.len + 2 + 37 > STORM_STIX_ID_MAX)
        return STORM_ERR_VALUE;
    char u[37];
    if (!stix_sco_uuid(ip, sco, u))
        return STORM_ERR_VALUE;
    memcpy(out, t->u.s.ptr, t->u.s.len);
    memcpy(out + t->u.s.len, "--", 2);
    memcpy(out + t->u.s.len + 2, u, 37);
    return STORM_OK;
}
