/* SPDX-License-Identifier: Apache-2.0 */
/* storm run: the main job's options. Sensor records in (files, stdin,
 * --follow, --listen, --kafka, --redis), sightings out (STIX JSON Lines or
 * text) and into the store (--db); the job itself is the pipeline
 * library's (storm/pipeline_run.h): this file parses and checks the
 * options, owns the signals and calls it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/alert.h>
#include <storm/detect.h>
#include <storm/intake.h>
#include <storm/pipeline.h>
#include <storm/pipeline_run.h>
#include <storm/stream.h>

#include "cli.h"

#define DRAIN_DEFAULT_NS ((storm_time_ns)60 * 1000000000) /* --drain-timeout */

static volatile sig_atomic_t run_stop;
static volatile sig_atomic_t run_report;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        run_report = 1;
    else
        run_stop = 1;
}

/* Once the engine is built (storm_pipeline_run_opts.ready): SIGINT and
 * SIGTERM stop reading (the intake is drained), SIGUSR1 prints the
 * statistics. */
static void install_signals(void *ctx)
{
    (void)ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

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
            "  --coalesce-updates  write the updates of a sighting within a batch of 16384 records (or until\n"
            "                      the input pauses) once, as the last version with the evidence of those it\n"
            "                      replaces (default: each update as it is made)\n"
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
            "  --workers N         match on N threads, the stream shared out by correlation scope (default 1;\n"
            "                      input files or standard input; same results as one)\n"
            "  -q, --quiet         no statistics and no progress line on standard error\n\n"
            "DURATION is a number with s, m, h or d (plain numbers are seconds).\n"
            "kill -USR1 prints the statistics while running.\n");
}

#define LIST_MAX 64 /* values of a repeatable option */

/* A repeatable option's value appended to list (of LIST_MAX); false after
 * saying there are too many. */
static bool add_value(const char **list, size_t *n, const char *opt, const char *value)
{
    if (*n == LIST_MAX) {
        cli_usage_error("run", "at most %d --%s", LIST_MAX, opt);
        return false;
    }
    list[(*n)++] = value;
    return true;
}

enum {
    OPT_MODELS = 256,
    OPT_DB,
    OPT_BASELINE,
    OPT_LEARN_FOR,
    OPT_ANOMALIES,
    OPT_FOLLOW,
    OPT_LISTEN,
    OPT_REJECTS,
    OPT_STATS_JSON,
    OPT_CACHE_DIR,
    OPT_NO_CACHE,
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
    OPT_WORKERS,
    OPT_COALESCE_UPDATES,
};

/* For tests only (docs/run.md): STORM_TEST_DETECT_CAPS="sightings=N,
 * scopes=N,states=N,lineage=N" sets the detector's caps that have no option
 * (storm/detect.h), so that a small stream reaches them. */
static int test_detect_caps(storm_detect_opts *o)
{
    const char *env = getenv("STORM_TEST_DETECT_CAPS");
    static const char *const names[] = {"sightings", "scopes", "states", "lineage"};
    size_t *caps[] = {&o->open_sightings_cap, &o->scopes_cap, &o->states_cap, &o->lineage_cap};
    for (const char *p = env; p && *p;) {
        size_t i = 0, len = strcspn(p, "=");
        while (i < 4 && (strlen(names[i]) != len || strncmp(p, names[i], len) != 0))
            i++;
        char *end = NULL;
        unsigned long long v = i < 4 && p[len] == '=' ? strtoull(p + len + 1, &end, 10) : 0;
        if (!v || (*end && *end != ',')) {
            fprintf(stderr,
                    "storm run: STORM_TEST_DETECT_CAPS: expected sightings=N,scopes=N,states=N,lineage=N "
                    "(N > 0), got '%s'\n",
                    env);
            return CLI_USAGE;
        }
        *caps[i] = (size_t)v;
        p = *end ? end + 1 : end;
    }
    return CLI_OK;
}

int cmd_run(int argc, char **argv)
{
    cli_run_memory_setup();
    static const struct option longopts[] = {
        {"models", required_argument, NULL, OPT_MODELS},
        {"db", required_argument, NULL, OPT_DB},
        {"no-db-models", no_argument, NULL, OPT_NO_DB_MODELS},
        {"output", required_argument, NULL, 'o'},
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
        {"session-quiet", required_argument, NULL, OPT_SESSION_QUIET},
        {"session-cap", required_argument, NULL, OPT_SESSION_CAP},
        {"keep-observations", no_argument, NULL, OPT_KEEP_OBSERVATIONS},
        {"alert-webhook", required_argument, NULL, OPT_ALERT_WEBHOOK},
        {"alert-format", required_argument, NULL, OPT_ALERT_FORMAT},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"coalesce-updates", no_argument, NULL, OPT_COALESCE_UPDATES},
        CLI_DETECT_LONGOPTS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *models[LIST_MAX];
    size_t n_models = 0;
    const char *topics[LIST_MAX], *kconf[LIST_MAX], *streams[LIST_MAX];
    storm_kafka_opts kafka = {.topics = topics, .config = kconf};
    storm_redis_opts redis = {.streams = streams};
    storm_time_ns lease = 0;
    storm_alert_opts alert_opts = {0};
    storm_pipeline_run_opts ro = {0};
    storm_pipeline_opts *po = &ro.pipeline;
    po->prog = "storm run";
    po->stop = &run_stop;
    po->report = &run_report;
    po->release_memory = cli_run_memory_release;
    ro.format = STORM_PIPELINE_STIX;
    ro.drain_timeout = DRAIN_DEFAULT_NS;
    unsigned long long number;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("run", RUN_USAGE, argc, argv, "o:qh", longopts)) != -1) {
        switch (ch) {
        case OPT_MODELS:
            if (!add_value(models, &n_models, "models", optarg))
                return CLI_USAGE;
            break;
        case OPT_DB: ro.db = optarg; break;
        case OPT_NO_DB_MODELS: ro.no_db_models = true; break;
        case 'o': ro.output = optarg; break;
        case OPT_BASELINE: ro.baseline = optarg; break;
        case OPT_LEARN_FOR:
            if (!cli_parse_duration(optarg, &po->learn_for) || po->learn_for == 0)
                return cli_usage_error("run", "--learn-for: '%s' is not a duration like 30m", optarg);
            break;
        case OPT_ANOMALIES: po->anomalies = true; break;
        case OPT_FOLLOW: ro.follow = true; break;
        case OPT_KEEP_OBSERVATIONS: po->keep_observations = true; break;
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
        case OPT_LISTEN: ro.listen = optarg; break;
        case OPT_MAX_BODY:
            if (!cli_parse_number(optarg, 1, SIZE_MAX, &number))
                return cli_usage_error("run", "--max-body: '%s' is not a positive number of bytes", optarg);
            ro.max_body = (size_t)number;
            break;
        case OPT_DRAIN_TIMEOUT:
            if (!cli_parse_duration(optarg, &ro.drain_timeout))
                return cli_usage_error("run", "--drain-timeout: '%s' is not a duration like 2m", optarg);
            break;
        case OPT_KAFKA: kafka.brokers = optarg; break;
        case OPT_TOPIC:
            if (!add_value(topics, &kafka.n_topics, "topic", optarg))
                return CLI_USAGE;
            break;
        case OPT_KAFKA_CONFIG:
            if (!strchr(optarg, '=') || *optarg == '=')
                return cli_usage_error("run", "--kafka-config: expected KEY=VALUE, got '%s'", optarg);
            if (!add_value(kconf, &kafka.n_config, "kafka-config", optarg))
                return CLI_USAGE;
            break;
        case OPT_REDIS: redis.url = optarg; break;
        case OPT_STREAM:
            if (!add_value(streams, &redis.n_streams, "stream", optarg))
                return CLI_USAGE;
            break;
        case OPT_GROUP: kafka.group = redis.group = optarg; break;
        case OPT_CONSUMER: redis.consumer = optarg; break;
        case OPT_LEASE:
            if (!cli_parse_duration(optarg, &lease) || lease < 3000000 || lease > (storm_time_ns)86400 * 1000000000)
                return cli_usage_error("run", "--lease: '%s' is not a duration like 30s (3ms to 1d)", optarg);
            break;
        case OPT_IDLE_EXIT:
            if (!cli_parse_duration(optarg, &ro.idle_exit) || ro.idle_exit < 1000000 ||
                ro.idle_exit > (storm_time_ns)86400 * 1000000000)
                return cli_usage_error("run", "--idle-exit: '%s' is not a duration like 10s (1ms to 1d)", optarg);
            break;
        case OPT_REJECTS: ro.rejects = optarg; break;
        case OPT_STATS_JSON: ro.stats_json = optarg; break;
        case OPT_CACHE_DIR: ro.cache_dir = optarg; break;
        case OPT_NO_CACHE: ro.no_cache = true; break;
        case OPT_SESSION_QUIET:
            if (!cli_parse_duration(optarg, &po->sessions.quiet) || po->sessions.quiet == 0)
                return cli_usage_error("run", "--session-quiet: '%s' is not a duration like 30m", optarg);
            break;
        case OPT_SESSION_CAP:
            if (!cli_parse_number(optarg, 1, 1000000, &number))
                return cli_usage_error("run", "--session-cap: '%s' is not a number from 1 to 1000000", optarg);
            po->sessions.sessions_cap = (size_t)number;
            break;
        case OPT_WORKERS:
            if (!cli_parse_number(optarg, 1, 64, &number))
                return cli_usage_error("run", "--workers: expected 1..64, got '%s'", optarg);
            ro.workers = (unsigned)number;
            break;
        case 'q': ro.quiet = true; break;
        case OPT_COALESCE_UPDATES: ro.coalesce_updates = true; break;
        case 'h': usage(stdout); return CLI_OK;
        default:
            if (cli_detect_option("run", ch, optarg, &ro.format, &po->detect) != CLI_OK)
                return CLI_USAGE;
        }
    }
    ro.inputs = (const char *const *)argv + optind;
    ro.n_inputs = (size_t)(argc - optind);
    bool streaming = kafka.brokers || redis.url;
    if (kafka.brokers && redis.url)
        return cli_usage_error("run", "--kafka and --redis cannot be combined; run two storm processes");
    if (streaming && (ro.n_inputs || ro.follow))
        return cli_usage_error("run", "--%s reads no input files and no --follow", kafka.brokers ? "kafka" : "redis");
    if (kafka.brokers && (!kafka.n_topics || !kafka.group))
        return cli_usage_error("run", "--kafka needs --topic and --group");
    if (redis.url && (!redis.n_streams || !redis.group))
        return cli_usage_error("run", "--redis needs --stream and --group");
    if (!kafka.brokers && (kafka.n_topics || kafka.n_config))
        return cli_usage_error("run", "--topic and --kafka-config go with --kafka");
    if (!redis.url && (redis.n_streams || redis.consumer || lease))
        return cli_usage_error("run", "--stream, --consumer and --lease go with --redis");
    if (!streaming && (kafka.group || ro.idle_exit))
        return cli_usage_error("run", "--group and --idle-exit go with --kafka or --redis");
    if (ro.follow && ro.listen)
        return cli_usage_error("run", "--follow and --listen cannot be combined; run two storm processes");
    if (ro.follow && ro.n_inputs != 1)
        return cli_usage_error("run", "--follow takes exactly one input file");
    if (alert_opts.url && !storm_alert_available())
        return cli_usage_error("run", "--alert-webhook is not available in this build (meson -Dtaxii=disabled: "
                                      "no libcurl); rebuild with -Dtaxii=enabled");
    if (po->keep_observations && !ro.db)
        return cli_usage_error("run", "--keep-observations needs --db");
    if (po->anomalies && !ro.baseline && !po->learn_for)
        return cli_usage_error("run", "--anomalies needs --baseline or --learn-for");
    if (ro.workers > 1 && (ro.listen || streaming))
        return cli_usage_error("run", "--workers reads input files or standard input only (not with --%s)",
                               ro.listen       ? "listen"
                               : kafka.brokers ? "kafka"
                                               : "redis");
    if (ro.workers > 1 && (ro.baseline || po->learn_for || po->keep_observations))
        return cli_usage_error("run", "--workers cannot be combined with --%s",
                               po->keep_observations ? "keep-observations"
                               : ro.baseline         ? "baseline"
                                                     : "learn-for");
    if (ro.workers > 1 && po->detect.correlate == STORM_CORRELATE_GLOBAL)
        return cli_usage_error("run", "--workers shards by correlation scope: --correlate global has one; use "
                                      "node, pod or lineage, or one worker");
    if (test_detect_caps(&po->detect) != CLI_OK)
        return CLI_USAGE;
    storm_err err;
    storm_err_clear(&err);
    if (ro.listen && storm_intake_check_listen(ro.listen, &err) != STORM_OK)
        return cli_usage_error("run", "%s", err.msg);
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
    redis.lease_ms = (unsigned)(lease / 1000000);
    ro.models = models;
    ro.n_models = n_models;
    ro.kafka = kafka.brokers ? &kafka : NULL;
    ro.redis = redis.url ? &redis : NULL;
    ro.alerts = alert_opts.url ? &alert_opts : NULL;
    ro.ready = install_signals;
    return storm_pipeline_run(&ro) == STORM_OK ? CLI_OK : CLI_FAIL;
}
