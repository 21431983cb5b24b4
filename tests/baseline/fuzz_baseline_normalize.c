/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzing of the normaliser by properties that hold whatever the
 * implementation (see test_normalize_props.c): for any input, a small output
 * cap gives a prefix of the full output (truncated exactly when it does not
 * fit), no run of digits is left standing alone, whitespace comes out as
 * single spaces, and a pod's workload is the pod name cut at a '-'. The first byte
 * picks the output cap. A violation aborts (a finding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normalize_props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_OUT_CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 2048)
        return 0;
    size_t cap = (size_t)data[0] % 32 + 1;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    char full[FUZZ_OUT_CAP], small[40];
    bl_out f, m;
    bl_out_init(&f, full, sizeof full);
    bl_normalize(&f, s, len);
    bl_out_init(&m, small, cap);
    bl_normalize(&m, s, len);
    if (!props_prefix_ok(full, f.len, &m) || (!f.truncated && !props_normalized_ok(full, f.len)))
        abort();
    /* the NUL-terminated forms: argument shape and pod name */
    char *z = malloc(len + 1);
    if (!z)
        return 0;
    memcpy(z, s, len);
    z[len] = '\0';
    size_t max_tokens = data[0] % 4 == 0 ? 1 + data[0] % 5 : 16;
    bl_out_init(&f, full, sizeof full);
    bl_arg_shape(&f, z, max_tokens);
    bl_out_init(&m, small, cap);
    bl_arg_shape(&m, z, max_tokens);
    if (!props_prefix_ok(full, f.len, &m))
        abort();
    const char *kind = NULL;
    size_t n = bl_pod_workload(z, &kind);
    if (!props_pod_ok(z, n, kind))
        abort();
    free(z);
    return 0;
}
