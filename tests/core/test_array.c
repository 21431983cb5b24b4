/* SPDX-License-Identifier: Apache-2.0 */
/* storm_array_grow (storm/array.h), the one growth rule of Storm's arrays. */
#include <stdint.h>
#include <stdlib.h>
#include <storm/array.h>

#include "test.h"

static void growth(void)
{
    int *a = NULL;
    size_t cap = 0;
    CHECK(STORM_ARRAY_GROW(a, 1, cap, 16) == 0 && a && cap == 16);
    CHECK(STORM_ARRAY_GROW(a, 16, cap, 16) == 0 && cap == 16); /* room already */
    CHECK(STORM_ARRAY_GROW(a, 17, cap, 16) == 0 && cap == 32);
    CHECK(STORM_ARRAY_GROW(a, 200, cap, 16) == 0 && cap == 256); /* doubling until it holds */
    for (int i = 0; i < 200; i++)
        a[i] = i; /* all of it is usable (ASan checks) */
    CHECK(a[199] == 199);
    free(a);
    double *d = NULL;
    cap = 0;
    CHECK(STORM_ARRAY_GROW(d, 0, cap, 8) == 0 && d == NULL && cap == 0); /* nothing asked, nothing done */
    CHECK(STORM_ARRAY_GROW(d, 3, cap, 0) == 0 && d && cap == 4);         /* first 0 counts as 1 */
    free(d);
}

static void overflow(void)
{
    char *p = malloc(4);
    size_t cap = 4;
    /* more elements than size_t bytes can hold: refused, array kept */
    CHECK(storm_array_grow(&p, &cap, SIZE_MAX / 2 + 2, 1, 4) == -1 && p && cap == 4);
    uint64_t *q = NULL;
    size_t qc = 0;
    CHECK(STORM_ARRAY_GROW(q, SIZE_MAX / 4, qc, 16) == -1 && q == NULL && qc == 0);
    free(p);
}

int main(void)
{
    RUN(growth);
    RUN(overflow);
    return test_report("test_array");
}
