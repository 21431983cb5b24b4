/* SPDX-License-Identifier: Apache-2.0 */
/* Runs every case of tests/data/conformance/stix-pattern-cases.jsonl (the
 * OASIS reference matcher's test vectors, see the README there) through the
 * public API: compile the pattern, load the observations, match, and
 * compare with the expected result and, where given, the expected bindings.
 *   expect "error" + ParseException   -> compilation must fail
 *   expect "error" + MatcherException -> compilation or matching must fail
 *     (Storm rejects some of these already when compiling, e.g. a malformed
 *     START timestamp, which is better than failing later)
 * Usage: test_conformance [FILE] (default: the file in the source tree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#include "test.h"

static int verbose;

static bool bound_has(const storm_match *m, size_t idx)
{
    for (size_t i = 0; i < m->n_bound; i++)
        if (m->bound[i] == idx)
            return true;
    return false;
}

/* Check the "matched" object: indices (any order), ids, or count. */
static bool check_bindings(const storm_value *matched, const storm_match *m, const storm_observation *obs, char *why,
                           size_t why_len)
{
    const storm_value *idx = storm_v_get(matched, "indices");
    if (idx && idx->type == STORM_V_ARRAY) {
        if (idx->u.a.len != m->n_bound) {
            snprintf(why, why_len, "bound %zu observations, expected %zu", m->n_bound, idx->u.a.len);
            return false;
        }
        for (size_t i = 0; i < idx->u.a.len; i++)
            if (idx->u.a.items[i]->type != STORM_V_INT || !bound_has(m, (size_t)idx->u.a.items[i]->u.i)) {
                snprintf(why, why_len, "expected observation %zu among the bound ones", (size_t)idx->u.a.items[i]->u.i);
                return false;
            }
    }
    const storm_value *ids = storm_v_get(matched, "ids");
    if (ids && ids->type == STORM_V_ARRAY)
        for (size_t i = 0; i < ids->u.a.len; i++) {
            const storm_value *id = ids->u.a.items[i];
            bool found = false;
            for (size_t j = 0; j < m->n_bound; j++) {
                const char *got = obs[m->bound[j]].id;
                if (got && id->type == STORM_V_STRING && strcmp(got, id->u.s.ptr) == 0)
                    found = true;
            }
            if (!found) {
                snprintf(why, why_len, "expected %s among the bound observed-data", id->u.s.ptr);
                return false;
            }
        }
    const storm_value *count = storm_v_get(matched, "count");
    if (count && count->type == STORM_V_INT && (size_t)count->u.i != m->n_bound) {
        snprintf(why, why_len, "bound %zu observations, expected %lld", m->n_bound, (long long)count->u.i);
        return false;
    }
    return true;
}

/* Returns true when the case passes; why explains a failure. */
static bool run_case(const storm_value *c, char *why, size_t why_len)
{
    const char *pattern = storm_v_get_str(c, "pattern");
    const char *version = storm_v_get_str(c, "spec_version");
    const char *expect = storm_v_get_str(c, "expect");
    const char *error = storm_v_get_str(c, "error");
    const storm_value *observations = storm_v_get(c, "observations");
    if (!pattern || !version || !expect || !observations) {
        snprintf(why, why_len, "malformed case");
        return false;
    }
    storm_spec spec = strcmp(version, "2.0") == 0 ? STORM_SPEC_20 : STORM_SPEC_21;
    bool want_error = strcmp(expect, "error") == 0;
    bool want_parse_error = want_error && error && strcmp(error, "ParseException") == 0;

    storm_err err;
    storm_err_clear(&err);
    storm_pattern *p = NULL;
    storm_rc rc = storm_pattern_compile(pattern, strlen(pattern), spec, &p, &err);
    if (rc != STORM_OK) {
        if (want_error)
            return true;
        snprintf(why, why_len, "compile failed: %s", err.msg);
        return false;
    }
    if (want_parse_error) {
        storm_pattern_free(p);
        snprintf(why, why_len, "compiled, expected a parse error");
        return false;
    }
    storm_arena *arena = storm_arena_new(0, 0);
    storm_observation *obs = NULL;
    size_t n = 0;
    bool ok = false;
    storm_err_clear(&err);
    rc = storm_observations_load(arena, observations, spec, &obs, &n, &err);
    if (rc != STORM_OK) {
        snprintf(why, why_len, "loading observations failed: %s", err.msg);
        ok = want_error;
        goto out;
    }
    storm_match m = {0};
    storm_err_clear(&err);
    rc = storm_pattern_match(p, obs, n, &m, &err);
    if (rc != STORM_OK) {
        ok = want_error;
        if (!ok)
            snprintf(why, why_len, "match failed: %s", err.msg);
    } else if (want_error) {
        snprintf(why, why_len, "matched (%s), expected an error", m.matched ? "match" : "nomatch");
    } else if (m.matched != (strcmp(expect, "match") == 0)) {
        snprintf(why, why_len, "got %s, expected %s", m.matched ? "match" : "nomatch", expect);
    } else {
        const storm_value *matched = storm_v_get(c, "matched");
        ok = !matched || !m.matched || check_bindings(matched, &m, obs, why, why_len);
    }
    storm_match_clear(&m);
out:
    storm_arena_free(arena);
    storm_pattern_free(p);
    return ok;
}

int main(int argc, char **argv)
{
    char path[4096];
    const char *root = getenv("STORM_SOURCE_ROOT");
    verbose = getenv("STORM_VERBOSE") != NULL;
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else
        snprintf(path, sizeof path, "%s/tests/data/conformance/stix-pattern-cases.jsonl", root ? root : ".");
    char *text;
    size_t len;
    storm_err err;
    storm_err_clear(&err);
    if (storm_read_file(path, 64u << 20, &text, &len, &err) != STORM_OK) {
        fprintf(stderr, "test_conformance: %s: %s\n", path, err.msg);
        return 1;
    }
    test_current = "conformance";
    size_t line_no = 0, cases = 0;
    for (char *line = text; line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        size_t ll = end ? (size_t)(end - line) : (size_t)(text + len - line);
        line_no++;
        if (ll > 0) {
            storm_arena *a = storm_arena_new(0, 0);
            storm_value *c = NULL;
            storm_err_clear(&err);
            if (storm_json_parse(a, line, ll, 0, &c, NULL, &err) != STORM_OK) {
                fprintf(stderr, "FAIL %s:%zu: not JSON: %s\n", path, line_no, err.msg);
                test_failed++;
            } else {
                char why[600] = "";
                cases++;
                if (run_case(c, why, sizeof why)) {
                    test_passed++;
                    if (verbose)
                        printf("ok   %s\n", storm_v_get_str(c, "id"));
                } else {
                    test_failed++;
                    fprintf(stderr, "FAIL %s (line %zu): %s\n  pattern: %s\n", storm_v_get_str(c, "id"), line_no, why,
                            storm_v_get_str(c, "pattern"));
                }
            }
            storm_arena_free(a);
        }
        line = end ? end + 1 : text + len;
    }
    free(text);
    if (argc <= 1 && cases != 570) {
        fprintf(stderr, "FAIL: %zu cases in %s, expected 570\n", cases, path);
        test_failed++;
    }
    return test_report("test_conformance");
}
