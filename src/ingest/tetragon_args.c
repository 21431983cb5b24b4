/* SPDX-License-Identifier: Apache-2.0 */
/* Tetragon hook arguments: normalisation and lifting; see tetragon_args.h. */
#include "tetragon_args.h"

#include <stdio.h>

/* ---- argument types ---------------------------------------------------- */

typedef enum arg_kind {
    ARG_UNKNOWN = 0, /* kept generically */
    ARG_STRING,      /* payload must be a string */
    ARG_I32,
    ARG_U32,
    ARG_I64,    /* int64/uint64: protojson writes a string of digits */
    ARG_OBJECT, /* payload must be an object */
} arg_kind;

typedef enum arg_role {
    ROLE_NONE = 0,
    ROLE_FILE,   /* file_arg, path_arg: {path, permission, mount, flags} */
    ROLE_BINPRM, /* linux_binprm_arg: the file being executed */
    ROLE_SOCK,   /* sock_arg */
    ROLE_SKB,    /* skb_arg */
    ROLE_SOCKADDR,
    ROLE_STRING, /* string_arg: may be a path for path-taking syscalls */
    ROLE_INT,    /* int_arg: may be a permission mask */
} arg_role;

typedef struct arg_type {
    const char *name;
    size_t name_len; /* strlen(name): the lookup compares lengths first */
    arg_kind kind;
    arg_role role;
} arg_type;

#define ARG_TYPE(name, kind, role)                                                                                     \
    {                                                                                                                  \
        name, sizeof(name) - 1, kind, role                                                                             \
    }

/* Every KprobeArgument field of Tetragon's API (tetragon.proto), in rough
 * order of frequency. */
static const arg_type arg_types[] = {
    ARG_TYPE("int_arg", ARG_I32, ROLE_INT),
    ARG_TYPE("string_arg", ARG_STRING, ROLE_STRING),
    ARG_TYPE("file_arg", ARG_OBJECT, ROLE_FILE),
    ARG_TYPE("sock_arg", ARG_OBJECT, ROLE_SOCK),
    ARG_TYPE("size_arg", ARG_I64, ROLE_NONE),
    ARG_TYPE("bytes_arg", ARG_STRING, ROLE_NONE), /* base64, kept encoded */
    ARG_TYPE("path_arg", ARG_OBJECT, ROLE_FILE),
    ARG_TYPE("uint_arg", ARG_U32, ROLE_NONE),
    ARG_TYPE("long_arg", ARG_I64, ROLE_NONE),
    ARG_TYPE("skb_arg", ARG_OBJECT, ROLE_SKB),
    ARG_TYPE("truncated_bytes_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("module_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("linux_binprm_arg", ARG_OBJECT, ROLE_BINPRM),
    ARG_TYPE("sockaddr_arg", ARG_OBJECT, ROLE_SOCKADDR),
    ARG_TYPE("cred_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("process_credentials_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("user_ns_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("user_namespace_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("capability_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("net_dev_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("bpf_attr_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("perf_event_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("bpf_map_arg", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("syscall_id", ARG_OBJECT, ROLE_NONE),
    ARG_TYPE("kernel_cap_t_arg", ARG_STRING, ROLE_NONE),
    ARG_TYPE("cap_inheritable_arg", ARG_STRING, ROLE_NONE),
    ARG_TYPE("cap_permitted_arg", ARG_STRING, ROLE_NONE),
    ARG_TYPE("cap_effective_arg", ARG_STRING, ROLE_NONE),
    ARG_TYPE("bpf_cmd_arg", ARG_UNKNOWN, ROLE_NONE), /* enum: a name, or a number when unknown to the exporter */
};

static const arg_type *arg_type_find(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof arg_types / sizeof arg_types[0]; i++)
        if (arg_types[i].name_len == len && memcmp(arg_types[i].name, key, len) == 0)
            return &arg_types[i];
    return NULL;
}

/* Fields of object arguments that are uint64 in the API (written as strings).
 * sock_arg.cookie is deliberately absent: it is an opaque kernel address that
 * often exceeds INT64_MAX, so it stays a string for every value alike. */
#define ARG_TYPE_IS(t, lit) ((t)->name_len == sizeof(lit) - 1 && memcmp((t)->name, (lit), sizeof(lit) - 1) == 0)
static bool is_64bit_field(const arg_type *t, const storm_member *m)
{
    if (ARG_TYPE_IS(t, "truncated_bytes_arg"))
        return TG_KEY_IS(m, "orig_size");
    if (ARG_TYPE_IS(t, "perf_event_arg"))
        return TG_KEY_IS(m, "Config") || TG_KEY_IS(m, "ProbeOffset");
    return false;
}

static bool is_nil_string(const storm_value *v)
{
    return v->type == STORM_V_STRING && v->u.s.len == 5 && memcmp(v->u.s.ptr, "<nil>", 5) == 0;
}

/* A decoded argument: its type and payload, for lifting. */
typedef struct arg_view {
    const arg_type *type; /* NULL when unknown */
    const storm_value *payload;
    tg_path path; /* path of the payload (args[i].<type>) */
} arg_view;

static storm_rc oom(storm_err *err)
{
    return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory while decoding hook arguments");
}

/* Appends key -> v to o, which has room for it and no member of that key. */
static inline void obj_add_own(storm_value *o, const char *key, size_t key_len, storm_value *v)
{
    o->u.o.members[o->u.o.len++] = (storm_member){key, key_len, v};
}

static storm_rc normalize(storm_arena *a, const storm_value *elem, const tg_path *path, storm_value **out,
                          arg_view *view, storm_err *err)
{
    if (!elem || elem->type != STORM_V_OBJECT)
        return tg_fail(err, elem, path, "expected an argument object like {\"int_arg\": 1}, got %s",
                       tg_type_name(elem));
    const storm_member *type_m = NULL;
    const storm_value *label = NULL;
    for (size_t i = 0; i < elem->u.o.len; i++) {
        const storm_member *m = &elem->u.o.members[i];
        if (TG_KEY_IS(m, "label")) {
            label = m->value;
            continue;
        }
        if (type_m && !(type_m->key_len == m->key_len && memcmp(type_m->key, m->key, m->key_len) == 0))
            return tg_fail(err, m->value, path, "an argument names one type, this one has \"%s\" and \"%s\"",
                           type_m->key, m->key);
        type_m = m; /* a repeated key: the last wins, as for any JSON object */
    }
    if (!type_m)
        return tg_fail(err, elem, path, "argument without a type key (like \"int_arg\")");
    const char *tname = type_m->key;
    const storm_value *p = type_m->value;
    const arg_type *t = arg_type_find(tname, type_m->key_len);
    view->type = t;
    view->payload = p;
    view->path = TG_KEY(path, tname);
    const tg_path *pp = &view->path;
    if (label && label->type != STORM_V_STRING)
        return tg_fail(err, label, path, "\"label\" must be a string, got %s", tg_type_name(label));

    /* room for "type", "label" and "value" or the payload's members: the
     * three keys of our own are distinct, so they go in without a scan */
    storm_value *o = tg_obj_new(a, 2 + (p && p->type == STORM_V_OBJECT ? p->u.o.len : 1));
    storm_value *tv = o ? storm_v_str_borrow(a, tname, type_m->key_len) : NULL;
    if (!tv)
        return oom(err);
    obj_add_own(o, "type", 4, tv);
    if (label)
        obj_add_own(o, "label", 5, (storm_value *)label);

    storm_value *value = (storm_value *)p;
    int64_t n = 0;
    storm_rc rc = STORM_OK;
    switch (t ? t->kind : ARG_UNKNOWN) {
    case ARG_STRING:
        if (p->type != STORM_V_STRING)
            return tg_fail(err, p, pp, "expected a string, got %s", tg_type_name(p));
        break;
    case ARG_I32:
        rc = tg_i32(err, p, pp, &n, NULL);
        if (rc == STORM_OK && p->type == STORM_V_NULL)
            rc = tg_fail(err, p, pp, "expected an integer, got null");
        break;
    case ARG_U32:
        rc = tg_u32(err, p, pp, &n, NULL);
        if (rc == STORM_OK && p->type == STORM_V_NULL)
            rc = tg_fail(err, p, pp, "expected an integer, got null");
        break;
    case ARG_I64:
        if (p->type == STORM_V_STRING) {
            /* protojson writes 64-bit values as strings: keep the number when it fits */
            if (tg_parse_i64(p->u.s.ptr, p->u.s.len, &n)) {
                if (!(value = storm_v_int(a, n)))
                    return oom(err);
                value->pos = p->pos;
            } else if (p->u.s.len == 0 || strspn(p->u.s.ptr, "0123456789") != p->u.s.len) {
                return tg_fail(err, p, pp, "expected a 64-bit integer (digits in a string), got \"%.40s\"", p->u.s.ptr);
            } /* else: an unsigned value above INT64_MAX stays a string */
        } else if (p->type != STORM_V_INT) {
            return tg_fail(err, p, pp, "expected a 64-bit integer (a string of digits or a number), got %s",
                           tg_type_name(p));
        }
        break;
    case ARG_OBJECT:
        if (p->type != STORM_V_OBJECT)
            return tg_fail(err, p, pp, "expected an object, got %s", tg_type_name(p));
        break;
    case ARG_UNKNOWN: break;
    }
    if (rc != STORM_OK)
        return rc;

    if (p->type == STORM_V_OBJECT) {
        for (size_t i = 0; i < p->u.o.len; i++) {
            const storm_member *m = &p->u.o.members[i];
            storm_value *fv = m->value;
            if (is_nil_string(fv))
                continue; /* Go printed a nil pointer: the field is absent */
            if (fv->type == STORM_V_STRING && t && is_64bit_field(t, m)) {
                tg_path fp = TG_KEY(pp, m->key);
                int64_t x;
                bool has = false;
                if ((rc = tg_i64(err, fv, &fp, &x, &has)) != STORM_OK)
                    return rc;
                if (!(fv = storm_v_int(a, x)))
                    return oom(err);
                fv->pos = m->value->pos;
            }
            const char *key = m->key;
            size_t key_len = m->key_len;
            if (TG_KEY_IS(m, "type") || TG_KEY_IS(m, "label")) {
                /* our "type"/"label" name the argument: sock_arg.type becomes "sock_type" */
                size_t base = type_m->key_len > 4 && memcmp(tname + type_m->key_len - 4, "_arg", 4) == 0
                                  ? type_m->key_len - 4
                                  : type_m->key_len;
                size_t tl = strnlen(tname, base), kl = strlen(m->key); /* as "%.*s_%s" would print */
                char *k = storm_arena_alloc(a, tl + 1 + kl + 1);
                if (!k)
                    return oom(err);
                memcpy(k, tname, tl);
                k[tl] = '_';
                memcpy(k + tl + 1, m->key, kl + 1);
                key = k;
                key_len = tl + 1 + kl;
            }
            if (tg_obj_copy_member(a, o, key, key_len, fv) != 0)
                return oom(err);
        }
    } else {
        obj_add_own(o, "value", 5, value);
    }
    *out = o;
    return STORM_OK;
}

storm_rc tetragon_arg_normalize(storm_arena *a, const storm_value *elem, const tg_path *path, storm_value **out,
                                storm_err *err)
{
    arg_view view;
    return normalize(a, elem, path, out, &view, err);
}

/* ---- hook names --------------------------------------------------------- */

const char *tetragon_hook_base_name(const char *hook_name, size_t *len)
{
    /* syscall wrappers and LSM/BPF-LSM prefixes, longest first */
#define PFX(s)                                                                                                         \
    {                                                                                                                  \
        s, sizeof s - 1                                                                                                \
    }
    static const struct {
        const char *text;
        size_t len;
    } prefixes[] = {
        PFX("__ia32_compat_sys_"), PFX("__x64_sys_"), PFX("__arm64_sys_"), PFX("__ia32_sys_"), PFX("__se_sys_"),
        PFX("__do_sys_"),          PFX("__sys_"),     PFX("ksys_"),        PFX("sys_"),        PFX("security_"),
        PFX("bpf_lsm_"),
    };
#undef PFX
    const char *s = hook_name ? hook_name : "";
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        /* the first byte spares most calls (a NUL in s stops strncmp alike) */
        if (s[0] == prefixes[i].text[0] && strncmp(s, prefixes[i].text, prefixes[i].len) == 0) {
            s += prefixes[i].len;
            break;
        }
    }
    while (s[0] == '_' && s[1] == '_')
        s += 2;
    if (len)
        *len = strlen(s);
    return s;
}

typedef enum path_mode {
    PATHS_NONE = 0, /* only file_arg/path_arg/linux_binprm_arg name files */
    PATHS_ONE,      /* the first string_arg is the path */
    PATHS_LINK,     /* strings (target, linkpath): path = linkpath, link_target = target */
    PATHS_TWO,      /* strings (old, new): both are files of the operation */
    PATHS_MOUNT,    /* strings (source, target): path = target */
} path_mode;

typedef enum net_dir { DIR_NONE = 0, DIR_EGRESS, DIR_INGRESS, DIR_BIND } net_dir;

typedef struct hook_class {
    const char *base;
    size_t base_len; /* strlen(base): the lookup compares lengths first */
    const char *op;  /* file operation, NULL for network-only hooks */
    path_mode paths;
    net_dir dir;
} hook_class;

/* Base names (after tetragon_hook_base_name) of the hooks whose meaning we
 * know: syscalls, LSM hooks and kernel functions used by TracingPolicies. */
#define B(s) s, sizeof s - 1
static const hook_class hook_classes[] = {
    {B("openat"), "open", PATHS_ONE, DIR_NONE},
    {B("open"), "open", PATHS_ONE, DIR_NONE},
    {B("openat2"), "open", PATHS_ONE, DIR_NONE},
    {B("creat"), "create", PATHS_ONE, DIR_NONE},
    {B("file_open"), "open", PATHS_NONE, DIR_NONE},
    {B("fd_install"), "open", PATHS_NONE, DIR_NONE},
    {B("filp_close"), "close", PATHS_NONE, DIR_NONE},
    {B("file_permission"), NULL, PATHS_NONE, DIR_NONE}, /* operation from the MAY_* mask */
    {B("read"), "read", PATHS_NONE, DIR_NONE},
    {B("pread64"), "read", PATHS_NONE, DIR_NONE},
    {B("readv"), "read", PATHS_NONE, DIR_NONE},
    {B("preadv"), "read", PATHS_NONE, DIR_NONE},
    {B("vfs_read"), "read", PATHS_NONE, DIR_NONE},
    {B("write"), "write", PATHS_NONE, DIR_NONE},
    {B("pwrite64"), "write", PATHS_NONE, DIR_NONE},
    {B("writev"), "write", PATHS_NONE, DIR_NONE},
    {B("pwritev"), "write", PATHS_NONE, DIR_NONE},
    {B("vfs_write"), "write", PATHS_NONE, DIR_NONE},
    {B("tty_write"), "write", PATHS_NONE, DIR_NONE},
    {B("kernel_read_file"), "read", PATHS_NONE, DIR_NONE},
    {B("execve"), "exec", PATHS_ONE, DIR_NONE},
    {B("execveat"), "exec", PATHS_ONE, DIR_NONE},
    {B("bprm_check"), "exec", PATHS_NONE, DIR_NONE},
    {B("bprm_check_security"), "exec", PATHS_NONE, DIR_NONE},
    {B("bprm_creds_from_file"), "exec", PATHS_NONE, DIR_NONE},
    {B("bprm_creds_for_exec"), "exec", PATHS_NONE, DIR_NONE},
    {B("bprm_committing_creds"), "exec", PATHS_NONE, DIR_NONE},
    {B("bprm_committed_creds"), "exec", PATHS_NONE, DIR_NONE},
    {B("mmap_file"), "mmap", PATHS_NONE, DIR_NONE},
    {B("symlink"), "symlink", PATHS_LINK, DIR_NONE},
    {B("symlinkat"), "symlink", PATHS_LINK, DIR_NONE},
    {B("path_symlink"), "symlink", PATHS_NONE, DIR_NONE},
    {B("inode_symlink"), "symlink", PATHS_NONE, DIR_NONE},
    {B("link"), "link", PATHS_LINK, DIR_NONE},
    {B("linkat"), "link", PATHS_LINK, DIR_NONE},
    {B("path_link"), "link", PATHS_NONE, DIR_NONE},
    {B("inode_link"), "link", PATHS_NONE, DIR_NONE},
    {B("inode_follow_link"), "readlink", PATHS_NONE, DIR_NONE},
    {B("readlink"), "readlink", PATHS_ONE, DIR_NONE},
    {B("readlinkat"), "readlink", PATHS_ONE, DIR_NONE},
    {B("rename"), "rename", PATHS_TWO, DIR_NONE},
    {B("renameat"), "rename", PATHS_TWO, DIR_NONE},
    {B("renameat2"), "rename", PATHS_TWO, DIR_NONE},
    {B("path_rename"), "rename", PATHS_NONE, DIR_NONE},
    {B("inode_rename"), "rename", PATHS_NONE, DIR_NONE},
    {B("unlink"), "unlink", PATHS_ONE, DIR_NONE},
    {B("unlinkat"), "unlink", PATHS_ONE, DIR_NONE},
    {B("path_unlink"), "unlink", PATHS_NONE, DIR_NONE},
    {B("inode_unlink"), "unlink", PATHS_NONE, DIR_NONE},
    {B("rmdir"), "rmdir", PATHS_ONE, DIR_NONE},
    {B("path_rmdir"), "rmdir", PATHS_NONE, DIR_NONE},
    {B("inode_rmdir"), "rmdir", PATHS_NONE, DIR_NONE},
    {B("mkdir"), "mkdir", PATHS_ONE, DIR_NONE},
    {B("mkdirat"), "mkdir", PATHS_ONE, DIR_NONE},
    {B("path_mkdir"), "mkdir", PATHS_NONE, DIR_NONE},
    {B("inode_mkdir"), "mkdir", PATHS_NONE, DIR_NONE},
    {B("chmod"), "chmod", PATHS_ONE, DIR_NONE},
    {B("fchmodat"), "chmod", PATHS_ONE, DIR_NONE},
    {B("fchmodat2"), "chmod", PATHS_ONE, DIR_NONE},
    {B("path_chmod"), "chmod", PATHS_NONE, DIR_NONE},
    {B("chown"), "chown", PATHS_ONE, DIR_NONE},
    {B("lchown"), "chown", PATHS_ONE, DIR_NONE},
    {B("fchownat"), "chown", PATHS_ONE, DIR_NONE},
    {B("path_chown"), "chown", PATHS_NONE, DIR_NONE},
    {B("truncate"), "truncate", PATHS_ONE, DIR_NONE},
    {B("path_truncate"), "truncate", PATHS_NONE, DIR_NONE},
    {B("mount"), "mount", PATHS_MOUNT, DIR_NONE},
    {B("sb_mount"), "mount", PATHS_NONE, DIR_NONE},
    {B("umount"), "unmount", PATHS_ONE, DIR_NONE},
    {B("umount2"), "unmount", PATHS_ONE, DIR_NONE},
    {B("pivot_root"), "pivot_root", PATHS_TWO, DIR_NONE},
    {B("chroot"), "chroot", PATHS_ONE, DIR_NONE},
    {B("chdir"), "chdir", PATHS_ONE, DIR_NONE},
    {B("file_ioctl"), "ioctl", PATHS_NONE, DIR_NONE},
    {B("connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("socket_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("tcp_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("tcp_v4_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("tcp_v6_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("inet_stream_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("ip4_datagram_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("ip6_datagram_connect"), NULL, PATHS_NONE, DIR_EGRESS},
    {B("accept"), NULL, PATHS_NONE, DIR_INGRESS},
    {B("accept4"), NULL, PATHS_NONE, DIR_INGRESS},
    {B("socket_accept"), NULL, PATHS_NONE, DIR_INGRESS},
    {B("inet_csk_accept"), NULL, PATHS_NONE, DIR_INGRESS},
    {B("tcp_create_openreq_child"), NULL, PATHS_NONE, DIR_INGRESS},
    {B("bind"), NULL, PATHS_NONE, DIR_BIND},
    {B("socket_bind"), NULL, PATHS_NONE, DIR_BIND},
    {B("sendto"), NULL, PATHS_NONE, DIR_EGRESS},
};
#undef B

static const hook_class *hook_class_find(const char *hook_name)
{
    size_t len;
    const char *base = tetragon_hook_base_name(hook_name, &len);
    for (size_t i = 0; i < sizeof hook_classes / sizeof hook_classes[0]; i++)
        if (hook_classes[i].base_len == len && hook_classes[i].base[0] == base[0] &&
            memcmp(hook_classes[i].base, base, len) == 0)
            return &hook_classes[i];
    return NULL;
}

/* Linux MAY_* bits of security_file_permission / inode_permission. */
enum { MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4, MAY_APPEND = 8 };

static const char *op_from_mask(int64_t mask)
{
    if (mask & (MAY_WRITE | MAY_APPEND))
        return "write";
    if (mask & MAY_READ)
        return "read";
    if (mask & MAY_EXEC)
        return "exec";
    return "access";
}

const char *tetragon_hook_file_operation(const char *hook_name)
{
    const hook_class *c = hook_class_find(hook_name);
    return c && c->op ? c->op : "access";
}

/* ---- lifting ------------------------------------------------------------ */

static storm_file_info *add_file(storm_event *ev)
{
    if (ev->n_files >= STORM_EVENT_MAX_FILES)
        return NULL;
    storm_file_info *f = &ev->files[ev->n_files++];
    memset(f, 0, sizeof *f);
    return f;
}

static storm_rc lift_file(const arg_view *v, const char *op, storm_event *ev, storm_err *err)
{
    const storm_value *o = v->payload;
    const char *path = NULL, *perm = NULL;
    for (size_t i = 0; i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(&v->path, m->key);
        storm_rc rc = STORM_OK;
        if (TG_KEY_IS(m, "path"))
            rc = tg_str(err, m->value, &fp, &path);
        else if (TG_KEY_IS(m, "permission"))
            rc = tg_str(err, m->value, &fp, &perm);
        if (rc != STORM_OK)
            return rc;
    }
    if (!path || !path[0])
        return STORM_OK;
    storm_file_info *f = add_file(ev);
    if (f) {
        f->path = path;
        f->permission = perm;
        f->operation = op;
    }
    return STORM_OK;
}

static const char *family_name(const char *f)
{
    if (!f)
        return NULL;
    if (strcmp(f, "AF_INET") == 0)
        return "ipv4";
    if (strcmp(f, "AF_INET6") == 0)
        return "ipv6";
    if (strcmp(f, "AF_UNIX") == 0 || strcmp(f, "AF_LOCAL") == 0)
        return "unix";
    return NULL; /* a numeric string: the kernel object was not a socket of a known family */
}

static const char *protocol_name(const char *p)
{
    if (!p)
        return NULL;
    if (strncmp(p, "IPPROTO_", 8) == 0)
        p += 8;
    static const char *const names[][2] = {
        {"TCP", "tcp"},   {"UDP", "udp"},         {"ICMP", "icmp"}, {"ICMPV6", "icmpv6"},
        {"SCTP", "sctp"}, {"UDPLITE", "udplite"}, {"RAW", "raw"},   {"MPTCP", "mptcp"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(p, names[i][0]) == 0)
            return names[i][1];
    return NULL;
}

static const char *protocol_from_number(int64_t n)
{
    switch (n) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmpv6";
    case 132: return "sctp";
    default: return NULL;
    }
}

static const char *addr_or_null(const char *s)
{
    return s && s[0] && strcmp(s, "<nil>") != 0 ? s : NULL;
}

static const char *family_of_address(const char *ip)
{
    if (!ip)
        return NULL;
    return strchr(ip, ':') ? "ipv6" : "ipv4";
}

/* sock_arg / skb_arg / sockaddr_arg -> ev->net (the first one only). */
static storm_rc lift_net(const arg_view *v, net_dir dir, storm_event *ev, storm_err *err)
{
    const storm_value *o = v->payload;
    const char *family = NULL, *protocol = NULL, *saddr = NULL, *daddr = NULL, *addr = NULL, *state = NULL;
    int64_t sport = 0, dport = 0, port = 0, proto = 0;
    bool has_sport = false, has_dport = false, has_port = false, has_proto = false;
    for (size_t i = 0; i < o->u.o.len; i++) {
        const storm_member *m = &o->u.o.members[i];
        tg_path fp = TG_KEY(&v->path, m->key);
        storm_rc rc = STORM_OK;
        if (TG_KEY_IS(m, "family"))
            rc = tg_str(err, m->value, &fp, &family);
        else if (TG_KEY_IS(m, "protocol"))
            rc = tg_str(err, m->value, &fp, &protocol);
        else if (TG_KEY_IS(m, "saddr"))
            rc = tg_str(err, m->value, &fp, &saddr);
        else if (TG_KEY_IS(m, "daddr"))
            rc = tg_str(err, m->value, &fp, &daddr);
        else if (TG_KEY_IS(m, "addr"))
            rc = tg_str(err, m->value, &fp, &addr);
        else if (TG_KEY_IS(m, "state"))
            rc = tg_str(err, m->value, &fp, &state);
        else if (TG_KEY_IS(m, "sport"))
            rc = tg_port(err, m->value, &fp, &sport, &has_sport);
        else if (TG_KEY_IS(m, "dport"))
            rc = tg_port(err, m->value, &fp, &dport, &has_dport);
        else if (TG_KEY_IS(m, "port"))
            rc = tg_port(err, m->value, &fp, &port, &has_port);
        else if (TG_KEY_IS(m, "proto"))
            rc = tg_u32(err, m->value, &fp, &proto, &has_proto);
        if (rc != STORM_OK)
            return rc;
    }
    if (ev->net.present)
        return STORM_OK; /* types were checked; the first socket argument describes the event */
    storm_net_info *n = &ev->net;
    if (v->type->role == ROLE_SOCKADDR) {
        const char *fam = family_name(family);
        if (!fam)
            return STORM_OK;
        n->present = true;
        n->family = fam;
        if (dir == DIR_BIND) {
            n->src_ip = addr_or_null(addr);
            n->has_src_port = has_port;
            n->src_port = port;
        } else {
            n->dst_ip = addr_or_null(addr);
            n->has_dst_port = has_port;
            n->dst_port = port;
        }
    } else {
        const char *fam = family_name(family);
        if (v->type->role == ROLE_SKB && !fam)
            fam = family_of_address(addr_or_null(saddr) ? saddr : addr_or_null(daddr));
        if (!fam)
            return STORM_OK; /* not a socket of a known family: ports would be noise */
        n->present = true;
        n->family = fam;
        n->src_ip = addr_or_null(saddr);
        n->dst_ip = addr_or_null(daddr);
        n->has_src_port = has_sport;
        n->src_port = sport;
        n->has_dst_port = has_dport;
        n->dst_port = dport;
        n->protocol = protocol_name(protocol);
        if (!n->protocol && has_proto)
            n->protocol = protocol_from_number(proto);
        if (state && state[0] && !(state[0] >= '0' && state[0] <= '9'))
            n->state = state;
    }
    n->direction = dir == DIR_EGRESS ? "egress" : dir == DIR_INGRESS ? "ingress" : NULL;
    return STORM_OK;
}

static void lift_string_paths(const hook_class *c, const arg_view *views, size_t n, storm_event *ev)
{
    const char *strs[2] = {NULL, NULL};
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 2; i++)
        if (views[i].type && views[i].type->role == ROLE_STRING && views[i].payload->u.s.len)
            strs[ns++] = views[i].payload->u.s.ptr;
    if (ns == 0)
        return;
    storm_file_info *f;
    switch (c->paths) {
    case PATHS_ONE:
        if ((f = add_file(ev))) {
            f->path = strs[0];
            f->operation = c->op;
        }
        break;
    case PATHS_LINK:
        if ((f = add_file(ev))) {
            f->path = ns == 2 ? strs[1] : strs[0];
            f->link_target = ns == 2 ? strs[0] : NULL;
            f->operation = c->op;
        }
        break;
    case PATHS_TWO:
        for (size_t i = 0; i < ns; i++)
            if ((f = add_file(ev))) {
                f->path = strs[i];
                f->operation = c->op;
            }
        break;
    case PATHS_MOUNT:
        if ((f = add_file(ev))) {
            f->path = ns == 2 ? strs[1] : strs[0];
            f->operation = c->op;
        }
        break;
    case PATHS_NONE: break;
    }
}

#define MAX_LIFT_ARGS 64

/* Element i's path: args[i], or the top-level key the element was lifted to. */
static tg_path elem_path(const tg_path *path, const char *const *names, size_t i)
{
    return names ? TG_KEY(NULL, names[i]) : TG_INDEX(path, i);
}

static storm_rc decode_items(storm_arena *a, storm_value *const *items, size_t n, uint32_t pos, const tg_path *path,
                             const char *const *names, const char *hook_name, storm_event *ev, storm_err *err)
{
    storm_value *out = storm_v_array(a);
    if (!out)
        return oom(err);
    out->u.a.items = n ? storm_arena_alloc(a, n * sizeof *out->u.a.items) : NULL;
    if (n && !out->u.a.items)
        return oom(err);
    out->u.a.alloc = n;
    out->pos = pos;
    /* views of the first MAX_LIFT_ARGS arguments, for lifting (hooks have at most 6 in practice) */
    arg_view views[MAX_LIFT_ARGS];
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        tg_path ep = elem_path(path, names, i);
        arg_view view;
        storm_value *norm;
        storm_rc rc = normalize(a, items[i], &ep, &norm, &view, err);
        if (rc != STORM_OK)
            return rc;
        out->u.a.items[out->u.a.len++] = norm;
        if (nv < MAX_LIFT_ARGS)
            views[nv++] = view; /* view.path.up is re-pointed below: ep dies with this iteration */
    }
    ev->hook.args = out;

    const hook_class *c = hook_class_find(hook_name);
    const char *op = c && c->op ? c->op : "access";
    for (size_t i = 0; i < nv; i++) {
        tg_path ep = elem_path(path, names, i);
        views[i].path.up = &ep;
        const arg_view *v = &views[i];
        if (!v->type)
            continue;
        storm_rc rc = STORM_OK;
        switch (v->type->role) {
        case ROLE_FILE: {
            const char *fop = op;
            if (c && !c->op) { /* security_file_permission: the next int_arg is the MAY_* mask */
                fop = "access";
                for (size_t j = i + 1; j < nv; j++)
                    if (views[j].type && views[j].type->role == ROLE_INT) {
                        fop = op_from_mask(views[j].payload->u.i);
                        break;
                    }
            }
            rc = lift_file(v, fop, ev, err);
            break;
        }
        case ROLE_BINPRM: rc = lift_file(v, "exec", ev, err); break;
        case ROLE_SOCK:
        case ROLE_SKB:
        case ROLE_SOCKADDR: rc = lift_net(v, c ? c->dir : DIR_NONE, ev, err); break;
        default: break;
        }
        if (rc != STORM_OK)
            return rc;
    }
    if (c && c->paths != PATHS_NONE)
        lift_string_paths(c, views, nv, ev);
    return STORM_OK;
}

storm_rc tetragon_args_decode(storm_arena *a, const storm_value *args, const tg_path *path, const char *hook_name,
                              storm_event *ev, storm_err *err)
{
    if (!args)
        return STORM_OK;
    return decode_items(a, args->u.a.items, args->u.a.len, args->pos, path, NULL, hook_name, ev, err);
}

storm_rc tetragon_args_decode_lifted(storm_arena *a, storm_value *const *items, const char *const *names, size_t n,
                                     const char *hook_name, storm_event *ev, storm_err *err)
{
    return decode_items(a, items, n, n ? items[0]->pos : STORM_POS_NONE, NULL, names, hook_name, ev, err);
}
