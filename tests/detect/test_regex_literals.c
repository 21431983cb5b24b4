/* SPDX-License-Identifier: Apache-2.0 */
/* The literal conditions of regexes and the filter before the Hyperscan
 * scan (regex_literals.c). The conditions read off known regexes are
 * checked; then the filter is compared with PCRE2, as the pattern engine
 * compiles MATCHES (UTF, UCP), on generated texts: a text a regex matches
 * must be scanned or have the regex among the filter's hits, and an exact
 * regex (literals alone) is a hit exactly when PCRE2 matches it. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex_literals.h"

#include "test.h"

/* The literals of unit u, clause c of rl, joined by '|' into buf. */
static const char *clause_text(const regex_literals *rl, unsigned u, unsigned c, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < rl->n; i++) {
        if (rl->unit[i] != u || rl->clause[i] != c)
            continue;
        o += (size_t)snprintf(buf + o, cap - o, "%s%.*s", o ? "|" : "", rl->len[i], rl->lit[i]);
        if (o >= cap)
            break;
    }
    return buf;
}

static void conditions(void)
{
    regex_literals rl;
    char buf[512];

    CHECK(regex_literals_of("Authorization: Bearer ", 22, &rl));
    CHECK(rl.exact && rl.n_units == 1 && rl.n_clauses[0] == 1);
    CHECK_STR(clause_text(&rl, 0, 0, buf, sizeof buf), "Authorization: Bearer ");

    const char *alt = "(;|&&|[|]|[$][(]|`|/dev/tcp/)";
    CHECK(regex_literals_of(alt, strlen(alt), &rl));
    CHECK(rl.exact && rl.n_clauses[0] == 1);
    CHECK_STR(clause_text(&rl, 0, 0, buf, sizeof buf), ";|&&|||$(|`|/dev/tcp/");

    /* LIKE '%/opt/app9/%--flag-9%' as leaf_index.c writes it: both pieces required */
    CHECK(regex_literals_of("/opt/app9/.*--flag-9", 20, &rl));
    CHECK(!rl.exact && rl.n_units == 1 && rl.n_clauses[0] == 2);
    CHECK_STR(clause_text(&rl, 0, 0, buf, sizeof buf), "/opt/app9/");
    CHECK_STR(clause_text(&rl, 0, 1, buf, sizeof buf), "--flag-9");

    /* an optional group adds nothing; a one-byte clause goes beside a longer one */
    const char *t = "(-t|--target)[ =]?1( |$)";
    CHECK(regex_literals_of(t, strlen(t), &rl));
    CHECK(!rl.exact && rl.n_clauses[0] == 1);
    CHECK_STR(clause_text(&rl, 0, 0, buf, sizeof buf), "-t|--target");

    /* top-level alternatives are units of their own */
    const char *two = "^/usr/bin/x --a=[0-9]+|kubectl .*exec";
    CHECK(regex_literals_of(two, strlen(two), &rl));
    CHECK(rl.n_units == 2 && !rl.exact);
    CHECK_STR(clause_text(&rl, 1, 0, buf, sizeof buf), "kubectl ");
    CHECK_STR(clause_text(&rl, 1, 1, buf, sizeof buf), "exec");

    /* a repeat: "ab+c" needs "ab" and "c", not "abc" */
    CHECK(regex_literals_of("xab+cd", 6, &rl));
    CHECK_STR(clause_text(&rl, 0, 0, buf, sizeof buf), "xab");
    CHECK_STR(clause_text(&rl, 0, 1, buf, sizeof buf), "cd");

    /* none: may match without a literal, or syntax not read */
    static const char *none[] = {".*",       "[a-z]+", "(a|)",    "a?",      "(?i)secret", "a\\x41",
                                 "(?=x)abc", "a\\1",   "\\Qa\\E", "a{2",     "abc)",       "(abc",
                                 "a|.*",     "[abc",   "x*",      "\\pLabc", "abc{,",      ""};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        bool got = regex_literals_of(none[i], strlen(none[i]), &rl);
        if (got)
            fprintf(stderr, "  unexpected condition for '%s'\n", none[i]);
        CHECK(!got);
    }
    /* longer than a literal keeps: cut, so not exact */
    char longlit[100];
    memset(longlit, 'q', sizeof longlit - 1);
    longlit[sizeof longlit - 1] = '\0';
    CHECK(regex_literals_of(longlit, strlen(longlit), &rl));
    CHECK(!rl.exact && rl.len[0] == REGEX_LITERAL_BYTES);
}

/* Regexes of the shipped models' kind, and generated ones. */
static const char *REGEXES[] = {
    "(-t|--target)[ =]?1( |$)",
    "-t (proc|sysfs|cgroup2?)( |$)",
    " /dev/([svx]v?d[a-z]|nvme|mapper/|dm-)",
    "(core_pattern|uevent_helper|release_agent)",
    " -s .*/var/log/",
    ":10250/logs/",
    "(kubectl[^ ]* (.* )?(debug|attach) |/pods/[^/ ]+/(attach|ephemeralcontainers))",
    "(;|&&|[|]|[$][(]|`|/dev/tcp/)",
    "(containerd|dockershim|docker|crio)[.]sock",
    "/[^ ]+/var/lib/kubelet/pods",
    ">>? ?/[^ ]*/(etc/cron[.][a-z]+/|etc/crontab|var/spool/cron/|root/[.]ssh/authorized_keys)",
    "(Authorization: Bearer |--token[= ][^ ]|kubelet-client(-current)?[.]pem)",
    "( --as(-group|-uid)?[= ][^ ]|Impersonate-(User|Group) ?:)",
    " (task )?(exec|attach)( |$)",
    "/proc/[0-9]+/(root/|mem( |$))",
    "(^| )/var/lib/kubelet/pods(/|$| )",
    "(/proc/(self|[0-9]+)/(mounts|mountinfo)|/etc/mtab|^[^ ]*/(findmnt|mount)$|^[^ ]*/df( |$))",
    "/var/run/secrets/kubernetes\\.io/",
    "/opt/app9/.*--flag-9",
    "/opt/app1/.*--flag-12",
    "^/usr/bin/tool7 --(mode|level)=[0-9]+",
    "x+y{2,3}z",
    "ab+cd",
    "(a|b)c(d|e)",
    "q{0}r",
    "^/etc/app2/(keys|certs)/",
    "^x?/proc/self",
    "^ab+cd",
    "^kube\\.cfg\\-dump",
    "^/host/",
};

/* Pieces the texts are made of: the regexes' literals, near misses, noise. */
static const char *PIECES[] = {"/etc/app2/",
                               "keys/",
                               "x",
                               "/proc/self",
                               "kube.cfg-dump",
                               "/host/",
                               "-t",
                               "--target",
                               "=",
                               "1",
                               " ",
                               "proc",
                               "sysfs",
                               "cgroup2",
                               " /dev/",
                               "sda",
                               "nvme",
                               "core_pattern",
                               "kubectl",
                               " exec ",
                               "attach",
                               ";",
                               "&",
                               "&&",
                               "|",
                               "$(",
                               "`",
                               "/dev/tcp/",
                               "docker",
                               ".sock",
                               "/var/lib/kubelet/pods",
                               "/",
                               ">",
                               ">>",
                               "etc/crontab",
                               "Authorization: Bearer ",
                               "--token",
                               " --as",
                               "Impersonate-User",
                               ":",
                               "/proc/",
                               "12",
                               "root/",
                               "mem",
                               "/etc/mtab",
                               "findmnt",
                               "mount",
                               "/df",
                               "/var/run/secrets/kubernetes.io/",
                               "/opt/app9/",
                               "--flag-9",
                               "/opt/app1/",
                               "--flag-12",
                               "/usr/bin/tool7",
                               " --mode=",
                               "4",
                               "x",
                               "y",
                               "yy",
                               "z",
                               "ab",
                               "b",
                               "cd",
                               "c",
                               "d",
                               "e",
                               "a",
                               "r",
                               "q",
                               "/usr/bin/postgres",
                               "--port 8604",
                               "worker.py",
                               "kdigger",
                               "task ",
                               "dm-"};

static void differential(void)
{
    size_t n = sizeof REGEXES / sizeof *REGEXES;
    regex_filter *f = NULL;
    CHECK(regex_filter_new(REGEXES, n, &f) == 0 && f);
    if (!f)
        return;
    pcre2_code *re[sizeof REGEXES / sizeof *REGEXES];
    bool exact[sizeof REGEXES / sizeof *REGEXES];
    char prefix[sizeof REGEXES / sizeof *REGEXES][64];
    size_t prefix_len[sizeof REGEXES / sizeof *REGEXES];
    for (size_t i = 0; i < n; i++) {
        int ec;
        PCRE2_SIZE eo;
        re[i] = pcre2_compile((PCRE2_SPTR)REGEXES[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
        CHECK(re[i] != NULL);
        regex_literals rl;
        CHECK(regex_literals_of(REGEXES[i], strlen(REGEXES[i]), &rl));
        exact[i] = rl.exact;
        prefix_len[i] = rl.n_units == 1 ? regex_literals_prefix(REGEXES[i], strlen(REGEXES[i]), prefix[i], 64) : 0;
    }
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    unsigned long long st = 0x9e3779b97f4a7c15ull;
    uint32_t hits[sizeof REGEXES / sizeof *REGEXES];
    size_t skipped = 0, missed = 0, wrong_hits = 0, matched = 0, wrong_prefix = 0, prefixed = 0;
    char text[512];
    for (int k = 0; k < 200000; k++) {
        size_t len = 0, parts = 1 + test_rand(&st, 7);
        for (size_t p = 0; p < parts; p++) {
            const char *piece = PIECES[test_rand(&st, sizeof PIECES / sizeof *PIECES)];
            size_t pl = strlen(piece);
            if (len + pl >= sizeof text)
                break;
            memcpy(text + len, piece, pl);
            len += pl;
        }
        size_t n_hits = 0;
        bool scan = regex_filter_must_scan(f, text, len, hits, &n_hits);
        skipped += !scan;
        for (size_t i = 0; i < n; i++) {
            bool m = pcre2_match(re[i], (PCRE2_SPTR)text, len, 0, 0, md, NULL) >= 0;
            matched += m;
            /* a match starts with the regex's prefix (leaf_index.c's prefix keys) */
            if (m && prefix_len[i]) {
                prefixed++;
                if (len < prefix_len[i] || memcmp(text, prefix[i], prefix_len[i]) != 0)
                    if (wrong_prefix++ < 5)
                        fprintf(stderr, "  '%s' matches '%.*s' without its prefix '%.*s'\n", REGEXES[i], (int)len, text,
                                (int)prefix_len[i], prefix[i]);
            }
            bool hit = false;
            for (size_t h = 0; h < n_hits; h++)
                hit = hit || hits[h] == i;
            if (m && !scan && !hit) {
                if (missed++ < 5)
                    fprintf(stderr, "  missed: '%s' on '%.*s'\n", REGEXES[i], (int)len, text);
            }
            if (!scan && exact[i] && hit != m)
                wrong_hits++;
            if (!scan && hit && !exact[i])
                wrong_hits++;
        }
    }
    CHECK(missed == 0);
    CHECK(wrong_hits == 0);
    CHECK(wrong_prefix == 0);
    CHECK(prefixed > 1000);
    /* the texts test something: many match, many are not scanned */
    CHECK(matched > 10000);
    CHECK(skipped > 10000);
    pcre2_match_data_free(md);
    for (size_t i = 0; i < n; i++)
        pcre2_code_free(re[i]);
    regex_filter_free(f);

    /* a regex without a condition: no filter (every value is scanned) */
    const char *with_none[] = {"abc", "[0-9]+"};
    CHECK(regex_filter_new(with_none, 2, &f) == 0 && f == NULL);
}

/* The text every match starts with, as leaf_index.c keys anchored regexes. */
static void prefixes(void)
{
    static const char *const cases[][2] = {
        {"^/usr/bin/tool9999 --(mode|level)=[0-9]+", "/usr/bin/tool9999 --"},
        {"^/etc/app25/(keys|certs)/", "/etc/app25/"},
        {"^/host/", "/host/"},
        {"^kube\\.cfg\\-dump", "kube.cfg-dump"},
        {"^abcx?defg", "abc"}, /* an optional character ends it before */
        {"^abcx*defg", "abc"},
        {"^abcx{2}defg", "abc"}, /* a counted one too */
        {"^abcx+defg", "abcx"},  /* a repeated one after */
        {"^/proc$", "/proc"},
        {"^a.b", "a"},
        {"^\\d+abc", ""}, /* a class first */
        {"^(a|b)/proc", ""},
        {"/proc/self", ""}, /* not anchored */
        {"^", ""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[256];
        size_t n = regex_literals_prefix(cases[i][0], strlen(cases[i][0]), out, sizeof out);
        out[n] = '\0';
        CHECK_STR(out, cases[i][1]);
    }
    /* a longer run keeps its start */
    char out[4];
    CHECK(regex_literals_prefix("^abcdefgh", 9, out, sizeof out) == 4 && memcmp(out, "abcd", 4) == 0);
}

int main(void)
{
    RUN(conditions);
    RUN(prefixes);
    RUN(differential);
    return test_report("test_regex_literals");
}
