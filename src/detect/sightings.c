/* SPDX-License-Identifier: Apache-2.0 */
#include "sightings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/decimal.h>
#include <storm/buf.h>

#include "ids.h"
#include "strmap.h"

#define EVIDENCE_MAX 400
#define STIX_COUNT_MAX 999999999

typedef struct open_sighting {
    struct open_sighting *prev, *next; /* LRU: head = most recently updated */
    char *key;
    size_t key_len;
    const storm_model_indicator *ind;
    char id[DETECT_ID_MAX];
    char *scope;
    char *place;
    storm_time_ns bucket_start; /* the aligned window the sighting covers: its created time */
    storm_time_ns first_seen, last_seen, last_modified;
    storm_time_ns touched_at; /* the stream's clock when last updated */
    uint64_t count;
    char **refs;
    size_t n_refs;
    bool pending; /* changed since last emitted */
    char *evidence;
} open_sighting;

struct detect_sightings {
    const storm_models *models;
    storm_detect_opts opts;
    storm_detect_sighting_fn fn;
    void *ctx;
    storm_arena *arena;    /* per emission */
    storm_arena *id_arena; /* the identity */
    storm_value *identity;
    char identity_id[DETECT_ID_MAX];
    strmap open;
    size_t n_open;
    open_sighting *head, *tail;
    storm_time_ns watermark; /* the stream's clock: newest event time fed */
};

detect_sightings *detect_sightings_new(const storm_models *models, const storm_detect_opts *opts,
                                       storm_detect_sighting_fn fn, void *ctx)
{
    detect_sightings *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->models = models;
    s->opts = *opts;
    s->fn = fn;
    s->ctx = ctx;
    s->arena = storm_arena_new(0, 0);
    s->id_arena = storm_arena_new(4096, 0);
    if (!s->arena || !s->id_arena) {
        detect_sightings_free(s);
        return NULL;
    }
    /* the cluster's identity: same name, same id, same object everywhere
     * (storm publish makes it with the same function) */
    storm_stix_cluster_identity_id(opts->identity, s->identity_id);
    storm_value *id = storm_stix_cluster_identity(s->id_arena, opts->identity);
    if (!id) {
        detect_sightings_free(s);
        return NULL;
    }
    s->identity = id;
    s->opts.identity = storm_v_get_str(id, "name");
    return s;
}

static void sighting_free(open_sighting *o)
{
    for (size_t i = 0; i < o->n_refs; i++)
        free(o->refs[i]);
    free(o->refs);
    free(o->scope);
    free(o->place);
    free(o->key);
    free(o->evidence);
    free(o);
}

void detect_sightings_free(detect_sightings *s)
{
    if (!s)
        return;
    while (s->head) {
        open_sighting *o = s->head;
        s->head = o->next;
        sighting_free(o);
    }
    strmap_clear(&s->open);
    storm_arena_free(s->arena);
    storm_arena_free(s->id_arena);
    free(s);
}

const storm_value *detect_sightings_identity(const detect_sightings *s)
{
    return s->identity;
}

static void unlink_o(detect_sightings *s, open_sighting *o)
{
    if (o->prev)
        o->prev->next = o->next;
    else
        s->head = o->next;
    if (o->next)
        o->next->prev = o->prev;
    else
        s->tail = o->prev;
    o->prev = o->next = NULL;
}

static void push_front(detect_sightings *s, open_sighting *o)
{
    o->prev = NULL;
    o->next = s->head;
    if (s->head)
        s->head->prev = o;
    s->head = o;
    if (!s->tail)
        s->tail = o;
}

/* ---- evidence: one line about an observation ---- */

/* Append s[0..n) with control characters (newlines in command lines) as
 * spaces: the evidence is one line. As much as the buffer's cap leaves
 * room for, as appending byte by byte would. */
static void put_line(storm_buf *b, const char *s, size_t n)
{
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    if (n > room)
        n = room;
    size_t at = b->len;
    if (!n || storm_buf_append(b, s, n) != STORM_OK)
        return;
    for (char *p = b->data + at, *end = b->data + b->len; p < end; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* pre (a short literal), then v in decimal: one piece, whole or not at all
 * (as storm_buf_printf appends). */
static void put_int(storm_buf *b, const char *pre, size_t pre_len, long long v)
{
    char t[64];
    memcpy(t, pre, pre_len);
    storm_buf_append(b, t, pre_len + storm_decimal((int64_t)v, t + pre_len));
}

static void ev_val(storm_buf *b, const storm_value *v, const char *label)
{
    if (!v)
        return;
    if (b->len)
        storm_buf_putc(b, ' ');
    if (label) { /* "label=", whole or not at all */
        char t[32];
        size_t n = strlen(label);
        memcpy(t, label, n);
        t[n] = '=';
        storm_buf_append(b, t, n + 1);
    }
    if (v->type == STORM_V_STRING)
        put_line(b, v->u.s.ptr, v->u.s.len > 160 ? 160 : v->u.s.len);
    else if (v->type == STORM_V_INT)
        put_int(b, "", 0, (long long)v->u.i);
}

static void ev_str(storm_buf *b, const storm_value *obj, const char *key, const char *label)
{
    ev_val(b, storm_v_get(obj, key), label);
}

/* The members of the acting process the evidence shows, found in one pass
 * over it (the last of a repeated key, as storm_v_get finds it). */
typedef struct process_fields {
    const storm_value *command_line, *binary, *program, *message, *hook, *args, *rule;
} process_fields;

static bool key_is(const storm_member *m, const char *key, size_t len)
{
    return m->key_len == len && memcmp(m->key, key, len) == 0;
}

static process_fields process_fields_of(const storm_value *obj)
{
    process_fields f = {0};
    for (size_t i = 0; i < obj->u.o.len; i++) {
        const storm_member *m = &obj->u.o.members[i];
        if (m->key_len < 11 || m->key_len > 13)
            continue;
        if (key_is(m, "command_line", 12))
            f.command_line = m->value;
        else if (key_is(m, "x_proc_binary", 13))
            f.binary = m->value;
        else if (key_is(m, "x_app_program", 13))
            f.program = m->value;
        else if (key_is(m, "x_app_message", 13))
            f.message = m->value;
        else if (key_is(m, "x_hook_name", 11))
            f.hook = m->value;
        else if (key_is(m, "x_hook_args", 11))
            f.args = m->value;
        else if (key_is(m, "x_alert_rule", 12))
            f.rule = m->value;
    }
    return f;
}

static void evidence_of(const storm_observation *o, storm_buf *b)
{
    storm_buf_reset(b);
    for (size_t i = 0; i < o->n_objects && b->len < EVIDENCE_MAX; i++) {
        const storm_value *obj = o->objects[i].value;
        const char *type = storm_v_get_str(obj, "type");
        if (!type)
            continue;
        if (strcmp(type, "process") == 0 && i == 0) {
            process_fields f = process_fields_of(obj);
            ev_val(b, f.command_line, NULL);
            if (!f.command_line)
                ev_val(b, f.binary, NULL);
            /* an entry point's log line with no client (a PAM session line): the line is the evidence */
            ev_val(b, f.program, NULL);
            ev_val(b, f.message, NULL);
            ev_val(b, f.hook, "hook");
            const storm_value *args = f.args;
            if (args && args->type == STORM_V_ARRAY)
                for (size_t k = 0; k < args->u.a.len && k < 4; k++) {
                    const storm_value *a = args->u.a.items[k];
                    const storm_value *p = storm_v_get(a, "path");
                    const storm_value *v = p ? p : storm_v_get(a, "value");
                    if (!v)
                        v = storm_v_get(a, "name");
                    /* " argK=" (k < 4) */
                    char pre[6] = {' ', 'a', 'r', 'g', (char)('0' + k), '='};
                    if (v && v->type == STORM_V_STRING) {
                        storm_buf_append(b, pre, sizeof pre);
                        put_line(b, v->u.s.ptr, v->u.s.len > 120 ? 120 : v->u.s.len);
                    } else if (v && v->type == STORM_V_INT)
                        put_int(b, pre, sizeof pre, (long long)v->u.i);
                }
            ev_val(b, f.rule, "rule");
        } else if (strcmp(type, "network-traffic") == 0) {
            if (storm_v_get(obj, "x_audit_verb")) {
                ev_str(b, obj, "x_audit_user", "user");
                ev_str(b, obj, "x_audit_verb", NULL);
                ev_str(b, obj, "x_audit_resource", NULL);
                ev_str(b, obj, "x_audit_subresource", NULL);
                ev_str(b, obj, "x_audit_namespace", "ns");
                ev_str(b, obj, "x_audit_name", "name");
                ev_str(b, obj, "x_audit_code", "code");
            } else if (storm_v_get(obj, "x_app_program")) { /* an entry point's log line says it all */
                ev_str(b, obj, "x_app_program", NULL);
                ev_str(b, obj, "x_app_message", NULL);
                ev_str(b, obj, "x_app_http_status", "status");
            } else {
                ev_str(b, obj, "dst_port", "dport");
                ev_str(b, obj, "x_net_state", NULL);
            }
            ev_str(b, obj, "x_alert_rule", "rule");
        } else if (strcmp(type, "file") == 0) {
            ev_str(b, obj, "x_file_path", "file");
        }
    }
}

/* ---- emission ---- */

/* STIX text of t (microseconds at most, truncated: storm_time_format_stix):
 * created and modified with at least milliseconds, the others as
 * python-stix2 writes them. */
static void fmt_time(storm_time_ns t, int min_digits, char *buf)
{
    storm_time_format_stix(t, min_digits, buf);
}

/* t truncated to the microsecond, as written */
static storm_time_ns written_us(storm_time_ns t)
{
    int64_t r = t % 1000;
    return t - (r < 0 ? r + 1000 : r);
}

/* key (a literal: not copied) and value as obj's last member; nothing when
 * value is NULL (out of memory), as storm_v_set does. */
static void add(storm_arena *a, storm_value *obj, const char *key, storm_value *value)
{
    storm_v_append(a, obj, key, strlen(key), value);
}

/* add of a copy of text; nothing for NULL text, as storm_v_set_str. */
static void add_str(storm_arena *a, storm_value *obj, const char *key, const char *text)
{
    if (text)
        add(a, obj, key, storm_v_strn(a, text, strlen(text)));
}

static void emit(detect_sightings *s, open_sighting *o, const storm_observation *const *obs, size_t n_obs,
                 bool is_update, storm_detect_stats *stats)
{
    storm_arena *a = s->arena;
    storm_arena_reset(a);
    storm_time_ns modified = o->last_seen;
    if (modified < o->first_seen)
        modified = o->first_seen;
    /* a new version needs a later modified as written: +1 ms when the
     * microseconds written would not advance */
    if (is_update && written_us(modified) <= written_us(o->last_modified))
        modified = o->last_modified + 1000000;
    o->last_modified = modified;
    char created[40], mod[40], first[40], last[40];
    fmt_time(o->bucket_start, STORM_TIME_STIX_MS, created);
    fmt_time(modified, STORM_TIME_STIX_MS, mod);
    fmt_time(o->first_seen, STORM_TIME_STIX_ANY, first);
    fmt_time(o->last_seen, STORM_TIME_STIX_ANY, last);
    /* a new object with distinct keys: its members are appended, under
     * the literal keys, without looking for one already there */
    storm_value *sg = storm_v_object(a);
    if (!sg)
        return;
    add_str(a, sg, "type", "sighting");
    add_str(a, sg, "spec_version", "2.1");
    add_str(a, sg, "id", o->id);
    add_str(a, sg, "created_by_ref", s->identity_id);
    add_str(a, sg, "created", created);
    add_str(a, sg, "modified", mod);
    add_str(a, sg, "first_seen", first);
    add_str(a, sg, "last_seen", last);
    add(a, sg, "count", storm_v_int(a, o->count > STIX_COUNT_MAX ? STIX_COUNT_MAX : (int64_t)o->count));
    add_str(a, sg, "sighting_of_ref", o->ind->id);
    if (o->n_refs) {
        storm_value *refs = storm_v_array(a);
        for (size_t i = 0; refs && i < o->n_refs; i++)
            storm_v_push(a, refs, storm_v_str(a, o->refs[i]));
        add(a, sg, "observed_data_refs", refs);
    }
    storm_value *where = storm_v_array(a);
    if (where) {
        storm_v_push(a, where, storm_v_str(a, s->identity_id));
        add(a, sg, "where_sighted_refs", where);
    }
    const storm_model_step *step = NULL;
    if (o->ind->n_steps)
        step = storm_models_step(s->models, o->ind->steps[0]);
    /* "<step or indicator> in <place>: <evidence>" */
    const char *what = step ? step->name : o->ind->name, *in = o->place ? o->place : o->scope,
               *ev = o->evidence ? o->evidence : "";
    size_t what_len = strlen(what), in_len = strlen(in), ev_len = strlen(ev);
    char *desc = storm_arena_alloc(a, what_len + 4 + in_len + 2 + ev_len + 1);
    if (desc) {
        char *d = desc;
        memcpy(d, what, what_len);
        d += what_len;
        memcpy(d, " in ", 4);
        d += 4;
        memcpy(d, in, in_len);
        d += in_len;
        memcpy(d, ": ", 2);
        d += 2;
        memcpy(d, ev, ev_len + 1);
        add(a, sg, "description", storm_v_str_borrow(a, desc, (size_t)(d - desc) + ev_len));
    }

    size_t cap = 2;
    for (size_t i = 0; i < n_obs; i++)
        cap += 1 + obs[i]->n_objects;
    const storm_value **objs = storm_arena_calloc(a, cap, sizeof *objs);
    size_t n = 0;
    if (objs) {
        objs[n++] = s->identity;
        for (size_t i = 0; i < n_obs; i++) {
            if (obs[i]->sdo)
                objs[n++] = obs[i]->sdo;
            for (size_t k = 0; k < obs[i]->n_objects; k++) {
                /* an SCO shared by two observations is written once */
                bool dup = false;
                for (size_t j = 1; j < n && !dup; j++)
                    dup = objs[j] == obs[i]->objects[k].value;
                if (!dup)
                    objs[n++] = obs[i]->objects[k].value;
            }
        }
    }
    storm_detect_sighting out = {
        .sighting = sg,
        .n_objects = n,
        .objects = objs,
        .indicator = o->ind,
        .step = step,
        .scope = o->scope,
        .place = o->place ? o->place : o->scope,
        .first_seen = o->first_seen,
        .last_seen = o->last_seen,
        .count = o->count,
        .is_update = is_update,
        .evidence = o->evidence ? o->evidence : "",
    };
    if (is_update)
        stats->sighting_updates++;
    o->pending = false;
    if (s->fn)
        s->fn(s->ctx, &out);
}

static void close_o(detect_sightings *s, open_sighting *o, storm_detect_stats *stats)
{
    if (o->pending)
        emit(s, o, NULL, 0, true, stats);
    unlink_o(s, o);
    strmap_remove(&s->open, o->key, o->key_len);
    s->n_open--;
    sighting_free(o);
}

static bool has_ref(const open_sighting *o, const char *id)
{
    for (size_t i = 0; i < o->n_refs; i++)
        if (strcmp(o->refs[i], id) == 0)
            return true;
    return false;
}

/* "<indicator id>\x1f<scope>\x1f<bucket>" at key, truncated to size - 1
 * bytes as snprintf would; returns its length. */
static size_t sighting_key(char *key, size_t size, const char *ind_id, const char *scope, storm_time_ns bucket)
{
    char num[24];
    size_t num_len = storm_decimal((int64_t)bucket, num);
    const char *parts[] = {ind_id, "\x1f", scope, "\x1f"};
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        const char *p = i < 4 ? parts[i] : num;
        size_t len = i < 4 ? strlen(p) : num_len;
        if (len > size - 1 - n)
            len = size - 1 - n;
        memcpy(key + n, p, len);
        n += len;
    }
    key[n] = '\0';
    return n;
}

void detect_sightings_record(detect_sightings *s, const storm_model_indicator *ind, const char *scope,
                             const char *place, const storm_observation *const *obs, size_t n, storm_time_ns tmin,
                             storm_time_ns tmax, storm_detect_stats *stats)
{
    /* One sighting per indicator, scope and aligned window of match time
     * (floor(first_seen / window)): the window a match falls into depends on
     * its own time only, never on which event the stream happened to bring
     * first, so the same events in any order give the same sighting ids. */
    storm_time_ns w = s->opts.sighting_window;
    storm_time_ns bucket = tmin / w - (tmin % w < 0 ? 1 : 0);
    char key[700];
    size_t klen = sighting_key(key, sizeof key, ind->id, scope, bucket);
    open_sighting *o = strmap_get(&s->open, key, klen);
    storm_buf ev;
    storm_buf_init(&ev, EVIDENCE_MAX + 200);
    if (n)
        evidence_of(obs[n - 1], &ev);
    bool is_new = o == NULL;
    if (!o) {
        /* the cap is enforced once the event is done
         * (detect_sightings_enforce_cap): closing one here could close the
         * sighting a later indicator of the same event updates, and what
         * came out would depend on the order of the indicators */
        o = calloc(1, sizeof *o);
        if (!o) {
            storm_buf_free(&ev);
            return;
        }
        o->key = strndup(key, klen);
        o->key_len = klen;
        o->scope = strdup(scope);
        o->ind = ind;
        o->refs = calloc(s->opts.sighting_refs_cap, sizeof *o->refs);
        if (!o->key || !o->scope || !o->refs || strmap_put(&s->open, o->key, klen, o) != 0) {
            sighting_free(o);
            storm_buf_free(&ev);
            return;
        }
        s->n_open++;
        /* deterministic and order-independent: the indicator, the scope and
         * the window (see above) */
        storm_buf idn;
        storm_buf_init(&idn, 4096);
        /* "<indicator id>\n<scope>\nwindow <bucket>/<w>", whole (at most
         * 4096 bytes) or empty, as it was formatted */
        char nb[24], nw[24];
        size_t lb = storm_decimal((int64_t)bucket, nb), lw = storm_decimal((int64_t)w, nw);
        size_t li = strlen(ind->id), ls = strlen(scope);
        if (li + 1 + ls + 8 + lb + 1 + lw <= 4096) {
            storm_buf_append(&idn, ind->id, li);
            storm_buf_append(&idn, "\n", 1);
            storm_buf_append(&idn, scope, ls);
            storm_buf_append(&idn, "\nwindow ", 8);
            storm_buf_append(&idn, nb, lb);
            storm_buf_append(&idn, "/", 1);
            storm_buf_append(&idn, nw, lw);
        }
        /* floor(tmin / w) * w, clamped: a time near the earliest one
         * (saturated timestamps) would put the window's start before it */
        o->bucket_start = bucket < INT64_MIN / w ? INT64_MIN : bucket * w;
        detect_uuid5_id("sighting", idn.data ? idn.data : "", idn.len, false, o->id, sizeof o->id);
        storm_buf_free(&idn);
        o->first_seen = tmin;
        o->last_seen = tmax;
        stats->sightings++;
    } else {
        unlink_o(s, o);
        if (tmin < o->first_seen)
            o->first_seen = tmin;
        if (tmax > o->last_seen)
            o->last_seen = tmax;
    }
    push_front(s, o);
    if (!o->place || strcmp(o->place, place) != 0) {
        free(o->place);
        o->place = strdup(place);
    }
    o->touched_at = s->watermark > tmax ? s->watermark : tmax;
    o->count++;
    free(o->evidence);
    o->evidence = ev.data ? strdup(ev.data) : NULL;
    storm_buf_free(&ev);
    /* new evidence: observations not listed yet, while there is room */
    const storm_observation *fresh[64];
    size_t n_fresh = 0;
    for (size_t i = 0; i < n && n_fresh < 64; i++) {
        const char *id = obs[i]->id;
        if (!id || has_ref(o, id) || o->n_refs >= s->opts.sighting_refs_cap)
            continue;
        char *c = strdup(id);
        if (!c)
            continue;
        o->refs[o->n_refs++] = c;
        fresh[n_fresh++] = obs[i];
    }
    if (is_new || n_fresh) {
        emit(s, o, fresh, n_fresh, !is_new, stats);
    } else {
        o->pending = true;
    }
}

void detect_sightings_enforce_cap(detect_sightings *s, storm_detect_stats *stats)
{
    while (s->n_open > s->opts.open_sightings_cap && s->tail)
        close_o(s, s->tail, stats);
}

void detect_sightings_expire(detect_sightings *s, storm_time_ns watermark, storm_detect_stats *stats)
{
    s->watermark = watermark;
    while (s->tail && storm_time_sub(watermark, s->tail->touched_at) > s->opts.sighting_window)
        close_o(s, s->tail, stats);
}

void detect_sightings_emit_pending(detect_sightings *s, storm_detect_stats *stats)
{
    for (open_sighting *o = s->tail; o; o = o->prev)
        if (o->pending)
            emit(s, o, NULL, 0, true, stats);
}

storm_time_ns detect_sightings_oldest(const detect_sightings *s)
{
    storm_time_ns t = INT64_MAX;
    for (const open_sighting *o = s->tail; o; o = o->prev)
        if (o->first_seen < t)
            t = o->first_seen;
    return t;
}

void detect_sightings_flush(detect_sightings *s, storm_detect_stats *stats)
{
    while (s->tail)
        close_o(s, s->tail, stats);
}
