/* SPDX-License-Identifier: Apache-2.0 */
/* --since T of storm sessions and storm report: an RFC 3339 time, or a
 * duration back from now (30m, 24h, 7d). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <storm/time.h>

#include "cli.h"

bool cli_parse_since(const char *s, storm_time_ns *out)
{
    if (storm_time_parse(s, strlen(s), 0, out))
        return true;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || !*end || end[1])
        return false;
    double mult = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    if (!mult || v * mult > 9e9)
        return false;
    *out = storm_time_now() - (storm_time_ns)(v * mult * 1e9);
    return true;
}
