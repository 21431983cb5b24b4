/* SPDX-License-Identifier: Apache-2.0 */
/* KSC attack models -> Storm's observation model; see storm/ksc_import.h and
 * docs/mapping/vector-ksc.md.
 *
 * The rewrite works on the pattern's tokens, not on a parse tree: KSC
 * patterns carry slips Storm's parser rightly refuses ("process.extensions",
 * "path EXISTS"), and rewriting token spans keeps the author's text, spacing
 * and comments everywhere else. Each object path is translated on its own;
 * where Storm needs a second condition (the argument's type at a position,
 * the audit resource of a Kubernetes object) the comparison is wrapped as
 * "(condition AND comparison)", which keeps its meaning under AND, OR and the
 * negated operators. The result must compile, or the pattern is kept. */
#include <storm/ksc_import.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/arena.h>
#include <storm/array.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/pattern.h>

#include <storm/pattern_tokens.h>

#define KSC_FILE_MAX ((size_t)64 << 20)
#define KSC_MAX_TOKENS 65536 /* of one pattern */
#define KSC_MAX_STEPS 32     /* of one object path */

/* ---- one pattern --------------------------------------------------------- */

typedef struct step {
    const char *s; /* key text (unquoted) or index digits; "*" for [*] */
    size_t n;
    bool index;
} step;

typedef struct kpath {
    const char *type;
    size_t type_n;
    step steps[KSC_MAX_STEPS];
    size_t n_steps;
} kpath;

typedef struct xlate {
    const char *text;
    lex_token *tok;
    size_t n_tok;
    storm_buf *out;
    storm_ksc_note_fn note;
    void *ctx;
    storm_rc rc; /* first output error */
} xlate;

static void say(xlate *x, size_t off, storm_ksc_note_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(xlate *x, size_t off, storm_ksc_note_kind kind, const char *fmt, ...)
{
    if (!x->note)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    x->note(x->ctx, off, kind, msg);
}

static void put(xlate *x, const char *s, size_t n)
{
    if (x->rc == STORM_OK)
        x->rc = storm_buf_append(x->out, s, n);
}
static void puts_(xlate *x, const char *s)
{
    put(x, s, strlen(s));
}

static bool step_is(const kpath *p, size_t i, const char *lit)
{
    return i < p->n_steps && !p->steps[i].index && p->steps[i].n == strlen(lit) &&
           memcmp(p->steps[i].s, lit, p->steps[i].n) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Object types a KSC pattern may name with "." instead of ":" */
static bool is_object_type(const char *s, size_t n)
{
    static const char *const types[] = {"process",   "file",      "network-traffic", "user-account", "directory",
                                        "ipv4-addr", "ipv6-addr", "domain-name",     "software",     "url"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i]) == n && memcmp(types[i], s, n) == 0)
            return true;
    return false;
}

/* A dictionary key as Storm writes it (docs/mapping.md): lower case, every
 * character outside [a-z0-9_-] becomes '_', at least 3 characters. Quoted
 * when it would not lex as a path step. */
static void put_key(xlate *x, const char *s, size_t n)
{
    char k[256];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 250; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        k[m++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ? c : '_';
    }
    while (m < 3)
        k[m++] = '_';
    bool plain = !(k[0] >= '0' && k[0] <= '9') && !memchr(k, '-', m);
    put(x, plain ? "." : ".'", plain ? 1 : 2);
    put(x, k, m);
    if (!plain)
        put(x, "'", 1);
}

/* steps[from..] as Storm path steps, keys mapped */
static void put_steps(xlate *x, const kpath *p, size_t from)
{
    for (size_t i = from; i < p->n_steps; i++) {
        if (p->steps[i].index) {
            put(x, "[", 1);
            put(x, p->steps[i].s, p->steps[i].n);
            put(x, "]", 1);
        } else {
            put_key(x, p->steps[i].s, p->steps[i].n);
        }
    }
}

/* The field of a normalised Tetragon argument (tetragon_args.c) that KSC's
 * <type>[.<field>...] names: scalars are "value", file-like "path", and a
 * field called "type" or "label" becomes "<type without _arg>_<field>". */
static void put_arg_field(xlate *x, const char *type, size_t type_n, const kpath *p, size_t from)
{
    if (from >= p->n_steps) {
        bool file = (type_n == 8 && memcmp(type, "file_arg", 8) == 0) ||
                    (type_n == 8 && memcmp(type, "path_arg", 8) == 0) ||
                    (type_n == 16 && memcmp(type, "linux_binprm_arg", 16) == 0);
        puts_(x, file ? ".path" : ".value");
        return;
    }
    const step *f = &p->steps[from];
    if (!f->index && ((f->n == 4 && memcmp(f->s, "type", 4) == 0) || (f->n == 5 && memcmp(f->s, "label", 5) == 0))) {
        size_t base = ends_with(type, type_n, "_arg") ? type_n - 4 : type_n;
        put(x, ".", 1);
        put(x, type, base);
        put(x, "_", 1);
        put(x, f->s, f->n);
        from++;
    }
    put_steps(x, p, from);
}

/* "<type>_<digits>" with <type> ending in _arg: KSC's name for the argument at
 * position <digits> when an earlier argument had the same type. */
static bool positional_name(const step *s, size_t *type_n, size_t *pos)
{
    size_t i = s->n;
    while (i > 0 && s->s[i - 1] >= '0' && s->s[i - 1] <= '9')
        i--;
    if (i == s->n || i < 5 || s->s[i - 1] != '_' || !ends_with(s->s, i - 1, "_arg") || s->n - i > 3)
        return false;
    *type_n = i - 1;
    *pos = (size_t)strtoul(s->s + i, NULL, 10);
    return true;
}

typedef enum verdict { V_KEEP, V_REWRITE, V_UNTRANSLATED } verdict;

/* What one translated path needs: its text in path, an optional guard
 * condition in guard (both appended to x->out in turn by the caller). */
typedef struct rewrite {
    storm_buf path, guard;
} rewrite;

static bool is_rule_id(const char *lit, size_t n)
{
    /* 'R0002': a Kubescape rule id, what KSC's function_name holds for Kubescape alerts */
    return n == 7 && lit[0] == '\'' && lit[1] == 'R' && lit[6] == '\'' && strspn(lit + 2, "0123456789") >= 4;
}

/* The guard "process:x_hook_args[pos].type = '<type>'" */
static void arg_guard(xlate *x, size_t pos, const char *type, size_t type_n)
{
    char b[64];
    snprintf(b, sizeof b, "process:x_hook_args[%zu].type = '", pos);
    puts_(x, b);
    put(x, type, type_n);
    puts_(x, "'");
}

static void arg_path(xlate *x, const char *index, const char *type, size_t type_n, const kpath *p, size_t from)
{
    puts_(x, "process:x_hook_args[");
    puts_(x, index);
    puts_(x, "]");
    put_arg_field(x, type, type_n, p, from);
}

/* Translate the process:extensions.<...> paths of KSC's transformers
 * (lightening-rod/manual.py, hive_sentinel) into Storm's. */
static verdict xlate_process_ext(xlate *x, const kpath *p, size_t off, const char *lit, size_t lit_n, storm_buf *path,
                                 storm_buf *guard)
{
    size_t k = 1;
    if (k < p->n_steps && !p->steps[k].index && p->steps[k].n == 11 && memcmp(p->steps[k].s, "x-tetra-ext", 11) == 0)
        k++; /* hive_sentinel nests its properties under one extension key */
    if (k >= p->n_steps || p->steps[k].index)
        return V_UNTRANSLATED;
    const step *name = &p->steps[k];
    storm_buf *saved = x->out;
    x->out = path;
    verdict v = V_REWRITE;
    static const struct {
        const char *ksc, *storm, *why;
    } simple[] = {
        {"flags", "process:x_proc_extra.flags", NULL},
        {"docker", "process:x_proc_extra.docker", NULL},
        {"image_id", "process:x_k8s_image_id", NULL},
        {"container_id", "process:x_k8s_container_id",
         "KSC keeps Tetragon's \"containerd://\" prefix, Storm's container ids are bare"},
        {"pod_name", "process:x_k8s_pod", NULL},
        {"namespace", "process:x_k8s_namespace", NULL},
        {"parent_command_line", "process:parent_ref.command_line", NULL},
        {"parent_cwd", "process:parent_ref.cwd", NULL},
        {"parent_pid", "process:parent_ref.x_proc_exec_id", "KSC's parent_pid holds the parent's Tetragon exec_id"},
        {"grand_parent_pid", "process:parent_ref.x_proc_parent_exec_id",
         "KSC's grand_parent_pid holds the parent's parent_exec_id"},
    };
    if (step_is(p, k, "function_name") && p->n_steps == k + 1) {
        puts_(x, is_rule_id(lit, lit_n) ? "process:x_alert_rule_id" : "process:x_hook_name");
    } else if (step_is(p, k, "kprobe_arguments") && k + 1 < p->n_steps && !p->steps[k + 1].index) {
        const step *arg = &p->steps[k + 1];
        size_t type_n, pos;
        static const char *const ks_args[] = {"path", "flags", "exec", "args", "syscall", "capability"};
        bool ks = false;
        for (size_t i = 0; i < sizeof ks_args / sizeof ks_args[0]; i++)
            ks |= step_is(p, k + 1, ks_args[i]);
        if (positional_name(arg, &type_n, &pos)) {
            char ix[24];
            snprintf(ix, sizeof ix, "%zu", pos);
            arg_path(x, ix, arg->s, type_n, p, k + 2);
            x->out = guard;
            arg_guard(x, pos, arg->s, type_n);
        } else if (ends_with(arg->s, arg->n, "_arg")) {
            arg_path(x, "*", arg->s, arg->n, p, k + 2);
            say(x, off, STORM_KSC_APPROXIMATED,
                "kprobe_arguments.%.*s is KSC's first (or, in older versions, last) %.*s; Storm compares every "
                "argument ([*])",
                (int)arg->n, arg->s, (int)arg->n, arg->s);
        } else if (ks) {
            puts_(x, "process:x_alert_fields.arguments");
            put_steps(x, p, k + 1);
            say(x, off, STORM_KSC_APPROXIMATED,
                "kprobe_arguments.%.*s read as a Kubescape alert's BaseRuntimeMetadata.arguments (Storm reads no "
                "Tracee events)",
                (int)arg->n, arg->s);
        } else {
            v = V_UNTRANSLATED;
        }
    } else if (name->n == 7 && memcmp(name->s, "kprobe", 6) == 0 && name->s[6] >= '0' && name->s[6] <= '4') {
        char ix[2] = {name->s[6], '\0'};
        const step *next = k + 1 < p->n_steps ? &p->steps[k + 1] : NULL;
        if (next && !next->index && ends_with(next->s, next->n, "_arg")) {
            arg_path(x, ix, next->s, next->n, p, k + 2);
            x->out = guard;
            arg_guard(x, (size_t)(name->s[6] - '0'), next->s, next->n);
        } else if (next && (step_is(p, k + 1, "capability") || step_is(p, k + 1, "syscall"))) {
            puts_(x, "process:x_alert_fields.arguments");
            put_steps(x, p, k + 1); /* the Kubescape transformer's kprobe0.capability, kprobe1.syscall */
        } else if (next &&
                   (step_is(p, k + 1, "trace") || step_is(p, k + 1, "severity") || step_is(p, k + 1, "infectedPID"))) {
            puts_(x, "process:x_alert_fields");
            put_steps(x, p, k + 1);
        } else if (!next) {
            puts_(x, "process:x_hook_args[");
            puts_(x, ix);
            puts_(x, "].value");
            say(x, off, STORM_KSC_APPROXIMATED,
                "%.*s held the argument's payload: compared as x_hook_args[%s].value (a scalar argument); a file "
                "or socket argument has its fields instead (x_hook_args[%s].path, .daddr, ...)",
                (int)name->n, name->s, ix, ix);
        } else {
            v = V_UNTRANSLATED;
        }
    } else {
        v = V_UNTRANSLATED;
        for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
            if (step_is(p, k, simple[i].ksc)) {
                puts_(x, simple[i].storm);
                put_steps(x, p, k + 1);
                if (simple[i].why)
                    say(x, off, STORM_KSC_APPROXIMATED, "%s", simple[i].why);
                v = V_REWRITE;
                break;
            }
    }
    x->out = saved;
    return v;
}

static verdict xlate_path(xlate *x, const kpath *p, size_t off, const char *lit, size_t lit_n, storm_buf *path,
                          storm_buf *guard)
{
#define TYPE_IS(lit_) (p->type_n == sizeof(lit_) - 1 && memcmp(p->type, lit_, sizeof(lit_) - 1) == 0)
    if (TYPE_IS("process")) {
        if (step_is(p, 0, "extensions"))
            return xlate_process_ext(x, p, off, lit, lit_n, path, guard);
        return V_KEEP;
    }
    if (TYPE_IS("file")) {
        if (step_is(p, 0, "path") && p->n_steps == 1) {
            storm_buf *saved = x->out;
            x->out = path;
            puts_(x, "file:x_file_path");
            x->out = saved;
            return V_REWRITE;
        }
        return step_is(p, 0, "extensions") ? V_UNTRANSLATED : V_KEEP;
    }
    const char *resource = TYPE_IS("kubernetes-pod")                 ? "pods"
                           : TYPE_IS("kubernetes-persistent-volume") ? "persistentvolumes"
                                                                     : NULL;
    if (resource) {
        storm_buf *saved = x->out;
        x->out = path;
        puts_(x, "network-traffic:x_audit_request_object");
        put_steps(x, p, 0);
        x->out = guard;
        puts_(x, "network-traffic:x_audit_resource = '");
        puts_(x, resource);
        puts_(x, "'");
        x->out = saved;
        say(x, off, STORM_KSC_APPROXIMATED,
            "%.*s read from the Kubernetes audit request that creates or changes it (keys lower-cased)", (int)p->type_n,
            p->type);
        return V_REWRITE;
    }
    if (p->type_n > 11 && memcmp(p->type, "kubernetes-", 11) == 0)
        return V_UNTRANSLATED;
    return V_KEEP;
#undef TYPE_IS
}

static bool is_cmp_start_context(const xlate *x, size_t i)
{
    if (i == 0)
        return true;
    switch (x->tok[i - 1].kind) {
    case TOK_LBRACK:
    case TOK_LPAREN:
    case TOK_AND:
    case TOK_OR:
    case TOK_NOT:
    case TOK_EXISTS: return true;
    default: return false;
    }
}

/* Is token i the start of an object path ("type:" or the slip "type.")? */
static bool path_start(const xlate *x, size_t i, bool *dot_slip)
{
    *dot_slip = false;
    if (i + 2 >= x->n_tok || x->tok[i].kind != TOK_IDENT)
        return false;
    if (x->tok[i + 1].kind == TOK_COLON)
        return true;
    if (x->tok[i + 1].kind == TOK_DOT && is_object_type(x->text + x->tok[i].start, x->tok[i].end - x->tok[i].start) &&
        is_cmp_start_context(x, i)) {
        *dot_slip = true;
        return true;
    }
    return false;
}

/* Parse the path at token i into p; returns the token after it, or 0 when
 * it is not a path Storm could read. */
static size_t parse_path(const xlate *x, size_t i, kpath *p)
{
    const lex_token *t = x->tok;
    p->type = x->text + t[i].start;
    p->type_n = t[i].end - t[i].start;
    p->n_steps = 0;
    size_t j = i + 2;
    bool first = true;
    for (;;) {
        step st = {0};
        if (first && (t[j].kind == TOK_IDENT || t[j].kind == TOK_STRING)) {
            first = false;
        } else if (!first && t[j].kind == TOK_DOT && (t[j + 1].kind == TOK_IDENT || t[j + 1].kind == TOK_STRING)) {
            j++;
        } else if (!first && t[j].kind == TOK_LBRACK && (t[j + 1].kind == TOK_INT || t[j + 1].kind == TOK_STAR) &&
                   t[j + 2].kind == TOK_RBRACK) {
            st.index = true;
            st.s = x->text + t[j + 1].start;
            st.n = t[j + 1].end - t[j + 1].start;
            j += 3;
            goto add;
        } else {
            break;
        }
        if (t[j].kind == TOK_STRING) {
            st.s = x->text + t[j].start + 1;
            st.n = t[j].end - t[j].start - 2;
        } else {
            st.s = x->text + t[j].start;
            st.n = t[j].end - t[j].start;
        }
        j++;
    add:
        if (p->n_steps == KSC_MAX_STEPS)
            return 0;
        p->steps[p->n_steps++] = st;
        if (j >= x->n_tok)
            return 0;
    }
    return p->n_steps ? j : 0;
}

/* The token after the operator and value of a comparison whose path ends at
 * token j; 0 when there is none (the parser will say why). lit, lit_n: the
 * value's text when it is one literal. */
static size_t cmp_end(const xlate *x, size_t j, const char **lit, size_t *lit_n)
{
    const lex_token *t = x->tok;
    *lit = NULL;
    *lit_n = 0;
    if (t[j].kind == TOK_NOT)
        j++;
    switch (t[j].kind) {
    case TOK_EQ:
    case TOK_NE:
    case TOK_LT:
    case TOK_LE:
    case TOK_GT:
    case TOK_GE:
    case TOK_LIKE:
    case TOK_MATCHES:
    case TOK_ISSUBSET:
    case TOK_ISSUPERSET:
        if (t[j + 1].kind == TOK_EOF)
            return 0;
        *lit = x->text + t[j + 1].start;
        *lit_n = t[j + 1].end - t[j + 1].start;
        return j + 2;
    case TOK_IN: {
        if (t[j + 1].kind != TOK_LPAREN)
            return 0;
        size_t k = j + 2;
        while (t[k].kind != TOK_RPAREN && t[k].kind != TOK_EOF)
            k++;
        return t[k].kind == TOK_RPAREN ? k + 1 : 0;
    }
    default: return 0;
    }
}

/* Emit one comparison: "(guard AND " path rest ")" */
static void emit_cmp(xlate *x, const char *exists_prefix, const storm_buf *guard, const char *path, size_t path_n,
                     const char *rest, size_t rest_n)
{
    if (guard->len) {
        put(x, "(", 1);
        put(x, guard->data, guard->len);
        puts_(x, " AND ");
    }
    puts_(x, exists_prefix);
    put(x, path, path_n);
    put(x, rest, rest_n);
    if (guard->len)
        put(x, ")", 1);
}

static storm_rc lex_all(xlate *x, size_t len, storm_err *err)
{
    lexer lx;
    lex_init(&lx, x->text, len);
    size_t alloc = 64;
    x->tok = malloc(alloc * sizeof *x->tok);
    if (!x->tok)
        return STORM_ERR_NOMEM;
    for (;;) {
        if (x->n_tok == alloc) {
            if (alloc >= KSC_MAX_TOKENS)
                return storm_err_set(err, STORM_ERR_LIMIT, 0, "more than %d tokens", KSC_MAX_TOKENS);
            if (STORM_ARRAY_GROW(x->tok, x->n_tok + 1, alloc, 64))
                return STORM_ERR_NOMEM;
        }
        storm_rc rc = lex_next(&lx, &x->tok[x->n_tok], err);
        if (rc != STORM_OK)
            return rc;
        if (x->tok[x->n_tok++].kind == TOK_EOF)
            break;
    }
    /* pad so that look-ahead of a few tokens past the end reads EOF */
    for (int k = 0; k < 4; k++) {
        if (STORM_ARRAY_GROW(x->tok, x->n_tok + 1, alloc, 64))
            return STORM_ERR_NOMEM;
        x->tok[x->n_tok] = x->tok[x->n_tok - 1];
        x->n_tok++;
    }
    x->n_tok -= 4;
    return STORM_OK;
}

storm_rc storm_ksc_translate_pattern(const char *text, size_t len, storm_buf *out, bool *changed,
                                     storm_ksc_note_fn note, void *ctx)
{
    if (changed)
        *changed = false;
    if (len > STORM_PATTERN_MAX_LEN)
        len = STORM_PATTERN_MAX_LEN + 1; /* the compiler below says why */
    xlate x = {.text = text, .out = out, .note = note, .ctx = ctx};
    size_t out_start = out->len;
    storm_err err;
    storm_err_clear(&err);
    rewrite rw;
    storm_buf_init(&rw.path, 1u << 16);
    storm_buf_init(&rw.guard, 1u << 16);
    storm_rc rc = len <= STORM_PATTERN_MAX_LEN ? lex_all(&x, len, &err) : STORM_ERR_LIMIT;
    if (rc != STORM_OK) {
        say(&x, err.offset, STORM_KSC_FAILED, "the pattern does not lex (%s): kept as it was",
            err.msg[0] ? err.msg : storm_strerror(rc));
        goto keep;
    }
    size_t copied = 0; /* text[0..copied) is in out */
    for (size_t i = 0; i < x.n_tok && x.tok[i].kind != TOK_EOF;) {
        bool exists_first = x.tok[i].kind == TOK_EXISTS;
        size_t pi = exists_first ? i + 1 : i;
        bool dot_slip;
        kpath p;
        size_t j;
        if (!path_start(&x, pi, &dot_slip) || !(j = parse_path(&x, pi, &p))) {
            i++;
            continue;
        }
        size_t path_off = x.tok[pi].start;
        const char *lit = NULL;
        size_t lit_n = 0, end;
        bool exists_slip = false;
        if (exists_first) {
            end = j;
        } else if (x.tok[j].kind == TOK_EXISTS) {
            exists_slip = true; /* "path EXISTS": the grammar wants "EXISTS path" */
            end = j + 1;
        } else if (!(end = cmp_end(&x, j, &lit, &lit_n))) {
            i = j;
            continue;
        }
        storm_buf_reset(&rw.path);
        storm_buf_reset(&rw.guard);
        verdict v = xlate_path(&x, &p, path_off, lit, lit_n, &rw.path, &rw.guard);
        if (v == V_UNTRANSLATED)
            say(&x, path_off, STORM_KSC_UNTRANSLATED,
                "'%.*s' has no counterpart in Storm's observations (docs/mapping.md): kept, it can never match",
                (int)(x.tok[j - 1].end - path_off), text + path_off);
        if (dot_slip)
            say(&x, x.tok[pi + 1].start, STORM_KSC_FIXED, "'%.*s.' should be '%.*s:' (fixed)", (int)p.type_n, p.type,
                (int)p.type_n, p.type);
        if (exists_slip)
            say(&x, x.tok[j].start, STORM_KSC_FIXED, "'<path> EXISTS' should be 'EXISTS <path>' (fixed)");
        if (v != V_REWRITE && !dot_slip && !exists_slip) {
            i = end;
            continue;
        }
        /* the original path text, with ':' for the slipped '.' */
        storm_buf orig;
        storm_buf_init(&orig, 1u << 16);
        if (storm_buf_append(&orig, text + path_off, x.tok[j - 1].end - path_off) == STORM_OK && dot_slip)
            orig.data[x.tok[pi + 1].start - path_off] = ':';
        const char *np = v == V_REWRITE ? rw.path.data : orig.data;
        size_t np_n = v == V_REWRITE ? rw.path.len : orig.len;
        size_t from = exists_first ? x.tok[i].start : path_off;
        put(&x, text + copied, from - copied);
        if (exists_first || exists_slip)
            emit_cmp(&x, "EXISTS ", &rw.guard, np ? np : "", np_n, "", 0);
        else
            emit_cmp(&x, "", &rw.guard, np ? np : "", np_n, text + x.tok[j - 1].end,
                     x.tok[end - 1].end - x.tok[j - 1].end);
        copied = x.tok[end - 1].end;
        storm_buf_free(&orig);
        if (rw.path.len == 0 && v == V_REWRITE)
            x.rc = x.rc ? x.rc : STORM_ERR_NOMEM;
        i = end;
    }
    put(&x, text + copied, len - copied);
    if (x.rc == STORM_ERR_NOMEM) {
        rc = x.rc;
        goto done;
    }
    if (x.rc != STORM_OK) {
        say(&x, 0, STORM_KSC_FAILED, "the translated pattern would be too long (%s): kept as it was",
            storm_strerror(x.rc));
        goto keep;
    }
    /* the translation must compile; else the pattern stays as it was */
    storm_pattern *pat = NULL;
    storm_err_clear(&err);
    rc = storm_pattern_compile(out->data + out_start, out->len - out_start, STORM_SPEC_21, &pat, &err);
    storm_pattern_free(pat);
    if (rc == STORM_ERR_NOMEM)
        goto done;
    if (rc != STORM_OK) {
        say(&x, 0, STORM_KSC_FAILED, "the translated pattern does not compile (at its byte %zu: %s): kept as it was",
            err.offset, err.msg);
        goto keep;
    }
    if (changed)
        *changed = out->len - out_start != len || memcmp(out->data + out_start, text, len) != 0;
    goto done;
keep:
    out->len = out_start;
    if (out->data)
        out->data[out_start] = '\0';
    {
        storm_rc arc = storm_buf_append(out, text, len > STORM_PATTERN_MAX_LEN ? 0 : len);
        rc = arc != STORM_OK ? arc : STORM_ERR_SYNTAX;
    }
done:
    storm_buf_free(&rw.path);
    storm_buf_free(&rw.guard);
    free(x.tok);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

struct storm_ksc_import {
    storm_arena *arena;
    storm_ksc_note *notes;
    size_t n_notes, alloc_notes;
    size_t n_indicators, n_changed, n_untranslated;
    bool oom;
};

storm_rc storm_ksc_import_new(storm_ksc_import **out)
{
    storm_ksc_import *imp = calloc(1, sizeof *imp);
    if (!imp || !(imp->arena = storm_arena_new(0, 0))) {
        free(imp);
        return STORM_ERR_NOMEM;
    }
    *out = imp;
    return STORM_OK;
}

void storm_ksc_import_free(storm_ksc_import *imp)
{
    if (!imp)
        return;
    storm_arena_free(imp->arena);
    free(imp->notes);
    free(imp);
}

size_t storm_ksc_import_n_notes(const storm_ksc_import *imp)
{
    return imp->n_notes;
}

const storm_ksc_note *storm_ksc_import_note(const storm_ksc_import *imp, size_t i)
{
    return i < imp->n_notes ? &imp->notes[i] : NULL;
}

void storm_ksc_import_counts(const storm_ksc_import *imp, size_t *indicators, size_t *changed, size_t *untranslated)
{
    *indicators = imp->n_indicators;
    *changed = imp->n_changed;
    *untranslated = imp->n_untranslated;
}

void storm_ksc_note_format(const storm_ksc_note *n, storm_buf *out)
{
    static const char *const kinds[] = {"fixed", "approximated", "not translated", "failed"};
    storm_buf_printf(out, "%s:%u:%u: %s: pattern offset %zu: %s: %s", n->file, n->line, n->col,
                     n->object_id ? n->object_id : "(no id)", n->pattern_offset,
                     (unsigned)n->kind < 4 ? kinds[n->kind] : "note", n->message);
}

typedef struct note_ctx {
    storm_ksc_import *imp;
    const char *file, *id;
    uint32_t line, col;
} note_ctx;

static void add_note(void *vctx, size_t offset, storm_ksc_note_kind kind, const char *message)
{
    note_ctx *c = vctx;
    storm_ksc_import *imp = c->imp;
    if (kind == STORM_KSC_UNTRANSLATED)
        imp->n_untranslated++;
    if (STORM_ARRAY_GROW(imp->notes, imp->n_notes + 1, imp->alloc_notes, 32)) {
        imp->oom = true;
        return;
    }
    const char *msg = storm_arena_strndup(imp->arena, message, strlen(message));
    if (!msg) {
        imp->oom = true;
        return;
    }
    imp->notes[imp->n_notes++] = (storm_ksc_note){c->file, c->line, c->col, c->id, offset, kind, msg};
}

/* 1-based line:column of byte offset in text */
static void locate(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

typedef struct file_ctx {
    storm_ksc_import *imp;
    const char *name, *text;
    size_t len;
} file_ctx;

static storm_rc import_indicator(file_ctx *f, storm_value *obj)
{
    storm_ksc_import *imp = f->imp;
    const storm_value *ptype = storm_v_get(obj, "pattern_type");
    storm_member *pm = NULL;
    for (size_t i = 0; i < obj->u.o.len; i++)
        if (obj->u.o.members[i].key_len == 7 && memcmp(obj->u.o.members[i].key, "pattern", 7) == 0)
            pm = &obj->u.o.members[i];
    if (!pm || pm->value->type != STORM_V_STRING || (ptype && !storm_v_is_str(ptype, "stix")))
        return STORM_OK; /* not a STIX pattern: nothing of KSC's to translate */
    imp->n_indicators++;
    note_ctx nc = {imp, f->name, storm_v_get_str(obj, "id"), 0, 0};
    if (pm->value->pos != STORM_POS_NONE)
        locate(f->text, f->len, pm->value->pos, &nc.line, &nc.col);
    storm_buf out;
    storm_buf_init(&out, (size_t)STORM_PATTERN_MAX_LEN * 4);
    bool changed = false;
    storm_value *orig = pm->value;
    storm_rc rc = storm_ksc_translate_pattern(orig->u.s.ptr, orig->u.s.len, &out, &changed, add_note, &nc);
    if (rc == STORM_OK && changed) {
        storm_value *nv = storm_v_strn(imp->arena, out.data, out.len);
        if (nv)
            pm->value = nv; /* before the append below, which may move the members */
        if (!nv || (!storm_v_get(obj, "x_ksc_pattern") && storm_v_append(imp->arena, obj, "x_ksc_pattern", 13, orig)))
            rc = STORM_ERR_NOMEM;
        imp->n_changed++;
    } else if (rc == STORM_ERR_SYNTAX || rc == STORM_ERR_LIMIT) {
        rc = STORM_OK; /* reported as a note; the pattern is kept */
    }
    storm_buf_free(&out);
    return imp->oom ? STORM_ERR_NOMEM : rc;
}

static storm_rc import_value(file_ctx *f, storm_value *v, int depth)
{
    if (depth > 4)
        return STORM_OK;
    if (v->type == STORM_V_ARRAY) {
        for (size_t i = 0; i < v->u.a.len; i++) {
            storm_rc rc = import_value(f, v->u.a.items[i], depth + 1);
            if (rc != STORM_OK)
                return rc;
        }
        return STORM_OK;
    }
    if (v->type != STORM_V_OBJECT)
        return STORM_OK;
    if (storm_v_is_str(storm_v_get(v, "type"), "indicator"))
        return import_indicator(f, v);
    storm_value *objects = storm_v_get(v, "objects");
    if (storm_v_is_str(storm_v_get(v, "type"), "bundle") && objects && objects->type == STORM_V_ARRAY)
        return import_value(f, objects, depth + 1);
    return STORM_OK;
}

storm_rc storm_ksc_import_text(storm_ksc_import *imp, const char *name, const char *text, size_t len,
                               const storm_value **doc, storm_err *err)
{
    char *copy = storm_arena_strndup(imp->arena, text, len);
    const char *fname = storm_arena_strndup(imp->arena, name, strlen(name));
    if (!copy || !fname)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    storm_value *root = NULL;
    storm_rc rc = storm_json_parse(imp->arena, copy, len, 0, &root, NULL, err);
    if (rc != STORM_OK)
        return rc;
    file_ctx f = {imp, fname, copy, len};
    rc = import_value(&f, root, 0);
    if (rc != STORM_OK)
        return storm_err_set(err, rc, 0, "out of memory while translating %s", name);
    *doc = root;
    return STORM_OK;
}

storm_rc storm_ksc_import_file(storm_ksc_import *imp, const char *path, const storm_value **doc, storm_err *err)
{
    char *data = NULL;
    size_t len = 0;
    storm_rc rc = storm_read_file(path, KSC_FILE_MAX, &data, &len, err);
    if (rc != STORM_OK)
        return rc;
    rc = storm_ksc_import_text(imp, path, data, len, doc, err);
    if (rc == STORM_ERR_SYNTAX)
        storm_err_locate(err, data, len);
    free(data);
    return rc;
}
