/* SPDX-License-Identifier: Apache-2.0 */
/* Integers in decimal without printf, for the paths that write one per
 * event or per object (JSON numbers, ids, keys, descriptions): printf
 * reads its format every time. */
#ifndef STORM_DECIMAL_H
#define STORM_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define STORM_DECIMAL_MAX 21 /* "-9223372036854775808" and its NUL */

/* v as printf's "%" PRId64 writes it, NUL-terminated, at out (room for
 * STORM_DECIMAL_MAX bytes); returns its length (without the NUL). */
size_t storm_decimal(int64_t v, char *out);

#endif
