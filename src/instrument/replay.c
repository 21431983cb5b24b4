/* SPDX-License-Identifier: Apache-2.0 */
/* storm policy test: recorded Tetragon events through the policies'
 * selectors, as the kernel would evaluate them. Modelled: selectors OR'ed,
 * filters of a selector AND'ed; matchArgs Equal, NotEqual, Prefix,
 * NotPrefix, Postfix, NotPostfix, SubString, GT, LT, Mask on string, number
 * and file/path arguments (the argument named by index: the args entry
 * with that index, read at its position in the event); matchBinaries In,
 * NotIn, Prefix, NotPrefix, Postfix, NotPostfix on process.binary;
 * matchPIDs In/NotIn on process.pid; matchCapabilities In/NotIn on
 * process.cap.effective; matchActions NoPost (drops the event). Not
 * modelled (taken as passing, counted as "assumed"): matchNamespaces
 * (events carry no namespace inodes unless Tetragon exports them; "NotIn
 * host_ns" is read as "has a pod"), the socket operators (SPort, DAddr...),
 * InMap, matchReturnArgs, the *Changes filters, matchParentBinaries, and
 * rate limits. An argument the recording did not capture is also assumed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/decode.h>
#include <storm/json.h>
#include <storm/pattern_plan.h>
#include <storm/stix.h>

#include "tp_int.h"

typedef struct eval_ctx {
    const storm_value *body; /* process_kprobe / ... object */
    bool assumed;
    char why[300];
} eval_ctx;

static const char *EVENT_KEYS[] = {"process_kprobe", "process_tracepoint", "process_lsm", "process_uprobe"};
static const char *EVENT_KINDS[] = {"kprobe", "tracepoint", "lsm", "uprobe"};

/* The event argument at position pos: its string form (string, number,
 * file path) in buf; false when there is none or it has no scalar form. */
static bool event_arg(const storm_value *body, size_t pos, char *buf, size_t cap, bool *is_num, long long *num)
{
    const storm_value *args = storm_v_get(body, "args");
    if (!args || args->type != STORM_V_ARRAY || pos >= args->u.a.len)
        return false;
    const storm_value *a = args->u.a.items[pos];
    if (!a || a->type != STORM_V_OBJECT)
        return false;
    for (size_t m = 0; m < a->u.o.len; m++) {
        const char *k = a->u.o.members[m].key;
        const storm_value *v = a->u.o.members[m].value;
        if (strcmp(k, "label") == 0)
            continue;
        *is_num = false;
        if (v->type == STORM_V_INT) {
            *is_num = true;
            *num = v->u.i;
            snprintf(buf, cap, "%lld", (long long)v->u.i);
            return true;
        }
        if (v->type == STORM_V_STRING) {
            snprintf(buf, cap, "%s", v->u.s.ptr);
            char *end;
            long long x = strtoll(v->u.s.ptr, &end, 10);
            if (*v->u.s.ptr && !*end && strcmp(k, "string_arg") != 0) {
                *is_num = true;
                *num = x;
            }
            return true;
        }
        if (v->type == STORM_V_OBJECT && tp_str(v, "path")) {
            snprintf(buf, cap, "%s", tp_str(v, "path"));
            return true;
        }
        return false;
    }
    return false;
}

static bool str_op(const char *op, const char *val, const storm_value *vals, bool *known)
{
    *known = true;
    bool neg = strncmp(op, "Not", 3) == 0;
    const char *base = neg ? op + 3 : op;
    bool any = false;
    for (size_t i = 0; vals && vals->type == STORM_V_ARRAY && i < vals->u.a.len && !any; i++) {
        const storm_value *v = vals->u.a.items[i];
        if (v->type != STORM_V_STRING)
            continue;
        const char *x = v->u.s.ptr;
        size_t nx = strlen(x), nv = strlen(val);
        if (strcmp(base, "Equal") == 0 || strcmp(base, "In") == 0)
            any = strcmp(val, x) == 0;
        else if (strcmp(base, "Prefix") == 0)
            any = strncmp(val, x, nx) == 0;
        else if (strcmp(base, "Postfix") == 0)
            any = nx <= nv && memcmp(val + nv - nx, x, nx) == 0;
        else if (strcmp(base, "SubString") == 0)
            any = strstr(val, x) != NULL;
        else {
            *known = false;
            return true;
        }
    }
    return neg ? !any : any;
}

static bool num_op(const char *op, long long val, const storm_value *vals, bool *known)
{
    *known = true;
    bool any = false;
    for (size_t i = 0; vals && vals->type == STORM_V_ARRAY && i < vals->u.a.len; i++) {
        long long x;
        if (!tp_int(vals->u.a.items[i], &x))
            continue;
        if (strcmp(op, "Equal") == 0 || strcmp(op, "NotEqual") == 0)
            any |= val == x;
        else if (strcmp(op, "Mask") == 0)
            any |= (val & x) != 0;
        else if (strcmp(op, "GT") == 0 || strcmp(op, "GreaterThan") == 0)
            return val > x;
        else if (strcmp(op, "LT") == 0 || strcmp(op, "LessThan") == 0)
            return val < x;
        else {
            *known = false;
            return true;
        }
    }
    return strcmp(op, "NotEqual") == 0 ? !any : any;
}

static bool match_args(const storm_tp_hook *h, const storm_value *list, eval_ctx *c)
{
    for (size_t i = 0; i < list->u.a.len; i++) {
        const storm_value *f = list->u.a.items[i];
        long long idx = -1;
        tp_int(storm_v_get(f, "index"), &idx);
        const char *op = tp_str(f, "operator");
        if (!op)
            op = "Equal";
        size_t pos = (size_t)idx;
        const char *type = tp_arg_type(h, idx, &pos);
        char val[4096];
        bool is_num = false;
        long long num = 0;
        if (!event_arg(c->body, pos, val, sizeof val, &is_num, &num)) {
            c->assumed = true; /* the recording did not capture it */
            continue;
        }
        bool known = true, pass;
        bool int_type = type ? hook_type_is_int(type) && strcmp(type, "fd") != 0 : is_num;
        if (int_type && is_num)
            pass = num_op(op, num, storm_v_get(f, "values"), &known);
        else if (int_type)
            known = false, pass = true;
        else
            pass = str_op(op, val, storm_v_get(f, "values"), &known);
        if (!known) {
            c->assumed = true;
            continue;
        }
        if (!pass) {
            snprintf(c->why, sizeof c->why, "argument %lld %s", idx, op);
            return false;
        }
    }
    return true;
}

static bool selector_passes(const storm_tp_hook *h, const storm_value *sel, eval_ctx *c)
{
    const storm_value *proc = storm_v_get(c->body, "process");
    for (size_t m = 0; m < sel->u.o.len; m++) {
        const char *key = sel->u.o.members[m].key;
        const storm_value *v = sel->u.o.members[m].value;
        if (!v || v->type != STORM_V_ARRAY)
            continue;
        if (strcmp(key, "matchArgs") == 0) {
            if (!match_args(h, v, c))
                return false;
        } else if (strcmp(key, "matchBinaries") == 0) {
            const char *bin = tp_str(proc, "binary");
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *op = tp_str(v->u.a.items[i], "operator");
                bool known;
                if (!bin) {
                    c->assumed = true;
                    continue;
                }
                if (!str_op(op ? op : "In", bin, storm_v_get(v->u.a.items[i], "values"), &known)) {
                    snprintf(c->why, sizeof c->why, "binary %s", op ? op : "In");
                    return false;
                }
                c->assumed |= !known;
            }
        } else if (strcmp(key, "matchPIDs") == 0) {
            const storm_value *pid = storm_v_get(proc, "pid");
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *op = tp_str(v->u.a.items[i], "operator");
                const char *isns = tp_str(v->u.a.items[i], "isNamespacePID");
                if (!pid || pid->type != STORM_V_INT || (isns && strcmp(isns, "true") == 0)) {
                    c->assumed = true;
                    continue;
                }
                bool known;
                bool in = num_op("Equal", pid->u.i, storm_v_get(v->u.a.items[i], "values"), &known);
                if (op && strcmp(op, "NotIn") == 0 ? in : !in) {
                    snprintf(c->why, sizeof c->why, "pid %s", op ? op : "In");
                    return false;
                }
            }
        } else if (strcmp(key, "matchCapabilities") == 0) {
            const storm_value *eff = storm_v_path(proc, (const char *const[]){"cap", "effective", NULL});
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *op = tp_str(v->u.a.items[i], "operator");
                const storm_value *vals = storm_v_get(v->u.a.items[i], "values");
                if (!eff || eff->type != STORM_V_ARRAY || !vals || vals->type != STORM_V_ARRAY) {
                    c->assumed = true;
                    continue;
                }
                bool any = false;
                for (size_t a = 0; a < vals->u.a.len && !any; a++)
                    for (size_t b = 0; b < eff->u.a.len && !any; b++)
                        any = storm_v_equal(vals->u.a.items[a], eff->u.a.items[b]);
                if (op && strcmp(op, "NotIn") == 0 ? any : !any) {
                    snprintf(c->why, sizeof c->why, "capabilities %s", op ? op : "In");
                    return false;
                }
            }
        } else if (strcmp(key, "matchNamespaces") == 0) {
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *op = tp_str(v->u.a.items[i], "operator");
                const storm_value *vals = storm_v_get(v->u.a.items[i], "values");
                bool host_only = vals && vals->type == STORM_V_ARRAY && vals->u.a.len == 1 &&
                                 storm_v_is_str(vals->u.a.items[0], "host_ns");
                c->assumed = true;
                if (host_only && op && strcmp(op, "NotIn") == 0 && !storm_v_get(proc, "pod")) {
                    snprintf(c->why, sizeof c->why, "namespace NotIn host_ns (no pod)");
                    return false;
                }
            }
        } else if (strcmp(key, "matchActions") == 0) {
            for (size_t i = 0; i < v->u.a.len; i++) {
                const char *act = tp_str(v->u.a.items[i], "action");
                if (act && strcmp(act, "NoPost") == 0) {
                    snprintf(c->why, sizeof c->why, "action NoPost");
                    return false;
                }
            }
        } else if (v->u.a.len) {
            c->assumed = true;
        }
    }
    return true;
}

/* The hook event's verdict against every policy hook of the same call. */
typedef enum verdict { V_UNTRACED, V_EMITTED, V_DROPPED } verdict;

static verdict judge(const storm_tp_set *s, const char *kind, const char *call, const storm_value *body,
                     const storm_tp_hook **by, eval_ctx *c)
{
    verdict v = V_UNTRACED;
    *by = NULL;
    for (size_t i = 0; i < s->n_hooks; i++) {
        const storm_tp_hook *h = &s->hooks[i];
        if (strcmp(h->kind, kind) != 0 || strcmp(h->call, call) != 0)
            continue;
        const storm_value *sels = storm_v_get(h->spec, "selectors");
        if (!sels || sels->type != STORM_V_ARRAY || sels->u.a.len == 0) {
            *by = h;
            return V_EMITTED;
        }
        for (size_t k = 0; k < sels->u.a.len; k++) {
            eval_ctx one = {.body = body};
            if (sels->u.a.items[k]->type == STORM_V_OBJECT && selector_passes(h, sels->u.a.items[k], &one)) {
                *by = h;
                c->assumed = one.assumed;
                return V_EMITTED;
            }
            if (one.why[0])
                snprintf(c->why, sizeof c->why, "%s", one.why);
        }
        v = V_DROPPED;
        *by = h;
    }
    return v;
}

/* Does a [...] of a hook indicator of m accept the event? name: the first. */
static bool needed_by(const storm_models *m, storm_arena *a, const storm_value *root, const char **name)
{
    const storm_value *rec = NULL;
    const storm_decoder *dec = NULL;
    storm_err e;
    storm_err_clear(&e);
    if (storm_decode_classify(a, root, NULL, &rec, &dec, &e) != STORM_OK)
        return false;
    storm_event_list list = {0};
    const char *skip = NULL;
    if (dec->decode(a, rec, &list, &skip, &e) != STORM_OK)
        return false;
    for (size_t k = 0; k < list.n; k++) {
        storm_observation obs;
        if (storm_stix_observe(a, &list.items[k], NULL, &obs, &e) != STORM_OK)
            continue;
        for (size_t i = 0; i < storm_models_n_indicators(m); i++) {
            const storm_model_indicator *ind = storm_models_indicator(m, i);
            need_leaf *leaves = NULL;
            size_t nl = 0;
            if (needs_of_pattern(ind->pattern, &leaves, &nl) != STORM_OK)
                continue;
            bool hit = false;
            for (size_t l = 0; l < nl && !hit; l++) {
                if (leaves[l].kind != NEED_HOOK)
                    continue;
                storm_err_clear(&e);
                hit = pattern_leaf_match(ind->pattern, leaves[l].leaf, &obs, &e);
            }
            free(leaves);
            if (hit) {
                *name = ind->name ? ind->name : ind->id;
                return true;
            }
        }
    }
    return false;
}

storm_rc storm_policy_replay(const storm_tp_set *s, const storm_models *m, const char *source, const char *text,
                             size_t len, bool json, storm_buf *out, storm_replay_stats *st, storm_err *err)
{
    storm_arena *a = storm_arena_new(1u << 16, 256u << 20);
    if (!a)
        return storm_err_set(err, STORM_ERR_NOMEM, 0, "out of memory");
    size_t off = 0;
    uint64_t lineno = 0;
    const char *line;
    size_t line_len;
    while (storm_json_lines_next(text, len, &off, &lineno, &line, &line_len)) {
        storm_arena_reset(a);
        st->lines++;
        storm_value *root = NULL;
        storm_err e;
        storm_err_clear(&e);
        if (storm_json_parse(a, line, line_len, 0, &root, NULL, &e) != STORM_OK) {
            st->bad++;
            if (!json)
                storm_buf_printf(out, "%s:%llu: not JSON: %s\n", source, (unsigned long long)lineno, e.msg);
            continue;
        }
        const storm_value *inner = storm_decode_unwrap(a, root);
        const storm_value *body = NULL;
        size_t t;
        for (t = 0; t < 4 && !body; t++)
            body = inner && inner->type == STORM_V_OBJECT ? storm_v_get(inner, EVENT_KEYS[t]) : NULL;
        if (!body || body->type != STORM_V_OBJECT)
            continue;
        t--;
        st->hook_events++;
        char call[256];
        if (t == 1)
            snprintf(call, sizeof call, "%s/%s", tp_str(body, "subsys") ? tp_str(body, "subsys") : "",
                     tp_str(body, "event") ? tp_str(body, "event") : "");
        else
            hook_normalize(tp_str(body, "function_name") ? tp_str(body, "function_name") : "", call, sizeof call);
        const storm_tp_hook *by = NULL;
        eval_ctx c = {.body = body};
        verdict v = judge(s, EVENT_KINDS[t], call, body, &by, &c);
        if (v != V_UNTRACED)
            st->traced++;
        if (v == V_EMITTED) {
            st->emitted++;
            st->assumed += c.assumed;
        } else if (v == V_DROPPED) {
            st->dropped++;
        }
        const char *need_name = NULL;
        bool needed = m && needed_by(m, a, root, &need_name);
        if (needed) {
            st->needed++;
            if (v != V_EMITTED)
                st->needed_lost++;
        }
        const char *word = v == V_EMITTED ? "emitted" : v == V_DROPPED ? "dropped" : "untraced";
        if (json) {
            storm_buf_printf(out, "{\"source\":");
            storm_json_write_string(out, source, strlen(source));
            storm_buf_printf(out, ",\"line\":%llu,\"hook\":", (unsigned long long)lineno);
            storm_json_write_string(out, call, strlen(call));
            storm_buf_printf(out, ",\"verdict\":\"%s\",\"assumed\":%s", word, c.assumed ? "true" : "false");
            if (by) {
                storm_buf_puts(out, ",\"policy\":");
                storm_json_write_string(out, by->policy, strlen(by->policy));
            }
            if (v == V_DROPPED && c.why[0]) {
                storm_buf_puts(out, ",\"reason\":");
                storm_json_write_string(out, c.why, strlen(c.why));
            }
            if (needed) {
                storm_buf_puts(out, ",\"needed_by\":");
                storm_json_write_string(out, need_name, strlen(need_name));
            }
            storm_buf_puts(out, "}\n");
        } else {
            storm_buf_printf(out, "%s:%llu: %-8s %s%s%s%s%s%s%s%s\n", source, (unsigned long long)lineno, word, call,
                             by ? " by " : "", by ? by->policy : "", v == V_DROPPED && c.why[0] ? " (" : "",
                             v == V_DROPPED ? c.why : "", v == V_DROPPED && c.why[0] ? ")" : "",
                             c.assumed && v == V_EMITTED ? " (some filters assumed)" : "",
                             needed ? (v == V_EMITTED ? "  needed" : "  NEEDED BUT LOST") : "");
            if (needed && need_name)
                storm_buf_printf(out, "    by indicator \"%s\"\n", need_name);
        }
    }
    storm_arena_free(a);
    return STORM_OK;
}
