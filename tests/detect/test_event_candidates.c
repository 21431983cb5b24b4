/* SPDX-License-Identifier: Apache-2.0 */
/* The candidates decided on the typed event (storm_detector_wants, then
 * storm_detector_feed_wanted: each comparison of a leaf per object, the
 * observation built only for events with a candidate) must lose no match:
 * two detectors over the same indicators see every event of the sensor
 * corpus, one as storm run feeds it (event candidates), the other given
 * every observation (candidates found on the built observation, which the
 * differential test holds against the batch matcher). Every sighting they
 * emit must be the same, byte for byte, in the same order.
 *
 * Indicators: the shipped models and patterns
 * generated from the corpus's own values that put conjunctions across the
 * processes of one event (the subject's binary with its parent's command
 * line, subject context with a relative's property), where a per-object
 * decision that is wrong would drop or keep the wrong events. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storm_config.h"
#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/detect.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/stix.h>

#include "test.h"
#include "detect_test_util.h"

#define SEC 1000000000LL

static const char *root_dir(void)
{
    const char *r = getenv("STORM_SOURCE_ROOT");
    return r ? r : ".";
}

/* ---- values of the corpus, per process place ---- */

#define MAX_VALUES 96
typedef struct values {
    char *v[MAX_VALUES]; /* strings without quotes or backslashes (malloc'd) */
    size_t n;
} values;

typedef struct corpus_values {
    values names, args, pods, hooks;
    unsigned long long rng;
} corpus_values;

static void keep(values *vs, const char *s, unsigned long long *rng)
{
    if (!s || !*s || strlen(s) > 60 || strchr(s, '\'') || strchr(s, '\\'))
        return;
    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->v[i], s) == 0)
            return;
    if (vs->n < MAX_VALUES && (vs->n < 24 || test_rand(rng, 3) == 0))
        vs->v[vs->n++] = strdup(s);
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

static void collect(void *ctx, storm_arena *a, const storm_event *ev, const char *where)
{
    corpus_values *c = ctx;
    (void)a;
    (void)where;
    const storm_process_info *ps[2] = {&ev->process, &ev->parent};
    for (size_t i = 0; i < 2; i++) {
        keep(&c->names, base_name(ps[i]->binary), &c->rng);
        if (ps[i]->arguments && strlen(ps[i]->arguments) > 4) {
            char piece[16];
            snprintf(piece, sizeof piece, "%.8s", ps[i]->arguments + strlen(ps[i]->arguments) / 2);
            if (!strpbrk(piece, ".^$|?*+()[]{}"))
                keep(&c->args, piece, &c->rng);
        }
    }
    keep(&c->pods, ev->k8s.pod, &c->rng);
    if (ev->hook.present)
        keep(&c->hooks, ev->hook.name, &c->rng);
}

static const char *pick(corpus_values *c, const values *vs)
{
    return vs->n ? vs->v[test_rand(&c->rng, (uint32_t)vs->n)] : "none";
}

/* One generated pattern: a conjunction over one process, two places of the
 * event, or subject context with a process property. */
static char *gen_pattern(corpus_values *c)
{
    static const char *const rel[] = {"", "parent_ref.", "parent_ref.parent_ref."};
    char buf[1024];
    const char *r1 = rel[test_rand(&c->rng, 3)], *r2 = rel[test_rand(&c->rng, 3)];
    /* structured properties: the values at the path's steps only */
    static const char *const structured[] = {
        "[process:x_hook_args[0].path MATCHES '^/' AND process:x_hook_args[1].value MATCHES '.']",
        "[process:x_hook_args[1].value MATCHES '[a-z]' OR process:x_hook_args[2].value = 1]",
        "[process:x_hook_args[*].value IN (0, 1, 2, 4)]",
        "[process:x_hook_args[0].value MATCHES '/' AND process:x_hook_name LIKE '%%sys%%']",
        "[process:x_alert_fields.proc_cmdline MATCHES '.' AND process:x_alert_rule LIKE '%%']",
        "[network-traffic:x_audit_request_object.spec.containers[0].image MATCHES '.']",
        "[network-traffic:x_audit_request_object.metadata.labels.app MATCHES '.' OR "
        "network-traffic:x_audit_request_object.rules[*].verbs[*] = 'get']",
        "[process:x_proc_extra.flags MATCHES 'execve' AND process:parent_ref.x_proc_extra.flags MATCHES 'clone']",
    };
    const char *a = pick(c, &c->args), *name = pick(c, &c->names);
    switch (test_rand(&c->rng, 9)) {
    case 7: /* two literal factors (leaf_index.c looks for the second once Hyperscan finds the first) */
        if (strlen(a) >= 8) {
            snprintf(buf, sizeof buf, "[process:%scommand_line LIKE '%%%.4s%%%s%%' AND EXISTS process:x_k8s_pod]", r1,
                     a, a + 4);
            break;
        }
        /* fall through */
    case 8: /* a prefix key as long as the whole value */
        snprintf(buf, sizeof buf, "[process:%simage_ref.name MATCHES '^%s$']", r1,
                 strpbrk(name, ".^$|?*+()[]{}") ? "containerd-shim" : name);
        break;
    case 6:
        snprintf(buf, sizeof buf, "%s", structured[test_rand(&c->rng, sizeof structured / sizeof *structured)]);
        break;
    case 0:
        snprintf(buf, sizeof buf, "[process:%simage_ref.name = '%s' AND process:%scommand_line MATCHES '%s']", r1,
                 pick(c, &c->names), r2, pick(c, &c->args));
        break;
    case 1:
        snprintf(buf, sizeof buf, "[process:%simage_ref.name IN ('%s', '%s') AND EXISTS process:x_k8s_pod]", r1,
                 pick(c, &c->names), pick(c, &c->names));
        break;
    case 2:
        snprintf(buf, sizeof buf, "[process:x_hook_name = '%s' AND process:%sx_proc_arguments LIKE '%%%s%%']",
                 pick(c, &c->hooks), r1, pick(c, &c->args));
        break;
    case 3:
        snprintf(buf, sizeof buf,
                 "[(process:%sx_proc_name = '%s' OR process:x_k8s_pod = '%s') AND process:%simage_ref.name != 'x']", r1,
                 pick(c, &c->names), pick(c, &c->pods), r2);
        break;
    case 4:
        snprintf(buf, sizeof buf, "[process:%simage_ref.name = '%s' AND process:%simage_ref.name = '%s']", r1,
                 pick(c, &c->names), r2, pick(c, &c->names));
        break;
    default:
        snprintf(buf, sizeof buf,
                 "[process:command_line MATCHES '%s' AND EXISTS process:x_k8s_pod] FOLLOWEDBY "
                 "[process:%simage_ref.name = '%s'] WITHIN 600 SECONDS",
                 pick(c, &c->args), r1, pick(c, &c->names));
        break;
    }
    return strdup(buf);
}

/* ---- the two detectors ---- */

typedef struct trace {
    storm_buf out; /* every sighting emitted, one JSON line each */
    size_t n;
} trace;

static void on_sighting(void *ctx, const storm_detect_sighting *s)
{
    trace *t = ctx;
    storm_buf_printf(&t->out, "%s %s %llu ", s->indicator->name ? s->indicator->name : "-", s->scope,
                     (unsigned long long)s->count);
    storm_json_write(&t->out, s->sighting, 0);
    storm_buf_putc(&t->out, '\n');
    t->n++;
}

typedef struct run {
    storm_detector *by_event, *by_obs;
    trace t_event, t_obs;
    size_t wanted, events, built_errors;
    /* the event-candidate side builds its observations with lazy_ids, as
     * storm run does; how many stayed unfinished after the feed (a
     * candidate whose leaves all failed needs no ids) */
    bool lazy;
    size_t left_pending;
} run;

static void feed_both(void *ctx, storm_arena *a, const storm_event *ev, const char *where)
{
    run *r = ctx;
    (void)where;
    storm_stix_opts so = {0};
    so.default_time = 1700000000LL * SEC;
    storm_detect_context dc = {ev->k8s.node, ev->k8s.namespace_, ev->k8s.pod, ev->process.exec_id,
                               ev->process.parent_exec_id};
    storm_observation obs;
    storm_err err;
    storm_err_clear(&err);
    /* the ids derive from the record: any text, the same on both sides */
    char record[64];
    int rl = snprintf(record, sizeof record, "{\"test_event\":%zu}", r->events);
    if (r->lazy) {
        so.record = record;
        so.record_len = (size_t)rl;
        so.record_index = r->events;
    }
    bool built = storm_stix_observe(a, ev, &so, &obs, &err) == STORM_OK;
    storm_observation lazy_obs = obs;
    if (built && r->lazy) {
        storm_stix_opts lo = so;
        lo.lazy_ids = true;
        storm_err_clear(&err);
        built = storm_stix_observe(a, ev, &lo, &lazy_obs, &err) == STORM_OK;
    }
    r->events++;
    if (built) {
        storm_err_clear(&err);
        storm_detector_feed(r->by_obs, &obs, &dc, &err);
    } else {
        r->built_errors++;
    }
    if (storm_detector_wants(r->by_event, a, ev, &so, &dc)) {
        r->wanted++;
        if (built) {
            storm_err_clear(&err);
            storm_detector_feed_wanted(r->by_event, &lazy_obs, &dc, &err);
            if (r->lazy && lazy_obs.id && strstr(lazy_obs.id, "zzzz"))
                r->left_pending++;
        }
    }
}

static storm_models *all_models(corpus_values *c, size_t n_generated, size_t *n_indicators)
{
    storm_models *m = NULL;
    storm_models_new(&m);
    char path[4096];
    storm_err err;
    storm_err_clear(&err);
    snprintf(path, sizeof path, "%s/models", root_dir());
    storm_models_load_path(m, path, &err);
    char **pats = calloc(n_generated, sizeof *pats);
    for (size_t i = 0; pats && i < n_generated; i++)
        pats[i] = gen_pattern(c);
    /* the generated ones as a bundle of their own, in the same model set */
    storm_buf b;
    storm_buf_init(&b, 64u << 20);
    storm_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-0000000000ff\",\"objects\":[");
    for (size_t i = 0; i < n_generated; i++) {
        storm_buf_printf(&b,
                         "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-"
                         "9000-%012zu\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
                         "\"name\":\"g%zu\",\"pattern_type\":\"stix\",\"valid_from\":\"2020-01-01T00:00:00Z\","
                         "\"pattern\":",
                         i ? "," : "", i, i);
        storm_json_write_string(&b, pats[i], strlen(pats[i]));
        storm_buf_puts(&b, "}");
    }
    storm_buf_puts(&b, "]}");
    storm_err_clear(&err);
    storm_models_load_text(m, "generated", b.data, b.len, &err);
    storm_buf_free(&b);
    for (size_t i = 0; pats && i < n_generated; i++)
        free(pats[i]);
    free(pats);
    storm_models_finish(m);
    *n_indicators = storm_models_n_indicators(m);
    return m;
}

/* passes: how many times the corpus is fed. From the second time on every
 * string value is one the index has seen, and its keys' hits come from the
 * index's memo of them (leaf_index.c) instead of the lookups and scans. */
static void same_sightings(storm_correlate correlate, int passes, bool lazy)
{
    corpus_values c;
    memset(&c, 0, sizeof c);
    c.rng = 0x5eed5eed12345ULL + (unsigned long long)correlate;
    storm_arena *a = storm_arena_new(0, 0);
    test_corpus_events(a, true, collect, &c);
    CHECK(c.names.n >= 10);
    CHECK(c.args.n >= 10);
    size_t n_ind = 0;
    storm_models *m = all_models(&c, 600, &n_ind);
    CHECK(n_ind >= 620);

    run r;
    memset(&r, 0, sizeof r);
    r.lazy = lazy;
    storm_buf_init(&r.t_event.out, 1u << 30);
    storm_buf_init(&r.t_obs.out, 1u << 30);
    storm_detect_opts o = {0};
    o.correlate = correlate;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_detector_new(m, &o, on_sighting, &r.t_event, &r.by_event, &err) == STORM_OK);
    CHECK(storm_detector_new(m, &o, on_sighting, &r.t_obs, &r.by_obs, &err) == STORM_OK);
    if (r.by_event && r.by_obs) {
        for (int p = 0; p < passes; p++)
            test_corpus_events(a, true, feed_both, &r);
        storm_detector_flush(r.by_event);
        storm_detector_flush(r.by_obs);
        storm_detect_stats se, so;
        storm_detector_get_stats(r.by_event, &se);
        storm_detector_get_stats(r.by_obs, &so);
        printf("# %s: %zu events, %zu wanted (%llu prefiltered); sightings %zu vs %zu; candidates %llu vs %llu\n",
               storm_correlate_name(correlate), r.events, r.wanted, (unsigned long long)se.prefiltered, r.t_event.n,
               r.t_obs.n, (unsigned long long)se.candidates, (unsigned long long)so.candidates);
        CHECK(r.events >= 300);
        CHECK(r.t_obs.n >= 50); /* the indicators match: the comparison means something */
        /* and the event decides some events need nothing (without Hyperscan,
         * the regex comparisons cannot be keyed, so every event is wanted) */
        CHECK(!STORM_HAVE_HYPERSCAN || r.wanted < r.events);
        /* ids wait for a leaf that holds: some candidates never get them
         * (and the sightings, compared below, carry the final ones) */
        if (lazy) {
            printf("# lazy ids: %zu observations left unfinished\n", r.left_pending);
            CHECK(r.left_pending > 0);
        }
        CHECK(r.t_event.n == r.t_obs.n);
        CHECK(r.t_event.out.len == r.t_obs.out.len);
        bool same =
            r.t_event.out.len == r.t_obs.out.len && memcmp(r.t_event.out.data, r.t_obs.out.data, r.t_obs.out.len) == 0;
        CHECK(same);
        if (!same) { /* the first difference, for whoever reads the log */
            size_t i = 0;
            while (i < r.t_event.out.len && i < r.t_obs.out.len && r.t_event.out.data[i] == r.t_obs.out.data[i])
                i++;
            size_t s = i > 200 ? i - 200 : 0;
            printf("# differ at byte %zu:\n# event: %.400s\n# obs:   %.400s\n", i, r.t_event.out.data + s,
                   r.t_obs.out.data + s);
        }
    }
    storm_detector_free(r.by_event);
    storm_detector_free(r.by_obs);
    storm_buf_free(&r.t_event.out);
    storm_buf_free(&r.t_obs.out);
    storm_models_free(m);
    values *all[] = {&c.names, &c.args, &c.pods, &c.hooks};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < all[k]->n; i++)
            free(all[k]->v[i]);
    storm_arena_free(a);
}

static void global_scope(void)
{
    same_sightings(STORM_CORRELATE_GLOBAL, 2, false);
}

static void pod_scope(void)
{
    same_sightings(STORM_CORRELATE_POD, 1, false);
}

static void lineage_scope(void)
{
    same_sightings(STORM_CORRELATE_LINEAGE, 1, false);
}

/* lazy ids on the event side: the same sightings, byte for byte */
static void lazy_ids_node_scope(void)
{
    same_sightings(STORM_CORRELATE_NODE, 1, true);
}

int main(void)
{
    RUN(global_scope);
    RUN(pod_scope);
    RUN(lineage_scope);
    RUN(lazy_ids_node_scope);
    return test_report("test_event_candidates");
}
