/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer with a cap fixed at creation (as curl's dynbuf). */
#ifndef STORM_BUF_H
#define STORM_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <storm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_buf {
    char *data; /* owned; always NUL-terminated when non-NULL */
    size_t len;
    size_t alloc;
    size_t cap; /* most bytes it may hold; appends past it fail with STORM_ERR_LIMIT */
} storm_buf;

void storm_buf_init(storm_buf *b, size_t cap);
/* Frees the data; the buffer can be reused after storm_buf_init. */
void storm_buf_free(storm_buf *b);
void storm_buf_reset(storm_buf *b); /* len = 0, keeps memory */
storm_rc storm_buf_append(storm_buf *b, const void *p, size_t n);
storm_rc storm_buf_putc(storm_buf *b, char c);
storm_rc storm_buf_puts(storm_buf *b, const char *s);
storm_rc storm_buf_printf(storm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
storm_rc storm_buf_vprintf(storm_buf *b, const char *fmt, va_list ap);
/* Hands the data over to the caller (free() it); the buffer becomes empty. */
char *storm_buf_take(storm_buf *b, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
