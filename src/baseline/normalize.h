/* SPDX-License-Identifier: Apache-2.0 */
/* Normalisation of volatile text: what changes on every restart (pids,
 * container ids, pod-hash suffixes, UUIDs, timestamps, projected-volume
 * directories) becomes a stable placeholder, so that a profile learned
 * before a restart still explains the same behaviour after it. */
#ifndef STORM_BASELINE_NORMALIZE_H
#define STORM_BASELINE_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A bounded output cursor: writes past cap are dropped (truncated, always
 * NUL-terminated), so callers never overflow and never allocate. */
typedef struct bl_out {
    char *buf;
    size_t len, cap;
    bool truncated;
} bl_out;

void bl_out_init(bl_out *o, char *buf, size_t cap);
/* Hot path of the normaliser and feature builder: inline. */
static inline void bl_out_putn(bl_out *o, const char *s, size_t n)
{
    if (!o->cap)
        return;
    size_t room = o->cap - 1 - o->len;
    if (n > room) {
        n = room;
        o->truncated = true;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}
static inline void bl_out_puts(bl_out *o, const char *s)
{
    bl_out_putn(o, s, strlen(s));
}
static inline void bl_out_putc(bl_out *o, char c)
{
    if (o->len + 1 < o->cap) {
        o->buf[o->len++] = c;
        o->buf[o->len] = '\0';
    } else if (o->cap) {
        o->truncated = true;
    }
}

/* Append the normalised form of s[0..len) to o. Placeholders:
 *   <uuid> 8-4-4-4-12 hex          <ts>  dates/times (2024-05-30T15:39:47Z, 2024_05_30_15_39_47.31)
 *   <pod>  pod-template hash and pod random suffix after '-' (webapp-<pod>)
 *   <id>   hex run of 24+ digits (container ids, digests)   <hex> hex run of 8..23
 *   <n>    a run of decimal digits standing alone, or 3+ digits inside a word
 *   <b64>  a 16+ character word mixing upper case, lower case and digits (tokens)
 * Whitespace runs collapse to one space. */
void bl_normalize(bl_out *o, const char *s, size_t len);

/* Pod name -> workload name guess: strips "-<hash>-<suffix>" (Deployment),
 * "-<suffix>" (DaemonSet, Job) or "-<ordinal>" (StatefulSet); *kind gets the
 * guessed kind ("Deployment", "DaemonSet", "StatefulSet", "Pod"). Returns the
 * length of the kept prefix of name. */
size_t bl_pod_workload(const char *name, const char **kind);

/* Shell-like split of an argument string (quotes and backslashes honoured)
 * into normalised tokens joined by single spaces, at most max_tokens (then
 * " …"). */
void bl_arg_shape(bl_out *o, const char *args, size_t max_tokens);
/* The same for arguments given as an array (Kubescape execs[].args). */
void bl_arg_shape_argv(bl_out *o, const char *const *argv, size_t argc, size_t max_tokens);
/* Tokens an exec feature keeps of the arguments. */
#define BL_ARG_SHAPE_TOKENS 16

#endif
