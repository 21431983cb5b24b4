/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/decimal.h>

size_t storm_decimal(int64_t v, char *out)
{
    char tmp[STORM_DECIMAL_MAX];
    size_t n = 0, o = 0;
    /* the magnitude in unsigned arithmetic: -INT64_MIN does not fit int64_t */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = tmp[--n];
    out[o] = '\0';
    return o;
}
