/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the matcher: every operator, NOT, types, object paths,
 * observation operators and qualifiers, errors, the binding search's bounds,
 * the streaming leaf API, and the storm match command line. */
/* The random pattern generator cuts what does not fit its buffers on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <storm/arena.h>
#include <storm/json.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#include <storm/pattern_plan.h>

#include "test.h"

/* One observed-data (2.0 form) holding one object, at second `sec` of 2020-01-01T00:00. */
static char *od20(char *buf, size_t cap, int sec, int count, const char *object_json)
{
    snprintf(buf, cap,
             "{\"type\":\"observed-data\",\"id\":\"observed-data--%08d-0000-4000-8000-000000000000\","
             "\"first_observed\":\"2020-01-01T00:%02d:%02dZ\",\"last_observed\":\"2020-01-01T00:%02d:%02dZ\","
             "\"number_observed\":%d,\"objects\":{\"0\":%s}}",
             sec, sec / 60, sec % 60, sec / 60, sec % 60, count, object_json);
    return buf;
}

/* Result of matching pattern against observations given as JSON text:
 * 1 match, 0 no match, -1 compile error, -2 match error. */
static int run(const char *pattern, storm_spec spec, const char *json, storm_match *keep, storm_err *err_out)
{
    storm_err err;
    storm_err_clear(&err);
    storm_pattern *p = NULL;
    if (storm_pattern_compile(pattern, strlen(pattern), spec, &p, &err) != STORM_OK) {
        if (err_out)
            *err_out = err;
        return -1;
    }
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *root = NULL;
    storm_observation *obs = NULL;
    size_t n = 0;
    int r = -3;
    if (storm_json_parse(a, json, strlen(json), 0, &root, NULL, &err) == STORM_OK &&
        storm_observations_load(a, root, spec, &obs, &n, &err) == STORM_OK) {
        storm_match m = {0};
        storm_err_clear(&err);
        storm_rc rc = storm_pattern_match(p, obs, n, &m, &err);
        r = rc != STORM_OK ? -2 : m.matched;
        if (keep)
            *keep = m;
        else
            storm_match_clear(&m);
    } else {
        ; /* the caller checks err */
    }
    if (err_out)
        *err_out = err;
    storm_arena_free(a);
    storm_pattern_free(p);
    return r;
}

static const char *OBJ = "{\"type\":\"process\",\"name\":\"nsenter\",\"pid\":42,\"ratio\":0.5,\"is_hidden\":false,"
                         "\"command_line\":\"nsenter -t 1 -m -u -i -n sh\",\"cwd\":\"/tmp/\\u00e9t\\u00e9\","
                         "\"environment_variables\":{\"HOME\":\"/root\"},\"arguments\":[\"-t\",\"1\",\"-m\"],"
                         "\"created\":\"2020-01-01T00:00:00.123456Z\",\"ip\":\"10.1.2.3\",\"net\":\"10.0.0.0/8\","
                         "\"ip6\":\"fd00::1\",\"payload_hex\":\"6e73\",\"payload_bin\":\"bnM=\",\"nothing\":null}";

static int one(const char *pattern)
{
    char buf[4096], doc[4200];
    od20(buf, sizeof buf, 0, 1, OBJ);
    snprintf(doc, sizeof doc, "[%s]", buf);
    return run(pattern, STORM_SPEC_20, doc, NULL, NULL);
}

static void test_equality(void)
{
    CHECK(one("[process:name = 'nsenter']") == 1);
    CHECK(one("[process:name = 'nsente']") == 0);
    CHECK(one("[process:name != 'bash']") == 1);
    CHECK(one("[process:name NOT = 'nsenter']") == 0);
    CHECK(one("[process:pid = 42]") == 1);
    CHECK(one("[process:pid = 42.0]") == 1); /* int against float */
    CHECK(one("[process:pid = '42']") == 0); /* never across types */
    CHECK(one("[process:pid != '42']") == 1);
    CHECK(one("[process:ratio = 0.5]") == 1);
    CHECK(one("[process:is_hidden = false]") == 1);
    CHECK(one("[process:is_hidden = 0]") == 0); /* bool is not a number */
    CHECK(one("[process:nothing = 'x']") == 0); /* null equals nothing */
    CHECK(one("[process:nothing != 'x']") == 1);
}

static void test_missing_and_not(void)
{
    CHECK(one("[process:missing = 'x']") == 0);
    CHECK(one("[process:missing != 'x']") == 0); /* a missing property never matches */
    CHECK(one("[process:missing NOT = 'x']") == 0);
    CHECK(one("[file:name != 'x']") == 0); /* no object of that type */
    CHECK(one("[process:name NOT LIKE 'bash%']") == 1);
    CHECK(one("[process:name NOT IN ('a', 'b')]") == 1);
}

static void test_ordering(void)
{
    CHECK(one("[process:pid > 41]") == 1);
    CHECK(one("[process:pid >= 42]") == 1);
    CHECK(one("[process:pid < 42]") == 0);
    CHECK(one("[process:pid <= 41.999]") == 0);
    CHECK(one("[process:pid < 42.5]") == 1);
    CHECK(one("[process:name > 'nsen']") == 1); /* code point order */
    CHECK(one("[process:name < 'nsenter']") == 0);
    CHECK(one("[process:is_hidden < 'x']") == 0); /* booleans are not ordered */
    CHECK(one("[process:is_hidden NOT < 'x']") == 1);
    CHECK(one("[process:name > 5]") == 0);
}

static void test_timestamps(void)
{
    CHECK(one("[process:created = t'2020-01-01T00:00:00.123456Z']") == 1);
    CHECK(one("[process:created = t'2020-01-01T00:00:00.1234569Z']") == 1); /* microseconds */
    CHECK(one("[process:created > t'2019-12-31T23:59:59Z']") == 1);
    CHECK(one("[process:created < t'3012-08-17T17:43:55Z']") == 1); /* far years */
    CHECK(one("[process:created IN (t'2020-01-01T00:00:00.123456Z')]") == 1);
    CHECK(one("[process:name = t'2020-01-01T00:00:00Z']") == -2); /* not a timestamp: error */
    CHECK(one("[process:pid = t'2020-01-01T00:00:00Z']") == 0);
    /* like the reference, matching reports a bad value even after a hit on
     * another object (or the other side of OR) */
    const char *two = "[{\"type\":\"observed-data\",\"first_observed\":\"2020-01-01T00:00:00Z\","
                      "\"last_observed\":\"2020-01-01T00:00:00Z\",\"number_observed\":1,\"objects\":{"
                      "\"0\":{\"type\":\"x\",\"t\":\"2020-01-01T00:00:00Z\"},\"1\":{\"type\":\"x\",\"t\":\"soon\"}}}]";
    CHECK(run("[x:t = t'2020-01-01T00:00:00Z']", STORM_SPEC_20, two, NULL, NULL) == -2);
    CHECK(run("[x:t = t'2020-01-01T00:00:00Z' OR x:u = 1]", STORM_SPEC_20, two, NULL, NULL) == -2);
}

static void test_in(void)
{
    CHECK(one("[process:name IN ('bash', 'nsenter')]") == 1);
    CHECK(one("[process:pid IN (1, 42.0)]") == 1);
    CHECK(one("[process:name IN ()]") == 0);
    CHECK(one("[process:name NOT IN ()]") == 1);
    CHECK(one("[process:name IN ('a', 1)]") == -2); /* mixed set: error */
    CHECK(one("[file:name IN ('a', true)]") == -2); /* even with nothing to compare */
}

static void test_like(void)
{
    CHECK(one("[process:name LIKE 'ns%']") == 1);
    CHECK(one("[process:name LIKE '%enter']") == 1);
    CHECK(one("[process:name LIKE 'n_enter']") == 1);
    CHECK(one("[process:name LIKE 'n_nter']") == 0);
    CHECK(one("[process:name LIKE 'nsenter_']") == 0);
    CHECK(one("[process:name LIKE '%']") == 1);
    CHECK(one("[process:name LIKE 'NSENTER']") == 0); /* case-sensitive */
    CHECK(one("[process:command_line LIKE '%-t 1%sh']") == 1);
    CHECK(one("[process:command_line LIKE 'nsenter.*']") == 0); /* no regex syntax */
    CHECK(one("[process:cwd LIKE '/tmp/_t_']") == 1);           /* '_' is one code point */
    CHECK(one("[process:cwd LIKE '/tmp/e\xcc\x81t%']") == 1);   /* NFD literal, NFC data */
    CHECK(one("[process:pid LIKE '4%']") == 0);                 /* numbers are not strings */
    /* the shapes that run as memcmp/memmem, and the general walk */
    CHECK(one("[process:name LIKE 'nsenter']") == 1);
    CHECK(one("[process:name LIKE 'nsente']") == 0);
    CHECK(one("[process:name LIKE '%ter']") == 1);
    CHECK(one("[process:name LIKE '%te']") == 0);
    CHECK(one("[process:name LIKE '%sent%']") == 1);
    CHECK(one("[process:name LIKE '%%sent%%']") == 1);
    CHECK(one("[process:name LIKE '%xsent%']") == 0);
    CHECK(one("[process:name LIKE '']") == 0);
    CHECK(one("[process:name LIKE 'n%e%r']") == 1);
    CHECK(one("[process:name LIKE 'n%e%x']") == 0);
    CHECK(one("[process:cwd LIKE '%\xc3\xa9t\xc3\xa9']") == 1);
}

static void test_matches(void)
{
    CHECK(one("[process:name MATCHES '^ns']") == 1);
    CHECK(one("[process:name MATCHES 'ent']") == 1); /* unanchored */
    CHECK(one("[process:name MATCHES '^ent']") == 0);
    CHECK(one("[process:command_line MATCHES '-t\\\\s+1\\\\b']") == 1);
    CHECK(one("[process:cwd MATCHES '^/tmp/.t.$']") == 1); /* UTF mode: '.' is a code point */
    CHECK(one("[process:name MATCHES '']") == 1);
    CHECK(one("[process:pid MATCHES '4']") == 0);
    storm_err err;
    storm_err_clear(&err);
    char buf[4096];
    CHECK(run("[process:name MATCHES 'a(b']", STORM_SPEC_21, od20(buf, sizeof buf, 0, 1, OBJ), NULL, &err) == -1);
    CHECK(err.rc == STORM_ERR_SYNTAX && err.offset == 22 && err.col == 23);
    /* catastrophic backtracking is cut off with an error, not a hang */
    char obj[200];
    snprintf(obj, sizeof obj, "{\"type\":\"p\",\"n\":\"%s!\"}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    od20(buf, sizeof buf, 0, 1, obj);
    CHECK(run("[p:n MATCHES '^(a+)+$']", STORM_SPEC_20, buf, NULL, &err) == -2);
    CHECK(err.rc == STORM_ERR_LIMIT && err.offset == 13);
}

static void test_ip(void)
{
    CHECK(one("[process:ip ISSUBSET '10.0.0.0/8']") == 1);
    CHECK(one("[process:ip ISSUBSET '10.1.3.0/24']") == 0);
    CHECK(one("[process:ip NOT ISSUBSET '10.1.3.0/24']") == 1);
    CHECK(one("[process:net ISSUPERSET '10.200.0.1']") == 1);
    CHECK(one("[process:net ISSUPERSET '10.0.0.0/7']") == 0);
    CHECK(one("[process:net ISSUBSET '10.0.0.0/8']") == 1);
    CHECK(one("[process:ip6 ISSUBSET 'fd00::/8']") == 1);
    CHECK(one("[process:ip6 ISSUBSET '10.0.0.0/8']") == 0); /* families differ */
    CHECK(one("[process:pid ISSUBSET '10.0.0.0/8']") == 0);
    CHECK(one("[process:name ISSUBSET '10.0.0.0/8']") == -2); /* not an address */
    CHECK(one("[process:ip ISSUBSET '10.0.0.0/33']") == -1);  /* bad literal */
    /* the one CIDR rule (storm/cidr.h): no leading zeros in the prefix,
     * IPv6 of either case */
    CHECK(one("[process:ip ISSUBSET '10.0.0.0/08']") == -1);
    CHECK(one("[process:ip ISSUBSET '10.0.0.0/0032']") == -1);
    CHECK(one("[process:ip6 ISSUBSET 'FD00::/8']") == 1);
}

static void test_exists_and_binary(void)
{
    CHECK(one("[EXISTS process:name]") == 1);
    CHECK(one("[EXISTS process:missing]") == 0);
    CHECK(one("[EXISTS process:environment_variables.HOME]") == 1);
    CHECK(one("[process:payload_hex = h'6e73']") == 1);
    CHECK(one("[process:payload_bin = b'bnM=']") == 1);
    CHECK(one("[process:payload_hex = 'ns']") == 1); /* Latin-1 view of the string */
    CHECK(one("[process:payload_bin LIKE 'n_']") == 1);
    CHECK(one("[process:payload_hex MATCHES '^\\\\x6es$']") == 1);
    CHECK(one("[process:name = h'6e73656e746572']") == 1);
    CHECK(one("[process:payload_hex > h'6e']") == 1);
}

static void test_paths(void)
{
    CHECK(one("[process:arguments[0] = '-t']") == 1);
    CHECK(one("[process:arguments[1] = '-t']") == 0);
    CHECK(one("[process:arguments[9] != '-t']") == 0);
    CHECK(one("[process:arguments[*] = '-m']") == 1);
    CHECK(one("[process:arguments[*] != '-m']") == 1); /* any element */
    CHECK(one("[process:environment_variables.HOME = '/root']") == 1);
    CHECK(one("[process:environment_variables.'HOME' = '/root']") == 1);
    /* references resolve inside the same observation only */
    const char *doc = "[{\"type\":\"observed-data\",\"first_observed\":\"2020-01-01T00:00:00Z\","
                      "\"last_observed\":\"2020-01-01T00:00:00Z\",\"number_observed\":1,\"objects\":{"
                      "\"0\":{\"type\":\"process\",\"name\":\"sh\",\"parent_ref\":\"1\",\"child_refs\":[\"9\",\"1\"],"
                      "\"image_ref\":\"2\"},"
                      "\"1\":{\"type\":\"process\",\"name\":\"containerd-shim\"},"
                      "\"2\":{\"type\":\"file\",\"name\":\"sh\"}}},"
                      "{\"type\":\"observed-data\",\"first_observed\":\"2020-01-01T00:00:00Z\","
                      "\"last_observed\":\"2020-01-01T00:00:00Z\",\"number_observed\":1,\"objects\":{"
                      "\"0\":{\"type\":\"process\",\"name\":\"x\",\"parent_ref\":\"5\"},"
                      "\"5\":{\"type\":\"process\",\"name\":\"y\"}}}]";
    CHECK(run("[process:parent_ref.name = 'containerd-shim']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[process:child_refs[*].name = 'containerd-shim']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[process:child_refs[0].name = 'containerd-shim']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[process:name = 'sh' AND process:image_ref.name = 'sh']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    /* AND must hold on one object; OR may mix */
    CHECK(run("[process:name = 'sh' AND process:name = 'containerd-shim']", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[process:name = 'sh' OR file:name = 'nope']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[process:name = 'sh' AND file:name = 'sh']", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[process:parent_ref.name = 'y' AND process:name = 'sh']", STORM_SPEC_20, doc, NULL, NULL) == 0);
}

static void test_stix21_loading(void)
{
    const char *bundle =
        "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
        "{\"type\":\"observed-data\",\"id\":\"observed-data--a\",\"first_observed\":\"2020-01-01T00:00:00Z\","
        "\"last_observed\":\"2020-01-01T00:00:00Z\",\"number_observed\":1,"
        "\"object_refs\":[\"process--1\",\"file--missing\"]},"
        "{\"type\":\"process\",\"id\":\"process--1\",\"pid\":7,\"image_ref\":\"file--1\"},"
        "{\"type\":\"file\",\"id\":\"file--1\",\"name\":\"kubectl\"},"
        "{\"type\":\"file\",\"id\":\"file--2\",\"name\":\"other\"}]}";
    CHECK(run("[process:pid = 7]", STORM_SPEC_21, bundle, NULL, NULL) == 1);
    /* file--1 is not in object_refs: not part of the observation */
    CHECK(run("[process:image_ref.name = 'kubectl']", STORM_SPEC_21, bundle, NULL, NULL) == 0);
    CHECK(run("[file:name = 'other']", STORM_SPEC_21, bundle, NULL, NULL) == 0);
    storm_err err;
    CHECK(run("[a:b = 1]", STORM_SPEC_21,
              "{\"type\":\"observed-data\",\"first_observed\":\"2020-01-01t00:00:00Z\","
              "\"last_observed\":\"2020-01-01T00:00:00Z\",\"number_observed\":1}",
              NULL, &err) == -3);
    CHECK(err.rc == STORM_ERR_VALUE && err.offset == 41);
}

/* n observations of person objects one second apart (2.0) */
static char *people(int n, int count)
{
    size_t cap = (size_t)n * 400 + 16;
    char *doc = malloc(cap), buf[400], obj[100];
    size_t off = 0;
    doc[off++] = '[';
    for (int i = 0; i < n; i++) {
        snprintf(obj, sizeof obj, "{\"type\":\"person\",\"name\":\"p%d\",\"age\":%d}", i, i);
        od20(buf, sizeof buf, i, count, obj);
        off += (size_t)snprintf(doc + off, cap - off, "%s%s", i ? "," : "", buf);
    }
    snprintf(doc + off, cap - off, "]");
    return doc;
}

static void test_observation_operators(void)
{
    char *doc = people(5, 1);
    storm_match m;
    CHECK(run("[person:name = 'p1'] AND [person:name = 'p3']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[person:name = 'p1'] AND [person:name = 'p1']", STORM_SPEC_20, doc, NULL, NULL) == 0); /* distinct */
    CHECK(run("[person:name = 'p1'] OR [person:name = 'zz']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[person:name = 'p1'] FOLLOWEDBY [person:name = 'p3']", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[person:name = 'p3'] FOLLOWEDBY [person:name = 'p1']", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[person:age > 0] REPEATS 4 TIMES", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[person:age > 0] REPEATS 5 TIMES", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[person:age >= 0] REPEATS 3 TIMES WITHIN 2 SECONDS", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("[person:age >= 0] REPEATS 3 TIMES WITHIN 1.5 SECONDS", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("([person:name = 'p0'] AND [person:name = 'p4']) WITHIN 4 SECONDS", STORM_SPEC_20, doc, NULL, NULL) == 1);
    CHECK(run("([person:name = 'p0'] AND [person:name = 'p4']) WITHIN 3.999 SECONDS", STORM_SPEC_20, doc, NULL, NULL) ==
          0);
    CHECK(run("[person:age >= 0] START t'2020-01-01T00:00:04Z' STOP t'2020-01-01T00:00:05Z'", STORM_SPEC_21 - 1, doc,
              NULL, NULL) == 1);
    CHECK(run("[person:age >= 0] START '2020-01-01T00:00:05Z' STOP '2020-01-01T00:00:09Z'", STORM_SPEC_20, doc, NULL,
              NULL) == 0); /* STOP is open */
    CHECK(run("[person:age >= 0] REPEATS 2 TIMES START '2020-01-01T00:00:03Z' STOP '2020-01-01T00:00:09Z'",
              STORM_SPEC_20, doc, NULL, NULL) == 1);
    /* bindings: the observations that satisfied it */
    CHECK(run("[person:name = 'p2'] FOLLOWEDBY [person:name = 'p4']", STORM_SPEC_20, doc, &m, NULL) == 1);
    CHECK(m.n_bound == 2 && m.bound[0] == 2 && m.bound[1] == 4);
    storm_match_clear(&m);
    CHECK(m.bound == NULL && m.n_bound == 0);
    free(doc);
    /* number_observed counts as that many observations */
    doc = people(1, 3);
    CHECK(run("[person:name = 'p0'] REPEATS 3 TIMES", STORM_SPEC_20, doc, &m, NULL) == 1);
    CHECK(m.n_bound == 1 && m.bound[0] == 0);
    storm_match_clear(&m);
    CHECK(run("[person:name = 'p0'] REPEATS 4 TIMES", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[person:name = 'p0'] AND [person:age = 0] AND [person:age < 1]", STORM_SPEC_20, doc, NULL, NULL) == 1);
    free(doc);
}

static void test_qualifier_errors(void)
{
    char *doc = people(2, 1);
    CHECK(run("[person:age >= 0] WITHIN 0 SECONDS", STORM_SPEC_20, doc, NULL, NULL) == -2);
    CHECK(run("[person:age >= 0] REPEATS 0 TIMES", STORM_SPEC_20, doc, NULL, NULL) == -2);
    storm_err err;
    CHECK(run("[person:age >= 0] START '2020-01-01t00:00:00Z' STOP '2020-01-01T00:00:09Z'", STORM_SPEC_20, doc, NULL,
              &err) == -2);
    CHECK(err.rc == STORM_ERR_VALUE && err.offset == 24);
    free(doc);
}

/* The binding search stays bounded: many candidates and an impossible
 * pattern finish quickly or stop with STORM_ERR_LIMIT, never hang. */
static void test_search_bounds(void)
{
    char *doc = people(400, 1);
    /* windows prune: 400 observations one second apart, none 3 within 1s */
    CHECK(run("[person:age >= 0] REPEATS 3 TIMES WITHIN 1 SECONDS", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[person:age >= 0] FOLLOWEDBY [person:age < 0]", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("([person:age >= 0] FOLLOWEDBY [person:age >= 0]) WITHIN 1 SECONDS", STORM_SPEC_20, doc, NULL, NULL) ==
          1);
    /* needs more observations than exist: decided without searching */
    CHECK(run("[person:age >= 0] REPEATS 401 TIMES", STORM_SPEC_20, doc, NULL, NULL) == 0);
    CHECK(run("[person:age >= 0] REPEATS 400 TIMES", STORM_SPEC_20, doc, NULL, NULL) == 1);
    /* an adversarial AND: no two distinct observations can be 'p0' twice */
    int r = run("([person:age >= 0] AND [person:age >= 0] AND [person:age >= 0] AND [person:age >= 0] AND "
                "[person:name = 'p0'] AND [person:name = 'p0'])",
                STORM_SPEC_20, doc, NULL, NULL);
    CHECK(r == 0);
    /* the left side of FOLLOWEDBY cannot start after the right side ends */
    CHECK(run("([person:age >= 1] AND [person:age >= 1] AND [person:age >= 1] AND [person:age >= 1]) "
              "FOLLOWEDBY [person:age = 0]",
              STORM_SPEC_20, doc, NULL, NULL) == 0);
    /* a leaf nothing hits decides at once, however many others there are */
    CHECK(run("([person:age >= 1] AND [person:age >= 2] AND [person:age >= 3] AND [person:age >= 4]) "
              "AND [person:age > 100000]",
              STORM_SPEC_20, doc, NULL, NULL) == 0);
    free(doc);
}

/* --- differential test of the binding search against brute force ---------
 * Small random observation sets and random patterns; the brute force lists
 * every binding of every node (as instance counts per observation) straight
 * from the semantics in temporal.c's header, with none of its pruning. */

#define BF_OBS 4
#define BF_MAX 4000

typedef struct bf_bind {
    uint8_t c[BF_OBS];
} bf_bind;

typedef struct bf_list {
    bf_bind *b;
    size_t n;
    bool overflow;
} bf_list;

static int64_t bf_first[BF_OBS], bf_last[BF_OBS], bf_count[BF_OBS];
static size_t bf_n;

static void bf_add(bf_list *l, const bf_bind *x)
{
    for (size_t i = 0; i < l->n; i++)
        if (memcmp(l->b[i].c, x->c, BF_OBS) == 0)
            return;
    if (l->n >= BF_MAX) {
        l->overflow = true;
        return;
    }
    l->b[l->n++] = *x;
}

static bool bf_union(const bf_bind *a, const bf_bind *b, bf_bind *out)
{
    for (size_t k = 0; k < BF_OBS; k++) {
        out->c[k] = (uint8_t)(a->c[k] + b->c[k]);
        if (k < bf_n && out->c[k] > bf_count[k])
            return false;
    }
    return true;
}

static void bf_span(const bf_bind *a, int64_t *maxf, int64_t *minl)
{
    *maxf = INT64_MIN;
    *minl = INT64_MAX;
    for (size_t k = 0; k < bf_n; k++)
        if (a->c[k]) {
            if (bf_first[k] > *maxf)
                *maxf = bf_first[k];
            if (bf_last[k] < *minl)
                *minl = bf_last[k];
        }
}

static bf_list bf_eval(const pat_obs *o, const uint8_t *const *hits)
{
    bf_list out = {calloc(BF_MAX, sizeof(bf_bind)), 0, false};
    switch (o->kind) {
    case PAT_OBS_LEAF:
        for (size_t k = 0; k < bf_n; k++)
            if (hits[o->leaf_index][k]) {
                bf_bind x = {{0}};
                x.c[k] = 1;
                bf_add(&out, &x);
            }
        break;
    case PAT_OBS_OR:
    case PAT_OBS_AND:
    case PAT_OBS_FOLLOWEDBY: {
        bf_list l = bf_eval(o->left, hits), r = bf_eval(o->right, hits);
        out.overflow = l.overflow || r.overflow;
        if (o->kind == PAT_OBS_OR) {
            for (size_t i = 0; i < l.n; i++)
                bf_add(&out, &l.b[i]);
            for (size_t i = 0; i < r.n; i++)
                bf_add(&out, &r.b[i]);
        } else {
            for (size_t i = 0; i < l.n; i++)
                for (size_t j = 0; j < r.n; j++) {
                    bf_bind u;
                    if (!bf_union(&l.b[i], &r.b[j], &u))
                        continue;
                    if (o->kind == PAT_OBS_FOLLOWEDBY) {
                        int64_t lf, ll, rf, rl;
                        bf_span(&l.b[i], &lf, &ll);
                        bf_span(&r.b[j], &rf, &rl);
                        if (lf > rl)
                            continue;
                    }
                    bf_add(&out, &u);
                }
        }
        free(l.b);
        free(r.b);
        break;
    }
    case PAT_OBS_WITHIN:
    case PAT_OBS_STARTSTOP: {
        bf_list c = bf_eval(o->left, hits);
        out.overflow = c.overflow;
        for (size_t i = 0; i < c.n; i++) {
            int64_t f, l;
            bf_span(&c.b[i], &f, &l);
            bool ok;
            if (o->kind == PAT_OBS_WITHIN)
                ok = f - l <= (int64_t)o->within.u.i * 1000000;
            else {
                ok = o->start < o->stop;
                for (size_t k = 0; k < bf_n; k++)
                    if (c.b[i].c[k] && !(bf_first[k] < o->stop / 1000 && bf_last[k] >= o->start / 1000))
                        ok = false;
            }
            if (ok)
                bf_add(&out, &c.b[i]);
        }
        free(c.b);
        break;
    }
    case PAT_OBS_REPEATS: {
        bf_list c = bf_eval(o->left, hits);
        out.overflow = c.overflow;
        /* acc: unions of r bindings, r = 1..repeats */
        bf_list acc = {calloc(BF_MAX, sizeof(bf_bind)), 0, false};
        for (size_t i = 0; i < c.n; i++)
            bf_add(&acc, &c.b[i]);
        for (int64_t r = 1; r < o->repeats; r++) {
            bf_list next = {calloc(BF_MAX, sizeof(bf_bind)), 0, false};
            for (size_t i = 0; i < acc.n; i++)
                for (size_t j = 0; j < c.n; j++) {
                    bf_bind u;
                    if (bf_union(&acc.b[i], &c.b[j], &u))
                        bf_add(&next, &u);
                }
            out.overflow |= next.overflow;
            free(acc.b);
            acc = next;
        }
        for (size_t i = 0; i < acc.n; i++)
            bf_add(&out, &acc.b[i]);
        free(acc.b);
        free(c.b);
        break;
    }
    }
    return out;
}

static unsigned rnd_state = 12345;
static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) % n;
}

static size_t gen_obs_expr(char *out, size_t cap, int depth)
{
    static const char *leaves[] = {"[person:age < 2]", "[person:age >= 1]", "[person:age = 3]", "[person:age > 0]",
                                   "[person:age != 2]"};
    unsigned k = depth > 2 ? 0 : rnd(8);
    char a[512], b[512];
    switch (k) {
    case 0:
    case 1:
    case 2: return (size_t)snprintf(out, cap, "%s", leaves[rnd(5)]);
    case 3:
    case 4:
    case 5: {
        static const char *ops[] = {"AND", "OR", "FOLLOWEDBY"};
        gen_obs_expr(a, sizeof a, depth + 1);
        gen_obs_expr(b, sizeof b, depth + 1);
        return (size_t)snprintf(out, cap, "(%s %s %s)", a, ops[k - 3], b);
    }
    case 6:
        gen_obs_expr(a, sizeof a, depth + 1);
        return (size_t)snprintf(out, cap, "(%s WITHIN %u SECONDS)", a, 1 + rnd(4));
    default:
        gen_obs_expr(a, sizeof a, depth + 1);
        if (rnd(2))
            return (size_t)snprintf(out, cap, "(%s REPEATS %u TIMES)", a, 1 + rnd(3));
        return (size_t)snprintf(out, cap, "(%s START t'2020-01-01T00:00:%02uZ' STOP t'2020-01-01T00:00:%02uZ')", a,
                                rnd(6), rnd(8));
    }
}

static void test_search_against_brute_force(void)
{
    int compared = 0, disagreements = 0;
    for (int iter = 0; iter < 3000; iter++) {
        char text[2048];
        gen_obs_expr(text, sizeof text, 0);
        storm_err err;
        storm_err_clear(&err);
        storm_pattern *p = NULL;
        if (storm_pattern_compile(text, strlen(text), STORM_SPEC_21, &p, &err) != STORM_OK)
            continue;
        /* observations: ages 0..3, intervals inside the first 8 seconds */
        bf_n = 1 + rnd(BF_OBS);
        char doc[4096];
        size_t off = 0;
        doc[off++] = '[';
        for (size_t k = 0; k < bf_n; k++) {
            unsigned f = rnd(7), len = rnd(3) ? 0 : rnd(3), c = 1 + rnd(2);
            bf_first[k] = 1577836800000000LL + f * 1000000LL;
            bf_last[k] = bf_first[k] + len * 1000000LL;
            bf_count[k] = c;
            off += (size_t)snprintf(doc + off, sizeof doc - off,
                                    "%s{\"type\":\"observed-data\",\"first_observed\":\"2020-01-01T00:00:%02uZ\","
                                    "\"last_observed\":\"2020-01-01T00:00:%02uZ\",\"number_observed\":%u,"
                                    "\"objects\":{\"0\":{\"type\":\"person\",\"age\":%u}}}",
                                    k ? "," : "", f, f + len, c, rnd(4));
        }
        snprintf(doc + off, sizeof doc - off, "]");
        storm_arena *a = storm_arena_new(0, 0);
        storm_value *root = NULL;
        storm_observation *obs = NULL;
        size_t n = 0;
        if (storm_json_parse(a, doc, strlen(doc), 0, &root, NULL, &err) == STORM_OK &&
            storm_observations_load(a, root, STORM_SPEC_21, &obs, &n, &err) == STORM_OK && n == bf_n) {
            uint8_t cells[64][BF_OBS];
            const uint8_t *hits[64];
            unsigned nl = pattern_leaf_count(p);
            for (unsigned l = 0; l < nl && l < 64; l++) {
                for (size_t k = 0; k < n; k++)
                    cells[l][k] = pattern_leaf_match(p, l, &obs[k], &err);
                hits[l] = cells[l];
            }
            storm_match m;
            if (nl <= 64 && pattern_match_hits(p, obs, n, hits, &m, &err) == STORM_OK) {
                bf_list want = bf_eval(pattern_plan_root(p), hits);
                if (!want.overflow) {
                    compared++;
                    if (m.matched != (want.n > 0)) {
                        disagreements++;
                        if (disagreements < 5)
                            fprintf(stderr, "search %s, brute force %s: %s on %s\n", m.matched ? "matched" : "did not",
                                    want.n ? "matched" : "did not", text, doc);
                    }
                }
                free(want.b);
                storm_match_clear(&m);
            }
        }
        storm_arena_free(a);
        storm_pattern_free(p);
    }
    if (getenv("STORM_VERBOSE"))
        printf("brute force: %d patterns compared\n", compared);
    CHECK(compared > 1000);
    CHECK(disagreements == 0);
}

static void test_leaf_api(void)
{
    storm_err err;
    storm_err_clear(&err);
    storm_pattern *p = NULL;
    const char *text = "[person:name = 'p1'] FOLLOWEDBY [person:age > 2] WITHIN 10 SECONDS";
    CHECK(storm_pattern_compile(text, strlen(text), STORM_SPEC_20, &p, &err) == STORM_OK);
    if (!p)
        return;
    CHECK(pattern_leaf_count(p) == 2);
    CHECK(!pattern_is_single_leaf(p));
    CHECK(pattern_check_late(p, &err) == STORM_OK);
    CHECK(pattern_horizon_ns(p) == 10000000000LL);
    char *doc = people(5, 1);
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *root = NULL;
    storm_observation *obs = NULL;
    size_t n = 0;
    CHECK(storm_json_parse(a, doc, strlen(doc), 0, &root, NULL, &err) == STORM_OK);
    CHECK(storm_observations_load(a, root, STORM_SPEC_20, &obs, &n, &err) == STORM_OK && n == 5);
    uint8_t h0[5], h1[5];
    for (size_t k = 0; k < n; k++) {
        h0[k] = pattern_leaf_match(p, 0, &obs[k], &err);
        h1[k] = pattern_leaf_match(p, 1, &obs[k], &err);
    }
    CHECK(h0[1] && !h0[2] && h1[3] && !h1[2]);
    const uint8_t *hits[2] = {h0, h1};
    storm_match m;
    CHECK(pattern_match_hits(p, obs, n, hits, &m, &err) == STORM_OK && m.matched && m.n_bound == 2);
    storm_match_clear(&m);
    h1[3] = h1[4] = 0;
    CHECK(pattern_match_hits(p, obs, n, hits, &m, &err) == STORM_OK && !m.matched);
    storm_match_clear(&m);
    storm_arena_free(a);
    free(doc);
    storm_pattern_free(p);
}

/* storm match, through the built binary */
static void test_cli(void)
{
    const char *bin = getenv("STORM_BIN");
    if (!bin)
        return;
    char path[] = "/tmp/storm_test_match_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    char buf[4096];
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s\n", od20(buf, sizeof buf, 0, 1, OBJ));
    fprintf(f, "%s\n", od20(buf, sizeof buf, 5, 1, "{\"type\":\"file\",\"name\":\"x\"}"));
    fclose(f);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' match -s 2.0 -p \"[process:name = 'nsenter']\" -p \"[file:name = 'y']\" -p \"[a:b = \" '%s'", bin,
             path);
    FILE *out = popen(cmd, "r");
    char got[4096] = "";
    size_t len = out ? fread(got, 1, sizeof got - 1, out) : 0;
    got[len] = '\0';
    int status = out ? pclose(out) : -1;
    CHECK(strstr(got, "match\t[process:name = 'nsenter']\n") == got);
    CHECK(strstr(got, "nomatch\t[file:name = 'y']\n") != NULL);
    CHECK(strstr(got, "error\t[a:b = \tline 1, column ") != NULL);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    snprintf(cmd, sizeof cmd, "'%s' match -s 2.0 --json -p \"[file:name = 'x']\" '%s'", bin, path);
    out = popen(cmd, "r");
    len = out ? fread(got, 1, sizeof got - 1, out) : 0;
    got[len] = '\0';
    status = out ? pclose(out) : -1;
    CHECK_STR(got, "{\"pattern\":\"[file:name = 'x']\",\"result\":\"match\","
                   "\"observed_data\":[\"observed-data--00000005-0000-4000-8000-000000000000\"]}\n");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(cmd, sizeof cmd, "'%s' match -p x 2>/dev/null", bin);
    status = system(cmd);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    /* malformed input: file:line:column */
    f = fopen(path, "w");
    fprintf(f, "[\n  {\"type\": \"observed-data\",\n   \"first_observed\": 5}]\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' match -p \"[a:b = 1]\" '%s' 2>&1", bin, path);
    out = popen(cmd, "r");
    len = out ? fread(got, 1, sizeof got - 1, out) : 0;
    got[len] = '\0';
    status = out ? pclose(out) : -1;
    char want[600];
    snprintf(want, sizeof want, "%s:3:22: observed-data 'first_observed'", path);
    CHECK(strstr(got, want) != NULL);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    /* JSON Lines of STIX 2.1: an observed-data resolves SCOs given on other lines */
    f = fopen(path, "w");
    fprintf(f, "{\"type\":\"process\",\"spec_version\":\"2.1\",\"id\":\"process--0b1e7c3a-8d2f-4e55-9a0b-"
               "6c1d2e3f4a5b\",\"pid\":5}\n"
               "{\"type\":\"observed-data\",\"spec_version\":\"2.1\",\"id\":\"observed-data--5e8f5bd3-7c1e-4a43-"
               "9d0e-1b1c57b8e2a0\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
               "\"first_observed\":\"2024-01-01T00:00:00Z\",\"last_observed\":\"2024-01-01T00:00:00Z\","
               "\"number_observed\":1,\"object_refs\":[\"process--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b\"]}\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' match -p \"[process:pid = 5]\" '%s' 2>&1", bin, path);
    out = popen(cmd, "r");
    len = out ? fread(got, 1, sizeof got - 1, out) : 0;
    got[len] = '\0';
    status = out ? pclose(out) : -1;
    CHECK_STR(got, "match\t[process:pid = 5]\n");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* one id, other content in another line's bundle: each observed-data uses its own */
    f = fopen(path, "w");
    for (int line = 0; line < 2; line++)
        fprintf(f,
                "{\"type\":\"bundle\",\"id\":\"bundle--%d5e0c6b2-6e3e-4d7e-9a11-3f2c1b0a9e8d\",\"objects\":["
                "{\"type\":\"process\",\"spec_version\":\"2.1\",\"id\":\"process--0b1e7c3a-8d2f-4e55-9a0b-"
                "6c1d2e3f4a5b\",\"pid\":%d},"
                "{\"type\":\"observed-data\",\"spec_version\":\"2.1\",\"id\":\"observed-data--%de8f5bd3-7c1e-"
                "4a43-9d0e-1b1c57b8e2a0\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:"
                "00.000Z\",\"first_observed\":\"2024-01-01T00:00:00Z\",\"last_observed\":\"2024-01-01T00:00:00Z\","
                "\"number_observed\":1,\"object_refs\":[\"process--0b1e7c3a-8d2f-4e55-9a0b-6c1d2e3f4a5b\"]}]}\n",
                line, line ? 7 : 6, line);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' match --json -p \"[process:pid = 6]\" -p \"[process:pid = 7]\" '%s' 2>&1", bin,
             path);
    out = popen(cmd, "r");
    len = out ? fread(got, 1, sizeof got - 1, out) : 0;
    got[len] = '\0';
    pclose(out);
    CHECK(strstr(got, "\"[process:pid = 6]\",\"result\":\"match\",\"observed_data\":[\"observed-data--0e8f5bd3") !=
          NULL);
    CHECK(strstr(got, "\"[process:pid = 7]\",\"result\":\"match\",\"observed_data\":[\"observed-data--1e8f5bd3") !=
          NULL);
    /* the wrong -s for the input is said, not a silent nomatch */
    snprintf(cmd, sizeof cmd, "'%s' match -s 2.0 -p \"[process:pid = 5]\" '%s' 2>&1", bin, path);
    out = popen(cmd, "r");
    len = out ? fread(got, 1, sizeof got - 1, out) : 0;
    got[len] = '\0';
    pclose(out);
    CHECK(strstr(got, "look like STIX 2.1") != NULL && strstr(got, "give -s 2.1") != NULL);
    remove(path);
}

int main(void)
{
    RUN(test_equality);
    RUN(test_missing_and_not);
    RUN(test_ordering);
    RUN(test_timestamps);
    RUN(test_in);
    RUN(test_like);
    RUN(test_matches);
    RUN(test_ip);
    RUN(test_exists_and_binary);
    RUN(test_paths);
    RUN(test_stix21_loading);
    RUN(test_observation_operators);
    RUN(test_qualifier_errors);
    RUN(test_search_bounds);
    RUN(test_search_against_brute_force);
    RUN(test_leaf_api);
    RUN(test_cli);
    return test_report("test_match");
}
