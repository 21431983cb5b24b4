/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/buf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void storm_buf_init(storm_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap ? cap : (size_t)1 << 30;
}

void storm_buf_free(storm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void storm_buf_reset(storm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static storm_rc grow(storm_buf *b, size_t n)
{
    if (n > b->cap || b->len + n > b->cap)
        return STORM_ERR_LIMIT;
    size_t need = b->len + n + 1;
    if (need <= b->alloc)
        return STORM_OK;
    size_t na = b->alloc ? b->alloc : 256;
    while (na < need)
        na *= 2;
    if (na > b->cap + 1)
        na = b->cap + 1;
    char *p = realloc(b->data, na);
    if (!p)
        return STORM_ERR_NOMEM;
    b->data = p;
    b->alloc = na;
    return STORM_OK;
}

storm_rc storm_buf_append(storm_buf *b, const void *p, size_t n)
{
    storm_rc rc = grow(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return STORM_OK;
}

storm_rc storm_buf_putc(storm_buf *b, char c)
{
    if (b->len + 2 <= b->alloc && b->len < b->cap) { /* fast path for the JSON writer */
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return STORM_OK;
    }
    return storm_buf_append(b, &c, 1);
}

storm_rc storm_buf_puts(storm_buf *b, const char *s)
{
    return storm_buf_append(b, s, strlen(s));
}

storm_rc storm_buf_vprintf(storm_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return STORM_ERR_VALUE;
    }
    storm_rc rc;
    if ((size_t)n < sizeof small) {
        rc = storm_buf_append(b, small, (size_t)n);
    } else {
        rc = grow(b, (size_t)n);
        if (!rc) {
            vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
            b->len += (size_t)n;
        }
    }
    va_end(ap2);
    return rc;
}

storm_rc storm_buf_printf(storm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    storm_rc rc = storm_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *storm_buf_take(storm_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}
