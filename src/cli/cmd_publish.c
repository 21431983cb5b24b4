/* SPDX-License-Identifier: Apache-2.0 */
/* storm publish: redact, mark and push what storm run found (or STIX files)
 * to a TAXII 2.1 collection; re-publishing sends only what is new. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storm/io.h>
#include <storm/json.h>
#include <storm/share.h>
#include <storm/stix.h>
#include <storm/store.h>
#include <storm/taxii_client.h>

#include "cli.h"

#define INPUT_MAX (256u << 20)

#define PUBLISH_USAGE "usage: storm publish --to URL --collection ID [options] [FILE...]"

static void usage(FILE *out)
{
    fprintf(out,
            PUBLISH_USAGE "\n\n"
                          "Push STIX objects to a TAXII 2.1 collection, redacted and TLP-marked.\n"
                          "Without FILE, publishes the sightings in --db and everything they reference.\n\n"
                          "  --to URL              API root (or discovery endpoint) of the TAXII server\n"
                          "  --to-db FILE          instead, store them in a collection of a local store\n"
                          "                        (for storm serve --collections to expose)\n"
                          "  --collection ID       collection id, alias or title\n"
                          "  --db FILE             Storm store (source of sightings; remembers what was published)\n"
                          "  --user NAME           Basic authentication user; the password comes from\n"
                          "  --password-file FILE  this file, else $STORM_TAXII_PASSWORD, else standard input\n"
                          "  --redact RULES        redaction rules (docs/redaction.md); default: built-in rules\n"
                          "  --redact-key FILE     secret for the built-in rules (created if missing;\n"
                          "                        default: <db>.redact.key, or storm-redact.key)\n"
                          "  --no-redact           send objects as they are (they may name your cluster)\n"
                          "  --tlp LEVEL           clear, green, amber, amber+strict, red (default: green)\n"
                          "  --identity NAME       name of the publishing cluster's identity (default: storm)\n"
                          "  --ca-file FILE        CA bundle for https\n"
                          "  --timeout S           seconds one request may take (default 120)\n"
                          "  --envelope-objects N  most objects per envelope (default 1000; halved on 413)\n"
                          "  -q, --quiet           no progress line on a terminal\n"
                          "  --dry-run             print the objects that would be sent, send nothing\n"
                          "  --resend              send again what the publish log says this server has\n"
                          "                        (a hub that lost its store)\n");
}

/* Append every STIX object of a file (bundle, array, object, JSON lines). */
static int load_file(const char *path, storm_arena *a, storm_value *objects)
{
    char *text;
    size_t len;
    storm_err err;
    storm_err_clear(&err);
    if (storm_read_file(path, INPUT_MAX, &text, &len, &err) != STORM_OK) {
        fprintf(stderr, "storm publish: %s\n", err.msg);
        return -1;
    }
    size_t off = 0, bad = 0;
    for (;;) {
        storm_value *v = NULL;
        storm_err_clear(&err);
        storm_rc rc = storm_json_parse_next(a, text, len, &off, &v, NULL, &err);
        if (rc == STORM_ERR_NOTFOUND)
            break;
        if (rc != STORM_OK) {
            fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
            bad++;
            break;
        }
        const storm_value *list = v;
        if (v->type == STORM_V_OBJECT && storm_v_is_str(storm_v_get(v, "type"), "bundle"))
            list = storm_v_get(v, "objects");
        if (list && list->type == STORM_V_ARRAY) {
            for (size_t i = 0; i < list->u.a.len; i++)
                if (list->u.a.items[i]->type == STORM_V_OBJECT)
                    storm_v_push(a, objects, list->u.a.items[i]);
        } else if (v->type == STORM_V_OBJECT && storm_v_get(v, "type") && storm_v_get(v, "id")) {
            storm_v_push(a, objects, v);
        }
    }
    free(text);
    return bad ? -1 : 0;
}

/* The built-in rules' secret: read it, or create it (0600) on first use. */
static storm_redactor *default_redactor(const char *key_path)
{
    unsigned char key[64];
    ssize_t n = -1;
    int fd = open(key_path, O_RDONLY);
    if (fd < 0 && errno == ENOENT) {
        int rnd = open("/dev/urandom", O_RDONLY);
        if (rnd >= 0 && read(rnd, key, 32) == 32) {
            fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
            if (fd >= 0 && write(fd, key, 32) == 32) {
                fprintf(stderr, "storm publish: created the redaction secret %s (keep it: pseudonyms depend on it)\n",
                        key_path);
                n = 32;
            }
        }
        if (rnd >= 0)
            close(rnd);
    } else if (fd >= 0) {
        n = read(fd, key, sizeof key);
    }
    if (fd >= 0)
        close(fd);
    if (n < 16) {
        fprintf(stderr, "storm publish: cannot read the redaction secret %s (need 16 bytes or more)\n", key_path);
        return NULL;
    }
    storm_redactor *r = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_redactor_default(key, (size_t)n, &r, &err) != STORM_OK)
        fprintf(stderr, "storm publish: %s\n", err.msg);
    memset(key, 0, sizeof key);
    return r;
}

typedef struct accepted_ctx {
    storm_store *store;
    const char *target;
    const storm_store_published *keys; /* per position in what is sent: what the log remembers */
    storm_store_published *batch;
    size_t logged;
    bool progress;
} accepted_ctx;

/* One envelope's accepted objects go to the log in one transaction. */
static void on_accepted(void *ud, const size_t *index, size_t n)
{
    accepted_ctx *c = ud;
    if (!c->store)
        return;
    for (size_t i = 0; i < n; i++)
        c->batch[i] = c->keys[index[i]];
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_published_add(c->store, c->target, c->batch, n, &err) == STORM_OK)
        c->logged += n;
    else
        fprintf(stderr, "storm publish: %s (these objects will be sent again next time)\n", err.msg);
}

static void on_progress(void *ud, size_t sent, size_t total)
{
    accepted_ctx *c = ud;
    if (c->progress)
        fprintf(stderr, "\rstorm publish: sent %zu of %zu objects", sent, total);
}

/* The publish-log key of an object: its id and version (modified, else
 * created), as found before redaction for what came from the store or the
 * files, so that what was sent is recognised without redacting it again. */
static storm_store_published key_of(const storm_value *o)
{
    storm_store_published k = {storm_v_get_str(o, "id"), storm_publish_version_of(o)};
    return k;
}

/* --to-db: store the prepared objects in a collection of a local store
 * (created when absent), for storm serve --collections to expose. */
static int publish_to_store(const char *path, const char *collection, const storm_value *objects)
{
    storm_store *dst = NULL;
    storm_err err;
    storm_err_clear(&err);
    if (storm_store_open(path, STORM_STORE_READWRITE, &dst, &err) != STORM_OK) {
        fprintf(stderr, "storm publish: %s\n", err.msg);
        return CLI_FAIL;
    }
    storm_store_collection col;
    if (storm_store_collection_find(dst, collection, &col, &err) == STORM_ERR_NOTFOUND) {
        memset(&col, 0, sizeof col);
        snprintf(col.alias, sizeof col.alias, "%s", collection);
        snprintf(col.title, sizeof col.title, "Storm shared intelligence (%s)", collection);
        snprintf(col.description, sizeof col.description,
                 "Redacted, TLP-marked sightings and their evidence, written by storm publish --to-db");
        snprintf(col.media_types, sizeof col.media_types, "application/stix+json;version=2.1");
        col.can_read = true;
        storm_err_clear(&err);
        if (storm_store_collection_create(dst, &col, &err) != STORM_OK) {
            fprintf(stderr, "storm publish: %s\n", err.msg);
            storm_store_close(dst);
            return CLI_FAIL;
        }
    }
    size_t added = 0, failed = 0;
    storm_err_clear(&err);
    if (storm_store_begin(dst, &err) != STORM_OK) {
        fprintf(stderr, "storm publish: %s\n", err.msg);
        storm_store_close(dst);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < objects->u.a.len; i++) {
        bool was_new = false;
        storm_err_clear(&err);
        if (storm_store_put(dst, collection, objects->u.a.items[i], &was_new, &err) != STORM_OK) {
            const char *id = storm_v_get_str(objects->u.a.items[i], "id");
            fprintf(stderr, "storm publish: %s set aside: %s\n", id ? id : "(no id)", err.msg);
            failed++;
        }
        added += was_new;
    }
    storm_err_clear(&err);
    int rc = storm_store_commit(dst, &err) == STORM_OK ? (failed ? CLI_FAIL : CLI_OK) : CLI_FAIL;
    if (err.rc)
        fprintf(stderr, "storm publish: %s\n", err.msg);
    printf("stored %zu objects in collection %s of %s: %zu new, %zu set aside\n", objects->u.a.len, collection, path,
           added, failed);
    storm_store_close(dst);
    return rc;
}

int cmd_publish(int argc, char **argv)
{
    static const struct option opts[] = {
        {"to", required_argument, 0, 't'},
        {"collection", required_argument, 0, 'c'},
        {"to-db", required_argument, 0, 'T'},
        {"db", required_argument, 0, 'd'},
        {"user", required_argument, 0, 'u'},
        {"password-file", required_argument, 0, 'P'},
        {"redact", required_argument, 0, 'r'},
        {"redact-key", required_argument, 0, 'k'},
        {"no-redact", no_argument, 0, 'N'},
        {"tlp", required_argument, 0, 'l'},
        {"identity", required_argument, 0, 'i'},
        {"ca-file", required_argument, 0, 'C'},
        {"dry-run", no_argument, 0, 'n'},
        {"resend", no_argument, 0, 'R'},
        {"timeout", required_argument, 0, 'W'},
        {"envelope-objects", required_argument, 0, 'E'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *to = NULL, *to_db = NULL, *collection = NULL, *db = NULL, *user = NULL, *pwfile = NULL, *rules = NULL,
               *key_path = NULL, *tlp_text = "green", *identity_name = "storm", *ca_file = NULL;
    bool no_redact = false, dry_run = false, quiet = false, resend = false;
    long timeout = 0, envelope_objects = 0;
    optind = 1;
    int ch;
    while ((ch = cli_getopt("publish", PUBLISH_USAGE, argc, argv, "hq", opts)) != -1) {
        switch (ch) {
        case 't': to = optarg; break;
        case 'T': to_db = optarg; break;
        case 'c': collection = optarg; break;
        case 'd': db = optarg; break;
        case 'u': user = optarg; break;
        case 'P': pwfile = optarg; break;
        case 'r': rules = optarg; break;
        case 'k': key_path = optarg; break;
        case 'N': no_redact = true; break;
        case 'l': tlp_text = optarg; break;
        case 'i': identity_name = optarg; break;
        case 'C': ca_file = optarg; break;
        case 'n': dry_run = true; break;
        case 'R': resend = true; break;
        case 'q': quiet = true; break;
        case 'W':
        case 'E': {
            unsigned long long v = 0;
            if (!cli_parse_number(optarg, 1, ch == 'W' ? 86400 : 1000000, &v))
                return cli_usage_error("publish", "--%s takes a number from 1 to %d, not '%s'",
                                       ch == 'W' ? "timeout" : "envelope-objects", ch == 'W' ? 86400 : 1000000, optarg);
            *(ch == 'W' ? &timeout : &envelope_objects) = (long)v;
            break;
        }
        case 'h': usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (!dry_run && ((!to && !to_db) || !collection))
        return cli_usage_error("publish", "--to URL (or --to-db FILE) and --collection ID are required");
    if (to && to_db)
        return cli_usage_error("publish", "--to and --to-db contradict each other");
    if (optind >= argc && !db)
        return cli_usage_error("publish", "give STIX files to publish, or --db FILE to publish its sightings");
    storm_tlp tlp;
    if (!storm_tlp_parse(tlp_text, &tlp))
        return cli_usage_error("publish", "--tlp must be clear, green, amber, amber+strict or red, not '%s'", tlp_text);
    if (rules && no_redact)
        return cli_usage_error("publish", "--redact and --no-redact contradict each other");

    int status = CLI_FAIL;
    storm_err err;
    storm_err_clear(&err);
    storm_arena *a = storm_arena_new(0, 0);
    storm_value *objects = storm_v_array(a);
    storm_store *store = NULL;
    storm_redactor *red = NULL;
    storm_taxii_client *client = NULL;
    char *password = NULL;
    storm_store_published *keys = NULL; /* publish-log keys of what is sent (with --db and --to) */
    bool stdin_used = false;
    if (db && storm_store_open(db, STORM_STORE_READWRITE, &store, &err) != STORM_OK) {
        fprintf(stderr, "storm publish: %s\n", err.msg);
        goto out;
    }
    for (int i = optind; i < argc; i++)
        stdin_used |= strcmp(argv[i], "-") == 0;
    /* the server first (URL, login, collection, rights): a mistake there
     * fails in a second, before any object is read or redacted */
    char cid[64] = "", target[8192] = "";
    if (to && !dry_run) {
        if (user && !(password = cli_read_password("publish", pwfile, !stdin_used)))
            goto out;
        storm_taxii_client_opts copts = {user, password, ca_file, timeout, 0, (size_t)envelope_objects};
        if (storm_taxii_client_open(to, &copts, &client, &err) != STORM_OK) {
            fprintf(stderr, "storm publish: %s\n", err.msg);
            goto out;
        }
        bool can_write = false;
        if (storm_taxii_client_collection(client, collection, cid, &can_write, &err) != STORM_OK) {
            fprintf(stderr, "storm publish: %s\n", err.msg);
            goto out;
        }
        if (!can_write) {
            fprintf(stderr, "storm publish: the server says collection %s is not writable%s\n", cid,
                    user ? " for this user" : " anonymously (give --user)");
            goto out;
        }
        /* the log is keyed by the resolved collection, not by how it was named */
        snprintf(target, sizeof target, "%s %s", storm_taxii_client_api_root(client), cid);
    }
    for (int i = optind; i < argc; i++)
        if (load_file(argv[i], a, objects) != 0)
            goto out;
    if (optind >= argc && storm_publish_collect(store, a, objects, &err) != STORM_OK) {
        fprintf(stderr, "storm publish: %s\n", err.msg);
        goto out;
    }
    size_t found = objects->u.a.len;
    /* only what is new goes on (with what it references, for redaction) */
    size_t skipped = 0, n_new = objects->u.a.len, n_context = 0;
    if (client && store) {
        size_t n = objects->u.a.len;
        keys = calloc(n ? n : 1, sizeof *keys);
        bool *known = calloc(n ? n : 1, sizeof *known);
        if (!keys || !known) {
            free(known);
            fprintf(stderr, "storm publish: out of memory\n");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            keys[i] = key_of(objects->u.a.items[i]);
        /* --resend: nothing counts as known; what is accepted is logged again */
        storm_rc krc = resend ? STORM_OK : storm_store_published_check(store, target, keys, n, known, &err);
        for (size_t i = 0; !krc && i < n; i++) {
            skipped += known[i];
            known[i] = !known[i]; /* now: is new */
        }
        if (!krc)
            krc = storm_publish_select(a, objects, known, &n_new, &n_context, &err);
        free(known);
        if (krc) {
            fprintf(stderr, "storm publish: %s\n", err.msg);
            goto out;
        }
        for (size_t i = 0; i < n_new; i++)
            keys[i] = key_of(objects->u.a.items[i]); /* before redaction rewrites them */
    }
    if (!quiet && isatty(2))
        fprintf(stderr, "storm publish: preparing %zu objects (%zu found, %zu already published, %zu referenced)\n",
                n_new, found, skipped, n_context);
    if (!no_redact) {
        if (rules) {
            if (storm_redactor_load(rules, &red, &err) != STORM_OK) {
                fprintf(stderr, "storm publish: %s\n", err.msg);
                goto out;
            }
        } else {
            char kp[4096];
            if (!key_path) {
                /* beside a store file; a database URL has no "beside": the default of no --db */
                bool beside = db && !storm_store_is_url(db);
                snprintf(kp, sizeof kp, "%s", beside ? db : "storm");
                snprintf(kp + strlen(kp), sizeof kp - strlen(kp), "%s", beside ? ".redact.key" : "-redact.key");
                key_path = kp;
            }
            red = default_redactor(key_path);
            if (!red)
                goto out;
        }
    }
    /* the share step of the library: redact -> the cluster's identity (the
     * one its sightings name) -> extension-definitions -> markings */
    storm_redact_stats st = {0};
    storm_share_opts so = {red, tlp, identity_name};
    if (storm_share_prepare(a, objects, &so, &st, &err) != STORM_OK) {
        fprintf(stderr, "storm publish: cannot prepare the objects to share: %s\n", err.msg);
        goto out;
    }
    if (red)
        fprintf(stderr, "storm publish: redacted %zu addresses, %zu names, %zu secrets; %zu ids rewritten\n",
                st.addresses_masked, st.names_pseudonymised, st.secrets_scrubbed, st.ids_rewritten);
    if (dry_run) {
        storm_buf b;
        storm_buf_init(&b, 0);
        for (size_t i = 0; i < objects->u.a.len; i++) {
            storm_buf_reset(&b);
            storm_json_write(&b, objects->u.a.items[i], 0);
            printf("%s\n", b.data);
        }
        storm_buf_free(&b);
        fprintf(stderr, "storm publish: dry run: %zu objects (%zu found, plus identity and marking)\n",
                objects->u.a.len, found);
        status = CLI_OK;
        goto out;
    }
    if (to_db) {
        status = publish_to_store(to_db, collection, objects);
        goto out;
    }
    /* the context went through redaction and marking with the new objects;
     * it was sent before. Then what the assembly appended (identity,
     * definitions, marking) goes only when the log does not know it. */
    size_t n_total = objects->u.a.len;
    storm_store_published *all_keys = keys ? realloc(keys, (n_total ? n_total : 1) * sizeof *keys) : NULL;
    if (keys && !all_keys) {
        fprintf(stderr, "storm publish: out of memory\n");
        goto out;
    }
    keys = all_keys;
    if (keys) {
        storm_value **it = objects->u.a.items;
        size_t w = n_new;
        bool known = false;
        for (size_t i = n_new + n_context; i < n_total; i++) {
            storm_store_published k = key_of(it[i]);
            if (!resend && storm_store_published_check(store, target, &k, 1, &known, &err) != STORM_OK) {
                fprintf(stderr, "storm publish: %s\n", err.msg);
                goto out;
            }
            skipped += known;
            if (!known) {
                keys[w] = k;
                it[w++] = it[i];
            }
        }
        objects->u.a.len = w;
    }
    accepted_ctx actx = {store, target, keys, NULL, 0, !quiet && isatty(2)};
    actx.batch = calloc(objects->u.a.len ? objects->u.a.len : 1, sizeof *actx.batch);
    storm_taxii_publish_hooks hooks = {keys ? on_accepted : NULL, on_progress, &actx};
    storm_taxii_publish_result res = {0};
    storm_rc prc = !actx.batch        ? storm_err_set(&err, STORM_ERR_NOMEM, 0, "out of memory")
                   : objects->u.a.len ? storm_taxii_client_publish(client, cid, objects, &hooks, &res, &err)
                                      : STORM_OK;
    free(actx.batch);
    if (actx.progress && res.envelopes)
        fputc('\n', stderr);
    if (prc != STORM_OK) {
        fprintf(stderr, "storm publish: %s (%zu of %zu objects were accepted before)\n", err.msg, res.succeeded,
                objects->u.a.len);
        goto out;
    }
    printf("published %zu objects in %zu envelopes to %scollections/%s/: %zu succeeded, %zu failed, %zu pending; "
           "%zu already published\n",
           res.sent, res.envelopes, storm_taxii_client_api_root(client), cid, res.succeeded, res.failed, res.pending,
           skipped);
    status = res.failed || res.pending ? CLI_FAIL : CLI_OK;
out:
    free(keys);
    storm_taxii_client_free(client);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    storm_redactor_free(red);
    storm_store_close(store);
    storm_arena_free(a);
    return status;
}
