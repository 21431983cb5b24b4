/* SPDX-License-Identifier: Apache-2.0 */
/* Event -> features: the few facts about an event that a profile must
 * contain for the event to count as normal (docs/baseline.md, "Features").
 * Each is one normalised line "<kind> <value>"; all built in a fixed buffer,
 * nothing allocated, because check() runs on every event. */
#include "baseline_int.h"

#include <stdint.h>
#include <string.h>
#include <storm/decimal.h>

#define HOOK_ARG_MAX 8
#define HOOK_STRING_MAX 128

static bool nonempty(const char *s)
{
    return s && *s;
}

static bool begin(bl_features *fs, bl_out *o)
{
    if (fs->n == BL_EVENT_MAX_FEATURES)
        return false;
    size_t room = sizeof fs->buf - fs->used;
    if (room < 64)
        return false;
    bl_out_init(o, fs->buf + fs->used, room > 600 ? 600 : room);
    return true;
}

/* '*' and "⋯" in event data are literal text: written as "∗" (U+2217) and
 * "…" so that a learned entry never turns into a wildcard (a learned shell
 * command ending in a star would otherwise allow any text there), and '/' in
 * a network peer as '_' so that it never reads as a CIDR. keep: the offset of
 * the one '*' placed on purpose (the ingress peer), SIZE_MAX for none;
 * [peer_from, peer_to): the peer. The rewrite is rare, so it is kept out of
 * line with its buffer; the common text is only scanned. */
static __attribute__((noinline)) void rewrite_wildcards(bl_out *o, size_t keep, size_t peer_from, size_t peer_to)
{
    char tmp[600];
    bl_out t;
    bl_out_init(&t, tmp, o->cap < sizeof tmp ? o->cap : sizeof tmp);
    for (size_t i = 0; i < o->len; i++) {
        if (o->buf[i] == '*' && i != keep) {
            bl_out_putn(&t, "\xe2\x88\x97", 3);
        } else if (i + 2 < o->len && memcmp(o->buf + i, "\xe2\x8b\xaf", 3) == 0) {
            bl_out_putn(&t, "\xe2\x80\xa6", 3);
            i += 2;
        } else if (o->buf[i] == '/' && i >= peer_from && i < peer_to) {
            bl_out_putc(&t, '_');
        } else {
            bl_out_putc(&t, o->buf[i]);
        }
    }
    memcpy(o->buf, tmp, t.len + 1);
    o->len = t.len;
    o->truncated |= t.truncated;
}

static void escape_wildcards(bl_out *o, size_t keep, size_t peer_from, size_t peer_to)
{
    const char *b = o->buf;
    size_t n = o->len;
    bool star = keep < n ? memchr(b, '*', keep) || memchr(b + keep + 1, '*', n - keep - 1) : memchr(b, '*', n) != NULL;
    if (star || memchr(b, '\xe2', n) || (peer_from < peer_to && memchr(b + peer_from, '/', peer_to - peer_from)))
        rewrite_wildcards(o, keep, peer_from, peer_to);
}

static void commit_escaped(bl_features *fs, bl_out *o, size_t keep, size_t peer_from, size_t peer_to)
{
    escape_wildcards(o, keep, peer_from, peer_to);
    /* drop a trailing space, then dedupe within the event */
    while (o->len && o->buf[o->len - 1] == ' ')
        o->buf[--o->len] = '\0';
    for (size_t i = 0; i < fs->n; i++)
        if (fs->len[i] == o->len && memcmp(fs->text[i], o->buf, o->len) == 0)
            return;
    fs->text[fs->n] = o->buf;
    fs->len[fs->n] = o->len;
    fs->n++;
    fs->used += o->len + 1;
}

static void commit(bl_features *fs, bl_out *o)
{
    commit_escaped(fs, o, SIZE_MAX, 0, 0);
}

static void put_norm(bl_out *o, const char *s)
{
    bl_normalize(o, s, strlen(s));
}

/* Names that are stable by nature (rule ids, syscalls, capabilities): kept,
 * only control characters are masked. */
static void put_raw(bl_out *o, const char *s)
{
    for (; *s; s++)
        bl_out_putc(o, (unsigned char)*s < 0x20 ? '?' : *s);
}

static void put_lower_word(bl_out *o, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (c == ' ')
            c = '_';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        bl_out_putc(o, c);
    }
}

static void add_exec(bl_features *fs, const storm_process_info *p)
{
    const char *bin = nonempty(p->binary) ? p->binary : p->name;
    bl_out o;
    if (!nonempty(bin) || !begin(fs, &o))
        return;
    bl_out_puts(&o, "exec ");
    put_norm(&o, bin);
    const char *args = p->arguments;
    if (!nonempty(args) && nonempty(p->command_line)) {
        /* the command line starts with the program: skip its first token */
        args = p->command_line;
        while (*args && *args != ' ')
            args++;
    }
    if (nonempty(args)) {
        bl_out_putc(&o, ' ');
        bl_arg_shape(&o, args, BL_ARG_SHAPE_TOKENS);
    }
    commit(fs, &o);
}

static void add_file(bl_features *fs, const storm_file_info *f)
{
    bl_out o;
    if (!nonempty(f->path) || !begin(fs, &o))
        return;
    bl_out_puts(&o, "file ");
    put_lower_word(&o, nonempty(f->operation) ? f->operation : "access");
    bl_out_putc(&o, ' ');
    put_norm(&o, f->path);
    commit(fs, &o);
}

/* Decimal, as printf's %lld would write it (snprintf is slow on this path). */
static void put_int(bl_out *o, int64_t v)
{
    char num[STORM_DECIMAL_MAX];
    bl_out_putn(o, num, storm_decimal(v, num));
}

static void put_port(bl_out *o, bool has, int64_t port)
{
    if (!has || port <= 0) {
        bl_out_putc(o, '-');
        return;
    }
    put_int(o, port);
}

static void add_net(bl_features *fs, const storm_event *ev)
{
    const storm_net_info *n = &ev->net;
    bl_out o;
    if (!n->present || !begin(fs, &o))
        return;
    bool ingress = n->direction && strcmp(n->direction, "ingress") == 0;
    if (!n->direction && ev->type && (strstr(ev->type, "listen") || strstr(ev->type, "accept")))
        ingress = true;
    bl_out_puts(&o, "net ");
    bl_out_puts(&o, ingress ? "ingress " : "egress ");
    put_lower_word(&o, nonempty(n->protocol) ? n->protocol : "-");
    bl_out_putc(&o, ' ');
    size_t keep = SIZE_MAX, peer_from = o.len;
    if (ingress) {
        /* clients come and go: an ingress feature is the port served, any peer */
        keep = o.len;
        bl_out_puts(&o, "* ");
        if (n->has_dst_port)
            put_port(&o, true, n->dst_port);
        else
            put_port(&o, n->has_src_port, n->src_port); /* a listen names only its own port */
    } else {
        if (nonempty(n->dns_name))
            put_lower_word(&o, n->dns_name);
        else if (nonempty(n->dst_ip))
            bl_out_puts(&o, n->dst_ip);
        else
            bl_out_putc(&o, '-');
        size_t peer_to = o.len;
        bl_out_putc(&o, ' ');
        put_port(&o, n->has_dst_port, n->dst_port);
        commit_escaped(fs, &o, keep, peer_from, peer_to);
        return;
    }
    commit_escaped(fs, &o, keep, 0, 0);
}

/* Integer arguments: flags, modes and small numbers say what a call does
 * and are kept; large numbers (pids, addresses, sizes) become <int>. */
static void put_int_class(bl_out *o, int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    if (u <= 4096 || __builtin_popcountll(u) <= 2) {
        put_int(o, v);
    } else {
        bl_out_puts(o, "<int>");
    }
}

static void put_scalar_class(bl_out *o, const storm_value *v)
{
    if (!v) {
        bl_out_putc(o, '-');
        return;
    }
    switch (v->type) {
    case STORM_V_INT: put_int_class(o, v->u.i); break;
    case STORM_V_STRING: {
        size_t n = v->u.s.len > HOOK_STRING_MAX ? HOOK_STRING_MAX : v->u.s.len;
        bl_out pre = *o;
        bl_normalize(o, v->u.s.ptr, n);
        /* a comma or space inside would blur the argument list */
        for (size_t k = pre.len; k < o->len; k++)
            if (o->buf[k] == ',' || o->buf[k] == ' ')
                o->buf[k] = '_';
        break;
    }
    case STORM_V_BOOL: bl_out_puts(o, v->u.b ? "true" : "false"); break;
    case STORM_V_NULL: bl_out_putc(o, '-'); break;
    default: bl_out_puts(o, "<value>"); break;
    }
}

/* The argument's type name and its payload, for both shapes decoders use:
 * {"type": "file_arg", "path": ...} and Tetragon's own {"file_arg": {...}}. */
static const char *arg_type(const storm_value *arg, const storm_value **payload)
{
    *payload = arg;
    if (!arg || arg->type != STORM_V_OBJECT)
        return NULL;
    /* the first "type" member: a payload may carry its own "type" (sock_arg's socket type) */
    const char *t = NULL;
    for (size_t i = 0; i < arg->u.o.len && !t; i++)
        if (strcmp(arg->u.o.members[i].key, "type") == 0 && arg->u.o.members[i].value->type == STORM_V_STRING)
            t = arg->u.o.members[i].value->u.s.ptr;
    if (t) {
        const storm_value *inner = storm_v_get(arg, t);
        if (!inner)
            inner = storm_v_get(arg, "value");
        if (inner)
            *payload = inner;
        return t;
    }
    if (arg->u.o.len == 1) {
        *payload = arg->u.o.members[0].value;
        return arg->u.o.members[0].key;
    }
    return NULL;
}

static const storm_value *member(const storm_value *obj, const char *a, const char *b)
{
    if (!obj || obj->type != STORM_V_OBJECT)
        return NULL;
    const storm_value *v = storm_v_get(obj, a);
    return v ? v : (b ? storm_v_get(obj, b) : NULL);
}

static void put_arg_class(bl_out *o, const storm_value *arg)
{
    const storm_value *pl;
    const char *type = arg_type(arg, &pl);
    if (!type) {
        put_scalar_class(o, arg);
        return;
    }
    /* "file_arg" -> "file" */
    size_t tl = strlen(type);
    if (tl > 4 && strcmp(type + tl - 4, "_arg") == 0)
        tl -= 4;
    bl_out_putn(o, type, tl);
    bl_out_putc(o, ':');
    if (strstr(type, "size") || strstr(type, "bytes") || strstr(type, "buf")) {
        bl_out_puts(o, "<data>");
    } else if (strstr(type, "sock") || strstr(type, "sockaddr")) {
        put_scalar_class(o, member(pl, "family", NULL));
        bl_out_putc(o, '/');
        put_scalar_class(o, member(pl, "protocol", NULL));
        bl_out_putc(o, '/');
        put_scalar_class(o, member(pl, "daddr", "addr"));
        bl_out_putc(o, ':');
        put_scalar_class(o, member(pl, "dport", "port"));
    } else if (strstr(type, "cred")) {
        const storm_value *euid = member(pl, "euid", "uid");
        bl_out_puts(o, euid && euid->type == STORM_V_INT && euid->u.i == 0 ? "root" : "user");
    } else if (pl && pl->type == STORM_V_OBJECT) {
        /* file, path, binprm, module, capability, user_ns, ...: the identifying member */
        const storm_value *v = member(pl, "path", "name");
        if (!v)
            v = member(pl, "level", "value");
        put_scalar_class(o, v);
    } else {
        put_scalar_class(o, pl);
    }
}

static void add_hook(bl_features *fs, const storm_event *ev)
{
    const storm_hook_info *h = &ev->hook;
    bl_out o;
    if (!h->present || !nonempty(h->name) || !begin(fs, &o))
        return;
    bl_out_puts(&o, "hook ");
    put_lower_word(&o, h->name); /* kernel symbols are stable: kept as they are */
    bl_out_putc(&o, ' ');
    const char *bin = nonempty(ev->process.binary) ? ev->process.binary : ev->process.name;
    if (nonempty(bin))
        put_norm(&o, bin);
    else
        bl_out_putc(&o, '-');
    if (h->args && h->args->type == STORM_V_ARRAY && h->args->u.a.len) {
        bl_out_putc(&o, ' ');
        size_t n = h->args->u.a.len > HOOK_ARG_MAX ? HOOK_ARG_MAX : h->args->u.a.len;
        for (size_t i = 0; i < n; i++) {
            if (i)
                bl_out_putc(&o, ',');
            put_arg_class(&o, h->args->u.a.items[i]);
        }
    }
    commit(fs, &o);
}

static void add_api(bl_features *fs, const storm_audit_info *a)
{
    bl_out o;
    if (!a->present || !nonempty(a->verb) || !begin(fs, &o))
        return;
    bl_out_puts(&o, "api ");
    put_lower_word(&o, a->verb);
    bl_out_putc(&o, ' ');
    if (nonempty(a->api_group)) {
        bl_out_puts(&o, a->api_group);
        bl_out_putc(&o, '/');
    }
    bl_out_puts(&o, nonempty(a->resource) ? a->resource : "-");
    if (nonempty(a->subresource)) {
        bl_out_putc(&o, '/');
        bl_out_puts(&o, a->subresource);
    }
    bl_out_putc(&o, ' ');
    bl_out_puts(&o, nonempty(a->object_namespace) ? a->object_namespace : "-");
    bl_out_putc(&o, '/');
    /* names given by the server on create (generateName) vary: drop them there */
    if (nonempty(a->object_name) && strcmp(a->verb, "create") != 0)
        put_norm(&o, a->object_name);
    else
        bl_out_putc(&o, '-');
    commit(fs, &o);
}

static void add_named(bl_features *fs, const char *kind, const char *name)
{
    bl_out o;
    if (!nonempty(name) || !begin(fs, &o))
        return;
    bl_out_puts(&o, kind);
    bl_out_putc(&o, ' ');
    put_raw(&o, name);
    commit(fs, &o);
}

/* The "syscall" and "capability" members of obj (and its "arguments" into
 * *args) in one pass over its members, last one winning as in storm_v_get:
 * alert fields are large objects, and three lookups scanned them thrice. */
static void add_syscall_cap(bl_features *fs, const storm_value *obj, const storm_value **args)
{
    if (!obj || obj->type != STORM_V_OBJECT)
        return;
    const storm_value *sys = NULL, *cap = NULL, *arg = NULL;
    for (size_t i = obj->u.o.len; i-- > 0;) {
        const storm_member *m = &obj->u.o.members[i];
        const storm_value **slot = NULL;
        if (m->key_len == 7 && memcmp(m->key, "syscall", 7) == 0)
            slot = &sys;
        else if (m->key_len == 10 && memcmp(m->key, "capability", 10) == 0)
            slot = &cap;
        else if (args && m->key_len == 9 && memcmp(m->key, "arguments", 9) == 0)
            slot = &arg;
        if (slot && !*slot)
            *slot = m->value;
    }
    if (sys && sys->type == STORM_V_STRING)
        add_named(fs, "syscall", sys->u.s.ptr);
    if (cap && cap->type == STORM_V_STRING)
        add_named(fs, "cap", cap->u.s.ptr);
    if (args)
        *args = arg;
}

static void add_alert(bl_features *fs, const storm_event *ev)
{
    const storm_alert_info *al = &ev->alert;
    if (!al->present)
        return;
    bl_out o;
    const char *rule = nonempty(al->rule_id) ? al->rule_id : al->rule;
    if (nonempty(rule) && begin(fs, &o)) {
        bl_out_puts(&o, "alert ");
        put_raw(&o, rule);
        commit(fs, &o);
    }
    /* what a rule alert is about, when the sensor names it in its fields
     * (Kubescape R0003 "syscall", R0004 "capability") */
    const storm_value *args = NULL;
    add_syscall_cap(fs, al->fields, &args);
    add_syscall_cap(fs, args, NULL);
}

void bl_event_features(const storm_event *ev, bl_features *fs)
{
    fs->n = 0;
    fs->used = 0;
    switch (ev->kind) {
    case STORM_EV_PROCESS_EXEC:
    case STORM_EV_PROCESS_EXIT: add_exec(fs, &ev->process); break;
    case STORM_EV_KERNEL_HOOK: add_hook(fs, ev); break;
    case STORM_EV_API_REQUEST: add_api(fs, &ev->audit); break;
    case STORM_EV_ALERT:
        add_alert(fs, ev);
        add_exec(fs, &ev->process);
        break;
    default: break;
    }
    for (size_t i = 0; i < ev->n_files && i < STORM_EVENT_MAX_FILES; i++)
        add_file(fs, &ev->files[i]);
    add_net(fs, ev);
    if (ev->kind != STORM_EV_API_REQUEST && ev->audit.present)
        add_api(fs, &ev->audit);
    if (fs->n == 0) {
        /* nothing specific: the event's own type is what is normal or not */
        bl_out o;
        if (begin(fs, &o)) {
            bl_out_puts(&o, "event ");
            bl_out_puts(&o, storm_sensor_name(ev->sensor));
            bl_out_putc(&o, ':');
            put_norm(&o, nonempty(ev->type) ? ev->type : "-");
            commit(fs, &o);
        }
    }
}
