/* SPDX-License-Identifier: Apache-2.0 */
#include "obs_pack.h"

#include <stdlib.h>
#include <string.h>

#include <storm/buf.h>
#include <zstd.h>

/* The packed bytes: the plain length times two, plus one when the frame
 * was compressed against the packer's dictionary (LEB128), then the plain
 * layout compressed (a Zstandard frame at level -1, zstd's first fast level,
 * without checksum; packing happens only for observations a partial match
 * keeps). A packer's dictionary is the plain layout of the first
 * observation it packs: the observations one detector keeps are mostly alike
 * (the same leaf of the same indicator on the same kind of event), so
 * against it they shrink 5.9x instead of 3x, and level -1 takes a third
 * fewer instructions than level 1 (the quiet kprobe stream's held
 * observations: 885 KB packed to 151 KB in 15.7M instructions, against
 * 291 KB in 24.9M at level 1 without a dictionary; zlib's fastest level had
 * twice level 1's instructions). The plain layout
 * (integers: LEB128 unless said otherwise):
 *   index, first_observed, last_observed, number_observed (8 bytes each but
 *   index), has_sdo (1 byte), [sdo value], n_objects,
 *   per object: has_key (1 byte), [key length, key bytes], value.
 * A value: a tag byte (type, 0x80 when it has a position, then the
 * position), then NULL nothing, BOOL 1 byte, INT and FLOAT 8 bytes, STRING
 * length and bytes, ARRAY count and items, OBJECT count and per member key
 * length, key bytes, value. */

#define TAG_HAS_POS 0x80
#define PACK_MAX ((size_t)4 << 20) /* one observation (as a copy in an arena was capped) */
#define UNPACK_MAX_DEPTH 4096      /* deeper than any parsed input (the parser bounds nesting) */

static bool put_bytes(storm_buf *b, const void *p, size_t n)
{
    return storm_buf_append(b, p, n) == STORM_OK;
}

static bool put_uint(storm_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        tmp[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    return put_bytes(b, tmp, n);
}

static bool put_u64(storm_buf *b, uint64_t v)
{
    return put_bytes(b, &v, sizeof v);
}

static bool put_value(storm_buf *b, const storm_value *v)
{
    if (!v)
        return false;
    uint8_t tag = (uint8_t)v->type | (v->pos != STORM_POS_NONE ? TAG_HAS_POS : 0);
    if (!put_bytes(b, &tag, 1) || ((tag & TAG_HAS_POS) && !put_uint(b, v->pos)))
        return false;
    switch (v->type) {
    case STORM_V_NULL: return true;
    case STORM_V_BOOL: {
        uint8_t x = v->u.b ? 1 : 0;
        return put_bytes(b, &x, 1);
    }
    case STORM_V_INT: return put_u64(b, (uint64_t)v->u.i);
    case STORM_V_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->u.f, sizeof bits);
        return put_u64(b, bits);
    }
    case STORM_V_STRING: return put_uint(b, v->u.s.len) && put_bytes(b, v->u.s.ptr, v->u.s.len);
    case STORM_V_ARRAY:
        if (!put_uint(b, v->u.a.len))
            return false;
        for (size_t i = 0; i < v->u.a.len; i++)
            if (!put_value(b, v->u.a.items[i]))
                return false;
        return true;
    case STORM_V_OBJECT:
        if (!put_uint(b, v->u.o.len))
            return false;
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            if (!put_uint(b, m->key_len) || !put_bytes(b, m->key, m->key_len) || !put_value(b, m->value))
                return false;
        }
        return true;
    }
    return false;
}

#define PACK_LEVEL (-1) /* zstd's first fast level */

struct obs_packer {
    ZSTD_CCtx *z;
    /* the dictionary (made from the first observation packed), digested
     * for compressing and decompressing; NULL before, or when it could not
     * be made (then frames are plain) */
    ZSTD_CDict *cdict;
    ZSTD_DDict *ddict;
    ZSTD_DCtx *dz; /* for frames against the dictionary (made at the first unpack) */
    bool dict_tried;
};

obs_packer *obs_packer_new(void)
{
    obs_packer *pk = calloc(1, sizeof *pk);
    if (!pk)
        return NULL;
    pk->z = ZSTD_createCCtx();
    /* the plain length is in the packed bytes already; no checksum (the
     * bytes never leave the process) */
    if (!pk->z || ZSTD_isError(ZSTD_CCtx_setParameter(pk->z, ZSTD_c_compressionLevel, PACK_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(pk->z, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(pk->z, ZSTD_c_contentSizeFlag, 0))) {
        ZSTD_freeCCtx(pk->z);
        free(pk);
        return NULL;
    }
    return pk;
}

void obs_packer_free(obs_packer *pk)
{
    if (!pk)
        return;
    ZSTD_freeCCtx(pk->z);
    ZSTD_freeCDict(pk->cdict);
    ZSTD_freeDDict(pk->ddict);
    ZSTD_freeDCtx(pk->dz);
    free(pk);
}

/* The packer's dictionary from plain[0..n), once: a zero byte, then the
 * plain layout (the zero keeps it from ever starting with the magic number
 * of a trained dictionary, so both sides take it as raw content). Without
 * memory the packer goes on without one. */
static void dict_make(obs_packer *pk, const void *plain, size_t n)
{
    pk->dict_tried = true;
    uint8_t *d = malloc(n + 1);
    if (!d)
        return;
    d[0] = 0;
    memcpy(d + 1, plain, n);
    pk->cdict = ZSTD_createCDict(d, n + 1, PACK_LEVEL);
    pk->ddict = ZSTD_createDDict(d, n + 1);
    free(d); /* both keep a copy */
    if (!pk->cdict || !pk->ddict || ZSTD_isError(ZSTD_CCtx_refCDict(pk->z, pk->cdict))) {
        ZSTD_freeCDict(pk->cdict);
        ZSTD_freeDDict(pk->ddict);
        pk->cdict = NULL;
        pk->ddict = NULL;
        (void)ZSTD_CCtx_refCDict(pk->z, NULL);
    }
}

/* src[0..src_len) compressed into dst (room dst_cap, the bound) with pk's
 * context and dictionary (*with_dict: it was used; NULL pk: a context of its
 * own for this call, no dictionary). Returns the compressed length, 0 on
 * error. */
static size_t compress_all(obs_packer *pk, void *dst, size_t dst_cap, const void *src, size_t src_len, bool *with_dict)
{
    *with_dict = false;
    if (!pk) {
        size_t n = ZSTD_compress(dst, dst_cap, src, src_len, PACK_LEVEL);
        return ZSTD_isError(n) ? 0 : n;
    }
    if (!pk->dict_tried)
        dict_make(pk, src, src_len);
    size_t n = ZSTD_compress2(pk->z, dst, dst_cap, src, src_len);
    *with_dict = pk->cdict != NULL;
    return ZSTD_isError(n) ? 0 : n;
}

uint8_t *obs_pack(obs_packer *pk, const storm_observation *obs, size_t *len)
{
    storm_buf b;
    storm_buf_init(&b, PACK_MAX);
    uint8_t has_sdo = obs->sdo ? 1 : 0;
    bool ok = put_uint(&b, obs->index) && put_u64(&b, (uint64_t)obs->first_observed) &&
              put_u64(&b, (uint64_t)obs->last_observed) && put_u64(&b, (uint64_t)obs->number_observed) &&
              put_bytes(&b, &has_sdo, 1) && (!has_sdo || put_value(&b, obs->sdo)) && put_uint(&b, obs->n_objects);
    for (size_t i = 0; ok && i < obs->n_objects; i++) {
        const char *key = obs->objects[i].key;
        uint8_t has_key = key ? 1 : 0;
        size_t kl = key ? strlen(key) : 0;
        ok = put_bytes(&b, &has_key, 1) && (!has_key || (put_uint(&b, kl) && put_bytes(&b, key, kl))) &&
             put_value(&b, obs->objects[i].value);
    }
    if (!ok) {
        storm_buf_free(&b);
        return NULL;
    }
    size_t bound = ZSTD_compressBound(b.len);
    uint8_t *out = malloc(10 + bound);
    if (!out) {
        storm_buf_free(&b);
        return NULL;
    }
    /* the head (the plain length and the dictionary flag) is written
     * after the frame, which says whether the dictionary was used: room for
     * the longest head first, then the frame moved up behind the real one */
    bool with_dict;
    size_t zlen = compress_all(pk, out + 10, bound, b.data, b.len, &with_dict);
    size_t head = 0;
    for (uint64_t v = (uint64_t)b.len << 1 | with_dict;; v >>= 7) {
        out[head++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7))
            break;
    }
    if (zlen)
        memmove(out + head, out + 10, zlen);
    storm_buf_free(&b);
    /* held for as long as a partial match holds it: no slack */
    uint8_t *exact = zlen ? realloc(out, head + zlen) : NULL;
    if (!exact) {
        free(out);
        return NULL;
    }
    *len = head + zlen;
    return exact;
}

typedef struct reader {
    const uint8_t *p, *end;
    storm_arena *a;
} reader;

static bool get_bytes(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static bool get_uint(reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t byte = *r->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool get_size(reader *r, size_t *out)
{
    uint64_t v;
    if (!get_uint(r, &v) || v > (uint64_t)(r->end - r->p) + 1000000000u)
        return false;
    *out = (size_t)v;
    return true;
}

static bool get_u64(reader *r, uint64_t *out)
{
    return get_bytes(r, out, sizeof *out);
}

/* The same constructors storm_v_copy uses, so the tree is the copy's. */
static storm_value *get_value(reader *r, int depth)
{
    uint8_t tag;
    if (depth > UNPACK_MAX_DEPTH || !get_bytes(r, &tag, 1))
        return NULL;
    uint64_t pos = STORM_POS_NONE;
    if ((tag & TAG_HAS_POS) && !get_uint(r, &pos))
        return NULL;
    storm_value *v = NULL;
    switch ((storm_vtype)(tag & ~TAG_HAS_POS)) {
    case STORM_V_NULL: v = storm_v_null(r->a); break;
    case STORM_V_BOOL: {
        uint8_t x;
        v = get_bytes(r, &x, 1) ? storm_v_bool(r->a, x != 0) : NULL;
        break;
    }
    case STORM_V_INT: {
        uint64_t x;
        v = get_u64(r, &x) ? storm_v_int(r->a, (int64_t)x) : NULL;
        break;
    }
    case STORM_V_FLOAT: {
        uint64_t x;
        double f;
        if (get_u64(r, &x)) {
            memcpy(&f, &x, sizeof f);
            v = storm_v_float(r->a, f);
        }
        break;
    }
    case STORM_V_STRING: {
        size_t n;
        if (get_size(r, &n) && (size_t)(r->end - r->p) >= n) {
            v = storm_v_strn(r->a, (const char *)r->p, n);
            r->p += n;
        }
        break;
    }
    case STORM_V_ARRAY: {
        size_t n;
        if (!get_size(r, &n))
            return NULL;
        v = storm_v_array(r->a);
        for (size_t i = 0; v && i < n; i++)
            if (storm_v_push(r->a, v, get_value(r, depth + 1)) != 0)
                return NULL;
        break;
    }
    case STORM_V_OBJECT: {
        size_t n;
        if (!get_size(r, &n))
            return NULL;
        v = storm_v_object(r->a);
        for (size_t i = 0; v && i < n; i++) {
            size_t kl;
            if (!get_size(r, &kl) || (size_t)(r->end - r->p) < kl)
                return NULL;
            const char *key = (const char *)r->p;
            r->p += kl;
            storm_value *mv = get_value(r, depth + 1);
            if (!mv || storm_v_setn(r->a, v, key, kl, mv) != 0)
                return NULL;
        }
        break;
    }
    default: return NULL;
    }
    if (v)
        v->pos = (uint32_t)pos;
    return v;
}

bool obs_unpack(obs_packer *pk, const uint8_t *packed, size_t packed_len, const char *id, storm_arena *a,
                storm_observation *out)
{
    memset(out, 0, sizeof *out);
    out->id = id;
    reader z = {packed, packed + packed_len, a};
    uint64_t head;
    if (!get_uint(&z, &head) || head >> 1 > PACK_MAX)
        return false;
    uint64_t plain = head >> 1;
    bool with_dict = head & 1;
    if (with_dict && (!pk || !pk->ddict))
        return false; /* not this packer's bytes */
    if (with_dict && !pk->dz && !(pk->dz = ZSTD_createDCtx()))
        return false;
    uint8_t *p = storm_arena_alloc(a, plain ? (size_t)plain : 1);
    if (!p)
        return false;
    size_t len = with_dict ? ZSTD_decompress_usingDDict(pk->dz, p, (size_t)plain, z.p, (size_t)(z.end - z.p), pk->ddict)
                           : ZSTD_decompress(p, (size_t)plain, z.p, (size_t)(z.end - z.p));
    if (ZSTD_isError(len) || len != plain)
        return false;
    reader r = {p, p + len, a};
    uint64_t index, first, last, number, n_objects;
    uint8_t has_sdo;
    if (!get_uint(&r, &index) || !get_u64(&r, &first) || !get_u64(&r, &last) || !get_u64(&r, &number) ||
        !get_bytes(&r, &has_sdo, 1))
        return false;
    out->index = (size_t)index;
    out->first_observed = (storm_time_ns)first;
    out->last_observed = (storm_time_ns)last;
    out->number_observed = (int64_t)number;
    if (has_sdo && !(out->sdo = get_value(&r, 0)))
        return false;
    if (!get_uint(&r, &n_objects) || n_objects > len)
        return false;
    out->n_objects = (size_t)n_objects;
    out->objects = n_objects ? storm_arena_calloc(a, (size_t)n_objects, sizeof *out->objects) : NULL;
    if (n_objects && !out->objects)
        return false;
    for (size_t i = 0; i < out->n_objects; i++) {
        uint8_t has_key;
        if (!get_bytes(&r, &has_key, 1))
            return false;
        if (has_key) {
            size_t kl;
            if (!get_size(&r, &kl) || (size_t)(r.end - r.p) < kl)
                return false;
            out->objects[i].key = storm_arena_strndup(a, (const char *)r.p, kl);
            r.p += kl;
            if (!out->objects[i].key)
                return false;
        }
        if (!(out->objects[i].value = get_value(&r, 0)))
            return false;
    }
    return r.p == r.end;
}
