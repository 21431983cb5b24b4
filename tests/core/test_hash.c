/* SPDX-License-Identifier: Apache-2.0 */
/* storm_fnv1a (storm/hash.h), the one table hash: the published FNV-1a
 * 64-bit test vectors, embedded NULs hashed like any byte, and chaining. */
#include <storm/hash.h>

#include "test.h"

static void vectors(void)
{
    /* from the FNV reference (draft-eastlake-fnv, "FNV-1a 64") */
    CHECK(storm_fnv1a("", 0) == 0xcbf29ce484222325ULL);
    CHECK(storm_fnv1a("a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(storm_fnv1a("foobar", 6) == 0x85944171f73967e8ULL);
}

static void embedded_nul(void)
{
    /* a length-counted hash: "a", "a\0" and "a\0b" are three keys */
    CHECK(storm_fnv1a("a\0", 2) == 0x089be207b544f1e4ULL);
    CHECK(storm_fnv1a("a\0b", 3) == 0xe5d29919042666b2ULL);
    CHECK(storm_fnv1a("a\0", 2) != storm_fnv1a("a", 1));
}

static void chaining(void)
{
    CHECK(storm_fnv1a_add(storm_fnv1a("foo", 3), "bar", 3) == storm_fnv1a("foobar", 6));
    CHECK(storm_fnv1a_add(STORM_FNV1A_INIT, "x", 0) == STORM_FNV1A_INIT);
}

int main(void)
{
    RUN(vectors);
    RUN(embedded_nul);
    RUN(chaining);
    return test_report("test_hash");
}
