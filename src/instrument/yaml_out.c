/* SPDX-License-Identifier: Apache-2.0 */
/* Writing YAML scalars: every string double-quoted, so no value is ever
 * read back as a number, a boolean or null. */
#include <stdio.h>

#include "instrument_int.h"

void yaml_quote(storm_buf *b, const char *s)
{
    storm_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            storm_buf_putc(b, '\\');
            storm_buf_putc(b, (char)*p);
        } else if (*p < 0x20) {
            storm_buf_printf(b, "\\x%02x", *p);
        } else {
            storm_buf_putc(b, (char)*p);
        }
    }
    storm_buf_putc(b, '"');
}
