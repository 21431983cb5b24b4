/* SPDX-License-Identifier: Apache-2.0 */
/* The decoder table and format detection. */
#include <storm/decode.h>

#include <math.h>
#include <string.h>

#include "decoders.h"

static const storm_decoder *const table[] = {
    &storm_decoder_tetragon, &storm_decoder_k8s_audit, &storm_decoder_kubescape,   &storm_decoder_falco,
    &storm_decoder_hubble,   &storm_decoder_sshd,      &storm_decoder_http_access,
};

const storm_decoder *storm_decoders(size_t *n)
{
    /* the table holds pointers so each decoder stays in its own file; expose a contiguous copy */
    static storm_decoder flat[sizeof table / sizeof table[0]];
    static int ready;
    if (!ready) {
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            flat[i] = *table[i];
        ready = 1;
    }
    *n = sizeof table / sizeof table[0];
    return flat;
}

const storm_decoder *storm_decoder_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const storm_decoder *storm_decoder_detect(const storm_value *root)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i]->detect(root))
            return table[i];
    return NULL;
}

const char *ingest_type_name(storm_vtype t)
{
    static const char *const names[] = {"null", "boolean", "integer", "number", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "value";
}

bool ingest_number_out_of_range(const storm_value *v)
{
    /* 2^63: integral doubles from here on fit no int64 */
    return v && v->type == STORM_V_FLOAT &&
           (!isfinite(v->u.f) || (v->u.f == trunc(v->u.f) && fabs(v->u.f) >= 9223372036854775808.0));
}

const char *ingest_value_name(const storm_value *v)
{
    if (!v)
        return "nothing";
    return ingest_number_out_of_range(v) ? "number out of range" : ingest_type_name(v->type);
}

size_t ingest_pos_of(const storm_value *v)
{
    return v && v->pos != STORM_POS_NONE ? v->pos : 0;
}
