/* SPDX-License-Identifier: Apache-2.0 */
/* storm pull: fetch indicators (or every object) from a TAXII 2.1
 * collection into the local store, resuming where the last pull stopped. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <storm/json.h>
#include <storm/stix.h>
#include <storm/store.h>
#include <storm/taxii_client.h>

#include "cli.h"

#define PULL_USAGE "usage: storm pull --from URL --collection ID --db FILE [options]"

static void usage(FILE *out)
{
    fprintf(out, PULL_USAGE
            "\n\n"
            "Fetch indicators from a TAXII 2.1 collection (another Storm, or any TAXII 2.1 server)\n"
            "into the local store's indicators collection, following pagination, and remember\n"
            "where it stopped: the next pull fetches only what was added since.\n\n"
            "  --from URL            API root (or discovery endpoint) of the TAXII server\n"
            "  --collection ID       collection id, alias or title\n"
            "  --db FILE             Storm store to add the objects to\n"
            "  --out FILE            also write what was fetched as one STIX bundle (for storm run --models)\n"
            "  --all-types           fetch every object type, not only indicators\n"
            "  --from-start          ignore the remembered position\n"
            "  --limit N             page size (default 100)\n"
            "  --timeout S           seconds one request may take (default 120; medallion needs\n"
            "                        minutes for the first page of a large collection)\n"
            "  -q, --quiet           no progress line on a terminal\n"
            "  --user NAME           Basic authentication user; the password comes from\n"
            "  --password-file FILE  this file, else $STORM_TAXII_PASSWORD, else standard input\n"
            "  --ca-file FILE        CA bundle for https\n");
}

typedef struct pull_ctx {
    storm_store *store;
    storm_buf *bundle;  /* NULL unless --out */
    const char *source; /* pull position key */
    const char *url;    /* the collection, for messages */
    bool in_tx;         /* a page is being stored */
    bool quiet, progress;
    size_t added, seen, rejected, set_aside;
    storm_err err; /* the store's error that stopped the pull */
} pull_ctx;

static int on_object(void *ud, const storm_value *obj)
{
    pull_ctx *c = ud;
    c->seen++;
    bool added = false;
    storm_err err;
    storm_err_clear(&err);
    /* one transaction per page (committed with its position in on_page):
     * a pull that dies keeps every page before */
    if (!c->in_tx) {
        if (storm_store_begin(c->store, &c->err) != STORM_OK)
            return 1;
        c->in_tx = true;
    }
    if (storm_store_put(c->store, STORM_COLLECTION_INDICATORS, obj, &added, &err) != STORM_OK) {
        const char *id = storm_v_get_str(obj, "id");
        fprintf(stderr, "storm pull: object %s set aside: %s\n", id ? id : "(no id)", err.msg);
        c->set_aside++;
        return 0;
    }
    c->added += added;
    if (c->bundle) {
        if (c->bundle->len > 0)
            storm_buf_putc(c->bundle, ',');
        storm_json_write(c->bundle, obj, 0);
    }
    return 0;
}

static void on_rejected(void *ud, size_t page, size_t index, const char *id, const char *why)
{
    pull_ctx *c = ud;
    c->rejected++;
    fprintf(stderr, "storm pull: %s page %zu, object %zu (%s): refused: %s\n", c->url, page, index, id ? id : "no id",
            why);
}

static int on_page(void *ud, const char *resume)
{
    pull_ctx *c = ud;
    if (!c->in_tx) {
        if (storm_store_begin(c->store, &c->err) != STORM_OK)
            return 1;
        c->in_tx = true;
    }
    if ((resume[0] && storm_store_pull_position_set(c->store, c->source, resume, &c->err) != STORM_OK) ||
        storm_store_commit(c->store, &c->err) != STORM_OK) {
        storm_store_rollback(c->store);
        c->in_tx = false;
        return 1;
    }
    c->in_tx = false;
    if (c->progress)
        fprintf(stderr, "\rstorm pull: %zu objects, %zu new", c->seen + c->rejected, c->added);
    return 0;
}

static bool write_bundle(const char *path, const storm_buf *bundle)
{
    char uuid[37];
    storm_stix_uuid4_stable(bundle->data ? bundle->data : "", bundle->len, uuid);
    FILE *f = fopen(path, "w");
    bool ok = f && fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[%s]}\n", uuid,
                           bundle->data ? bundle->data : "") >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "storm pull: cannot write %s\n", path);
    return ok;
}

int cmd_pull(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'},
        {"collection", required_argument, 0, 'c'},
        {"db", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},
        {"all-types", no_argument, 0, 'a'},
        {"from-start", no_argument, 0, 's'},
        {"limit", required_argument, 0, 'l'},
        {"user", required_argument, 0, 'u'},
        {"password-file", required_argument, 0, 'P'},
        {"ca-file", required_argument, 0, 'C'},
        {"timeout", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *from = NULL, *collection = NULL, *db = NULL, *out_path = NULL, *user = NULL, *pwfile = NULL,
               *ca_file = NULL;
    bool all_types = false, from_start = false, quiet = false;
    long limit = 100, timeout = 0;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("pull", PULL_USAGE, argc, argv, "hq", opts)) != -1) {
        switch (ch) {
        case 'f': from = optarg; break;
        case 'c': collection = optarg; break;
        case 'd': db = optarg; break;
        case 'o': out_path = optarg; break;
        case 'a': all_types = true; break;
        case 's': from_start = true; break;
        case 'l': {
            unsigned long long v = 0;
            if (!cli_parse_number(optarg, 1, 10000, &v))
                return cli_usage_error("pull", "--limit takes a number from 1 to 10000, not '%s'", optarg);
            limit = (long)v;
            break;
        }
        case 't': {
            unsigned long long v = 0;
            if (!cli_parse_number(optarg, 1, 86400, &v))
                return cli_usage_error("pull", "--timeout takes seconds from 1 to 86400, not '%s'", optarg);
            timeout = (long)v;
            break;
        }
        case 'q': quiet = true; break;
        case 'u': user = optarg; break;
        case 'P': pwfile = optarg; break;
        case 'C': ca_file = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (!from || !collection || !db)
        return cli_usage_error("pull", "--from URL, --collection ID and --db FILE are required");
    if (optind < argc)
        return cli_usage_error("pull", "unexpected argument '%s'", argv[optind]);
    int status = CLI_FAIL;
    storm_err err;
    storm_err_clear(&err);
    storm_store *store = NULL;
    storm_taxii_client *client = NULL;
    char *password = NULL;
    storm_buf bundle;
    storm_buf_init(&bundle, 1u << 30);
    if (user && !(password = cli_read_password("pull", pwfile, true)))
        goto out;
    storm_taxii_client_opts copts = {user, password, ca_file, timeout, 0, 0};
    if (storm_taxii_client_open(from, &copts, &client, &err) != STORM_OK) {
        fprintf(stderr, "storm pull: %s\n", err.msg);
        goto out;
    }
    char cid[64];
    if (storm_taxii_client_collection(client, collection, cid, NULL, &err) != STORM_OK) {
        fprintf(stderr, "storm pull: %s\n", err.msg);
        goto out;
    }
    /* The store is opened (created) once the server answered: a refused login or a
     * wrong address leaves no empty store behind. */
    if (storm_store_open(db, STORM_STORE_READWRITE, &store, &err) != STORM_OK) {
        fprintf(stderr, "storm pull: %s\n", err.msg);
        goto out;
    }
    char source[8192], resume[STORM_STORE_POSITION_MAX] = "", url[8192];
    snprintf(source, sizeof source, "%s %s%s", storm_taxii_client_api_root(client), cid, all_types ? " all" : "");
    snprintf(url, sizeof url, "%scollections/%s/", storm_taxii_client_api_root(client), cid);
    if (!from_start && storm_store_pull_position_get(store, source, resume, &err) != STORM_OK) {
        fprintf(stderr, "storm pull: %s\n", err.msg);
        goto out;
    }
    pull_ctx ctx = {store, out_path ? &bundle : NULL, source, url, false, quiet, !quiet && isatty(2), 0, 0, 0, 0, {0}};
    storm_taxii_pull_opts po = {resume[0] ? resume : NULL, all_types ? NULL : "indicator", (size_t)limit, 0};
    storm_taxii_pull_hooks hooks = {on_object, on_rejected, on_page, &ctx};
    storm_taxii_pull_result res = {0};
    storm_rc rc = storm_taxii_client_pull(client, cid, &po, &hooks, &res, &err);
    /* an object callback stopped by the store, or the last partial page */
    if (ctx.in_tx && (rc || storm_store_commit(store, &ctx.err) != STORM_OK))
        storm_store_rollback(store);
    if (ctx.progress)
        fputc('\n', stderr);
    if (out_path && !write_bundle(out_path, &bundle))
        rc = rc ? rc : STORM_ERR_IO;
    if (rc || ctx.err.rc) {
        fprintf(stderr, "storm pull: %s; kept %zu new objects from %zu pages%s%s\n", ctx.err.rc ? ctx.err.msg : err.msg,
                ctx.added, res.pages, res.resume[0] ? ", the next pull resumes after " : "", res.resume);
        goto out;
    }
    printf("pulled %zu objects from %s: %zu new, %zu refused, %zu set aside, %zu pages%s%s%s\n", res.received, url,
           ctx.added, res.rejected, ctx.set_aside, res.pages, res.fallbacks ? " (paged by added_after)" : "",
           resume[0] ? "; resumed after " : "", resume);
    status = res.rejected || ctx.set_aside ? CLI_FAIL : CLI_OK;
out:
    storm_buf_free(&bundle);
    storm_taxii_client_free(client);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    storm_store_close(store);
    return status;
}
