/* SPDX-License-Identifier: Apache-2.0 */
/* The stored form of a session: one JSON object, what the store keeps and
 * what storm sessions and storm report read back. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>

#include "tracker_int.h"

static void put_str(storm_buf *b, const char *key, const char *v, bool comma)
{
    if (comma)
        storm_buf_putc(b, ',');
    storm_json_write_string(b, key, strlen(key));
    storm_buf_putc(b, ':');
    if (v)
        storm_json_write_string(b, v, strlen(v));
    else
        storm_buf_puts(b, "null");
}

static void put_time(storm_buf *b, const char *key, storm_time_ns t)
{
    char s[64];
    storm_time_format_stix(t, 3, s);
    put_str(b, key, s, true);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct non-NULL values of one step field, sorted, as a JSON array. */
static void put_set(storm_buf *b, const char *key, const storm_session *s, size_t field)
{
    const char **v = calloc(s->n_steps + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < s->n_steps; i++) {
        const char *x = *(char *const *)((const char *)&s->steps[i] + field);
        if (x)
            v[n++] = x;
    }
    if (n)
        qsort(v, n, sizeof *v, str_cmp);
    storm_buf_putc(b, ',');
    storm_json_write_string(b, key, strlen(key));
    storm_buf_puts(b, ":[");
    for (size_t i = 0, k = 0; i < n; i++) {
        if (i && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (k++)
            storm_buf_putc(b, ',');
        storm_json_write_string(b, v[i], strlen(v[i]));
    }
    storm_buf_putc(b, ']');
    free(v);
}

storm_rc storm_session_to_json(const storm_session *s, storm_buf *b)
{
    storm_buf_putc(b, '{');
    put_str(b, "id", s->id, false);
    put_time(b, "first_seen", s->first_seen);
    put_time(b, "last_seen", s->last_seen);
    storm_buf_printf(b, ",\"size\":%llu,\"steps_dropped\":%llu,\"quiet\":%s", (unsigned long long)s->size,
                     (unsigned long long)s->steps_dropped, s->quiet ? "true" : "false");
    put_set(b, "pods", s, offsetof(storm_session_step, pod));
    put_set(b, "nodes", s, offsetof(storm_session_step, node));
    storm_buf_puts(b, ",\"steps\":[");
    for (size_t i = 0; i < s->n_steps; i++) {
        const storm_session_step *st = &s->steps[i];
        if (i)
            storm_buf_putc(b, ',');
        storm_buf_putc(b, '{');
        put_str(b, "sighting_id", st->sighting_id, false);
        put_str(b, "indicator_id", st->indicator_id, true);
        put_str(b, "indicator_name", st->indicator_name, true);
        put_str(b, "step_id", st->step_id, true);
        put_str(b, "step_name", st->step_name, true);
        put_str(b, "tactic", st->tactic, true);
        put_str(b, "pod", st->pod, true);
        put_str(b, "node", st->node, true);
        put_str(b, "evidence", st->evidence, true);
        put_str(b, "link", st->link, true);
        put_time(b, "first_seen", st->first_seen);
        put_time(b, "last_seen", st->last_seen);
        storm_buf_printf(b, ",\"count\":%llu,\"anomaly\":%s}", (unsigned long long)st->count,
                         st->anomaly ? "true" : "false");
    }
    return storm_buf_puts(b, "]}");
}
