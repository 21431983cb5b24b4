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

#include "tetragon_fields.h"

/* Normalise one argument element (elem at path). *out is arena-allocated. */
storm_rc tetragon_arg_normalize(storm_arena *a, const storm_value *elem, const tg_path *path, storm_value **out,
                                storm_err *err);

/* Normalise args (an array at path, or NULL) into ev->hook.args, and lift
 * files and network details into ev using hook_name (may be NULL). */
storm_rc tetragon_args_decode(storm_arena *a, const storm_value *args, const tg_path *path, const char *hook_name,
                              storm_event *ev, storm_err *err);

/* The operation a hook performs on files ("open", "write", "exec", ...) and
 * its base name with syscall/LSM prefixes removed ("__x64_sys_openat" ->
 * "openat"). Exposed for tests and the mapping documentation. */
const char *tetragon_hook_base_name(const char *hook_name, size_t *len);
const char *tetragon_hook_file_operation(const char *hook_name);

#endif
