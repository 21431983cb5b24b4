/* SPDX-License-Identifier: Apache-2.0 */
/* storm match: match STIX patterns against STIX observations from files.
 * One line per pattern: match<TAB>pattern, nomatch<TAB>pattern or
 * error<TAB>pattern<TAB>message; --json prints one object per pattern with
 * the observed-data that satisfied it. Exit 0 when every pattern was
 * evaluated, 1 when any had an error (or the input was malformed), 2 on a
 * usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/array.h>
#include <storm/buf.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#include "cli.h"

#define MATCH_MAX_INPUT (1024u << 20) /* bytes per observations file */
#define MATCH_MAX_PATTERN_FILE (64u << 20)
#define MATCH_MAX_PATTERNS 100000

#define MATCH_USAGE "usage: storm match [-s 2.0|2.1] [--json] (-p PATTERN [-p PATTERN]... | -P FILE) OBSERVATIONS..."

static void usage(FILE *out)
{
    fprintf(out, MATCH_USAGE "\n"
                             "\n"
                             "Match STIX patterns against STIX observations and say, for each pattern, whether\n"
                             "the observations satisfy it.\n"
                             "\n"
                             "  -p, --pattern PATTERN  a pattern (repeat for more)\n"
                             "  -P, --patterns FILE    patterns, one per line (blank lines and lines starting\n"
                             "                         with '#' are skipped)\n"
                             "  -s, --spec VERSION     STIX version of patterns and observations: 2.1 (default)\n"
                             "                         or 2.0 (observed-data with an inline \"objects\" map)\n"
                             "      --json             one JSON object per pattern: {\"pattern\", \"result\",\n"
                             "                         \"observed_data\": ids (or input positions when an\n"
                             "                         observed-data has no id), \"error\" for errors}\n"
                             "  -h, --help             this text\n"
                             "\n"
                             "OBSERVATIONS are files ('-' for standard input) holding a JSON array (of\n"
                             "observed-data, objects or bundles), a bundle, or JSON Lines of those.\n"
                             "\n"
                             "Output, one line per pattern: match<TAB>pattern, nomatch<TAB>pattern or\n"
                             "error<TAB>pattern<TAB>message.\n"
                             "Exit status: 0 when every pattern was evaluated, 1 when any had an error or the\n"
                             "input was malformed, 2 on a usage error.\n"
                             "\n"
                             "Example:\n"
                             "  storm match -p \"[process:image_ref.name = 'nsenter']\" observations.jsonl\n");
}

typedef struct pattern_list {
    char **items;
    size_t n, cap;
} pattern_list;

static int list_push(pattern_list *l, char *s)
{
    if (l->n >= MATCH_MAX_PATTERNS)
        return -1;
    if (STORM_ARRAY_GROW(l->items, l->n + 1, l->cap, 16))
        return -1;
    l->items[l->n++] = s;
    return 0;
}

/* Patterns from a file: one per line, '#' comments and blank lines skipped. */
static int read_pattern_file(const char *path, pattern_list *l, char **keep)
{
    size_t len;
    storm_err err;
    storm_err_clear(&err);
    if (storm_read_file(path, MATCH_MAX_PATTERN_FILE, keep, &len, &err) != STORM_OK) {
        fprintf(stderr, "storm match: %s: %s\n", path, err.msg);
        return -1;
    }
    char *s = *keep;
    while (s < *keep + len) {
        char *end = memchr(s, '\n', (size_t)(*keep + len - s));
        char *line_end = end ? end : *keep + len;
        *line_end = '\0';
        if (line_end > s && line_end[-1] == '\r')
            line_end[-1] = '\0';
        char *t = s;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t && *t != '#' && list_push(l, t) != 0) {
            fprintf(stderr, "storm match: %s: more than %d patterns\n", path, MATCH_MAX_PATTERNS);
            return -1;
        }
        s = line_end + 1;
    }
    return 0;
}

typedef struct input {
    char *text;
    size_t len;
} input;

/* All observations of all inputs, and every object that may be referenced
 * (for references an observed-data's own document does not resolve). */
typedef struct loaded {
    storm_observation *obs;
    size_t n, cap;
    const storm_value **objs; /* SCOs etc. of every document, in input order */
    size_t n_objs, cap_objs;
} loaded;

/* Remember the referable objects of one document (bundle objects, array
 * items, a lone object), not observed-data. */
static int remember_objects(loaded *l, const storm_value *v, int depth)
{
    if (!v || depth > 4)
        return 0;
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++)
            if (remember_objects(l, v->u.a.items[i], depth + 1))
                return -1;
        return 0;
    }
    if (v->type != STORM_V_OBJECT)
        return 0;
    const char *type = storm_v_get_str(v, "type");
    if (type && strcmp(type, "bundle") == 0)
        return remember_objects(l, storm_v_get(v, "objects"), depth + 1);
    if (!type || strcmp(type, "observed-data") == 0 || !storm_v_get_str(v, "id"))
        return 0;
    if (STORM_ARRAY_GROW(l->objs, l->n_objs + 1, l->cap_objs, 64))
        return -1;
    l->objs[l->n_objs++] = v;
    return 0;
}

/* STIX 2.1: references an observed-data's own document does not resolve are
 * looked up among the objects of every input (JSON Lines put SCOs and
 * observed-data on separate lines). The own document always wins, so the
 * same id with other content in another event's bundle is never mixed in;
 * among other documents the first in input order wins. */
static size_t resolve_across(const loaded *l)
{
    size_t dangling = 0;
    for (size_t i = 0; i < l->n; i++) {
        storm_observation *ob = &l->obs[i];
        const storm_value *refs = storm_v_get(ob->sdo, "object_refs");
        for (size_t k = 0; refs && refs->type == STORM_V_ARRAY && k < refs->u.a.len; k++) {
            const storm_value *r = refs->u.a.items[k];
            if (r->type != STORM_V_STRING || storm_observation_resolve(ob, r->u.s.ptr, r->u.s.len))
                continue;
            /* the first object of that id in input order (sort_objects keeps it first) */
            size_t lo = 0, hi = l->n_objs;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(storm_v_get_str(l->objs[mid], "id"), r->u.s.ptr) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < l->n_objs && strcmp(storm_v_get_str(l->objs[lo], "id"), r->u.s.ptr) == 0) {
                /* load_one sized objects[] for every ref, so there is room */
                ob->objects[ob->n_objects].key = r->u.s.ptr;
                ob->objects[ob->n_objects].value = l->objs[lo];
                ob->n_objects++;
            } else {
                dangling++;
            }
        }
    }
    return dangling;
}

/* Keep input order among equal ids (qsort is not stable): sort pointers to
 * (object, position) pairs. */
typedef struct ranked {
    const storm_value *v;
    size_t pos;
} ranked;

static int ranked_cmp(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    int c = strcmp(storm_v_get_str(a->v, "id"), storm_v_get_str(b->v, "id"));
    return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static int sort_objects(storm_arena *a, loaded *l)
{
    ranked *r = storm_arena_alloc(a, (l->n_objs ? l->n_objs : 1) * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < l->n_objs; i++)
        r[i] = (ranked){l->objs[i], i};
    qsort(r, l->n_objs, sizeof *r, ranked_cmp);
    for (size_t i = 0; i < l->n_objs; i++)
        l->objs[i] = r[i].v;
    return 0;
}

/* Load every JSON value of one file (a document or JSON Lines). Each
 * document's observed-data resolve their references in that document first
 * (resolve_across handles the rest once every input is read). */
static int load_file(const char *path, storm_arena *arena, storm_spec spec, loaded *l, input *in)
{
    storm_err err;
    storm_err_clear(&err);
    if (storm_read_file(path, MATCH_MAX_INPUT, &in->text, &in->len, &err) != STORM_OK) {
        fprintf(stderr, "storm match: %s: %s\n", path, err.msg);
        return -1;
    }
    size_t off = 0, docs = 0, before = l->n, wrong_version = 0;
    const char *where = strcmp(path, "-") == 0 ? "<stdin>" : path;
    for (;;) {
        storm_value *root = NULL;
        size_t start = 0;
        storm_observation *doc_obs = NULL;
        size_t doc_n = 0;
        storm_err_clear(&err);
        storm_rc rc = storm_json_parse_next(arena, in->text, in->len, &off, &root, &start, &err);
        if (rc == STORM_ERR_NOTFOUND)
            break;
        if (rc == STORM_OK) {
            rc = storm_observations_load(arena, root, spec, &doc_obs, &doc_n, &err);
            if (rc != STORM_OK) { /* positions inside the document: make them the file's */
                err.offset += start;
                err.line = err.col = 0;
                storm_err_locate(&err, in->text, in->len);
            }
        }
        if (rc == STORM_OK && (remember_objects(l, root, 0) || STORM_ARRAY_GROW(l->obs, l->n + doc_n, l->cap, 64)))
            rc = storm_err_set(&err, STORM_ERR_NOMEM, 0, "out of memory");
        if (rc != STORM_OK) {
            fprintf(stderr, "storm match: %s:%u:%u: %s\n", where, err.line, err.col, err.msg);
            return -1;
        }
        for (size_t i = 0; i < doc_n; i++) {
            const storm_value *sdo = doc_obs[i].sdo;
            /* -s 2.0 reads only inline "objects": 2.1 observed-data then hold nothing */
            if (spec == STORM_SPEC_20 && !storm_v_get(sdo, "objects") && storm_v_get(sdo, "object_refs"))
                wrong_version++;
            l->obs[l->n] = doc_obs[i];
            l->obs[l->n].index = l->n; /* position among all inputs' observed-data */
            l->n++;
        }
        docs++;
    }
    if (docs == 0) {
        fprintf(stderr, "storm match: %s:1:1: no JSON observations in the input\n", where);
        return -1;
    }
    if (l->n == before) /* not an error (the file may hold only SCOs), but say so */
        fprintf(stderr, "storm match: %s: warning: no observed-data in this input\n", where);
    if (wrong_version)
        fprintf(stderr,
                "storm match: %s: warning: %zu observed-data look like STIX 2.1 (object_refs, no inline objects); "
                "give -s 2.1 to match them\n",
                where, wrong_version);
    return 0;
}

static void print_json_result(const char *pattern, const char *result, const storm_match *m,
                              const storm_observation *obs, const storm_err *err)
{
    storm_buf b;
    storm_buf_init(&b, 64u << 20);
    storm_buf_puts(&b, "{\"pattern\":");
    storm_json_write_string(&b, pattern, strlen(pattern));
    storm_buf_printf(&b, ",\"result\":\"%s\"", result);
    if (err) {
        storm_buf_puts(&b, ",\"error\":");
        storm_json_write_string(&b, err->msg, strlen(err->msg));
        storm_buf_printf(&b, ",\"offset\":%zu,\"line\":%u,\"column\":%u", err->offset, err->line, err->col);
    } else {
        storm_buf_puts(&b, ",\"observed_data\":[");
        for (size_t i = 0; m && i < m->n_bound; i++) {
            const storm_observation *o = &obs[m->bound[i]];
            if (i)
                storm_buf_putc(&b, ',');
            if (o->id)
                storm_json_write_string(&b, o->id, strlen(o->id));
            else
                storm_buf_printf(&b, "%zu", o->index);
        }
        storm_buf_putc(&b, ']');
    }
    storm_buf_puts(&b, "}\n");
    fwrite(b.data, 1, b.len, stdout);
    storm_buf_free(&b);
}

/* One line for an error: keep it on one line for the tab-separated output. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\t' || *s == '\r')
            *s = ' ';
}

int cmd_match(int argc, char **argv)
{
    pattern_list pats = {0};
    char **pattern_files = calloc((size_t)argc + 1, sizeof *pattern_files);
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    size_t n_inputs = 0, n_pattern_files = 0;
    storm_spec spec = STORM_SPEC_21;
    bool json = false, used_p = false, used_P = false;
    int status = CLI_OK;
    storm_arena *arena = NULL;
    input *texts = NULL;
    loaded all = {0}; /* its arrays are malloc'd: freed at the end */
    if (!pattern_files || !inputs) {
        fprintf(stderr, "storm match: out of memory\n");
        status = CLI_FAIL;
        goto out;
    }
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},          {"spec", required_argument, 0, 's'},
        {"pattern", required_argument, 0, 'p'}, {"patterns", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    optind = 1;
    int ch;
    while ((ch = cli_getopt("match", MATCH_USAGE, argc, argv, "s:p:P:h", opts)) != -1) {
        switch (ch) {
        case 'h': usage(stdout); goto out;
        case 'j': json = true; break;
        case 's':
            if (strcmp(optarg, "2.0") == 0)
                spec = STORM_SPEC_20;
            else if (strcmp(optarg, "2.1") == 0)
                spec = STORM_SPEC_21;
            else {
                status = cli_usage_error("match", "unknown STIX version '%s' (use 2.0 or 2.1)", optarg);
                goto out;
            }
            break;
        case 'p':
            used_p = true;
            if (list_push(&pats, optarg) != 0) {
                fprintf(stderr, "storm match: too many patterns\n");
                status = CLI_FAIL;
                goto out;
            }
            break;
        case 'P':
            used_P = true;
            pattern_files[n_pattern_files] = NULL;
            if (read_pattern_file(optarg, &pats, &pattern_files[n_pattern_files]) != 0) {
                n_pattern_files++;
                status = CLI_FAIL;
                goto out;
            }
            n_pattern_files++;
            break;
        default: status = CLI_USAGE; goto out;
        }
    }
    for (int i = optind; i < argc; i++)
        inputs[n_inputs++] = argv[i];
    if (used_p && used_P) {
        status = cli_usage_error("match", "give patterns with -p or with -P, not both");
        goto out;
    }
    if (!used_p && !used_P) {
        status = cli_usage_error("match", "no pattern: give -p PATTERN or -P FILE");
        goto out;
    }
    if (n_inputs == 0) {
        status = cli_usage_error("match", "no observations: give one or more files ('-' for standard input)");
        goto out;
    }

    arena = storm_arena_new(0, 0);
    texts = calloc(n_inputs, sizeof *texts);
    if (!arena || !texts) {
        fprintf(stderr, "storm match: out of memory\n");
        status = CLI_FAIL;
        goto out;
    }
    for (size_t i = 0; i < n_inputs; i++)
        if (load_file(inputs[i], arena, spec, &all, &texts[i]) != 0) {
            status = CLI_FAIL;
            goto out;
        }
    if (spec == STORM_SPEC_21) {
        if (sort_objects(arena, &all) != 0) {
            fprintf(stderr, "storm match: out of memory\n");
            status = CLI_FAIL;
            goto out;
        }
        size_t dangling = resolve_across(&all);
        if (dangling)
            fprintf(stderr, "storm match: warning: %zu object_refs name no object given in the input\n", dangling);
    }
    storm_observation *obs = all.obs;
    size_t n_obs = all.n;

    for (size_t i = 0; i < pats.n; i++) {
        const char *text = pats.items[i];
        storm_err err;
        storm_err_clear(&err);
        storm_pattern *p = NULL;
        storm_match m = {0};
        storm_rc rc = storm_pattern_compile(text, strlen(text), spec, &p, &err);
        if (rc == STORM_OK) {
            storm_err_clear(&err);
            rc = storm_pattern_match(p, obs, n_obs, &m, &err);
        }
        if (rc != STORM_OK) {
            status = CLI_FAIL;
            if (err.line == 0)
                storm_err_locate(&err, text, strlen(text));
            if (json) {
                print_json_result(text, "error", NULL, obs, &err);
            } else {
                one_line(err.msg);
                printf("error\t%s\tline %u, column %u: %s\n", text, err.line ? err.line : 1, err.col ? err.col : 1,
                       err.msg);
            }
        } else if (json) {
            print_json_result(text, m.matched ? "match" : "nomatch", &m, obs, NULL);
        } else {
            printf("%s\t%s\n", m.matched ? "match" : "nomatch", text);
        }
        storm_match_clear(&m);
        storm_pattern_free(p);
    }
    if (fflush(stdout) != 0) {
        perror("storm match: writing the results");
        status = CLI_FAIL;
    }
out:
    if (texts)
        for (size_t i = 0; i < n_inputs; i++)
            free(texts[i].text);
    free(texts);
    free(all.obs);
    free(all.objs);
    storm_arena_free(arena);
    if (pattern_files)
        for (size_t i = 0; i < n_pattern_files; i++)
            free(pattern_files[i]);
    free(pattern_files);
    free(inputs);
    free(pats.items);
    return status;
}
