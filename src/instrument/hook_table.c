/* SPDX-License-Identifier: Apache-2.0 */
/* The hooks Storm knows the signature of: the kernel functions the shipped
 * models and the corpus's TracingPolicies hook (models/policies/,
 * tests/data/corpus/tracingpolicies/), with the Tetragon type of each
 * argument in the function's order, and the x_hook_args field Storm reads
 * for it (docs/mapping/tetragon.md: value for strings and numbers, path for
 * files). A policy captures arguments 0..N of a hook in order, so that
 * x_hook_args[N] (the N-th argument of the event) is the function's N-th. */
#include <stdio.h>
#include <string.h>

#include "instrument_int.h"

#define V "value"
#define P "path"

static const hook_sig TABLE[] = {
    /* system calls (syscall: true; the event names them __x64_sys_... / __arm64_sys_...) */
    {"sys_openat", HOOK_KPROBE, true, {"int", "string", "int"}, {V, V, V}},
    {"sys_open", HOOK_KPROBE, true, {"string", "int"}, {V, V}},
    {"sys_openat2", HOOK_KPROBE, true, {"int", "string"}, {V, V}},
    {"sys_execve", HOOK_KPROBE, true, {"string"}, {V}},
    {"sys_execveat", HOOK_KPROBE, true, {"int", "string"}, {V, V}},
    {"sys_setns", HOOK_KPROBE, true, {"int", "int"}, {V, V}},
    {"sys_unshare", HOOK_KPROBE, true, {"int"}, {V}},
    {"sys_mount", HOOK_KPROBE, true, {"string", "string", "string", "uint64"}, {V, V, V, V}},
    {"sys_umount", HOOK_KPROBE, true, {"string", "int"}, {V, V}},
    {"sys_pivot_root", HOOK_KPROBE, true, {"string", "string"}, {V, V}},
    {"sys_ptrace", HOOK_KPROBE, true, {"int", "int", "uint64", "uint64"}, {V, V, V, V}},
    {"sys_symlinkat", HOOK_KPROBE, true, {"string", "int", "string"}, {V, V, V}},
    {"sys_symlink", HOOK_KPROBE, true, {"string", "string"}, {V, V}},
    {"sys_linkat", HOOK_KPROBE, true, {"int", "string", "int", "string"}, {V, V, V, V}},
    {"sys_connect", HOOK_KPROBE, true, {"int", "sockaddr", "int"}, {V, V, V}},
    {"sys_init_module", HOOK_KPROBE, true, {"uint64", "uint64", "string"}, {V, V, V}},
    {"sys_finit_module", HOOK_KPROBE, true, {"int", "string", "int"}, {V, V, V}},
    {"sys_dup2", HOOK_KPROBE, true, {"int", "int"}, {V, V}},
    {"sys_dup3", HOOK_KPROBE, true, {"int", "int", "int"}, {V, V, V}},
    {"sys_setuid", HOOK_KPROBE, true, {"int"}, {V}},
    {"sys_setgid", HOOK_KPROBE, true, {"int"}, {V}},
    {"sys_bpf", HOOK_KPROBE, true, {"int"}, {V}},
    {"sys_write", HOOK_KPROBE, true, {"fd", "char_buf", "size_t"}, {V, V, V}},
    {"sys_read", HOOK_KPROBE, true, {"fd", "char_buf", "size_t"}, {V, V, V}},
    {"sys_clock_settime", HOOK_KPROBE, true, {"int"}, {V}},
    /* kernel functions (syscall: false) */
    {"security_file_permission", HOOK_KPROBE, false, {"file", "int"}, {P, V}},
    {"security_file_open", HOOK_KPROBE, false, {"file"}, {P}},
    {"security_mmap_file", HOOK_KPROBE, false, {"file", "uint32", "uint32"}, {P, V, V}},
    {"security_path_truncate", HOOK_KPROBE, false, {"path"}, {P}},
    {"security_kernel_read_file", HOOK_KPROBE, false, {"file", "int"}, {P, V}},
    {"security_kernel_module_request", HOOK_KPROBE, false, {"string"}, {V}},
    {"security_sb_mount", HOOK_KPROBE, false, {"string", "path", "string", "uint64"}, {V, P, V, V}},
    {"security_bprm_check", HOOK_KPROBE, false, {"linux_binprm"}, {P}},
    {"security_bprm_creds_from_file", HOOK_KPROBE, false, {"nop", "file"}, {V, P}},
    {"security_inode_follow_link", HOOK_KPROBE, false, {"dentry"}, {P}},
    {"security_socket_connect", HOOK_KPROBE, false, {"socket", "sockaddr", "int"}, {V, V, V}},
    {"do_init_module", HOOK_KPROBE, false, {"module"}, {V}},
    {"find_module_sections", HOOK_KPROBE, false, {"load_info"}, {V}},
    {"free_module", HOOK_KPROBE, false, {"module"}, {V}},
    {"commit_creds", HOOK_KPROBE, false, {"cred"}, {V}},
    {"cap_capable", HOOK_KPROBE, false, {"nop", "user_namespace", "capability"}, {V, V, V}},
    {"fd_install", HOOK_KPROBE, false, {"int", "file"}, {V, P}},
    {"tcp_connect", HOOK_KPROBE, false, {"sock"}, {V}},
    {"tcp_close", HOOK_KPROBE, false, {"sock"}, {V}},
    {"inet_csk_accept", HOOK_KPROBE, false, {"sock"}, {V}},
    {"udp_sendmsg", HOOK_KPROBE, false, {"sock"}, {V}},
    /* LSM hooks (lsmhooks; the event names them without security_) */
    {"file_open", HOOK_LSM, false, {"file"}, {P}},
    {"bprm_check_security", HOOK_LSM, false, {"linux_binprm"}, {P}},
    /* tracepoints (subsystem/event) */
    {"raw_syscalls/sys_enter", HOOK_TRACEPOINT, false, {"syscall64"}, {V}},
    {"syscalls/sys_enter_openat", HOOK_TRACEPOINT, false, {NULL}, {NULL}},
};

const char *hook_normalize(const char *name, char *buf, size_t cap)
{
    static const char *const arch[] = {"__x64_", "__arm64_", "__ia32_", "__se_"};
    for (size_t i = 0; i < sizeof arch / sizeof arch[0]; i++) {
        size_t n = strlen(arch[i]);
        if (strncmp(name, arch[i], n) == 0 && strncmp(name + n, "sys_", 4) == 0) {
            snprintf(buf, cap, "%s", name + n);
            return buf;
        }
    }
    snprintf(buf, cap, "%s", name);
    return buf;
}

const hook_sig *hook_lookup(const char *call)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (strcmp(TABLE[i].call, call) == 0)
            return &TABLE[i];
    return NULL;
}

size_t hook_table_size(void)
{
    return sizeof TABLE / sizeof TABLE[0];
}

const hook_sig *hook_table_entry(size_t i)
{
    return i < hook_table_size() ? &TABLE[i] : NULL;
}

bool hook_type_is_int(const char *t)
{
    static const char *const ints[] = {"int",    "sint8",  "int8",   "uint8", "sint16", "int16",
                                       "uint16", "uint32", "sint32", "int32", "ulong",  "uint64",
                                       "size_t", "long",   "sint64", "int64", "fd"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (strcmp(t, ints[i]) == 0)
            return true;
    return false;
}
