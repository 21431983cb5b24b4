/* SPDX-License-Identifier: Apache-2.0 */
/* Storm built without librdkafka (-Dkafka=disabled, or librdkafka-dev not
 * installed): storm run --kafka says how to get it. */
#include <storm/stream.h>

bool storm_stream_have_kafka(void)
{
    return false;
}

storm_rc storm_stream_kafka_open(const storm_kafka_opts *opts, storm_stream **out, storm_err *err)
{
    (void)opts;
    *out = NULL;
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                         "this storm was built without Kafka support: install librdkafka-dev and rebuild "
                         "(meson setup -Dkafka=enabled)");
}
