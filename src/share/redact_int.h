/* SPDX-License-Identifier: Apache-2.0 */
/* The redactor's state (internal to src/share). */
#ifndef STORM_SHARE_REDACT_INT_H
#define STORM_SHARE_REDACT_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <storm/share.h>

#include <storm/cidr.h>

#define REDACT_MAX_RULES 256

typedef struct redact_prop {
    char *name;        /* property name whose string values are pseudonymised */
    char category[32]; /* node, namespace, pod, user, ... */
} redact_prop;

typedef struct redact_scrub {
    pcre2_code *code;
    char *replace;     /* PCRE2 extended substitution text ($1, ${1}) */
} redact_scrub;

struct storm_redactor {
    unsigned char key[64];
    size_t key_len;
    storm_cidr cidrs[REDACT_MAX_RULES];
    char cidr_text[REDACT_MAX_RULES][STORM_CIDR_TEXT_MAX]; /* what a masked address becomes: "10.0.0.0/8" */
    size_t n_cidrs;
    redact_prop props[REDACT_MAX_RULES];
    size_t n_props;
    redact_scrub scrub[REDACT_MAX_RULES];
    size_t n_scrub;
};

void redactor_free_scrubbers(storm_redactor *r);
/* A UUID (v4 layout) derived from text with the redactor's key. */
void redactor_keyed_uuid(const storm_redactor *r, const char *text, char out[37]);
/* redact_ids.c: recompute the ids derived from redacted values and rewrite references. */
storm_rc redact_rewrite_ids(storm_redactor *r, storm_arena *a, storm_value *objects, storm_redact_stats *stats,
                            storm_err *err);

#endif
