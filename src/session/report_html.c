/* SPDX-License-Identifier: Apache-2.0 */
/* The report as one self-contained HTML page: no scripts, no fetches; per
 * session the timeline as a table and the attack path drawn as inline SVG
 * (reached steps in order, the modelled steps skipped between them in grey,
 * unpredicted transitions in red). */
#include <stdio.h>
#include <string.h>

#include "report_int.h"

static void esc(storm_buf *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': storm_buf_puts(out, "&amp;"); break;
        case '<': storm_buf_puts(out, "&lt;"); break;
        case '>': storm_buf_puts(out, "&gt;"); break;
        case '"': storm_buf_puts(out, "&quot;"); break;
        case '\'': storm_buf_puts(out, "&#39;"); break;
        default: storm_buf_putc(out, *s);
        }
    }
}

#define BOX_W 560
#define BOX_H 34
#define GAP 26

static void box(storm_buf *out, int y, const char *label, const char *sub, bool skipped)
{
    storm_buf_printf(out,
                     "<rect x=\"20\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\" class=\"%s\"/>"
                     "<text x=\"32\" y=\"%d\" class=\"%s\">",
                     y, BOX_W, BOX_H, skipped ? "skip" : "step", y + 22, skipped ? "tskip" : "tstep");
    esc(out, label);
    if (sub) {
        storm_buf_puts(out, " \xe2\x80\x94 ");
        esc(out, sub);
    }
    storm_buf_puts(out, "</text>\n");
}

static void arrow(storm_buf *out, int y0, int y1, const char *cls)
{
    storm_buf_printf(out, "<line x1=\"300\" y1=\"%d\" x2=\"300\" y2=\"%d\" class=\"%s\" marker-end=\"url(#a)\"/>\n", y0,
                     y1 - 2, cls);
}

static void graph(storm_buf *out, const rsession *s)
{
    const session_path *p = &s->path;
    size_t boxes = 0;
    for (size_t i = 0; i < p->n_reached; i++)
        boxes += 1 + p->reached[i].n_skipped;
    if (!boxes)
        return;
    int h = (int)boxes * (BOX_H + GAP) + 10;
    storm_buf_printf(out,
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">"
                     "<defs><marker id=\"a\" markerWidth=\"8\" markerHeight=\"8\" refX=\"4\" refY=\"4\" "
                     "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\"/></marker></defs>\n",
                     BOX_W + 40, h);
    int y = 10;
    for (size_t i = 0; i < p->n_reached; i++) {
        const path_node *n = &p->reached[i];
        for (size_t k = 0; k < n->n_skipped; k++) {
            if (y > 10)
                arrow(out, y - GAP, y, "mod");
            box(out, y, n->skipped[k], "modelled, not seen", true);
            y += BOX_H + GAP;
        }
        if (y > 10)
            arrow(out, y - GAP, y, n->via == VIA_UNPREDICTED || n->via == VIA_NOT_IN_MODELS ? "unp" : "mod");
        char label[600];
        snprintf(label, sizeof label, "%zu. %s", i + 1, n->name ? n->name : n->step_id);
        box(out, y, label, n->tactic, false);
        y += BOX_H + GAP;
    }
    storm_buf_puts(out, "</svg>\n");
}

storm_rc report_write_html(storm_report *r, storm_buf *out)
{
    storm_buf_puts(
        out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Storm attack sessions</title>\n"
             "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:3px 6px;font-size:90%;vertical-align:top}th{background:#eee}"
             "code{font-size:85%}.step{fill:#e8f0fe;stroke:#1a56db}.skip{fill:#f4f4f4;stroke:#999;stroke-dasharray:4}"
             ".tstep{font-size:13px;fill:#111}.tskip{font-size:13px;fill:#777}.mod{stroke:#333;stroke-width:1.5}"
             ".unp{stroke:#c81e1e;stroke-width:2;stroke-dasharray:5}</style></head><body>\n");
    storm_buf_printf(out, "<h1>Attack sessions</h1>\n<p>%zu session%s.</p>\n", r->n, r->n == 1 ? "" : "s");
    for (size_t i = 0; i < r->n; i++) {
        const rsession *s = &r->s[i];
        storm_buf_puts(out, "<section><h2>Session ");
        esc(out, s->id);
        storm_buf_puts(out, "</h2>\n<p>first seen ");
        esc(out, rs_str(s->v, "first_seen"));
        storm_buf_puts(out, ", last seen ");
        esc(out, rs_str(s->v, "last_seen"));
        storm_buf_puts(out, "</p>\n<table><tr><th>time</th><th>where</th><th>step</th><th>indicator</th>"
                            "<th>evidence</th><th>linked by</th></tr>\n");
        for (size_t k = 0; k < s->steps->u.a.len; k++) {
            const storm_value *st = s->steps->u.a.items[k];
            char place[512];
            rs_place(st, place, sizeof place);
            const storm_value *an = storm_v_get(st, "anomaly");
            bool anomaly = an && an->type == STORM_V_BOOL && an->u.b;
            storm_buf_puts(out, "<tr><td>");
            esc(out, rs_str(st, "first_seen"));
            storm_buf_puts(out, "</td><td>");
            esc(out, place);
            storm_buf_puts(out, "</td><td>");
            esc(out, anomaly ? "(baseline anomaly)" : rs_str(st, "step_name") ? rs_str(st, "step_name") : "-");
            storm_buf_puts(out, "</td><td>");
            esc(out, rs_str(st, "indicator_name"));
            storm_buf_puts(out, "</td><td><code>");
            esc(out, rs_str(st, "evidence"));
            storm_buf_puts(out, "</code></td><td>");
            esc(out, rs_str(st, "link"));
            storm_buf_puts(out, "</td></tr>\n");
        }
        storm_buf_puts(out, "</table>\n<h3>Attack path</h3>\n");
        graph(out, s);
        storm_buf b;
        storm_buf_init(&b, (size_t)1 << 24);
        report_path_lines(r, s, &b, "");
        storm_buf_puts(out, "<pre>");
        if (b.data) {
            storm_buf_putc(&b, '\0');
            esc(out, b.data);
        }
        storm_buf_puts(out, "</pre></section>\n");
        storm_buf_free(&b);
    }
    return storm_buf_puts(out, "</body></html>\n");
}
