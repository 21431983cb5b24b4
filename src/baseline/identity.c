/* SPDX-License-Identifier: Apache-2.0 */
/* Workload identity of an event: the key its profile is stored under. It must
 * be the same before and after a restart, and the same whichever sensor saw
 * the workload, so it is built from names, never from pod suffixes or ids. */
#include "baseline_int.h"

#include <string.h>

/* "docker.io/library/nginx:1.25@sha256:..." -> "nginx" */
static void put_image_name(bl_out *o, const char *image)
{
    const char *end = strchr(image, '@');
    size_t n = end ? (size_t)(end - image) : strlen(image);
    const char *slash = memrchr(image, '/', n);
    const char *start = slash ? slash + 1 : image;
    n -= (size_t)(start - image);
    const char *colon = memchr(start, ':', n);
    if (colon)
        n = (size_t)(colon - start);
    bl_normalize(o, start, n);
}

static bool nonempty(const char *s)
{
    return s && *s;
}

/* The process whose behaviour an event shows: for exec and exit events on
 * the host that is the parent (the one that ran the binary). */
static const storm_process_info *host_actor(const storm_event *ev)
{
    if ((ev->kind == STORM_EV_PROCESS_EXEC || ev->kind == STORM_EV_PROCESS_EXIT) && ev->parent.present &&
        (nonempty(ev->parent.binary) || nonempty(ev->parent.name)))
        return &ev->parent;
    if (ev->process.present || nonempty(ev->process.binary) || nonempty(ev->process.name))
        return &ev->process;
    return NULL;
}

/* The key into o (left empty when there is none). o is the caller's cursor,
 * so check() gets the length without a strlen. */
bool bl_workload_key(const storm_event *ev, bl_out *o)
{
    const storm_k8s_ctx *k = &ev->k8s;
    /* an API request is the behaviour of its user, whatever object it names */
    if (ev->audit.present && nonempty(ev->audit.user)) {
        bl_out_putn(o, "user/", 5);
        bl_normalize(o, ev->audit.user, strlen(ev->audit.user));
        return true;
    }
    /* a namespace alone names no workload */
    if (nonempty(k->pod) || nonempty(k->workload)) {
        const char *kind = k->workload_kind;
        bl_out_puts(o, nonempty(k->namespace_) ? k->namespace_ : "-");
        bl_out_putc(o, '/');
        if (nonempty(k->workload)) {
            const char *guess = "-";
            if (!nonempty(kind) && nonempty(k->pod))
                bl_pod_workload(k->pod, &guess);
            bl_out_puts(o, nonempty(kind) ? kind : guess);
            bl_out_putc(o, '/');
            /* a name the sensor resolved is stable: kept as it is */
            bl_out_puts(o, k->workload);
        } else {
            const char *guess;
            size_t n = bl_pod_workload(k->pod, &guess);
            bl_out_puts(o, nonempty(kind) ? kind : guess);
            bl_out_putc(o, '/');
            bl_normalize(o, k->pod, n);
        }
        bl_out_putc(o, '/');
        if (nonempty(k->container))
            bl_normalize(o, k->container, strlen(k->container));
        else if (nonempty(k->image))
            put_image_name(o, k->image);
        else
            bl_out_putc(o, '-');
        return true;
    }
    const storm_process_info *p = host_actor(ev);
    if (p) {
        const char *bin = nonempty(p->binary) ? p->binary : p->name;
        if (nonempty(bin)) {
            bl_out_putn(o, "host/", 5);
            if (bin[0] == '/')
                bin++;
            bl_normalize(o, bin, strlen(bin));
            return true;
        }
    }
    o->len = 0;
    if (o->cap)
        o->buf[0] = '\0';
    return false;
}

bool storm_baseline_workload_key(const storm_event *ev, char *buf, size_t cap)
{
    bl_out o;
    bl_out_init(&o, buf, cap);
    return bl_workload_key(ev, &o);
}

/* The inputs of a container event's key (bl_workload_key's second branch),
 * or false when the key takes another branch (API user, host process). */
static bool container_fields(const storm_event *ev, const char *f[BL_LAST_KEY_FIELDS])
{
    const storm_k8s_ctx *k = &ev->k8s;
    if ((ev->audit.present && nonempty(ev->audit.user)) || (!nonempty(k->pod) && !nonempty(k->workload)))
        return false;
    /* NULL and "" build the same key (nonempty() above), so both compare as "" */
    const char *in[BL_LAST_KEY_FIELDS] = {k->namespace_, k->pod, k->workload, k->workload_kind, k->container, k->image};
    for (size_t i = 0; i < BL_LAST_KEY_FIELDS; i++)
        f[i] = in[i] ? in[i] : "";
    return true;
}

bool bl_last_key_match(const bl_last_key *c, const storm_event *ev)
{
    const char *f[BL_LAST_KEY_FIELDS];
    if (!c->valid || !container_fields(ev, f))
        return false;
    for (size_t i = 0; i < BL_LAST_KEY_FIELDS; i++)
        if (strcmp(f[i], c->raw + c->off[i]) != 0)
            return false;
    return true;
}

void bl_last_key_store(bl_last_key *c, const storm_event *ev, const char *key, size_t len)
{
    const char *f[BL_LAST_KEY_FIELDS];
    c->valid = false;
    if (!container_fields(ev, f) || len >= sizeof c->key)
        return;
    size_t at = 0;
    for (size_t i = 0; i < BL_LAST_KEY_FIELDS; i++) {
        size_t n = strlen(f[i]);
        if (at + n + 1 > sizeof c->raw)
            return; /* too long to keep: not cached */
        memcpy(c->raw + at, f[i], n + 1);
        c->off[i] = (uint16_t)at;
        at += n + 1;
    }
    memcpy(c->key, key, len);
    c->key[len] = '\0';
    c->key_len = len;
    c->valid = true;
}
