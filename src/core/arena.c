/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/arena.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Blocks form a list; the newest is the head. Large requests get a block of
 * their own so that a big string does not waste a whole chunk. */
typedef struct block {
    struct block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} block;

struct storm_arena {
    block *head;
    size_t chunk;
    size_t cap;
    size_t total; /* bytes of all blocks held */
    size_t used;  /* bytes handed out */
    bool huge;    /* blocks of chunk bytes on transparent huge pages (storm_arena_use_huge_blocks) */
};

#define HUGE_BLOCK ((size_t)2 << 20) /* a transparent huge page on x86-64 and arm64 */

static block *block_new(const storm_arena *a, size_t size)
{
    block *b = NULL;
#ifdef MADV_HUGEPAGE
    /* chunk is a multiple of HUGE_BLOCK; the header takes the one past it
     * (address space only: the pages past size are never touched) */
    if (a->huge && size == a->chunk && (b = aligned_alloc(HUGE_BLOCK, a->chunk + HUGE_BLOCK)) != NULL)
        madvise(b, a->chunk + HUGE_BLOCK, MADV_HUGEPAGE); /* advice: failure changes nothing */
#endif
    if (!b)
        b = malloc(sizeof(block) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

storm_arena *storm_arena_new(size_t chunk, size_t cap)
{
    storm_arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->chunk = chunk ? chunk : 64 * 1024;
    a->cap = cap;
    return a;
}

void storm_arena_free(storm_arena *a)
{
    if (!a)
        return;
    block *b = a->head;
    while (b) {
        block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void storm_arena_reset(storm_arena *a)
{
    if (!a)
        return;
    /* keep one standard-size block: it is what a steady stream reuses */
    block *keep = NULL, *b = a->head;
    while (b) {
        block *n = b->next;
        if (!keep && b->size == a->chunk)
            keep = b;
        else
            free(b);
        b = n;
    }
    a->head = keep;
    a->total = keep ? keep->size : 0;
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->used = 0;
}

void *storm_arena_alloc(storm_arena *a, size_t size)
{
    if (!a)
        return NULL;
    size_t need = (size + 15) & ~(size_t)15;
    if (need < size)
        return NULL;
    if (a->cap && (a->used + need > a->cap || a->used + need < a->used))
        return NULL;
    block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t bsize = need > a->chunk / 4 ? need : a->chunk;
        block *nb = block_new(a, bsize);
        if (!nb)
            return NULL;
        a->total += bsize;
        if (bsize == a->chunk || !b) {
            nb->next = b;
            a->head = nb;
        } else {
            /* a large one-off block goes behind the head so the head keeps serving */
            nb->next = b->next;
            b->next = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used += need;
    return p;
}

void *storm_arena_calloc(storm_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = storm_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *storm_arena_strndup(storm_arena *a, const char *s, size_t len)
{
    char *p = storm_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *storm_arena_strdup(storm_arena *a, const char *s)
{
    return s ? storm_arena_strndup(a, s, strlen(s)) : NULL;
}

char *storm_arena_printf(storm_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return NULL;
    }
    char *p = storm_arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

size_t storm_arena_used(const storm_arena *a)
{
    return a ? a->used : 0;
}

void storm_arena_use_huge_blocks(storm_arena *a, size_t chunk)
{
    if (!a)
        return;
    a->chunk = chunk < HUGE_BLOCK ? HUGE_BLOCK : (chunk + HUGE_BLOCK - 1) & ~(HUGE_BLOCK - 1);
    a->huge = true;
}
