/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming matcher: sequences, WITHIN, REPEATS, AND, the horizon, the
 * state caps and their evictions, correlation scopes, sighting aggregation
 * and the index (equality, IN, MATCHES, LIKE). Observations are built in
 * memory as the observation model describes them (docs/mapping.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/buf.h>
#include <storm/detect.h>
#include <storm/json.h>
#include <storm/model.h>

#include "storm_config.h"
#include "test.h"
#include "detect_test_util.h"

#define SEC 1000000000LL

typedef struct got {
    int n;     /* emissions */
    int n_new; /* of them new sightings */
    char last_ind[128];
    char last_scope[128];
    uint64_t last_count;
    size_t last_refs;
    size_t last_objects;
    char ids[16][80]; /* ids of new sightings */
    int n_ids;
    char modified[2][40]; /* the last two emissions' modified */
    char first_seen[40], last_seen[40];
    char evidence[700], description[900]; /* the last emission's */
    char sighting_json[2048];             /* the last emission's sighting, written */
} got;

static void on_sighting(void *ctx, const storm_detect_sighting *s)
{
    got *g = ctx;
    g->n++;
    if (!s->is_update) {
        g->n_new++;
        if (g->n_ids < 16)
            snprintf(g->ids[g->n_ids++], sizeof g->ids[0], "%s", storm_v_get_str(s->sighting, "id"));
    }
    snprintf(g->last_ind, sizeof g->last_ind, "%s", s->indicator->name);
    snprintf(g->last_scope, sizeof g->last_scope, "%s", s->scope);
    g->last_count = s->count;
    memcpy(g->modified[0], g->modified[1], sizeof g->modified[0]);
    snprintf(g->modified[1], sizeof g->modified[1], "%s", storm_v_get_str(s->sighting, "modified"));
    snprintf(g->first_seen, sizeof g->first_seen, "%s", storm_v_get_str(s->sighting, "first_seen"));
    snprintf(g->last_seen, sizeof g->last_seen, "%s", storm_v_get_str(s->sighting, "last_seen"));
    const storm_value *refs = storm_v_get(s->sighting, "observed_data_refs");
    g->last_refs = refs ? refs->u.a.len : 0;
    g->last_objects = s->n_objects;
    snprintf(g->evidence, sizeof g->evidence, "%s", s->evidence);
    snprintf(g->description, sizeof g->description, "%s", storm_v_get_str(s->sighting, "description"));
    storm_buf b;
    storm_buf_init(&b, 0);
    storm_json_write(&b, s->sighting, STORM_JSONW_COMPACT);
    snprintf(g->sighting_json, sizeof g->sighting_json, "%s", b.data ? b.data : "");
    storm_buf_free(&b);
}

typedef struct world {
    storm_arena *a;
    storm_models *m;
    storm_detector *d;
    got g;
    int next_id;
} world;

static void world_init(world *w, const char *const *patterns, size_t n, const storm_detect_opts *opts)
{
    memset(w, 0, sizeof *w);
    w->a = storm_arena_new(0, 0);
    w->m = test_models_of(patterns, n, "i");
    CHECK(storm_models_n_indicators(w->m) == n);
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_detector_new(w->m, opts, on_sighting, &w->g, &w->d, &err) == STORM_OK);
}

static void world_free(world *w)
{
    storm_detector_free(w->d);
    storm_models_free(w->m);
    storm_arena_free(w->a);
}

/* Feed one observation: a process named name (command line cmd) in pod at
 * t_ns nanoseconds past 1700000000 s. */
static void feed_ns(world *w, storm_time_ns t_ns, const char *name, const char *cmd, const char *pod,
                    const char *exec_id, const char *parent)
{
    storm_arena *a = w->a;
    int n = ++w->next_id;
    char pid[80], oid[80];
    snprintf(pid, sizeof pid, "process--00000000-0000-4000-8000-%012d", n);
    snprintf(oid, sizeof oid, "observed-data--00000000-0000-4000-8000-%012d", n);
    storm_value *p = storm_v_object(a);
    storm_v_set_str(a, p, "type", "process");
    storm_v_set_str(a, p, "id", pid);
    storm_v_set_str(a, p, "name", name);
    if (cmd)
        storm_v_set_str(a, p, "command_line", cmd);
    if (pod) {
        storm_v_set_str(a, p, "x_k8s_namespace", "default");
        storm_v_set_str(a, p, "x_k8s_pod", pod);
    }
    storm_value *sdo = storm_v_object(a);
    storm_v_set_str(a, sdo, "type", "observed-data");
    storm_v_set_str(a, sdo, "id", oid);
    storm_obs_object *objs = storm_arena_calloc(a, 1, sizeof *objs);
    objs[0].key = storm_arena_strdup(a, pid);
    objs[0].value = p;
    storm_observation o = {0};
    o.id = storm_arena_strdup(a, oid);
    o.first_observed = o.last_observed = t_ns + 1700000000LL * SEC;
    o.number_observed = 1;
    o.sdo = sdo;
    o.n_objects = 1;
    o.objects = objs;
    storm_detect_context ctx = {"node-1", pod ? "default" : NULL, pod, exec_id, parent};
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_detector_feed(w->d, &o, &ctx, &err) == STORM_OK);
}

/* ... at t seconds */
static void feed_ex(world *w, long t, const char *name, const char *cmd, const char *pod, const char *exec_id,
                    const char *parent)
{
    feed_ns(w, (storm_time_ns)t * SEC, name, cmd, pod, exec_id, parent);
}

static void feed(world *w, long t, const char *name, const char *pod)
{
    feed_ex(w, t, name, NULL, pod, NULL, NULL);
}

/* Sighting times as python-stix2 reads them (microseconds at most,
 * truncated), and a new version's modified later as written even when the
 * new evidence is less than a microsecond later. */
static void test_sighting_times(void)
{
    const char *p[] = {"[process:name = 'x' OR process:name = 'y']"};
    storm_detect_opts o = {.sighting_window = 3600 * SEC};
    world w;
    world_init(&w, p, 1, &o);
    feed_ns(&w, 5 * SEC + 640000100, "x", NULL, "p1", NULL, NULL);
    CHECK(w.g.n_new == 1);
    CHECK_STR(w.g.first_seen, "2023-11-14T22:13:25.64Z");
    CHECK_STR(w.g.modified[1], "2023-11-14T22:13:25.640Z");
    feed_ns(&w, 5 * SEC + 640000900, "y", NULL, "p1", NULL, NULL); /* the same microsecond */
    CHECK(w.g.n == 2 && w.g.last_count == 2);
    CHECK_STR(w.g.last_seen, "2023-11-14T22:13:25.64Z");
    CHECK(strcmp(w.g.modified[1], w.g.modified[0]) > 0); /* a new version, a later modified as written */
    CHECK_STR(w.g.modified[1], "2023-11-14T22:13:25.641Z");
    feed_ns(&w, 7 * SEC + 999999999, "x", NULL, "p1", NULL, NULL); /* truncated, not rounded up */
    CHECK(w.g.n == 3);
    CHECK_STR(w.g.last_seen, "2023-11-14T22:13:27.999999Z");
    CHECK_STR(w.g.modified[1], "2023-11-14T22:13:27.999999Z");
    world_free(&w);
}

static void test_followedby_within(void)
{
    const char *p[] = {"([process:name = 'a'] FOLLOWEDBY [process:name = 'b']) WITHIN 10 SECONDS"};
    world w;
    world_init(&w, p, 1, NULL);
    feed(&w, 0, "a", "p1");
    CHECK(w.g.n == 0);
    feed(&w, 5, "b", "p1");
    CHECK(w.g.n_new == 1);
    CHECK(w.g.last_refs == 2);
    CHECK_STR(w.g.last_scope, "pod default/p1");
    /* too late: 20 s after the a */
    feed(&w, 30, "a", "p2");
    feed(&w, 50, "b", "p2");
    CHECK(w.g.n_new == 1);
    /* wrong order */
    feed(&w, 100, "b", "p3");
    feed(&w, 101, "a", "p3");
    CHECK(w.g.n_new == 1);
    /* out of order arrival, right order in time */
    feed(&w, 205, "b", "p4");
    feed(&w, 200, "a", "p4");
    CHECK(w.g.n_new == 2);
    world_free(&w);
}

static void test_correlation_scopes(void)
{
    const char *p[] = {"[process:name = 'a'] FOLLOWEDBY [process:name = 'b']"};
    world w;
    world_init(&w, p, 1, NULL);
    feed(&w, 0, "a", "p1");
    feed(&w, 1, "b", "p2");
    CHECK(w.g.n == 0); /* two pods are not a sequence */
    world_free(&w);

    storm_detect_opts o = {.correlate = STORM_CORRELATE_GLOBAL};
    world_init(&w, p, 1, &o);
    feed(&w, 0, "a", "p1");
    feed(&w, 1, "b", "p2");
    CHECK(w.g.n_new == 1);
    CHECK_STR(w.g.last_scope, "global");
    world_free(&w);

    o.correlate = STORM_CORRELATE_NODE;
    world_init(&w, p, 1, &o);
    feed(&w, 0, "a", "p1");
    feed(&w, 1, "b", NULL);
    CHECK(w.g.n_new == 1);
    CHECK_STR(w.g.last_scope, "node node-1");
    world_free(&w);

    /* lineage: the same process tree in one pod combines, another tree does not */
    o.correlate = STORM_CORRELATE_LINEAGE;
    world_init(&w, p, 1, &o);
    feed_ex(&w, 0, "a", NULL, "p1", "e1", "root1");
    feed_ex(&w, 1, "b", NULL, "p1", "e9", "root2");
    CHECK(w.g.n == 0);
    feed_ex(&w, 2, "b", NULL, "p1", "e2", "e1");
    CHECK(w.g.n_new == 1);
    CHECK_STR(w.g.last_scope, "lineage root1");
    world_free(&w);
}

static void test_repeats_and_cap(void)
{
    const char *p[] = {"[process:name = 'c'] REPEATS 3 TIMES"};
    world w;
    world_init(&w, p, 1, NULL);
    feed(&w, 0, "c", "p1");
    feed(&w, 1, "c", "p1");
    CHECK(w.g.n == 0);
    feed(&w, 2, "c", "p1");
    CHECK(w.g.n_new == 1);
    CHECK(w.g.last_refs == 3);
    world_free(&w);

    /* a state cap of 1 keeps one earlier match: three never meet */
    storm_detect_opts o = {.state_cap = 1};
    world_init(&w, p, 1, &o);
    for (int i = 0; i < 5; i++)
        feed(&w, i, "c", "p1");
    CHECK(w.g.n == 0);
    storm_detect_stats st;
    storm_detector_get_stats(w.d, &st);
    CHECK(st.states_evicted == 4);
    CHECK(st.states_held == 1);
    world_free(&w);
}

static void test_and_horizon(void)
{
    const char *p[] = {"[process:name = 'd'] AND [process:name = 'e']"};
    world w;
    world_init(&w, p, 1, NULL);
    feed(&w, 0, "e", "p1");
    feed(&w, 100, "d", "p1");
    CHECK(w.g.n_new == 1);
    world_free(&w);

    storm_detect_opts o = {.horizon = 10 * SEC};
    world_init(&w, p, 1, &o);
    feed(&w, 0, "e", "p1");
    feed(&w, 20, "d", "p1");
    CHECK(w.g.n == 0);
    storm_detect_stats st;
    storm_detector_get_stats(w.d, &st);
    CHECK(st.states_evicted >= 1);
    world_free(&w);

    /* endless stream: memory stays bounded by the caps */
    storm_detect_opts o2 = {.state_cap = 4, .scopes_cap = 8, .states_cap = 16};
    world_init(&w, p, 1, &o2);
    char pod[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(pod, sizeof pod, "pod-%d", i % 50);
        feed(&w, i, "e", pod);
        storm_arena_reset(w.a);
    }
    storm_detector_get_stats(w.d, &st);
    CHECK(st.scopes_held <= 8);
    CHECK(st.states_held <= 16);
    CHECK(st.states_evicted >= 2000 - 16);
    world_free(&w);

    /* the least recently used scope goes first when scopes run out */
    storm_detect_opts o3 = {.scopes_cap = 1};
    world_init(&w, p, 1, &o3);
    feed(&w, 0, "e", "p1");
    feed(&w, 1, "e", "p2");
    feed(&w, 2, "d", "p1");
    CHECK(w.g.n == 0);
    world_free(&w);
}

/* A WITHIN on a part bounds that part only: "[e] WITHIN 1 SECONDS AND [d]"
 * holds for an e long before the d (found by test_differential: the
 * detector dropped the e after 1 s while storm match matched). */
static void test_within_of_a_part(void)
{
    const char *p[] = {"([process:name = 'e']) WITHIN 1 SECONDS AND [process:name = 'd']",
                       "([process:name = 'e'] FOLLOWEDBY [process:name = 'f']) WITHIN 5 SECONDS FOLLOWEDBY "
                       "[process:name = 'd']"};
    world w;
    world_init(&w, p, 2, NULL);
    feed(&w, 0, "e", "p1");
    feed(&w, 2, "f", "p1");
    feed(&w, 100, "d", "p1");
    CHECK(w.g.n_new == 2);
    world_free(&w);
    /* the part's own bound still holds: e and f 10 s apart are no part */
    world_init(&w, p + 1, 1, NULL);
    feed(&w, 0, "e", "p1");
    feed(&w, 10, "f", "p1");
    feed(&w, 100, "d", "p1");
    CHECK(w.g.n == 0);
    world_free(&w);
}

static void test_sightings(void)
{
    const char *p[] = {"[process:name = 'x' OR process:name = 'y']"};
    storm_detect_opts o = {.sighting_window = 3600 * SEC, .sighting_refs_cap = 2};
    world w;
    world_init(&w, p, 1, &o);
    feed(&w, 0, "x", "p1");
    CHECK(w.g.n_new == 1 && w.g.last_count == 1);
    CHECK(w.g.last_objects == 3); /* cluster identity, observed-data, process */
    feed(&w, 10, "y", "p1");
    CHECK(w.g.n == 2 && w.g.n_new == 1 && w.g.last_count == 2 && w.g.last_refs == 2);
    feed(&w, 20, "x", "p1"); /* past the refs cap: counted, emitted when closed */
    CHECK(w.g.n == 2);
    feed(&w, 30, "x", "p2"); /* another scope, another sighting */
    CHECK(w.g.n_new == 2);
    feed(&w, 2 * 3600 + 40, "x", "p1"); /* after the window: a new sighting */
    CHECK(w.g.n_new == 3);
    storm_detector_flush(w.d);
    storm_detect_stats st;
    storm_detector_get_stats(w.d, &st);
    CHECK(st.sightings == 3);
    CHECK(st.matches == 5);
    world_free(&w);
}

/* A sighting's evidence: one line (control characters as spaces), each
 * value cut at 160 bytes (120 for a hook argument), at most 600 bytes in
 * all, a labelled piece or a number whole or not at all, text up to the
 * last byte that fits; the sighting's members in their order. */
static void test_evidence(void)
{
    const char *p[] = {"[process:name = 'ev']"};
    storm_detect_opts o = {.sighting_window = 3600 * SEC, .sighting_refs_cap = 4};
    world w;
    world_init(&w, p, 1, &o);
    storm_arena *a = w.a;
    char cmd[220], prog[171], msg[171], hook[101];
    memset(cmd, 'c', sizeof cmd - 1);
    cmd[sizeof cmd - 1] = '\0';
    memcpy(cmd, "a\nb", 3);
    memset(prog, 'p', sizeof prog - 1);
    prog[sizeof prog - 1] = '\0';
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    memset(hook, 'h', sizeof hook - 1);
    hook[sizeof hook - 1] = '\0';
    storm_value *proc = storm_v_object(a);
    storm_v_set_str(a, proc, "type", "process");
    storm_v_set_str(a, proc, "id", "process--00000000-0000-4000-8000-000000000001");
    storm_v_set_str(a, proc, "name", "ev");
    storm_v_set_str(a, proc, "command_line", cmd);
    storm_v_set_str(a, proc, "x_app_program", prog);
    storm_v_set_str(a, proc, "x_app_message", msg);
    storm_v_set_str(a, proc, "x_hook_name", hook);
    storm_value *args = storm_v_array(a), *a0 = storm_v_object(a), *a1 = storm_v_object(a), *a2 = storm_v_object(a);
    storm_v_set_int(a, a0, "value", -5);
    storm_v_set_str(a, a1, "path", "\tzzzzzz");
    storm_v_set_int(a, a2, "value", 7);
    storm_v_push(a, args, a0);
    storm_v_push(a, args, a1);
    storm_v_push(a, args, a2);
    storm_v_set(a, proc, "x_hook_args", args);
    storm_value *sdo = storm_v_object(a);
    storm_v_set_str(a, sdo, "type", "observed-data");
    storm_v_set_str(a, sdo, "id", "observed-data--00000000-0000-4000-8000-000000000001");
    storm_obs_object obj = {.key = "0", .value = proc};
    storm_observation ob = {0};
    ob.id = "observed-data--00000000-0000-4000-8000-000000000001";
    ob.first_observed = ob.last_observed = 1700000000LL * SEC;
    ob.number_observed = 1;
    ob.sdo = sdo;
    ob.n_objects = 1;
    ob.objects = &obj;
    storm_detect_context ctx = {"node-1", "default", "pod-1", NULL, NULL};
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_detector_feed(w.d, &ob, &ctx, &err) == STORM_OK);
    CHECK(w.g.n_new == 1);
    /* "a b" + 157 c (160), " " + 160 p, " " + 160 m, " hook=" + 100 h (588),
     * " arg0=-5" (596), " arg1=" does not fit (602): its text does, to 600
     * (4 bytes, the tab a space); " arg2=7" does not */
    char want[700];
    size_t n = 0;
    memcpy(want, "a b", 3);
    n = 3;
    memset(want + n, 'c', 157);
    n += 157;
    want[n++] = ' ';
    memset(want + n, 'p', 160);
    n += 160;
    want[n++] = ' ';
    memset(want + n, 'm', 160);
    n += 160;
    memcpy(want + n, " hook=", 6);
    n += 6;
    memset(want + n, 'h', 100);
    n += 100;
    memcpy(want + n, " arg0=-5 zzz", 12);
    n += 12;
    want[n] = '\0';
    CHECK(n == 600);
    CHECK(strcmp(w.g.evidence, want) == 0);
    /* "<indicator> in <place>: <evidence>" */
    size_t ind_len = strlen(w.g.last_ind), d_len = strlen(w.g.description);
    CHECK(strncmp(w.g.description, w.g.last_ind, ind_len) == 0 && strncmp(w.g.description + ind_len, " in ", 4) == 0);
    CHECK(d_len > n + 2 && strncmp(w.g.description + d_len - n - 2, ": ", 2) == 0 &&
          strcmp(w.g.description + d_len - n, want) == 0);
    CHECK(strstr(w.g.description, "pod-1") != NULL);
    /* the members in order, the count a number */
    const char *order[] = {"\"type\":\"sighting\",\"spec_version\":\"2.1\",\"id\":\"sighting--",
                           "\"created_by_ref\":\"identity--",
                           "\"created\":",
                           "\"modified\":",
                           "\"first_seen\":",
                           "\"last_seen\":",
                           "\"count\":1,\"sighting_of_ref\":\"indicator--",
                           "\"observed_data_refs\":[\"observed-data--00000000-0000-4000-8000-000000000001\"],"
                           "\"where_sighted_refs\":[\"identity--",
                           "\"description\":"};
    const char *at = w.g.sighting_json;
    for (size_t i = 0; i < sizeof order / sizeof order[0] && at; i++) {
        const char *f = strstr(at, order[i]);
        CHECK(f != NULL);
        at = f;
    }
    /* a repeated key: the last one counts; no command line: the binary */
    storm_value *p2 = storm_v_object(a);
    storm_v_set_str(a, p2, "type", "process");
    storm_v_set_str(a, p2, "name", "ev");
    storm_v_append(a, p2, "x_alert_rule", 12, storm_v_str(a, "first"));
    storm_v_set_str(a, p2, "x_proc_binary", "/bin/b\x7f");
    storm_v_append(a, p2, "x_alert_rule", 12, storm_v_str(a, "second"));
    storm_v_set_int(a, p2, "x_hook_name", -9223372036854775807LL - 1);
    obj.value = p2;
    ob.id = "observed-data--00000000-0000-4000-8000-000000000002";
    storm_detect_context ctx2 = {"node-1", "default", "pod-2", NULL, NULL};
    storm_err_clear(&err);
    CHECK(storm_detector_feed(w.d, &ob, &ctx2, &err) == STORM_OK);
    CHECK(w.g.n_new == 2);
    CHECK_STR(w.g.evidence, "/bin/b  hook=-9223372036854775808 rule=second");
    world_free(&w);
}

/* The cap on open sightings never closes one that a later indicator of the
 * same event updates: the result does not depend on which indicator of the
 * event is handled first (QA found it did). */
static void test_open_cap_within_event(void)
{
    const char *p[] = {"[process:command_line = '/usr/bin/cmdA']", "[process:command_line MATCHES '^/usr/bin/cmdA']",
                       "[process:name = 'filler']"};
    storm_detect_opts o = {.sighting_window = 3600 * SEC, .open_sightings_cap = 2};
    world w;
    world_init(&w, p, 3, &o);
    feed_ex(&w, 0, "cmdAx", "/usr/bin/cmdAx", "pa", NULL, NULL); /* i1: sighting S0 */
    feed_ex(&w, 10, "filler", NULL, "pb", NULL, NULL);           /* i2: S1; 2 open */
    feed_ex(&w, 20, "cmdA", "/usr/bin/cmdA", "pa", NULL, NULL);  /* i0: new S2; i1: S0 again */
    storm_detector_flush(w.d);
    storm_detect_stats st;
    storm_detector_get_stats(w.d, &st);
    CHECK(st.matches == 4);
    CHECK(st.sightings == 3);        /* S0 was not closed and reopened */
    CHECK(st.sighting_updates >= 1); /* S0's second match went into S0 */
    world_free(&w);
}

static void test_index(void)
{
    const char *p[] = {
        "[process:command_line MATCHES '^/usr/bin/nsenter -t 1']",
        "[process:command_line LIKE '%/var/log/%']",
        "[process:name IN ('gdb', 'strace')]",
        "[process:name != 'bash']",
        "[process:command_line MATCHES '(?<=x)y']", /* a lookbehind: may need PCRE2 */
    };
    world w;
    world_init(&w, p, 5, NULL);
    feed_ex(&w, 0, "nsenter", "/usr/bin/nsenter -t 1 -m sh", "p1", NULL, NULL);
    CHECK(w.g.n_new == 2); /* MATCHES and != */
    feed_ex(&w, 1, "bash", "ln -s / /host/var/log/x", "p1", NULL, NULL);
    CHECK(w.g.n_new == 3);
    CHECK_STR(w.g.last_ind, "i1");
    feed_ex(&w, 2, "bash", "xy", "p1", NULL, NULL);
    CHECK(w.g.n_new == 4);
    CHECK_STR(w.g.last_ind, "i4");
    feed_ex(&w, 3, "strace", "strace ls", "p1", NULL, NULL);
    storm_detect_stats st;
    storm_detector_get_stats(w.d, &st);
    CHECK(st.matches == 6); /* IN and != on the strace */
    CHECK(st.leaves == 5);
    /* an unrelated process is a candidate only for the != leaf (with
     * Hyperscan prefiltering the regexes; without it, -Dhyperscan=disabled,
     * the three MATCHES/LIKE leaves fall back to their object type) */
    uint64_t before = st.candidates;
    feed_ex(&w, 4, "bash", "sleep 1", "p1", NULL, NULL);
    storm_detector_get_stats(w.d, &st);
    CHECK(st.candidates - before <= (STORM_HAVE_HYPERSCAN ? 2 : 4));
    world_free(&w);
}

/* LIKE through the index: anchored at an end without %, open at an end
 * with one ('%' runs dropped from the regex), '_' one character. Each
 * command line matches exactly the leaves listed for it. */
static void test_like_forms(void)
{
    const char *p[] = {
        "[process:command_line LIKE 'ab%']",     "[process:command_line LIKE '%yz']",
        "[process:command_line LIKE 'a_c']",     "[process:command_line LIKE '%%']",
        "[process:command_line LIKE '%%mid%%']", "[process:command_line LIKE 'a%z']",
    };
    static const struct {
        const char *cmd;
        int matches; /* of the six leaves */
    } cases[] = {
        {"abc", 3},       /* ab%, a_c, %% */
        {"xyz", 2},       /* %yz, %% */
        {"abxyz", 4},     /* ab%, %yz, %%, a%z */
        {"zabc", 1},      /* %% only: ab% and a_c are anchored */
        {"a mid z", 3},   /* %%, %%mid%%, a%z */
        {"abcd", 2},      /* ab%, %%; a_c is anchored at the end */
        {"x\nmid\ny", 2}, /* %%, %%mid%% across lines */
    };
    world w;
    world_init(&w, p, sizeof p / sizeof *p, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        storm_detect_stats before, after;
        storm_detector_get_stats(w.d, &before);
        char pod[16];
        snprintf(pod, sizeof pod, "p%zu", i);
        feed_ex(&w, (long)i, "x", cases[i].cmd, pod, NULL, NULL);
        storm_detector_get_stats(w.d, &after);
        CHECK(after.matches - before.matches == (uint64_t)cases[i].matches);
    }
    world_free(&w);
}

static int cmp_id(const void *x, const void *y)
{
    return strcmp((const char *)x, (const char *)y);
}

/* The same events in any order give the same sighting ids: a sighting is the
 * indicator, the scope and the aligned window its first match falls in. */
static void test_order_independent_ids(void)
{
    const char *p[] = {"[process:name = 'x']"};
    storm_detect_opts o = {.sighting_window = 3600 * SEC};
    static const long times[] = {0, 100, 2000, 2900, 4000, 9000, 9100};
    const size_t n = sizeof times / sizeof times[0];
    world fw, rw;
    world_init(&fw, p, 1, &o);
    world_init(&rw, p, 1, &o);
    for (size_t i = 0; i < n; i++)
        feed(&fw, times[i], "x", "p1");
    for (size_t i = n; i-- > 0;)
        feed(&rw, times[i], "x", "p1");
    storm_detector_flush(fw.d);
    storm_detector_flush(rw.d);
    /* 1700000000 s is 22:13:20: windows end at t=2800 and t=6400 */
    CHECK(fw.g.n_ids == 3);
    CHECK(rw.g.n_ids == fw.g.n_ids);
    qsort(fw.g.ids, (size_t)fw.g.n_ids, sizeof fw.g.ids[0], cmp_id);
    qsort(rw.g.ids, (size_t)rw.g.n_ids, sizeof rw.g.ids[0], cmp_id);
    for (int i = 0; i < fw.g.n_ids && i < rw.g.n_ids; i++)
        CHECK_STR(fw.g.ids[i], rw.g.ids[i]);
    world_free(&fw);
    world_free(&rw);
}

/* An indicator past its valid_until (as of the event's time) matches nothing;
 * a revoked one is not loaded at all. */
static void test_valid_until_and_revoked(void)
{
    static const char text[] =
        "[{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000001\","
        "\"created\":\"2023-01-01T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\",\"name\":\"until\","
        "\"pattern_type\":\"stix\",\"pattern\":\"[process:name = 'x']\",\"valid_from\":\"2023-01-01T00:00:00Z\","
        "\"valid_until\":\"2023-11-14T22:20:00Z\"},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-000000000002\","
        "\"created\":\"2023-01-01T00:00:00Z\",\"modified\":\"2023-01-01T00:00:00Z\",\"name\":\"revoked\",\"revoked\":"
        "true,"
        "\"pattern_type\":\"stix\",\"pattern\":\"[process:name = 'y']\",\"valid_from\":\"2023-01-01T00:00:00Z\"}]";
    world w;
    memset(&w, 0, sizeof w);
    w.a = storm_arena_new(0, 0);
    storm_models_new(&w.m);
    storm_err err;
    storm_err_clear(&err);
    storm_models_load_text(w.m, "t", text, sizeof text - 1, &err);
    storm_models_finish(w.m);
    CHECK(storm_models_n_indicators(w.m) == 1);
    storm_detect_opts o = {0};
    storm_err_clear(&err);
    CHECK(storm_detector_new(w.m, &o, on_sighting, &w.g, &w.d, &err) == STORM_OK);
    feed(&w, 0, "x", "p1"); /* 22:13:20, before valid_until */
    CHECK(w.g.n_new == 1);
    feed(&w, 400, "x", "p2"); /* 22:20:00: no longer valid */
    feed(&w, 500, "x", "p3");
    feed(&w, 10, "y", "p1"); /* revoked: never matches */
    CHECK(w.g.n_new == 1);
    world_free(&w);
}

/* What a later match writes of an observation a partial match held (kept
 * packed, rebuilt for the sighting) is the observation as it came: every
 * value type, nested objects and arrays, positions, a member given twice. */
typedef struct objects_text {
    int n;
    storm_buf text; /* the JSON of the last sighting's objects, one per line */
} objects_text;

static void on_sighting_objects(void *ctx, const storm_detect_sighting *s)
{
    objects_text *t = ctx;
    t->n++;
    storm_buf_reset(&t->text);
    for (size_t i = 0; i < s->n_objects; i++) {
        storm_json_write(&t->text, s->objects[i], STORM_JSONW_COMPACT);
        storm_buf_putc(&t->text, '\n');
    }
}

static storm_observation held_observation(storm_arena *a, const char *json_process, const char *name, int n,
                                          storm_time_ns t)
{
    storm_value *p = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_json_parse(a, json_process, strlen(json_process), 0, &p, NULL, &err) == STORM_OK);
    storm_v_set_str(a, p, "name", name);
    char oid[80];
    snprintf(oid, sizeof oid, "observed-data--00000000-0000-4000-8000-%012d", n);
    storm_value *sdo = storm_v_object(a);
    storm_v_set_str(a, sdo, "type", "observed-data");
    storm_v_set_str(a, sdo, "id", oid);
    storm_v_set_int(a, sdo, "number_observed", 1);
    storm_obs_object *objs = storm_arena_calloc(a, 1, sizeof *objs);
    objs[0].key = storm_v_get_str(p, "id");
    objs[0].value = p;
    storm_observation o = {.id = storm_arena_strdup(a, oid),
                           .first_observed = t,
                           .last_observed = t,
                           .number_observed = 1,
                           .sdo = sdo,
                           .n_objects = 1,
                           .objects = objs};
    return o;
}

static void test_held_observation_written_whole(void)
{
    const char *p[] = {"[process:name = 'a'] FOLLOWEDBY [process:name = 'b']"};
    storm_models *m = test_models_of(p, 1, "i");
    objects_text held = {0};
    storm_buf_init(&held.text, 0);
    storm_detector *d = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_detector_new(m, NULL, on_sighting_objects, &held, &d, &err) == STORM_OK);
    storm_arena *a = storm_arena_new(0, 0);
    const char *rich = "{\"type\":\"process\",\"id\":\"process--00000000-0000-4000-8000-000000000001\","
                       "\"pid\":-42,\"x_big\":9007199254740993,\"x_f\":0.1,\"x_e\":1e-300,\"x_t\":true,"
                       "\"x_n\":null,\"x_s\":\"tab\\there \\u00e9\\u2603 \\\"q\\\" \\\\\",\"x_empty\":\"\","
                       "\"x_arr\":[1,[2,[]],{},{\"k\":[false,null,\"v\"]}],\"x_obj\":{\"a\":{\"b\":{\"c\":-1.5}}},"
                       "\"x_dup\":1,\"x_dup\":2}";
    storm_observation first = held_observation(a, rich, "a", 1, 1700000000LL * SEC);
    storm_buf want;
    storm_buf_init(&want, 0);
    storm_json_write(&want, first.sdo, STORM_JSONW_COMPACT);
    storm_buf_putc(&want, '\n');
    /* as a copy holds it: the member given twice once, with the last value */
    storm_json_write(&want, storm_v_copy(a, first.objects[0].value), STORM_JSONW_COMPACT);
    storm_buf_putc(&want, '\n');
    storm_detect_context ctx = {"node-1", "default", "p1", NULL, NULL};
    CHECK(storm_detector_feed(d, &first, &ctx, &err) == STORM_OK);
    CHECK(held.n == 0);
    const char *plain = "{\"type\":\"process\",\"id\":\"process--00000000-0000-4000-8000-000000000002\"}";
    storm_observation second = held_observation(a, plain, "b", 2, 1700000001LL * SEC);
    CHECK(storm_detector_feed(d, &second, &ctx, &err) == STORM_OK);
    CHECK(held.n == 1);
    /* the held observation's observed-data and process, as they came */
    const char *text = held.text.data ? held.text.data : "";
    CHECK(strstr(text, want.data) != NULL);
    CHECK(strstr(text, "\"x_dup\":2") && !strstr(text, "\"x_dup\":1"));
    storm_buf_free(&want);
    storm_buf_free(&held.text);
    storm_arena_free(a);
    storm_detector_free(d);
    storm_models_free(m);
}

int main(void)
{
    RUN(test_order_independent_ids);
    RUN(test_valid_until_and_revoked);
    RUN(test_followedby_within);
    RUN(test_held_observation_written_whole);
    RUN(test_correlation_scopes);
    RUN(test_repeats_and_cap);
    RUN(test_and_horizon);
    RUN(test_within_of_a_part);
    RUN(test_sightings);
    RUN(test_evidence);
    RUN(test_sighting_times);
    RUN(test_index);
    RUN(test_like_forms);
    RUN(test_open_cap_within_event);
    return test_report("test_matcher");
}
