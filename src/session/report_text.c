/* SPDX-License-Identifier: Apache-2.0 */
/* The report for people, as plain text or Markdown: per session a header,
 * the timeline (time, pod/node, step, evidence, how it was linked) and the
 * attack path. */
#include <stdint.h>
#include <string.h>

#include "report_int.h"

static const char *via_text(path_via v)
{
    switch (v) {
    case VIA_ENTRY: return "entry (no model edge leads here)";
    case VIA_MODELLED: return "modelled";
    case VIA_SKIPPED: return "modelled, with steps skipped";
    case VIA_UNPREDICTED: return "UNPREDICTED: no model edge leads here from the steps before";
    case VIA_NOT_IN_MODELS: return "not in the loaded models";
    }
    return "?";
}

/* Markdown table cells: no pipes or newlines. */
static void cell(storm_buf *out, const char *s, bool markdown)
{
    for (; s && *s; s++) {
        if (markdown && *s == '|')
            storm_buf_puts(out, "\\|");
        else if (*s == '\n' || *s == '\r')
            storm_buf_putc(out, ' ');
        else
            storm_buf_putc(out, *s);
    }
}

static void list(storm_buf *out, const storm_value *arr)
{
    size_t n = arr && arr->type == STORM_V_ARRAY ? arr->u.a.len : 0;
    for (size_t i = 0; i < n; i++)
        storm_buf_printf(out, "%s%s", i ? ", " : "",
                         arr->u.a.items[i]->type == STORM_V_STRING ? arr->u.a.items[i]->u.s.ptr : "?");
    if (!n)
        storm_buf_puts(out, "-");
}

void report_path_lines(const storm_report *r, const rsession *s, storm_buf *out, const char *bullet)
{
    const session_path *p = &s->path;
    for (size_t i = 0; i < p->n_reached; i++) {
        const path_node *n = &p->reached[i];
        storm_buf_printf(out, "%s%zu. %s", bullet, i + 1, n->name ? n->name : n->step_id);
        if (n->tactic)
            storm_buf_printf(out, " (%s)", n->tactic);
        storm_buf_printf(out, ": %s", i == 0 && n->via == VIA_ENTRY ? "entry point" : via_text(n->via));
        if (n->via == VIA_MODELLED || n->via == VIA_SKIPPED)
            storm_buf_printf(out, " after %s", n->from);
        if (n->n_skipped) {
            storm_buf_puts(out, "; not seen: ");
            for (size_t k = 0; k < n->n_skipped; k++)
                storm_buf_printf(out, "%s%s", k ? ", " : "", n->skipped[k]);
        }
        storm_buf_putc(out, '\n');
    }
    if (p->n_deep && r->models) {
        storm_buf_printf(out, "%sdeepest model path: step %zu of %zu reached: ", bullet, p->deep_reached, p->n_deep);
        for (size_t i = 0; i < p->n_deep; i++)
            storm_buf_printf(out, "%s%s%s%s", i ? " > " : "", p->deep_hit[i] ? "[" : "",
                             storm_models_step(r->models, p->deep[i])->name, p->deep_hit[i] ? "]" : "");
        size_t skipped = 0;
        for (size_t i = 0; i < p->deep_reached; i++)
            skipped += !p->deep_hit[i];
        storm_buf_printf(out, " ([x] = reached; %zu modelled step%s skipped)\n", skipped, skipped == 1 ? "" : "s");
    } else if (!r->models)
        storm_buf_printf(out, "%s(no attack models: the path is not placed)\n", bullet);
    if (p->n_anomalies)
        storm_buf_printf(out, "%sbaseline anomalies inside the session: %zu\n", bullet, p->n_anomalies);
}

storm_rc report_write_text(storm_report *r, storm_buf *out, bool md)
{
    if (md)
        storm_buf_printf(out, "# Attack sessions\n\n%zu session%s.\n\n", r->n, r->n == 1 ? "" : "s");
    for (size_t i = 0; i < r->n; i++) {
        const rsession *s = &r->s[i];
        const storm_value *size = storm_v_get(s->v, "size");
        long long sz = size && size->type == STORM_V_INT ? (long long)size->u.i : 0;
        if (md)
            storm_buf_printf(out, "## Session %s\n\n- first seen: %s\n- last seen: %s\n- pods: ", s->id,
                             rs_str(s->v, "first_seen"), rs_str(s->v, "last_seen"));
        else
            storm_buf_printf(out, "Session %s\n  first seen %s, last seen %s\n  pods: ", s->id,
                             rs_str(s->v, "first_seen"), rs_str(s->v, "last_seen"));
        list(out, storm_v_get(s->v, "pods"));
        storm_buf_puts(out, md ? "\n- nodes: " : "\n  nodes: ");
        list(out, storm_v_get(s->v, "nodes"));
        storm_buf_printf(
            out, md ? "\n- size: %lld matches\n\n### Timeline\n\n" : "\n  size: %lld matches\n  timeline:\n", sz);
        if (md)
            storm_buf_puts(out,
                           "| time | where | step | indicator | evidence | linked by |\n|---|---|---|---|---|---|\n");
        for (size_t k = 0; k < s->steps->u.a.len; k++) {
            const storm_value *st = s->steps->u.a.items[k];
            char place[512];
            rs_place(st, place, sizeof place);
            const storm_value *an = storm_v_get(st, "anomaly");
            bool anomaly = an && an->type == STORM_V_BOOL && an->u.b;
            const char *step = anomaly ? "(baseline anomaly)" : rs_str(st, "step_name") ? rs_str(st, "step_name") : "-";
            const storm_value *count = storm_v_get(st, "count");
            long long c = count && count->type == STORM_V_INT ? (long long)count->u.i : 1;
            if (md) {
                storm_buf_printf(out, "| %s | ", rs_str(st, "first_seen"));
                cell(out, place, true);
                storm_buf_puts(out, " | ");
                cell(out, step, true);
                storm_buf_puts(out, " | ");
                cell(out, rs_str(st, "indicator_name"), true);
                storm_buf_puts(out, " | `");
                cell(out, rs_str(st, "evidence"), true);
                storm_buf_puts(out, "`");
                if (c > 1)
                    storm_buf_printf(out, " (x%lld)", c);
                storm_buf_printf(out, " | %s |\n", rs_str(st, "link") ? rs_str(st, "link") : "?");
            } else {
                storm_buf_printf(out, "    %s  %s  %s  [%s]  ", rs_str(st, "first_seen"), place, step,
                                 rs_str(st, "indicator_name") ? rs_str(st, "indicator_name") : "-");
                cell(out, rs_str(st, "evidence"), false);
                if (c > 1)
                    storm_buf_printf(out, "  (x%lld until %s)", c, rs_str(st, "last_seen"));
                storm_buf_printf(out, "  (linked by %s)\n", rs_str(st, "link") ? rs_str(st, "link") : "?");
            }
        }
        storm_buf_puts(out, md ? "\n### Attack path\n\n" : "  attack path:\n");
        report_path_lines(r, s, out, md ? "- " : "    ");
        storm_buf_putc(out, '\n');
    }
    return STORM_OK;
}
