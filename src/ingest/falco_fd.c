/* SPDX-License-Identifier: Apache-2.0 */
/* The file and network parts of a Falco alert: fs.path.* and file fd.name
 * become files[], socket fds become net. Addresses are checked with
 * inet_pton so that nothing but a real IP reaches an ipv4-addr/ipv6-addr. */
#include <arpa/inet.h>
#include <string.h>

#include "falco_fields.h"

static storm_rc nomem(falco_fields *f)
{
    return storm_err_set(f->err, STORM_ERR_NOMEM, 0, "out of memory while decoding a Falco alert");
}

/* The operation a syscall name (evt.type) performs on its path. */
static const char *file_operation(const char *evt_type)
{
    static const struct {
        const char *evt, *op;
    } ops[] = {
        {"open", "open"},
        {"openat", "open"},
        {"openat2", "open"},
        {"creat", "create"},
        {"open_by_handle_at", "open"},
        {"execve", "exec"},
        {"execveat", "exec"},
        {"unlink", "unlink"},
        {"unlinkat", "unlink"},
        {"rename", "rename"},
        {"renameat", "rename"},
        {"renameat2", "rename"},
        {"symlink", "symlink"},
        {"symlinkat", "symlink"},
        {"link", "link"},
        {"linkat", "link"},
        {"mkdir", "mkdir"},
        {"mkdirat", "mkdir"},
        {"rmdir", "rmdir"},
        {"chmod", "chmod"},
        {"fchmodat", "chmod"},
        {"fchmod", "chmod"},
        {"chown", "chown"},
        {"fchownat", "chown"},
        {"mount", "mount"},
        {"umount", "umount"},
        {"umount2", "umount"},
        {"read", "read"},
        {"pread", "read"},
        {"readv", "read"},
        {"write", "write"},
        {"pwrite", "write"},
        {"writev", "write"},
        {"truncate", "truncate"},
        {"ftruncate", "truncate"},
    };
    if (!evt_type)
        return NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].evt, evt_type) == 0)
            return ops[i].op;
    return NULL;
}

static void add_file(storm_event *ev, const char *path, const char *op, const char *target)
{
    if (!path || !*path)
        return;
    for (size_t i = 0; i < ev->n_files; i++)
        if (strcmp(ev->files[i].path, path) == 0) {
            if (!ev->files[i].link_target)
                ev->files[i].link_target = target;
            return;
        }
    if (ev->n_files == STORM_EVENT_MAX_FILES)
        return;
    ev->files[ev->n_files++] = (storm_file_info){.path = path, .operation = op, .link_target = target};
}

static storm_rc read_files(falco_fields *f, storm_event *ev, const char *evt_type, const char *fd_type,
                           const char *fd_name)
{
    const char *op = file_operation(evt_type);
    const char *name, *source, *target;
    storm_rc rc;
    if ((rc = falco_field_str(f, "fs.path.name", &name)) != STORM_OK ||
        (rc = falco_field_str(f, "fs.path.source", &source)) != STORM_OK ||
        (rc = falco_field_str(f, "fs.path.target", &target)) != STORM_OK)
        return rc;
    add_file(ev, name, op, NULL);
    /* rename/link/symlink: the source path, and what it now points at */
    add_file(ev, source, op, target);
    /* fd.name is a path for file and directory fds, a tuple for sockets */
    bool file_fd = fd_type ? (strcmp(fd_type, "file") == 0 || strcmp(fd_type, "directory") == 0)
                           : (fd_name && fd_name[0] == '/' && !strstr(fd_name, "->"));
    if (file_fd)
        add_file(ev, fd_name, op, NULL);
    return STORM_OK;
}

static const char *ip_family(const char *ip)
{
    unsigned char buf[16];
    if (!ip)
        return NULL;
    if (inet_pton(AF_INET, ip, buf) == 1)
        return "ipv4";
    if (inet_pton(AF_INET6, ip, buf) == 1)
        return "ipv6";
    return NULL;
}

/* Split "ip:port" at its last colon (IPv6 addresses keep theirs); the ip
 * may be bracketed. Returns false unless both parts are well formed. */
static bool split_endpoint(storm_arena *a, const char *s, size_t len, const char **ip, int64_t *port)
{
    const char *colon = NULL;
    for (size_t i = len; i-- > 0;)
        if (s[i] == ':') {
            colon = s + i;
            break;
        }
    if (!colon || colon == s || (size_t)(s + len - colon - 1) == 0 || (size_t)(s + len - colon - 1) > 5)
        return false;
    int64_t p = 0;
    for (const char *c = colon + 1; c < s + len; c++) {
        if (*c < '0' || *c > '9')
            return false;
        p = p * 10 + (*c - '0');
    }
    if (p > 65535)
        return false;
    const char *start = s, *end = colon;
    if (*start == '[' && end[-1] == ']') {
        start++;
        end--;
    }
    char *copy = storm_arena_strndup(a, start, (size_t)(end - start));
    if (!copy || !ip_family(copy))
        return false;
    *ip = copy;
    *port = p;
    return true;
}

/* "cip:cport->sip:sport": client first, as Falco prints connection tuples. */
static void parse_tuple(storm_arena *a, const char *fd_name, storm_net_info *net)
{
    const char *arrow = fd_name ? strstr(fd_name, "->") : NULL;
    if (!arrow)
        return;
    const char *src_ip, *dst_ip;
    int64_t sport, dport;
    if (!split_endpoint(a, fd_name, (size_t)(arrow - fd_name), &src_ip, &sport) ||
        !split_endpoint(a, arrow + 2, strlen(arrow + 2), &dst_ip, &dport))
        return;
    net->src_ip = src_ip;
    net->dst_ip = dst_ip;
    net->src_port = sport;
    net->dst_port = dport;
    net->has_src_port = net->has_dst_port = true;
}

static storm_rc read_net(falco_fields *f, storm_event *ev, const char *evt_type, const char *fd_type,
                         const char *fd_name)
{
    storm_net_info *net = &ev->net;
    const char *cip, *sip, *proto;
    storm_rc rc;
    if ((rc = falco_field_str(f, "fd.cip", &cip)) != STORM_OK ||
        (rc = falco_field_str(f, "fd.sip", &sip)) != STORM_OK ||
        (rc = falco_field_int(f, "fd.cport", &net->has_src_port, &net->src_port)) != STORM_OK ||
        (rc = falco_field_int(f, "fd.sport", &net->has_dst_port, &net->dst_port)) != STORM_OK ||
        (rc = falco_field_str(f, "fd.l4proto", &proto)) != STORM_OK)
        return rc;
    net->src_ip = ip_family(cip) ? cip : NULL;
    net->dst_ip = ip_family(sip) ? sip : NULL;
    bool socket_fd = !fd_type || strcmp(fd_type, "ipv4") == 0 || strcmp(fd_type, "ipv6") == 0;
    if (!net->src_ip && !net->dst_ip && socket_fd)
        parse_tuple(f->a, fd_name, net);
    if (!net->src_ip && !net->dst_ip) {
        *net = (storm_net_info){0};
        return STORM_OK;
    }
    net->present = true;
    net->family = ip_family(net->dst_ip ? net->dst_ip : net->src_ip);
    if (proto) {
        /* Falco prints "tcp"/"udp"; keep STIX's lower-case IANA names */
        char *lower = storm_arena_strdup(f->a, proto);
        if (!lower)
            return nomem(f);
        for (char *c = lower; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        net->protocol = lower;
    }
    if (evt_type) {
        if (strcmp(evt_type, "connect") == 0 || strcmp(evt_type, "sendto") == 0 || strcmp(evt_type, "sendmsg") == 0)
            net->direction = "egress";
        else if (strcmp(evt_type, "accept") == 0 || strcmp(evt_type, "accept4") == 0 || strcmp(evt_type, "listen") == 0)
            net->direction = "ingress";
    }
    return STORM_OK;
}

storm_rc falco_read_fd(falco_fields *f, storm_event *ev)
{
    const char *evt_type, *fd_type, *fd_name;
    storm_rc rc;
    if ((rc = falco_field_str(f, "evt.type", &evt_type)) != STORM_OK ||
        (rc = falco_field_str(f, "fd.type", &fd_type)) != STORM_OK ||
        (rc = falco_field_str(f, "fd.name", &fd_name)) != STORM_OK)
        return rc;
    if ((rc = read_files(f, ev, evt_type, fd_type, fd_name)) != STORM_OK)
        return rc;
    return read_net(f, ev, evt_type, fd_type, fd_name);
}
