/* SPDX-License-Identifier: Apache-2.0 */
/* Typed output_fields reads and the process part of a Falco alert. */
#include "ingest/falco_fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/decoders.h"

static bool is_na(const storm_value *v)
{
    return !v || v->type == STORM_V_NULL || storm_v_is_str(v, "<NA>");
}

static storm_rc field_error(falco_fields *f, const char *key, const storm_value *v, const char *want)
{
    return storm_err_set(f->err, STORM_ERR_VALUE, v->pos != STORM_POS_NONE ? v->pos : 0,
                         "output_fields[\"%.80s\"]: expected %s, got %s", key, want, ingest_value_name(v));
}

storm_rc falco_field_str(falco_fields *f, const char *key, const char **out)
{
    const storm_value *v = storm_v_get(f->map, key);
    *out = NULL;
    if (is_na(v))
        return STORM_OK;
    if (v->type != STORM_V_STRING)
        return field_error(f, key, v, "a string");
    *out = v->u.s.ptr;
    return STORM_OK;
}

storm_rc falco_field_str_any(falco_fields *f, const char *const *keys, const char **out)
{
    *out = NULL;
    for (; *keys && !*out; keys++) {
        storm_rc rc = falco_field_str(f, *keys, out);
        if (rc != STORM_OK)
            return rc;
    }
    return STORM_OK;
}

storm_rc falco_field_int(falco_fields *f, const char *key, bool *has, int64_t *out)
{
    const storm_value *v = storm_v_get(f->map, key);
    *has = false;
    if (is_na(v))
        return STORM_OK;
    if (v->type == STORM_V_INT) {
        *out = v->u.i;
        *has = true;
        return STORM_OK;
    }
    if (v->type == STORM_V_STRING && v->u.s.len > 0 && v->u.s.len < 24) {
        /* Falco writes some numeric fields as strings (ka.response.code) */
        char *end;
        errno = 0;
        long long n = strtoll(v->u.s.ptr, &end, 10);
        if (errno == 0 && end == v->u.s.ptr + v->u.s.len &&
            (v->u.s.ptr[0] == '-' || (v->u.s.ptr[0] >= '0' && v->u.s.ptr[0] <= '9'))) {
            *out = n;
            *has = true;
            return STORM_OK;
        }
    }
    return field_error(f, key, v, "an integer or a decimal string");
}

static storm_rc nomem(falco_fields *f)
{
    return storm_err_set(f->err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Falco alert");
}

/* Falco leaves loginuid at -1 (or its unsigned form) when it was never set. */
static bool auid_set(int64_t auid)
{
    return auid != -1 && auid != 4294967295LL;
}

/* Further fields worth keeping with the process, under snake_case names
 * (STIX property names may not contain dots). */
static const struct {
    const char *falco_key, *extra_key;
} process_extra[] = {
    {"user.name", "user_name"},
    {"user.loginname", "login_name"},
    {"group.name", "group_name"},
    {"proc.exe", "exe"},
    {"proc.tty", "tty"},
    {"proc.vpid", "vpid"},
    {"proc.sid", "sid"},
    {"proc.pidns_init_start_ts", "pidns_init_start_ts"},
    {"proc.is_exe_upper_layer", "exe_upper_layer"},
    {"proc.is_exe_from_memfd", "exe_from_memfd"},
    {"container.privileged", "container_privileged"},
};

static storm_rc read_extra(falco_fields *f, storm_process_info *p)
{
    storm_value *extra = NULL;
    for (size_t i = 0; i < sizeof process_extra / sizeof process_extra[0]; i++) {
        const storm_value *v = storm_v_get(f->map, process_extra[i].falco_key);
        if (is_na(v) || v->type == STORM_V_OBJECT || v->type == STORM_V_ARRAY)
            continue;
        if (!extra && !(extra = storm_v_object(f->a)))
            return nomem(f);
        if (storm_v_set(f->a, extra, process_extra[i].extra_key, (storm_value *)v) != 0)
            return nomem(f);
    }
    p->extra = extra;
    return STORM_OK;
}

/* The executable path: proc.exepath, else proc.exe when it is absolute
 * (proc.exe is argv[0] as invoked). */
static storm_rc read_binary(falco_fields *f, const char *exepath_key, const char *exe_key, const char **out)
{
    storm_rc rc = falco_field_str(f, exepath_key, out);
    if (rc != STORM_OK || *out)
        return rc;
    const char *exe;
    if ((rc = falco_field_str(f, exe_key, &exe)) != STORM_OK)
        return rc;
    if (exe && exe[0] == '/')
        *out = exe;
    return STORM_OK;
}

static storm_rc read_self(falco_fields *f, storm_process_info *p)
{
    storm_rc rc;
    if ((rc = falco_field_int(f, "proc.pid", &p->has_pid, &p->pid)) != STORM_OK ||
        (rc = falco_field_int(f, "thread.tid", &p->has_tid, &p->tid)) != STORM_OK ||
        (rc = falco_field_int(f, "user.uid", &p->has_uid, &p->uid)) != STORM_OK ||
        (rc = falco_field_int(f, "group.gid", &p->has_gid, &p->gid)) != STORM_OK ||
        (rc = falco_field_int(f, "user.loginuid", &p->has_auid, &p->auid)) != STORM_OK)
        return rc;
    if (p->has_auid && !auid_set(p->auid))
        p->has_auid = false;
    if ((rc = read_binary(f, "proc.exepath", "proc.exe", &p->binary)) != STORM_OK ||
        (rc = falco_field_str(f, "proc.name", &p->name)) != STORM_OK ||
        (rc = falco_field_str(f, "proc.args", &p->arguments)) != STORM_OK ||
        (rc = falco_field_str(f, "proc.cmdline", &p->command_line)) != STORM_OK ||
        (rc = falco_field_str(f, "proc.cwd", &p->cwd)) != STORM_OK || (rc = read_extra(f, p)) != STORM_OK)
        return rc;
    p->present = p->has_pid || p->has_uid || p->binary || p->name || p->command_line || p->arguments || p->cwd;
    return STORM_OK;
}

static storm_rc read_parent(falco_fields *f, storm_process_info *p)
{
    storm_rc rc;
    if ((rc = falco_field_int(f, "proc.ppid", &p->has_pid, &p->pid)) != STORM_OK ||
        (rc = read_binary(f, "proc.pexepath", "proc.pexe", &p->binary)) != STORM_OK ||
        (rc = falco_field_str(f, "proc.pname", &p->name)) != STORM_OK ||
        (rc = falco_field_str(f, "proc.pcmdline", &p->command_line)) != STORM_OK)
        return rc;
    /* proc.aname[1] / proc.apid[1] are the parent too */
    if (!p->has_pid && (rc = falco_field_int(f, "proc.apid[1]", &p->has_pid, &p->pid)) != STORM_OK)
        return rc;
    if (!p->name && (rc = falco_field_str(f, "proc.aname[1]", &p->name)) != STORM_OK)
        return rc;
    if (!p->binary && (rc = falco_field_str(f, "proc.aexepath[1]", &p->binary)) != STORM_OK)
        return rc;
    p->present = p->has_pid || p->binary || p->name || p->command_line;
    return STORM_OK;
}

#define FALCO_MAX_ANCESTORS 16

/* proc.aname[N] / proc.apid[N] / proc.aexepath[N] for N >= 2: the
 * grandparent and above, nearest first (the parent is ev->parent). */
static storm_rc read_ancestors(falco_fields *f, storm_event *ev)
{
    storm_process_info found[FALCO_MAX_ANCESTORS];
    size_t n = 0;
    for (int level = 2; level < 2 + FALCO_MAX_ANCESTORS; level++) {
        char name_key[32], pid_key[32], path_key[40];
        snprintf(name_key, sizeof name_key, "proc.aname[%d]", level);
        snprintf(pid_key, sizeof pid_key, "proc.apid[%d]", level);
        snprintf(path_key, sizeof path_key, "proc.aexepath[%d]", level);
        storm_process_info p = {0};
        storm_rc rc;
        if ((rc = falco_field_str(f, name_key, &p.name)) != STORM_OK ||
            (rc = falco_field_int(f, pid_key, &p.has_pid, &p.pid)) != STORM_OK ||
            (rc = falco_field_str(f, path_key, &p.binary)) != STORM_OK)
            return rc;
        if (!p.name && !p.has_pid && !p.binary)
            break;
        p.present = true;
        found[n++] = p;
    }
    if (!n)
        return STORM_OK;
    ev->ancestors = storm_arena_alloc(f->a, n * sizeof *ev->ancestors);
    if (!ev->ancestors)
        return nomem(f);
    memcpy(ev->ancestors, found, n * sizeof *found);
    ev->n_ancestors = n;
    return STORM_OK;
}

storm_rc falco_read_process(falco_fields *f, storm_event *ev)
{
    storm_rc rc;
    if ((rc = read_self(f, &ev->process)) != STORM_OK || (rc = read_parent(f, &ev->parent)) != STORM_OK)
        return rc;
    return read_ancestors(f, ev);
}
