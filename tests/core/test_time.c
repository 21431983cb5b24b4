/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/time.h>

#include <stdint.h>
#include <stdio.h>

#include "test.h"

static storm_time_ns parse(const char *s, int flags, int *ok)
{
    storm_time_ns t = 0;
    *ok = storm_time_parse(s, strlen(s), flags, &t);
    return t;
}

static void test_parse_format(void)
{
    int ok;
    char buf[40];
    storm_time_ns t = parse("2024-05-30T15:39:47.311531918Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(ok);
    storm_time_format(t, 3, buf);
    CHECK_STR(buf, "2024-05-30T15:39:47.311Z");
    storm_time_format_exact(t, buf);
    CHECK_STR(buf, "2024-05-30T15:39:47.311531918Z");
    t = parse("1970-01-01T00:00:00Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(ok && t == 0);
    t = parse("1969-12-31T23:59:59.5Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(ok && t == -500000000);
    storm_time_format(t, 1, buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.5Z");
    t = parse("2020-02-29T10:00:00+02:00", STORM_TIME_LENIENT, &ok);
    CHECK(ok);
    storm_time_format(t, 0, buf);
    CHECK_STR(buf, "2020-02-29T08:00:00Z");
    parse("2020-02-29T10:00:00+02:00", STORM_TIME_STIX_STRICT, &ok);
    CHECK(!ok);
    parse("2021-02-29T10:00:00Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(!ok);
    parse("2021-01-01t10:00:00z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(!ok);
    parse("2021-01-01T10:00:00.Z", STORM_TIME_LENIENT, &ok);
    CHECK(!ok);
    parse("2021-13-01T10:00:00Z", STORM_TIME_LENIENT, &ok);
    CHECK(!ok);
    /* outside int64 nanoseconds: refused, not overflowed (UBSan checks this) */
    parse("0001-01-01T00:00:00Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(!ok);
    parse("9999-12-31T23:59:59Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(!ok);
    t = parse("2262-01-01T00:00:00Z", STORM_TIME_STIX_STRICT, &ok);
    CHECK(ok && t > 0);
}

/* STIX text: microseconds at most, truncated (never later than the time),
 * trailing zeros dropped down to the minimum, as python-stix2 writes it */
static void test_format_stix(void)
{
    static const struct {
        const char *in;
        const char *any, *ms;
    } cases[] = {
        {"2024-05-30T15:39:47.311531918Z", "2024-05-30T15:39:47.311531Z", "2024-05-30T15:39:47.311531Z"},
        {"2024-05-30T15:39:47.999999999Z", "2024-05-30T15:39:47.999999Z", "2024-05-30T15:39:47.999999Z"},
        {"2024-12-31T23:59:59.9999995Z", "2024-12-31T23:59:59.999999Z", "2024-12-31T23:59:59.999999Z"},
        {"2022-01-19T11:28:30.640000000Z", "2022-01-19T11:28:30.64Z", "2022-01-19T11:28:30.640Z"},
        {"2022-01-19T11:28:30.000000999Z", "2022-01-19T11:28:30Z", "2022-01-19T11:28:30.000Z"},
        {"2022-01-19T11:28:30Z", "2022-01-19T11:28:30Z", "2022-01-19T11:28:30.000Z"},
        {"2022-01-19T11:28:30.1Z", "2022-01-19T11:28:30.1Z", "2022-01-19T11:28:30.100Z"},
        {"2022-01-19T11:28:30.1234Z", "2022-01-19T11:28:30.1234Z", "2022-01-19T11:28:30.1234Z"},
        {"1969-12-31T23:59:59.9999999Z", "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"},
        {"1969-12-31T23:59:59.0000001Z", "1969-12-31T23:59:59Z", "1969-12-31T23:59:59.000Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int ok;
        char buf[40];
        storm_time_ns t = parse(cases[i].in, STORM_TIME_STIX_STRICT, &ok);
        CHECK(ok);
        CHECK(storm_time_format_stix(t, STORM_TIME_STIX_ANY, buf) == strlen(cases[i].any));
        CHECK_STR(buf, cases[i].any);
        CHECK(storm_time_format_stix(t, STORM_TIME_STIX_MS, buf) == strlen(cases[i].ms));
        CHECK_STR(buf, cases[i].ms);
        /* never later than t */
        storm_time_ns back = parse(buf, STORM_TIME_STIX_STRICT, &ok);
        CHECK(ok && back <= t && t - back < 1000);
    }
}

/* The printf-free formatter against the printf one it replaced, over the
 * whole range of an int64 of nanoseconds (its ends included) and every
 * number of digits. */
static void test_format_as_printf(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    int same = 0, n = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        storm_time_ns t = i == 0   ? INT64_MIN
                          : i == 1 ? INT64_MAX
                          : i == 2 ? 0
                          : i % 2  ? (storm_time_ns)x
                                   : (storm_time_ns)(x % 4000000000000000000ULL);
        for (int digits = -1; digits <= 10; digits++, n++) {
            int64_t secs = t / 1000000000LL, ns = t % 1000000000LL;
            if (ns < 0) {
                ns += 1000000000LL;
                secs--;
            }
            int64_t days = secs / 86400, rem = secs % 86400;
            if (rem < 0) {
                rem += 86400;
                days--;
            }
            int64_t y;
            unsigned m, d;
            storm_civil_from_days(days, &y, &m, &d);
            char want[64], frac[16], got[40];
            int k = snprintf(want, sizeof want, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
                             (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
            int nd = digits > 9 ? 9 : digits;
            if (nd > 0) {
                snprintf(frac, sizeof frac, "%09lld", (long long)ns);
                k += snprintf(want + k, sizeof want - (size_t)k, ".%.*s", nd, frac);
            }
            snprintf(want + k, sizeof want - (size_t)k, "Z");
            size_t len = storm_time_format(t, digits, got);
            same += len == strlen(want) && strcmp(got, want) == 0;
        }
    }
    CHECK(same == n);
}

int main(void)
{
    RUN(test_parse_format);
    RUN(test_format_as_printf);
    RUN(test_format_stix);
    return test_report("test_time");
}
