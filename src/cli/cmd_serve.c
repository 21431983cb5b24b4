/* SPDX-License-Identifier: Apache-2.0 */
/* storm serve: the TAXII 2.1 server over the store. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <storm/taxii.h>
#include <storm/webapi.h>

#include "cli.h"

#define SERVE_USAGE "usage: storm serve --db FILE [options]"

static void serve_help(FILE *out)
{
    fprintf(out, SERVE_USAGE
            "\n\n"
            "Serve the store's collections (indicators, sightings, observations) over TAXII 2.1\n"
            "until interrupted (SIGINT/SIGTERM); SIGHUP reads the --users file again.\n"
            "Discovery is at /taxii2/, the API root at /storm/.\n\n"
            "options:\n"
            "  --db FILE                 the store storm run writes: SQLite file or postgresql:// URL\n"
            "  --listen ADDR:PORT        bind address (default 127.0.0.1:9000; :PORT = 127.0.0.1; [::1]:PORT for IPv6; "
            "port 0 = any)\n"
            "  --collections A[,B...]    serve only these collections (aliases or UUIDs; default: all)\n"
            "  --allow-unredacted        serve the raw sightings/observations on a non-loopback address\n"
            "                            (refused by default: publish redacted copies with\n"
            "                            storm publish --db RUN.db --to-db FILE --collection shared,\n"
            "                            then\n"
            "                            serve --collections shared,indicators)\n"
            "  --users FILE              Basic authentication and per-collection rights (see storm users);\n"
            "                            without it the server is anonymous and read-only\n"
            "  --tls-cert FILE           PEM certificate: serve HTTPS (with --tls-key)\n"
            "  --tls-key FILE            PEM private key\n"
            "  --api-root NAME           the API root's path segment (default storm)\n"
            "  --title TEXT              title shown in discovery and the API root\n"
            "  --contact TEXT            contact shown in discovery\n"
            "  --max-content-length N    largest request body in bytes (default 10485760)\n"
            "  --max-objects N           most objects per POSTed envelope (default 10000)\n"
            "  --page-default N          objects per page without limit= (default 100)\n"
            "  --page-max N              largest page; bigger limits are clamped (default 1000)\n"
            "  --max-connections N       concurrent connections (default 256)\n"
            "  --max-client-connections N  of them from one client address (default a quarter)\n"
            "  --timeout SECONDS         idle connection timeout (default 30)\n"
            "  --head-timeout SECONDS    time to send a request's head (default 10)\n"
            "  --request-timeout SECONDS most time to send a request's body, and to take its answer (default 120)\n"
            "  --threads N               worker threads (default: one per CPU)\n"
            "  --no-page-cache           query the store for every GET (no cache of rendered pages)\n"
            "  --auth-failures N         failed logins per client address before 429 (default 10)\n"
            "  --auth-window SECONDS     window of those failures and length of the lock-out (default 60)\n"
            "  --ui                      also serve the web UI at /ui/ and its JSON API at /api/ (same listener,\n"
            "                            users and TLS; read-only unless the user has write rights)\n"
            "  --ui-dir DIR              the built UI's files (default $STORM_UI_DIR, the installed one, or the\n"
            "                            source tree's ui/dist)\n"
            "  --ui-run-timeout MS       most time one pattern-playground run takes (default 5000)\n"
            "  --ui-run-results N        most matches one playground run returns (default 200)\n");
}

static int parse_size(const char *opt, const char *v, size_t min, size_t *out)
{
    unsigned long long n = 0;
    if (!cli_parse_number(v, min, (unsigned long long)1 << 40, &n))
        return cli_usage_error("serve", "%s needs a number >= %zu, not '%s'", opt, min, v);
    *out = (size_t)n;
    return CLI_OK;
}

/* A count option: a number >= min, capped at max (a larger one means "as
 * many as allowed", not an error). */
static int parse_count(const char *opt, const char *v, size_t min, unsigned max, unsigned *out)
{
    size_t n = 0;
    int rc = parse_size(opt, v, min, &n);
    if (rc == CLI_OK)
        *out = n > max ? max : (unsigned)n;
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    storm_taxii_config cfg;
    storm_taxii_config_default(&cfg);
    enum {
        O_DB = 256,
        O_LISTEN,
        O_USERS,
        O_CERT,
        O_KEY,
        O_ROOT,
        O_TITLE,
        O_CONTACT,
        O_MAXLEN,
        O_MAXOBJ,
        O_PDEF,
        O_PMAX,
        O_MAXCONN,
        O_MAXCLIENT,
        O_TIMEOUT,
        O_HEADTIME,
        O_REQTIME,
        O_THREADS,
        O_NOCACHE,
        O_COLLECTIONS,
        O_UNREDACTED,
        O_AUTHFAIL,
        O_AUTHWIN,
        O_UI,
        O_UIDIR,
        O_UIRUNMS,
        O_UIRUNRESULTS,
        O_HELP
    };
    static const struct option opts[] = {
        {"db", required_argument, NULL, O_DB},
        {"listen", required_argument, NULL, O_LISTEN},
        {"users", required_argument, NULL, O_USERS},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_KEY},
        {"api-root", required_argument, NULL, O_ROOT},
        {"title", required_argument, NULL, O_TITLE},
        {"contact", required_argument, NULL, O_CONTACT},
        {"max-content-length", required_argument, NULL, O_MAXLEN},
        {"max-objects", required_argument, NULL, O_MAXOBJ},
        {"page-default", required_argument, NULL, O_PDEF},
        {"page-max", required_argument, NULL, O_PMAX},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"max-client-connections", required_argument, NULL, O_MAXCLIENT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"head-timeout", required_argument, NULL, O_HEADTIME},
        {"request-timeout", required_argument, NULL, O_REQTIME},
        {"threads", required_argument, NULL, O_THREADS},
        {"no-page-cache", no_argument, NULL, O_NOCACHE},
        {"collections", required_argument, NULL, O_COLLECTIONS},
        {"allow-unredacted", no_argument, NULL, O_UNREDACTED},
        {"auth-failures", required_argument, NULL, O_AUTHFAIL},
        {"auth-window", required_argument, NULL, O_AUTHWIN},
        {"ui", no_argument, NULL, O_UI},
        {"ui-dir", required_argument, NULL, O_UIDIR},
        {"ui-run-timeout", required_argument, NULL, O_UIRUNMS},
        {"ui-run-results", required_argument, NULL, O_UIRUNRESULTS},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    bool ui = false;
    storm_webapi_config ui_cfg = {0};
    optind = 1;
    int c;
    while ((c = cli_getopt("serve", SERVE_USAGE, argc, argv, "h", opts)) != -1) {
        int rc = CLI_OK;
        switch (c) {
        case O_DB: cfg.db_path = optarg; break;
        case O_LISTEN: cfg.listen = optarg; break;
        case O_USERS: cfg.users_path = optarg; break;
        case O_CERT: cfg.tls_cert_path = optarg; break;
        case O_KEY: cfg.tls_key_path = optarg; break;
        case O_ROOT: cfg.api_root = optarg; break;
        case O_TITLE: cfg.title = optarg; break;
        case O_CONTACT: cfg.contact = optarg; break;
        case O_MAXLEN: rc = parse_size("--max-content-length", optarg, 1024, &cfg.max_content_length); break;
        case O_MAXOBJ: rc = parse_size("--max-objects", optarg, 1, &cfg.max_envelope_objects); break;
        case O_PDEF: rc = parse_size("--page-default", optarg, 1, &cfg.page_default); break;
        case O_PMAX: rc = parse_size("--page-max", optarg, 1, &cfg.page_max); break;
        case O_MAXCONN: rc = parse_count("--max-connections", optarg, 1, 100000, &cfg.max_connections); break;
        case O_MAXCLIENT:
            rc = parse_count("--max-client-connections", optarg, 1, 100000, &cfg.max_client_connections);
            break;
        case O_TIMEOUT: rc = parse_count("--timeout", optarg, 1, 86400, &cfg.connection_timeout); break;
        case O_HEADTIME: rc = parse_count("--head-timeout", optarg, 1, 86400, &cfg.head_timeout); break;
        case O_REQTIME: rc = parse_count("--request-timeout", optarg, 1, 86400, &cfg.request_timeout); break;
        case O_THREADS: rc = parse_count("--threads", optarg, 1, 256, &cfg.threads); break;
        case O_NOCACHE: cfg.no_page_cache = true; break;
        case O_COLLECTIONS: cfg.collections = optarg; break;
        case O_UNREDACTED: cfg.allow_unredacted = true; break;
        case O_AUTHFAIL: rc = parse_count("--auth-failures", optarg, 1, 1000000, &cfg.auth_max_failures); break;
        case O_AUTHWIN: rc = parse_count("--auth-window", optarg, 1, 86400, &cfg.auth_window); break;
        case O_UI: ui = true; break;
        case O_UIDIR: ui_cfg.static_dir = optarg; break;
        case O_UIRUNMS: rc = parse_count("--ui-run-timeout", optarg, 1, 600000, &ui_cfg.run_max_ms); break;
        case O_UIRUNRESULTS: rc = parse_size("--ui-run-results", optarg, 1, &ui_cfg.run_max_results); break;
        case 'h':
        case O_HELP: serve_help(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!cfg.db_path)
        return cli_usage_error("serve", "--db FILE is required (the store storm run writes)");

    /* Block the stop signals before the worker threads exist, so that they
     * inherit the mask and only sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!ui && (ui_cfg.static_dir || ui_cfg.run_max_ms || ui_cfg.run_max_results))
        return cli_usage_error("serve", "--ui-dir, --ui-run-timeout and --ui-run-results need --ui");
    storm_err err = {0};
    storm_webapi *webapi = NULL;
    char ui_dir[4096];
    if (ui) {
        if (!ui_cfg.static_dir && !(ui_cfg.static_dir = storm_webapi_default_dir(ui_dir, sizeof ui_dir))) {
            fprintf(stderr,
                    "storm serve: --ui: no built web UI found (looked in $STORM_UI_DIR, %s): build it "
                    "with `scripts/deps.sh` then `npm --prefix ui run build`, or name it with --ui-dir DIR\n",
                    ui_dir);
            return CLI_FAIL;
        }
        if (storm_webapi_new(&ui_cfg, &webapi, &err)) {
            fprintf(stderr, "storm serve: %s\n", err.msg);
            return CLI_FAIL;
        }
        cfg.ui = webapi;
    }
    storm_taxii_server *srv = NULL;
    if (storm_taxii_start(&cfg, &srv, &err)) {
        fprintf(stderr, "storm serve: %s\n", err.msg);
        storm_webapi_free(webapi);
        return CLI_FAIL;
    }
    /* The resolved port matters with --listen ADDR:0 (tests read it here). */
    char host[128];
    const char *colon = strrchr(cfg.listen, ':');
    if (colon == cfg.listen) /* ":PORT" is the loopback (storm/listen.h) */
        snprintf(host, sizeof host, "127.0.0.1");
    else
        snprintf(host, sizeof host, "%.*s", (int)(colon - cfg.listen), cfg.listen);
    fprintf(stderr, "storm serve: listening on %s://%s:%u/taxii2/ (%s, %s)\n", cfg.tls_cert_path ? "https" : "http",
            host, (unsigned)storm_taxii_port(srv), cfg.db_path,
            cfg.users_path ? "Basic authentication" : "anonymous, read-only");
    if (webapi)
        fprintf(stderr, "storm serve: web UI at %s://%s:%u/ui/ (files from %s)\n", cfg.tls_cert_path ? "https" : "http",
                host, (unsigned)storm_taxii_port(srv), storm_webapi_static_dir(webapi));
    fflush(stderr);
    if (!storm_taxii_listen_is_loopback(cfg.listen) && cfg.users_path && !cfg.tls_cert_path)
        fprintf(stderr,
                "storm serve: warning: %s is not a loopback address; without --tls-cert, Basic credentials "
                "travel in clear\n",
                cfg.listen);
    fflush(stderr);
    int sig = 0;
    for (;;) {
        sigwait(&stop, &sig);
        if (sig != SIGHUP)
            break;
        storm_err rerr = {0};
        if (storm_taxii_reload_users(srv, &rerr))
            fprintf(stderr, "storm serve: SIGHUP: users not reloaded, the previous ones stay: %s\n", rerr.msg);
        else
            fprintf(stderr, "storm serve: SIGHUP: reloaded the users from %s\n", cfg.users_path);
        fflush(stderr);
    }
    fprintf(stderr, "storm serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
    storm_taxii_stop(srv);
    storm_webapi_free(webapi);
    return CLI_OK;
}
