/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP intake (storm/intake.h) in a build without libmicrohttpd
 * (meson -Dtaxii=disabled): the API is there so that every front end links
 * in every configuration, and says why it cannot listen. */
#include <storm/intake.h>

#include <stddef.h>
#include <stdlib.h>

#define NO_INTAKE_MSG                                                                                                  \
    "this storm was built without the HTTP intake (meson -Dtaxii=disabled: no libmicrohttpd); rebuild with "           \
    "-Dtaxii=enabled to use --listen"

storm_rc storm_intake_check_listen(const char *listen, storm_err *err)
{
    (void)listen;
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, NO_INTAKE_MSG);
}

storm_rc storm_intake_start(const storm_intake_opts *opts, storm_intake **out, storm_err *err)
{
    (void)opts;
    *out = NULL;
    return storm_err_set(err, STORM_ERR_UNSUPPORTED, 0, NO_INTAKE_MSG);
}

storm_rc storm_intake_next(storm_intake *in, char **body, size_t *len, uint64_t *request, int timeout_ms)
{
    (void)in;
    (void)request;
    (void)timeout_ms;
    *body = NULL;
    *len = 0;
    return STORM_ERR_STATE; /* there is never an intake to read from */
}

storm_rc storm_intake_next_spooled(storm_intake *in, char **body, size_t *len, uint64_t *request,
                                   char position[STORM_INTAKE_POSITION_MAX], int timeout_ms)
{
    position[0] = '\0';
    return storm_intake_next(in, body, len, request, timeout_ms);
}

bool storm_intake_spool_rotate(storm_intake *in, const char *processed)
{
    (void)in;
    (void)processed;
    return false;
}

void storm_intake_release(storm_intake *in, char *body, size_t len)
{
    (void)in;
    (void)len;
    free(body);
}

void storm_intake_close(storm_intake *in)
{
    (void)in;
}

void storm_intake_pending(storm_intake *in, size_t *bodies, size_t *bytes)
{
    (void)in;
    *bodies = 0;
    *bytes = 0;
}

size_t storm_intake_held(storm_intake *in)
{
    (void)in;
    return 0;
}

unsigned storm_intake_port(const storm_intake *in)
{
    (void)in;
    return 0;
}

void storm_intake_get_stats(const storm_intake *in, storm_intake_stats *out)
{
    (void)in;
    *out = (storm_intake_stats){0};
}

void storm_intake_stop(storm_intake *in)
{
    (void)in;
}
