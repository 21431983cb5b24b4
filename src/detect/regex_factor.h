/* SPDX-License-Identifier: Apache-2.0 */
/* Literal factors of a regular expression: pieces of text that every match
 * must contain. The indicator index hands Hyperscan these literals instead
 * of the expression when a property has thousands of regexes, since
 * Hyperscan compiles literals about fifteen times faster than anchored or
 * alternating expressions (10,000 indicators: ~1.3 s of CPU instead of
 * ~0.08 s for the same 2,131 command-line regexes). A value that holds all
 * of an expression's factors is only a candidate: the matcher decides. */
#ifndef STORM_DETECT_REGEX_FACTOR_H
#define STORM_DETECT_REGEX_FACTOR_H

#include <stdbool.h>
#include <stddef.h>

#define REGEX_FACTORS_MAX 4    /* the longest ones are kept */
#define REGEX_FACTOR_MIN_LEN 3 /* shorter runs are dropped */
#define REGEX_FACTOR_NEEDED 4  /* some factor must be this long to be worth it */
#define REGEX_FACTOR_TEXT 256  /* longest factor; a longer run keeps its start */

typedef struct regex_factor {
    char text[REGEX_FACTOR_TEXT]; /* the literal bytes (not NUL-terminated) */
    size_t len;
    bool at_start; /* every match starts with it (the expression begins "^text") */
} regex_factor;

/* The factors of re (a PCRE-syntax expression, matched case-sensitively):
 * up to REGEX_FACTORS_MAX literals of at least REGEX_FACTOR_MIN_LEN ASCII
 * bytes, longest first, written to out; returns how many. 0 means the
 * expression has none this function can vouch for (an alternation at its
 * top level, inline options, an escape it does not know, no literal of
 * REGEX_FACTOR_NEEDED bytes): the caller then uses the expression itself.
 * Allocates nothing. */
size_t regex_factors(const char *re, regex_factor out[REGEX_FACTORS_MAX]);

#endif
