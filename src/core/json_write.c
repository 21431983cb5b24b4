/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/json.h>

#include <storm/decimal.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "json_write_int.h"

/* Appends without a call per token when the buffer has room (the same
 * checks and result as storm_buf_append, which does the growing): writing
 * sightings is most of storm run's output work. */
static inline storm_rc put(storm_buf *out, const void *p, size_t n)
{
    if (out->len + n + 1 <= out->alloc) {
        memcpy(out->data + out->len, p, n);
        out->len += n;
        out->data[out->len] = '\0';
        return STORM_OK;
    }
    return storm_buf_append(out, p, n);
}

static inline storm_rc put_c(storm_buf *out, char c)
{
    return put(out, &c, 1);
}

/* %lld without printf's parsing of the format. */
static storm_rc put_int(storm_buf *out, int64_t i)
{
    char tmp[STORM_DECIMAL_MAX];
    return put(out, tmp, storm_decimal(i, tmp));
}

storm_rc storm_json_write_string(storm_buf *out, const char *s, size_t len)
{
    if (json_string_fits(out, len))
        return json_write_string_room(out, s, len);
    return json_write_string_exact(out, s, len);
}

storm_rc json_write_string_exact(storm_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    storm_rc rc = put_c(out, '"');
    size_t run = 0; /* bytes of s not yet copied */
    for (size_t i = 0; i < len && !rc; i++) {
        /* skip 8 plain bytes at a time: no '"', no '\\', nothing below 0x20
         * (the "has a zero byte" / "has a byte < n" word tests; bytes >= 0x80
         * never count) */
        while (i + 8 <= len) {
            uint64_t w, ones = 0x0101010101010101ULL;
            memcpy(&w, s + i, 8);
            uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
            if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & (ones * 0x80))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = put(out, s + run, i - run);
        run = i + 1;
        if (rc)
            break;
        switch (c) {
        case '"': rc = put(out, "\\\"", 2); break;
        case '\\': rc = put(out, "\\\\", 2); break;
        case '\n': rc = put(out, "\\n", 2); break;
        case '\r': rc = put(out, "\\r", 2); break;
        case '\t': rc = put(out, "\\t", 2); break;
        case '\b': rc = put(out, "\\b", 2); break;
        case '\f': rc = put(out, "\\f", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = put(out, e, 6);
        }
        }
    }
    if (!rc)
        rc = put(out, s + run, len - run);
    if (!rc)
        rc = put_c(out, '"');
    return rc;
}

/* Shortest text that reads back as the same double. */
static storm_rc write_float(storm_buf *out, double f)
{
    /* JSON has no NaN or infinity. An infinity is a number past the range
     * of a double (parsed from 1e400): 1e999 reads back as the same one. */
    if (isnan(f))
        return storm_buf_puts(out, "null");
    if (isinf(f))
        return storm_buf_puts(out, f > 0 ? "1e999" : "-1e999");
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, f);
        if (strtod(tmp, NULL) == f)
            break;
    }
    /* keep it a float on re-read: 12.0 stays 12.0, not 12 */
    if (!strpbrk(tmp, ".eEn"))
        strcat(tmp, ".0");
    return storm_buf_puts(out, tmp);
}

static int member_cmp(const void *a, const void *b)
{
    const storm_member *x = *(const storm_member *const *)a, *y = *(const storm_member *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static storm_rc indent(storm_buf *out, int flags, int depth)
{
    if (!(flags & STORM_JSONW_PRETTY))
        return STORM_OK;
    storm_rc rc = put_c(out, '\n');
    for (int i = 0; i < depth && !rc; i++)
        rc = put(out, "  ", 2);
    return rc;
}

static storm_rc write_value(storm_buf *out, const storm_value *v, int flags, int depth)
{
    storm_rc rc = STORM_OK;
    if (!v)
        return storm_buf_puts(out, "null");
    if (depth > STORM_JSON_MAX_DEPTH)
        return STORM_ERR_LIMIT;
    switch (v->type) {
    case STORM_V_NULL: return put(out, "null", 4);
    case STORM_V_BOOL: return v->u.b ? put(out, "true", 4) : put(out, "false", 5);
    case STORM_V_INT: return put_int(out, v->u.i);
    case STORM_V_FLOAT: return write_float(out, v->u.f);
    case STORM_V_STRING: return json_write_string_exact(out, v->u.s.ptr, v->u.s.len);
    case STORM_V_ARRAY:
        rc = put_c(out, '[');
        for (size_t i = 0; i < v->u.a.len && !rc; i++) {
            if (i)
                rc = put_c(out, ',');
            if (!rc)
                rc = indent(out, flags, depth + 1);
            if (!rc)
                rc = write_value(out, v->u.a.items[i], flags, depth + 1);
        }
        if (!rc && v->u.a.len)
            rc = indent(out, flags, depth);
        return rc ? rc : put_c(out, ']');
    case STORM_V_OBJECT: {
        size_t n = v->u.o.len;
        const storm_member **order = NULL;
        const storm_member *stack_order[32];
        if (n) {
            order = n <= 32 ? stack_order : malloc(n * sizeof *order);
            if (!order)
                return STORM_ERR_NOMEM;
            for (size_t i = 0; i < n; i++)
                order[i] = &v->u.o.members[i];
            if (flags & STORM_JSONW_SORT_KEYS)
                qsort(order, n, sizeof *order, member_cmp);
        }
        rc = put_c(out, '{');
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = put_c(out, ',');
            if (!rc)
                rc = indent(out, flags, depth + 1);
            if (!rc)
                rc = json_write_string_exact(out, order[i]->key, order[i]->key_len);
            if (!rc)
                rc = (flags & STORM_JSONW_PRETTY) ? put(out, ": ", 2) : put_c(out, ':');
            if (!rc)
                rc = write_value(out, order[i]->value, flags, depth + 1);
        }
        if (!rc && n)
            rc = indent(out, flags, depth);
        if (order && order != stack_order)
            free(order);
        return rc ? rc : put_c(out, '}');
    }
    }
    return STORM_ERR_VALUE;
}

storm_rc json_write_piecewise(storm_buf *out, const storm_value *v, int flags)
{
    return write_value(out, v, flags, 0);
}

storm_rc storm_json_write(storm_buf *out, const storm_value *v, int flags)
{
    if (flags == STORM_JSONW_COMPACT)
        return json_write_compact(out, v);
    return write_value(out, v, flags, 0);
}
