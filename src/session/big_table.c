/* SPDX-License-Identifier: Apache-2.0 */
/* Large zeroed tables (big_table.h). */
#include "big_table.h"

#include <stdlib.h>
#include <sys/mman.h>

#define BIG_TABLE_MIN ((size_t)1 << 20)

void *big_table_alloc(size_t n, bool huge)
{
    if (n < BIG_TABLE_MIN)
        return calloc(1, n);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (huge)
        madvise(p, n, MADV_HUGEPAGE); /* a hint: without it, small pages */
#else
    (void)huge;
#endif
    return p;
}

void big_table_free(void *p, size_t n)
{
    if (!p)
        return;
    if (n < BIG_TABLE_MIN)
        free(p);
    else
        munmap(p, n);
}
