/* SPDX-License-Identifier: Apache-2.0 */
/* Timestamps as signed nanoseconds since the Unix epoch, UTC. */
#ifndef STORM_TIME_H
#define STORM_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t storm_time_ns;

typedef enum storm_time_flags {
    STORM_TIME_LENIENT = 0,     /* accept 't'/'z', a space for 'T', offsets like +02:00 */
    STORM_TIME_STIX_STRICT = 1, /* YYYY-MM-DDTHH:MM:SS[.s+]Z exactly (STIX timestamp) */
} storm_time_flags;

/* The proleptic Gregorian calendar over any year (Howard Hinnant's civil
 * calendar algorithm): days since 1970-01-01 of a date, and back. */
int64_t storm_days_from_civil(int64_t y, unsigned m, unsigned d);
void storm_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* The current wall-clock time (CLOCK_REALTIME). */
storm_time_ns storm_time_now(void);

/* Parse an RFC 3339 timestamp. Returns false when malformed. */
bool storm_time_parse(const char *s, size_t len, int flags, storm_time_ns *out);
/* Write YYYY-MM-DDTHH:MM:SS.fffZ with `digits` fractional digits (0..9;
 * 3 = milliseconds). buf needs 40 bytes. Returns the length. */
size_t storm_time_format(storm_time_ns t, int digits, char *buf);
/* Like storm_time_format, with as many digits as needed to keep t exactly
 * (at least 3, at most 9). */
size_t storm_time_format_exact(storm_time_ns t, char *buf);
/* A STIX timestamp as python-stix2 (the OASIS reference library) writes it:
 * t truncated (never rounded) to whole microseconds, trailing zeros of the
 * fraction dropped but at least min_digits kept (0: none, and no '.' for a
 * whole second, as for first_seen or network-traffic:start; 3: milliseconds,
 * as for created and modified). Ids hashed over this text therefore agree
 * with the library's. buf needs 40 bytes. Returns the length. */
#define STORM_TIME_STIX_ANY 0 /* digits kept by every timestamp but created/modified */
#define STORM_TIME_STIX_MS 3  /* created, modified: millisecond precision at least */
size_t storm_time_format_stix(storm_time_ns t, int min_digits, char *buf);

/* a - b, saturated to the range of storm_time_ns: times parsed from input
 * saturate at the ends of the range, and a plain difference of two of them
 * (a horizon check, a window start) would overflow. */
static inline storm_time_ns storm_time_sub(storm_time_ns a, storm_time_ns b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

#ifdef __cplusplus
}
#endif
#endif
