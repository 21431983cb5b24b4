/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/err.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *storm_strerror(storm_rc rc)
{
    static const char *const text[STORM_ERR__COUNT] = {
        [STORM_OK] = "ok",
        [STORM_ERR_NOMEM] = "out of memory",
        [STORM_ERR_SYNTAX] = "syntax error",
        [STORM_ERR_VALUE] = "invalid value",
        [STORM_ERR_LIMIT] = "limit exceeded",
        [STORM_ERR_IO] = "input/output error",
        [STORM_ERR_NOTFOUND] = "not found",
        [STORM_ERR_UNSUPPORTED] = "unsupported",
        [STORM_ERR_STATE] = "invalid state",
        [STORM_ERR_AUTH] = "not authorised",
    };
    if ((unsigned)rc >= STORM_ERR__COUNT || !text[rc])
        return "unknown error";
    return text[rc];
}

void storm_err_clear(storm_err *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

storm_rc storm_err_set(storm_err *err, storm_rc rc, size_t offset, const char *fmt, ...)
{
    if (!err || err->rc != STORM_OK)
        return rc;
    err->rc = rc;
    err->offset = offset;
    err->len = 0;
    err->line = 0;
    err->col = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return rc;
}

void storm_err_locate(storm_err *err, const char *text, size_t len)
{
    if (!err || !text)
        return;
    size_t end = err->offset < len ? err->offset : len;
    uint32_t line = 1, col = 1;
    for (size_t i = 0; i < end; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            col++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    err->line = line;
    err->col = col;
}

size_t storm_err_format(const storm_err *err, const char *what, const char *where, const char *text, size_t text_len,
                        char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return 0;
    storm_err e = *err;
    if (text && e.line == 0)
        storm_err_locate(&e, text, text_len);
    /* "pattern error at ...", or "pattern warning at ..." when what says warning */
    const char *w = what ? what : "storm";
    size_t wl = strlen(w);
    bool warning = wl >= 7 && strcmp(w + wl - 7, "warning") == 0;
    int n = snprintf(buf, cap, "%s%s at %s, line %u, column %u: %s", w, warning ? "" : " error",
                     where ? where : "<input>", e.line, e.col, e.msg);
    size_t used = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    if (!text || used + 1 >= cap)
        return used;
    /* the source line holding the offset */
    size_t off = e.offset < text_len ? e.offset : text_len;
    size_t ls = off;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    size_t le = off;
    while (le < text_len && text[le] != '\n')
        le++;
    n = snprintf(buf + used, cap - used, "\n%.*s\n", (int)(le - ls), text + ls);
    used = n < 0 ? used : used + (size_t)n >= cap ? cap - 1 : used + (size_t)n;
    size_t width = e.col > 0 ? e.col - 1 : 0;
    size_t carets = e.len ? e.len : 1;
    for (size_t i = 0; i < width + carets && used + 1 < cap; i++)
        buf[used++] = i < width ? ' ' : '^';
    buf[used] = '\0';
    return used;
}
