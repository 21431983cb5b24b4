/* SPDX-License-Identifier: Apache-2.0 */
/* Value-tree building for the observation model (see stix_int.h). */
#include <stdint.h>
#include <string.h>

#include "stix_int.h"

/* Blocks of this size; pieces over a quarter of it go to the arena
 * directly, so that at most a quarter block is left unused per block. */
#define SB_BLOCK 4096

void *sb_alloc_slow(stix_b *b, size_t size)
{
    void *p;
    if (!size)
        size = 8; /* a distinct non-NULL piece, as the arena gives */
    if (size > SB_BLOCK / 4) {
        p = storm_arena_alloc(b->a, size);
    } else {
        char *blk = storm_arena_alloc(b->a, SB_BLOCK);
        if (blk) {
            b->cur = blk + size;
            b->left = SB_BLOCK - size;
            return blk;
        }
        /* an arena with a cap nearly reached: the piece alone may still fit */
        p = storm_arena_alloc(b->a, size);
    }
    if (!p)
        b->oom = true;
    return p;
}

char *sb_strndup(stix_b *b, const char *s, size_t len)
{
    char *p = sb_alloc(b, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void sb_putn_grow(stix_b *b, storm_value *obj, const char *key, size_t klen, storm_value *v)
{
    if (!obj || !v)
        return;
    if (obj->u.o.len == obj->u.o.alloc) {
        size_t na = obj->u.o.alloc ? obj->u.o.alloc * 2 : 8;
        storm_member *ms = sb_alloc(b, na * sizeof *ms);
        if (!ms) {
            b->oom = true;
            return;
        }
        if (obj->u.o.len)
            memcpy(ms, obj->u.o.members, obj->u.o.len * sizeof *ms);
        obj->u.o.members = ms;
        obj->u.o.alloc = na;
    }
    obj->u.o.members[obj->u.o.len++] = (storm_member){key, klen, v};
}

void sb_push_grow(stix_b *b, storm_value *arr, storm_value *v)
{
    if (!arr || !v)
        return;
    if (arr->u.a.len == arr->u.a.alloc) {
        size_t na = arr->u.a.alloc ? arr->u.a.alloc * 2 : 4;
        storm_value **items = sb_alloc(b, na * sizeof *items);
        if (!items) {
            b->oom = true;
            return;
        }
        if (arr->u.a.len)
            memcpy(items, arr->u.a.items, arr->u.a.len * sizeof *items);
        arr->u.a.items = items;
        arr->u.a.alloc = na;
    }
    arr->u.a.items[arr->u.a.len++] = v;
}

storm_value *sb_int(stix_b *b, int64_t i)
{
    storm_value *v = sb_value(b);
    if (!v)
        return NULL;
    v->type = STORM_V_INT;
    v->pos = STORM_POS_NONE;
    v->u.i = i;
    return v;
}

/* STIX 2.1 section 2.7: dictionary keys are ASCII letters, digits, '-' and
 * '_', 3 to 250 characters; SCOs want them lower case. Sensor keys
 * ("proc.cmdline", "app.kubernetes.io/name") are mapped: lower-cased, every
 * other byte becomes '_', cut to 250, padded with '_' to 3; a mapped key that
 * collides with an earlier one gets "_2", "_3", ... (docs/mapping.md). */
#define DICT_KEY_MIN 3
#define DICT_KEY_MAX 250

static bool key_byte_ok(unsigned char c)
{
    return (unsigned char)(c - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '_' || c == '-';
}

/* key_ok eight bytes at a time (clean() checks every key of every sensor
 * object on each event, and a test per byte was most of its cost). Each
 * byte of x has its high bit clear; a byte lies in [lo, hi] when adding
 * 0x80 - lo sets its high bit and adding 0x7f - hi does not (no carry
 * crosses into the next byte: both sums stay below 0x100). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

static inline uint64_t bytes_in(uint64_t x, unsigned lo, unsigned hi)
{
    return (x + ONES * (0x80u - lo)) & ~(x + ONES * (0x7fu - hi)) & HIGH;
}

static inline bool key_word_ok(uint64_t x)
{
    if (x & HIGH)
        return false;
    return (bytes_in(x, 'a', 'z') | bytes_in(x, '0', '9') | bytes_in(x, '_', '_') | bytes_in(x, '-', '-')) == HIGH;
}

static inline bool key_fast_ok(const char *k, size_t n)
{
    if (n < DICT_KEY_MIN || n > DICT_KEY_MAX)
        return false;
    uint64_t x;
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, k + i, 8);
            if (!key_word_ok(x))
                return false;
        }
        memcpy(&x, k + n - 8, 8); /* the tail, overlapping what was checked */
        return key_word_ok(x);
    }
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, k, 4);
        memcpy(&hi, k + n - 4, 4);
        return key_word_ok((uint64_t)lo | (uint64_t)hi << 32);
    }
    return key_byte_ok((unsigned char)k[0]) && key_byte_ok((unsigned char)k[1]) && key_byte_ok((unsigned char)k[2]);
}
#undef ONES
#undef HIGH

/* A 6-bit summary of a valid key (length, first two and last bytes): keys
 * with different summaries differ, so clean() compares a key with the
 * earlier ones only when its summary was seen before. */
static inline unsigned key_sig(const char *k, size_t n)
{
    return (unsigned)(n * 7u + (unsigned char)k[0] * 3u + (unsigned char)k[1] + (unsigned char)k[n - 1] * 5u) & 63u;
}

static bool key_ok(const char *k, size_t n)
{
    if (n < DICT_KEY_MIN || n > DICT_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!key_byte_ok((unsigned char)k[i]))
            return false;
    return true;
}

static bool key_taken(const storm_value *obj, const char *k, size_t n)
{
    for (size_t j = 0; j < obj->u.o.len; j++)
        if (obj->u.o.members[j].key_len == n && memcmp(obj->u.o.members[j].key, k, n) == 0)
            return true;
    return false;
}

/* The mapped form of key[0..n) into out (DICT_KEY_MAX + 1 bytes); its length. */
static size_t key_map(const char *key, size_t n, char *out)
{
    size_t m = n < DICT_KEY_MAX ? n : DICT_KEY_MAX;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        out[i] = key_byte_ok(c) ? (char)c : '_';
    }
    while (m < DICT_KEY_MIN)
        out[m++] = '_';
    out[m] = '\0';
    return m;
}

#define SANITIZE_MAX_DEPTH 64

static storm_value *sanitized(stix_b *b, const storm_value *v, int depth)
{
    if (!v || depth > SANITIZE_MAX_DEPTH)
        return NULL;
    switch (v->type) {
    case STORM_V_NULL: return NULL;
    case STORM_V_STRING: return v->u.s.len ? (storm_value *)v : NULL;
    case STORM_V_BOOL:
    case STORM_V_INT:
    case STORM_V_FLOAT: return (storm_value *)v;
    case STORM_V_ARRAY: {
        storm_value *arr = sb_arr(b, v->u.a.len);
        for (size_t i = 0; i < v->u.a.len; i++)
            sb_push(b, arr, sanitized(b, v->u.a.items[i], depth + 1));
        return arr && arr->u.a.len ? arr : NULL;
    }
    case STORM_V_OBJECT: {
        storm_value *obj = sb_obj(b, v->u.o.len);
        /* the sensor key each output member came from: the same sensor key
         * twice is one member (the later wins, as on lookup); two sensor keys
         * that map alike are two members */
        const storm_member **from = v->u.o.len ? sb_alloc(b, v->u.o.len * sizeof *from) : NULL;
        if (v->u.o.len && !from) {
            b->oom = true;
            return NULL;
        }
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            storm_value *c = sanitized(b, m->value, depth + 1);
            if (!c || !m->key_len || !obj)
                continue;
            bool replaced = false;
            for (size_t j = 0; j < obj->u.o.len; j++)
                if (from[j]->key_len == m->key_len && memcmp(from[j]->key, m->key, m->key_len) == 0) {
                    obj->u.o.members[j].value = c;
                    replaced = true;
                    break;
                }
            if (replaced)
                continue;
            const char *key = m->key;
            size_t klen = m->key_len;
            if (!key_ok(key, klen) || key_taken(obj, key, klen)) {
                char tmp[DICT_KEY_MAX + 16];
                size_t n = key_map(m->key, m->key_len, tmp);
                if (key_taken(obj, tmp, n)) {
                    char base[DICT_KEY_MAX + 1];
                    memcpy(base, tmp, n);
                    for (unsigned suffix = 2;; suffix++) {
                        char sfx[16];
                        size_t sl = 0;
                        sfx[sl++] = '_';
                        char digits[12];
                        size_t nd = 0;
                        for (unsigned x = suffix; x; x /= 10)
                            digits[nd++] = (char)('0' + x % 10);
                        while (nd)
                            sfx[sl++] = digits[--nd];
                        size_t keep = n + sl <= DICT_KEY_MAX ? n : DICT_KEY_MAX - sl;
                        memcpy(tmp, base, keep);
                        memcpy(tmp + keep, sfx, sl);
                        if (!key_taken(obj, tmp, keep + sl)) {
                            n = keep + sl;
                            break;
                        }
                    }
                }
                char *k = sb_strndup(b, tmp, n);
                if (!k) {
                    b->oom = true;
                    return NULL;
                }
                key = k;
                klen = n;
            }
            from[obj->u.o.len] = m;
            obj->u.o.members[obj->u.o.len++] = (storm_member){key, klen, c};
        }
        return obj && obj->u.o.len ? obj : NULL;
    }
    }
    return NULL;
}

/* Already fit for an SCO (no null, no empty value, every key a valid
 * dictionary key, no duplicate)? Then it is borrowed as is: the common case,
 * and no copy on the hot path. */
static bool clean(const storm_value *v, int depth)
{
    if (depth > SANITIZE_MAX_DEPTH)
        return false;
    switch (v->type) {
    case STORM_V_NULL: return false;
    case STORM_V_STRING: return v->u.s.len > 0;
    case STORM_V_ARRAY:
        if (!v->u.a.len)
            return false;
        for (size_t i = 0; i < v->u.a.len; i++) {
            const storm_value *it = v->u.a.items[i];
            /* strings (capability lists, arguments) without a call each;
             * at the depth limit the call says no, as for any value */
            if (it->type == STORM_V_STRING && depth < SANITIZE_MAX_DEPTH ? !it->u.s.len : !clean(it, depth + 1))
                return false;
        }
        return true;
    case STORM_V_OBJECT:
        if (!v->u.o.len)
            return false;
        uint64_t seen = 0; /* key_sig bits of the keys before i */
        for (size_t i = 0; i < v->u.o.len; i++) {
            const storm_member *m = &v->u.o.members[i];
            const storm_value *mv = m->value;
            if (!key_fast_ok(m->key, m->key_len) ||
                (mv->type == STORM_V_STRING && depth < SANITIZE_MAX_DEPTH ? !mv->u.s.len : !clean(mv, depth + 1)))
                return false;
            uint64_t bit = (uint64_t)1 << key_sig(m->key, m->key_len);
            if (seen & bit)
                for (size_t j = 0; j < i; j++) /* duplicate keys: let the copy keep the last */
                    if (v->u.o.members[j].key_len == m->key_len &&
                        memcmp(v->u.o.members[j].key, m->key, m->key_len) == 0)
                        return false;
            seen |= bit;
        }
        return true;
    default: return true;
    }
}

storm_value *sb_sanitized(stix_b *b, const storm_value *v)
{
    if (!v)
        return NULL;
    if (clean(v, 0))
        return (storm_value *)v;
    return sanitized(b, v, 0);
}

/* "00".."99": two digits in one move (stix_time_text runs for every time
 * of every observation). */
static const char pairs[] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
    "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

static char *two(char *o, unsigned v)
{
    memcpy(o, pairs + 2 * v, 2); /* v < 100 */
    return o + 2;
}

size_t stix_time_text(storm_time_ns t, int min_digits, char out[40])
{
    int64_t secs = t / 1000000000LL, ns = t % 1000000000LL;
    if (ns < 0) {
        ns += 1000000000LL;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* the date of the last call: times of one stream mostly share a day */
    static _Thread_local int64_t last_days = INT64_MIN;
    static _Thread_local char last_date[11];
    if (days != last_days) {
        int64_t y;
        unsigned m, d;
        storm_civil_from_days(days, &y, &m, &d);
        char *q = last_date;
        q = two(q, (unsigned)(y / 100 % 100));
        q = two(q, (unsigned)(y % 100));
        *q++ = '-';
        q = two(q, m);
        *q++ = '-';
        q = two(q, d);
        *q = 'T';
        last_days = days;
    }
    char *o = out;
    memcpy(o, last_date, 11);
    o += 11;
    o = two(o, (unsigned)(rem / 3600));
    *o++ = ':';
    o = two(o, (unsigned)(rem / 60 % 60));
    *o++ = ':';
    o = two(o, (unsigned)(rem % 60));
    /* microseconds, truncated (storm_time_format_stix): the six digits
     * written as two groups of three (a digit and a pair from pairs), then
     * the trailing zeros past min_digits dropped, and the '.' too when
     * none is left; a digit at a time with a division each was most of
     * this function's cost */
    *o = '.';
    unsigned f = (unsigned)ns / 1000u, groups[2] = {f / 1000u, f % 1000u};
    for (int g = 0; g < 2; g++) {
        unsigned x = groups[g];
        o[1 + 3 * g] = (char)('0' + x / 100u);
        memcpy(o + 2 + 3 * g, pairs + 2 * (x % 100u), 2);
    }
    int nd = 6;
    while (nd > min_digits && o[nd] == '0')
        nd--;
    o += nd ? nd + 1 : 0;
    *o++ = 'Z';
    *o = '\0';
    return (size_t)(o - out);
}
