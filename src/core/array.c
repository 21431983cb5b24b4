/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/array.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int storm_array_grow(void *arr_ptr, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : (first ? first : 1);
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (elem && n > SIZE_MAX / elem)
        return -1;
    /* the pointer is read and written through memcpy: arr_ptr may point at
     * any T *, and a void ** access to it would break the aliasing rules */
    void *old;
    memcpy(&old, arr_ptr, sizeof old);
    void *p = realloc(old, n * elem);
    if (!p)
        return -1;
    memcpy(arr_ptr, &p, sizeof p);
    *cap = n;
    return 0;
}
