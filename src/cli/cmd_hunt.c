/* SPDX-License-Identifier: Apache-2.0 */
/* storm hunt: retro-hunt. The observations a store already holds (the
 * observed-data and SCOs of its observations collection) are read back in
 * time order and fed to the same pipeline and detector as storm run, with
 * the models given (new or changed indicators, e.g. what storm pull
 * fetched), so that the sightings carry the observations' own times and
 * are merged with the stored ones (deterministic ids: a rerun adds nothing). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <storm/arena.h>
#include <storm/detect.h>
#include <storm/json.h>
#include <storm/model.h>
#include <storm/observation.h>
#include <storm/pipeline.h>
#include <storm/store.h>

#include "cli.h"

static const char usage_line[] = "usage: storm hunt --db FILE [--models PATH]... [--since T] [options]";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n\n"
            "Matches attack models (new or changed indicators, e.g. what storm pull fetched) against the\n"
            "observations already in the store, with the same detector and correlation as storm run, and\n"
            "stores the sightings with the observations' own times. Rerunning adds nothing.\n"
            "Every event's observation is stored only by storm run --keep-observations; otherwise the\n"
            "store holds the evidence of earlier sightings only, and that is what is hunted.\n\n"
            "  --db FILE           the store to hunt in and to write the sightings to (required)\n"
            "  --models PATH       attack model file or directory (repeatable)\n"
            "  --no-db-models      do not use the models in the store's indicators collection\n"
            "  --since T           only observations first observed at or after T (RFC 3339 time, or a\n"
            "                      duration back from now: 24h)\n"
            "  --format stix|text  output: STIX bundles as JSON Lines (default) or one line per sighting\n"
            "  -o, --output FILE   write the output there instead of standard output\n"
            "  --correlate global|node|pod|lineage\n"
            "                      which observations may combine in one match (default pod; as storm run)\n"
            "  --identity NAME     name of this cluster (default storm; as storm run)\n"
            "  --horizon DURATION  how long partial matches are held (default 1h; as storm run)\n"
            "  --window DURATION   sighting window (default 1h; as storm run)\n"
            "  --state-cap N       partial matches held per pattern node and scope (default 64)\n"
            "  -q, --quiet         no statistics on standard error\n",
            usage_line);
}

/* Every stored object of the observations collection (last versions),
 * parsed into one arena, in the order they were added. */
typedef struct stored_objects {
    storm_arena *arena;
    storm_value *list;
    uint64_t bad;
    bool skip_observed_data; /* the pass over last versions: observed-data came with every version */
} stored_objects;

static int take_object(void *ctx, const storm_store_row *row)
{
    stored_objects *so = ctx;
    if (so->skip_observed_data && row->type && strcmp(row->type, "observed-data") == 0)
        return 0;
    storm_value *v = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (!row->json ||
        storm_json_parse(so->arena, row->json, row->json_len, STORM_JSON_DEFAULT, &v, NULL, &err) != STORM_OK || !v) {
        so->bad++;
        return 0;
    }
    storm_v_push(so->arena, so->list, v);
    return 0;
}

static storm_rc read_pass(storm_store *store, stored_objects *so, const char *const *types, size_t n_types,
                          unsigned versions, storm_err *err)
{
    storm_store_query q = {0};
    q.collection = STORM_COLLECTION_OBSERVATIONS;
    q.types = types;
    q.n_types = n_types;
    q.version_flags = versions;
    q.limit = STORM_STORE_QUERY_LIMIT_MAX;
    q.with_json = true;
    bool more = true;
    while (more) {
        int64_t next = 0;
        storm_rc rc = storm_store_query_objects(store, &q, take_object, so, &more, &next, err);
        if (rc == STORM_ERR_NOTFOUND)
            return STORM_OK; /* no observations collection yet: nothing to hunt */
        if (rc != STORM_OK)
            return rc;
        q.after_key = next;
    }
    return STORM_OK;
}

/* Every version of each observed-data (two events can share an id and
 * differ in time: each version is one observation), the last version of
 * everything else (SCOs, identity, extension-definitions). */
static storm_rc read_observations(storm_store *store, stored_objects *so, storm_err *err)
{
    static const char *const od[] = {"observed-data"};
    storm_rc rc = read_pass(store, so, od, 1, STORM_STORE_VERSION_ALL, err);
    if (rc != STORM_OK)
        return rc;
    so->skip_observed_data = true;
    return read_pass(store, so, NULL, 0, STORM_STORE_VERSION_LAST, err);
}

static int by_time(const void *a, const void *b)
{
    const storm_observation *x = a, *y = b;
    if (x->first_observed != y->first_observed)
        return x->first_observed < y->first_observed ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index; /* stored order: the order storm run read them */
}

/* The context storm run took from the event, rebuilt from the SCOs the
 * decoders fill from it: the event's own process comes first in
 * object_refs (before its parent, which may be in another pod: a host shell
 * nsenter started), so its node, namespace, pod and exec ids are the
 * event's; an observation without a process (audit, flows) takes them from
 * the first object naming them. */
static void context_of(const storm_observation *obs, storm_detect_context *c)
{
    memset(c, 0, sizeof *c);
    const storm_value *from = NULL;
    for (size_t i = 0; i < obs->n_objects && !from; i++) {
        const char *type = storm_v_get_str(obs->objects[i].value, "type");
        if (type && strcmp(type, "process") == 0)
            from = obs->objects[i].value;
    }
    for (size_t i = 0; i < obs->n_objects && !from; i++)
        if (storm_v_get_str(obs->objects[i].value, "x_k8s_pod") || storm_v_get_str(obs->objects[i].value, "x_k8s_node"))
            from = obs->objects[i].value;
    if (!from)
        return;
    c->node = storm_v_get_str(from, "x_k8s_node");
    c->namespace_ = storm_v_get_str(from, "x_k8s_namespace");
    c->pod = storm_v_get_str(from, "x_k8s_pod");
    c->exec_id = storm_v_get_str(from, "x_proc_exec_id");
    c->parent_exec_id = storm_v_get_str(from, "x_proc_parent_exec_id");
}

enum {
    OPT_MODELS = 256,
    OPT_DB,
    OPT_NO_DB_MODELS,
    OPT_SINCE,
};

int cmd_hunt(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"models", required_argument, NULL, OPT_MODELS},
        {"no-db-models", no_argument, NULL, OPT_NO_DB_MODELS},
        {"since", required_argument, NULL, OPT_SINCE},
        {"output", required_argument, NULL, 'o'},
        CLI_DETECT_LONGOPTS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *models[64];
    size_t n_models = 0;
    const char *db = NULL, *output = NULL;
    bool quiet = false, db_models_too = true, have_since = false;
    storm_time_ns since = 0;
    storm_pipeline_opts po = {0};
    storm_pipeline_sinks sinks = {0};
    po.prog = "storm hunt";
    po.no_sessions = true; /* sessions link events (lineage, addresses), which the store does not keep */
    sinks.format = STORM_PIPELINE_STIX;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("hunt", usage_line, argc, argv, "o:qh", longopts)) != -1) {
        switch (ch) {
        case OPT_DB: db = optarg; break;
        case OPT_MODELS:
            if (n_models == sizeof models / sizeof models[0])
                return cli_usage_error("hunt", "at most %zu --models", sizeof models / sizeof models[0]);
            models[n_models++] = optarg;
            break;
        case OPT_NO_DB_MODELS: db_models_too = false; break;
        case OPT_SINCE:
            if (!cli_parse_since(optarg, &since))
                return cli_usage_error("hunt", "--since: '%s' is neither an RFC 3339 time nor a duration like 24h",
                                       optarg);
            have_since = true;
            break;
        case 'o': output = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return CLI_OK;
        default:
            if (cli_detect_option("hunt", ch, optarg, &sinks.format, &po.detect) != CLI_OK)
                return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("hunt", "unexpected argument '%s' (storm hunt reads the store, not files)",
                               argv[optind]);
    if (!db)
        return cli_usage_error("hunt", "--db FILE is required (the store to hunt in)");

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    storm_err err;
    storm_err_clear(&err);
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK)
        return CLI_FAIL;
    for (size_t i = 0; i < n_models; i++) {
        storm_err_clear(&err);
        storm_models_load_path(m, models[i], &err);
    }
    storm_store *store = NULL;
    storm_err_clear(&err);
    /* Hunting needs stored observations: opening read-write would create an empty
     * store at a mistyped path and blame the models. */
    if (!storm_store_is_url(db) && access(db, F_OK) != 0) {
        fprintf(stderr, "storm hunt: --db %s: cannot open: %s (give the store 'storm run --db' wrote)\n", db,
                strerror(errno));
        storm_models_free(m);
        return CLI_FAIL;
    }
    if (storm_store_open(db, STORM_STORE_READWRITE, &store, &err) != STORM_OK) {
        fprintf(stderr, "storm hunt: --db %s: %s\n", db, err.msg);
        storm_models_free(m);
        return CLI_FAIL;
    }
    size_t n_db_models = 0;
    if (db_models_too && storm_pipeline_load_store_models(m, store, db, &n_db_models, &err) != STORM_OK) {
        fprintf(stderr, "storm hunt: --db %s: %s\n", db, err.msg);
        storm_store_close(store);
        storm_models_free(m);
        return CLI_FAIL;
    }
    storm_models_finish(m);
    if (!quiet && storm_models_n_defects(m))
        fprintf(stderr, "storm hunt: the models have %zu defects; see 'storm models lint'\n",
                storm_models_n_defects(m));
    int rc = CLI_OK;
    storm_pipeline *p = NULL;
    stored_objects so = {storm_arena_new(0, 0), NULL, 0, false};
    storm_observation *obs = NULL;
    size_t n_obs = 0;
    sinks.out = stdout;
    sinks.store = store;
    if (!storm_models_n_indicators(m)) {
        fprintf(stderr, "storm hunt: no usable indicator: give --models (or pull some into the store)\n");
        rc = CLI_FAIL;
        goto done;
    }
    if (!so.arena || !(so.list = storm_v_array(so.arena))) {
        fprintf(stderr, "storm hunt: out of memory\n");
        rc = CLI_FAIL;
        goto done;
    }
    if (output && !(sinks.out = fopen(output, "w"))) {
        fprintf(stderr, "storm hunt: -o %s: %s\n", output, strerror(errno));
        rc = CLI_FAIL;
        goto done;
    }
    storm_err_clear(&err);
    if (read_observations(store, &so, &err) != STORM_OK) {
        fprintf(stderr, "storm hunt: --db %s: reading the observations: %s\n", db, err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    storm_err_clear(&err);
    if (storm_observations_load(so.arena, so.list, STORM_SPEC_21, &obs, &n_obs, &err) != STORM_OK) {
        fprintf(stderr, "storm hunt: --db %s: observations collection: %s\n", db, err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    if (n_obs)
        qsort(obs, n_obs, sizeof *obs, by_time);
    po.models = m;
    storm_err_clear(&err);
    if (storm_pipeline_new(&po, &sinks, &p, &err) != STORM_OK) {
        fprintf(stderr, "storm hunt: %s\n", err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double load_secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    size_t fed = 0;
    for (size_t i = 0; i < n_obs; i++) {
        if (have_since && obs[i].first_observed < since)
            continue;
        storm_detect_context c;
        context_of(&obs[i], &c);
        storm_pipeline_feed_observation(p, &obs[i], &c);
        fed++;
    }
    storm_pipeline_flush(p);
    struct timespec t2;
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double secs = (double)(t2.tv_sec - t0.tv_sec) + (double)(t2.tv_nsec - t0.tv_nsec) / 1e9;
    double match_secs = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
    if (!quiet) {
        storm_detect_stats ds;
        storm_detector_get_stats(storm_pipeline_detector(p), &ds);
        fprintf(stderr,
                "storm hunt: %zu observations in the store (%zu hunted, %llu unreadable objects), %zu indicators "
                "(%zu model objects from the store); %llu observations matched, %llu sightings (%llu updates); "
                "%.3f s (%.3f s reading the store), %.0f observations/s (%.0f/s matching only)\n",
                n_obs, fed, (unsigned long long)so.bad, ds.indicators, n_db_models,
                (unsigned long long)ds.observations_matched, (unsigned long long)ds.sightings,
                (unsigned long long)ds.sighting_updates, secs, load_secs, secs > 0 ? (double)fed / secs : 0.0,
                match_secs > 0 ? (double)fed / match_secs : 0.0);
    }
    storm_pipeline_stats st;
    storm_pipeline_get_stats(p, &st);
    if (st.db_errors)
        rc = CLI_FAIL;

done:
    storm_pipeline_free(p);
    storm_arena_free(so.arena);
    if (sinks.out && sinks.out != stdout)
        fclose(sinks.out);
    storm_store_close(store);
    storm_models_free(m);
    return rc;
}
