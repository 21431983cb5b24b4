/* SPDX-License-Identifier: Apache-2.0 */
/* Differential fuzzing of the normaliser: the optimised bl_normalize,
 * bl_arg_shape and bl_pod_workload against the reference implementation
 * (normalize_ref.h) must give the same bytes, length and truncation flag for
 * any input. The first byte picks the output cap (small caps test
 * truncation at the same byte). A difference aborts (a finding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normalize_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_OUT_CAP 4096

static void compare(const bl_out *w, const bl_out *g)
{
    if (w->len != g->len || w->truncated != g->truncated || memcmp(w->buf, g->buf, w->len + 1) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 2048)
        return 0;
    size_t cap = data[0] < 32 ? (size_t)data[0] + 1 : FUZZ_OUT_CAP;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    char want[FUZZ_OUT_CAP], got[FUZZ_OUT_CAP];
    bl_out w, g;
    bl_out_init(&w, want, cap);
    bl_out_init(&g, got, cap);
    ref_normalize(&w, s, len);
    bl_normalize(&g, s, len);
    compare(&w, &g);
    /* the NUL-terminated forms: argument shape and pod name */
    char *z = malloc(len + 1);
    if (!z)
        return 0;
    memcpy(z, s, len);
    z[len] = '\0';
    bl_out_init(&w, want, cap);
    bl_out_init(&g, got, cap);
    size_t max_tokens = data[0] % 4 == 0 ? 1 + data[0] % 5 : 16;
    ref_arg_shape(&w, z, max_tokens);
    bl_arg_shape(&g, z, max_tokens);
    compare(&w, &g);
    const char *k1, *k2;
    if (ref_pod_workload(z, &k1) != bl_pod_workload(z, &k2) || strcmp(k1, k2) != 0)
        abort();
    free(z);
    return 0;
}
