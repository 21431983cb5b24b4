/* SPDX-License-Identifier: Apache-2.0 */
/* Alerts in a build without libcurl (-Dtaxii=disabled): the formats exist,
 * sending does not, and storm run says so. */
#include <storm/alert.h>

bool storm_alert_available(void)
{
    return false;
}

storm_rc storm_alert_new(const storm_alert_opts *opts, storm_alert **out, storm_err *err)
{
    (void)opts;
    *out = NULL;
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0,
                         "--alert-webhook is not available in this build (meson -Dtaxii=disabled: no libcurl); "
                         "rebuild with -Dtaxii=enabled");
}

void storm_alert_on_session(void *ctx, const storm_session_event *ev)
{
    (void)ctx;
    (void)ev;
}

void storm_alert_close(storm_alert *a, storm_alert_stats *out)
{
    (void)a;
    if (out)
        *out = (storm_alert_stats){0};
}

void storm_alert_get_stats(storm_alert *a, storm_alert_stats *out)
{
    (void)a;
    *out = (storm_alert_stats){0};
}
