/* SPDX-License-Identifier: Apache-2.0 */
/* The decoder table and format detection. */
#include <storm/decode.h>

#include <string.h>

#include "decoders.h"

static const storm_decoder *const table[] = {
    &storm_decoder_tetragon,
    &storm_decoder_k8s_audit,
    &storm_decoder_kubescape,
    &storm_decoder_falco,
    &storm_decoder_hubble,
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

size_t ingest_pos_of(const storm_value *v)
{
    return v && v->pos != STORM_POS_NONE ? v->pos : 0;
}
