/* SPDX-License-Identifier: Apache-2.0 */
/* storm_decimal writes what printf's "%" PRId64 writes: the ends of the
 * range, every power of ten and its neighbours, and random values. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <storm/decimal.h>

#include "test.h"

static void same_as_printf(int64_t v)
{
    char want[32], got[STORM_DECIMAL_MAX + 8];
    memset(got, 'x', sizeof got);
    snprintf(want, sizeof want, "%" PRId64, v);
    size_t n = storm_decimal(v, got);
    if (n != strlen(want) || strcmp(got, want) != 0)
        fprintf(stderr, "  %s: got \"%.*s\" (%zu)\n", want, (int)n, got, n);
    CHECK(n == strlen(want) && strcmp(got, want) == 0);
    CHECK(got[STORM_DECIMAL_MAX] == 'x'); /* nothing past the room it asks for */
}

static void test_ends_and_powers(void)
{
    same_as_printf(0);
    same_as_printf(INT64_MAX);
    same_as_printf(INT64_MIN);
    same_as_printf(INT64_MIN + 1);
    int64_t p = 1; /* 10^0 .. 10^18, the last power below INT64_MAX */
    for (int i = 0; i < 19; i++) {
        for (int64_t d = -1; d <= 1; d++) {
            same_as_printf(p + d);
            same_as_printf(-(p + d));
        }
        if (i < 18)
            p *= 10;
    }
}

static void test_random(void)
{
    unsigned long long st = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 100000; i++) {
        uint64_t u = ((uint64_t)test_rand(&st, 0xffffffffu) << 32) | test_rand(&st, 0xffffffffu);
        same_as_printf((int64_t)(u >> test_rand(&st, 64)));
        same_as_printf(-(int64_t)(u >> (1 + test_rand(&st, 63))));
    }
}

int main(void)
{
    RUN(test_ends_and_powers);
    RUN(test_random);
    return test_report("test_decimal");
}
