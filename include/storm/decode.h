/* SPDX-License-Identifier: Apache-2.0 */
/* Sensor decoders: parsed JSON record -> typed events. One file per sensor
 * (src/ingest/decode_<sensor>.c); adding a sensor touches only its own file
 * and the table in src/ingest/decode.c. */
#ifndef STORM_DECODE_H
#define STORM_DECODE_H

#include <stdbool.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct storm_decoder {
    const char *name; /* "tetragon", "k8s-audit", "falco", "kubescape", "hubble" */
    storm_sensor sensor;
    /* Cheap check of the top-level keys: is root this sensor's record? */
    bool (*detect)(const storm_value *root);
    /* Append the record's events to out (allocated from a). Returns:
     *  STORM_OK: zero or more events appended;
     *  STORM_ERR_UNSUPPORTED: a known record that is not an event to convert
     *    (unknown Tetragon type, agent log line, metrics): *skip_type names it
     *    for the statistics ("process_throttle", "log", ...);
     *  STORM_ERR_VALUE / SYNTAX: malformed (err says where and why). */
    storm_rc (*decode)(storm_arena *a, const storm_value *root, storm_event_list *out, const char **skip_type,
                       storm_err *err);
} storm_decoder;

/* The table of decoders, in detection order. */
const storm_decoder *storm_decoders(size_t *n);
/* By name ("tetragon", ...); NULL when unknown. */
const storm_decoder *storm_decoder_find(const char *name);
/* The first decoder whose detect() accepts root; NULL when none. */
const storm_decoder *storm_decoder_detect(const storm_value *root);

/* Log-shipper envelopes: when root is an object whose "payload", "message",
 * "log" or "msg" field is a string holding a JSON object (Vector, Fluent Bit,
 * ...), or whose "payload" is an object, return the record inside (parsed
 * into a); otherwise return root. A payload that is only an event's body with
 * "type" naming it (the honeycluster's Vector remap) is returned as
 * {"<type>": body} when a decoder recognises that. Envelope fields
 * "time"/"node_name" (and Vector's lifted "kprobe0".."kprobe4") fill in what
 * the inner record lacks where a decoder asks; root itself is not changed. */
const storm_value *storm_decode_unwrap(storm_arena *a, const storm_value *root);

/* storm_decode_unwrap with the envelope exposed and errors reported:
 * *inner receives the innermost record (root when there is no envelope),
 * *envelope (may be NULL) the object that held it (NULL when none). When a
 * candidate field holds text that starts like a JSON object but does not
 * parse, returns STORM_ERR_SYNTAX with err at the field's position and
 * *inner = root. Tetragon and Hubble records get the envelope's time
 * ("time"/"timestamp") and node ("node_name", kubernetes.host,
 * kubernetes.pod_node_name) as top-level "time"/"node_name" when they lack
 * them. Positions inside the inner record are offsets in the embedded text. */
storm_rc storm_decode_unwrap_ex(storm_arena *a, const storm_value *root, const storm_value **inner,
                                const storm_value **envelope, storm_err *err);

/* Classify a parsed record as every reader does (storm run, convert,
 * baseline, the HTTP intake): unwrap its envelope (storm_decode_unwrap_ex),
 * then take forced or the detected decoder. STORM_OK: *rec (the record
 * itself) and *dec set. Otherwise err says why: STORM_ERR_SYNTAX for a
 * malformed envelope (err->offset the byte in the text it was parsed
 * from), STORM_ERR_VALUE for "not a JSON object" or "not a record of a
 * known sensor (...)"; *dec is NULL. */
storm_rc storm_decode_classify(storm_arena *a, const storm_value *root, const storm_decoder *forced,
                               const storm_value **rec, const storm_decoder **dec, storm_err *err);

/* A text log line that is not JSON, as the record its decoder reads
 * (arena a; src/ingest/text_line.c): an OpenSSH server syslog line
 * ("Dec  7 08:00:01 host sshd[42]: Failed password for ...", also with an
 * RFC 3339 stamp or a <PRI>) becomes the journald export shape (MESSAGE,
 * SYSLOG_IDENTIFIER, _HOSTNAME, _PID, __REALTIME_TIMESTAMP), a common or
 * combined HTTP access log line nginx's log_format names (remote_addr,
 * remote_user, time_local, request, status, body_bytes_sent, http_referer,
 * http_user_agent). ref_time dates syslog stamps without a year: the year
 * of ref_time, or the one before when that puts the stamp more than a day
 * after ref_time. STORM_OK: *rec set; STORM_ERR_NOTFOUND: neither kind of
 * line (the caller rejects it as before); STORM_ERR_NOMEM. */
storm_rc storm_decode_text_line(storm_arena *a, const char *text, size_t len, storm_time_ns ref_time,
                                const storm_value **rec);

#ifdef __cplusplus
}
#endif
#endif
