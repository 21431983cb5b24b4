/* SPDX-License-Identifier: Apache-2.0 */
/* storm run's heap settings (cli_run_memory_setup and cli_run_memory_release
 * in cli.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli.h"

#define MMAP_THRESHOLD ((size_t)4 << 20)
/* the heap's first HUGE_HEAP (below) + 16 MiB freed at its top stay */
#define TRIM_THRESHOLD ((size_t)46 << 20)
/* about the heap of a run with the shipped models + 1,000 indicators after
 * 100k events of the mixed or the attack-heavy kprobe stream (a third of
 * the quiet kprobe stream's); where a run needs less, the rest is address
 * space only */
#define HUGE_HEAP ((size_t)30 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20) /* a transparent huge page on x86-64 and arm64 */

#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
/* Extend the heap by HUGE_HEAP now (address space only: nothing is
 * touched) and advise its 2 MiB-aligned part for transparent huge pages.
 * What the run then allocates there is faulted in 2 MiB at a time: the
 * heap of model loading and of the first events took ~4,000 page faults of
 * 4 KiB, each ~15-20 us on a virtual machine (half of the start-up with
 * 1,000 indicators), and the held observations and sightings of the mixed
 * stream ~4,000 more per 100k events. Where THP is off the advice changes
 * nothing. Resident memory grows by 2 MiB steps within it, so a short run
 * holds up to ~2 MiB more; a long one touches the whole heap anyway. */
static void heap_on_huge_pages(void)
{
    uintptr_t lo = (uintptr_t)sbrk(0);
    mallopt(M_MMAP_THRESHOLD, (int)(HUGE_HEAP + MMAP_THRESHOLD)); /* this block from the heap, */
    void *block = malloc(HUGE_HEAP);
    mallopt(M_MMAP_THRESHOLD, (int)MMAP_THRESHOLD);
    uintptr_t hi = (uintptr_t)sbrk(0);
    bool got = block != NULL;
    free(block); /* merged into the heap's top, which stays (under TRIM_THRESHOLD) */
    /* the heap grew by the block (else glibc fell back to a mapping: leave it) */
    if (!got || lo == UINTPTR_MAX || hi == UINTPTR_MAX || hi < lo + HUGE_HEAP / 2)
        return;
    uintptr_t a = (hi - HUGE_HEAP + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t b = hi & ~(HUGE_PAGE - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE); /* advice: failure changes nothing */
}
#endif

/* storm run frees and takes again blocks of a few hundred KiB per event
 * (arenas, packed observations): glibc's defaults gave them back to the
 * system and took them again (brk, mmap and the page faults after them
 * were a fifth of a kprobe run's CPU time). Blocks under 4 MiB come from
 * the heap, and up to 16 MiB (beyond HUGE_HEAP) freed at its top stay for
 * reuse; the peak is unchanged. */
void cli_run_memory_setup(void)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, (int)MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, (int)TRIM_THRESHOLD);
#if defined(MADV_HUGEPAGE)
    heap_on_huge_pages();
#endif
#endif
}

/* A long run's heap fragments: the sightings, sessions and partial matches
 * it keeps are freed and taken again in other sizes between blocks that
 * stay, and the holes stay resident. Fed 12M events of the attack-heavy
 * kprobe stream on standard input, the heap grew from 37 to 44 MB around
 * ~30 MB in use and the RSS reached 67.6 MB; giving the holes' whole pages
 * back every few seconds (1-7 ms each) held it at ~60.5 MB. bench_rss.sh
 * (25M events, this every 1,048,576 records): 61.9 MB at 20M events
 * instead of 63.7, peak 63.6 instead of 63.8 MB. The top of the heap up to
 * TRIM_THRESHOLD stays, as at a free: the huge-page block and room to grow. */
void cli_run_memory_release(void *ctx)
{
    (void)ctx;
#if defined(__GLIBC__)
    malloc_trim(TRIM_THRESHOLD);
#endif
}
