/* SPDX-License-Identifier: Apache-2.0 */
/* Tetragon hook arguments that a log shipper lifted out of args[].
 *
 * The honeycluster's Vector remap (tetragon_pre in honeystack/vector/
 * gkevalues.yaml) copies args[0..4] of a process_kprobe event to top-level
 * keys kprobe0..kprobe4, writes the string "null" for a position the event
 * does not have (a later variant writes "empty"), and then deletes args. The
 * record still decodes, but without its arguments every pattern on hook
 * arguments, files and sockets is blind. Here the positions are put back in
 * order so that tetragon_args.c reads them exactly as it reads args[]. Only
 * five positions survive the remap; see docs/mapping/vector-ksc.md. */
#include "tetragon_args.h"

static const char *const lifted_keys[TETRAGON_LIFTED_MAX] = {"kprobe0", "kprobe1", "kprobe2", "kprobe3", "kprobe4"};

/* The remap's "this position does not exist" (JSON null too, for other shippers). */
static bool is_placeholder(const storm_value *v)
{
    return v->type == STORM_V_NULL || storm_v_is_str(v, "null") || storm_v_is_str(v, "empty");
}

storm_rc tetragon_lifted_args(const storm_value *root, storm_value **items, const char **names, size_t *n,
                              storm_err *err)
{
    *n = 0;
    size_t gap = TETRAGON_LIFTED_MAX; /* first placeholder position */
    for (size_t i = 0; i < TETRAGON_LIFTED_MAX; i++) {
        storm_value *v = storm_v_get(root, lifted_keys[i]);
        if (!v || is_placeholder(v)) {
            if (gap == TETRAGON_LIFTED_MAX)
                gap = i;
            continue;
        }
        tg_path p = TG_KEY(NULL, lifted_keys[i]);
        if (v->type != STORM_V_OBJECT)
            return tg_fail(err, v, &p,
                           "expected a lifted argument object like {\"int_arg\": 1} or the placeholder "
                           "\"null\", got %s",
                           tg_type_name(v));
        if (gap < i) /* arguments are positional: a hole would shift every later one */
            return tg_fail(err, v, &p,
                           "argument %zu is present but %s is missing: lifted arguments must be "
                           "contiguous from kprobe0",
                           i, lifted_keys[gap]);
        items[*n] = v;
        names[*n] = lifted_keys[i];
        (*n)++;
    }
    return STORM_OK;
}
