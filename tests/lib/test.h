/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal unit-test harness: CHECK records a failure and goes on; each
 * program ends with "<name>: N passed, M failed" (read by scripts/test.sh). */
#ifndef STORM_TEST_H
#define STORM_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;
static const char *test_current = "";

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (cond) {                                                                                                    \
            test_passed++;                                                                                             \
        } else {                                                                                                       \
            test_failed++;                                                                                             \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, test_current, #cond);                         \
        }                                                                                                              \
    } while (0)

#define CHECK_STR(got, want)                                                                                           \
    do {                                                                                                               \
        const char *g_ = (got), *w_ = (want);                                                                          \
        if (g_ && w_ && strcmp(g_, w_) == 0) {                                                                         \
            test_passed++;                                                                                             \
        } else {                                                                                                       \
            test_failed++;                                                                                             \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, test_current, #got,   \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                                           \
        }                                                                                                              \
    } while (0)

#define RUN(fn)                                                                                                        \
    do {                                                                                                               \
        test_current = #fn;                                                                                            \
        fn();                                                                                                          \
    } while (0)

/* A number below n from the xorshift64* generator at *state: deterministic,
 * so a failure on generated input is reproducible. */
static inline unsigned test_rand(unsigned long long *state, unsigned n)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (unsigned)((*state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static inline int test_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed ? 1 : 0;
}

#endif
