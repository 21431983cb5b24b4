/* SPDX-License-Identifier: Apache-2.0 */
/* Compact JSON text (storm_json_write(STORM_JSONW_COMPACT)): the bytes of
 * the piecewise writer (json_write.c; test_json and test_stix check this on
 * every corpus observation) but room is reserved once per string and
 * unescaped runs are copied whole, sixteen bytes at a time: writing
 * sightings and observations is most of storm run's and storm convert's
 * output work. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <storm/decimal.h>
#include <storm/json.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json_write_int.h"

#if !defined(__SSE2__)
/* 1 for bytes a JSON string must escape */
static const unsigned char ESCAPE[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
};
#endif

/* Make room for n more bytes (and the NUL) without writing them. */
static storm_rc reserve(storm_buf *b, size_t n)
{
    if (b->data && b->alloc - b->len > n)
        return STORM_OK;
    static const char zeros[4096];
    size_t len = b->len;
    while (!b->data || b->alloc - b->len <= n) {
        size_t k = n + 1 - (b->data ? b->alloc - b->len : 0);
        storm_rc rc = storm_buf_append(b, zeros, k < sizeof zeros ? k : sizeof zeros);
        if (rc) {
            b->len = len;
            if (b->data)
                b->data[len] = '\0';
            return rc;
        }
    }
    b->len = len;
    return STORM_OK;
}

/* The escape of byte c (one that needs one) at o; returns the end. */
static inline char *escape_into(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    return o;
}

/* Room string_into needs for a string of len bytes. */
#define STRING_ROOM(len) ((len)*6 + 32)

#if defined(__SSE2__)
/* Bytes of v that need an escape: '"', '\\', or below 0x20 (UTF-8 bytes,
 * >= 0x80, pass: unsigned max(v, 0x1f) == 0x1f only for bytes <= 0x1f). */
static inline unsigned escape_mask(__m128i v)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), low = _mm_set1_epi8(0x1f);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                               _mm_cmpeq_epi8(_mm_max_epu8(v, low), low));
    return (unsigned)_mm_movemask_epi8(hit);
}

/* Does byte c need an escape? */
static inline bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* The last n (1..15) bytes of a string, t[0..n), at o: two overlapping
 * loads of 8 (or 4) bytes cover them without reading past t + n and
 * without a call (keys and most values are shorter than sixteen bytes);
 * bytes are taken one by one only below four or when one needs an escape.
 * Returns the end. */
static inline char *tail_into(char *o, const char *t, size_t n)
{
    if (n >= 8) {
        __m128i a = _mm_loadl_epi64((const __m128i *)(const void *)t);
        __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(t + n - 8));
        if (!((escape_mask(a) | escape_mask(b)) & 0xff)) {
            _mm_storel_epi64((__m128i *)(void *)o, a);
            _mm_storel_epi64((__m128i *)(void *)(o + n - 8), b);
            return o + n;
        }
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, t, 4);
        memcpy(&y, t + n - 4, 4);
        if (!((escape_mask(_mm_cvtsi32_si128((int)x)) | escape_mask(_mm_cvtsi32_si128((int)y))) & 0xf)) {
            memcpy(o, &x, 4);
            memcpy(o + n - 4, &y, 4);
            return o + n;
        }
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)t[k];
        if (needs_escape(c))
            o = escape_into(o, c);
        else
            *o++ = (char)c;
    }
    return o;
}

/* The JSON string of s[0..len) at o, which has STRING_ROOM(len) bytes of
 * room; returns the end. Sixteen bytes are copied at a time, whole, before
 * looking at them (the room allows the overshoot); s is never read past
 * len. */
static inline __attribute__((always_inline)) char *string_into(char *o, const char *s, size_t len)
{
    *o++ = '"';
    size_t i = 0;
    while (len - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        _mm_storeu_si128((__m128i *)(void *)o, v);
        unsigned mask = escape_mask(v);
        if (!mask) {
            o += 16;
            i += 16;
            continue;
        }
        unsigned k = (unsigned)__builtin_ctz(mask);
        o = escape_into(o + k, (unsigned char)s[i + k]);
        i += k + 1;
    }
    if (i < len)
        o = tail_into(o, s + i, len - i);
    *o++ = '"';
    return o;
}
#else
/* Does the 8-byte word hold a byte that must be escaped ('"', '\\', or a
 * control character below 0x20)? Word-at-a-time: the classic "has a zero
 * byte" test on w ^ '"'..., w ^ '\\'..., and "has a byte < 0x20". Bytes >=
 * 0x80 (UTF-8) never count: their high bit is masked out by ~w. */
static inline bool word_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    uint64_t zq = (q - ones) & ~q, zb = (bs - ones) & ~bs, lt = (w - ones * 0x20) & ~w;
    return ((zq | zb | lt) & highs) != 0;
}

/* End of the run of bytes from i that need no escape. */
static inline size_t clean_run(const char *s, size_t i, size_t len)
{
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w))
            break;
        i += 8;
    }
    while (i < len && !ESCAPE[(unsigned char)s[i]])
        i++;
    return i;
}

/* The JSON string of s[0..len) at o, which has STRING_ROOM(len) bytes of
 * room; returns the end. */
static inline __attribute__((always_inline)) char *string_into(char *o, const char *s, size_t len)
{
    *o++ = '"';
    size_t i = 0;
    while (i < len) {
        size_t run = clean_run(s, i, len);
        memcpy(o, s + i, run - i);
        o += run - i;
        if (run == len)
            break;
        o = escape_into(o, (unsigned char)s[run]);
        i = run + 1;
    }
    *o++ = '"';
    return o;
}
#endif

/* A cursor into the buffer's spare room: values are written through it
 * without a length update, a NUL and a capacity check per piece; room is
 * asked for once per string (its worst case) or once per 4 KiB of
 * punctuation and numbers. */
typedef struct cursor {
    storm_buf *b;
    char *o, *end; /* end: last byte usable before the NUL */
} cursor;

#define CURSOR_CHUNK 4096

static void cursor_sync(cursor *c)
{
    c->b->len = (size_t)(c->o - c->b->data);
    c->b->data[c->b->len] = '\0';
}

/* Room for n bytes at c->o, when what is left is too little. */
static __attribute__((noinline)) storm_rc cursor_grow(cursor *c, size_t n)
{
    cursor_sync(c);
    size_t want = n > CURSOR_CHUNK ? n : CURSOR_CHUNK;
    /* near the cap, the exact need may still fit */
    storm_rc rc = reserve(c->b, want);
    if (rc && want > n)
        rc = reserve(c->b, n);
    if (rc)
        return rc;
    c->o = c->b->data + c->b->len;
    c->end = c->b->data + c->b->alloc - 1;
    return STORM_OK;
}

/* Room for n bytes at c->o: one test inline, growing out of line. */
static inline storm_rc cursor_need(cursor *c, size_t n)
{
    if ((size_t)(c->end - c->o) >= n)
        return STORM_OK;
    return cursor_grow(c, n);
}

static inline storm_rc cursor_raw(cursor *c, const char *s, size_t n)
{
    storm_rc rc = cursor_need(c, n);
    if (rc)
        return rc;
    memcpy(c->o, s, n);
    c->o += n;
    return STORM_OK;
}

static inline storm_rc cursor_byte(cursor *c, char ch)
{
    storm_rc rc = cursor_need(c, 1);
    if (rc)
        return rc;
    *c->o++ = ch;
    return STORM_OK;
}

/* cursor_string when the worst case does not fit the cap: the exact writer
 * decides (out of line: the common case stays free of its calls). */
static __attribute__((noinline)) storm_rc cursor_string_exact(cursor *c, char before, const char *s, size_t len,
                                                              char after)
{
    cursor_sync(c);
    storm_buf *b = c->b;
    storm_rc rc = before ? storm_buf_putc(b, before) : STORM_OK;
    if (!rc)
        rc = json_write_string_exact(b, s, len);
    if (!rc && after)
        rc = storm_buf_putc(b, after);
    if (rc)
        return rc;
    c->o = b->data + b->len;
    c->end = b->data + b->alloc - 1;
    return STORM_OK;
}

/* before, the string, after (before/after are 0 or 1 punctuation byte: the
 * ',' before a member, the ':' after its key). */
static inline storm_rc cursor_string(cursor *c, char before, const char *s, size_t len, char after)
{
    size_t used = (size_t)(c->o - c->b->data);
    if (len > (SIZE_MAX - 64) / 6 || used > c->b->cap || STRING_ROOM(len) > c->b->cap - used)
        return cursor_string_exact(c, before, s, len, after);
    storm_rc rc = cursor_need(c, STRING_ROOM(len));
    if (rc)
        return rc;
    if (before)
        *c->o++ = before;
    c->o = string_into(c->o, s, len);
    if (after)
        *c->o++ = after;
    return STORM_OK;
}

static storm_rc cursor_int(cursor *c, int64_t v)
{
    char tmp[STORM_DECIMAL_MAX];
    return cursor_raw(c, tmp, storm_decimal(v, tmp));
}

static storm_rc put_value(cursor *c, const storm_value *v, int depth)
{
    storm_rc rc = STORM_OK;
    if (!v)
        return cursor_raw(c, "null", 4);
    if (depth > STORM_JSON_MAX_DEPTH)
        return STORM_ERR_LIMIT;
    switch (v->type) {
    case STORM_V_NULL: return cursor_raw(c, "null", 4);
    case STORM_V_BOOL: return v->u.b ? cursor_raw(c, "true", 4) : cursor_raw(c, "false", 5);
    case STORM_V_INT: return cursor_int(c, v->u.i);
    case STORM_V_FLOAT: /* rare: one formatter */
        cursor_sync(c);
        rc = json_write_piecewise(c->b, v, STORM_JSONW_COMPACT);
        c->o = c->b->data + c->b->len;
        c->end = c->b->data + c->b->alloc - 1;
        return rc;
    case STORM_V_STRING: return cursor_string(c, 0, v->u.s.ptr, v->u.s.len, 0);
    case STORM_V_ARRAY:
        rc = cursor_byte(c, '[');
        for (size_t i = 0; i < v->u.a.len && !rc; i++) {
            if (i)
                rc = cursor_byte(c, ',');
            if (!rc)
                rc = put_value(c, v->u.a.items[i], depth + 1);
        }
        return rc ? rc : cursor_byte(c, ']');
    case STORM_V_OBJECT:
        rc = cursor_byte(c, '{');
        for (size_t i = 0; i < v->u.o.len && !rc; i++) {
            const storm_member *m = &v->u.o.members[i];
            rc = cursor_string(c, i ? ',' : 0, m->key, m->key_len, ':');
            if (!rc)
                rc = put_value(c, m->value, depth + 1);
        }
        return rc ? rc : cursor_byte(c, '}');
    }
    return STORM_ERR_VALUE;
}

bool json_string_fits(const storm_buf *out, size_t len)
{
    return len <= (SIZE_MAX - 64) / 6 && out->len <= out->cap && STRING_ROOM(len) <= out->cap - out->len;
}

storm_rc json_write_string_room(storm_buf *out, const char *s, size_t len)
{
    storm_rc rc = reserve(out, STRING_ROOM(len));
    if (rc)
        return rc;
    char *end = string_into(out->data + out->len, s, len);
    out->len = (size_t)(end - out->data);
    out->data[out->len] = '\0';
    return STORM_OK;
}

storm_rc json_write_compact(storm_buf *out, const storm_value *v)
{
    size_t len0 = out->len;
    storm_rc rc = reserve(out, CURSOR_CHUNK);
    if (rc)
        rc = reserve(out, 64);
    if (rc)
        return rc;
    cursor c = {out, out->data + out->len, out->data + out->alloc - 1};
    rc = put_value(&c, v, 0);
    if (rc) {
        /* as the piecewise writer: what was written stays, NUL-terminated */
        if (c.o < out->data + len0)
            c.o = out->data + len0;
    }
    cursor_sync(&c);
    return rc;
}
