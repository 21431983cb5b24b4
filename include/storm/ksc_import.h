/* SPDX-License-Identifier: Apache-2.0 */
/* Importing attack models written for the Kubernetes Storm Center (KSC)
 * honeycluster pipeline: their indicator patterns name the properties of
 * KSC's own STIX (process:extensions.function_name,
 * process:extensions.kprobe_arguments.int_arg_1, process:extensions.kprobe0.
 * file_arg.path, file:path, kubernetes-pod:spec...), which Storm's
 * observations never have. The importer rewrites each path into Storm's
 * observation model (docs/mapping.md) and reports, with its position, every
 * comparison it could not translate or could only approximate, and every
 * syntax slip it fixed. Mapping table: docs/mapping/vector-ksc.md. */
#ifndef STORM_KSC_IMPORT_H
#define STORM_KSC_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <storm/buf.h>
#include <storm/err.h>
#include <storm/value.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum storm_ksc_note_kind {
    STORM_KSC_FIXED,        /* a syntax slip repaired ("process.extensions", "path EXISTS") */
    STORM_KSC_APPROXIMATED, /* translated, but Storm's path is broader or narrower (said how) */
    STORM_KSC_UNTRANSLATED, /* kept as it was: Storm's observations have no such property */
    STORM_KSC_FAILED,       /* the pattern does not lex/compile: kept as it was */
} storm_ksc_note_kind;

/* What the importer says about one place of one pattern. */
typedef struct storm_ksc_note {
    const char *file;      /* as given */
    uint32_t line, col;    /* of the pattern string in the file (1-based; 0 when unknown) */
    const char *object_id; /* the indicator's id as written, or NULL */
    size_t pattern_offset; /* byte offset inside the original pattern text */
    storm_ksc_note_kind kind;
    const char *message;
} storm_ksc_note;

/* Called once per note of storm_ksc_translate_pattern (offset, kind, message). */
typedef void (*storm_ksc_note_fn)(void *ctx, size_t offset, storm_ksc_note_kind kind, const char *message);

/* Translate one KSC pattern text[0..len) into out (appended). Returns STORM_OK
 * when out holds a pattern that compiles (it may equal the input when nothing
 * needed translating); STORM_ERR_SYNTAX when the input does not lex or the
 * translation does not compile (then out holds the input unchanged and a
 * STORM_KSC_FAILED note says why); STORM_ERR_NOMEM/LIMIT. *changed (may be
 * NULL) tells whether out differs from the input. */
storm_rc storm_ksc_translate_pattern(const char *text, size_t len, storm_buf *out, bool *changed,
                                     storm_ksc_note_fn note, void *ctx);

typedef struct storm_ksc_import storm_ksc_import;

/* New importer; *out owned (storm_ksc_import_free). */
storm_rc storm_ksc_import_new(storm_ksc_import **out);
void storm_ksc_import_free(storm_ksc_import *imp);

/* Read a model file (a bundle, an array of bundles, an object or an array of
 * objects) and translate the pattern of every STIX indicator in it. *doc
 * receives the translated document (owned by imp, valid until it is freed):
 * the same JSON with each changed pattern replaced and the original kept in
 * the indicator's "x_ksc_pattern". Notes are collected in imp. Returns an
 * error (err set, with line:col for JSON) only when the file cannot be read
 * or parsed. */
storm_rc storm_ksc_import_file(storm_ksc_import *imp, const char *path, const storm_value **doc, storm_err *err);
/* The same for text held by the caller (copied); name is used in notes. */
storm_rc storm_ksc_import_text(storm_ksc_import *imp, const char *name, const char *text, size_t len,
                               const storm_value **doc, storm_err *err);

size_t storm_ksc_import_n_notes(const storm_ksc_import *imp);
const storm_ksc_note *storm_ksc_import_note(const storm_ksc_import *imp, size_t i);
/* Counts over everything imported: indicators seen, patterns changed, and
 * comparisons left untranslated. */
void storm_ksc_import_counts(const storm_ksc_import *imp, size_t *indicators, size_t *changed, size_t *untranslated);

/* "FILE:LINE:COL: ID: pattern offset N: <kind>: message" */
void storm_ksc_note_format(const storm_ksc_note *n, storm_buf *out);

#ifdef __cplusplus
}
#endif
#endif
