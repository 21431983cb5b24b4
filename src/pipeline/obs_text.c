/* SPDX-License-Identifier: Apache-2.0 */
#include "obs_text.h"

#include <string.h>

bool obs_text_write_kept(obs_text *c, uint64_t record, const storm_value *v, storm_buf *out)
{
    if (c->record != record)
        return false;
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].v == v)
            return storm_buf_append(out, c->text.data + c->e[i].off, c->e[i].len) == STORM_OK;
    return false;
}

void obs_text_keep(obs_text *c, uint64_t record, const storm_value *v, const char *text, size_t len)
{
    if (c->record != record) {
        c->record = record;
        c->n = 0;
        storm_buf_reset(&c->text);
    }
    if (c->n == OBS_TEXT_MAX)
        return;
    if (!c->text.cap)
        storm_buf_init(&c->text, (size_t)1 << 30);
    size_t off = c->text.len;
    if (storm_buf_append(&c->text, text, len) != STORM_OK) {
        c->text.len = off;
        return;
    }
    c->e[c->n++] = (obs_text_entry){v, off, len};
}

void obs_text_free(obs_text *c)
{
    storm_buf_free(&c->text);
    c->n = 0;
    c->record = 0;
}
