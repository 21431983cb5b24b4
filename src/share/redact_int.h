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
    char *replace; /* PCRE2 extended substitution text ($1, ${1}) */
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

/* redact_names.c: the names pseudonymised so far and their pseudonyms, found
 * again inside any text in one pass (no limit on their number). */
typedef struct redact_names redact_names;
redact_names *redact_names_new(void); /* owned: redact_names_free; NULL when out of memory */
void redact_names_free(redact_names *n);
size_t redact_names_count(const redact_names *n);
/* name and pseudonym are borrowed: they must outlive n. A name known already
 * keeps its first pseudonym. Fails (LIMIT/NOMEM) rather than forget a name. */
storm_rc redact_names_add(redact_names *n, const char *name, size_t len, const char *pseudonym, storm_err *err);
/* Once every name is added, before the first replace. */
storm_rc redact_names_build(redact_names *n, storm_err *err);
/* Every occurrence of a name in s replaced by its pseudonym: *out is a new
 * string in a (NULL when s holds no name), *count grows by the replacements. */
storm_rc redact_names_replace(const redact_names *n, storm_arena *a, const char *s, size_t len, char **out,
                              size_t *out_len, size_t *count, storm_err *err);
/* A UUID (v4 layout) derived from text with the redactor's key. */
void redactor_keyed_uuid(const storm_redactor *r, const char *text, char out[37]);
/* redact_ids.c: recompute the ids derived from redacted values and rewrite references. */
storm_rc redact_rewrite_ids(storm_redactor *r, storm_arena *a, storm_value *objects, storm_redact_stats *stats,
                            storm_err *err);

#endif
