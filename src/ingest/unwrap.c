/* SPDX-License-Identifier: Apache-2.0 */
/* Log-shipper envelopes: a sensor record carried as a JSON string inside
 * another JSON object, as Vector ({"time","node_name","type","payload":"..."}),
 * Fluent Bit ({"log": "...\n", "kubernetes": {"host": ...}}) and similar
 * forwarders write it.
 *
 * The envelope is recognised only when one of the candidate fields holds text
 * that starts like a JSON object and parses as one, and when the outer object
 * is not itself a sensor record (Kubescape alerts have a plain-text "message",
 * agent logs a plain-text "msg": those stay as they are). Envelopes may nest
 * (a shipper forwarding another shipper's output), up to MAX_DEPTH levels. */
#include <storm/decode.h>

#include <storm/json.h>

#include "tetragon_fields.h"

#define MAX_DEPTH 4

static const char *const payload_keys[] = {"payload", "message", "log", "msg"};

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
    return 0;
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
        if (!text)
            break;
        storm_value *parsed = NULL;
        storm_err perr;
        storm_err_clear(&perr);
        storm_rc rc = storm_json_parse(a, text->u.s.ptr, text->u.s.len, 0, &parsed, NULL, &perr);
        if (rc != STORM_OK) {
            *inner = root; /* as documented: an error leaves the record as it came */
            if (envelope)
                *envelope = NULL;
            return storm_err_set(err, rc, text->pos == STORM_POS_NONE ? 0 : text->pos,
                                 "the \"%s\" field holds a JSON object that does not parse (at byte %zu of the "
                                 "embedded text: %s)",
                                 key, perr.offset, perr.msg);
        }
        if (parsed->type != STORM_V_OBJECT)
            break;
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
