/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the tetragon decoder lands: detects nothing. */
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
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, "the tetragon decoder is not built yet");
}

const storm_decoder storm_decoder_tetragon = {"tetragon", STORM_SENSOR_UNKNOWN, detect, decode};
