/* SPDX-License-Identifier: Apache-2.0 */
/* LIKE: whole-string match where '%' is any run (possibly empty) and '_'
 * exactly one code point (one byte for binary values). Compiled to a unit
 * array and matched with the classic greedy-star backtracking walk, which is
 * O(n*m) at worst and needs no memory: no regex, so no escaping bugs. */
#include <string.h>

#include "match_int.h"

#include <storm/utf8.h>

bool like_compile(storm_arena *a, const char *text, size_t len, like_prog *prog)
{
    prog->units = storm_arena_calloc(a, len ? len : 1, sizeof *prog->units);
    prog->n = 0;
    prog->shape = LIKE_GENERAL;
    if (!prog->units)
        return false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = storm_utf8_decode(text + i, len - i, &cp);
        if (k == 0) { /* not UTF-8: take the byte as is */
            cp = (unsigned char)text[i];
            k = 1;
        }
        if (cp == '%') {
            /* "%%" is the same as "%" */
            if (prog->n && prog->units[prog->n - 1] == LIKE_ANY_RUN) {
                i += k;
                continue;
            }
            cp = LIKE_ANY_RUN;
        } else if (cp == '_') {
            cp = LIKE_ANY_ONE;
        }
        prog->units[prog->n++] = cp;
        i += k;
    }
    return true;
}

bool like_compile_bytes(storm_arena *a, const char *text, size_t len, like_prog *prog)
{
    prog->units = storm_arena_calloc(a, len ? len : 1, sizeof *prog->units);
    prog->n = 0;
    prog->shape = LIKE_GENERAL;
    if (!prog->units)
        return false;
    /* one literal run with '%' only at the ends: a memcmp or memmem does */
    size_t b = 0, e = len;
    while (b < e && text[b] == '%')
        b++;
    while (e > b && text[e - 1] == '%')
        e--;
    if (!memchr(text + b, '%', e - b)) {
        bool lead = b > 0, trail = e < len;
        prog->lit = text + b;
        prog->lit_len = e - b;
        prog->shape = lead && trail ? LIKE_CONTAINS : lead ? LIKE_SUFFIX : trail ? LIKE_PREFIX : LIKE_EXACT;
        if (b == len && len > 0) /* only "%" */
            prog->shape = LIKE_CONTAINS;
    }
    for (size_t i = 0; i < len; i++) {
        uint32_t u = (unsigned char)text[i];
        if (u == '%') {
            if (prog->n && prog->units[prog->n - 1] == LIKE_ANY_RUN)
                continue;
            u = LIKE_ANY_RUN;
        }
        prog->units[prog->n++] = u;
    }
    return true;
}

/* One walk for both unit widths: UNIT(i) reads the i-th unit of s. */
#define LIKE_WALK(UNIT)                                                                                                \
    const uint32_t *u = prog->units;                                                                                   \
    size_t m = prog->n, i = 0, j = 0;                                                                                  \
    size_t star = SIZE_MAX, star_i = 0;                                                                                \
    while (i < n) {                                                                                                    \
        if (j < m && u[j] != LIKE_ANY_RUN && (u[j] == LIKE_ANY_ONE || u[j] == (UNIT(i)))) {                            \
            i++;                                                                                                       \
            j++;                                                                                                       \
        } else if (j < m && u[j] == LIKE_ANY_RUN) {                                                                    \
            star = j++;                                                                                                \
            star_i = i;                                                                                                \
        } else if (star != SIZE_MAX) {                                                                                 \
            j = star + 1;                                                                                              \
            i = ++star_i;                                                                                              \
        } else {                                                                                                       \
            return false;                                                                                              \
        }                                                                                                              \
    }                                                                                                                  \
    while (j < m && u[j] == LIKE_ANY_RUN)                                                                              \
        j++;                                                                                                           \
    return j == m

#define CODE_POINT(i) s[i]
#define BYTE(i) ((uint32_t)s[i])

bool like_match_bytes(const like_prog *prog, const uint8_t *s, size_t n)
{
    size_t l = prog->lit_len;
    switch (prog->shape) {
    case LIKE_EXACT: return n == l && memcmp(s, prog->lit, l) == 0;
    case LIKE_PREFIX: return n >= l && memcmp(s, prog->lit, l) == 0;
    case LIKE_SUFFIX: return n >= l && memcmp(s + n - l, prog->lit, l) == 0;
    case LIKE_CONTAINS: return l == 0 || memmem(s, n, prog->lit, l) != NULL;
    case LIKE_GENERAL: break;
    }
    LIKE_WALK(BYTE);
}

bool like_match(const like_prog *prog, const uint32_t *s, size_t n)
{
    LIKE_WALK(CODE_POINT);
}
