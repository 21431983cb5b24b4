/* SPDX-License-Identifier: Apache-2.0 */
/* Literal sets: what every value of a comparison must look like (one of
 * some strings, a prefix, a suffix, a substring), and the questions
 * coverage asks of them. */
#include <string.h>

#include "instrument_int.h"

static bool starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool ends(const char *s, const char *p)
{
    size_t n = strlen(s), m = strlen(p);
    return m <= n && memcmp(s + n - m, p, m) == 0;
}

bool lit_set_admits(const lit_set *s, const char *v)
{
    if (s->kind == LIT_NONE)
        return true;
    for (size_t i = 0; i < s->n; i++) {
        switch (s->kind) {
        case LIT_EXACT:
            if (strcmp(v, s->s[i]) == 0)
                return true;
            break;
        case LIT_PREFIX:
            if (starts(v, s->s[i]))
                return true;
            break;
        case LIT_SUFFIX:
            if (ends(v, s->s[i]))
                return true;
            break;
        case LIT_CONTAINS:
            if (strstr(v, s->s[i]))
                return true;
            break;
        case LIT_NONE: break;
        }
    }
    return false;
}

/* Does every string satisfying "kind a" also satisfy b? One string of a
 * against the whole of b. */
static bool one_implies(lit_kind ka, const char *a, const lit_set *b)
{
    for (size_t j = 0; j < b->n; j++) {
        const char *x = b->s[j];
        switch (b->kind) {
        case LIT_EXACT:
            if (ka == LIT_EXACT && strcmp(a, x) == 0)
                return true;
            break;
        case LIT_PREFIX:
            if ((ka == LIT_EXACT || ka == LIT_PREFIX) && starts(a, x))
                return true;
            break;
        case LIT_SUFFIX:
            if ((ka == LIT_EXACT || ka == LIT_SUFFIX) && ends(a, x))
                return true;
            break;
        case LIT_CONTAINS:
            if (strstr(a, x))
                return true; /* any kind: the value contains a, which contains x */
            break;
        case LIT_NONE: return true;
        }
    }
    return false;
}

bool lit_set_implies(const lit_set *a, const lit_set *b)
{
    if (b->kind == LIT_NONE)
        return true;
    if (a->kind == LIT_NONE || a->n == 0)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!one_implies(a->kind, a->s[i], b))
            return false;
    return true;
}
