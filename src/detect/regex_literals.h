/* SPDX-License-Identifier: Apache-2.0 */
/* Literals a regex cannot match without, and a filter that tells from them
 * whether a value needs a Hyperscan scan at all (leaf_index.c): command
 * lines are mostly unique, so their results are seldom remembered, and a
 * scan costs ~1,100 instructions before it reads a byte. */
#ifndef STORM_DETECT_REGEX_LITERALS_H
#define STORM_DETECT_REGEX_LITERALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGEX_LITERALS_MAX 64  /* most literals kept of one regex */
#define REGEX_LITERAL_BYTES 48 /* longer literals are cut (a prefix is required too) */
#define REGEX_UNITS_MAX 16     /* most top-level alternatives */
#define REGEX_CLAUSES_MAX 16   /* most clauses kept of one alternative (fewer: a weaker condition) */

/* The literal condition of a regex: it can match only a text where, for
 * some unit (a top-level alternative), every clause of the unit has one of
 * its literals. exact: the regex is an alternation of plain strings, so it
 * matches exactly where one of them occurs. */
typedef struct regex_literals {
    char lit[REGEX_LITERALS_MAX][REGEX_LITERAL_BYTES];
    unsigned char len[REGEX_LITERALS_MAX];
    unsigned char unit[REGEX_LITERALS_MAX], clause[REGEX_LITERALS_MAX];
    size_t n;
    unsigned n_units;
    unsigned char n_clauses[REGEX_UNITS_MAX];
    bool exact;
} regex_literals;

/* The literal condition of PCRE2 regex re[0..n) (case-sensitive, as the
 * pattern engine compiles MATCHES) into *out. False when there is none:
 * the regex may match without a literal (".*", "[a-z]+", an empty branch),
 * or uses syntax this does not read (options such as (?i), \Q, \x,
 * lookarounds, back references): then every value must be scanned. */
bool regex_literals_of(const char *re, size_t n, regex_literals *out);

/* The text every match of regex re[0..n) starts with, when re begins
 * with '^' and plain characters (escaped punctuation included): at most
 * cap bytes of it into out (a longer run keeps its start), and its length;
 * 0 when there is none. A character that a quantifier may take away or
 * repeat ('?', '*', '{') ends it before that character, '+' after it.
 * Holds only for a regex of one unit (regex_literals_of: no alternative at
 * the top), which the caller checks. */
size_t regex_literals_prefix(const char *re, size_t n, char *out, size_t cap);

typedef struct regex_filter regex_filter;

/* The filter of regexes res[0..n) (borrowed during the call). *out owned
 * (regex_filter_free), or NULL when some regex has no literal condition.
 * 0, or -1 out of memory. */
int regex_filter_new(const char *const *res, size_t n, regex_filter **out);
void regex_filter_free(regex_filter *f);

/* Whether ASCII text[0..n) must be scanned: some regex that is not exact
 * may match it. When not, the exact regexes that match it are written to
 * hits (indexes into res; room for n of regex_filter_new), *n_hits many, in
 * no particular order; no other regex matches. A text with a space is
 * looked at as the parts before and after its first space, whose literals
 * the filter remembers (a command line's binary and arguments repeat, their
 * joins seldom), and the literals that hold that space. */
bool regex_filter_must_scan(regex_filter *f, const char *text, size_t n, uint32_t *hits, size_t *n_hits);

#endif
