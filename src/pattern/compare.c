/* SPDX-License-Identifier: Apache-2.0 */
/* One comparison: an operator and its literal(s) against one value picked
 * by an object path. The rules follow the STIX 2.1 patterning specification
 * as the OASIS reference matcher implements it:
 *  - '=' never holds between values of different types, except an integer
 *    and a float (compared exactly); '!=' is its negation;
 *  - '<' '<=' '>' '>=' hold only between numbers, strings (by code point),
 *    binary values and timestamps; otherwise they are false;
 *  - a string is compared with binary data as Latin-1 bytes when all its
 *    code points are below 256, else the comparison is false;
 *  - with a t'...' literal, a string value is read as a timestamp, and one
 *    that is not a valid STIX timestamp is an error (not a silent mismatch);
 *  - LIKE and MATCHES normalise both sides to NFC; '=' and IN do not (the
 *    reference compares code points exactly there);
 *  - timestamps compare at microsecond precision. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "match_int.h"

#include <storm/utf8.h>

bool text_nfc(const char *s, size_t len, const char **out, size_t *out_len, bool *owned)
{
    *owned = false;
    size_t i = 0;
    /* ASCII is already NFC: test 8 bytes at a time for a high bit */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    if (i == len) {
        *out = s;
        *out_len = len;
        return true;
    }
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0) {
        free(dst);
        return false;
    }
    *out = (const char *)dst;
    *out_len = (size_t)n;
    *owned = true;
    return true;
}

/* PCRE2 needs match data per call; one per thread avoids an allocation
 * per evaluation and keeps the compiled pattern shareable. */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *p)
{
    pcre2_match_data_free(p);
}
static void md_init(void)
{
    (void)pthread_key_create(&md_key, md_free);
}

static pcre2_match_data *thread_match_data(void)
{
    pthread_once(&md_once, md_init);
    pcre2_match_data *md = pthread_getspecific(md_key);
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        if (md && pthread_setspecific(md_key, md) != 0) {
            pcre2_match_data_free(md);
            md = NULL;
        }
    }
    return md;
}

/* JIT-compile re once, on its first use; threads sharing the pattern wait
 * for the one doing it. JIT is an accelerator: if it fails, the interpreter
 * runs the regex. */
static void regex_ready(pcre2_code *re, _Atomic unsigned char *done)
{
    static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;
    if (atomic_load_explicit(done, memory_order_acquire))
        return;
    pthread_mutex_lock(&jit_lock);
    if (!atomic_load_explicit(done, memory_order_relaxed)) {
        (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
        atomic_store_explicit(done, 1, memory_order_release);
    }
    pthread_mutex_unlock(&jit_lock);
}

/* tc->re_bin compiled from its bytes (and its JIT code made), once: a
 * regex valid on text may be invalid on bytes (e.g. \x{100}), then
 * re_bin stays NULL and binary values simply never match. */
static void regex_bin_ready(test_compiled *tc)
{
    static pthread_mutex_t bin_lock = PTHREAD_MUTEX_INITIALIZER;
    if (atomic_load_explicit(&tc->re_bin_jit, memory_order_acquire))
        return;
    pthread_mutex_lock(&bin_lock);
    if (!atomic_load_explicit(&tc->re_bin_jit, memory_order_relaxed)) {
        int ecode;
        PCRE2_SIZE eoff;
        tc->re_bin = pcre2_compile((PCRE2_SPTR)tc->bin, tc->bin_len, 0, &ecode, &eoff, NULL);
        if (tc->re_bin)
            (void)pcre2_jit_compile(tc->re_bin, PCRE2_JIT_COMPLETE);
        atomic_store_explicit(&tc->re_bin_jit, 1, memory_order_release);
    }
    pthread_mutex_unlock(&bin_lock);
}

static int regex_search(const pcre2_code *re, const char *s, size_t len, bool utf, size_t where, storm_err *err)
{
    pcre2_match_data *md = thread_match_data();
    if (!md) {
        storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory running a regex");
        return -1;
    }
    /* values are valid UTF-8 (checked by the JSON parser, kept by NFC) */
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, utf ? PCRE2_NO_UTF_CHECK : 0, md, NULL);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
        rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        storm_err_set(
            err, STORM_ERR_LIMIT, where,
            "MATCHES gave up: this regex needs too much backtracking on a value (rewrite it without nested repeats)");
        return -1;
    }
    storm_err_set(err, STORM_ERR_VALUE, where, "MATCHES failed on a value (PCRE2 error %d)", rc);
    return -1;
}

/* Latin-1 view of a UTF-8 string; false when a code point is >= 256. */
static bool to_latin1(const char *s, size_t len, uint8_t *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = storm_utf8_decode(s + i, len - i, &cp);
        if (k == 0 || cp > 0xFF)
            return false;
        out[o++] = (uint8_t)cp;
        i += k;
    }
    *out_len = o;
    return true;
}

static int bytes_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

/* Exact comparison of an integer with a double (no rounding of the int). */
static int int_double_cmp(int64_t i, double d)
{
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    double t = trunc(d);
    int64_t ti = (int64_t)t;
    if (i != ti)
        return i < ti ? -1 : 1;
    double frac = d - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

typedef enum vkind { VK_NONE, VK_STR, VK_INT, VK_FLOAT, VK_BOOL, VK_BIN, VK_TS } vkind;

/* A comparable view of one side. */
typedef struct side {
    vkind k;
    const char *s;
    size_t len; /* VK_STR, VK_BIN (s is bytes) */
    int64_t i;  /* VK_INT, VK_TS (microseconds) */
    double f;
    bool b;
} side;

static side side_of_literal(const pat_cmp *t, size_t i)
{
    const pat_literal *l = &t->values[i];
    const test_compiled *tc = t->compiled;
    side x = {0};
    switch (l->type) {
    case PAT_LIT_STRING:
        x.k = VK_STR;
        x.s = l->u.str.ptr;
        x.len = l->u.str.len;
        break;
    case PAT_LIT_INT:
        x.k = VK_INT;
        x.i = l->u.i;
        break;
    case PAT_LIT_FLOAT:
        x.k = VK_FLOAT;
        x.f = l->u.f;
        break;
    case PAT_LIT_BOOL:
        x.k = VK_BOOL;
        x.b = l->u.b;
        break;
    case PAT_LIT_BINARY:
        x.k = VK_BIN;
        x.s = (const char *)l->u.bin.ptr;
        x.len = l->u.bin.len;
        break;
    case PAT_LIT_TIMESTAMP:
        x.k = VK_TS;
        x.i = tc && tc->ts_us ? tc->ts_us[i] : time_us(l->u.ts);
        break;
    }
    return x;
}

static side side_of_value(const path_value *pv)
{
    side x = {0};
    if (pv->bin || !pv->v) {
        x.k = VK_BIN;
        x.s = (const char *)pv->bin;
        x.len = pv->bin_len;
        return x;
    }
    const storm_value *v = pv->v;
    switch (v->type) {
    case STORM_V_STRING:
        x.k = VK_STR;
        x.s = v->u.s.ptr;
        x.len = v->u.s.len;
        break;
    case STORM_V_INT:
        x.k = VK_INT;
        x.i = v->u.i;
        break;
    case STORM_V_FLOAT:
        x.k = VK_FLOAT;
        x.f = v->u.f;
        break;
    case STORM_V_BOOL:
        x.k = VK_BOOL;
        x.b = v->u.b;
        break;
    default: x.k = VK_NONE; break;
    }
    return x;
}

/* With a timestamp literal, a string value is read as a timestamp. */
static int value_as_timestamp(side *val, const pat_literal *lit, storm_err *err)
{
    if (val->k != VK_STR)
        return 0;
    int64_t us;
    if (!stix_time_us(val->s, val->len, &us)) {
        int shown = val->len > 64 ? 64 : (int)val->len;
        storm_err_set(err, STORM_ERR_VALUE, lit->span.start,
                      "the data has '%.*s%s' where a timestamp is compared with this t'...' literal; "
                      "a STIX timestamp looks like 2020-01-31T12:00:00Z",
                      shown, val->s, val->len > 64 ? "..." : "");
        if (err && err->offset == lit->span.start)
            err->len = lit->span.end - lit->span.start;
        return -1;
    }
    val->k = VK_TS;
    val->i = us;
    return 0;
}

/* Compare a string with binary bytes. Returns 0 and sets *cmp (string
 * relative to bytes), or 1 when the string has a code point >= 256. */
static int str_bin_cmp(const side *str, const side *bin, int *cmp)
{
    uint8_t stack[256];
    uint8_t *buf = str->len <= sizeof stack ? stack : malloc(str->len);
    size_t n = 0;
    int incomparable = 1;
    if (buf && to_latin1(str->s, str->len, buf, &n)) {
        *cmp = bytes_cmp(buf, n, (const uint8_t *)bin->s, bin->len);
        incomparable = 0;
    }
    if (buf != stack)
        free(buf);
    return incomparable;
}

/* Order value vs literal. Returns 1 and *cmp when comparable, 0 when the
 * types cannot be ordered. */
static int order(const side *val, const side *lit, int *cmp)
{
    switch (val->k) {
    case VK_INT:
        if (lit->k == VK_INT) {
            *cmp = val->i < lit->i ? -1 : val->i > lit->i;
            return 1;
        }
        if (lit->k == VK_FLOAT) {
            if (isnan(lit->f))
                return 0;
            *cmp = int_double_cmp(val->i, lit->f);
            return 1;
        }
        return 0;
    case VK_FLOAT:
        if (isnan(val->f))
            return 0;
        if (lit->k == VK_FLOAT) {
            if (isnan(lit->f))
                return 0;
            *cmp = val->f < lit->f ? -1 : val->f > lit->f;
            return 1;
        }
        if (lit->k == VK_INT) {
            *cmp = -int_double_cmp(lit->i, val->f);
            return 1;
        }
        return 0;
    case VK_STR:
        if (lit->k == VK_STR) {
            *cmp = bytes_cmp((const uint8_t *)val->s, val->len, (const uint8_t *)lit->s, lit->len);
            return 1;
        }
        if (lit->k == VK_BIN)
            return str_bin_cmp(val, lit, cmp) == 0;
        return 0;
    case VK_BIN:
        if (lit->k == VK_BIN) {
            *cmp = bytes_cmp((const uint8_t *)val->s, val->len, (const uint8_t *)lit->s, lit->len);
            return 1;
        }
        if (lit->k == VK_STR) {
            int c;
            if (str_bin_cmp(lit, val, &c) != 0)
                return 0;
            *cmp = -c;
            return 1;
        }
        return 0;
    case VK_TS:
        if (lit->k == VK_TS) {
            *cmp = val->i < lit->i ? -1 : val->i > lit->i;
            return 1;
        }
        return 0;
    default: return 0;
    }
}

static bool equal(const side *val, const side *lit)
{
    if (val->k == VK_BOOL || lit->k == VK_BOOL)
        return val->k == lit->k && val->b == lit->b;
    int c;
    return order(val, lit, &c) && c == 0;
}

/* Decode NFC text into code points for LIKE (units; bytes for binary). */
static int like_on_text(const like_prog *prog, const char *s, size_t len, storm_err *err)
{
    const char *nfc;
    size_t nlen;
    bool owned;
    if (!text_nfc(s, len, &nfc, &nlen, &owned))
        return 0;
    uint32_t stack[256];
    uint32_t *cps = nlen <= 256 ? stack : malloc(nlen * sizeof *cps);
    if (!cps) {
        if (owned)
            free((void *)nfc);
        storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory evaluating LIKE");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < nlen;) {
        size_t k = storm_utf8_decode(nfc + i, nlen - i, &cps[n]);
        if (k == 0) {
            cps[n] = (unsigned char)nfc[i];
            k = 1;
        }
        n++;
        i += k;
    }
    int r = like_match(prog, cps, n);
    if (cps != stack)
        free(cps);
    if (owned)
        free((void *)nfc);
    return r;
}

static int ip_test(const pat_cmp *t, const test_compiled *tc, const side *val, storm_err *err)
{
    if (val->k != VK_STR)
        return 0;
    storm_cidr v;
    if (!storm_cidr_parse(val->s, val->len, &v)) {
        int shown = val->len > 64 ? 64 : (int)val->len;
        storm_err_set(err, STORM_ERR_VALUE, t->values[0].span.start,
                      "the data has '%.*s%s' where %s needs an IP address or CIDR block", shown, val->s,
                      val->len > 64 ? "..." : "", t->op == PAT_OP_ISSUBSET ? "ISSUBSET" : "ISSUPERSET");
        return -1;
    }
    return t->op == PAT_OP_ISSUBSET ? storm_cidr_contains(&tc->ip, &v) : storm_cidr_contains(&v, &tc->ip);
}

int compare_value(const pat_cmp *t, const path_value *pv, storm_err *err)
{
    const test_compiled *tc = t->compiled;
    side val = side_of_value(pv);
    switch (t->op) {
    case PAT_OP_EXISTS: return 1;
    case PAT_OP_EQ:
    case PAT_OP_NE: {
        side lit = side_of_literal(t, 0);
        if (lit.k == VK_TS && value_as_timestamp(&val, &t->values[0], err) < 0)
            return -1;
        bool eq = equal(&val, &lit);
        return t->op == PAT_OP_EQ ? eq : !eq;
    }
    case PAT_OP_LT:
    case PAT_OP_LE:
    case PAT_OP_GT:
    case PAT_OP_GE: {
        side lit = side_of_literal(t, 0);
        if (lit.k == VK_TS && value_as_timestamp(&val, &t->values[0], err) < 0)
            return -1;
        int c;
        if (!order(&val, &lit, &c))
            return 0;
        switch (t->op) {
        case PAT_OP_LT: return c < 0;
        case PAT_OP_LE: return c <= 0;
        case PAT_OP_GT: return c > 0;
        default: return c >= 0;
        }
    }
    case PAT_OP_IN: {
        if (tc && tc->set_mixed) {
            storm_err_set(err, STORM_ERR_VALUE, t->span.start, "the IN set mixes literals of different types");
            return -1;
        }
        if (tc && tc->set_ts && value_as_timestamp(&val, &t->values[0], err) < 0)
            return -1;
        for (size_t i = 0; i < t->n_values; i++) {
            side lit = side_of_literal(t, i);
            if (equal(&val, &lit))
                return 1;
        }
        return 0;
    }
    case PAT_OP_LIKE:
        if (val.k == VK_STR && tc->like_bytes.n != SIZE_MAX) {
            /* no '_': match the NFC bytes directly (UTF-8 keeps code point
             * boundaries, so '%' and literal runs agree with code points) */
            const char *nfc;
            size_t nlen;
            bool owned;
            if (!text_nfc(val.s, val.len, &nfc, &nlen, &owned))
                return 0;
            int r = like_match_bytes(&tc->like_bytes, (const uint8_t *)nfc, nlen);
            if (owned)
                free((void *)nfc);
            return r;
        }
        if (val.k == VK_STR)
            return like_on_text(&tc->like, val.s, val.len, err);
        if (val.k == VK_BIN)
            return tc->latin1 ? like_match_bytes(&tc->like, (const uint8_t *)val.s, val.len) : 0;
        return 0;
    case PAT_OP_MATCHES:
        if (val.k == VK_STR) {
            const char *nfc;
            size_t nlen;
            bool owned;
            if (!text_nfc(val.s, val.len, &nfc, &nlen, &owned))
                return 0;
            test_compiled *mtc = (test_compiled *)tc; /* only the JIT flag changes */
            regex_ready(mtc->re, &mtc->re_jit);
            int r = regex_search(tc->re, nfc, nlen, true, t->values[0].span.start, err);
            if (owned)
                free((void *)nfc);
            return r;
        }
        if (val.k == VK_BIN && tc->bin) {
            test_compiled *mtc = (test_compiled *)tc; /* only re_bin and the JIT flag change */
            regex_bin_ready(mtc);
            if (tc->re_bin)
                return regex_search(tc->re_bin, val.s, val.len, false, t->values[0].span.start, err);
        }
        return 0;
    case PAT_OP_ISSUBSET:
    case PAT_OP_ISSUPERSET: return ip_test(t, tc, &val, err);
    }
    return 0;
}
