/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the kubescape decoder lands: detects nothing. */
#include "ingest/decoders.h"

static bool detect(const storm_value *root)
{
    (void)root;
    return false;
}

static storm_rc decode(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err)
{
    (void)a;
    (void)root;
    (void)out;
    (void)skip_type;
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "the kubescape decoder is not built yet");
}

const storm_decoder storm_decoder_kubescape = {"kubescape", STORM_SENSOR_UNKNOWN, detect, decode};
