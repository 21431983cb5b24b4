/* SPDX-License-Identifier: Apache-2.0 */
/* Where a model defect is: file:line:column of a byte offset (through a line
 * index built on first use), the key or string byte a parsed value came
 * from, and the defect list itself. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models_int.h"

/* line:column of offset, through the file's line index (built on first
 * use: a file may hold 10,000 objects, each located once or more) */
void model_locate(const load_ctx *c, size_t offset, uint32_t *line, uint32_t *col)
{
    model_file *f = &c->m->files[c->file];
    *line = *col = 0;
    if (!c->text)
        return;
    if (!f->lines) {
        /* memchr: the byte loops were 3% of loading a model file */
        size_t n = 1;
        for (const char *p = c->text, *e = c->text + c->len; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            n++;
        f->lines = malloc(n * sizeof *f->lines);
        if (!f->lines)
            return;
        f->lines[0] = 0;
        f->n_lines = 1;
        for (const char *p = c->text, *e = c->text + c->len; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            f->lines[f->n_lines++] = (size_t)(p - c->text) + 1;
    }
    if (offset > c->len)
        offset = c->len;
    size_t lo = 0, hi = f->n_lines; /* the last line start <= offset */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    /* characters, not UTF-8 continuation bytes, as storm_err_locate; offsets
     * mostly grow while loading, so go on from the last one on this line
     * (a minified file is one line of megabytes) */
    size_t from = f->lines[lo];
    uint32_t ccount = 1;
    if (f->last_line == lo + 1 && f->last_off <= offset && f->last_off >= from) {
        from = f->last_off;
        ccount = f->last_col;
    }
    size_t i = from;
    for (; i + 8 <= offset; i += 8) { /* 8 bytes at a time: a minified file's column runs to megabytes */
        uint64_t w;
        memcpy(&w, c->text + i, 8);
        uint64_t cont = w & ~(w << 1) & 0x8080808080808080u; /* bytes 10xxxxxx */
        ccount += 8 - (uint32_t)__builtin_popcountll(cont);
    }
    for (; i < offset; i++)
        ccount += ((unsigned char)c->text[i] & 0xC0) != 0x80;
    f->last_line = lo + 1;
    f->last_off = offset;
    f->last_col = ccount;
    *line = (uint32_t)(lo + 1);
    *col = ccount;
}

void model_defect(load_ctx *c, size_t offset, const char *object_id, bool fatal, const char *fmt, ...)
{
    storm_models *m = c->m;
    if (GROW(m->defects, m->n_defects, m->alloc_defects) != 0)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    storm_model_defect *d = &m->defects[m->n_defects++];
    memset(d, 0, sizeof *d);
    d->file = m->files[c->file].path;
    if (offset != STORM_POS_NONE && c->text)
        model_locate(c, offset, &d->line, &d->col);
    d->object_id = object_id ? storm_arena_strdup(m->arena, object_id) : NULL;
    d->message = storm_arena_strdup(m->arena, msg);
    d->fatal = fatal;
}

/* Offset of the key of the member whose value is v: walk back from the value
 * over ':' and blanks to the key's closing quote, then to its opening one. */
size_t model_key_offset(const load_ctx *c, const storm_value *v)
{
    if (v->pos == STORM_POS_NONE || v->pos >= c->len)
        return v->pos;
    size_t i = v->pos;
    while (i > 0 && (c->text[i - 1] == ' ' || c->text[i - 1] == '\t' || c->text[i - 1] == '\n' ||
                     c->text[i - 1] == '\r' || c->text[i - 1] == ':'))
        i--;
    if (i == 0 || c->text[i - 1] != '"')
        return v->pos;
    i--;
    while (i > 0 && !(c->text[i - 1] == '"' && (i < 2 || c->text[i - 2] != '\\')))
        i--;
    return i > 0 ? i - 1 : v->pos;
}

/* Byte offset in the file of byte `k` of the decoded JSON string value v
 * (escapes in the raw text make the two differ). */
size_t model_string_offset(const load_ctx *c, const storm_value *v, size_t k)
{
    if (v->pos == STORM_POS_NONE || v->pos >= c->len || c->text[v->pos] != '"')
        return v->pos;
    size_t i = v->pos + 1, decoded = 0;
    while (i < c->len && c->text[i] != '"' && decoded < k) {
        if (c->text[i] == '\\') {
            if (i + 1 < c->len && c->text[i + 1] == 'u') {
                /* \uXXXX is 1..3 bytes of UTF-8 (or half of a surrogate pair) */
                unsigned cp = (unsigned)strtoul(
                    (char[5]){c->text[i + 2], c->text[i + 3], c->text[i + 4], c->text[i + 5], 0}, NULL, 16);
                decoded += cp < 0x80 ? 1 : cp < 0x800 ? 2 : (cp >= 0xD800 && cp < 0xE000) ? 2 : 3;
                i += 6;
            } else {
                decoded++;
                i += 2;
            }
        } else {
            decoded++;
            i++;
        }
    }
    return i;
}
