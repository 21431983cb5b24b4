/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/time.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's well-known civil calendar algorithm, written from its
 * description. */
int64_t storm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void storm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool storm_time_parse(const char *s, size_t len, int flags, storm_time_ns *out)
{
    bool strict = flags & STORM_TIME_STIX_STRICT;
    unsigned y, mo, d, h, mi, se;
    if (len < 20)
        return false;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
        return false;
    char t = s[10];
    if (!(t == 'T' || (!strict && (t == 't' || t == ' '))))
        return false;
    if (digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return false;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60)
        return false;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    if (se == 60)
        se = 59; /* a leap second is kept inside its minute */
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t nd = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nd < 9)
                frac = frac * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0)
            return false;
        for (size_t k = nd; k < 9; k++)
            frac *= 10;
    }
    int64_t offset = 0;
    if (i < len && (s[i] == 'Z' || (!strict && s[i] == 'z'))) {
        i++;
    } else if (!strict && i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        unsigned oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return false;
    }
    if (i != len)
        return false;
    int64_t days = storm_days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset;
    /* nanoseconds in int64 span 1677-09-21 to 2262-04-11; outside, refuse
     * rather than overflow (sensors write 0001-01-01 for "unknown") */
    if (secs <= INT64_MIN / 1000000000LL || secs >= INT64_MAX / 1000000000LL)
        return false;
    *out = secs * 1000000000LL + frac;
    return true;
}

/* d (< 100) as two digits at o. */
static char *two_digits(char *o, unsigned d)
{
    o[0] = (char)('0' + d / 10);
    o[1] = (char)('0' + d % 10);
    return o + 2;
}

/* Without printf: every sighting and every held observation writes several
 * times. An int64 of nanoseconds spans the years 1677..2262, always four
 * digits (as "%04lld" wrote them). */
size_t storm_time_format(storm_time_ns t, int ndigits, char *buf)
{
    int64_t secs = t / 1000000000LL;
    int64_t ns = t % 1000000000LL;
    if (ns < 0) {
        ns += 1000000000LL;
        secs -= 1;
    }
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    int64_t y;
    unsigned m, d;
    storm_civil_from_days(days, &y, &m, &d);
    char *o = two_digits(two_digits(buf, (unsigned)(y / 100)), (unsigned)(y % 100));
    *o++ = '-';
    o = two_digits(o, m);
    *o++ = '-';
    o = two_digits(o, d);
    *o++ = 'T';
    o = two_digits(o, (unsigned)(rem / 3600));
    *o++ = ':';
    o = two_digits(o, (unsigned)(rem / 60 % 60));
    *o++ = ':';
    o = two_digits(o, (unsigned)(rem % 60));
    if (ndigits > 9)
        ndigits = 9;
    if (ndigits > 0) {
        char f[9];
        for (int i = 8; i >= 0; i--, ns /= 10)
            f[i] = (char)('0' + ns % 10);
        *o++ = '.';
        memcpy(o, f, (size_t)ndigits);
        o += ndigits;
    }
    *o++ = 'Z';
    *o = '\0';
    return (size_t)(o - buf);
}

size_t storm_time_format_exact(storm_time_ns t, char *buf)
{
    int64_t ns = t % 1000000000LL;
    if (ns < 0)
        ns += 1000000000LL;
    int nd = 9;
    while (nd > 3 && ns % 10 == 0) {
        ns /= 10;
        nd--;
    }
    return storm_time_format(t, nd, buf);
}

size_t storm_time_format_stix(storm_time_ns t, int min_digits, char *buf)
{
    /* floor to whole microseconds (t - r, r in [0, 1000)): a time is never
     * written later than it was, and Python datetimes stop at microseconds */
    int64_t r = t % 1000;
    if (r < 0)
        r += 1000;
    /* the earliest representable time (a saturated one) has no whole
     * microsecond below it: take the first one above */
    if (__builtin_sub_overflow(t, r, &t))
        t = INT64_MIN + (1000 - r);
    int64_t us = t / 1000 % 1000000;
    if (us < 0)
        us += 1000000;
    int nd = 6;
    while (nd > min_digits && us % 10 == 0) {
        us /= 10;
        nd--;
    }
    return storm_time_format(t, nd, buf);
}

storm_time_ns storm_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (storm_time_ns)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
