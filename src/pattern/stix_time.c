/* SPDX-License-Identifier: Apache-2.0 */
/* STIX timestamps at microsecond precision over any four-digit year.
 * storm_time_ns covers 1678..2261 only, but patterns and data may name any
 * year (the OASIS vectors compare with t'3012-08-17T17:43:55Z'), and the
 * reference matcher compares at microsecond precision, truncating finer
 * fractions. */
#include <storm/time.h>

#include "match_int.h"

static bool num(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool stix_time_us(const char *s, size_t len, int64_t *out)
{
    unsigned y, mo, d, h, mi, se;
    if (len < 20 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) || s[7] != '-' || !num(s + 8, 2, &d) ||
        s[10] != 'T' || !num(s + 11, 2, &h) || s[13] != ':' || !num(s + 14, 2, &mi) || s[16] != ':' ||
        !num(s + 17, 2, &se))
        return false;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 || se > 60)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (s[i] == '.') {
        size_t start = ++i;
        int digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (digits < 6) {
                frac = frac * 10 + (s[i] - '0');
                digits++;
            }
            i++;
        }
        if (i == start)
            return false;
        for (; digits < 6; digits++)
            frac *= 10;
    }
    if (i + 1 != len || s[i] != 'Z')
        return false;
    int64_t days = storm_days_from_civil((int64_t)y, mo, d);
    *out = ((days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)se) * 1000000) + frac;
    return true;
}

storm_time_ns stix_us_to_ns(int64_t us)
{
    if (us > INT64_MAX / 1000)
        return INT64_MAX;
    if (us < INT64_MIN / 1000)
        return INT64_MIN;
    return us * 1000;
}
