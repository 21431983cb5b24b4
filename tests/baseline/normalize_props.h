/* SPDX-License-Identifier: Apache-2.0 */
/* Properties of the normaliser (baseline/normalize.h) that hold whatever
 * its implementation: shared by test_normalize_props.c and the fuzz target
 * fuzz_baseline_normalize.c. Each returns true when the property holds. */
#ifndef STORM_TEST_BASELINE_NORMALIZE_PROPS_H
#define STORM_TEST_BASELINE_NORMALIZE_PROPS_H

#include <stdbool.h>
#include <string.h>

#include "normalize.h"

/* Output o (written with a small cap) is the first cap-1 bytes of the full
 * output, truncated exactly when the full output is longer. */
static inline bool props_prefix_ok(const char *full, size_t full_len, const bl_out *o)
{
    size_t room = o->cap - 1, want = full_len < room ? full_len : room;
    return o->len == want && memcmp(o->buf, full, want) == 0 && o->buf[want] == '\0' &&
           o->truncated == (full_len > room);
}

static inline bool props_is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* No run of digits stands alone (a pid, a port, a counter: what changes
 * between runs), and whitespace is single spaces. out[0..len). */
static inline bool props_normalized_ok(const char *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = out[i];
        if (c == '\t' || c == '\n' || c == '\r' || (c == ' ' && i + 1 < len && out[i + 1] == ' '))
            return false;
        if (c < '0' || c > '9' || (i > 0 && props_is_alnum(out[i - 1])))
            continue;
        size_t j = i;
        while (j < len && out[j] >= '0' && out[j] <= '9')
            j++;
        if (j == len || !props_is_alnum(out[j]))
            return false;
        i = j;
    }
    return true;
}

/* The workload of pod name s is s itself (kind "Pod") or s cut before a
 * '-' (a controller kind). */
static inline bool props_pod_ok(const char *s, size_t n, const char *kind)
{
    size_t len = strlen(s);
    if (!kind || n > len)
        return false;
    if (n == len)
        return strcmp(kind, "Pod") == 0;
    return s[n] == '-' &&
           (strcmp(kind, "Deployment") == 0 || strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "StatefulSet") == 0);
}

#endif
