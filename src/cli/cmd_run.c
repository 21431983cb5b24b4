/* SPDX-License-Identifier: Apache-2.0 */
/* storm run: the main job. Sensor records in (files, stdin, --follow,
 * --listen), typed events, baseline, STIX observations, the detector,
 * sightings out (STIX JSON Lines or text) and into the store (--db). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <storm/alert.h>
#include <storm/baseline.h>
#include <storm/detect.h>
#include <storm/intake.h>
#include <storm/metrics.h>
#include <storm/model.h>
#include <storm/pipeline.h>
#include <storm/store.h>
#include <storm/stream.h>

#include "cli.h"

#define DRAIN_DEFAULT_NS ((storm_time_ns)60 * 1000000000) /* --drain-timeout */

static volatile sig_atomic_t run_stop;
static volatile sig_atomic_t run_report;

static void on_stop(int sig)
{
    (void)sig;
    run_stop = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    run_report = 1;
}

/* timing of the run, for the statistics */
typedef struct run_clock {
    struct timespec t0;
    double ready_wall, ready_cpu; /* when the models were loaded and the pipeline built */
} run_clock;

#define RUN_USAGE "usage: storm run [options] [INPUT... | -]"

static void usage(FILE *out)
{
    fprintf(out, RUN_USAGE
            "\n\n"
            "Streams sensor events (Tetragon, Kubernetes audit, Falco, Kubescape, Hubble; JSON Lines),\n"
            "matches every indicator of the attack models and writes STIX 2.1 sightings.\n\n"
            "  --models PATH       attack model file or directory (repeatable; default: the shipped models/)\n"
            "  --db FILE           store, a SQLite file or postgresql:// URL: observations, sightings, models;\n"
            "                      the models in its indicators collection (storm pull --db) are used too\n"
            "  --no-db-models      do not use the models found in the --db store\n"
            "  --keep-observations with --db: store every event's observation, not only sightings' evidence\n"
            "                      (what storm hunt matches later models against)\n"
            "  --format stix|text  output: STIX bundles as JSON Lines (default) or one line per sighting\n"
            "  -o, --output FILE   write the output there instead of standard output\n"
            "  --correlate global|node|pod|lineage\n"
            "                      which observations may combine in one match (default pod)\n"
            "  --identity NAME     name of this cluster (the sightings' where_sighted_refs; default storm)\n"
            "  --horizon DURATION  how long partial matches are held (default 1h)\n"
            "  --window DURATION   matches in the same aligned window of this length update one sighting (default 1h)\n"
            "  --state-cap N       partial matches held per pattern node and scope (default 64)\n"
            "  --session-quiet DURATION  steps further apart than this never join one attack session (default 1h)\n"
            "  --session-cap N     attack sessions held in memory (default 4096; the least recently changed goes)\n"
            "  --baseline FILE     drop events the learned profiles explain (Storm db, JSON export, Kubescape YAML)\n"
            "  --learn-for DURATION  learn profiles from the first DURATION of event time, then enforce\n"
            "  --anomalies         emit unexplained events of profiled workloads as observations\n"
            "  --follow            keep reading a growing file (across rotation and truncation)\n"
            "  --listen ADDR:PORT  accept records over HTTP POST (default address 127.0.0.1); also serves\n"
            "                      GET /metrics (Prometheus), /healthz and /readyz\n"
            "  --max-body BYTES    largest HTTP body accepted (default 16 MiB)\n"
            "  --kafka BROKERS     consume a Kafka consumer group (host:port,...; with --topic and --group)\n"
            "  --topic TOPIC       Kafka topic to consume (repeatable)\n"
            "  --kafka-config KEY=VALUE\n"
            "                      a librdkafka setting (repeatable: security.protocol, sasl.*, ...)\n"
            "  --redis URL         consume a Redis Streams group (redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or\n"
            "                      unix:PATH; with --stream and --group)\n"
            "  --stream KEY        Redis stream to consume (repeatable: shards, each read by one consumer)\n"
            "  --group NAME        consumer group (Kafka group.id, Redis group; created when missing)\n"
            "  --consumer NAME     Redis consumer name in the group (default HOST-PID)\n"
            "  --lease DURATION    Redis: a dead consumer's streams go to the others this long after it\n"
            "                      stopped (default 30s)\n"
            "  --idle-exit DURATION\n"
            "                      Kafka/Redis: once a message came, stop after this long without one\n"
            "                      (default: never)\n"
            "  --drain-timeout DURATION\n"
            "                      at SIGTERM/SIGINT, longest time spent processing the bodies already\n"
            "                      acknowledged (default 60s; those left are reported, exit status 1)\n"
            "  --alert-webhook URL POST a JSON alert per new attack session and per step added to one\n"
            "                      (bounded queue, retries with backoff; never slows ingest, drops counted)\n"
            "  --alert-format storm|falco\n"
            "                      the alerts' shape: Storm's (default) or Falco's JSON output (falcosidekick)\n"
            "  --rejects FILE      write bad lines there\n"
            "  --stats-json FILE   write the statistics there at exit\n"
            "  --cache-dir DIR     keep compiled regex databases there (default $XDG_CACHE_HOME/storm,\n"
            "                      else ~/.cache/storm): a restart with the same indicators is fast\n"
            "  --no-cache          compile the regex databases every time; keep nothing\n"
            "  -q, --quiet         no statistics and no progress line on standard error\n\n"
            "DURATION is a number with s, m, h or d (plain numbers are seconds).\n"
            "kill -USR1 prints the statistics while running.\n");
}

static bool parse_duration(const char *s, storm_time_ns *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    double mult = 1;
    if (*end == 's' || *end == '\0')
        mult = 1;
    else if (*end == 'm')
        mult = 60;
    else if (*end == 'h')
        mult = 3600;
    else if (*end == 'd')
        mult = 86400;
    else
        return false;
    if (*end && end[1])
        return false;
    double ns = v * mult * 1e9;
    if (ns > 9e18)
        return false;
    *out = (storm_time_ns)ns;
    return true;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double elapsed(const run_clock *c)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - c->t0.tv_sec) + (double)(t.tv_nsec - c->t0.tv_nsec) / 1e9;
}

static int write_stats_json(const run_clock *c, storm_pipeline *p, const storm_alert_stats *as, const char *path,
                            double secs)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "storm run: --stats-json %s: %s\n", path, strerror(errno));
        return -1;
    }
    storm_pipeline_timing t = {secs, c->ready_wall, cpu_now() - c->ready_cpu};
    if (!as) {
        storm_pipeline_print_stats_json(p, f, &t);
        return fclose(f) == 0 ? 0 : -1;
    }
    /* the pipeline's object, with the alerts' counts added before its '}' */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        storm_pipeline_print_stats_json(p, m, &t);
        fclose(m);
    }
    while (len && (text[len - 1] == '\n' || text[len - 1] == '}'))
        len--;
    if (text)
        fwrite(text, 1, len, f);
    free(text);
    fprintf(f, ",\"alerts_queued\":%llu,\"alerts_sent\":%llu,\"alert_retries\":%llu,\"alerts_dropped\":%llu}\n",
            (unsigned long long)as->queued, (unsigned long long)as->sent, (unsigned long long)as->retries,
            (unsigned long long)(as->dropped_full + as->dropped_failed));
    return fclose(f) == 0 ? 0 : -1;
}

#define SPOOL_POSITION_KEY "storm run --listen spool" /* in the store, beside storm pull's positions */

/* Feed the next body the intake acknowledged (waiting at most wait_ms).
 * Its results are committed when the queue runs empty (or with the store's
 * batches): one transaction per body would cost a disk sync each and let
 * the queue grow under load. With a spool, the body's end in it is
 * committed with its results, and the spool is emptied once everything in
 * it is committed. False when none came. */
static bool run_body(storm_pipeline *p, storm_intake *intake, int wait_ms)
{
    char *body = NULL;
    size_t len = 0;
    uint64_t req = 0;
    char position[STORM_INTAKE_POSITION_MAX];
    if (storm_intake_next_spooled(intake, &body, &len, &req, position, wait_ms) != STORM_OK)
        return false;
    char source[64];
    snprintf(source, sizeof source, "http#%llu", (unsigned long long)req);
    storm_pipeline_feed_body(p, source, body, len);
    storm_intake_release(intake, body, len);
    if (position[0])
        storm_pipeline_set_position(p, SPOOL_POSITION_KEY, position);
    size_t bodies = 0, bytes = 0;
    storm_intake_pending(intake, &bodies, &bytes);
    if (!bodies) {
        storm_pipeline_stats before, after;
        storm_pipeline_get_stats(p, &before);
        storm_pipeline_sync(p);
        storm_pipeline_get_stats(p, &after);
        if (position[0] && after.db_errors == before.db_errors)
            storm_intake_spool_rotate(intake, position); /* all committed: nothing to replay */
    }
    return true;
}

static void replay_body(void *ctx, const char *body, size_t len, const char *position)
{
    storm_pipeline *p = ctx;
    storm_pipeline_feed_body(p, "spool", body, len);
    storm_pipeline_set_position(p, SPOOL_POSITION_KEY, position);
}

/* Bodies an earlier run acknowledged and did not commit (killed, or
 * stopped by --drain-timeout): processed and committed before listening. */
static int replay_spool(storm_pipeline *p, storm_store *store, const char *spool, bool quiet)
{
    char position[STORM_STORE_POSITION_MAX] = "";
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_pull_position_get(store, SPOOL_POSITION_KEY, position, &err) != STORM_OK) {
        fprintf(stderr, "storm run: --listen: reading the spool position: %s\n", err.msg);
        return CLI_FAIL;
    }
    uint64_t n = 0;
    storm_err_clear(&err);
    if (storm_intake_spool_replay(spool, position, (size_t)1 << 31, replay_body, p, &n, &err) != STORM_OK) {
        fprintf(stderr, "storm run: --listen: %s\n", err.msg);
        return CLI_FAIL;
    }
    storm_pipeline_stats before, after;
    storm_pipeline_get_stats(p, &before);
    storm_pipeline_sync(p);
    storm_pipeline_get_stats(p, &after);
    if (after.db_errors != before.db_errors) {
        fprintf(stderr, "storm run: --listen: the spool's bodies could not be stored; %s is kept\n", spool);
        return CLI_FAIL;
    }
    if (n && !quiet)
        fprintf(stderr, "storm run: %llu acknowledged bodies an earlier run left in %s processed\n",
                (unsigned long long)n, spool);
    return CLI_OK;
}

/* On SIGTERM/SIGINT: stop accepting, then process every body already
 * acknowledged with 202 (for at most limit, or until a second signal); what
 * could not be processed is said, never dropped silently. */
static int drain(storm_pipeline *p, storm_intake *intake, storm_time_ns limit, const char *spool)
{
    storm_intake_close(intake);
    size_t bodies = 0, bytes = 0;
    storm_intake_pending(intake, &bodies, &bytes);
    if (!bodies)
        return CLI_OK;
    fprintf(stderr,
            "storm run: stopping: processing the %zu acknowledged bodies still queued (%zu bytes; "
            "at most %.0f s, --drain-timeout; a second signal stops at once)\n",
            bodies, bytes, (double)limit / 1e9);
    run_stop = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t = t0;
    while (!run_stop && (storm_time_ns)(t.tv_sec - t0.tv_sec) * 1000000000 + (t.tv_nsec - t0.tv_nsec) < limit &&
           run_body(p, intake, 0))
        clock_gettime(CLOCK_MONOTONIC, &t);
    storm_intake_pending(intake, &bodies, &bytes);
    if (!bodies)
        return CLI_OK;
    fprintf(stderr, "storm run: %zu acknowledged bodies (%zu bytes) were NOT processed: %s%s%s\n", bodies, bytes,
            run_stop ? "stopped by a second signal" : "--drain-timeout passed",
            spool ? "; they stay in the spool and are processed at the next start with the same --db: " : "",
            spool ? spool : "");
    return CLI_FAIL;
}

enum {
    OPT_MODELS = 256,
    OPT_DB,
    OPT_FORMAT,
    OPT_CORRELATE,
    OPT_IDENTITY,
    OPT_BASELINE,
    OPT_LEARN_FOR,
    OPT_ANOMALIES,
    OPT_FOLLOW,
    OPT_LISTEN,
    OPT_REJECTS,
    OPT_STATS_JSON,
    OPT_CACHE_DIR,
    OPT_NO_CACHE,
    OPT_HORIZON,
    OPT_WINDOW,
    OPT_STATE_CAP,
    OPT_MAX_BODY,
    OPT_NO_DB_MODELS,
    OPT_DRAIN_TIMEOUT,
    OPT_KAFKA,
    OPT_TOPIC,
    OPT_KAFKA_CONFIG,
    OPT_REDIS,
    OPT_STREAM,
    OPT_GROUP,
    OPT_CONSUMER,
    OPT_LEASE,
    OPT_IDLE_EXIT,
    OPT_SESSION_QUIET,
    OPT_SESSION_CAP,
    OPT_KEEP_OBSERVATIONS,
    OPT_ALERT_WEBHOOK,
    OPT_ALERT_FORMAT,
};

/* What the consume loop's tick needs: the HTTP intake beside the stream
 * and the metrics it serves. */
typedef struct run_tick {
    storm_intake *intake;
    storm_metrics *metrics;
} run_tick;

static void on_tick(void *ctx, storm_pipeline *p, storm_stream *s)
{
    run_tick *t = ctx;
    if (t->intake)
        while (!run_stop && run_body(p, t->intake, 0))
            ;
    if (t->metrics)
        storm_pipeline_metrics_update(p, s, t->metrics);
}

/* Open the --kafka or --redis stream (exactly one is given). */
static storm_rc open_stream(const char *kafka, const char *const *topics, size_t n_topics, const char *const *kconf,
                            size_t n_kconf, const char *redis, const char *const *streams, size_t n_streams,
                            const char *group, const char *consumer, storm_time_ns lease, storm_stream **out,
                            storm_err *err)
{
    if (kafka) {
        storm_kafka_opts ko = {kafka, topics, n_topics, group, kconf, n_kconf, 0};
        return storm_stream_kafka_open(&ko, out, err);
    }
    storm_redis_opts ro = {redis, streams, n_streams, group, consumer, 0, (unsigned)(lease / 1000000)};
    return storm_stream_redis_open(&ro, out, err);
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"models", required_argument, NULL, OPT_MODELS},
        {"db", required_argument, NULL, OPT_DB},
        {"no-db-models", no_argument, NULL, OPT_NO_DB_MODELS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"correlate", required_argument, NULL, OPT_CORRELATE},
        {"identity", required_argument, NULL, OPT_IDENTITY},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"learn-for", required_argument, NULL, OPT_LEARN_FOR},
        {"anomalies", no_argument, NULL, OPT_ANOMALIES},
        {"follow", no_argument, NULL, OPT_FOLLOW},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
        {"kafka", required_argument, NULL, OPT_KAFKA},
        {"topic", required_argument, NULL, OPT_TOPIC},
        {"kafka-config", required_argument, NULL, OPT_KAFKA_CONFIG},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"stream", required_argument, NULL, OPT_STREAM},
        {"group", required_argument, NULL, OPT_GROUP},
        {"consumer", required_argument, NULL, OPT_CONSUMER},
        {"lease", required_argument, NULL, OPT_LEASE},
        {"idle-exit", required_argument, NULL, OPT_IDLE_EXIT},
        {"rejects", required_argument, NULL, OPT_REJECTS},
        {"stats-json", required_argument, NULL, OPT_STATS_JSON},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"no-cache", no_argument, NULL, OPT_NO_CACHE},
        {"horizon", required_argument, NULL, OPT_HORIZON},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"state-cap", required_argument, NULL, OPT_STATE_CAP},
        {"session-quiet", required_argument, NULL, OPT_SESSION_QUIET},
        {"session-cap", required_argument, NULL, OPT_SESSION_CAP},
        {"keep-observations", no_argument, NULL, OPT_KEEP_OBSERVATIONS},
        {"alert-webhook", required_argument, NULL, OPT_ALERT_WEBHOOK},
        {"alert-format", required_argument, NULL, OPT_ALERT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *models[64];
    size_t n_models = 0;
    const char *db = NULL, *output = NULL, *baseline = NULL, *listen = NULL, *rejects = NULL, *stats_json = NULL;
    bool follow = false, quiet = false, db_models_too = true;
    const char *cache_dir = NULL;
    bool no_cache = false;
    char default_cache[4096];
    size_t max_body = 0;
    storm_time_ns drain_timeout = DRAIN_DEFAULT_NS;
    const char *kafka = NULL, *redis = NULL, *group = NULL, *consumer = NULL;
    const char *topics[64], *kconf[64], *streams[64];
    size_t n_topics = 0, n_kconf = 0, n_streams = 0;
    storm_time_ns lease = 0, idle_exit = 0;
    storm_pipeline_opts po = {0};
    storm_pipeline_sinks sinks = {0};
    storm_alert_opts alert_opts = {0};
    storm_alert *alerts = NULL;
    storm_alert_stats alert_st = {0};
    run_clock clk;
    memset(&clk, 0, sizeof clk);
    po.prog = "storm run";
    po.stop = &run_stop;
    po.report = &run_report;
    sinks.format = STORM_PIPELINE_STIX;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("run", RUN_USAGE, argc, argv, "o:qh", longopts)) != -1) {
        switch (ch) {
        case OPT_MODELS:
            if (n_models == sizeof models / sizeof models[0])
                return cli_usage_error("run", "at most %zu --models", sizeof models / sizeof models[0]);
            models[n_models++] = optarg;
            break;
        case OPT_DB: db = optarg; break;
        case OPT_NO_DB_MODELS: db_models_too = false; break;
        case 'o': output = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "stix") == 0 || strcmp(optarg, "json") == 0)
                sinks.format = STORM_PIPELINE_STIX;
            else if (strcmp(optarg, "text") == 0)
                sinks.format = STORM_PIPELINE_TEXT;
            else
                return cli_usage_error("run", "--format: expected stix or text, got '%s'", optarg);
            break;
        case OPT_CORRELATE:
            if (!storm_correlate_parse(optarg, &po.detect.correlate))
                return cli_usage_error("run", "--correlate: expected global, node, pod or lineage, got '%s'", optarg);
            break;
        case OPT_IDENTITY: po.detect.identity = optarg; break;
        case OPT_BASELINE: baseline = optarg; break;
        case OPT_LEARN_FOR:
            if (!parse_duration(optarg, &po.learn_for) || po.learn_for == 0)
                return cli_usage_error("run", "--learn-for: '%s' is not a duration like 30m", optarg);
            break;
        case OPT_ANOMALIES: po.anomalies = true; break;
        case OPT_FOLLOW: follow = true; break;
        case OPT_KEEP_OBSERVATIONS: po.keep_observations = true; break;
        case OPT_ALERT_WEBHOOK:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return cli_usage_error("run", "--alert-webhook: '%s' is not an http:// or https:// URL", optarg);
            alert_opts.url = optarg;
            break;
        case OPT_ALERT_FORMAT:
            if (strcmp(optarg, "storm") == 0)
                alert_opts.format = STORM_ALERT_STORM;
            else if (strcmp(optarg, "falco") == 0)
                alert_opts.format = STORM_ALERT_FALCO;
            else
                return cli_usage_error("run", "--alert-format: expected storm or falco, got '%s'", optarg);
            break;
        case OPT_LISTEN: listen = optarg; break;
        case OPT_MAX_BODY: {
            char *end = NULL;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || v == 0)
                return cli_usage_error("run", "--max-body: '%s' is not a positive number of bytes", optarg);
            max_body = (size_t)v;
            break;
        }
        case OPT_DRAIN_TIMEOUT:
            if (!parse_duration(optarg, &drain_timeout))
                return cli_usage_error("run", "--drain-timeout: '%s' is not a duration like 2m", optarg);
            break;
        case OPT_KAFKA: kafka = optarg; break;
        case OPT_TOPIC:
            if (n_topics == sizeof topics / sizeof topics[0])
                return cli_usage_error("run", "at most %zu --topic", sizeof topics / sizeof topics[0]);
            topics[n_topics++] = optarg;
            break;
        case OPT_KAFKA_CONFIG:
            if (n_kconf == sizeof kconf / sizeof kconf[0])
                return cli_usage_error("run", "at most %zu --kafka-config", sizeof kconf / sizeof kconf[0]);
            if (!strchr(optarg, '=') || *optarg == '=')
                return cli_usage_error("run", "--kafka-config: expected KEY=VALUE, got '%s'", optarg);
            kconf[n_kconf++] = optarg;
            break;
        case OPT_REDIS: redis = optarg; break;
        case OPT_STREAM:
            if (n_streams == sizeof streams / sizeof streams[0])
                return cli_usage_error("run", "at most %zu --stream", sizeof streams / sizeof streams[0]);
            streams[n_streams++] = optarg;
            break;
        case OPT_GROUP: group = optarg; break;
        case OPT_CONSUMER: consumer = optarg; break;
        case OPT_LEASE:
            if (!parse_duration(optarg, &lease) || lease < 3000000 || lease > (storm_time_ns)86400 * 1000000000)
                return cli_usage_error("run", "--lease: '%s' is not a duration like 30s (3ms to 1d)", optarg);
            break;
        case OPT_IDLE_EXIT:
            if (!parse_duration(optarg, &idle_exit) || idle_exit < 1000000 ||
                idle_exit > (storm_time_ns)86400 * 1000000000)
                return cli_usage_error("run", "--idle-exit: '%s' is not a duration like 10s (1ms to 1d)", optarg);
            break;
        case OPT_REJECTS: rejects = optarg; break;
        case OPT_STATS_JSON: stats_json = optarg; break;
        case OPT_CACHE_DIR: cache_dir = optarg; break;
        case OPT_NO_CACHE: no_cache = true; break;
        case OPT_SESSION_QUIET:
            if (!parse_duration(optarg, &po.sessions.quiet) || po.sessions.quiet == 0)
                return cli_usage_error("run", "--session-quiet: '%s' is not a duration like 30m", optarg);
            break;
        case OPT_SESSION_CAP: {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || !end || *end || v == 0 || v > 1000000 || optarg[0] == '-')
                return cli_usage_error("run", "--session-cap: '%s' is not a number from 1 to 1000000", optarg);
            po.sessions.sessions_cap = (size_t)v;
            break;
        }
        case OPT_HORIZON:
            if (!parse_duration(optarg, &po.detect.horizon) || po.detect.horizon == 0)
                return cli_usage_error("run", "--horizon: '%s' is not a duration like 1h", optarg);
            break;
        case OPT_WINDOW:
            if (!parse_duration(optarg, &po.detect.sighting_window) || po.detect.sighting_window == 0)
                return cli_usage_error("run", "--window: '%s' is not a duration like 10m", optarg);
            break;
        case OPT_STATE_CAP: {
            char *end = NULL;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v == 0 || v > 1000000)
                return cli_usage_error("run", "--state-cap: expected 1..1000000, got '%s'", optarg);
            po.detect.state_cap = v;
            break;
        }
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    int n_inputs = argc - optind;
    bool streaming = kafka || redis;
    if (kafka && redis)
        return cli_usage_error("run", "--kafka and --redis cannot be combined; run two storm processes");
    if (streaming && (n_inputs || follow))
        return cli_usage_error("run", "--%s reads no input files and no --follow", kafka ? "kafka" : "redis");
    if (kafka && (!n_topics || !group))
        return cli_usage_error("run", "--kafka needs --topic and --group");
    if (redis && (!n_streams || !group))
        return cli_usage_error("run", "--redis needs --stream and --group");
    if (!kafka && (n_topics || n_kconf))
        return cli_usage_error("run", "--topic and --kafka-config go with --kafka");
    if (!redis && (n_streams || consumer || lease))
        return cli_usage_error("run", "--stream, --consumer and --lease go with --redis");
    if (!streaming && (group || idle_exit))
        return cli_usage_error("run", "--group and --idle-exit go with --kafka or --redis");
    if (follow && listen)
        return cli_usage_error("run", "--follow and --listen cannot be combined; run two storm processes");
    if (follow && n_inputs != 1)
        return cli_usage_error("run", "--follow takes exactly one input file");
    if (alert_opts.url && !storm_alert_available())
        return cli_usage_error("run", "--alert-webhook is not available in this build (meson -Dtaxii=disabled: "
                                      "no libcurl); rebuild with -Dtaxii=enabled");
    if (po.keep_observations && !db)
        return cli_usage_error("run", "--keep-observations needs --db");
    if (po.anomalies && !baseline && !po.learn_for)
        return cli_usage_error("run", "--anomalies needs --baseline or --learn-for");
    if (listen) {
        storm_err lerr;
        storm_err_clear(&lerr);
        if (storm_intake_check_listen(listen, &lerr) != STORM_OK)
            return cli_usage_error("run", "%s", lerr.msg);
    }

    clock_gettime(CLOCK_MONOTONIC, &clk.t0);
    char defbuf[PATH_MAX + 16];
    if (!n_models) {
        const char *d = storm_pipeline_default_models(defbuf, sizeof defbuf);
        if (!d) {
            fprintf(stderr, "storm run: no --models given and the shipped models/ directory was not found "
                            "(set STORM_MODELS)\n");
            return CLI_USAGE;
        }
        models[n_models++] = d;
    }
    storm_models *m = NULL;
    if (storm_models_new(&m) != STORM_OK)
        return CLI_FAIL;
    for (size_t i = 0; i < n_models; i++) {
        storm_err err;
        storm_err_clear(&err);
        /* a path that cannot be read at all is a mistake on the command
         * line (a typo would otherwise run without those models), -q or not */
        if (storm_models_load_path(m, models[i], &err) != STORM_OK) {
            fprintf(stderr, "storm run: --models %s: %s\n", models[i], err.msg[0] ? err.msg : storm_strerror(err.rc));
            storm_models_free(m);
            return CLI_FAIL;
        }
    }
    storm_store *store = NULL;
    if (db) {
        storm_err err;
        storm_err_clear(&err);
        if (storm_store_open(db, STORM_STORE_READWRITE | STORM_STORE_BULK, &store, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --db %s: %s\n", db, err.msg);
            storm_models_free(m);
            return CLI_FAIL;
        }
        size_t n = 0;
        if (db_models_too && storm_pipeline_load_store_models(m, store, db, &n, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --db %s: %s\n", db, err.msg);
            storm_store_close(store);
            storm_models_free(m);
            return CLI_FAIL;
        }
        if (n && !quiet)
            fprintf(stderr, "storm run: %zu model objects from %s (indicators collection) used as well\n", n, db);
    }
    storm_models_finish(m);
    size_t n_fatal = 0;
    for (size_t i = 0; i < storm_models_n_defects(m); i++)
        n_fatal += storm_models_defect(m, i)->fatal;
    if (!quiet && storm_models_n_defects(m))
        fprintf(stderr, "storm run: the models have %zu defects (%zu left an object out); see 'storm models lint'\n",
                storm_models_n_defects(m), n_fatal);
    if (!storm_models_n_indicators(m)) {
        fprintf(stderr, "storm run: no usable indicator in the models\n");
        storm_store_close(store);
        storm_models_free(m);
        return CLI_FAIL;
    }

    int rc = CLI_OK;
    storm_err err;
    storm_err_clear(&err);
    storm_intake *intake = NULL;
    char *spool = NULL; /* with --listen --db */
    storm_stream *stream = NULL;
    storm_metrics *metrics = NULL;
    storm_pipeline *p = NULL;
    storm_baseline *bl = NULL;
    sinks.out = stdout;
    sinks.store = store;
    if (output && !(sinks.out = fopen(output, "w"))) {
        fprintf(stderr, "storm run: -o %s: %s\n", output, strerror(errno));
        rc = CLI_FAIL;
        goto done;
    }
    if (rejects && !(sinks.rejects = fopen(rejects, "w"))) {
        fprintf(stderr, "storm run: --rejects %s: %s\n", rejects, strerror(errno));
        rc = CLI_FAIL;
        goto done;
    }
    if (baseline) {
        storm_err_clear(&err);
        if (storm_baseline_open_file(baseline, NULL, &bl, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --baseline %s: %s\n", baseline, err.msg);
            rc = CLI_FAIL;
            goto done;
        }
    } else if (po.learn_for) {
        storm_err_clear(&err);
        if (storm_baseline_open(store, NULL, &bl, &err) != STORM_OK) {
            fprintf(stderr, "storm run: --learn-for: %s\n", err.msg);
            rc = CLI_FAIL;
            goto done;
        }
    }
    po.models = m;
    po.baseline = bl;
    po.progress = !quiet && isatty(STDERR_FILENO) ? stderr : NULL; /* quiet in pipes */
    storm_err_clear(&err);
    /* compiled regex databases kept between runs (XDG base directories) */
    if (!no_cache && !cache_dir) {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && *xdg == '/')
            snprintf(default_cache, sizeof default_cache, "%s/storm", xdg);
        else if (home && *home == '/')
            snprintf(default_cache, sizeof default_cache, "%s/.cache/storm", home);
        else
            default_cache[0] = '\0';
        cache_dir = default_cache[0] ? default_cache : NULL;
    }
    po.detect.cache_dir = no_cache ? NULL : cache_dir;
    if (storm_pipeline_new(&po, &sinks, &p, &err) != STORM_OK) {
        fprintf(stderr, "storm run: %s\n", err.msg);
        rc = CLI_FAIL;
        goto done;
    }
    if (alert_opts.url) {
        storm_err_clear(&err);
        if (!storm_pipeline_sessions(p)) {
            fprintf(stderr, "storm run: --alert-webhook: this run keeps no attack sessions\n");
            rc = CLI_FAIL;
            goto done;
        }
        if (storm_alert_new(&alert_opts, &alerts, &err) != STORM_OK ||
            storm_session_listen(storm_pipeline_sessions(p), storm_alert_on_session, alerts) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg[0] ? err.msg : "--alert-webhook: cannot listen to sessions");
            rc = CLI_FAIL;
            goto done;
        }
    }
    clk.ready_wall = elapsed(&clk);
    clk.ready_cpu = cpu_now();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    if (listen) { /* GET /metrics beside the intake */
        storm_err_clear(&err);
        if (!(metrics = storm_metrics_new()) || storm_pipeline_metrics_declare(metrics, &err) != STORM_OK) {
            fprintf(stderr, "storm run: metrics: %s\n", err.msg[0] ? err.msg : "out of memory");
            rc = CLI_FAIL;
            goto done;
        }
        storm_pipeline_metrics_update(p, NULL, metrics);
    }
    /* <db>-intake-spool: acknowledged bodies outlive the process. Not beside
     * --kafka/--redis: there the listener serves /metrics for each of several
     * consumers of one store, and the spool admits one process per store */
    if (listen && store && !streaming) {
        /* a database URL (PostgreSQL) has no "beside": ./storm-intake-spool */
        const char *stem = storm_store_is_url(db) ? "storm" : db;
        size_t n = strlen(stem) + sizeof "-intake-spool";
        if (!(spool = malloc(n))) {
            rc = CLI_FAIL;
            goto done;
        }
        snprintf(spool, n, "%s-intake-spool", stem);
        if (replay_spool(p, store, spool, quiet) != CLI_OK) {
            rc = CLI_FAIL;
            goto done;
        }
    }
    if (listen && (streaming || !n_inputs) && !run_stop) {
        storm_intake_opts io = {listen, max_body, 0, 0, spool, metrics};
        storm_err_clear(&err);
        if (storm_intake_start(&io, &intake, &err) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg);
            rc = CLI_FAIL;
            goto done;
        }
        if (!quiet)
            fprintf(stderr, "storm run: listening on %s (port %u)\n", listen, storm_intake_port(intake));
    }
    if (streaming) {
        storm_err_clear(&err);
        if (open_stream(kafka, topics, n_topics, kconf, n_kconf, redis, streams, n_streams, group, consumer, lease,
                        &stream, &err) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg);
            rc = CLI_FAIL;
            goto done;
        }
        if (!quiet)
            fprintf(stderr, "storm run: consuming %s\n", storm_stream_describe(stream));
        run_tick tick = {intake, metrics};
        storm_pipeline_consume_opts co = {0, 0, (unsigned)(idle_exit / 1000000), on_tick, &tick};
        storm_err_clear(&err);
        if (storm_pipeline_consume(p, stream, &co, &err) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg);
            rc = CLI_FAIL;
        }
    }
    for (int i = 0; !streaming && (i < n_inputs || (i == 0 && n_inputs == 0 && !listen)); i++) {
        const char *path = n_inputs ? argv[optind + i] : "-";
        storm_err_clear(&err);
        if (run_stop)
            break;
        if (storm_pipeline_feed_source(p, path, follow, &err) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg);
            rc = CLI_FAIL;
        }
    }
    if (listen && !streaming && n_inputs && !run_stop) { /* the files first, then the intake */
        storm_intake_opts io = {listen, max_body, 0, 0, spool, metrics};
        storm_err_clear(&err);
        if (storm_intake_start(&io, &intake, &err) != STORM_OK) {
            fprintf(stderr, "storm run: %s\n", err.msg);
            rc = CLI_FAIL;
        } else if (!quiet)
            fprintf(stderr, "storm run: listening on %s (port %u)\n", listen, storm_intake_port(intake));
    }
    if (intake && !streaming) {
        while (!run_stop) {
            if (!run_body(p, intake, 200))
                storm_pipeline_sync(p); /* idle: kill -USR1 still answers */
            if (metrics)
                storm_pipeline_metrics_update(p, NULL, metrics);
        }
    }
    if (intake && drain(p, intake, drain_timeout, spool) != CLI_OK)
        rc = CLI_FAIL;
    storm_pipeline_flush(p);

done:;
    double secs = elapsed(&clk);
    storm_pipeline_stats st;
    memset(&st, 0, sizeof st);
    if (p) {
        storm_pipeline_sync(p);
        storm_pipeline_get_stats(p, &st);
    }
    if (alerts) { /* the queue gets its drain time; what is left is counted as dropped */
        storm_alert_close(alerts, &alert_st);
        alerts = NULL;
    }
    if (bl) {
        storm_err_clear(&err);
        if (storm_baseline_save(bl, &err) != STORM_OK)
            fprintf(stderr, "storm run: saving the baseline: %s\n", err.msg);
    }
    if (!quiet && p)
        storm_pipeline_print_summary(p, stderr, secs);
    if (!quiet && p && storm_pipeline_sessions(p)) {
        storm_session_stats ss;
        storm_session_get_stats(storm_pipeline_sessions(p), &ss);
        fprintf(stderr, "storm run: %llu attack sessions (%llu opened, %llu merged, %llu evicted)\n",
                (unsigned long long)ss.held, (unsigned long long)ss.opened, (unsigned long long)ss.merged,
                (unsigned long long)ss.evicted);
    }
    if (!quiet && alert_opts.url)
        fprintf(stderr,
                "storm run: %llu alerts sent to %s (%llu retries), %llu dropped (%llu queue full, %llu failed)\n",
                (unsigned long long)alert_st.sent, alert_opts.url, (unsigned long long)alert_st.retries,
                (unsigned long long)(alert_st.dropped_full + alert_st.dropped_failed),
                (unsigned long long)alert_st.dropped_full, (unsigned long long)alert_st.dropped_failed);
    if (stats_json && p && write_stats_json(&clk, p, alert_opts.url ? &alert_st : NULL, stats_json, secs) != 0)
        rc = CLI_FAIL;
    if (intake)
        storm_intake_stop(intake);
    free(spool);
    storm_stream_close(stream); /* before the pipeline: leaving the group may ask for a checkpoint */
    storm_pipeline_free(p);
    storm_metrics_free(metrics);
    if (bl)
        storm_baseline_close(bl);
    if (store)
        storm_store_close(store);
    if (sinks.rejects)
        fclose(sinks.rejects);
    if (sinks.out && sinks.out != stdout)
        fclose(sinks.out);
    storm_models_free(m);
    if (rc == CLI_OK && st.events_rejected)
        rc = CLI_FAIL; /* the stream went on, but some input was bad */
    return rc;
}
