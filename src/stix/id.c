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

#include "stix_int.h"
#include "core/codec.h"

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

static void uuid_text(const unsigned char u[16], char out[37])
{
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hexdig[u[i] >> 4];
        out[o++] = hexdig[u[i] & 15];
    }
    out[o] = '\0';
}


static bool uuid_parse(const char *s, unsigned char u[16])
{
    int n = 0;
    for (size_t i = 0; s[i] && n < 32; i++) {
        if (s[i] == '-') {
            if (i != 8 && i != 13 && i != 18 && i != 23)
                return false;
            continue;
        }
        int h = codec_hex_digit(s[i]);
        if (h < 0)
            return false;
        if (n & 1)
            u[n / 2] = (unsigned char)(u[n / 2] | h);
        else
            u[n / 2] = (unsigned char)(h << 4);
        n++;
    }
    return n == 32 && strlen(s) == 36;
}

void stix_uuid4_from_digest(const unsigned char md[20], char out[37])
{
    unsigned char u[16];
    memcpy(u, md, 16);
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    uuid_text(u, out);
}

bool storm_stix_uuid5(const char *ns, const void *name, size_t len, char out[37])
{
    unsigned char nsb[16], md[20];
    if (!ns || !uuid_parse(ns, nsb))
        return false;
    stix_sha1 s;
    stix_sha1_init(&s);
    stix_sha1_update(&s, nsb, 16);
    stix_sha1_update(&s, name, len);
    stix_sha1_final(&s, md);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    uuid_text(md, out);
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
    storm_buf *buf;   /* either this ... */
    stix_sha1 *sha;   /* ... or this */
    char tmp[512];    /* batches small writes into the hash */
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

/* ID-contributing properties per SCO type (STIX 2.1, each type's section). */
typedef struct id_props {
    const char *type;
    const char *props[8];
} id_props;

static const id_props ID_PROPS[] = {
    {"artifact", {"hashes", "payload_bin"}},
    {"autonomous-system", {"number"}},
    {"directory", {"path"}},
    {"domain-name", {"value"}},
    {"email-addr", {"value"}},
    {"email-message", {"from_ref", "subject", "body"}},
    {"file", {"hashes", "name", "extensions", "parent_directory_ref"}},
    {"ipv4-addr", {"value"}},
    {"ipv6-addr", {"value"}},
    {"mac-addr", {"value"}},
    {"mutex", {"name"}},
    {"network-traffic",
     {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"}},
    {"software", {"name", "cpe", "swid", "vendor", "version"}},
    {"url", {"value"}},
    {"user-account", {"account_type", "user_id", "account_login"}},
    {"windows-registry-key", {"key", "values"}},
    {"x509-certificate", {"hashes", "serial_number"}},
};

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

storm_rc storm_stix_sco_id(const storm_value *sco, char out[STORM_STIX_ID_MAX])
{
    const storm_value *t = storm_v_get(sco, "type");
    if (!t || t->type != STORM_V_STRING)
        return STORM_ERR_VALUE;
    const id_props *ip = NULL;
    /* types are unique in the table: the first match is the one */
    for (size_t i = 0; i < sizeof ID_PROPS / sizeof ID_PROPS[0]; i++)
        if (ID_PROPS[i].type[0] == t->u.s.ptr[0] && strcmp(ID_PROPS[i].type, t->u.s.ptr) == 0) {
            ip = &ID_PROPS[i];
            break;
        }
    if (!ip || t->u.s.len + 2 + 37 > STORM_STIX_ID_MAX)
        return STORM_ERR_VALUE;
    /* The contributing properties present, as a small object on the stack:
     * one pass over the members (the last of duplicate keys wins, as in
     * storm_v_get). */
    storm_member ms[8];
    size_t n = 0;
    for (size_t m = 0; m < sco->u.o.len; m++) {
        const storm_member *mb = &sco->u.o.members[m];
        for (size_t i = 0; i < 8 && ip->props[i]; i++) {
            /* most members are not contributing: a first-byte test spares
             * nearly every comparison */
            if (mb->key_len == 0 || mb->key[0] != ip->props[i][0] || strlen(ip->props[i]) != mb->key_len ||
                memcmp(mb->key, ip->props[i], mb->key_len) != 0)
                continue;
            size_t j = 0;
            while (j < n && ms[j].key != ip->props[i])
                j++;
            ms[j] = (storm_member){ip->props[i], mb->key_len, mb->value};
            if (j == n)
                n++;
            break;
        }
    }
    if (!n)
        return STORM_ERR_VALUE;
    /* Files, directories, addresses, users, images repeat from event to
     * event: a hit in the cache spares the canonical JSON and the SHA-1. */
    id_key key;
    id_key_of(&key, t->u.s.ptr, t->u.s.len, ms, n);
    id_cache_entry *ce = &id_cache[key.h1 & (ID_CACHE_SLOTS - 1)];
    if (ce->used && ce->h1 == key.h1 && ce->h2 == key.h2 && ce->type_len == t->u.s.len) {
        memcpy(out, t->u.s.ptr, t->u.s.len);
        memcpy(out + t->u.s.len, "--", 2);
        memcpy(out + t->u.s.len + 2, ce->uuid, 37);
        return STORM_OK;
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
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    char u[37];
    uuid_text(md, u);
    ce->used = true;
    ce->h1 = key.h1;
    ce->h2 = key.h2;
    ce->type_len = t->u.s.len;
    memcpy(ce->uuid, u, 37);
    memcpy(out, t->u.s.ptr, t->u.s.len);
    memcpy(out + t->u.s.len, "--", 2);
    memcpy(out + t->u.s.len + 2, u, 37);
    return STORM_OK;
}
