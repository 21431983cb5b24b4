/* SPDX-License-Identifier: Apache-2.0 */
/* Storm built without hiredis (-Dredis=disabled, or libhiredis-dev not
 * installed): storm run --redis says how to get it. */
#include <storm/stream.h>

bool storm_stream_have_redis(void)
{
    return false;
}

storm_rc storm_stream_redis_open(const storm_redis_opts *opts, storm_stream **out, storm_err *err)
{
    (void)opts;
    *out = NULL;
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                         "this storm was built without Redis support: install libhiredis-dev and rebuild "
                         "(meson setup -Dredis=enabled)");
}
