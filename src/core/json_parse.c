/* SPDX-License-Identifier: Apache-2.0 */
/* Arena-backed JSON parser (RFC 8259). Written for the event hot path: one
 * pass, no per-node malloc, strings copied once. Differentially tested against
 * cJSON in tests/core/test_json.c and tests/core/fuzz_json.c. */
#include <storm/json.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <storm/codec.h>
#include <storm/utf8.h>

#define SCRATCH_MEMBERS 256
#define SCRATCH_ITEMS 256

typedef struct parser {
    storm_arena *arena;
    const char *s;
    const char *end;
    const char *p;
    storm_err *err;
    int depth;
    /* In place: s..end is the parser's own copy of the text (arena), and
     * strings are NUL-terminated where they stand (escapes decoded in place,
     * never longer than their source) instead of copied one by one. */
    bool in_place;
    /* Every offset fits a value's 32-bit pos (no clamp per value). */
    bool pos_fits;
    /* String copies are carved from pool chunks of the arena, byte-aligned
     * and without a call per string: a record holds a hundred short strings. */
    char *pool;
    size_t pool_left;
    /* Values likewise, from chunks of VALUE_POOL_COUNT. */
    storm_value *vpool, *vpool_end;
    /* The member and item arrays of closed containers likewise, from chunks
     * of CONTAINER_POOL_CHUNK (8-byte aligned: both are multiples of 8): an
     * event closes a dozen objects. */
    char *cpool;
    size_t cpool_left;
    /* Members and items of the objects and arrays being parsed, nested ones
     * above their parents: each container gets one array of its exact size
     * when it closes, instead of growing (and copying) one in the arena.
     * A container that does not fit goes on growing in the arena. */
    size_t mtop, itop;
    storm_member mstack[SCRATCH_MEMBERS];
    storm_value *istack[SCRATCH_ITEMS];
} parser;

#define VALUE_POOL_COUNT 16 /* 512 bytes of 32-byte values: never a block of its own */

#define STRING_POOL_CHUNK 512 /* a quarter of the smallest arena chunk in use: never a block of its own */
#define STRING_POOL_MAX 128   /* longer strings get an allocation of their own */

#define CONTAINER_POOL_CHUNK 512 /* as the string pool's */
#define CONTAINER_POOL_MAX 192   /* eight members: larger arrays get an allocation of their own */

/* Room for n bytes of string text (arena memory, freed with it). */
static char *string_room(parser *ps, size_t n)
{
    if (n <= ps->pool_left) {
        char *r = ps->pool;
        ps->pool += n;
        ps->pool_left -= n;
        return r;
    }
    if (n <= STRING_POOL_MAX) {
        char *chunk = storm_arena_alloc(ps->arena, STRING_POOL_CHUNK);
        if (chunk) {
            ps->pool = chunk + n;
            ps->pool_left = STRING_POOL_CHUNK - n;
            return chunk;
        }
        /* near the arena's cap: the exact size may still fit */
    }
    return storm_arena_alloc(ps->arena, n);
}

static storm_value *fail(parser *ps, const char *at, const char *msg)
{
    storm_err_set(ps->err, STORM_ERR_SYNTAX, (size_t)(at - ps->s), "%s", msg);
    return NULL;
}

static storm_value *oom(parser *ps)
{
    storm_err_set(ps->err, STORM_ERR_NOMEM, (size_t)(ps->p - ps->s), "out of memory (arena cap reached)");
    return NULL;
}

static inline void skip_ws(parser *ps)
{
    const char *p = ps->p;
    /* compact JSON (every sensor writes it) has none: one test */
    if (p < ps->end && (unsigned char)*p > ' ')
        return;
    while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* A new chunk of the value pool, and its first value; NULL on OOM. */
static __attribute__((noinline)) storm_value *value_pool_refill(parser *ps)
{
    storm_value *v = storm_arena_alloc(ps->arena, VALUE_POOL_COUNT * sizeof *v);
    if (v) {
        ps->vpool = v + 1;
        ps->vpool_end = v + VALUE_POOL_COUNT;
        return v;
    }
    return storm_arena_alloc(ps->arena, sizeof *v); /* near the cap: one may still fit */
}

static inline storm_value *new_value(parser *ps, storm_vtype t, const char *at)
{
    storm_value *v;
    if (ps->vpool != ps->vpool_end) {
        v = ps->vpool++;
    } else {
        v = value_pool_refill(ps);
    }
    if (!v)
        return oom(ps);
    /* the type, the position and the two words of the union every caller
     * reads or sets: no memset of the whole value */
    v->type = t;
    size_t off = (size_t)(at - ps->s);
    v->pos = (uint32_t)(ps->pos_fits || off < STORM_POS_NONE ? off : STORM_POS_NONE);
    v->u.a.items = NULL;
    v->u.a.len = 0;
    v->u.a.alloc = 0;
    return v;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = codec_hex_digit(p[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

#if defined(__SSE2__)
/* The bytes of p[0..16) that end a plain run ('"', '\\', control bytes;
 * bytes >= 0x80 count as negative, so they stop it too), as a bit mask. */
static inline unsigned plain_stops16(const char *p)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space));
    return (unsigned)_mm_movemask_epi8(hit);
}
#endif

/* The first byte at or after p that ends a plain string: '"', '\\', a
 * control character (< 0x20) or a byte that is not ASCII (>= 0x80); end when
 * there is none. Strings are most of an event's bytes, so this is the
 * parser's inner loop: sixteen bytes per step with SSE2 (every x86-64 has
 * it; a signed compare with 0x20 catches both control and non-ASCII bytes),
 * eight with the classic zero-byte tests elsewhere (the lowest flagged byte
 * is exact: false positives only appear above a true one). */
static inline const char *plain_end(const char *p, const char *end)
{
#if defined(__SSE2__)
    while (end - p >= 16) {
        unsigned mask = plain_stops16(p);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t quote = w ^ (ones * '"');
        uint64_t bslash = w ^ (ones * '\\');
        uint64_t any = (w & highs) | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | ((w - ones * 0x20) & ~w);
        any &= highs;
        if (any)
            return p + (__builtin_ctzll(any) >> 3);
        p += 8;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
        p++;
    }
    return p;
}

/* In place, the parser's copy ends in SCAN_PAD bytes: a NUL (which stops
 * every scan: it is a control byte) and zeros, so that a sixteen-byte load
 * at any offset up to the end stays inside the copy. */
#define SCAN_PAD 16

#if defined(__SSE2__)
/* plain_end on the padded copy: no bound per step, the NUL at the end (or an
 * earlier stop) ends the loop. */
static inline const char *plain_end_padded(const char *p)
{
    for (;;) {
        unsigned mask = plain_stops16(p);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
}
#endif

static int parse_string_slow(parser *ps, const char *start, const char *p, const char **out, size_t *out_len);

/* The end of the plain string from start: the closing quote (true), or the
 * first escape, control or non-ASCII byte (false), in *stop. */
static inline bool plain_string_end(const parser *ps, const char *start, const char **stop)
{
#if defined(__SSE2__)
    if (ps->in_place) {
        const char *p = plain_end_padded(start);
        *stop = p;
        return *p == '"'; /* the end holds a NUL, never a quote */
    }
#endif
    const char *p = plain_end(start, ps->end);
    *stop = p;
    return p < ps->end && *p == '"';
}

/* Parses the string starting at ps->p (on the opening quote). The plain case
 * inline, escapes and non-ASCII out of line. */
static inline int parse_string(parser *ps, const char **out, size_t *out_len)
{
    const char *start = ++ps->p;
    const char *p;
    if (!plain_string_end(ps, start, &p))
        return parse_string_slow(ps, start, p, out, out_len);
    size_t n = (size_t)(p - start);
    char *copy;
    if (ps->in_place) {
        copy = (char *)(uintptr_t)start; /* the parser's own copy: writable */
    } else {
        copy = string_room(ps, n + 1);
        if (!copy) {
            oom(ps);
            return -1;
        }
        memcpy(copy, start, n);
    }
    copy[n] = '\0';
    *out = copy;
    *out_len = n;
    ps->p = p + 1;
    return 0;
}

/* The rest of a string from p (the first escape, control or non-ASCII byte):
 * find the end, then decode escapes and check UTF-8. */
static __attribute__((noinline)) int parse_string_slow(parser *ps, const char *start, const char *p, const char **out,
                                                       size_t *out_len)
{
    /* the closing quote: plain runs skipped as in the fast path */
    const char *q = p;
    while (q < ps->end && *q != '"') {
        q += *q == '\\' ? 2 : 1;
        if (q < ps->end)
            q = plain_end(q, ps->end);
    }
    if (q >= ps->end) {
        fail(ps, start - 1, "unterminated string");
        return -1;
    }
    size_t max = (size_t)(q - start);
    size_t n = (size_t)(p - start);
    char *buf;
    if (ps->in_place) {
        buf = (char *)(uintptr_t)start; /* decoding only shrinks: writes stay behind reads */
    } else {
        buf = string_room(ps, max + 1);
        if (!buf) {
            oom(ps);
            return -1;
        }
        memcpy(buf, start, n);
    }
    while (p < q) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            fail(ps, p, "control character in string (must be escaped)");
            return -1;
        }
        if (c >= 0x80) {
            size_t l = storm_utf8_valid_prefix((const unsigned char *)p, (size_t)(q - p));
            if (l == 0) {
                fail(ps, p, "invalid UTF-8 in string");
                return -1;
            }
            memmove(buf + n, p, l);
            n += l;
            p += l;
            continue;
        }
        if (c != '\\') {
            /* a plain run (after an escape or a UTF-8 sequence) */
            const char *r = plain_end(p, q);
            if (r == p)
                r++;
            memmove(buf + n, p, (size_t)(r - p));
            n += (size_t)(r - p);
            p = r;
            continue;
        }
        p++;
        switch (*p) {
        case '"':
            buf[n++] = '"';
            p++;
            break;
        case '\\':
            buf[n++] = '\\';
            p++;
            break;
        case '/':
            buf[n++] = '/';
            p++;
            break;
        case 'b':
            buf[n++] = '\b';
            p++;
            break;
        case 'f':
            buf[n++] = '\f';
            p++;
            break;
        case 'n':
            buf[n++] = '\n';
            p++;
            break;
        case 'r':
            buf[n++] = '\r';
            p++;
            break;
        case 't':
            buf[n++] = '\t';
            p++;
            break;
        case 'u': {
            unsigned cp;
            if (q - p < 5 || hex4(p + 1, &cp) != 0) {
                fail(ps, p - 1, "invalid \\u escape (needs four hex digits)");
                return -1;
            }
            p += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    fail(ps, p - 6, "unpaired UTF-16 surrogate in \\u escape");
                    return -1;
                }
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(ps, p - 6, "unpaired UTF-16 surrogate in \\u escape");
                return -1;
            }
            /* a NUL would hide the rest of the string from every C-string
             * consumer (decoders, patterns): keep it visible as U+FFFD */
            n += storm_utf8_encode(cp ? cp : 0xFFFD, buf + n);
            break;
        }
        default: fail(ps, p - 1, "invalid escape in string"); return -1;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    ps->p = q + 1;
    return 0;
}

static storm_value *parse_number(parser *ps)
{
    const char *start = ps->p, *p = ps->p;
    bool integral = true;
    if (p < ps->end && *p == '-')
        p++;
    if (p >= ps->end || !(*p >= '0' && *p <= '9'))
        return fail(ps, start, "invalid number");
    {
        /* An integer of at most 17 digits (every pid, uid, port and count
         * of an event): its digits scanned and summed in one pass. Anything
         * else (a fraction, an exponent, more digits) is parsed again below. */
        const char *d = p;
        uint64_t v = (uint64_t)(*d++ - '0');
        if (v != 0)
            while (d < ps->end && *d >= '0' && *d <= '9' && d - p < 17)
                v = v * 10 + (uint64_t)(*d++ - '0');
        if (d >= ps->end || (*d != '.' && *d != 'e' && *d != 'E' && (v == 0 || !(*d >= '0' && *d <= '9')))) {
            ps->p = d;
            storm_value *r = new_value(ps, STORM_V_INT, start);
            if (r)
                r->u.i = *start == '-' ? -(int64_t)v : (int64_t)v;
            return r;
        }
    }
    if (*p == '0') {
        p++;
    } else {
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < ps->end && *p == '.') {
        integral = false;
        p++;
        if (p >= ps->end || !(*p >= '0' && *p <= '9'))
            return fail(ps, p, "invalid number: digits expected after '.'");
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < ps->end && (*p == 'e' || *p == 'E')) {
        integral = false;
        p++;
        if (p < ps->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= ps->end || !(*p >= '0' && *p <= '9'))
            return fail(ps, p, "invalid number: digits expected in exponent");
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    ps->p = p;
    size_t n = (size_t)(p - start);
    if (integral && n <= 18) { /* fits int64 without overflow checks */
        int64_t v = 0;
        const char *d = start + (*start == '-');
        for (; d < p; d++)
            v = v * 10 + (*d - '0');
        storm_value *r = new_value(ps, STORM_V_INT, start);
        if (r)
            r->u.i = *start == '-' ? -v : v;
        return r;
    }
    char tmp[64];
    char *heap = NULL;
    char *txt = tmp;
    if (n >= sizeof tmp) {
        heap = malloc(n + 1);
        if (!heap)
            return oom(ps);
        txt = heap;
    }
    memcpy(txt, start, n);
    txt[n] = '\0';
    storm_value *r = NULL;
    if (integral) {
        errno = 0;
        long long v = strtoll(txt, NULL, 10);
        if (errno == 0) {
            r = new_value(ps, STORM_V_INT, start);
            if (r)
                r->u.i = v;
            free(heap);
            return r;
        }
    }
    /* Past the range of a double (1e400) strtod gives +-infinity: still
     * JSON, so it parses; whoever needs the number says it is out of range. */
    double f = strtod(txt, NULL);
    free(heap);
    r = new_value(ps, STORM_V_FLOAT, start);
    if (r)
        r->u.f = f;
    return r;
}

static storm_value *parse_value(parser *ps);
static storm_value *parse_number(parser *ps);

/* A member's or item's value: strings and numbers (most of an event) parsed
 * here without parse_value's call, whitespace and depth steps; anything else
 * (and a scalar at the depth limit, which parse_value reports) goes there. */
static inline __attribute__((always_inline)) storm_value *parse_element(parser *ps)
{
    if (ps->p < ps->end && ps->depth < STORM_JSON_MAX_DEPTH) {
        char c = *ps->p;
        if (c == '"') {
            const char *at = ps->p;
            const char *str;
            size_t len;
            if (parse_string(ps, &str, &len) != 0)
                return NULL;
            storm_value *v = new_value(ps, STORM_V_STRING, at);
            if (v) {
                v->u.s.ptr = str;
                v->u.s.len = len;
            }
            return v;
        }
        if ((c >= '0' && c <= '9') || c == '-') {
            /* the common integer (a pid, uid, port: no sign or a '-', no
             * leading zero, at most 17 digits, then neither a fraction, an
             * exponent nor more digits) without a call; parse_number does
             * the rest, and reports every error */
            const char *at = ps->p, *d = at + (c == '-');
            if (d < ps->end && *d >= '1' && *d <= '9') {
                uint64_t n = (uint64_t)(*d++ - '0');
                const char *stop = ps->end - d > 16 ? d + 16 : ps->end;
                while (d < stop && (unsigned char)(*d - '0') < 10)
                    n = n * 10 + (uint64_t)(*d++ - '0');
                if (d >= ps->end || (*d != '.' && *d != 'e' && *d != 'E' && (unsigned char)(*d - '0') >= 10)) {
                    ps->p = d;
                    storm_value *v = new_value(ps, STORM_V_INT, at);
                    if (v)
                        v->u.i = c == '-' ? -(int64_t)n : (int64_t)n;
                    return v;
                }
            }
            return parse_number(ps);
        }
    }
    return parse_value(ps);
}

/* Room for the n bytes (a multiple of 8) of a closed container's array
 * (arena memory, freed with it); NULL on OOM. */
static void *container_room(parser *ps, size_t n)
{
    if (n <= ps->cpool_left) {
        char *r = ps->cpool;
        ps->cpool += n;
        ps->cpool_left -= n;
        return r;
    }
    if (n <= CONTAINER_POOL_MAX) {
        char *chunk = storm_arena_alloc(ps->arena, CONTAINER_POOL_CHUNK);
        if (chunk) {
            ps->cpool = chunk + n;
            ps->cpool_left = CONTAINER_POOL_CHUNK - n;
            return chunk;
        }
        /* near the arena's cap: the exact size may still fit */
    }
    return storm_arena_alloc(ps->arena, n);
}

/* Moves the items/members kept on the scratch stack since base into an
 * arena array of their exact number; 0 or -1 on OOM. */
static inline int seal_array(parser *ps, storm_value *arr, size_t base)
{
    size_t n = ps->itop - base;
    if (n) {
        storm_value **items = container_room(ps, n * sizeof *items);
        if (!items)
            return -1;
        if (n > 8) {
            memcpy(items, ps->istack + base, n * sizeof *items);
        } else {
            for (size_t i = 0; i < n; i++) /* as copy_members */
                items[i] = ps->istack[base + i];
        }
        arr->u.a.items = items;
        arr->u.a.len = arr->u.a.alloc = n;
    }
    ps->itop = base;
    return 0;
}

/* n members (most objects have a few): member by member, without the
 * call and the size dispatch of memcpy */
static inline void copy_members(storm_member *restrict to, const storm_member *restrict from, size_t n)
{
    if (n > 8) {
        memcpy(to, from, n * sizeof *to);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        to[i].key = from[i].key;
        to[i].key_len = from[i].key_len;
        to[i].value = from[i].value;
    }
}

static inline int seal_object(parser *ps, storm_value *obj, size_t base)
{
    size_t n = ps->mtop - base;
    if (n) {
        storm_member *ms = container_room(ps, n * sizeof *ms);
        if (!ms)
            return -1;
        copy_members(ms, ps->mstack + base, n);
        obj->u.o.members = ms;
        obj->u.o.len = obj->u.o.alloc = n;
    }
    ps->mtop = base;
    return 0;
}

static storm_value *parse_array(parser *ps)
{
    const char *start = ps->p++;
    storm_value *arr = new_value(ps, STORM_V_ARRAY, start);
    if (!arr)
        return NULL;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }
    size_t base = ps->itop;
    bool spilled = false; /* items grow in the arena (the stack was full) */
    for (;;) {
        storm_value *item = parse_element(ps);
        if (!item)
            return NULL;
        if (!spilled && ps->itop == SCRATCH_ITEMS) {
            if (seal_array(ps, arr, base) != 0)
                return oom(ps);
            spilled = true;
        }
        if (spilled) {
            if (storm_v_push(ps->arena, arr, item) != 0)
                return oom(ps);
        } else {
            ps->istack[ps->itop++] = item;
        }
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, ps->p, "unexpected end of input in array (expected ',' or ']')");
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == ']') {
            ps->p++;
            if (!spilled && seal_array(ps, arr, base) != 0)
                return oom(ps);
            return arr;
        }
        return fail(ps, ps->p, "expected ',' or ']' in array");
    }
}

static storm_value *parse_object(parser *ps)
{
    const char *start = ps->p++;
    storm_value *obj = new_value(ps, STORM_V_OBJECT, start);
    if (!obj)
        return NULL;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }
    size_t base = ps->mtop;
    bool spilled = false; /* members grow in the arena (the stack was full) */
    for (;;) {
        /* compact JSON (every sensor writes it): each punctuation byte is
         * where it is expected, one test; skip_ws only otherwise */
        if (!(ps->p < ps->end && *ps->p == '"')) {
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, ps->p,
                            ps->p >= ps->end ? "unexpected end of input in object" : "expected a string key in object");
        }
        const char *key;
        size_t key_len;
        if (parse_string(ps, &key, &key_len) != 0)
            return NULL;
        if (!(ps->p < ps->end && *ps->p == ':')) {
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, ps->p, "expected ':' after object key");
        }
        ps->p++;
        storm_value *val = parse_element(ps);
        if (!val)
            return NULL;
        /* append without the duplicate check of storm_v_setn: lookups take the last */
        if (__builtin_expect(ps->mtop < SCRATCH_MEMBERS && !spilled, 1)) {
            ps->mstack[ps->mtop++] = (storm_member){key, key_len, val};
        } else {
            if (!spilled) {
                if (seal_object(ps, obj, base) != 0)
                    return oom(ps);
                spilled = true;
            }
            if (storm_v_append(ps->arena, obj, key, key_len, val) != 0)
                return oom(ps);
        }
        if (!(ps->p < ps->end && (*ps->p == ',' || *ps->p == '}'))) {
            skip_ws(ps);
            if (ps->p >= ps->end)
                return fail(ps, ps->p, "unexpected end of input in object (expected ',' or '}')");
        }
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == '}') {
            ps->p++;
            if (!spilled && seal_object(ps, obj, base) != 0)
                return oom(ps);
            return obj;
        }
        return fail(ps, ps->p, "expected ',' or '}' in object");
    }
}

/* In place (the copy ends in SCAN_PAD NUL bytes), objects and arrays are
 * parsed with the cursor in a local variable instead of ps->p: every string
 * ends in a NUL written into the text, a char store that may alias anything,
 * so a cursor kept in the parser had to be stored and loaded again around
 * each one. The byte at the end is a NUL that no test below accepts, so a
 * positive test needs no bound; the error paths keep the generic path's
 * tests, positions and messages. ps->p is exact whenever anything else runs
 * (a call that reads or moves it, an error). */
static storm_value *ip_object(parser *ps, const char *p);
static storm_value *ip_array(parser *ps, const char *p);

static inline const char *ip_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* The string at p (its opening quote): *out, *len, and the cursor after
 * it; NULL on an error (set). */
static inline __attribute__((always_inline)) const char *ip_string(parser *ps, const char *p, const char **out,
                                                                   size_t *len)
{
    const char *start = p + 1, *stop;
#if defined(__SSE2__)
    stop = plain_end_padded(start); /* in place: no flag to test */
    if (__builtin_expect(*stop == '"', 1)) {
#else
    if (__builtin_expect(plain_string_end(ps, start, &stop), 1)) {
#endif
        *(char *)(uintptr_t)stop = '\0'; /* the parser's own copy: writable */
        *out = start;
        *len = (size_t)(stop - start);
        return stop + 1;
    }
    ps->p = start; /* where parse_string's errors leave it */
    if (parse_string_slow(ps, start, stop, out, len) != 0)
        return NULL;
    return ps->p;
}

/* new_value, with ps->p where the generic path has it should the arena be
 * full (its error's position); stored only when the pool is empty. */
static inline storm_value *ip_new_value(parser *ps, storm_vtype t, const char *at, const char *after)
{
    storm_value *v = ps->vpool;
    if (__builtin_expect(v == ps->vpool_end, 0)) {
        ps->p = after;
        return new_value(ps, t, at);
    }
    ps->vpool = v + 1;
    v->type = t;
    v->pos = (uint32_t)(at - ps->s); /* the in-place path runs only when every offset fits */
    v->u.a.items = NULL;
    v->u.a.len = 0;
    v->u.a.alloc = 0;
    return v;
}

/* fail() with ps->p at the error, as the generic path leaves it. */
static storm_value *ip_fail(parser *ps, const char *at, const char *msg)
{
    ps->p = at;
    return fail(ps, at, msg);
}

/* A member's or item's value at *pp, as parse_element; *pp moves past it. */
static inline __attribute__((always_inline)) storm_value *ip_element(parser *ps, const char **pp)
{
    const char *p = *pp;
    storm_value *v;
    char c = *p;
    if (__builtin_expect(ps->depth < STORM_JSON_MAX_DEPTH, 1)) {
        if (c == '"') {
            const char *str;
            size_t len;
            const char *q = ip_string(ps, p, &str, &len);
            if (!q)
                return NULL;
            v = ip_new_value(ps, STORM_V_STRING, p, q);
            if (v) {
                v->u.s.ptr = str;
                v->u.s.len = len;
            }
            *pp = q;
            return v;
        }
        if ((c >= '0' && c <= '9') || c == '-') {
            /* as parse_element: the common integer here, the rest (and
             * every error) in parse_number */
            const char *d = p + (c == '-');
            if (*d >= '1' && *d <= '9') {
                uint64_t n = (uint64_t)(*d++ - '0');
                const char *stop = ps->end - d > 16 ? d + 16 : ps->end;
                while (d < stop && (unsigned char)(*d - '0') < 10)
                    n = n * 10 + (uint64_t)(*d++ - '0');
                if (d >= ps->end || (*d != '.' && *d != 'e' && *d != 'E' && (unsigned char)(*d - '0') >= 10)) {
                    v = ip_new_value(ps, STORM_V_INT, p, d);
                    if (v)
                        v->u.i = c == '-' ? -(int64_t)n : (int64_t)n;
                    *pp = d;
                    return v;
                }
            } else if (*d == '0' && d[1] != '.' && d[1] != 'e' && d[1] != 'E') {
                /* a zero (protojson's 0 of a field that is set): what
                 * parse_number makes of it, a digit after it included (the
                 * caller then reports that digit) */
                v = ip_new_value(ps, STORM_V_INT, p, d + 1);
                if (v)
                    v->u.i = 0;
                *pp = d + 1;
                return v;
            }
            ps->p = p;
            v = parse_number(ps);
            *pp = ps->p;
            return v;
        }
        if (c == '{' || c == '[') {
            /* parse_value's depth step, without its whitespace and dispatch */
            ps->depth++;
            v = c == '{' ? ip_object(ps, p) : ip_array(ps, p);
            ps->depth--;
            *pp = ps->p;
            return v;
        }
    }
    ps->p = p; /* whitespace, literals, the depth limit and errors */
    v = parse_value(ps);
    *pp = ps->p;
    return v;
}

/* The object at p (its '{'), as parse_object; ps->p after it. */
static storm_value *ip_object(parser *ps, const char *p)
{
    const char *start = p++, *end = ps->end;
    storm_value *obj = ip_new_value(ps, STORM_V_OBJECT, start, p);
    if (!obj)
        return NULL;
    if ((unsigned char)*p <= ' ')
        p = ip_skip_ws(p, end);
    if (*p == '}') {
        ps->p = p + 1;
        return obj;
    }
    size_t base = ps->mtop;
    bool spilled = false; /* members grow in the arena (the stack was full) */
    for (;;) {
        if (*p != '"') {
            p = ip_skip_ws(p, end);
            if (p >= end || *p != '"')
                return ip_fail(ps, p,
                               p >= end ? "unexpected end of input in object" : "expected a string key in object");
        }
        const char *key;
        size_t key_len;
        p = ip_string(ps, p, &key, &key_len);
        if (!p)
            return NULL;
        if (*p != ':') {
            p = ip_skip_ws(p, end);
            if (p >= end || *p != ':')
                return ip_fail(ps, p, "expected ':' after object key");
        }
        p++;
        storm_value *val = ip_element(ps, &p);
        if (!val)
            return NULL;
        /* append without the duplicate check of storm_v_setn: lookups take the last */
        if (__builtin_expect(ps->mtop < SCRATCH_MEMBERS && !spilled, 1)) {
            ps->mstack[ps->mtop++] = (storm_member){key, key_len, val};
        } else {
            ps->p = p; /* an allocation failure reports it */
            if (!spilled) {
                if (seal_object(ps, obj, base) != 0)
                    return oom(ps);
                spilled = true;
            }
            if (storm_v_append(ps->arena, obj, key, key_len, val) != 0)
                return oom(ps);
        }
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != '}') {
            p = ip_skip_ws(p, end);
            if (p >= end)
                return ip_fail(ps, p, "unexpected end of input in object (expected ',' or '}')");
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != '}')
                return ip_fail(ps, p, "expected ',' or '}' in object");
        }
        ps->p = p + 1;
        if (!spilled && seal_object(ps, obj, base) != 0)
            return oom(ps);
        return obj;
    }
}

/* The array at p (its '['), as parse_array; ps->p after it. */
static storm_value *ip_array(parser *ps, const char *p)
{
    const char *start = p++, *end = ps->end;
    storm_value *arr = ip_new_value(ps, STORM_V_ARRAY, start, p);
    if (!arr)
        return NULL;
    if ((unsigned char)*p <= ' ')
        p = ip_skip_ws(p, end);
    if (*p == ']') {
        ps->p = p + 1;
        return arr;
    }
    size_t base = ps->itop;
    bool spilled = false; /* items grow in the arena (the stack was full) */
    for (;;) {
        storm_value *item = ip_element(ps, &p);
        if (!item)
            return NULL;
        if (!spilled && ps->itop == SCRATCH_ITEMS) {
            ps->p = p;
            if (seal_array(ps, arr, base) != 0)
                return oom(ps);
            spilled = true;
        }
        if (spilled) {
            ps->p = p;
            if (storm_v_push(ps->arena, arr, item) != 0)
                return oom(ps);
        } else {
            ps->istack[ps->itop++] = item;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != ']') {
            p = ip_skip_ws(p, end);
            if (p >= end)
                return ip_fail(ps, p, "unexpected end of input in array (expected ',' or ']')");
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != ']')
                return ip_fail(ps, p, "expected ',' or ']' in array");
        }
        ps->p = p + 1;
        if (!spilled && seal_array(ps, arr, base) != 0)
            return oom(ps);
        return arr;
    }
}

static storm_value *parse_literal(parser *ps, const char *word, storm_vtype t, bool b)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, ps->p, "invalid literal (expected a JSON value)");
    storm_value *v = new_value(ps, t, ps->p);
    if (v)
        v->u.b = b;
    ps->p += n;
    return v;
}

static storm_value *parse_value(parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, ps->p, "unexpected end of input (expected a JSON value)");
    if (++ps->depth > STORM_JSON_MAX_DEPTH) {
        storm_err_set(ps->err, STORM_ERR_LIMIT, (size_t)(ps->p - ps->s), "nesting deeper than %d levels",
                      STORM_JSON_MAX_DEPTH);
        return NULL;
    }
    storm_value *v;
    switch (*ps->p) {
    case '{': v = ps->in_place && ps->pos_fits ? ip_object(ps, ps->p) : parse_object(ps); break;
    case '[': v = ps->in_place && ps->pos_fits ? ip_array(ps, ps->p) : parse_array(ps); break;
    case '"': {
        const char *at = ps->p;
        const char *s;
        size_t len;
        if (parse_string(ps, &s, &len) != 0)
            return NULL;
        v = new_value(ps, STORM_V_STRING, at);
        if (v) {
            v->u.s.ptr = s;
            v->u.s.len = len;
        }
        break;
    }
    case 't': v = parse_literal(ps, "true", STORM_V_BOOL, true); break;
    case 'f': v = parse_literal(ps, "false", STORM_V_BOOL, false); break;
    case 'n': v = parse_literal(ps, "null", STORM_V_NULL, false); break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            v = parse_number(ps);
        else
            v = fail(ps, ps->p, "unexpected character (expected a JSON value)");
    }
    ps->depth--;
    return v;
}

storm_rc storm_json_parse(storm_arena *arena, const char *text, size_t len, int flags, storm_value **out,
                          size_t *consumed, storm_err *err)
{
    storm_err local; /* what storm_err_set reads: not all 540 bytes (per record) */
    local.rc = STORM_OK;
    local.offset = local.len = 0;
    local.line = local.col = 0;
    local.msg[0] = '\0';
    parser ps;
    ps.arena = arena;
    ps.s = ps.p = text;
    ps.end = text + len;
    ps.err = &local;
    ps.depth = 0;
    ps.in_place = false;
    ps.pos_fits = len < STORM_POS_NONE;
    ps.pool = NULL;
    ps.pool_left = 0;
    ps.vpool = ps.vpool_end = NULL;
    ps.cpool = NULL;
    ps.cpool_left = 0;
    ps.mtop = ps.itop = 0;
    *out = NULL;
    /* A whole document is parsed in place in one copy of the text: a single
     * copy instead of one per string (an event holds a hundred). A value
     * followed by more text is not (its extent is unknown: copying the rest
     * of a long stream for each value would be quadratic). */
    if (!(flags & STORM_JSON_ALLOW_TRAILING) && len < SIZE_MAX - SCAN_PAD) {
        char *own = storm_arena_alloc(arena, len + SCAN_PAD);
        if (!own) {
            storm_err_set(&local, STORM_ERR_NOMEM, 0, "out of memory (arena cap reached)");
            if (err && err->rc == STORM_OK)
                *err = local;
            return STORM_ERR_NOMEM;
        }
        if (len)
            memcpy(own, text, len);
        memset(own + len, 0, SCAN_PAD);
        ps.s = ps.p = own;
        ps.end = own + len;
        ps.in_place = true;
    }
    /* a UTF-8 byte order mark is not JSON, but shippers write one: skip it */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        ps.p += 3;
    storm_value *v = parse_value(&ps);
    if (v) {
        skip_ws(&ps);
        if (!(flags & STORM_JSON_ALLOW_TRAILING) && ps.p < ps.end) {
            fail(&ps, ps.p, "unexpected data after the JSON value");
            v = NULL;
        }
    }
    if (consumed)
        *consumed = (size_t)(ps.p - ps.s);
    if (!v) {
        storm_err_locate(&local, text, len);
        if (err && err->rc == STORM_OK)
            *err = local;
        return local.rc ? local.rc : STORM_ERR_SYNTAX;
    }
    *out = v;
    return STORM_OK;
}

storm_rc storm_json_parse_next(storm_arena *arena, const char *text, size_t len, size_t *off, storm_value **out,
                               size_t *start, storm_err *err)
{
    size_t o = *off;
    while (o < len && (text[o] == ' ' || text[o] == '\t' || text[o] == '\n' || text[o] == '\r'))
        o++;
    *off = o;
    *out = NULL;
    if (o >= len)
        return STORM_ERR_NOTFOUND;
    if (start)
        *start = o;
    size_t used = 0;
    storm_err local;
    storm_err_clear(&local);
    storm_rc rc = storm_json_parse(arena, text + o, len - o, STORM_JSON_ALLOW_TRAILING, out, &used, &local);
    if (rc != STORM_OK) {
        local.offset += o;
        local.line = local.col = 0;
        storm_err_locate(&local, text, len);
        if (err && err->rc == STORM_OK)
            *err = local;
        return rc;
    }
    *off = o + (used ? used : len - o);
    return STORM_OK;
}

static bool line_blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

bool storm_json_lines_next(const char *text, size_t len, size_t *off, uint64_t *number, const char **line,
                           size_t *line_len)
{
    while (*off < len) {
        size_t start = *off;
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        *off = end + 1;
        ++*number;
        size_t s = start, e = end;
        while (s < e && line_blank_byte(text[s]))
            s++;
        while (e > s && line_blank_byte(text[e - 1]))
            e--;
        if (e > s) {
            *line = text + s;
            *line_len = e - s;
            return true;
        }
    }
    return false;
}
