/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the literal analysis of regular expressions, checked
 * against PCRE2. Input: REGEX NUL SUBJECT. When PCRE2 says the regex matches
 * the subject, the literal set must admit it (the analysis may be wider than
 * the regex, never narrower: a narrower set would make a tripwire drop an
 * event the indicator needs). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "instrument_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t rlen = nul ? (size_t)(nul - data) : size;
    char *re = strndup((const char *)data, rlen);
    char *subject = nul ? strndup((const char *)nul + 1, size - rlen - 1) : strdup("");
    if (!re || !subject || strlen(subject) != (nul ? size - rlen - 1 : 0)) {
        free(re);
        free(subject);
        return 0;
    }
    lit_set *set = malloc(sizeof *set);
    if (!set) {
        free(re);
        free(subject);
        return 0;
    }
    regex_literals(re, set);
    like_literals(re, set + 0); /* LIKE patterns: only must not crash */
    regex_literals(re, set);
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, rlen, PCRE2_UTF | PCRE2_NO_UTF_CHECK, &errcode, &erroff, NULL);
    if (code) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
        if (md && pcre2_match(code, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL) >= 0 &&
            !lit_set_admits(set, subject))
            abort(); /* the analysis is narrower than the regex */
        pcre2_match_data_free(md);
        pcre2_code_free(code);
    }
    free(set);
    free(re);
    free(subject);
    return 0;
}
