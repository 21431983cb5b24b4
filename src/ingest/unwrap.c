/* SPDX-License-Identifier: Apache-2.0 */
/* Log-shipper envelopes: a sensor record carried as a JSON string inside
 * another JSON object, as Vector ({"time","node_name","type","payload":"..."}),
 * Fluent Bit ({"log": "...\n", "kubernetes": {"host": ...}}) and similar
 * forwarders write it.
 *
 * The honeycluster's Vector remap (tetragon_pixie in its soc.*.yaml values)
 * goes one step further: "payload" holds the *body* of the Tetragon event (an
 * object, or that object as text) and "type" names the event
 * ({"type":"process_kprobe","payload":{"process":...,"function_name":...}}).
 * Such a body is put back under its type key, {"process_kprobe": {...}}, when
 * that makes a record a decoder recognises (docs/mapping/vector-ksc.md).
 *
 * The envelope is recognised only when one of the candidate fields holds text
 * that starts like a JSON object and parses as one, and when the outer object
 * is not itself a sensor record (Kubescape alerts have a plain-text "message",
 * agent logs a plain-text "msg": those stay as they are). Envelopes may nest
 * (a shipper forwarding another shipper's output), up to MAX_DEPTH levels. */
#include <storm/decode.h>

#include <storm/json.h>
#include <string.h>

#include "ingest/tetragon_fields.h"

#define MAX_DEPTH 4

static const char *const payload_keys[] = {"payload", "message", "log", "msg"};

/* Vector's remaps lift Tetragon's kprobe arguments to the top level
 * (kprobe0..kprobe4, next to the event key); an envelope passes them on. */
static const char *const lifted_arg_keys[] = {"kprobe0", "kprobe1", "kprobe2", "kprobe3", "kprobe4"};

/* The candidate field holding a JSON object as text, or NULL. */
static const storm_value *embedded_json(const storm_value *root, const char **key)
{
    for (size_t k = 0; k < sizeof payload_keys / sizeof payload_keys[0]; k++) {
        const storm_value *v = storm_v_get(root, payload_keys[k]);
        if (!v || v->type != STORM_V_STRING)
            continue;
        const char *s = v->u.s.ptr, *end = s + v->u.s.len;
        while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
            s++;
        if (s < end && *s == '{') {
            *key = payload_keys[k];
            return v;
        }
    }
    return NULL;
}

/* Envelope time: "time", else "timestamp" (Vector's default field). */
static const storm_value *envelope_time(const storm_value *env)
{
    const storm_value *t = storm_v_get(env, "time");
    if (!t || t->type != STORM_V_STRING)
        t = storm_v_get(env, "timestamp");
    return t && t->type == STORM_V_STRING ? t : NULL;
}

/* Envelope node: "node_name", else the Kubernetes metadata shippers add
 * (Fluent Bit kubernetes.host, Vector kubernetes.pod_node_name). */
static const storm_value *envelope_node(const storm_value *env)
{
    const storm_value *n = storm_v_get(env, "node_name");
    if (n && n->type == STORM_V_STRING)
        return n;
    const storm_value *k = storm_v_get(env, "kubernetes");
    if (!k || k->type != STORM_V_OBJECT)
        return NULL;
    n = storm_v_get(k, "host");
    if (!n || n->type != STORM_V_STRING)
        n = storm_v_get(k, "pod_node_name");
    return n && n->type == STORM_V_STRING ? n : NULL;
}

/* Tetragon and Hubble records keep node and time in top-level "node_name"
 * and "time", exactly the envelope's names: fill them in when absent so that
 * their decoders see the same record as without the shipper. A nested
 * envelope gets them too, to pass them on. */
static int carry_envelope(storm_arena *a, storm_value *inner, const storm_value *env)
{
    const storm_decoder *d = storm_decoder_detect(inner);
    const char *key;
    if (d ? d->sensor != STORM_SENSOR_TETRAGON && d->sensor != STORM_SENSOR_HUBBLE : !embedded_json(inner, &key))
        return 0;
    const storm_value *t = envelope_time(env), *n = envelope_node(env);
    if (t && !storm_v_get(inner, "time") && storm_v_append(a, inner, "time", 4, (storm_value *)t) != 0)
        return -1;
    if (n && !storm_v_get(inner, "node_name") && storm_v_append(a, inner, "node_name", 9, (storm_value *)n) != 0)
        return -1;
    for (size_t k = 0; k < sizeof lifted_arg_keys / sizeof lifted_arg_keys[0]; k++) {
        storm_value *v = storm_v_get(env, lifted_arg_keys[k]);
        if (v && !storm_v_get(inner, lifted_arg_keys[k]) &&
            storm_v_append(a, inner, lifted_arg_keys[k], strlen(lifted_arg_keys[k]), v) != 0)
            return -1;
    }
    return 0;
}

/* A new object with obj's members (values shared): what we add to an
 * unwrapped record must not change the caller's tree. NULL on OOM. */
static storm_value *shallow_copy(storm_arena *a, const storm_value *obj)
{
    storm_value *o = storm_v_object(a);
    if (!o)
        return NULL;
    for (size_t i = 0; i < obj->u.o.len; i++) {
        const storm_member *m = &obj->u.o.members[i];
        if (storm_v_append(a, o, m->key, m->key_len, m->value) != 0)
            return NULL;
    }
    o->pos = obj->pos;
    return o;
}

/* The envelope's "type" names the event whose body "payload" holds: wrap
 * body as {"<type>": body} when a decoder recognises that, else NULL (also
 * on OOM: the record then stays as it came and is rejected, not lost). */
static storm_value *typed_body(storm_arena *a, const storm_value *env, storm_value *body)
{
    const storm_value *t = storm_v_get(env, "type");
    if (!t || t->type != STORM_V_STRING || t->u.s.len == 0 || storm_decoder_detect(body))
        return NULL;
    storm_value *w = storm_v_object(a);
    if (!w || storm_v_append(a, w, t->u.s.ptr, t->u.s.len, body) != 0)
        return NULL;
    w->pos = body->pos;
    return storm_decoder_detect(w) ? w : NULL;
}

storm_rc storm_decode_unwrap_ex(storm_arena *a, const storm_value *root, const storm_value **inner,
                                const storm_value **envelope, storm_err *err)
{
    *inner = root;
    if (envelope)
        *envelope = NULL;
    const storm_value *cur = root;
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
        if (!cur || cur->type != STORM_V_OBJECT || storm_decoder_detect(cur))
            break;
        const char *key = NULL;
        const storm_value *text = embedded_json(cur, &key);
        storm_value *parsed = NULL;
        if (text) {
            storm_err perr;
            storm_err_clear(&perr);
            storm_rc rc = storm_json_parse(a, text->u.s.ptr, text->u.s.len, 0, &parsed, NULL, &perr);
            if (rc != STORM_OK) {
                *inner = root; /* as documented: an error leaves the record as it came */
                if (envelope)
                    *envelope = NULL;
                return storm_err_set(err, rc, text->pos == STORM_POS_NONE ? 0 : text->pos,
                                     "the \"%s\" field holds a JSON object that does not parse (at byte %zu of "
                                     "the embedded text: %s)",
                                     key, perr.offset, perr.msg);
            }
            if (parsed->type != STORM_V_OBJECT)
                break;
        } else {
            /* Vector's JSON codec: the payload as an object, not as text */
            const storm_value *p = storm_v_get(cur, "payload");
            if (!p || p->type != STORM_V_OBJECT)
                break;
            parsed = (storm_value *)p;
        }
        storm_value *typed = typed_body(a, cur, parsed);
        if (typed)
            parsed = typed;
        else if (!text && !storm_decoder_detect(parsed))
            break; /* a payload object that is no record: the envelope stays as it came */
        else if (!text && !(parsed = shallow_copy(a, parsed)))
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory while unwrapping an envelope");
        if (carry_envelope(a, parsed, cur) != 0)
            return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory while unwrapping an envelope");
        if (envelope)
            *envelope = cur;
        *inner = parsed;
        cur = parsed;
    }
    return STORM_OK;
}

const storm_value *storm_decode_unwrap(storm_arena *a, const storm_value *root)
{
    const storm_value *inner = root;
    /* the envelope is kept when the embedded text is malformed: it is then
     * rejected as an unknown record by format detection, never dropped */
    if (storm_decode_unwrap_ex(a, root, &inner, NULL, NULL) != STORM_OK)
        return root;
    return inner;
}
