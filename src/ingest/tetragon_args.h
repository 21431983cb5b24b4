/* SPDX-License-Identifier: Apache-2.0 */
/* Tetragon hook arguments: the positional args[] of process_kprobe,
 * process_tracepoint, process_lsm, process_uprobe and process_usdt events.
 *
 * Each element of args[] is a one-key object naming its type
 * ({"sock_arg": {...}}, {"size_arg": "627"}), optionally with a "label". They
 * are normalised into objects {"type": "<type>", ["label": ...], ...fields}
 * (a scalar payload becomes "value"), 64-bit numbers written as strings become
 * integers where they fit, "<nil>" (Go's nil pointer) drops the field, and
 * unknown types are kept as they are. Then what the arguments say about files
 * and sockets is lifted into ev->files[] and ev->net, using the hook name to
 * tell the operation (openat -> "open", security_file_permission with
 * MAY_WRITE -> "write", tcp_connect -> egress, ...). */
#ifndef STORM_INGEST_TETRAGON_ARGS_H
#define STORM_INGEST_TETRAGON_ARGS_H

#include <storm/event.h>

#include "ingest/tetragon_fields.h"

/* Normalise one argument element (elem at path). *out is arena-allocated. */
storm_rc tetragon_arg_normalize(storm_arena *a, const storm_value *elem, const tg_path *path, storm_value **out,
                                storm_err *err);

/* Normalise args (an array at path, or NULL) into ev->hook.args, and lift
 * files and network details into ev using hook_name (may be NULL). */
storm_rc tetragon_args_decode(storm_arena *a, const storm_value *args, const tg_path *path, const char *hook_name,
                              storm_event *ev, storm_err *err);

/* The same for arguments a log shipper lifted out of args[] into separate
 * top-level keys (Vector's kprobe0..kprobe4): items[i] is argument i, found
 * under names[i] (used in error paths). */
storm_rc tetragon_args_decode_lifted(storm_arena *a, storm_value *const *items, const char *const *names, size_t n,
                                     const char *hook_name, storm_event *ev, storm_err *err);

/* Collect the arguments lifted to the top level of root (kprobe0..kprobe4;
 * placeholders "null"/"empty"/null mean absent) into items/names, which hold
 * TETRAGON_LIFTED_MAX entries; *n = how many, 0 when none. A lifted value that
 * is no argument object, or a hole before a present argument, is
 * STORM_ERR_VALUE at its position. Values are borrowed from root. */
#define TETRAGON_LIFTED_MAX 5
storm_rc tetragon_lifted_args(const storm_value *root, storm_value **items, const char **names, size_t *n,
                              storm_err *err);

/* The operation a hook performs on files ("open", "write", "exec", ...) and
 * its base name with syscall/LSM prefixes removed ("__x64_sys_openat" ->
 * "openat"). Exposed for tests and the mapping documentation. */
const char *tetragon_hook_base_name(const char *hook_name, size_t *len);
const char *tetragon_hook_file_operation(const char *hook_name);

#endif
