/* SPDX-License-Identifier: Apache-2.0 */
/* storm_arena (storm/arena.h): allocations are aligned, usable and
 * separate, with ordinary and with huge blocks (storm_arena_use_huge_blocks),
 * and the cap holds. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <storm/arena.h>

#include "test.h"

/* n allocations of growing sizes, each filled with its own byte and
 * checked afterwards: no two overlap, all are 16-byte aligned */
static void fill_and_check(storm_arena *a, size_t n)
{
    unsigned char *ptrs[256];
    size_t sizes[256];
    CHECK(n <= 256);
    for (size_t i = 0; i < n; i++) {
        sizes[i] = 1 + i * 997 % 70000; /* up to ~70 KB: some larger than a default block's quarter */
        ptrs[i] = storm_arena_alloc(a, sizes[i]);
        CHECK(ptrs[i] != NULL && ((uintptr_t)ptrs[i] & 15) == 0);
        if (ptrs[i])
            memset(ptrs[i], (int)(i & 0xff), sizes[i]);
    }
    bool intact = true;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; ptrs[i] && k < sizes[i]; k += 97)
            intact = intact && ptrs[i][k] == (unsigned char)(i & 0xff);
    CHECK(intact);
}

static void ordinary(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    CHECK(a != NULL);
    fill_and_check(a, 200);
    CHECK(storm_arena_used(a) >= 200);
    storm_arena_reset(a);
    CHECK(storm_arena_used(a) == 0);
    fill_and_check(a, 50); /* reusable after a reset */
    storm_arena_free(a);
}

static void huge(void)
{
    storm_arena *a = storm_arena_new(0, 0);
    CHECK(a != NULL);
    fill_and_check(a, 20);                   /* some ordinary blocks first */
    storm_arena_use_huge_blocks(a, 3 << 20); /* rounded up to 4 MiB blocks */
    fill_and_check(a, 256);                  /* ~9 MB: more than one huge block */
    char *s = storm_arena_strdup(a, "kept across blocks");
    CHECK(s && strcmp(s, "kept across blocks") == 0);
    storm_arena_reset(a);
    fill_and_check(a, 100);
    storm_arena_free(a);
    storm_arena_use_huge_blocks(NULL, 1); /* no arena: nothing */
}

static void capped(void)
{
    storm_arena *a = storm_arena_new(0, 4096);
    CHECK(a && storm_arena_alloc(a, 4000) != NULL);
    CHECK(storm_arena_alloc(a, 200) == NULL); /* past the cap */
    storm_arena_use_huge_blocks(a, 1);
    CHECK(storm_arena_alloc(a, 200) == NULL); /* huge blocks keep the cap */
    storm_arena_free(a);
}

int main(void)
{
    ordinary();
    huge();
    capped();
    return test_report("test_arena");
}
