/* SPDX-License-Identifier: Apache-2.0 */
/* Typed reads of a Falco alert's output_fields. The keys are Falco field
 * names that contain dots ("proc.cmdline", "ka.uri.param[command]"): they are
 * looked up whole, never split. Values may be null, integers or strings;
 * Falco writes "<NA>" for a field without a value, which reads as absent. */
#ifndef STORM_INGEST_FALCO_FIELDS_H
#define STORM_INGEST_FALCO_FIELDS_H

#include <stdbool.h>
#include <stdint.h>
#include <storm/arena.h>
#include <storm/err.h>
#include <storm/event.h>
#include <storm/value.h>

typedef struct falco_fields {
    storm_arena *a;
    storm_err *err;
    const storm_value *map; /* output_fields object, or NULL */
} falco_fields;

/* A string field: absent, null or "<NA>" -> *out = NULL. Any other non-string
 * is STORM_ERR_VALUE at the value's offset. */
storm_rc falco_field_str(falco_fields *f, const char *key, const char **out);
/* The first present of several string fields (aliases across Falco versions). */
storm_rc falco_field_str_any(falco_fields *f, const char *const *keys, const char **out);
/* An integer field, given as a JSON integer or a decimal string ("200"):
 * absent/null/"<NA>" -> *has = false. Anything else is STORM_ERR_VALUE. */
storm_rc falco_field_int(falco_fields *f, const char *key, bool *has, int64_t *out);

/* Process, parent and ancestors (proc.*, thread.*, user.*, group.*). */
storm_rc falco_read_process(falco_fields *f, storm_event *ev);
/* files[] (fs.path.*, fd.name of files) and net (fd.cip/sip/..., or the
 * "cip:cport->sip:sport" tuple in fd.name). */
storm_rc falco_read_fd(falco_fields *f, storm_event *ev);

#endif
