/* SPDX-License-Identifier: Apache-2.0 */
/* Compact JSON text of observation value trees, for output. Writes the same
 * bytes as storm_json_write(STORM_JSONW_COMPACT) (test_stix checks this on
 * every corpus observation) but reserves room once per string and copies
 * unescaped runs whole: writing bundles is most of `storm convert`'s time. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <storm/json.h>

#include "stix_int.h"

/* 1 for bytes a JSON string must escape */
static const unsigned char ESCAPE[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
};

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
    if (i < len && len - i < 8) {
        /* the last bytes, padded with a byte that needs no escape */
        uint64_t w = 0x6161616161616161ULL;
        memcpy(&w, s + i, len - i);
        if (!word_needs_escape(w))
            return len;
    }
    while (i < len && !ESCAPE[(unsigned char)s[i]])
        i++;
    return i;
}

/* The JSON string of s[0..len) at o, which has room for len * 6 + 2 bytes;
 * returns the end. */
static char *string_into(char *o, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '"';
    size_t i = 0;
    while (i < len) {
        size_t run = clean_run(s, i, len);
        memcpy(o, s + i, run - i);
        o += run - i;
        if (run == len)
            break;
        unsigned char c = (unsigned char)s[run];
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
        i = run + 1;
    }
    *o++ = '"';
    return o;
}

/* before, the string, after: one reservation (before/after are 0 or 1
 * punctuation bytes: the ',' before a member, the ':' after its key). */
static storm_rc put_string_framed(storm_buf *b, char before, const char *s, size_t len, char after)
{
    size_t extra = (before != 0) + (after != 0);
    if (len > (SIZE_MAX - 4) / 6 || len * 6 + 2 + extra > b->cap - b->len) {
        /* worst case does not fit the cap: let the exact writer decide */
        storm_rc rc = before ? storm_buf_putc(b, before) : STORM_OK;
        if (!rc)
            rc = storm_json_write_string(b, s, len);
        if (!rc && after)
            rc = storm_buf_putc(b, after);
        return rc;
    }
    storm_rc rc = reserve(b, len * 6 + 2 + extra);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    if (before)
        *o++ = before;
    o = string_into(o, s, len);
    if (after)
        *o++ = after;
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return STORM_OK;
}

static storm_rc put_string(storm_buf *b, const char *s, size_t len)
{
    return put_string_framed(b, 0, s, len, 0);
}

static storm_rc put_raw(storm_buf *b, const char *s, size_t n)
{
    storm_rc rc = reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return STORM_OK;
}

static storm_rc put_int(storm_buf *b, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    return put_raw(b, tmp + sizeof tmp - n, n);
}

static storm_rc put_value(storm_buf *b, const storm_value *v, int depth)
{
    storm_rc rc = STORM_OK;
    if (!v)
        return put_raw(b, "null", 4);
    if (depth > STORM_JSON_MAX_DEPTH)
        return STORM_ERR_LIMIT;
    switch (v->type) {
    case STORM_V_NULL: return put_raw(b, "null", 4);
    case STORM_V_BOOL: return v->u.b ? put_raw(b, "true", 4) : put_raw(b, "false", 5);
    case STORM_V_INT: return put_int(b, v->u.i);
    case STORM_V_FLOAT: return storm_json_write(b, v, STORM_JSONW_COMPACT); /* rare: one formatter */
    case STORM_V_STRING: return put_string(b, v->u.s.ptr, v->u.s.len);
    case STORM_V_ARRAY:
        rc = put_raw(b, "[", 1);
        for (size_t i = 0; i < v->u.a.len && !rc; i++) {
            if (i)
                rc = put_raw(b, ",", 1);
            if (!rc)
                rc = put_value(b, v->u.a.items[i], depth + 1);
        }
        return rc ? rc : put_raw(b, "]", 1);
    case STORM_V_OBJECT:
        rc = put_raw(b, "{", 1);
        for (size_t i = 0; i < v->u.o.len && !rc; i++) {
            const storm_member *m = &v->u.o.members[i];
            rc = put_string_framed(b, i ? ',' : 0, m->key, m->key_len, ':');
            if (!rc)
                rc = put_value(b, m->value, depth + 1);
        }
        return rc ? rc : put_raw(b, "}", 1);
    }
    return STORM_ERR_VALUE;
}

storm_rc stix_json_write(storm_buf *out, const storm_value *v)
{
    return put_value(out, v, 0);
}
