/* SPDX-License-Identifier: Apache-2.0 */
/* The literal factors of a regex (regex_factor.c) stand in for it in the
 * indicator index when a property has hundreds of regexes, so a factor
 * that a match need not contain would lose matches. Checked three ways:
 * expected factors of hand-picked expressions (anchors, classes, groups,
 * quantifiers, escapes); expressions the walk must give up on; and, for
 * every MATCHES of the shipped models and a list of expressions with a
 * string each matches, that PCRE2 (as the matcher compiles them) agrees
 * the string matches and that the string holds every factor (an "at start"
 * one as its prefix). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex_factor.h"

#include "test.h"

/* The factors of re as "text" or "^text" (at start), joined by spaces. */
static const char *factors_of(const char *re)
{
    static char out[2048];
    regex_factor f[REGEX_FACTORS_MAX];
    size_t n = regex_factors(re, f), o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s%.*s", i ? " " : "", f[i].at_start ? "^" : "",
                              (int)f[i].len, f[i].text);
    return out;
}

static void test_expected(void)
{
    CHECK_STR(factors_of("^/usr/bin/tool9999 --(mode|level)=[0-9]+"), "^/usr/bin/tool9999 --");
    CHECK_STR(factors_of("/opt/app19/.*\\-\\-flag\\-19"), "/opt/app19/ --flag-19");
    CHECK_STR(factors_of("^/etc/app25/(keys|certs)/"), "^/etc/app25/");
    CHECK_STR(factors_of("/secrets/kubernetes[.]io/serviceaccount/token"), "io/serviceaccount/token /secrets/kubernetes");
    /* a character made optional leaves the run */
    CHECK_STR(factors_of("abcx?defg"), "defg abc");
    CHECK_STR(factors_of("abcx*defg"), "defg abc");
    CHECK_STR(factors_of("abcx{0,2}defg"), "defg abc");
    CHECK_STR(factors_of("abcx{0}defg"), "defg abc");
    /* a repeated one stays, and ends the run */
    CHECK_STR(factors_of("abcx+defg"), "abcx defg");
    CHECK_STR(factors_of("abcx{2,}?defg"), "abcx defg");
    /* escapes: punctuation is text, classes end runs */
    CHECK_STR(factors_of("kube\\.config\\d+yaml"), "kube.config yaml");
    CHECK_STR(factors_of("\\/var\\/log\\/"), "/var/log/");
    /* a class with ']' and '\\]' and a POSIX class inside */
    CHECK_STR(factors_of("head[]x\\][:alpha:]]tail"), "head tail");
    /* nested groups and a class holding ')' are skipped whole */
    CHECK_STR(factors_of("before(a(b|c)[)]d)*after"), "before after");
    CHECK_STR(factors_of("(?:x|y)long-text"), "long-text");
    /* "at start": only a run right after a leading '^' */
    CHECK_STR(factors_of("^x?/proc/self"), "/proc/self");
    CHECK_STR(factors_of("^(a|b)/proc/self"), "/proc/self");
    CHECK_STR(factors_of("^/proc$"), "^/proc");
    /* runs shorter than REGEX_FACTOR_MIN_LEN are dropped; the longest four kept */
    CHECK_STR(factors_of("ab.cdef.gh"), "cdef");
    CHECK_STR(factors_of("aaaa.bbbbb.cccccc.ddddddd.eeeeeeee"), "eeeeeeee ddddddd cccccc bbbbb");
    /* non-ASCII ends a run (NFC forms may differ) */
    CHECK_STR(factors_of("caf\xc3\xa9-latte"), "-latte caf");
    /* a run longer than REGEX_FACTOR_TEXT keeps its start */
    char longre[600];
    memset(longre, 'k', 599);
    longre[599] = '\0';
    regex_factor f[REGEX_FACTORS_MAX];
    CHECK(regex_factors(longre, f) == 1 && f[0].len == REGEX_FACTOR_TEXT && f[0].text[0] == 'k');
}

static void test_gives_up(void)
{
    static const char *const none[] = {
        "abcd|efgh",                                      /* alternation at the top */
        "(?i)abcdef",                                     /* options change the text */
        "(?i:abcd)efgh-x",                                /* an option group: not vouched for */
        "\\Qabcd\\E",                                     /* quoting */
        "\\x41bcdef",                                     /* a lettered escape */
        "abcd\\1efgh",                                    /* a back reference */
        "abcd{x}efgh",                                    /* '{' that is text to PCRE */
        "abcd{,3}efgh",                                   /* a form PCRE versions read differently */
        "abc(defg",                                       /* unbalanced */
        "abc)defg",        "abc[defg", "*abcdefg", "abc", /* no run of REGEX_FACTOR_NEEDED bytes */
        "ab.cd.ef",        "",
    };
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        regex_factor f[REGEX_FACTORS_MAX];
        size_t n = regex_factors(none[i], f);
        if (n)
            fprintf(stderr, "  %s -> %s\n", none[i], factors_of(none[i]));
        CHECK(n == 0);
    }
}

/* re matches s under PCRE2 as src/pattern/compile.c compiles MATCHES, and s
 * holds every factor of re (an at-start one as its prefix). */
static void check_holds(const char *re, const char *s)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
    CHECK(code != NULL);
    if (!code)
        return;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int rc = pcre2_match(code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    if (rc < 0)
        fprintf(stderr, "  no PCRE2 match: /%s/ on \"%s\"\n", re, s);
    CHECK(rc >= 0);
    regex_factor f[REGEX_FACTORS_MAX];
    size_t n = regex_factors(re, f);
    for (size_t i = 0; i < n; i++) {
        bool ok = f[i].at_start ? strncmp(s, f[i].text, f[i].len) == 0 && strlen(s) >= f[i].len
                                : memmem(s, strlen(s), f[i].text, f[i].len) != NULL;
        if (!ok)
            fprintf(stderr, "  /%s/ matches \"%s\" without its factor %s\"%.*s\"\n", re, s, f[i].at_start ? "^" : "",
                    (int)f[i].len, f[i].text);
        CHECK(ok);
    }
}

static void test_matching_strings_hold_factors(void)
{
    static const char *const pairs[][2] = {
        {"^/usr/bin/tool12 --(mode|level)=[0-9]+", "/usr/bin/tool12 --level=7 -v"},
        {"/opt/app3/.*\\-\\-flag\\-3", "x /opt/app3/bin/server --flag-3 y"},
        {"abcx?defg", "abcdefg"},
        {"abcx*defg", "abcxxxdefg"},
        {"abcx{0,2}defg", "abcdefg"},
        {"abcx+defg", "abcxxxxdefg"},
        {"abcx{2,}?defg", "abcxxdefg"},
        {"kube\\.config\\d+yaml", "~/.kube.config42yaml"},
        {"head[]x\\][:alpha:]]tail", "head]tail"},
        {"before(a(b|c)[)]d)*after", "beforeac)dafter"},
        {"before(a(b|c)[)]d)*after", "beforeafter"},
        {"^x?/proc/self", "x/proc/self/mounts"},
        {"^x?/proc/self", "/proc/self/mounts"},
        {"^(a|b)/proc/self", "b/proc/self"},
        {"caf\xc3\xa9-latte", "un caf\xc3\xa9-latte"},
        {"(containerd|dockershim|docker|crio)[.]sock", "/run/containerd/containerd.sock"},
        {"\\bsecret\\b-token", "a secret-token"},
        {"^/var/lib/kubelet/pods/[^/]+/volumes/", "/var/lib/kubelet/pods/abc/volumes/x"},
        {"(?:ab|cd)long-text", "cdlong-text"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        check_holds(pairs[i][0], pairs[i][1]);
}

/* Every MATCHES of the shipped models: the walk ends (never reads past
 * the expression), and each factor's bytes appear in order in the
 * expression's source (escapes undone), so a factor is text the expression
 * itself spells out; that a match holds it, the tests above and
 * test_event_candidates_factored (no match lost) check. */
static void test_shipped_models(void)
{
    const char *root = getenv("STORM_SOURCE_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/models", root ? root : ".");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    size_t seen = 0, factored = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 5, ".json") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        if (!fp)
            continue;
        static char text[1 << 22];
        size_t n = fread(text, 1, sizeof text - 1, fp);
        fclose(fp);
        text[n] = '\0';
        for (char *p = text; (p = strstr(p, "MATCHES '"));) {
            p += 9;
            char re[4096];
            size_t k = 0;
            /* the pattern is a JSON string holding a STIX string: undo
             * "\\\\" (JSON) and "\\'" (STIX) */
            while (*p && *p != '\'' && k + 1 < sizeof re) {
                if (p[0] == '\\' && p[1] == '\\' && p[2] == '\\' && p[3] == '\\') {
                    re[k++] = '\\';
                    p += 4;
                } else {
                    re[k++] = *p++;
                }
            }
            re[k] = '\0';
            seen++;
            regex_factor f[REGEX_FACTORS_MAX];
            size_t nf = regex_factors(re, f);
            factored += nf > 0;
            for (size_t i = 0; i < nf; i++) {
                /* the factor's bytes, escapes undone, appear in order in re */
                size_t at = 0;
                for (size_t j = 0; j < f[i].len; j++) {
                    while (re[at] && re[at] != f[i].text[j])
                        at++;
                    CHECK(re[at] == f[i].text[j]);
                    if (re[at])
                        at++;
                }
            }
        }
    }
    closedir(d);
    fprintf(stderr, "shipped MATCHES: %zu, %zu with factors\n", seen, factored);
    CHECK(seen >= 40);
    CHECK(factored >= 10);
}

int main(void)
{
    RUN(test_expected);
    RUN(test_gives_up);
    RUN(test_matching_strings_hold_factors);
    RUN(test_shipped_models);
    printf("test_regex_factor: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed != 0;
}
