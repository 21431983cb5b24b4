/* SPDX-License-Identifier: Apache-2.0 */
/* One storm_decoder per sensor, each defined in its decode_<sensor>.c. */
#ifndef STORM_INGEST_DECODERS_H
#define STORM_INGEST_DECODERS_H

#include <storm/decode.h>

extern const storm_decoder storm_decoder_tetragon;
extern const storm_decoder storm_decoder_k8s_audit;
extern const storm_decoder storm_decoder_falco;
extern const storm_decoder storm_decoder_kubescape;
extern const storm_decoder storm_decoder_hubble;
extern const storm_decoder storm_decoder_sshd;
extern const storm_decoder storm_decoder_http_access;

/* Shared by the decoders' error messages (decode.c). */
/* The JSON name of a value type: "string", "object", ... */
const char *ingest_type_name(storm_vtype t);
/* ingest_type_name of v, except "number out of range" for a number no
 * integer field can hold (past 64 bits, or past a double: 1e400). */
const char *ingest_value_name(const storm_value *v);
/* A number that no integer field can hold? */
bool ingest_number_out_of_range(const storm_value *v);
/* Where v stands in its record (byte offset), 0 when unknown. */
size_t ingest_pos_of(const storm_value *v);

/* An access log time "10/Oct/2000:13:55:36 -0700" (exactly that form) in
 * UTC nanoseconds (text_line.c). */
bool ingest_clf_time_parse(const char *s, size_t n, storm_time_ns *out);

#endif
